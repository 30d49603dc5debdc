/**
 * Conformance of the x86 in-kernel irqchip (devices/x86-irqchip/): one test
 * per kernel rule, named after its function and file: the uapi layouts
 * (arch/x86/include/uapi/asm/kvm.h), the 8259s (arch/x86/kvm/i8259.c), the
 * IOAPIC (arch/x86/kvm/ioapic.c), the local APIC's acceptance
 * (arch/x86/kvm/lapic.c), the default routing and MSI (arch/x86/kvm/irq.c,
 * virt/kvm/irqchip.c) and the ioctls (arch/x86/kvm/x86.c).
 */
import { describe, expect, test } from 'vitest';
import type { InterruptEvent } from '../../devices/core/device.js';
import { ERRNO } from '../../devices/core/uapi.js';
import type { Vm } from '../../devices/core/vm.js';
import { createVm } from '../../devices/registry.js';
import { x86Irqchip } from '../../devices/x86-irqchip/device.js';
import { APIC } from '../../devices/x86-irqchip/lapic.js';
import { PIC_FIELDS, type X86IrqchipState } from '../../devices/x86-irqchip/state.js';
import { IOAPIC_OFFSETS, KVM_IOAPIC_STATE_SIZE, KVM_IRQCHIP_SIZE, KVM_IRQCHIP_UNION, KVM_IRQCHIP_UNION_OFFSET, KVM_LAPIC_STATE_SIZE, KVM_PIC_STATE_SIZE, PIC_OFFSETS, REDIR } from '../../devices/x86-irqchip/structs.js';
import { decodeIoapic, decodeLapic, decodePic } from './x86-capture.js';

const IOAPIC_BASE = 0xfec00000;
const APIC_BASE = 0xfee00000;

/** A VM with the in-kernel irqchip and `n` vcpus (ids 0..n-1). */
function chipVm(n = 1): Vm {
  const vm = createVm('x86_64');
  expect(vm.createIrqchip()).toBe(0);
  for (let i = 0; i < n; i++) expect(vm.createVcpu(i)).toBe(0);
  return vm;
}
const state = (vm: Vm) => vm.state.devices[vm.state.irqchip]!.state as X86IrqchipState;
const out = (vm: Vm, port: number, value: number, vcpu = 0) => vm.pio(vcpu, true, port, 1, BigInt(value));
const inb = (vm: Vm, port: number) => Number(vm.pio(0, false, port, 1, 0n).value);
const pic = (vm: Vm, chip: 0 | 1) => decodePic(vm.getIrqchip(chip).data);
const ioapic = (vm: Vm) => decodeIoapic(vm.getIrqchip(2).data) as { irr: string; ioregsel: number; id: number; base_address: string; redirtbl: Record<string, number | string>[] };
const lapic = (vm: Vm, id = 0) => decodeLapic(vm.getLapic(id).data) as Record<string, any>;
const status = (vm: Vm, gsi: number, level: number) => vm.irqLineStatus(gsi, level).status;

/** The guest programs both 8259s as the capture's guest does: vectors 0x20/0x28, cascade on IR2, 8086 mode; then the masks. */
function initPics(vm: Vm, masterImr: number, slaveImr: number, icw4 = 0x01): void {
  for (const [port, v] of [[0x20, 0x11], [0xa0, 0x11], [0x21, 0x20], [0xa1, 0x28], [0x21, 0x04], [0xa1, 0x02], [0x21, icw4], [0xa1, icw4], [0x21, masterImr], [0xa1, slaveImr]] as const) out(vm, port, v);
}

/** IOAPIC redirection entry `pin` written through IOREGSEL/IOWIN as a guest does (low half, then high half). */
function redir(vm: Vm, pin: number, lo: number, hi = 0): void {
  vm.mmio(0, true, IOAPIC_BASE, 4, BigInt(0x10 + 2 * pin));
  vm.mmio(0, true, IOAPIC_BASE + 0x10, 4, BigInt(lo >>> 0));
  vm.mmio(0, true, IOAPIC_BASE, 4, BigInt(0x11 + 2 * pin));
  vm.mmio(0, true, IOAPIC_BASE + 0x10, 4, BigInt(hi >>> 0));
}
const ioread = (vm: Vm, sel: number) => {
  vm.mmio(0, true, IOAPIC_BASE, 4, BigInt(sel));
  return Number(vm.mmio(0, false, IOAPIC_BASE + 0x10, 4, 0n).value);
};

/** SVR write through the APIC page: the guest software-enables its local APIC. */
function enableApic(vm: Vm, id = 0): void {
  vm.mmio(id, true, APIC_BASE + APIC.SPIV, 4, 0x1ffn);
}
const eoi = (vm: Vm, id = 0) => vm.mmio(id, true, APIC_BASE + APIC.EOI, 4, 0n);

