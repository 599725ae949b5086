/**
 * Kernel benchmark: time from spawning the kernel process to its first kernel_info reply (as a client
 * sees it), and the round trip of a trivial cell (`1 + 1`: execute_request → execute_result → idle).
 * Target: round trip < 20 ms. Run standalone with `node dist/bench/kernel.js`.
 */
import { pathToFileURL } from 'node:url';
import { KernelClient } from '../src/main/kernel/client.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchKernel(starts = 3, cells = 200): Promise<Record<string, string>> {
  const startTimes: number[] = [];
  let kernel: KernelClient | undefined;
  for (let i = 0; i < starts; i++) {
    const t = performance.now();
    const k = await KernelClient.start();
    startTimes.push(performance.now() - t);
    if (i < starts - 1) await k.shutdown();
    else kernel = k;
  }
  const k = kernel!;
  for (let i = 0; i < 20; i++) await k.execute('1 + 1').done; // warm-up (esbuild service, JIT)
  const rt: number[] = [];
  for (let i = 0; i < cells; i++) {
    const t = performance.now();
    const outcome = await k.execute('1 + 1').done;
    rt.push(performance.now() - t);
    if (outcome.status !== 'ok') throw new Error(`trivial cell failed: ${JSON.stringify(outcome)}`);
  }
  await k.shutdown();
  return {
    'kernel start (median)': `${median(startTimes).toFixed(0)} ms (of ${starts})`,
    'trivial cell round trip (median)': `${median(rt).toFixed(2)} ms (of ${cells}; goal < 20 ms)`,
    'trivial cell round trip (p95)': `${[...rt].sort((a, b) => a - b)[Math.floor(cells * 0.95)]!.toFixed(2)} ms`,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(await benchKernel());
