/**
 * The event kinds of the VMM's files and the VFIO device fd
 * (traces/kinds/open-file.ts ... vfio-irq.ts) through every layer: their
 * scenario ops' parse errors, a recording that replays with every result
 * checked (a planted wrong result is found), dump's lines, the header's
 * kinds map, and the interrupt facet seeing an MSI the device sent through
 * an irqfd as it sees KVM_SIGNAL_MSI (what interrupt breakpoints and the
 * TUI's interrupt view read).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { pointIn } from '../../recorder/backend.js';
import { MODELS } from '../../recorder/execute.js';
import { parseScenario } from '../../recorder/scenario.js';
import { recordToFile } from '../../recorder/trace-file.js';
import { describeEvent } from '../../replay/decode.js';
import { replay } from '../../replay/engine.js';
import type { TraceEvent } from '../../traces/events.js';
import { TraceReader } from '../../traces/reader.js';
import { TraceWriter } from '../../traces/writer.js';
import { tempDir } from '../tmp.js';

const dir = tempDir();
const EXAMPLE = 'traces/examples/vfio-msix-masked-vector/vfio-msix-masked-vector.json';
let path: string;
let events: TraceEvent[];

beforeAll(() => {
  path = join(dir, 'masked.devrr');
  const r = recordToFile(parseScenario(readFileSync(EXAMPLE, 'utf8'), EXAMPLE), path);
  expect(r.misses).toEqual([]);
  const t = TraceReader.open(path);
  events = [...t.events()].map(({ i: _i, ...ev }) => ev as TraceEvent);
  t.close();
});

const at = (kind: string, n = 0) => events.map((e, i) => [e, i] as const).filter(([e]) => e.kind === kind)[n]![1];

describe('scenario ops (recorder/scenario.ts through each kind\'s parse)', () => {
  const bad = (step: object, pre: object[] = []) => () => parseScenario(JSON.stringify({ arch: 'x86_64', steps: [...pre, step] }), 'x.json');
  test('open_file: a group needs its number, a device its profile; neither takes the other\'s field', () => {
    expect(bad({ op: 'open_file', file: 'socket' })).toThrow(/file.*"plain"/);
    expect(bad({ op: 'open_file', file: 'vfio_group' })).toThrow(/group.*missing/);
    expect(bad({ op: 'open_file', file: 'vfio_device', profile: 'fpga' })).toThrow(/profile.*"nic" or "gpu"/);
    expect(bad({ op: 'open_file', file: 'plain', group: 1 })).toThrow(/group.*only a vfio_group/);
    expect(bad({ op: 'open_file', file: 'eventfd', dma: 'coherent' })).toThrow(/dma/);
  });

  test('a later step passes a kept fd as "$NAME"; a name never kept is refused', () => {
    expect(bad({ op: 'close_file', fd: '$nope' })).toThrow(/\$nope.*no value kept/);
    expect(() => bad({ op: 'close_file', fd: '$f' }, [{ op: 'open_file', file: 'plain', save_as: 'f' }])()).not.toThrow();
  });

  test('close_device names a device bound by create_device', () => {
    expect(bad({ op: 'close_device', dev: 'vfio' })).toThrow(/dev.*not a device named/);
    expect(() => bad({ op: 'close_device', dev: 'v' }, [{ op: 'create_device', type: 4, as: 'v' }])()).not.toThrow();
  });

  test('irqfd: assign needs the MSI, deassign takes only the fd', () => {
    expect(bad({ op: 'irqfd', fd: 100, action: 'assign', data: 1 })).toThrow(/address.*missing/);
    expect(bad({ op: 'irqfd', fd: 100, action: 'deassign', data: 1 })).toThrow(/data.*only the eventfd/);
    expect(bad({ op: 'irqfd', fd: 100, action: 'toggle' })).toThrow(/action/);
  });

  test('vfio ops: region and irq index by name or number; set_irqs takes flags or data_type and action; a region write needs its value', () => {
    expect(bad({ op: 'vfio_region_info', fd: 100, index: 'bar9' })).toThrow(/index.*"bar0"/);
    expect(() => bad({ op: 'vfio_region_info', fd: 100, index: 12 })()).not.toThrow();
    expect(bad({ op: 'vfio_set_irqs', fd: 100, index: 'msix', flags: 0x24, data_type: 'eventfd', action: 'trigger' })).toThrow(/flags or data_type and action/);
    expect(bad({ op: 'vfio_set_irqs', fd: 100, index: 'msix', data_type: 'eventfd', action: 'kick' })).toThrow(/action/);
    expect(bad({ op: 'vfio_region', fd: 100, region: 'config', offset: 4, dir: 'write', len: 2 })).toThrow(/value.*missing/);
    expect(bad({ op: 'vfio_region', fd: 100, region: 'config', offset: 4, dir: 'read', len: 3 })).toThrow(/len/);
  });
});

describe('the recorded example', () => {
  test('the header names the new kinds; the queries are skippable, the rest needed', () => {
    const t = TraceReader.open(path);
    expect(t.header.kinds).toMatchObject({ open_file: 1, irqfd: 1, vfio_set_irqs: 1, vfio_irq: 1, vfio_region: 1, vfio_get_info: 0, vfio_region_info: 0, vfio_irq_info: 0 });
    t.close();
  });

  test('it replays with every result checked; a planted wrong result of vfio_irq is the divergence', () => {
    const t = TraceReader.open(path);
    expect(replay(t).divergence).toBeNull();
    const header = t.header;
    t.close();
    const planted = join(dir, 'planted.devrr');
    const w = TraceWriter.create(planted, { ...header });
    const target = at('vfio_irq', 2); // vector 1 into the masked vector: recorded as signalled with no MSI
    for (const [i, ev] of events.entries()) w.append(i === target ? ({ ...ev, msi: true, msiRet: 1 } as unknown as TraceEvent) : ev);
    w.close();
    const p = TraceReader.open(planted);
    expect(replay(p).divergence).toMatchObject({ event: target, reason: 'result' });
    p.close();
  });

  test("dump's lines follow vector 1 from the device to the eventfd, and say where it stops", () => {
    const backend = MODELS.create();
    const lines = events.map((ev) => {
      const line = describeEvent(ev, pointIn(MODELS, backend));
      backend.execute(ev);
      return line;
    });
    const irqs = lines.filter((l) => l.startsWith('vfio_irq fd'));
    expect(irqs.map((l) => l.replace(/  #.*/, ''))).toEqual([
      'vfio_irq fd 101 msix vector 0: eventfd fd 102 -> irqfd MSI 0x8090040 data 3 devid 16: delivered',
      'vfio_irq fd 101 msix vector 1: eventfd fd 103 -> irqfd MSI 0x8090040 data 4 devid 16: delivered',
      'vfio_irq fd 101 msix vector 1: eventfd fd 103 (count 1, no irqfd: the guest is not told)',
      'vfio_irq fd 101 msix vector 0: eventfd fd 102 -> irqfd MSI 0x8090040 data 3 devid 16: delivered',
      'vfio_irq fd 101 msix vector 1: eventfd fd 103 (count 2, no irqfd: the guest is not told)',
    ]);
    expect(lines[at('irqfd', 2)]).toMatch(/^irqfd deassign fd 103/);
    expect(lines[at('vfio_region_info', 1)]).toMatch(/bar3 -> size 0x4000 at 0x30000000000, READ\|WRITE\|MMAP\|CAPS, caps at 32/);
    expect(lines[at('vfio_set_irqs')]).toMatch(/msix 0\+2 DATA_EVENTFD\|ACTION_TRIGGER \[102, 103\]/);
  });

  test('the interrupts facet sees the MSI a vfio_irq sent through its irqfd: LPI 8192 raised at the device\'s event', () => {
    const backend = MODELS.create();
    const effects: { event: number; action: string; irq: number }[] = [];
    for (const [i, ev] of events.entries()) {
      const point = pointIn(MODELS, backend)!;
      for (const e of point.inspector.interruptEffects(point.state, ev)) if (e.irq >= 8192) effects.push({ event: i, action: e.action, irq: e.irq });
      backend.execute(ev);
    }
    const first = at('vfio_irq');
    expect(effects).toContainEqual({ event: first, action: 'raise', irq: 8192 });
    // The masked vector raised nothing: no effect on LPI 8193 after the deassign.
    expect(effects.filter((e) => e.irq === 8193 && e.action === 'raise').map((e) => e.event)).toEqual([at('vfio_irq', 1)]);
  });
});

