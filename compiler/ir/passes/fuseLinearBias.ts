// A linear layer exported as MatMul(X, W) followed by Add(·, b) (torch.nn.Linear on 3-D input,
// Paddle's fc) becomes Gemm(X as [rows, K], W, b): the bias is added in the GEMM epilogue and
// a following activation can fuse too. The Reshapes around the Gemm are free (aliases).
import type { Graph, Node } from '../graph.js';
import { consumers, isConst, numel, producers, typedArrayFrom } from '../graph.js';

export function fuseLinearBias(g: Graph): number {
  let fused = 0;
  const users = consumers(g), prod = producers(g);
  const out: Node[] = [];
  const replaced = new Map<Node, Node[]>();
  const drop = new Set<Node>();
  for (const add of g.nodes) {
    if (add.op !== 'Add') continue;
    for (const side of [0, 1]) {
      const mmOut = add.inputs[side], bias = add.inputs[1 - side];
      const pi = prod.get(mmOut);
      if (pi === undefined || !isConst(g, bias)) continue;
      const mm = g.nodes[pi];
      if (mm.op !== 'MatMul' || !isConst(g, mm.inputs[1]) || users.get(mmOut)!.length !== 1 || g.outputs.includes(mmOut)) continue;
      const x = g.values.get(mm.inputs[0])!, w = g.values.get(mm.inputs[1])!, b = g.values.get(bias)!, y = g.values.get(add.outputs[0])!;
      if (w.shape!.length !== 2 || x.shape!.length < 2 || x.dtype !== 'float32' || b.dtype !== 'float32') continue;
      const [K, N] = w.shape!;
      if (numel(b.shape!) !== N || b.shape![b.shape!.length - 1] !== N || numel(y.shape!) !== numel(x.shape!) / K * N) continue;
      const rows = numel(x.shape!) / K;
      const name = (s: string) => `${mm.name}/${s}`;
      const shapeConst = (s: string, dims: number[]) => { g.values.set(name(s), { name: name(s), dtype: 'int64', shape: [dims.length], data: typedArrayFrom('int64', dims) }); return name(s); };
      const flatBias = name('bias');
      g.values.set(flatBias, { name: flatBias, dtype: 'float32', shape: [N], data: b.data });
      g.values.set(name('x2d'), { name: name('x2d'), dtype: 'float32', shape: [rows, K] });
      g.values.set(name('y2d'), { name: name('y2d'), dtype: 'float32', shape: [rows, N] });
      replaced.set(mm, [
        { name: name('flatten'), op: 'Reshape', domain: '', inputs: [mm.inputs[0], shapeConst('shape2d', [rows, K])], outputs: [name('x2d')], attrs: {} },
        { name: mm.name, op: 'Gemm', domain: '', inputs: [name('x2d'), mm.inputs[1], flatBias], outputs: [name('y2d')], attrs: {} },
        { name: add.name, op: 'Reshape', domain: '', inputs: [name('y2d'), shapeConst('shapeNd', y.shape!)], outputs: [add.outputs[0]], attrs: {} },
      ]);
      drop.add(add);
      fused++;
      break;
    }
  }
  for (const n of g.nodes) {
    if (drop.has(n)) continue;
    out.push(...(replaced.get(n) ?? [n]));
  }
  g.nodes = out;
  return fused;
}
