// Every op lowering, by op type. A lowering module lists the ops it handles.
import type { OpLowering } from '../lower.js';

const all: OpLowering[] = [];

export const lowerings = new Map<string, OpLowering>();
for (const l of all) for (const op of l.ops) lowerings.set(op, l);
