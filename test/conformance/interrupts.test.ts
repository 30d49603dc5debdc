/**
 * Conformance: the GIC's interrupts facet (DeviceModel.inspect.interrupts):
 * which events raise, acknowledge, complete and deactivate which INTID, and
 * the INTID ranges, on events built by hand and on the bundled example
 * traces (each event given to every device's facet with the state before
 * it, the way the debugger will).
 */
import { describe, expect, test } from 'vitest';
import { vgicIts } from '../../devices/arm-vgic/its/device.js';
import { vgicV2 } from '../../devices/arm-vgic/v2/device.js';
import { vgicV3 } from '../../devices/arm-vgic/v3/device.js';
import type { InterruptEffect, InterruptEvent, InterruptFacet } from '../../devices/core/device.js';
import { ICC_SYSREG } from '../../devices/core/uapi.js';
import { Vm } from '../../devices/core/vm.js';
import { DEVICE_MODELS } from '../../devices/registry.js';
import { stateBefore } from '../../replay/engine.js';
import type { TraceEvent } from '../../traces/events.js';
import { TraceReader } from '../../traces/reader.js';

const v2 = vgicV2.inspect!.interrupts!;
const v3 = vgicV3.inspect!.interrupts!;
const its = vgicIts.inspect!.interrupts!;
const SPI = (n: number) => (1 << 24) | n;
const PPI = (n: number, vcpu: number) => (2 << 24) | (vcpu << 16) | n;
/** The GICv2 CPU interface frame kind (v2/frames.ts). */
const GICC = 1;
const none = undefined as never;

const line = (irq: number, level: number, errno = 0): InterruptEvent => ({ kind: 'irq_line', irq, level, errno });
const gicc = (write: boolean, offset: number, value: number, vcpu = 0): InterruptEvent => ({ kind: 'mmio', vcpu, write, frame: GICC, offset, len: 4, value: BigInt(value), errno: 0 });
const icc = (write: boolean, reg: number, value: number, vcpu = 0): InterruptEvent => ({ kind: 'sysreg', vcpu, write, reg, value: BigInt(value), errno: 0 });
const effects = (f: InterruptFacet<unknown>, ev: InterruptEvent) => f.effects(none, none, ev);

describe('the interrupt numbers (IHI 0069 2.2: SGI 0-15, PPI 16-31, SPI 32-1019, LPI from 8192)', () => {
  test('GICv2: SGIs, PPIs and SPIs up to 1019; GICv3 adds the LPIs from 8192 to 65535 (INTERRUPT_ID_BITS_ITS = 16)', () => {
    expect(v2.ranges).toEqual([
      { name: 'SGI', first: 0, last: 15 },
      { name: 'PPI', first: 16, last: 31 },
      { name: 'SPI', first: 32, last: 1019 },
    ]);
    expect(v3.ranges.at(-1)).toEqual({ name: 'LPI', first: 8192, last: 65535 });
    expect(its.ranges).toEqual([]);
  });

  test('names: SGI 3, PPI 27, SPI 42, LPI 8192; 1020-1023 are special, not interrupts', () => {
    expect([3, 27, 42, 8192, 1023].map((n) => v3.name!(n))).toEqual(['SGI 3', 'PPI 27', 'SPI 42', 'LPI 8192', 'INTID 1023 (special)']);
  });
});

describe('KVM_IRQ_LINE raises and lowers the decoded INTID (kvm_vm_ioctl_irq_line -> kvm_vgic_inject_irq)', () => {
  test('an SPI line: level 1 raises it, level 0 lowers it', () => {
    expect(effects(v2, line(SPI(42), 1))).toEqual([{ action: 'raise', irq: 42 }]);
    expect(effects(v3, line(SPI(42), 0))).toEqual([{ action: 'lower', irq: 42 }]);
  });

  test("a PPI line names its vcpu; an LPI given as an SPI number (vgic_get_irq) is raised too", () => {
    expect(effects(v2, line(PPI(27, 1), 1))).toEqual([{ action: 'raise', irq: 27, vcpu: 1 }]);
    expect(effects(v3, line(SPI(8192), 1))).toEqual([{ action: 'raise', irq: 8192 }]);
  });

  test('a refused line (an errno) or a CPU line (not a GIC interrupt) does nothing', () => {
    expect(effects(v2, line(SPI(42), 1, 22))).toEqual([]);
    expect(effects(v2, line(0, 1))).toEqual([]);
  });
});

