/**
 * Runs compiled cells in the kernel's main thread: one realm shared by all cells (state persists),
 * console and process.stdout/stderr captured, `display()`, errors mapped to the cell's TypeScript line
 * and column. Output from background code (timers of a finished cell) goes to the running cell, or
 * the last one. No AsyncLocalStorage here on purpose: with promise hooks on, stopping a synchronous loop
 * with terminateExecution corrupts Node's async-id stack and aborts the process.
 */
import { Console } from 'node:console';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';
import type { MimeBundle } from '../../shared/kernel-types.js';
import { CellSyntaxError, compileCell, HELPER, type CompiledCell } from './compile.js';
import { AMBIENT_PROGRESS, type AmbientProgress } from '../../shared/ambient-progress.js';
import type { CellGlobals } from '../../shared/cell-globals.js';
import { makeDisplay, mimeBundle } from './display.js';
import { progressHandle, ProgressOperation, type DisplaySink } from './progress-reporter.js';
import { resolveSpecifier } from './resolve.js';

/** Where a cell's outputs go (a kernel sets this per execution). */
export interface OutputSink extends DisplaySink {
  stream(name: 'stdout' | 'stderr', text: string): void;
}

export interface CellContext {
  readonly sink: OutputSink;
  /** Set when the cell was interrupted: code that keeps running in the background stops at its next output. */
  interrupted: boolean;
  /** Long operations the cell started that are still running (progress bars with their AbortControllers). */
  readonly operations: Set<ProgressOperation>;
  /** Set when an interrupt aborted the cell's operations: operations it starts later begin aborted. */
  cancelled: boolean;
}

/** A fresh context for one execution. */
export function cellContext(sink: OutputSink): CellContext {
  return { sink, interrupted: false, operations: new Set(), cancelled: false };
}

export interface CellError {
  ename: string;
  evalue: string;
  traceback: string[];
}

export type CellResult = { ok: true; value: unknown } | { ok: false; error: CellError };

export class InterruptedError extends Error {
  constructor() {
    super('the cell was interrupted');
    this.name = 'Interrupted';
  }
}

const CELL_FILE = /babelscope-cell-(\d+)\.ts:(\d+):(\d+)/g;

export class Executor {
  private active: CellContext | undefined;
  /** Cells whose execution was interrupted: their top-level awaits throw when they resume. */
  private readonly interrupted = new Set<number>();
  private readonly cells = new Map<number, { compiled: CompiledCell; source: string; label: string }>();
  private nextCellId = 1;
  private last: CellContext | undefined;
  private readonly originalWrite = { stdout: process.stdout.write.bind(process.stdout), stderr: process.stderr.write.bind(process.stderr) };

  constructor(private readonly cwd: () => string = () => process.cwd()) {
    this.installGlobals();
    // The kernel's own log (its real stderr: Jupyter's kernel console, the backend's log), for notes that
    // are about the process rather than a cell, such as the API's device note.
    (globalThis as Record<symbol, unknown>)[Symbol.for('babelscope.kernelLog')] = (m: string) => this.originalWrite.stderr(`babelscope kernel: ${m}\n`);
  }

  /** The context of the code running now (or of the last cell, for callbacks that lost theirs). */
  current(): CellContext | undefined {
    return this.active ?? this.last;
  }

  /** Marks the running cell interrupted; the caller reports it and moves on. */
  interrupt(): void {
    if (this.active) {
      this.active.interrupted = true;
      this.interrupted.add(this.activeId);
    }
    this.active = undefined;
  }

  private activeId = 0;

