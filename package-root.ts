/**
 * Where devrr's own files are. The code runs from two places: the
 * TypeScript sources (tsx, vitest) and their compiled JavaScript in dist/
 * (what `npm install` builds, scripts/build.js). A path to a file that is
 * not code (package.json, the bundled examples, the worker bootstrap) is
 * therefore taken from the package root, never from a module's own folder.
 */
import { readFileSync } from 'node:fs';

/** The package root (the folder of package.json), as a file: URL ending in `/`. */
export const PACKAGE_ROOT: URL = new URL(import.meta.url.endsWith('.js') ? '../' : './', import.meta.url);

/** True when this code is the compiled JavaScript of dist/, false when it is the TypeScript sources. */
export const COMPILED: boolean = import.meta.url.endsWith('.js');

/** True when this code is the command line's bundle (dist/cli-*.js, scripts/build.js): a module's own URL is then its bundle file's. */
export const BUNDLED: boolean = /\/dist\/cli-[^/]+\.js$/.test(import.meta.url);

/**
 * A worker thread's compiled entry: the bundle's own (`dist/cli-NAME.js`)
 * from the bundle, else the module `plain` (relative to the caller's
 * `base`, its import.meta.url).
 */
export function compiledWorker(bundleName: string, plain: string, base: string): URL {
  return BUNDLED ? packageFile(`dist/cli-${bundleName}.js`) : new URL(plain, base);
}

/** A file of the package, by its path from the root (`traces/examples/...`). */
export function packageFile(path: string): URL {
  return new URL(path, PACKAGE_ROOT);
}

/** devrr's own version, from package.json. */
export const DEVRR_VERSION: string = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')).version;
