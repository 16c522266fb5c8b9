#!/usr/bin/env node
// Fetches real face photos for the BlazeFace measurements (compiler/bench/reprune.ts) into the
// cache, outside git:  ${SPARSEC_CACHE:-${XDG_CACHE_HOME:-~/.cache}/sparsec}/data/lfw_subset.npy
//
// Source: scikit-image's `lfw_subset.npy` (200 grayscale 25x25 crops from Labeled Faces in the
// Wild: 100 faces, then 100 non-face patches; BSD package, LFW photos are public news photos),
// inside Debian bookworm's python3-skimage 0.19.3-8 .deb, fetched with `apt-get download` (the
// Debian archive is the only network source) and checked against the pinned sha256 of the .deb
// and of the extracted file. Needs apt-get and dpkg-deb (Debian/Ubuntu).
//
//   node tools/fetch-faces.mjs          fetch if missing, print the path
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { extractFromTar, modelsDir } from './fetch-models.mjs';

export const FACES = {
  deb: 'python3-skimage=0.19.3-8',
  debSha256: '728d88c3e3440f1f3712de0805dc834d29248ff07e1eec8c0f3da07606f752f9',
  member: './usr/lib/python3/dist-packages/skimage/data/lfw_subset.npy',
  sha256: '9560ec2f5edfac01973f63a8a99d00053fecd11e21877e18038fbe500f8e872c',
};

const sha256 = (b) => createHash('sha256').update(b).digest('hex');

export function facesPath(env = process.env) {
  return join(dirname(modelsDir(env)), 'data', 'lfw_subset.npy');
}

export function ensureFaces(env = process.env) {
  const out = facesPath(env);
  if (existsSync(out) && sha256(readFileSync(out)) === FACES.sha256) return out;
  const dir = mkdtempSync(join(tmpdir(), 'sparsec-faces-'));
  try {
    const dl = spawnSync('apt-get', ['download', FACES.deb], { cwd: dir, encoding: 'utf8' });
    const deb = readdirSync(dir).find((f) => f.endsWith('.deb'));
    if (dl.status !== 0 || !deb) throw new Error(`apt-get download ${FACES.deb} failed: ${dl.stderr || dl.error}`);
    const debBytes = readFileSync(join(dir, deb));
    if (sha256(debBytes) !== FACES.debSha256) throw new Error(`${deb}: sha256 mismatch`);
    const tar = spawnSync('dpkg-deb', ['--fsys-tarfile', join(dir, deb)], { maxBuffer: 1 << 28 });
    if (tar.status !== 0) throw new Error(`dpkg-deb failed: ${tar.stderr}`);
    const file = extractFromTar(tar.stdout, new Set([FACES.member])).get(FACES.member);
    if (!file || sha256(file) !== FACES.sha256) throw new Error(`${FACES.member}: missing or sha256 mismatch`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(`${out}.tmp`, file);
    renameSync(`${out}.tmp`, out);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  try { console.log(ensureFaces()); } catch (e) { console.error(`fetch-faces: ${e.message}`); process.exit(1); }
}
