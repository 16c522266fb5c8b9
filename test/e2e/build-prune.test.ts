// `sparsec build --prune crepe:2:4 --calib text`: the compiled build runs the CRePE-pruned model,
// which must match onnxruntime-node running the same pruned model written back as ONNX.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../compiler/paths.js';
import { writeOnnx } from '../../compiler/onnx/write.js';
import { pruneModel } from '../../compiler/prune/pipeline.js';
import { parsePattern } from '../../compiler/prune/masks.js';
import { textCalibration } from '../../compiler/calibrate/text.js';
import { calibrationFeeds } from '../../compiler/calibrate/feeds.js';
import { readTextLines } from '../../compiler/calibrate/lines.js';
import { REC_INPUT, ctcGreedy, ocrInput, readDictionary } from '../../compiler/eval/ocr.js';
import { pathToFileURL } from 'node:url';
import { compare, compileAndLoad, runOrt } from '../helpers/run.js';

const FIX = join(packageRoot, 'test', 'fixtures');

test('gpt built with --prune crepe:2:4 matches onnxruntime on the CRePE-pruned model', async () => {
  const file = join(FIX, 'gpt.onnx'), calib = join(FIX, 'data', 'sotu-calib-32k.txt'), T = 128;
  const model = await compileAndLoad(file, { inputShapes: { tokens: [1, T] }, prune: 'crepe:2:4', calib });
  const layers = (model.manifest.layers as { op: string; format: string }[]).filter((l) => l.format === '2:4');
  assert.ok(layers.length >= 16, `only ${layers.length} layers run as 2:4`);
  // the reference: the same pruning, written as ONNX, run by onnxruntime
  const bytes = readFileSync(file);
  const feeds = await textCalibration(bytes, file, calib, T, 128, 0);
  const { graph } = await pruneModel(bytes, file, { method: 'crepe', pattern: parsePattern('2:4', 'matrix')!, feeds });
  const pruned = join(mkdtempSync(join(tmpdir(), 'sparsec-crepe-')), 'gpt-crepe24.onnx');
  writeFileSync(pruned, writeOnnx(graph));
  const text = new Uint8Array(readFileSync(join(FIX, 'data', 'sotu-heldout-64k.txt'))).subarray(0, T);
  const ref = await runOrt(pruned, { tokens: { data: BigInt64Array.from(text, (b) => BigInt(b)), shape: [1, T] } });
  const { maxAbs, scale } = compare(model.run({ tokens: Int32Array.from(text) }).logits, ref.logits.data);
  assert.ok(maxAbs <= 1e-4 * scale, `max error ${maxAbs} of scale ${scale}`);
});

test('PP-OCRv4 recognizer built with --prune crepe:2:4 --calib <rendered lines> matches onnxruntime on the pruned model', async () => {
  const { modelPaths, assetPath } = await import(pathToFileURL(join(packageRoot, 'tools', 'fetch-models.mjs')).href);
  const file: string = modelPaths()['ppocr-rec'], calib = join(FIX, 'data', 'ocr-lines-calib-100'), shape = [1, 3, REC_INPUT.height, REC_INPUT.width];
  const model = await compileAndLoad(file, { inputShapes: { x: shape }, prune: 'crepe:2:4', calib });
  const layers = (model.manifest.layers as { op: string; format: string }[]).filter((l) => l.format === '2:4');
  process.stderr.write(`  ppocr-rec crepe:2:4: ${layers.length} layers run as 2:4\n`);
  assert.ok(layers.length >= 1, 'no layer runs as 2:4');
  const bytes = readFileSync(file);
  const feeds = await calibrationFeeds(bytes, file, calib, { count: 128, seed: 0, seq: 128, shape });
  const { graph, report } = await pruneModel(bytes, file, { method: 'crepe', pattern: parsePattern('2:4', 'matrix')!, feeds });
  assert.is(report.filter((r) => !r.skip).length, 8); // the 8 SVTR linear layers; the CTC head stays dense
  const pruned = join(mkdtempSync(join(tmpdir(), 'sparsec-crepe-')), 'rec-crepe24.onnx');
  writeFileSync(pruned, writeOnnx(graph));
  const classes = readDictionary(assetPath('ppocr-keys'));
  for (const line of readTextLines(join(FIX, 'data', 'ocr-lines-test-300')).slice(0, 3)) {
    const x = ocrInput(line, REC_INPUT.height, REC_INPUT.width);
    const ref = await runOrt(pruned, { x: { data: x, shape } });
    const got = model.run({ x })['softmax_11.tmp_0'] as Float32Array;
    const { maxAbs, scale } = compare(got, ref['softmax_11.tmp_0'].data);
    assert.ok(maxAbs <= 1e-4 * scale, `'${line.text}': max error ${maxAbs} of scale ${scale}`);
    assert.is(ctcGreedy(got, 40, classes), ctcGreedy(ref['softmax_11.tmp_0'].data as Float32Array, 40, classes));
  }
});

test.run();
