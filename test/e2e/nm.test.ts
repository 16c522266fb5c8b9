// The gpt, vit and cnn fixtures built with `--prune magnitude:2:4` and `magnitude:4:8` match
// onnxruntime-node running the same masked model (pruned by the same function, written with
// compiler/onnx/write.ts), and the manifest records which layers run on the N:M kernels and why; so do
// two hand-made 3x3 convs at 56x56 on wasm-relaxed-simd (the conv path without B panels). Also the option's
// error message. Unstructured builds (magnitude:0.8, 0.9): test/e2e/csr.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { packageRoot } from '../../compiler/paths.js';
import { parseBuildPrune } from '../../compiler/prune/buildPrune.js';
import { isSparsecError } from '../../compiler/errors.js';
import { enableEngineFlags, loadTarget } from '../../compiler/codegen/target.js';
import { compileAndLoad, compare, maskedModelFile, runOrt, type Feeds } from '../helpers/run.js';
import { GraphBuilder } from '../helpers/graphs.js';
import { writeOnnx } from '../../compiler/onnx/write.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

const FIX = join(packageRoot, 'test', 'fixtures');


interface Layer { node: string; format: string; sparsity: number; reason?: string; kernels: string[] }

const CASES: { name: string; label?: string; gemv?: boolean; feeds: () => Feeds; shapes?: Record<string, number[]> }[] = [
  {
    name: 'gpt', shapes: { tokens: [1, 128] },
    feeds: () => ({ tokens: { data: BigInt64Array.from({ length: 128 }, (_, i) => BigInt((i * 37 + 11) % 256)), shape: [1, 128] } }),
  },
  {
    name: 'gpt', label: 'gpt T=4 (N:M GEMV per row)', shapes: { tokens: [1, 4] }, gemv: true,
    feeds: () => ({ tokens: { data: BigInt64Array.from([72n, 101n, 108n, 32n]), shape: [1, 4] } }),
  },
  {
    name: 'cnn',
    feeds: () => ({ input: { data: Float32Array.from({ length: 784 }, (_, i) => ((i * 104729) % 256) / 255), shape: [1, 1, 28, 28] } }),
  },
  {
    name: 'vit',
    feeds: () => ({ input: { data: Float32Array.from({ length: 784 }, (_, i) => ((i * 7919) % 256) / 255), shape: [1, 1, 28, 28] } }),
  },
];

for (const pattern of ['2:4', '4:8']) for (const c of CASES) {
  test(`${c.label ?? c.name} --prune magnitude:${pattern} matches onnxruntime-node on the masked model`, async () => {
    const model = await compileAndLoad(join(FIX, `${c.name}.onnx`), { inputShapes: c.shapes, prune: `magnitude:${pattern}` });
    const feeds = c.feeds();
    const ref = await runOrt(maskedModelFile(join(FIX, `${c.name}.onnx`), `magnitude:${pattern}`), feeds);
    const ours = model.run(Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, f.data])));
    for (const [k, r] of Object.entries(ref)) {
      const { maxAbs, scale } = compare(ours[k], r.data);
      process.stderr.write(`  ${c.label ?? c.name} ${pattern}: ${k} max error / scale ${(maxAbs / scale).toExponential(2)}\n`);
      assert.ok(maxAbs <= 1e-4 * scale, `${k}: max abs error ${maxAbs} at scale ${scale}`);
    }
    const layers = model.manifest.layers as Layer[];
    const sparse = layers.filter((l) => l.format === pattern);
    assert.ok(sparse.length >= 4, `only ${sparse.length} layers on ${pattern} kernels`);
    for (const l of sparse) {
      assert.ok(Math.abs(l.sparsity - 0.5) < 1e-9, `${l.node}: sparsity ${l.sparsity}`);
      assert.ok(l.kernels.some((k) => k.includes(`.${pattern}.`) && k.startsWith('gemv_nm') === !!c.gemv), `${l.node}: ${l.kernels}`);
    }
    for (const l of layers) if (l.format === 'dense' && l.reason) assert.type(l.reason, 'string');
  });
}

