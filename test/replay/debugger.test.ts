/**
 * The debugger on the bundled stories: bisect names the planted event,
 * migrate-check names the planted missing state (and passes on a correct
 * VMM), explain names the blocking condition and the event behind it.
 */
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { parseScenario } from '../../recorder/scenario.js';
import { recordScenario } from '../../recorder/record.js';
import { traceHeader } from '../../recorder/trace-file.js';
import { bisectAgainst, bisectTrace } from '../../replay/bisect.js';
import { diffStates, stateAt } from '../../replay/diff.js';
import { explain } from '../../replay/explain.js';
import { migrateCheck } from '../../replay/migrate.js';
import { bisectReport } from '../../replay/report.js';
import type { TraceEvent } from '../../traces/events.js';
import { TraceReader } from '../../traces/reader.js';
import { TraceWriter } from '../../traces/writer.js';
import { readFileSync } from 'node:fs';
import { tempDir } from '../tmp.js';

const E = 'traces/examples';
const open = (p: string) => TraceReader.open(join(E, p));
const dir = tempDir();

test('bisect --against: the two runs differ first at event 171, the GICD_IPRIORITYR8 write', () => {
  const r = bisectAgainst(open('two-runs-one-event/run-b.devrr'), open('two-runs-one-event/run-a.devrr'));
  const d = r.first_divergence!;
  expect(d.event).toBe(171);
  expect(d.reason).toBe('input');
  expect(d.recorded).toMatchObject({ kind: 'mmio', addr: 0x8000420, value: 0xa0a0f8a0n });
  expect(d.fields).toEqual([{ path: 'gic.dist.irq[33].priority', a: 0xf8, b: 0xa0 }]);
});

test('bisect --against a trace and itself: no divergence', () => {
  expect(bisectAgainst(open('two-runs-one-event/run-a.devrr'), open('two-runs-one-event/run-a.devrr')).first_divergence).toBeNull();
});

/** Records `scenario` with checkpoints every 16 events, passing every event through `edit` on its way to the file. */
function recordEdited(scenario: string, out: string, edit: (ev: TraceEvent, i: number) => TraceEvent): string {
  const sc = parseScenario(readFileSync(join(E, scenario), 'utf8'), scenario);
  const w = TraceWriter.create(out, traceHeader(sc, 16));
  let i = 0;
  recordScenario(sc, { append: (ev) => w.append(edit(ev, i++)), checkpoint: (e, s, d) => w.checkpoint(e, s, d) }, { checkpointEvery: 16, finalCheckpoint: true });
  w.close();
  return out;
}

test('bisect against the models: a planted wrong IAR result is found exactly, in O(log n) probes', () => {
  const ref = TraceReader.open(recordEdited('two-runs-one-event/run-a.json', join(dir, 'ref0.devrr'), (ev) => ev));
  const iar = [...ref.events(200, 260)].find((e) => e.kind === 'mmio' && !e.write && e.addr === 0x801000c)!;
  const p = recordEdited('two-runs-one-event/run-a.json', join(dir, 'planted.devrr'), (ev, i) => (i === iar.i && ev.kind === 'mmio' ? { ...ev, value: 0x3ffn } : ev));
  const t = TraceReader.open(p);
  const r = bisectTrace(t);
  expect(r.first_divergence?.event).toBe(iar.i);
  expect(r.first_divergence?.reason).toBe('result');
  expect(r.probes).toBeLessThanOrEqual(Math.ceil(Math.log2(t.checkpoints.length + 1)) + 1);
  // The fields are what the divergent event changes on replay: it is named as their writer, not an older write.
  const d = r.first_divergence!;
  expect(d.fields.length).toBeGreaterThan(0);
  expect(d.lastWriters.map((w) => w.event)).toEqual(d.fields.map(() => iar.i));
  const rep = bisectReport(r, { trace: 'planted.devrr', describe: (i) => `event ${i}` });
  expect(rep.title).toBe(`first divergence at event ${iar.i}`);
  expect(rep.lines[0]!.text).toBe('its replayed result differs from the recorded one');
  expect(rep.lines.map((l) => l.text)).toContain(`device state event ${iar.i} changes on replay (before -> after):`);
  expect(rep.lines.filter((l) => l.text.endsWith(', the divergent event'))).toHaveLength(d.fields.length);
});

