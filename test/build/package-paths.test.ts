/**
 * The same module runs from its TypeScript source and, one folder deeper,
 * compiled in dist/: a path taken from a module's own URL reaches the same
 * file from both only if it is a compiled module beside it. Anything else
 * (package.json, the bundled examples, a worker bootstrap) is found from the
 * package root (package-root.ts). CLI tests run whichever build is current,
 * so a wrong path could pass them from the sources and fail once compiled.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory()) yield* sources(p);
    else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts')) yield p;
  }
}

test('no compiled source reaches a file by a path from its own URL, unless it is a compiled module beside it (./NAME.js)', () => {
  const files = ['bin', 'devices', 'recorder', 'replay', 'traces', 'tui'].flatMap((d) => [...sources(d)]).concat('index.ts');
  expect(files.length).toBeGreaterThan(50);
  const bad: string[] = [];
  for (const f of files) {
    const text = readFileSync(join(ROOT, f), 'utf8');
    for (const m of text.matchAll(/new URL\(\s*(['"`])(.*?)\1\s*,\s*import\.meta\.url\s*\)/g)) {
      if (!/^\.\/[\w.-]+\.js$/.test(m[2]!)) bad.push(`${f}: new URL('${m[2]}', import.meta.url)`);
    }
    if (/import\.meta\.(dirname|filename)/.test(text)) bad.push(`${f}: import.meta.dirname/filename`);
  }
  expect(bad, 'use packageFile() from package-root.ts').toEqual([]);
});
