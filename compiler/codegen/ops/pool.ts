// Lowerings of MaxPool, AveragePool (1-D and 2-D, NCHW) onto assembly/pool.ts, and of
// GlobalAveragePool/GlobalMaxPool onto the row reductions of assembly/reduce.ts.
// The output size comes from shape inference (ceil_mode, auto_pad); the lowering recovers the
// begin/end pads the kernel needs. None is safe in place.
import type { Graph, Node } from '../../ir/graph.js';
import { attrInt, attrInts, attrString, valueOf } from '../../ir/graph.js';
import type { OpLowering } from '../lower.js';
import { runtimeDType } from '../plan.js';
import { call, elems, f32Lit } from './args.js';

interface Pool2d { H: number; W: number; OH: number; OW: number; k: [number, number]; s: [number, number]; d: [number, number]; pads: [number, number, number, number] }

/** The pooling window in 2-D form ([1, L] for 1-D), pads as [top, left, bottom, right]. */
function pool2d(node: Node, x: number[], y: number[]): Pool2d {
  const sp = x.length - 2;
  const lift = (v: number[], d: number) => (sp === 1 ? [d, v[0]] : [v[0], v[1]]) as [number, number];
  const kernel = attrInts(node, 'kernel_shape', []);
  const strides = attrInts(node, 'strides', kernel.map(() => 1));
  const dil = attrInts(node, 'dilations', kernel.map(() => 1));
  const inS = x.slice(2), outS = y.slice(2);
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  let begin: number[], end: number[];
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const total = inS.map((n, i) => Math.max(0, (outS[i] - 1) * strides[i] + (kernel[i] - 1) * dil[i] + 1 - n));
    begin = total.map((t) => (autoPad === 'SAME_UPPER' ? Math.floor(t / 2) : Math.ceil(t / 2)));
    end = total.map((t, i) => t - begin[i]);
  } else if (autoPad === 'VALID') {
    begin = inS.map(() => 0); end = inS.map(() => 0);
  } else {
    const pads = attrInts(node, 'pads', new Array(2 * sp).fill(0));
    begin = pads.slice(0, sp); end = pads.slice(sp);
  }
  const [H, W] = lift(inS, 1), [OH, OW] = lift(outS, 1);
  const [pt, pl] = lift(begin, 0), [pb, pr] = lift(end, 0);
  return { H, W, OH, OW, k: lift(kernel, 1), s: lift(strides, 1), d: lift(dil, 1), pads: [pt, pl, pb, pr] };
}

const poolLowering: OpLowering = {
  ops: ['MaxPool', 'AveragePool'],
  unsupported(node: Node, g: Graph) {
    const x = valueOf(g, node.inputs[0]);
    if (runtimeDType(x.dtype) !== 'float32') return `${x.dtype} input (float only)`;
    if (x.shape!.length !== 3 && x.shape!.length !== 4) return `${x.shape!.length - 2}-D pooling (1-D and 2-D only)`;
    if (node.outputs.length > 1 && node.outputs[1] !== '') return 'the Indices output';
    if (node.op === 'AveragePool' && attrInts(node, 'dilations', []).some((d) => d !== 1)) return 'dilated AveragePool';
    return null;
  },
  lower(ctx) {
    const x = ctx.input(0)!, y = ctx.output(0), node = ctx.node;
    const p = pool2d(node, x.shape, y.shape);
    const desc = Int32Array.from([p.H, p.W, p.OH, p.OW, ...p.k, ...p.s, ...p.pads, ...p.d]);
    const pd = ctx.weight(desc, `${node.name}:pool`);
    const NC = x.shape[0] * x.shape[1];
    if (node.op === 'MaxPool') return call(ctx, 'maxpool2d_f32', [x.ptr, y.ptr, NC, pd]);
    return call(ctx, 'avgpool2d_f32', [x.ptr, y.ptr, NC, pd, attrInt(node, 'count_include_pad', 0)]);
  },
};

const globalPoolLowering: OpLowering = {
  ops: ['GlobalAveragePool', 'GlobalMaxPool'],
  unsupported(node, g) {
    const x = valueOf(g, node.inputs[0]);
    return runtimeDType(x.dtype) === 'float32' ? null : `${x.dtype} input (float only)`;
  },
  lower(ctx) {
    const x = ctx.input(0)!, y = ctx.output(0);
    const S = elems(x.shape.slice(2));
    const NC = x.shape[0] * x.shape[1];
    if (ctx.node.op === 'GlobalMaxPool') return call(ctx, 'reduce_max_f32', [x.ptr, y.ptr, NC, S, 1, f32Lit(1)]);
    return call(ctx, 'reduce_sum_f32', [x.ptr, y.ptr, NC, S, 1, f32Lit(1 / S)]);
  },
};

export const poolLowerings: OpLowering[] = [poolLowering, globalPoolLowering];
