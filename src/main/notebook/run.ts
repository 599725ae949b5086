/**
 * Headless notebook run (`babelscope run`): every code cell in order on a fresh kernel started in the
 * notebook's folder, outputs written back (atomically) as they would be in Jupyter, Plotly figures given
 * an SVG fallback and exported. A failing cell stops the run (unless allowErrors); what ran is still saved.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { writeFileAtomicSync } from '../fs/atomic-write.js';
import type { CellOutput, ExecuteOutcome } from '../../shared/kernel-types.js';
import { KernelClient } from '../kernel/client.js';
import { removeDeadKernelFiles } from '../kernel/leftovers.js';
import { PLOTLY_MIME } from '../kernel/display.js';
import { figureFallbacks, FigureRenderer, type FigureFormat, type PlotlyFigure } from './figures.js';
import { runRefusal } from '../../shared/ipynb-codec.js';
import type { NbCell, NbOutput } from '../../shared/notebook-doc.js';
import { prepareForBabelscope, readNotebook, toNotebookOutput, writeNotebook, type Notebook } from './ipynb.js';

export interface RunOptions {
  out?: string;
  figuresDir?: string;
  format?: FigureFormat;
  /** Seconds one cell may run before it is interrupted. */
  timeoutSec?: number;
  /** Passed to the kernel as BABELSCOPE_DEVICE (the API's default device). */
  device?: string;
  /** Keep running after a failing cell (nbconvert's --allow-errors). */
  allowErrors?: boolean;
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void;
  /** Aborts the run (Ctrl-C): the running cell is interrupted, what ran is saved. */
  signal?: AbortSignal;
}

export interface CellRun {
  index: number;
  id: string;
  status: ExecuteOutcome['status'] | 'timeout';
  seconds: number;
  error?: string;
}

export interface RunReport {
  path: string;
  cells: CellRun[];
  failed?: CellRun;
  figures: string[];
}

export async function runNotebook(input: string, o: RunOptions = {}): Promise<RunReport> {
  const log = o.log ?? (() => undefined);
  const format = o.format ?? 'svg';
  const nb = readNotebook(input);
  const refusal = runRefusal(nb, input);
  if (refusal) throw refusal;
  const outPath = resolve(o.out ?? input);
  if (!existsSync(dirname(outPath))) throw new UserError(`the folder of --out ${o.out} does not exist`, 'Create it first, or pass another path.');
  if (o.figuresDir !== undefined && !(existsSync(o.figuresDir) && statSync(o.figuresDir).isDirectory()))
    throw new UserError(`the figures folder ${o.figuresDir} does not exist`, `Create it first: mkdir -p ${o.figuresDir}`);
  prepareForBabelscope(nb);

  const codeCells = nb.cells.map((c, index) => ({ cell: c, index })).filter((c) => c.cell.cell_type === 'code') as { cell: NbCell; index: number }[];
  // The kernel's own figure fallbacks are off: run adds them below with the browser it exports with.
  const env = { ...process.env, BABELSCOPE_FIGURE_FALLBACK: '0', ...(o.device ? { BABELSCOPE_DEVICE: o.device } : {}) };
  removeDeadKernelFiles(); // HMAC keys of kernels a killed run left behind
  const kernel = await KernelClient.start({ cwd: dirname(resolve(input)), env });
  const report: RunReport = { path: outPath, cells: [], figures: [] };
  try {
    for (const [k, { cell, index }] of codeCells.entries()) {
      if (o.signal?.aborted) break;
      const label = `cell ${index + 1} (id ${cell.id})`;
      const started = Date.now();
      const outputs: NbOutput[] = [];
      cell.outputs = outputs;
      cell.execution_count = null;
      const handle = kernel.execute(cell.source, { cellId: String(cell.id) });
      // A display's updates (progress bars) replace it in place, as Jupyter saves them: one output per bar.
      const displayAt = new Map<string, number>();
      handle.onOutput((out: CellOutput) => {
        if (out.output_type === 'display_data' && out.transient?.display_id) displayAt.set(out.transient.display_id, outputs.length);
        outputs.push(toNotebookOutput(out));
        if (out.output_type === 'execute_result') cell.execution_count = out.execution_count;
      });
      handle.onUpdate((u) => {
        const at = displayAt.get(u.displayId);
        if (at !== undefined) outputs[at] = toNotebookOutput(u.output);
      });
      const { outcome, timedOut } = await waitForCell(kernel, handle.done, o.timeoutSec, o.signal);
      if (outcome.executionCount !== null) cell.execution_count = outcome.executionCount;
      const seconds = (Date.now() - started) / 1000;
      const run: CellRun = { index, id: String(cell.id), status: timedOut ? 'timeout' : outcome.status, seconds };
      if (timedOut) {
        run.error = `did not finish within ${o.timeoutSec} s and was interrupted`;
        const last = outputs[outputs.length - 1];
        if (last?.output_type === 'error' && last['ename'] === 'Interrupted') outputs.pop();
        outputs.push({ output_type: 'error', ename: 'Timeout', evalue: `the cell did not finish within ${o.timeoutSec} s`, traceback: [`Timeout: the cell did not finish within ${o.timeoutSec} s (--timeout) and was interrupted`] });
      } else if (outcome.status === 'died') {
        run.error = outcome.error?.evalue ?? 'the kernel died';
        outputs.push({ output_type: 'error', ename: 'KernelDied', evalue: run.error, traceback: [`KernelDied: ${run.error}`] });
      } else if (outcome.status !== 'ok') run.error = outcome.error ? `${outcome.error.ename}: ${outcome.error.evalue}` : outcome.status;
      report.cells.push(run);
      log(`[${k + 1}/${codeCells.length}] ${label} ${run.status === 'ok' ? 'ok' : `FAILED: ${run.error}`} (${seconds.toFixed(2)} s)`);
      if (run.status !== 'ok') {
        report.failed ??= run;
        if (!o.allowErrors || outcome.status === 'died' || timedOut) break;
      }
    }
  } finally {
    await kernel.shutdown().catch(() => undefined);
  }

  // Save what ran before anything that can fail (a missing browser must not lose the outputs).
  writeNotebook(outPath, nb);
  if (collectFigures(nb).length > 0) {
    let renderer: FigureRenderer | undefined;
    try {
      renderer = await FigureRenderer.open();
    } catch (e) {
      if (o.figuresDir !== undefined) throw e;
      log(`note: Plotly figures saved without an SVG fallback (${(e as Error).message})`);
    }
    if (renderer) {
      try {
        const figuresDir = o.figuresDir;
        await addFigureFallbacks(nb, renderer, async (f, svg) => {
          if (figuresDir === undefined) return;
          const file = join(figuresDir, `${basename(outPath, '.ipynb')}-cell${f.cellIndex + 1}-${f.n}.${format}`);
          writeFileAtomicSync(file, format === 'svg' ? svg : await renderer.render(f.figure, format), { what: `figure ${file}` });
          report.figures.push(file);
        });
      } finally {
        await renderer.close();
      }
      writeNotebook(outPath, nb);
      if (report.figures.length) log(`exported ${report.figures.length} figure(s) to ${o.figuresDir}`);
    }
  }
  return report;
}

