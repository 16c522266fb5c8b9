// `sparsec prune --method toast` as a function (spec §5, the post-training variant):
//   find attention blocks and FFNs → fit the back-loaded schedule to the MAC budget →
//   calibrate the dense model once (q/k/v, class attention, FFN hidden units, block outputs) →
//   score and keep head dimensions (coupled q/k and v/o, same count in every head) and hidden
//   units → dense surgery → corrections, in graph order: each W_o and fc2 is refitted by ridge
//   least squares so the pruned model's branch output matches the dense model's on the
//   calibration tokens (its features come from the already pruned and refitted earlier blocks;
//   one onnxruntime pass per refitted layer). Without refits the mean of every removed feature is
//   folded into the bias instead. Without calibration data: geometric-median head scores,
//   magnitude FFN scores, no corrections.
import type { Graph } from '../../ir/graph.js';
import { attrInt, constNumbers, isConst, valueOf } from '../../ir/graph.js';
import { readOnnx } from '../../onnx/read.js';
import { writeOnnx } from '../../onnx/write.js';
import type { Feeds } from '../../calibrate/calibrate.js';
import { SparsecError } from '../../errors.js';
import { ridgeFit } from '../../util/ridge.js';
import { findAttention, type AttentionBlock } from './attention.js';
import { collectActivations, type Activations } from './collect.js';
import { findFfns, type Ffn } from './ffn.js';
import { range, weightAt, type LinearOp } from './linearOp.js';
import { fitSchedule, graphMacs, modelCost, type BudgetScope, type Schedule } from './schedule.js';
import { headScores, hiddenScores, topK, type HeadScore } from './scores.js';
import { copyGraph, pruneHeads, pruneHiddenUnits, type HeadKeep } from './surgery.js';
import { prepareForChannels } from '../groups.js';