describe('GICv2: the guest CPU interface (IHI 0048B 4.4)', () => {
  test('a read of GICC_IAR or GICC_AIAR acknowledges the INTID it returned (InterruptID, bits 9:0; CPUID ignored)', () => {
    expect(effects(v2, gicc(false, 0x0c, (1 << 10) | 40, 2))).toEqual([{ action: 'acknowledge', irq: 40, vcpu: 2 }]);
    expect(effects(v2, gicc(false, 0x20, 33))).toEqual([{ action: 'acknowledge', irq: 33, vcpu: 0 }]);
  });

  test('writes of GICC_EOIR and GICC_AEOIR complete the INTID written; GICC_DIR deactivates it', () => {
    expect(effects(v2, gicc(true, 0x10, 40))).toEqual([{ action: 'complete', irq: 40, vcpu: 0 }]);
    expect(effects(v2, gicc(true, 0x24, 41))).toEqual([{ action: 'complete', irq: 41, vcpu: 0 }]);
    expect(effects(v2, gicc(true, 0x1000, 40))).toEqual([{ action: 'deactivate', irq: 40, vcpu: 0 }]);
  });

  test('no effect: IAR returning 1023 (spurious), a write of GICC_IAR, a read of GICC_EOIR, GICC_PMR, the distributor frame', () => {
    expect(effects(v2, gicc(false, 0x0c, 1023))).toEqual([]);
    expect(effects(v2, gicc(true, 0x0c, 40))).toEqual([]);
    expect(effects(v2, gicc(false, 0x10, 40))).toEqual([]);
    expect(effects(v2, gicc(true, 0x04, 0xf0))).toEqual([]);
    expect(effects(v2, { ...(gicc(false, 0x0c, 40) as Extract<InterruptEvent, { kind: 'mmio' }>), frame: 0 })).toEqual([]);
  });
});

describe('GICv2: GICD_SGIR raises an SGI on each vcpu it targets (vgic_mmio_write_sgir, vgic-mmio-v2.c)', () => {
  // Three vcpus with ids 0, 5, 2 (indexes 0, 1, 2): the target list names indexes, effects name ids.
  const vm = { vcpus: [{ id: 0 }, { id: 5 }, { id: 2 }] } as never;
  const sgir = (value: number, vcpu = 0, errno = 0): InterruptEvent => ({ kind: 'mmio', vcpu, write: true, frame: 0, offset: 0xf00, len: 4, value: BigInt(value), errno });
  const fx = (ev: InterruptEvent) => v2.effects(vm, none, ev);

  test('TargetListFilter 0: the CPUTargetList bits, by vcpu index', () => {
    expect(fx(sgir((0b110 << 16) | 3))).toEqual([{ action: 'raise', irq: 3, vcpu: 5 }, { action: 'raise', irq: 3, vcpu: 2 }]);
  });

  test('TargetListFilter 1: every vcpu but the sender; 2: the sender only; 3: reserved, nothing', () => {
    expect(fx(sgir((1 << 24) | 7, 0))).toEqual([{ action: 'raise', irq: 7, vcpu: 5 }, { action: 'raise', irq: 7, vcpu: 2 }]);
    expect(fx(sgir((2 << 24) | 7, 0))).toEqual([{ action: 'raise', irq: 7, vcpu: 0 }]);
    expect(fx(sgir((3 << 24) | (0xff << 16) | 7, 0))).toEqual([]);
  });

  test('target bits past the last vcpu are ignored; a failed access or a read raises nothing', () => {
    expect(fx(sgir((0xf8 << 16) | 1))).toEqual([]);
    expect(fx(sgir((1 << 16) | 1, 0, 22))).toEqual([]);
    expect(fx({ ...(sgir((1 << 16) | 1) as Extract<InterruptEvent, { kind: 'mmio' }>), write: false })).toEqual([]);
  });
});

