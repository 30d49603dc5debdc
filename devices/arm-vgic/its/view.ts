/**
 * The ITS as a KVM engineer reads it: `its.enabled`, `its.creadr`,
 * `its.device[16].ite[3].lpi`, `its.collection[1].target` (a vcpu id, null
 * while unmapped). Devices, ITEs and collections are keyed by their IDs.
 */
import type { DeviceView, PathStep } from '../../core/view.js';
import { VGIC_ADDR_UNDEF } from '../../core/uapi.js';
import type { VmState } from '../../core/vm-state.js';
import { COLLECTION_NOT_MAPPED, type ItsState } from './state.js';

function build(_vm: VmState, s: ItsState): Record<string, unknown> {
  const device: Record<number, unknown> = {};
  for (const d of s.devices) {
    const ite: Record<number, unknown> = {};
    for (const e of d.ites) ite[e.eventId] = { lpi: e.intid, collection: e.collection < 0 ? null : e.collection };
    device[d.id] = { itt_addr: d.ittAddr, event_bits: d.eventBits, ite };
  }
  const collection: Record<number, unknown> = {};
  for (const c of s.collections) collection[c.id] = { target: c.target === COLLECTION_NOT_MAPPED ? null : c.target };
  return {
    base: s.base === VGIC_ADDR_UNDEF ? null : s.base,
    enabled: s.enabled,
    quiescent: s.creadr === s.cwriter,
    cbaser: s.cbaser,
    creadr: s.creadr,
    cwriter: s.cwriter,
    baser: [s.baserDevice, s.baserColl],
    abi_rev: s.abiRev,
    device,
    collection,
  };
}

function resolve(vm: VmState, s: ItsState, p: readonly PathStep[]): unknown {
  let v: unknown = build(vm, s);
  for (const step of p) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[step];
  }
  return v;
}

export const itsView: DeviceView<ItsState> = { root: 'its', build, resolve };
