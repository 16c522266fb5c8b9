// End to end on the gpt fixture: `sparsec prune --method ria --sparsity 2:4` writes a masked
// ONNX file; read back with onnx-proto (not the compiler's reader), every pruned weight is 2:4
// along the input dimension and otherwise equal to the original, the head and embedding are
// untouched, the input file is unchanged, and `sparsec eval` gives a finite bits per byte.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { packageRoot } from '../../compiler/paths.js';
import { evalTextModel } from '../../compiler/eval/textModel.js';

const fixtures = join(packageRoot, 'test', 'fixtures');
const gpt = join(fixtures, 'gpt.onnx');
const tmp = mkdtempSync(join(tmpdir(), 'sparsec-prune-'));
const cli = (...args: string[]) => spawnSync(process.execPath, [join(packageRoot, 'bin', 'sparsec.js'), ...args], { encoding: 'utf8' });
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

/** initializers (float32) and MatMul nodes of an ONNX file, decoded directly */
function decode(file: string) {
  const m = onnxProto.onnx.ModelProto.decode(readFileSync(file));
  const inits = new Map<string, { dims: number[]; data: Float32Array }>();
  for (const t of m.graph!.initializer ?? []) {
    if (t.dataType !== 1) continue;
    const raw = t.rawData!;
    const data = t.floatData?.length ? Float32Array.from(t.floatData) : new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    inits.set(t.name!, { dims: (t.dims ?? []).map(Number), data });
  }
  const matmuls = (m.graph!.node ?? []).filter((n) => n.opType === 'MatMul' && inits.has(n.input![1])).map((n) => ({ weight: n.input![1], output: n.output![0] }));
  return { inits, matmuls, outputs: (m.graph!.output ?? []).map((o) => o.name!) };
}

test('prune gpt 2:4 with RIA: a masked, valid 2:4 model that onnxruntime runs', async () => {
  const before = sha(gpt);
  const out = join(tmp, 'gpt-ria-2of4.onnx');
  const r = cli('prune', gpt, '--method', 'ria', '--sparsity', '2:4', '--calib', join(fixtures, 'data', 'sotu-calib-32k.txt'), '--calib-windows', '8', '-o', out, '--json', '-q');
  assert.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { sparsity: number; layers: { name: string; skip: string }[] };
  assert.is(report.sparsity, 0.5);
  assert.is(sha(gpt), before, 'the input model changed');

  const orig = decode(gpt), pruned = decode(out);
  const head = orig.matmuls.find((m) => orig.outputs.includes(m.output))!;
  assert.ok(head, 'the fixture head produces a graph output');
  let checked = 0;
  for (const { weight } of orig.matmuls) {
    const a = orig.inits.get(weight)!, b = pruned.inits.get(weight)!;
    assert.equal(b.dims, a.dims);
    if (weight === head.weight) { assert.equal(Array.from(b.data), Array.from(a.data), 'head changed'); continue; }
    const [K, N] = a.dims;
    let zeros = 0;
    for (let i = 0; i < a.data.length; i++) {
      if (b.data[i] === 0) zeros++;
      else if (b.data[i] !== a.data[i]) assert.unreachable(`${weight}[${i}] changed value`);
    }
    assert.is(zeros, K * N / 2, weight);
    // groups of 4 consecutive input rows k in each output column n hold at most 2 non-zeros
    for (let n = 0; n < N; n++) {
      for (let k0 = 0; k0 < K; k0 += 4) {
        let nz = 0;
        for (let t = 0; t < 4; t++) if (b.data[(k0 + t) * N + n] !== 0) nz++;
        if (nz > 2) assert.unreachable(`${weight}: column ${n}, rows ${k0}..${k0 + 3} hold ${nz} non-zeros`);
      }
    }
    checked++;
  }
  assert.is(checked, 16);
  assert.equal(Array.from(pruned.inits.get('wte.weight')!.data), Array.from(orig.inits.get('wte.weight')!.data));

  // bits per byte on the first 64 windows of the held-out text
  const text = join(tmp, 'heldout-8k.txt');
  writeFileSync(text, readFileSync(join(fixtures, 'data', 'sotu-heldout-64k.txt')).subarray(0, 8192));
  const bpb = (f: string) => {
    const e = cli('eval', f, '--text', text, '--seq', '128', '--json', '-q');
    assert.is(e.status, 0, e.stderr);
    return (JSON.parse(e.stdout) as { bitsPerByte: number; windows: number }).bitsPerByte;
  };
  const dense = (await evalTextModel(gpt, readFileSync(text), 128)).bitsPerByte, sparse = bpb(out);
  assert.ok(Number.isFinite(sparse) && sparse < 8, `pruned bits per byte ${sparse}`);
  assert.ok(sparse > dense, `pruning half the weights should cost something: dense ${dense}, 2:4 ${sparse}`);
});

test('prune and eval refuse bad options and files with one message, and prune never overwrites its input', () => {
  const calib = join(fixtures, 'data', 'sotu-calib-32k.txt');
  for (const args of [['--sparsity', '3:4x'], ['--crepe-k', '4']]) {
    const r = cli('prune', gpt, '--calib', calib, '--calib-windows', '1', '-o', join(tmp, 'x.onnx'), ...args);
    assert.is(r.status, 2, `${args}: ${r.stderr}`);
    assert.match(r.stderr, /^sparsec: error: /);
    assert.not.match(r.stderr, /^\s+at /m);
  }
  const noCalib = cli('prune', gpt, '--method', 'ria', '-o', join(tmp, 'x.onnx'));
  assert.is(noCalib.status, 2);
  assert.match(noCalib.stderr, /needs --calib/);
  writeFileSync(join(tmp, 'garbage.onnx'), 'not a model');
  const bad = cli('eval', join(tmp, 'garbage.onnx'), '--text', calib);
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /^sparsec: error: .*garbage\.onnx: onnxruntime cannot load the model/);
  assert.not.match(bad.stderr, /^\s+at /m);
  const same = cli('prune', gpt, '--method', 'magnitude', '-o', gpt);
  assert.is(same.status, 2);
  assert.match(same.stderr, /must differ/);
});

test.run();
