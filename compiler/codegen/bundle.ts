// The output folder: model.wasm, model.mjs (loader + metadata), model.d.ts, weights.bin and
// manifest.json. Each file is written to a temporary name and renamed into place.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';
import type { ModelMeta, TensorSpec } from '../../runtime/loader.js';

export const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

export function writeAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** The loader's compiled JavaScript with its `export` keywords removed, to inline in model.mjs. */
function loaderSource(): string {
  const js = readFileSync(join(packageRoot, 'dist', 'runtime', 'loader.js'), 'utf8');
  return js.replace(/^export /gm, '').replace(/^\/\/# sourceMappingURL.*$/m, '');
}

export function modelModule(meta: ModelMeta, header: string): string {
  return `${header}
${loaderSource()}
const META = ${JSON.stringify(meta, null, 2)};

/** Loads the model: model.wasm and weights.bin next to this module unless given. */
export async function load(options) {
  return loadModel(META, import.meta.url, options);
}
export { SparsecInputError };
export const inputs = META.inputs.map(({ name, dtype, shape }) => ({ name, dtype, shape }));
export const outputs = META.outputs.map(({ name, dtype, shape }) => ({ name, dtype, shape }));
`;
}

const tsType = (dtype: TensorSpec['dtype'], input: boolean) =>
  dtype === 'float32' ? 'Float32Array' : dtype === 'int64' ? (input ? 'BigInt64Array | Int32Array' : 'BigInt64Array') : dtype === 'int32' ? 'Int32Array' : 'Uint8Array';

export function modelTypes(meta: ModelMeta, header: string): string {
  const fields = (specs: TensorSpec[], input: boolean) =>
    specs.map((s) => `  /** ${s.dtype} [${s.shape.join(', ')}] */\n  ${JSON.stringify(s.name)}: ${tsType(s.dtype, input)};`).join('\n');
  return `${header}
export interface Inputs {
${fields(meta.inputs, true)}
}
export interface Outputs {
${fields(meta.outputs, false)}
}
export interface TensorInfo { name: string; dtype: 'float32' | 'int32' | 'int64' | 'uint8' | 'bool'; shape: number[] }
export interface Model {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  run(feeds: Inputs): Outputs;
  dispose(): void;
}
export interface LoadOptions { weights?: ArrayBuffer | URL | string; wasm?: ArrayBuffer | URL | string }
export function load(options?: LoadOptions): Promise<Model>;
export class SparsecInputError extends Error {}
export const inputs: TensorInfo[];
export const outputs: TensorInfo[];
`;
}

export interface BundleFiles { wasm: Uint8Array; weights: Uint8Array; mjs: string; dts: string; manifest: object }

export function writeBundle(outDir: string, files: BundleFiles): void {
  mkdirSync(outDir, { recursive: true });
  writeAtomic(join(outDir, 'weights.bin'), files.weights);
  writeAtomic(join(outDir, 'model.wasm'), files.wasm);
  writeAtomic(join(outDir, 'model.d.ts'), files.dts);
  writeAtomic(join(outDir, 'manifest.json'), JSON.stringify(files.manifest, null, 2) + '\n');
  // last: a model.mjs that exists always points at a complete set of files
  writeAtomic(join(outDir, 'model.mjs'), files.mjs);
}
