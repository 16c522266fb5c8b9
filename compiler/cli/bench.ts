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
import { positiveInt } from './options.js';

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

interface Options { model?: string; inputShape: string[]; prune?: string[]; calib?: string; threads: string; rounds: string; warmup: string; seed: string; range: string; json?: boolean; quiet?: boolean }

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

interface Variant { dir: string; model?: string; manifest: Manifest; prune: string | null; ortModel?: string; ortPrune: string | null; ortKey: string }
interface Manifest { source: string; target: string; prune?: string | null; inputs: { name: string; dtype: string; shape: number[] }[]; outputs: unknown[]; sizes: Record<string, number> }

export function register(program: Command): void {
  program.command('bench')
    .description('time builds against onnxruntime-node (native) and onnxruntime-web (wasm) on the same inputs, in one run')
    .argument('<targets...>', 'build folders (with --model for the onnxruntime engines) or .onnx files (built first, once per --prune)')
    .option('--model <file>', 'the ONNX model the build folders came from (pruned as each build was, for onnxruntime)')
    .option('--input-shape <name=dims>', 'fix an input shape when building from .onnx (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .option('--prune <spec>', 'when building from .onnx: prune first, as in `sparsec build --prune`; repeat to compare builds (`none` = dense)', (v: string, p: string[]) => [...p, v], [])
    .option('--calib <text>', 'calibration data for --prune crepe|ria|wanda|reprune|toast')
    .option('--threads <n>', 'intra-op threads for onnxruntime (sparsec builds run on one)', '1')
    .option('--rounds <n>', 'rounds in which the engines take turns', '5')
    .option('--warmup <ms>', 'warm-up time per engine before timing', '300')
    .option('--seed <n>', 'seed of the random inputs', '1')
    .option('--range <lo,hi>', 'range of the random inputs (integers: [0, hi))', '0,1')
    .option('--json', 'print the full report (raw samples included) as JSON on stdout')
    .option('-q, --quiet', 'no log or progress on stderr')
    .action(async (targets: string[], o: Omit<Options, 'prune'> & { prune: string[] }) => {
      const log = (m: string) => { if (!o.quiet) process.stderr.write(m + '\n'); };
      const seed = Number(o.seed), threads = positiveInt('--threads', o.threads), rounds = positiveInt('--rounds', o.rounds);
      const warmupMs = Number(o.warmup);
      if (!Number.isFinite(seed)) throw new SparsecError('E_OPTION', `--seed must be a number, got '${o.seed}'`);
      if (!(warmupMs >= 0)) throw new SparsecError('E_OPTION', `--warmup must be a number of milliseconds >= 0, got '${o.warmup}'`);
      const range = o.range.split(',').map(Number);
      if (range.length !== 2 || !range.every(Number.isFinite) || !(range[0] < range[1])) throw new SparsecError('E_OPTION', `--range must be lo,hi with lo < hi, got '${o.range}'`);
      if (o.model && !existsSync(o.model)) throw new SparsecError('E_FILE', `no such file: ${o.model}`);
      const inputShapes = parseInputShapes(o.inputShape);

      // the builds: folders as they are, .onnx files built once per --prune
      const builds: { dir: string; model?: string }[] = [];
      for (const target of targets) {
        if (!existsSync(target)) throw new SparsecError('E_FILE', `no such file or folder: ${target}`);
        if (!statSync(target).isFile()) {
          if (o.prune.length) throw new SparsecError('E_OPTION', '--prune applies when benchmarking an .onnx file; a build folder is benchmarked as it was built');
          builds.push({ dir: target, model: o.model });
          continue;
        }
        for (const spec of o.prune.length ? o.prune : ['none']) {
          const prune = spec === 'none' ? undefined : spec;
          const dir = mkdtempSync(join(tmpdir(), 'sparsec-bench-'));
          log(`building ${target}${prune ? ` (--prune ${prune})` : ''} into ${dir}`);
          const bar = progress('building', o.quiet);
          await buildModel(target, dir, { inputShapes, prune, calib: o.calib, onProgress: (d, t, s) => bar.update(d, t, s) }).finally(() => bar.stop());
          builds.push({ dir, model: target });
        }
      }
      if (builds.some((b) => !b.model)) log('no --model: timing the sparsec build alone (onnxruntime needs the .onnx file)');

      // onnxruntime runs the same weights as each build: the model pruned again the same way (the
      // pruners are seeded; the activation-aware ones need the build's --calib data)
      const variants: Variant[] = [];
      for (const { dir, model } of builds) {
        const manifestFile = join(dir, 'manifest.json');
        if (!existsSync(manifestFile)) throw new SparsecError('E_FILE', `${dir} is not a sparsec build (no manifest.json)`);
        const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
        const prune = manifest.prune ?? null;
        let ortModel = model, ortPrune: string | null = null;
        if (model && prune) {
          if (/^magnitude:/.test(prune) || o.calib) {
            ortModel = join(mkdtempSync(join(tmpdir(), 'sparsec-bench-')), 'pruned.onnx');
            writeFileSync(ortModel, writeOnnx(await prunedGraph(model, { prune, calib: o.calib, inputShapes })));
            ortPrune = prune;
          } else log(`onnxruntime runs ${model} unpruned: pass the build's --calib to prune it with ${prune} too (structured pruning changes its work; masks do not)`);
        }
        variants.push({ dir, model, manifest, prune, ortModel, ortPrune, ortKey: `${model}|${ortPrune}` });
      }

      // engines: one sparsec per build, one onnxruntime pair per distinct (model, pruning)
      const several = variants.length > 1;
      const tag = (name: string, v: Variant, p: string | null) => (several ? `${name} · ${v.manifest.source.replace(/\.onnx$/, '')} ${p ?? 'dense'}` : name);
      const engines: ReturnType<typeof sparsecEngine>[] = [], meta: { variant: number; ortKey: string }[] = [];
      variants.forEach((v, i) => {
        const feeds = inputsFor(v.manifest, seed, range);
        engines.push({ ...sparsecEngine(v.dir, feeds), name: tag('sparsec', v, v.prune) });
        meta.push({ variant: i, ortKey: v.ortKey });
        if (v.ortModel && variants.findIndex((w) => w.ortKey === v.ortKey) === i) {
          engines.push({ ...ortWebEngine(v.ortModel, feeds, threads), name: tag('onnxruntime-web', v, v.ortPrune) }, { ...ortNodeEngine(v.ortModel, feeds, threads), name: tag('onnxruntime-node', v, v.ortPrune) });
          meta.push({ variant: i, ortKey: v.ortKey }, { variant: i, ortKey: v.ortKey });
        }
      });
      const bar = progress('benchmarking', o.quiet);
      const results: EngineResult[] = await compareEngines(engines, { rounds, warmupMs, onProgress: (d, t) => bar.update(d, t) }).finally(() => bar.stop());
      const nodeOutputs = (key: string) => results.find((r, i) => meta[i].ortKey === key && r.engine.startsWith('onnxruntime-node'))?.outputs;
      const engineReports = results.map(({ outputs, ...r }, i) => {
        const reference = nodeOutputs(meta[i].ortKey);
        return { ...r, variant: meta[i].variant, maxAbsDiffVsOrtNode: reference && outputs ? maxAbsDiff(outputs, reference) : null };
      });
      const cpu = cpus()[0];
      const summary = (v: Variant) => ({ source: v.manifest.source, target: v.manifest.target, prune: v.prune, inputs: v.manifest.inputs, outputs: v.manifest.outputs, sizes: v.manifest.sizes });
      const [first] = variants;
      const report = {
        schemaVersion: BENCH_SCHEMA_VERSION, tool: 'sparsec', date: new Date().toISOString(),
        seed, threads, rounds, warmupMs, inputRange: range,
        // the first build, as in a single-build run; every build in `variants`
        build: first.dir, model: first.model ?? null, ortModel: first.ortModel ?? null, ortPrune: first.ortPrune, manifest: summary(first),
        variants: variants.map((v) => ({ build: v.dir, model: v.model ?? null, ortModel: v.ortModel ?? null, ortPrune: v.ortPrune, manifest: summary(v) })),
        platform: { node: process.version, v8: process.versions.v8, os: process.platform, arch: process.arch, cpu: cpu?.model ?? 'unknown', cores: cpus().length },
        versions: { sparsec: version, 'onnxruntime-node': pkgVersion('onnxruntime-node'), 'onnxruntime-web': pkgVersion('onnxruntime-web') },
        notes: 'times in ms; loadMs = fetch + compile + instantiate (+ weights); firstMs = first inference; stats/samples = steady state after warm-up, engines in alternating rounds; variant = index in variants',
        results: engineReports,
      };
      if (o.json) { process.stdout.write(JSON.stringify(report, null, 2) + '\n'); return; }
      process.stdout.write(benchTable(report) + '\n');
    });
}

/** The human table of a bench report. */
export function benchTable(report: { results: (EngineResult & { maxAbsDiffVsOrtNode: number | null })[]; threads: number; variants: { manifest: { source: string; prune: string | null } }[] }): string {
  const base = report.results[0].stats.p50;
  const f = (n: number, d = 3) => n.toFixed(d);
  const w = Math.max(18, ...report.results.map((r) => r.engine.length + 2));
  const head = `${'engine'.padEnd(w)}${'load ms'.padStart(9)}${'first ms'.padStart(10)}${'p50 ms'.padStart(9)}${'p90 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'runs'.padStart(6)}${'p50/first'.padStart(11)}${'max|Δ| vs node'.padStart(16)}`;
  const rows = report.results.map((r) => r.engine.padEnd(w) + f(r.loadMs, 1).padStart(9) + f(r.firstMs).padStart(10) + f(r.stats.p50).padStart(9) + f(r.stats.p90).padStart(9) + f(r.stats.p99).padStart(9)
    + String(r.stats.n).padStart(6) + `${(r.stats.p50 / base).toFixed(2)}x`.padStart(11) + (r.maxAbsDiffVsOrtNode === null ? '–' : r.maxAbsDiffVsOrtNode.toExponential(1)).padStart(16));
  const what = report.variants.map((v) => `${v.manifest.source}${v.manifest.prune ? ` (${v.manifest.prune})` : ''}`).join(' vs ');
  return [`${what}, ${report.threads} thread(s); p50/first = p50 over the first row's`, head, ...rows].join('\n');
}
