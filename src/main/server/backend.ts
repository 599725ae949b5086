/** The backend's methods (src/shared/backend-contract.ts), over the workbench's model and workspace. */
import type { BackendMethods, LensView, ModelSummary } from '../../shared/backend-contract.js';
import { UserError } from '../../shared/errors.js';
import { lens, type Model } from '../api/index.js';
import { removeDeadKernelFiles } from '../kernel/leftovers.js';
import { LabelCorpora } from './label-corpus.js';
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
  /** Where the lens's token labels come from (default: each model folder's `heldout.jsonl`, else the UDHR). */
  labelCorpora?: LabelCorpora;
}

/** What the workbench shows of a model; `labels` as `labelCorpora` finds them. */
export async function summarize(model: Model, labelCorpora: LabelCorpora): Promise<ModelSummary> {
  const i = model.info;
  const labels = await labelCorpora.of(i.dir);
  return {
    dir: i.dir,
    architecture: i.architecture,
    numLayers: i.numLayers,
    hiddenSize: i.hiddenSize,
    intermediateSize: i.intermediateSize,
    vocabSize: i.vocabSize,
    device: i.device,
    taps: i.taps.map((t) => t.name),
    labels: { languages: labels.languages, corpus: labels.corpus },
  };
}

export function createBackend({ models, workspace: root, queryTimeoutMs, dataDir, labelCorpora = new LabelCorpora() }: BackendOptions): Backend {
  removeDeadKernelFiles(); // HMAC keys of kernels a killed backend left behind
  const workspace = new Workspace(root);
  const trust = new NotebookTrust(dataDir);
  const kernels = new KernelSessions(workspace);

  return {
    async model(): Promise<ModelSummary> {
      return summarize(await models.get(), labelCorpora);
    },

    async lens({ text, languages }): Promise<LensView> {
      if (text.trim() === '') throw new UserError('the text is empty', 'Type a sentence to run the logit lens on.');
      const model = await models.get();
      const labels = await labelCorpora.of(model.info.dir);
      const known = labels.languages;
      const unknown = (languages ?? []).filter((l) => !known.includes(l));
      if (unknown.length) throw new UserError(`no token labels for ${unknown.join(', ')} with this model`, `Label against ${known.join(', ')} (from the ${labels.corpus}).`);
      // The same columns whatever order they were asked in: the label corpus's order (sorted for the UDHR).
      const asked = languages ? known.filter((l) => languages.includes(l)) : known;
      // The API keeps the token languages of each label corpus per model, so a page of lens calls counts them once.
      const r = await lens(model, { text, top: 1, ...(asked.length ? { languages: labels.texts([...asked].sort()) } : {}) });
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
      return summarize(await models.open(dir, device), labelCorpora);
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
