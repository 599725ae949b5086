/**
 * What a running notebook cell produces, in nbformat 4.5 output shapes, so the kernel client, the
 * notebook writer and the renderer pass outputs around without converting them. Pure types: no Node, no DOM.
 */

/** MIME type → data: strings (text, HTML, SVG, base64 PNG) or JSON (Plotly, application/json). */
export type MimeBundle = Record<string, unknown>;

export interface StreamOutput {
  output_type: 'stream';
  name: 'stdout' | 'stderr';
  text: string;
}

export interface DisplayDataOutput {
  output_type: 'display_data';
  data: MimeBundle;
  metadata: Record<string, unknown>;
  /** Jupyter's transient display id, when the cell asked for an updatable display. */
  transient?: { display_id?: string };
}

export interface ExecuteResultOutput {
  output_type: 'execute_result';
  execution_count: number | null;
  data: MimeBundle;
  metadata: Record<string, unknown>;
}

export interface ErrorOutput {
  output_type: 'error';
  ename: string;
  evalue: string;
  traceback: string[];
}

export type CellOutput = StreamOutput | DisplayDataOutput | ExecuteResultOutput | ErrorOutput;

/**
 * Jupyter's `update_display_data`: the display output with this `transient.display_id` now shows
 * `output` (nbformat semantics: it replaces that output in place; nothing is appended). A progress bar
 * is one display updated many times.
 */
export interface DisplayUpdate {
  displayId: string;
  /** The position of the replaced output in its cell's outputs. */
  index: number;
  output: DisplayDataOutput;
}

/**
 * How an execution ended. `aborted`: skipped because an earlier cell failed (stop_on_error);
 * `died`: the kernel process ended while the cell ran (crash, out of memory, process.exit).
 */
export type ExecuteStatus = 'ok' | 'error' | 'aborted' | 'died';

export interface ExecuteOutcome {
  status: ExecuteStatus;
  executionCount: number | null;
  /** Set when status is `error` (including an interrupted cell: ename `Interrupted`) or `died`. */
  error?: { ename: string; evalue: string; traceback: string[] };
}

export type KernelState = 'starting' | 'idle' | 'busy' | 'restarting' | 'dead';

/** Why the kernel process ended when nobody asked it to. */
export interface KernelDeath {
  exitCode: number | null;
  signal: string | null;
  /** One line for people, e.g. "the kernel ran out of memory (exit code 134)". */
  message: string;
  /** The last lines the process wrote to its stderr (a crash report, an OOM message). */
  stderrTail: string;
}

export interface CompletionReply {
  matches: string[];
  cursorStart: number;
  cursorEnd: number;
}

export interface InspectReply {
  found: boolean;
  data: MimeBundle;
}

export interface IsCompleteReply {
  status: 'complete' | 'incomplete' | 'invalid' | 'unknown';
  indent?: string;
}
