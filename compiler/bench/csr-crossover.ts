// Where unstructured sparse (csr) starts to beat dense: for one shape of each path the lowerings
// choose between (MatMul over many tokens, 3x3 conv, batch-1 GEMV), the dense call a build runs
// today next to the csr call at sparsities 20-95%, as lowered (MatMul: dense gemm_f32_pb on X·W
// against gemm_csr_f32 on Wᵀ·Xᵀ plus the transpose back; conv: conv2d_f32 against
// conv2d_csr_f32; GEMV: gemm_f32_pb with one row against gemv_csr_f32). Random masks (magnitude
// of random weights). Single thread; rounds interleaved (every variant once per round), CPU time
// per call (steadier than wall time on the shared machine), median over rounds.
//
//   node dist/compiler/bench/csr-crossover.js [--rounds 5] [--out out/bench-csr-crossover.json]
//
// Writes the JSON and a Markdown table (same name, .md) and prints the table; the crossover
// (the lowest sparsity from which csr is faster at every measured point above it, linearly
// interpolated) is what compiler/codegen/ops/sparse.ts uses.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { compileAssemblyScript } from '../codegen/build.js';
import { loadTarget } from '../codegen/target.js';
import { selectKernel } from '../codegen/kernels/registry.js';
import { convCSRScratchBytes, convScratchBytes, csrScratchBytes, gemmScratchBytes } from '../codegen/kernels/gemm-blocking.js';
import { packConvWeight, packMatMulWeight } from '../pack/dense.js';
import { packConvWeightCSR, packCSRGemv, packCSRRows, type CSRPacked } from '../pack/csr.js';
import { rng, uniform } from '../util/random.js';

export const SPARSITIES = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95];

type Blob = Float32Array | Uint16Array | Int32Array;
interface Mem { put(a: Blob): number; reserve(bytes: number): number; blobs: [number, Blob][]; top: number }

function newMem(base: number): Mem {
  const m: Mem = {
    blobs: [], top: base,
    put(a) { const p = m.reserve(a.byteLength); m.blobs.push([p, a]); return p; },
    reserve(bytes) { const p = m.top; m.top += Math.ceil(bytes / 64) * 64 + 64; return p; },
  };
  return m;
}

/** a copy of w with a `sparsity` fraction of its entries zeroed at random */
export function randomMask(w: Float32Array, sparsity: number, seed: number): Float32Array {
  const r = rng(seed);
  return w.map((v) => (r() < sparsity ? 0 : v));
}

const f32 = '<f32>0';
const csrArgs = (m: Mem, pk: CSRPacked) => [m.put(pk.ptr), m.put(pk.values), m.put(pk.offsets)];

interface Shape { path: 'matmul' | 'conv' | 'gemv'; name: string; flops: number; dense(m: Mem): string; csr(m: Mem, s: number): string }

/** MatMul Y[T][N] = X[T][K]·W[K][N] with T tokens */
function matmulShape(T: number, K: number, N: number): Shape {
  const W = uniform(11, K * N), X = uniform(12, T * K);
  return {
    path: 'matmul', name: `MatMul ${T}x${K}·${K}x${N}`, flops: 2 * T * K * N,
    dense(m) {
      const d = selectKernel('gemm_pb', loadTarget('wasm-simd128'))!;
      return `k.${d.fn}(1, ${T}, ${N}, ${K}, ${m.put(X)}, 0, ${K}, 1, ${m.put(packMatMulWeight(W, K, N, false, 1))}, 0, ${m.reserve(T * N * 4)}, 0, ${N}, 0, 0, 0, ${f32}, ${f32}, ${m.reserve(gemmScratchBytes('pb', T, N, K))});`;
    },
    csr(m, s) {
      const pk = packCSRRows({ data: randomMask(W, s, 13), rowStride: 1, kStride: N }, N, K);
      const yt = m.reserve(T * N * 4);
      return `k.gemm_csr_f32(${N}, ${T}, ${K}, ${csrArgs(m, pk).join(', ')}, ${m.put(X)}, 1, ${K}, ${yt}, ${T}, 0, 0, ${f32}, ${f32}, ${m.reserve(csrScratchBytes(T, K))}); k.transpose2d_32(${yt}, ${m.reserve(T * N * 4)}, 1, ${N}, ${T});`;
    },
  };
}

