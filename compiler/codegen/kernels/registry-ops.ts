// Registry rows for the non-GEMM kernels (assembly/elementwise.ts, reduce.ts, normalize.ts,
// layout.ts, pool.ts, resize.ts), spread into KERNELS in ./registry.ts. They have no weight
// format or register tile: `format` is 'dense' and `tile` null. A function whose body branches on
// ASC_FEATURE_SIMD gets a simd128 row and a scalar row; a scalar-only function gets one row.
// Their tests are test/kernels/<file>.test.ts (hand-written references per calling convention).
import type { Target } from '../target.js';
import type { KernelVariant } from './registry.js';

function rows(kind: string, fns: string[], simd: boolean, note: string): KernelVariant[] {
  return fns.flatMap((fn) => [
    ...(simd ? [{ id: `${fn}.dense.direct.simd`, kind, format: 'dense', tile: null, features: ['simd128'], fn, priority: 1, note } as KernelVariant] : []),
    { id: `${fn}.dense.direct.scalar`, kind, format: 'dense', tile: null, features: [], fn, priority: 0, note } as KernelVariant,
  ]);
}

const unaryF32 = [
  'relu', 'leaky_relu', 'sigmoid', 'hard_sigmoid', 'hard_swish', 'tanh', 'erf', 'gelu', 'gelu_tanh', 'exp', 'log', 'sqrt',
  'reciprocal', 'neg', 'abs', 'floor', 'ceil', 'round', 'sign', 'clip', 'softplus', 'elu', 'selu', 'square', 'cube', 'powc',
  'swish', 'softsign', 'thresholded_relu', 'affine', 'celu', 'shrink',
].map((o) => `ew_${o}_f32`);

export const OP_KERNELS: KernelVariant[] = [
  ...rows('unary', unaryF32, true, 'y = f(x) over n floats; optional f32 parameters'),
  ...rows('binary', ['add', 'sub', 'mul', 'div', 'pow', 'max', 'min', 'prelu'].map((o) => `ew_${o}_f32`), true,
    'y = a op b, numpy broadcasting through a 6-D descriptor (0: same shape)'),
  ...rows('binary', [
    ...['add', 'sub', 'mul', 'div', 'max', 'min', 'mod', 'fmod', 'equal', 'less', 'greater', 'less_equal', 'greater_equal'].map((o) => `ew_${o}_i32`),
    'ew_fmod_f32',
    ...['equal', 'less', 'greater', 'less_equal', 'greater_equal'].map((o) => `ew_${o}_f32`),
    ...['equal', 'and', 'or', 'xor'].map((o) => `ew_${o}_u8`),
  ], false, 'int32 arithmetic, comparisons and logic (uint8 results), broadcasting, scalar'),
  ...rows('unary_any', ['ew_isnan_f32', 'ew_isinf_f32', 'ew_not_u8', 'cast_f32_i32', 'cast_i32_f32', 'cast_u8_f32', 'cast_u8_i32', 'cast_f32_bool', 'cast_i32_bool',
    'cast_u8_bool', 'cast_f32_u8', 'cast_i32_u8'], false, 'Not and Cast between run-time dtypes'),
  ...rows('where', ['ew_where_32'], true, 'Where(cond u8, x, y) on 4-byte elements, broadcasting; SIMD rows when cond is contiguous'),
  ...rows('copy', ['copy_bytes'], true, 'byte copy for the identities the planner cannot alias'),
  ...rows('reduce', ['sum', 'sumsq', 'l1', 'max', 'min', 'prod'].map((o) => `reduce_${o}_f32`), true,
    'fold [outer, r, inner] along r, times a scale (ReduceMean: 1/r)'),
  ...rows('reduce', ['reduce_logsumexp_f32', 'argmax_f32', 'argmin_f32'], false, 'log-sum-exp and arg-reductions along r'),
  ...rows('softmax', ['hardmax_f32'], false, 'Hardmax over n of [outer, n, inner]'),
  ...rows('cumsum', ['cumsum_f32', 'cumsum_i32'], false, 'CumSum along n of [outer, n, inner], exclusive and reverse'),
  ...rows('softmax', ['softmax_f32', 'log_softmax_f32'], true, 'softmax over n of [outer, n, inner]: rows or 4 columns at a time'),
  ...rows('layernorm', ['layernorm_f32'], true, 'LayerNormalization over rows, per-element scale and bias, optional mean/invstd outputs'),
  ...rows('groupnorm', ['groupnorm_f32'], true, 'Group/InstanceNormalization over [N, G*cpg, S], per-channel scale and bias'),
  ...rows('channel_affine', ['channel_affine_f32', 'batchnorm_f32'], true, 'inference BatchNormalization: per-channel affine (folded or at run time)'),
  ...rows('strided_copy', ['strided_copy_32', 'strided_copy_8'], true, 'contiguous y = x through a 6-D signed-stride descriptor (Transpose, Slice, Expand, Tile, DepthToSpace)'),
  ...rows('transpose2d', ['transpose2d_32'], true, 'batched matrix transpose, 4x4 shuffles in 32x32 tiles'),
  ...rows('copy2d', ['copy2d'], true, 'rows x bytes block copy between strided layouts (Concat, Split)'),
  ...rows('fill2d', ['fill2d'], true, 'rows x bytes block fill with a 4-byte pattern (constant Concat operands)'),
  ...rows('gather', ['gather'], true, 'Gather along an axis with int32 indices, any dtype'),
  ...rows('gather', ['gather_elements_32'], false, 'GatherElements on 4-byte data'),
  ...rows('trilu', ['trilu_32'], false, 'Trilu upper/lower with diagonal offset k over batched matrices'),
  ...rows('pad', ['pad_32'], true, 'Pad constant/reflect/edge/wrap, negative pads crop, 4-byte data'),
  ...rows('pool2d', ['maxpool2d_f32', 'avgpool2d_f32'], true, 'NCHW 2-D pooling: SIMD over 4 interior output columns (stride 1 or 2), scalar borders'),
  ...rows('resize', ['resize_f32'], true, 'separable Resize of the last two axes from compile-time tap tables (nearest, linear, cubic)'),
  ...rows('resize_nearest_int', ['resize_nearest_int_f32'], true, 'nearest upsampling by integer factors: lane duplication and row copies'),
  ...rows('resize_linear2x', ['resize_linear2x_f32'], true, 'bilinear 2x with half-pixel centres: SIMD row blend, shuffled column expansion'),
];

/** The registry id a lowering records for an exported non-GEMM kernel on a target. */
export function opKernelId(fn: string, target: Target): string {
  const simd = target.features.simd && OP_KERNELS.some((r) => r.fn === fn && r.features.includes('simd128'));
  return `${fn}.dense.direct.${simd ? 'simd' : 'scalar'}`;
}
