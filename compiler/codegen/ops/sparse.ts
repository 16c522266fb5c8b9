// Format choice for a constant weight: the 2:4 kernels (assembly/gemm_nm.ts) or dense.
// A weight goes 2:4 when its zeros form 2:4 groups along the reduction axis K, the target has
// SIMD and the kernel would be faster: the GEMM kernel computes 16 activation columns per tile,
// so layers with fewer columns take the 2:4 GEMV kernel, one call per column, where the lowering
// has it (MatMul/Gemm: decode steps), and stay dense otherwise (convs on tiny maps). The reason
// is recorded per layer in the manifest.
import type { WeightFormatInfo } from '../lower.js';
import type { Target } from '../target.js';
import { isNM, NM24, zeroFraction, type NMSource } from '../../pack/nm.js';
import { NM_NR } from '../kernels/gemm-blocking.js';

export interface FormatChoice extends WeightFormatInfo { use2of4: boolean; /** the 2:4 GEMV kernel, one call per activation row */ gemv?: boolean }

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** rows x K weight (rows = outputs), `columns` activation columns per call; `blocker` is a reason
 *  the lowering cannot take the 2:4 path for this node (null when it can). */
export function chooseWeightFormat(target: Target, src: NMSource, rows: number, K: number, columns: number, blocker: string | null, gemvOk = false): FormatChoice {
  const sparsity = zeroFraction(src, rows, K);
  const dense = (reason: string): FormatChoice => ({ use2of4: false, format: 'dense', sparsity, reason });
  if (sparsity === 0) return dense('no zeros');
  if (!isNM(src, rows, K, NM24)) {
    if (isNM(src, rows, K, { n: 4, m: 8 })) return dense(`4:8 along K (${pct(sparsity)} zeros): no 4:8 kernel yet`);
    return dense(`${pct(sparsity)} zeros, not 2:4 along K: no unstructured sparse kernel yet`);
  }
  if (!target.features.simd) return dense(`2:4 along K, but target ${target.name} has no SIMD: the 2:4 kernels are built for simd128`);
  if (blocker) return dense(`2:4 along K, but ${blocker}`);
  if (columns < NM_NR && gemvOk) {
    return { use2of4: true, gemv: true, format: '2:4', sparsity, reason: `2:4 along K with ${columns} activation row(s): the 2:4 GEMV kernel, one call per row (2.8-4x the dense GEMM's M=1 path in bench:kernels)` };
  }
  if (columns < NM_NR) return dense(`2:4 along K, but only ${columns} activation column(s) per call: the 2x16 tile would run mostly empty (no GEMV layout yet)`);
  return { use2of4: true, format: '2:4', sparsity, reason: `2:4 along K with ${columns} activation columns: the 2:4 kernel does half the multiply-adds (1.4-2x dense in bench:kernels)` };
}
