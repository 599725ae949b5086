/** Turning one language's stored LAPE neurons into neuron interventions for generation or forward passes. */
import { UserError } from '../../shared/errors.js';
import type { NeuronSelection } from '../analysis/lape.js';
import type { NeuronIntervention } from '../model/types.js';

/** `lang`'s LAPE neurons, each multiplied by `scale` (0 ablates, > 1 amplifies). */
export function languageNeuronInterventions(result: NeuronSelection, lang: string, scale: number): NeuronIntervention[] {
  const neurons = result.neurons[lang];
  if (!result.languages.includes(lang) || neurons === undefined) {
    throw new UserError(`no LAPE neurons for language "${lang}"`, `Languages of this LAPE result: ${result.languages.join(', ')}.`);
  }
  if (neurons.length === 0) {
    throw new UserError(`LAPE assigned no neurons to "${lang}"`, 'Rerun `babelscope lape` with a larger --top-rate, or pick another language.');
  }
  return neurons.map(([layer, index]) => ({ layer, index, scale }));
}
