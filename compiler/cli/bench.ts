// `sparsec bench`: latency of a build against onnxruntime-node and onnxruntime-web on the same
// seeded inputs and thread count. Load, first inference and steady state are reported apart;
// JSON (with raw samples) on --json, a table otherwise.
import type { Command } from 'commander';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel } from '../compile.js';
import { SparsecError } from '../errors.js';
import { parseInputShapes } from '../ir/passes/inputShapes.js';
import { numel } from '../ir/graph.js';
import { uniform } from '../util/random.js';
import { version } from '../version.js';
import { compareEngines, ortNodeEngine, ortWebEngine, sparsecEngine, type EngineResult, type FeedSpec } from '../bench/latency.js';

const require = createRequire(import.meta.url);
const pkgVersion = (name: string): string => { try { return require(`${name}/package.json`).version; } catch { return 'unknown'; } };

interface Options { model?: string; inputShape: string[]; threads: string; rounds: string; seed: string; range: string; json?: boolean; quiet?: boolean }

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

export function register(program: Command): void {
  program.command('bench')
    .description('time a build against onnxruntime-node (native) and onnxruntime-web (wasm) on the same inputs')
    .argument('<target>', 'a build folder (with --model for the onnxruntime engines) or an .onnx file (built first)')
    .option('--model <file>', 'the ONNX model a build folder came from')
    .option('--input-shape <name=dims>', 'fix an input shape when building from .onnx (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .option('--threads <n>', 'threads for onnxruntime (sparsec builds run on one)', '1')
    .option('--rounds <n>', 'rounds in which the engines take turns', '5')
    .option('--seed <n>', 'seed of the random inputs', '1')
    .option('--range <lo,hi>', 'range of the random inputs (integers: [0, hi))', '0,1')
    .option('--json', 'print the full report (raw samples included) as JSON')
    .option('-q, --quiet', 'no log on stderr')
    .action(async (target: string, o: Options) => {
      let dir = target, model = o.model;
      if (!existsSync(target)) throw new SparsecError('E_FILE', `no such file or folder: ${target}`);
      if (statSync(target).isFile()) {
        model = target;
        dir = mkdtempSync(join(tmpdir(), 'sparsec-bench-'));
        if (!o.quiet) process.stderr.write(`building ${target} into ${dir}\n`);
        await buildModel(target, dir, { inputShapes: parseInputShapes(o.inputShape) });
      }
      const manifestFile = join(dir, 'manifest.json');
      if (!existsSync(manifestFile)) throw new SparsecError('E_FILE', `${dir} is not a sparsec build (no manifest.json)`);
      const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
      const seed = Number(o.seed), threads = Number(o.threads);
      const feeds = inputsFor(manifest, seed, o.range.split(',').map(Number));
      const engines = [sparsecEngine(dir, feeds)];
      if (model) engines.push(ortWebEngine(model, feeds, threads), ortNodeEngine(model, feeds, threads));
      const results: EngineResult[] = await compareEngines(engines, { rounds: Number(o.rounds) });
      const report = {
        schemaVersion: 1, tool: 'sparsec', seed, threads, build: dir, model: model ?? null, target: manifest.target,
        platform: { node: process.version, v8: process.versions.v8, os: process.platform, arch: process.arch },
        versions: { sparsec: version, 'onnxruntime-node': pkgVersion('onnxruntime-node'), 'onnxruntime-web': pkgVersion('onnxruntime-web') },
        results,
      };
      if (o.json) { process.stdout.write(JSON.stringify(report, null, 2) + '\n'); return; }
      const base = results[0].stats.p50;
      const rows = results.map((r) => `${r.engine.padEnd(18)}${r.loadMs.toFixed(1).padStart(9)}${r.firstMs.toFixed(3).padStart(11)}${r.stats.p50.toFixed(3).padStart(10)}${r.stats.p90.toFixed(3).padStart(10)}${r.stats.p99.toFixed(3).padStart(10)}${String(r.stats.n).padStart(7)}${(r.stats.p50 / base).toFixed(2).padStart(10)}x`);
      process.stdout.write([`${'engine'.padEnd(18)}${'load ms'.padStart(9)}${'first ms'.padStart(11)}${'p50 ms'.padStart(10)}${'p90 ms'.padStart(10)}${'p99 ms'.padStart(10)}${'runs'.padStart(7)}${'vs sparsec'.padStart(11)}`, ...rows].join('\n') + '\n');
    });
}
