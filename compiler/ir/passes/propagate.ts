// One walk in topological order that folds constant nodes and infers every other node's
// output shapes. Nodes it cannot handle are returned (all of them), not thrown one by one.
import type { Graph, Node } from '../graph.js';
import { isConst } from '../graph.js';
import { evaluateNode } from '../evaluate.js';
import { hasShapeRule, inferNode } from '../shapes.js';
import { sortTopologically } from './topo.js';

export function propagate(g: Graph): { unknownOps: Node[] } {
  sortTopologically(g);
  const unknownOps: Node[] = [];
  const kept: Node[] = [];
  for (const n of g.nodes) {
    const ins = n.inputs.filter((x) => x !== '');
    if (!hasShapeRule(n.op) || (n.domain !== '' && n.domain !== 'ai.onnx')) {
      unknownOps.push(n);
      kept.push(n);
      continue;
    }
    if (ins.some((x) => g.values.get(x)!.shape === null)) { kept.push(n); continue; } // downstream of an unknown op
    // Shape and Size need only the (now static) shape of their input, not its data
    const foldable = n.op === 'Shape' || n.op === 'Size' || ins.every((x) => isConst(g, x));
    const folded = foldable && !g.outputs.some((o) => n.outputs.includes(o)) ? evaluateNode(n, g) : null;
    if (folded) {
      n.outputs.forEach((o, i) => o !== '' && g.values.set(o, { name: o, dtype: folded[i].dtype, shape: folded[i].shape, data: folded[i].data }));
      continue;
    }
    const infos = inferNode(n, g);
    n.outputs.forEach((o, i) => {
      if (o === '' || !infos[i]) return;
      const v = g.values.get(o)!;
      v.shape = infos[i].shape;
      v.dtype = infos[i].dtype;
    });
    kept.push(n);
  }
  g.nodes = kept;
  return { unknownOps };
}
