// The cache blocking of assembly/gemm.ts and assembly/conv.ts, mirrored for the lowerings that
// reserve scratch for them. The kernels export the same numbers as wasm globals (GEMM_KC, ...)
// and test/kernels/gemm.test.ts checks that both sides agree.
import { DENSE_MR, DENSE_NR } from '../../pack/dense.js';

export const GEMM_MR = DENSE_MR;
export const GEMM_NR = DENSE_NR;
export const GEMM_KC = 256;
export const GEMM_MC = 128;
export const GEMM_NC = 512;
/** staging tile for edge tiles at the start of every GEMM scratch area */
export const GEMM_TMP_BYTES = 256;
/** input positions per GEMM + col2im step of conv_transpose2d_f32 */
export const CONVT_NC = 256;

const align64 = (n: number) => Math.ceil(n / 64) * 64;
const ceilTo = (n: number, m: number) => Math.ceil(n / m) * m;

/** bytes of one run-time packed A block ([MC rows][KC]) */
export function packedBlockBytesA(M: number, K: number): number {
  return align64(Math.min(ceilTo(M, GEMM_MR), GEMM_MC) * Math.min(K, GEMM_KC) * 4);
}

/** bytes of one run-time packed B block ([KC][NC columns]) */
export function packedBlockBytesB(N: number, K: number): number {
  return align64(Math.min(ceilTo(N, GEMM_NR), GEMM_NC) * Math.min(K, GEMM_KC) * 4);
}

/** scratch for gemm_f32 (both operands packed at run time), gemm_f32_pb (B prepacked) or
 *  gemm_f32_pa (A prepacked) */
export function gemmScratchBytes(kind: 'gemm' | 'pb' | 'pa', M: number, N: number, K: number): number {
  const a = kind === 'pa' ? 0 : packedBlockBytesA(M, K);
  const b = kind === 'pb' ? 0 : packedBlockBytesB(N, K);
  return GEMM_TMP_BYTES + a + b;
}

/** scratch for conv2d_f32 (P = Ho*Wo, K = Cin_g*kh*kw): one packed B block and one block of
 *  im2col rows (row stride padded by 16 floats) */
export function convScratchBytes(P: number, K: number): number {
  return GEMM_TMP_BYTES + packedBlockBytesB(P, K) + align64(Math.min(K, GEMM_KC) * (Math.min(P, GEMM_NC) + 16) * 4);
}

/** scratch for conv_transpose2d_f32: the GEMM's block plus Mg x chunk columns
 *  (P = H*W input positions, Cg = Cin/G, Mg = Cout/G*kh*kw) */
export function convTransposeScratchBytes(P: number, Cg: number, Mg: number): number {
  const chunk = Math.min(P, CONVT_NC);
  return GEMM_TMP_BYTES + packedBlockBytesB(chunk, Cg) + align64(Mg * chunk * 4);
}

/** scratch for dwconv2d_f32: one zero-padded input plane (mirrors dwPlaneWidth in assembly/conv.ts) */
export function dwconvScratchBytes(Ho: number, Wo: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number): number {
  const rows = (Ho - 1) * sh + (kh - 1) * dh + 1;
  const width = (Math.ceil(Wo / 4) * 4 - 1) * sw + (kw - 1) * dw + sw;
  return align64(rows * width * 4);
}

// The blocking of the N:M kernels (assembly/gemm_nm.ts): 2x16 tiles, B packed in 16-column panels.
export const NM_MR = 2;
export const NM_NR = 16;
export const NM_KC = 256;
export const NM_MC = 128;
export const NM_NC = 512;

/** scratch for gemm_nm24_f32: staging tile and one packed B block (16-wide panels, each NM_KC
 *  rows of 64 bytes whatever K: NM_PS in assembly/gemm_nm.ts) */
export function nmScratchBytes(N: number, K: number): number {
  return GEMM_TMP_BYTES + (Math.min(ceilTo(N, NM_NR), NM_NC) / NM_NR) * NM_KC * 64;
}

/** scratch for conv2d_nm24_f32 (P = Ho*Wo, K = Cin_g*kh*kw): the GEMM's plus a block of im2col rows */
export function convNMScratchBytes(P: number, K: number): number {
  return nmScratchBytes(P, K) + align64(Math.min(K, NM_KC) * (Math.min(P, NM_NC) + 16) * 4);
}

/** scratch for gemv_nm24_f32 (m = 4) or gemv_nm48_f32 (m = 8) with K block KB: the
 *  zero-padded block of x and its x table (36 or 70 vectors per 8 k) */
export function gemvNMScratchBytes(KB: number, m = 4): number {
  return align64(KB * 4) + align64((KB / 8) * (m === 8 ? 1120 : 576));
}

// The blocking of the unstructured sparse kernels (assembly/gemm_csr.ts): the 2:4 kernels'
// (B packed by the same nm_pack_gemm_b / nm_pack_panels into 16-column panels per KC x NC block), so the same
// scratch. The csr layout's K block (compiler/pack/csr.ts CSR_KC) is this KC.
export const CSR_MC = NM_MC;
export const CSR_NC = NM_NC;
/** scratch for gemm_csr_f32: staging row and one packed B block */
export const csrScratchBytes = nmScratchBytes;
/** scratch for conv2d_csr_f32: the GEMM's plus a block of im2col rows */
export const convCSRScratchBytes = convNMScratchBytes;
