// Transformer FFNs: fc1 (MatMul/Gemm + bias) → an elementwise activation (GELU as an Erf chain,
// swish as x·Sigmoid(x), ReLU, ...) → fc2. Hidden unit j is then one coupled group: column j of
// fc1 and its bias, row j of fc2. Only a chain whose every value stays inside it qualifies.
import type { Graph } from '../../ir/graph.js';
import { consumers, isConst } from '../../ir/graph.js';
import { asLinear, withBiasAdd, type LinearOp } from './linearOp.js';

export interface Ffn { fc1: LinearOp; fc2: LinearOp; /** the activation fc2 reads */ hidden: string }

const UNARY = new Set(['Erf', 'Sigmoid', 'Tanh', 'Relu', 'Gelu', 'HardSigmoid', 'HardSwish', 'Clip', 'Exp', 'Sqrt', 'Neg', 'Abs', 'LeakyRelu', 'Elu', 'Softplus', 'Identity', 'Cast']);
const BINARY = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow']);

export function findFfns(g: Graph): Ffn[] {
  const uses = consumers(g);
  const out: Ffn[] = [];
  const scalar = (x: string) => isConst(g, x) && g.values.get(x)!.data!.length === 1;
  for (const n of g.nodes) {
    const base = asLinear(g, n);
    if (!base) continue;
    const fc1 = withBiasAdd(g, base, uses);
    // grow the activation chain from fc1's output until no node joins; then every reader of a
    // chain value must be a chain node or the one linear op (fc2) that reads it
    const inChain = new Set([fc1.output]);
    const chainNodes = new Set<number>();
    for (let grew = true; grew;) {
      grew = false;
      for (const v of [...inChain]) {
        for (const i of uses.get(v) ?? []) {
          if (chainNodes.has(i)) continue;
          const m = g.nodes[i];
          const data = m.inputs.filter((x) => x !== '' && !scalar(x) && !(m.op === 'Clip' && isConst(g, x)));
          if ((UNARY.has(m.op) || BINARY.has(m.op)) && data.every((x) => inChain.has(x))) { chainNodes.add(i); inChain.add(m.outputs[0]); grew = true; }
        }
      }
    }
    let fc2: LinearOp | null = null, ok = true;
    for (const v of inChain) {
      if (g.outputs.includes(v)) ok = false;
      for (const i of uses.get(v) ?? []) {
        if (chainNodes.has(i)) continue;
        const l = asLinear(g, g.nodes[i]);
        if (!l || fc2 || l.input !== v) ok = false;
        else fc2 = withBiasAdd(g, l, uses);
      }
    }
    if (!ok || !fc2 || fc2.dIn !== fc1.dOut) continue;
    // every chain value but the hidden one must be used inside the chain only (checked above);
    // the hidden one feeds fc2 alone
    if ((uses.get(fc2.input) ?? []).length !== 1) continue;
    out.push({ fc1, fc2, hidden: fc2.input });
  }
  return out;
}

