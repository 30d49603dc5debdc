/**
 * The session's caches never change what is shown: after any walk of keys,
 * the rows, the current event and its changes equal what a fresh timeline
 * computes for that position.
 */
import { expect, test } from 'vitest';
import { diffState } from '../../devices/core/state.js';
import { eventToJson } from '../../replay/decode.js';
import { formatField } from '../../replay/report.js';
import { Timeline } from '../../replay/timeline.js';
import { TraceReader } from '../../traces/reader.js';
import { rowText } from '../../tui/format.js';
import { InlineRunner } from '../../tui/jobs/runner.js';
import { charKey, namedKey } from '../../tui/keys.js';
import { DebugSession } from '../../tui/session.js';
import { MIGRATION_BAD, RUN_B, XICS_BAD } from './helpers.js';

function prng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
}

test.each([RUN_B, MIGRATION_BAD, XICS_BAD])('a random walk over %s shows what a fresh timeline computes', async (trace) => {
  const session = new DebugSession(trace, { runner: new InlineRunner(), check: false, checkpointEvery: 16 });
  const sizes = { listRows: 7, detailRows: 6, treeRows: 12, diffRows: 200 };
  session.frame(sizes);
  session.start();
  await session.idle();
  const reader = TraceReader.open(trace);
  const truth = new Timeline(reader);
  const n = reader.eventCount;
  const rnd = prng(11);
  const moves = ['n', 'p', ']', '[', '}', '{', 'g', '<', '>'];
  for (let k = 0; k < 150; k++) {
    const m = moves[Math.floor(rnd() * moves.length)]!;
    if (m === 'g') {
      for (const c of `g${Math.floor(rnd() * n)}`) session.key(charKey(c));
      session.key(namedKey('return'));
    } else session.key(charKey(m));
    const f = session.frame(sizes);
    const p = f.status.position;
    // Every row, decoded with the state just before its event.
    for (const r of f.rows) {
      truth.seek(r.index);
      expect(r.text, `row ${r.index} at position ${p}`).toBe(rowText(eventToJson(truth.event(r.index), r.index, truth.point())));
      expect(r.current).toBe(r.index === p - 1);
    }
    if (p === 0) {
      expect(f.detail.title).toContain('the start');
      continue;
    }
    expect(f.detail.title).toMatch(new RegExp(`^event ${p - 1} `));
    truth.seek(p - 1);
    const before = truth.view();
    truth.seek(p);
    const want = diffState(before, truth.view()).map(formatField);
    expect(f.diff.lines.map((l) => l.text), `changes of event ${p - 1}`).toEqual(want.length ? want : ['no device state changed']);
  }
  reader.close();
  session.close();
});

test('a search over a long trace runs on the session\'s timeline in slices: the status line shows its progress, the screen lands on the match; Esc stops one', async () => {
  const { writeWorkloadTrace } = await import('../../replay/bench.js');
  const { tempDir } = await import('../tmp.js');
  const trace = `${tempDir()}/long.devrr`;
  writeWorkloadTrace(trace, 300_000);
  const session = new DebugSession(trace, { runner: new InlineRunner(), check: false });
  const sizes = { listRows: 7, detailRows: 6, treeRows: 12, diffRows: 20 };
  session.frame(sizes);
  session.start();
  await session.idle();
  const type = (s: string) => {
    for (const c of s) session.key(charKey(c));
    session.key(namedKey('return'));
  };
  // Event 299,990 is the only one whose number matches "#299990".
  type('/#299990');
  const seen: string[] = [];
  while (session.frame(sizes).status.job) {
    const j = session.frame(sizes).status.job!;
    seen.push(`${j.label} ${j.fraction}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  await session.idle();
  expect(seen[0]).toMatch(/^search "#299990"/);
  expect(seen.some((s) => /^search "#299990" 0\.\d+$/.test(s))).toBe(true);
  const f = session.frame(sizes);
  expect(f.status.position).toBe(299_991);
  expect(f.status.message).toBe('"#299990" at event 299990 (. next, , previous)');
  // Backwards from there, for text nothing has: stopped with Esc, and back where it was.
  session.key(charKey('/'));
  for (let k = 0; k < '#299990'.length; k++) session.key(namedKey('backspace')); // the prompt offers the last query
  type('no such text');
  await session.idle();
  expect(session.frame(sizes).status.message).toBe('"no such text": no match from event 299991 on');
  session.key(charKey(','));
  expect(session.frame(sizes).status.job?.label).toBe('search "no such text"');
  session.key(namedKey('escape'));
  await session.idle();
  expect(session.frame(sizes).status.message).toBe('search "no such text" stopped; back where it started');
  expect(session.frame(sizes).status.position).toBe(299_991);
  session.close();
}, 60_000);
