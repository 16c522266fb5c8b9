// Lowerings of the Reduce* family, ArgMax/ArgMin, Softmax/LogSoftmax/Hardmax and CumSum onto
// assembly/reduce.ts.
//
// A reduction over an arbitrary axes set becomes a chain of [outer, r, inner] reductions: the
// input's dims are merged into alternating runs of kept and reduced axes, and each reduced run is
// folded in one call (largest first, so later calls see less data), through scratch buffers.
// Softmax, LogSoftmax, Hardmax and CumSum are safe in place; reductions and arg-reductions are not.
import type { Graph, Node } from '../../ir/graph.js';
import { attrInt, attrInts, isConst, valueOf } from '../../ir/graph.js';
import type { LowerCtx, OpLowering } from '../lower.js';
import { runtimeDType } from '../plan.js';
import { call, constInput, elems, f32Lit } from './args.js';
import { normAxis } from './strided.js';

interface ReduceSpec {
  /** kernel of the first step, which sees the raw values */
  first: string;
  /** kernel of later steps, which fold partial results */
  rest: string;
  /** scale the final step by 1/(number of reduced elements) */
  mean?: boolean;
  /** elementwise kernel applied to the result in place */
  post?: string;
}

const REDUCE: Record<string, ReduceSpec> = {
  ReduceSum: { first: 'reduce_sum_f32', rest: 'reduce_sum_f32' },
  ReduceMean: { first: 'reduce_sum_f32', rest: 'reduce_sum_f32', mean: true },
  ReduceSumSquare: { first: 'reduce_sumsq_f32', rest: 'reduce_sum_f32' },
  ReduceL1: { first: 'reduce_l1_f32', rest: 'reduce_sum_f32' },
  ReduceL2: { first: 'reduce_sumsq_f32', rest: 'reduce_sum_f32', post: 'ew_sqrt_f32' },
  ReduceMax: { first: 'reduce_max_f32', rest: 'reduce_max_f32' },
  ReduceMin: { first: 'reduce_min_f32', rest: 'reduce_min_f32' },
  ReduceProd: { first: 'reduce_prod_f32', rest: 'reduce_prod_f32' },
  ReduceLogSum: { first: 'reduce_sum_f32', rest: 'reduce_sum_f32', post: 'ew_log_f32' },
  ReduceLogSumExp: { first: 'reduce_logsumexp_f32', rest: 'reduce_logsumexp_f32' },
};

/** Opsets where `axes` moved from an attribute to input 1. */
const axesInputSince = (op: string) => (op === 'ReduceSum' ? 13 : 18);

/** The reduced axes (normalised), or null when they come from a run-time input. */
function reducedAxes(node: Node, g: Graph, constAxes: number[] | null | undefined, rank: number): number[] | null {
  let axes: number[];
  if (node.attrs.axes !== undefined || g.opset < axesInputSince(node.op)) axes = attrInts(node, 'axes', []);
  else if (constAxes === undefined) return null;
  else axes = constAxes ?? [];
  if (axes.length === 0) return attrInt(node, 'noop_with_empty_axes', 0) ? [] : [...Array(rank).keys()];
  return [...new Set(axes.map((a) => normAxis(a, rank)))].sort((a, b) => a - b);
}

/** Merge dims into runs of [size, reduced?], dropping size-1 dims (which neither side needs). */
function runs(shape: number[], axes: Set<number>): { size: number; reduced: boolean }[] {
  const out: { size: number; reduced: boolean }[] = [];
  shape.forEach((d, i) => {
    if (d === 1) return;
    const reduced = axes.has(i);
    const last = out[out.length - 1];
    if (last && last.reduced === reduced) last.size *= d;
    else out.push({ size: d, reduced });
  });
  return out;
}

