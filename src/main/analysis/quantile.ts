/**
 * The order statistics the reference implementations use, with their exact definitions.
 */

/**
 * Python's built-in `round()`: nearest integer, halves to the even neighbour (`round(8.5) == 8`,
 * `round(9.5) == 10`), unlike `Math.round`.
 */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * `torch.Tensor.kthvalue(round(N * rate))` over `values`: the k-th smallest value (1-based) with
 * k = round_half_even(N × rate), k clamped to [1, N]. No interpolation. `values` is not modified.
 * Throws on an empty input.
 */
export function kthValueQuantile(values: ArrayLike<number>, rate: number): number {
  const n = values.length;
  if (n === 0) throw new Error('kthValueQuantile: no values');
  const k = Math.min(n, Math.max(1, roundHalfEven(n * rate)));
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  return sorted[k - 1]!;
}
