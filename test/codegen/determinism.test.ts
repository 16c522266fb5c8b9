// The same model and options give byte-identical outputs, and the input model is untouched.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel } from '../../compiler/compile.js';
import { packageRoot } from '../../compiler/paths.js';

const hashDir = (dir: string) => Object.fromEntries(readdirSync(dir).sort().map((f) => [f, createHash('sha256').update(readFileSync(join(dir, f))).digest('hex')]));

test('two builds of the same model are byte-identical, and the model file is not modified', async () => {
  const file = join(packageRoot, 'test', 'fixtures', 'vit.onnx');
  const before = createHash('sha256').update(readFileSync(file)).digest('hex');
  const a = mkdtempSync(join(tmpdir(), 'sparsec-det-a-')), b = mkdtempSync(join(tmpdir(), 'sparsec-det-b-'));
  await buildModel(file, a);
  await buildModel(file, b);
  const ha = hashDir(a), hb = hashDir(b);
  assert.equal(Object.keys(ha), ['manifest.json', 'model.d.ts', 'model.mjs', 'model.wasm', 'weights.bin']);
  assert.equal(ha, hb);
  assert.is(createHash('sha256').update(readFileSync(file)).digest('hex'), before);
});

test.run();
