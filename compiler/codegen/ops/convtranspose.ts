// Lowering of ConvTranspose (1-D and 2-D, NCHW, groups, dilations, output_padding,
// output_shape, auto_pad) onto conv_transpose2d_f32: per chunk of input positions a GEMM of
// the transposed weights (packed offline into 4-row panels, rows = (co, dy, dx)) with the
// input, then col2im scatter-adds into the output, which starts as the bias. Correct for every
// geometry; the scalar col2im makes it slower per flop than Conv (PP-OCR's detector has two small
// 2x2 stride-2 ones). Weights computed at run time are packed into scratch first.
import type { OpLowering } from '../lower.js';
import { selectKernel } from '../kernels/registry.js';
import { convTransposeScratchBytes } from '../kernels/gemm-blocking.js';
import { packConvTransposeWeight, packedLength } from '../../pack/dense.js';
import { SparsecError } from '../../errors.js';
import { actArgs, addr } from './matmul.js';
import { convGeometry, convUnsupported } from './conv.js';

export const convTransposeLowering: OpLowering = {
  ops: ['ConvTranspose'],
  unsupported: convUnsupported,
  lower(ctx) {
    const { node, graph } = ctx;
    const c = convGeometry(node, graph);
    if (typeof c === 'string') throw new SparsecError('E_UNSUPPORTED', c);
    const x = ctx.input(0)!, y = ctx.output(0);
    const wT = ctx.constant(1);
    const Cg = c.C / c.G, Cog = c.Cout / c.G, Mg = Cog * c.kh * c.kw;
    const pre: string[] = [];
    let wp: string;
    if (wT) {
      const w = wT.data instanceof Float32Array ? wT.data : Float32Array.from(wT.data as ArrayLike<number>, Number);
      wp = ctx.weight(packConvTransposeWeight(w, c.C, Cog, c.kh, c.kw, c.G), `${node.name}:W`);
    } else {
      // A_g[m][ci] = W[g*Cg + ci][m]: rows stride 1, depth stride Mg
      const per = packedLength(Mg, Cg, 4), wRef = ctx.input(1)!;
      wp = ctx.scratch(per * c.G * 4, `${node.name}:packed W`);
      const pk = selectKernel('pack_a', ctx.target)!;
      ctx.useKernel(pk.id);
      for (let g = 0; g < c.G; g++) pre.push(`k.${pk.fn}(${Mg}, ${Cg}, ${addr(wRef.ptr, g * Cg * Mg * 4)}, 1, ${Mg}, ${addr(wp, g * per * 4)});`);
    }
    const bias = (node.inputs[2] ?? '') !== '' ? ctx.input(2)!.ptr : '0';
    const scratch = ctx.scratch(convTransposeScratchBytes(c.H * c.W, Cg, Mg), `${node.name}:cols`);
    const v = selectKernel('conv_transpose2d', ctx.target)!;
    ctx.useKernel(v.id);
    return pre.map((l) => l + '\n').join('') + `k.${v.fn}(${x.ptr}, ${c.N}, ${c.C}, ${c.H}, ${c.W}, ${wp}, ${y.ptr}, ${c.Cout}, ${c.Ho}, ${c.Wo}, ` +
      `${c.kh}, ${c.kw}, ${c.sh}, ${c.sw}, ${c.pt}, ${c.pl}, ${c.dh}, ${c.dw}, ${c.G}, ${bias}, ${actArgs(node).join(', ')}, ${scratch});`;
  },
};
