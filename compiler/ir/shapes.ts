// Shape and dtype inference, one rule per op, for fixed shapes. Inputs that decide a shape
// (Reshape targets, Slice bounds, Resize scales) must be constants by the time a rule runs:
// constant folding runs first, node by node, in the same walk (passes/propagate.ts).
import { SparsecError } from '../errors.js';
import type { DType, Graph, Node } from './graph.js';
import { attrInt, attrInts, attrString, constNumbers, isConst, normAxis, numel, valueOf } from './graph.js';

export interface OutInfo { shape: number[]; dtype: DType }
type Rule = (n: Node, g: Graph) => OutInfo[];

const shape = (g: Graph, name: string): number[] => {
  const s = valueOf(g, name).shape;
  if (!s) throw new Error(`internal: shape of '${name}' is unknown`);
  return s;
};
const dtype = (g: Graph, name: string): DType => valueOf(g, name).dtype;
const need = (g: Graph, n: Node, i: number, what: string): number[] => {
  const name = n.inputs[i];
  if (!name || !isConst(g, name)) throw new SparsecError('E_UNSUPPORTED', `${what} (input ${i}) must be known at compile time; it is computed at run time here`, { file: g.source, node: n.name, op: n.op });
  return constNumbers(g, name);
};
const optConst = (g: Graph, n: Node, i: number): number[] | null => (n.inputs[i] && isConst(g, n.inputs[i]) ? constNumbers(g, n.inputs[i]) : null);

export function broadcastShapes(shapes: number[][], where = ''): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const x = s[s.length - rank + i] ?? 1;
      if (x === 1) continue;
      if (d !== 1 && d !== x) throw new SparsecError('E_MODEL', `shapes ${shapes.map((s) => `[${s}]`).join(' and ')} do not broadcast${where}`);
      d = x;
    }
    out.push(d);
  }
  return out;
}

const same: Rule = (n, g) => [{ shape: shape(g, n.inputs[0]), dtype: dtype(g, n.inputs[0]) }];
const broadcast = (out?: DType): Rule => (n, g) => {
  const ins = n.inputs.filter((x) => x !== '');
  const dt = out ?? dtype(g, n.op === 'Where' ? ins[1] : ins[0]);
  return [{ shape: broadcastShapes(ins.map((x) => shape(g, x)), ` in ${n.op} node '${n.name}'`), dtype: dt }];
};

function matmulShape(a: number[], b: number[]): number[] {
  const A = a.length === 1 ? [1, a[0]] : a, B = b.length === 1 ? [b[0], 1] : b;
  if (A[A.length - 1] !== B[B.length - 2]) throw new SparsecError('E_MODEL', `MatMul of [${a}] and [${b}]: inner dimensions differ`);
  const batch = broadcastShapes([A.slice(0, -2), B.slice(0, -2)]);
  const out = [...batch, A[A.length - 2], B[B.length - 1]];
  if (a.length === 1) out.splice(out.length - 2, 1);
  if (b.length === 1) out.splice(out.length - 1, 1);
  return out;
}

/** Spatial output size of a conv or pool window, with ONNX's auto_pad and ceil_mode. */
export function convPads(n: Node, inSpatial: number[], kernel: number[]): { pads: number[]; strides: number[]; dilations: number[]; out: number[] } {
  const r = inSpatial.length;
  const strides = attrInts(n, 'strides', Array(r).fill(1));
  const dilations = attrInts(n, 'dilations', Array(r).fill(1));
  let pads = attrInts(n, 'pads', Array(2 * r).fill(0));
  const autoPad = attrString(n, 'auto_pad', 'NOTSET');
  const ceil = attrInt(n, 'ceil_mode', 0) === 1;
  const out: number[] = [];
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = Array(2 * r).fill(0);
    for (let i = 0; i < r; i++) {
      const o = Math.ceil(inSpatial[i] / strides[i]);
      const total = Math.max(0, (o - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - inSpatial[i]);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[i + r] = total - pads[i];
      out.push(o);
    }
    return { pads, strides, dilations, out };
  }
  if (autoPad === 'VALID') pads = Array(2 * r).fill(0);
  for (let i = 0; i < r; i++) {
    const span = inSpatial[i] + pads[i] + pads[i + r] - ((kernel[i] - 1) * dilations[i] + 1);
    let o = (ceil ? Math.ceil(span / strides[i]) : Math.floor(span / strides[i])) + 1;
    // ceil_mode: the last window must start inside the input or the left padding
    if (ceil && (o - 1) * strides[i] >= inSpatial[i] + pads[i]) o--;
    out.push(o);
  }
  return { pads, strides, dilations, out };
}

