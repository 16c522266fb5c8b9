// The static memory plan: every run-time tensor gets a fixed offset in one arena.
// Reshape-like ops alias their input's storage (no copy). Tensors whose lifetimes do not
// overlap share bytes; placement is greedy, largest first, with a stable tie-break.
import type { DType, Graph } from '../ir/graph.js';
import { numel } from '../ir/graph.js';
import type { RuntimeDType } from './lower.js';

/** Ops whose output is the input's bytes under another shape. */
export const ALIAS_OPS = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout']);

export const runtimeDType = (d: DType): RuntimeDType =>
  d === 'float32' || d === 'float64' || d === 'float16' ? 'float32' : d === 'bool' || d === 'uint8' ? 'uint8' : 'int32';
const elemBytes = (d: RuntimeDType) => (d === 'uint8' ? 1 : 4);

export interface MemoryPlan {
  /** byte offset of each run-time value inside the arena */
  offsets: Map<string, number>;
  arenaBytes: number;
  /** the sum of all tensors' sizes: what the arena would be without reuse */
  unsharedBytes: number;
}

const ALIGN = 64;
const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

export function planMemory(g: Graph): MemoryPlan {
  // storage root of each value (aliases point at what they view)
  const root = new Map<string, string>();
  const find = (v: string): string => { const r = root.get(v); return r === undefined || r === v ? v : find(r); };
  for (const n of g.nodes) {
    if (ALIAS_OPS.has(n.op) && g.values.get(n.inputs[0])?.data === undefined && !g.inputs.includes(n.outputs[0])) root.set(n.outputs[0], find(n.inputs[0]));
  }
  const first = new Map<string, number>(), last = new Map<string, number>();
  const touch = (v: string, t: number) => {
    const r = find(v);
    if (!first.has(r) || first.get(r)! > t) first.set(r, t);
    if (!last.has(r) || last.get(r)! < t) last.set(r, t);
  };
  for (const x of g.inputs) touch(x, -1);
  g.nodes.forEach((n, t) => {
    for (const x of n.inputs) if (x !== '' && g.values.get(x)?.data === undefined) touch(x, t);
    for (const o of n.outputs) if (o !== '') touch(o, t);
  });
  for (const o of g.outputs) if (g.values.get(o)?.data === undefined) touch(o, g.nodes.length);
  // the bytes each root needs: the largest view of it
  const size = new Map<string, number>();
  for (const v of g.values.values()) {
    if (v.data !== undefined || !v.shape || !first.has(find(v.name))) continue;
    const r = find(v.name);
    size.set(r, Math.max(size.get(r) ?? 0, align(numel(v.shape) * elemBytes(runtimeDType(v.dtype)))));
  }
  const roots = [...size.keys()].sort((a, b) => size.get(b)! - size.get(a)! || first.get(a)! - first.get(b)! || (a < b ? -1 : 1));
  const placed: { start: number; end: number; from: number; to: number }[] = [];
  const rootOffset = new Map<string, number>();
  let arenaBytes = 0, unsharedBytes = 0;
  for (const r of roots) {
    const bytes = size.get(r)!, from = first.get(r)!, to = last.get(r)!;
    unsharedBytes += bytes;
    const busy = placed.filter((p) => p.from <= to && from <= p.to).sort((a, b) => a.start - b.start);
    let at = 0;
    for (const p of busy) {
      if (at + bytes <= p.start) break;
      at = Math.max(at, p.end);
    }
    placed.push({ start: at, end: at + bytes, from, to });
    rootOffset.set(r, at);
    arenaBytes = Math.max(arenaBytes, at + bytes);
  }
  const offsets = new Map<string, number>();
  for (const v of g.values.values()) {
    const r = find(v.name);
    if (rootOffset.has(r)) offsets.set(v.name, rootOffset.get(r)!);
  }
  return { offsets, arenaBytes, unsharedBytes };
}
