// Multi-head self-attention blocks found in an exported graph, from each Softmax outwards:
//   scores = MatMul(q', k') (then Mul/Div by a constant scale, maybe an Add of a mask) → Softmax
//   ctx    = MatMul(probs, v') → Transpose [0,2,1,3] → Reshape [.., h·d] → W_o (MatMul/Gemm + bias)
// and each of q', k', v' traced back through Transpose, Squeeze, scale Mul, and the Split,
// Slice or Gather that unbinds a fused projection, to its head Reshape [.., h, d] (or
// [.., 3, h, d] fused, timm; [.., h, 3, d] interleaved) and its projection (MatMul + bias).
// Hugging Face exports have three projections; timm and PaddleOCR's SVTR one fused qkv, which
// some exporters cut with a Split on the feature axis before the Reshape instead.
// A Softmax that does not fit (an output softmax, say) is not attention: it is skipped with its
// reason, never guessed at.
import type { Graph, Node } from '../../ir/graph.js';
import { attrInt, attrInts, consumers, constNumbers, isConst, producers } from '../../ir/graph.js';
import { linearProducing, linearReading, type LinearOp } from './linearOp.js';
import { resolveShape } from './shapeConst.js';

/** How a projection's output features are ordered: chunk (q, k, v) major ([3, h, d], also
 *  separate projections and feature Splits) or head major ([h, 3, d]). */
export type QkvLayout = 'chunk-major' | 'head-major';

export interface Side {
  proj: LinearOp;
  /** which of q, k, v this is inside its projection (0 for separate projections) */
  chunk: number;
  /** chunks in the projection's output (3 fused, 1 separate) */
  chunks: number;
  layout: QkvLayout;
  /** the head Reshape and the positions of h and d in its target (-1 when not a literal) */
  reshape: string;
  hPos: number;
  dPos: number;
  /** a Split on the projection's feature axis before the head Reshape (sizes to rewrite) */
  featureSplit: string | null;
}

export interface AttentionBlock {
  softmax: string;
  /** the attention probabilities [B, h, N, N] */
  probs: string;
  heads: number;
  headDim: number;
  q: Side;
  k: Side;
  v: Side;
  /** the output projection W_o, reading the merged heads */
  out: LinearOp;
  /** the Reshape merging heads back to [.., h·d] and the position of h·d in its target */
  outReshape: string;
  outPos: number;
}

export interface AttentionScan { blocks: AttentionBlock[]; skipped: { node: string; reason: string }[] }

/** Index of feature (head, i) of `side` in its projection's output, for head size d. */
export function featureOf(side: Pick<Side, 'chunk' | 'chunks' | 'layout'>, heads: number, d: number, head: number, i: number): number {
  return side.layout === 'head-major' ? head * side.chunks * d + side.chunk * d + i : side.chunk * heads * d + head * d + i;
}

class NotAttention extends Error {}
const fail = (why: string): never => { throw new NotAttention(why); };

const scalarConst = (g: Graph, n: Node): string | null => {
  for (const [c, x] of [[1, 0], [0, 1]]) if (isConst(g, n.inputs[c]) && g.values.get(n.inputs[c])!.data!.length === 1) return n.inputs[x];
  return null;
};