function reduceAxes(n: Node, g: Graph, rank: number): number[] {
  let axes = n.attrs.axes !== undefined ? attrInts(n, 'axes', []) : optConst(g, n, 1) ?? [];
  if (n.inputs[1] && !isConst(g, n.inputs[1])) need(g, n, 1, 'axes');
  if (axes.length === 0) axes = attrInt(n, 'noop_with_empty_axes', 0) ? [] : [...Array(rank).keys()];
  return axes.map((a) => normAxis(a, rank));
}

export function sliceParams(n: Node, g: Graph, inShape: number[]): { starts: number[]; steps: number[]; out: number[] } {
  const rank = inShape.length;
  let starts: number[], ends: number[], axes: number[], steps: number[];
  if (g.opset < 10 || n.attrs.starts !== undefined) {
    starts = attrInts(n, 'starts', []); ends = attrInts(n, 'ends', []);
    axes = attrInts(n, 'axes', [...starts.keys()]); steps = starts.map(() => 1);
  } else {
    starts = need(g, n, 1, 'Slice starts'); ends = need(g, n, 2, 'Slice ends');
    axes = optConst(g, n, 3) ?? [...starts.keys()]; steps = optConst(g, n, 4) ?? starts.map(() => 1);
  }
  const st = Array(rank).fill(0), sp = Array(rank).fill(1), out = [...inShape];
  axes.forEach((a0, i) => {
    const a = normAxis(a0, rank), d = inShape[a], step = steps[i];
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
    let s = starts[i] < 0 ? starts[i] + d : starts[i];
    let e = ends[i] < 0 ? ends[i] + d : ends[i];
    if (step > 0) { s = clamp(s, 0, d); e = clamp(e, 0, d); } else { s = clamp(s, 0, d - 1); e = clamp(e, -1, d - 1); }
    st[a] = s; sp[a] = step;
    out[a] = Math.max(0, Math.ceil((e - s) / step));
  });
  return { starts: st, steps: sp, out };
}

export function reshapeTarget(target: number[], inShape: number[], allowZero: boolean): number[] {
  const out = target.map((d, i) => (d === 0 && !allowZero ? inShape[i] : d));
  const known = out.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const total = numel(inShape);
  const res = out.map((d) => (d === -1 ? total / known : d));
  if (numel(res) !== total || res.some((d) => !Number.isInteger(d))) throw new SparsecError('E_MODEL', `cannot reshape [${inShape}] to [${target}]`);
  return res;
}

export function resizeScales(n: Node, g: Graph, inShape: number[]): { scales: number[]; out: number[] } {
  let scales: number[] | null = null, sizes: number[] | null = null;
  if (n.op === 'Upsample') scales = n.attrs.scales !== undefined ? (n.attrs.scales as number[]) : need(g, n, 1, 'Upsample scales');
  else if (g.opset < 11) scales = need(g, n, 1, 'Resize scales');
  else {
    const s = optConst(g, n, 2);
    if (s && s.length) scales = s;
    else sizes = need(g, n, 3, 'Resize sizes');
  }
  if (attrInts(n, 'axes', []).length) throw new SparsecError('E_UNSUPPORTED', 'Resize with axes is not supported', { file: g.source, node: n.name, op: n.op });
  if (sizes) return { out: sizes, scales: sizes.map((s, i) => s / inShape[i]) };
  return { scales: scales!, out: inShape.map((d, i) => Math.floor(d * scales![i])) };
}

export function splitSizes(n: Node, g: Graph, inShape: number[]): number[] {
  const axis = normAxis(attrInt(n, 'axis', 0), inShape.length);
  const given = n.attrs.split !== undefined ? attrInts(n, 'split', []) : n.inputs[1] ? need(g, n, 1, 'Split sizes') : null;
  if (given && given.length) return given;
  const parts = attrInt(n, 'num_outputs', n.outputs.length);
  const chunk = Math.ceil(inShape[axis] / parts);
  return Array.from({ length: parts }, (_, i) => Math.min(chunk, inShape[axis] - chunk * i));
}

