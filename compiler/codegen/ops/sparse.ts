// Format choice for a constant weight: the N:M kernels (assembly/gemm_nm.ts) or dense.
// A weight goes 2:4 (or 4:8, when it is 4:8 but not 2:4) when its zeros form N:M groups along the
// reduction axis K, the target has SIMD and the kernel would be faster: the GEMM kernel computes
// 16 activation columns per tile, so layers with fewer columns take the N:M GEMV kernel, one call
// per column, where the lowering has it (MatMul/Gemm: decode steps), and stay dense otherwise
// (convs on tiny maps). The reason is recorded per layer in the manifest. Weights with other
// zero patterns: ./csr.ts.
import type { WeightFormatInfo } from '../lower.js';
import type { Target } from '../target.js';
import { isNM, NM24, NM48, zeroFraction, type NMPattern, type NMSource } from '../../pack/nm.js';
import { NM_NR } from '../kernels/gemm-blocking.js';
import { chooseCSR, csrBeforeNM, pct, type CSRChoice } from './csr.js';

export interface FormatChoice extends WeightFormatInfo, Partial<Pick<CSRChoice, 'csr' | 'csrGemv'>> {
  /** the N:M pattern whose kernels to use (format '2:4' or '4:8'), or null for dense */
  nm: NMPattern | null;
  /** the N:M GEMV kernel, one call per activation row */
  gemv?: boolean;
}

/** rows x K weight (rows = outputs), `columns` activation columns per call; `blocker` is a reason
 *  the lowering cannot take the 2:4 path for this node (null when it can). */
export function chooseWeightFormat(target: Target, src: NMSource, rows: number, K: number, columns: number, blocker: string | null, gemvOk = false): FormatChoice {
  const sparsity = zeroFraction(src, rows, K);
  const dense = (reason: string): FormatChoice => ({ nm: null, format: 'dense', sparsity, reason });
  if (sparsity === 0) return dense('no zeros');
  if (csrBeforeNM(target, sparsity, columns, gemvOk)) return { nm: null, ...chooseCSR(target, sparsity, columns, blocker, gemvOk) };
  // 2:4 first: every 2:4 weight is also 4:8, and the 2:4 GEMV's x table is smaller
  const nm = isNM(src, rows, K, NM24) ? NM24 : isNM(src, rows, K, NM48) ? NM48 : null;
  if (!nm) return { nm: null, ...chooseCSR(target, sparsity, columns, blocker, gemvOk) };
  const name = `${nm.n}:${nm.m}`;
  if (!target.features.simd) return dense(`${name} along K, but target ${target.name} has no SIMD: the N:M kernels are built for simd128`);
  if (blocker) return dense(`${name} along K, but ${blocker}`);
  if (columns < NM_NR && gemvOk) {
    return { nm, gemv: true, format: name, sparsity, reason: `${name} along K with ${columns} activation row(s): the ${name} GEMV kernel, one call per row` };
  }
  if (columns < NM_NR) return dense(`${name} along K, but only ${columns} activation column(s) per call: the 2x16 tile would run mostly empty`);
  return { nm, format: name, sparsity, reason: `${name} along K with ${columns} activation columns: the ${name} kernel does half the multiply-adds (1.4-1.6x dense in bench:kernels)` };
}
