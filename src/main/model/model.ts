/**
 * A loaded model as the rest of the app sees it: tokenizer on this thread, inference in a worker.
 *
 *   const model = await Model.open('assets/tiny-babel', { device: 'auto' });
 *   const { ids } = await model.tokenizer.encode('Hello');
 *   const r = await model.forward({ inputIds: [ids], taps: ['resid_post.0'] }); // taps: [batch, pos, width]
 */
import { Worker } from 'node:worker_threads';
import { deserializeError, UserError } from '../../shared/errors.js';
import type { EngineMessage, EngineMethods, EngineRequest } from './engine-protocol.js';
import { openModelFolder } from './model-folder.js';
import { defaultDevice, defaultLog } from './open-defaults.js';
import type { CaptureStats, GenerateRequest, GenerateResult, KeptTokenSets, LensRequest, LensResult, NllResult, OpenOptions, TokenSets } from './onnx-engine.js';
import { Tokenizer } from './tokenizer.js';
import { engineStackMb } from './worker-stack.js';
import type { ModelInfo } from '../../shared/model-types.js';
import type { ForwardRequest, ForwardResult, NeuronIntervention } from './types.js';

/** A loaded model: its tokenizer on this thread, inference in a worker thread (open with `openModel`, release with `dispose`). */
export class Model {
  private nextId = 1;
  private nextKept = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Why the model can no longer be used (disposed, or its worker crashed); calls then reject with it at once. */
  private unusable: Error | null = null;

  private constructor(
    private readonly worker: Worker,
    readonly tokenizer: Tokenizer,
    public info: ModelInfo,
  ) {}

  static async open(dir: string, options: OpenOptions = {}): Promise<Model> {
    const { log = defaultLog, device = defaultDevice(), ...rest } = options;
    const folder = openModelFolder(dir, options);
    // The worker starts before the tokenizer loads: its start-up (a V8 isolate, its modules, onnxruntime)
    // runs meanwhile, and the open request waits in its queue. Nothing here yields, so no event is missed.
    const worker = new Worker(new URL('./engine-worker.js', import.meta.url), { resourceLimits: { stackSizeMb: engineStackMb() } });
    let tokenizer: Tokenizer;
    try {
      tokenizer = Tokenizer.fromFile(folder.tokenizerPath);
    } catch (e) {
      void worker.terminate();
      throw e;
    }
    const model = new Model(worker, tokenizer, null as unknown as ModelInfo);
    worker.on('message', (m: EngineMessage) => model.onMessage(m, log));
    worker.on('error', (e) => model.failAll(new Error(`the model's worker crashed: ${e.message}; open the model again to continue`)));
    worker.on('exit', (code) => model.failAll(new Error(`the model's worker stopped (exit code ${code}); open the model again to continue`)));
    try {
      model.info = await model.call('open', { dir, options: { ...rest, device } });
    } catch (e) {
      await worker.terminate();
      throw e;
    }
    return model;
  }

  private onMessage(m: EngineMessage, log: (s: string) => void): void {
    if (m.type === 'log') {
      log(m.message);
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.type === 'reply') p.resolve(m.result);
    else p.reject(deserializeError(m.error));
  }

  private failAll(e: Error): void {
    this.unusable ??= e;
    for (const p of this.pending.values()) p.reject(this.unusable);
    this.pending.clear();
  }

  /** `transfer`: buffers of `params` moved to the worker instead of copied (they are detached here). */
  private call<M extends keyof EngineMethods>(method: M, params: Parameters<EngineMethods[M]>[0], transfer: ArrayBuffer[] = []): Promise<ReturnType<EngineMethods[M]>> {
    // A terminated worker drops messages silently: without this a call would wait forever.
    if (this.unusable) return Promise.reject(this.unusable);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, method, params } as EngineRequest, transfer);
    });
  }

  /** One forward pass over a batch: logits and the taps asked for, optionally with neurons scaled. */
  forward(req: ForwardRequest): Promise<ForwardResult> {
    return this.call('forward', req);
  }

  /**
   * The logit lens at every layer and position, computed in the graph: top-k, entropy, mass per token set.
   * With `transferTokenSets`, a token-set matrix in the request moves to the worker (its buffer is
   * detached here) instead of being copied: for a caller that no longer needs it.
   */
  lens(req: LensRequest, o: { transferTokenSets?: boolean } = {}): Promise<LensResult> {
    const sets = req.tokenSets;
    return this.call('lens', req, o.transferTokenSets && sets && 'data' in sets ? [sets.data.buffer as ArrayBuffer] : []);
  }

  /**
   * Hands token sets to the worker once, for lens requests that name them (`tokenSets: kept`) until
   * `releaseTokenSets(kept)`. The matrix's buffer moves to the worker (it is detached here), so pass
   * a matrix that nothing else reads.
   */
  async keepTokenSets(sets: TokenSets): Promise<KeptTokenSets> {
    const kept = this.nextKept++;
    await this.call('keepTokenSets', { kept, sets }, [sets.data.buffer as ArrayBuffer]);
    return { kept, numSets: sets.numSets };
  }

  /** Lets the worker drop token sets `keepTokenSets` gave it; nothing to do once the model is disposed. */
  async releaseTokenSets(sets: KeptTokenSets): Promise<void> {
    if (this.unusable) return;
    await this.call('releaseTokenSets', { kept: sets.kept });
  }

  /** Per-text neuron statistics, pooled residuals and NLL of a batch, reduced in the graph (see OnnxEngine.captureStats). */
  captureStats(inputIds: number[][]): Promise<CaptureStats> {
    return this.call('captureStats', { inputIds });
  }

  /** Summed next-token NLL per text, reduced in the graph; interventions scale neurons (ablation). */
  nll(req: { inputIds: number[][]; interventions?: NeuronIntervention[] }): Promise<NllResult> {
    return this.call('nll', req);
  }

  /** Continues one prompt token by token (greedy, or sampled with temperature / top-p). */
  generate(req: GenerateRequest): Promise<GenerateResult> {
    return this.call('generate', req);
  }

  /** Releases the worker thread and its onnxruntime session; calls made after reject with a UserError. Calling it again does nothing. */
  async dispose(): Promise<void> {
    if (this.unusable) return;
    const released = this.call('dispose', {});
    // Calls made from now on (and any still queued behind `dispose`) are refused.
    this.unusable = new UserError(`the model ${this.info.dir} was disposed`, 'Open it again (openModel) to keep using it; dispose() only when done.');
    try {
      await released;
    } finally {
      this.failAll(this.unusable);
      await this.worker.terminate();
    }
  }
}
