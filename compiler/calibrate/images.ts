// Calibration feeds for an image model from a raw uint8 file: consecutive images of exactly
// the model input's element count (e.g. 784 bytes for [1,1,28,28]), pixel/255 as float32, the
// format of test/fixtures/data/fmnist-*.u8. Any normalisation beyond /255 is the model's own.
// `count` images are taken with the project's seeded sampling, in file order.
import * as ort from 'onnxruntime-node';
import { SparsecError } from '../errors.js';
import { numel } from '../ir/graph.js';
import { readBytes, sampleIndices } from './data.js';
import type { Feeds } from './calibrate.js';

export function imageFeeds(file: string, input: string, shape: number[], count: number, seed = 0): Feeds[] {
  const bytes = readBytes(file);
  const pixels = numel(shape);
  if (bytes.length < pixels || bytes.length % pixels !== 0) {
    throw new SparsecError('E_OPTION', `--calib ${file}: ${bytes.length} bytes are not whole images of ${shape.join('x')} = ${pixels} bytes`, { file });
  }
  return sampleIndices(bytes.length / pixels, count, seed).map((i) => {
    const x = Float32Array.from(bytes.subarray(i * pixels, (i + 1) * pixels), (b) => b / 255);
    return { [input]: new ort.Tensor('float32', x, shape) };
  });
}
