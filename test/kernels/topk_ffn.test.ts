// topk_ffn (ToaSt's dynamic FFN channel selection, every registry row of kind topk_ffn) against
// a float64 reference written from the ONNX ops it replaces: ReduceMean(Abs(H)) over the rows,
// TopK (largest first, equal scores: lower index first), Gather of H's columns and W2's rows,
// MatMul, bias. H holds multiples of 1/16 so every score is exact in f32 and in f64: ties are
// real (frequent at these sizes) and the reference's order is the only right one. The selected
// indices are read back from the kernel's scratch (its documented layout: the set, in index order).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kernelModule, guardsIntact, putGuarded, testedOn } from '../helpers/kernels.js';
import { checkClose, matmulRef, randArray, rng } from '../helpers/dense.js';
import { KERNELS } from '../../compiler/codegen/kernels/registry.js';
import { topkFfnScratchBytes } from '../../compiler/codegen/ops/dynamicChannels.js';
import { gemmScratchBytes } from '../../compiler/codegen/kernels/gemm-blocking.js';
import { loadTarget } from '../../compiler/codegen/target.js';
import { packMatMulWeight } from '../../compiler/pack/dense.js';

interface Case { rows: number; hidden: number; out: number; k: number; bias: boolean; constant?: boolean }

/** top-k of the mean |h| per column, largest first, ties to the lower index (ONNX TopK, largest = 1) */
function selectRef(H: Float32Array, rows: number, hidden: number, k: number): number[] {
  const s = Array.from({ length: hidden }, (_, j) => { let a = 0; for (let t = 0; t < rows; t++) a += Math.abs(H[t * hidden + j]); return a / rows; });
  return Array.from({ length: hidden }, (_, j) => j).sort((a, b) => s[b] - s[a] || a - b).slice(0, k);
}

// wasm-relaxed-simd: the row whose GEMM body fuses its multiply-adds (assembly/fma.ts)
for (const targetName of ['wasm-simd128', 'wasm-mvp', 'wasm-relaxed-simd']) {
  const target = loadTarget(targetName);
  for (const v of KERNELS.filter((r) => r.kind === 'topk_ffn' && testedOn(r, target))) {
    const run = async (c: Case, seed: number): Promise<string | null> => {
      const m = await kernelModule(targetName);
      m.reset();
      const { rows, hidden, out, k } = c;
      const r = rng(seed);
      const H = Float32Array.from({ length: rows * hidden }, () => (c.constant ? 0.5 : Math.round((r() * 2 - 1) * 48) / 16));
      const W2 = randArray(hidden * out, seed + 1), bias = randArray(out, seed + 2);
      const pH = m.put(H), pW = m.put(packMatMulWeight(W2, hidden, out, false)), pB = c.bias ? m.put(bias) : 0;
      const pY = putGuarded(m, rows * out);
      const scratch = m.alloc(topkFfnScratchBytes(rows, hidden, out, k)), gemm = m.alloc(gemmScratchBytes('pb', rows, out, k));
      m.k[v.fn](rows, hidden, out, k, pH, pW, pB, pY, scratch, gemm);
      const what = `${v.id} on ${targetName} ${JSON.stringify(c)}`;
      if (!guardsIntact(m, pY, rows * out)) return `${what}: wrote outside Y`;
      const sel = selectRef(H, rows, hidden, k).sort((a, b) => a - b);
      const got = Array.from(m.i32(scratch + hidden * 12, k));
      if (got.join() !== sel.join()) return `${what}: selected [${got}], want [${sel}]`;
      const ref = matmulRef(rows, out, k, (t, i) => H[t * hidden + sel[i]], (i, n) => W2[sel[i] * out + n], (_, n) => (c.bias ? bias[n] : 0));
      return checkClose(m.f32(pY, rows * out), ref, what, 1e-5, 1e-6);
    };

    test(`${v.id} on ${targetName}: vit FFN sizes and awkward shapes`, async () => {
      let seed = 1;
      const cases: Case[] = [
        { rows: 17, hidden: 384, out: 96, k: 40, bias: true }, { rows: 17, hidden: 384, out: 96, k: 344, bias: true },
        { rows: 1, hidden: 8, out: 8, k: 3, bias: false }, { rows: 5, hidden: 13, out: 11, k: 13, bias: true },
        { rows: 3, hidden: 10, out: 7, k: 0, bias: true }, { rows: 6, hidden: 33, out: 17, k: 5, bias: false },
        { rows: 9, hidden: 64, out: 24, k: 1, bias: true }, { rows: 4, hidden: 7, out: 3, k: 6, bias: true },
        { rows: 8, hidden: 40, out: 16, k: 12, bias: true, constant: true },
      ];
      for (const c of cases) {
        const err = await run(c, seed++);
        if (err) assert.unreachable(err);
      }
    });
  }
}

test('the reference sees ties at these sizes (the tie-break is exercised)', () => {
  const r = rng(1), rows = 17, hidden = 384;
  const H = Float32Array.from({ length: rows * hidden }, () => Math.round((r() * 2 - 1) * 48) / 16);
  const s = Array.from({ length: hidden }, (_, j) => { let a = 0; for (let t = 0; t < rows; t++) a += Math.abs(H[t * hidden + j]); return a; });
  assert.ok(new Set(s).size < hidden - 20, `only ${hidden - new Set(s).size} tied scores`);
});

test('the registry has a SIMD, a relaxed-SIMD and a scalar topk_ffn row', () => {
  const rows = KERNELS.filter((r) => r.kind === 'topk_ffn');
  assert.equal(rows.map((r) => r.features.join()).sort(), ['', 'simd128', 'simd128,relaxed-simd']);
});

test.run();
