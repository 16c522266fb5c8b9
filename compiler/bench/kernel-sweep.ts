// The per-kernel sweep of `npm run bench:kernels -- --sweep`: every dense and 2:4 row of the
// kernel registry on its own list of shapes (the shapes, model-sized linears, attention,
// depthwise and transposed convs), next to the perf.md probe GEMM and the SIMD ceilings (mul+add;
// FMA too on wasm-relaxed-simd). Each case warms up, then runs until it has at least 7 samples and
// 0.4 s; the sweep repeats `rounds` times, interleaved. Each result is checked on sampled outputs against float64.
import { enableEngineFlags, loadTarget } from '../codegen/target.js';
import { compiledFor, KERNELS } from '../codegen/kernels/registry.js';
import { packLeftWeight } from '../pack/dense.js';
import { buildBenchModule, checkGemm, convCases, gemmCases, median, newAlloc, PEAK_FLOPS, rand, timeRuns, type Alloc, type Case, type ConvShape } from './kernel-cases.js';

const GEMM_SHAPES: [string, number, number, number, number?][] = [
  ['256³', 256, 256, 256], ['512³', 512, 512, 512], ['1024³', 1024, 1024, 1024],
  ['conv-as-GEMM 64x576x3136', 64, 3136, 576],
];
const SMALL_SHAPES: [string, number, number, number, number?][] = [
  ['ViT linear 197x192·192x576', 197, 576, 192], ['GPT linear 128x128·128x512', 128, 512, 128],
  ['attn Q·Kᵀ 4 heads T=65 d=16', 65, 65, 16, 4], ['attn P·V 4 heads T=65 d=16', 65, 16, 65, 4],
];
// batch-1 GEMV (decode steps): 1 activation row times a weight of N outputs x K inputs
const GEMV_SHAPES: [string, number, number, number, number?][] = [
  ['GEMV 4096x4096 (DRAM)', 1, 4096, 4096], ['GEMV 1024x4096 (L3)', 1, 1024, 4096], ['GEMV GPT fc 512x128', 1, 512, 128],
];
const CONV_SHAPES: ConvShape[] = [
  { name: '3x3 conv 64→64 56x56', C: 64, Cout: 64, H: 56, W: 56, k: 3, s: 1, p: 1 },
  { name: '3x3 s2 conv 32→64 112x112', C: 32, Cout: 64, H: 112, W: 112, k: 3, s: 2, p: 1 },
  { name: '1x1 conv 64→256 56x56', C: 64, Cout: 256, H: 56, W: 56, k: 1, s: 1, p: 0 },
];
const DW_SHAPES: ConvShape[] = [
  { name: 'dw 3x3 128ch 56x56', C: 128, Cout: 128, H: 56, W: 56, k: 3, s: 1, p: 1, G: 128 },
  { name: 'dw 3x3 s2 128ch 56x56', C: 128, Cout: 128, H: 56, W: 56, k: 3, s: 2, p: 1, G: 128 },
  { name: 'dw 5x5 96ch 28x28', C: 96, Cout: 96, H: 28, W: 28, k: 5, s: 1, p: 2, G: 96 },
  { name: 'dw 3x3 96ch 8x8 (BlazeFace)', C: 96, Cout: 96, H: 8, W: 8, k: 3, s: 1, p: 1, G: 96 },
];
const CONVT_SHAPES: ConvShape[] = [{ name: 'convT 2x2 s2 24→24 80x80', C: 24, Cout: 24, H: 80, W: 80, k: 2, s: 2, p: 0 }];

function casesFor(kind: string, scalar: boolean, format: string): Case[] {
  const pick = <T>(l: T[]) => (scalar ? l.slice(0, 1) : l);
  switch (kind) {
    case 'gemm': return gemmCases(kind, pick([...GEMM_SHAPES.slice(0, 2), ...SMALL_SHAPES.slice(2)]));
    case 'gemm_pb': return gemmCases(kind, pick([...GEMM_SHAPES, ...SMALL_SHAPES.slice(0, 2), ...GEMV_SHAPES]));
    case 'gemv_nm': return gemmCases(kind, pick(GEMV_SHAPES), format);
    case 'gemv': return gemmCases(kind, pick(GEMV_SHAPES));
    case 'gemm_pa': return gemmCases(kind, pick(GEMM_SHAPES));
    case 'conv2d': return convCases(kind, pick(CONV_SHAPES));
    case 'gemm_nm': return gemmCases(kind, pick([...GEMM_SHAPES, ...SMALL_SHAPES.slice(0, 2)]), format);
    case 'conv2d_nm': return convCases(kind, pick(CONV_SHAPES), format);
    case 'dwconv2d': return convCases(kind, pick(DW_SHAPES));
    case 'conv_transpose2d': return convCases(kind, pick(CONVT_SHAPES));
    default: return [];
  }
}

function probeCases(): Case[] {
  return GEMM_SHAPES.map(([name, M, N, K]) => ({
    name, kind: 'reference', flops: 2 * M * N * K,
    setup(al: Alloc) {
      const A = rand(M * K, 1), B = rand(K * N, 2);
      const pC = al.reserve(M * N * 4), pBp = al.reserve(256 * N * 4);
      const args = [M, N, K, al.put(packLeftWeight(A, M, K, false)), al.put(B), pBp, pC];
      return { args, check: (mem: ArrayBuffer) => checkGemm(mem, pC, M, N, K, (i, k) => A[i * K + k], (k, n) => B[k * N + n]) };
    },
  }));
}

