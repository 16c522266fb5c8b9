// Small helpers the non-GEMM lowerings share: AssemblyScript literals for kernel arguments and
// reading operands that are attributes in old opsets and constant inputs in new ones.
import type { Graph, Node, Tensor } from '../../ir/graph.js';
import { constNumbers, numel } from '../../ir/graph.js';
import type { LowerCtx, TensorRef } from '../lower.js';
import { opKernelId } from '../kernels/registry-ops.js';

/** An f32 argument as an AssemblyScript expression that denotes exactly Math.fround(x). */
export function f32Lit(x: number): string {
  if (Number.isNaN(x)) return '<f32>NaN';
  if (x === Infinity) return '<f32>Infinity';
  if (x === -Infinity) return '<f32>(-Infinity)';
  const f = Math.fround(x);
  if (!Number.isFinite(f)) return f > 0 ? '<f32>Infinity' : '<f32>(-Infinity)';
  return `<f32>(${Object.is(f, -0) ? '-0.0' : String(f)})`;
}

/** Tensor data as plain numbers (int64 included). */
export function tensorNumbers(t: Tensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

/** The numbers of constant input i, or null when it is omitted or computed at run time. */
export function constInput(ctx: LowerCtx, i: number): number[] | null {
  const t = ctx.constant(i);
  return t ? tensorNumbers(t) : null;
}

/** Constant input i of a node as numbers, or null when it is absent. Throws if not constant. */
export function nodeConst(node: Node, g: Graph, i: number): number[] | null {
  const name = node.inputs[i] ?? '';
  if (name === '') return null;
  return constNumbers(g, name);
}

/** elements of a shape (the IR's numel) */
export const elems = numel;

export function bytesOf(t: TensorRef): number {
  return elems(t.shape) * (t.dtype === 'uint8' ? 1 : 4);
}

/** A kernel call statement; the lowering also records the kernel for the manifest. */
export function call(ctx: LowerCtx, kernel: string, args: (string | number)[]): string {
  ctx.useKernel(opKernelId(kernel, ctx.target));
  return `k.${kernel}(${args.join(', ')});`;
}
