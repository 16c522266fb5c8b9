// Lowerings of data-movement ops onto assembly/layout.ts. Every op here reads its input through
// an address map the compiler computes once: Transpose, Slice, Expand, Tile, DepthToSpace and
// SpaceToDepth all become one strided gather (or a batched matrix transpose when the dims merge
// into one); Concat and Split become 2-D block copies; Gather, GatherElements and Pad have their
// own kernels. None is safe in place.
import type { Graph, Node } from '../../ir/graph.js';
import { attrInt, attrInts, attrString, isConst, valueOf } from '../../ir/graph.js';
import type { LowerCtx, OpLowering, TensorRef } from '../lower.js';
import { runtimeDType } from '../plan.js';
import { call, constInput, elems, nodeConst, tensorNumbers } from './args.js';
import { MAX_DIMS, asBatchedTranspose, broadcastStrides, collapse, gatherDescriptor, normAxis, stridesOf } from './strided.js';

const esize = (t: TensorRef) => (t.dtype === 'uint8' ? 1 : 4);

/** y = x read through (outDims, inStrides) from element offset `start`, the fastest way. */
function gatherCopy(ctx: LowerCtx, x: TensorRef, y: TensorRef, outDims: number[], inStrides: number[], start = 0): string {
  if (elems(outDims) === 0) return '';
  const es = esize(x);
  const src = start ? `(${x.ptr} + ${start * es})` : x.ptr;
  const t = es === 4 ? asBatchedTranspose(outDims, inStrides) : null;
  if (t && t[1] > 1 && t[2] > 1) return call(ctx, 'transpose2d_32', [src, y.ptr, ...t]);
  const d = gatherDescriptor(outDims, inStrides)!;
  return call(ctx, es === 4 ? 'strided_copy_32' : 'strided_copy_8', [src, y.ptr, ctx.weight(d, `${ctx.node.name}:strides`)]);
}

/** null when the merged copy fits the kernels' 6 dims */
function tooManyDims(outDims: number[], inStrides: number[]): string | null {
  return collapse(outDims, [inStrides]).dims.length > MAX_DIMS ? 'more than 6 dimensions after merging' : null;
}

const shapeOfInput = (g: Graph, node: Node, i: number) => valueOf(g, node.inputs[i]).shape!;

// ---- Transpose ----
function transposeMap(shape: number[], perm: number[]): [number[], number[]] {
  const st = stridesOf(shape);
  return [perm.map((p) => shape[p]), perm.map((p) => st[p])];
}
const permOf = (node: Node, rank: number) => attrInts(node, 'perm', [...Array(rank).keys()].reverse());

const transposeLowering: OpLowering = {
  ops: ['Transpose'],
  unsupported(node, g) {
    const s = shapeOfInput(g, node, 0);
    return tooManyDims(...transposeMap(s, permOf(node, s.length)));
  },
  lower(ctx) {
    const x = ctx.input(0)!, y = ctx.output(0);
    return gatherCopy(ctx, x, y, ...transposeMap(x.shape, permOf(ctx.node, x.shape.length)));
  },
};

// ---- DepthToSpace / SpaceToDepth: a 6-D transpose between reshapes ----
function depthSpaceMap(node: Node, s: number[]): [number[], number[]] {
  const b = attrInt(node, 'blocksize', 1);
  const [N, C, H, W] = s;
  if (node.op === 'SpaceToDepth') return transposeMap([N, C, H / b, b, W / b, b], [0, 3, 5, 1, 2, 4]);
  if (attrString(node, 'mode', 'DCR') === 'CRD') return transposeMap([N, C / (b * b), b, b, H, W], [0, 1, 4, 2, 5, 3]);
  return transposeMap([N, b, b, C / (b * b), H, W], [0, 3, 4, 1, 5, 2]);
}

const depthSpaceLowering: OpLowering = {
  ops: ['DepthToSpace', 'SpaceToDepth'],
  unsupported(node, g) {
    return shapeOfInput(g, node, 0).length === 4 ? null : 'input is not 4-D';
  },
  lower(ctx) {
    const x = ctx.input(0)!, y = ctx.output(0);
    return gatherCopy(ctx, x, y, ...depthSpaceMap(ctx.node, x.shape));
  },
};

// ---- Slice ----
interface SliceParams { starts: number[]; ends: number[]; axes: number[]; steps: number[] }

