// Lowerings of LayerNormalization, InstanceNormalization, GroupNormalization and inference-mode
// BatchNormalization onto assembly/normalize.ts. All are safe in place.
//
// Scale and bias that broadcast (a LayerNorm scale of shape [1] or [1, C] over two normalised
// axes) are expanded to full length at compile time when they are constants.
// BatchNormalization's four constant parameter tensors fold into one per-channel (a, b) pair
// here (batchnorm_f32 does the same at run time when they are not constants).
import type { Graph, Node } from '../../ir/graph.js';
import { attrFloat, attrInt, isConst, valueOf } from '../../ir/graph.js';
import type { LowerCtx, OpLowering, TensorRef } from '../lower.js';
import { runtimeDType } from '../plan.js';
import { call, constInput, elems, f32Lit } from './args.js';
import { broadcastStrides, normAxis } from './strided.js';

const floatInput = (node: Node, g: Graph): string | null =>
  runtimeDType(valueOf(g, node.inputs[0]).dtype) === 'float32' ? null : `${valueOf(g, node.inputs[0]).dtype} input (float only)`;

/** A constant broadcast to `shape`, flattened (row-major). */
function expandConst(data: number[], from: number[], shape: number[]): Float32Array {
  const st = broadcastStrides(from, shape);
  const out = new Float32Array(elems(shape));
  for (let i = 0; i < out.length; i++) {
    let r = i, off = 0;
    for (let d = shape.length - 1; d >= 0; d--) {
      off += (r % shape[d]) * st[d];
      r = Math.floor(r / shape[d]);
    }
    out[i] = data[off];
  }
  return out;
}

/** Pointer to a parameter of `n` floats laid out as `shape`: the tensor itself when it already
 *  has n elements, else its constant data expanded. null when omitted. */
function fullParam(ctx: LowerCtx, i: number, shape: number[], label: string): string | null {
  const t = ctx.input(i);
  if (!t) return null;
  if (elems(t.shape) === elems(shape)) return t.ptr;
  return ctx.weight(expandConst(constInput(ctx, i)!, t.shape, shape), label);
}

const layerNormLowering: OpLowering = {
  ops: ['LayerNormalization'],
  unsupported(node, g) {
    const bad = floatInput(node, g);
    if (bad) return bad;
    const x = valueOf(g, node.inputs[0]).shape!;
    const axis = normAxis(attrInt(node, 'axis', -1), x.length);
    const n = elems(x.slice(axis));
    for (const i of [1, 2]) {
      const name = node.inputs[i] ?? '';
      if (name !== '' && elems(valueOf(g, name).shape!) !== n && !isConst(g, name)) return 'scale/bias broadcast at run time';
    }
    return null;
  },
  lower(ctx) {
    const node = ctx.node, x = ctx.input(0)!, y = ctx.output(0);
    const axis = normAxis(attrInt(node, 'axis', -1), x.shape.length);
    const norm = x.shape.slice(axis);
    const rows = elems(x.shape.slice(0, axis)), n = elems(norm);
    const scale = fullParam(ctx, 1, norm, `${node.name}:scale`)!;
    const bias = fullParam(ctx, 2, norm, `${node.name}:bias`) ?? '0';
    const extra = (i: number) => (node.outputs[i] ? ctx.output(i).ptr : '0');
    return call(ctx, 'layernorm_f32', [x.ptr, scale, bias, y.ptr, rows, n, f32Lit(attrFloat(node, 'epsilon', 1e-5)), extra(1), extra(2)]);
  },
};

/** N, C, S of an [N, C, ...spatial] tensor */
function ncs(x: TensorRef): [number, number, number] {
  return [x.shape[0], x.shape[1] ?? 1, elems(x.shape.slice(2))];
}

const groupNormLowering: OpLowering = {
  ops: ['InstanceNormalization', 'GroupNormalization'],
  unsupported(node, g) {
    const bad = floatInput(node, g);
    if (bad) return bad;
    if (node.op === 'GroupNormalization') {
      const C = valueOf(g, node.inputs[0]).shape![1];
      const G = attrInt(node, 'num_groups', 1);
      if (C % G) return `num_groups ${G} does not divide ${C} channels`;
      const sc = valueOf(g, node.inputs[1]).shape!;
      // opset 18 had per-group scale/bias; 21 made them per-channel
      if (elems(sc) !== C && !(elems(sc) === G && isConst(g, node.inputs[1]) && isConst(g, node.inputs[2]))) return 'per-group scale/bias computed at run time';
    }
    return null;
  },
  lower(ctx) {
    const node = ctx.node, x = ctx.input(0)!, y = ctx.output(0);
    const [N, C, S] = ncs(x);
    const G = node.op === 'GroupNormalization' ? attrInt(node, 'num_groups', 1) : C;
    let scale = ctx.input(1)!.ptr, bias = ctx.input(2)!.ptr;
    if (elems(ctx.input(1)!.shape) !== C) {
      // per-group parameters (opset 18): repeat them for each channel of the group
      const per = (i: number) => Float32Array.from({ length: C }, (_, c) => constInput(ctx, i)![Math.floor(c / (C / G))]);
      scale = ctx.weight(per(1), `${node.name}:scale`);
      bias = ctx.weight(per(2), `${node.name}:bias`);
    }
    return call(ctx, 'groupnorm_f32', [x.ptr, scale, bias, y.ptr, N, G, C / G, S, f32Lit(attrFloat(node, 'epsilon', 1e-5))]);
  },
};

const batchNormLowering: OpLowering = {
  ops: ['BatchNormalization'],
  unsupported(node, g) {
    const bad = floatInput(node, g);
    if (bad) return bad;
    if (attrInt(node, 'training_mode', 0)) return 'training_mode=1';
    if (node.outputs.slice(1).some((o) => o !== '')) return 'running statistics outputs (training)';
    return null;
  },
  lower(ctx) {
    const node = ctx.node, x = ctx.input(0)!, y = ctx.output(0);
    const [N, C, S] = ncs(x);
    const eps = attrFloat(node, 'epsilon', 1e-5);
    if (![1, 2, 3, 4].every((i) => ctx.constant(i))) {
      const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => ctx.input(i)!.ptr);
      return call(ctx, 'batchnorm_f32', [x.ptr, scale, bias, mean, variance, y.ptr, N, C, S, f32Lit(eps)]);
    }
    const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => constInput(ctx, i)!);
    const a = new Float32Array(C), b = new Float32Array(C);
    for (let c = 0; c < C; c++) {
      a[c] = scale[c] / Math.sqrt(variance[c] + Math.fround(eps));
      b[c] = bias[c] - mean[c] * a[c];
    }
    const pa = ctx.weight(a, `${node.name}:a`), pb = ctx.weight(b, `${node.name}:b`);
    return call(ctx, 'channel_affine_f32', [x.ptr, pa, pb, y.ptr, N, C, S]);
  },
};

export const normalizeLowerings: OpLowering[] = [layerNormLowering, groupNormLowering, batchNormLowering];