// the FMA kernels (2:4's 1x40 sweeps over 80 columns, conv from three pairs of panels) on the
// target that has them, against the same reference
for (const c of CASES.filter((x) => !x.gemv)) {
  test(`${c.name} --prune magnitude:2:4 --target wasm-relaxed-simd matches onnxruntime-node`, async () => {
    enableEngineFlags(loadTarget('wasm-relaxed-simd'));
    const model = await compileAndLoad(join(FIX, `${c.name}.onnx`), { inputShapes: c.shapes, prune: 'magnitude:2:4', target: 'wasm-relaxed-simd' });
    const feeds = c.feeds();
    const ref = await runOrt(maskedModelFile(join(FIX, `${c.name}.onnx`), 'magnitude:2:4'), feeds);
    const ours = model.run(Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, f.data])));
    for (const [k, r] of Object.entries(ref)) {
      const { maxAbs, scale } = compare(ours[k], r.data);
      assert.ok(maxAbs <= 1e-4 * scale, `${k}: max abs error ${maxAbs} at scale ${scale}`);
    }
    const sparse = (model.manifest.layers as Layer[]).filter((l) => l.format === '2:4');
    assert.ok(sparse.length >= 4 && sparse.every((l) => l.kernels.some((k) => k.endsWith('.relaxed'))), 'the 2:4 layers run the relaxed-simd kernels');
  });
}

// the direct conv path (assembly/gemm_nm.ts nm_conv_direct: stride-1 convs on wasm-relaxed-simd
// where the padded width drops at most 1/25 of the outputs) through codegen: two 3x3 convs at
// 56x56, the second with two K blocks, against onnxruntime-node on the masked model
for (const pattern of ['2:4', '4:8']) {
  test(`3x3 convs at 56x56 --prune magnitude:${pattern} --target wasm-relaxed-simd (no B panels) match onnxruntime-node`, async () => {
    enableEngineFlags(loadTarget('wasm-relaxed-simd'));
    const g = new GraphBuilder('convs56');
    const x = g.input('x', [1, 16, 56, 56]);
    g.output(g.conv(g.op('Relu', [g.conv(x, 16, 32, 3, { name: 'conv_a' })]), 32, 24, 3, { bias: false, name: 'conv_b' }));
    const file = join(mkdtempSync(join(tmpdir(), 'sparsec-convs56-')), 'convs56.onnx');
    writeFileSync(file, writeOnnx(g.build()));
    const model = await compileAndLoad(file, { prune: `magnitude:${pattern}`, target: 'wasm-relaxed-simd' });
    const data = Float32Array.from({ length: 16 * 56 * 56 }, (_, i) => ((i * 7919) % 256) / 128 - 1);
    const ref = await runOrt(maskedModelFile(file, `magnitude:${pattern}`), { x: { data, shape: [1, 16, 56, 56] } });
    const [out] = Object.values(ref);
    const { maxAbs, scale } = compare(Object.values(model.run({ x: data }))[0], out.data);
    assert.ok(maxAbs <= 1e-4 * scale, `max abs error ${maxAbs} at scale ${scale}`);
    const convs = (model.manifest.layers as Layer[]).filter((l) => l.node === 'conv_a' || l.node === 'conv_b');
    assert.equal(convs.map((l) => l.format), [pattern, pattern], 'both convs run on the N:M kernels');
    assert.ok(convs.every((l) => l.kernels.some((k) => k.startsWith('conv2d_nm') && k.endsWith('.relaxed'))), JSON.stringify(convs.map((l) => l.kernels)));
  });
}

test('--prune: a bad spec is a user error', () => {
  assert.equal(parseBuildPrune('magnitude:2:4'), { kind: 'nm', n: 2, m: 4 });
  try { parseBuildPrune('wanda:2:4'); assert.unreachable('accepted'); } catch (e) { assert.ok(isSparsecError(e) && e.code === 'E_OPTION', String(e)); }
});

test.run();
