// `sparsec inspect --channels`: the channel coupling groups of a model (compiler/prune/groups.ts),
// one row each: what structured pruning could remove together, and why the rest must stay.
import { readOnnxFile } from '../onnx/read.js';
import { findChannelGroups, prepareForChannels } from '../prune/groups.js';

export interface ChannelGroupRow {
  id: string;
  channels: number;
  prunable: boolean;
  /** kept channels must be spread evenly over this many blocks (grouped convs) */
  blocks: number;
  producers: string[];
  consumers: string[];
  batchNorms: number;
  reasons: string[];
}

export function channelGroupRows(file: string, inputShapes: Record<string, number[]>): ChannelGroupRow[] {
  const g = prepareForChannels(readOnnxFile(file), inputShapes);
  const names = (l: { node: string }[]) => [...new Set(l.map((x) => x.node))];
  return findChannelGroups(g).map((grp) => ({
    id: grp.id, channels: grp.size, prunable: grp.prunable, blocks: grp.blocks,
    producers: names(grp.producers), consumers: names(grp.consumers), batchNorms: grp.norms.length, reasons: grp.reasons,
  }));
}

export function formatChannelGroups(rows: readonly ChannelGroupRow[]): string[] {
  const prunable = rows.filter((r) => r.prunable);
  const out = [`channel groups: ${rows.length}, prunable ${prunable.length} (${prunable.reduce((s, r) => s + r.channels, 0)} of ${rows.reduce((s, r) => s + r.channels, 0)} channels)`];
  out.push('group'.padEnd(40) + 'channels'.padStart(9) + 'producers'.padStart(10) + 'consumers'.padStart(10) + 'BN'.padStart(4) + '  prunable');
  for (const r of rows) {
    const why = r.prunable ? `yes${r.blocks > 1 ? ` (${r.blocks} equal blocks)` : ''}` : `no: ${r.reasons.join('; ')}`;
    out.push(r.id.slice(-39).padEnd(40) + String(r.channels).padStart(9) + String(r.producers.length).padStart(10) + String(r.consumers.length).padStart(10) + String(r.batchNorms).padStart(4) + `  ${why}`);
  }
  return out;
}