test('bisect against the models: a state-only divergence (a write recorded with other state) names the writing event', () => {
  // Event 30 is a GICC_PMR write; record the checkpoints as if it had written 0xf8, the trace says 0xf0.
  const sc = 'two-runs-one-event/run-a.json';
  const t0 = recordEdited(sc, join(dir, 'ref.devrr'), (ev) => ev);
  const ref = TraceReader.open(t0);
  const target = [...ref.events(0, 60)].find((e) => e.kind === 'mmio' && e.write && e.addr === 0x8010004 && e.vcpu === 3)!;
  const p = recordEdited(sc, join(dir, 'state.devrr'), (ev, i) => (i === target.i && ev.kind === 'mmio' ? { ...ev, value: 0xe0n } : ev));
  const r = bisectTrace(TraceReader.open(p));
  expect(r.first_divergence?.event).toBe(target.i);
  expect(r.first_divergence?.fields.map((f) => f.path)).toContain('gic.cpu[3].pmr');
  const rep = bisectReport(r, { trace: 'state.devrr', describe: (i) => `event ${i}` });
  const cp = r.first_divergence!.interval[1] - 1;
  expect(rep.lines[0]!.text).toBe(`every result replays as recorded, but the device state recorded after event ${cp} differs from the replay's; event ${target.i} is the first event before it that wrote a differing field`);
  expect(rep.lines.map((l) => l.text)).toContain(`  gic.cpu[3].pmr: event ${target.i}, the divergent event`);
});

test('migrate-check names the CPU-interface state a save list without GRP_CPU_REGS loses', () => {
  const r = migrateCheck(open('migration-missing-cpu-regs/migration-bad.devrr'));
  expect(r.failures).toHaveLength(1);
  const f = r.failures[0]!;
  expect(f.kind).toBe('recorded');
  expect(f.fields).toEqual([
    { path: 'gic.cpu[0].ctlr.EnableGrp0', a: true, b: false },
    { path: 'gic.cpu[0].pmr', a: 0xf0, b: 0 },
  ]);
});

test('migrate-check passes on a correct VMM, and on every example through its own VMM model', () => {
  expect(migrateCheck(open('migration-missing-cpu-regs/migration-good.devrr')).failures).toEqual([]);
  for (const p of ['vgic-v2-bringup/vgic-v2-bringup.devrr', 'vgic-v2-level-spi-storm/vgic-v2-level-spi-storm.devrr', 'vgic-v2-eoi-out-of-order/vgic-v2-eoi-out-of-order.devrr', 'two-runs-one-event/run-a.devrr']) {
    const r = migrateCheck(open(p), 5);
    expect(r.checks, p).toBeGreaterThan(3);
    expect(r.failures, p).toEqual([]);
  }
});

test('explain: SGI 3 is blocked on vcpu 1 by enabled=false, last changed by event 18 (the ICENABLER0 write)', () => {
  const t = open('sgi-never-arrives/sgi-never-arrives.devrr');
  const e = explain(t, 3);
  expect(e.deliverableTo).toEqual([]);
  const blocking = e.blocking.filter((c) => c.vcpu === 1);
  expect(blocking.map((c) => c.name)).toEqual(['enabled (GICD_ISENABLER)']);
  expect(blocking[0]!.changedBy).toEqual([{ path: 'gic.cpu[1].irq[3].enabled', event: 18 }]);
  const ev = [...t.events(18, 19)][0]!;
  expect(ev).toMatchObject({ kind: 'mmio', addr: 0x8000180, value: 0xffffffffn });
  // Before that write the same SGI was deliverable to vcpu 1.
  expect(explain(t, 3, 15).blocking.filter((c) => c.vcpu === 1 && c.name.startsWith('enabled'))).toEqual([]);
});

test('diff: two points of one trace, by named field', () => {
  const t = open('vgic-v2-eoi-out-of-order/vgic-v2-eoi-out-of-order.devrr');
  const f = diffStates(stateAt(t, 20), stateAt(t, 25));
  expect(f).toContainEqual({ path: 'gic.dist.irq[33].active', a: true, b: false });
  expect(f).toContainEqual({ path: 'gic.cpu[0].rpr', a: 0x40, b: 0xa0 });
});
