// Dense GEMV (every registry row of kind gemv) against a float64 reference, on both targets:
// N not a multiple of the 8-column panel, K not a multiple of the 4-k unroll, K = 0 (bias
// only), with and without bias, every fused activation. Guards around y catch writes past N.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kernelModule, guardsIntact, putGuarded } from '../helpers/kernels.js';
import { ACT_CASES, checkClose, matmulRef, randArray } from '../helpers/dense.js';
import { KERNELS, compiledFor } from '../../compiler/codegen/kernels/registry.js';
import { packMatMulWeight } from '../../compiler/pack/dense.js';
import { loadTarget } from '../../compiler/codegen/target.js';

interface GemvCase { N: number; K: number; bias: boolean; act?: number; alpha?: number; beta?: number; transB?: boolean }

for (const targetName of ['wasm-simd128', 'wasm-mvp']) {
  const target = loadTarget(targetName);
  for (const v of KERNELS.filter((r) => r.kind === 'gemv' && compiledFor(r, target))) {
    const run = async (c: GemvCase, seed: number): Promise<string | null> => {
      const m = await kernelModule(targetName);
      m.reset();
      const { N, K } = c, act = c.act ?? 0, alpha = c.alpha ?? 0, beta = c.beta ?? 0;
      // W as a MatMul weight: [K][N], or [N][K] with transB (Gemm)
      const W = randArray(K * N, seed), x = randArray(K, seed + 1), bias = randArray(N, seed + 2);
      const wAt = (k: number, n: number) => (c.transB ? W[n * K + k] : W[k * N + n]);
      const pW = m.put(packMatMulWeight(W, K, N, !!c.transB)), pX = m.put(x), pB = c.bias ? m.put(bias) : 0;
      const pY = putGuarded(m, N);
      m.k[v.fn](N, K, pW, pX, pY, pB, act, alpha, beta);
      const what = `${v.id} ${JSON.stringify(c)}`;
      if (!guardsIntact(m, pY, N)) return `${what}: wrote outside y`;
      const ref = matmulRef(1, N, K, (_, k) => x[k], wAt, (_, n) => (c.bias ? bias[n] : 0));
      return checkClose(m.f32(pY, N), ref, what, 1e-5, 1e-6, act, alpha, beta);
    };

    test(`${v.id} on ${targetName}: awkward shapes`, async () => {
      let seed = 1;
      for (const N of [1, 3, 7, 8, 9, 15, 16, 17, 33]) {
        for (const K of [0, 1, 2, 3, 4, 5, 7, 9, 17, 64, 130]) {
          const err = await run({ N, K, bias: (N + K) % 2 === 0, transB: K % 3 === 0 }, seed++);
          if (err) assert.unreachable(err);
        }
      }
    });

    test(`${v.id} on ${targetName}: larger shapes and activations`, async () => {
      let seed = 500;
      for (const c of [{ N: 1000, K: 1027, bias: true }, { N: 257, K: 4099, bias: false, transB: true }, { N: 64, K: 768, bias: true }]) {
        const err = await run(c, seed++);
        if (err) assert.unreachable(err);
      }
      for (const a of ACT_CASES) {
        const err = await run({ N: 13, K: 21, bias: true, act: a.act, alpha: a.alpha, beta: a.beta }, seed++);
        if (err) assert.unreachable(err);
      }
    });
  }
}

test('the registry has a SIMD and a scalar gemv row', () => {
  const rows = KERNELS.filter((r) => r.kind === 'gemv');
  assert.equal(rows.map((r) => r.features.join()).sort(), ['', 'simd128']);
});

test.run();
