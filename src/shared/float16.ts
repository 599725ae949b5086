/**
 * IEEE 754 half precision (binary16) in plain JS: Node 20 has no Float16Array. Conversions round to
 * the nearest value, ties to even, as numpy's `astype(np.float16)` and torch's `.half()` do.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The binary16 bits of `x` (rounded to nearest even; beyond ±65504 it becomes ±Infinity). */
export function halfBits(x: number): number {
  f32[0] = x;
  return halfOfFloat32Bits(u32[0]!);
}

/** The binary16 bits of the float32 whose bits are `b`. */
function halfOfFloat32Bits(b: number): number {
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 112; // rebias 127 → 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++; // a carry into the exponent is still correct
  return sign | h;
}

let table: Float32Array | undefined;

/** All 65536 half values as float32, built on first use (256 KiB). */
function halfTable(): Float32Array {
  if (table) return table;
  table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    table[h] = exp === 0 ? sign * 2 ** -14 * (frac / 1024) : exp === 31 ? (frac ? NaN : sign * Infinity) : sign * 2 ** (exp - 15) * (1 + frac / 1024);
  }
  return table;
}

export function halfToFloat32(bits: Uint16Array): Float32Array {
  const t = halfTable();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = t[bits[i]!]!;
  return out;
}

/**
 * `values` as binary16, or null when a finite value lies beyond the half range (±65504) and would
 * turn into Infinity: callers then keep float32 rather than lose the vector.
 */
export function float32ToHalf(values: Float32Array): Uint16Array | null {
  // The float32 bits read in place: half the time of a scratch write per value (capture encodes every
  // pooled vector of every text this way).
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i]!;
    const h = halfOfFloat32Bits(b);
    if ((h & 0x7fff) === 0x7c00 && (b & 0x7f800000) !== 0x7f800000) return null;
    out[i] = h;
  }
  return out;
}
