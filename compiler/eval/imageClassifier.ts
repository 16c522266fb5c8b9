// Top-1 accuracy of an image classifier in onnxruntime-node on an image file (calibrate/images.ts
// formats: .u8 fed /255, .f32 as is) and a label file (one byte per image).
import * as ort from 'onnxruntime-node';
import { SparsecError } from '../errors.js';
import { readBytes } from '../calibrate/data.js';
import { readImages } from '../calibrate/images.js';
import { accuracy, argmax } from './metrics.js';
import { ortSession } from './session.js';

export interface ClassifierEval { accuracy: number; correct: number; images: number; seconds: number }

export async function evalImageClassifier(model: string | Uint8Array, imagesFile: string, labelsFile: string, onProgress?: (done: number, total: number) => void): Promise<ClassifierEval> {
  const t0 = performance.now();
  const file = typeof model === 'string' ? model : undefined;
  const s = await ortSession(model);
  try {
    const meta = s.inputMetadata[0];
    const shape = meta.isTensor ? meta.shape : [];
    if (s.inputNames.length !== 1 || !meta.isTensor || meta.type !== 'float32' || shape.some((d) => typeof d !== 'number')) {
      throw new SparsecError('E_MODEL', 'eval --images needs a model with one float32 input of fixed shape', { file });
    }
    const dims = (shape as number[]).map((d, i) => (i === 0 && d < 1 ? 1 : d));
    const images = readImages(imagesFile, dims.reduce((a, b) => a * b, 1));
    const labels = readBytes(labelsFile);
    if (labels.length !== images.length) throw new SparsecError('E_OPTION', `${labels.length} labels for ${images.length} images`, { file: labelsFile });
    const preds: number[] = [];
    for (let i = 0; i < images.length; i++) {
      const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', images[i], dims) });
      preds.push(argmax(out[s.outputNames[0]].data as Float32Array));
      onProgress?.(i + 1, images.length);
    }
    const acc = accuracy(preds, labels);
    return { accuracy: acc, correct: Math.round(acc * images.length), images: images.length, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await s.release();
  }
}
