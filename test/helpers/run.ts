// Runs a model two ways on the same inputs: in onnxruntime-node (the reference) and as a
// sparsec build loaded through its model.mjs, exactly as a user would.
import * as ort from 'onnxruntime-node';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildModel, type BuildOptions } from '../../compiler/compile.js';
import { ortSession } from '../../compiler/eval/session.js';
import { readOnnxFile } from '../../compiler/onnx/read.js';
import { writeOnnx } from '../../compiler/onnx/write.js';
import { pruneForBuild } from '../../compiler/prune/buildPrune.js';

export type Feed = Float32Array | Int32Array | BigInt64Array | Uint8Array;
export type Feeds = Record<string, { data: Feed; shape: number[] }>;

/** `file`: a path, or the bytes of a model (e.g. writeOnnx of a rewritten graph) */
export async function runOrt(file: string | Uint8Array, feeds: Feeds): Promise<Record<string, { data: Feed; shape: number[] }>> {
  const session = await ortSession(file);
  const inputs: Record<string, ort.Tensor> = {};
  for (const [name, f] of Object.entries(feeds)) inputs[name] = new ort.Tensor(f.data as Float32Array, f.shape);
  const out = await session.run(inputs);
  await session.release();
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { data: t.data as Feed, shape: [...t.dims] }]));
}

export interface CompiledModel {
  dir: string;
  manifest: Record<string, unknown>;
  run(feeds: Record<string, Feed>): Record<string, Feed>;
  module: Record<string, unknown>;
}

export async function compileAndLoad(file: string, opts: BuildOptions = {}): Promise<CompiledModel> {
  const dir = mkdtempSync(join(tmpdir(), 'sparsec-test-'));
  const r = await buildModel(file, dir, opts);
  const module = await import(pathToFileURL(join(dir, 'model.mjs')).href);
  const model = await module.load();
  return { dir, manifest: r.files.manifest, run: (f) => model.run(f), module };
}

/** max |a - b| over all elements, and the scale (max |b|) it is judged against */
export function compare(actual: Feed, expected: Feed): { maxAbs: number; scale: number } {
  let maxAbs = 0, scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Number(expected[i]), a = Number(actual[i]);
    const d = Math.abs(a - e);
    if (!(d <= maxAbs)) maxAbs = Number.isNaN(d) ? Infinity : d;
    scale = Math.max(scale, Math.abs(e));
  }
  return { maxAbs, scale };
}

export function argmaxRows(data: Feed, rowLength: number): number[] {
  const out: number[] = [];
  for (let r = 0; r * rowLength < data.length; r++) {
    let best = 0;
    for (let i = 1; i < rowLength; i++) if (Number(data[r * rowLength + i]) > Number(data[r * rowLength + best])) best = i;
    out.push(best);
  }
  return out;
}

/** The model at `file` pruned as `sparsec build --prune <spec>` prunes it, written as ONNX to a
 *  temporary file: the reference model for onnxruntime. */
export function maskedModelFile(file: string, spec: string): string {
  const { graph } = pruneForBuild(readOnnxFile(file), spec);
  const out = join(mkdtempSync(join(tmpdir(), 'sparsec-masked-')), 'masked.onnx');
  writeFileSync(out, writeOnnx(graph));
  return out;
}
