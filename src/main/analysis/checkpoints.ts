/**
 * The same analyses over several model folders (training checkpoints), side by side:
 * - jaccard[lang][i][j] = |N_i ∩ N_j| / |N_i ∪ N_j| of the language's LAPE neuron sets (a neuron is
 *   `[layer, index]`) at checkpoints i and j; 1 when both sets are empty; null when a checkpoint's LAPE
 *   result does not have the language;
 *   jaccardChance[lang][i][j]: what two random sets of those sizes among the N neurons would give
 *   (hypergeometric intersection: expected J and its 2.5–97.5 % band), so an overlap is read against
 *   chance, not against 0;
 * - neuronCounts[lang][i] and perLayer[lang][i][layer] from each LAPE result, with `selectedTotal[i]`
 *   (LAPE takes a fixed share of all neurons, so its counts are zero-sum across languages);
 * - learned[lang][i]: whether checkpoint i has learned the language (mean NLL < ln |V|, a uniform guess;
 *   analysis/unlearned.ts); where it has not, its neurons for the language are meaningless, and so is any
 *   overlap or count that involves them;
 * - nll[lang][i]: mean NLL per language per checkpoint, as given (null where missing);
 * - workingTop1[label][i][layer]: the overall top-1 share of each working-language label, when the
 *   checkpoints come with a working-language result;
 * - alignment: each language's MEXA against the pivot (mean and max over layers) beside its chance
 *   level, when the checkpoints come with an alignment result (null where missing).
 */
import { UserError } from '../../shared/errors.js';
import { jaccardChance, type JaccardChance } from '../../shared/significance.js';
import type { LearnedCheck } from '../../shared/result-types.js';
import type { AlignmentResult } from './alignment.js';
import type { NeuronSelection } from './lape.js';
import type { WorkingLanguageResult } from './working-language.js';

export interface CheckpointInput {
  /** Checkpoint name (e.g. the folder or the training step). */
  name: string;
  lape: NeuronSelection;
  /** language → mean NLL at this checkpoint. */
  nll?: Readonly<Record<string, number>>;
  workingLanguage?: WorkingLanguageResult;
  alignment?: AlignmentResult;
  /** Which languages this checkpoint has learned (defaults to the selection's own `learnedCheck`). */
  learnedCheck?: LearnedCheck;
}

/** Checkpoints side by side, in training order. */
export interface CheckpointComparison {
  checkpoints: string[];
  /** LAPE languages over all checkpoints, first-seen order. */
  languages: string[];
  /** language → [checkpoint][checkpoint] Jaccard overlap of neuron sets. */
  jaccard: Record<string, (number | null)[][]>;
  /** language → [checkpoint][checkpoint] Jaccard of random sets of the same sizes among the same neurons (null where jaccard is). */
  jaccardChance: Record<string, (JaccardChance | null)[][]>;
  /** language → [checkpoint] whether it has learned the language (NLL < ln |V|); null where unknown. */
  learned: Record<string, (boolean | null)[]>;
  /** [checkpoint] ln |V|, the NLL of a uniform guess (null where unknown). */
  uniformNll: (number | null)[];
  /** [checkpoint] neurons selected in all (LAPE: a fixed quota, so counts are zero-sum across languages). */
  selectedTotal: number[];
  /** language → [checkpoint] number of neurons (null where the language is missing). */
  neuronCounts: Record<string, (number | null)[]>;
  /** language → [checkpoint] neurons per layer (null where the language is missing). */
  perLayer: Record<string, (number[] | null)[]>;
  /** Languages with an NLL at some checkpoint, first-seen order. */
  nllLanguages: string[];
  /** language → [checkpoint] mean NLL. */
  nll: Record<string, (number | null)[]>;
  /** label → [checkpoint] per-layer top-1 share (null where the checkpoint has no such result). */
  workingTop1: Record<string, (number[] | null)[]>;
  /** MEXA against the pivot per checkpoint (null without alignment results; pivots must agree). */
  alignment: {
    pivot: string;
    languages: string[];
    /** language → [checkpoint] mean / max over layers, and the chance level. */
    mean: Record<string, (number | null)[]>;
    max: Record<string, (number | null)[]>;
    chance: Record<string, (number | null)[]>;
  } | null;
}

/** Jaccard index of two sets (1 for two empty sets). */
export function jaccard<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  return inter / (a.size + b.size - inter);
}

