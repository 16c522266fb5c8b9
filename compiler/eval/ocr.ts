// OCR quality of the PP-OCR recognizer (CTC over the ppocr_keys_v1 dictionary) and of the
// text-orientation classifier (0° vs 180°) on rendered text lines (calibrate/lines.ts).
// Preprocessing is PaddleOCR's resize_norm_img (tools/infer/predict_rec.py, predict_cls.py):
// resize to the input height keeping the aspect ratio (width ceil(H·w/h), squashed to W when
// wider), bilinear with cv2's half-pixel centres, x/255 → (x − 0.5)/0.5, 3 equal channels
// (grayscale, so BGR order is moot), right-padded with 0 to width W.
// Each metric takes a function that runs the model, so the same code scores onnxruntime and a
// sparsec build.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { SparsecError } from '../errors.js';
import type { TextLine } from '../calibrate/lines.js';
import { argmax } from './metrics.js';
import { ortSession } from './session.js';

/** Input size of the recognizer (real-models.json buildShape) and of the classifier. */
export interface ImageSize { height: number; width: number }
export const REC_INPUT: ImageSize = { height: 48, width: 320 };
export const CLS_INPUT: ImageSize = { height: 48, width: 192 };

/** Bilinear resize of a u8 image, cv2.INTER_LINEAR's geometry: source coordinate (d + 0.5)·s − 0.5,
 *  clamped to the border. */
export function resizeBilinear(src: Uint8Array, w: number, h: number, dw: number, dh: number): Float32Array {
  const out = new Float32Array(dw * dh);
  const sx = w / dw, sy = h / dh;
  for (let y = 0; y < dh; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), h - 1);
    const y0 = Math.floor(fy), y1 = Math.min(y0 + 1, h - 1), ty = fy - y0;
    for (let x = 0; x < dw; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), w - 1);
      const x0 = Math.floor(fx), x1 = Math.min(x0 + 1, w - 1), tx = fx - x0;
      const top = src[y0 * w + x0] * (1 - tx) + src[y0 * w + x1] * tx;
      const bottom = src[y1 * w + x0] * (1 - tx) + src[y1 * w + x1] * tx;
      out[y * dw + x] = top * (1 - ty) + bottom * ty;
    }
  }
  return out;
}

/** [3, H, W] input of a PP-OCR recognizer or classifier for one line. */
export function ocrInput(line: TextLine, H: number, W: number): Float32Array {
  const rw = Math.min(W, Math.ceil(H * (line.width / line.height)));
  const img = rw === line.width && H === line.height ? Float32Array.from(line.pixels) : resizeBilinear(line.pixels, line.width, line.height, rw, H);
  const x = new Float32Array(3 * H * W); // 0 = the padding value after normalisation
  for (let y = 0; y < H; y++) {
    for (let i = 0; i < rw; i++) {
      const v = (img[y * rw + i] / 255 - 0.5) / 0.5;
      for (let c = 0; c < 3; c++) x[(c * H + y) * W + i] = v;
    }
  }
  return x;
}

/** The line turned upside down (180°): the pixel order reversed. */
export function rotate180(line: TextLine): TextLine {
  return { ...line, pixels: line.pixels.slice().reverse() };
}

