// Lowering of MatMul and Gemm onto the dense GEMM kernels of assembly/gemm.ts.
//
// Three paths, by which operand is a constant:
//   - B constant (linear layers X·W, Gemm with a weight): W is packed offline into 8-column
//     panels (compiler/pack/dense.ts), with Gemm's alpha folded in, and gemm_f32_pb reads the
//     activations in place. Leading batch dims of A fold into M (one call for [B,T,K]·[K,N]).
//     With a single activation row, gemv_f32 (assembly/gemv.ts) reads the same panels instead.
//   - A constant, B computed: A is packed offline into 4-row panels, gemm_f32_pa.
//   - both computed (attention Q·Kᵀ, P·V): gemm_f32 packs both per block at run time; a
//     transposed operand is read through strides, so a Transpose before it could be folded.
// MatMul also takes internal attrs transA/transB (last two dims swapped; see gemmShape).
// Batched MatMul follows numpy broadcasting of the leading dims: batches whose offsets are
// affine in one index become one call (batch count and strides, 0 = broadcast); other batch
// patterns become one call per outer index.
// Bias: Gemm's C as a per-column, per-row or full-matrix bias in the kernel's first K block
// (constant C is scaled by beta and expanded offline; a computed C with beta != 1, and a
// computed A·B with alpha != 1, are scaled into scratch first). Fused activation (attrs act, act_alpha,
// act_beta) is applied in the kernel epilogue.
import type { Graph, Node, Tensor } from '../../ir/graph.js';
import { attrFloat, attrInt, numel, valueOf } from '../../ir/graph.js';
import type { LowerCtx, OpLowering } from '../lower.js';
import { runtimeDType } from '../plan.js';
import { f32Lit } from './args.js';
import { selectKernel } from '../kernels/registry.js';
import { gemmScratchBytes } from '../kernels/gemm-blocking.js';
import { packLeftWeight, packMatMulWeight, packedLength } from '../../pack/dense.js';
import { SparsecError } from '../../errors.js';
import { chooseWeightFormat } from './sparse.js';
import { lowerMatMulCSR } from './csr.js';
import { matMulWeightSource, packMatMulWeightNM, packNMGemv } from '../../pack/nm.js';
import { gemvNMScratchBytes, nmScratchBytes } from '../kernels/gemm-blocking.js';
import { call } from './args.js';

const BIAS_NONE = 0, BIAS_ROW = 1, BIAS_COL = 2, BIAS_FULL = 3, BIAS_SCALAR = 4;

/** act, alpha, beta of a fused activation as kernel arguments */
export function actArgs(node: Node): string[] {
  return [String(attrInt(node, 'act', 0)), f32Lit(attrFloat(node, 'act_alpha', 0)), f32Lit(attrFloat(node, 'act_beta', 0))];
}

/** `ptr + bytes` as an AssemblyScript expression */
export function addr(ptr: string, bytes: number): string {
  return bytes === 0 ? ptr : `(${ptr} + ${bytes})`;
}

export const floatData = (t: Tensor): Float32Array => t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>, Number);

export interface BatchCall { count: number; offA: number; offB: number; offC: number; sA: number; sB: number; sC: number }

/** Calls that cover the output batch `out` (numpy broadcasting of aBatch and bBatch), with
 *  element offsets and strides: matrices of aMat, bMat, cMat elements. Output dims of size 1
 *  are skipped; inner dims whose strides chain merge into one strided call; the remaining
 *  outer dims are enumerated. */
