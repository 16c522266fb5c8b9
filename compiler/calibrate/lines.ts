// Rendered text-line images (tools/render-text-lines.py): <name>.json holds {height, lines:
// [{text, width}]}, <name>.u8.gz the grayscale u8 pixels of every line one after another, rows
// top to bottom, `height` x `width` each. Used for OCR evaluation (eval/ocr.ts) and as image
// calibration data for the recognizer and the orientation classifier.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { SparsecError } from '../errors.js';

export interface TextLine { text: string; width: number; height: number; pixels: Uint8Array }

/** The common stem of a text-line pair, from the .json, the .u8.gz or the stem itself. */
export const textLinesStem = (path: string): string => path.replace(/\.(json|u8\.gz)$/, '');

/** `path` is the .json, the .u8.gz or their common stem. */
export function readTextLines(path: string): TextLine[] {
  const stem = textLinesStem(path);
  const read = (file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw new SparsecError('E_FILE', `cannot read the text-line data: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file });
    }
  };
  let meta: { height?: unknown; lines?: { text?: unknown; width?: unknown }[] };
  try {
    meta = JSON.parse(read(`${stem}.json`).toString('utf8'));
  } catch (e) {
    if (e instanceof SparsecError) throw e;
    throw new SparsecError('E_FILE', `not valid JSON: ${(e as Error).message}`, { file: `${stem}.json` });
  }
  const height = meta.height;
  if (typeof height !== 'number' || !Number.isInteger(height) || height < 1 || !Array.isArray(meta.lines)) {
    throw new SparsecError('E_FILE', 'expected {"height": <int>, "lines": [{"text", "width"}, ...]}', { file: `${stem}.json` });
  }
  let pixels: Buffer;
  try {
    pixels = gunzipSync(read(`${stem}.u8.gz`));
  } catch (e) {
    if (e instanceof SparsecError) throw e;
    throw new SparsecError('E_FILE', `not gzip data: ${(e as Error).message}`, { file: `${stem}.u8.gz` });
  }
  const out: TextLine[] = [];
  let offset = 0;
  for (const [i, l] of meta.lines.entries()) {
    if (typeof l.text !== 'string' || typeof l.width !== 'number' || !Number.isInteger(l.width) || l.width < 1) {
      throw new SparsecError('E_FILE', `line ${i} needs a string "text" and a positive integer "width"`, { file: `${stem}.json` });
    }
    const n = height * l.width;
    if (offset + n > pixels.length) break;
    out.push({ text: l.text, width: l.width, height, pixels: new Uint8Array(pixels.buffer, pixels.byteOffset + offset, n) });
    offset += n;
  }
  if (offset !== pixels.length || out.length !== meta.lines.length) {
    throw new SparsecError('E_FILE', `${pixels.length} pixels, but the ${meta.lines.length} lines of ${stem}.json need ${meta.lines.reduce((s, l) => s + height * Number(l.width), 0)}`, { file: `${stem}.u8.gz` });
  }
  return out;
}
