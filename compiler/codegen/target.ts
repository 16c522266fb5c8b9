// Target descriptors (targets/*.json): the WASM features a build may use and its budgets.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SparsecError } from '../errors.js';
import { packageRoot } from '../paths.js';

export interface Target {
  name: string;
  description: string;
  features: { simd: boolean; relaxedSimd: boolean; threads: boolean; bulkMemory: boolean };
  /** maximum linear memory in bytes the build may need */
  memoryLimit: number;
  /** code-size budget for model.wasm in bytes (a warning when exceeded) */
  codeSizeBudget: number;
  /** node flags an engine needs to run this target (informational) */
  engineFlags?: string[];
}

export function targetNames(): string[] {
  return readdirSync(join(packageRoot, 'targets')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

export function loadTarget(name: string): Target {
  const names = targetNames();
  if (!names.includes(name)) throw new SparsecError('E_OPTION', `unknown target '${name}'; known targets: ${names.join(', ')}`);
  return { name, ...JSON.parse(readFileSync(join(packageRoot, 'targets', `${name}.json`), 'utf8')) } as Target;
}
