/**
 * Delivering an interrupt message to the local APICs
 * (kvm_irq_delivery_to_apic, arch/x86/kvm/lapic.c and irq.c), and turning
 * an MSI into one (kvm_set_msi_irq). Used by the IOAPIC (ioapic_service)
 * and by KVM_SIGNAL_MSI.
 */
import { acceptIrq, APIC_DM, matchDest, swEnabled } from './lapic.js';
import type { X86IrqchipState } from './state.js';

/** struct kvm_lapic_irq, as the callers fill it (no shorthand: APIC_DEST_NOSHORT). */
export interface LapicIrq {
  readonly vector: number;
  /** APIC_DM_* (the 3-bit mode << 8). */
  deliveryMode: number;
  /** 1 logical, 0 physical (kvm_lapic_irq_dest_mode). */
  readonly logical: boolean;
  readonly level: number;
  readonly trigMode: number;
  readonly destId: number;
  readonly msiRedirHint: boolean;
}

/** kvm_lowest_prio_delivery. */
function lowestPrio(irq: LapicIrq): boolean {
  return irq.deliveryMode === APIC_DM.LOWEST || irq.msiRedirHint;
}

/**
 * kvm_irq_delivery_to_apic: the sum of what each destination APIC accepted
 * (__apic_accept_irq), or -1 when no APIC was a destination on the slow
 * path. A physical or logical destination other than the broadcast 0xff
 * goes through the APIC map (kvm_irq_delivery_to_apic_fast), which answers
 * 0 when nothing matches; the broadcast takes the vcpu loop. Lowest
 * priority picks one destination by vector hashing (kvm_vector_to_index),
 * among the matching APICs in vcpu order. `onAccept` sees each vcpu index
 * that accepted (the RTC's dest_map).
 */
export function deliverToApic(s: X86IrqchipState, irq: LapicIrq, onAccept?: (index: number, vector: number) => void): number {
  // "apic: phys broadcast and lowest prio": delivered as fixed.
  if (!irq.logical && irq.destId === 0xff && lowestPrio(irq)) irq.deliveryMode = APIC_DM.FIXED;
  const set = (index: number): number => {
    const r = acceptIrq(s.lapics[index]!, irq.deliveryMode, irq.vector, irq.level, irq.trigMode);
    if (r && onAccept) onAccept(index, irq.vector);
    return r;
  };
  const matching: number[] = [];
  s.lapics.forEach((regs, i) => {
    if (matchDest(regs, irq.destId, irq.logical)) matching.push(i);
  });
  const fast = irq.destId !== 0xff && s.lapics.length > 0;
  if (fast) {
    let r = 0;
    if (!lowestPrio(irq)) for (const i of matching) r += set(i);
    else if (matching.length) r += set(matching[irq.vector % matching.length]!);
    return r;
  }
  let r = -1;
  const candidates: number[] = [];
  for (const i of matching) {
    if (!lowestPrio(irq)) {
      if (r < 0) r = 0;
      r += set(i);
    } else if (swEnabled(s.lapics[i]!)) candidates.push(i);
  }
  if (candidates.length) r = set(candidates[irq.vector % candidates.length]!);
  return r;
}

/**
 * kvm_set_msi_irq: address bits 19:12 the destination (no x2APIC
 * extended format), bit 2 logical, bit 3 the redirection hint; data bits
 * 7:0 the vector, 10:8 the delivery mode, bit 15 level-triggered. Level 1.
 */
export function msiToIrq(address: bigint, data: number): LapicIrq {
  const lo = Number(address & 0xffffffffn);
  return {
    vector: data & 0xff,
    deliveryMode: data & 0x700,
    logical: ((lo >>> 2) & 1) === 1,
    level: 1,
    trigMode: (data >>> 15) & 1,
    destId: (lo >>> 12) & 0xff,
    msiRedirHint: ((lo >>> 3) & 1) === 1,
  };
}