export function padAmounts(n: Node, g: Graph, rank: number): number[] {
  const pads = g.opset < 11 ? attrInts(n, 'pads', []) : need(g, n, 1, 'Pad pads');
  const axesIn = g.opset >= 18 ? optConst(g, n, 3) : null;
  if (!axesIn) return pads;
  const full = Array(2 * rank).fill(0);
  axesIn.forEach((a0, i) => { const a = normAxis(a0, rank); full[a] = pads[i]; full[a + rank] = pads[i + axesIn.length]; });
  return full;
}

const rules: Record<string, Rule> = {
  Gemm: (n, g) => {
    const a = shape(g, n.inputs[0]), b = shape(g, n.inputs[1]);
    const M = attrInt(n, 'transA', 0) ? a[1] : a[0], N = attrInt(n, 'transB', 0) ? b[0] : b[1];
    return [{ shape: [M, N], dtype: 'float32' }];
  },
  MatMul: (n, g) => [{ shape: matmulShape(shape(g, n.inputs[0]), shape(g, n.inputs[1])), dtype: dtype(g, n.inputs[0]) }],
  Conv: (n, g) => {
    const x = shape(g, n.inputs[0]), w = shape(g, n.inputs[1]);
    const { out } = convPads(n, x.slice(2), attrInts(n, 'kernel_shape', w.slice(2)));
    return [{ shape: [x[0], w[0], ...out], dtype: 'float32' }];
  },
  ConvTranspose: (n, g) => {
    const x = shape(g, n.inputs[0]), w = shape(g, n.inputs[1]);
    const r = x.length - 2, k = attrInts(n, 'kernel_shape', w.slice(2));
    const s = attrInts(n, 'strides', Array(r).fill(1)), d = attrInts(n, 'dilations', Array(r).fill(1));
    const op = attrInts(n, 'output_padding', Array(r).fill(0)), p = attrInts(n, 'pads', Array(2 * r).fill(0));
    const given = attrInts(n, 'output_shape', []);
    const same = attrString(n, 'auto_pad', 'NOTSET').startsWith('SAME');
    const sp = given.length ? given.slice(-r)
      : same ? x.slice(2).map((xi, i) => xi * s[i])
      : x.slice(2).map((xi, i) => s[i] * (xi - 1) + op[i] + (k[i] - 1) * d[i] + 1 - p[i] - p[i + r]);
    return [{ shape: [x[0], w[1] * attrInt(n, 'group', 1), ...sp], dtype: 'float32' }];
  },
  MaxPool: (n, g) => {
    const x = shape(g, n.inputs[0]);
    const { out } = convPads(n, x.slice(2), attrInts(n, 'kernel_shape', []));
    const r: OutInfo[] = [{ shape: [x[0], x[1], ...out], dtype: dtype(g, n.inputs[0]) }];
    if (n.outputs.length > 1) r.push({ shape: [x[0], x[1], ...out], dtype: 'int64' });
    return r;
  },
  AveragePool: (n, g) => rules.MaxPool(n, g).slice(0, 1),
  GlobalAveragePool: (n, g) => { const x = shape(g, n.inputs[0]); return [{ shape: [x[0], x[1], ...x.slice(2).map(() => 1)], dtype: 'float32' }]; },
  GlobalMaxPool: (n, g) => rules.GlobalAveragePool(n, g),
  Reshape: (n, g) => {
    const target = n.attrs.shape !== undefined ? attrInts(n, 'shape', []) : need(g, n, 1, 'Reshape shape');
    return [{ shape: reshapeTarget(target, shape(g, n.inputs[0]), attrInt(n, 'allowzero', 0) === 1), dtype: dtype(g, n.inputs[0]) }];
  },
  Flatten: (n, g) => {
    const x = shape(g, n.inputs[0]), a = normAxis(attrInt(n, 'axis', 1), x.length);
    return [{ shape: [numel(x.slice(0, a)), numel(x.slice(a))], dtype: dtype(g, n.inputs[0]) }];
  },
  Squeeze: (n, g) => {
    const x = shape(g, n.inputs[0]);
    const axes0 = n.attrs.axes !== undefined ? attrInts(n, 'axes', []) : optConst(g, n, 1);
    const axes = axes0 ? axes0.map((a) => normAxis(a, x.length)) : x.flatMap((d, i) => (d === 1 ? [i] : []));
    return [{ shape: x.filter((_, i) => !axes.includes(i)), dtype: dtype(g, n.inputs[0]) }];
  },
  Unsqueeze: (n, g) => {
    const x = shape(g, n.inputs[0]);
    const axes0 = n.attrs.axes !== undefined ? attrInts(n, 'axes', []) : need(g, n, 1, 'Unsqueeze axes');
    const rank = x.length + axes0.length;
    const axes = axes0.map((a) => normAxis(a, rank));
    const out: number[] = [];
    for (let i = 0, j = 0; i < rank; i++) out.push(axes.includes(i) ? 1 : x[j++]);
    return [{ shape: out, dtype: dtype(g, n.inputs[0]) }];
  },
  Transpose: (n, g) => {
    const x = shape(g, n.inputs[0]);
    const perm = attrInts(n, 'perm', [...x.keys()].reverse());
    return [{ shape: perm.map((p) => x[p]), dtype: dtype(g, n.inputs[0]) }];
  },
  Concat: (n, g) => {
    const ins = n.inputs.filter((x) => x !== '').map((x) => shape(g, x));
    const a = normAxis(attrInt(n, 'axis', 0), ins[0].length);
    const out = [...ins[0]];
    out[a] = ins.reduce((s, x) => s + x[a], 0);
    return [{ shape: out, dtype: dtype(g, n.inputs[0]) }];
  },
  Split: (n, g) => {
    const x = shape(g, n.inputs[0]), a = normAxis(attrInt(n, 'axis', 0), x.length);
    return splitSizes(n, g, x).map((s) => { const o = [...x]; o[a] = s; return { shape: o, dtype: dtype(g, n.inputs[0]) }; });
  },
  Slice: (n, g) => [{ shape: sliceParams(n, g, shape(g, n.inputs[0])).out, dtype: dtype(g, n.inputs[0]) }],
  Gather: (n, g) => {
    const x = shape(g, n.inputs[0]), idx = shape(g, n.inputs[1]), a = normAxis(attrInt(n, 'axis', 0), x.length);
    return [{ shape: [...x.slice(0, a), ...idx, ...x.slice(a + 1)], dtype: dtype(g, n.inputs[0]) }];
  },
  GatherElements: (n, g) => [{ shape: shape(g, n.inputs[1]), dtype: dtype(g, n.inputs[0]) }],
  Expand: (n, g) => [{ shape: broadcastShapes([shape(g, n.inputs[0]), need(g, n, 1, 'Expand shape')]), dtype: dtype(g, n.inputs[0]) }],
  Tile: (n, g) => { const r = need(g, n, 1, 'Tile repeats'); return [{ shape: shape(g, n.inputs[0]).map((d, i) => d * r[i]), dtype: dtype(g, n.inputs[0]) }]; },
  Pad: (n, g) => {
    const x = shape(g, n.inputs[0]), p = padAmounts(n, g, x.length);
    return [{ shape: x.map((d, i) => d + p[i] + p[i + x.length]), dtype: dtype(g, n.inputs[0]) }];
  },
  Resize: (n, g) => [{ shape: resizeScales(n, g, shape(g, n.inputs[0])).out, dtype: dtype(g, n.inputs[0]) }],
  Shape: (n, g) => {
    const x = shape(g, n.inputs[0]);
    const s = normAxis(attrInt(n, 'start', 0), x.length), e = n.attrs.end !== undefined ? normAxis(attrInt(n, 'end', x.length), x.length) : x.length;
    return [{ shape: [Math.max(0, Math.min(e, x.length) - Math.max(s, 0))], dtype: 'int64' }];
  },
  Size: () => [{ shape: [], dtype: 'int64' }],
  ConstantOfShape: (n, g) => {
    const v = n.attrs.value as { dtype: DType } | undefined;
    return [{ shape: need(g, n, 0, 'ConstantOfShape shape'), dtype: v?.dtype ?? 'float32' }];
  },
  Range: (n, g) => {
    const [s, l, d] = [0, 1, 2].map((i) => need(g, n, i, 'Range bounds')[0]);
    return [{ shape: [Math.max(0, Math.ceil((l - s) / d))], dtype: dtype(g, n.inputs[0]) }];
  },
  ArgMax: (n, g) => {
    const x = shape(g, n.inputs[0]), a = normAxis(attrInt(n, 'axis', 0), x.length), keep = attrInt(n, 'keepdims', 1);
    return [{ shape: keep ? x.map((d, i) => (i === a ? 1 : d)) : x.filter((_, i) => i !== a), dtype: 'int64' }];
  },
  // k from input 1 (opset 10+) or the k attribute (opset 1-9); values and int64 indices
  TopK: (n, g) => {
    const x = shape(g, n.inputs[0]), a = normAxis(attrInt(n, 'axis', -1), x.length);
    const k = n.inputs.length > 1 ? need(g, n, 1, 'TopK k')[0] : attrInt(n, 'k', 0);
    if (k < 0 || k > x[a]) throw new SparsecError('E_MODEL', `TopK k = ${k} is outside [0, ${x[a]}] (axis ${a} of [${x}])`, { file: g.source, node: n.name, op: n.op });
    const out = x.map((d, i) => (i === a ? k : d));
    return [{ shape: out, dtype: dtype(g, n.inputs[0]) }, { shape: out, dtype: 'int64' as DType }];
  },
  DepthToSpace: (n, g) => { const [N, C, H, W] = shape(g, n.inputs[0]), b = attrInt(n, 'blocksize', 1); return [{ shape: [N, C / (b * b), H * b, W * b], dtype: 'float32' }]; },
  SpaceToDepth: (n, g) => { const [N, C, H, W] = shape(g, n.inputs[0]), b = attrInt(n, 'blocksize', 1); return [{ shape: [N, C * b * b, H / b, W / b], dtype: 'float32' }]; },
  Cast: (n, g) => [{ shape: shape(g, n.inputs[0]), dtype: castTo(n) }],
  Dropout: (n, g) => [{ shape: shape(g, n.inputs[0]), dtype: dtype(g, n.inputs[0]) }, { shape: shape(g, n.inputs[0]), dtype: 'bool' as DType }].slice(0, n.outputs.length),
  LayerNormalization: (n, g) => {
    const x = shape(g, n.inputs[0]), a = normAxis(attrInt(n, 'axis', -1), x.length);
    const stat = x.map((d, i) => (i < a ? d : 1));
    return [x, stat, stat].slice(0, n.outputs.length).map((s) => ({ shape: s, dtype: 'float32' as DType }));
  },
  Where: broadcast(),
  Trilu: same,
  CumSum: same,
};

