/**
 * What opening a model assumes when not told, the same for every caller (`openModel`, the backend, the
 * CLI): the device from `BABELSCOPE_DEVICE` (set by `babelscope run --device`), else `auto`; notes to stderr.
 */
import { UserError } from '../../shared/errors.js';
import type { DeviceRequest } from '../../shared/model-types.js';

/** Where a model runs unless told (OPTION_DEFAULTS.openModel.device): CUDA when it works, else CPU. */
export const DEFAULT_DEVICE: DeviceRequest = 'auto';

export function defaultDevice(): DeviceRequest {
  const env = process.env['BABELSCOPE_DEVICE'];
  if (env === undefined || env === '') return DEFAULT_DEVICE;
  if (env === 'auto' || env === 'cpu' || env === 'cuda') return env;
  throw new UserError(`BABELSCOPE_DEVICE is "${env}"`, 'Set it to auto, cpu or cuda (or unset it).');
}

const saidOnce = new Set<string>();
/**
 * Where a model's notes go unless the caller gives a `log`: stderr. The device note ("CUDA not
 * available …; running on CPU") is said once per process, and inside a notebook kernel it goes to the
 * kernel's log (what Jupyter shows as the kernel's console), not into the cell's saved outputs.
 */
export function defaultLog(message: string): void {
  if (/^CUDA not available/.test(message)) {
    if (saidOnce.has('device')) return;
    saidOnce.add('device');
    const kernelLog = (globalThis as Record<symbol, unknown>)[Symbol.for('babelscope.kernelLog')];
    if (typeof kernelLog === 'function') return void (kernelLog as (m: string) => void)(message);
  }
  process.stderr.write(message + '\n');
}
