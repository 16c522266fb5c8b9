// Dense re-packing of pruned head dimensions: the kept q/k/v features are cut out of the
// projection (columns of a MatMul weight, bias entries), the kept v features' rows out of W_o,
// and every constant that spells the head size is rewritten: the head Reshape's d (-1 entries
// need nothing), the merged Reshape's h·d, a feature Split's sizes. The softmax scale is a
// separate constant and keeps its original value 1/√d. Each head keeps the same count (one
// Reshape serves all heads) and q/k and v/o keep the same count (one fused Reshape serves all
// three; ToaSt's released schedules do the same). FFN hidden units go through the channel
// groups' surgery (prune/surgery.ts), which owns the MatMul → activation → MatMul coupling.
import { SparsecError } from '../../errors.js';
import type { Graph, Value } from '../../ir/graph.js';
import { cloneGraph, constNumbers, isConst, typedArrayFrom, valueOf } from '../../ir/graph.js';
import { featureOf, type AttentionBlock, type Side } from './attention.js';
import { range, sliceWeight, type LinearOp } from './linearOp.js';
import { rewriteShapeElement } from './shapeConst.js';
import { findChannelGroups, prepareForChannels } from '../groups.js';
import { applyChannelSelection } from '../surgery.js';

/** Kept dimensions per head (ascending), coupled: q and k share `qk`, v and W_o share `vo`. */
export interface HeadKeep { block: AttentionBlock; qk: number[][]; vo: number[][] }

/** cloneGraph, with the shapes of intermediate values dropped: surgery changes them and shape
 *  inference recomputes them. */
export function copyGraph(g: Graph): Graph {
  const c = cloneGraph(g);
  const keepShape = new Set([...g.inputs, ...g.outputs]);
  for (const [k, v] of c.values) if (!v.data && !keepShape.has(k)) v.shape = null;
  return c;
}

/** Keeps input features `rows` and output features `cols` of a linear op (and its bias). */
export function sliceLinear(g: Graph, op: LinearOp, rows: readonly number[] | null, cols: readonly number[] | null): void {
  const w = valueOf(g, op.weight);
  const r = rows ?? range(op.dIn), c = cols ?? range(op.dOut);
  const data = sliceWeight(w.data as Float32Array, op, r, c);
  g.values.set(op.weight, { ...w, shape: op.storedOutIn ? [c.length, r.length] : [r.length, c.length], data });
  if (op.bias && cols) {
    const b = valueOf(g, op.bias);
    const src = b.data as Float32Array;
    g.values.set(op.bias, { ...b, shape: b.shape!.map((d) => (d === 1 ? 1 : c.length)), data: Float32Array.from(c, (j) => src[j]) });
  }
}

export function pruneHeads(g: Graph, plans: readonly HeadKeep[]): void {
  for (const { block, qk, vo } of plans) {
    const { heads: h, headDim: d } = block;
    const k = qk[0].length;
    if (qk.length !== h || vo.length !== h || [...qk, ...vo].some((x) => x.length !== k) || k < 1) {
      throw new Error(`internal: '${block.softmax}' needs ${h} heads with one kept count for q/k and v/o`);
    }
    const keepOf = (s: Side) => (s === block.v ? vo : qk);
    // the projections (one fused, or three): their kept output features in the new order
    const byProj = new Map<string, { op: LinearOp; pairs: [number, number][] }>();
    for (const s of [block.q, block.k, block.v]) {
      const e = byProj.get(s.proj.node) ?? { op: s.proj, pairs: [] };
      byProj.set(s.proj.node, e);
      const keep = keepOf(s);
      for (let j = 0; j < h; j++) for (let t = 0; t < k; t++) e.pairs.push([featureOf(s, h, k, j, t), featureOf(s, h, d, j, keep[j][t])]);
    }
    for (const { op, pairs } of byProj.values()) {
      pairs.sort((a, b) => a[0] - b[0]);
      if (pairs.some(([n], i) => n !== i)) throw new Error(`internal: new features of '${op.node}' are not contiguous`);
      sliceLinear(g, op, null, pairs.map((p) => p[1]));
    }
    const reshapes = new Map<string, number>();
    for (const s of [block.q, block.k, block.v]) if (s.dPos >= 0) reshapes.set(s.reshape, s.dPos);
    for (const [name, pos] of reshapes) rewriteShapeElement(g, name, pos, k);
    const split = block.q.featureSplit;
    if (split) rewriteSplitSizes(g, split, h * d, h * k);
    sliceLinear(g, block.out, range(h).flatMap((j) => vo[j].map((i) => j * d + i)), null);
    if (block.outPos >= 0) rewriteShapeElement(g, block.outReshape, block.outPos, h * k);
  }
}

/** A Split of the projection into q, k, v of `from` features each becomes `to` each. */
function rewriteSplitSizes(g: Graph, name: string, from: number, to: number): void {
  const n = g.nodes.find((x) => x.name === name)!;
  const sizesInput = n.inputs[1] && isConst(g, n.inputs[1]) ? n.inputs[1] : null;
  const sizes = sizesInput ? constNumbers(g, sizesInput) : Array.isArray(n.attrs.split) ? (n.attrs.split as number[]) : null;
  if (!sizes) return; // equal thirds: nothing spells the size
  if (sizes.length !== 3 || sizes.some((s) => s !== from)) throw new SparsecError('E_UNSUPPORTED', `Split sizes [${sizes}] are not three equal q/k/v parts of ${from}`, { file: g.source, node: name, op: 'Split' });
  if (!sizesInput) { n.attrs.split = [to, to, to]; return; }
  const v = valueOf(g, sizesInput);
  const fresh = `${sizesInput}_toast_${name}`;
  g.values.set(fresh, { name: fresh, dtype: v.dtype, shape: [3], data: typedArrayFrom(v.dtype, [to, to, to]) });
  n.inputs[1] = fresh;
}

/** FFN hidden units through the channel groups' surgery: `keep` maps an FFN's group id (fc1's
 *  node name) to its kept units; the graph is re-prepared first (head surgery changed shapes). */
export function pruneHiddenUnits(g: Graph, inputShapes: Record<string, number[]>, keep: ReadonlyMap<string, readonly number[]>): Graph {
  if (!keep.size) return g;
  const prepared = prepareForChannels(g, inputShapes);
  return applyChannelSelection(prepared, keep, findChannelGroups(prepared));
}
