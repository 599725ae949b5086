import { endianness } from 'node:os';

// BLOBs are the raw bytes of typed arrays; readers elsewhere (numpy '<f4', DuckDB) assume little-endian.
if (endianness() !== 'LE') throw new Error('Babelscope stores need a little-endian machine');

/** The bytes of a typed array, without copying. */
export function toBlob(array: Float32Array | Float64Array | Uint16Array): Buffer {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}

export function float32FromBlob(blob: Buffer): Float32Array {
  const aligned = alignedBytes(blob, Float32Array.BYTES_PER_ELEMENT);
  return new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
}

export function float64FromBlob(blob: Buffer): Float64Array {
  const aligned = alignedBytes(blob, Float64Array.BYTES_PER_ELEMENT);
  return new Float64Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 8);
}

function alignedBytes(blob: Buffer, elementSize: number): Uint8Array {
  if (blob.byteLength % elementSize !== 0) {
    throw new Error(`BLOB of ${blob.byteLength} bytes is not a whole number of ${elementSize}-byte values`);
  }
  if (blob.byteOffset % elementSize === 0) return blob;
  return new Uint8Array(blob); // copy to a fresh, aligned ArrayBuffer
}

export function shapeJson(shape: readonly number[]): string {
  return JSON.stringify(shape);
}

export function parseShape(json: string): number[] {
  return JSON.parse(json) as number[];
}
