/**
 * examples/slurm/serve.sbatch on a live one-node Slurm: the workbench starts on the node, its URL with
 * the token lands in a file only the user can read (and not in the job's log), the API answers with the
 * token (a kernel runs a cell), and scancel stops it all: no process of the job left, no files left.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TOKEN_HEADER } from '../../../src/shared/backend-contract.js';
import { examplesDir, jobEnv, scancel, slurmSkipReason, waitForJob } from './live-slurm.js';

const skip = slurmSkipReason();
if (skip) console.log(`# skipped: ${skip}`);

/** A process that still runs (a zombie, ended but not yet reaped by init, does not). */
const running = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('the workbench as a Slurm job (examples/slurm/serve.sbatch)', { skip }, () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'babelscope-slurm-serve-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('serves on the node with a private URL file; scancel ends the server and its kernels and leaves no files', { timeout: 180_000 }, async () => {
    const workspace = join(tmp, 'workspace');
    const jobTmp = join(tmp, 'job-tmp');
    mkdirSync(workspace);
    mkdirSync(jobTmp);
    const urlFile = join(tmp, 'private', 'serve.url');
    const log = join(tmp, 'serve.log');
    const job = execFileSync('sbatch', ['--parsable', `--output=${log}`, join(examplesDir, 'serve.sbatch'), workspace, '--device', 'cpu'], {
      cwd: tmp,
      encoding: 'utf8',
      env: { ...process.env, ...jobEnv, BABELSCOPE_URL_FILE: urlFile, TMPDIR: jobTmp },
    }).trim();
    try {
      const until = Date.now() + 120_000;
      while (!existsSync(urlFile)) {
        assert.ok(Date.now() < until, `no URL file after 120 s: ${existsSync(log) ? readFileSync(log, 'utf8') : 'no log'}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(statSync(urlFile).mode & 0o777, 0o600, 'only the user can read the URL file');
      const url = new URL(readFileSync(urlFile, 'utf8').trim());
      assert.equal(url.hostname, '127.0.0.1', 'loopback only');
      const token = url.searchParams.get('token')!;
      assert.ok(token.length >= 32);
      const jobLog = readFileSync(log, 'utf8');
      assert.ok(!jobLog.includes(token), 'the token is not in the job log');
      assert.match(jobLog, new RegExp(`ssh -N -L ${url.port}:127\\.0\\.0\\.1:${url.port} -J \\S+ \\S+`));

      const rpc = async (method: string, params: unknown, withToken = true) => {
        const res = await fetch(new URL('/api/rpc', url.origin), {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(withToken ? { [TOKEN_HEADER]: token } : {}) },
          body: JSON.stringify({ method, params }),
        });
        return { status: res.status, body: (await res.json()) as { result?: any; error?: { message: string } } };
      };
      assert.equal((await rpc('workspace.info', {}, false)).status, 403, 'no token, no answer');
      const info = await rpc('workspace.info', {});
      assert.equal(info.status, 200);
      assert.equal(info.body.result.root, workspace);
      // A kernel (its own process) runs a cell that records its pid.
      const { session } = (await rpc('kernel.start', { path: 'analysis.ipynb' })).body.result;
      const ran = await rpc('kernel.execute', {
        session,
        cellId: 'c1',
        code: `import { writeFileSync } from 'node:fs';\nwriteFileSync('kernel.pid', String(process.pid));`,
      });
      assert.equal(ran.body.result?.status, 'ok', JSON.stringify(ran.body));
      const kernelPid = Number(readFileSync(join(workspace, 'kernel.pid'), 'utf8'));
      const pids = spawnSync('scontrol', ['listpids', job], { encoding: 'utf8' })
        .stdout.split('\n')
        .slice(1)
        .map((l) => Number(l.trim().split(/\s+/)[0]))
        .filter((p) => p > 0);
      assert.ok(pids.includes(kernelPid), `the kernel ${kernelPid} runs inside the job (${pids.join(' ')})`);
      assert.ok(readdirSync(jobTmp).some((f) => f.startsWith('babelscope-kernel-')), 'the kernel has its connection file');

      scancel(job);
      const [state] = await waitForJob(job, 60_000);
      assert.equal(state!.state, 'CANCELLED');
      // Slurm has sent SIGTERM to each; children that outlived their parent (esbuild's service) end on their own.
      const gone = Date.now() + 10_000;
      while ([...pids, kernelPid].some(running) && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
      for (const pid of [...pids, kernelPid]) assert.ok(!running(pid), `process ${pid} of the job still runs: ${spawnSync('ps', ['-o', 'pid,ppid,stat,args', '-p', String(pid)], { encoding: 'utf8' }).stdout}`);
      assert.ok(!existsSync(urlFile), 'the URL file is removed');
      assert.deepEqual(readdirSync(jobTmp), [], 'no temporary files left (kernel connection files, the printed URL)');
      assert.deepEqual(readdirSync(workspace), ['kernel.pid'], 'nothing else written into the workspace');
      assert.match(readFileSync(log, 'utf8'), /babelscope serve stopped \(exit 0\)/);
    } finally {
      spawnSync('scancel', [job]);
    }
  });
});
