/**
 * End to end: the real `devrr tui` in a real terminal (tmux, on a private
 * server socket), driven by keys; the screen is read with capture-pane.
 * The program runs with CI unset (under CI=true Ink prints only its last
 * frame). Skipped, saying why, where tmux is not installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { RUN_A, RUN_B } from './helpers.js';

const BIN = fileURLToPath(new URL('../../bin/devrr.js', import.meta.url));
const SOCKET = `devrr-test-${process.pid}`;
const SESSION = 'devrr';
const hasTmux = spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0;
if (!hasTmux) console.warn('skipping the tmux end-to-end test: tmux is not on PATH');

function tmux(...args: string[]): { status: number | null; stdout: string } {
  const r = spawnSync('tmux', ['-L', SOCKET, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout };
}

/** The screen as text; with `escapes`, with its colours and attributes as SGR sequences. */
function screen(escapes = false, session = SESSION): string {
  return tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', session).stdout;
}

function keys(...k: string[]): void {
  tmux('send-keys', '-t', SESSION, ...k);
}

/** Waits (at most ~10 s) for a tmux session to end, as it does when its program exits. */
async function ended(session: string): Promise<boolean> {
  for (let i = 0; i < 200 && tmux('has-session', '-t', session).status === 0; i++) await pause(50);
  return tmux('has-session', '-t', session).status !== 0;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls the screen until `pred` holds (at most ~15 s), and returns it. */
async function until(pred: (s: string) => boolean, what: string, session = SESSION): Promise<string> {
  let s = '';
  for (let i = 0; i < 300; i++) {
    s = screen(false, session);
    if (pred(s)) return s;
    await pause(50);
  }
  throw new Error(`the screen never showed ${what}; it shows:\n${s}`);
}

const has = (...texts: string[]) => (s: string) => texts.every((t) => s.includes(t));

afterAll(() => {
  if (!hasTmux) return;
  tmux('kill-server');
  // A server that exits with its last session leaves its socket file behind.
  rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, SOCKET), { force: true });
});

test.skipIf(!hasTmux)('step, go to an event, watch the state change, bisect to the divergent event, resize, quit', async () => {
  const cmd = `env -u CI -u NODE_ENV -u NO_COLOR FORCE_COLOR=1 ${process.execPath} ${BIN} tui ${RUN_B} --against ${RUN_A}`;
  expect(tmux('new-session', '-d', '-s', SESSION, '-x', '120', '-y', '40', cmd).status).toBe(0);

  // Loaded: the start of the trace, nothing run yet.
  let s = await until(has('start (0-263)', 'loaded 264 events'), 'the loaded trace');
  expect(s).toContain('events 0-19 of 264 · run-b.devrr vs run-a.devrr');
  expect(s).toContain('the start: no event has run yet');

  // One step: event 0 is the current event, decoded.
  keys('n');
  s = await until(has('event 0 (0-263)'), 'event 0');
  expect(s).toContain('event 0 · create_vm');
  expect(s).toMatch(/▶. +0 create_vm arm64/);

  // Go to event 171: the priority write, decoded by register name; the state pane marks what it changed.
  keys('g', '1', '7', '1', 'Enter');
  s = await until(has('event 171 (0-263)'), 'event 171');
  expect(s).toMatch(/▶ +171 v0 W GICD_IPRIORITYR8 <- 0xa0a0f8a0/);
  expect(s).toContain('event 171 · mmio write · vcpu 0');
  expect(s).toContain('register GICD_IPRIORITYR8 @0x8000420/4');
  expect(s).toContain('* priority: 0xf8 (248)  (was 0)');
  // Highlighted: the changed field is drawn in yellow, an unchanged one is not.
  const styled = screen(true).split('\n');
  expect(styled.find((l) => l.includes('* priority: 0xf8'))).toMatch(/\x1b\[[0-9;]*33[0-9;]*m[^\n]*\* priority: 0xf8/);
  expect(styled.find((l) => l.includes('max_vcpus: 8') || l.includes('dead: false')) ?? '').not.toMatch(/33m[^\n]*(max_vcpus|dead)/);

  // The next event raises SPI 33: now its pending state is the highlighted change, the priority is not.
  keys('n');
  s = await until(has('event 172 (0-263)'), 'event 172');
  expect(s).toContain('event 172 · KVM_IRQ_LINE');
  expect(s).toMatch(/\* (pending|line_level): true {2}\(was false\)/);
  expect(s).not.toContain('* priority');

  // Bisect against run A from the start: it lands on the divergent event, marked ◆.
  keys('<');
  await until(has('start (0-263)'), 'the start again');
  keys('B');
  s = await until(has('bisect: first divergence at event 171'), 'the bisect result');
  s = await until(has('event 171 (0-263)'), 'the bisect landing on event 171');
  expect(s).toMatch(/▶◆171 v0 W GICD_IPRIORITYR8/);
  expect(s).toContain('gic.dist.irq[33].priority: 0xf8 -> 0xa0');

  // At 80x24 everything still fits.
  tmux('resize-window', '-t', SESSION, '-x', '80', '-y', '24');
  s = await until((x) => x.split('\n').some((l) => l.startsWith('event 171 (0-263)')) && x.includes('events 166-176'), 'the 80x24 layout');
  const lines = s.replace(/\n$/, '').split('\n');
  expect(lines.length).toBeLessThanOrEqual(24);
  for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);

  // q quits: the program exits and its tmux session ends with it.
  keys('q');
  expect(await ended(SESSION)).toBe(true);
});

test.skipIf(!hasTmux)('from a directory outside the checkout, through a link (as npm link makes), devrr tui draws its first frame and bisects in a worker', async () => {
  // A foreign project's tsconfig.json (classic JSX) in the working directory must not reach devrr's sources.
  const dir = mkdtempSync(join(tmpdir(), 'devrr-elsewhere-'));
  try {
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { jsx: 'react' } }));
    symlinkSync(BIN, join(dir, 'devrr'));
    const session = 'elsewhere';
    // A crash would print its message and wait, so that the screen shows it.
    const cmd = `env -u CI -u NODE_ENV -u NO_COLOR ${process.execPath} ./devrr tui || sleep 30`;
    expect(tmux('new-session', '-d', '-s', session, '-c', dir, '-x', '100', '-y', '30', cmd).status).toBe(0);
    const s = await until(has('start (0-263)', 'loaded 264 events'), 'the first frame of the bundled example', session);
    expect(s).toContain('run-b.devrr vs run-a.devrr');
    expect(s).not.toContain('internal error');
    // Bisect runs in a worker thread, which loads devrr's sources on its own: from here too.
    tmux('send-keys', '-t', session, 'B');
    await until(has('bisect: first divergence at event 171'), 'the bisect result from a worker thread', session);
    tmux('send-keys', '-t', session, 'q');
    expect(await ended(session)).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
