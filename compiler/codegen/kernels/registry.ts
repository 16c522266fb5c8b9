// The one kernel registry: every kernel variant the emitted code may call, as plain rows.
// Lowerings pick a variant with selectKernel(); test/kernels/* run every row against a float64
// reference on each target its features allow; compiler/bench/kernels.ts benchmarks the rows.
// A new kernel gets tests and benchmarks by being listed here (and by its `kind` being known to
// those harnesses).
//
// `kind` names a calling convention (the exported function's signature), not an ONNX op: one
// ONNX op may use several kinds (Conv: conv2d or dwconv2d) and a kind may serve several ops
// (gemm_pb: MatMul and Gemm with a constant weight).
// One AssemblyScript function compiles to a SIMD and a scalar body (ASC_FEATURE_SIMD), so most
// functions appear twice: the simd128 row and the scalar row (used by wasm-mvp builds). The id
// is what lowerings record with useKernel() and what the manifest shows.
import type { Target } from '../target.js';
import { OP_KERNELS } from './registry-ops.js';

export type KernelFeature = 'simd128' | 'relaxed-simd' | 'threads';

export interface KernelVariant {
  /** unique id, recorded in the manifest: `<fn>.<format>.<tile>.<simd|scalar>` */
  id: string;
  /** calling convention, see the header */
  kind: string;
  /** the ONNX ops whose lowerings call it (informational) */
  ops?: string[];
  /** weight storage format the kernel reads */
  format: 'dense' | string;
  /** register tile [rows, cols], or null for kernels without one */
  tile: [number, number] | null;
  /** target features the variant needs; [] runs everywhere */
  features: KernelFeature[];
  /** exported AssemblyScript function (assembly/index.ts) */
  fn: string;
  /** higher wins among the variants a target can run */
  priority: number;
  note?: string;
}

function both(kind: string, fn: string, tile: [number, number] | null, ops: string[], note: string): KernelVariant[] {
  const t = tile ? `${tile[0]}x${tile[1]}` : 'direct';
  return [
    { id: `${fn}.dense.${t}.simd`, kind, ops, format: 'dense', tile, features: ['simd128'], fn, priority: 1, note },
    { id: `${fn}.dense.${t}.scalar`, kind, ops, format: 'dense', tile, features: [], fn, priority: 0, note },
  ];
}

/** the simd128 and scalar rows of a sparse-weight kernel (format '2:4', '4:8' or 'csr') */
function sparse(format: '2:4' | '4:8' | 'csr', kind: string, fn: string, ops: string[], note: string, tile: [number, number] | null = [2, 16]): KernelVariant[] {
  const t = tile ? `${tile[0]}x${tile[1]}` : 'direct';
  return [
    { id: `${fn}.${format}.${t}.simd`, kind, ops, format, tile, features: ['simd128'], fn, priority: 1, note },
    { id: `${fn}.${format}.${t}.scalar`, kind, ops, format, tile, features: [], fn, priority: 0, note },
  ];
}

/** The wasm-relaxed-simd body of a function whose multiply-adds go through assembly/fma.ts
 *  (fused there): the row a relaxed-simd build compiles instead of the simd128 one. */
function relaxed(kind: string, fn: string, format: string, tile: [number, number] | null, ops: string[], note: string): KernelVariant {
  const t = tile ? `${tile[0]}x${tile[1]}` : 'direct';
  return { id: `${fn}.${format}.${t}.relaxed`, kind, ops, format, tile, features: ['simd128', 'relaxed-simd'], fn, priority: 2, note: `${note}; fused multiply-add (f32x4.relaxed_madd)` };
}

/** the relaxed rows of every row of these functions' simd128 rows */
const relaxedOf = (rows: KernelVariant[], fns: string[]): KernelVariant[] =>
  rows.filter((r) => fns.includes(r.fn) && r.features.length === 1 && r.features[0] === 'simd128').map((r) => relaxed(r.kind, r.fn, r.format, r.tile, r.ops ?? [], r.note ?? ''));

