/**
 * Every condition between a pending x86 interrupt and the vcpu taking it
 * (devrr explain), by the path the kernel takes: for a GSI the routing,
 * then the 8259 (IRR, IMR, priority against ISR, the cascade, the vcpu's
 * LVT0 taking ExtINT: kvm_cpu_has_extint) and the IOAPIC (mask, IRR,
 * remote_irr, destination, the APIC software-enabled: ioapic_service ->
 * __apic_accept_irq); for a vector the local APIC (IRR, PPR:
 * apic_has_interrupt_for_ppr).
 */
import type { IrqCondition } from '../core/device.js';
import type { VmState } from '../core/vm-state.js';
import { routesOf } from './irqchip.js';
import { acceptPicIntr, APIC, getReg, matchDest, swEnabled, testVector, updatePpr } from './lapic.js';
import { picGetIrq } from './pic.js';
import { redirGet } from './structs.js';
import type { X86IrqchipState } from './state.js';
import { VECTOR_BASE } from './interrupts.js';

const hex = (n: number) => `0x${n.toString(16)}`;

function vectorConditions(s: X86IrqchipState, root: string, vector: number, out: IrqCondition[]): void {
  s.lapics.forEach((regs, i) => {
    const ppr = updatePpr(regs.slice());
    const lapic = `${root}.lapic[${i}]`;
    out.push({ vcpu: i, name: 'APIC software-enabled (SPIV bit 8)', ok: swEnabled(regs), value: hex(getReg(regs, APIC.SPIV)), paths: [`${lapic}.svr`] });
    out.push({ vcpu: i, name: `vector ${hex(vector)} in IRR`, ok: testVector(regs, APIC.IRR, vector), value: String(testVector(regs, APIC.IRR, vector)), paths: [`${lapic}.irr`] });
    out.push({ vcpu: i, name: 'vector class above PPR', ok: (vector & 0xf0) > ppr, value: `class ${hex(vector & 0xf0)}, PPR ${hex(ppr)}`, paths: [`${lapic}.ppr`, `${lapic}.tpr`, `${lapic}.isr`] });
  });
}

export function explainIrq(_vm: VmState, s: X86IrqchipState, irq: number, root: string): IrqCondition[] {
  const out: IrqCondition[] = [];
  if (irq >= VECTOR_BASE) {
    vectorConditions(s, root, irq - VECTOR_BASE, out);
    return out;
  }
  const routes = routesOf(irq);
  out.push({ vcpu: -1, name: 'routed by the default GSI routing', ok: routes.length > 0, value: routes.map((r) => `${r.chip} pin ${r.pin}`).join(', ') || 'no route', paths: [] });
  for (const r of routes) {
    if (r.chip === 'pic') {
      const chip = r.pin >> 3;
      const bit = 1 << (r.pin & 7);
      const p = s.pics[chip]!;
      const pic = `${root}.pic[${chip}]`;
      out.push({ vcpu: -1, name: `PIC ${chip ? 'slave' : 'master'} IRR bit ${r.pin & 7}`, ok: (p.irr & bit) !== 0, value: hex(p.irr), paths: [`${pic}.irr`] });
      out.push({ vcpu: -1, name: `PIC ${chip ? 'slave' : 'master'} IMR bit ${r.pin & 7} clear`, ok: (p.imr & bit) === 0, value: hex(p.imr), paths: [`${pic}.imr`] });
      out.push({ vcpu: -1, name: 'PIC selects it over what is in service', ok: picGetIrq(p, chip === 0) === (r.pin & 7), value: `ISR ${hex(p.isr)}, priority_add ${p.priority_add}`, paths: [`${pic}.isr`, `${pic}.priority_add`] });
      if (chip === 1) out.push({ vcpu: -1, name: 'master IMR bit 2 (cascade) clear', ok: (s.pics[0]!.imr & 4) === 0, value: hex(s.pics[0]!.imr), paths: [`${root}.pic[0].imr`] });
      out.push({ vcpu: -1, name: 'PIC INTR output high', ok: s.pic_output === 1, value: String(s.pic_output), paths: [`${root}.pic_output`] });
      s.lapics.forEach((regs, i) =>
        out.push({ vcpu: i, name: 'LVT0 unmasked ExtINT (takes PIC interrupts)', ok: acceptPicIntr(regs), value: hex(getReg(regs, APIC.LVT0)), paths: [`${root}.lapic[${i}].lvt_lint0`] }),
      );
    } else {
      const e = s.ioapic.redirtbl[r.pin]!;
      const red = `${root}.ioapic.redir[${r.pin}]`;
      const level = redirGet(e, 'trig_mode') === 1;
      out.push({ vcpu: -1, name: `IOAPIC pin ${r.pin} unmasked`, ok: redirGet(e, 'mask') === 0, value: String(redirGet(e, 'mask')), paths: [`${red}.mask`] });
      out.push({ vcpu: -1, name: `IOAPIC IRR bit ${r.pin}`, ok: (s.ioapic.irr & (1 << r.pin)) !== 0, value: hex(s.ioapic.irr), paths: [`${root}.ioapic.irr`] });
      if (level) out.push({ vcpu: -1, name: 'remote_irr clear (no EOI outstanding)', ok: redirGet(e, 'remote_irr') === 0, value: String(redirGet(e, 'remote_irr')), paths: [`${red}.remote_irr`] });
      const vector = redirGet(e, 'vector');
      s.lapics.forEach((regs, i) =>
        out.push({ vcpu: i, name: `destination ${redirGet(e, 'dest_id')} (${redirGet(e, 'dest_mode') ? 'logical' : 'physical'}) matches`, ok: matchDest(regs, redirGet(e, 'dest_id'), redirGet(e, 'dest_mode') === 1), value: `APIC ID ${getReg(regs, APIC.ID) >>> 24}`, paths: [`${red}.dest_id`, `${root}.lapic[${i}].id`] }),
      );
      vectorConditions(s, root, vector, out);
    }
  }
  return out;
}
