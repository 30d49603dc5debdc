/**
 * How a VMM migrates the FLIC through its attributes, in the order QEMU's
 * hw/intc/s390_flic_kvm.c uses (kvm_flic_save, kvm_flic_load and the AIS
 * subsection; its code is not used here) and shared/reference/
 * kvm-device-api.md 3.7:
 *
 * Save: APF_DISABLE_WAIT on the stopped source (no async page fault may
 * complete into the queues after they are read), then GET_ALL_IRQS with a
 * page-sized buffer doubled until the records fit (ENOMEM means "bigger"),
 * and AISM_ALL when the guest has AIS (facility 72).
 *
 * Restore into the fresh FLIC: the adapters the VMM's own devices
 * re-register (ADAPTER_REGISTER, and MASK where the guest masked one: no
 * GET reads them, the VMM knows them), ENQUEUE the records as GET_ALL_IRQS
 * wrote them (struct payloads, `data`), AISM_ALL, then APF_ENABLE.
 */
import type { Migration, SavedAttr, SavedValue } from '../core/device.js';
import type { VmState } from '../core/vm-state.js';
import { s390Facility } from '../arch/s390x/state.js';
import { floatingCount } from './irq.js';
import type { FlicState } from './state.js';
import { AIS_ALL_SIZE, FLIC_GRP as G, IO_ADAPTER_REQ, IO_ADAPTER_REQ_SIZE, IO_ADAPTER_SIZE, IRQ_SIZE, KVM_S390_ADAPTER_SUPPRESSIBLE, KVM_S390_FLIC_MAX_BUFFER } from './uapi.js';

type Saved = SavedAttr & SavedValue;

/** FLIC_SAVE_INITIAL_SIZE: one page, doubled until every pending record fits (or the kernel's maximum). */
export function saveBufferLength(records: number): number {
  let len = 4096;
  while (Math.floor(len / IRQ_SIZE) < records && len < KVM_S390_FLIC_MAX_BUFFER) len *= 2;
  return Math.min(len, KVM_S390_FLIC_MAX_BUFFER);
}

function saveList(vm: VmState, s: FlicState): SavedAttr[] {
  const out: SavedAttr[] = [{ group: G.KVM_DEV_FLIC_GET_ALL_IRQS, attr: BigInt(saveBufferLength(floatingCount(s))), name: 'floating interrupts' }];
  // The AIS subsection travels only when the guest has AIS (QEMU: KVM_CAP_S390_AIS_MIGRATION).
  if (s390Facility(vm, 72)) out.push({ group: G.KVM_DEV_FLIC_AISM_ALL, attr: BigInt(AIS_ALL_SIZE), name: 'AIS modes' });
  return out;
}

/**
 * The adapters the VMM's device models own (virtio-ccw, zPCI): registered
 * again on the destination when those devices are realized, and masked as
 * the guest left them (ADAPTER_MODIFY MASK). No FLIC attribute reads them.
 */
function vmmConfig(_vm: VmState, s: FlicState): Saved[] {
  const out: Saved[] = [];
  for (const a of s.adapters) {
    const reg = new Uint8Array(IO_ADAPTER_SIZE);
    new DataView(reg.buffer).setUint32(0, a.id, false);
    reg.set([a.isc, a.maskable ? 1 : 0, a.swap ? 1 : 0, a.suppressible ? KVM_S390_ADAPTER_SUPPRESSIBLE : 0], 4);
    out.push({ group: G.KVM_DEV_FLIC_ADAPTER_REGISTER, attr: 0n, name: `adapter ${a.id}`, value: 0n, data: reg });
    if (a.masked) {
      const req = new Uint8Array(IO_ADAPTER_REQ_SIZE);
      new DataView(req.buffer).setUint32(0, a.id, false);
      req[4] = IO_ADAPTER_REQ.KVM_S390_IO_ADAPTER_MASK;
      req[5] = 1;
      out.push({ group: G.KVM_DEV_FLIC_ADAPTER_MODIFY, attr: 0n, name: `adapter ${a.id} mask`, value: 0n, data: req });
    }
  }
  return out;
}

function restore(saved: readonly Saved[]): { writes: (Saved & { why: string })[]; redrive: number[] } {
  const out: (Saved & { why: string })[] = [];
  for (const x of saved.filter((x) => x.group === G.KVM_DEV_FLIC_ADAPTER_REGISTER)) out.push({ ...x, why: 'the VMM\'s devices re-register their adapters when they are realized, before the guest runs' });
  for (const x of saved.filter((x) => x.group === G.KVM_DEV_FLIC_ADAPTER_MODIFY)) out.push({ ...x, why: 'the mask the guest left, on the registered adapter' });
  for (const x of saved.filter((x) => x.name === 'floating interrupts'))
    // Nothing pending: GET_ALL_IRQS copied nothing and there is nothing to enqueue.
    if (x.data?.length) out.push({ ...x, group: G.KVM_DEV_FLIC_ENQUEUE, attr: BigInt(x.data.length), why: 'the pending floating interrupts, in GET_ALL_IRQS order (per-ISC order is kept)' });
  for (const x of saved.filter((x) => x.name === 'AIS modes'))
    out.push({ ...x, attr: BigInt(AIS_ALL_SIZE), why: 'AIS modes after the queues: ENQUEUE does not consult them, adapter injections after the migration do' });
  out.push({ group: G.KVM_DEV_FLIC_APF_ENABLE, attr: 0n, name: 'APF_ENABLE', value: 0n, why: 'async page faults back on once the queues are in (the save turned them off)' });
  return { writes: out, redrive: [] };
}

export const flicMigration: Migration<FlicState> = {
  saveActions: [{ group: G.KVM_DEV_FLIC_APF_DISABLE_WAIT, attr: 0n, name: 'APF_DISABLE_WAIT' }],
  saveList,
  vmmConfig,
  restore,
  notCarried: [
    {
      fields: ['flic.pfault_enabled'],
      what: 'whether async page faults are enabled (gmap->pfault_enabled)',
      why: 'the save turns them off on the source (APF_DISABLE_WAIT) and the restore on on the destination (APF_ENABLE), whatever the source had',
    },
  ],
};
