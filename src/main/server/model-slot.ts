/**
 * The model the workbench's panels use (the lens explorer, the model picker): opened on first use, so
 * `serve` starts at once, and switched from the model picker. One at a time; the old one is released.
 * Opened with the lens built in: the lens explorer is what the panels use it for.
 */
import { openModel, type DeviceRequest, type Model } from '../api/index.js';
import { withoutUndefined } from '../../shared/without-undefined.js';

export class ModelSlot {
  private current: Promise<Model> | null;

  constructor(
    private dir: string,
    private device?: DeviceRequest,
    opened?: Model,
  ) {
    this.current = opened ? Promise.resolve(opened) : null;
  }

  static of(model: Model): ModelSlot {
    return new ModelSlot(model.info.dir, model.info.device, model);
  }

  get(): Promise<Model> {
    if (!this.current) {
      // No device: openModel's own default (BABELSCOPE_DEVICE, else auto).
      const opening = openModel(this.dir, withoutUndefined({ device: this.device, lens: true }));
      this.current = opening;
      // A failed open is not cached: the next call tries again (the user may fix the folder).
      opening.catch(() => {
        if (this.current === opening) this.current = null;
      });
    }
    return this.current;
  }

  /** Opens `dir` and makes it the current model; the previous one stays current if this fails. */
  async open(dir: string, device: DeviceRequest): Promise<Model> {
    const next = await openModel(dir, { device, lens: true });
    const previous = this.current;
    this.dir = dir;
    this.device = device;
    this.current = Promise.resolve(next);
    if (previous) await (await previous.catch(() => null))?.dispose();
    return next;
  }

  async dispose(): Promise<void> {
    const m = this.current;
    this.current = null;
    if (m) await (await m.catch(() => null))?.dispose();
  }
}
