/**
 * The GICv2's interrupts facet: INTIDs 0-1019, KVM_IRQ_LINE raising and
 * lowering them, and the guest's CPU interface (the GICC frame) taking them:
 * a read of GICC_IAR or GICC_AIAR acknowledges the INTID it returns
 * (InterruptID, bits 9:0), a write of GICC_EOIR or GICC_AEOIR completes the
 * INTID written, GICC_DIR deactivates it (IHI 0048B 4.4). INTIDs 1020-1023
 * are no interrupt. A GICD_SGIR write raises its SGI on each vcpu it
 * targets (vgic_mmio_write_sgir).
 */
import type { InterruptEffect, InterruptFacet } from '../../core/device.js';
import { gicIrqName, irqLineEffects, isSpecial, SGI_PPI_SPI } from '../interrupts.js';
import type { VgicState } from '../state.js';
import { V2_GICC } from './cpuif.js';
import { FRAME } from './frames.js';
import { sgiTargets } from './sgi.js';

/** GICD_SGIR's offset in the distributor frame. */
const GICD_SGIR = 0xf00;

const ON_READ: Readonly<Record<string, InterruptEffect['action']>> = { GICC_IAR: 'acknowledge', GICC_AIAR: 'acknowledge' };
const ON_WRITE: Readonly<Record<string, InterruptEffect['action']>> = { GICC_EOIR: 'complete', GICC_AEOIR: 'complete', GICC_DIR: 'deactivate' };

export const vgicV2Interrupts: InterruptFacet<VgicState> = {
  ranges: SGI_PPI_SPI,
  name: gicIrqName,
  effects(vm, _s, ev) {
    if (ev.kind === 'irq_line') return irqLineEffects(ev);
    if (ev.kind === 'mmio' && !ev.errno && ev.write && ev.frame === FRAME.DIST && ev.offset === GICD_SGIR && ev.len === 4) {
      const ids = vm.vcpus.map((v) => v.id);
      const source = ids.indexOf(ev.vcpu);
      if (source < 0) return [];
      const intid = Number(ev.value & 0xfn);
      return sgiTargets(ids, source, Number(ev.value & 0xffffffffn)).map((c) => ({ action: 'raise' as const, irq: intid, vcpu: ids[c]! }));
    }
    if (ev.kind !== 'mmio' || ev.errno || ev.frame !== FRAME.CPU || ev.len !== 4) return [];
    const reg = V2_GICC.find(ev.offset);
    const action = reg && reg.offset === ev.offset ? (ev.write ? ON_WRITE : ON_READ)[reg.name] : undefined;
    const intid = Number(ev.value & 0x3ffn);
    return action && !isSpecial(intid) ? [{ action, irq: intid, vcpu: ev.vcpu }] : [];
  },
};
