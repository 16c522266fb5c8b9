// A linear projection as ToaSt's surgery sees it: a MatMul (weight [in, out]) or Gemm (transB:
// [out, in]) with a constant 2-D float32 weight, and its bias, either a following Add of a
// constant 1-D vector or Gemm's C input. Output features are what head-dimension and hidden-unit
// pruning remove (columns of a MatMul weight), input features what W_o and fc2 lose (rows).
import type { Graph, Node } from '../../ir/graph.js';
import { attrInt, consumers, isConst, producers, valueOf } from '../../ir/graph.js';

export interface LinearOp {
  node: string;
  weight: string;
  /** the constant bias vector, or null */
  bias: string | null;
  /** the node that adds the bias (the Gemm itself or an Add), or null */
  biasNode: string | null;
  /** the value carrying the projection's result (after the bias) */
  output: string;
  input: string;
  dIn: number;
  dOut: number;
  storedOutIn: boolean;
}

const isVector = (g: Graph, name: string, n: number): boolean => {
  const v = g.values.get(name);
  return !!v?.data && v.dtype === 'float32' && !!v.shape && v.shape.filter((d) => d !== 1).length <= 1 && v.data.length === n;
};

/** The linear op whose MatMul/Gemm node writes `value` (directly or through its bias Add). */
export function linearProducing(g: Graph, value: string, made = producers(g), uses = consumers(g)): LinearOp | null {
  const p = made.get(value);
  if (p === undefined) return null;
  let n = g.nodes[p];
  let bias: string | null = null, biasNode: string | null = null;
  if (n.op === 'Add') {
    const c = n.inputs.findIndex((x) => isConst(g, x));
    if (c < 0) return null;
    const q = made.get(n.inputs[1 - c]);
    if (q === undefined) return null;
    const mm = g.nodes[q];
    if ((uses.get(mm.outputs[0]) ?? []).length !== 1) return null;
    bias = n.inputs[c]; biasNode = n.name; n = mm;
  }
  const op = asLinear(g, n);
  if (!op) return null;
  if (bias) {
    if (op.bias || !isVector(g, bias, op.dOut)) return null;
    return { ...op, bias, biasNode, output: value };
  }
  return op;
}

/** The node as a linear op, without a following bias Add (Gemm's own C counts). */
export function asLinear(g: Graph, n: Node): LinearOp | null {
  if (n.op !== 'MatMul' && n.op !== 'Gemm') return null;
  const [a, b, c] = n.inputs;
  if (!isConst(g, b) || isConst(g, a)) return null;
  const w = valueOf(g, b);
  if (w.dtype !== 'float32' || w.shape?.length !== 2) return null;
  if (n.op === 'Gemm' && (attrInt(n, 'transA', 0) || n.attrs.alpha !== undefined && n.attrs.alpha !== 1 || n.attrs.beta !== undefined && n.attrs.beta !== 1)) return null;
  const storedOutIn = n.op === 'Gemm' && attrInt(n, 'transB', 0) === 1;
  const [r, k] = w.shape;
  const dIn = storedOutIn ? k : r, dOut = storedOutIn ? r : k;
  let bias: string | null = null;
  if (c) {
    if (!isVector(g, c, dOut)) return null;
    bias = c;
  }
  return { node: n.name, weight: b, bias, biasNode: bias ? n.name : null, output: n.outputs[0], input: a, dIn, dOut, storedOutIn };
}

/** The linear op reading `value` as its only consumer, with its bias Add if one follows. */
export function linearReading(g: Graph, value: string, uses = consumers(g)): LinearOp | null {
  const u = uses.get(value);
  if (!u || u.length !== 1 || g.outputs.includes(value)) return null;
  const op = asLinear(g, g.nodes[u[0]]);
  return op && op.input === value ? withBiasAdd(g, op, uses) : null;
}

/** The op extended by the Add of a constant bias vector that alone reads its output. */
export function withBiasAdd(g: Graph, op: LinearOp, uses = consumers(g)): LinearOp {
  if (op.bias) return op;
  const next = uses.get(op.output);
  if (next?.length === 1 && !g.outputs.includes(op.output)) {
    const add = g.nodes[next[0]];
    const other = add.inputs[0] === op.output ? add.inputs[1] : add.inputs[0];
    if (add.op === 'Add' && isVector(g, other, op.dOut)) return { ...op, bias: other, biasNode: add.name, output: add.outputs[0] };
  }
  return op;
}

/** W[i][o] (input feature i, output feature o) of the stored weight. */
export const weightAt = (w: Float32Array, op: LinearOp, i: number, o: number): number => (op.storedOutIn ? w[o * op.dIn + i] : w[i * op.dOut + o]);

/** The weight with only `rows` (input features) and `cols` (output features) kept, in that
 *  order, stored the way the op stores it. */
export function sliceWeight(w: Float32Array, op: LinearOp, rows: readonly number[], cols: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * cols.length);
  for (let r = 0; r < rows.length; r++) {
    for (let c = 0; c < cols.length; c++) {
      out[op.storedOutIn ? c * rows.length + r : r * cols.length + c] = weightAt(w, op, rows[r], cols[c]);
    }
  }
  return out;
}

export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
