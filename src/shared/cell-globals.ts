/**
 * What the kernel defines in every cell's scope beyond Node's globals (console, process, fetch, Buffer…
 * come from @types/node). This interface is the one declaration of them: the kernel's implementation is
 * typed by it (src/main/kernel/executor.ts), and the declarations the editor loads for the cells
 * (`KERNEL_GLOBALS` in kernel-globals.generated.ts) are generated from it by
 * `node scripts/gen-kernel-globals.mjs`; a unit test fails when that file is out of date.
 * Each member becomes `declare const NAME: TYPE` (a property) or `declare function NAME(…)` (a method),
 * with its doc comment.
 */
export interface CellGlobals {
  /** Shows a value as rich output: a Plotly figure, an HTML table of records, PNG bytes, text. */
  display: ((value: unknown) => void) & {
    text(s: string): void;
    html(s: string): void;
    markdown(s: string): void;
    svg(s: string): void;
    png(bytes: Uint8Array | string): void;
    json(v: unknown): void;
    table(rows: Record<string, unknown>[]): void;
    plotly(figure: { data: object[]; layout?: object }): void;
    /** Any MIME bundle, e.g. display.mime({ "text/latex": "$x^2$" }). */
    mime(bundle: Record<string, unknown>): void;
  };
  /**
   * A progress bar under the cell for your own loops, stopped by Interrupt (its signal is aborted):
   *   const bar = progress('tokenize', texts.length);
   *   for (const t of texts) { bar.signal.throwIfAborted(); work(t); bar.tick(); }
   * Spread it into an API call to show that call's progress in it: await capture({ …, ...bar }).
   * Long API calls without onProgress show their own bar anyway. The bar ends with the cell.
   */
  progress(label?: string, total?: number): {
    /** Aborted when the cell is interrupted; throwIfAborted() throws a CancellationError. */
    readonly signal: AbortSignal;
    /** Shows an API call's reports (a babelscope Progress) in this bar. */
    onProgress(p: { stage: string; done: number; total: number; detail?: string }): void;
    /** Sets the count (and the total, and a detail text such as "1834 tokens"). */
    update(done: number, total?: number, detail?: string): void;
    /** Adds n (default 1) to the count. */
    tick(n?: number, detail?: string): void;
    /** Ends the bar: done (default), cancelled or error. */
    end(state?: 'done' | 'cancelled' | 'error'): void;
  };
}
