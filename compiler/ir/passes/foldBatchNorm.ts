// BatchNormalization (inference form) folded into the Conv or ConvTranspose that feeds it:
// W' = W·s, b' = (b − mean)·s + beta with s = gamma / sqrt(var + eps), per output channel.
import type { Graph, Node } from '../graph.js';
import { attrFloat, attrInt, consumers, isConst, numel, producers } from '../graph.js';

export function foldBatchNorm(g: Graph): number {
  let folded = 0;
  const users = consumers(g), prod = producers(g);
  const drop = new Set<Node>();
  for (const bn of g.nodes) {
    if (bn.op !== 'BatchNormalization' || bn.outputs.filter((o) => o !== '').length !== 1) continue;
    if (!bn.inputs.slice(1, 5).every((x) => isConst(g, x))) continue;
    const pi = prod.get(bn.inputs[0]);
    if (pi === undefined) continue;
    const conv = g.nodes[pi];
    if ((conv.op !== 'Conv' && conv.op !== 'ConvTranspose') || users.get(bn.inputs[0])!.length !== 1 || g.outputs.includes(bn.inputs[0])) continue;
    if (!isConst(g, conv.inputs[1]) || (conv.inputs[2] && !isConst(g, conv.inputs[2]))) continue;
    const [gamma, beta, mean, variance] = bn.inputs.slice(1, 5).map((x) => g.values.get(x)!.data as Float32Array);
    const eps = attrFloat(bn, 'epsilon', 1e-5);
    const w = g.values.get(conv.inputs[1])!;
    const wData = w.data as Float32Array, wShape = w.shape!;
    const groups = attrInt(conv, 'group', 1);
    const cout = conv.op === 'Conv' ? wShape[0] : wShape[1] * groups;
    const scale = new Float64Array(cout).map((_, c) => gamma[c] / Math.sqrt(variance[c] + eps));
    const nw = new Float32Array(wData.length);
    if (conv.op === 'Conv') {
      const per = numel(wShape.slice(1));
      for (let i = 0; i < nw.length; i++) nw[i] = wData[i] * scale[Math.floor(i / per)];
    } else {
      // ConvTranspose weights are [Cin, Cout/group, k...]: output channel = group·(Cout/group) + j
      const cinPerGroup = wShape[0] / groups, coutPerGroup = wShape[1], per = numel(wShape.slice(2));
      for (let i = 0; i < nw.length; i++) {
        const ci = Math.floor(i / (coutPerGroup * per)), j = Math.floor(i / per) % coutPerGroup;
        nw[i] = wData[i] * scale[Math.floor(ci / cinPerGroup) * coutPerGroup + j];
      }
    }
    const oldBias = conv.inputs[2] ? (g.values.get(conv.inputs[2])!.data as Float32Array) : null;
    const nb = new Float32Array(cout).map((_, c) => ((oldBias ? oldBias[c] : 0) - mean[c]) * scale[c] + beta[c]);
    const wName = `${conv.name}.folded_weight`, bName = `${conv.name}.folded_bias`;
    g.values.set(wName, { name: wName, dtype: 'float32', shape: wShape, data: nw });
    g.values.set(bName, { name: bName, dtype: 'float32', shape: [cout], data: nb });
    conv.inputs = [conv.inputs[0], wName, bName];
    conv.outputs = [bn.outputs[0]];
    drop.add(bn);
    folded++;
  }
  g.nodes = g.nodes.filter((n) => !drop.has(n));
  return folded;
}
