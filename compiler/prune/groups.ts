// Channel coupling groups: which channels of which tensors must be removed together so that a
// channel-pruned graph computes exactly what the original computes with those channels zeroed
// where they are consumed. Shared by REPrune (CNN filters) and ToaSt (FFN channels).
//
// API
//   prepareForChannels(g, inputShapes?) → a copy with fixed input shapes, constants folded and
//       every shape inferred (Reshape targets computed from Shape become constants). It runs
//       before BatchNorm folding: REPrune sets per-layer ratios from BN scales (γ), the spec
//       clusters unfolded conv weights, and slicing BN's four vectors costs nothing. The
//       compiler folds BN later, on the pruned model, as it does for any model.
//   findChannelGroups(g) → ChannelGroup[] over a prepared graph, in a stable order:
//     id         the first producer's node name, plus `@k` when the group starts at its channel
//                k (a producer whose channels split into several groups, e.g. through Concat)
//     size       channel count; channel j of the group is one index in every tensor below
//     prunable   false with `reasons` when any of its channels cannot go
//     blocks     grouped convs: kept channels must be spread evenly over `blocks` contiguous
//                blocks of the group's channels (1 = any subset)
//     producers  the weights whose output channels define the group (Conv W axis 0, MatMul B
//                axis 1, Gemm B axis 0 or 1, ConvTranspose W axis 1) with their biases
//     slices     every constant sliced with it: producers, consumer weights along their input
//                axis, depthwise weights and biases, BN scale/bias/mean/var, per-channel
//                constants of elementwise ops, constants concatenated into the group
//     consumers  the nodes that reduce over the group's channels (Conv, Gemm, MatMul reading
//                it), with the consumed tensor and its axis: where masking zeroes channels,
//                and what reconstruction refits
//     norms      BatchNormalization nodes applied to the group's channels (γ for REPrune)
//     values     every tensor carrying the group's channels, with its axis (calibration)
//   Each slice lists `positions` along its axis and, for each, the group `channels` it holds
//   (several positions may hold one channel: Flatten repeats a channel H·W times).
//   surgery.ts applies a selection; pack/sliced.ts slices the tensors.
//
// How channels couple. Every channel is an element of a union-find; a producer creates
// elements for its output channels, and each tensor's channel axis is a list of elements.
//   - Conv→BatchNorm→activation, pooling, Resize, Pad (not on channels), Transpose, Cast...:
//     the same elements flow through; BN and per-channel constants are sliced with them.
//   - depthwise Conv (group = Cin = Cout): the output has the input's elements, so the
//     producer, the depthwise weight rows, its bias and BN, and the next consumer form one
//     group; `group` is rewritten to the new width.
//   - grouped Conv (1 < G): input and output are separate groups, each with blocks = G
//     (equal kept counts per conv group). G = Cin (one channel per block) is unprunable.
//   - Add, Sub, Mul, Div, Max, Min, Where... of two tensors with the same channel count unify
//     their elements: a residual stream is one group through all its Adds; an SE gate
//     (GlobalAveragePool→Conv→act→Conv→(hard)sigmoid→Mul) puts the excite conv's output
//     channels into the gated tensor's group, and the squeeze conv is a consumer of it.
//   - Concat on the channel axis stacks element lists (channel offsets); a constant input
//     (BlazeFace's zero channel padding) becomes its own elements, sliced with their group.
//     Split and Slice on the channel axis take sub-lists; their sizes are rewritten. A constant
//     Pad on the channel axis adds channels of its own; their group is pruned by padding less.
//   - Flatten/Reshape: when the output keeps the channel as whole blocks of one axis (NCHW
//     flatten: feature c·H·W + p; GlobalAveragePool→Reshape: H·W = 1), that axis repeats the
//     elements and the Gemm/MatMul reading it is a consumer of those input features; a
//     Reshape target naming that axis is rewritten.
//   - MatMul/Gemm with a constant weight: input features are consumed, output features are a
//     new group. MatMul→(Add bias)→act→MatMul (a transformer FFN) gives a group with fc1's
//     columns and bias as producer and fc2's rows as consumer.
// Left unprunable, with the reason recorded:
//   graph outputs; softmax, LayerNorm and reductions over the channel axis (they mix
//   channels); a Reshape that splits or interleaves the channel axis (detection heads,
//   attention heads); MatMul of two run-time tensors (attention); a Gather or strided Slice on
//   channels; a tensor combined with one whose channels are not tracked (a graph input); any
//   op this file does not know; a weight also used by a node that would not be sliced with it.
import { SparsecError } from '../errors.js';
import type { Graph, Node } from '../ir/graph.js';
import { attrFloat, attrInt, attrInts, attrString, cloneGraph, constNumbers, consumers, isConst, normAxis, numel, valueOf } from '../ir/graph.js';
import { fixInputShapes } from '../ir/passes/inputShapes.js';
import { propagate } from '../ir/passes/propagate.js';
import { removeDeadCode } from '../ir/passes/deadCode.js';
import { padAmounts, sliceParams, splitSizes } from '../ir/shapes.js';

