// Where unstructured sparse (csr) starts to beat dense: for one shape of each path the lowerings
// choose between (MatMul over many tokens, 3x3 conv, batch-1 GEMV with the weight in L3 and
// from DRAM), the dense call a build runs next to the csr call at sparsities 20-95%, as lowered:
// MatMul: gemm_f32_pb on X·W against gemm_csr_f32 on Wᵀ·Xᵀ (X read transposed) plus the
// transpose back; conv: conv2d_f32 against conv2d_csr_f32; GEMV: gemv_f32 against gemv_csr_f32.
// Random masks (kernel-cases.ts maskRandom). Next to them the 2:4 call of the same shape as
// lowered (gemm_nm24_f32 on Wᵀ·Xᵀ plus the transpose, conv2d_nm24_f32, gemv_nm24_f32), whose
// time does not depend on the sparsity: csr over N:M is csr/2:4 (CSR_OVER_NM in ops/csr.ts).
// Single thread; rounds interleaved (every cell once per round), GFLOP/s (dense-equivalent) from
// the median CPU time per call, median over rounds. Each target is its own module (and its own
// rounds): wasm-simd128, and wasm-relaxed-simd (its engine flag set by enableEngineFlags), where
// dense and 2:4 fuse their multiply-adds.
//
//   node dist/compiler/bench/csr-crossover.js [--rounds 5] [--target all|wasm-simd128|wasm-relaxed-simd]
//                                             [--out out/bench-csr-crossover.json]
//
// Writes the JSON and a Markdown table (same name, .md) and prints the table. The crossover of
// a shape is the lowest sparsity from which csr is at least as fast at every measured point
// above it, interpolated linearly (against dense and against 2:4); compiler/codegen/ops/csr.ts
// takes its thresholds from it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { enableEngineFlags, loadTarget } from '../codegen/target.js';
import { csrScratchBytes, nmScratchBytes } from '../codegen/kernels/gemm-blocking.js';
import { packCSRRows } from '../pack/csr.js';
import { packMatMulWeightNM } from '../pack/nm.js';
import { buildBenchModule, checkGemm, convCases, gemmCases, maskNM, maskRandom, loadavg, median, newAlloc, rand, timeRuns, type Case, type ConvShape } from './kernel-cases.js';

export const SPARSITIES = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95];

/** Y[T][N] = X[T][K]·W[K][N] as the MatMul lowering runs it with W csr: Yᵀ = Wᵀ·Xᵀ, transpose */
const CSR_MATMUL_SRC = `function csr_matmul(N: i32, T: i32, K: i32, ptr: usize, wv: usize, wo: usize, x: usize, yt: usize, y: usize, scratch: usize): void {
  k.gemm_csr_f32(N, T, K, ptr, wv, wo, x, 1, K, yt, T, 0, 0, 0, 0, scratch);
  k.transpose2d_32(yt, y, 1, N, T);
}
function nm_matmul(N: i32, T: i32, K: i32, wv: usize, wo: usize, x: usize, yt: usize, y: usize, scratch: usize): void {
  k.gemm_nm24_f32(N, T, K, wv, wo, x, 1, K, yt, T, 0, 0, 0, 0, scratch);
  k.transpose2d_32(yt, y, 1, N, T);
}`;

function csrMatMulCase(name: string, T: number, K: number, N: number, sparsity: number): Case {
  return {
    name, kind: 'csr_matmul', flops: 2 * T * K * N,
    setup(al) {
      // the same X and W as gemmCases('gemm_pb') (A = X[T][K] seed 1, B = W[K][N] seed 2), masked
      const X = rand(T * K, 1), W = maskRandom(rand(K * N, 2), sparsity);
      const pk = packCSRRows({ data: W, rowStride: 1, kStride: N }, N, K);
      const pY = al.reserve(T * N * 4);
      const args = [N, T, K, al.put(pk.ptr), al.put(pk.values), al.put(pk.offsets), al.put(X), al.reserve(T * N * 4), pY, al.reserve(csrScratchBytes(T, K))];
      return { args, check: (mem) => checkGemm(mem, pY, T, N, K, (i, k) => X[i * K + k], (k, n) => W[k * N + n]) };
    },
  };
}

