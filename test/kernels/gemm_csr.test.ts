// Unstructured sparse (csr) kernels, every registry row of kind gemm_csr, gemv_csr and
// conv2d_csr, against float64 references on both targets: M and N not multiples of the tile
// (N % 16, N % 32), K not a multiple of 4 or 8 and across K blocks, empty rows, an all-zero
// matrix, sparsities from 0 to 99%, B row-major and transposed, bias, activations. Guards catch
// out-of-bounds writes. Also the csr packing: round trips and the blocking constants.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kernelModule, type KernelModule, guardsIntact, putGuarded, testedOn } from '../helpers/kernels.js';
import { runSparseConv, runSparseGemm, type SparseConvCase, type SparseFormat, type SparseGemmCase } from '../helpers/sparse-kernels.js';
import { ACT_CASES, checkClose, matmulRef, randArray, rng } from '../helpers/dense.js';
import { KERNELS } from '../../compiler/codegen/kernels/registry.js';
import * as B from '../../compiler/codegen/kernels/gemm-blocking.js';
import { CSR_KC, CSR_NR, packConvWeightCSR, packCSR, packCSRGemv, packCSRRows, unpackCSR, type CSRPacked } from '../../compiler/pack/csr.js';
import { matMulWeightSource } from '../../compiler/pack/nm.js';
import { loadTarget } from '../../compiler/codegen/target.js';

// wasm-relaxed-simd: only the rows whose body differs there (fused multiply-add, assembly/fma.ts)
const TARGETS = ['wasm-simd128', 'wasm-mvp', 'wasm-relaxed-simd'];

/** zeroes a `sparsity` fraction of rows x K at random (independent of compiler/prune); every 5th
 *  row is emptied entirely */
function maskRandom(w: Float32Array, rows: number, K: number, sparsity: number, seed: number): Float32Array {
  const r = rng(seed), out = Float32Array.from(w);
  for (let i = 0; i < rows; i++) for (let k = 0; k < K; k++) if (i % 5 === 4 || r() < sparsity) out[i * K + k] = 0;
  return out;
}

test('csr packing round trips (K blocks, empty rows, all-zero, transposed source, scale)', () => {
  for (const [rows, K, KB, stride, s] of [[1, 1, 256, 64, 0.5], [5, 7, 256, 64, 0.9], [6, 600, 256, 64, 0.7], [3, 300, 300, 4, 0.95], [4, 20, 8, 4, 1], [9, 33, 16, 64, 0]]) {
    const w = maskRandom(randArray(rows * K, rows * 7 + K), rows, K, s, K);
    const p = packCSR({ data: w, rowStride: K, kStride: 1 }, rows, K, KB, stride);
    assert.is(p.ptr.length, p.nb * rows + 1);
    assert.is(p.values.length, w.filter((v) => v !== 0).length, 'only nonzeros are stored');
    assert.equal(Array.from(unpackCSR(p)), Array.from(w), `${rows}x${K} KB=${KB}`);
    for (let i = 0; i < p.offsets.length; i++) assert.ok(p.offsets[i] % stride === 0 && p.offsets[i] / stride < KB);
  }
  // W[K][N] (MatMul, transB false) packs like its transpose; Gemm's alpha scales the values
  const K = 40, N = 6, wt = maskRandom(randArray(N * K, 3), N, K, 0.8, 4), w = new Float32Array(K * N);
  for (let k = 0; k < K; k++) for (let c = 0; c < N; c++) w[k * N + c] = wt[c * K + k];
  const a = packCSRRows(matMulWeightSource(w, K, N, false), N, K, 2), b = packCSRRows(matMulWeightSource(wt, K, N, true), N, K, 1);
  assert.equal(Array.from(a.values), Array.from(b.values, (v) => v * 2));
  assert.equal(Array.from(a.offsets), Array.from(b.offsets));
  // conv groups: group g's rows at ptr[g * nb * Mg], values shared
  const Cout = 6, G = 2, Cg = 3, kk = 3, Kc = Cg * kk * kk, wc = maskRandom(randArray(Cout * Kc, 9), Cout, Kc, 0.6, 10);
  const pc = packConvWeightCSR(wc, Cout, Cg, kk, kk, G);
  for (let g = 0; g < G; g++) {
    const one = packCSRRows({ data: wc, offset: g * 3 * Kc, rowStride: Kc, kStride: 1 }, 3, Kc);
    const s0 = pc.ptr[g * 3];
    assert.equal(Array.from(pc.values.subarray(s0, s0 + one.values.length)), Array.from(one.values));
  }
  assert.throws(() => packCSR({ data: [1], rowStride: 1, kStride: 1 }, 1, 1, 20000, 4), /u16/);
});

