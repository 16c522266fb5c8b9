// Lowering of Conv (1-D and 2-D, NCHW) onto assembly/conv.ts.
//
// - Depthwise (group == Cin, so one input channel per group; any channel multiplier):
//   dwconv2d_f32, a direct kernel on the raw weights [Cout][kh][kw].
// - Everything else: conv2d_f32, weights·im2col with the weights packed offline into 4-row
//   panels per group (compiler/pack/dense.ts) and im2col fused into the run-time packing; a
//   1x1 stride-1 unpadded conv skips im2col inside the kernel. Groups and the batch loop run
//   inside the kernel.
// Conv1D is the 2-D case with H = 1. Pads: explicit, or from auto_pad (SAME_UPPER puts the odd
// pad at the end, SAME_LOWER at the start, VALID none); the kernels take the begin pads and the
// output size. Bias (constant or computed) and the fused activation (attrs act, act_alpha,
// act_beta) run in the kernel epilogue. Weights computed at run time (rare; ONNX's own tests)
// are packed into scratch before the call by gemm_pack_a_f32, one call per group.
import type { Graph, Node } from '../../ir/graph.js';
import { attrInt, attrInts, attrString, valueOf } from '../../ir/graph.js';
import type { OpLowering } from '../lower.js';
import { runtimeDType } from '../plan.js';
import { selectKernel } from '../kernels/registry.js';
import { convScratchBytes, dwconvScratchBytes } from '../kernels/gemm-blocking.js';
import { packConvWeight, packedLength } from '../../pack/dense.js';
import { SparsecError } from '../../errors.js';
import { actArgs, addr } from './matmul.js';
import { chooseWeightFormat } from './sparse.js';
import { lowerConvCSR } from './csr.js';
import { packConvWeightNM } from '../../pack/nm.js';
import { convNMScratchBytes } from '../kernels/gemm-blocking.js';

/** A Conv or ConvTranspose node's geometry in 2-D terms (1-D: H = 1, kh = 1). */
export interface ConvGeometry {
  N: number; C: number; H: number; W: number; Cout: number; Ho: number; Wo: number;
  kh: number; kw: number; sh: number; sw: number; dh: number; dw: number; G: number;
  /** begin pads (top, left); end pads follow from the output size */
  pt: number; pl: number;
}

/** begin pad of one spatial axis from auto_pad (for Conv: SAME_* keep ceil(in / stride) outputs) */
export function autoPadBegin(mode: string, total: number): number {
  if (total <= 0) return 0;
  return mode === 'SAME_LOWER' ? Math.ceil(total / 2) : Math.floor(total / 2);
}

export function convGeometry(node: Node, g: Graph): ConvGeometry | string {
  const x = valueOf(g, node.inputs[0]).shape, w = valueOf(g, node.inputs[1]).shape, y = valueOf(g, node.outputs[0]).shape;
  if (!x || !w || !y) return 'unknown shapes';
  const sp = x.length - 2;
  if (sp !== 1 && sp !== 2) return `${sp}-D convolution (1-D and 2-D only)`;
  const transpose = node.op === 'ConvTranspose';
  const G = attrInt(node, 'group', 1);
  const k = attrInts(node, 'kernel_shape', w.slice(2));
  const s = attrInts(node, 'strides', new Array(sp).fill(1));
  const d = attrInts(node, 'dilations', new Array(sp).fill(1));
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  const ins = x.slice(2), outs = y.slice(2);
  const begin: number[] = [];
  for (let i = 0; i < sp; i++) {
    const ext = (k[i] - 1) * d[i] + 1;
    if (!transpose) {
      if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') begin.push(autoPadBegin(autoPad, (outs[i] - 1) * s[i] + ext - ins[i]));
      else if (autoPad === 'VALID') begin.push(0);
      else begin.push(attrInts(node, 'pads', new Array(2 * sp).fill(0))[i]);
    } else {
      const outPad = attrInts(node, 'output_padding', new Array(sp).fill(0))[i];
      const explicitShape = node.attrs.output_shape !== undefined;
      if (autoPad === 'VALID') begin.push(0);
      else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER' || explicitShape) {
        // ONNX spec and onnxruntime: SAME_UPPER puts the odd pad at the end, otherwise at the
        // start; an output_shape larger than the full result adds zeros at the end
        const total = s[i] * (ins[i] - 1) + outPad + ext - outs[i];
        begin.push(total <= 0 ? 0 : autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : total - Math.floor(total / 2));
      } else begin.push(attrInts(node, 'pads', new Array(2 * sp).fill(0))[i]);
    }
  }
  const two = (v: number[], one: number) => (sp === 1 ? [one, v[0]] : v);
  const [H, W] = two(ins, 1), [Ho, Wo] = two(outs, 1), [kh, kw] = two(k, 1), [sh, sw] = two(s, 1), [dh, dw] = two(d, 1), [pt, pl] = two(begin, 0);
  return { N: x[0], C: x[1], H, W, Cout: y[1], Ho, Wo, kh, kw, sh, sw, dh, dw, G, pt, pl };
}

function checkFloat(node: Node, g: Graph, inputs: number[]): string | null {
  for (const i of inputs) {
    const name = node.inputs[i] ?? '';
    if (name === '') continue;
    const v = valueOf(g, name);
    if (runtimeDType(v.dtype) !== 'float32') return `${v.dtype} input ${i} (float32 only)`;
  }
  return null;
}

