// Real pretrained models nobody on the team wrote (fetched by tools/fetch-models.mjs, pinned and
// hash-checked), compiled at fixed shapes and checked against onnxruntime-node on the same
// seeded inputs in each model's own input range.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../../compiler/paths.js';
import { numel } from '../../compiler/ir/graph.js';
import { uniform } from '../../compiler/util/random.js';
import { argmaxRows, compare, compileAndLoad, runOrt } from '../helpers/run.js';

interface RealModel { input: { name: string }; buildShape: number[]; inputRange: { range: [number, number] }; outputs: { name: string; shape: number[] }[] }
const spec: Record<string, RealModel> = JSON.parse(readFileSync(join(packageRoot, 'test', 'fixtures', 'real-models.json'), 'utf8')).models;
const { modelPaths } = await import(pathToFileURL(join(packageRoot, 'tools', 'fetch-models.mjs')).href);
const paths: Record<string, string> = modelPaths();

for (const [id, m] of Object.entries(spec)) {
  for (const target of ['wasm-simd128', 'wasm-mvp']) {
    test(`${id} (${target}): matches onnxruntime-node at ${m.buildShape.join('x')}`, async () => {
      const [lo, hi] = m.inputRange.range;
      const x = uniform(7, numel(m.buildShape), lo, hi);
      const ref = await runOrt(paths[id], { [m.input.name]: { data: x, shape: m.buildShape } });
      const model = await compileAndLoad(paths[id], { target, inputShapes: { [m.input.name]: m.buildShape } });
      const ours = model.run({ [m.input.name]: x });
      for (const o of m.outputs) {
        const exp = ref[o.name], got = ours[o.name];
        assert.equal(got.length, exp.data.length, `${o.name}: length`);
        const { maxAbs, scale } = compare(got, exp.data);
        const row = o.shape[o.shape.length - 1];
        const argmaxSame = argmaxRows(got, row).filter((a, i) => a !== argmaxRows(exp.data, row)[i]).length;
        process.stderr.write(`  ${id} ${o.name}: max error ${maxAbs.toExponential(2)} (scale ${scale.toExponential(2)}), ${argmaxSame} rows with another argmax\n`);
        assert.ok(maxAbs <= 1e-4 * Math.max(scale, 1e-6), `${o.name}: max abs error ${maxAbs} exceeds 1e-4 of the scale ${scale}`);
        if (row > 1) assert.is(argmaxSame, 0, `${o.name}: argmax differs in ${argmaxSame} rows`);
      }
    });
  }
}

test.run();