function sliceParams(node: Node, g: Graph): SliceParams | null {
  if (g.opset < 10) {
    const starts = attrInts(node, 'starts', []);
    return { starts, ends: attrInts(node, 'ends', []), axes: attrInts(node, 'axes', starts.map((_, i) => i)), steps: starts.map(() => 1) };
  }
  for (let i = 1; i <= 4; i++) if ((node.inputs[i] ?? '') !== '' && !isConst(g, node.inputs[i])) return null;
  const starts = nodeConst(node, g, 1)!;
  return {
    starts, ends: nodeConst(node, g, 2)!,
    axes: nodeConst(node, g, 3) ?? starts.map((_, i) => i),
    steps: nodeConst(node, g, 4) ?? starts.map(() => 1),
  };
}

/** first index and element count along one axis, with ONNX's clamping rules */
export function sliceAxis(dim: number, start: number, end: number, step: number): [number, number] {
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = Math.min(Math.max(start, 0), dim);
    end = Math.min(Math.max(end, 0), dim);
  } else {
    start = Math.min(Math.max(start, 0), dim - 1);
    end = Math.min(Math.max(end, -1), dim - 1);
  }
  return [start, Math.max(0, Math.ceil((end - start) / step))];
}

function sliceMap(shape: number[], p: SliceParams): [number[], number[], number] {
  const st = stridesOf(shape);
  const out = [...shape], strides = [...st];
  let start = 0;
  p.axes.forEach((a0, k) => {
    const a = normAxis(a0, shape.length);
    const [s, n] = sliceAxis(shape[a], p.starts[k], p.ends[k], p.steps[k]);
    out[a] = n;
    strides[a] = st[a] * p.steps[k];
    start += n > 0 ? s * st[a] : 0;
  });
  return [out, strides, start];
}

const sliceLowering: OpLowering = {
  ops: ['Slice'],
  unsupported(node, g) {
    const p = sliceParams(node, g);
    if (!p) return 'starts/ends/axes/steps computed at run time';
    if (p.steps.some((s) => s === 0)) return 'step 0';
    const [out, strides] = sliceMap(shapeOfInput(g, node, 0), p);
    return tooManyDims(out, strides);
  },
  lower(ctx) {
    const x = ctx.input(0)!, y = ctx.output(0);
    const [out, strides, start] = sliceMap(x.shape, sliceParams(ctx.node, ctx.graph)!);
    return gatherCopy(ctx, x, y, out, strides, start);
  },
};

// ---- Expand, Tile ----
const expandLowering: OpLowering = {
  ops: ['Expand'],
  unsupported(node, g) {
    const out = valueOf(g, node.outputs[0]).shape!;
    return tooManyDims(out, broadcastStrides(shapeOfInput(g, node, 0), out));
  },
  lower(ctx) {
    const x = ctx.input(0)!, y = ctx.output(0);
    return gatherCopy(ctx, x, y, y.shape, broadcastStrides(x.shape, y.shape));
  },
};

/** Tile as a gather over [r0, d0, r1, d1, ...] with stride 0 on the repeat dims */
function tileMap(shape: number[], repeats: number[]): [number[], number[]] {
  const st = stridesOf(shape);
  return [shape.flatMap((d, i) => [repeats[i], d]), st.flatMap((s) => [0, s])];
}

const tileLowering: OpLowering = {
  ops: ['Tile'],
  unsupported(node, g) {
    return isConst(g, node.inputs[1]) ? null : 'repeats computed at run time';
  },
  lower(ctx) {
    const x = ctx.input(0)!, y = ctx.output(0), reps = constInput(ctx, 1)!;
    const [dims, strides] = tileMap(x.shape, reps);
    if (!tooManyDims(dims, strides)) return gatherCopy(ctx, x, y, dims, strides);
    // beyond 6 merged dims: one axis at a time, each repeat a block copy (through scratch)
    const es = esize(x), lines: string[] = [];
    let shape = [...x.shape], src = x.ptr;
    const axes = reps.map((r, a) => a).filter((a) => reps[a] > 1);
    axes.forEach((a, k) => {
      const outer = elems(shape.slice(0, a)), block = elems(shape.slice(a)) * es, r = reps[a];
      const dst = k === axes.length - 1 ? y.ptr : ctx.scratch(outer * block * r, `${ctx.node.name}:tile${k}`);
      for (let j = 0; j < r; j++) lines.push(call(ctx, 'copy2d', [src, `(${dst} + ${j * block})`, outer, block, block, block * r]));
      shape = shape.map((d, i) => (i === a ? d * r : d));
      src = dst;
    });
    return lines.join('\n');
  },
};

/** The 4-byte pattern of a constant whose elements are all equal (bytes of uint8/bool data
 *  repeated), or null. */
