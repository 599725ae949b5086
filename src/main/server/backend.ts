/** The backend's methods, implemented over a loaded model (the renderer calls them through /api/rpc). */
import type { BackendMethods, LensView, ModelSummary } from '../../shared/backend-contract.js';
import { UserError } from '../../shared/errors.js';
import { tokenLanguagesOfCorpus } from '../capture/working-language-run.js';
import { readCorpus } from '../corpus/index.js';
import type { Model } from '../model/model.js';

type Async<T> = { [K in keyof T]: T[K] extends (p: infer P) => infer R ? (p: P) => Promise<R> : never };
export type Backend = Async<BackendMethods>;

export function createBackend(model: Model): Backend {
  const languageSets = new Map<string, ReturnType<typeof tokenLanguagesOfCorpus>>();
  // Token languages come from the UDHR in those languages; computed once per language set.
  const setsFor = (languages: string[]) => {
    const key = [...languages].sort().join(',');
    let sets = languageSets.get(key);
    if (!sets) {
      sets = readCorpus(`udhr:${key}`).then((texts) => tokenLanguagesOfCorpus(model, texts));
      languageSets.set(key, sets);
      sets.catch(() => languageSets.delete(key));
    }
    return sets;
  };

  return {
    async model(): Promise<ModelSummary> {
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
      };
    },

    async lens({ text, languages }): Promise<LensView> {
      if (text.trim() === '') throw new UserError('the text is empty', 'Type a sentence to run the logit lens on.');
      const enc = await model.tokenizer.encode(text);
      const langs = languages?.length ? await setsFor(languages) : null;
      const r = await model.lens({ inputIds: [enc.ids], topK: 1, ...(langs ? { tokenSets: langs.sets } : {}) });
      const t = r.texts[0]!;
      const labels = langs?.tokens.labels ?? [];
      return {
        tokens: enc.tokens,
        languages: labels,
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
  };
}
