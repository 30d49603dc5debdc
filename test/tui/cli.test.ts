/** `devrr tui` outside a terminal refuses with one line; its help says what it does. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { devrr } from '../cli/run.js';
import { RUN_B } from './helpers.js';

const BIN = fileURLToPath(new URL('../../bin/devrr.js', import.meta.url));

test('devrr tui --help', async () => {
  const r = await devrr('tui', '--help');
  expect(r.code).toBe(0);
  expect(r.out).toContain('Usage: devrr tui [TRACE] [--against OTHER]');
  expect(r.out).toContain('two-runs-one-event/run-b.devrr');
});

test('not a terminal: one clear line naming devrr replay and devrr dump, exit 2', async () => {
  const r = await devrr('tui', RUN_B);
  expect(r.code).toBe(2);
  expect(r.err.split('\n')).toHaveLength(1);
  expect(r.err).toMatch(/^devrr tui: not a terminal .*devrr replay .*run-b\.devrr.*devrr dump /);
});

test('the real program with its output piped refuses the same way', () => {
  const p = spawnSync(process.execPath, [BIN, 'tui'], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  expect(p.status).toBe(2);
  expect(p.stdout).toBe('');
  expect(p.stderr.trim().split('\n')).toHaveLength(1);
  expect(p.stderr).toContain('devrr tui: not a terminal');
});

test('more than one TRACE is a usage error', async () => {
  const r = await devrr('tui', RUN_B, RUN_B);
  expect(r.code).toBe(2);
  expect(r.err).toContain('give at most one TRACE');
});
