// A progress bar on stderr through cli-progress, shown only when stderr is a terminal and the
// user did not ask for --quiet (logs and bars never mix with stdout data or pipes).
import { createRequire } from 'node:module';

interface Bar { start(total: number, value: number): void; update(value: number): void; setTotal(total: number): void; stop(): void }
interface CliProgress { SingleBar: new (opts: object, preset: object) => Bar; Presets: { shades_classic: object } }

export interface Progress { update(done: number, total: number): void; stop(): void }

export function progress(label: string, quiet: boolean | undefined): Progress {
  if (quiet || !process.stderr.isTTY) return { update() {}, stop() {} };
  const cp = createRequire(import.meta.url)('cli-progress') as CliProgress;
  const bar = new cp.SingleBar({ format: `${label} [{bar}] {value}/{total}`, stream: process.stderr, clearOnComplete: true, hideCursor: true }, cp.Presets.shades_classic);
  let started = false;
  return {
    update(done, total) {
      if (!started) { bar.start(total, 0); started = true; }
      bar.setTotal(total);
      bar.update(done);
    },
    stop() { if (started) bar.stop(); },
  };
}
