/**
 * The debugger on s390 traces, as on the GIC: dump decodes every FLIC group
 * and s390 VM attribute with its kernel name and the struct payloads field by
 * field; the views resolve (`flic.io[3]`, `s390.tod.clock`) for diff and
 * watchpoints; explain walks a FLIC queue's conditions; migrate-check
 * names the floating interrupt a VMM dropped (the bundled example
 * flic-io-interrupt-migration).
 */
import { describe, expect, test } from 'vitest';
import { parsePath } from '../../devices/core/view.js';
import { resolveSessionPath } from '../../devices/core/vm-view.js';
import { DEVICE_MODELS } from '../../devices/registry.js';
import { Session } from '../../recorder/execute.js';
import { describeEvent } from '../../replay/decode.js';
import { explain } from '../../replay/explain.js';
import { migrateCheck } from '../../replay/migrate.js';
import { Timeline } from '../../replay/timeline.js';
import { TraceReader } from '../../traces/reader.js';

const DIR = 'traces/examples/flic-io-interrupt-migration';
const BAD = `${DIR}/flic-migration-bad.devrr`;
const GOOD = `${DIR}/flic-migration-good.devrr`;

function dump(path: string): string[] {
  const r = TraceReader.open(path);
  const s = new Session();
  const out: string[] = [];
  for (const { i: _i, ...ev } of r.events()) {
    out.push(describeEvent(ev as never, s));
    s.execute(ev as never);
  }
  r.close();
  return out;
}

describe('devrr dump names FLIC and s390 VM-fd events', () => {
  test('FLIC groups by kernel name, lengths as records, records and adapter structs decoded; VM-fd groups and attributes by name', () => {
    const text = dump(GOOD).join('\n');
    expect(text).toContain('set_attr dev 0 (kvm-flic) KVM_DEV_FLIC_ENQUEUE len 72 (1 records) data=');
    expect(text).toContain('[I/O ISC 3 schid 0x10002 parm 0xcc0ffee word 0x18000000]');
    expect(text).toContain('[service ext_params 0x7ff000]');
    expect(text).toContain('KVM_DEV_FLIC_GET_ALL_IRQS len 72 (1 records) -> ENOMEM');
    expect(text).toContain('KVM_DEV_FLIC_ADAPTER_REGISTER attr 0 data=0000000003010001 [id 0 isc 3 maskable 1 swap 0 flags 0x1 (suppressible)]');
    expect(text).toContain('KVM_DEV_FLIC_AISM attr 0 data=03000001 [isc 3 mode SINGLE]');
    expect(text).toContain('KVM_DEV_FLIC_AISM_ALL len 2 -> 1000 [simm 0x10 nimm 0x0]');
    expect(text).toContain('KVM_DEV_FLIC_APF_DISABLE_WAIT');
    expect(text).toContain('set_attr vm KVM_S390_VM_TOD KVM_S390_VM_TOD_LOW value=0xd6c0ffee000000');
    expect(text).toContain('get_attr vm KVM_S390_VM_TOD KVM_S390_VM_TOD_EXT -> 000000000000000000d6c0ffee000000 [epoch_idx 0 tod 0xd6c0ffee000000]');
    expect(text).toContain('set_attr vm KVM_S390_VM_MIGRATION KVM_S390_VM_MIGRATION_START');
  });
});

describe('views, watchpoints and explain on FLIC state', () => {
  test('the flic and s390 views resolve queue, AIS, adapter and TOD paths', () => {
    const r = TraceReader.open(GOOD);
    const tl = new Timeline(r);
    tl.seek(13);
    const at = (p: string) => resolveSessionPath(tl.snapshot().vms, DEVICE_MODELS, parsePath(p)!);
    expect(at('flic.io_count')).toBe(1);
    expect(at('flic.io[3][0].schid')).toBe(0x10002);
    expect(at('flic.io[3][0].io_int_parm')).toBe(0x0cc0ffee);
    expect(at('flic.service.sccb')).toBe(0x7ff000);
    expect(at('flic.ais.simm')).toBe(0x10);
    expect(at('flic.adapter[0].suppressible')).toBe(true);
    expect(at('s390.tod.clock')).toBe(0xd6c0ffee000000n);
    expect(at('s390.cpu.facilities')).toEqual(expect.arrayContaining([72, 76, 139]));
    r.close();
  });

  test('a watchpoint on flic.io_count stops at the ENQUEUE that queued the I/O interrupt', () => {
    const r = TraceReader.open(GOOD);
    const tl = new Timeline(r);
    const bp = [{ kind: 'watch', path: 'flic.io_count' }] as const;
    // The field appears when the FLIC is created (event 1), then the ENQUEUE of event 10 changes it.
    expect(tl.runForward(bp)).toMatchObject({ event: 1, before: undefined, after: 0 });
    expect(tl.runForward(bp)).toMatchObject({ event: 10, before: 0, after: 1 });
    r.close();
  });

  test('explain I/O ISC 3: queued and deliverable on the source; on the bad destination nothing is queued, and the event that left it so is named', () => {
    const r = TraceReader.open(BAD);
    const src = explain(r, 3, 17);
    expect(src.deliverableTo).toEqual([0, 1]);
    const dst = explain(r, 3, r.eventCount, 1);
    expect(dst.deliverableTo).toEqual([]);
    const queued = dst.blocking.find((c) => c.name === 'I/O ISC 3 queued')!;
    expect(queued.value).toBe('0 I/O interrupts');
    expect(queued.changedBy[0]!.event).toBe(22);
    r.close();
  });
});

describe('migrate-check on the FLIC (GET_ALL_IRQS -> ENQUEUE, AISM_ALL; the CPU model and TOD on the VM fd)', () => {
  test('the recorded bad migration lost the I/O interrupt and the service signal; devrr\'s own round trips pass on both traces', () => {
    const bad = TraceReader.open(BAD);
    const r = migrateCheck(bad);
    expect(r.failures.map((f) => f.kind)).toEqual(['recorded']);
    const fields = r.failures[0]!.fields.map((f) => f.path);
    expect(fields).toEqual(expect.arrayContaining(['flic.io[3][0]', 'flic.io_count', 'flic.service.pending']));
    expect(r.notCompared.join('\n')).toMatch(/flic.pfault_enabled/);
    expect(r.notCompared.join('\n')).not.toMatch(/flic.adapter/);
    bad.close();
    const good = TraceReader.open(GOOD);
    expect(migrateCheck(good).failures).toEqual([]);
    good.close();
  });
});

describe('interrupt breakpoints on the FLIC follow its interrupts facet', () => {
  const stops = (path: string, irq: number): number[] => {
    const r = TraceReader.open(path);
    const tl = new Timeline(r);
    const out: number[] = [];
    for (let h = tl.runForward([{ kind: 'event', match: { irq } }]); h; h = tl.runForward([{ kind: 'event', match: { irq } }])) out.push(h.event);
    r.close();
    return out;
  };

  test('I/O ISC 3 is raised by the source\'s ENQUEUE and the good destination\'s restore ENQUEUE, never by the bad VMM (enqueue_floating_irq)', () => {
    const good = dump(GOOD);
    expect(stops(GOOD, 3).map((i) => good[i])).toEqual([expect.stringContaining('KVM_DEV_FLIC_ENQUEUE len 72'), expect.stringContaining('[vm 1] set_attr dev 0 (kvm-flic) KVM_DEV_FLIC_ENQUEUE len 144')]);
    expect(stops(BAD, 3)).toEqual([10]);
    // The service signal: queue 10.
    expect(stops(BAD, 10)).toEqual([11]);
  });
});
