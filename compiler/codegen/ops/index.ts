// Every op lowering, by op type. A lowering module lists the ops it handles.
import type { OpLowering } from '../lower.js';
import { attentionLowering } from './attention.js';
import { convLowering } from './conv.js';
import { convTransposeLowering } from './convtranspose.js';
import { dynamicChannelsLowering } from './dynamicChannels.js';
import { elementwiseLowerings } from './elementwise.js';
import { matmulLowering } from './matmul.js';
import { normalizeLowerings } from './normalize.js';
import { layoutLowerings } from './layout.js';
import { poolLowerings } from './pool.js';
import { reduceLowerings } from './reduce.js';
import { resizeLowerings } from './resize.js';

const all: OpLowering[] = [convLowering, convTransposeLowering, matmulLowering, ...elementwiseLowerings, ...normalizeLowerings, ...reduceLowerings,
  ...layoutLowerings, ...poolLowerings, ...resizeLowerings, dynamicChannelsLowering, attentionLowering];

export const lowerings = new Map<string, OpLowering>();
for (const l of all) for (const op of l.ops) lowerings.set(op, l);