export interface Row {
  target: string; kernel: string; kind: string; case: string;
  /** GFLOP/s of each round's median run */
  gflops: number[];
  /** median over rounds of the rounds' medians */
  median: number;
  /** GFLOP/s of the fastest sample seen: what the kernel does when it is not preempted */
  best: number;
  /** GFLOP/s from the median CPU time per call, over all rounds */
  cpu: number;
  seconds: number; maxRelErr: number;
}

export async function benchTarget(targetName: string, rounds: number, filter: string): Promise<Row[]> {
  const target = loadTarget(targetName);
  enableEngineFlags(target);
  const variants = KERNELS.filter((v) => (v.format === 'dense' || v.format === '2:4' || v.format === '4:8') && compiledFor(v, target));
  const plan: { label: string; kind: string; c: Case; check: (m: ArrayBuffer) => number }[] = [];
  const calls: { callee: string; args: (number | string)[] }[] = [];
  const al = newAlloc();
  const add = (label: string, kind: string, callee: string, c: Case) => {
    if (filter && !filter.split(',').some((f) => `${label} ${c.name}`.includes(f))) return;
    const { args, check } = c.setup(al);
    calls.push({ callee, args });
    plan.push({ label, kind, c, check });
  };
  for (const v of variants) for (const c of casesFor(v.kind, !target.features.simd, v.format)) add(v.id, v.kind, `k.${v.fn}`, c);
  if (target.features.simd) for (const c of probeCases()) add('probe gemm_dense_4x8 (perf.md reference)', 'reference', 'probe_gemm_4x8', c);
  if (!plan.length) return [];
  const { fns, peaks, memory } = await buildBenchModule(target, al, calls);
  const runs: (() => void)[] = [...fns];
  for (const p of peaks) {
    plan.push({ label: `SIMD ${p.id} ceiling`, kind: 'reference', c: { name: p.id === 'FMA' ? '6x8 tile, operands in L1' : '5x8 tile, operands in L1', kind: 'reference', flops: PEAK_FLOPS[p.id], setup: () => ({ args: [], check: () => 0 }) }, check: () => 0 });
    runs.push(p.run);
  }
  const results = plan.map(() => [] as number[]);
  const secs = plan.map(() => [] as number[]);
  const best = plan.map(() => Infinity);
  const cpus = plan.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < plan.length; i++) {
      const t = await timeRuns(runs[i]);
      results[i].push(plan[i].c.flops / t.med / 1e9);
      secs[i].push(t.med);
      best[i] = Math.min(best[i], t.min);
      cpus[i].push(t.cpu);
    }
  }
  return plan.map((p, i) => ({
    target: targetName, kernel: p.label, kind: p.kind, case: p.c.name,
    gflops: results[i].map((g) => +g.toFixed(2)), median: +median(results[i]).toFixed(2), best: +(p.c.flops / best[i] / 1e9).toFixed(2), cpu: +(p.c.flops / median(cpus[i]) / 1e9).toFixed(2), seconds: median(secs[i]),
    maxRelErr: p.check(memory.buffer),
  }));
}

/** N:M next to dense, per target and case: gemm_nm against gemm_pa (weights on the left, the
 *  same orientation), conv2d_nm against conv2d, gemv_nm against gemv (what a dense decode step
 *  runs); ratios of the CPU-time and best-sample figures */
export function nmTable(rows: Row[]): string {
  const out = ['| target | case | format | dense GFLOP/s (CPU) | N:M GFLOP/s (CPU) | N:M / dense (CPU) | N:M / dense (best sample) |', '|---|---|---|---|---|---|---|'];
  const denseOf: Record<string, string> = { gemm_nm: 'gemm_pa', conv2d_nm: 'conv2d', gemv_nm: 'gemv' };
  for (const r of rows.filter((x) => denseOf[x.kind])) {
    const d = rows.find((x) => x.target === r.target && x.case === r.case && x.kind === denseOf[r.kind]);
    if (!d) continue;
    out.push(`| ${r.target} | ${r.case} | ${r.kernel.split('.')[1]} | ${d.cpu.toFixed(1)} | ${r.cpu.toFixed(1)} | ${(r.cpu / d.cpu).toFixed(2)} | ${(r.best / d.best).toFixed(2)} |`);
  }
  return out.length > 2 ? out.join('\n') : '';
}

export function sweepTable(rows: Row[]): string {
  const out = ['| target | kernel | case | GFLOP/s (CPU time) | GFLOP/s (wall, median) | wall spread over rounds | best sample | median time | max rel. err |', '|---|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    const lo = Math.min(...r.gflops), hi = Math.max(...r.gflops);
    const t = r.seconds < 1e-3 ? `${(r.seconds * 1e6).toFixed(0)} µs` : `${(r.seconds * 1e3).toFixed(2)} ms`;
    out.push(`| ${r.target} | ${r.kernel} | ${r.case} | ${r.cpu.toFixed(1)} | ${r.median.toFixed(1)} | ${lo.toFixed(1)}–${hi.toFixed(1)} | ${r.best.toFixed(1)} | ${t} | ${r.maxRelErr.toExponential(1)} |`);
  }
  return out.join('\n');
}
