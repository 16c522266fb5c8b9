// Option parsing the commands share: a bad value is one clear line naming the option.
import { SparsecError } from '../errors.js';

export function positiveInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new SparsecError('E_OPTION', `${name} must be a positive integer, got '${v}'`);
  return n;
}

/** --flops-reduction and the like: a fraction in (0, 1), written 0.3 or 30% */
export function reductionFraction(name: string, v: string): number {
  const t = v.trim(), pct = t.endsWith('%');
  const n = Number(pct ? t.slice(0, -1) : t) / (pct ? 100 : 1);
  if (t === '' || t === '%' || !Number.isFinite(n) || n <= 0 || n >= 1) throw new SparsecError('E_OPTION', `${name} must be in (0, 1) or a percentage, got '${v}'`);
  return n;
}
