// Emit the model-specific AssemblyScript module: one `run()` that calls kernels with constant
// shapes and addresses, in schedule order. Linear memory, from low to high addresses:
//   [ARENA: activations, inputs, outputs][SCRATCH: per-node temporaries][WEIGHTS][AS static data]
// WEIGHTS is last so weights.bin is one contiguous copy at load time.
import type { Graph, Node, Tensor } from '../ir/graph.js';
import { consumers } from '../ir/graph.js';
import { SparsecError } from '../errors.js';
import type { LowerCtx, OpLowering, TensorRef, WeightFormatInfo } from './lower.js';
import { ALIAS_OPS, planMemory, runtimeDType } from './plan.js';
import type { Target } from './target.js';

export interface LayerRecord { node: string; op: string; kernels: string[]; weightBytes: number; outputShape: number[]; format?: string; sparsity?: number; reason?: string }

export interface EmitResult {
  source: string;
  weights: Uint8Array;
  layout: { arena: number; arenaBytes: number; scratch: number; scratchBytes: number; weights: number; weightsBytes: number; end: number };
  /** arena address of each graph input and output */
  io: Map<string, number>;
  layers: LayerRecord[];
  unsharedArenaBytes: number;
}

const ALIGN = 64;
const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;
const ARENA_START = 1024; // keep address 0 and a little room free

/** The lowering that handles each node, and every node none can handle, with the reason. */
export function findUnlowerable(g: Graph, lowerings: Map<string, OpLowering>): { node: Node; reason: string }[] {
  const bad: { node: Node; reason: string }[] = [];
  const users = consumers(g);
  for (const n of g.nodes) {
    if (n.op === 'Dropout') {
      const training = n.inputs[2] ? (g.values.get(n.inputs[2])?.data?.[0] ?? 1) : 0;
      const maskUsed = !!n.outputs[1] && (users.has(n.outputs[1]) || g.outputs.includes(n.outputs[1]));
      if (training || maskUsed) bad.push({ node: n, reason: 'Dropout in training mode or with its mask output (sparsec compiles inference only)' });
      continue;
    }
    if (ALIAS_OPS.has(n.op)) continue;
    const l = lowerings.get(n.op);
    const reason = !l ? 'operator not supported' : l.unsupported?.(n, g) ?? null;
    if (reason) bad.push({ node: n, reason });
  }
  return bad;
}

/** With `profile`, the module imports env.tick(layer) and calls it after each layer, so a
 *  host can time layers (runtime LoadOptions.onLayer). */
export function emitModule(g: Graph, target: Target, lowerings: Map<string, OpLowering>, header: string, profile = false): EmitResult {
  const plan = planMemory(g);
  const chunks: Uint8Array[] = [];
  let weightsBytes = 0;
  const placedConst = new Map<string, string>();
  let scratchBytes = 0;
  const addWeight = (data: Float32Array | Int32Array | Uint8Array): string => {
    const at = weightsBytes;
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    chunks.push(bytes);
    const padded = align(bytes.length);
    if (padded > bytes.length) chunks.push(new Uint8Array(padded - bytes.length));
    weightsBytes += padded;
    return `(WEIGHTS + ${at})`;
  };
  const constAsRuntime = (t: Tensor): Float32Array | Int32Array | Uint8Array => {
    const rt = runtimeDType(t.dtype);
    if (rt === 'float32') return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>);
    if (rt === 'uint8') return t.data instanceof Uint8Array ? t.data : Uint8Array.from(t.data as ArrayLike<number>);
    return Int32Array.from(t.data as ArrayLike<number | bigint>, Number);
  };
  const body: string[] = [];
  const layers: LayerRecord[] = [];
  for (const node of g.nodes) {
    if (ALIAS_OPS.has(node.op)) continue;
    const lowering = lowerings.get(node.op)!;
    let nodeScratch = 0;
    const kernels: string[] = [];
    let wf: WeightFormatInfo | undefined;
    const before = weightsBytes;
    const ref = (name: string): TensorRef | null => {
      if (name === '') return null;
      const v = g.values.get(name)!;
      const shape = v.shape!;
      if (v.data !== undefined) {
        let ptr = placedConst.get(name);
        if (!ptr) placedConst.set(name, (ptr = addWeight(constAsRuntime({ dtype: v.dtype, shape, data: v.data }))));
        return { name, shape, dtype: runtimeDType(v.dtype), ptr };
      }
      return { name, shape, dtype: runtimeDType(v.dtype), ptr: `(ARENA + ${plan.offsets.get(name)})` };
    };
    const ctx: LowerCtx = {
      graph: g, node, target,
      input: (i) => ref(node.inputs[i] ?? ''),
      output: (i) => ref(node.outputs[i])!,
      constant: (i) => {
        const v = node.inputs[i] ? g.values.get(node.inputs[i]) : undefined;
        return v?.data !== undefined ? { dtype: v.dtype, shape: v.shape!, data: v.data } : null;
      },
      weight: (data) => addWeight(data),
      scratch: (bytes) => {
        const at = nodeScratch;
        nodeScratch += align(bytes);
        scratchBytes = Math.max(scratchBytes, nodeScratch);
        return `(SCRATCH + ${at})`;
      },
      useKernel: (id) => { if (!kernels.includes(id)) kernels.push(id); },
      weightFormat: (info) => { wf = info; },
    };
    let code: string;
    try {
      code = lowering.lower(ctx);
    } catch (e) {
      if (e instanceof SparsecError) throw new SparsecError(e.code, e.message, { file: g.source, node: node.name, op: node.op });
      throw e;
    }
    body.push(`  // ${node.name} (${node.op})`, ...code.split('\n').filter((l) => l.trim()).map((l) => `  ${l.trim()}`));
    if (profile) body.push(`  tick(${layers.length});`);
    layers.push({ node: node.name, op: node.op, kernels, weightBytes: weightsBytes - before, outputShape: g.values.get(node.outputs[0])?.shape ?? [], ...wf });
  }
  // graph outputs that are constants or inputs still need a place the runtime can read
  const io = new Map<string, number>();
  for (const name of [...g.inputs, ...g.outputs]) {
    const off = plan.offsets.get(name);
    if (off === undefined) throw new SparsecError('E_UNSUPPORTED', `graph output '${name}' is a constant; sparsec needs outputs computed at run time`, { file: g.source });
    io.set(name, ARENA_START + off);
  }
  const arena = ARENA_START, scratch = align(arena + plan.arenaBytes), weights = align(scratch + scratchBytes);
  const end = align(weights + weightsBytes);
  const source = [
    header,
    `import * as k from './index';`,
    ...(profile ? ['', '@external("env", "tick") declare function tick(layer: i32): void;'] : []),
    '',
    `const ARENA: usize = ${arena};`,
    `const SCRATCH: usize = ${scratch};`,
    `const WEIGHTS: usize = ${weights};`,
    '',
    'export function run(): void {',
    ...body,
    '}',
    '',
  ].join('\n');
  const blob = new Uint8Array(weightsBytes);
  let at = 0;
  for (const c of chunks) { blob.set(c, at); at += c.length; }
  return {
    source, weights: blob, io, layers, unsharedArenaBytes: plan.unsharedBytes,
    layout: { arena, arenaBytes: plan.arenaBytes, scratch, scratchBytes, weights, weightsBytes, end },
  };
}
