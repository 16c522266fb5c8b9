// GEMM kernels (every registry row of kind gemm, gemm_pb, gemm_pa) and the activation epilogue
// against float64 references, on both targets, on awkward shapes (M, N not multiples of the 4x8
// tile, K not a multiple of 4, sizes across the KC/MC/NC blocks), transposed operands, every
// bias mode, batches with broadcasting, and a leading dimension wider than N. Guards around the
// output and after the scratch area catch out-of-bounds writes. Also: dense packing round trips
// and the blocking constants shared with the lowerings.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kernelModule, type KernelModule, guardsIntact, putGuarded, SENTINEL, testedOn } from '../helpers/kernels.js';
import { ACT_CASES, actRef, checkClose, erfRef, matmulRef, randArray } from '../helpers/dense.js';
import { KERNELS, selectKernel } from '../../compiler/codegen/kernels/registry.js';
import * as B from '../../compiler/codegen/kernels/gemm-blocking.js';
import { packLeftWeight, packMatMulWeight, packPanels, packedLength, unpackPanels, packConvWeight, packConvTransposeWeight } from '../../compiler/pack/dense.js';
import { loadTarget } from '../../compiler/codegen/target.js';

// wasm-relaxed-simd: only the rows whose body differs there (fused multiply-add, assembly/fma.ts)
const TARGETS = ['wasm-simd128', 'wasm-mvp', 'wasm-relaxed-simd'];

interface GemmCase {
  batch: number; M: number; N: number; K: number;
  transA?: boolean; transB?: boolean; bcastA?: boolean; bcastB?: boolean;
  biasMode?: number; act?: number; alpha?: number; beta?: number; ldcPad?: number;
}

/** runs one case through the kernel of `kind`; returns an error message or null */
function runGemm(m: KernelModule, kind: string, fn: string, c: GemmCase, seed: number): string | null {
  m.reset();
  const { batch, M, N, K } = c;
  const transA = !!c.transA, transB = !!c.transB, biasMode = c.biasMode ?? 0, act = c.act ?? 0;
  const alpha = c.alpha ?? 0, beta = c.beta ?? 0, ldc = N + (c.ldcPad ?? 0);
  const nA = c.bcastA ? 1 : batch, nB = c.bcastB ? 1 : batch;
  const A = randArray(nA * M * K, seed), Bm = randArray(nB * K * N, seed + 1);
  const bias = randArray(biasMode === 3 ? M * N : biasMode === 1 ? M : biasMode === 2 ? N : 1, seed + 2);
  // modes: 0 none, 1 row, 2 column, 3 full matrix, 4 scalar
  // element accessors of batch t (A stored [M][K] or [K][M]; B [K][N] or [N][K])
  const aAt = (t: number, i: number, k: number) => A[(c.bcastA ? 0 : t) * M * K + (transA ? k * M + i : i * K + k)];
  const bAt = (t: number, k: number, n: number) => Bm[(c.bcastB ? 0 : t) * K * N + (transB ? n * K + k : k * N + n)];
  const biasAt = (i: number, n: number) => biasMode === 1 ? bias[i] : biasMode === 2 ? bias[n] : biasMode === 3 ? bias[i * N + n] : biasMode === 4 ? bias[0] : 0;
  const pBias = biasMode ? m.put(bias) : 0;
  const cLen = batch * M * ldc;
  const pC = putGuarded(m, cLen);
  const a_rs = transA ? 1 : K, a_cs = transA ? M : 1, b_rs = transB ? 1 : N, b_cs = transB ? K : 1;
  const scratchBytes = B.gemmScratchBytes(kind === 'gemm' ? 'gemm' : kind === 'gemm_pb' ? 'pb' : 'pa', M, N, K);
  const pS = putGuarded(m, scratchBytes / 4);
  const tail = [pC, M * ldc, ldc, pBias, biasMode, act, alpha, beta, pS];
  if (kind === 'gemm') {
    const pA = m.put(A), pB = m.put(Bm);
    m.k[fn](batch, M, N, K, pA, c.bcastA ? 0 : M * K, a_rs, a_cs, pB, c.bcastB ? 0 : K * N, b_rs, b_cs, ...tail);
  } else if (kind === 'gemm_pb') {
    const per = packedLength(N, K, 8);
    const packed = new Float32Array(per * nB);
    for (let t = 0; t < nB; t++) packed.set(packMatMulWeight(Bm, K, N, transB, 1, t * K * N), t * per);
    const pA = m.put(A), pBp = m.put(packed);
    m.k[fn](batch, M, N, K, pA, c.bcastA ? 0 : M * K, a_rs, a_cs, pBp, c.bcastB ? 0 : per, ...tail);
  } else {
    const per = packedLength(M, K, 4);
    const packed = new Float32Array(per * nA);
    for (let t = 0; t < nA; t++) packed.set(packLeftWeight(A, M, K, transA, 1, t * M * K), t * per);
    const pAp = m.put(packed), pB = m.put(Bm);
    m.k[fn](batch, M, N, K, pAp, c.bcastA ? 0 : per, pB, c.bcastB ? 0 : K * N, b_rs, b_cs, ...tail);
  }
  const what = `${fn} ${JSON.stringify(c)}`;
  if (!guardsIntact(m, pC, cLen)) return `${what}: wrote outside C`;
  if (!guardsIntact(m, pS, scratchBytes / 4)) return `${what}: wrote outside its scratch`;
  const out = m.f32(pC, cLen);
  for (let t = 0; t < batch; t++) {
    const ref = matmulRef(M, N, K, (i, k) => aAt(t, i, k), (k, n) => bAt(t, k, n), biasAt);
    const got = new Float32Array(M * N);
    for (let i = 0; i < M; i++) {
      for (let n = 0; n < N; n++) got[i * N + n] = out[t * M * ldc + i * ldc + n];
      for (let n = N; n < ldc; n++) if (out[t * M * ldc + i * ldc + n] !== SENTINEL) return `${what}: wrote C padding`;
    }
    const err = checkClose(got, ref, `${what} batch ${t}`, 1e-5, 1e-6, act, alpha, beta);
    if (err) return err;
  }
  return null;
}