function splatPattern(ctx: LowerCtx, i: number, es: number): number | null {
  const t = ctx.constant(i);
  if (!t || t.data.length === 0) return null;
  const v = tensorNumbers(t);
  if (v.some((x) => x !== v[0] && !(Number.isNaN(x) && Number.isNaN(v[0])))) return null;
  if (es === 1) return ((v[0] & 255) * 0x01010101) >>> 0;
  return runtimeDType(t.dtype) === 'float32' ? new Uint32Array(Float32Array.of(v[0]).buffer)[0] : (v[0] | 0) >>> 0;
}

// ---- Concat, Split: block copies along the axis ----
const concatLowering: OpLowering = {
  ops: ['Concat'],
  lower(ctx) {
    const y = ctx.output(0), es = esize(y);
    const axis = normAxis(attrInt(ctx.node, 'axis', 0), y.shape.length);
    const outer = elems(y.shape.slice(0, axis)), inner = elems(y.shape.slice(axis + 1)) * es;
    const yRow = y.shape[axis] * inner;
    const lines: string[] = [];
    let at = 0;
    ctx.node.inputs.forEach((name, i) => {
      if (name === '') return;
      const shape = valueOf(ctx.graph, name).shape!;
      if (elems(shape) === 0) return;
      const row = shape[axis] * inner;
      // a constant of one repeated value (zero channels) is filled, and stays out of the weights
      const pattern = splatPattern(ctx, i, es);
      if (pattern !== null) {
        lines.push(call(ctx, 'fill2d', [`(${y.ptr} + ${at})`, outer, row, yRow, `${pattern}`]));
        at += row;
        return;
      }
      const x = ctx.input(i)!;
      lines.push(outer === 1
        ? call(ctx, 'copy_bytes', [x.ptr, `(${y.ptr} + ${at})`, row])
        : call(ctx, 'copy2d', [x.ptr, `(${y.ptr} + ${at})`, outer, row, row, yRow]));
      at += row;
    });
    return lines.join('\n');
  },
};

const splitLowering: OpLowering = {
  ops: ['Split'],
  unsupported(node, g) {
    // the parts come from the output shapes, which a run-time `split` input cannot have fixed
    return (node.inputs[1] ?? '') !== '' && !isConst(g, node.inputs[1]) ? 'split sizes computed at run time' : null;
  },
  lower(ctx) {
    // the output shapes (fixed by shape inference) say where each part starts
    const x = ctx.input(0)!, es = esize(x);
    const axis = normAxis(attrInt(ctx.node, 'axis', 0), x.shape.length);
    const outer = elems(x.shape.slice(0, axis)), inner = elems(x.shape.slice(axis + 1)) * es;
    const xRow = x.shape[axis] * inner;
    const lines: string[] = [];
    let at = 0;
    ctx.node.outputs.forEach((name, i) => {
      if (name === '') return;
      const y = ctx.output(i);
      const row = y.shape[axis] * inner;
      if (row > 0) {
        lines.push(outer === 1
          ? call(ctx, 'copy_bytes', [`(${x.ptr} + ${at})`, y.ptr, row])
          : call(ctx, 'copy2d', [`(${x.ptr} + ${at})`, y.ptr, outer, row, xRow, row]));
      }
      at += row;
    });
    return lines.join('\n');
  },
};

// ---- Gather, GatherElements ----
const gatherLowering: OpLowering = {
  ops: ['Gather'],
  unsupported(node, g) {
    return runtimeDType(valueOf(g, node.inputs[1]).dtype) === 'int32' ? null : 'non-integer indices';
  },
  lower(ctx) {
    const x = ctx.input(0)!, idx = ctx.input(1)!, y = ctx.output(0);
    const axis = normAxis(attrInt(ctx.node, 'axis', 0), x.shape.length);
    const inner = elems(x.shape.slice(axis + 1)) * esize(x);
    return call(ctx, 'gather', [x.ptr, idx.ptr, y.ptr, elems(x.shape.slice(0, axis)), x.shape[axis], elems(idx.shape), inner]);
  },
};

const gatherElementsLowering: OpLowering = {
  ops: ['GatherElements'],
  unsupported(node, g) {
    const x = shapeOfInput(g, node, 0), idx = shapeOfInput(g, node, 1);
    const axis = normAxis(attrInt(node, 'axis', 0), x.length);
    if (runtimeDType(valueOf(g, node.inputs[0]).dtype) === 'uint8') return 'bool/uint8 data';
    if (x.some((d, i) => i !== axis && d !== idx[i])) return 'indices smaller than data off the axis';
    return null;
  },
  lower(ctx) {
    const x = ctx.input(0)!, idx = ctx.input(1)!, y = ctx.output(0);
    const axis = normAxis(attrInt(ctx.node, 'axis', 0), x.shape.length);
    return call(ctx, 'gather_elements_32', [x.ptr, idx.ptr, y.ptr, elems(idx.shape.slice(0, axis)), x.shape[axis], idx.shape[axis], elems(idx.shape.slice(axis + 1))]);
  },
};

