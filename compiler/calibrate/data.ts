// Calibration and evaluation text for byte-level language models.
// Format: any file, read as raw bytes (UTF-8 text is simply its bytes); each byte is one token
// id 0..255, no BOS token. The file is cut into non-overlapping windows of T bytes from the
// start, and a partial last window is dropped (the same windowing as eval/metrics.ts).
// Calibration takes `count` of those windows, chosen with the project's seeded PRNG and kept in
// file order, so a run is reproducible and no token is seen twice.
import { readFileSync } from 'node:fs';
import { SparsecError } from '../errors.js';
import { rng } from '../util/random.js';

export function readBytes(file: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new SparsecError('E_FILE', `cannot read the data file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file });
  }
}

/** All non-overlapping windows of T bytes as token ids. */
export function textWindows(bytes: Uint8Array, T: number): Int32Array[] {
  const out: Int32Array[] = [];
  for (let s = 0; s + T <= bytes.length; s += T) out.push(Int32Array.from(bytes.subarray(s, s + T)));
  return out;
}

/** `count` of the indices 0..n-1 picked without replacement by a seeded partial Fisher-Yates
 *  shuffle, in increasing order; all of them when count >= n. */
export function sampleIndices(n: number, count: number, seed = 0): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  if (count >= n) return order;
  const r = rng(seed);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(r() * (order.length - i));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order.slice(0, count).sort((a, b) => a - b);
}

/** Up to `max` of the indices sampleIndices(n, count, seed) did not pick (seeded, increasing):
 *  data from the calibration file that calibration never saw. */
export function heldOutIndices(n: number, count: number, seed: number, max: number): number[] {
  const used = new Set(sampleIndices(n, count, seed));
  const rest = Array.from({ length: n }, (_, i) => i).filter((i) => !used.has(i));
  return sampleIndices(rest.length, max, seed + 1).map((i) => rest[i]);
}

/** `count` windows picked by sampleIndices, in file order; all windows when count >= their number. */
export function sampleWindows(bytes: Uint8Array, T: number, count: number, seed = 0): Int32Array[] {
  const all = textWindows(bytes, T);
  return sampleIndices(all.length, count, seed).map((i) => all[i]);
}
