/**
 * The GICv3's interrupts facet: INTIDs 0-1019 and the LPIs from 8192,
 * KVM_IRQ_LINE raising and lowering them, and the ICC system registers
 * taking them: a read of ICC_IAR0_EL1 or ICC_IAR1_EL1 acknowledges the
 * INTID it returns (bits 23:0), a write of ICC_EOIR0_EL1 or ICC_EOIR1_EL1
 * completes the INTID written, ICC_DIR_EL1 deactivates it (IHI 0069 12.2).
 * INTIDs 1020-1023 are no interrupt. A write of ICC_SGI1R_EL1,
 * ICC_ASGI1R_EL1 or ICC_SGI0R_EL1 raises its SGI on each vcpu it targets
 * whose group the register may signal (vgic_v3_dispatch_sgi). An MSI through an ITS is the ITS's
 * to tell (its/interrupts.ts).
 */
import type { InterruptEffect, InterruptFacet } from '../../core/device.js';
import { ICC_SYSREG as R } from '../../core/uapi.js';
import { gicIrqName, irqLineEffects, isSpecial, LPIS, SGI_PPI_SPI } from '../interrupts.js';
import { sgiAccepted, sgiTargets } from './icc.js';
import type { Vgic3State } from './state.js';

const SGI_REGS = new Set<number>([R.ICC_SGI1R_EL1, R.ICC_ASGI1R_EL1, R.ICC_SGI0R_EL1]);

const ON_READ = new Map<number, InterruptEffect['action']>([
  [R.ICC_IAR0_EL1, 'acknowledge'],
  [R.ICC_IAR1_EL1, 'acknowledge'],
]);
const ON_WRITE = new Map<number, InterruptEffect['action']>([
  [R.ICC_EOIR0_EL1, 'complete'],
  [R.ICC_EOIR1_EL1, 'complete'],
  [R.ICC_DIR_EL1, 'deactivate'],
]);

export const vgicV3Interrupts: InterruptFacet<Vgic3State> = {
  ranges: [...SGI_PPI_SPI, LPIS],
  name: gicIrqName,
  effects(vm, s, ev) {
    if (ev.kind === 'irq_line') return irqLineEffects(ev);
    if (ev.kind !== 'sysreg' || ev.errno) return [];
    if (ev.write && SGI_REGS.has(ev.reg)) {
      const v = vm.vcpus.findIndex((x) => x.id === ev.vcpu);
      if (v < 0) return [];
      const sgi = Number((ev.value >> 24n) & 0xfn);
      return sgiTargets(vm.vcpus, v, ev.value)
        .filter((t) => s.cpus[t] !== undefined && sgiAccepted(s.cpus[t]!.priv, sgi, ev.reg))
        .map((t) => ({ action: 'raise' as const, irq: sgi, vcpu: vm.vcpus[t]!.id }));
    }
    const action = (ev.write ? ON_WRITE : ON_READ).get(ev.reg);
    const intid = Number(ev.value & 0xffffffn);
    return action && !isSpecial(intid) ? [{ action, irq: intid, vcpu: ev.vcpu }] : [];
  },
};
