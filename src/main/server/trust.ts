/**
 * Which notebooks' HTML and JavaScript outputs may run, as Jupyter decides it (`jupyter trust`,
 * nbformat's `sign.py`): a notebook is trusted when this user produced its outputs here or said so.
 * A trusted notebook's outputs are signed with an HMAC-SHA256 under a per-user secret key, and the
 * signatures are kept in the user's data folder, never in the notebook (a file from elsewhere cannot
 * carry its own trust). Outputs of a notebook that was not run here render without scripts until the
 * user trusts it.
 *
 * What is signed: the code cells' outputs in order (canonical JSON), so editing sources keeps trust and
 * any change to an output (a new script, a changed HTML) needs trust again.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson } from '../../shared/canonical-json.js';

/** Signatures kept at most (oldest dropped first), as Jupyter's signature store culls. */
const MAX_SIGNATURES = 10_000;

/** The user's Babelscope data folder: $BABELSCOPE_DATA_DIR, else $XDG_DATA_HOME/babelscope, else ~/.local/share/babelscope. */
export function userDataDir(): string {
  const env = process.env['BABELSCOPE_DATA_DIR'];
  if (env) return env;
  return join(process.env['XDG_DATA_HOME'] || join(homedir(), '.local', 'share'), 'babelscope');
}

/** The part of a notebook that is signed, or null when the text is not a notebook (never trusted). */
export function signedPart(text: string): string | null {
  let nb: unknown;
  try {
    nb = JSON.parse(text);
  } catch {
    return null;
  }
  const cells = (nb as { cells?: unknown } | null)?.cells;
  if (!Array.isArray(cells)) return null;
  return canonicalJson(cells.map((c) => ((c as { cell_type?: unknown } | null)?.cell_type === 'code' ? ((c as { outputs?: unknown }).outputs ?? []) : null)));
}

export class NotebookTrust {
  private key: Promise<Buffer> | undefined;
  /** Writes of the signature file, one at a time. */
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly dir: string = userDataDir()) {}

  /** True when this text's outputs were signed by this user. */
  async isTrusted(text: string): Promise<boolean> {
    // No key yet: nothing was ever signed (and reading makes no file in the user's folder).
    if (!this.key && !existsSync(join(this.dir, 'notebook_secret'))) return false;
    const sig = await this.signature(text);
    return sig !== null && (await this.loadSignatures()).includes(sig);
  }

  /** Records this text's outputs as trusted (a save of outputs produced here, or the user's Trust). */
  async sign(text: string): Promise<void> {
    const sig = await this.signature(text);
    if (sig === null) return;
    // Read, add, write: one at a time in this process; the file is replaced whole (rename).
    const write = this.writing.then(async () => {
      const list = (await this.loadSignatures()).filter((s) => s !== sig);
      list.push(sig);
      if (list.length > MAX_SIGNATURES) list.splice(0, list.length - MAX_SIGNATURES);
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      const file = join(this.dir, 'trusted-notebooks.json');
      await writeFileAtomic(file, JSON.stringify({ version: 1, signatures: list }), { mode: 0o600, what: 'the trusted-notebooks list' });
    });
    this.writing = write.catch(() => {});
    await write;
  }

  private async signature(text: string): Promise<string | null> {
    const part = signedPart(text);
    return part === null ? null : createHmac('sha256', await this.secret()).update(part).digest('hex');
  }

  /** The per-user secret (32 random bytes, mode 0600), made on first use like Jupyter's notebook_secret. */
  private secret(): Promise<Buffer> {
    return (this.key ??= (async () => {
      const file = join(this.dir, 'notebook_secret');
      const read = async () => Buffer.from((await readFile(file, 'utf8')).trim(), 'hex');
      try {
        const k = await read();
        if (k.length >= 32) return k;
      } catch {
        /* made below */
      }
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      try {
        await writeFile(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; // another backend made it first
      }
      return read();
    })());
  }

  /** Read each time, so a notebook trusted in another window or backend counts here too. */
  private async loadSignatures(): Promise<string[]> {
    try {
      const list = (JSON.parse(await readFile(join(this.dir, 'trusted-notebooks.json'), 'utf8')) as { signatures?: unknown }).signatures;
      return Array.isArray(list) ? list.filter((s): s is string => typeof s === 'string') : [];
    } catch {
      return [];
    }
  }
}
