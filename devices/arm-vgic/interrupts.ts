/**
 * The GIC's interrupt numbering and what KVM_IRQ_LINE does to it, shared by
 * the v2 and v3 interrupts facets (v2/interrupts.ts, v3/interrupts.ts):
 * INTIDs 0-15 are SGIs, 16-31 PPIs, 32-1019 SPIs, 1020-1023 special, and
 * with an ITS the LPIs from 8192 (IHI 0069 2.2).
 */
import { decodeArmIrq } from '../arch/arm64.js';
import type { InterruptEffect, InterruptEvent, InterruptRange } from '../core/device.js';
import { VGIC } from '../core/uapi.js';
import { INTERRUPT_ID_BITS_ITS } from './v3/lpi.js';

export const SGI_PPI_SPI: readonly InterruptRange[] = [
  { name: 'SGI', first: 0, last: VGIC.NR_SGIS - 1 },
  { name: 'PPI', first: VGIC.NR_SGIS, last: VGIC.NR_PRIVATE_IRQS - 1 },
  { name: 'SPI', first: VGIC.NR_PRIVATE_IRQS, last: VGIC.MAX_SPI },
];

/** The LPIs a GICv3 with an ITS has: from 8192 up to 2^INTERRUPT_ID_BITS_ITS - 1. */
export const LPIS: InterruptRange = { name: 'LPI', first: VGIC.MIN_LPI, last: 2 ** INTERRUPT_ID_BITS_ITS - 1 };

/** INTIDs 1020-1023: "no interrupt" answers of IAR (spurious, and its group variants), never an interrupt. */
export function isSpecial(intid: number): boolean {
  return intid >= 1020 && intid <= 1023;
}

/** "SGI 3", "PPI 27", "SPI 42", "LPI 8192", "INTID 1023 (special)". */
export function gicIrqName(intid: number): string {
  if (isSpecial(intid)) return `INTID ${intid} (special)`;
  const r = [...SGI_PPI_SPI, LPIS].find((x) => intid >= x.first && intid <= x.last);
  return r ? `${r.name} ${intid}` : `INTID ${intid}`;
}

/**
 * KVM_IRQ_LINE that the VGIC took (errno 0): an SPI line (and, with an ITS,
 * an LPI given as an SPI number, vgic_get_irq) or a vcpu's PPI goes high
 * (raise) or low (lower); a CPU line is not a GIC interrupt.
 */
export function irqLineEffects(ev: Extract<InterruptEvent, { kind: 'irq_line' }>): InterruptEffect[] {
  if (ev.errno) return [];
  const l = decodeArmIrq(ev.irq);
  const action = ev.level ? 'raise' : 'lower';
  if (l.type === 'SPI') return [{ action, irq: l.num }];
  if (l.type === 'PPI') return [{ action, irq: l.num, vcpu: l.vcpu! }];
  return [];
}
