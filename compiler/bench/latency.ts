// Latency of one model in three engines, on the same inputs and thread count: a sparsec build,
// onnxruntime-web (WASM) and onnxruntime-node (native). The engines take turns in rounds, so
// a noisy neighbour on this shared machine slows all of them alike; medians are quoted.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export type Feed = Float32Array | Int32Array | BigInt64Array | Uint8Array;
export interface FeedSpec { data: Feed; shape: number[] }

export interface Stats { p50: number; p90: number; p99: number; mean: number; min: number; max: number; n: number }
export interface EngineResult { engine: string; loadMs: number; firstMs: number; stats: Stats; samples: number[]; /** the first run's outputs, by name */ outputs?: Record<string, ArrayLike<number | bigint>> }

const require = createRequire(import.meta.url);

export function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))];
  return { p50: q(0.5), p90: q(0.9), p99: q(0.99), mean: s.reduce((a, b) => a + b, 0) / s.length, min: s[0], max: s[s.length - 1], n: s.length };
}

export interface Engine { name: string; load(): Promise<void>; run(): Promise<unknown> | unknown; dispose(): Promise<void> | void; /** a run's result as plain arrays by output name */ outputsOf?(result: unknown): Record<string, ArrayLike<number | bigint>> }

export function sparsecEngine(buildDir: string, feeds: Record<string, FeedSpec>): Engine {
  let model: { run(f: Record<string, Feed>): unknown; dispose(): void };
  const plain = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, v.data]));
  return {
    name: 'sparsec',
    async load() { model = await (await import(pathToFileURL(join(buildDir, 'model.mjs')).href)).load(); },
    run: () => model.run(plain),
    dispose: () => model.dispose(),
    outputsOf: (r) => r as Record<string, Feed>,
  };
}

type Ort = typeof import('onnxruntime-node');

/** onnxruntime-web and onnxruntime-node share onnxruntime-common's backend registry and both
 *  register a backend named 'cpu'. If onnxruntime-web loads first, its 'cpu' (the wasm build)
 *  stays registered and onnxruntime-node sessions asked for 'cpu' run on wasm (measured: a 256³
 *  MatMul at 13 instead of 106 GFLOP/s). Loading onnxruntime-node first keeps its native one. */
export function requireOrt(which: 'node' | 'web'): Ort {
  const node = require('onnxruntime-node') as Ort;
  return which === 'node' ? node : require('onnxruntime-web');
}

function ortEngine(name: string, ort: Ort, file: string, feeds: Record<string, FeedSpec>, opts: object): Engine {
  let session: Awaited<ReturnType<Ort['InferenceSession']['create']>>;
  const tensors = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor(v.data as Float32Array, v.shape)]));
  return {
    name,
    async load() { session = await ort.InferenceSession.create(file, opts); },
    run: () => session.run(tensors),
    dispose: () => session.release(),
    outputsOf: (r) => Object.fromEntries(Object.entries(r as Record<string, { data: Feed }>).map(([k, t]) => [k, t.data])),
  };
}

/** An onnxruntime engine set up for timing with `threads` intra-op threads, and its session options. */
export function ortSetup(which: 'node' | 'web', threads: number): { ort: Ort; opts: object } {
  const ort = requireOrt(which);
  if (which === 'node') return { ort, opts: { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' } };
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.wasmPaths = join(dirname(require.resolve('onnxruntime-web')), '/');
  ort.env.logLevel = 'error';
  return { ort, opts: { executionProviders: ['wasm'], graphOptimizationLevel: 'all' } };
}

export function ortNodeEngine(file: string, feeds: Record<string, FeedSpec>, threads: number): Engine {
  const { ort, opts } = ortSetup('node', threads);
  return ortEngine('onnxruntime-node', ort, file, feeds, opts);
}

export function ortWebEngine(file: string, feeds: Record<string, FeedSpec>, threads: number): Engine {
  const { ort, opts } = ortSetup('web', threads);
  return ortEngine('onnxruntime-web', ort, file, feeds, opts);
}

export interface RoundOptions { rounds?: number; roundMs?: number; warmupMs?: number; maxRunsPerRound?: number; /** called after each engine's turn in a round */ onProgress?: (done: number, total: number) => void }

/** max |a - b| over two runs' outputs with the same names (NaN in either counts as Infinity) */
export function maxAbsDiff(a: Record<string, ArrayLike<number | bigint>>, b: Record<string, ArrayLike<number | bigint>>): number {
  let m = 0;
  for (const [name, x] of Object.entries(b)) {
    const y = a[name];
    if (!y || y.length !== x.length) return Infinity;
    for (let i = 0; i < x.length; i++) {
      const d = Math.abs(Number(x[i]) - Number(y[i]));
      if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
    }
  }
  return m;
}

/** Loads each engine (timed), times its first run, warms it up, then times the engines in turns. */
export async function compareEngines(engines: Engine[], o: RoundOptions = {}): Promise<EngineResult[]> {
  const rounds = o.rounds ?? 5, roundMs = o.roundMs ?? 300, warmupMs = o.warmupMs ?? 300, maxRuns = o.maxRunsPerRound ?? 200;
  const results: EngineResult[] = [];
  // onnxruntime-web loads last: V8 keeps compiling its ~10 MB wasm on background threads after
  // instantiation, which inflated the next engine's load time up to 5x on this 2-core machine
  const loadOrder = engines.map((_, i) => i).sort((a, b) => Number(engines[a].name.startsWith('onnxruntime-web')) - Number(engines[b].name.startsWith('onnxruntime-web')) || a - b);
  for (const i of loadOrder) {
    const e = engines[i];
    let t = performance.now();
    await e.load();
    const loadMs = performance.now() - t;
    t = performance.now();
    const first = await e.run();
    const firstMs = performance.now() - t;
    results[i] = { engine: e.name, loadMs, firstMs, stats: stats([0]), samples: [], outputs: e.outputsOf?.(first) };
  }
  for (const e of engines) for (const end = performance.now() + warmupMs; performance.now() < end;) await e.run();
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < engines.length; i++) {
      const samples = results[i].samples;
      const end = performance.now() + roundMs;
      for (let k = 0; k < maxRuns && (k < 3 || performance.now() < end); k++) {
        const t = performance.now();
        await engines[i].run();
        samples.push(performance.now() - t);
      }
      o.onProgress?.(r * engines.length + i + 1, rounds * engines.length);
    }
  }
  for (const e of engines) await e.dispose();
  for (const r of results) r.stats = stats(r.samples);
  return results;
}
