/**
 * devrr runs from any working directory: through a link to bin/devrr.js (as
 * `npm link` and `npx devrr` make one), from a directory that is not the
 * checkout and that holds a tsconfig.json of its own whose settings must not
 * reach devrr's sources. (The terminal UI from such a directory, in a real
 * terminal: test/tui/e2e-tmux.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { tempDir } from '../tmp.js';

const BIN = fileURLToPath(new URL('../../bin/devrr.js', import.meta.url));
const RUN_A = fileURLToPath(new URL('../../traces/examples/two-runs-one-event/run-a.devrr', import.meta.url));

/** A directory elsewhere: a foreign project's tsconfig.json (classic JSX) and a `devrr` link, as npm link makes. */
function elsewhere(): string {
  const d = tempDir();
  writeFileSync(join(d, 'tsconfig.json'), JSON.stringify({ compilerOptions: { jsx: 'react', target: 'es5' } }));
  symlinkSync(BIN, join(d, 'devrr'));
  return d;
}

const d = elsewhere();

function run(cwd: string, ...args: string[]) {
  return spawnSync(process.execPath, [join(cwd, 'devrr'), ...args], { cwd, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

test('devrr start, piped, from another directory: records, replays and reports the bundled example', () => {
  const r = run(d, 'start');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^recorded \d+ events from .*vgic-v2-bringup\.json, every expectation held/);
  expect(r.stdout).toContain('The trace, decoded (devrr dump):');
});

test('devrr info from another directory, on a trace named by its absolute path', () => {
  const r = run(d, 'info', RUN_A);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('264 events');
});
