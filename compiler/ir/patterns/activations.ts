// Decomposed activations recognised as one op, so they run as one kernel (or fuse):
//   GELU:      0.5·x·(1 + erf(x/√2))            (torch.onnx exports of nn.GELU)
//   HardSwish: x·clip(x + 3, 0, 6)/6, x·HardSigmoid(x) with α = 1/6, β = ½   (Paddle exports)
import type { Graph, Node } from '../graph.js';
import { attrFloat, consumers, constNumbers, isConst, producers } from '../graph.js';

const near = (a: number, b: number) => Math.abs(a - b) < 1e-4 * Math.max(1, Math.abs(b));

/** the scalar constant among a binary node's inputs and the other input, or null */
function scalarAndOther(g: Graph, n: Node): { c: number; x: string; constFirst: boolean } | null {
  for (const [i, j] of [[1, 0], [0, 1]]) {
    const c = n.inputs[i];
    if (isConst(g, c) && g.values.get(c)!.data!.length === 1) return { c: constNumbers(g, c)[0], x: n.inputs[j], constFirst: i === 0 };
  }
  return null;
}

export function recognizeActivations(g: Graph): number {
  let found = 0;
  let users = consumers(g), prod = producers(g);
  const only = (value: string): Node | null => {
    const u = users.get(value);
    return u && u.length === 1 && !g.outputs.includes(value) ? g.nodes[u[0]] : null;
  };
  const node = (value: string): Node | null => (prod.has(value) ? g.nodes[prod.get(value)!] : null);
  const replace = (dead: Node[], op: string, x: string, out: string, attrs: Node['attrs'] = {}) => {
    const last = dead[dead.length - 1];
    const at = g.nodes.indexOf(last);
    g.nodes[at] = { name: last.name, op, domain: '', inputs: [x], outputs: [out], attrs };
    const drop = new Set(dead.slice(0, -1));
    g.nodes = g.nodes.filter((n) => !drop.has(n));
    users = consumers(g); prod = producers(g);
    found++;
  };
  for (let i = 0; i < g.nodes.length; i++) {
    const n = g.nodes[i];
    // GELU from its Erf
    if (n.op === 'Erf') {
      const pre = node(n.inputs[0]);
      const s = pre && (pre.op === 'Div' || pre.op === 'Mul') ? scalarAndOther(g, pre) : null;
      if (!pre || !s || s.constFirst || !(pre.op === 'Div' ? near(s.c, Math.SQRT2) : near(s.c, Math.SQRT1_2))) continue;
      const x = s.x;
      const add = only(n.outputs[0]);
      const sa = add?.op === 'Add' ? scalarAndOther(g, add) : null;
      if (!add || !sa || !near(sa.c, 1)) continue;
      const mul = only(add.outputs[0]);
      if (!mul || mul.op !== 'Mul') continue;
      const other = mul.inputs[0] === add.outputs[0] ? mul.inputs[1] : mul.inputs[0];
      if (other === x) {
        const half = only(mul.outputs[0]);
        const sh = half?.op === 'Mul' ? scalarAndOther(g, half) : null;
        if (!half || !sh || !near(sh.c, 0.5)) continue;
        if (only(pre.outputs[0]) !== n) continue;
        replace([pre, n, add, mul, half], 'Gelu', x, half.outputs[0]);
      } else {
        const halfX = node(other);
        const sh = halfX?.op === 'Mul' ? scalarAndOther(g, halfX) : null;
        if (!halfX || !sh || sh.x !== x || !near(sh.c, 0.5) || only(halfX.outputs[0]) !== mul) continue;
        replace([pre, halfX, n, add, mul], 'Gelu', x, mul.outputs[0]);
      }
      i = -1;
      continue;
    }
    // HardSwish, Paddle's x·clip(x+3, 0, 6)/6
    if (n.op === 'Clip') {
      const add = node(n.inputs[0]);
      const sa = add?.op === 'Add' ? scalarAndOther(g, add) : null;
      if (!add || !sa || !near(sa.c, 3) || only(add.outputs[0]) !== n) continue;
      const lo = n.attrs.min ?? (n.inputs[1] && isConst(g, n.inputs[1]) ? constNumbers(g, n.inputs[1])[0] : undefined);
      const hi = n.attrs.max ?? (n.inputs[2] && isConst(g, n.inputs[2]) ? constNumbers(g, n.inputs[2])[0] : undefined);
      if (lo !== 0 || hi !== 6) continue;
      const mul = only(n.outputs[0]);
      if (!mul || mul.op !== 'Mul' || !mul.inputs.includes(sa.x)) continue;
      const div = only(mul.outputs[0]);
      const sd = div && (div.op === 'Div' || div.op === 'Mul') ? scalarAndOther(g, div) : null;
      if (!div || !sd || sd.constFirst || !(div.op === 'Div' ? near(sd.c, 6) : near(sd.c, 1 / 6))) continue;
      replace([add, n, mul, div], 'HardSwish', sa.x, div.outputs[0]);
      i = -1;
      continue;
    }
    // HardSwish as x·HardSigmoid(x) with the HardSwish constants
    if (n.op === 'HardSigmoid' && near(attrFloat(n, 'alpha', 0.2), 1 / 6) && near(attrFloat(n, 'beta', 0.5), 0.5)) {
      const mul = only(n.outputs[0]);
      if (!mul || mul.op !== 'Mul' || !mul.inputs.includes(n.inputs[0])) continue;
      replace([n, mul], 'HardSwish', n.inputs[0], mul.outputs[0]);
      i = -1;
    }
  }
  return found;
}
