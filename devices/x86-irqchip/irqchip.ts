/**
 * The chips working together: KVM's default GSI routing
 * (kvm_setup_default_irq_routing: GSI 0-15 to the PIC and the IOAPIC,
 * 16-23 to the IOAPIC only) and kvm_set_irq over it, KVM_SIGNAL_MSI
 * (kvm_set_msi), the vcpu's interrupt acknowledge (kvm_cpu_get_interrupt),
 * the local APIC's EOI broadcast to the IOAPIC (kvm_ioapic_send_eoi), and
 * KVM_GET/SET_IRQCHIP and KVM_GET/SET_LAPIC.
 */
import type { MsiRequest } from '../core/device.js';
import { ERRNO, type Errno } from '../core/uapi.js';
import { deliverToApic, icrToIrq, msiToIrq } from './deliver.js';
import { ioapicHandlesVector, ioapicSetState, ioapicUpdateEoi, kvmIoapicSetIrq, rtcRestoreOne } from './ioapic.js';
import { acceptPicIntr, apicAckInterrupt, apicHasInterrupt, lapicGetState, lapicMmioWrite, lapicSetState } from './lapic.js';
import { kvmPicReadIrq, kvmPicSetIrq, picUpdateIrq } from './pic.js';
import { decodeIoapic, decodePicInto, encodeIoapic, encodePic, fixedSize, KVM_IOAPIC_STATE_SIZE, KVM_IRQCHIP, KVM_LAPIC_STATE_SIZE, KVM_PIC_STATE_SIZE } from './structs.js';
import { IOAPIC_NUM_PINS, type X86IrqchipState } from './state.js';

/** One routing entry of the default table: which chip and pin a GSI drives. */
export interface RouteEntry {
  readonly chip: 'ioapic' | 'pic';
  /** The IOAPIC pin, or the PIC pin 0-15 (the slave's pins are 8-15). */
  readonly pin: number;
}

/**
 * kvm_irq_map_gsi over the default routing, in the order kvm_set_irq calls
 * the entries: the table lists IOAPIC then PIC for GSI 0-15, the map's
 * lists are built head-first, and kvm_set_irq walks them backwards, so the
 * IOAPIC is driven first. A GSI past the table has no entries.
 */
export function routesOf(gsi: number): readonly RouteEntry[] {
  if (gsi < 16) return [{ chip: 'ioapic', pin: gsi }, { chip: 'pic', pin: gsi }];
  if (gsi < IOAPIC_NUM_PINS) return [{ chip: 'ioapic', pin: gsi }];
  return [];
}

/** kvm_set_irq: each routed chip's answer; -1 if none took it, else the sum of the non-negative answers. */
export function kvmSetIrq(s: X86IrqchipState, gsi: number, level: number, lineStatus: boolean): number {
  let ret = -1;
  for (const e of routesOf(gsi)) {
    const r = e.chip === 'ioapic' ? kvmIoapicSetIrq(s, e.pin, level, lineStatus) : kvmPicSetIrq(s, e.pin, level);
    if (r < 0) continue;
    ret = r + (ret < 0 ? 0 : ret);
  }
  return ret;
}

/** kvm_set_msi from kvm_send_userspace_msi (level 1): the number of APICs that took it, or -1 when none was a destination. */
export function kvmSetMsi(s: X86IrqchipState, msi: MsiRequest): { errno: Errno; ret: number } {
  const r = deliverToApic(s, msiToIrq(msi.address, msi.data));
  // kvm_send_userspace_msi returns kvm_set_msi's value: a negative one is the ioctl's error (-1: EPERM).
  return r < 0 ? { errno: ERRNO.EPERM, ret: 0 } : { errno: 0, ret: r };
}

/**
 * kvm_cpu_get_interrupt: a pending ExtINT first (the PIC's output, if this
 * vcpu's LVT0 takes PIC interrupts: kvm_cpu_has_extint), acknowledged with
 * the 8259 INTA cycle; else the APIC's highest deliverable vector, moved to
 * ISR. -1 when there is none.
 */
export function takeInterrupt(s: X86IrqchipState, index: number): number {
  const regs = s.lapics[index]!;
  if (acceptPicIntr(regs) && s.pic_output) return kvmPicReadIrq(s);
  const vector = apicHasInterrupt(regs);
  if (vector !== -1) apicAckInterrupt(regs, vector);
  return vector;
}

/**
 * A guest write to vcpu `index`'s APIC page; an EOI goes on to the IOAPIC
 * when the IOAPIC handles that vector for this vcpu (kvm_ioapic_send_eoi),
 * level-triggered if TMR says so; an ICR write sends its IPI.
 */
export function lapicWrite(s: X86IrqchipState, index: number, off: number, len: number, val: number): void {
  const eff = lapicMmioWrite(s.lapics[index]!, off, len, val);
  if (eff.eoi && eff.eoi.vector >= 0 && ioapicHandlesVector(s, index, eff.eoi.vector)) ioapicUpdateEoi(s, index, eff.eoi.vector, eff.eoi.level);
  if (eff.ipi) deliverToApic(s, icrToIrq(eff.ipi.low, eff.ipi.high, index));
}

/** kvm_vm_ioctl_get_irqchip: the PICs' first 16 bytes, the IOAPIC's 216 (kvm_get_ioapic); EINVAL for another chip id. */
export function getIrqchip(s: X86IrqchipState, chip: number): { errno: Errno; data?: Uint8Array } {
  switch (chip) {
    case KVM_IRQCHIP.PIC_MASTER:
    case KVM_IRQCHIP.PIC_SLAVE:
      return { errno: 0, data: encodePic(s.pics[chip]!) };
    case KVM_IRQCHIP.IOAPIC:
      return { errno: 0, data: encodeIoapic(s.ioapic) };
    default:
      return { errno: ERRNO.EINVAL };
  }
}

/**
 * kvm_vm_ioctl_set_irqchip: a PIC's 16 bytes copied over its state
 * (elcr_mask included), the IOAPIC through kvm_set_ioapic; EINVAL for
 * another chip id. kvm_pic_update_irq runs in every case.
 */
export function setIrqchip(s: X86IrqchipState, chip: number, data: Uint8Array): Errno {
  let r: Errno = 0;
  switch (chip) {
    case KVM_IRQCHIP.PIC_MASTER:
    case KVM_IRQCHIP.PIC_SLAVE:
      decodePicInto(s.pics[chip]!, fixedSize(data, KVM_PIC_STATE_SIZE));
      break;
    case KVM_IRQCHIP.IOAPIC:
      ioapicSetState(s, decodeIoapic(fixedSize(data, KVM_IOAPIC_STATE_SIZE)));
      break;
    default:
      r = ERRNO.EINVAL;
  }
  picUpdateIrq(s);
  return r;
}

/** kvm_vcpu_ioctl_get_lapic -> kvm_apic_get_state. */
export function getLapic(s: X86IrqchipState, index: number): { errno: Errno; data: Uint8Array } {
  return { errno: 0, data: lapicGetState(s.lapics[index]!) };
}

/** kvm_vcpu_ioctl_set_lapic -> kvm_apic_set_state, then the RTC's EOI tracking for this vcpu (kvm_rtc_eoi_tracking_restore_one). */
export function setLapic(s: X86IrqchipState, index: number, data: Uint8Array): Errno {
  lapicSetState(s.lapics[index]!, fixedSize(data, KVM_LAPIC_STATE_SIZE));
  rtcRestoreOne(s, index);
  return 0;
}
