// Benchmark script (not a test): the fixtures built dense and with `--prune magnitude:2:4` (and
// 4:8), timed end to end in the same process, in interleaved rounds (a noisy neighbour slows all
// builds alike; the speed-up is the median of the per-round ratios), plus weights.bin sizes and
// a per-layer profile (builds with `profile`: the
// module calls env.tick after each layer) grouped by what the layer runs, to see where the time
// of each build goes.
//   node dist/compiler/bench/nm-models.js [--out out/bench-nm-models.json] [--only gpt,vit]
//        [--rounds 7] [--patterns 2:4,4:8] [--no-profile] [--cpu-time] [--target wasm-simd128]
// --cpu-time: CPU time per run instead of wall time, for a machine shared with other jobs
// --target: the build target of every build (wasm-relaxed-simd: FMA in the GEMM kernels)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { buildModel } from '../compile.js';
import { enableEngineFlags, loadTarget } from '../codegen/target.js';
import { packageRoot } from '../paths.js';
import type { Feed } from './latency.js';
import { loadavg, median } from './kernel-cases.js';

interface Case { id: string; file: string; feeds: Record<string, Feed>; shapes: Record<string, number[]> }
interface Loaded { run(f: Record<string, Feed>): unknown; dispose(): void; manifest?: unknown }
interface Layer { node: string; op: string; format?: string; kernels: string[] }

const fix = (f: string) => join(packageRoot, 'test', 'fixtures', f);

function cases(): Case[] {
  const image = new Uint8Array(readFileSync(fix('data/fmnist-test-1000.u8'))).subarray(0, 784);
  const x = Float32Array.from(image, (p) => p / 255);
  const text = new Uint8Array(readFileSync(fix('data/sotu-heldout-64k.txt'))).subarray(0, 128);
  return [
    { id: 'gpt (T=128)', file: fix('gpt.onnx'), feeds: { tokens: BigInt64Array.from(text, (b) => BigInt(b)) }, shapes: { tokens: [1, 128] } },
    { id: 'vit', file: fix('vit.onnx'), feeds: { input: x }, shapes: {} },
    { id: 'cnn', file: fix('cnn.onnx'), feeds: { input: x }, shapes: {} },
  ];
}


/** what a layer's time is charged to in the profile: its sparse format, or its op */
function bucket(l: Layer): string {
  if (l.format && l.format !== 'dense') return `${l.op} ${l.format}`;
  if (l.op === 'MatMul' || l.op === 'Gemm') return l.kernels.some((k) => k.startsWith('gemm_f32_pb') || k.startsWith('gemm_f32_pa')) ? `${l.op} (weight)` : `${l.op} (activations)`;
  return l.op;
}

async function load(dir: string, onLayer?: (i: number) => void): Promise<Loaded> {
  const mod = await import(pathToFileURL(join(dir, 'model.mjs')).href + `?${Date.now()}`);
  return mod.load(onLayer ? { onLayer } : {});
}

/** median ms per run of each build, rounds interleaved; each round runs a build for ~roundMs.
 *  cpu: the round's mean CPU time per run instead (the model runs on this thread), which time
 *  spent preempted by other processes does not inflate */
function timeInterleaved(models: Loaded[], feeds: Record<string, Feed>, rounds: number, cpu: boolean, roundMs = 300): number[][] {
  for (const m of models) for (const end = performance.now() + 300; performance.now() < end;) m.run(feeds);
  const samples = models.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    models.forEach((m, i) => {
      const per: number[] = [], c0 = process.cpuUsage();
      for (const end = performance.now() + roundMs; per.length < 3 || performance.now() < end;) {
        const t = performance.now();
        m.run(feeds);
        per.push(performance.now() - t);
      }
      const c = process.cpuUsage(c0);
      samples[i].push(cpu ? (c.user + c.system) / 1000 / per.length : median(per));
    });
  }
  return samples;
}

/** ms per profile bucket (median over runs of the per-layer times, summed per bucket) */
function profile(m: Loaded, layers: Layer[], feeds: Record<string, Feed>, t: { last: number; times: number[][] }): Record<string, number> {
  for (let r = 0; r < 40; r++) { t.last = performance.now(); m.run(feeds); }
  const out: Record<string, number> = {};
  layers.forEach((l, i) => { out[bucket(l)] = (out[bucket(l)] ?? 0) + median(t.times[i].slice(10)); });
  return out;
}