const BASE_KERNELS: KernelVariant[] = [
  ...both('gemm', 'gemm_f32', [4, 8], ['MatMul', 'Gemm'], 'C = A·B, both operands packed at run time (attention Q·Kᵀ, P·V)'),
  ...both('gemm_pb', 'gemm_f32_pb', [4, 8], ['MatMul', 'Gemm'], 'C = A·B, B packed offline into 8-column panels (MatMul/Gemm weights)'),
  ...both('gemv', 'gemv_f32', [1, 8], ['MatMul', 'Gemm'], 'y = W·x for one activation row (batch 1), W in the 8-column B panels of gemm_pb, read once as one stream'),
  ...both('gemm_pa', 'gemm_f32_pa', [4, 8], ['MatMul', 'Gemm'], 'C = A·B, A packed offline into 4-row panels (constant left operand)'),
  ...both('conv2d', 'conv2d_f32', [4, 8], ['Conv'], 'NCHW conv as weights·im2col, im2col blocked with the GEMM (KC x NC block: patch rows, then panels; stride 1 along the width: panels straight from a padded plane), groups and batch looped'),
  ...both('dwconv2d', 'dwconv2d_f32', null, ['Conv'], 'depthwise conv, direct on a zero-padded plane, vectorised along the output width'),
  ...both('conv_transpose2d', 'conv_transpose2d_f32', [4, 8], ['ConvTranspose'], 'ConvTranspose as Wᵀ·X then col2im'),
  // N:M sparse weights (compiler/pack/nm.ts, layout nm-rows with R = 2, NR = 16, and nm-gemv)
  ...sparse('2:4', 'gemm_nm', 'gemm_nm24_f32', ['MatMul', 'Gemm'], 'C = W·B with W 2:4 along K (values + byte offsets), B packed at run time into 16-column panels, 1x32 tiles over panel pairs (with FMA: two 1x40 sweeps per 80 columns; a last 17-20 columns 2x20, a last panel 2x16, 2x4 at the edges), per-row bias'),
  ...sparse('2:4', 'gemv_nm', 'gemv_nm24_f32', ['MatMul', 'Gemm'], 'y = W·x for one vector x (batch 1), W 2:4 in K-blocked records, x expanded per block into an L1 table (36 pair combinations per 8 k)', null),
  ...sparse('2:4', 'conv2d_nm', 'conv2d_nm24_f32', ['Conv'], 'NCHW conv as W·im2col with W 2:4 along Cin*kh*kw, im2col blocked with the GEMM (stride 1 along the width: panels straight from a padded plane; with FMA and stride 1 where the padded width drops at most 1/25: no panels, 1x40 tiles reading the plane on the padded-width grid)'),
  ...sparse('4:8', 'gemm_nm', 'gemm_nm48_f32', ['MatMul', 'Gemm'], 'C = W·B with W 4:8 along K (values + halved byte offsets), B packed at run time into 16-column panels, 1x32 tiles over panel pairs (a last 17-20 columns 2x20, a last panel 2x16, 2x4 at the edges), per-row bias'),
  ...sparse('4:8', 'gemv_nm', 'gemv_nm48_f32', ['MatMul', 'Gemm'], 'y = W·x for one vector x (batch 1), W 4:8 in K-blocked records, x expanded per block into an L1 table (70 combinations per 8 k)', null),
  ...sparse('4:8', 'conv2d_nm', 'conv2d_nm48_f32', ['Conv'], 'NCHW conv as W·im2col with W 4:8 along Cin*kh*kw, im2col blocked with the GEMM (stride 1: as the 2:4 conv, panels from a padded plane or, with FMA, none)'),
  // unstructured sparse weights (compiler/pack/csr.ts, layout csr)
  ...sparse('csr', 'gemm_csr', 'gemm_csr_f32', ['MatMul', 'Gemm'], 'C = W·B with W unstructured sparse (CSR per 256-k block, u16 byte offsets into 16-column B panels), 1x32/1x16 row tiles, per-row bias', [1, 32]),
  ...sparse('csr', 'gemv_csr', 'gemv_csr_f32', ['MatMul', 'Gemm'], 'y = W·x for one vector x (batch 1), W CSR with u16 byte offsets into x, 8 gathered nonzeros per step', null),
  ...sparse('csr', 'conv2d_csr', 'conv2d_csr_f32', ['Conv'], 'NCHW conv as W·im2col with W CSR along Cin*kh*kw, im2col blocked with the GEMM', [1, 32]),
  // ToaSt's dynamic FFN channel selection (compiler/ir/patterns/dynamicChannels.ts)
  ...both('topk_ffn', 'topk_ffn_f32', [4, 8], ['TopK', 'Gather', 'MatMul'], 'Y = H[:, sel]·W2[sel, :] + b for the k hidden units of largest mean |h| over the rows (chosen per run, ties to the lower index): the selected units\' pieces of W2\'s B panels gathered into k-deep panels, then the gemm_f32_pb micro-kernel'),
  // causal self-attention (compiler/ir/patterns/causalAttention.ts)
  ...both('attention', 'causal_attention_f32', [4, 8], ['MatMul', 'Mul', 'Where', 'Softmax'], 'Y = softmax(scale·Q·Kᵀ, causal mask j <= i + diag)·V per head: per 4 query rows only the kept score columns (n = i0 + 4 + diag), their exponentials and V\'s first n rows, scores in an L1 scratch, operands read through strides'),
  ...both('pack_a', 'gemm_pack_a_f32', null, ['Conv', 'ConvTranspose'], 'packs a matrix into 4-row A panels at run time (weights computed at run time)'),
  ...both('scale_copy', 'scale_copy_f32', null, ['Gemm'], 'y = s·x (Gemm alpha/beta on operands computed at run time)'),
  ...OP_KERNELS,
];

