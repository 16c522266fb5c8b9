// Lowerings of elementwise ops onto assembly/elementwise.ts: unary maps, broadcasting binary
// ops (variadic Sum/Mean/Max/Min as a chain), comparisons and logic, Where, Cast.
// Every op here is safe in place (output over an input of the output's shape).
import type { Graph, Node } from '../../ir/graph.js';
import { attrFloat, attrInt, attrString, valueOf } from '../../ir/graph.js';
import type { LowerCtx, OpLowering, TensorRef } from '../lower.js';
import { runtimeDType } from '../plan.js';
import { bytesOf, call, constInput, elems, f32Lit } from './args.js';
import { broadcastDescriptor } from './strided.js';

const rt = (g: Graph, name: string) => runtimeDType(valueOf(g, name).dtype);

// ---- unary ----
interface UnarySpec { kernel: string; params?: (n: Node) => number[] }

const UNARY: Record<string, UnarySpec> = {
  Relu: { kernel: 'ew_relu_f32' },
  LeakyRelu: { kernel: 'ew_leaky_relu_f32', params: (n) => [attrFloat(n, 'alpha', 0.01)] },
  Sigmoid: { kernel: 'ew_sigmoid_f32' },
  HardSigmoid: { kernel: 'ew_hard_sigmoid_f32', params: (n) => [attrFloat(n, 'alpha', 0.2), attrFloat(n, 'beta', 0.5)] },
  HardSwish: { kernel: 'ew_hard_swish_f32' },
  Tanh: { kernel: 'ew_tanh_f32' },
  Erf: { kernel: 'ew_erf_f32' },
  Exp: { kernel: 'ew_exp_f32' },
  Log: { kernel: 'ew_log_f32' },
  Sqrt: { kernel: 'ew_sqrt_f32' },
  Reciprocal: { kernel: 'ew_reciprocal_f32' },
  Neg: { kernel: 'ew_neg_f32' },
  Abs: { kernel: 'ew_abs_f32' },
  Floor: { kernel: 'ew_floor_f32' },
  Ceil: { kernel: 'ew_ceil_f32' },
  Round: { kernel: 'ew_round_f32' },
  Sign: { kernel: 'ew_sign_f32' },
  Softplus: { kernel: 'ew_softplus_f32' },
  Softsign: { kernel: 'ew_softsign_f32' },
  Elu: { kernel: 'ew_elu_f32', params: (n) => [attrFloat(n, 'alpha', 1)] },
  Selu: { kernel: 'ew_selu_f32', params: (n) => [attrFloat(n, 'alpha', 1.67326319217681884765625), attrFloat(n, 'gamma', 1.05070102214813232421875)] },
  ThresholdedRelu: { kernel: 'ew_thresholded_relu_f32', params: (n) => [attrFloat(n, 'alpha', 1)] },
  Swish: { kernel: 'ew_swish_f32', params: (n) => [attrFloat(n, 'alpha', 1)] },
  Celu: { kernel: 'ew_celu_f32', params: (n) => [attrFloat(n, 'alpha', 1)] },
  Shrink: { kernel: 'ew_shrink_f32', params: (n) => [attrFloat(n, 'lambd', 0.5), attrFloat(n, 'bias', 0)] },
};

const unaryLowering: OpLowering = {
  ops: [...Object.keys(UNARY), 'Gelu'],
  unsupported(node, g) {
    if (rt(g, node.inputs[0]) !== 'float32') return `${valueOf(g, node.inputs[0]).dtype} input (float only)`;
    if (node.op === 'Gelu' && !['none', 'tanh'].includes(attrString(node, 'approximate', 'none'))) return `approximate='${attrString(node, 'approximate', '')}'`;
    return null;
  },
  lower(ctx) {
    const x = ctx.input(0)!, y = ctx.output(0), node = ctx.node;
    if (node.op === 'Gelu') {
      const kernel = attrString(node, 'approximate', 'none') === 'tanh' ? 'ew_gelu_tanh_f32' : 'ew_gelu_f32';
      return call(ctx, kernel, [x.ptr, y.ptr, elems(y.shape)]);
    }
    const spec = UNARY[node.op];
    return call(ctx, spec.kernel, [x.ptr, y.ptr, elems(y.shape), ...(spec.params?.(node) ?? []).map(f32Lit)]);
  },
};

