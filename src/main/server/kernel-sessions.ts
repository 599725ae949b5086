/**
 * One kernel process per open notebook (src/main/kernel/client.ts), owned by the page that started it:
 * outputs stream back to that page as `kernel.output` events while the cell runs, updates of its
 * displays (progress bars) as `kernel.update`, state changes as `kernel.status`; when the page's socket closes, its kernels are shut down.
 */
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import type { KernelOutputEvent, KernelStatusEvent, KernelUpdateEvent } from '../../shared/backend-contract.js';
import { UserError } from '../../shared/errors.js';
import { KernelClient } from '../kernel/client.js';
import type { CallContext } from './backend.js';
import type { Workspace } from './workspace.js';

interface Session {
  kernel: KernelClient;
  connection: string;
  ctx: CallContext;
}

export class KernelSessions {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly workspace: Workspace) {}

  async start(path: string, ctx: CallContext): Promise<{ session: string }> {
    // The kernel runs in the notebook's folder, so relative paths in cells mean what they say.
    const cwd = path ? dirname(await this.workspace.resolve(path, { mustExist: false })) : this.workspace.root;
    const kernel = await KernelClient.start({ cwd });
    const id = randomUUID();
    this.sessions.set(id, { kernel, connection: ctx.connection, ctx });
    // `dead` is sent once, by onDied, with the reason; a shutdown the page asked for needs no event.
    kernel.onStatus((state) => state !== 'dead' && ctx.emit('kernel.status', { session: id, state } satisfies KernelStatusEvent));
    kernel.onDied((d) => ctx.emit('kernel.status', { session: id, state: 'dead', message: d.message } satisfies KernelStatusEvent));
    return { session: id };
  }

  private get(session: string): Session {
    const s = this.sessions.get(session);
    if (!s) throw new UserError('this notebook’s kernel is not running', 'Run the cell again: a new kernel starts.');
    return s;
  }

  async execute(session: string, cellId: string, code: string): Promise<{ status: string; executionCount: number | null }> {
    const s = this.get(session);
    const run = s.kernel.execute(code, { cellId, stopOnError: true });
    run.onOutput((output) => s.ctx.emit('kernel.output', { session, cellId, output } satisfies KernelOutputEvent));
    run.onUpdate((u) => s.ctx.emit('kernel.update', { session, cellId, displayId: u.displayId, output: u.output } satisfies KernelUpdateEvent));
    const outcome = await run.done;
    return { status: outcome.status, executionCount: outcome.executionCount };
  }

  async interrupt(session: string): Promise<void> {
    await this.get(session).kernel.interrupt();
  }

  async restart(session: string): Promise<void> {
    await this.get(session).kernel.restart();
  }

  async shutdown(session: string): Promise<void> {
    const s = this.sessions.get(session);
    this.sessions.delete(session);
    await s?.kernel.shutdown();
  }

  /** A page went away: its kernels go too. */
  closed(connection: string): void {
    for (const [id, s] of this.sessions) if (s.connection === connection) void this.shutdown(id).catch(() => {});
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.shutdown(id).catch(() => {})));
  }
}