/** producer: a weight whose output channels are the group's; bias: its bias; consumer: a weight
 *  reading the group along its input axis; channelwise: depthwise weights, BN and per-channel
 *  constants, concatenated constants */
export type SliceRole = 'producer' | 'bias' | 'consumer' | 'channelwise';

export interface ChannelSlice {
  /** the constant tensor sliced */
  tensor: string;
  axis: number;
  /** the node reading it */
  node: string;
  role: SliceRole;
  /** positions along `axis` that hold this group's channels, and the group channel of each */
  positions: Int32Array;
  channels: Int32Array;
  /** a grouped Conv weight's input axis: positions are global input channels (see pack/sliced.ts) */
  convGroups?: number;
}

export interface ChannelConsumer {
  node: string;
  /** which input of the node reads the group */
  input: number;
  /** the consumed tensor and its channel axis */
  value: string;
  axis: number;
  positions: Int32Array;
  channels: Int32Array;
}

export interface ChannelNorm {
  node: string;
  scale: string;
  bias: string;
  mean: string;
  variance: string;
  epsilon: number;
  positions: Int32Array;
  channels: Int32Array;
}

export interface ChannelValue { name: string; axis: number; positions: Int32Array; channels: Int32Array }

export interface ChannelGroup {
  id: string;
  size: number;
  prunable: boolean;
  reasons: string[];
  blocks: number;
  producers: ChannelSlice[];
  slices: ChannelSlice[];
  consumers: ChannelConsumer[];
  norms: ChannelNorm[];
  values: ChannelValue[];
}

/** A copy of `g` ready for findChannelGroups: input shapes fixed (and declared), constants
 *  folded, shapes known. */
export function prepareForChannels(g: Graph, inputShapes: Record<string, number[]> = {}): Graph {
  const copy = cloneGraph(g);
  fixInputShapes(copy, inputShapes);
  // the copy is specialised to these shapes (shape arithmetic gets folded): declare them, so
  // that later passes (and the written ONNX) need no --input-shape again
  for (const x of copy.inputs) { const v = copy.values.get(x)!; copy.values.set(x, { ...v, declared: [...v.shape!] }); }
  propagate(copy);
  removeDeadCode(copy);
  return copy;
}

// ---- the walk ----

interface Track { axis: number; els: Int32Array }
/** a producer's output channels, a constant's channels, or channels of an untracked tensor */
interface Space { name: string; start: number; size: number; producer: boolean }
interface RawSlice { tensor: string; axis: number; node: string; role: SliceRole; els: Int32Array; convGroups?: number }
interface RawConsumer { node: string; input: number; value: string; axis: number; els: Int32Array }
interface RawNorm { node: Node; els: Int32Array }
interface Constraint { els: Int32Array; blocks: number; node: string }

const UNARY = new Set(['Relu', 'LeakyRelu', 'Elu', 'Selu', 'Celu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Softplus', 'Softsign', 'Mish', 'Gelu', 'Erf', 'Exp', 'Log', 'Sqrt', 'Abs', 'Neg', 'Reciprocal', 'Sign', 'Floor', 'Ceil', 'Round', 'Sin', 'Cos', 'Identity', 'Dropout', 'Cast', 'Clip', 'ThresholdedRelu', 'Shrink', 'Not', 'IsNaN', 'IsInf']);
const BINARY = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', 'PRelu', 'Where', 'And', 'Or', 'Xor', 'Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'Mod']);
const POOLS = new Set(['MaxPool', 'AveragePool', 'LpPool', 'GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool']);
const REDUCE = new Set(['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare', 'ArgMax', 'ArgMin']);

