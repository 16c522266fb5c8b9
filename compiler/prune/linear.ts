// Which layers the CRePE-family pruners may touch: MatMul and Gemm nodes whose weight is a
// constant 2-D float32 tensor. Everything downstream (scores, masks) works on the weight in
// PyTorch orientation W[out][in] (d_out rows, d_in columns), so the activation factor scales
// columns and N:M groups run along a row; `toOutIn`/`fromOutIn` convert from and to the
// ONNX layout. ONNX MatMul stores B as [K=d_in, N=d_out]; Gemm stores B as [K, N], or [N, K]
// when transB=1.
import type { Graph, Node } from '../ir/graph.js';
import { attrInt, consumers, isConst, producers, valueOf } from '../ir/graph.js';

export interface LinearLayer {
  /** node name (unique in the IR) */
  name: string;
  op: 'MatMul' | 'Gemm';
  /** the activation input (the value calibration must observe) */
  input: string;
  /** the weight initializer */
  weight: string;
  dOut: number;
  dIn: number;
  /** true when the stored weight is [d_out, d_in] already (Gemm transB=1) */
  storedOutIn: boolean;
  /** the activation's channel axis: the last one, except Gemm transA=1 ([K, M]) */
  inputChannelsFirst: boolean;
  /** why this layer is left dense ('' = pruned) */
  skip: string;
}

export interface LinearOptions {
  /** node-name patterns: only matching layers are pruned (default: all) */
  include?: RegExp;
  /** node-name patterns: matching layers stay dense */
  ignore?: RegExp;
  /** prune the output head too (default false) */
  pruneHead?: boolean;
}

/** Ops that end the search for a graph output: another layer with weights computes from here. */
const WEIGHTED = new Set(['MatMul', 'Gemm', 'Conv', 'ConvTranspose', 'Gather']);

/** A layer is the output head when a graph output is reachable from it without passing another
 *  weighted layer (logits = head(x) possibly followed by a bias Add, Reshape, Softmax). */
function isHead(g: Graph, node: Node, uses: Map<string, number[]>): boolean {
  const outputs = new Set(g.outputs);
  const seen = new Set<string>();
  const stack = [...node.outputs];
  while (stack.length) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    if (outputs.has(v)) return true;
    for (const i of uses.get(v) ?? []) {
      const n = g.nodes[i];
      if (!WEIGHTED.has(n.op)) stack.push(...n.outputs);
    }
  }
  return false;
}

/** Tied embeddings: the weight (as [d_out, d_in]) equals a Gather table used as embedding. */
function tiedToEmbedding(g: Graph, l: LinearLayer): boolean {
  const w = valueOf(g, l.weight).data as Float32Array;
  for (const n of g.nodes) {
    if (n.op !== 'Gather' || !isConst(g, n.inputs[0])) continue;
    const t = valueOf(g, n.inputs[0]);
    if (t.dtype !== 'float32' || t.shape?.length !== 2) continue;
    const e = t.data as Float32Array;
    // an embedding [vocab, width] tied to a head with d_out = vocab, d_in = width
    if (t.shape[0] !== l.dOut || t.shape[1] !== l.dIn) continue;
    let same = true;
    for (let o = 0; o < l.dOut && same; o++) {
      for (let i = 0; i < l.dIn; i++) {
        const wv = l.storedOutIn ? w[o * l.dIn + i] : w[i * l.dOut + o];
        if (wv !== e[o * l.dIn + i]) { same = false; break; }
      }
    }
    if (same) return true;
  }
  return false;
}

/** Every MatMul/Gemm with a constant 2-D weight, with the reason it stays dense if it does. */
export function findLinearLayers(g: Graph, opts: LinearOptions = {}): LinearLayer[] {
  const uses = consumers(g);
  const made = producers(g);
  const layers: LinearLayer[] = [];
  for (const n of g.nodes) {
    if ((n.op !== 'MatMul' && n.op !== 'Gemm') || (n.domain !== '' && n.domain !== 'ai.onnx')) continue;
    const [a, b] = n.inputs;
    if (!isConst(g, b) || isConst(g, a) || made.get(b) !== undefined) continue;
    const w = valueOf(g, b);
    if (w.shape?.length !== 2) continue;
    const transB = n.op === 'Gemm' && attrInt(n, 'transB', 0) === 1;
    const [r, c] = w.shape;
    const layer: LinearLayer = {
      name: n.name, op: n.op, input: a, weight: b,
      dOut: transB ? r : c, dIn: transB ? c : r, storedOutIn: transB,
      inputChannelsFirst: n.op === 'Gemm' && attrInt(n, 'transA', 0) === 1,
      skip: '',
    };
    if (w.dtype !== 'float32') layer.skip = `weight is ${w.dtype}, only float32 is pruned`;
    else if ((uses.get(b) ?? []).length > 1) layer.skip = 'weight shared with another node';
    else if (opts.include && !opts.include.test(n.name)) layer.skip = 'not matched by --include';
    else if (opts.ignore && opts.ignore.test(n.name)) layer.skip = 'matched by --ignore';
    else if (!opts.pruneHead && isHead(g, n, uses)) layer.skip = 'output head';
    else if (!opts.pruneHead && tiedToEmbedding(g, layer)) layer.skip = 'tied to the embedding';
    layers.push(layer);
  }
  return layers;
}

/** The weight as a fresh W[out][in] row-major float32 array. */
export function toOutIn(g: Graph, l: LinearLayer): Float32Array {
  const w = valueOf(g, l.weight).data as Float32Array;
  if (l.storedOutIn) return Float32Array.from(w);
  const out = new Float32Array(l.dOut * l.dIn);
  for (let i = 0; i < l.dIn; i++) for (let o = 0; o < l.dOut; o++) out[o * l.dIn + i] = w[i * l.dOut + o];
  return out;
}

/** Index into the stored weight of element W[o][i]. */
export const storedIndex = (l: LinearLayer, o: number, i: number): number => (l.storedOutIn ? o * l.dIn + i : i * l.dOut + o);