describe('GICv3: ICC_SGI*R_EL1 raises its SGI on each target the register may signal (vgic_v3_dispatch_sgi, vgic-mmio-v3.c)', () => {
  const vm = { vcpus: [{ id: 0 }, { id: 1 }, { id: 2 }] } as never;
  // SGI 3 is group 1 on every vcpu (the group bit set), SGI 4 group 0.
  const s = { cpus: [0, 1, 2].map(() => ({ priv: { group: [1 << 3] } })) } as never;
  const fx = (reg: number, value: bigint, vcpu = 0) => v3.effects(vm, s, { kind: 'sysreg', vcpu, write: true, reg, value, errno: 0 });

  test('the target list (Aff0 bits) with Aff1-3 picks vcpus by affinity; IRM sends to all but the sender', () => {
    expect(fx(ICC_SYSREG.ICC_SGI1R_EL1, (3n << 24n) | 0b110n)).toEqual([{ action: 'raise', irq: 3, vcpu: 1 }, { action: 'raise', irq: 3, vcpu: 2 }]);
    expect(fx(ICC_SYSREG.ICC_SGI1R_EL1, (1n << 40n) | (3n << 24n), 1)).toEqual([{ action: 'raise', irq: 3, vcpu: 0 }, { action: 'raise', irq: 3, vcpu: 2 }]);
    // Aff1 = 1 names no vcpu here.
    expect(fx(ICC_SYSREG.ICC_SGI1R_EL1, (3n << 24n) | (1n << 16n) | 1n)).toEqual([]);
  });

  test('ICC_SGI0R_EL1 does not make a group 1 SGI pending; it does a group 0 one', () => {
    expect(fx(ICC_SYSREG.ICC_SGI0R_EL1, (3n << 24n) | 0b10n)).toEqual([]);
    expect(fx(ICC_SYSREG.ICC_SGI0R_EL1, (4n << 24n) | 0b10n)).toEqual([{ action: 'raise', irq: 4, vcpu: 1 }]);
  });
});

describe('GICv3: the ICC system registers (IHI 0069 12.2)', () => {
  test('a read of ICC_IAR0_EL1 or ICC_IAR1_EL1 acknowledges the INTID it returned (bits 23:0), LPIs included', () => {
    expect(effects(v3, icc(false, ICC_SYSREG.ICC_IAR1_EL1, 8192, 1))).toEqual([{ action: 'acknowledge', irq: 8192, vcpu: 1 }]);
    expect(effects(v3, icc(false, ICC_SYSREG.ICC_IAR0_EL1, 40))).toEqual([{ action: 'acknowledge', irq: 40, vcpu: 0 }]);
  });

  test('writes of ICC_EOIR0_EL1 and ICC_EOIR1_EL1 complete; ICC_DIR_EL1 deactivates', () => {
    expect(effects(v3, icc(true, ICC_SYSREG.ICC_EOIR1_EL1, 8192))).toEqual([{ action: 'complete', irq: 8192, vcpu: 0 }]);
    expect(effects(v3, icc(true, ICC_SYSREG.ICC_EOIR0_EL1, 40))).toEqual([{ action: 'complete', irq: 40, vcpu: 0 }]);
    expect(effects(v3, icc(true, ICC_SYSREG.ICC_DIR_EL1, 40))).toEqual([{ action: 'deactivate', irq: 40, vcpu: 0 }]);
  });

  test('no effect: ICC_IAR1_EL1 returning 1023, ICC_PMR_EL1, a GICv2 CPU-interface access', () => {
    expect(effects(v3, icc(false, ICC_SYSREG.ICC_IAR1_EL1, 1023))).toEqual([]);
    expect(effects(v3, icc(true, ICC_SYSREG.ICC_PMR_EL1, 0xf0))).toEqual([]);
    expect(effects(v3, gicc(false, 0x0c, 40))).toEqual([]);
  });
});

