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
  /** APIC_DEST_NOSHORT (0), SELF (1), ALLINC (2), ALLBUT (3): ICR bits 19:18. */
  readonly shorthand?: number;
  /** The sending vcpu's index, for an IPI. */
  readonly source?: number;
}

export const SHORTHAND = { NONE: 0, SELF: 1, ALL_INCLUDING_SELF: 2, ALL_BUT_SELF: 3 } as const;

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
  const shorthand = irq.shorthand ?? SHORTHAND.NONE;
  // kvm_irq_delivery_to_apic_fast: a self IPI goes straight to its source.
  if (shorthand === SHORTHAND.SELF && irq.source !== undefined) return set(irq.source);
  const matching: number[] = [];
  s.lapics.forEach((regs, i) => {
    // kvm_apic_match_dest
    const hit =
      shorthand === SHORTHAND.NONE ? matchDest(regs, irq.destId, irq.logical) : shorthand === SHORTHAND.ALL_INCLUDING_SELF ? true : shorthand === SHORTHAND.ALL_BUT_SELF ? i !== irq.source : i === irq.source;
    if (hit) matching.push(i);
  });
  // The APIC map answers a destination without shorthand other than the broadcast; the rest take the vcpu loop.
  const fast = shorthand === SHORTHAND.NONE && irq.destId !== 0xff && s.lapics.length > 0;
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
 * kvm_apic_send_ipi: ICR low bits 7:0 the vector, 10:8 the delivery mode,
 * 11 logical, 14 level asserted, 15 level-triggered, 19:18 the shorthand;
 * the xAPIC destination is ICR2 bits 31:24.
 */
export function icrToIrq(low: number, high: number, source: number): LapicIrq {
  return {
    vector: low & 0xff,
    deliveryMode: low & 0x700,
    logical: (low & 0x800) !== 0,
    level: (low & 0x4000) !== 0 ? 1 : 0,
    trigMode: (low & 0x8000) !== 0 ? 1 : 0,
    destId: high >>> 24,
    msiRedirHint: false,
    shorthand: (low >>> 18) & 3,
    source,
  };
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
