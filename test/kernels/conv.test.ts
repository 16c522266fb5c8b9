// Convolution kernels (every registry row of kind conv2d, dwconv2d, conv_transpose2d) against
// float64 references of the ONNX definitions, on both targets: kernel sizes 1 to 7, strides 1
// to 3, symmetric and asymmetric pads, dilations, groups, depthwise with channel multipliers,
// batches, widths around the vector lengths, blocks larger than KC and NC, bias and activation.
// Guards around the output and after the scratch area catch out-of-bounds writes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kernelModule, type KernelModule, guardsIntact, putGuarded, testedOn } from '../helpers/kernels.js';
import { ACT_CASES, checkClose, conv2dRef, convOutShape, convTransposeRef, randArray, type ConvParams } from '../helpers/dense.js';
import { KERNELS } from '../../compiler/codegen/kernels/registry.js';
import { convScratchBytes, convTransposeScratchBytes, dwconvScratchBytes } from '../../compiler/codegen/kernels/gemm-blocking.js';
import { packConvTransposeWeight, packConvWeight } from '../../compiler/pack/dense.js';
import { loadTarget } from '../../compiler/codegen/target.js';

// wasm-relaxed-simd: only the rows whose body differs there (fused multiply-add, assembly/fma.ts)
const TARGETS = ['wasm-simd128', 'wasm-mvp', 'wasm-relaxed-simd'];

type Case = Partial<ConvParams> & { C: number; Cout: number; H: number; W: number; k: number | [number, number]; act?: number; bias?: boolean; outPad?: number };

function params(c: Case): ConvParams {
  const [kh, kw] = typeof c.k === 'number' ? [c.k, c.k] : c.k;
  return {
    N: c.N ?? 1, C: c.C, H: c.H, W: c.W, Cout: c.Cout, kh, kw,
    sh: c.sh ?? 1, sw: c.sw ?? c.sh ?? 1, pt: c.pt ?? 0, pl: c.pl ?? c.pt ?? 0, pb: c.pb ?? c.pt ?? 0, pr: c.pr ?? c.pl ?? c.pt ?? 0,
    dh: c.dh ?? 1, dw: c.dw ?? c.dh ?? 1, G: c.G ?? 1,
  };
}

const ACT = (c: Case) => ACT_CASES[c.act ?? 0];

function runConv(m: KernelModule, kind: string, fn: string, c: Case, seed: number): string | null {
  m.reset();
  const p = params(c);
  const { act, alpha, beta } = ACT(c);
  const x = randArray(p.N * p.C * p.H * p.W, seed);
  const bias = c.bias === false ? null : randArray(p.Cout, seed + 2);
  const pX = m.put(x), pBias = bias ? m.put(bias) : 0;
  let ref, outLen, pY, pS = 0, sBytes = 0;
  const what = `${fn} ${JSON.stringify(c)}`;
  if (kind === 'conv_transpose2d') {
    const w = randArray(p.C * (p.Cout / p.G) * p.kh * p.kw, seed + 1);
    const Ho = (p.H - 1) * p.sh - p.pt - p.pb + (p.kh - 1) * p.dh + 1 + (c.outPad ?? 0);
    const Wo = (p.W - 1) * p.sw - p.pl - p.pr + (p.kw - 1) * p.dw + 1 + (c.outPad ?? 0);
    ref = convTransposeRef(p, Ho, Wo, x, w, bias);
    outLen = p.N * p.Cout * Ho * Wo;
    pY = putGuarded(m, outLen);
    sBytes = convTransposeScratchBytes(p.H * p.W, p.C / p.G, (p.Cout / p.G) * p.kh * p.kw);
    pS = putGuarded(m, sBytes / 4);
    const pW = m.put(packConvTransposeWeight(w, p.C, p.Cout / p.G, p.kh, p.kw, p.G));
    m.k[fn](pX, p.N, p.C, p.H, p.W, pW, pY, p.Cout, Ho, Wo, p.kh, p.kw, p.sh, p.sw, p.pt, p.pl, p.dh, p.dw, p.G, pBias, act, alpha, beta, pS);
  } else {
    const [Ho, Wo] = convOutShape(p);
    const w = randArray(p.Cout * (p.C / p.G) * p.kh * p.kw, seed + 1);
    ref = conv2dRef(p, x, w, bias);
    outLen = p.N * p.Cout * Ho * Wo;
    pY = putGuarded(m, outLen);
    if (kind === 'dwconv2d') {
      const pW = m.put(w);
      sBytes = dwconvScratchBytes(Ho, Wo, p.kh, p.kw, p.sh, p.sw, p.dh, p.dw);
      pS = putGuarded(m, sBytes / 4);
      m.k[fn](pX, p.N, p.C, p.H, p.W, pW, pY, p.Cout, Ho, Wo, p.kh, p.kw, p.sh, p.sw, p.pt, p.pl, p.dh, p.dw, pBias, act, alpha, beta, pS);
    } else {
      sBytes = convScratchBytes(Ho * Wo, (p.C / p.G) * p.kh * p.kw);
      pS = putGuarded(m, sBytes / 4);
      const pW = m.put(packConvWeight(w, p.Cout, p.C / p.G, p.kh, p.kw, p.G));
      m.k[fn](pX, p.N, p.C, p.H, p.W, pW, pY, p.Cout, Ho, Wo, p.kh, p.kw, p.sh, p.sw, p.pt, p.pl, p.dh, p.dw, p.G, pBias, act, alpha, beta, pS);
    }
  }
  if (!guardsIntact(m, pY, outLen)) return `${what}: wrote outside Y`;
  if (pS && !guardsIntact(m, pS, sBytes / 4)) return `${what}: wrote outside its scratch`;
  return checkClose(m.f32(pY, outLen), ref, what, 1e-5, 1e-6, act, alpha, beta);
}

