// Dynamic token channel selection (spec §5.4, ToaSt's run-time TCS): fc2 reads only the k
// hidden units with the largest mean |h| over the current input's tokens,
//   s = ReduceMean(|H|, tokens) → TopK(s, k) → MatMul(Gather(H, idx), Gather(W2, idx)) + b2
// fc1 still runs in full (the score needs every unit), so only fc2's MACs shrink. The channel
// set changes per input, so no refit or bias correction applies. The written graph is plain ONNX
// (onnxruntime runs it); sparsec recognises the subgraph (ir/patterns/dynamicChannels.ts) and
// runs it as one kernel, assembly/topk_ffn.ts.
import type { Graph, Node } from '../../ir/graph.js';
import { SparsecError } from '../../errors.js';
import { copyGraph } from './surgery.js';
import type { Ffn } from './ffn.js';

/** A copy of `g` where each FFN with keep[i] < its hidden size selects keep[i] units per input. */
export function dynamicChannels(g: Graph, ffns: readonly Ffn[], keep: readonly number[]): Graph {
  // TopK takes k as an input from opset 10; ReduceMean takes axes as an attribute up to 17
  if (g.opset < 10 || g.opset > 17) throw new SparsecError('E_UNSUPPORTED', `dynamic channel selection is written for opsets 10-17; the model has opset ${g.opset}`, { file: g.source });
  const out = copyGraph(g);
  ffns.forEach((f, i) => {
    const k = keep[i];
    if (k >= f.fc1.dOut) return;
    if (f.fc2.storedOutIn) throw new Error(`internal: dynamic selection expects fc2 '${f.fc2.node}' as MatMul [in, out]`);
    const p = `${f.fc2.node}/tcs`;
    const v = (name: string) => { out.values.set(`${p}/${name}`, { name: `${p}/${name}`, dtype: name === 'idx' ? 'int64' : 'float32', shape: null }); return `${p}/${name}`; };
    out.values.set(`${p}/k`, { name: `${p}/k`, dtype: 'int64', shape: [1], data: BigInt64Array.from([BigInt(k)]) });
    const node = (name: string, op: string, inputs: string[], outputs: string[], attrs: Node['attrs'] = {}): Node => ({ name: `${p}/${name}`, op, domain: '', inputs, outputs, attrs });
    // H is [..., N, hidden]: average over every axis but the last
    const rank = g.values.get(f.hidden)?.shape?.length ?? 3;
    const axes = Array.from({ length: rank - 1 }, (_, a) => a);
    const added = [
      node('abs', 'Abs', [f.hidden], [v('abs')]),
      node('score', 'ReduceMean', [`${p}/abs`], [v('score')], { axes, keepdims: 0 }),
      node('topk', 'TopK', [`${p}/score`, `${p}/k`], [v('values'), v('idx')], { axis: -1, largest: 1, sorted: 1 }),
      node('h', 'Gather', [f.hidden, `${p}/idx`], [v('h')], { axis: rank - 1 }),
      node('w', 'Gather', [f.fc2.weight, `${p}/idx`], [v('w')], { axis: 0 }),
    ];
    const at = out.nodes.findIndex((n) => n.name === f.fc2.node);
    out.nodes[at] = { ...out.nodes[at], inputs: [`${p}/h`, `${p}/w`, ...out.nodes[at].inputs.slice(2)] };
    out.nodes.splice(at, 0, ...added);
  });
  return out;
}
