/**
 * The backend seam (recorder/backend.ts): replay, the timeline, bisect,
 * decoding and the TUI's jobs take a BackendFactory; what a backend can do
 * beyond executing events is declared as capabilities. A backend with
 * fewer capabilities (a live /dev/kvm one may have neither) gives the same
 * answers wherever the answer does not need the missing capability.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { digestState } from '../../devices/core/state.js';
import { type Backend, type BackendFactory, FAST_OK, FAST_SKIP, type SessionState } from '../../recorder/backend.js';
import { MODELS, ModelBackend } from '../../recorder/execute.js';
import { prng, workload, writeWorkloadTrace } from '../../replay/bench.js';
import { applyEvents } from '../../replay/apply.js';
import { ChunkCache } from '../../replay/trace-source.js';
import { bisectTrace, BisectError } from '../../replay/bisect.js';
import { describeEvent } from '../../replay/decode.js';
import { replay, stateBefore } from '../../replay/engine.js';
import { Timeline } from '../../replay/timeline.js';
import type { TraceEvent } from '../../traces/events.js';
import { TraceReader } from '../../traces/reader.js';
import { tempDir } from '../tmp.js';

const dir = tempDir();
const N = 20_000;
let reader: TraceReader;
let planted: number;

/** The models, with only the capabilities asked for; counts the events it is asked to execute. */
function limited(opts: { state: boolean; fast: boolean }): BackendFactory & { executed: () => number } {
  let executed = 0;
  return {
    name: `the models without${opts.state ? '' : ' state'}${opts.fast ? '' : ' fast paths'}`,
    inspector: MODELS.inspector,
    executed: () => executed,
    create(): Backend {
      const m = new ModelBackend();
      return {
        execute(ev: TraceEvent) {
          executed++;
          return m.execute(ev);
        },
        ...(opts.state && { state: m.state }),
        ...(opts.fast && { fast: m.fast }),
        // What the test compares against (not part of Backend): the hidden models' digest.
        digestForTest: () => m.digest(),
      } as Backend;
    },
  };
}

beforeAll(() => {
  const path = join(dir, 'planted.devrr');
  planted = writeWorkloadTrace(path, N, { checkpointEvery: 1024, plantAt: Math.floor(N * 0.6) });
  reader = TraceReader.open(path);
});

describe('a backend without the fast-path capability goes through execute and finds the same', () => {
  test('replay: the same divergence (event, results, fields) and the same checkpoints checked; every event executed', () => {
    const slow = limited({ state: true, fast: false });
    const a = replay(reader);
    const b = replay(reader, { backends: slow });
    expect(a.divergence?.event).toBe(planted);
    expect(b).toEqual(a);
    // Up to and including the divergent event: every event through execute, then the divergence's own replays.
    expect(slow.executed()).toBeGreaterThanOrEqual(planted + 1);
  });

  test('the models take most events on their fast paths (MMIO and KVM_IRQ_LINE are most of the workload)', () => {
    const counted = limited({ state: true, fast: true });
    replay(reader, { to: 10_000, backends: counted });
    expect(counted.executed()).toBeLessThan(1000);
  });

  test('bisect names the planted event either way', () => {
    expect(bisectTrace(reader).first_divergence?.event).toBe(planted);
    expect(bisectTrace(reader, { backends: limited({ state: true, fast: false }) }).first_divergence?.event).toBe(planted);
  });
});

describe('a backend without the state capability', () => {
  const bare = () => limited({ state: false, fast: false });

  test('replay checks every result, and no digest (it has none)', () => {
    const r = replay(reader, { backends: bare() });
    expect(r.divergence?.event).toBe(planted);
    expect(r.divergence?.reason).toBe('result');
    expect(r.checkpoints).toBe(0);
    expect(r.divergence?.fields).toEqual([]);
  });

  test('the timeline seeks back by replaying a fresh backend from the start: the state at every position is the replay from 0', () => {
    const tl = new Timeline(reader, { backends: bare(), checkpointEvery: 1000 });
    const rnd = prng(3);
    for (let k = 0; k < 12; k++) {
      const p = Math.floor(rnd() * (planted + 1));
      tl.seek(p);
      expect(tl.position).toBe(p);
      const hidden = (tl.backend as unknown as { digestForTest(): string }).digestForTest();
      expect(hidden, `position ${p}`).toBe(digestState(stateBefore(reader, p)));
    }
    // No state to show or decode with: numbers, no names.
    expect(tl.point()).toBeUndefined();
    expect(tl.view()).toEqual({});
    expect(describeEvent(tl.event(tl.position))).toMatch(/^(mmio|irq_line)/);
  });

  test('bisect says it needs the state capability', () => {
    expect(() => bisectTrace(reader, { backends: bare() })).toThrow(BisectError);
    expect(() => bisectTrace(reader, { backends: bare() })).toThrow(/needs a backend that can give and restore its state; the models without state fast paths cannot/);
  });
});

describe("the MMIO fast path's memo (ModelBackend.mmioAt) answers as execute does", () => {
  test('one backend restored back and forth over the same chunks: every state is the execute-only replay', () => {
    const m = new ModelBackend();
    const chunks = new ChunkCache(reader, 2);
    const rnd = prng(11);
    let pos = 0;
    for (let k = 0; k < 16; k++) {
      // Forward over a stretch (the memo of the chunks it crosses fills), then back to an earlier state.
      const to = Math.min(planted, pos + 1 + Math.floor(rnd() * 3000));
      expect(applyEvents(m, chunks, pos, to, true)).toBeNull();
      const back = Math.floor(rnd() * to);
      m.restore(stateBefore(reader, back) as SessionState);
      pos = back;
    }
    expect(applyEvents(m, chunks, pos, planted, true)).toBeNull();
    const slow = limited({ state: false, fast: false }).create();
    for (let i = 0; i < planted; i++) slow.execute(chunks.event(i));
    expect(m.digest()).toBe((slow as unknown as { digestForTest(): string }).digestForTest());
  });

  test("a layout change between two accesses of one shape (a vcpu's first run, the VMs replaced by restore) resolves it again", () => {
    const events: TraceEvent[] = [...workload(200)];
    const m = new ModelBackend();
    const memo = m.mmioMemo(events);
    // A GICD_TYPER read (no side effect) by vcpu 1.
    const k = events.findIndex((e) => e.kind === 'mmio' && !e.write && e.vcpu === 1 && e.addr === 0x8000004);
    expect(k).toBeGreaterThan(0);
    const shape = events[k] as Extract<TraceEvent, { kind: 'mmio' }>;
    for (const ev of events.slice(0, k)) if (!(ev.kind === 'mmio' && ev.vcpu === 1)) m.execute(ev);
    // vcpu 1 has not run: not eligible (execute runs it); the memo does not keep that past its first run.
    expect(m.mmioAt(memo, k, shape, 0)).toBe(FAST_SKIP);
    const typer = Number((m.execute(shape) as typeof shape).value);
    expect(m.mmioAt(memo, k, shape, typer)).toBe(FAST_OK);
    expect(m.mmioAt(memo, k, shape, typer ^ 1)).toBe(typer);
    // A restore replaces the VMs: the slot is stale and resolves again, against the VMs there are now.
    const before = m.snapshot();
    m.restore({ vms: [] });
    expect(m.mmioAt(memo, k, shape, typer)).toBe(FAST_SKIP);
    m.restore(before);
    expect(m.mmioAt(memo, k, shape, typer)).toBe(FAST_OK);
  });
});
