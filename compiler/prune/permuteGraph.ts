// Channel permutation carried into the graph (spec §1 step 5). A layer whose N:M mask was chosen
// on permuted input channels π (permute.ts) gets its weight stored in permuted order,
// W'[:, p] = W[:, π[p]], so the stored mask is plain N:M along the input dimension, the layout
// the 2:4 and 4:8 kernels run; its input must then arrive as x[..., π]. Two ways:
//  - absorbed: when x's channels come from linear layers (MatMul/Gemm with a constant weight)
//    through channel-wise elementwise ops only (bias Add, activations, scalar or per-channel
//    constants), the producers' output columns and the per-channel constants on the way are
//    permuted instead, and nothing extra runs. Every value on the way must be read only inside
//    that region or by the layer (a residual stream or a tensor shared with another layer
//    cannot be permuted for one consumer).
//  - gathered: otherwise a Gather(x, π) on the channel axis runs before the layer.
// The masks must already be applied (apply.ts) in the original column order.
import type { Graph, Node, Value } from '../ir/graph.js';
import { attrInt, consumers, isConst, numel, producers, valueOf } from '../ir/graph.js';
import type { LinearLayer } from './linear.js';

/** Ops that act on every channel alike (their extra inputs are checked to be constants). */
const CHANNELWISE_UNARY = new Set(['Relu', 'Sigmoid', 'Tanh', 'Erf', 'Gelu', 'Exp', 'Neg', 'Abs', 'Sqrt', 'Softplus', 'Softsign', 'LeakyRelu', 'Elu', 'Selu', 'Celu', 'HardSigmoid', 'HardSwish', 'Mish', 'Identity', 'Clip']);
const CHANNELWISE_BINARY = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min']);

export interface PermutationReport { layer: string; how: 'absorbed' | 'gather'; producers: string[] }

interface Plan { producers: number[]; constants: { node: number; input: number }[] }

/** The region between x and the linear layers that make its channels, or null. */
function absorbPlan(g: Graph, x: string, layerNode: number, C: number, uses: Map<string, number[]>, made: Map<string, number>): Plan | null {
  const region = new Set<number>(), prods = new Set<number>();
  const constants: Plan['constants'] = [];
  const outputs = new Set(g.outputs);
  const stack = [x], seen = new Set<string>();
  // a constant operand broadcasts per channel (last dim C, permuted) or over all channels (last dim 1)
  const constOperand = (n: number, i: number): boolean => {
    const v = valueOf(g, g.nodes[n].inputs[i]);
    const shape = v.shape ?? [];
    if (numel(shape) === 1 || shape.length === 0 || shape[shape.length - 1] === 1) return true;
    if (shape[shape.length - 1] !== C) return false;
    constants.push({ node: n, input: i });
    return true;
  };
  while (stack.length) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    const p = made.get(v);
    if (p === undefined || outputs.has(v)) return null;
    const n = g.nodes[p];
    if (n.domain !== '' && n.domain !== 'ai.onnx') return null;
    if ((n.op === 'MatMul' || n.op === 'Gemm') && isConst(g, n.inputs[1]) && !isConst(g, n.inputs[0]) && made.get(n.inputs[1]) === undefined) {
      const w = valueOf(g, n.inputs[1]);
      const transB = n.op === 'Gemm' && attrInt(n, 'transB', 0) === 1;
      if (w.dtype !== 'float32' || w.shape?.length !== 2 || (transB ? w.shape[0] : w.shape[1]) !== C) return null;
      if ((uses.get(n.inputs[1]) ?? []).length !== 1) return null; // a shared weight would permute another layer's output
      if (n.op === 'Gemm' && n.inputs[2] && !(isConst(g, n.inputs[2]) && constOperand(p, 2))) return null;
      prods.add(p);
      continue;
    }
    const dynamic = n.inputs.map((inp, i) => ({ inp, i })).filter(({ inp }) => inp !== '' && !isConst(g, inp));
    if (CHANNELWISE_UNARY.has(n.op)) {
      if (dynamic.length !== 1 || dynamic[0].i !== 0) return null;
      if (n.inputs.slice(1).some((inp, k) => inp !== '' && !constOperand(p, k + 1))) return null;
    } else if (CHANNELWISE_BINARY.has(n.op)) {
      if (dynamic.length === 0) return null;
      for (let i = 0; i < n.inputs.length; i++) if (isConst(g, n.inputs[i]) && !constOperand(p, i)) return null;
    } else {
      return null;
    }
    region.add(p);
    for (const d of dynamic) stack.push(d.inp);
  }
  // nothing made in the region may be read outside it (except by the layer itself)
  for (const p of [...region, ...prods]) {
    for (const out of g.nodes[p].outputs) {
      if (outputs.has(out)) return null;
      if ((uses.get(out) ?? []).some((c) => c !== layerNode && !region.has(c))) return null;
    }
  }
  return prods.size ? { producers: [...prods], constants } : null;
}

