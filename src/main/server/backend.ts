/** The backend's methods (src/shared/backend-contract.ts), over the workbench's model and workspace. */
import type { BackendMethods, LensView, ModelSummary } from '../../shared/backend-contract.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { labelCoverage } from '../analysis/label-coverage.js';
import { createFastTextIdentifier } from '../analysis/language-id.js';
import { tokenLanguagesOfCorpus } from '../pipelines/working-language-run.js';
import { DEFAULT_LABEL_LANGUAGES, readCorpus, readJsonlCorpus, type CorpusText } from '../corpus/index.js';
import { removeDeadKernelFiles } from '../kernel/leftovers.js';
import type { Model } from '../model/model.js';
import type { ModelSlot } from './model-slot.js';
import { apiTypes } from './api-types.js';
import { nodeTypes } from './node-types.js';
import { exportFigure } from './figure-export.js';
import { KernelSessions } from './kernel-sessions.js';
import { listStores, storeOverview, storeQuery } from './store-browser.js';
import { stopQueryProcesses } from './store-query-process.js';
import { NotebookTrust } from './trust.js';
import { Workspace } from './workspace.js';

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
  const langs = new Set<string>();
  for await (const t of readJsonlCorpus(path)) langs.add(t.lang);
  return [...langs];
}

async function labelTexts(dir: string, languages: readonly string[]): Promise<CorpusText[]> {
  const { path } = labelSource(dir);
  if (!path) return readCorpus(`udhr:${languages.join(',')}`);
  const wanted = new Set(languages);
  const texts: CorpusText[] = [];
  for await (const t of readJsonlCorpus(path)) if (wanted.has(t.lang)) texts.push(t);
  return texts;
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
  const languageSets = new Map<string, ReturnType<typeof tokenLanguagesOfCorpus>>();
  // Token languages come from the model's label corpus in those languages; computed once per model and language set.
  const setsFor = (model: Model, languages: string[]) => {
    const sorted = [...languages].sort();
    const key = `${model.info.hash}:${sorted.join(',')}`;
    let sets = languageSets.get(key);
    if (!sets) {
      sets = labelTexts(model.info.dir, sorted).then((texts) => tokenLanguagesOfCorpus(model, texts));
      languageSets.set(key, sets);
      sets.catch(() => languageSets.delete(key));
    }
    return sets;
  };

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
      // In the label corpus's order, whatever order they were asked in (one cache entry, stable columns).
      const asked = languages ? known.filter((l) => languages.includes(l)) : known;
      const enc = await model.tokenizer.encode(text);
      const langs = asked.length ? await setsFor(model, asked) : null;
      const r = await model.lens({ inputIds: [enc.ids], topK: 1, ...(langs ? { tokenSets: langs.sets } : {}) });
      const t = r.texts[0]!;
      const labels = langs?.tokens.labels ?? [];
      const labelWarnings = langs ? labelCoverage(text, labels, { identifier: await createFastTextIdentifier() }).warnings : [];
      return {
        tokens: enc.tokens,
        languages: labels,
        labelWarnings,
        cells: t.topIds.map((perPos, l) =>
          perPos.map((ids, p) => ({
            token: model.tokenizer.idToToken(ids[0]!),
            prob: t.topProbs[l]![p]![0]!,
            entropy: t.entropy[l]![p]!,
            ...(langs ? { languageMass: Object.fromEntries(labels.map((label, k) => [label, t.setMass![l]![p]![k]!])) } : {}),
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
      return { ...file, trusted: await trust.isTrusted(file.text), ...(recovery ? { recovery } : {}) };
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
    'store.query': ({ path, sql }) => storeQuery(workspace, path, sql, queryTimeoutMs !== undefined ? { timeoutMs: queryTimeoutMs } : {}),

    closed: (connection) => kernels.closed(connection),
    dispose: () => {
      stopQueryProcesses();
      return kernels.dispose();
    },
  };
}