export function batchCalls(out: number[], aBatch: number[], aMat: number, bBatch: number[], bMat: number, cMat: number): BatchCall[] {
  const r = out.length;
  const stridesOf = (shape: number[], mat: number): number[] => {
    const s = new Array<number>(r).fill(0);
    let acc = mat;
    for (let i = shape.length - 1, d = r - 1; i >= 0; i--, d--) {
      s[d] = shape[i] === 1 ? 0 : acc;
      acc *= shape[i];
    }
    return s;
  };
  const sa = stridesOf(aBatch, aMat), sb = stridesOf(bBatch, bMat), sc = stridesOf(out, cMat);
  const dims = out.map((_, d) => d).filter((d) => out[d] > 1);
  let k = dims.length, S = 1, gA = 0, gB = 0, gC = cMat;
  if (k > 0) {
    const d = dims[--k];
    S = out[d]; gA = sa[d]; gB = sb[d]; gC = sc[d];
    while (k > 0) {
      const e = dims[k - 1];
      if (sa[e] !== S * gA || sb[e] !== S * gB || sc[e] !== S * gC) break;
      S *= out[e];
      k--;
    }
  }
  const outer = dims.slice(0, k);
  const calls: BatchCall[] = [];
  const idx = new Array<number>(outer.length).fill(0);
  for (;;) {
    let offA = 0, offB = 0, offC = 0;
    outer.forEach((d, j) => { offA += idx[j] * sa[d]; offB += idx[j] * sb[d]; offC += idx[j] * sc[d]; });
    calls.push({ count: S, offA, offB, offC, sA: gA, sB: gB, sC: gC });
    let j = outer.length - 1;
    while (j >= 0 && ++idx[j] === out[outer[j]]) idx[j--] = 0;
    if (j < 0) break;
  }
  return calls;
}

