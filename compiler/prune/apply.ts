// Applies masks to a copy of the IR: the masked weights are new arrays with zeros where the
// mask is 0; the input graph and its weight arrays are left untouched (they may be the user's
// model in memory, and the file on disk is never written).
import type { Graph } from '../ir/graph.js';
import { valueOf } from '../ir/graph.js';
import { storedIndex, type LinearLayer } from './linear.js';

/** masks: layer name → mask on W[out][in] (1 keep, 0 prune). */
export function applyMasks(g: Graph, layers: readonly LinearLayer[], masks: ReadonlyMap<string, Uint8Array>): Graph {
  const values = new Map(g.values);
  for (const l of layers) {
    const mask = masks.get(l.name);
    if (!mask) continue;
    const v = valueOf(g, l.weight);
    const w = Float32Array.from(v.data as Float32Array);
    for (let o = 0; o < l.dOut; o++) for (let i = 0; i < l.dIn; i++) if (mask[o * l.dIn + i] === 0) w[storedIndex(l, o, i)] = 0;
    values.set(l.weight, { ...v, shape: v.shape && [...v.shape], data: w });
  }
  return { ...g, values };
}
