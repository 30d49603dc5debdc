// Which code bin/devrr.js runs: the compiled JavaScript in dist/ (built by
// scripts/build.js, which `npm install` runs as the `prepare` script), or,
// when that build is missing or older than the sources, the TypeScript
// sources themselves through tsx. A developer who edits a .ts file and runs
// devrr (or the tests, which spawn bin/devrr.js) thus never runs stale code:
// it runs the edited sources, at tsx's start-up cost, until `npm run build`.
//
// Plain JavaScript, not compiled: it decides whether there is a compiled
// build to run. It costs one read of tsconfig.build.json and dist's stamp
// and a stat of each source file (about 150: a few milliseconds).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The package root (the folder of package.json). */
export const ROOT = new URL('../', import.meta.url);
/** Where the build writes the compiled JavaScript and its .d.ts files. */
export const DIST = new URL('dist/', ROOT);
/**
 * Written by the build once tsc succeeded: the list of sources it compiled,
 * with the time the build started as the file's mtime.
 */
export const STAMP = new URL('build-stamp.json', DIST);

/**
 * The build's inputs, as paths from the root, sorted: every file its
 * tsconfig.build.json includes (`FILE` or `DIR/**\/*.EXT` patterns) and the
 * two tsconfig files themselves (compiler options change the output too).
 */
export function sourceFiles(root = ROOT) {
  const dir = fileURLToPath(root);
  const config = JSON.parse(readFileSync(`${dir}tsconfig.build.json`, 'utf8'));
  const files = new Set(['tsconfig.json', 'tsconfig.build.json']);
  const walked = new Map();
  for (const pattern of config.include) {
    const m = /^([\w.-]+(?:\/[\w.-]+)*)\/\*\*\/\*(\.\w+)$/.exec(pattern);
    if (!m) {
      files.add(pattern);
      continue;
    }
    const [, sub, ext] = m;
    if (!walked.has(sub)) walked.set(sub, walk(dir, `${sub}/`));
    for (const f of walked.get(sub)) if (f.endsWith(ext)) files.add(f);
  }
  return [...files].sort();
}

/** Every file under `root` + `rel` (a folder path ending in /), as paths from `root`. */
function walk(root, rel, out = []) {
  for (const e of readdirSync(root + rel, { withFileTypes: true })) {
    if (e.isDirectory()) walk(root, `${rel}${e.name}/`, out);
    else out.push(`${rel}${e.name}`);
  }
  return out;
}

/**
 * Whether dist/ holds a build of the sources as they are now: the stamp is
 * there, the set of sources is the one it compiled (none added, removed or
 * renamed), and none was modified since the build started.
 */
export function buildIsFresh(root = ROOT) {
  const dir = fileURLToPath(root);
  let built;
  let compiled;
  try {
    built = statSync(`${dir}dist/build-stamp.json`).mtimeMs;
    compiled = JSON.parse(readFileSync(`${dir}dist/build-stamp.json`, 'utf8')).sources;
  } catch {
    return false; // never built, or the build failed or is under way
  }
  const now = sourceFiles(root);
  if (!Array.isArray(compiled) || now.length !== compiled.length || now.some((f, i) => f !== compiled[i])) return false;
  for (const f of now) {
    const st = statSync(dir + f, { throwIfNoEntry: false });
    if (!st || st.mtimeMs > built) return false;
  }
  return true;
}