function convShape(C: number, Cout: number, H: number, k: number): Shape {
  const pad = k >> 1, K = C * k * k, P = H * H, W = uniform(21, Cout * K), X = uniform(22, C * P);
  const geo = `${k}, ${k}, 1, 1, ${pad}, ${pad}, 1, 1, 1`;
  return {
    path: 'conv', name: `${k}x${k} conv ${C}→${Cout} ${H}x${H}`, flops: 2 * Cout * K * P,
    dense: (m) => `k.conv2d_f32(${m.put(X)}, 1, ${C}, ${H}, ${H}, ${m.put(packConvWeight(W, Cout, C, k, k, 1))}, ${m.reserve(Cout * P * 4)}, ${Cout}, ${H}, ${H}, ${geo}, 0, 0, ${f32}, ${f32}, ${m.reserve(convScratchBytes(P, K))});`,
    csr(m, s) {
      const pk = packConvWeightCSR(randomMask(W, s, 23), Cout, C, k, k, 1);
      return `k.conv2d_csr_f32(${m.put(X)}, 1, ${C}, ${H}, ${H}, ${csrArgs(m, pk).join(', ')}, ${m.reserve(Cout * P * 4)}, ${Cout}, ${H}, ${H}, ${geo}, 0, 0, ${f32}, ${f32}, ${m.reserve(convCSRScratchBytes(P, K))});`;
    },
  };
}

/** one activation row x[K] times W[K][N] */
function gemvShape(K: number, N: number): Shape {
  const W = uniform(31, K * N), X = uniform(32, K);
  return {
    path: 'gemv', name: `GEMV ${N}x${K}`, flops: 2 * K * N,
    dense: (m) => `k.gemm_f32_pb(1, 1, ${N}, ${K}, ${m.put(X)}, 0, ${K}, 1, ${m.put(packMatMulWeight(W, K, N, false, 1))}, 0, ${m.reserve(N * 4)}, 0, ${N}, 0, 0, 0, ${f32}, ${f32}, ${m.reserve(gemmScratchBytes('pb', 1, N, K))});`,
    csr(m, s) {
      const pk = packCSRGemv({ data: randomMask(W, s, 33), rowStride: 1, kStride: N }, N, K);
      return `k.gemv_csr_f32(${N}, ${K}, ${pk.KB}, ${csrArgs(m, pk).join(', ')}, ${m.put(X)}, ${m.reserve(N * 4)}, 0, 0, ${f32}, ${f32});`;
    },
  };
}

export const SHAPES = (): Shape[] => [matmulShape(512, 512, 512), convShape(64, 64, 56, 3), gemvShape(4096, 1024)];

/** CPU seconds per call: warm up, then repeat for at least 0.25 s */
function cpuPerCall(fn: () => void): number {
  for (let i = 0; i < 2; i++) fn();
  const c0 = process.cpuUsage(), t0 = performance.now();
  let n = 0;
  while (n < 3 || performance.now() - t0 < 250) { fn(); n++; }
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6 / n;
}

export interface CrossoverRow { path: string; shape: string; sparsity: number; denseGflops: number; csrGflops: number; ratio: number }

/** the lowest sparsity from which csr is at least as fast at every measured point above it,
 *  interpolated linearly between the two points around ratio 1; null if csr never wins */