describe('uapi layouts (arch/x86/include/uapi/asm/kvm.h)', () => {
  test('struct kvm_irqchip is 520 bytes: chip_id, pad, a 512-byte union at offset 8', () => {
    expect([KVM_IRQCHIP_SIZE, KVM_IRQCHIP_UNION, KVM_IRQCHIP_UNION_OFFSET]).toEqual([520, 512, 8]);
  });

  test('struct kvm_pic_state: 16 __u8 fields in uapi order, last_irr at 0 to elcr_mask at 15', () => {
    expect(KVM_PIC_STATE_SIZE).toBe(16);
    expect(PIC_FIELDS).toEqual(['last_irr', 'irr', 'imr', 'isr', 'priority_add', 'irq_base', 'read_reg_select', 'poll', 'special_mask', 'init_state', 'auto_eoi', 'rotate_on_auto_eoi', 'special_fully_nested_mode', 'init4', 'elcr', 'elcr_mask']);
    expect(PIC_OFFSETS.last_irr).toBe(0);
    expect(PIC_OFFSETS.imr).toBe(2);
    expect(PIC_OFFSETS.elcr_mask).toBe(15);
  });

  test('struct kvm_ioapic_state: __u64 base_address, __u32 ioregsel, id, irr, pad, then 24 __u64 redirtbl: 216 bytes', () => {
    expect(IOAPIC_OFFSETS).toEqual({ base_address: 0, ioregsel: 8, id: 12, irr: 16, pad: 20, redirtbl: 24 });
    expect(KVM_IOAPIC_STATE_SIZE).toBe(24 + 24 * 8);
    expect(createVm('x86_64').createIrqchip()).toBe(0);
  });

  test('union kvm_ioapic_redirect_entry: vector 7:0, delivery_mode 10:8, dest_mode 11, delivery_status 12, polarity 13, remote_irr 14, trig_mode 15, mask 16, reserve 23:17, reserved[4] 55:24, dest_id 63:56', () => {
    expect(REDIR).toEqual({
      vector: [0, 8],
      delivery_mode: [8, 3],
      dest_mode: [11, 1],
      delivery_status: [12, 1],
      polarity: [13, 1],
      remote_irr: [14, 1],
      trig_mode: [15, 1],
      mask: [16, 1],
      reserve: [17, 7],
      reserved: [24, 32],
      dest_id: [56, 8],
    });
  });

  test('struct kvm_lapic_state is the 1024-byte register page (KVM_APIC_REG_SIZE), registers at the apicdef.h offsets', () => {
    expect(KVM_LAPIC_STATE_SIZE).toBe(0x400);
    expect(chipVm().getLapic(0).data.length).toBe(0x400);
    expect([APIC.ID, APIC.LVR, APIC.TASKPRI, APIC.PROCPRI, APIC.EOI, APIC.LDR, APIC.DFR, APIC.SPIV, APIC.ISR, APIC.TMR, APIC.IRR, APIC.ICR, APIC.LVT0, APIC.TMICT, APIC.TDCR]).toEqual([
      0x20, 0x30, 0x80, 0xa0, 0xb0, 0xd0, 0xe0, 0xf0, 0x100, 0x180, 0x200, 0x300, 0x350, 0x380, 0x3e0,
    ]);
  });
});

describe('the ioctls (arch/x86/kvm/x86.c)', () => {
  test('KVM_GET/SET_IRQCHIP without an in-kernel irqchip: ENXIO (kvm_arch_vm_ioctl: !irqchip_kernel)', () => {
    const vm = createVm('x86_64');
    expect(vm.getIrqchip(0).errno).toBe(ERRNO.ENXIO);
    expect(vm.setIrqchip(2, new Uint8Array(216))).toBe(ERRNO.ENXIO);
  });

  test('an unknown chip id is EINVAL for GET and SET (kvm_vm_ioctl_get_irqchip / kvm_vm_ioctl_set_irqchip default case)', () => {
    const vm = chipVm();
    expect(vm.getIrqchip(3).errno).toBe(ERRNO.EINVAL);
    expect(vm.setIrqchip(3, new Uint8Array(16))).toBe(ERRNO.EINVAL);
  });

  test('KVM_GET/SET_IRQCHIP and KVM_GET/SET_LAPIC are x86 ioctls: other arches answer with their kvm_arch_vm_ioctl / kvm_arch_vcpu_ioctl default', () => {
    const arm = createVm('arm64');
    arm.createVcpu(0);
    expect(arm.getIrqchip(0).errno).toBe(ERRNO.EINVAL);
    expect(arm.getLapic(0).errno).toBe(ERRNO.EINVAL);
    const ppc = createVm('ppc64');
    ppc.createVcpu(0);
    expect(ppc.setIrqchip(0, new Uint8Array(16))).toBe(ERRNO.ENOTTY);
    expect(createVm('s390x').getIrqchip(0).errno).toBe(ERRNO.ENOTTY);
  });

  test('KVM_GET_LAPIC: EBADF for no such vcpu; EINVAL for a vcpu made without the irqchip (kvm_arch_vcpu_ioctl: !lapic_in_kernel)', () => {
    const vm = chipVm();
    expect(vm.getLapic(5).errno).toBe(ERRNO.EBADF);
    const plain = createVm('x86_64');
    plain.createVcpu(0);
    expect(plain.getLapic(0).errno).toBe(ERRNO.EINVAL);
    expect(plain.setLapic(0, new Uint8Array(1024))).toBe(ERRNO.EINVAL);
  });

  test('KVM_IRQ_LINE_STATUS writes kvm_set_irq\'s status back; KVM_IRQ_LINE answers 0 whatever the status (kvm_vm_ioctl_irq_line)', () => {
    const vm = chipVm();
    expect(vm.irqLine(30, 1)).toBe(0);
    expect(vm.irqLineStatus(30, 1)).toEqual({ errno: 0, status: -1 });
  });

  test('KVM_CREATE_IRQCHIP: EEXIST for a second, EINVAL once a vcpu exists (kvm_arch_vm_ioctl)', () => {
    const vm = chipVm();
    expect(vm.createIrqchip()).toBe(ERRNO.EEXIST);
    const late = createVm('x86_64');
    late.createVcpu(0);
    expect(late.createIrqchip()).toBe(ERRNO.EINVAL);
  });
});

