// ToaSt's dynamic FFN channel selection (the subgraph compiler/prune/toast/dynamic.ts writes)
// recognised as one internal op, DynamicChannelsMatMul, that the topk_ffn kernel runs:
//   s = ReduceMean(Abs(H), every axis but the last, keepdims 0); idx = TopK(s, k).indices
//   Y = MatMul(Gather(H, idx, last axis), Gather(W2, idx, axis 0)) [+ b]
// becomes Y = DynamicChannelsMatMul(H, W2, b) with attribute k. Recognised here rather than
// emitted by the pruner so that the written ONNX stays plain (onnxruntime runs the same file,
// the reference of the e2e test) and any exporter's equivalent graph compiles. The TopK
// values output must be unused; H float32; W2 a constant [hidden, out].
import type { Graph, Node } from '../graph.js';
import { attrInt, attrInts, consumers, constNumbers, isConst, normAxis, numel, producers } from '../graph.js';

export const DYNAMIC_CHANNELS_OP = 'DynamicChannelsMatMul';

export function recognizeDynamicChannels(g: Graph): number {
  const users = consumers(g), prod = producers(g);
  const useOf = (v: string): Node[] => (users.get(v) ?? []).map((i) => g.nodes[i]);
  const only = (v: string): Node | null => {
    const u = useOf(v);
    return u.length === 1 && !g.outputs.includes(v) ? u[0] : null;
  };
  const producer = (v: string): Node | null => (prod.has(v) ? g.nodes[prod.get(v)!] : null);
  const made = new Map<Node, Node>(), drop = new Set<Node>();
  for (const topk of g.nodes) {
    if (topk.op !== 'TopK' || attrInt(topk, 'largest', 1) !== 1) continue;
    const [values, idx] = topk.outputs;
    if (!idx || (values && (useOf(values).length || g.outputs.includes(values)))) continue;
    const kIn = topk.inputs[1];
    if (!kIn || !isConst(g, kIn)) continue;
    const k = constNumbers(g, kIn)[0];
    const mean = producer(topk.inputs[0]);
    if (mean?.op !== 'ReduceMean' || attrInt(mean, 'keepdims', 1) !== 0 || only(mean.outputs[0]) !== topk) continue;
    const abs = producer(mean.inputs[0]);
    if (abs?.op !== 'Abs' || only(abs.outputs[0]) !== mean) continue;
    const H = abs.inputs[0], hv = g.values.get(H);
    const rank = hv?.shape?.length ?? 0;
    if (hv?.dtype !== 'float32' || rank < 1) continue;
    // the mean runs over every axis but the last (axes as an attribute, or a constant input from opset 18)
    const axesIn = mean.inputs[1];
    const axes = (axesIn ? (isConst(g, axesIn) ? constNumbers(g, axesIn) : null) : attrInts(mean, 'axes', []))?.map((a) => normAxis(a, rank)).sort((a, b) => a - b);
    if (!axes || axes.length !== rank - 1 || axes.some((a, i) => a !== i)) continue;
    if (normAxis(attrInt(topk, 'axis', -1), 1) !== 0) continue;
    const gathers = useOf(idx);
    if (gathers.length !== 2 || g.outputs.includes(idx) || gathers.some((n) => n.op !== 'Gather' || n.inputs[1] !== idx)) continue;
    const gh = gathers.find((n) => n.inputs[0] === H && normAxis(attrInt(n, 'axis', 0), rank) === rank - 1);
    const gw = gathers.find((n) => n !== gh && isConst(g, n.inputs[0]) && attrInt(n, 'axis', 0) === 0);
    const w2 = gw && g.values.get(gw.inputs[0]);
    if (!gh || !gw || !w2 || w2.dtype !== 'float32' || w2.shape?.length !== 2 || w2.shape[0] !== hv.shape![rank - 1]) continue;
    const mm = only(gh.outputs[0]);
    if (mm?.op !== 'MatMul' || mm.inputs[0] !== gh.outputs[0] || mm.inputs[1] !== gw.outputs[0] || only(gw.outputs[0]) !== mm) continue;
    // a constant bias Add on the product folds in
    const out = w2.shape[1];
    const add = only(mm.outputs[0]);
    const biasName = add?.op === 'Add' ? add.inputs.find((x) => x !== mm.outputs[0]) : undefined;
    const bias = biasName !== undefined && isConst(g, biasName) ? g.values.get(biasName) : undefined;
    const withBias = !!bias && bias.dtype === 'float32' && numel(bias.shape!) === out && bias.shape![bias.shape!.length - 1] === out;
    const last = withBias ? add! : mm;
    made.set(mm, {
      name: mm.name, op: DYNAMIC_CHANNELS_OP, domain: '', inputs: [H, gw.inputs[0], ...(withBias ? [biasName!] : [])],
      outputs: [last.outputs[0]], attrs: { k },
    });
    for (const n of [abs, mean, topk, gh, gw, ...(withBias ? [add!] : [])]) drop.add(n);
  }
  if (!made.size) return 0;
  g.nodes = g.nodes.filter((n) => !drop.has(n)).map((n) => made.get(n) ?? n);
  return made.size;
}
