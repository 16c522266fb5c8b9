// Channel pruning of a CNN as one compiler pass: coupling groups (groups.ts) → kept count per
// group for a FLOPs reduction target (ratios.ts; MACs of a selection by channelMacs.ts) → which channels (REPrune, L1 or random) →
// graph surgery (surgery.ts: smaller tensors, not zeros) → recovery from calibration data
// (recover.ts). `sparsec prune --method reprune|l1|random` and `build --prune reprune:0.5` call it.
import type { Graph, Node } from '../../ir/graph.js';
import { attrInt, valueOf } from '../../ir/graph.js';
import { readOnnx } from '../../onnx/read.js';
import { writeOnnx } from '../../onnx/write.js';
import { SparsecError } from '../../errors.js';
import type { Feeds } from '../../calibrate/calibrate.js';
import { findChannelGroups, groupGamma, prepareForChannels, type ChannelGroup } from '../groups.js';
import { applyChannelSelection } from '../surgery.js';
import { channelMacs } from '../channelMacs.js';
import { allocate, type Allocation } from './ratios.js';
import { repruneSelect, type ConvWeight } from './select.js';
import { l1Select, randomSelect } from './baselines.js';
import { recoverPruned, type LayerChannels, type RecoverStep } from './recover.js';

export type ChannelMethod = 'reprune' | 'l1' | 'random';

