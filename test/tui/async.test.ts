/**
 * The cooperative timeline operations (replay/async.ts) give what the
 * synchronous Timeline methods give, report progress, and stop when asked;
 * text search (replay/search.ts) finds events by their decoded names.
 */
import { describe, expect, test } from 'vitest';
import { buildTimeline, runBackwardCooperative, runForwardCooperative, searchCooperative, seekCooperative } from '../../replay/async.js';
import { writeWorkloadTrace } from '../../replay/bench.js';
import { matchesQuery, searchEvents } from '../../replay/search.js';
import { type Breakpoint, Timeline } from '../../replay/timeline.js';
import { TraceReader } from '../../traces/reader.js';
import { tempDir } from '../tmp.js';
import { SGI } from './helpers.js';

const dir = tempDir();
const trace = `${dir}/w.devrr`;
writeWorkloadTrace(trace, 20_000);

function open() {
  const r = TraceReader.open(trace);
  return { r, tl: new Timeline(r, { checkpointEvery: 512 }) };
}

describe('cooperative timeline operations', () => {
  const bps: Breakpoint[][] = [
    [{ kind: 'event', match: { kind: 'mmio', reg: 'GICD_TYPER' } }],
    [{ kind: 'watch', path: 'gic.dist.irq[77].priority' }],
    [{ kind: 'event', match: { irq: 1000 } }],
  ];

  test('run forward: the same hits as Timeline.runForward, from the same places', async () => {
    for (const b of bps) {
      const a = open();
      const c = open();
      for (const start of [0, 5000, 19_990]) {
        a.tl.seek(start);
        c.tl.seek(start);
        const want = a.tl.runForward(b);
        const got = await runForwardCooperative(c.tl, b, { sliceMs: 1 });
        if (want) expect(got).toEqual({ status: 'hit', hit: want });
        else expect(got).toEqual({ status: 'end' });
        expect(c.tl.position).toBe(a.tl.position);
      }
      a.r.close();
      c.r.close();
    }
  });

  test('run backward: the same hits as Timeline.runBackward', async () => {
    for (const b of bps) {
      const a = open();
      const c = open();
      for (const start of [20_000, 7000, 3]) {
        a.tl.seek(start);
        c.tl.seek(start);
        const want = a.tl.runBackward(b);
        const got = await runBackwardCooperative(c.tl, b);
        if (want) expect(got).toEqual({ status: 'hit', hit: want });
        else expect(got).toEqual({ status: 'end' });
        expect(c.tl.position).toBe(a.tl.position);
      }
      a.r.close();
      c.r.close();
    }
  });

  test('runForward bounded by `until` stops there without a hit', () => {
    const a = open();
    expect(a.tl.runForward([{ kind: 'event', match: { irq: 1000 } }], 1234)).toBeNull();
    expect(a.tl.position).toBe(1234);
    a.r.close();
  });

  test('cancelled runs: forward stays where it got, backward goes back to where it began', async () => {
    const a = open();
    const stop = new AbortController();
    let slices = 0;
    const never: Breakpoint[] = [{ kind: 'event', match: { irq: 1000 } }];
    const fwd = await runForwardCooperative(a.tl, never, {
      signal: stop.signal,
      sliceMs: 1,
      onProgress: () => {
        if (++slices === 2) stop.abort();
      },
    });
    expect(fwd).toEqual({ status: 'cancelled' });
    expect(a.tl.position).toBeGreaterThan(0);
    expect(a.tl.position).toBeLessThan(20_000);
    a.tl.seek(15_000);
    const stop2 = new AbortController();
    const back = await runBackwardCooperative(a.tl, never, { signal: stop2.signal, onProgress: () => stop2.abort() });
    expect(back).toEqual({ status: 'cancelled' });
    expect(a.tl.position).toBe(15_000);
    a.r.close();
  });

  test('building the timeline reports progress, creates every checkpoint and comes back home', async () => {
    const a = open();
    a.tl.seek(100);
    const seen: number[] = [];
    expect(await buildTimeline(a.tl, { sliceMs: 1, onProgress: (d, t) => seen.push(d / t) })).toBe(true);
    expect(a.tl.position).toBe(100);
    expect(a.tl.checkpointCount).toBe(Math.floor(19_999 / 512) + 1);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen[seen.length - 1]).toBe(1);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]!);
    a.r.close();
  });

  test('a cancelled build keeps its checkpoints; a seek far beyond them continues from the last one', async () => {
    const a = open();
    const stop = new AbortController();
    expect(await buildTimeline(a.tl, { signal: stop.signal, sliceMs: 1, onProgress: () => stop.abort() })).toBe(false);
    expect(a.tl.position).toBe(0);
    const built = a.tl.checkpointCount;
    expect(built).toBeGreaterThan(1);
    expect(await seekCooperative(a.tl, 18_000, { sliceMs: 1 })).toBe(true);
    expect(a.tl.position).toBe(18_000);
    const b = open();
    b.tl.seek(18_000);
    expect(a.tl.view()).toEqual(b.tl.view());
    a.r.close();
    b.r.close();
  });
});

