// A progress bar on stderr through cli-progress, shown only when stderr is a terminal and the
// user did not ask for --quiet (logs and bars never mix with stdout data or pipes).
import { createRequire } from 'node:module';

interface Bar { start(total: number, value: number, payload?: object): void; update(value: number, payload?: object): void; setTotal(total: number): void; stop(): void }
interface CliProgress { SingleBar: new (opts: object, preset: object) => Bar; Presets: { shades_classic: object } }

export interface Progress { /** `note` says which step, when one bar spans several */ update(done: number, total: number, note?: string): void; stop(): void }

export function progress(label: string, quiet: boolean | undefined): Progress {
  if (quiet || !process.stderr.isTTY) return { update() {}, stop() {} };
  const cp = createRequire(import.meta.url)('cli-progress') as CliProgress;
  const bar = new cp.SingleBar({ format: `${label} [{bar}] {value}/{total} {note}`, stream: process.stderr, clearOnComplete: true, hideCursor: true }, cp.Presets.shades_classic);
  let started = false;
  return {
    update(done, total, note = '') {
      if (!started) { bar.start(total, 0, { note }); started = true; }
      bar.setTotal(total);
      bar.update(done, { note });
    },
    stop() { if (started) bar.stop(); },
  };
}
