/**
 * The compiler runs with `exactOptionalPropertyTypes`: an optional property is either absent or holds a
 * value, never `undefined`, so `{ ...DEFAULTS, ...options }` can trust every key it gets. Options that
 * arrive as "maybe undefined" (a CLI flag not given, a field forwarded from another options object) go
 * through this instead of one `...(x !== undefined ? { x } : {})` spread per key.
 */
export type WithoutUndefined<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/** A copy of `o` without the keys whose value is `undefined`. */
export function withoutUndefined<T extends object>(o: T): WithoutUndefined<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as WithoutUndefined<T>;
}
