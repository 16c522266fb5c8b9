// Rotated copies of calibration images (`--calib-rotate 180`): a model that must tell orientations
// apart (PP-OCR's 0°/180° classifier) needs calibration inputs of both classes, or the layers
// refit from them never see the other class (docs/reprune.md: upright-only calibration left
// the pruned classifier answering "0°" always). Text lines are rotated before preprocessing
// (calibrate/feeds.ts, as the evaluation does); raw image tensors here.
import * as ort from 'onnxruntime-node';
import { SparsecError } from '../errors.js';
import type { Feeds } from './calibrate.js';

/** An image tensor turned by 180°: pixel (y, x) ← (H−1−y, W−1−x), channels unchanged. The layout
 *  is read from the shape: [N, C, H, W] when C ≤ 4, else [N, H, W, C] when the last axis ≤ 4. */
export function rotateImage180(data: Float32Array, shape: readonly number[]): Float32Array {
  if (shape.length !== 4 || (shape[1] > 4 && shape[3] > 4)) throw new SparsecError('E_OPTION', `--calib-rotate needs image inputs [N, C, H, W] or [N, H, W, C] with C ≤ 4, got [${shape.join(', ')}]`);
  const out = new Float32Array(data.length);
  if (shape[1] <= 4) { // NCHW: reverse each plane
    const plane = shape[2] * shape[3];
    for (let p = 0; p < data.length; p += plane) for (let i = 0; i < plane; i++) out[p + i] = data[p + plane - 1 - i];
  } else { // NHWC: reverse the pixel order, keep each pixel's channels
    const C = shape[3], plane = shape[1] * shape[2] * C;
    for (let p = 0; p < data.length; p += plane) for (let i = 0; i < plane; i += C) for (let c = 0; c < C; c++) out[p + i + c] = data[p + plane - C - i + c];
  }
  return out;
}

/** Each feed followed by its copy with every float32 image input turned by 180°. */
export function withRotated180(feeds: readonly Feeds[]): Feeds[] {
  return feeds.flatMap((f) => [f, Object.fromEntries(Object.entries(f).map(([k, t]) => [k, new ort.Tensor('float32', rotateImage180(t.data as Float32Array, t.dims), t.dims)]))]);
}
