// User errors end in one clear message and a non-zero exit, never a stack trace: unreadable,
// truncated and non-ONNX files, models with unsupported ops (all listed at once), wrong
// --input-shape, and wrong inputs at run time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../compiler/paths.js';
import { writeOnnx } from '../../compiler/onnx/write.js';
import type { Graph } from '../../compiler/ir/graph.js';
import { compileAndLoad } from '../helpers/run.js';

const tmp = mkdtempSync(join(tmpdir(), 'sparsec-errors-'));
const cli = (...args: string[]) => spawnSync(process.execPath, [join(packageRoot, 'bin', 'sparsec.js'), ...args], { encoding: 'utf8' });
const noStack = (s: string) => !/^\s+at .+:\d+:\d+\)?$/m.test(s);

function tinyModel(nodes: Graph['nodes'], file: string, inputShape: (number | string)[] = [1, 4]): string {
  const g: Graph = {
    name: 'tiny', source: file, opset: 17, nodes, inputs: ['x'], outputs: [nodes[nodes.length - 1].outputs[0]],
    values: new Map([
      ['x', { name: 'x', dtype: 'float32', shape: inputShape.every((d) => typeof d === 'number') ? (inputShape as number[]) : null, declared: inputShape }],
      [nodes[nodes.length - 1].outputs[0], { name: nodes[nodes.length - 1].outputs[0], dtype: 'float32', shape: null, declared: inputShape }],
    ]),
  };
  writeFileSync(file, writeOnnx(g));
  return file;
}

test('a truncated model names the file and says it does not decode', () => {
  const file = join(tmp, 'truncated.onnx');
  writeFileSync(file, readFileSync(join(packageRoot, 'test', 'fixtures', 'cnn.onnx')).subarray(0, 5000));
  const r = cli('build', file, '-o', join(tmp, 'out1'));
  assert.is(r.status, 1);
  assert.match(r.stderr, file);
  assert.match(r.stderr, /not a valid ONNX model/);
  assert.ok(noStack(r.stderr), r.stderr);
});

test('a file that is not ONNX at all is refused clearly', () => {
  const file = join(tmp, 'notes.onnx');
  writeFileSync(file, 'these are not the weights you are looking for\n');
  const r = cli('inspect', file);
  assert.is(r.status, 1);
  assert.match(r.stderr, /notes\.onnx/);
  assert.match(r.stderr, /ONNX/);
  assert.ok(noStack(r.stderr), r.stderr);
});

test('a missing file is an error, not a crash', () => {
  const r = cli('build', join(tmp, 'nope.onnx'), '-o', join(tmp, 'out2'));
  assert.is(r.status, 1);
  assert.match(r.stderr, /cannot read the model: ENOENT/);
  assert.ok(noStack(r.stderr), r.stderr);
});

test('every unsupported op is listed at once, with its node', () => {
  const file = tinyModel([
    { name: 'first_bad', op: 'Unique', domain: '', inputs: ['x'], outputs: ['a'], attrs: {} },
    { name: 'custom', op: 'FancyGate', domain: 'com.example', inputs: ['a'], outputs: ['b'], attrs: {} },
    { name: 'ok', op: 'Relu', domain: '', inputs: ['b'], outputs: ['y'], attrs: {} },
  ], join(tmp, 'unsupported.onnx'));
  const r = cli('build', file, '-o', join(tmp, 'out3'));
  assert.is(r.status, 1);
  assert.match(r.stderr, /Unique in node 'first_bad'/);
  assert.match(r.stderr, /FancyGate \(domain com\.example\) in node 'custom'/);
  assert.ok(noStack(r.stderr), r.stderr);
  const inspect = cli('inspect', file);
  assert.is(inspect.status, 0);
  assert.match(inspect.stdout, /unsupported \(2\)/);
});

test('a dynamic dimension without --input-shape says how to fix it', () => {
  const file = tinyModel([{ name: 'r', op: 'Relu', domain: '', inputs: ['x'], outputs: ['y'], attrs: {} }], join(tmp, 'dynamic.onnx'), [1, 'T']);
  const r = cli('build', file, '-o', join(tmp, 'out4'));
  assert.is(r.status, 1);
  assert.match(r.stderr, /input 'x' has dynamic dimensions \[1,T\]; fix them with --input-shape x=1xN/);
  const bad = cli('build', file, '-o', join(tmp, 'out4'), '--input-shape', 'x=2x8');
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /does not fit the declared shape/);
});

test('a wrong input at run time names the input, the expected and the actual shape', async () => {
  const file = tinyModel([{ name: 'r', op: 'Relu', domain: '', inputs: ['x'], outputs: ['y'], attrs: {} }], join(tmp, 'relu.onnx'), [1, 4]);
  const model = await compileAndLoad(file);
  const y = model.run({ x: new Float32Array([-1, 2, -3, 4]) }).y;
  assert.equal(Array.from(y as Float32Array), [0, 2, 0, 4]);
  assert.throws(() => model.run({ x: new Float32Array(5) }), (e: Error) => e.name === 'SparsecInputError' && /input 'x' \(float32, shape \[1,4\]\): expected 4 elements, got 5/.test(e.message));
  assert.throws(() => model.run({ x: new Int32Array(4) }), /expected a Float32Array, got Int32Array/);
  assert.throws(() => model.run({}), /missing input 'x'/);
  assert.throws(() => model.run({ x: new Float32Array(4), z: new Float32Array(1) }), /unknown input 'z'/);
});

test.run();
