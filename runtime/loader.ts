// The loader shipped inside every build's model.mjs. Self-contained (no imports): the bundler
// inlines this file's compiled JavaScript after the model's metadata. Works in browsers, Node
// and workers; Node-only modules are imported dynamically, only for file: URLs.

export interface TensorSpec {
  name: string;
  /** the dtype the user sees (int64 token ids are narrowed to int32 inside the program) */
  dtype: 'float32' | 'int32' | 'int64' | 'uint8' | 'bool';
  shape: number[];
  /** byte address in linear memory */
  address: number;
}

export interface ModelMeta {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  wasmFile: string;
  weightsFile: string;
  weightsAddress: number;
  weightsBytes: number;
  /** sha256 of weights.bin, checked against what was loaded when crypto.subtle exists */
  weightsSha256: string;
  memoryBytes: number;
  target: string;
}

type Source = ArrayBuffer | ArrayBufferView | URL | string;
export type Feed = Float32Array | Int32Array | BigInt64Array | Uint8Array;

export interface LoadOptions {
  weights?: Source;
  wasm?: Source;
  /** called after each layer of a build made with --profile (layer index, as in manifest.layers) */
  onLayer?: (layer: number) => void;
}

export interface Model {
  inputs: { name: string; dtype: string; shape: number[] }[];
  outputs: { name: string; dtype: string; shape: number[] }[];
  run(feeds: Record<string, Feed>): Record<string, Feed>;
  dispose(): void;
}

export class SparsecInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SparsecInputError';
  }
}

async function fetchBytes(src: Source, base: string): Promise<ArrayBuffer> {
  if (src instanceof ArrayBuffer) return src;
  if (ArrayBuffer.isView(src)) return src.buffer.slice(src.byteOffset, src.byteOffset + src.byteLength) as ArrayBuffer;
  const url = src instanceof URL ? src : new URL(src, base);
  if (url.protocol === 'file:') {
    const fs = await import('node:fs/promises');
    const { fileURLToPath } = await import('node:url');
    const b = await fs.readFile(fileURLToPath(url));
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`sparsec: cannot fetch ${url.href}: HTTP ${res.status}`);
  return res.arrayBuffer();
}

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function viewOf(memory: WebAssembly.Memory, spec: TensorSpec): Float32Array | Int32Array | Uint8Array {
  const n = numel(spec.shape);
  if (spec.dtype === 'float32') return new Float32Array(memory.buffer, spec.address, n);
  if (spec.dtype === 'uint8' || spec.dtype === 'bool') return new Uint8Array(memory.buffer, spec.address, n);
  return new Int32Array(memory.buffer, spec.address, n);
}

function writeInput(memory: WebAssembly.Memory, spec: TensorSpec, value: Feed | undefined): void {
  const where = `input '${spec.name}' (${spec.dtype}, shape [${spec.shape.join(',')}])`;
  if (value === undefined) throw new SparsecInputError(`missing ${where}`);
  const n = numel(spec.shape);
  if (!ArrayBuffer.isView(value)) throw new SparsecInputError(`${where}: expected a typed array, got ${typeof value}`);
  if (value.length !== n) throw new SparsecInputError(`${where}: expected ${n} elements, got ${value.length}`);
  const dst = viewOf(memory, spec);
  if (spec.dtype === 'float32') {
    if (!(value instanceof Float32Array)) throw new SparsecInputError(`${where}: expected a Float32Array, got ${value.constructor.name}`);
    dst.set(value);
  } else if (spec.dtype === 'int64' || spec.dtype === 'int32') {
    if (value instanceof BigInt64Array) {
      for (let i = 0; i < n; i++) {
        const v = value[i];
        if (v > 2147483647n || v < -2147483648n) throw new SparsecInputError(`${where}: element ${i} (${v}) does not fit in 32 bits`);
        dst[i] = Number(v);
      }
    } else if (value instanceof Int32Array) dst.set(value);
    else throw new SparsecInputError(`${where}: expected an Int32Array or BigInt64Array, got ${value.constructor.name}`);
  } else {
    if (!(value instanceof Uint8Array)) throw new SparsecInputError(`${where}: expected a Uint8Array, got ${value.constructor.name}`);
    dst.set(value);
  }
}

function readOutput(memory: WebAssembly.Memory, spec: TensorSpec): Feed {
  const src = viewOf(memory, spec);
  if (spec.dtype === 'int64') return BigInt64Array.from(src as Int32Array, (v) => BigInt(v));
  return src.slice();
}

async function sha256Hex(bytes: ArrayBuffer): Promise<string | null> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return null;
  const d = new Uint8Array(await subtle.digest('SHA-256', bytes));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function loadModel(meta: ModelMeta, base: string, options: LoadOptions = {}): Promise<Model> {
  const [wasmBytes, weights] = await Promise.all([
    fetchBytes(options.wasm ?? meta.wasmFile, base),
    meta.weightsBytes > 0 ? fetchBytes(options.weights ?? meta.weightsFile, base) : Promise.resolve(new ArrayBuffer(0)),
  ]);
  if (weights.byteLength !== meta.weightsBytes) {
    throw new Error(`sparsec: weights hold ${weights.byteLength} bytes, this build expects ${meta.weightsBytes} (a weights.bin from another build?)`);
  }
  const hash = meta.weightsBytes > 0 ? await sha256Hex(weights) : null;
  if (hash && hash !== meta.weightsSha256) throw new Error('sparsec: weights.bin does not match this build (sha256 differs)');
  const { instance } = await WebAssembly.instantiate(wasmBytes, {
    env: { abort: () => { throw new Error('sparsec: the model aborted'); }, tick: options.onLayer ?? (() => undefined) },
  });
  const exports = instance.exports as { memory: WebAssembly.Memory; run: () => void };
  const memory = exports.memory;
  const missing = meta.memoryBytes - memory.buffer.byteLength;
  if (missing > 0) memory.grow(Math.ceil(missing / 65536));
  new Uint8Array(memory.buffer, meta.weightsAddress, meta.weightsBytes).set(new Uint8Array(weights));
  let live: { memory: WebAssembly.Memory; run: () => void } | null = { memory, run: exports.run };
  const describe = (s: TensorSpec) => ({ name: s.name, dtype: s.dtype, shape: [...s.shape] });
  return {
    inputs: meta.inputs.map(describe),
    outputs: meta.outputs.map(describe),
    run(feeds) {
      if (!live) throw new Error('sparsec: run() after dispose()');
      const { memory, run } = live;
      const known = new Set(meta.inputs.map((s) => s.name));
      for (const name of Object.keys(feeds)) {
        if (!known.has(name)) throw new SparsecInputError(`unknown input '${name}'; the model's inputs are: ${[...known].join(', ')}`);
      }
      for (const spec of meta.inputs) writeInput(memory, spec, feeds[spec.name]);
      run();
      const out: Record<string, Feed> = {};
      for (const spec of meta.outputs) out[spec.name] = readOutput(memory, spec);
      return out;
    },
    /** drops the instance and its memory; the model cannot run afterwards */
    dispose() { live = null; },
  };
}
