// Channel surgery over the coupling groups of groups.ts, on a prepared graph
// (prepareForChannels). Both functions return a new graph and leave the input untouched.
//
//   applyChannelSelection(g, keep)  the real thing: every tensor of a group is sliced to the
//       kept channels (pack/sliced.ts, channel-sliced dense), depthwise/grouped Conv `group`,
//       Reshape targets, Split sizes, Slice bounds, Pad amounts, Expand shapes and Resize sizes are
//       rewritten, and shapes are inferred again and checked against the predicted ones.
//   maskChannels(g, keep)  the reference: same sizes, and every consumer (a node that reduces
//       over the channels: Conv, Gemm, MatMul) reads its input multiplied by a 0/1 channel mask.
//       Channels are zeroed where they are consumed, after BN and activations, so BN cannot turn
//       a zero back into β − γμ/σ. Both graphs compute the same outputs (up to rounding).
//
// keep: group id → the group's kept channel indices, sorted; a group not named keeps all.
import type { Graph, Node } from '../ir/graph.js';
import { attrInt, cloneGraph, constNumbers, normAxis, typedArrayFrom, valueOf } from '../ir/graph.js';
import { propagate } from '../ir/passes/propagate.js';
import { padAmounts, sliceParams } from '../ir/shapes.js';
import { complement, sliceAxis, sliceGroupedConvWeight, type DenseTensor } from '../pack/sliced.js';
import { findChannelGroups, type ChannelGroup } from './groups.js';

export type Selection = ReadonlyMap<string, ArrayLike<number>>;

/** group index → kept flag per channel, for the groups that lose channels; throws on a bad
 *  selection (unknown or unprunable group, unsorted or out-of-range indices, uneven blocks). */
export function keptChannels(groups: readonly ChannelGroup[], keep: Selection): Map<number, Uint8Array> {
  const byId = new Map(groups.map((gr, i) => [gr.id, i]));
  const out = new Map<number, Uint8Array>();
  for (const [id, kept] of keep) {
    const gi = byId.get(id);
    if (gi === undefined) throw new Error(`channel selection names group '${id}', which does not exist`);
    const gr = groups[gi];
    if (kept.length === gr.size) continue;
    if (!gr.prunable) throw new Error(`channel group '${id}' is not prunable: ${gr.reasons.join('; ')}`);
    if (kept.length === 0) throw new Error(`channel group '${id}': at least one channel must be kept`);
    const flags = new Uint8Array(gr.size);
    for (let i = 0; i < kept.length; i++) {
      const k = kept[i];
      if (!Number.isInteger(k) || k < 0 || k >= gr.size || (i > 0 && k <= kept[i - 1])) throw new Error(`channel group '${id}': kept indices must be sorted, unique and in [0, ${gr.size})`);
      flags[k] = 1;
    }
    if (gr.blocks > 1) {
      const per = gr.size / gr.blocks, counts = new Array<number>(gr.blocks).fill(0);
      for (let i = 0; i < kept.length; i++) counts[Math.floor(kept[i] / per)]++;
      if (counts.some((c) => c !== counts[0])) throw new Error(`channel group '${id}' feeds a grouped convolution: each of its ${gr.blocks} blocks of ${per} channels must keep the same number (kept ${counts.join(',')})`);
    }
    out.set(gi, flags);
  }
  return out;
}

/** positions (along the given axis) whose channel is pruned, per key (entries with the same key,
 *  e.g. one tensor axis holding several groups, share one set) */
export function prunedPositions<T extends { positions: Int32Array; channels: Int32Array }>(groups: readonly ChannelGroup[], kept: Map<number, Uint8Array>, pick: (g: ChannelGroup) => readonly T[], key: (e: T) => string): Map<string, { entry: T; pruned: Set<number> }> {
  const out = new Map<string, { entry: T; pruned: Set<number> }>();
  for (const [gi, flags] of kept) {
    for (const e of pick(groups[gi])) {
      const k = key(e);
      let v = out.get(k);
      if (!v) out.set(k, (v = { entry: e, pruned: new Set() }));
      e.positions.forEach((p, i) => { if (!flags[e.channels[i]]) v!.pruned.add(p); });
    }
  }
  return out;
}

