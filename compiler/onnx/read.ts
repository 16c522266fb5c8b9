// ONNX protobuf → IR. Weights may be initializers, Constant nodes (Paddle exports) or external
// data files next to the model. Constant nodes become constant values; no node is kept for them.
import onnxProto from 'onnx-proto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SparsecError } from '../errors.js';
import type { AttrValue, DType, Graph, Node, Tensor, TensorData, Value } from '../ir/graph.js';
import { numel, typedArrayFor } from '../ir/graph.js';

const { onnx } = onnxProto;
type Long = { toNumber(): number } | number;

export const ONNX_DTYPES: Record<number, DType> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 5: 'int16', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16', 11: 'float64',
};
const DTYPE_CODES = Object.fromEntries(Object.entries(ONNX_DTYPES).map(([k, v]) => [v, Number(k)])) as Record<DType, number>;
export const onnxDTypeCode = (d: DType): number => DTYPE_CODES[d];

const num = (v: Long | null | undefined): number => (v == null ? 0 : typeof v === 'number' ? v : v.toNumber());

/** The bytes of an .onnx file, a read failure as one clear line. */
export function readModelBytes(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new SparsecError('E_FILE', `cannot read the model: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file });
  }
}

export function readOnnxFile(file: string): Graph {
  return readOnnx(readModelBytes(file), file);
}

export function readOnnx(bytes: Uint8Array, file = '<memory>'): Graph {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new SparsecError('E_FILE', `not a valid ONNX model (the protobuf does not decode: ${(e as Error).message}; is the file truncated?)`, { file });
  }
  if (!model.graph || !model.irVersion || !model.opsetImport?.length || !model.graph.node?.length) {
    throw new SparsecError('E_FILE', 'not an ONNX model (no graph, IR version or opset import)', { file });
  }
  const opsetEntry = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = opsetEntry ? num(opsetEntry.version as Long) : 0;
  return readGraph(model.graph, file, opset);
}

function readGraph(gp: onnxProto.onnx.IGraphProto, file: string, opset: number): Graph {
  const values = new Map<string, Value>();
  const baseDir = dirname(resolve(file));
  for (const t of gp.initializer ?? []) {
    const tensor = readTensor(t, file, baseDir);
    values.set(t.name!, { name: t.name!, dtype: tensor.dtype, shape: tensor.shape, data: tensor.data });
  }
  for (const vi of [...(gp.input ?? []), ...(gp.output ?? [])]) {
    if (vi.type && !vi.type.tensorType) throw new SparsecError('E_UNSUPPORTED', `graph input or output '${vi.name}' is not a tensor (a sequence, map or optional); sparsec compiles tensor graphs only`, { file });
  }
  for (const vi of [...(gp.input ?? []), ...(gp.valueInfo ?? []), ...(gp.output ?? [])]) {
    if (!values.has(vi.name!)) values.set(vi.name!, readValueInfo(vi));
  }
  const nodes: Node[] = [];
  const used = new Set<string>();
  (gp.node ?? []).forEach((np, i) => {
    const name = uniqueName(np.name || `${np.opType}_${i}`, used);
    const attrs: Record<string, AttrValue> = {};
    for (const a of np.attribute ?? []) attrs[a.name!] = readAttr(a, file, baseDir, opset);
    const node: Node = { name, op: np.opType!, domain: np.domain ?? '', inputs: [...(np.input ?? [])], outputs: [...(np.output ?? [])], attrs };
    if (node.op === 'Constant' && (node.domain === '' || node.domain === 'ai.onnx')) {
      const t = constantNodeValue(node, file);
      values.set(node.outputs[0], { name: node.outputs[0], dtype: t.dtype, shape: t.shape, data: t.data });
      return;
    }
    for (const o of node.outputs) if (o !== '' && !values.has(o)) values.set(o, { name: o, dtype: 'float32', shape: null });
    nodes.push(node);
  });
  for (const n of nodes) {
    for (const x of n.inputs) {
      if (x !== '' && !values.has(x)) throw new SparsecError('E_MODEL', `input '${x}' is produced by no node, initializer or graph input`, { file, node: n.name, op: n.op });
    }
  }
  const inputs = (gp.input ?? []).map((v) => v.name!).filter((n) => values.get(n)?.data === undefined);
  const outputs = (gp.output ?? []).map((v) => v.name!);
  return { name: gp.name || 'model', source: file, opset, nodes, values, inputs, outputs };
}

function uniqueName(name: string, used: Set<string>): string {
  let n = name;
  for (let k = 1; used.has(n); k++) n = `${name}_${k}`;
  used.add(n);
  return n;
}

function readValueInfo(vi: onnxProto.onnx.IValueInfoProto): Value {
  const tt = vi.type?.tensorType;
  const dtype = ONNX_DTYPES[tt?.elemType ?? 1] ?? 'float32';
  if (!tt?.shape) return { name: vi.name!, dtype, shape: null };
  // a dimension without a positive value is symbolic, named or not
  const declared = (tt.shape.dim ?? []).map((d, i) => (num(d.dimValue as Long) > 0 && !d.dimParam ? num(d.dimValue as Long) : d.dimParam || `dim${i}`));
  const known = declared.every((d) => typeof d === 'number');
  return { name: vi.name!, dtype, shape: known ? (declared as number[]) : null, declared };
}

function readAttr(a: onnxProto.onnx.IAttributeProto, file: string, baseDir: string, opset: number): AttrValue {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case T.FLOAT: return a.f ?? 0;
    case T.INT: return num(a.i as Long);
    case T.STRING: return new TextDecoder().decode(a.s ?? new Uint8Array());
    case T.TENSOR: return readTensor(a.t!, file, baseDir);
    case T.GRAPH: return readGraph(a.g!, file, opset);
    case T.FLOATS: return [...(a.floats ?? [])];
    case T.INTS: return (a.ints ?? []).map((v) => num(v as Long));
    case T.STRINGS: return (a.strings ?? []).map((s) => new TextDecoder().decode(s));
    case T.TENSORS: return (a.tensors ?? []).map((t) => readTensor(t, file, baseDir));
    case T.GRAPHS: return (a.graphs ?? []).map((g) => readGraph(g, file, opset));
    default: {
      // IR < 3 files may leave `type` unset: infer it from the field that holds data
      if (a.t) return readTensor(a.t, file, baseDir);
      if (a.ints?.length) return a.ints.map((v) => num(v as Long));
      if (a.floats?.length) return [...a.floats];
      if (a.s?.length) return new TextDecoder().decode(a.s);
      if (a.i != null && num(a.i as Long) !== 0) return num(a.i as Long);
      return a.f ?? 0;
    }
  }
}

function constantNodeValue(node: Node, file: string): Tensor {
  const a = node.attrs;
  if (a.value && typeof a.value === 'object' && 'data' in (a.value as Tensor)) return a.value as Tensor;
  if (typeof a.value_float === 'number') return { dtype: 'float32', shape: [], data: new Float32Array([a.value_float]) };
  if (Array.isArray(a.value_floats)) return { dtype: 'float32', shape: [a.value_floats.length], data: new Float32Array(a.value_floats as number[]) };
  if (typeof a.value_int === 'number') return { dtype: 'int64', shape: [], data: new BigInt64Array([BigInt(a.value_int)]) };
  if (Array.isArray(a.value_ints)) return { dtype: 'int64', shape: [a.value_ints.length], data: BigInt64Array.from((a.value_ints as number[]).map(BigInt)) };
  throw new SparsecError('E_UNSUPPORTED', 'Constant node without a tensor, float(s) or int(s) value', { file, node: node.name, op: 'Constant' });
}

export function readTensor(t: onnxProto.onnx.ITensorProto, file: string, baseDir: string): Tensor {
  const dtype = ONNX_DTYPES[t.dataType ?? 0];
  if (!dtype) throw new SparsecError('E_UNSUPPORTED', `tensor '${t.name}' has data type ${t.dataType}, which sparsec does not handle`, { file });
  const shape = (t.dims ?? []).map((d) => num(d as Long));
  const n = numel(shape);
  const out = typedArrayFor(dtype, n);
  let raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) raw = readExternal(t, file, baseDir);
  if (raw) {
    if (raw.length !== out.byteLength) throw new SparsecError('E_FILE', `tensor '${t.name}' holds ${raw.length} bytes, its shape [${shape}] needs ${out.byteLength}`, { file });
    new Uint8Array(out.buffer).set(raw);
    return { dtype, shape, data: out };
  }
  const src: ArrayLike<number | Long> =
    dtype === 'float32' ? t.floatData ?? [] :
    dtype === 'float64' ? t.doubleData ?? [] :
    dtype === 'int64' ? t.int64Data ?? [] :
    t.int32Data ?? []; // int32, int16, int8, uint8, bool and float16 bits live in int32_data
  if (src.length !== n) {
    if (src.length === 0 && n > 0) throw new SparsecError('E_FILE', `tensor '${t.name}' of shape [${shape}] has no data`, { file });
    throw new SparsecError('E_FILE', `tensor '${t.name}' holds ${src.length} values, its shape [${shape}] needs ${n}`, { file });
  }
  if (out instanceof BigInt64Array) for (let i = 0; i < n; i++) out[i] = BigInt(num(src[i]));
  else for (let i = 0; i < n; i++) (out as Float32Array)[i] = num(src[i]);
  return { dtype, shape, data: out as TensorData };
}

function readExternal(t: onnxProto.onnx.ITensorProto, file: string, baseDir: string): Uint8Array {
  const kv = Object.fromEntries((t.externalData ?? []).map((e) => [e.key, e.value]));
  if (!kv.location) throw new SparsecError('E_FILE', `tensor '${t.name}' is external but names no location`, { file });
  const path = resolve(baseDir, kv.location);
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch {
    throw new SparsecError('E_FILE', `tensor '${t.name}': external data file '${kv.location}' cannot be read (looked in ${baseDir})`, { file });
  }
  const offset = Number(kv.offset ?? 0);
  const length = kv.length !== undefined ? Number(kv.length) : buf.length - offset;
  if (offset + length > buf.length) throw new SparsecError('E_FILE', `tensor '${t.name}': external data file '${kv.location}' is shorter than offset+length`, { file });
  return new Uint8Array(buf.buffer, buf.byteOffset + offset, length);
}