/** the same product with W 2:4 (its own mask: the 2:4 time does not depend on the values) */
function nmMatMulCase(name: string, T: number, K: number, N: number): Case {
  return {
    name, kind: 'nm_matmul', flops: 2 * T * K * N,
    setup(al) {
      // W given as Wᵀ [N][K] (2:4 along K)
      const X = rand(T * K, 1), W = maskNM(rand(N * K, 2), N, K);
      const pk = packMatMulWeightNM(W, K, N, true, 1, name);
      const pY = al.reserve(T * N * 4);
      const args = [N, T, K, al.put(pk.values), al.put(pk.offsets), al.put(X), al.reserve(T * N * 4), pY, al.reserve(nmScratchBytes(T, K))];
      return { args, check: (mem) => checkGemm(mem, pY, T, N, K, (i, k) => X[i * K + k], (k, n) => W[n * K + k]) };
    },
  };
}

interface Path { path: 'matmul' | 'conv' | 'gemv'; name: string; dense: Case; nm: Case; csr(s: number): Case; callee(kind: string): string }

const conv: ConvShape = { name: '3x3 conv 64→64 56x56', C: 64, Cout: 64, H: 56, W: 56, k: 3, s: 1, p: 1 };
const callee = (kind: string) => (kind.endsWith('_matmul') ? kind : `k.${{ gemm_pb: 'gemm_f32_pb', conv2d: 'conv2d_f32', conv2d_csr: 'conv2d_csr_f32', conv2d_nm: 'conv2d_nm24_f32', gemv: 'gemv_f32', gemv_csr: 'gemv_csr_f32', gemv_nm: 'gemv_nm24_f32' }[kind]}`);

export const PATHS = (): Path[] => [
  { path: 'matmul', name: 'MatMul 512x512·512x512', dense: gemmCases('gemm_pb', [['MatMul', 512, 512, 512]])[0], nm: nmMatMulCase('MatMul', 512, 512, 512), csr: (s) => csrMatMulCase('MatMul', 512, 512, 512, s), callee },
  { path: 'conv', name: conv.name, dense: convCases('conv2d', [conv])[0], nm: convCases('conv2d_nm', [conv])[0], csr: (s) => convCases('conv2d_csr', [conv], 'csr', s)[0], callee },
  ...[['L3', 1024], ['DRAM', 4096]].map(([where, N]) => ({
    path: 'gemv' as const, name: `GEMV ${N}x4096 (${where})`, callee,
    dense: gemmCases('gemv', [['GEMV', 1, N as number, 4096]])[0], nm: gemmCases('gemv_nm', [['GEMV', 1, N as number, 4096]])[0], csr: (s: number) => gemmCases('gemv_csr', [['GEMV', 1, N as number, 4096]], 'csr', s)[0],
  })),
];

export interface CrossoverRow { target: string; path: string; shape: string; sparsity: number; denseGflops: number; nmGflops: number; csrGflops: number; ratio: number; overNM: number; maxRelErr: number }

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

const TARGETS = ['wasm-simd128', 'wasm-relaxed-simd'];