// ---- Pad ----
const PAD_MODES: Record<string, number> = { constant: 0, reflect: 1, edge: 2, wrap: 3 };

/** begin and end pads per axis, and the constant, from attributes (opset < 11) or inputs */
function padParams(node: Node, g: Graph): { begin: number[]; end: number[]; value: number } | string {
  const rank = shapeOfInput(g, node, 0).length;
  let pads: number[], value: number, axes: number[] = [...Array(rank).keys()];
  if (g.opset < 11) {
    pads = attrInts(node, g.opset < 2 ? 'paddings' : 'pads', []);
    value = typeof node.attrs.value === 'number' ? node.attrs.value : 0;
  } else {
    for (const i of [1, 3]) if ((node.inputs[i] ?? '') !== '' && !isConst(g, node.inputs[i])) return 'pads/axes computed at run time';
    pads = nodeConst(node, g, 1)!;
    // a constant_value computed at run time is read when the kernel is called (see lower)
    value = (node.inputs[2] ?? '') !== '' && isConst(g, node.inputs[2]) ? nodeConst(node, g, 2)![0] : 0;
    const a = nodeConst(node, g, 3);
    if (a) axes = a.map((v) => normAxis(v, rank));
  }
  const begin = new Array<number>(rank).fill(0), end = new Array<number>(rank).fill(0);
  axes.forEach((a, k) => { begin[a] = pads[k]; end[a] = pads[k + axes.length]; });
  return { begin, end, value };
}

const padLowering: OpLowering = {
  ops: ['Pad'],
  unsupported(node, g) {
    const p = padParams(node, g);
    if (typeof p === 'string') return p;
    const mode = attrString(node, 'mode', 'constant');
    if (!(mode in PAD_MODES)) return `mode '${mode}'`;
    const s = shapeOfInput(g, node, 0);
    if (runtimeDType(valueOf(g, node.inputs[0]).dtype) === 'uint8') return 'bool/uint8 data';
    if (s.length > MAX_DIMS) return 'more than 6 dimensions';
    if (mode !== 'constant' && s.some((d, i) => d === 0 && (p.begin[i] || p.end[i]))) return `${mode} padding of an empty axis`;
    return null;
  },
  lower(ctx) {
    const x = ctx.input(0)!, y = ctx.output(0);
    if (elems(y.shape) === 0) return '';
    const p = padParams(ctx.node, ctx.graph) as { begin: number[]; end: number[]; value: number };
    const rank = x.shape.length, pad = MAX_DIMS - rank;
    const d = new Int32Array(3 * MAX_DIMS);
    for (let i = 0; i < MAX_DIMS; i++) {
      const k = i - pad;
      d[i] = k < 0 ? 1 : y.shape[k];
      d[MAX_DIMS + i] = k < 0 ? 1 : x.shape[k];
      d[2 * MAX_DIMS + i] = k < 0 ? 0 : p.begin[k];
    }
    const v = ctx.input(2);
    const bits = v && ctx.graph.opset >= 11 && !ctx.constant(2) ? `load<u32>${v.ptr}`
      : x.dtype === 'float32' ? `${new Uint32Array(Float32Array.of(p.value).buffer)[0]}` : `${(p.value | 0) >>> 0}`;
    const mode = PAD_MODES[attrString(ctx.node, 'mode', 'constant')];
    return call(ctx, 'pad_32', [x.ptr, y.ptr, ctx.weight(d, `${ctx.node.name}:pad`), mode, bits]);
  },
};

// ---- Trilu ----
const triluLowering: OpLowering = {
  ops: ['Trilu'],
  unsupported(node, g) {
    if (runtimeDType(valueOf(g, node.inputs[0]).dtype) === 'uint8') return 'bool/uint8 data';
    if ((node.inputs[1] ?? '') !== '' && !isConst(g, node.inputs[1])) return 'k computed at run time';
    return null;
  },
  lower(ctx) {
    const x = ctx.input(0)!, y = ctx.output(0), r = x.shape.length;
    const k = constInput(ctx, 1)?.[0] ?? 0;
    return call(ctx, 'trilu_32', [x.ptr, y.ptr, elems(x.shape.slice(0, r - 2)), x.shape[r - 2], x.shape[r - 1], k, attrInt(ctx.node, 'upper', 1)]);
  },
};

export const layoutLowerings: OpLowering[] = [
  triluLowering,
  transposeLowering, depthSpaceLowering, sliceLowering, expandLowering, tileLowering,
  concatLowering, splitLowering, gatherLowering, gatherElementsLowering, padLowering,
];
