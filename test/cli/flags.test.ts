// Every command takes --json (machine-readable stdout) and --quiet (nothing on stderr), and
// progress bars appear on stderr only when it is a terminal (checked through script(1)'s pty).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../compiler/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'sparsec-flags-'));
const fix = (f: string) => join(packageRoot, 'test', 'fixtures', f);
const bin = join(packageRoot, 'bin', 'sparsec.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
const text = join(tmp, 'heldout.txt');
writeFileSync(text, readFileSync(fix('data/sotu-heldout-64k.txt')).subarray(0, 4096));

const commands: [string, string[], (j: Record<string, unknown>) => boolean][] = [
  ['build', ['build', fix('cnn.onnx'), '-o', join(tmp, 'cnn')], (j) => Array.isArray(j.layers)],
  ['inspect', ['inspect', fix('cnn.onnx')], (j) => typeof j.params === 'number'],
  ['prune', ['prune', fix('gpt.onnx'), '--method', 'magnitude', '--sparsity', '2:4', '-o', join(tmp, 'gpt24.onnx')], (j) => j.pattern === '2:4'],
  ['eval', ['eval', fix('gpt.onnx'), '--text', text, '--seq', '128'], (j) => typeof j.bitsPerByte === 'number'],
  ['report', ['report', join(tmp, 'cnn'), '-o', join(tmp, 'r.html')], (j) => Array.isArray(j.builds)],
];

for (const [name, args, check] of commands) {
  test(`${name} --json --quiet: JSON on stdout, nothing on stderr`, () => {
    const r = cli(...args, '--json', '--quiet');
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stderr, '');
    assert.ok(check(JSON.parse(r.stdout)), r.stdout.slice(0, 200));
  });
}
// bench --json --quiet: test/cli/bench.test.ts

test('progress bars: on a terminal only, and never with --quiet', () => {
  const script = ['/usr/bin/script', '/bin/script'].find((p) => spawnSync(p, ['--version']).status === 0);
  assert.ok(script, 'script(1) from util-linux runs the command on a pty');
  const onTty = (args: string[]) => spawnSync(script!, ['-qec', [process.execPath, bin, ...args].map((a) => `'${a}'`).join(' '), '/dev/null'], { encoding: 'utf8' });
  let r = onTty(['build', fix('cnn.onnx'), '-o', join(tmp, 'cnn-tty')]);
  assert.is(r.status, 0, r.stdout);
  assert.match(r.stdout, /building \[[█░]+\] \d\/4/);
  const evalArgs = ['eval', fix('gpt.onnx'), '--text', text];
  r = onTty(evalArgs);
  assert.match(r.stdout, /evaluating \[[█░]+\] \d+\/32/);
  r = onTty([...evalArgs, '--quiet']);
  assert.is(r.status, 0, r.stdout);
  assert.not.match(r.stdout, /evaluating|\[[█░]+\]/);
  assert.match(r.stdout, /^bits per byte/);
  r = cli(...evalArgs);
  assert.is(r.status, 0);
  assert.is(r.stderr, '');
});

test.run();