const reduceLowering: OpLowering = {
  ops: Object.keys(REDUCE),
  unsupported(node, g) {
    if (runtimeDType(valueOf(g, node.inputs[0]).dtype) !== 'float32') return `${valueOf(g, node.inputs[0]).dtype} input (float only)`;
    const axesName = node.inputs[1] ?? '';
    if (axesName !== '' && !isConst(g, axesName)) return 'axes computed at run time';
    return null;
  },
  lower(ctx) {
    const node = ctx.node, x = ctx.input(0)!, y = ctx.output(0), spec = REDUCE[node.op];
    const hasAxesInput = (node.inputs[1] ?? '') !== '';
    const axes = reducedAxes(node, ctx.graph, hasAxesInput ? constInput(ctx, 1) : null, x.shape.length)!;
    const total = axes.reduce((p, a) => p * x.shape[a], 1);
    let rs = runs(x.shape, new Set(axes));
    const lines: string[] = [];
    const n = elems(x.shape);
    if (!rs.some((r) => r.reduced)) {
      // nothing to fold (size-1 or no reduced axes): one pass with r = 1 applies the op per element
      rs = [{ size: n, reduced: false }, { size: 1, reduced: true }];
    }
    const steps = rs.filter((r) => r.reduced).length;
    let src = x.ptr;
    const bufs: string[] = [];
    for (let step = 0; step < steps; step++) {
      // the largest reduced run first
      let at = -1;
      rs.forEach((r, i) => { if (r.reduced && (at < 0 || r.size > rs[at].size)) at = i; });
      const outer = rs.slice(0, at).reduce((p, r) => p * r.size, 1);
      const inner = rs.slice(at + 1).reduce((p, r) => p * r.size, 1);
      const r = rs[at].size;
      const last = step === steps - 1;
      let dst = y.ptr;
      if (!last) {
        const slot = step % 2;
        if (!bufs[slot]) bufs[slot] = ctx.scratch(outer * inner * 4, `${node.name}:partial${slot}`);
        dst = bufs[slot];
      }
      const kernel = step === 0 ? spec.first : spec.rest;
      const scale = last && spec.mean ? 1 / total : 1;
      const args: (string | number)[] = [src, dst, outer, r, inner];
      if (kernel !== 'reduce_logsumexp_f32') args.push(f32Lit(scale));
      lines.push(call(ctx, kernel, args));
      // remove the run; merge its neighbours if both are kept
      rs = [...rs.slice(0, at), ...rs.slice(at + 1)];
      if (at > 0 && at < rs.length && !rs[at - 1].reduced && !rs[at].reduced) {
        rs[at - 1] = { size: rs[at - 1].size * rs[at].size, reduced: false };
        rs.splice(at, 1);
      }
      src = dst;
    }
    if (spec.post) lines.push(call(ctx, spec.post, [y.ptr, y.ptr, elems(y.shape)]));
    return lines.join('\n');
  },
};

/** outer, n, inner around one axis */
function around(shape: number[], axis: number): [number, number, number] {
  return [elems(shape.slice(0, axis)), shape[axis], elems(shape.slice(axis + 1))];
}

const argLowering: OpLowering = {
  ops: ['ArgMax', 'ArgMin'],
  unsupported(node, g) {
    if (runtimeDType(valueOf(g, node.inputs[0]).dtype) !== 'float32') return `${valueOf(g, node.inputs[0]).dtype} input (float only)`;
    return null;
  },
  lower(ctx) {
    const x = ctx.input(0)!, y = ctx.output(0), node = ctx.node;
    const axis = normAxis(attrInt(node, 'axis', 0), x.shape.length);
    const [outer, r, inner] = around(x.shape, axis);
    const kernel = node.op === 'ArgMax' ? 'argmax_f32' : 'argmin_f32';
    return call(ctx, kernel, [x.ptr, y.ptr, outer, r, inner, attrInt(node, 'select_last_index', 0)]);
  },
};

const softmaxLowering: OpLowering = {
  ops: ['Softmax', 'LogSoftmax', 'Hardmax'],
  unsupported(node, g) {
    if (runtimeDType(valueOf(g, node.inputs[0]).dtype) !== 'float32') return `${valueOf(g, node.inputs[0]).dtype} input (float only)`;
    return null;
  },
  lower(ctx: LowerCtx) {
    const x = ctx.input(0)!, y = ctx.output(0), node = ctx.node;
    const rank = x.shape.length;
    let outer: number, n: number, inner: number;
    if (ctx.graph.opset < 13) {
      // opset 1-12: the input is coerced to 2-D [prod(dims < axis), prod(dims >= axis)]
      const axis = normAxis(attrInt(node, 'axis', 1), rank);
      [outer, n, inner] = [elems(x.shape.slice(0, axis)), elems(x.shape.slice(axis)), 1];
    } else {
      [outer, n, inner] = around(x.shape, normAxis(attrInt(node, 'axis', -1), rank));
    }
    const kernel = { Softmax: 'softmax_f32', LogSoftmax: 'log_softmax_f32', Hardmax: 'hardmax_f32' }[node.op]!;
    return call(ctx, kernel, [x.ptr, y.ptr, outer, n, inner]);
  },
};

const cumsumLowering: OpLowering = {
  ops: ['CumSum'],
  unsupported(node, g) {
    const dt = runtimeDType(valueOf(g, node.inputs[0]).dtype);
    if (dt === 'uint8') return `${valueOf(g, node.inputs[0]).dtype} input`;
    return isConst(g, node.inputs[1]) ? null : 'axis computed at run time';
  },
  lower(ctx) {
    const x = ctx.input(0)!, y = ctx.output(0), node = ctx.node;
    const [outer, n, inner] = around(x.shape, normAxis(constInput(ctx, 1)![0], x.shape.length));
    return call(ctx, x.dtype === 'float32' ? 'cumsum_f32' : 'cumsum_i32', [x.ptr, y.ptr, outer, n, inner, attrInt(node, 'exclusive', 0), attrInt(node, 'reverse', 0)]);
  },
};

export const reduceLowerings: OpLowering[] = [reduceLowering, argLowering, softmaxLowering, cumsumLowering];
