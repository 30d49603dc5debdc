/**
 * The x86 in-kernel irqchip as a device model: created by
 * KVM_CREATE_IRQCHIP (the arch rule in devices/arch/x86_64.ts adds it as
 * X86_KERNEL_IRQCHIP; it has no fd and no attribute groups), claiming the
 * PIC and ELCR ports on KVM_PIO_BUS, the IOAPIC window and each vcpu's
 * local APIC page on the MMIO path, and taking KVM_IRQ_LINE(_STATUS),
 * KVM_SIGNAL_MSI, KVM_GET/SET_IRQCHIP, KVM_GET/SET_LAPIC and the vcpus'
 * interrupt acknowledges.
 */
import { X86_KERNEL_IRQCHIP } from '../arch/x86_64.js';
import type { DeviceModel, MmioFrame, PortRange } from '../core/device.js';
import { explainIrq } from './explain.js';
import { FRAME } from './frames.js';
import { IOAPIC_INDIRECT, IOAPIC_MMIO, ioapicMmio, ioapicWindow } from './ioapic.js';
import { getIrqchip, getLapic, kvmSetIrq, kvmSetMsi, lapicWrite, setIrqchip, setLapic, takeInterrupt } from './irqchip.js';
import { interrupts } from './interrupts.js';
import { APIC_DEFAULT_PHYS_BASE, describeLapicPayload, LAPIC_MMIO, LAPIC_MMIO_LENGTH, lapicMmioRead, lapicReset } from './lapic.js';
import { migration } from './migration.js';
import { PIC_ELCR_PORTS, PIC_MASTER_PORTS, PIC_SLAVE_PORTS, picPio, PORT } from './pic.js';
import { irqchipSchema, newIrqchip, type X86IrqchipState } from './state.js';
import { describeIrqchipPayload } from './structs.js';
import { view } from './view.js';


const PORTS: readonly PortRange[] = [
  { base: 0x20, size: 2, kind: PORT.MASTER, name: '8259 master' },
  { base: 0xa0, size: 2, kind: PORT.SLAVE, name: '8259 slave' },
  { base: 0x4d0, size: 2, kind: PORT.ELCR, name: 'ELCR' },
];

const LAPIC_FRAME: MmioFrame = { base: APIC_DEFAULT_PHYS_BASE, size: LAPIC_MMIO_LENGTH, kind: FRAME.LAPIC, name: 'local APIC' };


export const x86Irqchip: DeviceModel<X86IrqchipState> = {
  type: X86_KERNEL_IRQCHIP,
  typeName: 'KVM_CREATE_IRQCHIP (8259 PIC x2, IOAPIC, local APICs)',
  inodeName: 'kvm-x86-irqchip',
  arches: ['x86_64'],
  modelVersion: 1,
  isIrqchip: true,
  stateSchema: irqchipSchema,
  kernel: {
    ops: { get: false, set: false, has: false },
    groups: [],
    // kvm_pic_init, kvm_ioapic_init (kvm_ioapic_reset), kvm_setup_default_irq_routing.
    create: () => ({ errno: 0, state: newIrqchip() }),
    // kvm_create_lapic + kvm_lapic_reset for the new vcpu; its slot in the RTC's dest_map.
    vcpuCreated(vm, s, index) {
      s.lapics[index] = lapicReset(vm.state.vcpus[index]!.id);
      s.ioapic.rtc_dest[index] = -1;
    },
    ports: () => PORTS,
    pio: picPio,
    frames(s) {
      const w = ioapicWindow(s.ioapic);
      const out: MmioFrame[] = [LAPIC_FRAME];
      if (w) out.push({ base: w.base, size: w.size, kind: FRAME.IOAPIC, name: 'IOAPIC' });
      return out;
    },
    mmio(vm, s, vcpu, frame, offset, len, write, value) {
      if (frame === FRAME.LAPIC) {
        const regs = s.lapics[vcpu];
        if (!regs) return 0;
        if (write) {
          lapicWrite(s, vcpu, offset, len, value);
          return 0;
        }
        return lapicMmioRead(regs, offset, len);
      }
      const base = ioapicWindow(s.ioapic)?.base ?? 0;
      return ioapicMmio(vm, s, vcpu, base + offset, len, write, value);
    },
    mmio64(vm, s, vcpu, frame, offset, write, value) {
      // A LAPIC register takes 1, 2 or 4 bytes only; the IOAPIC takes the low 32 bits and zero-extends a read.
      if (frame === FRAME.LAPIC) return 0n;
      const base = ioapicWindow(s.ioapic)?.base ?? 0;
      return BigInt(ioapicMmio(vm, s, vcpu, base + offset, 8, write, Number(value & 0xffffffffn)) >>> 0);
    },
    // kvm_vm_ioctl_irq_line: kvm_set_irq's status is not part of KVM_IRQ_LINE's answer.
    irqLine(_vm, s, irq, level) {
      kvmSetIrq(s, irq, level, false);
      return 0;
    },
    irqLineStatus: (_vm, s, irq, level) => ({ errno: 0, status: kvmSetIrq(s, irq, level, true) }),
    signalMsi: (_vm, s, msi) => kvmSetMsi(s, msi),
    getIrqchip: (_vm, s, chip) => getIrqchip(s, chip),
    setIrqchip: (_vm, s, chip, data) => setIrqchip(s, chip, data),
    getLapic: (_vm, s, index) => getLapic(s, index),
    setLapic: (_vm, s, index, data) => setLapic(s, index, data),
    takeInterrupt: (_vm, s, index) => takeInterrupt(s, index),
  },
  inspect: {
    describePio: (_s, range, off) => [PIC_MASTER_PORTS, PIC_SLAVE_PORTS, PIC_ELCR_PORTS][range]?.nameAt(off) ?? `+0x${off.toString(16)}`,
    describeMmio(s, frame, offset) {
      if (frame === FRAME.LAPIC) return LAPIC_MMIO.nameAt(offset & ~0xf);
      const base = ioapicWindow(s.ioapic)?.base ?? 0;
      const off = (base + offset) & 0xff;
      const row = IOAPIC_MMIO.find(off);
      if (!row || row.offset !== off) return `IOAPIC+0x${off.toString(16)} (reads 0, writes ignored)`;
      return row.name === 'IOWIN' ? `IOWIN (${IOAPIC_INDIRECT.nameAt(s.ioapic.ioregsel)})` : row.name;
    },
    registerFields(frame, offset) {
      if (frame === FRAME.IOAPIC) return undefined;
      return offset === 0x350 || offset === 0x360 ? [{ name: 'vector', lsb: 0, width: 8 }, { name: 'delivery_mode', lsb: 8, width: 3 }, { name: 'masked', lsb: 16, width: 1 }] : undefined;
    },
    view,
    migration,
    explainIrq,
    interrupts,
    describePayload: (kind, id, data) => (kind === 'irqchip' ? describeIrqchipPayload(id, data) : describeLapicPayload(data)),
  },
};