const SIZES = [1, 3, 5, 7, 17, 33];
const gemmKinds = ['gemm', 'gemm_pb', 'gemm_pa'];

for (const targetName of TARGETS) {
  const target = loadTarget(targetName);
  for (const v of KERNELS.filter((r) => gemmKinds.includes(r.kind) && testedOn(r, target))) {
    test(`${v.id} on ${targetName}: awkward shapes`, async () => {
      const m = await kernelModule(targetName);
      let seed = 1;
      for (const M of SIZES) for (const N of SIZES) for (const K of SIZES) {
        const err = runGemm(m, v.kind, v.fn, { batch: 1, M, N, K, biasMode: (M + N + K) % 5 }, seed++);
        if (err) assert.unreachable(err);
      }
    });
    test(`${v.id} on ${targetName}: blocks, transposes, bias modes, batches, activations`, async () => {
      const m = await kernelModule(targetName);
      const cases: GemmCase[] = [
        { batch: 1, M: 133, N: 530, K: 270, biasMode: 2 },           // crosses MC, NC and KC
        { batch: 1, M: 9, N: 20, K: 600, biasMode: 1, act: 1 },       // three K blocks, relu on the last
        { batch: 1, M: 29, N: 21, K: 530, biasMode: 1, act: 1 },      // FMA builds' 6x8 tiles: two 12-row groups + 5 rows, row bias, partial columns, K blocks, relu
        { batch: 1, M: 24, N: 16, K: 7, biasMode: 2, ldcPad: 3 },     // 12-row groups only, column bias
        { batch: 1, M: 17, N: 24, K: 16, transA: true, biasMode: 3 },
        { batch: 1, M: 12, N: 19, K: 13, transB: true, biasMode: 2, ldcPad: 5 },
        { batch: 1, M: 13, N: 40, K: 37, transA: true, transB: true, biasMode: 1 },
        { batch: 3, M: 17, N: 17, K: 16 },                            // attention-like: heads
        { batch: 4, M: 5, N: 9, K: 11, bcastA: true, biasMode: 2 },
        { batch: 2, M: 7, N: 13, K: 8, bcastB: true, transB: true },
        { batch: 1, M: 4, N: 8, K: 0, biasMode: 2, act: 5 },          // empty reduction: bias only
        { batch: 1, M: 1, N: 64, K: 96, biasMode: 2 },                // GEMV-like
        { batch: 2, M: 6, N: 10, K: 300, biasMode: 4, act: 9 },       // scalar bias, two K blocks
      ];
      for (const a of ACT_CASES) cases.push({ batch: 1, M: 6, N: 11, K: 9, biasMode: 2, act: a.act, alpha: a.alpha, beta: a.beta });
      let seed = 100;
      for (const c of cases) {
        const err = runGemm(m, v.kind, v.fn, c, seed++);
        if (err) assert.unreachable(err);
      }
    });
  }

  for (const v of KERNELS.filter((r) => r.kind === 'pack_a' && testedOn(r, target))) {
    test(`${v.id} on ${targetName}: packs like compiler/pack/dense.ts`, async () => {
      const m = await kernelModule(targetName);
      for (const [M, K, trans] of [[1, 1, 0], [5, 7, 0], [8, 9, 1], [13, 4, 0], [6, 17, 1]] as const) {
        m.reset();
        const a = randArray(M * K, M * 100 + K);
        const rs = trans ? 1 : K, cs = trans ? M : 1;
        const pA = m.put(a), len = packedLength(M, K, 4), pD = putGuarded(m, len);
        m.k[v.fn](M, K, pA, rs, cs, pD);
        assert.ok(guardsIntact(m, pD, len), 'wrote outside the packed matrix');
        assert.equal(Array.from(m.f32(pD, len)), Array.from(packPanels({ data: a, rowStride: rs, depthStride: cs }, M, K, 4)), `${M}x${K} trans ${trans}`);
      }
    });
  }
  for (const v of KERNELS.filter((r) => r.kind === 'scale_copy' && testedOn(r, target))) {
    test(`${v.id} on ${targetName}`, async () => {
      const m = await kernelModule(targetName);
      for (const n of [0, 1, 3, 4, 7, 33]) {
        m.reset();
        const x = randArray(n, n + 1), pX = m.put(x), pY = putGuarded(m, n);
        m.k[v.fn](pX, pY, n, 0.3);
        assert.ok(guardsIntact(m, pY, n));
        assert.equal(Array.from(m.f32(pY, n)), Array.from(x, (e) => Math.fround(e * Math.fround(0.3))));
      }
    });
  }

  test(`activation epilogue helpers on ${targetName}`, async () => {
    const m = await kernelModule(targetName);
    const n = 4001;
    const x = Float32Array.from({ length: n }, (_, i) => -10 + (20 * i) / (n - 1));
    for (const a of ACT_CASES) {
      m.reset();
      const p = m.put(x);
      m.k.act_apply_f32(p, n, a.act, a.alpha, a.beta);
      const got = m.f32(p, n);
      for (let i = 0; i < n; i++) {
        const w = actRef(x[i], a.act, a.alpha, a.beta);
        if (!(Math.abs(got[i] - w) <= 3e-7 + 2e-6 * Math.abs(w))) assert.unreachable(`${a.name}(${x[i]}): got ${got[i]}, want ${w}`);
      }
    }
  });

  test(`act_tile_f32 on strided and contiguous blocks on ${targetName}`, async () => {
    // rows x cols inside rows of ld: the gaps must stay untouched; ld == cols runs as one span
    const m = await kernelModule(targetName);
    for (const [rows, cols, ld] of [[5, 7, 9], [5, 7, 7], [3, 17, 17], [2, 17, 20]]) {
      m.reset();
      const x = Float32Array.from({ length: rows * ld }, (_, i) => -4 + ((i * 37) % 101) * 0.08);
      const p = m.put(x);
      m.k.act_tile_f32(p, ld, rows, cols, 6, 0, 0);
      const got = m.f32(p, rows * ld);
      for (let i = 0; i < rows * ld; i++) {
        const w = i % ld < cols ? actRef(x[i], 6, 0, 0) : x[i];
        assert.ok(Math.abs(got[i] - w) <= 3e-7 + 2e-6 * Math.abs(w), `[${rows}x${cols}, ld ${ld}] element ${i}: got ${got[i]}, want ${w}`);
      }
    }
  });

  test(`erf, tanh, sigmoid accuracy on ${targetName}`, async () => {
    const m = await kernelModule(targetName);
    const n = 20001;
    const x = Float32Array.from({ length: n }, (_, i) => -6 + (12 * i) / (n - 1));
    const check = (act: number, ref: (v: number) => number, abs: number, name: string) => {
      m.reset();
      const p = m.put(x);
      m.k.act_apply_f32(p, n, act, 0, 0);
      const got = m.f32(p, n);
      let worst = 0;
      for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(got[i] - ref(x[i])));
      assert.ok(worst <= abs, `${name}: max abs error ${worst}`);
      let scalar = 0;
      for (let i = 0; i < n; i += 97) {
        const f = name === 'erf' ? 'erf_f32' : name === 'tanh' ? 'tanh_f32' : 'sigmoid_f32';
        scalar = Math.max(scalar, Math.abs((m.k[f](x[i]) as number) - ref(x[i])));
      }
      assert.ok(scalar <= abs, `${name} scalar: max abs error ${scalar}`);
    };
    // GELU = 0.5 x (1 + erf(x/√2)) exercises erf; check erf itself through its scalar export too
    check(9, Math.tanh, 1.5e-7, 'tanh');
    check(5, (v) => 1 / (1 + Math.exp(-v)), 1.5e-7, 'sigmoid');
    let worst = 0;
    for (let i = 0; i < n; i += 7) worst = Math.max(worst, Math.abs((m.k.erf_f32(x[i]) as number) - erfRef(x[i])));
    assert.ok(worst <= 1.5e-7, `erf_f32: max abs error ${worst}`);
  });

  test(`blocking constants agree with the kernels on ${targetName}`, async () => {
    const m = await kernelModule(targetName);
    const g = (name: string) => (m.k[name] as unknown as WebAssembly.Global).value as number;
    assert.is(g('GEMM_MR'), B.GEMM_MR);
    assert.is(g('GEMM_NR'), B.GEMM_NR);
    assert.is(g('GEMM_KC'), B.GEMM_KC);
    assert.is(g('GEMM_MC'), B.GEMM_MC);
    assert.is(g('GEMM_NC'), B.GEMM_NC);
    assert.is(g('GEMM_TMP_BYTES'), B.GEMM_TMP_BYTES);
    assert.is(g('CONVT_NC'), B.CONVT_NC);
  });
}

