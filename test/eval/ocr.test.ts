// OCR metrics: CTC decoding, edit distance, CER and the PaddleOCR preprocessing on hand-computed
// cases; then the real PP-OCRv4 recognizer and orientation classifier (onnxruntime-node) on the
// rendered lines of tools/render-text-lines.py, which they must read well.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../../compiler/paths.js';
import { readTextLines } from '../../compiler/calibrate/lines.js';
import { CLS_INPUT, REC_INPUT, charErrorRate, classifyOrientation, ctcGreedy, editDistance, ocrInput, ortImageRunner, readDictionary, recognize, resizeBilinear, rotate180 } from '../../compiler/eval/ocr.js';

const { modelPaths, assetPath } = await import(pathToFileURL(join(packageRoot, 'tools', 'fetch-models.mjs')).href);
const lines = join(packageRoot, 'test', 'fixtures', 'data', 'ocr-lines-test-300');

/** one-hot [T, C] scores for a class sequence */
const steps = (seq: number[], C: number): Float32Array => {
  const s = new Float32Array(seq.length * C).fill(0.01);
  seq.forEach((c, t) => { s[t * C + c] = 0.9; });
  return s;
};

test('ctcGreedy merges repeats, then drops blanks (a blank separates a real double letter)', () => {
  const classes = ['', 'a', 'b', ' '];
  assert.is(ctcGreedy(steps([1, 1, 0, 1, 2, 2], 4), 6, classes), 'aab');
  assert.is(ctcGreedy(steps([0, 3, 1, 0, 0, 3], 4), 6, classes), ' a ');
  assert.is(ctcGreedy(steps([0, 0, 0], 4), 3, classes), '');
  assert.is(ctcGreedy(steps([2, 2, 2], 4), 3, classes), 'b');
});

test('editDistance and charErrorRate on hand-computed cases', () => {
  assert.is(editDistance('kitten', 'sitting'), 3);
  assert.is(editDistance('', 'abc'), 3);
  assert.is(editDistance('abc', 'abc'), 0);
  assert.is(editDistance('flaw', 'lawn'), 2);
  assert.is(editDistance('𝔸b', 'b'), 1); // one code point, two UTF-16 units
  assert.is(charErrorRate(['abc', 'de'], ['abd', 'de']), 1 / 5);
  assert.is(charErrorRate(['ab', 'cd'], ['', 'cdx']), 3 / 4);
});

test('resizeBilinear follows cv2 INTER_LINEAR (half-pixel centres, clamped borders)', () => {
  // 2 -> 4 columns: source x = (d + 0.5)/2 - 0.5 = -0.25, 0.25, 0.75, 1.25 (clamped to 0 and 1)
  assert.equal(Array.from(resizeBilinear(Uint8Array.from([0, 100]), 2, 1, 4, 1)), [0, 25, 75, 100]);
  // 4 -> 2 columns: source x = 0.5, 2.5
  assert.equal(Array.from(resizeBilinear(Uint8Array.from([0, 40, 80, 120]), 4, 1, 2, 1)), [20, 100]);
});

test('ocrInput: normalised to (x/255 - 0.5)/0.5 in 3 equal channels, right-padded with 0', () => {
  const line = { text: '', width: 2, height: 2, pixels: Uint8Array.from([0, 255, 51, 204]) };
  const x = ocrInput(line, 2, 3);
  const plane = [-1, 1, 0, 51 / 255 * 2 - 1, 204 / 255 * 2 - 1, 0];
  for (let c = 0; c < 3; c++) Array.from(x.subarray(c * 6, c * 6 + 6)).forEach((v, i) => assert.ok(Math.abs(v - plane[i]) < 1e-6, `channel ${c} value ${i}: ${v} vs ${plane[i]}`));
  // wider than W: squashed to W (ceil(2 * 4/2) = 4 > 3)
  const wide = { text: '', width: 4, height: 2, pixels: new Uint8Array(8).fill(255) };
  assert.ok(ocrInput(wide, 2, 3).every((v) => v === 1));
});

