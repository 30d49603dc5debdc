/**
 * How a VMM migrates the emulated XICS (QEMU: hw/intc/xics_kvm.c,
 * ics_get_kvm_state / ics_set_kvm_state and icp_get/set_kvm_state):
 * every source that exists is one 64-bit GRP_SOURCES word, P and Q
 * included (KVM_XICS_PRESENTED, KVM_XICS_QUEUED); each vcpu's ICP is the
 * one-reg KVM_REG_PPC_ICP_STATE.
 *
 * Restore order, with reasons:
 * 1. The destination's vcpus are connected first (KVM_ENABLE_CAP
 *    KVM_CAP_IRQ_XICS with the source's server numbers): xics_set_source
 *    refuses a priority other than MASKED for a server no vcpu has
 *    (EINVAL), and a PENDING word redelivers to the server's ICP.
 * 2. The source words, in source order: each write rewrites its whole
 *    source; P comes back from PRESENTED (or PENDING, for words saved by
 *    kernels without P), Q from QUEUED, and PENDING redelivers.
 * 3. Each connected vcpu's KVM_REG_PPC_ICP_STATE (KVM_SET_ONE_REG), after
 *    the sources: kvmppc_xics_set_icp refuses a pending XISR whose ICS does
 *    not exist yet (EINVAL), and it overwrites whatever the PENDING words'
 *    redelivery put in the ICP without rejecting it (the sources are
 *    already as saved). A fresh ICP's MFRR is 0xff, so no saved MFRR is
 *    less favoured and no resend runs.
 * Lines are not re-driven: an LSI's asserted line is its P bit, in the word.
 */
import type { Migration, NotCarried, SavedAttr } from '../core/device.js';
import { CAP } from '../core/uapi.js';
import type { VmState } from '../core/vm-state.js';
import { SRC, type XicsState } from './state.js';
import { KVM_REG_PPC_ICP_STATE, KVMPPC_XICS_ICS_SHIFT, XICS_GRP } from './uapi.js';

function saveList(vm: VmState, s: XicsState): SavedAttr[] {
  const out: SavedAttr[] = [];
  for (const x of s.ics)
    for (let i = 0; i < x.flags.length; i++) {
      if (!(x.flags[i]! & SRC.EXISTS)) continue;
      const n = (x.icsid << KVMPPC_XICS_ICS_SHIFT) | i;
      out.push({ group: XICS_GRP.KVM_DEV_XICS_GRP_SOURCES, attr: BigInt(n), name: `source ${n}` });
    }
  // Each vcpu with an ICP (connected): KVM_GET_ONE_REG KVM_REG_PPC_ICP_STATE (QEMU's icp_get_kvm_state).
  s.icp.forEach((c, i) => {
    const id = vm.vcpus[i]!.id;
    if (c.connected) out.push({ group: 0, attr: KVM_REG_PPC_ICP_STATE, name: `KVM_REG_PPC_ICP_STATE (vcpu ${id})`, ioctl: 'one_reg', vcpu: id });
  });
  return out;
}

export const XICS_NOT_CARRIED: readonly NotCarried[] = [
  {
    fields: ['xics.icp[*].need_resend', 'xics.icp[*].resend_ics'],
    what: "an ICP's record that a delivery to it failed (need_resend, the resend map)",
    why: 'no ABI carries it: kvmppc_xics_set_icp keeps or clears the destination\'s own, and the PENDING words of the sources awaiting a resend redeliver them on restore, which rebuilds it',
  },
  {
    fields: ['xics.max_icsid', 'xics.ics_ids'],
    what: 'ICSes that hold no source that exists (created by a GRP_SOURCES write that failed after creating it)',
    why: 'only existing sources are in a save list; such an ICS only shows as H_EOI of one of its numbers answering H_SUCCESS instead of H_PARAMETER',
  },
];

export const xicsMigration: Migration<XicsState> = {
  saveList,
  vcpuConnects: (vm, s) => s.icp.flatMap((c, i) => (c.connected ? [{ vcpu: vm.vcpus[i]!.id, cap: CAP.KVM_CAP_IRQ_XICS, args: [BigInt(c.server)] }] : [])),
  restore(saved) {
    const sources = saved
      .filter((a) => a.ioctl === undefined)
      .sort((a, b) => (a.attr < b.attr ? -1 : a.attr > b.attr ? 1 : 0))
      .map((a) => ({ ...a, why: 'xics_set_source rewrites the whole source from its word (P from PRESENTED or PENDING, Q from QUEUED; PENDING redelivers), after the vcpus are connected' }));
    const icps = saved
      .filter((a) => a.ioctl === 'one_reg')
      .map((a) => ({ ...a, why: 'kvmppc_xics_set_icp after the sources: a pending XISR needs its ICS to exist, and the saved state overwrites what a PENDING word redelivered' }));
    return { writes: [...sources, ...icps], redrive: [] };
  },
  notCarried: XICS_NOT_CARRIED,
};
