// Evaluates a node whose inputs are all constants, for constant folding: the Shape → Gather →
// Concat → Reshape chains that compute reshape targets, causal masks, weight transposes.
// Plain JS numbers (float64) hold every dtype; the result is stored in the output's dtype.
import type { DType, Graph, Node, Tensor } from './graph.js';
import { attrInt, attrInts, constNumbers, normAxis, numel, stridesOf, typedArrayFrom, valueOf } from './graph.js';
import { inferNode, padAmounts, sliceParams, splitSizes } from './shapes.js';

type Eval = (n: Node, g: Graph, ins: number[][], outShapes: number[][]) => number[][];

/** For each element of `out`, the flat index into a tensor of shape `inp` broadcast to it. */
function broadcastIndex(inp: number[], out: number[]): Int32Array {
  const total = numel(out), res = new Int32Array(total);
  const pad = [...Array(out.length - inp.length).fill(1), ...inp];
  const is = stridesOf(pad).map((s, i) => (pad[i] === 1 ? 0 : s));
  const idx = Array(out.length).fill(0);
  for (let f = 0; f < total; f++) {
    let o = 0;
    for (let d = 0; d < out.length; d++) o += idx[d] * is[d];
    res[f] = o;
    for (let d = out.length - 1; d >= 0 && ++idx[d] === out[d]; d--) idx[d] = 0;
  }
  return res;
}

const elementwise = (f: (...x: number[]) => number): Eval => (n, g, ins, [out]) => {
  const maps = n.inputs.filter((x) => x !== '').map((x) => broadcastIndex(valueOf(g, x).shape!, out));
  const r = new Array<number>(numel(out));
  for (let i = 0; i < r.length; i++) r[i] = f(...ins.map((v, k) => v[maps[k][i]]));
  return [r];
};
const passThrough: Eval = (_n, _g, ins) => [ins[0]];

/** Integer division in ONNX (int64 Div truncates toward zero). */
const isInt = (d: DType) => d.startsWith('int') || d === 'uint8' || d === 'bool';

const evals: Record<string, Eval> = {
  Identity: passThrough, Reshape: passThrough, Flatten: passThrough, Squeeze: passThrough, Unsqueeze: passThrough,
  Dropout: passThrough, Cast: passThrough,
  Shape: (n, g) => [valueOf(g, n.inputs[0]).shape!.slice(attrInt(n, 'start', 0), n.attrs.end !== undefined ? attrInt(n, 'end', 0) : undefined)],
  Size: (n, g) => [[numel(valueOf(g, n.inputs[0]).shape!)]],
  ConstantOfShape: (n, _g, _ins, [out]) => {
    const v = n.attrs.value as Tensor | undefined;
    return [Array(numel(out)).fill(v ? Number(v.data[0]) : 0)];
  },
  Range: (_n, _g, ins, [out]) => [Array.from({ length: out[0] }, (_, i) => ins[0][0] + i * ins[2][0])],
  Add: elementwise((a, b) => a + b), Sub: elementwise((a, b) => a - b), Mul: elementwise((a, b) => a * b),
  Div: (n, g, ins, o) => {
    const int = isInt(valueOf(g, n.inputs[0]).dtype);
    return elementwise((a, b) => (int ? Math.trunc(a / b) : a / b))(n, g, ins, o);
  },
  Pow: elementwise(Math.pow), Max: elementwise(Math.max), Min: elementwise(Math.min), Mod: elementwise((a, b) => a - Math.floor(a / b) * b),
  Equal: elementwise((a, b) => +(a === b)), Less: elementwise((a, b) => +(a < b)), Greater: elementwise((a, b) => +(a > b)),
  LessOrEqual: elementwise((a, b) => +(a <= b)), GreaterOrEqual: elementwise((a, b) => +(a >= b)),
  And: elementwise((a, b) => +(a && b)), Or: elementwise((a, b) => +(a || b)), Not: elementwise((a) => +!a),
  Where: elementwise((c, a, b) => (c ? a : b)),
  Neg: elementwise((a) => -a), Abs: elementwise(Math.abs), Sqrt: elementwise(Math.sqrt), Reciprocal: elementwise((a) => 1 / a),
  Floor: elementwise(Math.floor), Ceil: elementwise(Math.ceil), Exp: elementwise(Math.exp), Log: elementwise(Math.log),
  Relu: elementwise((a) => Math.max(a, 0)), Sign: elementwise(Math.sign),
  Expand: elementwise((a) => a),
  Gather: (n, g, ins, [out]) => {
    const x = valueOf(g, n.inputs[0]).shape!, a = normAxis(attrInt(n, 'axis', 0), x.length);
    const outer = numel(x.slice(0, a)), inner = numel(x.slice(a + 1)), d = x[a], idx = ins[1];
    const r = new Array<number>(numel(out));
    let p = 0;
    for (let o = 0; o < outer; o++) for (const i0 of idx) {
      const i = i0 < 0 ? i0 + d : i0;
      for (let k = 0; k < inner; k++) r[p++] = ins[0][(o * d + i) * inner + k];
    }
    return [r];
  },
  Concat: (n, g, ins, [out]) => {
    const a = normAxis(attrInt(n, 'axis', 0), out.length), outer = numel(out.slice(0, a));
    const parts = n.inputs.filter((x) => x !== '').map((x, i) => ({ v: ins[i], w: numel(valueOf(g, x).shape!.slice(a)) }));
    const r: number[] = [];
    for (let o = 0; o < outer; o++) for (const p of parts) for (let k = 0; k < p.w; k++) r.push(p.v[o * p.w + k]);
    return [r];
  },
  Transpose: (n, g, ins, [out]) => {
    const x = valueOf(g, n.inputs[0]).shape!, perm = attrInts(n, 'perm', [...x.keys()].reverse());
    const xs = stridesOf(x), src = perm.map((p) => xs[p]);
    return [gatherStrided(ins[0], out, src, 0)];
  },
  Slice: (n, g, ins, [out]) => {
    const x = valueOf(g, n.inputs[0]).shape!, { starts, steps } = sliceParams(n, g, x), xs = stridesOf(x);
    return [gatherStrided(ins[0], out, xs.map((s, i) => s * steps[i]), starts.reduce((a, s, i) => a + s * xs[i], 0))];
  },
  Split: (n, g, ins, outs) => {
    const x = valueOf(g, n.inputs[0]).shape!, a = normAxis(attrInt(n, 'axis', 0), x.length), xs = stridesOf(x);
    let off = 0;
    return splitSizes(n, g, x).map((s, i) => { const r = gatherStrided(ins[0], outs[i], xs, off * xs[a]); off += s; return r; });
  },
  Tile: (n, g, ins, [out]) => {
    const x = valueOf(g, n.inputs[0]).shape!, xs = stridesOf(x), os = stridesOf(out);
    return [Array.from({ length: numel(out) }, (_, f) => {
      let src = 0;
      for (let d = 0; d < out.length; d++) src += (Math.floor(f / os[d]) % out[d] % x[d]) * xs[d];
      return ins[0][src];
    })];
  },
  Pad: (n, g, ins, [out]) => {
    const x = valueOf(g, n.inputs[0]).shape!, p = padAmounts(n, g, x.length), xs = stridesOf(x), os = stridesOf(out);
    const value = g.opset < 11 ? (n.attrs.value as number | undefined) ?? 0 : n.inputs[2] ? constNumbers(g, n.inputs[2])[0] : 0;
    if ((n.attrs.mode ?? 'constant') !== 'constant') throw new Error('fold: only constant Pad');
    return [Array.from({ length: numel(out) }, (_, f) => {
      let src = 0;
      for (let d = 0; d < out.length; d++) {
        const i = (Math.floor(f / os[d]) % out[d]) - p[d];
        if (i < 0 || i >= x[d]) return value;
        src += i * xs[d];
      }
      return ins[0][src];
    })];
  },
  ReduceProd: reduce((a, b) => a * b, 1), ReduceSum: reduce((a, b) => a + b, 0),
  ReduceMax: reduce(Math.max, -Infinity), ReduceMin: reduce(Math.min, Infinity),
  Trilu: (n, g, ins, [out]) => {
    const k = n.inputs[1] ? constNumbers(g, n.inputs[1])[0] : 0, upper = attrInt(n, 'upper', 1) === 1;
    const R = out[out.length - 2], C = out[out.length - 1];
    return [ins[0].map((v, f) => { const i = Math.floor(f / C) % R, j = f % C; return (upper ? j - i >= k : j - i <= k) ? v : 0; })];
  },
};

