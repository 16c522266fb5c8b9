// `sparsec bench`: latency of a build against onnxruntime-node and onnxruntime-web on the same
// seeded inputs, the same model (pruned the same way when the build was) and the same thread
// count. Load, first inference and steady state are reported apart, with p50/p90/p99 and the
// raw samples; JSON on --json, a table otherwise.
import type { Command } from 'commander';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildModel, prunedGraph } from '../compile.js';
import { SparsecError } from '../errors.js';
import { parseInputShapes } from '../ir/passes/inputShapes.js';
import { numel } from '../ir/graph.js';
import { writeOnnx } from '../onnx/write.js';
import { uniform } from '../util/random.js';
import { version } from '../version.js';
import { compareEngines, maxAbsDiff, ortNodeEngine, ortWebEngine, sparsecEngine, type EngineResult, type FeedSpec } from '../bench/latency.js';
import { progress } from './progress.js';

const require = createRequire(import.meta.url);
/** An installed package's version, from the package.json above its entry point (the packages'
 *  export maps hide `<name>/package.json` from require). */
function pkgVersion(name: string): string {
  try {
    for (let dir = dirname(require.resolve(name)); dir !== dirname(dir); dir = dirname(dir)) {
      const file = join(dir, 'package.json');
      if (existsSync(file)) { const p = JSON.parse(readFileSync(file, 'utf8')); if (p.name === name) return p.version; }
    }
  } catch { /* not installed */ }
  return 'unknown';
}

/** The version of the JSON below; bump it when a field changes meaning or goes away. */
export const BENCH_SCHEMA_VERSION = 2;

interface Options { model?: string; inputShape: string[]; prune?: string; calib?: string; threads: string; rounds: string; warmup: string; seed: string; range: string; json?: boolean; quiet?: boolean }

/** Seeded inputs for every model input: floats uniform in `range`, integers in [0, hi). */
function inputsFor(manifest: { inputs: { name: string; dtype: string; shape: number[] }[] }, seed: number, [lo, hi]: number[]): Record<string, FeedSpec> {
  return Object.fromEntries(manifest.inputs.map((inp, i) => {
    const u = uniform(seed + i, numel(inp.shape), lo, hi);
    const data = inp.dtype === 'float32' ? u
      : inp.dtype === 'int64' ? BigInt64Array.from(u, (v) => BigInt(Math.max(0, Math.floor(v))))
      : Int32Array.from(u, (v) => Math.max(0, Math.floor(v)));
    return [inp.name, { data, shape: inp.shape }];
  }));
}

const positiveInt = (name: string, v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new SparsecError('E_OPTION', `${name} must be a positive integer, got '${v}'`);
  return n;
};

