import assert from 'node:assert/strict';
import { test } from 'node:test';
import { float32ToHalf, halfBits, halfToFloat32 } from '../../src/shared/float16.js';
import { mulberry32 } from '../../src/shared/random.js';

const allHalves = Uint16Array.from({ length: 65536 }, (_, i) => i);
const values = halfToFloat32(allHalves);

test('every half value converts to float32 and back to the same bits', () => {
  for (let h = 0; h < 65536; h++) {
    if (Number.isNaN(values[h])) {
      assert.ok((halfBits(values[h]!) & 0x7fff) > 0x7c00, `NaN ${h.toString(16)} stays NaN`);
      continue;
    }
    assert.equal(halfBits(values[h]!), h, `bits ${h.toString(16)} (${values[h]})`);
  }
  assert.equal(values[0x3c00], 1);
  assert.equal(values[0x7bff], 65504);
  assert.equal(values[0x0001], 2 ** -24);
  assert.equal(values[0xc000], -2);
});

test('values between two halves round to the nearer one, ties to the even one', () => {
  for (let h = 0; h < 0x7bff; h++) {
    const lo = values[h]!;
    const hi = values[h + 1]!;
    const mid = (lo + hi) / 2; // exact in float32: halves have 11 significant bits
    assert.equal(halfBits(mid), h % 2 === 0 ? h : h + 1, `tie between ${lo} and ${hi}`);
    assert.equal(halfBits(lo + (hi - lo) * 0.25), h);
    assert.equal(halfBits(lo + (hi - lo) * 0.75), h + 1);
    assert.equal(halfBits(-mid), (h % 2 === 0 ? h : h + 1) | 0x8000);
  }
});

test('overflow: a vector beyond ±65504 has no float16 form; infinities and tiny values convert', () => {
  assert.equal(halfBits(65520), 0x7c00, '65520 rounds past the largest half');
  assert.equal(halfBits(2 ** -26), 0, 'below half the smallest subnormal: zero');
  assert.equal(float32ToHalf(Float32Array.from([1, 65519])) !== null, true);
  assert.equal(float32ToHalf(Float32Array.from([1, -70000])), null);
  assert.deepEqual(float32ToHalf(Float32Array.from([Infinity, -0.5])), Uint16Array.from([0x7c00, 0xb800]));
});

test('float32ToHalf gives halfBits of every value, reading the float32 bits in place (also from a view at an offset)', () => {
  const random = mulberry32(7);
  const backing = new Uint32Array(1 + 200_000);
  for (let i = 0; i < backing.length; i++) backing[i] = Math.floor(random() * 2 ** 32);
  const view = new Float32Array(backing.buffer, 4, 200_000).map((v) => (Number.isNaN(v) || Math.abs(v) > 65504 ? 0.5 : v));
  const offset = new Float32Array(view.length + 1);
  offset.set(view, 1);
  const atOffset = offset.subarray(1);
  const want = Uint16Array.from(view, (v) => halfBits(v));
  assert.deepEqual(float32ToHalf(view), want);
  assert.deepEqual(float32ToHalf(atOffset), want);
  assert.deepEqual(float32ToHalf(Float32Array.from([-Infinity, -0, 2 ** -149, 65504])), Uint16Array.from([0xfc00, 0x8000, 0, 0x7bff]));
});
