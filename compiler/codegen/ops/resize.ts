// Lowerings of Resize (opsets 10, 11, 13, 18, 19) and Upsample (7, 9) onto the separable
// kernel of assembly/resize.ts. The ONNX coordinate mapping, nearest rounding, linear and cubic
// coefficients are all computed here, once, as per-axis tap tables (float64 arithmetic, as the
// ONNX reference implementation). Only the last two axes may be resized. Not safe in place.
//
// Opset 10 Resize and Upsample have no coordinate_transformation_mode: like onnxruntime we map
// them as 'asymmetric', with nearest indices floor(x) when enlarging and ceil(x) when shrinking.
import type { Graph, Node } from '../../ir/graph.js';
import { attrFloat, attrInt, attrInts, attrString, isConst, valueOf } from '../../ir/graph.js';
import type { LowerCtx, OpLowering } from '../lower.js';
import { runtimeDType } from '../plan.js';
import { call, elems, f32Lit, nodeConst } from './args.js';
import { normAxis } from './strided.js';

export interface ResizeAxis {
  inLen: number;
  outLen: number;
  /** the scale the formulas use: given, or outLen / inLen when sizes were given */
  scale: number;
  mode: 'nearest' | 'linear' | 'cubic';
  coord: string;
  nearest: string;
  cubicA: number;
  excludeOutside: boolean;
  /** tf_crop_and_resize region, as fractions of the axis */
  roi: [number, number];
  /** opset 10 Resize and Upsample rounding (see the header) */
  legacy: boolean;
}

/** The taps of one axis: k indices and k weights per output coordinate (index -1: extrapolate). */
export function axisTaps(a: ResizeAxis): { k: number; idx: number[][]; w: number[][] } {
  const k = a.mode === 'nearest' ? 1 : a.mode === 'linear' ? 2 : 4;
  const idx: number[][] = [], w: number[][] = [];
  const clampI = (i: number) => Math.min(Math.max(i, 0), a.inLen - 1);
  for (let o = 0; o < a.outLen; o++) {
    const x = original(a, o);
    if (a.coord === 'tf_crop_and_resize' && (x < 0 || x > a.inLen - 1)) {
      idx.push(new Array(k).fill(-1)); w.push(new Array(k).fill(0));
      continue;
    }
    if (a.mode === 'nearest') {
      idx.push([clampI(nearestIndex(a, x))]); w.push([1]);
    } else if (a.mode === 'linear') {
      const f = Math.floor(x), t = x - f;
      idx.push([clampI(f), clampI(f + 1)]); w.push([1 - t, t]);
    } else {
      const f = Math.floor(x), t = x - f, A = a.cubicA;
      const c = [
        ((A * (t + 1) - 5 * A) * (t + 1) + 8 * A) * (t + 1) - 4 * A,
        ((A + 2) * t - (A + 3)) * t * t + 1,
        ((A + 2) * (1 - t) - (A + 3)) * (1 - t) * (1 - t) + 1,
        ((A * (2 - t) - 5 * A) * (2 - t) + 8 * A) * (2 - t) - 4 * A,
      ];
      const at = [f - 1, f, f + 1, f + 2];
      if (a.excludeOutside) {
        at.forEach((i, j) => { if (i < 0 || i >= a.inLen) c[j] = 0; });
        const s = c.reduce((p, q) => p + q, 0);
        for (let j = 0; j < 4; j++) c[j] /= s;
      }
      idx.push(at.map(clampI)); w.push(c);
    }
  }
  return { k, idx, w };
}

/** ONNX coordinate_transformation_mode: output coordinate -> input coordinate */
function original(a: ResizeAxis, o: number): number {
  const { inLen: n, outLen: m, scale: s } = a;
  switch (a.coord) {
    case 'half_pixel': return (o + 0.5) / s - 0.5;
    case 'half_pixel_symmetric': {
      const adj = m / (s * n), center = n / 2, offset = center * (1 - adj);
      return offset + (o + 0.5) / s - 0.5;
    }
    case 'pytorch_half_pixel': return m > 1 ? (o + 0.5) / s - 0.5 : 0;
    case 'align_corners': {
      // the ONNX reference divides by the unrounded output length scale * n (equal to m when
      // sizes were given; onnxruntime uses m in both cases)
      const len = s * n;
      return len === 1 ? 0 : (o * (n - 1)) / (len - 1);
    }
    case 'tf_half_pixel_for_nn': return (o + 0.5) / s;
    case 'tf_crop_and_resize': {
      const [r0, r1] = a.roi;
      return m > 1 ? r0 * (n - 1) + (o * (r1 - r0) * (n - 1)) / (m - 1) : 0.5 * (r0 + r1) * (n - 1);
    }
    default: return o / s; // asymmetric
  }
}

