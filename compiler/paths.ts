// Where the package's own files live, from compiled (dist/compiler) or source (compiler) code.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'assembly'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('internal: cannot find the sparsec package root');
    dir = up;
  }
  return dir;
}

export const packageRoot = findRoot(dirname(fileURLToPath(import.meta.url)));