export const isDepthwise = (c: ConvGeometry) => c.G === c.C && c.G > 1 && c.Cout % c.C === 0;

/** what Conv and ConvTranspose cannot lower: non-float operands, odd geometry or groups */
export function convUnsupported(node: Node, g: Graph): string | null {
  const bad = checkFloat(node, g, [0, 1, 2]);
  if (bad) return bad;
  const c = convGeometry(node, g);
  if (typeof c === 'string') return c;
  if (c.C % c.G !== 0 || c.Cout % c.G !== 0) return `group ${c.G} does not divide the channels`;
  return null;
}

export const convLowering: OpLowering = {
  ops: ['Conv'],
  unsupported: convUnsupported,
  lower(ctx) {
    const { node, graph } = ctx;
    const c = convGeometry(node, graph);
    if (typeof c === 'string') throw new SparsecError('E_UNSUPPORTED', c);
    const x = ctx.input(0)!, y = ctx.output(0);
    const wT = ctx.constant(1);
    const w = !wT ? null : wT.data instanceof Float32Array ? wT.data : Float32Array.from(wT.data as ArrayLike<number>, Number);
    const bias = (node.inputs[2] ?? '') !== '' ? ctx.input(2)!.ptr : '0';
    const act = actArgs(node).join(', ');
    const geo = `${c.kh}, ${c.kw}, ${c.sh}, ${c.sw}, ${c.pt}, ${c.pl}, ${c.dh}, ${c.dw}`;
    if (isDepthwise(c)) {
      const v = selectKernel('dwconv2d', ctx.target)!;
      ctx.useKernel(v.id);
      const wp = w ? ctx.weight(w, `${node.name}:W`) : ctx.input(1)!.ptr;
      const scratch = ctx.scratch(dwconvScratchBytes(c.Ho, c.Wo, c.kh, c.kw, c.sh, c.sw, c.dh, c.dw), `${node.name}:padded plane`);
      return `k.${v.fn}(${x.ptr}, ${c.N}, ${c.C}, ${c.H}, ${c.W}, ${wp}, ${y.ptr}, ${c.Cout}, ${c.Ho}, ${c.Wo}, ${geo}, ${bias}, ${act}, ${scratch});`;
    }
    const Cg = c.C / c.G, Mg = c.Cout / c.G, K = Cg * c.kh * c.kw;
    if (w) {
      // rows of W[Cout][Cin_g*kh*kw] are contiguous: N:M groups run along Cin_g*kh*kw
      const f = chooseWeightFormat(ctx.target, { data: w, rowStride: K, kStride: 1 }, c.Cout, K, c.Ho * c.Wo, null);
      ctx.weightFormat?.(f);
      if (f.csr) return lowerConvCSR(ctx, w, c.Cout, Cg, c.kh, c.kw, c.G, c.Ho * c.Wo, `${x.ptr}, ${c.N}, ${c.C}, ${c.H}, ${c.W}`, `${y.ptr}, ${c.Cout}, ${c.Ho}, ${c.Wo}, ${geo}, ${c.G}, ${bias}, ${act}`);
      const nm = f.nm ? selectKernel('conv2d_nm', ctx.target, f.format) : null;
      if (nm && f.nm) {
        ctx.useKernel(nm.id);
        const pk = packConvWeightNM(w, c.Cout, Cg, c.kh, c.kw, c.G, node.name, f.nm);
        const wv = ctx.weight(pk.values, `${node.name}:W ${f.format} values`), wo = ctx.weight(pk.offsets, `${node.name}:W ${f.format} offsets`);
        const scratch = ctx.scratch(convNMScratchBytes(c.Ho * c.Wo, K), `${node.name}:im2col`);
        return `k.${nm.fn}(${x.ptr}, ${c.N}, ${c.C}, ${c.H}, ${c.W}, ${wv}, ${wo}, ${y.ptr}, ${c.Cout}, ${c.Ho}, ${c.Wo}, ${geo}, ${c.G}, ${bias}, ${act}, ${scratch});`;
      }
    }
    const v = selectKernel('conv2d', ctx.target)!;
    ctx.useKernel(v.id);
    const pre: string[] = [];
    let wp: string;
    if (w) wp = ctx.weight(packConvWeight(w, c.Cout, Cg, c.kh, c.kw, c.G), `${node.name}:W`);
    else {
      const per = packedLength(Mg, K, 4), wRef = ctx.input(1)!;
      wp = ctx.scratch(per * c.G * 4, `${node.name}:packed W`);
      const pk = selectKernel('pack_a', ctx.target)!;
      ctx.useKernel(pk.id);
      for (let g = 0; g < c.G; g++) pre.push(`k.${pk.fn}(${Mg}, ${K}, ${addr(wRef.ptr, g * Mg * K * 4)}, ${K}, 1, ${addr(wp, g * per * 4)});`);
    }
    const scratch = ctx.scratch(convScratchBytes(c.Ho * c.Wo, K), `${node.name}:im2col`);
    return pre.map((l) => l + '\n').join('') + `k.${v.fn}(${x.ptr}, ${c.N}, ${c.C}, ${c.H}, ${c.W}, ${wp}, ${y.ptr}, ${c.Cout}, ${c.Ho}, ${c.Wo}, ${geo}, ${c.G}, ${bias}, ${act}, ${scratch});`;
  },
};