const CONV: Case[] = [
  { C: 3, Cout: 5, H: 7, W: 9, k: 3, pt: 1 },
  { C: 4, Cout: 6, H: 9, W: 11, k: 3, sh: 2, pt: 1, act: 1 },
  { C: 5, Cout: 7, H: 5, W: 6, k: 1 },                                  // pointwise path
  { C: 3, Cout: 4, H: 7, W: 7, k: 1, sh: 2 },
  { C: 2, Cout: 3, H: 12, W: 13, k: 5, pt: 2, dh: 2, act: 6 },
  { C: 3, Cout: 5, H: 8, W: 9, k: [3, 2], sh: 2, sw: 1, pt: 0, pb: 2, pl: 1, pr: 0 },
  { C: 4, Cout: 6, H: 6, W: 7, k: 3, pt: 1, G: 2, act: 4 },
  { C: 6, Cout: 9, H: 5, W: 5, k: 3, G: 3, bias: false },
  { C: 3, Cout: 4, H: 6, W: 5, k: 3, pt: 1, N: 2, act: 2 },
  { C: 3, Cout: 8, H: 20, W: 20, k: 7, sh: 2, pt: 3 },                  // stem
  { C: 8, Cout: 16, H: 6, W: 56, k: 3, pt: 1, act: 8 },                 // wide rows: vector im2col
  { C: 4, Cout: 5, H: 7, W: 12, k: 3, pt: 1 },                          // Wo % 8 == 4
  { C: 4, Cout: 5, H: 9, W: 20, k: 3, sh: 2, pt: 1 },                   // stride-2 vector im2col
  { C: 40, Cout: 9, H: 24, W: 24, k: 3, pt: 1, act: 7 },                // K > KC, P > NC
  { C: 3, Cout: 4, H: 1, W: 20, k: [1, 3], pl: 1 },                     // Conv1D as 2-D
  { C: 2, Cout: 3, H: 10, W: 11, k: 3, sh: 3, pt: 2 },                  // stride 3, pad > half kernel
  { C: 2, Cout: 3, H: 4, W: 4, k: 5, pt: 3 },                           // kernel larger than input
  { C: 16, Cout: 33, H: 3, W: 3, k: 1, act: 9 },                        // 1x1 on tiny maps
  // B panels from a padded plane (stride 1 along the width, SIMD builds): one-run, two-run and
  // gathered panels, strides along the height, dilations, uneven pads, non-square kernels, odd
  // widths, several NC and KC blocks, groups, more than MC output channels; a padded 1x1 whose
  // plane does not fit (im2col)
  { C: 6, Cout: 5, H: 9, W: 10, k: 3, sh: 2, sw: 1, pt: 1, act: 1 },
  { C: 5, Cout: 6, H: 11, W: 9, k: 3, dh: 2, dw: 2, pt: 2, bias: false },
  { C: 3, Cout: 4, H: 8, W: 7, k: [3, 5], pt: 1, pl: 2, pb: 0, pr: 1, act: 3 },
  { C: 4, Cout: 5, H: 9, W: 7, k: 3, pt: 1 },                           // Wo = 7: every split panel two runs
  { C: 12, Cout: 7, H: 30, W: 23, k: 3, pt: 1, N: 2 },                  // P = 690: two NC blocks, Wo odd
  { C: 20, Cout: 6, H: 13, W: 11, k: 5, sh: 3, sw: 1, pt: 2, G: 2 },    // K = 250 per group
  { C: 30, Cout: 13, H: 17, W: 33, k: [2, 3], pt: 1, pb: 0, pl: 0, pr: 2, dh: 3, dw: 1, act: 2 }, // K = 180, P = 576
  { C: 3, Cout: 130, H: 6, W: 9, k: 3, pt: 1 },                         // Mg > MC
  { C: 5, Cout: 3, H: 5, W: 6, k: 1, pt: 1 },
];