describe('search', () => {
  test('matches the decoded text, case-insensitively, or the event number', () => {
    expect(matchesQuery('gicc_iar', 5, 'mmio vcpu 1 read  GICC_IAR @0x801000c/4 -> 0x3ff')).toBe(true);
    expect(matchesQuery('#5', 5, 'anything')).toBe(true);
    expect(matchesQuery('5', 6, 'irq_line SPI 33')).toBe(false);
    expect(matchesQuery('  ', 0, 'x')).toBe(false);
  });

  test('forward and backward from a point, with names as they were at each event', () => {
    const r = TraceReader.open(SGI);
    const hit = searchEvents(r, 'GICD_ICENABLER0', 0, 1);
    expect(hit?.event).toBe(18);
    expect(hit?.text).toMatch(/^mmio vcpu 1 write GICD_ICENABLER0 @0x8000180\/4 <- 0xffffffff/);
    expect(searchEvents(r, 'GICC_IAR', 17, 1)?.event).toBe(20);
    expect(searchEvents(r, 'GICC_IAR', 19, -1)?.event).toBe(16);
    expect(searchEvents(r, 'GICC_IAR', 15, -1)).toBeNull();
    expect(searchEvents(r, 'KVM_DEV_ARM_VGIC_CTRL_INIT', 23, -1)?.event).toBe(7);
    r.close();
  });

  test('backward over checkpoint intervals, with progress; a stop request ends it', () => {
    const r = TraceReader.open(trace);
    let calls = 0;
    const hit = searchEvents(r, 'create_device', 19_999, -1, { onProgress: () => calls++ });
    expect(hit?.event).toBe(5);
    expect(calls).toBeGreaterThan(0);
    expect(searchEvents(r, 'create_device', 19_999, -1, { shouldStop: () => true })).toBeNull();
    r.close();
  });

  test('cooperative, on a timeline: the answers of searchEvents, in slices, with progress; the position just after the match', async () => {
    const r = TraceReader.open(trace);
    const tl = new Timeline(r, { checkpointEvery: 512 });
    for (const [q, from, dir] of [['GICD_TYPER', 0, 1], ['GICD_TYPER', 19_999, -1], ['SPI 77', 9000, 1], ['SPI 77', 9000, -1], ['create_device', 19_999, -1], ['#12345', 0, 1], ['no such text', 100, 1], ['no such text', 19_000, -1]] as const) {
      const want = searchEvents(r, q, from, dir);
      let calls = 0;
      const got = await searchCooperative(tl, q, from, dir, { sliceMs: 1, onProgress: () => calls++ });
      if (want) {
        expect(got, `${q} ${from} ${dir}`).toEqual({ status: 'hit', match: want });
        expect(tl.position).toBe(want.event + 1);
      } else expect(got, `${q} ${from} ${dir}`).toEqual({ status: 'end' });
      if (!want) expect(calls).toBeGreaterThan(0);
    }
    const abort = new AbortController();
    abort.abort();
    expect(await searchCooperative(tl, 'no such text', 0, 1, { signal: abort.signal })).toEqual({ status: 'cancelled' });
    r.close();
  });
});
