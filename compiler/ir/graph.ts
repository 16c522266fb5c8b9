// The intermediate representation: an ONNX-like dataflow graph with static shapes.
// Constants (initializers, Constant nodes, folded subgraphs) are values that carry data.

export type DType = 'float32' | 'float64' | 'float16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export type TensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array | Uint16Array;

export interface Tensor {
  dtype: DType;
  shape: number[];
  data: TensorData;
}

/** A named tensor in the graph. `shape` is null until shape inference fixes it. */
export interface Value {
  name: string;
  dtype: DType;
  shape: number[] | null;
  /** the shape the model declares: numbers, and names (dim_param) for symbolic dimensions */
  declared?: (number | string)[];
  /** set for constants */
  data?: TensorData;
}

export type AttrValue = number | number[] | string | string[] | Tensor | Tensor[] | Graph | Graph[];

export interface Node {
  name: string;
  op: string;
  domain: string;
  /** '' marks an omitted optional input */
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

export interface Graph {
  name: string;
  /** the file the graph came from, for error messages */
  source: string;
  opset: number;
  nodes: Node[];
  values: Map<string, Value>;
  inputs: string[];
  outputs: string[];
}


/** A copy that passes may rewrite: nodes, attribute records, value records and lists are new;
 *  tensor data is shared (passes replace constants, they never write into them). */
export function cloneGraph(g: Graph): Graph {
  return {
    ...g,
    nodes: g.nodes.map((n) => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs], attrs: { ...n.attrs } })),
    values: new Map([...g.values].map(([k, v]) => [k, { ...v, shape: v.shape && [...v.shape] }])),
    inputs: [...g.inputs],
    outputs: [...g.outputs],
  };
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides (in elements) of a contiguous tensor. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  for (let i = shape.length - 1, acc = 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
  return s;
}

/** A possibly negative axis against a rank. */
export const normAxis = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

export function isConst(g: Graph, name: string): boolean {
  return name !== '' && g.values.get(name)?.data !== undefined;
}

export function valueOf(g: Graph, name: string): Value {
  const v = g.values.get(name);
  if (!v) throw new Error(`internal: no value named '${name}'`);
  return v;
}


/** Constant data as plain numbers (int64 included), for shape arithmetic and folding. */
export function constNumbers(g: Graph, name: string): number[] {
  const v = valueOf(g, name);
  if (!v.data) throw new Error(`internal: '${name}' is not a constant`);
  return Array.from(v.data as ArrayLike<number | bigint>, Number);
}

export function attrInt(node: Node, key: string, dflt: number): number {
  const a = node.attrs[key];
  return typeof a === 'number' ? a : dflt;
}

export function attrInts(node: Node, key: string, dflt: number[]): number[] {
  const a = node.attrs[key];
  return Array.isArray(a) && (a.length === 0 || typeof a[0] === 'number') ? (a as number[]) : dflt;
}

export function attrFloat(node: Node, key: string, dflt: number): number {
  return attrInt(node, key, dflt);
}

export function attrString(node: Node, key: string, dflt: string): string {
  const a = node.attrs[key];
  return typeof a === 'string' ? a : dflt;
}

/** Which nodes read each value (by index into g.nodes). */
export function consumers(g: Graph): Map<string, number[]> {
  const m = new Map<string, number[]>();
  g.nodes.forEach((n, i) => {
    for (const x of n.inputs) {
      if (x === '') continue;
      let l = m.get(x);
      if (!l) m.set(x, (l = []));
      if (!l.includes(i)) l.push(i);
    }
  });
  return m;
}

/** Which node (index) writes each value. */
export function producers(g: Graph): Map<string, number> {
  const m = new Map<string, number>();
  g.nodes.forEach((n, i) => n.outputs.forEach((o) => o !== '' && m.set(o, i)));
  return m;
}

export function typedArrayFor(dtype: DType, n: number): TensorData {
  switch (dtype) {
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    case 'float16': return new Uint16Array(n);
    case 'int64': return new BigInt64Array(n);
    case 'int32': return new Int32Array(n);
    case 'int16': return new Int16Array(n);
    case 'int8': return new Int8Array(n);
    case 'uint8': case 'bool': return new Uint8Array(n);
  }
}

/** A typed array of `dtype` from plain numbers (int64 via BigInt). */
export function typedArrayFrom(dtype: DType, values: ArrayLike<number>): TensorData {
  const out = typedArrayFor(dtype, values.length);
  if (out instanceof BigInt64Array) for (let i = 0; i < values.length; i++) out[i] = BigInt(Math.trunc(values[i]));
  else (out as Float32Array).set(values);
  return out;
}