  /** Compiles and starts a cell; the promise settles when its top-level code (awaits included) finishes. */
  run(source: string, label: string, ctx: CellContext): Promise<CellResult> {
    this.last = ctx;
    const id = this.nextCellId++;
    this.active = ctx;
    this.activeId = id;
    let compiled: CompiledCell;
    try {
      compiled = compileCell(source, `babelscope-cell-${id}.ts`, id);
    } catch (e) {
      this.active = undefined;
      if (e instanceof CellSyntaxError) return Promise.resolve({ ok: false, error: syntaxError(e, label) });
      return Promise.resolve({ ok: false, error: this.describe(e) });
    }
    this.cells.set(id, { compiled, source, label });
    const settle = (r: CellResult): CellResult => {
      if (this.active === ctx) this.active = undefined;
      return r;
    };
    // Started from a microtask: terminateExecution (interrupt) is only survivable there, not inside a
    // timer or immediate callback, whose async context Node would then find unbalanced.
    return Promise.resolve()
      .then(() => new Script(compiled.code, { filename: `babelscope-cell-${id}.ts` }).runInThisContext() as Promise<unknown>)
      .then(
        (value) => settle({ ok: true, value }),
        (e: unknown) => settle({ ok: false, error: this.describe(e) }),
      );
  }

  /** An error as Jupyter shows it, with frames in cells rewritten to the cell's TypeScript positions. */
  describe(e: unknown): CellError {
    if (!(e instanceof Error)) return { ename: 'Error', evalue: `thrown value: ${String(e)}`, traceback: [`Uncaught ${String(e)}`] };
    const ename = e.name || 'Error';
    const evalue = e.message;
    const lines = (e.stack ?? `${ename}: ${evalue}`).split('\n');
    const header = lines.filter((l) => !/^\s+at /.test(l));
    const frames = lines.filter((l) => /^\s+at /.test(l)).filter((l) => !/\(?node:(internal|vm|async_hooks)|dist\/src\/main\/kernel\/|^\s+at new Promise|<anonymous>\)?$/.test(l));
    // A cancelled operation is no bug: where it was stopped in the cell is all that helps.
    const cancelled = (e as { kind?: unknown }).kind === 'cancelled';
    const shownFrames = cancelled ? frames.filter((f) => /babelscope-cell-\d+\.ts:/.test(f)) : frames;
    const traceback = [...header];
    let pointed = false;
    for (const f of shownFrames) {
      let located: { id: number; line: number; column: number } | undefined;
      const mapped = f.replace(CELL_FILE, (all, idS: string, lS: string, cS: string) => {
        const cell = this.cells.get(Number(idS));
        const pos = cell?.compiled.originalPosition(Number(lS), Number(cS));
        if (!cell || !pos) return `${cell?.label ?? 'cell'}`;
        located ??= { id: Number(idS), line: pos.line, column: pos.column };
        return `${cell.label}, line ${pos.line}, column ${pos.column}`;
      });
      if (/^\s+at cell \[\d+\]$/.test(mapped)) continue; // the kernel's wrapper around the cell
      traceback.push(mapped);
      if (located && !pointed) {
        pointed = true;
        const cell = this.cells.get(located.id)!;
        const text = cell.source.split('\n')[located.line - 1];
        if (text !== undefined) traceback.push(`      ${text}`, `      ${' '.repeat(Math.max(0, located.column - 1))}^`);
      }
    }
    return { ename, evalue, traceback };
  }

