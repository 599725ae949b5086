/**
 * Running cells: the notebook's kernel session (started on the first run, stopped when another notebook
 * opens), the queue of cells waiting to run (one at a time, in order; an error stops those queued after
 * it, as in Jupyter), interrupt and restart, and the kernel's status in the page.
 */
import type { KernelStatusEvent } from '../../shared/backend-contract.js';
import { runRefusal } from '../../shared/ipynb-codec.js';
import type { NotebookDoc } from '../../shared/notebook-doc.js';
import type { Connection } from '../connection.js';
import { clearRun, renderCount, type CellView } from './cell-view.js';

export interface ExecutionHost {
  /** The notebook as it is now (a notebook of another language is refused) and its path (where the kernel starts). */
  doc(): NotebookDoc;
  path(): string | null;
  /** Whether the view is still in the notebook (a deleted cell's queued run is skipped). */
  has(view: CellView): boolean;
  /** A run starts: what it shows is produced here (trusted). */
  runStarting(view: CellView): void;
  changed(): void;
  showError(e: unknown): void;
  kernelStatus: HTMLElement;
  /** The keys that interrupt the kernel, for the status's tooltip. */
  interruptKeys: string;
}

export class ExecutionQueue {
  private session: string | null = null;
  private sessionPath: string | null = null;
  private queue: CellView[] = [];
  private running: CellView | null = null;
  private draining = false;

  constructor(
    private readonly conn: Connection,
    private readonly host: ExecutionHost,
  ) {
    conn.on('kernel.status', (d) => this.onStatus(d as KernelStatusEvent));
  }

  /** Whether an event comes from this notebook's kernel. */
  isCurrent(session: string): boolean {
    return session === this.session;
  }

  get busy(): boolean {
    return this.running !== null;
  }

  /** Queues a code cell (one already queued or running stays where it is) and runs the queue. */
  async run(v: CellView): Promise<void> {
    if (v.cell.cell_type !== 'code' || v.state !== 'idle') return;
    // Before anything about the cell changes: a notebook this kernel cannot run keeps its outputs.
    const refusal = runRefusal(this.host.doc(), this.host.path() ?? 'this notebook');
    if (refusal) return this.host.showError(refusal);
    v.state = 'queued';
    renderCount(v);
    this.queue.push(v);
    await this.drain();
  }

  /** The cell left the notebook: it does not run. */
  drop(v: CellView): void {
    this.queue = this.queue.filter((q) => q !== v);
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length) {
        const v = this.queue.shift()!;
        if (!this.host.has(v)) continue;
        v.state = 'running';
        this.running = v;
        renderCount(v);
        clearRun(v);
        this.host.runStarting(v);
        let status = 'error';
        try {
          const session = await this.ensureSession();
          const r = await this.conn.call('kernel.execute', { session, cellId: v.cell.id, code: v.cell.source });
          status = r.status;
          v.cell.execution_count = r.executionCount;
        } catch (e) {
          this.host.showError(e);
        } finally {
          v.state = 'idle';
          this.running = null;
          renderCount(v);
          this.host.changed();
        }
        // As Jupyter: an error stops the cells queued after it.
        if (status !== 'ok') this.unqueueAll();
      }
    } finally {
      this.draining = false;
    }
  }

  private unqueueAll(): void {
    for (const q of this.queue) (q.state = 'idle'), renderCount(q);
    this.queue = [];
  }

  private async ensureSession(): Promise<string> {
    const path = this.host.path();
    if (this.session && this.sessionPath === path) return this.session;
    if (this.session) await this.stopKernel();
    this.setKernelStatus('starting');
    const { session } = await this.conn.call('kernel.start', { path: path ?? '' });
    this.session = session;
    this.sessionPath = path;
    return session;
  }

  async stopKernel(): Promise<void> {
    this.unqueueAll();
    const s = this.session;
    this.session = null;
    if (s) await this.conn.call('kernel.shutdown', { session: s }).catch(() => {});
    this.setKernelStatus('none');
  }

  async interrupt(): Promise<void> {
    if (!this.session) return;
    this.unqueueAll();
    await this.conn.call('kernel.interrupt', { session: this.session }).catch((e) => this.host.showError(e));
  }

  async restart(): Promise<void> {
    if (!this.session) return;
    this.unqueueAll();
    this.setKernelStatus('restarting');
    await this.conn.call('kernel.restart', { session: this.session }).catch((e) => this.host.showError(e));
  }

  /** The status shown for a notebook just loaded: the kernel kept (idle) or none. */
  showLoaded(): void {
    this.setKernelStatus(this.session ? 'idle' : 'none');
  }

  private setKernelStatus(state: string, message?: string): void {
    const el = this.host.kernelStatus;
    el.dataset['state'] = state;
    el.textContent = state === 'none' ? 'no kernel' : `kernel ${state}`;
    el.title = message ?? (state === 'busy' ? `A cell is running (${this.host.interruptKeys} interrupts)` : 'The notebook’s kernel');
    document.body.classList.toggle('kernel-busy', state === 'busy');
  }

  private onStatus(e: KernelStatusEvent): void {
    if (e.session !== this.session) return;
    this.setKernelStatus(e.state, e.message);
    if (e.state === 'dead' && e.message) this.host.showError(new Error(e.message));
  }
}
