/**
 * The ITS's part of the GICv3's interrupt semantics: KVM_SIGNAL_MSI at this
 * ITS's frame that was delivered (result 1) raised the LPI its
 * translation maps the (device ID, event ID) to, on the vcpu the ITE's
 * collection targets (vgic_its_trigger_msi). The ITS has no interrupt
 * numbers of its own: the LPIs are the VGIC's.
 */
import type { InterruptFacet } from '../../core/device.js';
import { KVM_VGIC_V3_ITS_SIZE, VGIC_ADDR_UNDEF } from '../../core/uapi.js';
import { findIte } from './cmd.js';
import { COLLECTION_NOT_MAPPED, type ItsState } from './state.js';

export const itsInterrupts: InterruptFacet<ItsState> = {
  ranges: [],
  effects(_vm, s, ev) {
    if (ev.kind !== 'signal_msi' || ev.errno || ev.ret !== 1 || s.base === VGIC_ADDR_UNDEF) return [];
    if (ev.address < s.base || ev.address >= s.base + BigInt(KVM_VGIC_V3_ITS_SIZE)) return [];
    const ite = findIte(s, ev.devid >>> 0, ev.data >>> 0);
    if (!ite) return [];
    const target = s.collections.find((c) => c.id === ite.collection)?.target;
    return [{ action: 'raise', irq: ite.intid, ...(target !== undefined && target !== COLLECTION_NOT_MAPPED && { vcpu: target }) }];
  },
};
