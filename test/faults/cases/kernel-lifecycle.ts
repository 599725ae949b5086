/**
 * The kernel's life under outside faults: killed by a signal, out of memory, exiting, restarted in the
 * middle of a cell, a port taken at launch. Each ends in a status that says what happened (out of
 * memory only on evidence), `dead` told once, and a client that keeps working after a restart.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KernelDeath } from '../../../src/shared/kernel-types.js';
import { KernelClient } from '../../../src/main/kernel/client.js';
import { describeDeath, oomKills } from '../../../src/main/kernel/kernel-process.js';
import { collectEvents, openSocket, sharedBackend, socketCall } from '../backend-fixture.js';
import { faultCase } from '../harness.js';

async function withKernel(fn: (k: KernelClient) => Promise<void>, options: Parameters<typeof KernelClient.start>[0] = {}): Promise<void> {
  const kernel = await KernelClient.start(options);
  try {
    await fn(kernel);
  } finally {
    await kernel.shutdown();
  }
}

const died = (k: KernelClient) => new Promise<KernelDeath>((resolve) => k.onDied(resolve));
const textOf = (outputs: readonly unknown[]) => (outputs.find((o) => (o as { output_type: string }).output_type === 'execute_result') as { data: Record<string, string> } | undefined)?.data['text/plain'];

export function registerCases(): void {
  faultCase('kernel-lifecycle', 'a kernel killed by SIGKILL from outside is "killed (signal SIGKILL)", not out of memory', () =>
    withKernel(async (k) => {
      const death = died(k);
      const run = k.execute('await new Promise((r) => setTimeout(r, 60_000))');
      await new Promise((r) => setTimeout(r, 200));
      process.kill(k.pid!, 'SIGKILL');
      const [d, outcome] = await Promise.all([death, run.done]);
      assert.equal(d.signal, 'SIGKILL');
      assert.match(d.message, /killed \(signal SIGKILL\)/);
      assert.doesNotMatch(d.message, /memory/);
      assert.equal(outcome.status, 'died');
      assert.match(outcome.error!.evalue, /killed \(signal SIGKILL\)/);
    }),
  );

  faultCase('kernel-lifecycle', 'a kernel that fills its heap is reported out of memory (V8’s own message is the evidence)', () =>
    withKernel(
      async (k) => {
        const death = died(k);
        const outcome = await k.execute('const hog: number[][] = []\nwhile (true) hog.push(new Array(1e6).fill(1))').done;
        assert.equal(outcome.status, 'died');
        assert.match((await death).message, /ran out of memory \(its JavaScript heap is full/);
      },
      { nodeArgs: ['--max-old-space-size=48'] },
    ),
  );

  faultCase('kernel-lifecycle', 'a kernel ended by SIGTERM from outside says so', () =>
    withKernel(async (k) => {
      const death = died(k);
      process.kill(k.pid!, 'SIGTERM');
      const d = await death;
      assert.match(d.message, /died \(signal SIGTERM\)|died \(exit code/);
      assert.doesNotMatch(d.message, /memory/);
    }),
  );

  faultCase('kernel-lifecycle', 'process.exit(3) in a cell: the cell ends `died` with the exit code, and later cells do not hang', () =>
    withKernel(async (k) => {
      const outcome = await k.execute('process.exit(3)').done;
      assert.equal(outcome.status, 'died');
      assert.match(outcome.error!.evalue, /exit code 3/);
      const after = await k.execute('1 + 1').done;
      assert.equal(after.status, 'died');
      assert.match(after.error!.evalue, /not running/);
      await assert.rejects(k.interrupt(), /not running/);
    }),
  );

  faultCase('kernel-lifecycle', 'out of memory is named from the cgroup’s oom_kill count only when it grew', () => {
    const dir = mkdtempSync(join(tmpdir(), 'babelscope-fault-cgroup-'));
    try {
      const events = join(dir, 'memory.events');
      writeFileSync(events, 'low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n');
      assert.equal(oomKills(events), 2);
      writeFileSync(events, 'oom_kill_disable 0\nunder_oom 0\noom_kill 4\n'); // cgroup v1 memory.oom_control
      assert.equal(oomKills(events), 4);
      writeFileSync(events, 'low 0\n');
      assert.equal(oomKills(events), null);
      assert.equal(oomKills(join(dir, 'missing')), null);
      assert.match(describeDeath(null, 'SIGKILL', '', true), /out-of-memory killer/);
      assert.match(describeDeath(null, 'SIGKILL', '', false), /killed \(signal SIGKILL\)/);
      assert.match(describeDeath(134, null, 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory', false), /ran out of memory/);
      assert.match(describeDeath(1, null, 'Error: boom', false), /died \(exit code 1\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  faultCase('kernel-lifecycle', 'a restart while a cell is busy says the state was wiped, and it was', () =>
    withKernel(async (k) => {
      assert.equal((await k.execute('const kept = 1').done).status, 'ok');
      const busy = k.execute('while (true) {}');
      await new Promise((r) => setTimeout(r, 300));
      await k.restart();
      const outcome = await busy.done;
      assert.notEqual(outcome.status, 'ok');
      const said = `${outcome.error?.evalue} ${busy.outputs.map((o) => JSON.stringify(o)).join(' ')}`;
      assert.match(said, /state from earlier cells is gone/);
      assert.doesNotMatch(said, /is kept/);
      const fresh = k.execute('typeof kept');
      assert.equal((await fresh.done).status, 'ok');
      assert.equal(textOf(fresh.outputs), "'undefined'");
    }),
  );

  faultCase('kernel-lifecycle', 'a taken port at launch: the retry starts a working kernel without blocking the event loop', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const taken = (blocker.address() as { port: number }).port;
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    try {
      // Only the shell port is the taken one; the others are unlikely to be bound by anyone.
      const ports: [number, number, number, number, number] = [taken, taken + 1, taken + 2, taken + 3, taken + 4];
      await withKernel(
        async (k) => {
          assert.equal(k.status, 'idle');
          const r = k.execute('6 * 7');
          assert.equal((await r.done).status, 'ok');
          assert.equal(textOf(r.outputs), '42');
        },
        { ports },
      );
      assert.ok(ticks > 0, 'timers ran while the kernel started');
    } finally {
      clearInterval(ticker);
      blocker.close();
    }
  });

  faultCase('kernel-lifecycle', 'a kernel killed from outside can be restarted and runs cells again', () =>
    withKernel(async (k) => {
      const death = died(k);
      process.kill(k.pid!, 'SIGKILL');
      await death;
      assert.equal(k.status, 'dead');
      await k.restart();
      const r = k.execute('40 + 2');
      assert.equal((await r.done).status, 'ok');
      assert.equal(textOf(r.outputs), '42');
    }),
  );

  faultCase('kernel-lifecycle', 'shutting a kernel down twice, and restarting twice at once, are harmless', async () => {
    const k = await KernelClient.start();
    await Promise.all([k.restart(), k.restart()]);
    assert.equal((await k.execute('1').done).status, 'ok');
    await k.shutdown();
    await k.shutdown();
    assert.equal(k.status, 'dead');
  });

  const backend = sharedBackend();

  async function pageKernel() {
    const b = await backend();
    const page = await openSocket(b.server);
    const events = collectEvents(page);
    const { result } = await socketCall(page, 'kernel.start', { path: '' });
    const session = result.session as string;
    const exec = (cellId: string, code: string) => socketCall(page, 'kernel.execute', { session, cellId, code });
    return { page, events, session, exec };
  }

  faultCase('kernel-lifecycle', 'through the backend: a kernel killed by SIGKILL is told `dead` once, with the reason', async () => {
    const { page, events, session, exec } = await pageKernel();
    await exec('pid', 'process.pid');
    const pid = Number(events.find((e) => e.event === 'kernel.output' && e.data.cellId === 'pid')!.data.output.data['text/plain']);
    assert.ok(pid > 0);
    process.kill(pid, 'SIGKILL');
    while (!events.some((e) => e.event === 'kernel.status' && e.data.state === 'dead')) await new Promise((r) => setTimeout(r, 50));
    // Anything sent right after would have arrived by the time a round trip completes.
    await socketCall(page, 'workspace.info', {});
    const dead = events.filter((e) => e.event === 'kernel.status' && e.data.session === session && e.data.state === 'dead');
    assert.equal(dead.length, 1, JSON.stringify(dead));
    assert.match(dead[0]!.data.message, /killed \(signal SIGKILL\)/);
    const r = await exec('after', '1');
    assert.equal(r.result?.status, 'died');
    await socketCall(page, 'kernel.shutdown', { session });
    page.close();
  });

  faultCase('kernel-lifecycle', 'through the backend: a restart during a busy cell tells the page its state is gone', async () => {
    const { page, events, session, exec } = await pageKernel();
    await exec('a', 'const kept = 1');
    const busy = exec('busy', 'while (true) {}');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual((await socketCall(page, 'kernel.restart', { session })).result, {});
    const reply = await busy;
    assert.notEqual(reply.result?.status, 'ok');
    const error = events.find((e) => e.event === 'kernel.output' && e.data.cellId === 'busy' && e.data.output.output_type === 'error');
    if (error) assert.match(error.data.output.evalue, /state from earlier cells is gone/);
    await exec('check', 'typeof kept');
    assert.equal(events.find((e) => e.event === 'kernel.output' && e.data.cellId === 'check')?.data.output.data['text/plain'], "'undefined'");
    await socketCall(page, 'kernel.shutdown', { session });
    page.close();
  });
}
