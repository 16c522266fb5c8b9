// A static file server for the web example, on node:http only. It sends no COOP/COEP headers on
// purpose: a sparsec build needs no cross-origin isolation (no SharedArrayBuffer, no threads).
//   node examples/web/serve.mjs [--port 8080]       then open http://localhost:8080/examples/web/
// `mounts` maps URL prefixes to folders; paths that leave their folder are refused.
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm', '.png': 'image/png',
  '.svg': 'image/svg+xml', '.txt': 'text/plain; charset=utf-8',
};

/** Finds the file for a URL path: the longest matching mount, then the path inside its folder. */
function locate(mounts, urlPath) {
  const prefix = Object.keys(mounts).filter((p) => urlPath.startsWith(p)).sort((a, b) => b.length - a.length)[0];
  if (prefix === undefined) return null;
  const root = resolve(mounts[prefix]);
  let file = resolve(root, '.' + sep + decodeURIComponent(urlPath.slice(prefix.length)));
  if (file !== root && !file.startsWith(root + sep)) return null;
  try { if (statSync(file).isDirectory()) file = join(file, 'index.html'); return statSync(file).isFile() ? file : null; } catch { return null; }
}

/** Starts serving; resolves to { url, close } once listening (port 0 = any free port). */
export function serve(mounts, port = 0) {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const file = req.method === 'GET' || req.method === 'HEAD' ? locate(mounts, path) : null;
    if (!file) { res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n'); return; }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    if (req.method === 'HEAD') res.end(); else createReadStream(file).pipe(res);
  });
  return new Promise((ok) => server.listen(port, '127.0.0.1', () => {
    ok({ url: `http://localhost:${server.address().port}`, close: () => new Promise((done) => server.close(done)) });
  }));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--port');
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const { url } = await serve({ '/': root }, i > 0 ? Number(process.argv[i + 1]) : 8080);
  console.log(`serving ${root} at ${url}/examples/web/ (builds expected in out/web/cnn and out/web/gpt)`);
}