describe('default routing (kvm_setup_default_irq_routing, irq.c; kvm_set_irq, virt/kvm/irqchip.c)', () => {
  test('GSI 0-15 drive the PIC and the IOAPIC, 16-23 the IOAPIC only, 24 and up nothing (status -1)', () => {
    const vm = chipVm();
    vm.irqLine(3, 1);
    vm.irqLine(18, 1);
    expect(pic(vm, 0).irr).toBe(0x08);
    expect(ioapic(vm).irr).toBe('0x00040008');
    vm.irqLine(11, 1);
    expect(pic(vm, 1).irr).toBe(0x08);
    expect(status(vm, 24, 1)).toBe(-1);
  });

  test('the status is the sum of the chips that answered non-negative: an edge PIC pin and a masked IOAPIC pin give 1, the low edge 1 + 1 = 2, a coalesced edge 0', () => {
    const vm = chipVm();
    expect(status(vm, 5, 1)).toBe(1);
    expect(status(vm, 5, 0)).toBe(2);
    expect(status(vm, 5, 1)).toBe(0);
  });

  test('a pin masked in the 8259 and the IOAPIC answers -1 from both: the status is -1 (pic_set_irq1, ioapic_service)', () => {
    const vm = chipVm();
    out(vm, 0x21, 0xff);
    expect(status(vm, 6, 1)).toBe(-1);
  });
});

