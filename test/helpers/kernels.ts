// Kernel test harness: the whole kernel library compiled once per target, with a bump allocator
// over its linear memory, so kernel tests can call any exported kernel on data they lay out.
import { compileAssemblyScript } from '../../compiler/codegen/build.js';
import { enableEngineFlags, loadTarget, type Target } from '../../compiler/codegen/target.js';
import { compiledFor, type KernelVariant } from '../../compiler/codegen/kernels/registry.js';

export interface KernelModule {
  /** every exported kernel, called with addresses and sizes */
  k: Record<string, (...args: number[]) => number | void>;
  memory: WebAssembly.Memory;
  /** reserve bytes (64-byte aligned); memory grows as needed */
  alloc(bytes: number): number;
  /** copy an array in, returning its address */
  put(a: Float32Array | Int32Array | Uint8Array): number;
  f32(ptr: number, n: number): Float32Array;
  i32(ptr: number, n: number): Int32Array;
  /** forget every allocation */
  reset(): void;
}

/** Guard zones of SENTINEL around a buffer, to catch kernels that write out of bounds. */
const GUARD = 64; // floats
export const SENTINEL = -12345.5;

/** n floats with guard zones on both sides; returns the address of the first float */
export function putGuarded(m: KernelModule, n: number): number {
  const p = m.alloc((n + 2 * GUARD) * 4);
  m.f32(p, n + 2 * GUARD).fill(SENTINEL);
  return p + GUARD * 4;
}

/** did anything write into the guard zones of a putGuarded buffer? */
export function guardsIntact(m: KernelModule, p: number, n: number): boolean {
  return m.f32(p - GUARD * 4, GUARD).every((v) => v === SENTINEL) && m.f32(p + n * 4, GUARD).every((v) => v === SENTINEL);
}

const cache = new Map<string, Promise<KernelModule>>();

export function kernelModule(targetName = 'wasm-simd128'): Promise<KernelModule> {
  let m = cache.get(targetName);
  if (!m) cache.set(targetName, (m = build(targetName)));
  return m;
}

// AssemblyScript's static data (constant tables) sits in [STATIC, HEAP); allocations start at HEAP
const STATIC = 1 << 16, HEAP = 1 << 18;

/** Should a kernel test run registry row r on this target? The rows a build for it compiles;
 *  on wasm-relaxed-simd only those whose body differs there (fused multiply-add,
 *  assembly/fma.ts), the others being the simd128 rows already tested. */
export function testedOn(r: KernelVariant, target: Target): boolean {
  return compiledFor(r, target) && (!target.features.relaxedSimd || r.features.includes('relaxed-simd'));
}

async function build(targetName: string): Promise<KernelModule> {
  enableEngineFlags(loadTarget(targetName));
  const { wasm } = await compileAssemblyScript(`export * from './index';`, { target: loadTarget(targetName), memoryBase: STATIC });
  const { instance } = await WebAssembly.instantiate(wasm as BufferSource, { env: { abort: () => { throw new Error('abort'); } } });
  const memory = instance.exports.memory as WebAssembly.Memory;
  let top = HEAP;
  const alloc = (bytes: number) => {
    const p = top;
    top += Math.ceil(bytes / 64) * 64 + 64;
    const need = Math.ceil(top / 65536) - memory.buffer.byteLength / 65536;
    if (need > 0) memory.grow(need);
    return p;
  };
  return {
    k: instance.exports as never,
    memory,
    alloc,
    put(a) {
      const p = alloc(a.byteLength);
      new Uint8Array(memory.buffer, p, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      return p;
    },
    f32: (p, n) => new Float32Array(memory.buffer, p, n),
    i32: (p, n) => new Int32Array(memory.buffer, p, n),
    reset() { top = HEAP; },
  };
}
