// ToaSt's dynamic FFN channel selection compiled: the vit with ToaSt's head pruning (data-free
// GM scores, 30% schedule) and per-input top-k FFN units (compiler/prune/toast/dynamic.ts:
// ReduceMean(Abs) → TopK → Gather → MatMul) is built by sparsec, where the subgraph becomes one
// DynamicChannelsMatMul on the topk_ffn kernel, and must match onnxruntime-node running the same
// ONNX file: argmax equal, logits within 1e-4 of their scale, on the images of build-toast.test.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../compiler/paths.js';
import { readOnnx } from '../../compiler/onnx/read.js';
import { writeOnnx } from '../../compiler/onnx/write.js';
import { pruneToast } from '../../compiler/prune/toast/toast.js';
import { prepareForChannels } from '../../compiler/prune/groups.js';
import { findFfns } from '../../compiler/prune/toast/ffn.js';
import { dynamicChannels } from '../../compiler/prune/toast/dynamic.js';
import { argmaxRows, compare, compileAndLoad, runOrt } from '../helpers/run.js';

const FIX = join(packageRoot, 'test', 'fixtures');

test('vit with dynamic top-k FFN units: the sparsec build matches onnxruntime on the same ONNX', async () => {
  const file = join(FIX, 'vit.onnx'), bytes = readFileSync(file);
  // ToaSt 30%'s schedule (docs/toast.md): head dims 24 16 16 16 16 16, FFN units 384 384 384 344 40 40
  const keep = [384, 384, 384, 344, 40, 40];
  const heads = await pruneToast(bytes, file, { schedule: { attention: [24, 16, 16, 16, 16, 16], ffn: keep.map(() => 384) } });
  const g = prepareForChannels(readOnnx(heads.onnx, file));
  const dyn = join(mkdtempSync(join(tmpdir(), 'sparsec-toast-dyn-')), 'vit-toast-dynamic.onnx');
  writeFileSync(dyn, writeOnnx(dynamicChannels(g, findFfns(g), keep)));
  const model = await compileAndLoad(dyn);
  assert.is((model.manifest.ops as Record<string, number>).DynamicChannelsMatMul, 3, 'the three FFNs with k < 384 run as DynamicChannelsMatMul');
  assert.is((model.manifest.ops as Record<string, number>).TopK, undefined);
  const images = readFileSync(join(FIX, 'data', 'fmnist-test-1000.u8'));
  for (let i = 0; i < 4; i++) {
    const x = Float32Array.from(images.subarray(i * 784, (i + 1) * 784), (b) => b / 255);
    const ref = (await runOrt(dyn, { input: { data: x, shape: [1, 1, 28, 28] } })).logits.data;
    const got = model.run({ input: x }).logits;
    assert.equal(argmaxRows(got, 10), argmaxRows(ref, 10), `image ${i}: argmax`);
    const { maxAbs, scale } = compare(got, ref);
    assert.ok(maxAbs <= 1e-4 * scale, `image ${i}: max error ${maxAbs} of scale ${scale}`);
  }
});

test('a TopK that is not the dynamic-selection pattern is reported, naming the op', async () => {
  // the same model with the TopK values output also made a graph output: no longer the pattern
  const file = join(FIX, 'vit.onnx');
  const g = prepareForChannels(readOnnx(readFileSync(file), file));
  const d = dynamicChannels(g, findFfns(g), [384, 384, 384, 384, 384, 40]);
  const values = d.nodes.find((n) => n.op === 'TopK')!.outputs[0];
  d.outputs.push(values);
  d.values.set(values, { ...d.values.get(values)!, shape: [40] });
  const f = join(mkdtempSync(join(tmpdir(), 'sparsec-toast-dyn-')), 'topk-values.onnx');
  writeFileSync(f, writeOnnx(d));
  try {
    await compileAndLoad(f);
    assert.unreachable('compiled a TopK without a kernel');
  } catch (e) {
    assert.match(String((e as Error).message), /TopK/);
  }
});

test.run();