// the functions whose bodies call madd (assembly/fma.ts): the dense 4x8 micro-kernel's callers
// and the N:M and csr GEMM/conv kernels
const FMA_FNS = ['gemm_f32', 'gemm_f32_pb', 'gemm_f32_pa', 'conv2d_f32', 'conv_transpose2d_f32',
  'gemm_nm24_f32', 'gemv_nm24_f32', 'conv2d_nm24_f32', 'gemm_nm48_f32', 'gemv_nm48_f32', 'conv2d_nm48_f32', 'topk_ffn_f32', 'causal_attention_f32',
  'gemm_csr_f32', 'conv2d_csr_f32'];

export const KERNELS: KernelVariant[] = [...BASE_KERNELS, ...relaxedOf(BASE_KERNELS, FMA_FNS)];

const FEATURE_OF: Record<KernelFeature, (t: Target) => boolean> = {
  simd128: (t) => t.features.simd,
  'relaxed-simd': (t) => t.features.relaxedSimd,
  threads: (t) => t.features.threads,
};

/** can a build for this target run the variant? */
export function runsOn(v: KernelVariant, target: Target): boolean {
  return v.features.every((f) => FEATURE_OF[f](target));
}

/** Is `v` the body a build for this target compiles? True when the target can run it and no
 *  preferred row of the same function can (a SIMD build compiles the simd128 body of a function,
 *  never its scalar one). Tests and benchmarks run each row on these targets. */
export function compiledFor(v: KernelVariant, target: Target): boolean {
  if (!runsOn(v, target)) return false;
  return !KERNELS.some((o) => o !== v && o.fn === v.fn && o.priority > v.priority && runsOn(o, target));
}

/** The best variant of `kind` in `format` for the target, or null when none runs on it. */
export function selectKernel(kind: string, target: Target, format = 'dense', accept: (v: KernelVariant) => boolean = () => true): KernelVariant | null {
  let best: KernelVariant | null = null;
  for (const v of KERNELS) {
    if (v.kind !== kind || v.format !== format || !runsOn(v, target) || !accept(v)) continue;
    if (!best || v.priority > best.priority) best = v;
  }
  return best;
}
