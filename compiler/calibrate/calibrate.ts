// Activation statistics for the linear layers to prune: the model runs in onnxruntime-node on
// the calibration feeds with every layer input exposed as an extra output, and each input's
// per-channel statistics are accumulated as the batches stream by (one batch in memory).
// Layers that read the same tensor (q, k, v from one LayerNorm) share one ChannelStats.
//
// Sequential (block-by-block) calibration, where later layers see already-pruned earlier
// ones, is the same call on the partly pruned model with only the next layers listed: the
// caller alternates calibrate → prune → write. Not wired into the CLI yet.
import * as ort from 'onnxruntime-node';
import type { LinearLayer } from '../prune/linear.js';
import { exposeValues } from './expose.js';
import { ChannelStats } from './stats.js';

export type Feeds = Record<string, ort.Tensor>;

export interface CalibrateOptions {
  /** also accumulate Σ x xᵀ per input (d_in² memory) */
  gram?: boolean;
  /** called after every batch */
  onProgress?: (done: number, total: number) => void;
  intraOpThreads?: number;
}

/** Statistics per input value name of `layers`, over all `feeds`. */
export async function calibrate(model: Uint8Array, layers: readonly LinearLayer[], feeds: readonly Feeds[], opts: CalibrateOptions = {}): Promise<Map<string, ChannelStats>> {
  const stats = new Map<string, ChannelStats>();
  const channelsFirst = new Map<string, boolean>();
  for (const l of layers) {
    if (!stats.has(l.input)) stats.set(l.input, new ChannelStats(l.dIn, opts.gram));
    channelsFirst.set(l.input, l.inputChannelsFirst);
  }
  const session = await ort.InferenceSession.create(exposeValues(model, [...stats.keys()]), {
    intraOpNumThreads: opts.intraOpThreads ?? 1, interOpNumThreads: 1, logSeverityLevel: 3,
  });
  try {
    const fetches = [...stats.keys()].filter((n) => session.outputNames.includes(n));
    for (let b = 0; b < feeds.length; b++) {
      const out = fetches.length ? await session.run(feeds[b], fetches) : {};
      for (const [name, s] of stats) {
        const t = out[name] ?? feeds[b][name];
        if (!t) throw new Error(`internal: calibration value '${name}' is neither an output nor a feed`);
        s.add(t.data as Float32Array, channelsFirst.get(name));
      }
      opts.onProgress?.(b + 1, feeds.length);
    }
  } finally {
    await session.release();
  }
  return stats;
}

/** Feeds for a model with one integer token input [1, T]. */
export function tokenFeeds(windows: readonly Int32Array[], inputName: string, dtype: 'int64' | 'int32'): Feeds[] {
  return windows.map((w) => ({
    [inputName]: dtype === 'int64' ? new ort.Tensor('int64', BigInt64Array.from(w, BigInt), [1, w.length]) : new ort.Tensor('int32', Int32Array.from(w), [1, w.length]),
  }));
}
