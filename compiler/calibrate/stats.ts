// Streaming per-input-channel statistics of one activation tensor: memory is bounded by the
// channel count (and d_in² with a Gram matrix), not by the number of tokens seen. Accumulated
// in float64 so 10⁵+ tokens of float32 activations sum without visible rounding.

export class ChannelStats {
  /** tokens (rows) seen */
  count = 0;
  readonly sum: Float64Array;
  readonly sumSq: Float64Array;
  /** Σ x xᵀ over tokens, channels x channels row-major (when requested) */
  readonly gram: Float64Array | null;

  constructor(readonly channels: number, withGram = false) {
    this.sum = new Float64Array(channels);
    this.sumSq = new Float64Array(channels);
    this.gram = withGram ? new Float64Array(channels * channels) : null;
  }

  /** Add a tensor whose channel axis is the last one ([..., C]) or, with channelsFirst, the
   *  first one ([C, M], e.g. Gemm transA=1). */
  add(data: ArrayLike<number>, channelsFirst = false): void {
    const C = this.channels;
    if (data.length % C !== 0) throw new Error(`internal: ${data.length} values do not split into ${C} channels`);
    const rows = data.length / C;
    const at = channelsFirst ? (r: number, c: number) => data[c * rows + r] : (r: number, c: number) => data[r * C + c];
    const x = new Float64Array(C);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < C; c++) {
        const v = at(r, c);
        x[c] = v;
        this.sum[c] += v;
        this.sumSq[c] += v * v;
      }
      const g = this.gram;
      if (g) for (let i = 0; i < C; i++) { const xi = x[i]; if (xi !== 0) for (let j = 0; j < C; j++) g[i * C + j] += xi * x[j]; }
    }
    this.count += rows;
  }

  mean(): Float64Array {
    return this.sum.map((s) => s / Math.max(1, this.count));
  }

  /** population variance over tokens, E[x²] − E[x]², clamped at 0 */
  variance(): Float64Array {
    const n = Math.max(1, this.count);
    return this.sum.map((s, c) => Math.max(0, this.sumSq[c] / n - (s / n) ** 2));
  }

  /** ‖X_j‖₂ over all tokens seen */
  norm(): Float64Array {
    return this.sumSq.map(Math.sqrt);
  }

  /** ‖X_j‖₂ / √tokens: the norm scaled so it does not grow with the calibration size */
  rms(): Float64Array {
    const n = Math.max(1, this.count);
    return this.sumSq.map((s) => Math.sqrt(s / n));
  }
}
