// IR → ONNX protobuf, so pruned or rewritten graphs run in onnxruntime. Constants become
// initializers; graph inputs and outputs carry their (static) shapes.
import onnxProto from 'onnx-proto';
import type { AttrValue, Graph, Node, Tensor, Value } from '../ir/graph.js';
import { onnxDTypeCode } from './read.js';

const { onnx } = onnxProto;

function tensorProto(name: string, t: Tensor): onnxProto.onnx.ITensorProto {
  return {
    name, dims: t.shape, dataType: onnxDTypeCode(t.dtype),
    rawData: new Uint8Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength)),
  };
}

function attrProto(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return Number.isInteger(v) && !Object.is(v, -0) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) {
    if (v.length === 0 || typeof v[0] === 'number') {
      const nums = v as number[];
      return nums.every((x) => Number.isInteger(x)) ? { name, type: T.INTS, ints: nums } : { name, type: T.FLOATS, floats: nums };
    }
    if (typeof v[0] === 'string') return { name, type: T.STRINGS, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) };
    if ('data' in (v[0] as object)) return { name, type: T.TENSORS, tensors: (v as Tensor[]).map((t) => tensorProto('', t)) };
    return { name, type: T.GRAPHS, graphs: (v as Graph[]).map(graphProto) };
  }
  if ('data' in v) return { name, type: T.TENSOR, t: tensorProto('', v as Tensor) };
  return { name, type: T.GRAPH, g: graphProto(v as Graph) };
}

/** Attributes whose float values may look like integers (alpha=1) must stay floats. */
const FLOAT_ATTRS = new Set(['alpha', 'beta', 'epsilon', 'momentum', 'gamma', 'bias', 'lambd', 'min', 'max', 'value', 'ratio', 'extrapolation_value', 'cubic_coeff_a', 'spatial_scale', 'threshold', 'scale', 'scales', 'act_alpha', 'act_beta']);

function nodeProto(n: Node): onnxProto.onnx.INodeProto {
  const attribute = Object.entries(n.attrs).map(([k, v]) => {
    const a = attrProto(k, v);
    const T = onnx.AttributeProto.AttributeType;
    if (FLOAT_ATTRS.has(k) && a.type === T.INT) return { name: k, type: T.FLOAT, f: v as number };
    if (FLOAT_ATTRS.has(k) && a.type === T.INTS) return { name: k, type: T.FLOATS, floats: v as number[] };
    return a;
  });
  return { name: n.name, opType: n.op, domain: n.domain, input: n.inputs, output: n.outputs, attribute };
}

function valueInfo(v: Value): onnxProto.onnx.IValueInfoProto {
  const dims = v.shape ?? v.declared ?? [];
  return {
    name: v.name,
    type: { tensorType: { elemType: onnxDTypeCode(v.dtype), shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

function graphProto(g: Graph): onnxProto.onnx.IGraphProto {
  const used = new Set(g.nodes.flatMap((n) => n.inputs).concat(g.outputs));
  const initializer = [...g.values.values()].filter((v) => v.data !== undefined && used.has(v.name)).map((v) => tensorProto(v.name, { dtype: v.dtype, shape: v.shape!, data: v.data! }));
  return {
    name: g.name, node: g.nodes.map(nodeProto), initializer,
    input: g.inputs.map((x) => valueInfo(g.values.get(x)!)),
    output: g.outputs.map((x) => valueInfo(g.values.get(x)!)),
  };
}

export function writeOnnx(g: Graph, producer = 'sparsec'): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8, producerName: producer, opsetImport: [{ domain: '', version: g.opset }], graph: graphProto(g),
  });
  return onnx.ModelProto.encode(model).finish();
}
