// `sparsec bench`: the JSON report's shape (schema, platform, versions, seed, the three engines
// with load / first / steady-state times and raw samples), onnxruntime running the same pruned
// weights as the build (outputs agree with onnxruntime-node), and the percentiles on a known list.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../compiler/paths.js';
import { stats } from '../../compiler/bench/latency.js';

const cli = (...args: string[]) => spawnSync(process.execPath, [join(packageRoot, 'bin', 'sparsec.js'), ...args], { encoding: 'utf8' });

test('percentiles: nearest rank on a shuffled 1..100', () => {
  const xs = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
  const s = stats(xs);
  assert.equal([s.min, s.p50, s.p90, s.p99, s.max, s.n], [1, 51, 90, 99, 100, 100]);
  assert.is(s.mean, 50.5);
});

test('bench model.onnx --prune none --prune magnitude:2:4 --json: both builds and onnxruntime on the same weights, in one run', () => {
  const r = cli('bench', join(packageRoot, 'test', 'fixtures', 'cnn.onnx'), '--prune', 'none', '--prune', 'magnitude:2:4', '--rounds', '1', '--warmup', '0', '--seed', '3', '--json', '-q');
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr, '');
  const j = JSON.parse(r.stdout);
  assert.is(j.schemaVersion, 2);
  assert.is(j.seed, 3);
  assert.is(j.threads, 1);
  assert.equal(j.variants.map((v: { ortPrune: string | null; manifest: { prune: string | null } }) => [v.manifest.prune, v.ortPrune]), [[null, null], ['magnitude:2:4', 'magnitude:2:4']]);
  assert.ok(j.platform.node && j.platform.arch && j.platform.cpu);
  assert.match(j.versions['onnxruntime-node'], /^\d+\.\d+/);
  assert.match(j.versions['onnxruntime-web'], /^\d+\.\d+/);
  assert.equal(j.results.map((e: { engine: string; variant: number }) => [e.engine, e.variant]), [
    ['sparsec · cnn dense', 0], ['onnxruntime-web · cnn dense', 0], ['onnxruntime-node · cnn dense', 0],
    ['sparsec · cnn magnitude:2:4', 1], ['onnxruntime-web · cnn magnitude:2:4', 1], ['onnxruntime-node · cnn magnitude:2:4', 1],
  ]);
  for (const e of j.results) {
    assert.ok(e.loadMs > 0 && e.firstMs > 0, e.engine);
    assert.is(e.samples.length, e.stats.n);
    assert.ok(e.stats.n >= 3);
    assert.ok(e.stats.p50 <= e.stats.p90 && e.stats.p90 <= e.stats.p99, e.engine);
    // onnxruntime-node on the same (pruned or dense) model is the reference the others must match
    assert.ok(e.maxAbsDiffVsOrtNode < 1e-4, `${e.engine}: ${e.maxAbsDiffVsOrtNode}`);
  }
});

test('bench: a bad option or a folder that is not a build is one clear line', () => {
  let r = cli('bench', join(packageRoot, 'test', 'fixtures', 'cnn.onnx'), '--threads', '0');
  assert.is(r.status, 2);
  assert.match(r.stderr, /--threads must be a positive integer/);
  r = cli('bench', join(packageRoot, 'test', 'fixtures'));
  assert.is(r.status, 1);
  assert.match(r.stderr, /is not a sparsec build \(no manifest.json\)/);
});

test.run();