describe('the 8259 (arch/x86/kvm/i8259.c)', () => {
  test('kvm_pic_init: both chips zero, elcr_mask 0xf8 on the master and 0xde on the slave', () => {
    const vm = chipVm();
    expect(vm.getIrqchip(0).data).toEqual(Uint8Array.from([...new Array(15).fill(0), 0xf8]));
    expect(pic(vm, 1).elcr_mask).toBe(0xde);
  });

  test('elcr_ioport_write keeps only the elcr_mask bits; elcr_ioport_read reads them back at 0x4d0/0x4d1', () => {
    const vm = chipVm();
    out(vm, 0x4d0, 0xff);
    out(vm, 0x4d1, 0xff);
    expect([inb(vm, 0x4d0), inb(vm, 0x4d1)]).toEqual([0xf8, 0xde]);
  });

  test('picdev_write/picdev_read: a non-byte access inside a range is ignored and reads 0; a range the access overruns is not the PIC\'s (an exit)', () => {
    const vm = chipVm();
    expect(vm.pio(0, true, 0x20, 2, 0x11n).exit).toBe(false);
    expect(pic(vm, 0).init_state).toBe(0);
    expect(vm.pio(0, false, 0x20, 2, 0n)).toEqual({ errno: 0, exit: false, value: 0n });
    expect(vm.pio(0, false, 0x21, 2, 0n).exit).toBe(true);
    expect(vm.pio(0, true, 0x22, 1, 0n).exit).toBe(true);
  });

  test('pic_ioport_write ICW1-ICW4: init_state 1 -> 2 -> 3 -> 0, irq_base keeps bits 7:3, ICW4 sets auto_eoi and special fully nested', () => {
    const vm = chipVm();
    out(vm, 0x20, 0x11);
    expect(pic(vm, 0)).toMatchObject({ init_state: 1, init4: 1 });
    out(vm, 0x21, 0x27);
    expect(pic(vm, 0)).toMatchObject({ init_state: 2, irq_base: 0x20 });
    out(vm, 0x21, 0x04);
    expect(pic(vm, 0).init_state).toBe(3);
    out(vm, 0x21, 0x13);
    expect(pic(vm, 0)).toMatchObject({ init_state: 0, auto_eoi: 1, special_fully_nested_mode: 1 });
    out(vm, 0xa0, 0x10); // no IC4: ICW3 ends the sequence
    out(vm, 0xa1, 0x70);
    out(vm, 0xa1, 0x02);
    expect(pic(vm, 1)).toMatchObject({ init_state: 0, init4: 0, irq_base: 0x70 });
  });

  test('pic_set_irq1: an edge pin latches IRR on the rising edge only; a level pin (ELCR) follows the line in IRR and last_irr', () => {
    const vm = chipVm();
    vm.irqLine(4, 1);
    expect(pic(vm, 0)).toMatchObject({ irr: 0x10, last_irr: 0x10 });
    vm.irqLine(4, 0);
    expect(pic(vm, 0)).toMatchObject({ irr: 0x10, last_irr: 0 });
    out(vm, 0x4d0, 0x20);
    vm.irqLine(5, 1);
    expect(pic(vm, 0)).toMatchObject({ irr: 0x30, last_irr: 0x20 });
    vm.irqLine(5, 0);
    expect(pic(vm, 0)).toMatchObject({ irr: 0x10, last_irr: 0 });
  });

  test('kvm_pic_read_irq: the vcpu (LVT0 ExtINT on the BSP) takes the highest unmasked request, IRR -> ISR, vector irq_base + IRQ; EOI (OCW2 0x20) ends it', () => {
    const vm = chipVm();
    initPics(vm, 0x00, 0xff);
    vm.irqLine(4, 1);
    vm.irqLine(1, 1);
    expect(vm.takeInterrupt(0)).toEqual({ errno: 0, vector: 0x21 });
    expect(pic(vm, 0)).toMatchObject({ irr: 0x10, isr: 0x02 });
    // IR4 is of lower priority than IR1 in service: not given.
    expect(vm.takeInterrupt(0).vector).toBe(-1);
    out(vm, 0x20, 0x20);
    expect(pic(vm, 0).isr).toBe(0);
    expect(vm.takeInterrupt(0).vector).toBe(0x24);
  });

  test('pic_update_irq cascades a slave request into master IR2; the INTA cycle gives the slave\'s vector and sets both ISR bits', () => {
    const vm = chipVm();
    initPics(vm, 0xfb, 0xfb);
    vm.irqLine(10, 1);
    expect(pic(vm, 0).irr).toBe(0x04);
    expect(vm.takeInterrupt(0).vector).toBe(0x2a);
    expect([pic(vm, 0).isr, pic(vm, 1).isr]).toEqual([0x04, 0x04]);
  });

  test('pic_intack: a level-triggered request stays in IRR; auto-EOI (ICW4 bit 1) leaves nothing in ISR', () => {
    const vm = chipVm();
    initPics(vm, 0x00, 0xff, 0x03);
    out(vm, 0x4d0, 0x08);
    vm.irqLine(3, 1);
    expect(vm.takeInterrupt(0).vector).toBe(0x23);
    expect(pic(vm, 0)).toMatchObject({ irr: 0x08, isr: 0 });
  });

  test('OCW3: read_reg_select picks ISR or IRR at the command port; poll mode acknowledges on read (pic_poll_read)', () => {
    const vm = chipVm();
    initPics(vm, 0x00, 0xff);
    vm.irqLine(6, 1);
    expect(inb(vm, 0x20)).toBe(0x40);
    out(vm, 0x20, 0x0b);
    expect(inb(vm, 0x20)).toBe(0);
    out(vm, 0x20, 0x0c);
    expect(inb(vm, 0x20)).toBe(6);
    expect(pic(vm, 0)).toMatchObject({ irr: 0, isr: 0, poll: 0 });
    out(vm, 0x20, 0x0c);
    expect(inb(vm, 0x20)).toBe(7);
  });

  test('OCW2 rotate on non-specific EOI (cmd 5) moves priority_add past the IRQ ended; specific EOI (cmd 3) ends the IRQ named', () => {
    const vm = chipVm();
    initPics(vm, 0x00, 0xff);
    vm.irqLine(3, 1);
    vm.takeInterrupt(0);
    out(vm, 0x20, 0xa0);
    expect(pic(vm, 0)).toMatchObject({ isr: 0, priority_add: 4 });
    vm.irqLine(3, 0);
    vm.irqLine(3, 1);
    vm.takeInterrupt(0);
    out(vm, 0x20, 0x63);
    expect(pic(vm, 0).isr).toBe(0);
  });

  test('kvm_pic_reset (ICW1): edge requests dropped, IMR cleared, and the ISR bits of the dropped edges cleared when a vcpu takes PIC interrupts', () => {
    const vm = chipVm();
    initPics(vm, 0x00, 0xff);
    vm.irqLine(4, 1);
    vm.takeInterrupt(0);
    vm.irqLine(4, 0);
    vm.irqLine(4, 1);
    expect(pic(vm, 0)).toMatchObject({ irr: 0x10, isr: 0x10 });
    out(vm, 0x20, 0x11);
    expect(pic(vm, 0)).toMatchObject({ irr: 0, isr: 0, imr: 0, init_state: 1, last_irr: 0 });
  });

  test('kvm_pic_reset leaves ISR alone when no vcpu takes PIC interrupts (LVT0 masked)', () => {
    const vm = chipVm();
    initPics(vm, 0x00, 0xff);
    vm.irqLine(4, 1);
    vm.takeInterrupt(0);
    vm.irqLine(4, 0);
    vm.irqLine(4, 1);
    vm.mmio(0, true, APIC_BASE + APIC.LVT0, 4, 0x10700n);
    out(vm, 0x20, 0x11);
    expect(pic(vm, 0)).toMatchObject({ irr: 0, isr: 0x10 });
  });

  test('kvm_pic_read_irq with the output stale after an ICW1 gives the spurious IRQ 7 (irq_base + 7)', () => {
    const vm = chipVm();
    initPics(vm, 0x00, 0xff);
    vm.irqLine(4, 1);
    out(vm, 0x20, 0x11);
    out(vm, 0x21, 0x40);
    out(vm, 0x21, 0x04);
    out(vm, 0x21, 0x01);
    expect(vm.takeInterrupt(0).vector).toBe(0x47);
  });

  test('kvm_cpu_has_extint: a vcpu whose LVT0 is not unmasked ExtINT does not take the PIC\'s interrupt', () => {
    const vm = chipVm(2);
    initPics(vm, 0x00, 0xff);
    vm.irqLine(4, 1);
    expect(vm.takeInterrupt(1).vector).toBe(-1);
    expect(vm.takeInterrupt(0).vector).toBe(0x24);
  });

  test('KVM_SET_IRQCHIP of a PIC copies all 16 bytes, elcr_mask included, and runs kvm_pic_update_irq (kvm_vm_ioctl_set_irqchip)', () => {
    const vm = chipVm();
    const bytes = Uint8Array.from([0, 0x02, 0, 0, 0, 0x30, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0xff]);
    expect(vm.setIrqchip(0, bytes)).toBe(0);
    expect(vm.getIrqchip(0).data).toEqual(bytes);
    expect(state(vm).pic_output).toBe(1);
    expect(vm.takeInterrupt(0).vector).toBe(0x31);
  });
});