test('dense packing round trips', () => {
  for (const [rows, depth, R] of [[1, 1, 4], [5, 3, 4], [17, 33, 8], [8, 7, 8], [3, 0, 8]]) {
    const src = randArray(rows * depth, rows * 31 + depth);
    const packed = packPanels({ data: src, rowStride: depth, depthStride: 1 }, rows, depth, R);
    assert.is(packed.length, Math.ceil(rows / R) * R * depth);
    assert.equal(Array.from(unpackPanels(packed, rows, depth, R)), Array.from(src));
    // padding rows are zero
    for (let p = 0; p < Math.ceil(rows / R); p++) for (let d = 0; d < depth; d++) for (let r = 0; r < R; r++) {
      if (p * R + r >= rows) assert.is(packed[(p * depth + d) * R + r], 0);
    }
  }
  // MatMul weight W[K][N] and its transpose pack to the same panels
  const K = 13, N = 19, w = randArray(K * N, 5), wt = new Float32Array(K * N);
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) wt[n * K + k] = w[k * N + n];
  const p1 = packMatMulWeight(w, K, N, false), p2 = packMatMulWeight(wt, K, N, true);
  assert.equal(Array.from(p1), Array.from(p2));
  assert.equal(Array.from(unpackPanels(p1, N, K, 8)), Array.from(wt));
  // conv weights: group g, row co, depth (ci, dy, dx)
  const Cout = 6, Cg = 2, kh = 3, kw = 2, G = 2, cw = randArray(Cout * Cg * kh * kw, 9);
  const pc = packConvWeight(cw, Cout, Cg, kh, kw, G), per = packedLength(Cout / G, Cg * kh * kw, 4);
  for (let g = 0; g < G; g++) {
    const un = unpackPanels(pc, Cout / G, Cg * kh * kw, 4, g * per);
    assert.equal(Array.from(un), Array.from(cw.subarray(g * 3 * 12, (g + 1) * 3 * 12)));
  }
  // ConvTranspose weights W[Cin][Cout_g][kh][kw]: row (co, dy, dx), depth ci, per group
  const Cin = 4, Cog = 3, tw = randArray(Cin * Cog * kh * kw, 11);
  const pt = packConvTransposeWeight(tw, Cin, Cog, kh, kw, 2), perT = packedLength(Cog * kh * kw, 2, 4);
  for (let g = 0; g < 2; g++) {
    const un = unpackPanels(pt, Cog * kh * kw, 2, 4, g * perT);
    for (let m = 0; m < Cog * kh * kw; m++) for (let ci = 0; ci < 2; ci++) assert.is(un[m * 2 + ci], tw[(g * 2 + ci) * Cog * kh * kw + m]);
  }
});

test('selectKernel prefers SIMD rows where the target has SIMD', () => {
  assert.is(selectKernel('gemm_pb', loadTarget('wasm-simd128'))?.id, 'gemm_f32_pb.dense.4x8.simd');
  assert.is(selectKernel('gemm_pb', loadTarget('wasm-mvp'))?.id, 'gemm_f32_pb.dense.4x8.scalar');
  assert.is(selectKernel('no-such-kind', loadTarget('wasm-mvp')), null);
});

test.run();
