// Bits per byte of a byte-level language model in onnxruntime-node, with the windowing of
// eval/metrics.ts (non-overlapping windows of T, every byte but the first scored once).
import * as ort from 'onnxruntime-node';
import { SparsecError } from '../errors.js';
import { bitsPerByte } from './metrics.js';
import { heldOutIndices } from '../calibrate/data.js';
import { ortSession } from './session.js';

export interface TextEval { bitsPerByte: number; perplexityPerByte: number; windows: number; seconds: number }

/** `model` is a path or ONNX bytes with one integer token input [1, T] and logits [1, T, vocab].
 *  `windowIndices`: score only those windows (default all). */
export async function evalTextModel(model: string | Uint8Array, text: Uint8Array, T: number, onProgress?: (done: number, total: number) => void, windowIndices?: readonly number[]): Promise<TextEval> {
  const t0 = performance.now();
  const file = typeof model === 'string' ? model : undefined;
  const session = await ortSession(model);
  try {
    const input = session.inputMetadata[0];
    const output = session.outputMetadata[0];
    if (session.inputNames.length !== 1 || !input.isTensor || (input.type !== 'int64' && input.type !== 'int32')) {
      throw new SparsecError('E_MODEL', 'eval --text needs a model with one int64 or int32 token input', { file });
    }
    const vocab = output.isTensor ? output.shape[output.shape.length - 1] : undefined;
    if (typeof vocab !== 'number') throw new SparsecError('E_MODEL', 'eval --text needs a first output [1, T, vocab] with a fixed vocab size', { file });
    const windows = windowIndices?.length ?? Math.floor(text.length / T);
    if (windows === 0) throw new SparsecError('E_OPTION', `the text has ${text.length} bytes, fewer than one window of ${T}`);
    let done = 0;
    const bpb = await bitsPerByte(text, T, vocab, async (tokens) => {
      const x = input.type === 'int64' ? new ort.Tensor('int64', BigInt64Array.from(tokens, BigInt), [1, T]) : new ort.Tensor('int32', tokens, [1, T]);
      const out = await session.run({ [session.inputNames[0]]: x }, [session.outputNames[0]]);
      onProgress?.(++done, windows);
      return out[session.outputNames[0]].data as Float32Array;
    }, windowIndices);
    return { bitsPerByte: bpb, perplexityPerByte: 2 ** bpb, windows, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await session.release();
  }
}

/** A real check for PHO on calibration text: bits per byte of a pruned model on up to `max`
 *  windows of `text` that calibration (`calibWindows` windows sampled with `seed`) did not use. */
export function heldOutCheck(text: Uint8Array, T: number, calibWindows: number, seed: number, max: number): (onnx: Uint8Array) => Promise<number> {
  const all = Math.floor(text.length / T);
  const windows = heldOutIndices(all, calibWindows, seed, max);
  if (windows.length === 0) throw new SparsecError('E_OPTION', `PHO's real check needs calibration windows that calibration does not use: lower --calib-windows below ${all}, or --pho-validate 0 to skip the check`);
  return async (onnx) => (await evalTextModel(onnx, text, T, undefined, windows)).bitsPerByte;
}