class Walk {
  parent: number[] = [];
  pins = new Map<number, Set<string>>();
  spaces: Space[] = [];
  tracks = new Map<string, Track>();
  slices: RawSlice[] = [];
  sliceUsers = new Map<string, Set<string>>();
  sliceKeys = new Map<string, Int32Array>();
  consumers: RawConsumer[] = [];
  norms: RawNorm[] = [];
  constraints: Constraint[] = [];

  constructor(readonly g: Graph) {}

  find(x: number): number {
    while (this.parent[x] !== x) x = this.parent[x] = this.parent[this.parent[x]];
    return x;
  }
  union(a: Int32Array, b: Int32Array): void {
    for (let i = 0; i < a.length; i++) {
      const ra = this.find(a[i]), rb = this.find(b[i]);
      if (ra === rb) continue;
      // the older element stays the root: group order follows creation order
      if (ra < rb) this.parent[rb] = ra; else this.parent[ra] = rb;
    }
  }
  space(name: string, size: number, producer = true): Int32Array {
    const start = this.parent.length;
    for (let i = 0; i < size; i++) this.parent.push(start + i);
    this.spaces.push({ name, start, size, producer });
    return Int32Array.from({ length: size }, (_, i) => start + i);
  }
  pin(els: Int32Array, reason: string): void {
    for (const e of els) {
      let s = this.pins.get(e);
      if (!s) this.pins.set(e, (s = new Set()));
      s.add(reason);
    }
  }
  pinValue(name: string, reason: string): void {
    const t = this.tracks.get(name);
    if (t) this.pin(t.els, reason);
  }
  shape(name: string): number[] | null {
    return this.g.values.get(name)?.shape ?? null;
  }
  slice(tensor: string, axis: number, node: string, role: SliceRole, els: Int32Array, convGroups?: number): void {
    // a constant shared by several nodes couples whatever each of them slices it with
    const key = `${tensor}|${axis}|${convGroups ?? 0}`;
    const prev = this.sliceKeys.get(key);
    if (prev) this.union(prev, els); else this.sliceKeys.set(key, els);
    let users = this.sliceUsers.get(tensor);
    if (!users) this.sliceUsers.set(tensor, (users = new Set()));
    users.add(node);
    this.slices.push({ tensor, axis, node, role, els, convGroups });
  }
  set(name: string, axis: number, els: Int32Array): void {
    this.tracks.set(name, { axis, els });
  }
  /** inputs that carry channels are pinned, outputs are not tracked */
  opaque(n: Node, why = `${n.op} '${n.name}' is not analysed for channel pruning`): void {
    for (const x of n.inputs) if (x) this.pinValue(x, why);
  }
}

/** Where a channel axis of size C at `axis` of `inShape` lands in `outShape` (a reshape of the
 *  same data), and for each index of that output axis which channel it holds; null when the
 *  channel axis is split or interleaved with another. */
function reshapeChannel(inShape: number[], axis: number, outShape: number[]): { axis: number; channelOf: (f: number) => number } | null {
  const C = inShape[axis], I = numel(inShape.slice(axis + 1));
  for (let j = 0; j < outShape.length; j++) {
    const Q = numel(outShape.slice(j + 1));
    if (I % Q !== 0 || (outShape[j] * Q) % (C * I) !== 0) continue;
    // the output axis holds whole channel blocks: flat index = … c·I + i, with i a multiple of Q
    const per = I / Q;
    return { axis: j, channelOf: (f) => Math.floor(f / per) % C };
  }
  return null;
}

