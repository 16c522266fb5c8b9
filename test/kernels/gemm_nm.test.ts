// N:M sparse kernels (every registry row of kind gemm_nm, gemv_nm and conv2d_nm, 2:4 and 4:8)
// against float64 references on both targets: M and N not multiples of the 2x16 tile (narrow
// last panels, odd rows), K not a multiple of 4 or 8, sizes across the KC/MC/NC blocks, B read
// row-major and transposed, bias, activations, exact zeros (groups with fewer than N kept).
// Guards catch out-of-bounds writes. Also the N:M packing: round trips (2:4 and 4:8, both
// layouts) and the error that names a layer whose mask is not N:M.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kernelModule, type KernelModule, guardsIntact, putGuarded, testedOn } from '../helpers/kernels.js';
import { runSparseConv, runSparseGemm, type SparseConvCase, type SparseFormat, type SparseGemmCase } from '../helpers/sparse-kernels.js';
import { ACT_CASES, checkClose, matmulRef, randArray } from '../helpers/dense.js';
import { KERNELS } from '../../compiler/codegen/kernels/registry.js';
import { convNMScratchBytes, gemvNMScratchBytes, nmScratchBytes } from '../../compiler/codegen/kernels/gemm-blocking.js';
import { isNM, packConvWeightNM, packMatMulWeightNM, packNM, packNMGemv, unpackNM, unpackNMGemv, type NMPattern } from '../../compiler/pack/nm.js';
import { loadTarget } from '../../compiler/codegen/target.js';
import { isSparsecError } from '../../compiler/errors.js';

// wasm-relaxed-simd: only the rows whose body differs there (fused multiply-add, assembly/fma.ts)
const TARGETS = ['wasm-simd128', 'wasm-mvp', 'wasm-relaxed-simd'];

/** keeps the n largest |w| of every m consecutive k in each row of rows x K (a reference mask,
 *  independent of compiler/prune); every 7th row also loses one more weight (groups with fewer kept) */
function maskNM(w: Float32Array, rows: number, K: number, n: number, m: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < K; g += m) {
      const idx = [];
      for (let k = g; k < Math.min(K, g + m); k++) idx.push(k);
      idx.sort((a, b) => Math.abs(w[r * K + b]) - Math.abs(w[r * K + a]) || a - b);
      const keep = idx.slice(0, r % 7 === 3 ? n - 1 : n);
      for (const k of keep) out[r * K + k] = w[r * K + k];
    }
  }
  return out;
}

test('N:M packing round trips (2:4 and 4:8, padded rows and K)', () => {
  for (const [rows, K, n, m, R, NR] of [[1, 4, 2, 4, 2, 16], [5, 7, 2, 4, 2, 16], [6, 33, 2, 4, 4, 8], [3, 16, 4, 8, 2, 16], [9, 13, 4, 8, 4, 8]]) {
    const w = maskNM(randArray(rows * K, rows * 7 + K), rows, K, n, m);
    const p = packNM({ data: w, rowStride: K, kStride: 1 }, rows, K, { n, m }, R, NR, 'layer');
    assert.is(p.Kp % m, 0);
    assert.is(p.values.length, Math.ceil(rows / R) * R * (p.Kp / m) * n);
    assert.equal(Array.from(unpackNM(p)), Array.from(w), `${rows}x${K} ${n}:${m}`);
    assert.is(p.shift, m === 8 ? 1 : 0);
    // every offset points at a real k of its group
    const G = p.Kp / m;
    for (let i = 0; i < p.offsets.length; i++) {
      const g = Math.floor(i / (R * n)) % G;
      assert.ok(g * m + (p.offsets[i] << p.shift) / (NR * 4) < K, 'offset past K');
    }
  }
  // a transposed source (MatMul W[K][N]) packs like its transpose
  const K = 12, N = 5, wt = maskNM(randArray(N * K, 3), N, K, 2, 4), w = new Float32Array(K * N);
  for (let k = 0; k < K; k++) for (let c = 0; c < N; c++) w[k * N + c] = wt[c * K + k];
  assert.equal(Array.from(packMatMulWeightNM(w, K, N, false, 1, 'x').values), Array.from(packMatMulWeightNM(wt, K, N, true, 1, 'x').values));
});

