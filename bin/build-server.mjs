#!/usr/bin/env node
// `npm run build:server` (and `npm start`'s prestart): the server's TypeScript transpiled to
// plain JavaScript under dist/, file for file and in the same layout, so `npm start` runs
// without tsx's loader at run time (issue 17: its per-module compile and keepNames wrappers
// cost CPU and memory on the hot path). No bundling: paths relative to import.meta.url (the
// sandbox realm's scripts, the sandbox process's entry, the canvas build) keep working.
import { build } from 'esbuild';
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, symlinkSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = path.join(root, 'dist');
const sourceDirs = ['api', 'engine', 'nodes', 'migrations'];

function sources(dir) {
  const found = [];
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...sources(relative));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) found.push(relative);
    else if (entry.name.endsWith('.js') || entry.name.endsWith('.json')) found.push(`asset:${relative}`);
  }
  return found;
}

// The workflow templates are data the server serves too (GET /api/v1/templates, api/templates).
const all = [...sourceDirs, 'canvas/templates'].flatMap((dir) => sources(dir));
all.push('canvas/src/pages/templates.ts');
// dist/canvas holds the compiled templates and a link to the canvas build. Older builds linked
// dist/canvas itself to ../canvas: remove that link first, or the build would write into canvas/.
const distCanvas = path.join(out, 'canvas');
if (existsSync(distCanvas) && lstatSync(distCanvas).isSymbolicLink()) unlinkSync(distCanvas);
const entryPoints = all.filter((file) => !file.startsWith('asset:')).map((file) => path.join(root, file));
// Files are overwritten in place, never deleted first: a server already running from dist/
// may still import a module lazily while another build runs.
await build({
  entryPoints,
  outdir: out,
  outbase: root,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  bundle: false,
  sourcemap: false,
  logLevel: 'warning',
});
// Plain JavaScript read at run time (engine/sandbox/realm/*.js) and JSON data go along as they are.
for (const file of all.filter((entry) => entry.startsWith('asset:'))) {
  const relative = file.slice('asset:'.length);
  mkdirSync(path.dirname(path.join(out, relative)), { recursive: true });
  cpSync(path.join(root, relative), path.join(out, relative));
}
// What the server finds relative to its own files: the canvas build, node_modules (embedded Postgres).
const links = [
  { at: path.join(out, 'node_modules'), to: path.join('..', 'node_modules') },
  { at: path.join(out, 'canvas', 'dist'), to: path.join('..', '..', 'canvas', 'dist') },
];
for (const { at, to } of links) {
  mkdirSync(path.dirname(at), { recursive: true });
  // lstat, not exists: a link whose target is not built yet is still the link we want.
  const present = (() => {
    try {
      lstatSync(at);
      return true;
    } catch {
      return false;
    }
  })();
  if (!present) symlinkSync(to, at);
}
