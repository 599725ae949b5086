/** The backend's methods (src/shared/backend-contract.ts), over the workbench's model and workspace. */
import type { BackendMethods, LensView, ModelSummary } from '../../shared/backend-contract.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CorpusText } from '../../shared/corpus-text.js';
import { UserError } from '../../shared/errors.js';
import { DEFAULT_LABEL_LANGUAGES, lens, loadCorpus, type CorpusSource, type Model } from '../api/index.js';
import { removeDeadKernelFiles } from '../kernel/leftovers.js';
import type { ModelSlot } from './model-slot.js';
import { apiTypes } from './api-types.js';
import { nodeTypes } from './node-types.js';
import { exportFigure } from './figure-export.js';
import { KernelSessions } from './kernel-sessions.js';
import { listStores, storeOverview, storeQuery } from './store-browser.js';
import { stopQueryProcesses } from './store-query-process.js';
import { NotebookTrust } from './trust.js';
import { Workspace } from './workspace.js';
import { withoutUndefined } from '../../shared/without-undefined.js';

/** Who is calling: events go back to that page only; `connection` names it (closing it ends its sessions). */
export interface CallContext {
  emit(event: string, data: unknown): void;
  connection: string;
}

type Methods = { [K in keyof BackendMethods]: (p: Parameters<BackendMethods[K]>[0], ctx: CallContext) => Promise<ReturnType<BackendMethods[K]>> };
export type Backend = Methods & {
  /** A page's socket closed. */
  closed?(connection: string): void;
  dispose(): Promise<void>;
};

export interface BackendOptions {
  models: ModelSlot;
  workspace: string;
  /** How long a store-browser query may run (default 10 s). */
  queryTimeoutMs?: number;
  /** Where the notebook-trust key and signatures live (default: the user's data folder). */
  dataDir?: string;
}

/**
 * Where the lens takes token labels from for a model: a labelled sample the model folder carries
 * (`heldout.jsonl`, as the bundled code model does: its programming languages), else the UDHR in every
 * language the labeller knows.
 */
function labelSource(dir: string): { corpus: string; path: string | null } {
  const own = join(dir, 'heldout.jsonl');
  return existsSync(own) ? { corpus: 'heldout.jsonl in the model folder', path: own } : { corpus: 'UDHR', path: null };
}

async function labelLanguages(dir: string): Promise<string[]> {
  const { path } = labelSource(dir);
  if (!path) return [...DEFAULT_LABEL_LANGUAGES];
  return [...new Set((await loadCorpus(path)).map((t) => t.lang))];
}

/** The label corpus in these languages: a UDHR source, or the model's own sample's texts of them. */
async function labelTexts(dir: string, languages: readonly string[]): Promise<CorpusSource> {
  const { path } = labelSource(dir);
  if (!path) return `udhr:${languages.join(',')}`;
  const wanted = new Set(languages);
  return (await loadCorpus(path)).filter((t: CorpusText) => wanted.has(t.lang));
}

export async function summarize(model: Model): Promise<ModelSummary> {
  const i = model.info;
  return {
    dir: i.dir,
    architecture: i.architecture,
    numLayers: i.numLayers,
    hiddenSize: i.hiddenSize,
    intermediateSize: i.intermediateSize,
    vocabSize: i.vocabSize,
    device: i.device,
    taps: i.taps.map((t) => t.name),
    labels: { languages: await labelLanguages(i.dir), corpus: labelSource(i.dir).corpus },
  };
}

export function createBackend({ models, workspace: root, queryTimeoutMs, dataDir }: BackendOptions): Backend {
  removeDeadKernelFiles(); // HMAC keys of kernels a killed backend left behind
  const workspace = new Workspace(root);
  const trust = new NotebookTrust(dataDir);
  const kernels = new KernelSessions(workspace);

  return {
    async model(): Promise<ModelSummary> {
      return summarize(await models.get());
    },

    async lens({ text, languages }): Promise<LensView> {
      if (text.trim() === '') throw new UserError('the text is empty', 'Type a sentence to run the logit lens on.');
      const model = await models.get();
      const known = await labelLanguages(model.info.dir);
      const unknown = (languages ?? []).filter((l) => !known.includes(l));
      if (unknown.length) throw new UserError(`no token labels for ${unknown.join(', ')} with this model`, `Label against ${known.join(', ')} (from the ${labelSource(model.info.dir).corpus}).`);
      // The same columns whatever order they were asked in: the label corpus's order (sorted for the UDHR).
      const asked = languages ? known.filter((l) => languages.includes(l)) : known;
      // The API keeps the token languages of each label corpus per model, so a page of lens calls counts them once.
      const r = await lens(model, { text, top: 1, ...(asked.length ? { languages: await labelTexts(model.info.dir, [...asked].sort()) } : {}) });
      return {
        tokens: r.tokens,
        languages: Object.keys(r.tokensPerLabel ?? {}),
        labelWarnings: r.labelWarnings ?? [],
        cells: r.layers.map((layer) =>
          layer.positions.map((p) => ({
            token: p.top[0]!.token,
            prob: p.top[0]!.prob!,
            entropy: p.entropy!,
            ...withoutUndefined({ languageMass: p.languageMass }),
          })),
        ),
      };
    },

    async 'model.open'({ dir, device }) {
      return summarize(await models.open(dir, device));
    },

    async 'workspace.info'() {
      return { root: workspace.root, recent: await workspace.recent() };
    },
    'workspace.list': ({ dir }) => workspace.list(dir),
    async 'notebook.read'({ path }) {
      const file = await workspace.read(path);
      const recovery = file.recovery && { ...file.recovery, trusted: await trust.isTrusted(file.recovery.text) };
      return { ...file, trusted: await trust.isTrusted(file.text), ...withoutUndefined({ recovery }) };
    },
    async 'notebook.write'({ path, text, expectMtimeMs, trusted }) {
      const written = await workspace.write(path, text, expectMtimeMs);
      if (trusted) await trust.sign(text);
      return written;
    },
    'notebook.stat': ({ path }) => workspace.stat(path),
    async 'notebook.autosave'({ path, text, trusted }) {
      const saved = await workspace.autosave(path, text);
      if (trusted) await trust.sign(text);
      return saved;
    },
    async 'notebook.trust'({ path }) {
      await trust.sign((await workspace.read(path)).text);
      return { trusted: true };
    },
    async 'notebook.discardRecovery'({ path }) {
      await workspace.discardRecovery(path);
      return {};
    },
    'api.types': () => apiTypes(),
    'node.types': () => nodeTypes(),
    'figure.export': ({ figure, format }) => exportFigure(figure, format),

    'kernel.start': ({ path }, ctx) => kernels.start(path, ctx),
    'kernel.execute': ({ session, cellId, code }) => kernels.execute(session, cellId, code),
    async 'kernel.interrupt'({ session }) {
      await kernels.interrupt(session);
      return {};
    },
    async 'kernel.restart'({ session }) {
      await kernels.restart(session);
      return {};
    },
    async 'kernel.shutdown'({ session }) {
      await kernels.shutdown(session);
      return {};
    },

    async 'store.list'() {
      return { stores: await listStores(workspace) };
    },
    'store.overview': ({ path }) => storeOverview(workspace, path),
    'store.query': ({ path, sql }) => storeQuery(workspace, path, sql, withoutUndefined({ timeoutMs: queryTimeoutMs })),

    closed: (connection) => kernels.closed(connection),
    dispose: () => {
      stopQueryProcesses();
      return kernels.dispose();
    },
  };
}