function walkNode(w: Walk, n: Node): void {
  const g = w.g;
  const t0 = n.inputs[0] ? w.tracks.get(n.inputs[0]) : undefined;
  const outShape = n.outputs[0] ? w.shape(n.outputs[0]) : null;
  if (n.domain !== '' && n.domain !== 'ai.onnx') return w.opaque(n);
  if (n.outputs.some((o) => o && !w.shape(o))) return w.opaque(n, `the output shape of ${n.op} '${n.name}' is unknown`);
  const nonConst = n.inputs.filter((x) => x && !isConst(g, x));

  if (UNARY.has(n.op)) {
    if (!n.inputs[0] || isConst(g, n.inputs[0])) return;
    if (n.inputs.slice(1).some((x) => x && (!isConst(g, x) || valueOf(g, x).data!.length !== 1))) return w.opaque(n);
    if (t0) w.set(n.outputs[0], t0.axis, t0.els);
    return;
  }
  if (POOLS.has(n.op)) {
    if (!t0) return;
    if (t0.axis !== 1) return w.opaque(n, `${n.op} '${n.name}' pools over the channel axis`);
    w.set(n.outputs[0], 1, t0.els);
    if (n.outputs[1]) w.pinValue(n.inputs[0], `${n.op} '${n.name}' returns indices`);
    return;
  }
  switch (n.op) {
    case 'Conv': return conv(w, n, t0);
    case 'ConvTranspose': return convTranspose(w, n, t0);
    case 'MatMul': case 'Gemm': return linear(w, n, t0);
    case 'BatchNormalization': case 'InstanceNormalization': {
      const params = n.op === 'BatchNormalization' ? n.inputs.slice(1, 5) : n.inputs.slice(1, 3);
      if (!t0) return;
      if (t0.axis !== 1 || !params.every((x) => isConst(g, x))) return w.opaque(n);
      for (const p of params) w.slice(p, 0, n.name, 'channelwise', t0.els);
      if (n.op === 'BatchNormalization') w.norms.push({ node: n, els: t0.els });
      for (const o of n.outputs.slice(1)) if (o) w.pinValue(n.inputs[0], `${n.op} '${n.name}' in training mode`);
      w.set(n.outputs[0], 1, t0.els);
      return;
    }
    case 'LayerNormalization': {
      if (!t0) return;
      const rank = w.shape(n.inputs[0])!.length, a = normAxis(attrInt(n, 'axis', -1), rank);
      if (t0.axis >= a) w.pin(t0.els, `LayerNormalization '${n.name}' normalizes over the channels`);
      w.set(n.outputs[0], t0.axis, t0.els);
      return;
    }
    case 'Softmax': case 'LogSoftmax': case 'Hardmax': {
      if (!t0) return;
      const rank = w.shape(n.inputs[0])!.length, a = normAxis(attrInt(n, 'axis', g.opset >= 13 ? -1 : 1), rank);
      if (g.opset >= 13 ? t0.axis === a : t0.axis >= a) w.pin(t0.els, `${n.op} '${n.name}' normalizes over the channels`);
      w.set(n.outputs[0], t0.axis, t0.els);
      return;
    }
    case 'Pad': {
      if (!t0) return;
      const rank = w.shape(n.inputs[0])!.length, pads = padAmounts(n, g, rank);
      const before = pads[t0.axis], after = pads[t0.axis + rank];
      if (before === 0 && after === 0) { w.set(n.outputs[0], t0.axis, t0.els); return; }
      if (attrString(n, 'mode', 'constant') !== 'constant' || before < 0 || after < 0) return w.opaque(n, `Pad '${n.name}' crops or mirrors the channels`);
      // padded channels (constant values) are channels of their own, pruned by padding less
      const els = new Int32Array(before + t0.els.length + after);
      els.set(w.space(`${n.name}:before`, before, false), 0);
      els.set(t0.els, before);
      els.set(w.space(`${n.name}:after`, after, false), before + t0.els.length);
      w.set(n.outputs[0], t0.axis, els);
      return;
    }
    case 'Resize': case 'Upsample': case 'Expand': {
      if (!t0) return;
      const inShape = w.shape(n.inputs[0])!;
      const off = outShape!.length - inShape.length;
      if (outShape![t0.axis + off] !== inShape[t0.axis]) return w.opaque(n, `${n.op} '${n.name}' changes the channel axis`);
      w.set(n.outputs[0], t0.axis + off, t0.els);
      return;
    }
    case 'Transpose': {
      if (!t0) return;
      const rank = w.shape(n.inputs[0])!.length;
      const perm = attrInts(n, 'perm', [...Array(rank).keys()].reverse());
      w.set(n.outputs[0], perm.indexOf(t0.axis), t0.els);
      return;
    }
    case 'Reshape': case 'Flatten': case 'Squeeze': case 'Unsqueeze': {
      if (!t0) return;
      const m = reshapeChannel(w.shape(n.inputs[0])!, t0.axis, outShape!);
      if (!m) return w.opaque(n, `${n.op} '${n.name}' splits or interleaves the channel axis`);
      w.set(n.outputs[0], m.axis, Int32Array.from({ length: outShape![m.axis] }, (_, f) => t0.els[m.channelOf(f)]));
      return;
    }
    case 'Concat': return concat(w, n);
    case 'Split': {
      if (!t0) return;
      const inShape = w.shape(n.inputs[0])!, a = normAxis(attrInt(n, 'axis', 0), inShape.length);
      if (a !== t0.axis) { for (const o of n.outputs) if (o) w.set(o, t0.axis, t0.els); return; }
      let at = 0;
      splitSizes(n, g, inShape).forEach((s, i) => { if (n.outputs[i]) w.set(n.outputs[i], a, t0.els.slice(at, at + s)); at += s; });
      return;
    }
    case 'Slice': {
      if (!t0) return;
      const inShape = w.shape(n.inputs[0])!;
      const { starts, steps } = sliceParams(n, g, inShape);
      if (outShape![t0.axis] === inShape[t0.axis] && starts[t0.axis] === 0) { w.set(n.outputs[0], t0.axis, t0.els); return; }
      if (steps[t0.axis] !== 1) return w.opaque(n, `Slice '${n.name}' takes every ${steps[t0.axis]}th channel`);
      w.set(n.outputs[0], t0.axis, t0.els.slice(starts[t0.axis], starts[t0.axis] + outShape![t0.axis]));
      return;
    }
    case 'Gather': {
      if (!t0) return;
      const rank = w.shape(n.inputs[0])!.length, a = normAxis(attrInt(n, 'axis', 0), rank);
      if (a === t0.axis) return w.opaque(n, `Gather '${n.name}' picks channels`);
      const idxRank = w.shape(n.inputs[1])!.length;
      w.set(n.outputs[0], t0.axis < a ? t0.axis : t0.axis - 1 + idxRank, t0.els);
      return;
    }
    case 'Shape': case 'Size': return;
  }
  if (REDUCE.has(n.op)) {
    if (!t0) return;
    const rank = w.shape(n.inputs[0])!.length;
    const given = n.attrs.axes !== undefined ? attrInts(n, 'axes', []) : n.op.startsWith('Arg') ? [attrInt(n, 'axis', 0)] : n.inputs[1] && isConst(g, n.inputs[1]) ? constNumbers(g, n.inputs[1]) : [];
    const axes = given.length ? given.map((a) => normAxis(a, rank)) : [...Array(rank).keys()];
    if (axes.includes(t0.axis)) return w.opaque(n, `${n.op} '${n.name}' reduces over the channels`);
    const keep = attrInt(n, 'keepdims', 1) === 1;
    w.set(n.outputs[0], keep ? t0.axis : t0.axis - axes.filter((a) => a < t0.axis).length, t0.els);
    return;
  }
  if (BINARY.has(n.op)) return elementwise(w, n, outShape!);
  if (nonConst.length) w.opaque(n);
}

