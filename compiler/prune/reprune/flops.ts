// FLOPs of a graph over the IR: multiply-accumulates of every Conv, ConvTranspose, MatMul and
// Gemm (inspect.ts's nodeMacs) after shape propagation on a copy, so the caller's graph is left
// as it is. Inputs with symbolic dimensions need `inputShapes` unless already fixed (a graph from
// prepareForChannels).
import type { Graph } from '../../ir/graph.js';
import { nodeMacs } from '../../inspect.js';
import { propagate } from '../../ir/passes/propagate.js';
import { fixInputShapes } from '../../ir/passes/inputShapes.js';

/** A copy that shape propagation may rewrite (nodes and values are new objects; weight arrays are shared, never written). */
export function shapeCopy(g: Graph): Graph {
  return {
    ...g,
    nodes: g.nodes.map((n) => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs], attrs: { ...n.attrs } })),
    values: new Map([...g.values].map(([k, v]) => [k, { ...v, shape: v.shape && [...v.shape] }])),
    inputs: [...g.inputs], outputs: [...g.outputs],
  };
}

export function graphMacs(g: Graph, inputShapes: Record<string, number[]> = {}): number {
  const c = shapeCopy(g);
  const fixed = c.inputs.every((x) => c.values.get(x)?.shape?.every((d) => d > 0));
  if (!fixed || Object.keys(inputShapes).length) fixInputShapes(c, inputShapes);
  propagate(c);
  return c.nodes.reduce((s, n) => s + nodeMacs(c, n), 0);
}
