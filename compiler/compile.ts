// `sparsec build`: the stages composed, from an ONNX file to an output folder.
import { basename, join } from 'node:path';
import { SparsecError } from './errors.js';
import { readOnnxFile } from './onnx/read.js';
import type { Graph } from './ir/graph.js';
import { canonicalize } from './ir/passes/canonicalize.js';
import { fixInputShapes } from './ir/passes/inputShapes.js';
import { compileAssemblyScript } from './codegen/build.js';
import { modelModule, modelTypes, sha256, writeAtomic, writeBundle } from './codegen/bundle.js';
import { emitModule, findUnlowerable } from './codegen/emit.js';
import { lowerings } from './codegen/ops/index.js';
import { runtimeDType } from './codegen/plan.js';
import { loadTarget } from './codegen/target.js';
import type { ModelMeta, TensorSpec } from '../runtime/loader.js';
import { version } from './version.js';
import { pruneForBuild } from './prune/buildPrune.js';
import { parsePattern } from './prune/masks.js';
import { pruneModel } from './prune/pipeline.js';
import type { ScoreMethod } from './prune/scores.js';
import { calibrationFeeds } from './calibrate/feeds.js';
import { parseToastSpec, toastForBuild } from './prune/toast/build.js';
import { readFileSync } from 'node:fs';
import { channelPrune, type ChannelMethod } from './prune/reprune/channelPrune.js';

export interface BuildOptions {
  target?: string;
  inputShapes?: Record<string, number[]>;
  /** keep the emitted AssemblyScript next to the output, for review */
  keepSource?: boolean;
  /** call the host after every layer, for per-layer timing */
  profile?: boolean;
  /** prune before compiling: 'magnitude:2:4' or 'magnitude:0.8' (prune/buildPrune.ts), or
   *  'crepe|ria|wanda:<2:4|4:8|0.5>' on the linear layers with calibration text (`calib`), or
   *  'toast:<MAC reduction>[,crepe:2:4]' (prune/toast/build.ts), or
   *  'reprune|l1|random:<FLOPs reduction>' channel pruning of a CNN (recovered when `calib`
   *  names calibration images or rendered lines) */
  prune?: string;
  /** progress of the long steps: calibration windows, then the build's steps (for a progress bar) */
  onProgress?: (done: number, total: number, step: string) => void;
  /** calibration data for the activation-aware pruners: text (byte-level language models) or rendered text lines (calibrate/feeds.ts) */
  calib?: string;
}

export interface BuildResult {
  graph: Graph;
  meta: ModelMeta;
  files: { wasm: Uint8Array; weights: Uint8Array; mjs: string; dts: string; manifest: Record<string, unknown>; source: string };
}

/** Everything the model needs that sparsec lacks, in one error. */
function checkSupported(g: Graph, unknown: Graph['nodes']): void {
  for (const name of [...g.inputs, ...g.outputs]) {
    const d = g.values.get(name)!.dtype;
    if (!['float32', 'int64', 'int32', 'bool', 'uint8'].includes(d)) throw new SparsecError('E_UNSUPPORTED', `graph input or output '${name}' is ${d}; sparsec handles float32, int64, int32, bool and uint8`, { file: g.source });
  }
  const bad = [
    ...unknown.map((node) => ({ node, reason: 'operator not supported' })),
    ...findUnlowerable(g, lowerings).filter((b) => !unknown.includes(b.node)),
  ];
  if (!bad.length) return;
  const lines = bad.map(({ node, reason }) => `  ${node.op}${node.domain ? ` (domain ${node.domain})` : ''} in node '${node.name}': ${reason}`);
  const ops = [...new Set(bad.map((b) => b.node.op))].sort();
  throw new SparsecError('E_UNSUPPORTED', `${bad.length} node(s) cannot be compiled (ops: ${ops.join(', ')}):\n${lines.join('\n')}`, { file: g.source });
}

/** The graph to compile: the model as it is, or pruned as --prune says (the file is not touched). */
export async function prunedGraph(file: string, opts: BuildOptions): Promise<Graph> {
  const shape = Object.values(opts.inputShapes ?? {})[0]; // the first input's, for calibration
  const toast = opts.prune ? parseToastSpec(opts.prune) : null;
  if (toast) return toastForBuild(file, toast, opts.calib, shape);
  const ch = opts.prune ? /^(reprune|l1|random):(.+)$/.exec(opts.prune.trim()) : null;
  if (ch) {
    const x = Number(ch[2]);
    if (!(x >= 0 && x < 1)) throw new SparsecError('E_OPTION', `--prune ${opts.prune}: the FLOPs reduction must be a number in [0, 1), e.g. reprune:0.5`);
    const bytes = readFileSync(file);
    const feeds = opts.calib ? await calibrationFeeds(bytes, file, opts.calib, { count: 256, seed: 0, seq: 0, shape }) : undefined;
    return (await channelPrune(bytes, file, { method: ch[1] as ChannelMethod, flopsReduction: x, inputShapes: opts.inputShapes, feeds, reconstruct: !!feeds, recalibrate: !!feeds })).graph;
  }
  const m = opts.prune ? /^(crepe|ria|wanda):(.+)$/.exec(opts.prune.trim()) : null;
  if (!m) {
    const g = readOnnxFile(file);
    return opts.prune ? pruneForBuild(g, opts.prune).graph : g;
  }
  const pattern = parsePattern(m[2], 'matrix');
  if (!pattern) throw new SparsecError('E_OPTION', `--prune ${opts.prune}: the pattern must be N:M (2:4, 4:8) or a sparsity such as 0.5`);
  if (!opts.calib) throw new SparsecError('E_OPTION', `--prune ${m[1]}:... needs calibration data: --calib text.txt or --calib <rendered lines>`);
  const bytes = readFileSync(file);
  const feeds = await calibrationFeeds(bytes, file, opts.calib, { seq: shape?.[shape.length - 1] ?? 128, count: 128, seed: 0, shape });
  const onProgress = opts.onProgress && ((d: number, t: number) => opts.onProgress!(d, t, 'calibrating'));
  return (await pruneModel(bytes, file, { method: m[1] as ScoreMethod, pattern, feeds, onProgress })).graph;
}

