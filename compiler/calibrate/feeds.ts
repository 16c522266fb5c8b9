// Calibration feeds from a data file, by its kind: rendered text lines (a <stem>.json +
// <stem>.u8.gz pair, calibrate/lines.ts) become image inputs [1, 3, H, W] with the PP-OCR
// preprocessing; for a model with one float32 input of static shape, any other file is raw
// uint8 images of that size (calibrate/images.ts, pixel/255, e.g. the fmnist slices); anything
// else is byte-level text (calibrate/text.ts). In both cases `count`
// samples (windows or lines) are picked with the seeded sampler, in file order.
import { existsSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { SparsecError } from '../errors.js';
import { ocrInput, REC_INPUT } from '../eval/ocr.js';
import { ortSession } from '../eval/session.js';
import type { Feeds } from './calibrate.js';
import { sampleIndices } from './data.js';
import { readTextLines } from './lines.js';
import { textCalibration } from './text.js';
import { imageFeeds } from './images.js';

export interface CalibrationOptions {
  /** windows (text) or lines (images) */
  count: number;
  seed: number;
  /** text: the window length in tokens */
  seq: number;
  /** images: the input shape [1, 3, H, W]; default the model's declared H and W, else 48 x 320 */
  shape?: number[];
}

export const isTextLines = (file: string): boolean => {
  const stem = file.replace(/\.(json|u8\.gz)$/, '');
  return existsSync(`${stem}.json`) && existsSync(`${stem}.u8.gz`);
};

export async function calibrationFeeds(model: Uint8Array, modelFile: string, file: string, o: CalibrationOptions): Promise<Feeds[]> {
  const s = await ortSession(model, modelFile);
  const input = s.inputMetadata[0];
  await s.release();
  if (!isTextLines(file)) {
    const fixed = input.isTensor && input.type === 'float32' && s.inputNames.length === 1 ? input.shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? 1 : -1)) : null;
    if (fixed && !fixed.includes(-1)) return imageFeeds(file, s.inputNames[0], fixed, o.count, o.seed);
    return textCalibration(model, modelFile, file, o.seq, o.count, o.seed);
  }
  if (s.inputNames.length !== 1 || !input.isTensor || input.type !== 'float32' || input.shape.length !== 4 || (typeof input.shape[1] === 'number' && input.shape[1] !== 3)) {
    throw new SparsecError('E_OPTION', `--calib ${file} holds text-line images: it needs a model with one float32 image input [N, 3, H, W]`, { file: modelFile });
  }
  const declared = input.shape.map((d) => (typeof d === 'number' ? d : undefined));
  const H = o.shape?.[2] ?? declared[2] ?? REC_INPUT.height, W = o.shape?.[3] ?? declared[3] ?? REC_INPUT.width;
  const lines = readTextLines(file);
  return sampleIndices(lines.length, o.count, o.seed).map((i) => ({ [s.inputNames[0]]: new ort.Tensor('float32', ocrInput(lines[i], H, W), [1, 3, H, W]) }));
}
