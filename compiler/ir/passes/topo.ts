// Kahn's algorithm with the original order as the tie-break, so sorting is stable and a
// graph that is already in order stays as it is.
import { SparsecError } from '../../errors.js';
import type { Graph } from '../graph.js';
import { producers } from '../graph.js';

export function sortTopologically(g: Graph): void {
  const prod = producers(g);
  const state = new Uint8Array(g.nodes.length); // 0 new, 1 on stack, 2 done
  const order: number[] = [];
  const visit = (i: number) => {
    if (state[i] === 2) return;
    if (state[i] === 1) throw new SparsecError('E_MODEL', `the graph has a cycle through node '${g.nodes[i].name}'`, { file: g.source });
    state[i] = 1;
    for (const x of g.nodes[i].inputs) {
      const p = x === '' ? undefined : prod.get(x);
      if (p !== undefined) visit(p);
    }
    state[i] = 2;
    order.push(i);
  };
  g.nodes.forEach((_, i) => visit(i));
  g.nodes = order.map((i) => g.nodes[i]);
}
