// Calibration feeds from a data file, by its kind: rendered text lines (a <stem>.json +
// <stem>.u8.gz pair, calibrate/lines.ts) become image inputs [1, 3, H, W] with the PP-OCR
// preprocessing; for a model with one float32 input of static shape, any other file is raw
// uint8 images of that size (calibrate/images.ts, pixel/255, e.g. the fmnist slices); anything
// else is byte-level text (calibrate/text.ts). In both cases `count`
// samples (windows or lines) are picked with the seeded sampler, in file order; `rotate180` adds
// each image or line turned by 180° (calibrate/rotate.ts).
import { existsSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { SparsecError } from '../errors.js';
import { ocrInput, REC_INPUT, rotate180 } from '../eval/ocr.js';
import { ortSession } from '../eval/session.js';
import type { Feeds } from './calibrate.js';
import { sampleIndices } from './data.js';
import { readTextLines, textLinesStem } from './lines.js';
import { textFeeds } from './text.js';
import { imageFeeds } from './images.js';
import { withRotated180 } from './rotate.js';

export interface CalibrationOptions {
  /** windows (text) or lines (images) */
  count: number;
  seed: number;
  /** text: the window length in tokens */
  seq: number;
  /** images: the input shape [1, 3, H, W]; default the model's declared H and W, else 48 x 320 */
  shape?: number[];
  /** images and text lines: also each one turned by 180° (2·count feeds), for orientation classifiers */
  rotate180?: boolean;
}

export const isTextLines = (file: string): boolean => {
  const stem = textLinesStem(file);
  return existsSync(`${stem}.json`) && existsSync(`${stem}.u8.gz`);
};

export async function calibrationFeeds(model: Uint8Array, modelFile: string, file: string, o: CalibrationOptions): Promise<Feeds[]> {
  const s = await ortSession(model, modelFile);
  const inputs = s.inputMetadata, input = inputs[0];
  await s.release();
  if (!isTextLines(file)) {
    const fixed = input.isTensor && input.type === 'float32' && s.inputNames.length === 1 ? input.shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? 1 : -1)) : null;
    if (fixed && !fixed.includes(-1)) {
      const feeds = imageFeeds(file, s.inputNames[0], fixed, o.count, o.seed);
      return o.rotate180 ? withRotated180(feeds) : feeds;
    }
    if (o.rotate180) throw new SparsecError('E_OPTION', `--calib-rotate applies to images and rendered text lines, not to ${file} (text for a model without a static image input)`, { file: modelFile });
    return textFeeds(inputs, file, o.seq, o.count, o.seed);
  }
  if (s.inputNames.length !== 1 || !input.isTensor || input.type !== 'float32' || input.shape.length !== 4 || (typeof input.shape[1] === 'number' && input.shape[1] !== 3)) {
    throw new SparsecError('E_OPTION', `--calib ${file} holds text-line images: it needs a model with one float32 image input [N, 3, H, W]`, { file: modelFile });
  }
  const declared = input.shape.map((d) => (typeof d === 'number' ? d : undefined));
  const H = o.shape?.[2] ?? declared[2] ?? REC_INPUT.height, W = o.shape?.[3] ?? declared[3] ?? REC_INPUT.width;
  const lines = readTextLines(file);
  // a line is turned before preprocessing (the padding stays on the right), as the evaluation does
  const picked = sampleIndices(lines.length, o.count, o.seed).flatMap((i) => (o.rotate180 ? [lines[i], rotate180(lines[i])] : [lines[i]]));
  return picked.map((line) => ({ [s.inputNames[0]]: new ort.Tensor('float32', ocrInput(line, H, W), [1, 3, H, W]) }));
}