/** Copy of a [rows, cols] float array with its columns (axis 'cols') or rows permuted: out[.., p] = in[.., π[p]]. */
function permuteAxis(data: Float32Array, rows: number, cols: number, perm: ArrayLike<number>, axis: 'rows' | 'cols'): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = axis === 'cols' ? data[r * cols + perm[c]] : data[perm[r] * cols + c];
  }
  return out;
}

/** Applies the input permutations `perms` (layer name → π) to a copy of the masked graph. */
export function permuteInputs(g: Graph, layers: readonly LinearLayer[], perms: ReadonlyMap<string, Uint32Array>): { graph: Graph; report: PermutationReport[] } {
  const values = new Map(g.values);
  const nodes: Node[] = g.nodes.map((n) => ({ ...n, inputs: [...n.inputs] }));
  const index = new Map(g.nodes.map((n, i) => [n.name, i]));
  const uses = consumers(g), made = producers(g);
  const setWeight = (name: string, data: Float32Array) => { const v = values.get(name)!; values.set(name, { ...v, shape: v.shape && [...v.shape], data }); };
  const current = (name: string) => values.get(name)!.data as Float32Array;
  const permuted = layers.filter((l) => perms.has(l.name));
  // 1. every layer's own input dimension: rows of a stored [K, N] weight, columns of [N, K]
  for (const l of permuted) {
    const [r, c] = valueOf(g, l.weight).shape!;
    setWeight(l.weight, permuteAxis(current(l.weight), r, c, perms.get(l.name)!, l.storedOutIn ? 'cols' : 'rows'));
  }
  // 2. the permuted channels of each layer's input: absorbed upstream, or gathered
  const report: PermutationReport[] = [];
  const gathers = new Map<number, Node>(); // inserted before the node at this index
  for (const l of permuted) {
    const perm = perms.get(l.name)!, at = index.get(l.name)!;
    const plan = l.inputChannelsFirst ? null : absorbPlan(g, l.input, at, l.dIn, uses, made);
    if (plan) {
      for (const p of plan.producers) {
        const n = g.nodes[p], w = n.inputs[1];
        const [r, c] = valueOf(g, w).shape!;
        const transB = n.op === 'Gemm' && attrInt(n, 'transB', 0) === 1;
        setWeight(w, permuteAxis(current(w), r, c, perm, transB ? 'rows' : 'cols'));
      }
      for (const { node, input } of plan.constants) {
        const name = nodes[node].inputs[input], v = valueOf(g, name);
        const C = v.shape![v.shape!.length - 1];
        const fresh = `${name}/perm_${l.name}`;
        const data = permuteAxis(Float32Array.from(v.data as ArrayLike<number>), numel(v.shape!) / C, C, perm, 'cols');
        values.set(fresh, { name: fresh, dtype: 'float32', shape: [...v.shape!], data } as Value);
        nodes[node].inputs[input] = fresh;
      }
      report.push({ layer: l.name, how: 'absorbed', producers: plan.producers.map((p) => g.nodes[p].name) });
    } else {
      const idx = `${l.name}/perm_indices`, out = `${l.input}/perm_${l.name}`;
      const x = valueOf(g, l.input);
      values.set(idx, { name: idx, dtype: 'int64', shape: [perm.length], data: BigInt64Array.from(perm, BigInt) });
      values.set(out, { name: out, dtype: x.dtype, shape: x.shape && [...x.shape], declared: x.declared && [...x.declared] });
      const rank = x.shape?.length ?? x.declared?.length;
      // opset < 11 has no negative Gather axis: the channel axis is the last one of x's rank
      const axis = l.inputChannelsFirst ? 0 : g.opset >= 11 || rank === undefined ? -1 : rank - 1;
      gathers.set(at, { name: `${l.name}/perm_gather`, op: 'Gather', domain: '', inputs: [l.input, idx], outputs: [out], attrs: { axis } });
      nodes[at].inputs[0] = out;
      report.push({ layer: l.name, how: 'gather', producers: [] });
    }
  }
  return { graph: { ...g, nodes: nodes.flatMap((n, i) => (gathers.has(i) ? [gathers.get(i)!, n] : [n])), values }, report };
}
