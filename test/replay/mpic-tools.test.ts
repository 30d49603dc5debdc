/**
 * The debugger on FSL MPIC traces (arch/powerpc/kvm/mpic.c): the bundled
 * example decodes into the kernel's names (groups, the BASE attribute,
 * registers by their Freescale names with fields, KVM_CAP_IRQ_MPIC), the
 * named view resolves (`mpic.src[3].pending`, `mpic.cpu[0].servicing`),
 * watchpoints and interrupt breakpoints stop where the interrupts facet says
 * (IACK acknowledges, EOI completes the highest-priority source in
 * service), explain names the EOI that left source 1 in service, diff
 * compares two points, and migrate-check runs the MPIC's save list.
 */
import { describe, expect, test } from 'vitest';
import { parsePath } from '../../devices/core/view.js';
import { resolveSessionPath } from '../../devices/core/vm-view.js';
import { DEVICE_MODELS } from '../../devices/registry.js';
import { Session } from '../../recorder/execute.js';
import { describeEvent } from '../../replay/decode.js';
import { diffStates, stateAt } from '../../replay/diff.js';
import { explain } from '../../replay/explain.js';
import { migrateCheck } from '../../replay/migrate.js';
import { Timeline } from '../../replay/timeline.js';
import { TraceReader } from '../../traces/reader.js';

const TRACE = 'traces/examples/mpic-eoi-wrong-source/mpic-eoi-wrong-source.devrr';

function dump(): string[] {
  const r = TraceReader.open(TRACE);
  const s = new Session();
  const out: string[] = [];
  for (const { i: _i, ...ev } of r.events()) {
    out.push(describeEvent(ev as never, s));
    s.execute(ev as never);
  }
  r.close();
  return out;
}

describe('devrr dump names MPIC events', () => {
  test('groups and attributes by their uapi names, registers by name with fields, the capability', () => {
    const text = dump().join('\n');
    expect(text).toContain('create_device KVM_DEV_TYPE_FSL_MPIC_42 -> dev 0');
    expect(text).toContain('KVM_DEV_MPIC_GRP_MISC KVM_DEV_MPIC_BASE_ADDR value=0xfe0040000');
    expect(text).toContain('enable_cap KVM_CAP_IRQ_MPIC vcpu 0');
    expect(text).toContain('mmio vcpu 0 read  FRR @0xfe0041000/4 -> 0xc30002 [NIRQ=0xc3 NCPU=0 VID=2]');
    expect(text).toContain('mmio vcpu 0 write IVPR1 @0xfe0050020/4 <- 0x30031 [PRIORITY=3 VECTOR=0x31]');
    expect(text).toContain('mmio vcpu 0 read  IACK @0xfe00400a0/4 -> 0x31');
    expect(text).toContain('KVM_DEV_MPIC_GRP_IRQ_ACTIVE EXT 3 -> 0x1');
    expect(text).toContain('KVM_DEV_MPIC_GRP_REGISTER IVPR3 -> 0x40020033 [A PRIORITY=2 VECTOR=0x33]');
    expect(text).toContain('irq_line GSI 3 level=1');
  });
});

describe('views, watchpoints, breakpoints, explain, diff and migrate-check on MPIC state', () => {
  test('the mpic view resolves per-source and per-CPU fields', () => {
    const r = TraceReader.open(TRACE);
    const tl = new Timeline(r);
    tl.seek(r.eventCount);
    const vms = tl.snapshot().vms;
    const at = (p: string) => resolveSessionPath(vms, DEVICE_MODELS, parsePath(p)!);
    expect(at('mpic.src[3].pending')).toBe(1);
    expect(at('mpic.src[3].priority')).toBe(2);
    expect(at('mpic.cpu[0].servicing')).toEqual([1]);
    expect(at('mpic.cpu[0].int_out')).toBe(false);
    expect(at('mpic.cpu[0].vcpu')).toBe(0);
    expect(at('mpic.base')).toBe('0xfe0040000');
    r.close();
  });

  test('a watchpoint on mpic.cpu[0].servicing stops at each IACK and EOI that changed it', () => {
    const r = TraceReader.open(TRACE);
    const tl = new Timeline(r);
    const hits: number[] = [];
    for (let h = tl.runForward([{ kind: 'watch', path: 'mpic.cpu[0].servicing' }]); h; h = tl.runForward([{ kind: 'watch', path: 'mpic.cpu[0].servicing' }])) hits.push(h.event);
    expect(hits).toEqual([2, 15, 16, 19, 22, 24]); // 2: the MPIC (and the path) comes into being
    r.close();
  });

  test('interrupt breakpoints: source 2 is raised and lowered by its line, acknowledged by IACK, and completed by the EOI the net handler wrote', () => {
    const r = TraceReader.open(TRACE);
    const tl = new Timeline(r);
    const out: number[] = [];
    for (let h = tl.runForward([{ kind: 'event', match: { irq: 2 } }]); h; h = tl.runForward([{ kind: 'event', match: { irq: 2 } }])) out.push(h.event);
    expect(out).toEqual([20, 21, 22, 24]);
    r.close();
  });

  test('explain the tick (source 3): hidden by source 1 in service, and the EOI at event 24 is what left it there', () => {
    const r = TraceReader.open(TRACE);
    const e = explain(r, 3);
    expect(e.deliverableTo).toEqual([]);
    const hidden = e.blocking.find((c) => c.name.startsWith('not hidden'))!;
    expect(hidden.value).toBe('in service: EXT 1 priority 3');
    expect(hidden.changedBy[0]!.event).toBe(24);
    r.close();
  });

  test('diff between two points names MPIC fields', () => {
    const r = TraceReader.open(TRACE);
    const d = diffStates(stateAt(r, 19), stateAt(r, 23)).map((x) => x.path);
    expect(d).toContain('mpic.cpu[0].servicing[1]');
    r.close();
  });

  test('migrate-check runs the MPIC save list and restore order at every checkpoint: the servicing queue is reported as not carried', () => {
    const r = TraceReader.open(TRACE);
    const m = migrateCheck(r, 4);
    expect(m.failures).toEqual([]);
    expect(m.checks).toBeGreaterThan(3);
    expect(m.notCompared.join('\n')).toContain('the servicing queue');
    r.close();
  });
});
