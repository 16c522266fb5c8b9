// The guard: on the gpt fixture, CRePE with PHO is no worse than RIA in held-out bits
// per byte at 2:4 and at 50%. PHO runs with a reduced CMA-ES budget (4 generations of 8) to
// keep the test short; its final real check (bits per byte on calibration-file windows that
// calibration did not use) covers its best proxy candidates, CRePE's defaults and the RIA
// point, and the held-out text is never used for the choice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../compiler/paths.js';
import { readOnnx } from '../../compiler/onnx/read.js';
import { calibrate } from '../../compiler/calibrate/calibrate.js';
import { textCalibration } from '../../compiler/calibrate/text.js';
import { readBytes } from '../../compiler/calibrate/data.js';
import { evalTextModel, heldOutCheck } from '../../compiler/eval/textModel.js';
import { findLinearLayers } from '../../compiler/prune/linear.js';
import { parsePattern } from '../../compiler/prune/masks.js';
import { pruneModel } from '../../compiler/prune/pipeline.js';
import type { PhoCandidate } from '../../compiler/prune/pho.js';

const FIX = join(packageRoot, 'test', 'fixtures');
const file = join(FIX, 'gpt.onnx'), T = 128;
const bytes = new Uint8Array(readFileSync(file));
const calibText = readBytes(join(FIX, 'data', 'sotu-calib-32k.txt'));
const heldout = readBytes(join(FIX, 'data', 'sotu-heldout-64k.txt'));
const feeds = await textCalibration(bytes, file, join(FIX, 'data', 'sotu-calib-32k.txt'), T, 128, 0);
const stats = await calibrate(bytes, findLinearLayers(readOnnx(bytes, file)).filter((l) => !l.skip), feeds);
const validate = heldOutCheck(calibText, T, 128, 0, 64);

for (const p of ['2:4', '0.5']) {
  test(`gpt at ${p}: CRePE with PHO is no worse than RIA on held-out bits per byte`, async () => {
    const pattern = parsePattern(p, 'matrix')!;
    const candidates: PhoCandidate[] = [];
    const phoRun = await pruneModel(bytes, file, { method: 'crepe', pattern, stats, pho: { generations: 4, seed: 0, validate, onCandidate: (c) => candidates.push(c) } });
    const ria = await pruneModel(bytes, file, { method: 'ria', pattern, stats });
    const phoBpb = (await evalTextModel(phoRun.onnx, heldout, T)).bitsPerByte, riaBpb = (await evalTextModel(ria.onnx, heldout, T)).bitsPerByte;
    const chosen = candidates.find((c) => JSON.stringify(c.crepe) === JSON.stringify(phoRun.crepe))!;
    process.stderr.write(`  ${p}: CRePE+PHO ${phoBpb.toFixed(4)} (chose ${chosen.source}: α ${chosen.crepe.alpha.toFixed(3)} β ${chosen.crepe.beta.toFixed(3)} γ ${chosen.crepe.gamma.toFixed(3)} k ${chosen.crepe.k}), RIA ${riaBpb.toFixed(4)}\n`);
    assert.ok(candidates.some((c) => c.source === 'ria') && candidates.some((c) => c.source === 'defaults'), 'the real check covers RIA and the defaults');
    assert.ok(candidates.every((c) => c.real! >= chosen.real!), 'PHO returns the candidate with the lowest real check');
    assert.ok(phoBpb <= riaBpb, `CRePE+PHO ${phoBpb} vs RIA ${riaBpb}`);
  });
}

test.run();
