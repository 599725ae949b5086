/**
 * Confidence intervals every reported number carries (issue 17): Wilson score intervals for
 * proportions, percentile bootstrap over units (texts, prompts) for means and other statistics.
 * Pure and seeded, so a figure made twice is the same figure.
 */
import { mulberry32 } from './random.js';

/** A two-sided interval around a point estimate, with how it was computed. */
export interface Interval {
  low: number;
  high: number;
  /** Coverage, 0.95 by default. */
  level: number;
  /** How the interval was computed: `wilson`, `bootstrap-percentile (B, over texts)`, … */
  method: string;
}

/** The standard normal quantile for a two-sided level (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs 0 < p < 1, got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lowTail = 0.02425;
  if (p < lowTail) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lowTail) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/**
 * Wilson score interval for `successes` of `n` trials (Wilson 1927; Brown, Cai & DasGupta 2001 recommend
 * it over the normal approximation for small n and rates near 0 or 1). n = 0 gives [0, 1].
 */
export function wilsonInterval(successes: number, n: number, level = 0.95): Interval {
  if (!(n >= 0) || !(successes >= 0) || successes > n) throw new RangeError(`wilsonInterval needs 0 ≤ successes ≤ n, got ${successes} of ${n}`);
  const method = 'wilson';
  if (n === 0) return { low: 0, high: 1, level, method };
  const z = normalQuantile(1 - (1 - level) / 2);
  const p = successes / n;
  const z2n = (z * z) / n;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + z2n);
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half), level, method };
}

export interface BootstrapOptions {
  /** Resamples; 2000 by default. */
  resamples?: number;
  level?: number;
  seed?: number;
  /** What a unit is, for the method label: "texts", "prompts", … */
  units?: string;
}

/** Linear-interpolated quantile (type 7, numpy's default) of an ascending-sorted array. */
export function sortedQuantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * Percentile bootstrap interval of `statistic` over `units` resampled with replacement (Efron &
 * Tibshirani 1993, ch. 13). Fewer than 2 units give a degenerate interval at the point estimate.
 */
export function bootstrapInterval<T>(units: readonly T[], statistic: (sample: readonly T[]) => number, options: BootstrapOptions = {}): Interval {
  const resamples = options.resamples ?? 2000;
  const level = options.level ?? 0.95;
  const method = `bootstrap-percentile (${resamples} resamples over ${options.units ?? 'units'})`;
  const n = units.length;
  if (n < 2) {
    const v = n === 1 ? statistic(units) : Number.NaN;
    return { low: v, high: v, level, method };
  }
  const rand = mulberry32(options.seed ?? 1);
  const values = new Float64Array(resamples);
  const sample: T[] = new Array(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) sample[i] = units[Math.floor(rand() * n)]!;
    values[b] = statistic(sample);
  }
  values.sort();
  const alpha = (1 - level) / 2;
  return { low: sortedQuantile(values, alpha), high: sortedQuantile(values, 1 - alpha), level, method };
}

/** Bootstrap interval of the mean of `values` over their units. */
export function bootstrapMeanInterval(values: readonly number[], options: BootstrapOptions = {}): Interval {
  return bootstrapInterval(values, mean, options);
}

export function mean(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return values.length ? s / values.length : Number.NaN;
}