test('N:M GEMV packing round trips (2:4 and 4:8, K blocks, padded K, groups with fewer than N kept)', () => {
  for (const pat of [{ n: 2, m: 4 }, { n: 4, m: 8 }]) {
    for (const [rows, K] of [[1, 4], [3, 7], [5, 40], [2, 256], [4, 300], [3, 600]]) {
      const w = maskNM(randArray(rows * K, rows + K), rows, K, pat.n, pat.m);
      const p = packNMGemv({ data: w, rowStride: K, kStride: 1 }, rows, K, 'gemv', 1, pat);
      assert.is(p.Kp % p.KB, 0);
      assert.ok(p.KB <= (pat.m === 8 ? 128 : 256));
      assert.is(p.records.length, (p.Kp / p.KB) * rows * (p.KB / 8 + p.KB * 2));
      assert.equal(Array.from(unpackNMGemv(p)), Array.from(w), `${pat.n}:${pat.m} ${rows}x${K}`);
    }
  }
  // a 4:8 mask that is not 2:4 (4 kept in one half) packs for 4:8 only
  const w = new Float32Array(8).fill(0); w[0] = 1; w[1] = 2; w[2] = 3; w[3] = 4;
  assert.equal(Array.from(unpackNMGemv(packNMGemv({ data: w, rowStride: 8, kStride: 1 }, 1, 8, 'x', 1, { n: 4, m: 8 }))), Array.from(w));
  try { packNMGemv({ data: w, rowStride: 8, kStride: 1 }, 1, 8, 'blocks.1.fc'); assert.unreachable('packed'); } catch (e) { assert.ok(isSparsecError(e) && /blocks\.1\.fc/.test(String(e)), String(e)); }
});

test('a mask that is not N:M is refused with the layer named', () => {
  const w = maskNM(randArray(4 * 8, 1), 4, 8, 2, 4);
  assert.ok(isNM({ data: w, rowStride: 8, kStride: 1 }, 4, 8, { n: 2, m: 4 }));
  w[2 * 8 + 5] = 1; w[2 * 8 + 6] = 1; w[2 * 8 + 7] = 1;
  assert.not.ok(isNM({ data: w, rowStride: 8, kStride: 1 }, 4, 8, { n: 2, m: 4 }));
  try {
    packNM({ data: w, rowStride: 8, kStride: 1 }, 4, 8, { n: 2, m: 4 }, 2, 16, 'blocks.0.mlp.fc1');
    assert.unreachable('no error');
  } catch (e) {
    assert.ok(isSparsecError(e), String(e));
    assert.match((e as Error).message, /blocks\.0\.mlp\.fc1/);
    assert.match((e as Error).message, /row 2, inputs 4\.\.7 hold 3 nonzeros/);
  }
});

type GemmCase = SparseGemmCase;
type ConvCase = SparseConvCase;

const patternOf = (format: string): NMPattern => (format === '4:8' ? { n: 4, m: 8 } : { n: 2, m: 4 });

const nmFormat = (pat: NMPattern): SparseFormat => ({
  mask: (w, rows, K) => maskNM(w, rows, K, pat.n, pat.m),
  packGemm(m, w, rows, K) { const pk = packMatMulWeightNM(w, K, rows, true, 1, 'test', pat); return [m.put(pk.values), m.put(pk.offsets)]; },
  packConv(m, w, p) { const pk = packConvWeightNM(w, p.Cout, p.C / p.G, p.kh, p.kw, p.G, 'conv', pat); return [m.put(pk.values), m.put(pk.offsets)]; },
  gemmScratch: nmScratchBytes,
  convScratch: convNMScratchBytes,
});
const runGemm = (m: KernelModule, fn: string, pat: NMPattern, c: GemmCase, seed: number) => runSparseGemm(m, fn, nmFormat(pat), c, seed);
const runConv = (m: KernelModule, fn: string, pat: NMPattern, c: ConvCase, seed: number) => runSparseConv(m, fn, nmFormat(pat), c, seed);

const SIZES = [1, 2, 3, 5, 17, 33];

