/**
 * The kernel's figure fallbacks: with a browser, a displayed figure is updated in place with its SVG and
 * PNG before the cell ends (the Node client, as the workbench and `run` see it); without one, figures
 * stay Plotly JSON and the cell still succeeds.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { KernelClient } from '../../../src/main/kernel/client.js';

const FIGURE = 'display({ data: [{ type: "bar", x: ["eng", "rus"], y: [0.5, 0.25] }], layout: { title: { text: "Kernel fallback" } } })\n"done"';

async function runFigure(env: NodeJS.ProcessEnv) {
  const kernel = await KernelClient.start({ cwd: mkdtempSync(join(tmpdir(), 'babelscope-figfb-')), env: { ...process.env, ...env } });
  try {
    const h = kernel.execute(FIGURE);
    const updates: Record<string, unknown>[] = [];
    h.onUpdate((u) => updates.push(u.output.data));
    const outcome = await h.done;
    return { outcome, outputs: h.outputs, updates };
  } finally {
    await kernel.shutdown();
  }
}

describe('figure fallbacks in the kernel', () => {
  it('a displayed figure gets its SVG and PNG as an update of its display, before the cell ends', async () => {
    const { outcome, outputs, updates } = await runFigure({});
    assert.equal(outcome.status, 'ok');
    const shown = outputs.find((o) => o.output_type === 'display_data') as { data: Record<string, unknown>; transient?: { display_id?: string } };
    assert.ok(shown.transient?.display_id, 'the figure is shown with a display id');
    assert.equal(updates.length, 1);
    assert.match(String(updates[0]!['image/svg+xml']), /^<svg[\s\S]*Kernel fallback[\s\S]*<\/svg>$/);
    assert.equal(Buffer.from(String(updates[0]!['image/png']), 'base64').subarray(1, 4).toString('latin1'), 'PNG');
    assert.ok(updates[0]!['application/vnd.plotly.v1+json'], 'the Plotly JSON stays beside them');
  });

  it('without a browser engine the figure stays Plotly JSON and the cell succeeds', async () => {
    const { outcome, outputs, updates } = await runFigure({ BABELSCOPE_CHROMIUM: '/nonexistent/chromium' });
    assert.equal(outcome.status, 'ok');
    assert.deepEqual(updates, []);
    assert.deepEqual(outputs.map((o) => o.output_type), ['display_data', 'execute_result'], 'no error or stderr output: the note goes to the kernel log');
  });
});