type GemmCase = SparseGemmCase & { s: number };
type ConvCase = SparseConvCase & { s: number };

const offsetBytes = (pk: CSRPacked) => new Uint8Array(pk.offsets.buffer, pk.offsets.byteOffset, pk.offsets.byteLength);
const csrArgs = (m: KernelModule, pk: CSRPacked) => [m.put(pk.ptr), m.put(pk.values), m.put(offsetBytes(pk))];
const csrFormat = (s: number): SparseFormat => ({
  mask: (w, rows, K, seed) => maskRandom(w, rows, K, s, seed),
  packGemm: (m, w, rows, K) => csrArgs(m, packCSRRows({ data: w, rowStride: K, kStride: 1 }, rows, K)),
  packConv: (m, w, p) => csrArgs(m, packConvWeightCSR(w, p.Cout, p.C / p.G, p.kh, p.kw, p.G, 'conv')),
  gemmScratch: B.csrScratchBytes,
  convScratch: B.convCSRScratchBytes,
});
const runGemm = (m: KernelModule, fn: string, c: GemmCase, seed: number) => runSparseGemm(m, fn, csrFormat(c.s), c, seed);
const runConv = (m: KernelModule, fn: string, c: ConvCase, seed: number) => runSparseConv(m, fn, csrFormat(c.s), c, seed);

