// Calibration feeds for an image model from a raw file: consecutive images of exactly the model
// input's element count (e.g. 784 values for [1,1,28,28]). A .f32 file holds little-endian
// float32 values fed as they are (already preprocessed); any other file holds uint8 pixels fed
// as pixel/255, the format of test/fixtures/data/fmnist-*.u8. Any normalisation beyond that is
// the model's own. `count` images are taken with the project's seeded sampling, in file order.
import * as ort from 'onnxruntime-node';
import { SparsecError } from '../errors.js';
import { numel } from '../ir/graph.js';
import { readBytes, sampleIndices } from './data.js';
import type { Feeds } from './calibrate.js';

/** The images of `file` that `pick` chooses from their count (all when omitted) as float32
 *  arrays of `pixels` values; the file is read once. */
export function readImages(file: string, pixels: number, pick?: (count: number) => readonly number[]): Float32Array[] {
  const bytes = readBytes(file);
  const f32 = file.endsWith('.f32');
  const size = pixels * (f32 ? 4 : 1);
  if (bytes.length < size || bytes.length % size !== 0) {
    throw new SparsecError('E_OPTION', `${file}: ${bytes.length} bytes are not whole images of ${pixels} ${f32 ? 'float32 values' : 'bytes'}`, { file });
  }
  const count = bytes.length / size;
  const at = pick ? pick(count) : Array.from({ length: count }, (_, i) => i);
  return at.map((i) => f32
    ? new Float32Array(bytes.buffer.slice(bytes.byteOffset + i * size, bytes.byteOffset + (i + 1) * size))
    : Float32Array.from(bytes.subarray(i * size, (i + 1) * size), (b) => b / 255));
}

export function imageFeeds(file: string, input: string, shape: number[], count: number, seed = 0): Feeds[] {
  return readImages(file, numel(shape), (n) => sampleIndices(n, count, seed)).map((x) => ({ [input]: new ort.Tensor('float32', x, shape) }));
}