test('rotate180 reverses the pixel order', () => {
  const line = { text: 'x', width: 3, height: 2, pixels: Uint8Array.from([1, 2, 3, 4, 5, 6]) };
  assert.equal(Array.from(rotate180(line).pixels), [6, 5, 4, 3, 2, 1]);
});

test('readTextLines reads the committed lines and rejects a pixel count that does not match', () => {
  const all = readTextLines(lines);
  assert.is(all.length, 300);
  assert.ok(all.every((l) => l.height === 48 && l.width <= REC_INPUT.width && l.pixels.length === 48 * l.width));
  const dir = mkdtempSync(join(tmpdir(), 'sparsec-lines-'));
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ height: 2, lines: [{ text: 'a', width: 3 }] }));
  writeFileSync(join(dir, 'bad.u8.gz'), gzipSync(new Uint8Array(5)));
  assert.throws(() => readTextLines(join(dir, 'bad.json')), /5 pixels, but the 1 lines .* need 6/);
});

test('PP-OCRv4 recognizer (onnxruntime-node) reads 100 rendered lines with CER < 2%', async () => {
  const data = readTextLines(lines).slice(0, 100);
  const runner = await ortImageRunner(modelPaths()['ppocr-rec'], REC_INPUT);
  const r = await recognize(data, readDictionary(assetPath('ppocr-keys')), runner.run).finally(() => runner.release());
  process.stderr.write(`  ppocr-rec dense: CER ${(r.cer * 100).toFixed(2)}%, lines exact ${(r.lineAccuracy * 100).toFixed(0)}%\n`);
  assert.ok(r.cer < 0.02, `CER ${r.cer}`); // measured 1.12% on these 100 lines
  assert.ok(r.lineAccuracy >= 0.85, `line accuracy ${r.lineAccuracy}`); // measured 92%
});

test('PP-OCR orientation classifier tells 0° from 180° on 100 rendered lines (>= 95%)', async () => {
  const data = readTextLines(lines).slice(0, 100);
  const runner = await ortImageRunner(modelPaths()['ppocr-cls'], CLS_INPUT);
  const r = await classifyOrientation(data, runner.run).finally(() => runner.release());
  process.stderr.write(`  ppocr-cls dense: accuracy ${(r.accuracy * 100).toFixed(1)}% (0° ${(r.upright * 100).toFixed(0)}%, 180° ${(r.rotated * 100).toFixed(0)}%)\n`);
  assert.ok(r.accuracy >= 0.95, `accuracy ${r.accuracy}`);
});

test('sparsec eval --task ocr-rec|ocr-cls prints JSON; a missing --dict is one clear line', () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, [join(packageRoot, 'bin', 'sparsec.js'), 'eval', ...args], { encoding: 'utf8' });
  const rec = cli(modelPaths()['ppocr-rec'], '--task', 'ocr-rec', '--data', lines, '--dict', assetPath('ppocr-keys'), '--limit', '20', '--json', '-q');
  assert.is(rec.status, 0, rec.stderr);
  const r = JSON.parse(rec.stdout);
  assert.is(r.lines, 20);
  assert.is(r.texts.length, 20);
  assert.ok(r.cer < 0.05, `CER ${r.cer}`);
  const cls = cli(modelPaths()['ppocr-cls'], '--task', 'ocr-cls', '--data', `${lines}.json`, '--limit', '20', '--json', '-q');
  assert.is(cls.status, 0, cls.stderr);
  assert.ok(JSON.parse(cls.stdout).accuracy >= 0.9);
  const bad = cli(modelPaths()['ppocr-rec'], '--task', 'ocr-rec', '--data', lines);
  assert.is(bad.status, 2); // E_OPTION
  assert.match(bad.stderr, /--task ocr-rec needs --dict/);
  assert.is(bad.stderr.trim().split('\n').length, 1);
});

test.run();