/** Clip bounds as f32 expressions: attributes before opset 11, optional inputs after (a bound
 *  computed at run time is read from memory when the kernel is called). */
function clipBounds(ctx: LowerCtx): [string, string] {
  const node = ctx.node;
  if (ctx.graph.opset < 11 || node.attrs.min !== undefined || node.attrs.max !== undefined) {
    return [f32Lit(attrFloat(node, 'min', -Infinity)), f32Lit(attrFloat(node, 'max', Infinity))];
  }
  const bound = (i: number, dflt: number): string => {
    const c = constInput(ctx, i);
    if (c) return f32Lit(c[0]);
    const t = ctx.input(i);
    return t ? `load<f32>${t.ptr}` : f32Lit(dflt);
  };
  return [bound(1, -Infinity), bound(2, Infinity)];
}

const clipLowering: OpLowering = {
  ops: ['Clip'],
  unsupported(node, g) {
    if (rt(g, node.inputs[0]) !== 'float32') return `${valueOf(g, node.inputs[0]).dtype} input (float only)`;
    return null;
  },
  lower(ctx) {
    const [lo, hi] = clipBounds(ctx);
    const x = ctx.input(0)!, y = ctx.output(0);
    return call(ctx, 'ew_clip_f32', [x.ptr, y.ptr, elems(y.shape), lo, hi]);
  },
};

// ---- binary, with broadcasting ----
const FLOAT_BINARY: Record<string, string> = {
  Add: 'ew_add_f32', Sub: 'ew_sub_f32', Mul: 'ew_mul_f32', Div: 'ew_div_f32', Pow: 'ew_pow_f32',
  Max: 'ew_max_f32', Min: 'ew_min_f32', Sum: 'ew_add_f32', Mean: 'ew_add_f32', PRelu: 'ew_prelu_f32',
};
const INT_BINARY: Record<string, string> = {
  Add: 'ew_add_i32', Sub: 'ew_sub_i32', Mul: 'ew_mul_i32', Div: 'ew_div_i32', Max: 'ew_max_i32', Min: 'ew_min_i32', Sum: 'ew_add_i32',
};
const COMPARE: Record<string, Partial<Record<'float32' | 'int32' | 'uint8', string>>> = {
  Equal: { float32: 'ew_equal_f32', int32: 'ew_equal_i32', uint8: 'ew_equal_u8' },
  Less: { float32: 'ew_less_f32', int32: 'ew_less_i32' },
  Greater: { float32: 'ew_greater_f32', int32: 'ew_greater_i32' },
  LessOrEqual: { float32: 'ew_less_equal_f32', int32: 'ew_less_equal_i32' },
  GreaterOrEqual: { float32: 'ew_greater_equal_f32', int32: 'ew_greater_equal_i32' },
  And: { uint8: 'ew_and_u8' }, Or: { uint8: 'ew_or_u8' }, Xor: { uint8: 'ew_xor_u8' },
};

function binaryKernel(op: string, dtype: string, node?: Node): string | undefined {
  if (op in COMPARE) return COMPARE[op][dtype as 'float32'];
  if (op === 'Mod') {
    // fmod = 0 (integers only): the sign of the divisor; fmod = 1: the sign of the dividend
    const fmod = node ? attrInt(node, 'fmod', 0) : 0;
    return dtype === 'int32' ? (fmod ? 'ew_fmod_i32' : 'ew_mod_i32') : dtype === 'float32' && fmod ? 'ew_fmod_f32' : undefined;
  }
  return dtype === 'float32' ? FLOAT_BINARY[op] : dtype === 'int32' ? INT_BINARY[op] : undefined;
}