describe('the IOAPIC (arch/x86/kvm/ioapic.c)', () => {
  test('kvm_ioapic_reset: every entry masked, base 0xfec00000, IRR 0', () => {
    const io = ioapic(chipVm());
    expect(io.base_address).toBe('0xfec00000');
    expect(io.redirtbl.every((e) => e.bits === '0x0000000000010000')).toBe(true);
  });

  test('ioapic_read_indirect: version 0x00170011, ID in bits 27:24 (also at the arbitration index), a redirection half, all ones past the table', () => {
    const vm = chipVm();
    expect(ioread(vm, 0x01)).toBe(0x00170011);
    vm.mmio(0, true, IOAPIC_BASE, 4, 0n);
    vm.mmio(0, true, IOAPIC_BASE + 0x10, 4, 0xfa000000n);
    expect(ioapic(vm).id).toBe(0xa);
    expect(ioread(vm, 0x02)).toBe(0x0a000000);
    expect(ioread(vm, 0x11)).toBe(0);
    expect(ioread(vm, 0x10)).toBe(0x10000);
    expect(ioread(vm, 0x40)).toBe(0xffffffff);
    expect(ioread(vm, 0x03)).toBe(0xffffffff);
  });

  test('ioapic_mmio_write: IOREGSEL keeps 8 bits; other offsets read 0 and ignore writes; 1-byte and 8-byte accesses reach the register by addr & 0xff', () => {
    const vm = chipVm();
    vm.mmio(0, true, IOAPIC_BASE, 4, 0x1234n);
    expect(ioapic(vm).ioregsel).toBe(0x34);
    expect(vm.mmio(0, false, IOAPIC_BASE + 4, 4, 0n).value).toBe(0n);
    vm.mmio(0, true, IOAPIC_BASE, 1, 0x01n);
    expect(vm.mmio(0, false, IOAPIC_BASE + 0x10, 1, 0n).value).toBe(0x11n);
    expect(vm.mmio(0, false, IOAPIC_BASE + 0x10, 8, 0n).value).toBe(0x170011n);
  });

  test('ioapic_write_indirect keeps remote_irr and delivery_status, and clears remote_irr when the entry is edge-triggered', () => {
    const vm = chipVm();
    enableApic(vm);
    redir(vm, 17, 0x8040);
    vm.irqLine(17, 1);
    expect(ioapic(vm).redirtbl[17]!.remote_irr).toBe(1);
    redir(vm, 17, 0x8040 | 0x5000 & ~0x4000);
    expect(ioapic(vm).redirtbl[17]).toMatchObject({ remote_irr: 1, delivery_status: 0 });
    redir(vm, 17, 0x0040);
    expect(ioapic(vm).redirtbl[17]!.remote_irr).toBe(0);
  });

  test('ioapic_service: a level-triggered pin sets remote_irr when delivered and is not delivered again until the EOI (status -1)', () => {
    const vm = chipVm();
    enableApic(vm);
    redir(vm, 17, 0x8040);
    expect(status(vm, 17, 1)).toBe(1);
    expect(lapic(vm)).toMatchObject({ irr_vectors: [0x40], tmr_vectors: [0x40] });
    expect(status(vm, 17, 1)).toBe(-1);
  });

  test('kvm_ioapic_update_eoi: the APIC\'s EOI of a level vector clears remote_irr and, the line still high, delivers again', () => {
    const vm = chipVm();
    enableApic(vm);
    redir(vm, 17, 0x8040);
    vm.irqLine(17, 1);
    expect(vm.takeInterrupt(0).vector).toBe(0x40);
    eoi(vm);
    expect(ioapic(vm).redirtbl[17]!.remote_irr).toBe(1);
    expect(lapic(vm)).toMatchObject({ isr_vectors: [], irr_vectors: [0x40] });
    vm.irqLine(17, 0);
    vm.takeInterrupt(0);
    eoi(vm);
    expect(ioapic(vm).redirtbl[17]!.remote_irr).toBe(0);
  });

  test('ioapic_set_irq: an edge that finds IRR already set is coalesced (0); the low level clears IRR (1)', () => {
    const vm = chipVm();
    enableApic(vm);
    redir(vm, 20, 0x0041);
    expect(status(vm, 20, 1)).toBe(1);
    expect(status(vm, 20, 1)).toBe(0);
    expect(status(vm, 20, 0)).toBe(1);
    expect(status(vm, 20, 1)).toBe(1);
  });

  test('kvm_get_ioapic reports irr without the delivered edges (irr_delivered); a masked edge stays pending', () => {
    const vm = chipVm();
    enableApic(vm);
    redir(vm, 20, 0x0041);
    vm.irqLine(20, 1);
    expect(ioapic(vm).irr).toBe('0x00000000');
    vm.irqLine(21, 1);
    expect(ioapic(vm).irr).toBe('0x00200000');
  });

  test('RTC coalescing (GSI 8 with KVM_IRQ_LINE_STATUS): a second edge before the EOI is 0; after the EOI it is delivered again (rtc_irq_check_coalesced, rtc_irq_eoi)', () => {
    const vm = chipVm();
    enableApic(vm);
    out(vm, 0xa1, 0xff);
    redir(vm, 8, 0x0050);
    expect(status(vm, 8, 1)).toBe(1);
    expect(status(vm, 8, 0)).toBe(1);
    expect(status(vm, 8, 1)).toBe(0);
    expect(vm.takeInterrupt(0).vector).toBe(0x50);
    eoi(vm);
    expect(status(vm, 8, 0)).toBe(1);
    expect(status(vm, 8, 1)).toBe(1);
  });

  test('kvm_set_ioapic: the state is copied in and each pending pin raised again (kvm_ioapic_inject_all): a level pin is delivered and gets remote_irr', () => {
    const src = chipVm();
    const bytes = src.getIrqchip(2).data.slice();
    const dv = new DataView(bytes.buffer);
    dv.setUint32(16, 1 << 18, true);
    dv.setBigUint64(24 + 8 * 18, 0x8045n, true);
    const vm = chipVm();
    enableApic(vm);
    expect(vm.setIrqchip(2, bytes)).toBe(0);
    expect(ioapic(vm).redirtbl[18]).toMatchObject({ remote_irr: 1, vector: 0x45 });
    expect(ioapic(vm).irr).toBe('0x00040000');
    expect(lapic(vm).irr_vectors).toEqual([0x45]);
  });

  test('KVM_SET_IRQCHIP may move base_address; the bus registration stays at 0xfec00000, so the window answers only where both overlap (ioapic_in_range)', () => {
    const vm = chipVm();
    const bytes = vm.getIrqchip(2).data.slice();
    new DataView(bytes.buffer).setBigUint64(0, 0xfed00000n, true);
    vm.setIrqchip(2, bytes);
    expect(vm.mmio(0, false, IOAPIC_BASE + 0x10, 4, 0n).exit).toBe(true);
    expect(vm.mmio(0, false, 0xfed00010, 4, 0n).exit).toBe(true);
  });
});

