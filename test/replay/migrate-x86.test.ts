/**
 * The x86 irqchip's save list and restore order (devices/x86-irqchip/migration.ts)
 * carried out the way a VMM does it, through the Vm's ioctls (KVM_GET_IRQCHIP
 * per chip and KVM_GET_LAPIC per vcpu on the source; KVM_CREATE_IRQCHIP, the
 * vcpus, then KVM_SET_IRQCHIP and KVM_SET_LAPIC in the declared order on the
 * destination): the views agree except where the model says the ABI does not
 * carry state, and both VMs then answer the same events the same way.
 */
import { describe, expect, test } from 'vitest';
import type { SavedAttr, SavedValue } from '../../devices/core/device.js';
import { diffState } from '../../devices/core/state.js';
import type { Vm } from '../../devices/core/vm.js';
import { createVm } from '../../devices/registry.js';
import { x86Irqchip } from '../../devices/x86-irqchip/device.js';
import { fieldCovers } from '../../replay/migrate.js';

const APIC_BASE = 0xfee00000;
const IOAPIC = 0xfec00000;
const chip = (vm: Vm) => vm.state.devices[vm.state.irqchip]!.state as never;
const mig = x86Irqchip.inspect!.migration!;
const view = (vm: Vm) => x86Irqchip.inspect!.view!.build(vm.state, chip(vm));

/** A source with something in every part: both 8259s programmed with requests and one in service, a level IOAPIC pin waiting for its EOI, APIC IRR/ISR/TMR on two vcpus. */
function busySource(): Vm {
  const vm = createVm('x86_64');
  vm.createIrqchip();
  vm.createVcpu(0);
  vm.createVcpu(1);
  for (const [p, v] of [[0x20, 0x11], [0xa0, 0x11], [0x21, 0x20], [0xa1, 0x28], [0x21, 0x04], [0xa1, 0x02], [0x21, 0x01], [0xa1, 0x01], [0x21, 0xe9], [0xa1, 0xfb], [0x4d1, 0x04]] as const) vm.pio(0, true, p, 1, BigInt(v));
  vm.irqLine(4, 1);
  vm.irqLine(10, 1);
  expect(vm.takeInterrupt(0).vector).toBe(0x2a);
  for (const id of [0, 1]) vm.mmio(id, true, APIC_BASE + 0xf0, 4, 0x1ffn);
  // IOAPIC pin 17: level, vector 0x51, to APIC 1.
  vm.mmio(0, true, IOAPIC, 4, 0x32n);
  vm.mmio(0, true, IOAPIC + 0x10, 4, 0x8051n);
  vm.mmio(0, true, IOAPIC, 4, 0x33n);
  vm.mmio(0, true, IOAPIC + 0x10, 4, 0x01000000n);
  vm.irqLine(17, 1);
  vm.signalMsi({ address: 0xfee00000n, data: 0x61, flags: 0, devid: 0 });
  vm.signalMsi({ address: 0xfee01000n, data: 0x33, flags: 0, devid: 0 });
  expect(vm.takeInterrupt(1).vector).toBe(0x51);
  return vm;
}

/** The VMM's migration: the save list read with GET ioctls, a fresh VM, the restore writes with SET ioctls in the declared order. */
function migrate(src: Vm): { dest: Vm; errors: string[] } {
  const errors: string[] = [];
  const saved: (SavedAttr & SavedValue)[] = mig.saveList(src.state, chip(src)).map((a) => {
    const r = a.ioctl === 'irqchip' ? src.getIrqchip(Number(a.attr)) : src.getLapic(Number(a.attr));
    if (r.errno) errors.push(`save ${a.name}: ${r.errno}`);
    return { ...a, value: 0n, data: r.data };
  });
  const dest = createVm('x86_64');
  if (dest.createIrqchip()) errors.push('KVM_CREATE_IRQCHIP');
  for (const v of src.state.vcpus) dest.createVcpu(v.id);
  const plan = mig.restore(saved, new Map());
  for (const w of plan.writes) {
    const e = w.ioctl === 'irqchip' ? dest.setIrqchip(Number(w.attr), w.data!) : dest.setLapic(Number(w.attr), w.data!);
    if (e) errors.push(`restore ${w.name}: ${e}`);
  }
  expect(plan.redrive).toEqual([]);
  return { dest, errors };
}

const uncovered = (a: Vm, b: Vm) => diffState(view(a), view(b)).filter((f) => !mig.notCarried.some((n) => n.fields.some((p) => fieldCovers(p.replace(/^irqchip\./, ''), f.path))));

describe('migrating the x86 irqchip through KVM_GET/SET_IRQCHIP and KVM_GET/SET_LAPIC', () => {
  test('the save list is the three chips (KVM_IRQCHIP_PIC_MASTER, _SLAVE, _IOAPIC) then one LAPIC per vcpu; the restore writes the chips first', () => {
    const src = busySource();
    const list = mig.saveList(src.state, chip(src));
    expect(list.map((a) => [a.ioctl, Number(a.attr)])).toEqual([['irqchip', 0], ['irqchip', 1], ['irqchip', 2], ['lapic', 0], ['lapic', 1]]);
    const plan = mig.restore(list.reverse().map((a) => ({ ...a, value: 0n, data: new Uint8Array(0) })), new Map());
    expect(plan.writes.map((w) => `${w.ioctl}${w.attr}`)).toEqual(['irqchip0', 'irqchip1', 'irqchip2', 'lapic1', 'lapic0']);
    expect(plan.writes.every((w) => w.why.length > 20)).toBe(true);
  });

  test('the destination\'s view equals the source\'s but for what the ABI does not carry (pic_output, irr_delivered, irq_eoi: kvm_vm_ioctl_set_irqchip, kvm_set_ioapic, kvm_apic_set_state in x86.c, ioapic.c, lapic.c)', () => {
    const src = busySource();
    const { dest, errors } = migrate(src);
    expect(errors).toEqual([]);
    expect(uncovered(src, dest)).toEqual([]);
  });

  test('the comparison can fail: without the LAPIC writes the destination misses IRR, ISR and SPIV', () => {
    const src = busySource();
    const dest = createVm('x86_64');
    dest.createIrqchip();
    dest.createVcpu(0);
    dest.createVcpu(1);
    for (const c of [0, 1, 2]) dest.setIrqchip(c, src.getIrqchip(c).data);
    expect(uncovered(src, dest).map((f) => f.path)).toEqual(expect.arrayContaining(['lapic[0].svr', 'lapic[1].isr[0]', 'lapic[1].irr[0]']));
  });

  test('after the migration both VMs answer the guest the same way: EOIs, interrupts taken, line changes (kvm_ioapic_update_eoi, kvm_cpu_get_interrupt, kvm_set_irq)', () => {
    const src = busySource();
    const { dest } = migrate(src);
    const script = (vm: Vm) => [
      vm.mmio(1, true, APIC_BASE + 0xb0, 4, 0n).exit,
      vm.takeInterrupt(1).vector,
      vm.irqLineStatus(17, 0).status,
      vm.takeInterrupt(0).vector,
      vm.pio(0, true, 0xa0, 1, 0x20n).exit,
      vm.pio(0, true, 0x20, 1, 0x20n).exit,
      vm.takeInterrupt(0).vector,
      vm.irqLineStatus(10, 0).status,
      vm.irqLineStatus(10, 1).status,
      vm.takeInterrupt(0).vector,
      Number(vm.pio(0, false, 0x4d1, 1, 0n).value),
    ];
    expect(script(dest)).toEqual(script(src));
    expect(uncovered(src, dest)).toEqual([]);
  });
});