export function applyChannelSelection(g: Graph, keep: Selection, groups: readonly ChannelGroup[] = findChannelGroups(g)): Graph {
  const kept = keptChannels(groups, keep);
  const out = cloneGraph(g);
  if (kept.size === 0) return out;

  // constants
  const slices = prunedPositions(groups, kept, (gr) => gr.slices, (s) => `${s.tensor}|${s.axis}|${s.convGroups ?? 0}`);
  const byTensor = new Map<string, { axis: number; convGroups?: number; pruned: Set<number> }[]>();
  for (const { entry, pruned } of slices.values()) {
    if (!pruned.size) continue;
    let l = byTensor.get(entry.tensor);
    if (!l) byTensor.set(entry.tensor, (l = []));
    l.push({ axis: entry.axis, convGroups: entry.convGroups, pruned });
  }
  for (const [name, cuts] of byTensor) {
    const v = valueOf(g, name);
    let t: DenseTensor = { dtype: v.dtype, shape: v.shape!, data: v.data! };
    const grouped = cuts.find((c) => c.convGroups);
    if (grouped) {
      const rows = cuts.find((c) => c.axis === 0 && !c.convGroups);
      const G = grouped.convGroups!;
      t = sliceGroupedConvWeight(t, G, complement(t.shape[0], rows?.pruned ?? []), complement(t.shape[1] * G, grouped.pruned));
    } else {
      for (const c of cuts) t = sliceAxis(t, c.axis, complement(t.shape[c.axis], c.pruned));
    }
    out.values.set(name, { ...v, shape: t.shape, data: t.data });
  }

  // predicted shapes of run-time tensors
  const newShape = new Map<string, number[]>();
  const values = prunedPositions(groups, kept, (gr) => gr.values, (v) => v.name);
  for (const { entry, pruned } of values.values()) {
    if (!pruned.size) continue;
    const s = [...(newShape.get(entry.name) ?? valueOf(g, entry.name).shape!)];
    s[entry.axis] -= pruned.size;
    newShape.set(entry.name, s);
  }
  const shapeOf = (name: string) => newShape.get(name) ?? valueOf(g, name).shape!;
  const prunedOf = (name: string) => values.get(name)?.pruned ?? new Set<number>();

  // nodes whose attributes or shape inputs name channel counts
  let fresh = 0;
  const constant = (base: string, numbers: number[]) => {
    const name = `${base}::pruned_${fresh++}`;
    out.values.set(name, { name, dtype: 'int64', shape: [numbers.length], data: typedArrayFrom('int64', numbers) });
    return name;
  };
  for (const n of out.nodes) {
    const changed = n.outputs.some((o) => o && newShape.has(o)) || n.inputs.some((x) => x && newShape.has(x));
    if (!changed) continue;
    fixNode(out, g, n, shapeOf, prunedOf, constant);
  }

  // infer shapes again and check them against the prediction
  const before = new Map<string, number[] | null>();
  for (const n of out.nodes) for (const o of n.outputs) if (o) { const v = out.values.get(o)!; before.set(o, v.shape); out.values.set(o, { ...v, shape: null }); }
  propagate(out);
  for (const [o, old] of before) {
    const v = out.values.get(o)!;
    if (!v.shape) { out.values.set(o, { ...v, shape: old && shapeOf(o) }); continue; }
    const want = shapeOf(o);
    if (want.length !== v.shape.length || want.some((d, i) => d !== v.shape![i])) throw new Error(`internal: after channel surgery '${o}' has shape [${v.shape}], expected [${want}]`);
  }
  return out;
}

