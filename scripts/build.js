#!/usr/bin/env node
// The build (`npm run build`; `npm install` and `npm ci` run it as the
// `prepare` script): tsc compiles the sources to dist/, JavaScript with .d.ts
// declarations (tsconfig.build.json), incrementally. Once tsc succeeds it
// writes dist/build-stamp.json, which tells bin/devrr.js the build is there
// and as new as the sources (bin/compiled.js); a failed build leaves no
// stamp, and devrr runs the TypeScript sources through tsx instead.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { DIST, ROOT, sourceFiles, STAMP } from '../bin/compiled.js';

// The stamp's mtime is when the build started: a source saved while tsc
// runs is newer than the stamp, so the build counts as stale at once.
const started = new Date();
const sources = sourceFiles();
rmSync(STAMP, { force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', fileURLToPath(new URL('tsconfig.build.json', ROOT))], { cwd: fileURLToPath(ROOT), stdio: 'inherit' });
if (r.status !== 0) {
  process.stderr.write('devrr build: tsc failed (above); until a build succeeds, bin/devrr.js runs the TypeScript sources through tsx\n');
  process.exit(r.status ?? 1);
}

// tsc's incremental build does not remove what it emitted for a source that
// was since deleted or renamed: remove it, so that dist/ holds only the build
// of the sources that exist.
const compiled = new Set(sources.map((f) => f.replace(/\.tsx?$/, '')));
(function prune(dir, rel) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) prune(new URL(`${e.name}/`, dir), `${rel}${e.name}/`);
    else {
      const m = /^(.*?)(\.d\.ts\.map|\.d\.ts|\.js)$/.exec(`${rel}${e.name}`);
      if (m && !compiled.has(m[1])) unlinkSync(new URL(e.name, dir));
    }
  }
})(DIST, '');

// The command line, bundled: esbuild joins the compiled modules that the CLI
// and its worker threads load into a few files in dist/ (dist/cli-*.js,
// shared code in dist/cli-chunk-*.js, each command's own code in a chunk
// loaded when that command runs). Node resolves and compiles about 150
// modules one by one, which was half of `devrr info`'s start-up; the bundle
// is a handful. They sit in dist/ itself, as deep as dist/package-root.js,
// so the package root is found the same way (package-root.ts). Packages
// (msgpackr, ink, react, ...) stay in node_modules. Without esbuild the CLI
// runs dist/bin/main.js, unbundled.
let esbuild;
try {
  esbuild = createRequire(import.meta.url)('esbuild');
} catch {
  process.stderr.write('devrr build: esbuild is not installed: the CLI runs the unbundled build (slower to start)\n');
}
if (esbuild) {
  const dist = fileURLToPath(DIST);
  await esbuild.build({
    entryPoints: { 'cli-main': `${dist}bin/main.js`, 'cli-cli': `${dist}bin/cli.js`, 'cli-corpus-worker': `${dist}bin/corpus-worker.js`, 'cli-tui-worker': `${dist}tui/jobs/worker.js` },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    outdir: dist,
    chunkNames: 'cli-chunk-[hash]',
    logLevel: 'warning',
  });
}

writeFileSync(STAMP, `${JSON.stringify({ sources }, null, 1)}\n`);
utimesSync(STAMP, started, started);
