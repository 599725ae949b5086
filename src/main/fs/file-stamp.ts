import { stat } from 'node:fs/promises';

/** A file's identity and version (device, inode, size, modification and change times in ns): a rewrite, a replacement or a touch changes it. */
export async function fileStamp(path: string): Promise<string> {
  const s = await stat(path, { bigint: true });
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
}
