// The web example: imports two sparsec builds (the Fashion-MNIST classifier and the byte-level
// GPT) and runs them in the page. Query parameters (all optional):
//   cnn=<url of model.mjs>  gpt=<url of model.mjs>  data=<folder of the fixture data>
//   images=<count, from the first test image>  prompt=<text>  steps=<bytes to generate>
// window.demo.done resolves to what the page computed, for the browser test to compare with
// onnxruntime-node on the same inputs.
const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const q = new URLSearchParams(location.search);
const cnnUrl = new URL(q.get('cnn') ?? '../../out/web/cnn/model.mjs', location.href).href;
const gptUrl = new URL(q.get('gpt') ?? '../../out/web/gpt/model.mjs', location.href).href;
const dataUrl = new URL(q.get('data') ?? '../../test/fixtures/data/', location.href).href;
const imageCount = Number(q.get('images') ?? 16);
const steps = Number(q.get('steps') ?? 48);
const $ = (id) => document.getElementById(id);

const bytesOf = async (url) => {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`cannot fetch ${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
};
/** index of the largest value; ties go to the lowest index (as in the test's reference) */
const argmax = (a, from = 0, n = a.length) => {
  let best = 0;
  for (let i = 1; i < n; i++) if (a[from + i] > a[from + best]) best = i;
  return best;
};
const loadBuild = async (url) => {
  const t0 = performance.now();
  const model = await (await import(url)).load();
  return { model, loadMs: performance.now() - t0 };
};

async function classify() {
  const [{ model, loadMs }, images, labels] = await Promise.all([loadBuild(cnnUrl), bytesOf(dataUrl + 'fmnist-test-1000.u8'), bytesOf(dataUrl + 'fmnist-test-1000.labels.u8')]);
  $('cnn-src').textContent = `(${new URL(cnnUrl).pathname})`;
  const [input] = model.inputs, [output] = model.outputs;
  const x = new Float32Array(784);
  const out = { indices: [], labels: [], preds: [], logits: [], loadMs, runMs: 0 };
  for (let i = 0; i < imageCount; i++) {
    const pixels = images.subarray(i * 784, (i + 1) * 784);
    for (let p = 0; p < 784; p++) x[p] = pixels[p] / 255;
    const t = performance.now();
    const logits = model.run({ [input.name]: x })[output.name];
    out.runMs += performance.now() - t;
    const pred = argmax(logits);
    out.indices.push(i); out.labels.push(labels[i]); out.preds.push(pred); out.logits.push(Array.from(logits));
    $('images').append(figure(pixels, pred, labels[i]));
  }
  const correct = out.preds.filter((p, i) => p === out.labels[i]).length;
  $('cnn-stats').textContent = `${correct} of ${imageCount} right · load ${loadMs.toFixed(1)} ms · ${(out.runMs / imageCount).toFixed(2)} ms per image`;
  model.dispose();
  return out;
}

function figure(pixels, pred, label) {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 28;
  const ctx = canvas.getContext('2d'), img = ctx.createImageData(28, 28);
  for (let p = 0; p < 784; p++) img.data.set([pixels[p], pixels[p], pixels[p], 255], p * 4);
  ctx.putImageData(img, 0, 0);
  const f = document.createElement('figure'), c = document.createElement('figcaption'), b = document.createElement('b');
  f.className = pred === label ? 'ok' : 'bad';
  b.textContent = CLASSES[pred];
  c.append(b, pred === label ? 'correct' : `label: ${CLASSES[label]}`);
  f.append(canvas, c);
  return f;
}

/** Greedy decoding with a build of fixed length T: the last T bytes sit at positions 0.., the rest
 *  is zero padding after them (the model is causal, so padding never reaches earlier positions),
 *  and the next byte is the argmax of the logits at the last real position. */
function generate(model, prompt, n) {
  const [input] = model.inputs, [output] = model.outputs;
  const T = input.shape[1], vocab = output.shape[2];
  const seq = Array.from(new TextEncoder().encode(prompt || ' '));
  const tokens = new Int32Array(T);
  const t0 = performance.now();
  for (let s = 0; s < n; s++) {
    const ctx = seq.slice(-T);
    tokens.fill(0);
    tokens.set(ctx);
    const logits = model.run({ [input.name]: tokens })[output.name];
    seq.push(argmax(logits, (ctx.length - 1) * vocab, vocab));
  }
  return { bytes: seq.slice(seq.length - n), msPerByte: (performance.now() - t0) / n, T };
}

async function textDemo() {
  const { model, loadMs } = await loadBuild(gptUrl);
  $('gpt-src').textContent = `(${new URL(gptUrl).pathname})`;
  const run = (prompt) => {
    const r = generate(model, prompt, steps);
    const text = new TextDecoder().decode(new Uint8Array(r.bytes));
    const pre = $('text'), span = document.createElement('span');
    span.className = 'gen';
    span.textContent = text;
    pre.replaceChildren(prompt, span);
    $('gpt-stats').textContent = `${steps} bytes, window T = ${r.T} · load ${loadMs.toFixed(1)} ms · ${r.msPerByte.toFixed(2)} ms per byte`;
    return { prompt, bytes: r.bytes, text, loadMs, msPerByte: r.msPerByte };
  };
  $('prompt').value = q.get('prompt') ?? 'The state of the Union';
  $('go').onclick = () => run($('prompt').value);
  return run($('prompt').value);
}

const done = Promise.all([classify(), textDemo()]).then(([classify, generate]) => ({ classify, generate }));
done.catch((e) => { $('error').textContent = `error: ${e.message}`; });
window.demo = { done: done.catch((e) => ({ error: String(e?.stack ?? e) })) };