async function measure(targetName: string, rounds: number, paths: Path[]): Promise<{ rows: CrossoverRow[]; summary: Summary[] }> {
  const target = loadTarget(targetName);
  enableEngineFlags(target);
  const al = newAlloc();
  const cells: { p: Path; sparsity: number | 'dense' | '2:4'; c: Case; check(mem: ArrayBuffer): number; call: { callee: string; args: (number | string)[] } }[] = [];
  for (const p of paths) {
    for (const s of ['dense', '2:4', ...SPARSITIES] as const) {
      const c = s === 'dense' ? p.dense : s === '2:4' ? p.nm : p.csr(s), { args, check } = c.setup(al);
      cells.push({ p, sparsity: s, c, check, call: { callee: p.callee(c.kind), args } });
    }
  }
  const { fns, memory } = await buildBenchModule(target, al, cells.map((x) => x.call), [CSR_MATMUL_SRC]);
  const cpu = cells.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < cells.length; i++) cpu[i].push((await timeRuns(fns[i])).cpu);
    process.stderr.write(`${targetName}: round ${r + 1}/${rounds} done\n`);
  }
  const rows: CrossoverRow[] = [], summary: Summary[] = [];
  for (const p of paths) {
    const mine = cells.map((x, i) => ({ x, t: median(cpu[i]) })).filter((y) => y.x.p === p);
    const dense = mine.find((y) => y.x.sparsity === 'dense')!, nm = mine.find((y) => y.x.sparsity === '2:4')!;
    for (const y of mine.filter((z) => typeof z.x.sparsity === 'number')) {
      rows.push({
        target: targetName, path: p.path, shape: p.name, sparsity: y.x.sparsity as number, denseGflops: +(p.dense.flops / dense.t / 1e9).toFixed(2),
        nmGflops: +(p.nm.flops / nm.t / 1e9).toFixed(2), csrGflops: +(y.x.c.flops / y.t / 1e9).toFixed(2), ratio: +(dense.t / y.t).toFixed(3), overNM: +(nm.t / y.t).toFixed(3),
        maxRelErr: +Math.max(y.x.check(memory.buffer), dense.x.check(memory.buffer), nm.x.check(memory.buffer)).toExponential(2),
      });
    }
    const mineRows = rows.filter((r) => r.shape === p.name);
    summary.push({ target: targetName, path: p.path, shape: p.name, crossover: crossover(mineRows), overNM: crossover(mineRows.map((r) => ({ sparsity: r.sparsity, ratio: r.overNM }))) });
  }
  return { rows, summary };
}

interface Summary { target: string; path: string; shape: string; crossover: number | null; overNM: number | null }

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string, dflt: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : dflt; };
  const rounds = Number(opt('rounds', '5')), out = opt('out', 'out/bench-csr-crossover.json'), which = opt('target', 'all');
  const targets = which === 'all' ? TARGETS : [loadTarget(which).name];
  const paths = PATHS(), load0 = loadavg();
  const rows: CrossoverRow[] = [], summary: Summary[] = [];
  for (const t of targets) { const m = await measure(t, rounds, paths); rows.push(...m.rows); summary.push(...m.summary); }
  const after = loadavg();
  const pctOr = (x: number | null) => (x === null ? 'none up to 95%' : `${(x * 100).toFixed(0)}%`);
  const table = [`GFLOP/s (dense-equivalent), median CPU time per call, median of ${rounds} interleaved rounds (${new Date().toISOString().slice(0, 16)}Z); load average before/after ${load0.join(' ')} / ${after.join(' ')} on 2 cores.`, '',
    '| target | path | shape | sparsity | dense GFLOP/s | 2:4 GFLOP/s | csr GFLOP/s | csr / dense | csr / 2:4 | max rel. err |', '|---|---|---|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.target} | ${r.path} | ${r.shape} | ${(r.sparsity * 100).toFixed(0)}% | ${r.denseGflops.toFixed(1)} | ${r.nmGflops.toFixed(1)} | ${r.csrGflops.toFixed(1)} | ${r.ratio.toFixed(2)} | ${r.overNM.toFixed(2)} | ${r.maxRelErr.toExponential(1)} |`),
    '', '| target | path | shape | csr = dense at | csr = 2:4 at |', '|---|---|---|---:|---:|',
    ...summary.map((s) => `| ${s.target} | ${s.path} | ${s.shape} | ${pctOr(s.crossover)} | ${pctOr(s.overNM)} |`)].join('\n');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, rounds, loadavg: [load0, after], rows, crossover: summary }, null, 1));
  writeFileSync(out.replace(/\.json$/, '.md'), table + '\n');
  process.stdout.write(table + '\n');
  process.stderr.write(`wrote ${out}\n`);
}

if (process.argv[1]?.endsWith('csr-crossover.js')) await main();