export interface ChannelPruneOptions {
  method: ChannelMethod;
  /** target 1 − FLOPs(pruned)/FLOPs(dense), FLOPs = MACs of Conv/Gemm/MatMul */
  flopsReduction: number;
  inputShapes?: Record<string, number[]>;
  /** groups of several producers (residual streams through Add, SE gates): 'prune' selects
   *  their channels once for all producers; 'keep' leaves them whole (the paper's choice) */
  residual?: 'keep' | 'prune';
  /** largest fraction of one group's channels that may go */
  cap?: number;
  seed?: number;
  /** calibration inputs, needed by recovery */
  feeds?: readonly Feeds[];
  reconstruct?: boolean;
  recalibrate?: boolean;
  /** keep a recalibration only if it lowers the output error against the dense model (default true) */
  checkRecalibration?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface GroupReport { id: string; channels: number; kept: number; producers: number; skip: string }

export interface ChannelPruneResult {
  graph: Graph;
  /** the requested FLOPs reduction (flops.reduction is what the caps allowed) */
  target: number;
  onnx: Uint8Array;
  groups: GroupReport[];
  flops: { dense: number; pruned: number; reduction: number };
  allocation: Allocation;
  steps: RecoverStep[];
}

/** The group's producer weights as filters × inputs × kernel, one filter per group channel
 *  (Conv W axis 0; Gemm/MatMul rows or columns as 1x1 kernels). Grouped convs are left out: their
 *  filters do not read the same input maps. */
function producerWeights(g: Graph, grp: ChannelGroup): ConvWeight[] {
  const out: ConvWeight[] = [];
  for (const p of grp.producers) {
    const node = g.nodes.find((n) => n.name === p.node)!;
    if (node.op === 'Conv' && attrInt(node, 'group', 1) !== 1) continue;
    const v = valueOf(g, p.tensor);
    const shape = v.shape!, data = v.data as Float32Array;
    if (v.dtype !== 'float32') continue;
    const rows = shape[p.axis];
    const per = data.length / rows;
    // per = inputs × kernel; for Conv axis 0 the layout is already filters-first
    const kernel = node.op === 'Conv' ? shape.slice(2).reduce((a, b) => a * b, 1) : 1;
    const w = new Float32Array(grp.size * per);
    const stride = shape.slice(p.axis + 1).reduce((a, b) => a * b, 1);
    const outer = shape.slice(0, p.axis).reduce((a, b) => a * b, 1);
    p.positions.forEach((pos, i) => {
      const ch = p.channels[i];
      for (let o = 0, f = 0; o < outer; o++) for (let s = 0; s < stride; s++, f++) w[ch * per + f] = data[(o * rows + pos) * stride + s];
    });
    out.push({ data: w, shape: [grp.size, per / kernel, ...(node.op === 'Conv' ? shape.slice(2) : [1, 1])] });
  }
  return out;
}

/** k kept channels of a group, evenly over `blocks` contiguous blocks (grouped convs). */
function selectGroup(method: ChannelMethod, ws: ConvWeight[], grp: ChannelGroup, k: number, gamma: Float32Array | null, seed: number): number[] {
  const per = grp.size / grp.blocks, kPer = k / grp.blocks;
  const kept: number[] = [];
  for (let b = 0; b < grp.blocks; b++) {
    const sub = grp.blocks === 1 ? ws : ws.map((w) => {
      const row = w.data.length / w.shape[0];
      return { data: Array.prototype.slice.call(w.data, b * per * row, (b + 1) * per * row) as number[], shape: [per, ...w.shape.slice(1)] };
    });
    const g = gamma && (grp.blocks === 1 ? gamma : gamma.subarray(b * per, (b + 1) * per));
    let chosen: number[];
    if (method === 'random') chosen = randomSelect(per, kPer, seed + b);
    else if (method === 'l1') chosen = sub.length ? l1Select(sub, kPer) : repruneSelect([], kPer, per, g ?? undefined);
    else chosen = repruneSelect(sub, kPer, per, g ?? undefined);
    kept.push(...chosen.map((c) => c + b * per));
  }
  return kept.sort((a, b) => a - b);
}

/** Kept original positions along `axis` of a weight, or null when all stay. */
function keptPositions(extent: number, pruned: Set<number>): number[] | null {
  if (!pruned.size) return null;
  return Array.from({ length: extent }, (_, i) => i).filter((i) => !pruned.has(i));
}

const LAYERS = new Set(['Conv', 'Gemm', 'MatMul']);
/** The weight axis of a layer's output channels: Gemm transB=0 and MatMul weights are [K, N]. */
const outputAxis = (n: Node) => (n.op === 'MatMul' || (n.op === 'Gemm' && attrInt(n, 'transB', 0) === 0) ? 1 : 0);

/** Per layer, which input and output channels the selection keeps (for recovery). */
export function layerChannels(g: Graph, groups: readonly ChannelGroup[], keep: Map<string, number[]>): (node: string) => LayerChannels | undefined {
  const prunedOut = new Map<string, Set<number>>(), prunedIn = new Map<string, Set<number>>();
  const add = (m: Map<string, Set<number>>, k: string, p: number) => { let s = m.get(k); if (!s) m.set(k, (s = new Set())); s.add(p); };
  for (const grp of groups) {
    const kept = keep.get(grp.id);
    if (!kept) continue;
    const flags = new Uint8Array(grp.size);
    for (const c of kept) flags[c] = 1;
    for (const s of grp.slices) {
      const node = g.nodes.find((n) => n.name === s.node);
      if (!node || !LAYERS.has(node.op) || s.tensor !== node.inputs[1]) continue;
      const outAxis = outputAxis(node);
      if (s.axis !== outAxis) continue;
      s.positions.forEach((p, i) => { if (!flags[s.channels[i]]) add(prunedOut, s.node, p); });
    }
    for (const c of grp.consumers) c.positions.forEach((p, i) => { if (!flags[c.channels[i]]) add(prunedIn, `${c.node}|${c.input}`, p); });
  }
  return (name) => {
    const node = g.nodes.find((n) => n.name === name);
    if (!node || !LAYERS.has(node.op)) return undefined;
    const w = valueOf(g, node.inputs[1]).shape!, x = valueOf(g, node.inputs[0]).shape!;
    const outExtent = w[outputAxis(node)];
    const inExtent = node.op === 'MatMul' ? x[x.length - 1] : x[1]; // Conv NCHW and Gemm [N, K] (transA 0) alike
    const keptOut = keptPositions(outExtent, prunedOut.get(name) ?? new Set());
    const keptIn = keptPositions(inExtent, prunedIn.get(`${name}|0`) ?? new Set());
    return keptOut || keptIn ? { keptOut, keptIn } : undefined;
  };
}

export async function channelPrune(bytes: Uint8Array, file: string, o: ChannelPruneOptions): Promise<ChannelPruneResult> {
  if (!(o.flopsReduction >= 0 && o.flopsReduction < 1)) throw new SparsecError('E_OPTION', `--flops-reduction must be in [0, 1), got ${o.flopsReduction}`);
  const dense = prepareForChannels(readOnnx(bytes, file), o.inputShapes ?? {});
  const groups = findChannelGroups(dense);
  const residual = o.residual ?? 'prune', seed = o.seed ?? 0;
  const report: GroupReport[] = [];
  const active: ChannelGroup[] = [];
  for (const grp of groups) {
    const r = { id: grp.id, channels: grp.size, kept: grp.size, producers: grp.producers.length, skip: '' };
    if (!grp.prunable) r.skip = grp.reasons.join('; ');
    else if (residual === 'keep' && grp.producers.length > 1) r.skip = `${grp.producers.length} coupled producers (--residual keep)`;
    else if (grp.size < 2) r.skip = 'a single channel';
    else active.push(grp);
    report.push(r);
  }
  if (!active.length) throw new SparsecError('E_MODEL', 'no prunable channel group (see --residual)', { file });
  const gammas = new Map(active.map((grp) => [grp.id, groupGamma(dense, grp)]));
  // kept counts: multiples of the group's blocks; FLOPs measured on the real surgery
  const roundKept = (grp: ChannelGroup, k: number) => Math.min(grp.size, Math.max(grp.blocks, Math.ceil(k / grp.blocks) * grp.blocks));
  const firstK = (kept: Map<string, number>) => new Map(active.filter((grp) => kept.has(grp.id)).map((grp) => {
    const k = roundKept(grp, kept.get(grp.id)!), per = grp.size / grp.blocks;
    return [grp.id, Array.from({ length: grp.size }, (_, i) => i).filter((i) => i % per < k / grp.blocks)];
  }));
  const macsOf = channelMacs(dense, groups);
  const flops = (kept: Map<string, number>) => macsOf(firstK(kept));
  const allocation = allocate(active.map((grp) => ({ id: grp.id, channels: grp.size, gamma: gammas.get(grp.id) ?? undefined })), o.flopsReduction, flops, o.cap ?? 0.7);
  // which channels
  const keep = new Map<string, number[]>();
  active.forEach((grp, i) => {
    const k = roundKept(grp, allocation.kept.get(grp.id)!);
    if (k >= grp.size) return;
    keep.set(grp.id, selectGroup(o.method, producerWeights(dense, grp), grp, k, gammas.get(grp.id) ?? null, seed * 1000003 + i * 7919));
    report.find((r) => r.id === grp.id)!.kept = k;
  });
  let graph = applyChannelSelection(dense, keep, groups);
  let steps: RecoverStep[] = [];
  if ((o.reconstruct || o.recalibrate) && keep.size) {
    if (!o.feeds?.length) throw new SparsecError('E_OPTION', 'recovery (reconstruction or recalibration) needs calibration inputs: --calib <data>');
    ({ graph, steps } = await recoverPruned(writeOnnx(dense), dense, graph, layerChannels(dense, groups, keep), o.feeds, {
      reconstruct: !!o.reconstruct, recalibrate: !!o.recalibrate, checkRecalibration: o.checkRecalibration, seed, onProgress: o.onProgress,
    }));
  }
  const denseFlops = macsOf(new Map()), prunedFlops = macsOf(keep);
  return { graph, target: o.flopsReduction, onnx: writeOnnx(graph), groups: report, flops: { dense: denseFlops, pruned: prunedFlops, reduction: 1 - prunedFlops / denseFlops }, allocation, steps };
}