describe('the local APIC, as far as acceptance goes (arch/x86/kvm/lapic.c)', () => {
  test('kvm_lapic_reset: ID = vcpu id, version 0x00050014, LVTs masked, LINT0 ExtINT on the BSP only, DFR flat, SPIV 0xff', () => {
    const vm = chipVm(2);
    expect(lapic(vm, 0)).toMatchObject({ id: '0x00000000', version: '0x00050014', svr: '0x000000ff', dfr: '0xffffffff', lvt_lint0: '0x00000700', lvt_timer: '0x00010000' });
    expect(lapic(vm, 1)).toMatchObject({ id: '0x01000000', lvt_lint0: '0x00010000' });
  });

  test('__apic_accept_irq: a software-disabled APIC drops a fixed interrupt (KVM_SIGNAL_MSI 0); enabled it takes it into IRR, TMR clear for an edge (1)', () => {
    const vm = chipVm();
    const msi = { address: 0xfee00000n, data: 0x41, flags: 0, devid: 0 };
    expect(vm.signalMsi(msi)).toEqual({ errno: 0, ret: 0 });
    enableApic(vm);
    expect(vm.signalMsi(msi)).toEqual({ errno: 0, ret: 1 });
    expect(lapic(vm)).toMatchObject({ irr_vectors: [0x41], tmr_vectors: [] });
  });

  test('kvm_set_msi_irq: destination from address bits 19:12 (no match: 0 from the APIC map); logical mode against LDR with flat DFR; level MSI sets TMR', () => {
    const vm = chipVm(2);
    enableApic(vm, 0);
    enableApic(vm, 1);
    expect(vm.signalMsi({ address: 0xfee01000n, data: 0x42, flags: 0, devid: 0 }).ret).toBe(1);
    expect(lapic(vm, 1).irr_vectors).toEqual([0x42]);
    expect(vm.signalMsi({ address: 0xfee05000n, data: 0x42, flags: 0, devid: 0 }).ret).toBe(0);
    vm.mmio(1, true, APIC_BASE + APIC.LDR, 4, 0x02000000n);
    expect(vm.signalMsi({ address: 0xfee02004n, data: 0x8043, flags: 0, devid: 0 }).ret).toBe(1);
    expect(lapic(vm, 1)).toMatchObject({ irr_vectors: [0x42, 0x43], tmr_vectors: [0x43] });
    expect(vm.signalMsi({ address: 0xfeeff000n, data: 0x44, flags: 0, devid: 0 }).ret).toBe(2);
  });

  test('KVM_SIGNAL_MSI: a flag other than KVM_MSI_VALID_DEVID is EINVAL (kvm_send_userspace_msi)', () => {
    expect(chipVm().signalMsi({ address: 0xfee00000n, data: 0x41, flags: 2, devid: 0 }).errno).toBe(ERRNO.EINVAL);
  });

  test('apic_has_interrupt_for_ppr: the highest IRR vector is taken only when its class is above PPR (TPR, or the in-service class); kvm_apic_ack_interrupt moves it to ISR', () => {
    const vm = chipVm();
    enableApic(vm);
    vm.mmio(0, true, APIC_BASE + APIC.LVT0, 4, 0x10000n);
    vm.signalMsi({ address: 0xfee00000n, data: 0x35, flags: 0, devid: 0 });
    vm.signalMsi({ address: 0xfee00000n, data: 0x61, flags: 0, devid: 0 });
    vm.mmio(0, true, APIC_BASE + APIC.TASKPRI, 4, 0x60n);
    expect(vm.takeInterrupt(0).vector).toBe(-1);
    vm.mmio(0, true, APIC_BASE + APIC.TASKPRI, 4, 0n);
    expect(vm.takeInterrupt(0).vector).toBe(0x61);
    expect(lapic(vm)).toMatchObject({ isr_vectors: [0x61], irr_vectors: [0x35], ppr: 0x60 });
    expect(vm.takeInterrupt(0).vector).toBe(-1);
    eoi(vm);
    expect(vm.takeInterrupt(0).vector).toBe(0x35);
  });

  test('apic_mmio_write: only a 4-byte write at a 16-byte aligned offset is taken (an EOI of 2 bytes is dropped)', () => {
    const vm = chipVm();
    enableApic(vm);
    vm.signalMsi({ address: 0xfee00000n, data: 0x61, flags: 0, devid: 0 });
    vm.takeInterrupt(0);
    vm.mmio(0, true, APIC_BASE + APIC.EOI, 2, 0n);
    expect(lapic(vm).isr_vectors).toEqual([0x61]);
    eoi(vm);
    expect(lapic(vm).isr_vectors).toEqual([]);
  });

  test('kvm_lapic_reg_read: bytes of a register within its first 4 bytes; an access past them, or of EOI, reads 0', () => {
    const vm = chipVm();
    expect(vm.mmio(0, false, APIC_BASE + APIC.LVR, 4, 0n).value).toBe(0x50014n);
    expect(vm.mmio(0, false, APIC_BASE + APIC.LVR + 2, 1, 0n).value).toBe(5n);
    expect(vm.mmio(0, false, APIC_BASE + APIC.LVR + 2, 4, 0n).value).toBe(0n);
    expect(vm.mmio(0, false, APIC_BASE + APIC.EOI, 4, 0n).value).toBe(0n);
  });

  test('kvm_lapic_reg_write APIC_SPIV: clearing the enable bit masks every LVT; an LVT written while disabled stays masked', () => {
    const vm = chipVm();
    enableApic(vm);
    vm.mmio(0, true, APIC_BASE + APIC.LVT1, 4, 0x400n);
    expect(lapic(vm).lvt_lint1).toBe('0x00000400');
    vm.mmio(0, true, APIC_BASE + APIC.SPIV, 4, 0xffn);
    expect(lapic(vm)).toMatchObject({ lvt_lint0: '0x00010700', lvt_lint1: '0x00010400' });
    vm.mmio(0, true, APIC_BASE + APIC.LVT1, 4, 0x400n);
    expect(lapic(vm).lvt_lint1).toBe('0x00010400');
  });

  test('kvm_lapic_reg_write LVTs: apic_lvt_mask keeps vector, mask and (LINT) mode bits; LVTT keeps no timer mode without KVM_SET_CPUID2 (timer_mode_mask 0); ICR loses its busy bit, ICR2 keeps bits 31:24', () => {
    const vm = chipVm();
    enableApic(vm);
    vm.mmio(0, true, APIC_BASE + APIC.LVTT, 4, 0xfffffn);
    vm.mmio(0, true, APIC_BASE + APIC.LVTTHMR, 4, 0xfffffn);
    vm.mmio(0, true, APIC_BASE + APIC.LVT1, 4, 0xfffffn);
    vm.mmio(0, true, APIC_BASE + APIC.ICR, 4, 0x1fffn);
    vm.mmio(0, true, APIC_BASE + APIC.ICR2, 4, 0xffffffffn);
    expect(lapic(vm)).toMatchObject({ lvt_timer: '0x000110ff', lvt_thermal: '0x000117ff', lvt_lint1: '0x0001f7ff', icr_lo: '0x00000fff', icr_hi: '0xff000000' });
  });

  test('kvm_apic_send_ipi: an ICR write sends its IPI, to itself (shorthand self), to the others (all-but-self) or to an xAPIC destination in ICR2', () => {
    const vm = chipVm(2);
    enableApic(vm, 0);
    enableApic(vm, 1);
    vm.mmio(0, true, APIC_BASE + APIC.ICR, 4, BigInt(0x40000 | 0x4000 | 0x31));
    expect([lapic(vm, 0).irr_vectors, lapic(vm, 1).irr_vectors]).toEqual([[0x31], []]);
    vm.mmio(0, true, APIC_BASE + APIC.ICR, 4, BigInt(0xc0000 | 0x4000 | 0x32));
    expect([lapic(vm, 0).irr_vectors, lapic(vm, 1).irr_vectors]).toEqual([[0x31], [0x32]]);
    vm.mmio(1, true, APIC_BASE + APIC.ICR2, 4, 0x00000000n);
    vm.mmio(1, true, APIC_BASE + APIC.ICR, 4, BigInt(0x4000 | 0x33));
    expect(lapic(vm, 0).irr_vectors).toEqual([0x31, 0x33]);
    expect(lapic(vm, 1).icr_lo).toBe('0x00004033');
  });

  test('kvm_apic_set_state (KVM_SET_LAPIC): the page is copied, the version set again and PPR recomputed; a short payload is zero-padded', () => {
    const vm = chipVm();
    const page = vm.getLapic(0).data.slice();
    const dv = new DataView(page.buffer);
    dv.setUint32(APIC.LVR, 0x12345678, true);
    dv.setUint32(APIC.ISR + 0x10 * 2, 1 << 5, true); // vector 0x45 in service
    dv.setUint32(APIC.PROCPRI, 0, true);
    expect(vm.setLapic(0, page)).toBe(0);
    expect(lapic(vm)).toMatchObject({ version: '0x00050014', ppr: 0x40, isr_vectors: [0x45] });
    expect(vm.setLapic(0, new Uint8Array(16))).toBe(0);
    expect(lapic(vm)).toMatchObject({ id: '0x00000000', svr: '0x00000000', version: '0x00050014' });
  });
});

