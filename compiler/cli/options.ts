// Option parsing the commands share: a bad value is one clear line naming the option.
import { SparsecError } from '../errors.js';

export function positiveInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new SparsecError('E_OPTION', `${name} must be a positive integer, got '${v}'`);
  return n;
}
