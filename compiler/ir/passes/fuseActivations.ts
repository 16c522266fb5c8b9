// An activation that is the only reader of a Conv/ConvTranspose/Gemm/MatMul output (directly
// or through a Reshape) runs in that kernel's epilogue: the producer gets attrs act/act_alpha/act_beta (codes in
// codegen/lower.ts, Act) and the activation node goes away.
import type { Graph, Node } from '../graph.js';
import { attrFloat, consumers, constNumbers, isConst, producers } from '../graph.js';

const PRODUCERS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

/** Act code and parameters for an activation node, or null if it has none or is not fusable. */
function activationOf(g: Graph, n: Node): [number, number, number] | null {
  switch (n.op) {
    case 'Relu': return [1, 0, 0];
    case 'Clip': {
      const lo = n.attrs.min !== undefined ? attrFloat(n, 'min', 0) : n.inputs[1] ? (isConst(g, n.inputs[1]) ? constNumbers(g, n.inputs[1])[0] : NaN) : -3.4e38;
      const hi = n.attrs.max !== undefined ? attrFloat(n, 'max', 0) : n.inputs[2] ? (isConst(g, n.inputs[2]) ? constNumbers(g, n.inputs[2])[0] : NaN) : 3.4e38;
      return Number.isNaN(lo) || Number.isNaN(hi) ? null : [2, lo, hi];
    }
    case 'HardSigmoid': return [3, attrFloat(n, 'alpha', 0.2), attrFloat(n, 'beta', 0.5)];
    case 'HardSwish': return [4, 0, 0];
    case 'Sigmoid': return [5, 0, 0];
    case 'Gelu': return (n.attrs.approximate ?? 'none') === 'none' ? [6, 0, 0] : null;
    case 'LeakyRelu': return [8, attrFloat(n, 'alpha', 0.01), 0];
    case 'Tanh': return [9, 0, 0];
    default: return null;
  }
}

export function fuseActivations(g: Graph): number {
  const users = consumers(g), prod = producers(g);
  const drop = new Set<Node>();
  for (const act of g.nodes) {
    const code = activationOf(g, act);
    if (!code) continue;
    const pi = prod.get(act.inputs[0]);
    if (pi === undefined) continue;
    // an elementwise activation commutes with a Reshape between it and the producer
    const reshape = g.nodes[pi].op === 'Reshape' ? g.nodes[pi] : null;
    const p = reshape ? g.nodes[prod.get(reshape.inputs[0]) ?? -1] : g.nodes[pi];
    if (!p || !PRODUCERS.has(p.op) || p.attrs.act !== undefined || drop.has(p)) continue;
    const single = (v: string) => users.get(v)!.length === 1 && !g.outputs.includes(v);
    if (!single(act.inputs[0]) || (reshape && !single(reshape.inputs[0]))) continue;
    [p.attrs.act, p.attrs.act_alpha, p.attrs.act_beta] = code;
    (reshape ?? p).outputs = [act.outputs[0]];
    drop.add(act);
  }
  g.nodes = g.nodes.filter((n) => !drop.has(n));
  return drop.size;
}
