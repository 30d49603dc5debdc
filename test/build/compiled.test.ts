/**
 * bin/compiled.js: bin/devrr.js runs the compiled build only while it is as
 * new as the sources, so an edited source is never run stale. Checked on a
 * package of its own in a temporary directory (sources, tsconfig files and a
 * dist/ stamp written the way scripts/build.js writes it).
 */
import { mkdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeEach, describe, expect, test } from 'vitest';
import { buildIsFresh, sourceFiles } from '../../bin/compiled.js';
import { tempDir } from '../tmp.js';

const base = tempDir();
let n = 0;
let root: string;
const url = () => pathToFileURL(`${root}/`);
const fresh = (): boolean => buildIsFresh(url());

/** Sets a file's mtime, in seconds from now. */
function age(path: string, seconds: number): void {
  const t = new Date(Date.now() + seconds * 1000);
  utimesSync(join(root, path), t, t);
}

/** A package whose sources were last saved a minute ago, built (stamped) now. */
function builtPackage(): void {
  root = join(base, `pkg${n++}`);
  mkdirSync(join(root, 'lib/sub'), { recursive: true });
  mkdirSync(join(root, 'dist'));
  writeFileSync(join(root, 'tsconfig.json'), '{}');
  writeFileSync(join(root, 'tsconfig.build.json'), JSON.stringify({ include: ['index.ts', 'lib/**/*.ts', 'lib/**/*.tsx'] }));
  writeFileSync(join(root, 'index.ts'), 'export {};');
  writeFileSync(join(root, 'lib/a.ts'), 'export {};');
  writeFileSync(join(root, 'lib/sub/b.tsx'), 'export {};');
  writeFileSync(join(root, 'lib/notes.md'), 'not a source');
  for (const f of ['tsconfig.json', 'tsconfig.build.json', 'index.ts', 'lib/a.ts', 'lib/sub/b.tsx', 'lib/notes.md']) age(f, -60);
  writeFileSync(join(root, 'dist/build-stamp.json'), JSON.stringify({ sources: sourceFiles(url()) }));
}

describe('the compiled build runs only while it is as new as the sources', () => {
  beforeEach(builtPackage);

  test('the sources are what tsconfig.build.json includes, and both tsconfig files', () => {
    expect(sourceFiles(url())).toEqual(['index.ts', 'lib/a.ts', 'lib/sub/b.tsx', 'tsconfig.build.json', 'tsconfig.json']);
  });

  test('fresh: every source older than the stamp, the same set of sources', () => {
    expect(fresh()).toBe(true);
  });

  test('a source saved after the build started: stale', () => {
    age('lib/sub/b.tsx', 5);
    expect(fresh()).toBe(false);
  });

  test('a compiler option changed after the build: stale', () => {
    age('tsconfig.json', 5);
    expect(fresh()).toBe(false);
  });

  test('a file that is not a source changed: still fresh', () => {
    age('lib/notes.md', 5);
    expect(fresh()).toBe(true);
  });

  test('a source added, even with an old mtime (copied with cp -p): stale', () => {
    writeFileSync(join(root, 'lib/c.ts'), 'export {};');
    age('lib/c.ts', -3600);
    expect(fresh()).toBe(false);
  });

  test('a source removed or renamed: stale', () => {
    renameSync(join(root, 'lib/a.ts'), join(root, 'lib/a2.ts'));
    age('lib/a2.ts', -60);
    expect(fresh()).toBe(false);
    rmSync(join(root, 'lib/a2.ts'));
    expect(fresh()).toBe(false);
  });

  test('no stamp (never built, build under way or failed), or a stamp that is not one: stale', () => {
    writeFileSync(join(root, 'dist/build-stamp.json'), '{"sources": 3}');
    expect(fresh()).toBe(false);
    writeFileSync(join(root, 'dist/build-stamp.json'), 'garbage');
    expect(fresh()).toBe(false);
    rmSync(join(root, 'dist/build-stamp.json'));
    expect(fresh()).toBe(false);
  });
});