describe('the model as the debugger reads it', () => {
  test('interrupts facet: KVM_IRQ_LINE raises/lowers GSIs, an MSI raises its vector, a vcpu taking an interrupt acknowledges it, OCW2 and the APIC EOI complete', () => {
    const vm = chipVm();
    const s = state(vm);
    const fx = (ev: InterruptEvent) => x86Irqchip.inspect!.interrupts!.effects(vm.state, s, ev);
    expect(fx({ kind: 'irq_line', irq: 4, level: 1, errno: 0 })).toEqual([{ action: 'raise', irq: 4 }]);
    expect(fx({ kind: 'signal_msi', address: 0xfee00000n, data: 0x41, devid: 0, errno: 0, ret: 1 })).toEqual([{ action: 'raise', irq: 0x141 }]);
    expect(fx({ kind: 'take_interrupt', vcpu: 0, vector: 0x24, errno: 0 })).toEqual([{ action: 'acknowledge', irq: 0x124, vcpu: 0 }]);
    s.pics[1]!.isr = 0x04;
    expect(fx({ kind: 'pio', vcpu: 0, write: true, range: 1, offset: 0, len: 1, value: 0x20n, errno: 0 })).toEqual([{ action: 'complete', irq: 10, vcpu: 0 }]);
    s.lapics[0]![APIC.ISR + 0x10 * 1] = 0x10; // vector 0x24
    expect(fx({ kind: 'mmio', vcpu: 0, write: true, frame: 1, offset: APIC.EOI, len: 4, value: 0n, errno: 0 })).toEqual([{ action: 'complete', irq: 0x124, vcpu: 0 }]);
    expect(x86Irqchip.inspect!.interrupts!.name!(0x134)).toBe('vector 0x34');
  });

  test('explain: a GSI masked in the 8259 names the IMR condition as the one not met', () => {
    const vm = chipVm();
    initPics(vm, 0xfb, 0xff);
    vm.irqLine(4, 1);
    const conds = x86Irqchip.inspect!.explainIrq!(vm.state, state(vm), 4, 'irqchip');
    const failed = conds.filter((c) => !c.ok && c.name.startsWith('PIC')).map((c) => c.name);
    expect(failed).toContain('PIC master IMR bit 4 clear');
    expect(conds.find((c) => c.name === 'PIC master IRR bit 4')!.ok).toBe(true);
  });

  test('the view names kvm_pic_state, redirection and APIC fields; resolve reads the same values', () => {
    const vm = chipVm();
    vm.irqLine(4, 1);
    const v = x86Irqchip.inspect!.view!;
    const built = v.build(vm.state, state(vm)) as any;
    expect(built.pic[0].irr).toBe(0x10);
    expect(built.ioapic.redir[4].mask).toBe(1);
    expect(built.lapic[0].lvt_lint0).toBe(0x700);
    expect(v.resolve!(vm.state, state(vm), ['pic', 0, 'irr'])).toBe(0x10);
    expect(v.resolve!(vm.state, state(vm), ['lapic', 0, 'svr'])).toBe(0xff);
  });

  test('describePayload puts KVM_GET_IRQCHIP and KVM_GET_LAPIC bytes in words: PIC registers, non-default redirection entries, APIC vectors', () => {
    const vm = chipVm();
    enableApic(vm);
    redir(vm, 17, 0x8051);
    vm.irqLine(17, 1);
    const d = x86Irqchip.inspect!.describePayload!;
    expect(d('irqchip', 0, vm.getIrqchip(0).data)).toContain('elcr_mask=0xf8');
    expect(d('irqchip', 2, vm.getIrqchip(2).data)).toBe('base=0xfec00000 ioregsel=0x33 id=0 irr=0x20000 pin17{vector=0x51 dm=0 physical dest=0 level remote_irr}');
    expect(d('lapic', 0, vm.getLapic(0).data)).toBe('id=0 svr=0x1ff tpr=0x0 ppr=0x0 irr=[0x51] isr=[] tmr=[0x51] lint0=0x700');
    expect(d('irqchip', 7, new Uint8Array(0))).toBeUndefined();
  });

  test('the state is plain data: a snapshot restored into a fresh Vm has the same digest and answers the next events alike', () => {
    const vm = chipVm(2);
    initPics(vm, 0x00, 0xfb);
    enableApic(vm, 1);
    redir(vm, 19, 0x8052, 0x01000000);
    vm.irqLine(19, 1);
    vm.irqLine(10, 1);
    const copy = createVm('x86_64');
    copy.restore(vm.snapshot());
    expect(copy.digest()).toBe(vm.digest());
    const next = (v: Vm) => [v.takeInterrupt(0).vector, v.takeInterrupt(1).vector, v.irqLineStatus(19, 1).status, eoi(v, 1).exit, v.getIrqchip(2).data.join(','), v.digest()];
    expect(next(copy)).toEqual(next(vm));
  });

  test('the state schema accepts what the model builds and refuses a short APIC page (checkVmState)', () => {
    const vm = chipVm(2);
    const schema = x86Irqchip.stateSchema!(vm.state);
    expect(schema.check(state(vm), 'x')).toBeUndefined();
    const bad = { ...state(vm), lapics: [new Uint8Array(10), new Uint8Array(1024)] };
    expect(schema.check(bad, 'x')).toMatch(/lapics\[0\]/);
  });
});