function conv(w: Walk, n: Node, tx: Track | undefined): void {
  const g = w.g, [x, W, B] = n.inputs;
  if (!isConst(g, W) || (B && !isConst(g, B))) return w.opaque(n, `Conv '${n.name}' has run-time weights`);
  const [cout, cinG] = valueOf(g, W).shape!;
  const G = attrInt(n, 'group', 1);
  if (tx && tx.axis !== 1) { w.pin(tx.els, `Conv '${n.name}' reads channels on axis 1, this tensor has them on axis ${tx.axis}`); tx = undefined; }
  if (G > 1 && cinG === 1 && cout === G) {
    // depthwise: channel c in, channel c out
    const els = tx ? tx.els : w.space(n.name, cout, false);
    if (!tx) w.pin(els, `depthwise Conv '${n.name}' reads a tensor whose channels are not tracked`);
    w.slice(W, 0, n.name, 'channelwise', els);
    if (B) w.slice(B, 0, n.name, 'channelwise', els);
    w.set(n.outputs[0], 1, els);
    return;
  }
  if (tx) {
    w.slice(W, 1, n.name, 'consumer', tx.els, G > 1 ? G : undefined);
    w.consumers.push({ node: n.name, input: 0, value: x, axis: 1, els: tx.els });
    if (G > 1) w.constraints.push({ els: tx.els, blocks: G, node: n.name });
  }
  const out = w.space(n.name, cout);
  w.slice(W, 0, n.name, 'producer', out);
  if (B) w.slice(B, 0, n.name, 'bias', out);
  if (G > 1) w.constraints.push({ els: out, blocks: G, node: n.name });
  w.set(n.outputs[0], 1, out);
}

