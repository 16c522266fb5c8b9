// Transformer FFNs, taken from the channel coupling groups (prune/groups.ts): a prunable group
// produced by one linear op (fc1, MatMul/Gemm + bias) and consumed by one other (fc2), i.e.
// fc1 → elementwise activation (GELU as an Erf chain, swish, ReLU...) → fc2. Hidden unit j is
// column j of fc1 (and its bias) and row j of fc2; the surgery that removes units is the
// groups' own (applyChannelSelection, keyed by the group id = fc1's node name).
import type { Graph } from '../../ir/graph.js';
import { consumers } from '../../ir/graph.js';
import { findChannelGroups, type ChannelGroup } from '../groups.js';
import { asLinear, withBiasAdd, type LinearOp } from './linearOp.js';

export interface Ffn { group: string; fc1: LinearOp; fc2: LinearOp; /** the activation fc2 reads */ hidden: string }

/** FFNs of a prepared graph (prepareForChannels). */
export function findFfns(g: Graph, groups: readonly ChannelGroup[] = findChannelGroups(g)): Ffn[] {
  const uses = consumers(g);
  const byName = new Map(g.nodes.map((n) => [n.name, n]));
  const out: Ffn[] = [];
  for (const gr of groups) {
    if (!gr.prunable || gr.producers.length !== 1 || gr.consumers.length !== 1) continue;
    const p = byName.get(gr.producers[0].node), c = byName.get(gr.consumers[0].node);
    const base1 = p && asLinear(g, p), base2 = c && asLinear(g, c);
    if (!base1 || !base2 || base2.input !== gr.consumers[0].value || base1.dOut !== gr.size || base2.dIn !== gr.size) continue;
    out.push({ group: gr.id, fc1: withBiasAdd(g, base1, uses), fc2: withBiasAdd(g, base2, uses), hidden: base2.input });
  }
  return out;
}