for (const targetName of TARGETS) {
  const target = loadTarget(targetName);
  test(`csr blocking constants agree with the kernels and the packing on ${targetName}`, async () => {
    const m = await kernelModule(targetName);
    const g = (name: string) => (m.k[name] as unknown as WebAssembly.Global).value as number;
    assert.is(g('CSR_KC'), B.NM_KC); // the scratch (csrScratchBytes = nmScratchBytes) is sized by NM_KC
    assert.is(g('CSR_KC'), CSR_KC);
    assert.is(g('CSR_MC'), B.CSR_MC);
    assert.is(g('CSR_NC'), B.CSR_NC);
    assert.is(g('NM_NR'), CSR_NR);
  });
  for (const v of KERNELS.filter((r) => r.kind === 'gemm_csr' && testedOn(r, target))) {
    test(`${v.id} on ${targetName}: awkward shapes and sparsities`, async () => {
      const m = await kernelModule(targetName);
      let seed = 1;
      for (const M of [1, 2, 5, 17]) for (const N of [1, 5, 11, 16, 17, 31, 32, 33, 50]) for (const K of [1, 3, 6, 9, 33]) {
        const s = [0, 0.5, 0.9, 0.99][seed % 4];
        const err = runGemm(m, v.fn, { M, N, K, s, bias: (M + N + K) % 2 === 0, trans: (M + K) % 3 === 0 }, seed++);
        if (err) assert.unreachable(err);
      }
    });
    test(`${v.id} on ${targetName}: blocks, all-zero, transposed B, bias, activations`, async () => {
      const m = await kernelModule(targetName);
      const cases: GemmCase[] = [
        { M: 133, N: 530, K: 601, s: 0.8, bias: true },        // crosses MC, NC and 3 K blocks, K % 8 == 1
        { M: 9, N: 20, K: 515, s: 0.95, bias: true, act: 1 },
        { M: 20, N: 37, K: 300, s: 0.7, trans: true, ldcPad: 3 },
        { M: 64, N: 48, K: 64, s: 0.9, trans: true, bias: true, act: 6 },
        { M: 7, N: 40, K: 270, s: 1, bias: true, act: 5 },      // all-zero matrix: bias only
        { M: 6, N: 33, K: 270, s: 1 },                          // all-zero matrix, no bias
        { M: 3, N: 16, K: 0, s: 0, bias: true, act: 5 },        // empty reduction
      ];
      for (let a = 0; a < ACT_CASES.length; a++) cases.push({ M: 6, N: 19, K: 12, s: 0.6, bias: true, act: a });
      let seed = 100;
      for (const c of cases) {
        const err = runGemm(m, v.fn, c, seed++);
        if (err) assert.unreachable(err);
      }
    });
  }
  for (const v of KERNELS.filter((r) => r.kind === 'gemv_csr' && testedOn(r, target))) {
    test(`${v.id} on ${targetName}`, async () => {
      const m = await kernelModule(targetName);
      let seed = 900;
      for (const M of [1, 3, 17]) for (const K of [0, 1, 5, 9, 40, 300, 16390]) for (const s of [0, 0.7, 0.97, 1]) {
        m.reset();
        const W = maskRandom(randArray(M * K, seed), M, K, s, seed + 3), x = randArray(K, seed + 1), bias = (M + K) % 2 ? randArray(M, seed + 2) : null;
        const a = seed % 3 === 0 ? 6 : seed % 3 === 1 ? 1 : 0;
        seed += 4;
        const pk = packCSRGemv({ data: W, rowStride: K, kStride: 1 }, M, K);
        const [pP, pV, pO] = csrArgs(m, pk), pX = m.put(x), pBias = bias ? m.put(bias) : 0, pY = putGuarded(m, M);
        const { act, alpha, beta } = ACT_CASES[a];
        m.k[v.fn](M, K, pk.KB, pP, pV, pO, pX, pY, pBias, act, alpha, beta);
        const what = `${v.fn} M=${M} K=${K} s=${s} act=${a}`;
        assert.ok(guardsIntact(m, pY, M), `${what}: wrote out of bounds`);
        const err = checkClose(m.f32(pY, M), matmulRef(M, 1, K, (i, k) => W[i * K + k], (k) => x[k], (i) => (bias ? bias[i] : 0)), what, 1e-5, 1e-6, act, alpha, beta);
        if (err) assert.unreachable(err);
      }
    });
  }
  for (const v of KERNELS.filter((r) => r.kind === 'conv2d_csr' && testedOn(r, target))) {
    test(`${v.id} on ${targetName}`, async () => {
      const m = await kernelModule(targetName);
      const cases: ConvCase[] = [
        { C: 3, Cout: 5, H: 7, W: 9, k: 3, pt: 1, s: 0.5 },                 // K = 27
        { C: 4, Cout: 6, H: 9, W: 11, k: 3, sh: 2, pt: 1, act: 1, s: 0.9 },
        { C: 5, Cout: 7, H: 5, W: 6, k: 1, s: 0.7 },                        // pointwise, K = 5
        { C: 8, Cout: 3, H: 6, W: 6, k: 1, bias: false, s: 0.95 },
        { C: 4, Cout: 6, H: 6, W: 7, k: 3, pt: 1, G: 2, act: 4, s: 0.8 },   // groups
        { C: 3, Cout: 4, H: 6, W: 5, k: 3, pt: 1, N: 2, act: 2, s: 0.6 },   // batch
        { C: 40, Cout: 9, H: 24, W: 24, k: 3, pt: 1, act: 7, s: 0.9 },      // K > KC, P > NC
        { C: 6, Cout: 5, H: 8, W: 8, k: 3, pt: 1, s: 1 },                   // all-zero: bias only
        { C: 4, Cout: 4, H: 3, W: 3, k: 3, s: 0.8, G: 2 },                  // one output position
      ];
      let seed = 500;
      for (const c of cases) {
        const err = runConv(m, v.fn, c, seed++);
        if (err) assert.unreachable(err);
      }
    });
  }
}

test.run();
