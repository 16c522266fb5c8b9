// Calibration activations for ToaSt: the model runs in onnxruntime-node on each feed with the
// requested values exposed, and each value is kept as token rows [rows, C]. A feed with more
// than `maxTokens` tokens keeps a seeded subset (the class token always), the same for every
// value, so rows of different values line up (a refit pairs the pruned model's features with the
// dense model's targets row by row). Attention probabilities are reduced on the fly to the class
// token's attention to each kept token, averaged over heads.
import { exposeValues } from '../../calibrate/expose.js';
import type { Feeds } from '../../calibrate/calibrate.js';
import { rng } from '../../util/random.js';
import { ortSession } from '../../eval/session.js';

export interface Activations {
  rows: number;
  /** token index (inside its feed) of every row */
  token: Int32Array;
  /** feed index of every row */
  feed: Int32Array;
  values: Map<string, { cols: number; data: Float32Array }>;
  /** probabilities value → class attention per row (mean over heads of probs[0, h, 0, token]) */
  classAttention: Map<string, Float32Array>;
}

export interface CollectOptions { maxTokens?: number; seed?: number; classToken?: boolean; onProgress?: (done: number, total: number) => void }

export async function collectActivations(model: Uint8Array, feeds: readonly Feeds[], names: readonly string[], probs: readonly string[], o: CollectOptions = {}): Promise<Activations> {
  const maxTokens = o.maxTokens ?? 64;
  const random = rng(o.seed ?? 0);
  const all = [...new Set([...names, ...probs])];
  const session = await ortSession(exposeValues(model, all));
  const chunks = new Map<string, Float32Array[]>(names.map((n) => [n, []]));
  const cols = new Map<string, number>();
  const attn = new Map<string, number[]>(probs.map((p) => [p, []]));
  const tokens: number[] = [], feedOf: number[] = [];
  try {
    for (let f = 0; f < feeds.length; f++) {
      const out = await session.run(feeds[f], all);
      let pick: number[] | null = null;
      for (const name of names) {
        const t = out[name] ?? feeds[f][name];
        const C = Number(t.dims[t.dims.length - 1]);
        const n = (t.data as Float32Array).length / C;
        if (!pick) {
          pick = choose(n, maxTokens, !!o.classToken, random);
          for (const p of pick) { tokens.push(p); feedOf.push(f); }
        } else if (cols.has(name) && cols.get(name) !== C) throw new Error(`internal: '${name}' changed width`);
        if (Math.max(...pick) >= n) throw new Error(`internal: '${name}' has ${n} token rows, fewer than the other calibration values`);
        cols.set(name, C);
        const src = t.data as Float32Array, dst = new Float32Array(pick.length * C);
        pick.forEach((p, r) => dst.set(src.subarray(p * C, (p + 1) * C), r * C));
        chunks.get(name)!.push(dst);
      }
      for (const p of probs) {
        const t = out[p];
        const [H, N] = [Number(t.dims[t.dims.length - 3] ?? 1), Number(t.dims[t.dims.length - 1])];
        const d = t.data as Float32Array;
        for (const tok of pick ?? []) {
          let s = 0;
          for (let h = 0; h < H; h++) s += d[h * N * N + tok];
          attn.get(p)!.push(s / H);
        }
      }
      o.onProgress?.(f + 1, feeds.length);
    }
  } finally {
    await session.release();
  }
  const values = new Map<string, { cols: number; data: Float32Array }>();
  for (const [name, list] of chunks) {
    const data = new Float32Array(list.reduce((s, c) => s + c.length, 0));
    let at = 0;
    for (const c of list) { data.set(c, at); at += c.length; }
    values.set(name, { cols: cols.get(name)!, data });
  }
  return {
    rows: tokens.length, token: Int32Array.from(tokens), feed: Int32Array.from(feedOf), values,
    classAttention: new Map([...attn].map(([k, v]) => [k, Float32Array.from(v)])),
  };
}

/** Token rows to keep of n: all when n ≤ max, else a seeded subset (token 0 first with a class
 *  token), ascending. */
function choose(n: number, max: number, classToken: boolean, random: () => number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const rest = Array.from({ length: classToken ? n - 1 : n }, (_, i) => (classToken ? i + 1 : i));
  const want = classToken ? max - 1 : max;
  for (let i = 0; i < want; i++) {
    const j = i + Math.floor(random() * (rest.length - i));
    [rest[i], rest[j]] = [rest[j], rest[i]];
  }
  return [...(classToken ? [0] : []), ...rest.slice(0, want).sort((a, b) => a - b)];
}