  private installGlobals(): void {
    const g = globalThis as Record<string, unknown>;
    const emitStream = (name: 'stdout' | 'stderr') => (chunk: unknown, encoding?: unknown, cb?: unknown) => {
      const ctx = this.current();
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString(typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
      if (!ctx) return this.originalWrite[name](text);
      if (ctx.interrupted) throw new InterruptedError();
      ctx.sink.stream(name, text);
      const done = typeof encoding === 'function' ? encoding : cb;
      if (typeof done === 'function') (done as () => void)();
      return true;
    };
    const stdout = { write: emitStream('stdout') };
    const stderr = { write: emitStream('stderr') };
    process.stdout.write = stdout.write as typeof process.stdout.write;
    process.stderr.write = stderr.write as typeof process.stderr.write;
    g['console'] = new Console({ stdout: process.stdout, stderr: process.stderr, colorMode: false });

    const displayBundle = (bundle: MimeBundle, metadata: Record<string, unknown> = {}) => {
      const ctx = this.current();
      if (!ctx) return;
      if (ctx.interrupted) throw new InterruptedError();
      ctx.sink.display(bundle, metadata);
    };
    // Long API calls without onProgress show a bar and stop when the cell is interrupted (src/main/api/progress.ts).
    const ambient: AmbientProgress = {
      begin: (label, options) => {
        const op = this.beginOperation(String(label), options?.show !== false, false);
        return op && { signal: op.signal, onProgress: (p) => op.report(p), end: (outcome) => op.end(outcome) };
      },
    };
    (globalThis as Record<symbol, unknown>)[AMBIENT_PROGRESS] = ambient;
    // What cells see beyond Node's globals: typed by the interface the editor's declarations are generated from.
    const cellGlobals: CellGlobals = {
      display: makeDisplay(displayBundle),
      // Cells are not type-checked when they run: the arguments may be anything.
      progress: (label: unknown = 'progress', total?: unknown) => {
        const op = this.beginOperation(String(label), true, true);
        if (!op) throw new Error('progress() works inside a running cell');
        return progressHandle(op, typeof total === 'number' && Number.isFinite(total) ? total : 0);
      },
    };
    Object.assign(g, cellGlobals);
    // Timer callbacks of cells run as microtasks: an interrupt that stops a synchronous loop inside one
    // is then survivable (inside the timer's own callback scope it would abort the process, see above).
    g['setTimeout'] = asMicrotasks(setTimeout, true);
    g['setInterval'] = asMicrotasks(setInterval, true);
    g['setImmediate'] = asMicrotasks(setImmediate, false);
    // CommonJS habits of other JS kernels: require() resolves from the notebook's folder.
    g['require'] = createRequire(join(this.cwd(), 'notebook.cjs'));
    g[HELPER] = {
      import: (spec: string) => import(resolveSpecifier(String(spec), this.cwd())),
      importMeta: { url: pathToFileURL(`${this.cwd()}/notebook.ts`).href, dirname: this.cwd() },
      resume: <T>(cellId: number, value: T): T => {
        if (this.interrupted.has(cellId)) throw new InterruptedError();
        return value;
      },
      declare: (names: string[]) => {
        for (const n of names) if (!(n in globalThis)) g[n] = undefined;
      },
    };
  }

  /** A long operation of the running cell (or of the last one, for background code); undefined outside cells. */
  private beginOperation(label: string, show: boolean, fromHelper: boolean): ProgressOperation | undefined {
    const ctx = this.current();
    if (!ctx) return undefined;
    const op = new ProgressOperation(label, show && !ctx.interrupted ? ctx.sink : undefined, (o) => ctx.operations.delete(o), fromHelper);
    ctx.operations.add(op);
    if (ctx.cancelled || ctx.interrupted) op.abort();
    return op;
  }

  /** The execute_result bundle of a cell's value (undefined shows nothing). */
  resultBundle(value: unknown): MimeBundle | undefined {
    return mimeBundle(value);
  }
}

function asMicrotasks<F extends (...a: any[]) => unknown>(original: F, hasDelay: boolean): F {
  const wrapped = (fn: unknown, ...rest: unknown[]) => {
    if (typeof fn !== 'function') return original(fn, ...rest);
    const [delay, ...args] = hasDelay ? rest : [undefined, ...rest];
    const run = () => queueMicrotask(() => (fn as (...a: unknown[]) => unknown)(...args));
    return hasDelay ? original(run, delay) : original(run);
  };
  Object.defineProperties(wrapped, Object.getOwnPropertyDescriptors(original)); // util.promisify.custom, __promisify__
  return wrapped as unknown as F;
}

function syntaxError(e: CellSyntaxError, label: string): CellError {
  const where = e.position ? `${label}, line ${e.position.line}, column ${e.position.column}` : label;
  const tb = [`SyntaxError: ${e.message}`, `    at ${where}`];
  if (e.lineText !== undefined && e.position) tb.push(`      ${e.lineText}`, `      ${' '.repeat(e.position.column - 1)}^`);
  return { ename: 'SyntaxError', evalue: `${e.message} (${where})`, traceback: tb };
}