function nearestIndex(a: ResizeAxis, x: number): number {
  if (a.legacy) return a.scale < 1 ? Math.ceil(x) : Math.floor(x);
  switch (a.nearest) {
    case 'floor': return Math.floor(x);
    case 'ceil': return Math.ceil(x);
    case 'round_prefer_ceil': return Math.round(x); // JS rounds .5 up
    default: return x === Math.floor(x) + 0.5 ? Math.floor(x) : Math.round(x); // round_prefer_floor
  }
}

interface ResizeParams { axes: ResizeAxis[]; extrap: number }

/** Per-axis parameters for every axis of the input, or a reason the node cannot be lowered. */
function resizeParams(node: Node, g: Graph): ResizeParams | string {
  const x = valueOf(g, node.inputs[0]).shape!, y = valueOf(g, node.outputs[0]).shape!;
  const rank = x.length;
  const legacy = node.op === 'Upsample' || g.opset < 11;
  const input = (i: number): number[] | null | 'runtime' => {
    const name = node.inputs[i] ?? '';
    if (name === '') return null;
    return isConst(g, name) ? nodeConst(node, g, i)! : 'runtime';
  };
  let given: number[] | null = null;
  let useSizes = false;
  if (node.op === 'Upsample') {
    const s = node.attrs.scales !== undefined ? (node.attrs.scales as number[]) : input(1);
    if (s === 'runtime') return 'scales computed at run time';
    given = s;
  } else if (legacy) {
    const s = input(1);
    if (s === 'runtime') return 'scales computed at run time';
    given = s;
  } else {
    const s = input(2), z = input(3);
    if (s === 'runtime' || z === 'runtime') return 'scales/sizes computed at run time';
    if (s && s.length) given = s;
    else { given = z; useSizes = true; }
  }
  const axesAttr = attrInts(node, 'axes', []).map((a) => normAxis(a, rank));
  const axes = axesAttr.length ? axesAttr : [...Array(rank).keys()];
  const scale = new Array<number>(rank).fill(1);
  if (!given) return 'neither scales nor sizes';
  if (useSizes) {
    const policy = attrString(node, 'keep_aspect_ratio_policy', 'stretch');
    const ratios = axes.map((a, i) => given![i] / x[a]);
    const r = policy === 'not_larger' ? Math.min(...ratios) : policy === 'not_smaller' ? Math.max(...ratios) : NaN;
    axes.forEach((a, i) => (scale[a] = Number.isNaN(r) ? ratios[i] : r));
  } else {
    axes.forEach((a, i) => (scale[a] = given![i]));
  }
  const roiIn = legacy ? null : input(1);
  if (roiIn === 'runtime') return 'roi computed at run time';
  const modeAttr = attrString(node, 'mode', 'nearest');
  const mode = modeAttr === 'bilinear' || modeAttr === 'linear' ? 'linear' : modeAttr === 'cubic' ? 'cubic' : modeAttr === 'nearest' ? 'nearest' : null;
  if (!mode) return `mode '${modeAttr}'`;
  if (attrInt(node, 'antialias', 0) && mode !== 'nearest' && scale.some((s) => s < 1)) return 'antialias when shrinking';
  const coord = legacy ? 'asymmetric' : attrString(node, 'coordinate_transformation_mode', 'half_pixel');
  const coords = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn', 'tf_crop_and_resize'];
  if (!coords.includes(coord)) return `coordinate_transformation_mode '${coord}'`;
  const nearest = attrString(node, 'nearest_mode', 'round_prefer_floor');
  if (!['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'].includes(nearest)) return `nearest_mode '${nearest}'`;
  const res: ResizeAxis[] = x.map((n, a) => {
    const k = axes.indexOf(a);
    const roi: [number, number] = roiIn && roiIn.length && k >= 0 ? [roiIn[k], roiIn[k + axes.length]] : [0, 1];
    return {
      inLen: n, outLen: y[a], scale: scale[a], mode, coord, nearest, legacy, roi,
      cubicA: attrFloat(node, 'cubic_coeff_a', -0.75), excludeOutside: attrInt(node, 'exclude_outside', 0) === 1,
    };
  });
  for (let a = 0; a < rank - 2; a++) {
    if (res[a].outLen !== res[a].inLen || (coord === 'tf_crop_and_resize' && (res[a].roi[0] !== 0 || res[a].roi[1] !== 1))) return `resizing axis ${a} (only the last two axes)`;
  }
  return { axes: res, extrap: attrFloat(node, 'extrapolation_value', 0) };
}

