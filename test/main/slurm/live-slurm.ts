/**
 * The live one-node Slurm the tests in this folder submit to (scripts/slurm-up.sh brings it up; CI runs
 * it before the tests). Jobs run the built CLI of this checkout through BABELSCOPE, as the examples'
 * README says; SBATCH_GRES=none takes away the examples' `--gres=gpu:1` on this GPU-less node.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cliPath } from '../../helpers/cli.js';
import { repoRoot } from '../../helpers/paths.js';

export const examplesDir = join(repoRoot, 'examples', 'slurm');

export const jobEnv: Record<string, string> = { BABELSCOPE: `${process.execPath} ${cliPath}`, SBATCH_GRES: 'none' };

const answers = () => spawnSync('scontrol', ['ping'], { encoding: 'utf8' }).stdout?.includes('is UP') === true;

/** Why the live-Slurm tests cannot run here (one line), or undefined when Slurm answers. */
export function slurmSkipReason(): string | undefined {
  if (spawnSync('sbatch', ['--version']).error) return 'no Slurm here (no sbatch); as root, scripts/slurm-up.sh installs and starts a one-node Slurm';
  if (answers()) return undefined;
  if (process.getuid?.() !== 0) return 'Slurm does not answer and starting it needs root: run scripts/slurm-up.sh as root';
  const up = spawnSync('bash', [join(repoRoot, 'scripts', 'slurm-up.sh')], { encoding: 'utf8' });
  if (up.status === 0 && answers()) return undefined;
  return (up.stderr || 'scripts/slurm-up.sh could not start Slurm').trim().split('\n').pop();
}

export interface JobState {
  id: string;
  state: string;
  exitCode: string;
}

/** The jobs (array tasks one by one) `scontrol` knows by this id; finished jobs stay known for MinJobAge (300 s). */
export function jobStates(id: string): JobState[] {
  const out = spawnSync('scontrol', ['-o', 'show', 'job', id], { encoding: 'utf8' }).stdout ?? '';
  return out
    .split('\n')
    .filter((l) => l.includes('JobId='))
    .map((l) => {
      const field = (name: string) => new RegExp(`(?:^| )${name}=(\\S+)`).exec(l)?.[1] ?? '';
      const task = field('ArrayTaskId');
      return { id: task ? `${field('ArrayJobId')}_${task}` : field('JobId'), state: field('JobState'), exitCode: field('ExitCode') };
    });
}

const FINAL = /^(COMPLETED|FAILED|CANCELLED|TIMEOUT|OUT_OF_MEMORY|NODE_FAIL|PREEMPTED|BOOT_FAIL|DEADLINE)/;

/** Pending, running or completing (processes still ending) jobs with this id, as squeue lists them. */
const queued = (id: string) => (spawnSync('squeue', ['-h', '-j', id, '-o', '%i %T'], { encoding: 'utf8' }).stdout ?? '').trim();

/** Waits until every job with this id has ended, its processes included, and returns their states. */
export async function waitForJob(id: string, timeoutMs = 300_000): Promise<JobState[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const states = jobStates(id);
    if (states.length > 0 && states.every((s) => FINAL.test(s.state)) && queued(id) === '') return states;
    if (Date.now() > until) throw new Error(`job ${id} still ${states.map((s) => `${s.id} ${s.state}`).join(', ')} after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Runs examples/slurm/submit.sh; returns the merge job id (its last stdout line) and the array id (from stderr). */
export function submit(args: string[], cwd: string): { merge: string; array: string; stderr: string } {
  const r = spawnSync(join(examplesDir, 'submit.sh'), args, { cwd, encoding: 'utf8', env: { ...process.env, ...jobEnv } });
  if (r.status !== 0) throw new Error(`submit.sh exited ${r.status}: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  const array = /job array (\d+)/.exec(r.stderr)?.[1];
  if (!array) throw new Error(`no array id in: ${r.stderr}`);
  return { merge: lines[lines.length - 1]!, array, stderr: r.stderr };
}

export function scancel(id: string): void {
  execFileSync('scancel', [id]);
}
