// Lowering of CausalAttention (recognised by compiler/ir/patterns/causalAttention.ts) onto
// causal_attention_f32 (assembly/attention.ts). The operands' layouts become one i32 descriptor
// in the weights region: element strides of batch, head, row and column of Q, Kᵀ, V and Y,
// read through the folded Transposes (q_perm, k_perm, v_perm on the inputs, y_perm on the output).
import { attrFloat, attrInt, attrInts, stridesOf, valueOf } from '../../ir/graph.js';
import type { OpLowering } from '../lower.js';
import { selectKernel } from '../kernels/registry.js';
import { CAUSAL_ATTENTION_OP } from '../../ir/patterns/causalAttention.js';
import { f32Lit } from './args.js';

/** query rows per block of causal_attention_f32 at most (ATT_BR: 12 on FMA builds, 4 otherwise) */
const ATT_BR_MAX = 12;

/** scratch bytes of causal_attention_f32 (its header): K, V and Q panels, a block's rows of
 *  scores, its P panels, its output rows, its sums and gemm_macro_f32's staging tile */
export function attentionScratchBytes(tq: number, tk: number, d: number, dv: number, diag: number): number {
  const nmax = Math.min(tk, tq + diag), ceil = (x: number, m: number) => Math.ceil(x / m) * m;
  const ldS = ceil(nmax, 8), dv8 = ceil(dv, 8), br = ATT_BR_MAX;
  return 4 * (ldS * d + dv8 * nmax + ceil(tq, 4) * d + br * (2 * ldS + dv8 + 1) + 64);
}

/** the logical shape and element strides of an operand stored as `stored` (contiguous) and read
 *  through Transpose(perm): logical axis a is stored axis perm[a] */
function readThrough(stored: readonly number[], perm: number[] | null): { shape: number[]; strides: number[] } {
  const st = stridesOf(stored), p = perm ?? stored.map((_, i) => i);
  return { shape: p.map((a) => stored[a]), strides: p.map((a) => st[a]) };
}

/** the logical shape and strides of a result written as Transpose(Y, perm) of shape `stored`:
 *  stored axis a is logical axis perm[a] */
function writeThrough(stored: readonly number[], perm: number[] | null): { shape: number[]; strides: number[] } {
  const st = stridesOf(stored), p = perm ?? stored.map((_, i) => i);
  const shape = new Array<number>(p.length), strides = new Array<number>(p.length);
  p.forEach((l, a) => { shape[l] = stored[a]; strides[l] = st[a]; });
  return { shape, strides };
}

/** [batch, head, row, column] strides of a rank-2..4 operand (absent leading axes: stride 0) */
const four = (s: number[]): number[] => [...new Array<number>(4 - s.length).fill(0), ...s];

export const attentionLowering: OpLowering = {
  ops: [CAUSAL_ATTENTION_OP],
  unsupported(node, g) {
    const r = valueOf(g, node.inputs[0]).shape?.length ?? 0;
    if (r < 2 || r > 4) return `rank ${r} operands (2 to 4 handled)`;
    return null;
  },
  lower(ctx) {
    const { node } = ctx;
    const perm = (key: string) => (node.attrs[key] === undefined ? null : attrInts(node, key, []));
    const q = ctx.input(0)!, kt = ctx.input(1)!, v = ctx.input(2)!, y = ctx.output(0);
    const Q = readThrough(q.shape, perm('q_perm')), K = readThrough(kt.shape, perm('k_perm'));
    const V = readThrough(v.shape, perm('v_perm')), Y = writeThrough(y.shape, perm('y_perm'));
    const r = Q.shape.length, lead = [...new Array<number>(4 - r).fill(1), ...Q.shape.slice(0, r - 2)];
    const [tq, d] = Q.shape.slice(r - 2), tk = K.shape[r - 1], dv = V.shape[r - 1], diag = attrInt(node, 'diag', 0);
    const desc = Int32Array.from([lead[0], lead[1], tq, tk, d, dv, diag, ...four(Q.strides), ...four(K.strides), ...four(V.strides), ...four(Y.strides)]);
    const kern = selectKernel('attention', ctx.target)!;
    ctx.useKernel(kern.id);
    const dp = ctx.weight(desc, `${node.name}:layout`);
    const scratch = ctx.scratch(attentionScratchBytes(tq, tk, d, dv, diag), `${node.name}:panels and scores`);
    return `k.${kern.fn}(${dp}, ${f32Lit(attrFloat(node, 'scale', 1))}, ${q.ptr}, ${kt.ptr}, ${v.ptr}, ${y.ptr}, ${scratch});`;
  },
};