function broadcastBatch(a: number[], b: number[]): number[] | null {
  const r = Math.max(a.length, b.length), out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1, y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** The GEMM a MatMul or Gemm node computes, in kernel terms. */
interface GemmShape {
  M: number; N: number; K: number; transA: boolean; transB: boolean;
  aBatch: number[]; bBatch: number[]; outBatch: number[];
}

function gemmShape(node: Node, g: Graph): GemmShape | string {
  const a = valueOf(g, node.inputs[0]).shape, b = valueOf(g, node.inputs[1]).shape;
  if (!a || !b) return 'unknown input shapes';
  if (node.op === 'Gemm') {
    if (a.length !== 2 || b.length !== 2) return 'Gemm inputs must be 2-D';
    const transA = attrInt(node, 'transA', 0) !== 0, transB = attrInt(node, 'transB', 0) !== 0;
    const [M, K] = transA ? [a[1], a[0]] : a;
    const [K2, N] = transB ? [b[1], b[0]] : b;
    if (K !== K2) return `inner dimensions differ (${K} vs ${K2})`;
    return { M, N, K, transA, transB, aBatch: [], bBatch: [], outBatch: [] };
  }
  if (a.length === 0 || b.length === 0) return 'MatMul of a scalar';
  // internal attributes (not ONNX): transA/transB swap the last two dims of a 2-D+ operand, for
  // a pass that folds a Transpose into the MatMul; the kernels read the operand through strides
  const transA = a.length >= 2 && attrInt(node, 'transA', 0) !== 0, transB = b.length >= 2 && attrInt(node, 'transB', 0) !== 0;
  const last2 = (s: number[], t: boolean): [number, number] => (t ? [s[s.length - 1], s[s.length - 2]] : [s[s.length - 2], s[s.length - 1]]);
  const [M, K] = a.length === 1 ? [1, a[0]] : last2(a, transA);
  const [K2, N] = b.length === 1 ? [b[0], 1] : last2(b, transB);
  if (K !== K2) return `inner dimensions differ (${K} vs ${K2})`;
  const aBatch = a.slice(0, -2), bBatch = b.slice(0, -2);
  const outBatch = broadcastBatch(aBatch, bBatch);
  if (!outBatch) return `batch dimensions [${aBatch}] and [${bBatch}] do not broadcast`;
  return { M, N, K, transA, transB, aBatch, bBatch, outBatch };
}

/** bias mode of Gemm's C (after unidirectional broadcast to [M, N]) and whether it must be expanded */
function gemmBiasKind(c: number[], M: number, N: number): 'scalar' | 'col' | 'row' | 'full' | null {
  const dims = c.slice();
  while (dims.length < 2) dims.unshift(1);
  if (dims.length > 2) return null;
  const [m, n] = dims;
  if (m === 1 && n === 1) return 'scalar';
  if (m === 1 && n === N) return 'col';
  if (m === M && n === 1) return 'row';
  if (m === M && n === N) return 'full';
  return null;
}

function scaleCopy(ctx: LowerCtx, src: string, dst: string, n: number, s: number): string {
  const v = selectKernel('scale_copy', ctx.target)!;
  ctx.useKernel(v.id);
  return `k.${v.fn}(${src}, ${dst}, ${n}, ${f32Lit(s)});`;
}

export const matmulLowering: OpLowering = {
  ops: ['MatMul', 'Gemm'],
  unsupported(node, g) {
    for (const i of [0, 1]) {
      const v = g.values.get(node.inputs[i] ?? '');
      if (!v) return `input ${i} is missing`;
      if (runtimeDType(v.dtype) !== 'float32') return `${v.dtype} operands (float32 only)`;
    }
    const s = gemmShape(node, g);
    if (typeof s === 'string') return s;
    if (node.op === 'Gemm') {
      const cName = node.inputs[2] ?? '';
      if (cName !== '') {
        const c = valueOf(g, cName);
        if (runtimeDType(c.dtype) !== 'float32') return `${c.dtype} C (float32 only)`;
        if (!gemmBiasKind(c.shape ?? [], s.M, s.N)) return `C of shape [${c.shape}] does not broadcast to [${s.M}, ${s.N}]`;
      }
    }
    return null;
  },
  lower(ctx) {
    const { node, graph } = ctx;
    const s = gemmShape(node, graph);
    if (typeof s === 'string') throw new SparsecError('E_UNSUPPORTED', s);
    const { M, N, K, transA, transB } = s;
    const y = ctx.output(0);
    const alpha = node.op === 'Gemm' ? attrFloat(node, 'alpha', 1) : 1;
    const act = actArgs(node);
    const target = ctx.target;

    const pre: string[] = [];
    // bias (Gemm's C)
    let biasPtr = '0', biasMode = BIAS_NONE;
    const cName = node.op === 'Gemm' ? node.inputs[2] ?? '' : '';
    if (cName !== '') {
      const beta = attrFloat(node, 'beta', 1);
      const cT = ctx.constant(2);
      const kind = gemmBiasKind(cT ? cT.shape : ctx.input(2)!.shape, M, N)!;
      if (cT) {
        const c = floatData(cT);
        if (kind === 'scalar') {
          biasMode = BIAS_COL;
          biasPtr = ctx.weight(new Float32Array(N).fill(c[0] * beta), `${node.name}:bias`);
        } else {
          biasMode = kind === 'col' ? BIAS_COL : kind === 'row' ? BIAS_ROW : BIAS_FULL;
          biasPtr = ctx.weight(c.map((v) => v * beta), `${node.name}:bias`);
        }
      } else {
        const cRef = ctx.input(2)!;
        biasMode = kind === 'scalar' ? BIAS_SCALAR : kind === 'col' ? BIAS_COL : kind === 'row' ? BIAS_ROW : BIAS_FULL;
        biasPtr = cRef.ptr;
        if (beta !== 1) {
          const n = numel(cRef.shape);
          biasPtr = ctx.scratch(n * 4, `${node.name}:beta*C`);
          pre.push(scaleCopy(ctx, cRef.ptr, biasPtr, n, beta));
        }
      }
    }

    const bConst = ctx.constant(1), aConst = bConst ? null : ctx.constant(0);
    const a_rs = transA ? 1 : K, a_cs = transA ? M : 1, b_rs = transB ? 1 : N, b_cs = transB ? K : 1;
    const lines: string[] = pre;

    if (bConst) {
      const w = floatData(bConst);
      const nB = numel(s.bBatch), per = packedLength(N, K, 8);
      // N:M weights: Yᵀ[N][rows] = Wᵀ·Xᵀ, so that the N:M groups run along K of each output
      // feature and the kernel vectorises over the rows of X (read transposed while packing);
      // the kernel writes Yᵀ into scratch with the bias per row and the activation, then one
      // transpose (O(rows·N), small next to the O(rows·N·K) product) gives Y.
      const rows = numel(s.outBatch) * M;
      const blocker = nB !== 1 ? 'batched weights' : transA ? 'A is transposed'
        : biasMode === BIAS_ROW || biasMode === BIAS_FULL || biasMode === BIAS_SCALAR ? 'a per-row or full-matrix bias' : null;
      const wSrc = matMulWeightSource(w, K, N, transB);
      const f = chooseWeightFormat(target, wSrc, N, K, rows, blocker, true);
      ctx.weightFormat?.(f);
      if (f.csr) return [...pre, lowerMatMulCSR(ctx, f, wSrc, K, N, rows, alpha, ctx.input(0)!.ptr, y.ptr, biasPtr, act)].join('\n');
      const gv = f.nm && f.gemv ? selectKernel('gemv_nm', target, f.format) : null;
      if (gv && f.nm) {
        // a few activation rows (decode steps): y_r = W·x_r per row, bias and act in the kernel
        ctx.useKernel(gv.id);
        const pk = packNMGemv(wSrc, N, K, node.name, alpha, f.nm);
        const rec = ctx.weight(pk.records, `${node.name}:W ${f.format} GEMV records`);
        const x = ctx.input(0)!, scratch = ctx.scratch(gemvNMScratchBytes(pk.KB, pk.m), `${node.name}:x table`);
        for (let r = 0; r < rows; r++) {
          lines.push(`k.${gv.fn}(${N}, ${K}, ${pk.KB}, ${rec}, ${addr(x.ptr, r * K * 4)}, ${addr(y.ptr, r * N * 4)}, ${biasPtr}, ${act.join(', ')}, ${scratch});`);
        }
        return lines.join('\n');
      }
      const nm = f.nm && !f.gemv ? selectKernel('gemm_nm', target, f.format) : null;
      if (nm && f.nm) {
        ctx.useKernel(nm.id);
        const pk = packMatMulWeightNM(w, K, N, transB, alpha, node.name, f.nm);
        const wv = ctx.weight(pk.values, `${node.name}:W ${f.format} values`), wo = ctx.weight(pk.offsets, `${node.name}:W ${f.format} offsets`);
        const x = ctx.input(0)!;
        const yt = ctx.scratch(N * rows * 4, `${node.name}:Yᵀ`), scratch = ctx.scratch(nmScratchBytes(rows, K), `${node.name}:gemm_nm`);
        return [...pre,
          `k.${nm.fn}(${N}, ${rows}, ${K}, ${wv}, ${wo}, ${x.ptr}, 1, ${K}, ${yt}, ${rows}, ${biasPtr}, ${act.join(', ')}, ${scratch});`,
          call(ctx, 'transpose2d_32', [yt, y.ptr, 1, N, rows])].join('\n');
      }
      // one activation row (a decode step, batch 1): the GEMV streams the same B panels once,
      // without the 4-row tiles of which the GEMM would pad 3; its bias is per output column
      const dv = rows === 1 && nB === 1 && (biasMode === BIAS_NONE || biasMode === BIAS_COL || biasMode === BIAS_FULL) ? selectKernel('gemv', target) : null;
      const v = dv ?? selectKernel('gemm_pb', target)!;
      ctx.useKernel(v.id);
      const packed = new Float32Array(per * nB);
      for (let t = 0; t < nB; t++) packed.set(packMatMulWeight(w, K, N, transB, alpha, t * K * N), t * per);
      const wp = ctx.weight(packed, `${node.name}:B`);
      const x = ctx.input(0)!;
      if (dv) return [...pre, `k.${dv.fn}(${N}, ${K}, ${wp}, ${x.ptr}, ${y.ptr}, ${biasPtr}, ${act.join(', ')});`].join('\n');
      if (nB === 1 && !transA) {
        // leading dims of A fold into M: rows of A and of Y are contiguous
        const rows = numel(s.outBatch) * M;
        const scratch = ctx.scratch(gemmScratchBytes('pb', rows, N, K), `${node.name}:gemm`);
        return [...pre, `k.${v.fn}(1, ${rows}, ${N}, ${K}, ${x.ptr}, 0, ${a_rs}, ${a_cs}, ${wp}, 0, ${y.ptr}, 0, ${N}, ${biasPtr}, ${biasMode}, ${act.join(', ')}, ${scratch});`].join('\n');
      }
      const scratch = ctx.scratch(gemmScratchBytes('pb', M, N, K), `${node.name}:gemm`);
      for (const c of batchCalls(s.outBatch, s.aBatch, M * K, s.bBatch, K * N, M * N)) {
        const bo = (c.offB / (K * N)) * per, bs = (c.sB / (K * N)) * per;
        lines.push(`k.${v.fn}(${c.count}, ${M}, ${N}, ${K}, ${addr(x.ptr, c.offA * 4)}, ${c.sA}, ${a_rs}, ${a_cs}, ${addr(wp, bo * 4)}, ${bs}, ${addr(y.ptr, c.offC * 4)}, ${c.sC}, ${N}, ${biasPtr}, ${biasMode}, ${act.join(', ')}, ${scratch});`);
      }
      return lines.join('\n');
    }

    const bRef = ctx.input(1)!;
    if (aConst) {
      const v = selectKernel('gemm_pa', target)!;
      ctx.useKernel(v.id);
      const a = floatData(aConst);
      const nA = numel(s.aBatch), per = packedLength(M, K, 4);
      const packed = new Float32Array(per * nA);
      for (let t = 0; t < nA; t++) packed.set(packLeftWeight(a, M, K, transA, alpha, t * M * K), t * per);
      const ap = ctx.weight(packed, `${node.name}:A`);
      const scratch = ctx.scratch(gemmScratchBytes('pa', M, N, K), `${node.name}:gemm`);
      for (const c of batchCalls(s.outBatch, s.aBatch, M * K, s.bBatch, K * N, M * N)) {
        const ao = (c.offA / (M * K)) * per, as = (c.sA / (M * K)) * per;
        lines.push(`k.${v.fn}(${c.count}, ${M}, ${N}, ${K}, ${addr(ap, ao * 4)}, ${as}, ${addr(bRef.ptr, c.offB * 4)}, ${c.sB}, ${b_rs}, ${b_cs}, ${addr(y.ptr, c.offC * 4)}, ${c.sC}, ${N}, ${biasPtr}, ${biasMode}, ${act.join(', ')}, ${scratch});`);
      }
      return lines.join('\n');
    }

    const v = selectKernel('gemm', target)!;
    ctx.useKernel(v.id);
    const aRef = { ...ctx.input(0)! };
    if (alpha !== 1) {
      const n = numel(aRef.shape), ptr = ctx.scratch(n * 4, `${node.name}:alpha*A`);
      pre.push(scaleCopy(ctx, aRef.ptr, ptr, n, alpha));
      aRef.ptr = ptr;
    }
    const scratch = ctx.scratch(gemmScratchBytes('gemm', M, N, K), `${node.name}:gemm`);
    for (const c of batchCalls(s.outBatch, s.aBatch, M * K, s.bBatch, K * N, M * N)) {
      lines.push(`k.${v.fn}(${c.count}, ${M}, ${N}, ${K}, ${addr(aRef.ptr, c.offA * 4)}, ${c.sA}, ${a_rs}, ${a_cs}, ${addr(bRef.ptr, c.offB * 4)}, ${c.sB}, ${b_rs}, ${b_cs}, ${addr(y.ptr, c.offC * 4)}, ${c.sC}, ${N}, ${biasPtr}, ${biasMode}, ${act.join(', ')}, ${scratch});`);
    }
    return lines.join('\n');
  },
};