/** CTC classes of PaddleOCR's CTCLabelDecode with use_space_char: blank, the dictionary lines, space. */
export function readDictionary(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SparsecError('E_FILE', `cannot read the dictionary: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file });
  }
  const chars = text.replace(/\r?\n$/, '').split(/\r?\n/);
  return ['', ...chars, ' '];
}

/** Greedy CTC decoding of [T, C] scores: the best class per step, repeats merged, blanks (class 0) dropped. */
export function ctcGreedy(scores: ArrayLike<number>, T: number, classes: readonly string[]): string {
  const C = classes.length;
  let text = '', prev = -1;
  for (let t = 0; t < T; t++) {
    const row = Array.prototype.slice.call(scores, t * C, (t + 1) * C) as number[];
    const best = argmax(row);
    if (best !== prev && best !== 0) text += classes[best];
    prev = best;
  }
  return text;
}

/** Levenshtein distance between two strings, over Unicode code points. */
export function editDistance(a: string, b: string): number {
  const x = Array.from(a), y = Array.from(b);
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) cur.push(Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1)));
    prev = cur;
  }
  return prev[y.length];
}

/** Character error rate over a corpus: Σ edit distance / Σ reference length (code points). */
export function charErrorRate(refs: readonly string[], hyps: readonly string[]): number {
  let errors = 0, chars = 0;
  refs.forEach((r, i) => { errors += editDistance(r, hyps[i]); chars += Array.from(r).length; });
  return errors / chars;
}

export type RunImage = (x: Float32Array) => Float32Array | Promise<Float32Array>;

export interface RecResult { cer: number; lineAccuracy: number; lines: number; texts: string[] }

/** CER and exact-line accuracy of a recognizer whose output is [1, T, classes.length]. The decoded
 *  text is trimmed: the recognizer often reads a line's blank margin as a space, and the
 *  rendered references have none at their ends. */
export async function recognize(lines: readonly TextLine[], classes: readonly string[], run: RunImage, input = REC_INPUT, onProgress?: (done: number, total: number) => void): Promise<RecResult> {
  const texts: string[] = [];
  for (const line of lines) {
    const out = await run(ocrInput(line, input.height, input.width));
    if (out.length % classes.length !== 0) throw new SparsecError('E_MODEL', `the recognizer's output has ${out.length} values, not a multiple of the ${classes.length} dictionary classes (blank + dictionary + space)`);
    texts.push(ctcGreedy(out, out.length / classes.length, classes).trim());
    onProgress?.(texts.length, lines.length);
  }
  const refs = lines.map((l) => l.text);
  return { cer: charErrorRate(refs, texts), lineAccuracy: texts.filter((t, i) => t === refs[i]).length / lines.length, lines: lines.length, texts };
}

export interface ClsResult { accuracy: number; upright: number; rotated: number; lines: number }

/** Accuracy of a 0°/180° classifier (output [1, 2], class 1 = 180°) on every line upright and rotated. */
export async function classifyOrientation(lines: readonly TextLine[], run: RunImage, input = CLS_INPUT, onProgress?: (done: number, total: number) => void): Promise<ClsResult> {
  let upright = 0, rotated = 0, done = 0;
  for (const line of lines) {
    for (const [img, label] of [[line, 0], [rotate180(line), 1]] as const) {
      const out = await run(ocrInput(img, input.height, input.width));
      if (out.length !== 2) throw new SparsecError('E_MODEL', `the orientation classifier's output has ${out.length} values, expected 2 (0° and 180°)`);
      if (argmax(out) === label) label ? rotated++ : upright++;
      onProgress?.(++done, 2 * lines.length);
    }
  }
  return { accuracy: (upright + rotated) / (2 * lines.length), upright: upright / lines.length, rotated: rotated / lines.length, lines: lines.length };
}

/** A RunImage backed by onnxruntime-node on `model` (path or bytes), 1 thread, input [1, 3, H, W]. */
export async function ortImageRunner(model: string | Uint8Array, input: ImageSize): Promise<{ run: RunImage; release: () => Promise<void> }> {
  const file = typeof model === 'string' ? model : undefined;
  const session = await ortSession(model);
  const meta = session.inputMetadata[0];
  if (session.inputNames.length !== 1 || !meta.isTensor || meta.type !== 'float32') {
    await session.release();
    throw new SparsecError('E_MODEL', 'OCR evaluation needs a model with one float32 image input [1, 3, H, W]', { file });
  }
  const name = session.inputNames[0], outName = session.outputNames[0];
  return {
    run: async (x) => (await session.run({ [name]: new ort.Tensor('float32', x, [1, 3, input.height, input.width]) }, [outName]))[outName].data as Float32Array,
    release: () => session.release(),
  };
}