const { values: args } = parseArgs({ options: {
  out: { type: 'string', default: 'out/bench-nm-models.json' }, only: { type: 'string' }, rounds: { type: 'string', default: '7' },
  patterns: { type: 'string', default: '2:4,4:8' }, 'no-profile': { type: 'boolean', default: false }, 'cpu-time': { type: 'boolean', default: false },
  target: { type: 'string', default: 'wasm-simd128' },
} });
enableEngineFlags(loadTarget(args.target!));
const rounds = Number(args.rounds), patterns = args.patterns!.split(',').filter(Boolean);
const rows: Record<string, unknown>[] = [];
const profTable: string[] = [];
for (const c of cases()) {
  if (args.only && !args.only.split(',').some((s) => c.id.startsWith(s))) continue;
  const builds = [{ name: 'dense', prune: undefined as string | undefined }, ...patterns.map((p) => ({ name: p, prune: `magnitude:${p}` }))];
  const dirs: string[] = [], weights: number[] = [], manifests: { layers: Layer[] }[] = [];
  for (const b of builds) {
    const dir = join(packageRoot, 'out', 'bench-nm', `${c.id.replace(/\W+/g, '_')}-${b.name.replace(':', 'of')}`);
    const r = await buildModel(c.file, dir, { inputShapes: c.shapes, prune: b.prune, target: args.target });
    dirs.push(dir); weights.push(r.files.weights.length); manifests.push(r.files.manifest as { layers: Layer[] });
  }
  const models = await Promise.all(dirs.map((d) => load(d)));
  const samples = timeInterleaved(models, c.feeds, rounds, args['cpu-time']!);
  models.forEach((m) => m.dispose());
  const ms = samples.map(median);
  // the speed-up within each round (builds timed back to back), then the median over rounds:
  // steadier than the ratio of medians when the machine's load drifts during the run
  const speedup = samples.map((s) => median(s.map((t, r) => samples[0][r] / t)));
  const row: Record<string, unknown> = { model: c.id, builds: builds.map((b, i) => ({ build: b.name, ms: ms[i], speedup: speedup[i], rounds: samples[i], weightsBytes: weights[i],
    sparseLayers: manifests[i].layers.filter((l) => l.format && l.format !== 'dense').length, layers: manifests[i].layers.length })) };
  if (!args['no-profile']) {
    const prof: Record<string, number>[] = [];
    for (let i = 0; i < builds.length; i++) {
      const dir = `${dirs[i]}-profile`;
      const r = await buildModel(c.file, dir, { inputShapes: c.shapes, prune: builds[i].prune, profile: true, target: args.target });
      const layers = (r.files.manifest as { layers: Layer[] }).layers;
      const t = { last: 0, times: layers.map(() => [] as number[]) };
      const m = await load(dir, (li) => { const now = performance.now(); t.times[li].push(now - t.last); t.last = now; });
      prof.push(profile(m, layers, c.feeds, t));
      m.dispose();
    }
    row.profile = Object.fromEntries(builds.map((b, i) => [b.name, prof[i]]));
    const keys = [...new Set(prof.flatMap((p) => Object.keys(p)))].sort((a, b) => (prof[0][b] ?? 0) - (prof[0][a] ?? 0));
    profTable.push(`\n${c.id}: ms per run by layer kind (profile builds, median per layer)\n`, `| layer kind | ${builds.map((b) => b.name).join(' | ')} |`, `|---|${builds.map(() => '---|').join('')}`);
    for (const k of keys) profTable.push(`| ${k} | ${prof.map((p) => (p[k] ?? 0).toFixed(3)).join(' | ')} |`);
    profTable.push(`| total | ${prof.map((p) => Object.values(p).reduce((a, b) => a + b, 0).toFixed(3)).join(' | ')} |`);
  }
  rows.push(row);
  process.stderr.write(`${c.id}: ${builds.map((b, i) => `${b.name} ${ms[i].toFixed(3)} ms`).join(', ')}\n`);
}
mkdirSync(dirname(args.out!), { recursive: true });
writeFileSync(args.out!, JSON.stringify({ date: new Date().toISOString(), node: process.version, target: args.target, rounds, time: args['cpu-time'] ? 'cpu' : 'wall', loadavg: loadavg(), rows }, null, 1));
const table = [`| model | build | ms${args['cpu-time'] ? ' CPU' : ''} (median of rounds) | speed-up vs dense (median of per-round ratios) | weights.bin bytes | vs dense | sparse layers |`, '|---|---|---|---|---|---|---|'];
for (const r of rows) {
  const b = r.builds as { build: string; ms: number; speedup: number; weightsBytes: number; sparseLayers: number; layers: number }[];
  for (const x of b) table.push(`| ${r.model} | ${x.build} | ${x.ms.toFixed(3)} | ${x.speedup.toFixed(2)}x | ${x.weightsBytes} | ${(x.weightsBytes / b[0].weightsBytes).toFixed(3)} | ${x.sparseLayers} / ${x.layers} |`);
}
process.stdout.write(table.join('\n') + '\n' + profTable.join('\n') + '\n');
process.stderr.write(`target ${args.target}; load average: ${loadavg().join(' ')}; wrote ${args.out}\n`);
