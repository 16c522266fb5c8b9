// Lowering of DynamicChannelsMatMul (ToaSt's dynamic FFN channel selection, recognised by
// compiler/ir/patterns/dynamicChannels.ts) onto topk_ffn_f32 (assembly/topk_ffn.ts): per run,
// the k hidden units of largest mean |h| are selected and fc2 reads only their weight rows.
// W2 is packed offline as the B panels of gemm_f32_pb over all hidden units, [ceil(out/8)][hidden][8]:
// the kernel copies the selected units' 32-byte pieces into the panels of a k-deep GEMM.
import { attrInt, numel, valueOf } from '../../ir/graph.js';
import type { OpLowering } from '../lower.js';
import { selectKernel } from '../kernels/registry.js';
import { gemmScratchBytes } from '../kernels/gemm-blocking.js';
import { packMatMulWeight } from '../../pack/dense.js';
import { floatData } from './matmul.js';
import { DYNAMIC_CHANNELS_OP } from '../../ir/patterns/dynamicChannels.js';

/** scratch bytes of topk_ffn_f32 (besides gemm_f32_pb's): u64 keys and f32 scores per unit, k
 *  indices, the [rows][k] block of H, the [ceil(out/8)][k][8] panels of the selected units */
export function topkFfnScratchBytes(rows: number, hidden: number, out: number, k: number): number {
  return hidden * 12 + k * 4 + rows * k * 4 + Math.ceil(out / 8) * 8 * k * 4;
}

export const dynamicChannelsLowering: OpLowering = {
  ops: [DYNAMIC_CHANNELS_OP],
  unsupported(node, g) {
    const h = valueOf(g, node.inputs[0]).shape, w = valueOf(g, node.inputs[1]).shape;
    if (!h || !w || w.length !== 2 || h[h.length - 1] !== w[0]) return 'H and W2 shapes do not match';
    return null;
  },
  lower(ctx) {
    const { node } = ctx;
    const h = ctx.input(0)!, y = ctx.output(0), w2 = ctx.constant(1)!, b = ctx.constant(2);
    const [hidden, out] = w2.shape, rows = numel(h.shape) / hidden, k = attrInt(node, 'k', 0);
    const v = selectKernel('topk_ffn', ctx.target)!;
    ctx.useKernel(v.id);
    const wp = ctx.weight(packMatMulWeight(floatData(w2), hidden, out, false), `${node.name}:W2 panels`);
    const bp = b ? ctx.weight(floatData(b), `${node.name}:bias`) : '0';
    const scratch = ctx.scratch(topkFfnScratchBytes(rows, hidden, out, k), `${node.name}:top-k`);
    const gemm = ctx.scratch(gemmScratchBytes('pb', rows, out, k), `${node.name}:gemm`);
    return `k.${v.fn}(${rows}, ${hidden}, ${out}, ${k}, ${h.ptr}, ${wp}, ${bp}, ${y.ptr}, ${scratch}, ${gemm});`;
  },
};