/** y = a op b, broadcast to y's shape */
function binaryCall(ctx: LowerCtx, kernel: string, a: TensorRef, b: TensorRef, y: TensorRef): string {
  const d = broadcastDescriptor(y.shape, [a.shape, b.shape]);
  const descPtr = d === 'same' ? '0' : ctx.weight(d!, `${ctx.node.name}:broadcast`);
  return call(ctx, kernel, [a.ptr, b.ptr, y.ptr, elems(y.shape), descPtr]);
}

/** A constant scalar exponent of Pow that has a cheaper kernel. */
function powFastPath(ctx: LowerCtx, e: number, x: TensorRef, y: TensorRef): string {
  const n = elems(y.shape);
  switch (e) {
    case 1: return call(ctx, 'copy_bytes', [x.ptr, y.ptr, n * 4]);
    case 2: return call(ctx, 'ew_square_f32', [x.ptr, y.ptr, n]);
    case 3: return call(ctx, 'ew_cube_f32', [x.ptr, y.ptr, n]);
    case 0.5: return call(ctx, 'ew_sqrt_f32', [x.ptr, y.ptr, n]);
    case -1: return call(ctx, 'ew_reciprocal_f32', [x.ptr, y.ptr, n]);
    default: return call(ctx, 'ew_powc_f32', [x.ptr, y.ptr, n, f32Lit(e)]);
  }
}

const binaryLowering: OpLowering = {
  ops: [...new Set([...Object.keys(FLOAT_BINARY), ...Object.keys(COMPARE), 'Mod'])],
  unsupported(node, g) {
    const dtype = rt(g, node.inputs[0]);
    if (!binaryKernel(node.op, dtype, node)) return `${valueOf(g, node.inputs[0]).dtype} inputs${node.op === 'Mod' ? ` with fmod=${attrInt(node, 'fmod', 0)}` : ''}`;
    if (node.inputs.length < 1 || node.inputs.some((i) => i === '')) return 'omitted input';
    const out = valueOf(g, node.outputs[0]).shape!;
    for (const x of node.inputs) {
      if (broadcastDescriptor(out, [out, valueOf(g, x).shape!]) === null) return 'broadcast over more than 6 merged dimensions';
    }
    return null;
  },
  lower(ctx) {
    const node = ctx.node, y = ctx.output(0);
    const inputs = node.inputs.map((_, i) => ctx.input(i)!);
    const kernel = binaryKernel(node.op, inputs[0].dtype, node)!;
    if (node.op === 'Pow') {
      const e = constInput(ctx, 1);
      if (e && e.length === 1 && elems(inputs[0].shape) === elems(y.shape)) return powFastPath(ctx, e[0], inputs[0], y);
      if (inputs[1].dtype !== 'float32') {
        // an integer exponent tensor: its values as float32, from the constant or converted now
        const ptr = e ? ctx.weight(Float32Array.from(e), `${node.name}:exponent`) : ctx.scratch(elems(inputs[1].shape) * 4, `${node.name}:exponent`);
        const conv = e ? [] : [call(ctx, inputs[1].dtype === 'int32' ? 'cast_i32_f32' : 'cast_u8_f32', [inputs[1].ptr, ptr, elems(inputs[1].shape)])];
        inputs[1] = { ...inputs[1], dtype: 'float32', ptr };
        return [...conv, binaryCall(ctx, kernel, inputs[0], inputs[1], y)].join('\n');
      }
    }
    if (inputs.length === 1) return call(ctx, 'copy_bytes', [inputs[0].ptr, y.ptr, bytesOf(y)]);
    // variadic ops fold left into the output: y = x0 op x1; y = y op x2; ...
    const lines = [binaryCall(ctx, kernel, inputs[0], inputs[1], y)];
    for (let i = 2; i < inputs.length; i++) lines.push(binaryCall(ctx, kernel, y, inputs[i], y));
    if (node.op === 'Mean') lines.push(call(ctx, 'ew_affine_f32', [y.ptr, y.ptr, elems(y.shape), f32Lit(1 / inputs.length), f32Lit(0)]));
    return lines.join('\n');
  },
};