export function findAttention(g: Graph): AttentionScan {
  const made = producers(g), uses = consumers(g);
  const blocks: AttentionBlock[] = [], skipped: AttentionScan['skipped'] = [];
  const producer = (v: string): Node | null => (made.has(v) ? g.nodes[made.get(v)!] : null);
  const only = (v: string): Node | null => {
    const u = uses.get(v);
    return u?.length === 1 && !g.outputs.includes(v) ? g.nodes[u[0]] : null;
  };

  interface Traced { proj: LinearOp; which: number | null; reshape: Node; split: Node | null; splitIndex: number }
  const traceSide = (start: string): Traced => {
    let v = start, which: number | null = null, reshape: Node | null = null, split: Node | null = null, splitIndex = 0;
    for (let steps = 0; steps < 16; steps++) {
      if (reshape) {
        const proj = linearProducing(g, v, made, uses);
        if (proj) return { proj, which, reshape, split, splitIndex };
        const p = producer(v);
        if (p?.op === 'Split' && !split) { split = p; splitIndex = p.outputs.indexOf(v); v = p.inputs[0]; continue; }
        fail(`no projection (MatMul with a constant weight) before the head Reshape '${reshape.name}'`);
      }
      const p = producer(v) ?? fail(`'${v}' is not computed from a projection`);
      if (['Transpose', 'Squeeze', 'Unsqueeze', 'Identity'].includes(p.op)) v = p.inputs[0];
      else if ((p.op === 'Mul' || p.op === 'Div') && scalarConst(g, p)) v = scalarConst(g, p)!;
      else if (p.op === 'Split') { which = p.outputs.indexOf(v); v = p.inputs[0]; }
      else if (p.op === 'Slice') {
        const starts = p.inputs[1] && isConst(g, p.inputs[1]) ? constNumbers(g, p.inputs[1]) : attrInts(p, 'starts', []);
        if (starts.length !== 1) fail(`Slice '${p.name}' does not pick one of q, k, v`);
        which = starts[0]; v = p.inputs[0];
      } else if (p.op === 'Gather' && isConst(g, p.inputs[1]) && constNumbers(g, p.inputs[1]).length === 1) { which = constNumbers(g, p.inputs[1])[0]; v = p.inputs[0]; }
      else if (p.op === 'Reshape') { reshape = p; v = p.inputs[0]; }
      else fail(`'${p.op}' node '${p.name}' between a projection and the attention MatMul`);
    }
    return fail('the q/k/v chain is too long');
  };

  const side = (t: Traced, fused: boolean, widthPerChunk: (h: number, d: number) => void): { side: Side; h: number; d: number } => {
    const target = resolveShape(g, t.reshape, made) ?? fail(`the target of Reshape '${t.reshape.name}' is not readable`);
    const R = target.length;
    const known = (x: number | null | undefined) => (typeof x === 'number' && x > 0 ? x : null);
    let layout: QkvLayout = 'chunk-major', hPos = R - 2, dPos = R - 1, chunks = 1, chunk = 0;
    if (fused && !t.split) {
      chunks = 3;
      if (target[R - 3] === 3) { layout = 'chunk-major'; }
      else if (target[R - 2] === 3) { layout = 'head-major'; hPos = R - 3; }
      else fail(`Reshape '${t.reshape.name}' [${target}] has no axis of 3 for q, k, v`);
      chunk = t.which ?? fail('a fused projection without a Split, Slice or Gather picking q, k or v');
    } else if (t.split) {
      chunks = t.split.outputs.length; chunk = t.splitIndex;
      if (chunks !== 3) fail(`Split '${t.split.name}' of the projection has ${chunks} outputs, not 3`);
    }
    const width = t.split ? t.proj.dOut / 3 : t.proj.dOut / chunks;
    let h = known(target[hPos]), d = known(target[dPos]);
    if (h && !d) d = width / h;
    if (d && !h) h = width / d;
    if (!h || !d || !Number.isInteger(h) || !Number.isInteger(d) || h * d !== width) fail(`Reshape '${t.reshape.name}' [${target}] does not split ${width} features into heads`);
    widthPerChunk(h!, d!);
    return {
      side: { proj: t.proj, chunk, chunks, layout, reshape: t.reshape.name, hPos: known(target[hPos]) ? hPos : -1, dPos: known(target[dPos]) ? dPos : -1, featureSplit: t.split?.name ?? null },
      h: h!, d: d!,
    };
  };

  for (const sm of g.nodes) {
    if (sm.op !== 'Softmax') continue;
    try {
      // scores: back from the Softmax through the scale (and an additive mask) to MatMul(q', k')
      let v = sm.inputs[0], qk: Node | null = null;
      for (let steps = 0; steps < 4 && !qk; steps++) {
        const p = producer(v) ?? fail('the Softmax input is not computed');
        if (p.op === 'MatMul' && !isConst(g, p.inputs[0]) && !isConst(g, p.inputs[1])) qk = p;
        else if ((p.op === 'Mul' || p.op === 'Div') && scalarConst(g, p)) v = scalarConst(g, p)!;
        else if (p.op === 'Add' && !isConst(g, p.inputs[0])) v = p.inputs[0];
        else fail(`the Softmax reads '${p.op}' node '${p.name}', not MatMul(q, kᵀ)`);
      }
      if (!qk) fail('no MatMul(q, kᵀ) before the Softmax');
      const av = only(sm.outputs[0]);
      if (!av || av.op !== 'MatMul' || av.inputs[0] !== sm.outputs[0]) fail('the Softmax output is not the left input of one MatMul');
      const tq = traceSide(qk!.inputs[0]), tk = traceSide(qk!.inputs[1]), tv = traceSide(av!.inputs[1]);
      const fused = tq.proj.node === tk.proj.node;
      if (fused !== (tk.proj.node === tv.proj.node)) fail('q, k and v mix fused and separate projections');
      if (tq.proj.input !== tk.proj.input || tq.proj.input !== tv.proj.input) fail('q, k and v are projected from different inputs (cross-attention is not pruned)');
      const dims: [number, number][] = [];
      const sq = side(tq, fused, (h, d) => dims.push([h, d]));
      const sk = side(tk, fused, (h, d) => dims.push([h, d]));
      const sv = side(tv, fused, (h, d) => dims.push([h, d]));
      if (dims.some(([h, d]) => h !== dims[0][0] || d !== dims[0][1])) fail(`q, k, v head shapes differ: ${dims.map((x) => x.join('x')).join(', ')}`);
      const [heads, headDim] = dims[0];
      if (fused && new Set([sq.side.chunk, sk.side.chunk, sv.side.chunk]).size !== 3) fail('q, k and v do not take three different chunks of the fused projection');
      for (const s of [sq.side, sk.side, sv.side]) {
        const w = g.values.get(s.proj.weight)!;
        if ((uses.get(s.proj.weight) ?? []).length > 1) fail(`projection weight '${w.name}' is shared with another node`);
      }
      // merged heads: Transpose [0,2,1,3] → Reshape [.., h·d] → W_o
      const tr = only(av!.outputs[0]);
      const perm = tr?.op === 'Transpose' ? attrInts(tr, 'perm', []) : [];
      if (!tr || perm.join() !== '0,2,1,3') fail('the attention output is not transposed [0,2,1,3] back to tokens × heads');
      const rs = only(tr!.outputs[0]);
      if (!rs || rs.op !== 'Reshape') fail('the heads are not merged by a Reshape');
      const target = resolveShape(g, rs!, made) ?? fail(`the target of Reshape '${rs!.name}' is not readable`);
      const last = target[target.length - 1];
      if (last !== heads * headDim && last !== -1) fail(`Reshape '${rs!.name}' [${target}] does not merge ${heads} heads of ${headDim}`);
      const out = linearReading(g, rs!.outputs[0], uses) ?? fail('the merged heads are not read by one projection (W_o)');
      if (out.dIn !== heads * headDim) fail(`W_o '${out.node}' reads ${out.dIn} features, not ${heads * headDim}`);
      if (attrInt(sm, 'axis', -1) !== -1 && attrInt(sm, 'axis', -1) !== 3) fail('the Softmax is not over the keys (last axis)');
      blocks.push({
        softmax: sm.name, probs: sm.outputs[0], heads, headDim, q: sq.side, k: sk.side, v: sv.side,
        out, outReshape: rs!.name, outPos: last === -1 ? -1 : target.length - 1,
      });
    } catch (e) {
      if (!(e instanceof NotAttention)) throw e;
      skipped.push({ node: sm.name, reason: e.message });
    }
  }
  return { blocks, skipped };
}
