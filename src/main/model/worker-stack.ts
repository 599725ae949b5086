/**
 * Stack size for the thread that loads onnxruntime.
 *
 * onnxruntime-node 1.30 initialises its environment (once per process, on the first session) by
 * matching a recursive std::regex over the whole of /proc/self/cmdline: about 270 bytes of native stack
 * per byte of command line. A worker thread gets 4 MB, so a command line over ~15 KB (`--text` with
 * ~5,000 tokens, or a script given a long argument) overflowed it and the process died with SIGSEGV and
 * no message. The engine worker therefore gets a stack sized to the command line, with a 2× margin.
 */
import { readFileSync } from 'node:fs';

const BYTES_OF_STACK_PER_BYTE = 540;
const BASE_MB = 8;
const MAX_MB = 4096;

/** Length of the command line as onnxruntime reads it (/proc/self/cmdline on Linux). */
export function commandLineBytes(): number {
  try {
    return readFileSync('/proc/self/cmdline').length;
  } catch {
    return [process.execPath, ...process.execArgv, ...process.argv].reduce((n, a) => n + Buffer.byteLength(a) + 1, 0);
  }
}

/** Megabytes of stack the engine worker needs for a command line of this many bytes. */
export function engineStackMb(cmdlineBytes = commandLineBytes()): number {
  return Math.min(MAX_MB, BASE_MB + Math.ceil((cmdlineBytes * BYTES_OF_STACK_PER_BYTE) / 2 ** 20));
}