const notLowering: OpLowering = {
  ops: ['Not'],
  unsupported: (node, g) => (rt(g, node.inputs[0]) === 'uint8' ? null : 'non-bool input'),
  lower(ctx) {
    const x = ctx.input(0)!, y = ctx.output(0);
    return call(ctx, 'ew_not_u8', [x.ptr, y.ptr, elems(y.shape)]);
  },
};

const isLowering: OpLowering = {
  ops: ['IsNaN', 'IsInf'],
  unsupported: (node, g) => (rt(g, node.inputs[0]) === 'float32' ? null : 'non-float input'),
  lower(ctx) {
    const x = ctx.input(0)!, y = ctx.output(0), n = elems(y.shape);
    if (ctx.node.op === 'IsNaN') return call(ctx, 'ew_isnan_f32', [x.ptr, y.ptr, n]);
    return call(ctx, 'ew_isinf_f32', [x.ptr, y.ptr, n, attrInt(ctx.node, 'detect_positive', 1), attrInt(ctx.node, 'detect_negative', 1)]);
  },
};

const whereLowering: OpLowering = {
  ops: ['Where'],
  unsupported(node, g) {
    if (rt(g, node.inputs[1]) === 'uint8') return 'bool/uint8 branches';
    const out = valueOf(g, node.outputs[0]).shape!;
    if (broadcastDescriptor(out, node.inputs.map((x) => valueOf(g, x).shape!)) === null) return 'broadcast over more than 6 merged dimensions';
    return null;
  },
  lower(ctx) {
    const [c, x, z] = [0, 1, 2].map((i) => ctx.input(i)!);
    const y = ctx.output(0);
    const d = broadcastDescriptor(y.shape, [c.shape, x.shape, z.shape]);
    const descPtr = d === 'same' ? '0' : ctx.weight(d!, `${ctx.node.name}:broadcast`);
    return call(ctx, 'ew_where_32', [c.ptr, x.ptr, z.ptr, y.ptr, elems(y.shape), descPtr]);
  },
};

/** Cast, and CastLike (the target dtype is the output's, fixed by shape inference) */
const castLowering: OpLowering = {
  ops: ['Cast', 'CastLike'],
  unsupported(node, g) {
    const to = valueOf(g, node.outputs[0]).dtype;
    if (!['float32', 'float64', 'float16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool'].includes(to)) return `cast to ${to} (code ${attrInt(node, 'to', 0)})`;
    return null;
  },
  lower(ctx) {
    const x = ctx.input(0)!, y = ctx.output(0), n = elems(y.shape);
    const to = valueOf(ctx.graph, ctx.node.outputs[0]).dtype;
    const from = x.dtype;
    if (to === 'bool') {
      if (from === 'uint8') return call(ctx, 'cast_u8_bool', [x.ptr, y.ptr, n]);
      return call(ctx, from === 'float32' ? 'cast_f32_bool' : 'cast_i32_bool', [x.ptr, y.ptr, n]);
    }
    if (from === y.dtype) return call(ctx, 'copy_bytes', [x.ptr, y.ptr, bytesOf(y)]);
    const kernel = `cast_${{ float32: 'f32', int32: 'i32', uint8: 'u8' }[from]}_${{ float32: 'f32', int32: 'i32', uint8: 'u8' }[y.dtype]}`;
    return call(ctx, kernel, [x.ptr, y.ptr, n]);
  },
};

export const elementwiseLowerings: OpLowering[] = [unaryLowering, clipLowering, binaryLowering, notLowering, isLowering, whereLowering, castLowering];