async function waitForCell(kernel: KernelClient, done: Promise<ExecuteOutcome>, timeoutSec: number | undefined, signal: AbortSignal | undefined): Promise<{ outcome: ExecuteOutcome; timedOut: boolean }> {
  let timedOut = false;
  const interrupt = () => void kernel.interrupt().catch(() => undefined);
  const onAbort = () => interrupt();
  signal?.addEventListener('abort', onAbort);
  const timer = timeoutSec !== undefined ? setTimeout(() => ((timedOut = true), interrupt()), timeoutSec * 1000) : undefined;
  try {
    let outcome = await done;
    if (timedOut && outcome.status === 'ok') timedOut = false; // finished in the same instant
    if (signal?.aborted && outcome.status === 'error') outcome = { ...outcome, error: { ename: 'Interrupted', evalue: 'the run was interrupted (Ctrl-C)', traceback: outcome.error?.traceback ?? [] } };
    return { outcome, timedOut };
  } finally {
    if (timer) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Puts `image/svg+xml` and `image/png` renderings beside every Plotly output (so GitHub and plain
 * Jupyter show the figure); `each` sees every figure with its SVG (figure export).
 */
export async function addFigureFallbacks(nb: Notebook, renderer: FigureRenderer, each?: (f: FoundFigure, svg: string) => Promise<void>): Promise<number> {
  const figures = collectFigures(nb);
  for (const f of figures) {
    const images = await figureFallbacks(renderer, f.figure);
    Object.assign(f.output.data, images);
    await each?.(f, images['image/svg+xml']);
  }
  return figures.length;
}

export interface FoundFigure {
  cellIndex: number;
  n: number;
  figure: PlotlyFigure;
  output: { data: Record<string, unknown> };
}

/** Plotly outputs, numbered per cell. */
export function collectFigures(nb: Notebook): FoundFigure[] {
  const found: FoundFigure[] = [];
  nb.cells.forEach((cell, cellIndex) => {
    if (cell.cell_type !== 'code') return;
    let n = 0;
    for (const out of cell.outputs ?? []) {
      const data = (out as { data?: Record<string, unknown> }).data;
      const fig = data?.[PLOTLY_MIME] as PlotlyFigure | undefined;
      if (fig && Array.isArray(fig.data)) found.push({ cellIndex, n: ++n, figure: fig, output: out as unknown as { data: Record<string, unknown> } });
    }
  });
  return found;
}
