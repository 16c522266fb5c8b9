// Runs a sparsec build of the Fashion-MNIST classifier (test/fixtures/cnn.onnx or vit.onnx)
// on the 1,000 committed test images, exactly as an application would embed it.
//   node examples/classify.mjs out/cnn
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const dir = resolve(process.argv[2] ?? 'out/cnn');
const fixtures = new URL('../test/fixtures/data/', import.meta.url);
const images = readFileSync(new URL('fmnist-test-1000.u8', fixtures));
const labels = readFileSync(new URL('fmnist-test-1000.labels.u8', fixtures));

const { load } = await import(pathToFileURL(`${dir}/model.mjs`).href);
const t0 = performance.now();
const model = await load();
const loadMs = performance.now() - t0;
const [input] = model.inputs, [output] = model.outputs;
let correct = 0;
const x = new Float32Array(784);
const t1 = performance.now();
for (let i = 0; i < 1000; i++) {
  for (let p = 0; p < 784; p++) x[p] = images[i * 784 + p] / 255;
  const logits = model.run({ [input.name]: x })[output.name];
  const pred = logits.indexOf(Math.max(...logits));
  if (pred === labels[i]) correct++;
  if (i < 5) console.log(`image ${i}: predicted ${CLASSES[pred].padEnd(12)} (label ${CLASSES[labels[i]]})`);
}
const perImage = (performance.now() - t1) / 1000;
console.log(`accuracy on 1,000 Fashion-MNIST test images: ${(correct / 10).toFixed(1)}%`);
console.log(`load ${loadMs.toFixed(1)} ms, ${perImage.toFixed(3)} ms per image (including the first, unwarmed runs)`);
model.dispose();
