import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

export const cliPath = join(repoRoot, 'dist', 'src', 'main', 'cli', 'index.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would, with no stdin (as another user with `as`, when running as root). */
export function runCli(args: string[], env: Record<string, string> = {}, as: { uid?: number; gid?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...as });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs a command with --json, requires exit 0 (stderr as the failure message) and parses stdout. */
export async function runCliJson(args: string[], env: Record<string, string> = {}): Promise<any> {
  const r = await runCli([...args, '--json'], env);
  if (r.code !== 0) throw new Error(`babelscope ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