for (const targetName of TARGETS) {
  const target = loadTarget(targetName);
  for (const v of KERNELS.filter((r) => r.kind === 'gemm_nm' && testedOn(r, target))) {
    test(`${v.id} on ${targetName}: awkward shapes`, async () => {
      const m = await kernelModule(targetName);
      let seed = 1;
      for (const M of SIZES) for (const N of [1, 5, 16, 17, 18, 19, 20, 24, 30, 40, 49]) for (const K of [1, 3, 4, 6, 9, 13, 32]) {
        const err = runGemm(m, v.fn, patternOf(v.format), { M, N, K, bias: (M + N + K) % 2 === 0, trans: (M + K) % 3 === 0 }, seed++);
        if (err) assert.unreachable(err);
      }
    });
    test(`${v.id} on ${targetName}: blocks, transposed B, bias, activations`, async () => {
      const m = await kernelModule(targetName);
      const cases: GemmCase[] = [
        { M: 133, N: 530, K: 270, bias: true },              // crosses MC, NC and KC
        { M: 9, N: 20, K: 601, bias: true, act: 1 },          // three K blocks, K % 4 == 1
        { M: 8, N: 33, K: 515, trans: true },                 // three K blocks, K % 8 == 3
        { M: 6, N: 45, K: 576, bias: true },                  // K in 3 equal blocks of 192
        { M: 20, N: 37, K: 300, trans: true, ldcPad: 3 },     // transposed B, two K blocks
        { M: 64, N: 48, K: 64, trans: true, bias: true, act: 6 },
        { M: 3, N: 16, K: 0, bias: true, act: 5 },            // empty reduction: bias only
        { M: 7, N: 17, K: 601, trans: true, bias: true, act: 1 }, // ViT's 17 tokens (1x20 tile, staged tail), three K blocks
        { M: 5, N: 531, K: 270, trans: true, ldcPad: 2 },     // second NC block of 19 columns
        { M: 11, N: 52, K: 385, bias: true },                 // 1x32, then 1x20 with 4 real tail columns
        { M: 5, N: 97, K: 130, trans: true, bias: true },     // FMA: 1x40 sweeps (odd last row), then 17 columns
        { M: 4, N: 160, K: 9, act: 1 },                       // FMA: two 80-column chunks of 1x40 sweeps
      ];
      for (let a = 0; a < ACT_CASES.length; a++) cases.push({ M: 6, N: 19, K: 12, bias: true, act: a });
      let seed = 100;
      for (const c of cases) {
        const err = runGemm(m, v.fn, patternOf(v.format), c, seed++);
        if (err) assert.unreachable(err);
      }
    });
  }
  for (const v of KERNELS.filter((r) => r.kind === 'gemv_nm' && testedOn(r, target))) {
    test(`${v.id} on ${targetName}`, async () => {
      const m = await kernelModule(targetName);
      let seed = 900;
      const pat = patternOf(v.format);
      for (const M of [1, 3, 17]) for (const K of [0, 1, 5, 13, 32, 40, 130, 256, 300, 600]) for (const a of [0, 1, 6]) {
        m.reset();
        const W = maskNM(randArray(M * K, seed), M, K, pat.n, pat.m), x = randArray(K, seed + 1), bias = (M + K) % 2 ? randArray(M, seed + 2) : null;
        seed += 3;
        const pk = packNMGemv({ data: W, rowStride: K, kStride: 1 }, M, K, 'gemv', 1, pat);
        const pR = m.put(pk.records), pX = m.put(x), pBias = bias ? m.put(bias) : 0, pY = putGuarded(m, M);
        const sBytes = gemvNMScratchBytes(pk.KB, pat.m), pS = putGuarded(m, sBytes / 4);
        const { act, alpha, beta } = ACT_CASES[a];
        m.k[v.fn](M, K, pk.KB, pR, pX, pY, pBias, act, alpha, beta, pS);
        const what = `${v.fn} M=${M} K=${K} act=${a}`;
        assert.ok(guardsIntact(m, pY, M) && guardsIntact(m, pS, sBytes / 4), `${what}: wrote out of bounds`);
        const err = checkClose(m.f32(pY, M), matmulRef(M, 1, K, (i, k) => W[i * K + k], (k) => x[k], (i) => (bias ? bias[i] : 0)), what, 1e-5, 1e-6, act, alpha, beta);
        if (err) assert.unreachable(err);
      }
    });
  }
  for (const v of KERNELS.filter((r) => r.kind === 'conv2d_nm' && testedOn(r, target))) {
    test(`${v.id} on ${targetName}`, async () => {
      const m = await kernelModule(targetName);
      const cases: ConvCase[] = [
        { C: 3, Cout: 5, H: 7, W: 9, k: 3, pt: 1 },                 // K = 27
        { C: 4, Cout: 6, H: 9, W: 11, k: 3, sh: 2, pt: 1, act: 1 },
        { C: 5, Cout: 7, H: 5, W: 6, k: 1 },                        // pointwise, K = 5
        { C: 8, Cout: 3, H: 6, W: 6, k: 1, bias: false },
        { C: 4, Cout: 6, H: 6, W: 7, k: 3, pt: 1, G: 2, act: 4 },
        { C: 3, Cout: 4, H: 6, W: 5, k: 3, pt: 1, N: 2, act: 2 },
        { C: 40, Cout: 9, H: 24, W: 24, k: 3, pt: 1, act: 7 },      // K > KC, P > NC
        { C: 7, Cout: 5, H: 5, W: 7, k: 3, pt: 1, act: 6 },         // K = 63, 35 positions (narrow panel)
        { C: 64, Cout: 4, H: 6, W: 6, k: 3, pt: 1 },                // K = 576: 3 blocks of 192
        { C: 5, Cout: 5, H: 3, W: 6, k: 3, pt: 1, act: 1 },         // 18 positions: the 1x20 tile
        // the padded-plane path (stride 1 along the width): strides, dilations, uneven pads,
        // runs of odd length, several NC blocks, a 1x1 with padding (too big a plane: im2col)
        { C: 6, Cout: 5, H: 9, W: 10, k: 3, sh: 2, sw: 1, pt: 1, act: 1 },
        { C: 5, Cout: 6, H: 11, W: 9, k: 3, dh: 2, dw: 2, pt: 2, bias: false },
        { C: 3, Cout: 4, H: 8, W: 7, k: 3, kw: 5, pt: 1, pl: 2, pb: 0, pr: 1, act: 3 },
        { C: 12, Cout: 7, H: 30, W: 23, k: 3, pt: 1, N: 2 },        // P = 690: two NC blocks, Wo odd
        { C: 20, Cout: 6, H: 13, W: 11, k: 5, sh: 3, sw: 1, pt: 2, G: 2 }, // K = 250 per group
        { C: 5, Cout: 3, H: 5, W: 6, k: 1, pt: 1 },
        // pairs of panels inside one output row (Wo >= 32), cut between vectors (Wo = 48: at a
        // panel boundary and inside a panel) and inside a vector (Wo = 45), a partial last pair
        { C: 5, Cout: 6, H: 5, W: 48, k: 3, pt: 1, act: 1 },
        { C: 6, Cout: 5, H: 4, W: 45, k: 3, pt: 1, dw: 2, pl: 2, pr: 2 },
        // with FMA, stride 1, at most 1/25 of the outputs' count dropped: straight from the
        // plane (odd Cout; two row blocks and two K blocks; dilation; a wide kernel with uneven
        // pads; a padded 1x1, whose rows cannot share a pad; bias-free, activations)
        { C: 5, Cout: 7, H: 9, W: 39, k: 3, pt: 1, act: 1 },
        { C: 6, Cout: 5, H: 4, W: 38, k: 1, pt: 1 },
        { C: 40, Cout: 64, H: 40, W: 52, k: 3, pt: 1, act: 6 },
        { C: 4, Cout: 5, H: 7, W: 100, k: 3, dh: 2, dw: 2, pt: 2, pl: 2, pr: 2, bias: false },
        { C: 3, Cout: 4, H: 8, W: 100, k: 3, kw: 5, pt: 1, pl: 2, pb: 0, pr: 1, act: 3 },
      ];
      let seed = 500;
      for (const c of cases) {
        const err = runConv(m, v.fn, patternOf(v.format), c, seed++);
        if (err) assert.unreachable(err);
      }
    });
  }
}

test.run();
