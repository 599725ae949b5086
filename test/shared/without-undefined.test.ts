import assert from 'node:assert/strict';
import { it } from 'node:test';
import { withoutUndefined } from '../../src/shared/without-undefined.js';

it('drops undefined keys and keeps every other value, falsy ones included', () => {
  const maybe = (x: number | undefined) => x;
  const o = withoutUndefined({ a: 1, b: maybe(undefined), c: 0, d: '', e: null, f: false });
  assert.deepEqual(o, { a: 1, c: 0, d: '', e: null, f: false });
  assert.ok(!('b' in o));
  // The type: `b` is optional and, when present, a number (this line would not compile otherwise).
  const b: number | undefined = o.b;
  assert.equal(b, undefined);
  const defaults = { a: 5, b: 7 };
  assert.deepEqual({ ...defaults, ...o }, { a: 1, b: 7, c: 0, d: '', e: null, f: false });
});
