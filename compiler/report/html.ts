// HTML text helpers for the report: every string that came from a file goes through esc().

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for element content and quoted attribute values alike. */
export const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => ENTITIES[c]);

/** A number for people: up to `digits` decimals, no trailing zeros, thousands separated. */
export function num(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v !== 0 && Math.abs(v) < 10 ** -digits) return v.toExponential(1);
  return v.toLocaleString('en-US', { maximumFractionDigits: digits });
}

export const bytes = (n: number): string => n >= 2 ** 20 ? `${num(n / 2 ** 20, 2)} MiB` : n >= 1024 ? `${num(n / 1024, 1)} KiB` : `${n} B`;

/** A table; cells are already-escaped HTML. */
export function table(head: string[], rows: string[][], cls = ''): string {
  return `<table${cls ? ` class="${esc(cls)}"` : ''}><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead>`
    + `<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n')}</tbody></table>`;
}