/** Compare LAPE neurons, NLL and working language across checkpoints. */
export function compareCheckpoints(checkpoints: readonly CheckpointInput[]): CheckpointComparison {
  const names = checkpoints.map((c) => c.name);
  if (new Set(names).size !== names.length) throw new UserError('checkpoint names must be distinct');
  const languages: string[] = [];
  for (const c of checkpoints) for (const l of c.lape.languages) if (!languages.includes(l)) languages.push(l);

  const sets = checkpoints.map((c) => {
    const m = new Map<string, Set<string>>();
    for (const lang of c.lape.languages) m.set(lang, new Set((c.lape.neurons[lang] ?? []).map(([l, n]) => `${l}:${n}`)));
    return m;
  });
  const jac: Record<string, (number | null)[][]> = {};
  const chance: Record<string, (JaccardChance | null)[][]> = {};
  const totalNeurons = checkpoints.map((c) => c.lape.neuronsPerLayer.reduce((a, b) => a + b, 0));
  const checks = checkpoints.map((c) => c.learnedCheck ?? c.lape.learnedCheck ?? null);
  const learned: Record<string, (boolean | null)[]> = {};
  const neuronCounts: Record<string, (number | null)[]> = {};
  const perLayer: Record<string, (number[] | null)[]> = {};
  for (const lang of languages) {
    jac[lang] = sets.map((a) =>
      sets.map((b) => {
        const sa = a.get(lang);
        const sb = b.get(lang);
        return sa && sb ? jaccard(sa, sb) : null;
      }),
    );
    chance[lang] = sets.map((a, i) =>
      sets.map((b, j) => {
        const sa = a.get(lang);
        const sb = b.get(lang);
        // Random sets among the checkpoints' neurons (the same model shape; the smaller if they differ).
        return sa && sb ? jaccardChance(sa.size, sb.size, Math.min(totalNeurons[i]!, totalNeurons[j]!)) : null;
      }),
    );
    learned[lang] = checks.map((c) => (c && lang in c.meanNll ? !c.unlearned.includes(lang) : null));
    neuronCounts[lang] = sets.map((s) => s.get(lang)?.size ?? null);
    perLayer[lang] = checkpoints.map((c) => (c.lape.languages.includes(lang) ? [...(c.lape.perLayer[lang] ?? [])] : null));
  }

  const nllLanguages: string[] = [];
  for (const c of checkpoints) for (const l of Object.keys(c.nll ?? {})) if (!nllLanguages.includes(l)) nllLanguages.push(l);
  const nll: Record<string, (number | null)[]> = {};
  for (const lang of nllLanguages) nll[lang] = checkpoints.map((c) => c.nll?.[lang] ?? null);

  const labels: string[] = [];
  for (const c of checkpoints) for (const l of c.workingLanguage?.labels ?? []) if (!labels.includes(l)) labels.push(l);
  const workingTop1: Record<string, (number[] | null)[]> = {};
  for (const label of labels) {
    workingTop1[label] = checkpoints.map((c) => {
      const row = c.workingLanguage?.overall.top1Share[label];
      return row ? [...row] : null;
    });
  }

  return {
    checkpoints: names,
    languages,
    jaccard: jac,
    jaccardChance: chance,
    learned,
    uniformNll: checks.map((c) => c?.uniformNll ?? null),
    selectedTotal: checkpoints.map((c) => c.lape.selected.length),
    neuronCounts, perLayer, nllLanguages, nll, workingTop1, alignment: alignmentOverCheckpoints(checkpoints) };
}

function alignmentOverCheckpoints(checkpoints: readonly CheckpointInput[]): CheckpointComparison['alignment'] {
  const pivots = [...new Set(checkpoints.flatMap((c) => (c.alignment?.pivot ? [c.alignment.pivot.pivot] : [])))];
  if (pivots.length === 0) return null;
  if (pivots.length > 1) throw new UserError(`checkpoints' alignment results use different pivots: ${pivots.join(', ')}`, 'Rerun `babelscope align --pivot LANG` with one pivot on every checkpoint.');
  const pivot = pivots[0]!;
  const languages: string[] = [];
  for (const c of checkpoints) for (const l of c.alignment?.languages ?? []) if (l !== pivot && !languages.includes(l)) languages.push(l);
  const per = (get: (p: NonNullable<AlignmentResult['pivot']>, lang: string) => number | null | undefined) =>
    Object.fromEntries(languages.map((l) => [l, checkpoints.map((c) => (c.alignment?.pivot ? (get(c.alignment.pivot, l) ?? null) : null))]));
  return {
    pivot,
    languages,
    mean: per((p, l) => p.mean[l]),
    max: per((p, l) => p.max[l]),
    chance: per((p, l) => p.chanceMexa?.[l]),
  };
}
