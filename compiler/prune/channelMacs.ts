// MACs of a channel selection without building the pruned graph: what `nodeMacs` (inspect.ts)
// summed over applyChannelSelection(g, keep) gives, for the FLOPs searches of REPrune and ToaSt.
// Surgery only shrinks weight axes and the channel axes of run-time tensors, never spatial or
// token axes, and each weighted layer's MACs are its weight's element count times what it is
// applied over (Conv: output pixels; ConvTranspose: input pixels; MatMul/Gemm: rows):
// MACs' = MACs · numel(W') / numel(W). A layer with a run-time weight keeps its MACs (its
// channels are pinned, see groups.ts).
import type { Graph } from '../ir/graph.js';
import { isConst, numel, valueOf } from '../ir/graph.js';
import { nodeMacs } from '../inspect.js';
import type { ChannelGroup } from './groups.js';
import { findChannelGroups } from './groups.js';
import { keptChannels, prunedPositions, type Selection } from './surgery.js';

const WEIGHTED = new Set(['Conv', 'ConvTranspose', 'MatMul', 'Gemm']);

/** `macs(keep)`: the MACs of the graph with that selection applied (an empty selection gives the
 *  dense graph's). `g` is a prepared graph (prepareForChannels). */
export function channelMacs(g: Graph, groups: readonly ChannelGroup[] = findChannelGroups(g)): (keep: Selection) => number {
  const layers = g.nodes.filter((n) => WEIGHTED.has(n.op)).map((n) => {
    const w = n.inputs[1];
    const weight = isConst(g, w) ? w : null;
    return { macs: nodeMacs(g, n), weight, size: weight ? numel(valueOf(g, weight).shape!) : 0, shape: weight ? valueOf(g, weight).shape! : [] };
  });
  return (keep) => {
    const kept = keptChannels(groups, keep);
    const cuts = prunedPositions(groups, kept, (gr) => gr.slices, (s) => `${s.tensor}|${s.axis}|${s.convGroups ?? 0}`);
    const extents = new Map<string, number[]>();
    for (const { entry, pruned } of cuts.values()) {
      if (!pruned.size) continue;
      let e = extents.get(entry.tensor);
      if (!e) extents.set(entry.tensor, (e = [...valueOf(g, entry.tensor).shape!]));
      // a grouped conv's input axis counts global input channels: each row keeps 1/G of them
      e[entry.axis] -= entry.convGroups ? pruned.size / entry.convGroups : pruned.size;
    }
    let total = 0;
    for (const l of layers) {
      const e = l.weight ? extents.get(l.weight) : undefined;
      total += e ? (l.macs / l.size) * numel(e) : l.macs; // l.macs is a whole multiple of l.size
    }
    return total;
  };
}
