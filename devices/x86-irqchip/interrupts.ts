/**
 * The x86 irqchip's interrupts facet. Two numberings live side by side:
 * GSIs 0-23 (what KVM_IRQ_LINE drives, routed to the PIC pins and IOAPIC
 * pins) and the 256 vectors a local APIC or the PIC's INTA cycle hands the
 * vcpu, numbered here 0x100 + vector. Events: KVM_IRQ_LINE raises or lowers
 * a GSI; KVM_SIGNAL_MSI raises the vector it carries; a vcpu taking an
 * interrupt (kvm_cpu_get_interrupt) acknowledges the vector it got; an
 * 8259 EOI (OCW2 at port 0x20/0xa0) completes the PIC's in-service IRQ as a
 * GSI; a write of the APIC's EOI register completes its highest in-service
 * vector.
 */
import type { InterruptEffect, InterruptFacet } from '../core/device.js';
import { FRAME } from './frames.js';
import { APIC, highestVector } from './lapic.js';
import { PORT } from './pic.js';
import { IOAPIC_NUM_PINS, type Kpic, type X86IrqchipState } from './state.js';

/** Where the vector numbering starts. */
export const VECTOR_BASE = 0x100;

/** The in-service IRQ a non-specific EOI ends (get_priority over ISR), or -1. */
function eoiTarget(p: Kpic, cmd: number, val: number): number {
  if (cmd === 3 || cmd === 7) return val & 7;
  if (cmd !== 1 && cmd !== 5) return -1;
  for (let prio = 0; prio < 8; prio++) {
    const irq = (prio + p.priority_add) & 7;
    if (p.isr & (1 << irq)) return irq;
  }
  return -1;
}

export const interrupts: InterruptFacet<X86IrqchipState> = {
  ranges: [
    { name: 'GSI', first: 0, last: IOAPIC_NUM_PINS - 1 },
    { name: 'vector', first: VECTOR_BASE, last: VECTOR_BASE + 255 },
  ],
  name: (irq) => (irq >= VECTOR_BASE ? `vector 0x${(irq - VECTOR_BASE).toString(16)}` : `GSI ${irq}`),
  effects(vm, s, ev): readonly InterruptEffect[] {
    switch (ev.kind) {
      case 'irq_line':
        return ev.errno || ev.irq >= IOAPIC_NUM_PINS ? [] : [{ action: ev.level ? 'raise' : 'lower', irq: ev.irq }];
      case 'signal_msi':
        return ev.errno || ev.ret <= 0 ? [] : [{ action: 'raise', irq: VECTOR_BASE + (ev.data & 0xff) }];
      case 'take_interrupt':
        return ev.errno || ev.vector < 0 ? [] : [{ action: 'acknowledge', irq: VECTOR_BASE + ev.vector, vcpu: ev.vcpu }];
      case 'pio': {
        if (ev.errno || !ev.write || ev.len !== 1 || ev.offset !== 0 || (ev.range !== PORT.MASTER && ev.range !== PORT.SLAVE)) return [];
        const val = Number(ev.value & 0xffn);
        if (val & 0x18) return []; // ICW1 or OCW3, not an OCW2
        const irq = eoiTarget(s.pics[ev.range]!, val >> 5, val);
        return irq < 0 ? [] : [{ action: 'complete', irq: ev.range === PORT.SLAVE ? irq + 8 : irq, vcpu: ev.vcpu }];
      }
      case 'mmio': {
        // A 4-byte write of APIC_EOI in the vcpu's local APIC page.
        if (ev.errno || !ev.write || ev.frame !== FRAME.LAPIC || ev.offset !== APIC.EOI || ev.len !== 4) return [];
        const index = vm.vcpus.findIndex((v) => v.id === ev.vcpu);
        const regs = s.lapics[index];
        const vec = regs ? highestVector(regs, APIC.ISR) : -1;
        return vec < 0 ? [] : [{ action: 'complete', irq: VECTOR_BASE + vec, vcpu: ev.vcpu }];
      }
      default:
        return [];
    }
  },
};
