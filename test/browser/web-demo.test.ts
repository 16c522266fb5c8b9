// The web example (examples/web/) in headless Chromium: it imports two fresh builds' model.mjs
// from a localhost server that sends no COOP/COEP headers, classifies Fashion-MNIST test images
// and generates text greedily; both must equal onnxruntime-node on the same inputs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as ort from 'onnxruntime-node';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildModel } from '../../compiler/compile.js';
import { packageRoot } from '../../compiler/paths.js';
import { launchChromium } from '../helpers/browser.js';
import { argmaxRows } from '../helpers/run.js';

const fix = (f: string) => join(packageRoot, 'test', 'fixtures', f);
const IMAGES = 16, STEPS = 32, T = 64, PROMPT = 'The state of the Union';
interface DemoResult {
  error?: string;
  classify: { preds: number[]; labels: number[]; logits: number[][] };
  generate: { prompt: string; bytes: number[]; text: string };
}

const session = (file: string) => ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 3 });

/** Greedy decoding in onnxruntime-node with the page's windowing: the last T bytes at positions
 *  0.., zero padding after, the next byte is the argmax at the last real position. */
async function greedyOrt(prompt: string, steps: number): Promise<number[]> {
  const s = await session(fix('gpt.onnx'));
  const seq = Array.from(new TextEncoder().encode(prompt));
  for (let i = 0; i < steps; i++) {
    const ctx = seq.slice(-T);
    const tokens = new BigInt64Array(T);
    ctx.forEach((b, j) => { tokens[j] = BigInt(b); });
    const out = await s.run({ tokens: new ort.Tensor('int64', tokens, [1, T]) });
    const logits = out.logits.data as Float32Array;
    seq.push(argmaxRows(logits.subarray((ctx.length - 1) * 256, ctx.length * 256), 256)[0]);
  }
  await s.release();
  return seq.slice(seq.length - steps);
}

test('the web example classifies and generates in Chromium exactly as onnxruntime-node does', async () => {
  const builds = mkdtempSync(join(tmpdir(), 'sparsec-web-'));
  await buildModel(fix('cnn.onnx'), join(builds, 'cnn'));
  await buildModel(fix('gpt.onnx'), join(builds, 'gpt'), { inputShapes: { tokens: [1, T] } });
  const { serve } = await import(pathToFileURL(join(packageRoot, 'examples', 'web', 'serve.mjs')).href);
  const server = await serve({ '/': packageRoot, '/builds/': builds });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const url = `${server.url}/examples/web/?cnn=/builds/cnn/model.mjs&gpt=/builds/gpt/model.mjs&images=${IMAGES}&steps=${STEPS}&prompt=${encodeURIComponent(PROMPT)}`;
    const response = await page.goto(url);
    assert.ok(response?.ok(), `GET ${url}`);
    assert.is(response!.headers()['cross-origin-opener-policy'], undefined);
    assert.is(response!.headers()['cross-origin-embedder-policy'], undefined);
    const r = await page.evaluate(() => (window as unknown as { demo: { done: Promise<DemoResult> } }).demo.done);
    assert.is(r.error, undefined, r.error);
    assert.is(await page.evaluate(() => crossOriginIsolated), false);
    assert.equal(errors, []);

    // classifier: the same images through onnxruntime-node
    const images = readFileSync(fix('data/fmnist-test-1000.u8'));
    const s = await session(fix('cnn.onnx'));
    assert.is(r.classify.preds.length, IMAGES);
    for (let i = 0; i < IMAGES; i++) {
      const x = Float32Array.from(images.subarray(i * 784, (i + 1) * 784), (p) => p / 255);
      const ref = (await s.run({ input: new ort.Tensor('float32', x, [1, 1, 28, 28]) })).logits.data as Float32Array;
      assert.is(r.classify.preds[i], argmaxRows(ref, 10)[0], `image ${i}: class`);
      const scale = Math.max(1, ...Array.from(ref, Math.abs));
      for (let k = 0; k < 10; k++) assert.ok(Math.abs(r.classify.logits[i][k] - ref[k]) <= 1e-4 * scale, `image ${i} logit ${k}: ${r.classify.logits[i][k]} vs ${ref[k]}`);
    }
    await s.release();
    assert.ok(r.classify.preds.filter((p, i) => p === r.classify.labels[i]).length >= IMAGES * 0.75, 'the classifier is mostly right');

    // generation: the same greedy decoding through onnxruntime-node
    assert.is(r.generate.prompt, PROMPT);
    assert.equal(r.generate.bytes, await greedyOrt(PROMPT, STEPS));
    assert.ok(await page.locator('#text').innerText().then((t) => t.startsWith(PROMPT)), 'the page shows the text');

    if (process.env.SPARSEC_SCREENSHOTS) {
      mkdirSync(process.env.SPARSEC_SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: join(process.env.SPARSEC_SCREENSHOTS, 'web-demo.png'), fullPage: true });
    }
  } finally {
    await browser.close();
    await server.close();
  }
});

test.run();
