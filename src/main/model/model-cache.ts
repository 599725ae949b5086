/**
 * Content hashes of model files and the on-disk cache of instrumented graphs, keyed by that hash.
 * Hashes of big external-data files are memoised by (path, size, mtime) so a second open is fast.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, statSync, linkSync, unlinkSync, openSync, fsyncSync, closeSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function cacheRoot(): string {
  return process.env['BABELSCOPE_CACHE'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'babelscope');
}

async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** sha256 of a file, memoised in the cache by path, size and mtime. */
export async function fileHash(path: string): Promise<string> {
  const st = statSync(path);
  const memoPath = join(cacheRoot(), 'file-hashes.json');
  const key = `${path}|${st.size}|${st.mtimeMs}`;
  let memo: Record<string, string> = {};
  try {
    memo = JSON.parse(readFileSync(memoPath, 'utf8')) as Record<string, string>;
  } catch {
    memo = {};
  }
  const known = memo[key];
  if (known) return known;
  const hash = await hashFile(path);
  memo[key] = hash;
  try {
    atomicWrite(memoPath, JSON.stringify(memo));
  } catch {
    // A read-only cache only costs re-hashing next time.
  }
  return hash;
}

/** The model's identity: hash of the graph bytes and of each external data file. */
export async function modelHash(onnxBytes: Uint8Array, externalFiles: string[]): Promise<string> {
  const h = createHash('sha256');
  h.update(onnxBytes);
  for (const f of externalFiles) h.update(await fileHash(f));
  return h.digest('hex');
}

export function atomicWrite(path: string, data: string | Uint8Array): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/**
 * Writes (once) an instrumented variant of a model into the cache and returns its path. External data
 * must sit in the same folder (onnxruntime rejects paths that escape it, symlinks included), so it is
 * hard-linked there; `linked` is false when that is impossible (another filesystem) and the caller
 * must pass the external data as buffers instead.
 */
export function cachedVariant(hash: string, variant: string, externalFiles: { location: string; path: string }[], build: () => Uint8Array): { path: string; linked: boolean } {
  const dir = join(cacheRoot(), 'models', hash);
  const path = join(dir, `${variant}.onnx`);
  mkdirSync(dir, { recursive: true });
  let linked = true;
  for (const ext of externalFiles) {
    const link = join(dir, ext.location);
    // The link must be this folder's own file: a copy of the model elsewhere has the same hash but
    // may be edited in place later, and a link to it would silently load other weights.
    if (existsSync(link) && statSync(link).ino === statSync(ext.path).ino) continue;
    try {
      mkdirSync(join(link, '..'), { recursive: true });
      if (existsSync(link)) unlinkSync(link);
      linkSync(ext.path, link);
    } catch {
      linked = false;
    }
  }
  if (!existsSync(path)) atomicWrite(path, build());
  return { path, linked };
}
