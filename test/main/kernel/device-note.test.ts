/**
 * "CUDA not available … running on CPU" is said once per process, and in a notebook kernel it goes to
 * the kernel's log, never into a cell's outputs (where it was saved as a red stderr box in every notebook).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bundledModelDir, openModel } from '../../../src/main/api/index.js';
import { KernelClient } from '../../../src/main/kernel/client.js';

const KERNEL_LOG = Symbol.for('babelscope.kernelLog');

describe('the device note', () => {
  it('is said once per process, to the kernel log when there is one', async () => {
    process.env['BABELSCOPE_FORCE_NO_CUDA'] = '1';
    const notes: string[] = [];
    (globalThis as Record<symbol, unknown>)[KERNEL_LOG] = (m: string) => notes.push(m);
    try {
      for (let i = 0; i < 3; i++) await (await openModel(bundledModelDir, { device: 'auto' })).dispose();
    } finally {
      delete (globalThis as Record<symbol, unknown>)[KERNEL_LOG];
      delete process.env['BABELSCOPE_FORCE_NO_CUDA'];
    }
    assert.equal(notes.length, 1, notes.join('\n'));
    assert.match(notes[0]!, /^CUDA not available \(disabled by BABELSCOPE_FORCE_NO_CUDA\); running on CPU/);
  });

  it('is not a cell output in a notebook kernel', async () => {
    const kernel = await KernelClient.start({ cwd: mkdtempSync(join(tmpdir(), 'babelscope-device-')), env: { ...process.env, BABELSCOPE_FORCE_NO_CUDA: '1' } });
    try {
      const h = kernel.execute('import { openModel, bundledModelDir } from "babelscope"\nfor (let i = 0; i < 2; i++) await (await openModel(bundledModelDir, { device: "auto" })).dispose()\n"opened"');
      const outcome = await h.done;
      assert.equal(outcome.status, 'ok', JSON.stringify(outcome.error));
      assert.deepEqual(h.outputs.map((o) => o.output_type), ['execute_result'], JSON.stringify(h.outputs));
    } finally {
      await kernel.shutdown();
    }
  });
});