/** identity taps for an axis that is not resized */
const identity = (n: number) => ({ k: 1, idx: [...Array(n).keys()].map((i) => [i]), w: [...Array(n).keys()].map(() => [1]) });

function table(t: { k: number; idx: number[][]; w: number[][] }): Int32Array {
  const out = new Int32Array(t.idx.length * 2 * t.k);
  const f = new Float32Array(out.buffer);
  t.idx.forEach((ix, o) => ix.forEach((v, j) => { out[o * 2 * t.k + j] = v; f[o * 2 * t.k + t.k + j] = t.w[o][j]; }));
  return out;
}

/** is the axis mapped onto itself (same length, one tap of weight 1 at the same index)? */
const isIdentity = (t: { idx: number[][]; w: number[][] }) => t.idx.every((ix, o) => ix.length === 1 && ix[0] === o && t.w[o][0] === 1);

/** the integer factor s when the taps are exactly idx[o] = floor(o / s) with weight 1, else 0 */
function integerNearest(t: { k: number; idx: number[][]; w: number[][] }, inLen: number): number {
  const s = t.idx.length / inLen;
  if (t.k !== 1 || !Number.isInteger(s) || s < 1) return 0;
  return t.idx.every((ix, o) => ix[0] === Math.floor(o / s) && t.w[o][0] === 1) ? s : 0;
}

/** do the taps say 2x linear with half-pixel centres: .25/.75 of the neighbours, clamped? */
function isLinear2x(t: { k: number; idx: number[][]; w: number[][] }, inLen: number): boolean {
  if (t.k !== 2 || t.idx.length !== 2 * inLen) return false;
  const tap = (o: number, i: number, w: number) => t.idx[o].includes(i) && t.idx[o].reduce((s, ix, k) => s + (ix === i ? t.w[o][k] : 0), 0) === w;
  return t.idx.every((_, o) => {
    const j = o >> 1;
    const other = o & 1 ? Math.min(j + 1, inLen - 1) : Math.max(j - 1, 0);
    return other === j ? tap(o, j, 1) : tap(o, j, 0.75) && tap(o, other, 0.25);
  });
}

const resizeLowering: OpLowering = {
  ops: ['Resize', 'Upsample'],
  unsupported(node, g) {
    const x = valueOf(g, node.inputs[0]);
    if (runtimeDType(x.dtype) !== 'float32') return `${x.dtype} input (float only)`;
    const p = resizeParams(node, g);
    return typeof p === 'string' ? p : null;
  },
  lower(ctx: LowerCtx) {
    const x = ctx.input(0)!, y = ctx.output(0), node = ctx.node;
    const p = resizeParams(node, ctx.graph) as ResizeParams;
    const rank = x.shape.length;
    const hAxis = rank >= 2 ? p.axes[rank - 2] : null, wAxis = p.axes[rank - 1];
    const th = hAxis ? axisTaps(hAxis) : identity(1), tw = axisTaps(wAxis);
    if (hAxis && isIdentity(th) && isIdentity(tw) && hAxis.inLen === hAxis.outLen && wAxis.inLen === wAxis.outLen) {
      return call(ctx, 'copy_bytes', [x.ptr, y.ptr, elems(x.shape) * 4]);
    }
    const H = hAxis?.inLen ?? 1, W = wAxis.inLen, OH = hAxis?.outLen ?? 1, OW = wAxis.outLen;
    const NC = elems(x.shape.slice(0, Math.max(0, rank - 2)));
    const sh = integerNearest(th, H), sw = integerNearest(tw, W);
    if (sh && sw) return call(ctx, 'resize_nearest_int_f32', [x.ptr, y.ptr, NC, H, W, sh, sw]);
    if (hAxis && isLinear2x(th, H) && isLinear2x(tw, W)) return call(ctx, 'resize_linear2x_f32', [x.ptr, y.ptr, NC, H, W, ctx.scratch(W * 4, `${node.name}:row`)]);
    const tabH = ctx.weight(table(th), `${node.name}:taps-h`), tabW = ctx.weight(table(tw), `${node.name}:taps-w`);
    const tmp = th.k === 1 && th.w.every((w) => w[0] === 1) ? '0' : ctx.scratch(W * 4, `${node.name}:row`);
    return call(ctx, 'resize_f32', [x.ptr, y.ptr, NC, H, W, OH, OW, tabH, th.k, tabW, tw.k, tmp, f32Lit(p.extrap)]);
  },
};

export const resizeLowerings: OpLowering[] = [resizeLowering];