function reduce(combine: (a: number, b: number) => number, init: number): Eval {
  return (n, g, ins, [out]) => {
    const x = valueOf(g, n.inputs[0]).shape!;
    let axes = n.attrs.axes !== undefined ? attrInts(n, 'axes', []) : n.inputs[1] ? constNumbers(g, n.inputs[1]) : [];
    if (!axes.length) axes = [...x.keys()];
    axes = axes.map((a) => normAxis(a, x.length));
    const keptShape = x.map((d, i) => (axes.includes(i) ? 1 : d)), ks = stridesOf(keptShape), xs = stridesOf(x);
    const r = Array(numel(out)).fill(init);
    for (let f = 0; f < ins[0].length; f++) {
      let o = 0;
      for (let d = 0; d < x.length; d++) if (!axes.includes(d)) o += (Math.floor(f / xs[d]) % x[d]) * ks[d];
      r[o] = combine(r[o], ins[0][f]);
    }
    return [r];
  };
}

/** out[i0..] = src[base + Σ i_d * strides[d]] */
function gatherStrided(src: number[], out: number[], strides: number[], base: number): number[] {
  const total = numel(out), r = new Array<number>(total), idx = Array(out.length).fill(0);
  for (let f = 0; f < total; f++) {
    let o = base;
    for (let d = 0; d < out.length; d++) o += idx[d] * strides[d];
    r[f] = src[o];
    for (let d = out.length - 1; d >= 0 && ++idx[d] === out[d]; d--) idx[d] = 0;
  }
  return r;
}

export const canEvaluate = (op: string): boolean => op in evals;

/** Folding stops where the result would be large and larger than its inputs (e.g. an Expand). */
const FOLD_LIMIT = 1 << 20;

/** The node's outputs as constants, or null if the node should stay. */
export function evaluateNode(n: Node, g: Graph): Tensor[] | null {
  const ev = evals[n.op];
  if (!ev || n.domain !== '' && n.domain !== 'ai.onnx') return null;
  const infos = inferNode(n, g);
  const inSize = n.inputs.reduce((s, x) => s + (x ? numel(valueOf(g, x).shape!) : 0), 0);
  if (infos.some((o) => numel(o.shape) > FOLD_LIMIT && numel(o.shape) > inSize)) return null;
  const shapeOnly = n.op === 'Shape' || n.op === 'Size';
  const ins = n.inputs.map((x) => (x && !shapeOnly ? constNumbers(g, x) : []));
  const outs = ev(n, g, ins.filter((_, i) => n.inputs[i] !== ''), infos.map((o) => o.shape));
  return outs.map((v, i) => ({ dtype: infos[i].dtype, shape: infos[i].shape, data: typedArrayFrom(infos[i].dtype, v) }));
}
