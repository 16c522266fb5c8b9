// Removes nodes whose outputs nobody reads, and constants nothing refers to.
import type { Graph } from '../graph.js';

export function removeDeadCode(g: Graph): void {
  const live = new Set(g.outputs);
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i];
    if (!n.outputs.some((o) => live.has(o))) { g.nodes.splice(i, 1); continue; }
    for (const x of n.inputs) if (x !== '') live.add(x);
  }
  for (const [name, v] of g.values) if (!live.has(name) && !g.inputs.includes(name) && v.data !== undefined) g.values.delete(name);
}
