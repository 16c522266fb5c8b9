// A zero Pad (constant mode) on the spatial axes only, read by nothing but a Conv, becomes that
// Conv's own padding: no padded copy of the tensor (tf2onnx emits these before strided convs).
import type { Graph, Node } from '../graph.js';
import { attrInts, attrString, consumers, constNumbers, isConst, producers } from '../graph.js';
import { padAmounts } from '../shapes.js';

export function foldPadIntoConv(g: Graph): number {
  const users = consumers(g), prod = producers(g);
  const drop = new Set<Node>();
  for (const conv of g.nodes) {
    if (conv.op !== 'Conv' || attrString(conv, 'auto_pad', 'NOTSET') !== 'NOTSET') continue;
    const pi = prod.get(conv.inputs[0]);
    if (pi === undefined) continue;
    const pad = g.nodes[pi];
    if (pad.op !== 'Pad' || attrString(pad, 'mode', 'constant') !== 'constant') continue;
    if (users.get(pad.outputs[0])!.length !== 1 || g.outputs.includes(pad.outputs[0])) continue;
    if (g.opset >= 11 && pad.inputs.slice(1).some((x) => x !== '' && !isConst(g, x))) continue;
    const value = g.opset < 11 ? ((pad.attrs.value as number | undefined) ?? 0) : pad.inputs[2] ? constNumbers(g, pad.inputs[2])[0] : 0;
    const rank = g.values.get(pad.inputs[0])?.shape?.length ?? 0;
    if (value !== 0 || rank < 3) continue;
    const p = padAmounts(pad, g, rank);
    // batch and channel axes must not be padded; spatial pads must be non-negative
    if (p[0] || p[1] || p[rank] || p[rank + 1] || p.some((x) => x < 0)) continue;
    const r = rank - 2;
    const own = attrInts(conv, 'pads', Array(2 * r).fill(0));
    conv.attrs.pads = own.map((v, i) => v + (i < r ? p[2 + i] : p[rank + 2 + i - r]));
    conv.inputs[0] = pad.inputs[0];
    drop.add(pad);
  }
  g.nodes = g.nodes.filter((n) => !drop.has(n));
  return drop.size;
}
