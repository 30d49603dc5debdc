import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { digestState, stateBytes } from '../../devices/core/state.js';
import { prng, writeWorkloadTrace } from '../../replay/bench.js';
import { stateBefore } from '../../replay/engine.js';
import { Timeline } from '../../replay/timeline.js';
import { TraceReader } from '../../traces/reader.js';
import { tempDir } from '../tmp.js';

const dir = tempDir();
let reader: TraceReader;
const N = 30_000;

beforeAll(() => {
  const path = join(dir, 'w.devrr');
  writeWorkloadTrace(path, N);
  reader = TraceReader.open(path);
});

describe('seek and step back give the state a replay from the start gives (property)', () => {
  test('random positions, forward and backward', () => {
    const tl = new Timeline(reader, { checkpointEvery: 1000 });
    const rnd = prng(42);
    for (let k = 0; k < 40; k++) {
      const p = Math.floor(rnd() * (N + 1));
      tl.seek(p);
      expect(tl.position).toBe(p);
      expect(digestState(tl.snapshot()), `position ${p}`).toBe(digestState(stateBefore(reader, p)));
    }
  });

  test('stepping back by 1, 10, 100, 1000 from the end', () => {
    const tl = new Timeline(reader, { checkpointEvery: 1000 });
    tl.seek(N);
    for (const d of [1, 10, 100, 1000]) {
      tl.step(-d);
      expect(digestState(tl.snapshot())).toBe(digestState(stateBefore(reader, tl.position)));
    }
    expect(tl.position).toBe(N - 1111);
  });
});

test('a register breakpoint stops just after each GICC_IAR read, forward and backward', () => {
  const tl = new Timeline(reader, { checkpointEvery: 1000 });
  const iars: number[] = [];
  for (const ev of reader.events(0, 2000)) if (ev.kind === 'mmio' && !ev.write && ev.addr === 0x801000c) iars.push(ev.i);
  const bp = [{ kind: 'event' as const, match: { reg: 'GICC_IAR' } }];
  expect(tl.runForward(bp)?.event).toBe(iars[0]);
  expect(tl.position).toBe(iars[0]! + 1);
  expect(tl.runForward(bp)?.event).toBe(iars[1]);
  expect(tl.runForward(bp)?.event).toBe(iars[2]);
  expect(tl.runBackward(bp)?.event).toBe(iars[1]);
  expect(tl.position).toBe(iars[1]! + 1);
  expect(tl.runBackward(bp)?.event).toBe(iars[0]);
  expect(tl.runBackward(bp)).toBeNull();
  expect(tl.position).toBe(0);
});

test('a watchpoint on gic.dist.irq[40].pending fires where the SPI comes to exist, at the KVM_IRQ_LINE that raises it and the IAR that takes it', () => {
  const tl = new Timeline(reader, { checkpointEvery: 1000 });
  const w = [{ kind: 'watch' as const, path: 'gic.dist.irq[40].pending' }];
  const h0 = tl.runForward(w)!;
  expect(tl.event(h0.event)).toMatchObject({ kind: 'set_attr', group: 4 }); // CTRL_INIT allocates the SPIs
  expect([h0.before, h0.after]).toEqual([undefined, false]);
  const h1 = tl.runForward(w)!;
  expect(tl.event(h1.event).kind).toBe('irq_line');
  expect([h1.before, h1.after]).toEqual([false, true]);
  const h2 = tl.runForward(w)!;
  expect(tl.event(h2.event)).toMatchObject({ kind: 'mmio', addr: 0x801000c });
  expect([h2.before, h2.after]).toEqual([true, false]);
  expect(tl.get('gic.dist.irq[40].active')).toBe(true);
});

test('an IRQ-number breakpoint matches KVM_IRQ_LINE and the IAR/EOIR values naming it', () => {
  const tl = new Timeline(reader, { checkpointEvery: 1000 });
  const bp = [{ kind: 'event' as const, match: { irq: 41 } }];
  const kinds = [tl.runForward(bp)!, tl.runForward(bp)!, tl.runForward(bp)!].map((h) => {
    const ev = tl.event(h.event);
    return ev.kind === 'mmio' ? (ev.write ? 'eoir' : 'iar') : ev.kind;
  });
  expect(kinds).toEqual(['irq_line', 'iar', 'eoir']);
});

test('checkpoints stay within their memory budget: past it every other one goes and K doubles, and seeks still give the replayed state', () => {
  const one = stateBytes(stateBefore(reader, N));
  const tl = new Timeline(reader, { checkpointEvery: 1000, checkpointBytes: 5 * one });
  tl.seek(N);
  expect(tl.checkpointEvery).toBeGreaterThan(1000);
  expect(tl.checkpointCount).toBeLessThanOrEqual(5);
  expect(tl.checkpointCount * tl.checkpointEvery).toBeGreaterThan(N - tl.checkpointEvery);
  const rnd = prng(7);
  for (let k = 0; k < 10; k++) {
    const p = Math.floor(rnd() * (N + 1));
    tl.seek(p);
    expect(digestState(tl.snapshot()), `position ${p}`).toBe(digestState(stateBefore(reader, p)));
  }
});
