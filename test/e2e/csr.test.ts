// Unstructured sparse builds: the gpt, cnn and vit fixtures built with `--prune magnitude:0.9`
// (and gpt at 0.8, and gpt T=4 on the csr GEMV) match onnxruntime-node running the same masked
// model (pruned by the same function, written with compiler/onnx/write.ts), and the manifest
// records which layers run on the csr kernels and why. Below the measured crossover a layer
// stays dense with the threshold in its reason.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { packageRoot } from '../../compiler/paths.js';
import { chooseCSR, crossoverFor, csrOverNMFor, pct } from '../../compiler/codegen/ops/csr.js';
import { chooseWeightFormat } from '../../compiler/codegen/ops/sparse.js';
import { loadTarget } from '../../compiler/codegen/target.js';
import { compileAndLoad, compare, maskedModelFile, runOrt, type Feeds } from '../helpers/run.js';

const FIX = join(packageRoot, 'test', 'fixtures');


interface Layer { node: string; op: string; format: string; sparsity: number; reason?: string; kernels: string[] }

const image = (seed: number) => ({ input: { data: Float32Array.from({ length: 784 }, (_, i) => ((i * seed) % 256) / 255), shape: [1, 1, 28, 28] } });
const CASES: { name: string; spec: string; label?: string; kernel: string; minLayers: number; feeds: () => Feeds; shapes?: Record<string, number[]> }[] = [
  {
    name: 'gpt', spec: 'magnitude:0.9', kernel: 'gemm_csr', minLayers: 4, shapes: { tokens: [1, 128] },
    feeds: () => ({ tokens: { data: BigInt64Array.from({ length: 128 }, (_, i) => BigInt((i * 37 + 11) % 256)), shape: [1, 128] } }),
  },
  {
    name: 'gpt', spec: 'magnitude:0.8', kernel: 'gemm_csr', minLayers: 4, shapes: { tokens: [1, 128] },
    feeds: () => ({ tokens: { data: BigInt64Array.from({ length: 128 }, (_, i) => BigInt((i * 53 + 5) % 256)), shape: [1, 128] } }),
  },
  {
    name: 'gpt', spec: 'magnitude:0.9', label: 'gpt T=4 (csr GEMV per row)', kernel: 'gemv_csr', minLayers: 4, shapes: { tokens: [1, 4] },
    feeds: () => ({ tokens: { data: BigInt64Array.from([72n, 101n, 108n, 32n]), shape: [1, 4] } }),
  },
  { name: 'cnn', spec: 'magnitude:0.9', kernel: 'conv2d_csr', minLayers: 1, feeds: () => image(104729) },
  { name: 'vit', spec: 'magnitude:0.9', kernel: 'gemm_csr', minLayers: 4, feeds: () => image(7919) },
];

for (const c of CASES) {
  test(`${c.label ?? c.name} --prune ${c.spec} matches onnxruntime-node on the masked model, on the csr kernels`, async () => {
    const model = await compileAndLoad(join(FIX, `${c.name}.onnx`), { inputShapes: c.shapes, prune: c.spec });
    const feeds = c.feeds();
    const ref = await runOrt(maskedModelFile(join(FIX, `${c.name}.onnx`), c.spec), feeds);
    const ours = model.run(Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, f.data])));
    for (const [k, r] of Object.entries(ref)) {
      const { maxAbs, scale } = compare(ours[k], r.data);
      assert.ok(maxAbs <= 1e-4 * scale, `${k}: max abs error ${maxAbs} at scale ${scale}`);
    }
    const layers = model.manifest.layers as Layer[];
    const csr = layers.filter((l) => l.format === 'csr');
    assert.ok(csr.length >= c.minLayers, `only ${csr.length} layers on csr kernels`);
    assert.ok(csr.filter((l) => l.kernels.some((k) => k.startsWith(`${c.kernel}_f32.csr.`))).length >= c.minLayers, `fewer than ${c.minLayers} layers on ${c.kernel}`);
    assert.not.ok(layers.some((l) => l.format === '2:4' || l.format === '4:8'), 'a 90%-sparse layer on an N:M kernel');
    for (const l of csr) {
      assert.ok(Math.abs(l.sparsity - Number(c.spec.split(':')[1])) < 0.01, `${l.node}: sparsity ${l.sparsity}`);
      assert.ok(l.kernels.some((k) => /^(gemm|gemv|conv2d)_csr_f32\.csr\./.test(k)), `${l.node}: ${l.kernels}`);
      assert.match(l.reason ?? '', /bench csr-crossover/);
    }
  });
}

test('choice: below the measured crossover a layer stays dense (threshold in the reason); very sparse N:M-fitting weights go csr', () => {
  // the rule on each SIMD target with that target's thresholds (relaxed-simd has its own)
  for (const name of ['wasm-simd128', 'wasm-relaxed-simd']) {
    const tt = loadTarget(name), x = crossoverFor(tt);
    const below = chooseCSR(tt, x.matmul.use - 0.05, 128, null, true);
    assert.is(below.csr, false, name);
    assert.ok(below.reason.includes(`below the ${pct(x.matmul.use)} threshold`) && below.reason.includes(name), below.reason);
    assert.is(chooseCSR(tt, x.matmul.use, 128, null, true).csr, true, name);
    assert.is(chooseCSR(tt, x.conv.use - 0.05, 3136, null, false).csr, false, name);
    assert.is(chooseCSR(tt, x.conv.use, 3136, null, false).csr, true, name);
    assert.is(chooseCSR(tt, x.gemv.use - 0.05, 8, null, true).csr, false, name);
    assert.equal(chooseCSR(tt, x.gemv.use, 8, null, true).csrGemv, true, name);
  }
  const t = loadTarget('wasm-simd128');
  assert.is(chooseCSR(t, 0.9, 8, null, false).csr, false, 'a conv with 8 output positions has no GEMV path');
  assert.equal(chooseCSR(t, 0.9, 8, null, true).csrGemv, true);
  assert.is(chooseCSR(loadTarget('wasm-mvp'), 0.9, 128, null, true).csr, false);
  // one nonzero per 8 k (87.5% zeros) fits 2:4, but csr does a quarter of the 2:4 kernel's work
  const w = Float32Array.from({ length: 4 * 32 }, (_, i) => (i % 8 === 3 ? 1 + i : 0)), src = { data: w, rowStride: 32, kStride: 1 };
  assert.is(chooseWeightFormat(t, src, 4, 32, 128, null, true).format, 'csr');
  // exactly 2:4 (50%) stays on the 2:4 kernel
  const w24 = Float32Array.from({ length: 4 * 32 }, (_, i) => (i % 4 < 2 ? 1 + i : 0));
  assert.is(chooseWeightFormat(t, { data: w24, rowStride: 32, kStride: 1 }, 4, 32, 128, null, true).format, '2:4');
  // 62.5% zeros that fit 2:4 (one or two nonzeros per 4 k): above the csr-over-dense threshold,
  // below csr-over-N:M, so the 2:4 kernel (faster than csr there); at 87.5% csr (above)
  const w62 = Float32Array.from({ length: 4 * 32 }, (_, i) => (i % 4 === 0 || i % 8 === 1 ? 1 + i : 0)), over = csrOverNMFor(t).matmul;
  assert.ok(crossoverFor(t).matmul.use <= 0.625 && 0.625 < over && over <= 0.875, 'the case sits between the two thresholds');
  assert.is(chooseWeightFormat(t, { data: w62, rowStride: 32, kStride: 1 }, 4, 32, 128, null, true).format, '2:4');
});

test.run();
