// `sparsec build --prune toast:<reduction>[,<method>:<pattern>]`: ToaSt first (attention head
// dimensions and FFN hidden units, dense and smaller), then optionally an N:M or unstructured
// pruner of the CRePE family on the linear layers that remain, e.g. toast:0.3,crepe:2:4. Both
// stages calibrate on the same --calib data (calibrate/feeds.ts: text, rendered lines, images);
// the second stage calibrates on the ToaSt-pruned model.
import { readFileSync } from 'node:fs';
import type { Graph } from '../../ir/graph.js';
import { SparsecError } from '../../errors.js';
import { calibrationFeeds } from '../../calibrate/feeds.js';
import { parsePattern } from '../masks.js';
import { pruneModel } from '../pipeline.js';
import type { ScoreMethod } from '../scores.js';
import { pruneToast } from './toast.js';

export interface ToastSpec { reduction: number; then: { method: ScoreMethod; pattern: NonNullable<ReturnType<typeof parsePattern>> } | null }

export function parseToastSpec(spec: string): ToastSpec | null {
  const m = /^toast:([^,]+)(?:,(crepe|ria|wanda|magnitude):(.+))?$/.exec(spec.trim());
  if (!m) return null;
  const bad = () => new SparsecError('E_OPTION', `--prune '${spec}': expected toast:<MAC reduction in (0,1)>, optionally followed by ,crepe|ria|wanda|magnitude:<2:4|4:8|0.5> (e.g. toast:0.3,crepe:2:4)`);
  const pct = m[1].endsWith('%');
  const reduction = Number(pct ? m[1].slice(0, -1) : m[1]) / (pct ? 100 : 1);
  if (!Number.isFinite(reduction) || reduction <= 0 || reduction >= 1) throw bad();
  if (!m[2]) return { reduction, then: null };
  const pattern = parsePattern(m[3], 'matrix');
  if (!pattern) throw bad();
  return { reduction, then: { method: m[2] as ScoreMethod, pattern } };
}

export async function toastForBuild(file: string, spec: ToastSpec, calib: string | undefined, shape?: number[]): Promise<Graph> {
  if (!calib) throw new SparsecError('E_OPTION', '--prune toast:... needs calibration data: --calib <images.u8, rendered text lines or text>');
  let bytes: Uint8Array = readFileSync(file);
  const feeds = await calibrationFeeds(bytes, file, calib, { count: 128, seq: shape?.at(-1) ?? 128, seed: 0, shape });
  const toast = await pruneToast(bytes, file, { flopsReduction: spec.reduction, feeds });
  if (!spec.then) return toast.graph;
  bytes = toast.onnx;
  return (await pruneModel(bytes, file, { method: spec.then.method, pattern: spec.then.pattern, feeds: spec.then.method === 'magnitude' ? undefined : feeds })).graph;
}