/** What the debugger will do: the event as the facet reads it, given to the device it concerns. */
function interruptEventOf(ev: TraceEvent, vm: Vm): { event: InterruptEvent; handles: number[] } | undefined {
  const all = vm.state.devices.map((_, h) => h);
  switch (ev.kind) {
    case 'irq_line':
      return { event: { kind: 'irq_line', irq: ev.irq, level: ev.level, errno: ev.errno }, handles: all };
    case 'sysreg':
      return { event: { kind: 'sysreg', vcpu: ev.vcpu, write: ev.write, reg: ev.reg, value: ev.value, errno: ev.errno }, handles: all };
    case 'signal_msi':
      return { event: { kind: 'signal_msi', address: ev.address, data: ev.data, devid: ev.devid, errno: ev.errno, ret: ev.ret }, handles: all };
    case 'mmio': {
      const f = ev.exit ? undefined : vm.frameAt(ev.addr, ev.len);
      if (!f) return undefined;
      return { event: { kind: 'mmio', vcpu: ev.vcpu, write: ev.write, frame: f.frame.kind, offset: f.offset, len: ev.len, value: ev.value, errno: ev.errno }, handles: [f.handle] };
    }
    default:
      return undefined;
  }
}

/** Every effect in an example trace, by event index. */
function effectsOfTrace(path: string): [number, InterruptEffect[]][] {
  const t = TraceReader.open(path);
  const out: [number, InterruptEffect[]][] = [];
  let i = 0;
  for (const ev of t.events()) {
    const st = ev.kind === 'create_vm' ? undefined : stateBefore(t, i).vms[ev.vm];
    const vm = st && new Vm(DEVICE_MODELS, st.arch, st.ipaBits);
    vm?.restore(st!);
    const e = vm && interruptEventOf(ev, vm);
    const found = e?.handles.flatMap((h) => vm!.modelOf(h).inspect?.interrupts?.effects(vm!.state, vm!.state.devices[h]!.state, e.event) ?? []) ?? [];
    if (found.length) out.push([i, found]);
    i++;
  }
  t.close();
  return out;
}

describe('on the bundled examples', () => {
  test('vgic-v2-eoi-out-of-order: each raised SPI, each GICC_IAR that took one, each GICC_EOIR, in order; the spurious read (event 25) does nothing', () => {
    const got = effectsOfTrace('traces/examples/vgic-v2-eoi-out-of-order/vgic-v2-eoi-out-of-order.devrr');
    expect(got.filter(([i]) => i >= 15 && i <= 30)).toEqual([
      [15, [{ action: 'raise', irq: 33 }]],
      [16, [{ action: 'acknowledge', irq: 33, vcpu: 0 }]],
      [18, [{ action: 'raise', irq: 34 }]],
      [19, [{ action: 'acknowledge', irq: 34, vcpu: 0 }]],
      [21, [{ action: 'complete', irq: 33, vcpu: 0 }]],
      [24, [{ action: 'raise', irq: 36 }]],
      [27, [{ action: 'complete', irq: 34, vcpu: 0 }]],
      [29, [{ action: 'acknowledge', irq: 36, vcpu: 0 }]],
      [30, [{ action: 'complete', irq: 36, vcpu: 0 }]],
    ]);
  });

  test('vgic-v3-its-msi: KVM_SIGNAL_MSI through the ITS raises the translated LPI on its collection\'s vcpu when delivered (vgic_its_trigger_msi); EBUSY and blocked MSIs raise nothing; ICC_IAR1_EL1 and ICC_EOIR1_EL1 take and end LPI 8192', () => {
    const got = new Map(effectsOfTrace('traces/examples/vgic-v3-its-msi/vgic-v3-its-msi.devrr'));
    expect(got.get(8)).toBeUndefined(); // EBUSY: the ITS was not enabled
    expect(got.get(30)).toEqual([{ action: 'raise', irq: 8192, vcpu: 1 }]);
    expect(got.get(31)).toBeUndefined(); // vcpu 0 reads 1023
    expect(got.get(32)).toEqual([{ action: 'acknowledge', irq: 8192, vcpu: 1 }]);
    expect(got.get(34)).toEqual([{ action: 'complete', irq: 8192, vcpu: 1 }]);
    expect(got.get(35)).toBeUndefined(); // blocked: event 4 not mapped
    expect(got.get(36)).toBeUndefined();
    expect(got.get(40)).toEqual([{ action: 'raise', irq: 8193, vcpu: 1 }]);
    expect(got.get(51)).toBeUndefined(); // EBUSY: LPIs off at the target
  });
});
