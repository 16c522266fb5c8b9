// The contract between the emitter and the per-op lowerings in ./ops/.
//
// A lowering turns one IR node with static shapes into AssemblyScript statements that call
// kernels from assembly/ (imported in the emitted module as `k`, e.g. `k.gemm_f32(...)`).
// Addresses are AssemblyScript expressions over three constants the emitter defines once
// the whole plan is known: ARENA (activations), SCRATCH (per-node temporary space, reused by
// every node) and WEIGHTS (the weights region, filled from weights.bin at load time).
import type { Graph, Node, Tensor } from '../ir/graph.js';
import type { Target } from './target.js';

/** Element types that exist at run time. int64 is narrowed to int32, bool is stored as uint8. */
export type RuntimeDType = 'float32' | 'int32' | 'uint8';

export interface TensorRef {
  name: string;
  shape: number[];
  dtype: RuntimeDType;
  /** an AssemblyScript expression for the tensor's address, e.g. `(ARENA + 4096)` */
  ptr: string;
}

export interface LowerCtx {
  readonly graph: Graph;
  readonly node: Node;
  readonly target: Target;
  /** the node's i-th input (null when omitted). Constants are placed in the weights region as
   *  they are (float32, or int32 for integer data) the first time a lowering asks for them. */
  input(i: number): TensorRef | null;
  output(i: number): TensorRef;
  /** the i-th input's data if it is a constant, for lowerings that pack or read weights */
  constant(i: number): Tensor | null;
  /** append packed data to the weights region; returns its address expression (64-byte aligned) */
  weight(data: Float32Array | Int32Array | Uint8Array, label: string): string;
  /** reserve scratch space for this node only; returns its address expression (64-byte aligned) */
  scratch(bytes: number, label: string): string;
  /** a kernel the node uses, recorded in the manifest (registry id) */
  useKernel(id: string): void;
  /** the weight format chosen for a layer with weights, its sparsity and why (manifest `layers`) */
  weightFormat?(info: WeightFormatInfo): void;
}

export interface WeightFormatInfo {
  /** 'dense' or an N:M format such as '2:4' */
  format: string;
  /** fraction of zeros in the weight */
  sparsity: number;
  /** why this format (and not another) was chosen */
  reason: string;
}

/** A fused activation applied in a kernel's epilogue. Codes shared with assembly/activation.ts.
 *  The fusion pass records it on the producer node as attrs `act` (this code), `act_alpha` and
 *  `act_beta` (Clip min/max, HardSigmoid alpha/beta, LeakyRelu alpha). */
export const enum Act { None = 0, Relu = 1, Clip = 2, HardSigmoid = 3, HardSwish = 4, Sigmoid = 5, Gelu = 6, Swish = 7, LeakyRelu = 8, Tanh = 9 }

export interface OpLowering {
  /** ONNX op types (or internal ones) this lowering handles */
  ops: string[];
  /** why a node cannot be lowered (an attribute value or a dtype it lacks), or null when it can */
  unsupported?(node: Node, graph: Graph): string | null;
  /** AssemblyScript statements for the node */
  lower(ctx: LowerCtx): string;
}
