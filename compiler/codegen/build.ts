// Compile an emitted AssemblyScript module (in memory) against the kernel library in assembly/
// with the assemblyscript API, then validate and tune it with binaryen. No global tools.
import asc from 'assemblyscript/asc';
import binaryen from 'binaryen';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SparsecError } from '../errors.js';
import { packageRoot } from '../paths.js';
import type { Target } from './target.js';

export interface CompileOptions {
  target: Target;
  /** first address of AssemblyScript's own static data; everything below is ours */
  memoryBase?: number;
  /** optimize level (asc -O); 3 by default */
  optimizeLevel?: number;
  /** keep the text format too (for golden tests and debugging) */
  emitText?: boolean;
}

export interface CompileResult { wasm: Uint8Array; text?: string }

/** The virtual path of the emitted module: inside assembly/ so that `import * as k from './index'` finds the kernels. */
const ENTRY = 'assembly/__model__.ts';

export async function compileAssemblyScript(source: string, opts: CompileOptions): Promise<CompileResult> {
  const f = opts.target.features;
  const argv = [
    ENTRY, '--baseDir', packageRoot, '--outFile', 'out.wasm', '--runtime', 'stub', '--noAssert',
    '--optimizeLevel', String(opts.optimizeLevel ?? 3), '--shrinkLevel', '0',
    '--disable', 'mutable-globals',
  ];
  // asc 0.28 turns some features on by default; state each one so the target decides.
  argv.push(f.simd ? '--enable' : '--disable', 'simd');
  if (f.relaxedSimd) argv.push('--enable', 'relaxed-simd');
  argv.push(f.bulkMemory ? '--enable' : '--disable', 'bulk-memory');
  if (opts.memoryBase !== undefined) {
    // our regions sit below memoryBase; AssemblyScript's static data (a few bytes) above it
    argv.push('--memoryBase', String(opts.memoryBase), '--initialMemory', String(Math.ceil(opts.memoryBase / 65536) + 1));
  }
  if (opts.emitText) argv.push('--textFile', 'out.wat');
  const outputs = new Map<string, Uint8Array | string>();
  let stderr = '';
  const { error } = await asc.main(argv, {
    readFile: async (name: string, baseDir: string) => {
      if (name === ENTRY) return source;
      try { return await readFile(join(baseDir, name), 'utf8'); } catch { return null; }
    },
    writeFile: (name: string, contents: Uint8Array | string) => { outputs.set(name, contents); },
    listFiles: () => [],
    stdout: { write: () => true } as never,
    stderr: { write: (s: string | Uint8Array) => { stderr += String(s); return true; } } as never,
  } as never);
  if (error) throw new SparsecError('E_BUILD', `AssemblyScript compilation failed: ${error.message}\n${stderr}`);
  const wasm = outputs.get('out.wasm');
  if (!(wasm instanceof Uint8Array)) throw new SparsecError('E_BUILD', `AssemblyScript produced no binary\n${stderr}`);
  validateWasm(wasm, opts.target);
  const text = outputs.get('out.wat');
  return { wasm, text: typeof text === 'string' ? text : undefined };
}

/** binaryen validation with exactly the target's features: a build that uses more fails here. */
export function validateWasm(wasm: Uint8Array, target: Target): void {
  const mod = binaryen.readBinary(wasm);
  try {
    let features = binaryen.Features.MVP | binaryen.Features.SignExt | binaryen.Features.NontrappingFPToInt;
    if (target.features.simd) features |= binaryen.Features.SIMD128;
    if (target.features.relaxedSimd) features |= binaryen.Features.RelaxedSIMD;
    // memory.copy/fill count as the 'bulk memory opt' feature in binaryen 120+
    if (target.features.bulkMemory) features |= binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt;
    if (target.features.threads) features |= binaryen.Features.Atomics;
    mod.setFeatures(features);
    if (!mod.validate()) throw new SparsecError('E_BUILD', `binaryen rejected the module for target ${target.name}`);
  } finally {
    mod.dispose();
  }
}