export function register(program: Command): void {
  program.command('bench')
    .description('time a build against onnxruntime-node (native) and onnxruntime-web (wasm) on the same inputs')
    .argument('<target>', 'a build folder (with --model for the onnxruntime engines) or an .onnx file (built first)')
    .option('--model <file>', 'the ONNX model a build folder came from (pruned as the build was, for onnxruntime)')
    .option('--input-shape <name=dims>', 'fix an input shape when building from .onnx (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .option('--prune <spec>', 'when building from .onnx: prune first, as in `sparsec build --prune`')
    .option('--calib <text>', 'calibration text for --prune crepe|ria|wanda')
    .option('--threads <n>', 'intra-op threads for onnxruntime (sparsec builds run on one)', '1')
    .option('--rounds <n>', 'rounds in which the engines take turns', '5')
    .option('--warmup <ms>', 'warm-up time per engine before timing', '300')
    .option('--seed <n>', 'seed of the random inputs', '1')
    .option('--range <lo,hi>', 'range of the random inputs (integers: [0, hi))', '0,1')
    .option('--json', 'print the full report (raw samples included) as JSON on stdout')
    .option('-q, --quiet', 'no log or progress on stderr')
    .action(async (target: string, o: Options) => {
      const log = (m: string) => { if (!o.quiet) process.stderr.write(m + '\n'); };
      const seed = Number(o.seed), threads = positiveInt('--threads', o.threads), rounds = positiveInt('--rounds', o.rounds);
      const warmupMs = Number(o.warmup);
      if (!Number.isFinite(seed)) throw new SparsecError('E_OPTION', `--seed must be a number, got '${o.seed}'`);
      if (!(warmupMs >= 0)) throw new SparsecError('E_OPTION', `--warmup must be a number of milliseconds >= 0, got '${o.warmup}'`);
      const range = o.range.split(',').map(Number);
      if (range.length !== 2 || !range.every(Number.isFinite) || !(range[0] < range[1])) throw new SparsecError('E_OPTION', `--range must be lo,hi with lo < hi, got '${o.range}'`);
      if (!existsSync(target)) throw new SparsecError('E_FILE', `no such file or folder: ${target}`);
      const inputShapes = parseInputShapes(o.inputShape);
      let dir = target, model = o.model;
      if (statSync(target).isFile()) {
        model = target;
        dir = mkdtempSync(join(tmpdir(), 'sparsec-bench-'));
        log(`building ${target}${o.prune ? ` (--prune ${o.prune})` : ''} into ${dir}`);
        const bar = progress('building', o.quiet);
        await buildModel(target, dir, { inputShapes, prune: o.prune, calib: o.calib, onProgress: (d, t, s) => bar.update(d, t, s) }).finally(() => bar.stop());
      } else if (o.prune) throw new SparsecError('E_OPTION', '--prune applies when benchmarking an .onnx file; a build folder is benchmarked as it was built');
      const manifestFile = join(dir, 'manifest.json');
      if (!existsSync(manifestFile)) throw new SparsecError('E_FILE', `${dir} is not a sparsec build (no manifest.json)`);
      const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
      if (model && !existsSync(model)) throw new SparsecError('E_FILE', `no such file: ${model}`);
      if (!model) log('no --model: timing the sparsec build alone (onnxruntime needs the .onnx file)');

      // onnxruntime runs the same weights as the build: the model pruned again the same way (the
      // pruners are seeded; the activation-aware ones need the build's --calib data)
      let ortModel = model, ortPrune: string | null = null;
      const prune: string | null = manifest.prune ?? null;
      if (model && prune) {
        if (/^magnitude:/.test(prune) || o.calib) {
          const g = await prunedGraph(model, { prune, calib: o.calib, inputShapes });
          ortModel = join(mkdtempSync(join(tmpdir(), 'sparsec-bench-')), 'pruned.onnx');
          writeFileSync(ortModel, writeOnnx(g));
          ortPrune = prune;
        } else log(`onnxruntime runs ${model} unpruned: pass the build's --calib to prune it with ${prune} too (structured pruning changes its work; masks do not)`);
      }

      const feeds = inputsFor(manifest, seed, range);
      const engines = [sparsecEngine(dir, feeds)];
      if (ortModel) engines.push(ortWebEngine(ortModel, feeds, threads), ortNodeEngine(ortModel, feeds, threads));
      const bar = progress('benchmarking', o.quiet);
      const results: EngineResult[] = await compareEngines(engines, { rounds, warmupMs, onProgress: (d, t) => bar.update(d, t) }).finally(() => bar.stop());
      const reference = results.find((r) => r.engine === 'onnxruntime-node')?.outputs;
      const engineReports = results.map(({ outputs, ...r }) => ({ ...r, maxAbsDiffVsOrtNode: reference && outputs ? maxAbsDiff(outputs, reference) : null }));
      const cpu = cpus()[0];
      const report = {
        schemaVersion: BENCH_SCHEMA_VERSION, tool: 'sparsec', date: new Date().toISOString(),
        seed, threads, rounds, warmupMs, inputRange: range,
        build: dir, model: model ?? null, ortModel: ortModel ?? null, ortPrune,
        manifest: { source: manifest.source, target: manifest.target, prune, inputs: manifest.inputs, outputs: manifest.outputs, sizes: manifest.sizes },
        platform: { node: process.version, v8: process.versions.v8, os: process.platform, arch: process.arch, cpu: cpu?.model ?? 'unknown', cores: cpus().length },
        versions: { sparsec: version, 'onnxruntime-node': pkgVersion('onnxruntime-node'), 'onnxruntime-web': pkgVersion('onnxruntime-web') },
        notes: 'times in ms; loadMs = fetch + compile + instantiate (+ weights); firstMs = first inference; stats/samples = steady state after warm-up, engines in alternating rounds',
        results: engineReports,
      };
      if (o.json) { process.stdout.write(JSON.stringify(report, null, 2) + '\n'); return; }
      process.stdout.write(benchTable(report) + '\n');
    });
}

/** The human table of a bench report. */
export function benchTable(report: { results: (EngineResult & { maxAbsDiffVsOrtNode: number | null })[]; threads: number; manifest: { source: string; prune: string | null } }): string {
  const base = report.results[0].stats.p50;
  const f = (n: number, d = 3) => n.toFixed(d);
  const head = `${'engine'.padEnd(18)}${'load ms'.padStart(9)}${'first ms'.padStart(10)}${'p50 ms'.padStart(9)}${'p90 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'runs'.padStart(6)}${'p50/sparsec'.padStart(13)}${'max|Δ| vs node'.padStart(16)}`;
  const rows = report.results.map((r) => r.engine.padEnd(18) + f(r.loadMs, 1).padStart(9) + f(r.firstMs).padStart(10) + f(r.stats.p50).padStart(9) + f(r.stats.p90).padStart(9) + f(r.stats.p99).padStart(9)
    + String(r.stats.n).padStart(6) + `${(r.stats.p50 / base).toFixed(2)}x`.padStart(13) + (r.maxAbsDiffVsOrtNode === null ? '–' : r.maxAbsDiffVsOrtNode.toExponential(1)).padStart(16));
  return [`${report.manifest.source}${report.manifest.prune ? ` (${report.manifest.prune})` : ''}, ${report.threads} thread(s)`, head, ...rows].join('\n');
}
