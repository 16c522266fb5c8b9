// The canonicalization stage: fixed shapes and folded constants first, then rewrites that
// need them. Returns the ops no shape rule knows, for the all-at-once unsupported report.
import type { Graph, Node } from '../graph.js';
import { recognizeActivations } from '../patterns/activations.js';
import { recognizeLayerNorm } from '../patterns/layerNorm.js';
import { recognizeDynamicChannels } from '../patterns/dynamicChannels.js';
import { recognizeCausalAttention } from '../patterns/causalAttention.js';
import { removeDeadCode } from './deadCode.js';
import { foldBatchNorm } from './foldBatchNorm.js';
import { foldPadIntoConv } from './foldPadIntoConv.js';
import { fuseActivations } from './fuseActivations.js';
import { fuseLinearBias } from './fuseLinearBias.js';
import { propagate } from './propagate.js';

export interface CanonicalizeOptions { fuse?: boolean }

export function canonicalize(g: Graph, opts: CanonicalizeOptions = {}): { unknownOps: Node[] } {
  const { unknownOps } = propagate(g);
  removeDeadCode(g);
  if (unknownOps.length) return { unknownOps };
  foldBatchNorm(g);
  foldPadIntoConv(g);
  recognizeActivations(g);
  recognizeLayerNorm(g);
  recognizeDynamicChannels(g);
  recognizeCausalAttention(g);
  if (opts.fuse !== false) {
    fuseLinearBias(g);
    fuseActivations(g);
  }
  removeDeadCode(g);
  return { unknownOps };
}
