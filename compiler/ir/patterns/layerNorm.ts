// A LayerNorm decomposed into primitives (Paddle and opset < 17 exports) recognised as one
// LayerNormalization over the last axis:
//   m = ReduceMean(x); d = x − m; v = ReduceMean(d²); y = d / sqrt(v + eps) · gamma + beta
import type { Graph, Node } from '../graph.js';
import { attrInts, consumers, constNumbers, isConst } from '../graph.js';

export function recognizeLayerNorm(g: Graph): number {
  let found = 0;
  const users = consumers(g);
  const useOf = (v: string): Node[] => (users.get(v) ?? []).map((i) => g.nodes[i]);
  const single = (v: string, op: string): Node | null => {
    const u = useOf(v);
    return u.length === 1 && u[0].op === op && !g.outputs.includes(v) ? u[0] : null;
  };
  const constOther = (n: Node, v: string): string | null => {
    const o = n.inputs[0] === v ? n.inputs[1] : n.inputs[0];
    return isConst(g, o) ? o : null;
  };
  const lastAxisMean = (n: Node | null, rank: number) =>
    n?.op === 'ReduceMean' && n.attrs.keepdims !== 0 && attrInts(n, 'axes', []).length === 1 &&
    [-1, rank - 1].includes(attrInts(n, 'axes', [])[0]);
  const drop = new Set<Node>();
  for (const mean of g.nodes) {
    const x = mean.inputs[0], rank = g.values.get(x)?.shape?.length ?? 0;
    if (!lastAxisMean(mean, rank) || drop.has(mean)) continue;
    const sub = single(mean.outputs[0], 'Sub');
    if (!sub || sub.inputs[0] !== x || sub.inputs[1] !== mean.outputs[0]) continue;
    const dUsers = useOf(sub.outputs[0]);
    const pow = dUsers.find((n) => n.op === 'Pow'), div = dUsers.find((n) => n.op === 'Div');
    if (dUsers.length !== 2 || !pow || !div || div.inputs[0] !== sub.outputs[0]) continue;
    if (!isConst(g, pow.inputs[1]) || constNumbers(g, pow.inputs[1])[0] !== 2) continue;
    const varMean = single(pow.outputs[0], 'ReduceMean');
    if (!varMean || !lastAxisMean(varMean, rank)) continue;
    const addEps = single(varMean.outputs[0], 'Add');
    const epsName = addEps && constOther(addEps, varMean.outputs[0]);
    if (!addEps || !epsName) continue;
    const sqrt = single(addEps.outputs[0], 'Sqrt');
    if (!sqrt || div.inputs[1] !== sqrt.outputs[0] || useOf(sqrt.outputs[0]).length !== 1) continue;
    const mul = single(div.outputs[0], 'Mul');
    const gamma = mul && constOther(mul, div.outputs[0]);
    if (!mul || !gamma) continue;
    const add = single(mul.outputs[0], 'Add');
    const beta = add && constOther(add, mul.outputs[0]);
    const width = g.values.get(x)!.shape![rank - 1];
    if (!add || !beta || g.values.get(gamma)!.data!.length !== width || g.values.get(beta)!.data!.length !== width) continue;
    const eps = constNumbers(g, epsName)[0];
    const flat = (name: string) => {
      const v = g.values.get(name)!;
      const n = `${name}.layernorm`;
      g.values.set(n, { name: n, dtype: 'float32', shape: [width], data: Float32Array.from(v.data as Float32Array) });
      return n;
    };
    const ln: Node = { name: add.name, op: 'LayerNormalization', domain: '', inputs: [x, flat(gamma), flat(beta)], outputs: [add.outputs[0]], attrs: { axis: -1, epsilon: eps } };
    g.nodes[g.nodes.indexOf(add)] = ln;
    for (const n of [mean, sub, pow, varMean, addEps, sqrt, div, mul]) drop.add(n);
    found++;
  }
  g.nodes = g.nodes.filter((n) => !drop.has(n));
  return found;
}