test('migration: a closed KVM-VFIO device is created and closed again on the destination, so a second one can follow (replay/migrate.ts)', async () => {
  const { migrateVm } = await import('../../replay/migrate.js');
  const { createVm } = await import('../../devices/registry.js');
  const vm = createVm('x86_64');
  expect(vm.createDevice(4, 0).errno).toBe(0);
  expect(vm.closeDevice(0)).toBe(0);
  expect(vm.createDevice(4, 0).errno).toBe(0);
  const { dest, errors } = migrateVm(vm.snapshot(), new Map());
  expect(errors).toEqual([]);
  expect(dest.devices.map((d) => ({ type: d.type, closed: d.closed === true }))).toEqual([
    { type: 4, closed: true },
    { type: 4, closed: false },
  ]);
});

test('a watchpoint on the eventfd\'s irqfd, run backwards from the end, stops at the deassign (the README\'s story)', async () => {
  const { Timeline } = await import('../../replay/timeline.js');
  const t = TraceReader.open(path);
  const tl = new Timeline(t);
  tl.seek(tl.length);
  const hit = tl.runBackward([{ kind: 'watch', path: 'files[3].irqfd' }]);
  expect(hit?.event).toBe(at('irqfd', 2));
  expect(events[hit!.event - 1]).toMatchObject({ kind: 'mmio', addr: 0x1000401c, write: true, value: 1n, exit: true });
  t.close();
});

test('every event of the example round-trips through JSON lines (the kinds declare their bigint fields)', async () => {
  const { eventFromJsonLine, eventToJsonLine } = await import('../../traces/jsonl.js');
  for (const ev of events) expect(eventFromJsonLine(eventToJsonLine(ev))).toStrictEqual(ev);
});
