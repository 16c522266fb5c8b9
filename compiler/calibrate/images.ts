// Calibration feeds for an image model from a raw uint8 file: consecutive images of exactly
// the model input's element count (e.g. 784 bytes for [1,1,28,28]), pixel/255 as float32, the
// format of test/fixtures/data/fmnist-*.u8. Any normalisation beyond /255 is the model's own.
// `count` images are taken with the project's seeded sampling, in file order.
import * as ort from 'onnxruntime-node';
import { SparsecError } from '../errors.js';
import { numel } from '../ir/graph.js';
import { readBytes } from './data.js';
import type { Feeds } from './calibrate.js';
import { rng } from '../util/random.js';

export function imageFeeds(file: string, input: string, shape: number[], count: number, seed = 0): Feeds[] {
  const bytes = readBytes(file);
  const pixels = numel(shape);
  if (bytes.length < pixels || bytes.length % pixels !== 0) {
    throw new SparsecError('E_OPTION', `--calib ${file}: ${bytes.length} bytes are not whole images of ${shape.join('x')} = ${pixels} bytes`, { file });
  }
  const total = bytes.length / pixels;
  const order = Array.from({ length: total }, (_, i) => i);
  const r = rng(seed);
  const n = Math.min(count, total);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(r() * (total - i));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order.slice(0, n).sort((a, b) => a - b).map((i) => {
    const x = Float32Array.from(bytes.subarray(i * pixels, (i + 1) * pixels), (b) => b / 255);
    return { [input]: new ort.Tensor('float32', x, shape) };
  });
}

/** The single float32 input of a model with a static shape (batch 1 where symbolic), or an error. */
export async function staticImageInput(model: Uint8Array, file: string): Promise<{ name: string; shape: number[] }> {
  let s: ort.InferenceSession;
  try {
    s = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, logSeverityLevel: 3 });
  } catch (e) {
    throw new SparsecError('E_FILE', `onnxruntime cannot load the model: ${(e as Error).message.split('\n')[0]}`, { file });
  }
  const meta = s.inputMetadata[0];
  await s.release();
  if (s.inputNames.length !== 1 || !meta.isTensor || meta.type !== 'float32') throw new SparsecError('E_OPTION', '--calib with image bytes needs a model with one float32 input', { file });
  const shape = meta.shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? 1 : -1));
  if (shape.includes(-1)) throw new SparsecError('E_OPTION', `--calib with image bytes needs a static input shape; '${s.inputNames[0]}' is [${meta.shape.join(',')}]`, { file });
  return { name: s.inputNames[0], shape };
}