const DW: Case[] = [
  { C: 3, Cout: 3, H: 7, W: 9, k: 3, pt: 1, G: 3 },
  { C: 4, Cout: 4, H: 9, W: 17, k: 3, sh: 2, pt: 1, G: 4, act: 1 },
  { C: 2, Cout: 2, H: 11, W: 33, k: 5, pt: 2, G: 2, act: 4 },
  { C: 2, Cout: 2, H: 11, W: 35, k: 5, sh: 2, pt: 2, G: 2 },
  { C: 2, Cout: 4, H: 6, W: 16, k: 3, pt: 1, G: 2, act: 2 },           // channel multiplier 2
  { C: 2, Cout: 2, H: 9, W: 20, k: 3, pt: 2, dh: 2, G: 2 },            // dilation
  { C: 3, Cout: 3, H: 6, W: 13, k: 3, pt: 0, pb: 1, pl: 1, pr: 0, sh: 2, G: 3, N: 2 }, // asymmetric (TF SAME)
  { C: 2, Cout: 2, H: 3, W: 1, k: 3, pt: 1, G: 2 },
  { C: 2, Cout: 2, H: 5, W: 3, k: 3, pt: 1, G: 2, bias: false },
  { C: 2, Cout: 2, H: 8, W: 8, k: 3, pt: 1, G: 2, act: 6 },
  { C: 2, Cout: 2, H: 8, W: 26, k: 3, sh: 3, pt: 1, G: 2 },            // stride 3: scalar
  { C: 2, Cout: 2, H: 8, W: 40, k: [1, 7], pl: 3, G: 2, act: 5 },
  { C: 3, Cout: 3, H: 8, W: 8, k: 3, sh: 2, pt: 0, pb: 1, pl: 0, pr: 1, G: 3 },  // BlazeFace stride-2 blocks
  { C: 2, Cout: 2, H: 9, W: 9, k: 3, sh: 2, pt: 0, G: 2 },                       // mlsd: explicit Pad, then VALID
  { C: 2, Cout: 2, H: 7, W: 10, k: 5, pt: 2, dh: 2, sh: 2, G: 2, act: 8 },       // dilation with stride 2
  { C: 1, Cout: 1, H: 1, W: 1, k: 3, pt: 1, G: 1 },                              // 1x1 map
];

const CONVT: Case[] = [
  { C: 4, Cout: 3, H: 5, W: 6, k: 2, sh: 2 },                          // PP-OCR det head
  { C: 3, Cout: 2, H: 4, W: 5, k: 3, sh: 2, pt: 1, outPad: 1, act: 1 },
  { C: 2, Cout: 3, H: 3, W: 4, k: 4, sh: 2, pt: 1 },
  { C: 4, Cout: 6, H: 3, W: 3, k: 3, sh: 1, G: 2, act: 5 },
  { C: 2, Cout: 2, H: 4, W: 4, k: 3, sh: 2, dh: 2, N: 2, bias: false },
  { C: 5, Cout: 4, H: 20, W: 17, k: 2, sh: 2, act: 1 },                 // more than one column chunk
  { C: 3, Cout: 2, H: 4, W: 9, k: 2, sh: 2, pt: 1, outPad: 1 },         // 2x2 pair path with pads
  { C: 2, Cout: 2, H: 3, W: 5, k: [3, 2], sh: 1, sw: 2, G: 2 },          // pair path, kh != kw
];

for (const targetName of TARGETS) {
  const target = loadTarget(targetName);
  const suites: [string, Case[]][] = [['conv2d', CONV], ['dwconv2d', DW], ['conv_transpose2d', CONVT]];
  for (const [kind, cases] of suites) {
    for (const v of KERNELS.filter((r) => r.kind === kind && testedOn(r, target))) {
      test(`${v.id} on ${targetName}`, async () => {
        const m = await kernelModule(targetName);
        let seed = 7;
        for (const c of cases) {
          const err = runConv(m, kind, v.fn, c, seed++);
          if (err) assert.unreachable(err);
        }
      });
    }
  }
}

test.run();