function convTranspose(w: Walk, n: Node, tx: Track | undefined): void {
  const g = w.g, [x, W, B] = n.inputs;
  if (!isConst(g, W) || (B && !isConst(g, B)) || attrInt(n, 'group', 1) !== 1) return w.opaque(n, `ConvTranspose '${n.name}' has run-time weights or groups`);
  if (tx && tx.axis !== 1) { w.pin(tx.els, `ConvTranspose '${n.name}' reads channels on axis 1`); tx = undefined; }
  if (tx) {
    w.slice(W, 0, n.name, 'consumer', tx.els);
    w.consumers.push({ node: n.name, input: 0, value: x, axis: 1, els: tx.els });
  }
  const out = w.space(n.name, valueOf(g, W).shape![1]);
  w.slice(W, 1, n.name, 'producer', out);
  if (B) w.slice(B, 0, n.name, 'bias', out);
  w.set(n.outputs[0], 1, out);
}

function linear(w: Walk, n: Node, ta: Track | undefined): void {
  const g = w.g, [a, b, c] = n.inputs;
  const wShape = isConst(g, b) ? valueOf(g, b).shape! : null;
  if (!wShape || wShape.length !== 2 || isConst(g, a) || (c && !isConst(g, c))) return w.opaque(n, `${n.op} '${n.name}' multiplies two run-time tensors or has no 2-D constant weight`);
  const rankA = w.shape(a)!.length;
  const gemm = n.op === 'Gemm';
  const transA = gemm && attrInt(n, 'transA', 0) === 1, transB = gemm && attrInt(n, 'transB', 0) === 1;
  const kAxis = gemm ? (transA ? 0 : 1) : rankA - 1;
  if (ta && ta.axis !== kAxis) { w.pin(ta.els, `${n.op} '${n.name}' reads the channels on a non-reduced axis`); ta = undefined; }
  if (ta) {
    w.slice(b, transB ? 1 : 0, n.name, 'consumer', ta.els);
    w.consumers.push({ node: n.name, input: 0, value: a, axis: kAxis, els: ta.els });
  }
  const N = transB ? wShape[0] : wShape[1];
  const out = w.space(n.name, N);
  w.slice(b, transB ? 0 : 1, n.name, 'producer', out);
  if (c) {
    const cs = valueOf(g, c).shape!;
    if (cs.length && cs[cs.length - 1] === N && N > 1) w.slice(c, cs.length - 1, n.name, 'bias', out);
  }
  w.set(n.outputs[0], w.shape(n.outputs[0])!.length - 1, out);
}

function concat(w: Walk, n: Node): void {
  const g = w.g, outShape = w.shape(n.outputs[0])!, rank = outShape.length;
  const a = normAxis(attrInt(n, 'axis', 0), rank);
  const ins = n.inputs.filter((x) => x);
  const tracked = ins.map((x) => w.tracks.get(x)).filter((t): t is Track => !!t);
  if (!tracked.length) return;
  if (tracked.every((t) => t.axis === a)) {
    const parts: Int32Array[] = [];
    for (const x of ins) {
      const t = w.tracks.get(x), size = w.shape(x)![a];
      if (t) { parts.push(t.els); continue; }
      const els = w.space(isConst(g, x) ? `${x}@${n.name}` : x, size, false);
      if (isConst(g, x)) w.slice(x, a, n.name, 'channelwise', els);
      else w.pin(els, `Concat '${n.name}' joins a tensor whose channels are not tracked`);
      parts.push(els);
    }
    const els = new Int32Array(outShape[a]);
    let at = 0;
    for (const p of parts) { els.set(p, at); at += p.length; }
    w.set(n.outputs[0], a, els);
    return;
  }
  // concatenation along another axis: every input holds the same channels
  const ref = tracked[0];
  if (tracked.some((t) => t.axis !== ref.axis)) { for (const t of tracked) w.pin(t.els, `Concat '${n.name}' joins tensors with channels on different axes`); return; }
  for (const x of ins) {
    const t = w.tracks.get(x);
    if (t) w.union(ref.els, t.els);
    else if (isConst(g, x)) w.slice(x, ref.axis, n.name, 'channelwise', ref.els);
    else w.pin(ref.els, `Concat '${n.name}' joins a tensor whose channels are not tracked`);
  }
  w.set(n.outputs[0], ref.axis, ref.els);
}

