// `sparsec prune --method reprune|l1|random`: channel pruning of a CNN to a FLOPs reduction
// target, real graph surgery (smaller layers), then recovery from calibration images.
import { readModelBytes } from '../onnx/read.js';
import { SparsecError } from '../errors.js';
import { parseInputShapes } from '../ir/passes/inputShapes.js';
import { calibrationFeeds } from '../calibrate/feeds.js';
import { channelPrune, type ChannelMethod } from '../prune/reprune/channelPrune.js';
import { progress } from './progress.js';
import { positiveInt, reductionFraction } from './options.js';

export interface ChannelCliOptions {
  method: ChannelMethod; flopsReduction?: string; reconstruct: boolean; recalibrate: boolean; residual: 'keep' | 'prune';
  cap: string; calib?: string; calibImages: string; calibRotate?: string; inputShape: string[]; seed: string; quiet?: boolean;
}

const fraction = (name: string, v: string, max: number): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > max) throw new SparsecError('E_OPTION', `${name} must be a number in [0, ${max}], got '${v}'`);
  return n;
};

export async function channelPruneCli(model: string, o: ChannelCliOptions) {
  if (o.flopsReduction === undefined) throw new SparsecError('E_OPTION', `--method ${o.method} needs --flops-reduction <x> (e.g. 0.5 or 50%)`);
  const flopsReduction = reductionFraction('--flops-reduction', o.flopsReduction);
  const recover = o.reconstruct || o.recalibrate;
  if (recover && !o.calib) throw new SparsecError('E_OPTION', `--method ${o.method} recovers accuracy from calibration images: give --calib <images.u8|.f32|rendered lines>, or --no-reconstruct --no-recalibrate`);
  const bytes = readModelBytes(model);
  const inputShapes = parseInputShapes(o.inputShape);
  const count = positiveInt('--calib-images', o.calibImages);
  if (o.calibRotate !== undefined && o.calibRotate !== '180') throw new SparsecError('E_OPTION', `--calib-rotate supports 180 (each calibration image also turned by 180°), got '${o.calibRotate}'`);
  const feeds = recover ? await calibrationFeeds(bytes, model, o.calib!, { count, seed: Number(o.seed) || 0, seq: 0, shape: Object.values(inputShapes)[0], rotate180: o.calibRotate === '180' }) : undefined;
  const bar = progress('recovering', o.quiet);
  const r = await channelPrune(bytes, model, {
    method: o.method, flopsReduction, inputShapes, residual: o.residual, cap: fraction('--cap', o.cap, 1), seed: Number(o.seed) || 0,
    feeds, reconstruct: o.reconstruct, recalibrate: o.recalibrate, onProgress: (d, t) => bar.update(d, t),
  }).finally(() => bar.stop());
  return r;
}
