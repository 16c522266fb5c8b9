// `sparsec inspect`: what a model holds and what of it sparsec can compile.
import { SparsecError } from './errors.js';
import type { Graph, Node } from './ir/graph.js';
import { attrInt, numel } from './ir/graph.js';
import { readOnnxFile } from './onnx/read.js';
import { canonicalize } from './ir/passes/canonicalize.js';
import { CAUSAL_ATTENTION_OP, causalAttentionMacs } from './ir/patterns/causalAttention.js';
import { fixInputShapes } from './ir/passes/inputShapes.js';
import { findUnlowerable } from './codegen/emit.js';
import { lowerings } from './codegen/ops/index.js';
import { ALIAS_OPS } from './codegen/plan.js';

export interface LayerInfo { name: string; op: string; outputShape: number[] | null; params: number; macs: number }
export interface InspectReport {
  file: string;
  opset: number;
  inputs: { name: string; dtype: string; shape: (number | string)[] }[];
  outputs: { name: string; dtype: string; shape: (number | string)[] | null }[];
  ops: Record<string, number>;
  params: number;
  macs: number | null;
  layers: LayerInfo[];
  unsupported: { node: string; op: string; reason: string }[];
  /** why shapes (and so MACs) are unknown, when they are */
  shapeNote?: string;
}

/** Multiply-accumulates of a node with static shapes (0 for ops that do no MACs). */
export function nodeMacs(g: Graph, n: Node): number {
  const shape = (x: string) => g.values.get(x)?.shape ?? null;
  const out = shape(n.outputs[0]);
  if (!out) return 0;
  if (n.op === 'Conv') {
    const w = shape(n.inputs[1]);
    return w ? numel(out) * numel(w.slice(1)) : 0;
  }
  if (n.op === 'ConvTranspose') {
    const w = shape(n.inputs[1]), x = shape(n.inputs[0]);
    return w && x ? numel(x) * numel(w.slice(1)) : 0;
  }
  if (n.op === 'MatMul' || n.op === 'Gemm') {
    const a = shape(n.inputs[0]);
    if (!a) return 0;
    const k = n.op === 'Gemm' && attrInt(n, 'transA', 0) ? a[0] : a[a.length - 1];
    return numel(out) * k;
  }
  if (n.op === CAUSAL_ATTENTION_OP) return causalAttentionMacs(g, n);
  return 0;
}

export function inspectModel(file: string, inputShapes: Record<string, number[]> = {}): InspectReport {
  const g = readOnnxFile(file);
  const declared = g.inputs.map((name) => {
    const v = g.values.get(name)!;
    return { name, dtype: v.dtype, shape: v.declared ?? v.shape ?? [] };
  });
  const ops: Record<string, number> = {};
  for (const n of g.nodes) ops[n.op] = (ops[n.op] ?? 0) + 1;
  let shapeNote: string | undefined;
  let unknown: Node[] = [];
  try {
    fixInputShapes(g, inputShapes);
    unknown = canonicalize(g, { fuse: false }).unknownOps;
  } catch (e) {
    if (!(e instanceof SparsecError)) throw e;
    shapeNote = e.message;
  }
  const layers: LayerInfo[] = g.nodes.map((n) => ({
    name: n.name, op: n.op,
    outputShape: g.values.get(n.outputs[0])?.shape ?? null,
    params: n.inputs.slice(1).reduce((s, x) => s + (x && g.values.get(x)?.data && g.values.get(x)!.dtype === 'float32' ? numel(g.values.get(x)!.shape!) : 0), 0),
    macs: nodeMacs(g, n),
  }));
  const unsupported = shapeNote
    ? g.nodes.filter((n) => !lowerings.has(n.op) && !ALIAS_OPS.has(n.op) && n.op !== 'Constant').map((n) => ({ node: n.name, op: n.op, reason: 'operator not supported' }))
    : [...unknown.map((n) => ({ node: n, reason: 'operator not supported' })), ...findUnlowerable(g, lowerings).filter((b) => !unknown.includes(b.node))]
        .map(({ node, reason }) => ({ node: node.name, op: node.op, reason }));
  return {
    file, opset: g.opset, inputs: declared,
    outputs: g.outputs.map((name) => ({ name, dtype: g.values.get(name)!.dtype, shape: g.values.get(name)!.shape })),
    ops: Object.fromEntries(Object.entries(ops).sort()),
    params: [...g.values.values()].filter((v) => v.data && v.dtype === 'float32').reduce((s, v) => s + v.data!.length, 0),
    macs: shapeNote ? null : layers.reduce((s, l) => s + l.macs, 0),
    layers, unsupported, shapeNote,
  };
}
