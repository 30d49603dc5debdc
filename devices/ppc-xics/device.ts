/**
 * KVM_DEV_TYPE_XICS as the emulated XICS serves it (kvm_xics_ops,
 * arch/powerpc/kvm/book3s_xics.c; a POWER8-style host: on a host whose
 * xics_on_xive() is true the same type is XICS-on-XIVE, book3s_xive.c,
 * and KVM_DEV_TYPE_XIVE is the separate XIVE-native device, neither
 * modelled here). Sources: Documentation/virt/kvm/devices/xics.rst,
 * book3s_xics.{c,h}, powerpc.c (KVM_CAP_IRQ_XICS, KVM_IRQ_LINE), book3s.c
 * (the GSI routing to kvmppc_xics_set_irq), book3s_hv.c and
 * book3s_pr_papr.c (the hypercalls handed to kvmppc_xics_hcall).
 */
import type { AttrGroup, DeviceModel } from '../core/device.js';
import { CAP, DEV_TYPE, ERRNO } from '../core/uapi.js';
import { explainXicsIrq } from './explain.js';
import { XICS_HCALLS, xicsHcall } from './icp.js';
import { connectVcpu, getIcp, getSource, icsDeliverIrq, setIcp, setSource } from './ics.js';
import { xicsInterrupts } from './interrupts.js';
import { xicsMigration } from './migration.js';
import { describeIcpState, describeSourceWord, describeXicsHcall, sourceName } from './names.js';
import { newIcpSlot, type XicsState, xicsSchema } from './state.js';
import { KVM_REG_PPC_ICP_STATE, KVMPPC_XICS_FIRST_IRQ, KVMPPC_XICS_NR_IRQS, XICS_CTRL, XICS_GRP } from './uapi.js';
import { xicsView } from './view.js';

/** xics_set_attr / xics_get_attr / xics_has_attr: one group; any other (GRP_CTRL included) is ENXIO. */
const GROUPS: readonly AttrGroup<XicsState>[] = [
  {
    id: XICS_GRP.KVM_DEV_XICS_GRP_SOURCES,
    name: 'KVM_DEV_XICS_GRP_SOURCES',
    payload: 8,
    // xics_has_attr: the attr (a u64) within 16..2^20-1.
    has: (_vm, _s, attr) => (attr >= BigInt(KVMPPC_XICS_FIRST_IRQ) && attr < BigInt(KVMPPC_XICS_NR_IRQS) ? 0 : ERRNO.ENXIO),
    get: (_vm, s, attr) => getSource(s, attr),
    set: (_vm, s, attr, buf) => setSource(s, attr, buf),
    describe: (attr) => (attr < 1n << 32n ? sourceName(Number(attr)) : `source 0x${attr.toString(16)}`),
    describeValue: (_attr, v) => describeSourceWord(v),
  },
  {
    // KVM_DEV_XICS_NR_SERVERS is XICS-on-XIVE's (book3s_xive.c): xics_{has,get,set}_attr have no case for the
    // group, so every call is ENXIO, as for an unknown group. The row is here so that dump names the group.
    id: XICS_GRP.KVM_DEV_XICS_GRP_CTRL,
    name: 'KVM_DEV_XICS_GRP_CTRL',
    payload: 4,
    has: () => ERRNO.ENXIO,
    describe: (attr) => (attr === BigInt(XICS_CTRL.KVM_DEV_XICS_NR_SERVERS) ? 'KVM_DEV_XICS_NR_SERVERS' : `attr ${attr}`),
    attrNames: () => new Map(Object.entries(XICS_CTRL)),
  },
];

export const xics: DeviceModel<XicsState> = {
  type: DEV_TYPE.KVM_DEV_TYPE_XICS,
  typeName: 'KVM_DEV_TYPE_XICS',
  inodeName: 'kvm-xics',
  arches: ['ppc64'],
  modelVersion: 1,
  isIrqchip: true,
  stateSchema: xicsSchema,
  kernel: {
    ops: { get: true, set: true, has: true },
    groups: GROUPS,
    // kvmppc_xics_create: one XICS per VM (kvm->arch.xics), else EEXIST. Its ICSes come later, with the sources.
    create(vm) {
      if (vm.state.devices.some((d) => d.type === DEV_TYPE.KVM_DEV_TYPE_XICS)) return { errno: ERRNO.EEXIST };
      return { errno: 0, state: { ics: [], maxIcsid: 0, icp: vm.state.vcpus.map(() => newIcpSlot()) } };
    },
    vcpuCreated: (_vm, s) => void s.icp.push(newIcpSlot()),
    // kvm_vm_ioctl_irq_line (powerpc.c) returns 0 whatever ics_deliver_irq answers.
    irqLine(_vm, s, irq, level) {
      icsDeliverIrq(s, irq, level);
      return 0;
    },
    vcpuCaps: [CAP.KVM_CAP_IRQ_XICS],
    connectVcpu: (_vm, s, vcpu, _cap, args, irqTypeSet) => connectVcpu(s, vcpu, args, irqTypeSet),
    vcpuConnected: (s, vcpu) => s.icp[vcpu]?.connected === true,
    hcalls: XICS_HCALLS,
    // kvmppc_xics_enabled(vcpu): only a connected vcpu's hypercalls reach kvmppc_xics_hcall.
    hcall: (_vm, s, vcpu, nr, args) => (s.icp[vcpu]?.connected ? xicsHcall(s, vcpu, nr, args) : undefined),
    // kvmppc_get_one_reg / kvmppc_set_one_reg (book3s.c): KVM_REG_PPC_ICP_STATE is ENXIO without vcpu->arch.icp
    // (a vcpu no XICS connected), else kvmppc_xics_get_icp / kvmppc_xics_set_icp.
    oneRegs: [{ id: KVM_REG_PPC_ICP_STATE, name: 'KVM_REG_PPC_ICP_STATE', absent: ERRNO.ENXIO, describeValue: describeIcpState }],
    oneReg(_vm, s, vcpu, write, _id, value) {
      if (!s.icp[vcpu]?.connected) return undefined;
      return write ? { errno: setIcp(s, vcpu, value), value } : { errno: 0, value: getIcp(s, vcpu) };
    },
  },
  inspect: {
    describeHcall: describeXicsHcall,
    view: xicsView,
    explainIrq: explainXicsIrq,
    migration: xicsMigration,
    interrupts: xicsInterrupts,
  },
};
