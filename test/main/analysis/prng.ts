/** Seeded randomness so synthetic test data is the same on every run. */
export { mulberry32 } from '../../../src/shared/random.js';

/** Integer in [lo, hi] (inclusive). */
export function randInt(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}
