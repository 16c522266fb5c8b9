// Calibration feeds for a byte-level language model from a text file: seeded windows of T
// bytes as token ids, for the model's single int64/int32 token input.
import type * as ort from 'onnxruntime-node';
import { SparsecError } from '../errors.js';
import { readBytes, sampleWindows } from './data.js';
import { tokenFeeds } from './calibrate.js';
import { ortSession } from '../eval/session.js';

export async function textCalibration(model: Uint8Array, modelFile: string, file: string, T: number, count: number, seed: number) {
  const s = await ortSession(model, modelFile);
  const inputs = s.inputMetadata;
  await s.release();
  return textFeeds(inputs, file, T, count, seed);
}

/** The feeds for a model whose inputs are `inputs` (a session's inputMetadata, already loaded). */
export function textFeeds(inputs: readonly ort.InferenceSession.ValueMetadata[], file: string, T: number, count: number, seed: number) {
  const input = inputs[0];
  if (inputs.length !== 1 || !input.isTensor || (input.type !== 'int64' && input.type !== 'int32')) {
    throw new SparsecError('E_OPTION', '--calib with a text file needs a model with one int64 or int32 token input [1, T]');
  }
  const windows = sampleWindows(readBytes(file), T, count, seed);
  if (windows.length === 0) throw new SparsecError('E_OPTION', `--calib ${file} holds fewer than ${T} bytes (one window of --seq)`);
  return tokenFeeds(windows, input.name, input.type);
}