function fixNode(out: Graph, g: Graph, n: Node, shapeOf: (x: string) => number[], prunedOf: (x: string) => Set<number>, constant: (base: string, numbers: number[]) => string): void {
  switch (n.op) {
    case 'Conv': {
      const cin = shapeOf(n.inputs[0])[1], cinG = out.values.get(n.inputs[1])!.shape![1];
      if (attrInt(n, 'group', 1) !== 1) n.attrs.group = cin / cinG;
      return;
    }
    case 'Reshape': {
      const target = shapeOf(n.outputs[0]);
      if (n.attrs.shape !== undefined) n.attrs.shape = target;
      else n.inputs[1] = constant(n.name, target);
      return;
    }
    case 'Expand': n.inputs[1] = constant(n.name, shapeOf(n.outputs[0])); return;
    case 'Pad': {
      // padded channels that were pruned come off the pad amounts
      const inShape = valueOf(g, n.inputs[0]).shape!, rank = inShape.length, pads = padAmounts(n, g, rank);
      const newOut = shapeOf(n.outputs[0]), outShape = valueOf(g, n.outputs[0]).shape!;
      const a = [...Array(rank).keys()].find((i) => newOut[i] !== outShape[i]);
      if (a === undefined) return;
      const cut = prunedOf(n.outputs[0]);
      let before = 0, after = 0;
      for (const p of cut) if (p < pads[a]) before++; else if (p >= outShape[a] - pads[a + rank]) after++;
      pads[a] -= before;
      pads[a + rank] -= after;
      if (g.opset < 11) n.attrs.pads = pads;
      else n.inputs = [n.inputs[0], constant(n.name, pads), n.inputs[2] ?? ''].filter((x, i) => i < 2 || x !== '');
      return;
    }
    case 'Resize': case 'Upsample':
      if (n.inputs[3]) n.inputs[3] = constant(n.name, shapeOf(n.outputs[0]));
      return;
    case 'Split': {
      const rank = shapeOf(n.inputs[0]).length, a = normAxis(attrInt(n, 'axis', 0), rank);
      const sizes = n.outputs.map((o) => shapeOf(o)[a]);
      delete n.attrs.num_outputs;
      if (g.opset >= 13) n.inputs[1] = constant(n.name, sizes);
      else n.attrs.split = sizes;
      return;
    }
    case 'Slice': {
      // only the channel axis changes: its start moves down by the pruned channels before it
      const x = n.inputs[0], inShape = valueOf(g, x).shape!, rank = inShape.length, newIn = shapeOf(x);
      const a = [...Array(rank).keys()].find((i) => newIn[i] !== inShape[i]);
      if (a === undefined) return;
      const attrs = g.opset < 10 || n.attrs.starts !== undefined;
      const list = (k: string, i: number) => (attrs ? [...(n.attrs[k] as number[] | undefined ?? [])] : n.inputs[i] ? constNumbers(g, n.inputs[i]) : null);
      const starts = list('starts', 1)!, ends = list('ends', 2)!;
      const axes = (list('axes', 3) ?? [...starts.keys()]).map((v) => normAxis(v, rank));
      const i = axes.indexOf(a);
      if (i < 0) return;
      const s0 = sliceParams(n, g, inShape).starts[a];
      let before = 0;
      for (const p of prunedOf(x)) if (p < s0) before++;
      starts[i] = s0 - before;
      ends[i] = starts[i] + shapeOf(n.outputs[0])[a];
      if (attrs) { n.attrs.starts = starts; n.attrs.ends = ends; } else { n.inputs[1] = constant(n.name, starts); n.inputs[2] = constant(n.name, ends); }
      return;
    }
  }
}

/** The reference for surgery: the same graph with each consumer reading its input times a 0/1
 *  mask over the channels (0 where the channel is pruned). */
export function maskChannels(g: Graph, keep: Selection, groups: readonly ChannelGroup[] = findChannelGroups(g)): Graph {
  const kept = keptChannels(groups, keep);
  const out = cloneGraph(g);
  const uses = prunedPositions(groups, kept, (gr) => gr.consumers, (c) => `${c.node}|${c.input}`);
  const masks = new Map<string, { axis: number; mask: Float32Array; readers: { node: string; input: number }[] }>();
  for (const { entry, pruned } of uses.values()) {
    if (!pruned.size) continue;
    const shape = valueOf(g, entry.value).shape!;
    let m = masks.get(entry.value);
    if (!m) masks.set(entry.value, (m = { axis: entry.axis, mask: new Float32Array(shape[entry.axis]).fill(1), readers: [] }));
    for (const p of pruned) m.mask[p] = 0;
    m.readers.push({ node: entry.node, input: entry.input });
  }
  for (const [value, m] of masks) {
    const rank = valueOf(g, value).shape!.length;
    const maskShape = Array.from({ length: rank }, (_, i) => (i === m.axis ? m.mask.length : 1));
    const maskName = `${value}::channel_mask`, masked = `${value}::masked`;
    out.values.set(maskName, { name: maskName, dtype: 'float32', shape: maskShape, data: m.mask });
    out.values.set(masked, { ...valueOf(g, value), name: masked, shape: [...valueOf(g, value).shape!] });
    const readers = new Set(m.readers.map((r) => r.node));
    const first = out.nodes.findIndex((n) => readers.has(n.name));
    out.nodes.splice(first, 0, { name: `${value}::mask`, op: 'Mul', domain: '', inputs: [value, maskName], outputs: [masked], attrs: {} });
    for (const r of m.readers) out.nodes.find((n) => n.name === r.node)!.inputs[r.input] = masked;
  }
  return out;
}
