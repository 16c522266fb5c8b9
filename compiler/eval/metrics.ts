// Quality metrics shared by `sparsec eval`, the tests and the benchmarks. Each takes a
// function that runs the model, so the same code scores onnxruntime and a sparsec build.

/** Bits per byte of a byte-level LM over `text`, with non-overlapping windows of T bytes:
 *  logits[t] scores byte 128k+t+1, so every byte but the first is scored once. log-softmax
 *  in float64. `logitsOf` returns [T, vocab] logits for T token ids. `windows` restricts the
 *  score to those window indices (window k starts at byte k·T). */
export async function bitsPerByte(text: Uint8Array, T: number, vocab: number, logitsOf: (tokens: Int32Array) => Float32Array | Promise<Float32Array>, windows?: readonly number[]): Promise<number> {
  let bits = 0, targets = 0;
  const starts = windows ? windows.map((k) => k * T) : Array.from({ length: Math.ceil(text.length / T) }, (_, k) => k * T);
  for (const start of starts) {
    const len = Math.min(T, text.length - start);
    if (len < T) break; // a partial last window would need another input shape
    const tokens = Int32Array.from(text.subarray(start, start + T));
    const logits = await logitsOf(tokens);
    for (let t = 0; t < T && start + t + 1 < text.length; t++) {
      const row = logits.subarray(t * vocab, (t + 1) * vocab);
      let max = -Infinity;
      for (const v of row) max = Math.max(max, v);
      let sum = 0;
      for (const v of row) sum += Math.exp(v - max);
      const target = text[start + t + 1];
      bits += -((row[target] - max) - Math.log(sum)) / Math.LN2;
      targets++;
    }
  }
  return bits / targets;
}

export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** Top-1 predictions of a classifier over `count` images of `pixels` bytes, scaled to [0,1]. */
export async function classify(images: Uint8Array, count: number, pixels: number, logitsOf: (x: Float32Array) => Float32Array | Promise<Float32Array>): Promise<number[]> {
  const preds: number[] = [];
  const x = new Float32Array(pixels);
  for (let i = 0; i < count; i++) {
    for (let p = 0; p < pixels; p++) x[p] = images[i * pixels + p] / 255;
    preds.push(argmax(await logitsOf(x)));
  }
  return preds;
}

export const accuracy = (preds: number[], labels: ArrayLike<number>): number => preds.filter((p, i) => p === labels[i]).length / preds.length;