function elementwise(w: Walk, n: Node, outShape: number[]): void {
  const g = w.g, R = outShape.length;
  const ins = n.inputs.filter((x) => x);
  // the channel axis (in output coordinates) of the first tracked input that is not broadcast
  let ref: Track | undefined, axis = -1;
  for (const x of ins) {
    const t = w.tracks.get(x);
    if (!t) continue;
    const s = w.shape(x)!, off = R - s.length;
    if (s[t.axis] === outShape[t.axis + off]) { ref = t; axis = t.axis + off; break; }
  }
  if (!ref) return;
  const C = outShape[axis];
  for (const x of ins) {
    const s = w.shape(x)!, off = R - s.length, at = axis - off;
    const dim = at >= 0 ? s[at] : 1;
    const t = w.tracks.get(x);
    if (t && t !== ref) {
      if (t.axis + off === axis && dim === C) w.union(ref.els, t.els);
      else if (s[t.axis] > 1) { w.pin(ref.els, `${n.op} '${n.name}' combines channels on different axes`); w.pin(t.els, `${n.op} '${n.name}' combines channels on different axes`); }
      continue;
    }
    if (t) continue;
    if (dim !== C || C === 1) continue; // broadcast along the channels
    if (isConst(g, x)) w.slice(x, at, n.name, 'channelwise', ref.els);
    else w.pin(ref.els, `${n.op} '${n.name}' combines the channels with a tensor whose channels are not tracked`);
  }
  w.set(n.outputs[0], axis, ref.els);
}

// ---- groups ----

/** Names read by the nodes of every subgraph (If/Loop/Scan bodies may read outer constants). */
function subgraphReads(g: Graph, out = new Set<string>()): Set<string> {
  for (const n of g.nodes) {
    for (const a of Object.values(n.attrs)) {
      for (const sub of Array.isArray(a) ? a : [a]) {
        if (typeof sub !== 'object' || !sub || !('nodes' in sub)) continue;
        for (const m of sub.nodes) for (const x of m.inputs) if (x) out.add(x);
        subgraphReads(sub, out);
      }
    }
  }
  return out;
}

function lcm(a: number, b: number): number {
  const gcd = (x: number, y: number): number => (y ? gcd(y, x % y) : x);
  return (a / gcd(a, b)) * b;
}