/** read or prune, lower, compile, write (onProgress's build steps) */
const BUILD_STEPS = 4;

export async function compileModel(file: string, opts: BuildOptions = {}): Promise<BuildResult> {
  const target = loadTarget(opts.target ?? 'wasm-simd128');
  const step = (i: number, name: string) => opts.onProgress?.(i, BUILD_STEPS, name);
  step(0, opts.prune ? 'pruning' : 'reading');
  const g = await prunedGraph(file, opts);
  step(1, 'lowering');
  fixInputShapes(g, opts.inputShapes ?? {});
  const { unknownOps } = canonicalize(g);
  checkSupported(g, unknownOps);
  const header = `// Generated by sparsec ${version} from ${basename(file)} for target ${target.name}. Do not edit.`;
  const emitted = emitModule(g, target, lowerings, header, opts.profile);
  if (emitted.layout.end > target.memoryLimit) {
    throw new SparsecError('E_BUILD', `the model needs ${(emitted.layout.end / 2 ** 20).toFixed(1)} MiB of linear memory; target ${target.name} allows ${(target.memoryLimit / 2 ** 20).toFixed(0)} MiB`, { file });
  }
  step(2, 'compiling');
  const { wasm } = await compileAssemblyScript(emitted.source, { target, memoryBase: emitted.layout.end });
  const spec = (name: string): TensorSpec => {
    const v = g.values.get(name)!;
    const dtype = v.dtype === 'int64' || v.dtype === 'bool' || v.dtype === 'uint8' || v.dtype === 'int32' ? v.dtype : runtimeDType(v.dtype) === 'float32' ? 'float32' : 'int32';
    return { name, dtype, shape: v.shape!, address: emitted.io.get(name)! };
  };
  const weightsSha256 = sha256(emitted.weights);
  const meta: ModelMeta = {
    inputs: g.inputs.map(spec), outputs: g.outputs.map(spec),
    wasmFile: './model.wasm', weightsFile: './weights.bin',
    weightsAddress: emitted.layout.weights, weightsBytes: emitted.weights.length, weightsSha256,
    memoryBytes: emitted.layout.end + 65536, target: target.name,
  };
  const opCounts: Record<string, number> = {};
  for (const n of g.nodes) opCounts[n.op] = (opCounts[n.op] ?? 0) + 1;
  const manifest = {
    sparsec: version,
    source: basename(file),
    target: target.name,
    features: target.features,
    prune: opts.prune ?? null,
    inputs: meta.inputs.map(({ name, dtype, shape }) => ({ name, dtype, shape })),
    outputs: meta.outputs.map(({ name, dtype, shape }) => ({ name, dtype, shape })),
    ops: Object.fromEntries(Object.entries(opCounts).sort()),
    sizes: { wasm: wasm.length, weights: emitted.weights.length, arena: emitted.layout.arenaBytes, arenaWithoutReuse: emitted.unsharedArenaBytes, scratch: emitted.layout.scratchBytes, memory: meta.memoryBytes },
    hashes: { wasm: sha256(wasm), weights: weightsSha256 },
    layers: emitted.layers.map((l) => ({ format: 'dense', sparsity: 0, ...l })),
  };
  if (wasm.length > target.codeSizeBudget) process.emitWarning(`model.wasm is ${wasm.length} bytes, over the ${target.name} budget of ${target.codeSizeBudget}`);
  const mjs = modelModule(meta, header);
  const dts = modelTypes(meta, header);
  return { graph: g, meta, files: { wasm, weights: emitted.weights, mjs, dts, manifest, source: emitted.source } };
}

export async function buildModel(file: string, outDir: string, opts: BuildOptions = {}): Promise<BuildResult> {
  const r = await compileModel(file, opts);
  opts.onProgress?.(3, BUILD_STEPS, 'writing');
  writeBundle(outDir, r.files);
  if (opts.keepSource) writeAtomic(join(outDir, 'model.ts'), r.files.source);
  opts.onProgress?.(BUILD_STEPS, BUILD_STEPS, 'done');
  return r;
}