export interface ToastOptions {
  /** fraction of the model's MACs to remove (0.3 = 30%) */
  flopsReduction?: number;
  /** what flopsReduction is a fraction of (default the whole model) */
  budgetScope?: BudgetScope;
  /** an explicit schedule instead of the fitted one */
  schedule?: Schedule;
  feeds?: readonly Feeds[];
  /** head scores: 'data' (default with feeds), 'gm' (default without), 'magnitude' (baseline) */
  headScore?: HeadScore;
  /** FFN scores: 'data' (default with feeds) or 'magnitude' */
  ffnScore?: 'data' | 'magnitude';
  /** least-squares refit of W_o and fc2 (default: on with feeds) */
  refit?: boolean;
  /** fold the mean of removed features into the bias when not refitting (default: on with feeds) */
  biasCorrection?: boolean;
  /** ridge strength relative to the mean feature energy */
  ridge?: number;
  /** input shapes for models with symbolic dimensions (default: the calibration feeds') */
  inputShapes?: Record<string, number[]>;
  /** tokens kept per calibration input */
  maxTokens?: number;
  seed?: number;
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface ToastReport {
  attention: { name: string; heads: number; headDim: number; kept: number }[];
  ffn: { name: string; hidden: number; kept: number }[];
  skipped: { node: string; reason: string }[];
  /** whole model; `blocks` counts the attention blocks and FFNs alone */
  macs: { dense: number; pruned: number; reduction: number; blocksDense: number; blocksReduction: number };
  headScore: HeadScore;
  ffnScore: 'data' | 'magnitude';
  refit: boolean;
  biasCorrection: boolean;
  classToken: boolean;
}

export interface ToastResult { graph: Graph; onnx: Uint8Array; report: ToastReport }

export const TOAST_DEFAULTS = { ridge: 1e-3, maxTokens: 64, seed: 0 };

/** A class token exists when the head reads token 0: Gather(index 0) on axis 1. */
export function hasClassToken(g: Graph): boolean {
  return g.nodes.some((n) => n.op === 'Gather' && attrInt(n, 'axis', 0) === 1 && isConst(g, n.inputs[1]) && constNumbers(g, n.inputs[1]).join() === '0');
}

const nodeIndex = (g: Graph, name: string) => g.nodes.findIndex((n) => n.name === name);

export async function pruneToast(bytes: Uint8Array, file: string, o: ToastOptions): Promise<ToastResult> {
  const feeds = o.feeds?.length ? o.feeds : undefined;
  const inputShapes = o.inputShapes ?? (feeds ? Object.fromEntries(Object.entries(feeds[0]).map(([k, t]) => [k, t.dims.map(Number)])) : {});
  // fixed shapes and folded shape arithmetic: what the channel groups work on (the written model
  // is for these input shapes)
  const g = prepareForChannels(readOnnx(bytes, file), inputShapes);
  const scan = findAttention(g);
  const blocks = scan.blocks;
  const used = new Set(blocks.flatMap((b) => [b.q.proj.node, b.k.proj.node, b.v.proj.node, b.out.node]));
  const ffns = findFfns(g).filter((f) => !used.has(f.fc1.node) && !used.has(f.fc2.node));
  if (!blocks.length && !ffns.length) {
    const why = scan.skipped.map((s) => `${s.node}: ${s.reason}`).join('; ');
    throw new SparsecError('E_MODEL', `no attention block or FFN found for ToaSt${why ? ` (${why})` : ''}`, { file });
  }
  const headScore = o.headScore ?? (feeds ? 'data' : 'gm');
  const ffnScore = o.ffnScore ?? (feeds ? 'data' : 'magnitude');
  const refit = o.refit ?? !!feeds;
  const biasCorrection = o.biasCorrection ?? !!feeds;
  if ((headScore === 'data' || ffnScore === 'data' || refit || biasCorrection) && !feeds) {
    throw new SparsecError('E_OPTION', 'data-aware scores, refits and bias correction need calibration data (--calib)');
  }
  const cost = modelCost(g, blocks, ffns, inputShapes);
  let schedule = o.schedule;
  if (!schedule) {
    if (o.flopsReduction === undefined) throw new SparsecError('E_OPTION', 'ToaSt needs --flops-reduction (or an explicit schedule)');
    schedule = fitSchedule(cost, o.flopsReduction, o.budgetScope).schedule;
  }
  const classToken = hasClassToken(g);
  const sort = <T>(xs: T[], node: (x: T) => string) => xs.map((x) => [nodeIndex(g, node(x)), x] as const).sort((a, b) => a[0] - b[0]).map((p) => p[1]);

  // one dense calibration pass: everything scores and targets need
  let dense: Activations | undefined;
  if (feeds) {
    const names = new Set<string>();
    for (const b of blocks) { names.add(b.q.proj.output); names.add(b.k.proj.output); names.add(b.v.proj.output); names.add(b.out.input); names.add(b.out.output); }
    for (const f of ffns) { names.add(f.hidden); names.add(f.fc2.output); }
    dense = await collectActivations(bytes, feeds, [...names], blocks.map((b) => b.probs), {
      maxTokens: o.maxTokens ?? TOAST_DEFAULTS.maxTokens, seed: o.seed ?? TOAST_DEFAULTS.seed, classToken, onProgress: (d, t) => o.onProgress?.('calibrating', d, t),
    });
  }

  // what to keep
  const plans: HeadKeep[] = [];
  blocks.forEach((b, i) => {
    const k = schedule!.attention[i];
    if (k >= b.headDim) return;
    const s = headScores(g, b, headScore, dense);
    plans.push({ block: b, qk: s.qk.map((x) => topK(x, k)), vo: s.vo.map((x) => topK(x, k)) });
  });
  const hidden: { ffn: Ffn; keep: number[] }[] = [];
  ffns.forEach((f, i) => {
    const keep = schedule!.ffn[i];
    if (keep >= f.fc1.dOut) return;
    const probs = classToken ? precedingBlock(g, blocks, f)?.probs ?? null : null;
    hidden.push({ ffn: f, keep: topK(hiddenScores(g, f.fc1, f.fc2, ffnScore, dense, probs), keep) });
  });

  const headsPruned = copyGraph(g);
  pruneHeads(headsPruned, plans);
  const out = pruneHiddenUnits(headsPruned, inputShapes, new Map(hidden.map((h) => [h.ffn.group, h.keep])));

  // corrections, each against the dense model's outputs
  if (dense && (refit || biasCorrection)) {
    type Item = { op: LinearOp; rows: number[] };
    const items: Item[] = [
      ...plans.map((p) => ({ op: p.block.out, rows: range(p.block.heads).flatMap((j) => p.vo[j].map((i) => j * p.block.headDim + i)) })),
      ...hidden.map((h) => ({ op: h.ffn.fc2, rows: h.keep })),
    ];
    const ordered = sort(items, (x) => x.op.node);
    for (let i = 0; i < ordered.length; i++) {
      const { op, rows } = ordered[i];
      if (refit) {
        const now = await collectActivations(writeOnnx(out), feeds!, [op.input], [], { maxTokens: o.maxTokens ?? TOAST_DEFAULTS.maxTokens, seed: o.seed ?? TOAST_DEFAULTS.seed, classToken });
        refitLinear(out, op, now.values.get(op.input)!.data, dense.values.get(op.output)!.data, dense.rows, rows.length, o.ridge ?? TOAST_DEFAULTS.ridge);
      } else {
        foldRemovedMeans(g, out, op, rows, dense.values.get(op.input)!);
      }
      o.onProgress?.(refit ? 'refitting' : 'correcting', i + 1, ordered.length);
    }
  }

  const onnx = writeOnnx(out);
  const pruned = graphMacs(out, inputShapes).total;
  return {
    graph: out, onnx,
    report: {
      attention: blocks.map((b, i) => ({ name: b.softmax, heads: b.heads, headDim: b.headDim, kept: schedule!.attention[i] })),
      ffn: ffns.map((f, i) => ({ name: f.fc1.node, hidden: f.fc1.dOut, kept: Math.min(f.fc1.dOut, schedule!.ffn[i]) })),
      skipped: scan.skipped,
      macs: { dense: cost.total, pruned, reduction: 1 - pruned / cost.total, blocksDense: cost.blocks, blocksReduction: (cost.total - pruned) / cost.blocks },
      headScore, ffnScore, refit, biasCorrection, classToken,
    },
  };
}

/** The attention block of the same transformer block: the last one before the FFN. */
function precedingBlock(g: Graph, blocks: readonly AttentionBlock[], f: Ffn): AttentionBlock | null {
  const at = nodeIndex(g, f.fc1.node);
  let best: AttentionBlock | null = null, bestAt = -1;
  for (const b of blocks) { const i = nodeIndex(g, b.out.node); if (i < at && i > bestAt) { best = b; bestAt = i; } }
  return best;
}

/** New weight and bias of a pruned linear op (in `g`) from a ridge fit of its kept input
 *  features (rows × n, from the pruned model) to the dense model's outputs (rows × m). */
function refitLinear(g: Graph, op: LinearOp, F: Float32Array, Y: Float32Array, rows: number, n: number, ridge: number): void {
  const m = op.dOut;
  if (F.length !== rows * n || Y.length !== rows * m) throw new Error(`internal: refit of '${op.node}' got ${F.length / rows}×${Y.length / rows} features×targets, expected ${n}×${m}`);
  const fit = ridgeFit(F, Y, rows, n, m, ridge, !!op.bias);
  const w = valueOf(g, op.weight);
  const data = new Float32Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) data[op.storedOutIn ? j * n + i : i * m + j] = fit.w[i * m + j];
  g.values.set(op.weight, { ...w, data });
  if (op.bias) { const b = valueOf(g, op.bias); g.values.set(op.bias, { ...b, data: Float32Array.from(fit.b) }); }
}

/** Bias correction: b += Σ_removed E[x_i]·W[i,:], the dense weights' removed rows times the
 *  calibration mean of their inputs. */
function foldRemovedMeans(dense: Graph, g: Graph, op: LinearOp, kept: readonly number[], x: { cols: number; data: Float32Array }): void {
  if (!op.bias) return;
  const keep = new Set(kept);
  const w = valueOf(dense, op.weight).data as Float32Array;
  const rows = x.data.length / x.cols;
  const b = valueOf(g, op.bias);
  const bias = Float32Array.from(b.data as Float32Array);
  for (let i = 0; i < op.dIn; i++) {
    if (keep.has(i)) continue;
    let mean = 0;
    for (let r = 0; r < rows; r++) mean += x.data[r * x.cols + i];
    mean /= rows;
    for (let j = 0; j < op.dOut; j++) bias[j] += mean * weightAt(w, op, i, j);
  }
  g.values.set(op.bias, { ...b, data: bias });
}