export function crossover(points: { sparsity: number; ratio: number }[]): number | null {
  const p = [...points].sort((a, b) => a.sparsity - b.sparsity);
  let i = p.length;
  while (i > 0 && p[i - 1].ratio >= 1) i--;
  if (i === p.length) return null;
  if (i === 0) return p[0].sparsity;
  const a = p[i - 1], b = p[i];
  return a.sparsity + ((1 - a.ratio) / (b.ratio - a.ratio)) * (b.sparsity - a.sparsity);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string, dflt: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : dflt; };
  const rounds = Number(opt('rounds', '5')), out = opt('out', 'out/bench-csr-crossover.json');
  const target = loadTarget('wasm-simd128');
  const BASE = 1 << 16, mem = newMem(BASE);
  const shapes = SHAPES();
  const calls: { shape: Shape; sparsity: number | null; fn: string }[] = [];
  const body: string[] = [];
  for (const sh of shapes) {
    for (const s of [null, ...SPARSITIES]) {
      const fn = `case${calls.length}`;
      body.push(`export function ${fn}(): void { ${s === null ? sh.dense(mem) : sh.csr(mem, s)} }`);
      calls.push({ shape: sh, sparsity: s, fn });
    }
  }
  const { wasm } = await compileAssemblyScript([`import * as k from './index';`, ...body].join('\n'), { target, memoryBase: BASE - 1024 });
  const { instance } = await WebAssembly.instantiate(wasm as BufferSource, { env: { abort: () => { throw new Error('abort'); } } });
  const memory = instance.exports.memory as WebAssembly.Memory;
  const need = Math.ceil(mem.top / 65536) - memory.buffer.byteLength / 65536;
  if (need > 0) memory.grow(need);
  for (const [p, a] of mem.blobs) new Uint8Array(memory.buffer, p, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  const load0 = loadavg();
  const secs = calls.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) calls.forEach((c, i) => secs[i].push(cpuPerCall(instance.exports[c.fn] as () => void)));
  const med = (l: number[]) => [...l].sort((a, b) => a - b)[l.length >> 1];
  const rows: CrossoverRow[] = [];
  const summary: { path: string; shape: string; crossover: number | null }[] = [];
  for (const sh of shapes) {
    const mine = calls.map((c, i) => ({ c, t: med(secs[i]) })).filter((x) => x.c.shape === sh);
    const dense = mine.find((x) => x.c.sparsity === null)!.t;
    for (const x of mine.filter((y) => y.c.sparsity !== null)) {
      rows.push({ path: sh.path, shape: sh.name, sparsity: x.c.sparsity!, denseGflops: +(sh.flops / dense / 1e9).toFixed(2), csrGflops: +(sh.flops / x.t / 1e9).toFixed(2), ratio: +(dense / x.t).toFixed(3) });
    }
    summary.push({ path: sh.path, shape: sh.name, crossover: crossover(rows.filter((r) => r.shape === sh.name)) });
  }
  const table = ['| path | shape | sparsity | dense GFLOP/s | csr GFLOP/s (dense-equivalent) | csr / dense |', '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.path} | ${r.shape} | ${(r.sparsity * 100).toFixed(0)}% | ${r.denseGflops.toFixed(1)} | ${r.csrGflops.toFixed(1)} | ${r.ratio.toFixed(2)} |`),
    '', '| path | shape | crossover sparsity |', '|---|---|---|',
    ...summary.map((s) => `| ${s.path} | ${s.shape} | ${s.crossover === null ? 'none up to 95%' : `${(s.crossover * 100).toFixed(0)}%`} |`)].join('\n');
  const json = { date: new Date().toISOString(), node: process.version, rounds, loadavg: [load0, loadavg()], rows, crossover: summary };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(json, null, 1));
  writeFileSync(out.replace(/\.json$/, '.md'), table + '\n');
  process.stdout.write(table + '\n');
  process.stderr.write(`load average before/after: ${load0.join(' ')} / ${loadavg().join(' ')} (2 cores)\nwrote ${out}\n`);
}

if (process.argv[1]?.endsWith('csr-crossover.js')) await main();