for (const op of ['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL2', 'ReduceL1', 'ReduceSumSquare', 'ReduceLogSumExp', 'ReduceLogSum']) {
  rules[op] = (n, g) => {
    const x = shape(g, n.inputs[0]), axes = reduceAxes(n, g, x.length), keep = attrInt(n, 'keepdims', 1);
    return [{ shape: keep ? x.map((d, i) => (axes.includes(i) ? 1 : d)) : x.filter((_, i) => !axes.includes(i)), dtype: dtype(g, n.inputs[0]) }];
  };
}
rules.ArgMin = rules.ArgMax;
rules.Upsample = rules.Resize;
for (const op of ['Relu', 'Sigmoid', 'Tanh', 'Exp', 'Log', 'Sqrt', 'Neg', 'Abs', 'Erf', 'HardSigmoid', 'HardSwish', 'LeakyRelu', 'Elu', 'Selu',
  'Softplus', 'Softsign', 'Reciprocal', 'Floor', 'Ceil', 'Round', 'Sign', 'Clip', 'Softmax', 'LogSoftmax', 'Identity', 'Gelu', 'Mish',
  'Sin', 'Cos', 'BatchNormalization', 'InstanceNormalization', 'LpNormalization', 'Not', 'Celu', 'ThresholdedRelu', 'Hardmax', 'Shrink']) {
  rules[op] ??= same;
}
for (const op of ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', 'Mod', 'PRelu', 'BitShift']) rules[op] = broadcast();
for (const op of ['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor']) rules[op] = broadcast('bool');
for (const op of ['IsNaN', 'IsInf']) rules[op] = (n, g) => [{ shape: shape(g, n.inputs[0]), dtype: 'bool' }];

export function castTo(n: Node): DType {
  const names: Record<number, DType> = { 1: 'float32', 2: 'uint8', 3: 'int8', 5: 'int16', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16', 11: 'float64' };
  return names[attrInt(n, 'to', 1)] ?? 'float32';
}

export const hasShapeRule = (op: string): boolean => op in rules;

export function inferNode(n: Node, g: Graph): OutInfo[] {
  const rule = rules[n.op];
  if (!rule) throw new Error(`internal: no shape rule for ${n.op}`);
  try {
    return rule(n, g);
  } catch (e) {
    if (e instanceof SparsecError && !e.where.node) throw new SparsecError(e.code, e.message, { file: g.source, node: n.name, op: n.op });
    throw e;
  }
}