export function findChannelGroups(g: Graph): ChannelGroup[] {
  for (const x of g.inputs) {
    if (!g.values.get(x)?.shape) throw new SparsecError('E_SHAPE', `input '${x}' has no fixed shape: run prepareForChannels first`, { file: g.source });
  }
  const w = new Walk(g);
  for (const n of g.nodes) walkNode(w, n);
  for (const o of g.outputs) w.pinValue(o, `graph output '${o}'`);
  // a sliced constant also read by a node that does not slice it
  const uses = consumers(g), inSubgraphs = subgraphReads(g);
  for (const s of w.slices) {
    const other = (uses.get(s.tensor) ?? []).map((i) => g.nodes[i].name).find((name) => !w.sliceUsers.get(s.tensor)!.has(name));
    if (other) w.pin(s.els, `constant '${s.tensor}' is also read by '${other}', which is not sliced with it`);
    if (g.outputs.includes(s.tensor)) w.pin(s.els, `constant '${s.tensor}' is a graph output`);
    if (inSubgraphs.has(s.tensor)) w.pin(s.els, `constant '${s.tensor}' is also read inside a subgraph (If, Loop, Scan)`);
  }

  // components → groups keyed by the set of spaces (producers) they touch
  const spaceOf = (e: number) => { let lo = 0, hi = w.spaces.length - 1; while (lo < hi) { const m = (lo + hi + 1) >> 1; if (w.spaces[m].start <= e) lo = m; else hi = m - 1; } return lo; };
  const touch = new Map<number, Set<number>>();
  for (let e = 0; e < w.parent.length; e++) {
    const r = w.find(e);
    let s = touch.get(r);
    if (!s) touch.set(r, (s = new Set()));
    s.add(spaceOf(e));
  }
  const byKey = new Map<string, number[]>();
  for (const [root, s] of [...touch].sort((p, q) => p[0] - q[0])) {
    const key = [...s].sort((p, q) => p - q).join(',');
    let l = byKey.get(key);
    if (!l) byKey.set(key, (l = []));
    l.push(root);
  }
  const groups: ChannelGroup[] = [];
  const where = new Map<number, { group: number; channel: number }>();
  for (const roots of byKey.values()) {
    const gi = groups.length;
    roots.forEach((r, j) => where.set(r, { group: gi, channel: j }));
    groups.push({ id: '', size: roots.length, prunable: true, reasons: [], blocks: 1, producers: [], slices: [], consumers: [], norms: [], values: [] });
  }
  // ids: the first producer (else the first space) the group touches, `@k` when the group is
  // not that space's channels 0..n-1
  const firstOf = groups.map(() => new Map<number, { min: number; count: number }>());
  for (let e = 0; e < w.parent.length; e++) {
    const m = firstOf[where.get(w.find(e))!.group], sp = spaceOf(e);
    const v = m.get(sp);
    if (v) v.count++; else m.set(sp, { min: e - w.spaces[sp].start, count: 1 });
  }
  groups.forEach((grp, gi) => {
    const touched = [...firstOf[gi].keys()].sort((p, q) => p - q);
    const lead = touched.find((sp) => w.spaces[sp].producer) ?? touched[0];
    const sp = w.spaces[lead], { min, count } = firstOf[gi].get(lead)!;
    grp.id = min === 0 && count === sp.size ? sp.name : `${sp.name}@${min}`;
  });
  // pins
  const reasons = groups.map(() => new Set<string>());
  for (const [e, rs] of w.pins) for (const r of rs) reasons[where.get(w.find(e))!.group].add(r);
  // per-group views of a list of elements
  const split = (els: Int32Array): Map<number, { positions: number[]; channels: number[] }> => {
    const m = new Map<number, { positions: number[]; channels: number[] }>();
    els.forEach((e, p) => {
      const at = where.get(w.find(e))!;
      let v = m.get(at.group);
      if (!v) m.set(at.group, (v = { positions: [], channels: [] }));
      v.positions.push(p);
      v.channels.push(at.channel);
    });
    return m;
  };
  const arrays = (v: { positions: number[]; channels: number[] }) => ({ positions: Int32Array.from(v.positions), channels: Int32Array.from(v.channels) });
  for (const s of w.slices) {
    for (const [gi, v] of split(s.els)) {
      const slice: ChannelSlice = { tensor: s.tensor, axis: s.axis, node: s.node, role: s.role, ...arrays(v), ...(s.convGroups ? { convGroups: s.convGroups } : {}) };
      groups[gi].slices.push(slice);
      if (s.role === 'producer') groups[gi].producers.push(slice);
    }
  }
  for (const c of w.consumers) for (const [gi, v] of split(c.els)) groups[gi].consumers.push({ node: c.node, input: c.input, value: c.value, axis: c.axis, ...arrays(v) });
  for (const nm of w.norms) {
    for (const [gi, v] of split(nm.els)) {
      const [, scale, bias, mean, variance] = nm.node.inputs;
      groups[gi].norms.push({ node: nm.node.name, scale, bias, mean, variance, epsilon: attrFloat(nm.node, 'epsilon', 1e-5), ...arrays(v) });
    }
  }
  for (const [name, t] of w.tracks) for (const [gi, v] of split(t.els)) groups[gi].values.push({ name, axis: t.axis, ...arrays(v) });
  // grouped convs: blocks of positions must be blocks of the group's channels
  for (const c of w.constraints) {
    const parts = split(c.els);
    const [gi] = parts.keys();
    const v = parts.get(gi)!, grp = groups[gi], per = c.els.length / c.blocks;
    const aligned = parts.size === 1 && grp.size === c.els.length && v.positions.every((p, i) => Math.floor(p / per) === Math.floor(v.channels[i] / per));
    if (!aligned) { for (const k of parts.keys()) reasons[k].add(`grouped Conv '${c.node}' reads channels from several groups or out of order`); continue; }
    grp.blocks = lcm(grp.blocks, c.blocks);
  }
  groups.forEach((grp, gi) => {
    if (grp.size % grp.blocks !== 0) reasons[gi].add(`grouped convolutions need ${grp.blocks} equal blocks of ${grp.size} channels`);
    else if (grp.blocks > 1 && grp.blocks === grp.size) reasons[gi].add(`a grouped Conv keeps one channel per group (${grp.blocks} groups)`);
    grp.reasons = [...reasons[gi]].sort();
    grp.prunable = grp.reasons.length === 0;
  });
  return groups;
}

/** Per-channel BatchNorm scale |γ| of a group (the first BN that sees all of its channels), or
 *  null when there is none. */
export function groupGamma(g: Graph, group: ChannelGroup): Float32Array | null {
  const bn = group.norms.find((b) => new Set(b.channels).size === group.size);
  if (!bn) return null;
  const gamma = valueOf(g, bn.scale).data as Float32Array;
  const out = new Float32Array(group.size);
  bn.positions.forEach((p, i) => { out[bn.channels[i]] = Math.abs(gamma[p]); });
  return out;
}
