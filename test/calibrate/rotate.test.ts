// --calib-rotate 180 (compiler/calibrate/rotate.ts, feeds.ts): image tensors turned by 180° in
// both layouts against hand-written index maps; text lines turned before preprocessing (checked
// against a line whose pixel rows and columns the test reverses itself); and the CLI: twice the
// calibration rows with the option, one clear line for an unsupported angle.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../compiler/paths.js';
import { writeOnnx } from '../../compiler/onnx/write.js';
import { rotateImage180 } from '../../compiler/calibrate/rotate.js';
import { calibrationFeeds } from '../../compiler/calibrate/feeds.js';
import { readTextLines } from '../../compiler/calibrate/lines.js';
import { sampleIndices } from '../../compiler/calibrate/data.js';
import { ocrInput } from '../../compiler/eval/ocr.js';
import { GraphBuilder } from '../helpers/graphs.js';

const fix = (f: string) => join(packageRoot, 'test', 'fixtures', f);
const tmp = mkdtempSync(join(tmpdir(), 'sparsec-rotate-'));
const cli = (...args: string[]) => spawnSync(process.execPath, [join(packageRoot, 'bin', 'sparsec.js'), ...args], { encoding: 'utf8' });

test('rotateImage180: NCHW planes and NHWC pixels', () => {
  // [1, 2, 2, 3]: two planes 0..5 and 6..11
  const nchw = Float32Array.from({ length: 12 }, (_, i) => i);
  assert.equal(Array.from(rotateImage180(nchw, [1, 2, 2, 3])), [5, 4, 3, 2, 1, 0, 11, 10, 9, 8, 7, 6]);
  // [1, 2, 2, 3] read as NHWC needs C ≤ 4 on the last axis and > 4 on axis 1: [1, 5, 1, 2]
  const nhwc = Float32Array.from({ length: 10 }, (_, i) => i); // pixel p has channels (2p, 2p+1)
  assert.equal(Array.from(rotateImage180(nhwc, [1, 5, 1, 2])), [8, 9, 6, 7, 4, 5, 2, 3, 0, 1]);
  assert.throws(() => rotateImage180(new Float32Array(64), [1, 8, 8, 1, 1]), /--calib-rotate needs image inputs/);
});

function imageModel(shape: number[], file: string): { bytes: Uint8Array; file: string } {
  const b = new GraphBuilder('img');
  b.output(b.op('Relu', [b.input('x', shape)]));
  const bytes = writeOnnx(b.build());
  writeFileSync(file, bytes);
  return { bytes, file };
}

test('text lines: each sampled line, then the same line turned by 180° before preprocessing', async () => {
  const m = imageModel([1, 3, 48, 192], join(tmp, 'lines.onnx'));
  const data = fix('data/ocr-lines-calib-100');
  const plain = await calibrationFeeds(m.bytes, m.file, data, { count: 5, seed: 3, seq: 0 });
  const both = await calibrationFeeds(m.bytes, m.file, data, { count: 5, seed: 3, seq: 0, rotate180: true });
  assert.is(both.length, 10);
  const lines = readTextLines(data), picked = sampleIndices(lines.length, 5, 3);
  picked.forEach((li, i) => {
    assert.equal(both[2 * i].x.data, plain[i].x.data);
    const l = lines[li], turned = new Uint8Array(l.pixels.length);
    for (let y = 0; y < l.height; y++) for (let x = 0; x < l.width; x++) turned[y * l.width + x] = l.pixels[(l.height - 1 - y) * l.width + (l.width - 1 - x)];
    assert.equal(both[2 * i + 1].x.data, ocrInput({ ...l, pixels: turned }, 48, 192));
    assert.not.equal(both[2 * i + 1].x.data, plain[i].x.data);
  });
});

test('raw images: pixel (y, x) of the copy is pixel (27 − y, 27 − x) of the image', async () => {
  const m = imageModel([1, 1, 28, 28], join(tmp, 'fmnist.onnx'));
  const feeds = await calibrationFeeds(m.bytes, m.file, fix('data/fmnist-calib-256.u8'), { count: 2, seed: 0, seq: 0, rotate180: true });
  assert.is(feeds.length, 4);
  const a = feeds[2].x.data as Float32Array, r = feeds[3].x.data as Float32Array;
  for (const [y, x] of [[0, 0], [3, 20], [14, 14], [27, 5]]) assert.is(r[y * 28 + x], a[(27 - y) * 28 + (27 - x)]);
});

test('sparsec prune --calib-rotate 180 calibrates on twice the rows; other angles are refused', () => {
  const base = [fix('cnn.onnx'), '--method', 'l1', '--flops-reduction', '0.3', '--calib', fix('data/fmnist-calib-256.u8'), '--calib-images', '4', '--no-reconstruct', '--json', '-q'];
  const rows = (extra: string[]) => {
    const r = cli('prune', ...base, '-o', join(tmp, 'p.onnx'), ...extra);
    assert.is(r.status, 0, r.stderr);
    return (JSON.parse(r.stdout).recovery as { rows: number }[]).map((s) => s.rows);
  };
  const one = rows([]), two = rows(['--calib-rotate', '180']);
  assert.ok(one.length > 0);
  assert.equal(two, one.map((n) => 2 * n));
  const bad = cli('prune', ...base, '-o', join(tmp, 'q.onnx'), '--calib-rotate', '90');
  assert.is(bad.status, 2); // a usage error
  assert.match(bad.stderr, /--calib-rotate supports 180/);
  assert.is(bad.stderr.trim().split('\n').length, 1, bad.stderr);
});

test.run();
