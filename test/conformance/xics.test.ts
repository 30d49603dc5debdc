/**
 * Conformance: the emulated XICS (KVM_DEV_TYPE_XICS, arch/powerpc/kvm/book3s_xics.c),
 * one test per kernel rule, each named after its function and file: the
 * GRP_SOURCES word as xics_get_source / xics_set_source read and write it
 * (P/Q included, and what a read returns after a write), KVM_IRQ_LINE
 * (ics_deliver_irq), connecting vcpus (KVM_CAP_IRQ_XICS,
 * kvmppc_xics_connect_vcpu), the hypercalls with the kernel's rejects and
 * resends, the one-reg ICP state functions, and P/Q across a migration.
 */
import { describe, expect, test } from 'vitest';
import type { DeviceModel } from '../../devices/core/device.js';
import { CAP, DEV_TYPE, ERRNO } from '../../devices/core/uapi.js';
import { Vm } from '../../devices/core/vm.js';
import { getIcp, setIcp } from '../../devices/ppc-xics/ics.js';
import type { XicsState } from '../../devices/ppc-xics/state.js';
import { xics } from '../../devices/ppc-xics/device.js';
import { H_CALL, KVM_INTERRUPT_SET, KVM_INTERRUPT_SET_LEVEL, KVM_INTERRUPT_UNSET, KVM_XICS_LEVEL_SENSITIVE as LSI, KVM_XICS_MASKED as MASKED, KVM_XICS_PENDING as PENDING, KVM_XICS_PRESENTED as PRESENTED, KVM_XICS_QUEUED as QUEUED, XICS_GRP } from '../../devices/ppc-xics/uapi.js';
import { createVm, DEVICE_MODELS } from '../../devices/registry.js';
import { migrateVm } from '../../replay/migrate.js';

const SOURCES = XICS_GRP.KVM_DEV_XICS_GRP_SOURCES;
const H_PARAMETER = BigInt.asUintN(64, -4n);
const prio = (p: number) => BigInt(p) << 32n;
const word = (server: number, p: number, bits = 0n) => BigInt(server) | prio(p) | bits;

/** A ppc64 VM with `n` vcpus (ids 0..n-1), an XICS, and vcpu i connected as server i. */
function xicsVm(n = 2, connect = true) {
  const vm = createVm('ppc64');
  for (let i = 0; i < n; i++) expect(vm.createVcpu(i)).toBe(0);
  const { errno, handle } = vm.createDevice(DEV_TYPE.KVM_DEV_TYPE_XICS, 0);
  expect(errno).toBe(0);
  const fd = { kind: 'device' as const, handle };
  const x = {
    vm,
    handle,
    state: () => vm.state.devices[handle]!.state as XicsState,
    connect: (vcpu: number, server: number) => vm.enableCap(vcpu, CAP.KVM_CAP_IRQ_XICS, [BigInt(handle), BigInt(server)]),
    set: (irq: number | bigint, value: bigint, nullPtr = false) => vm.setAttr(fd, SOURCES, BigInt(irq), { nullPtr, value }),
    get: (irq: number | bigint, nullPtr = false) => vm.getAttr(fd, SOURCES, BigInt(irq), { nullPtr, value: 0n }),
    has: (irq: number | bigint, group: number = SOURCES) => vm.hasAttr(fd, group, BigInt(irq)),
    line: (irq: number, level: number) => vm.irqLine(irq, level),
    hcall: (vcpu: number, name: keyof typeof H_CALL, ...args: (number | bigint)[]) => vm.hcall(vcpu, H_CALL[name], args.map((a) => BigInt(a))),
    icp: (i: number) => (vm.state.devices[handle]!.state as XicsState).icp[i]!,
  };
  if (connect) for (let i = 0; i < n; i++) expect(x.connect(i, i)).toBe(0);
  return x;
}

describe('creating the device and connecting vcpus', () => {
  test('kvmppc_xics_create (book3s_xics.c): one XICS per VM, a second is EEXIST; the type is ppc64-only (ENODEV elsewhere)', () => {
    const x = xicsVm(1);
    expect(x.vm.createDevice(DEV_TYPE.KVM_DEV_TYPE_XICS, 0).errno).toBe(ERRNO.EEXIST);
    expect(createVm('arm64').createDevice(DEV_TYPE.KVM_DEV_TYPE_XICS, 0).errno).toBe(ERRNO.ENODEV);
  });

  test('kvmppc_xics_connect_vcpu (book3s_xics.c): a connected vcpu is EBUSY (irq_type not KVMPPC_IRQ_DEFAULT); kvmppc_xics_create_icp: a server number another vcpu has is EEXIST', () => {
    const x = xicsVm(3, false);
    expect(x.connect(0, 7)).toBe(0);
    expect(x.connect(0, 8)).toBe(ERRNO.EBUSY);
    expect(x.connect(1, 7)).toBe(ERRNO.EEXIST);
    expect(x.connect(1, 8)).toBe(0);
    // The server number is args[1] as a u32.
    expect(x.connect(2, 0x1_0000_0007)).toBe(ERRNO.EEXIST);
  });

  test('kvmppc_xics_create_icp (book3s_xics.c): a new ICP has CPPR 0, MFRR and pending priority MASKED, nothing pending', () => {
    const x = xicsVm(1);
    expect(getIcp(x.state(), 0)).toBe(0xffn << 24n | 0xffn << 16n);
    expect(x.icp(0)).toMatchObject({ cppr: 0, mfrr: 0xff, pendingPri: 0xff, xisr: 0 });
  });

  test('kvm_vcpu_ioctl_enable_cap KVM_CAP_IRQ_XICS (powerpc.c): args[0] not an open device fd is EBADF, a device of another family EPERM; a cap no family claims EINVAL; on the VM fd EINVAL (kvm_vm_ioctl_enable_cap)', () => {
    // A toy device on ppc64 that claims no capability, to be "another family".
    const toy: DeviceModel<object> = { type: DEV_TYPE.KVM_DEV_TYPE_VFIO, typeName: 'TOY', inodeName: 'toy', arches: ['ppc64'], modelVersion: 1, kernel: { ops: { get: false, set: false, has: false }, groups: [], create: () => ({ errno: 0, state: {} }) } };
    const vm = new Vm(new Map([...DEVICE_MODELS, [toy.type, toy]]), 'ppc64', 52);
    vm.createVcpu(0);
    const t = vm.createDevice(toy.type, 0).handle;
    const h = vm.createDevice(DEV_TYPE.KVM_DEV_TYPE_XICS, 0).handle;
    expect(vm.enableCap(0, CAP.KVM_CAP_IRQ_XICS, [0xffffffffn, 0n])).toBe(ERRNO.EBADF);
    expect(vm.enableCap(0, CAP.KVM_CAP_IRQ_XICS, [BigInt(t), 0n])).toBe(ERRNO.EPERM);
    expect(vm.enableCap(0, 12345, [BigInt(h), 0n])).toBe(ERRNO.EINVAL);
    expect(vm.enableCap(-1, CAP.KVM_CAP_IRQ_XICS, [BigInt(h), 0n])).toBe(ERRNO.EINVAL);
    expect(vm.enableCap(5, CAP.KVM_CAP_IRQ_XICS, [BigInt(h), 0n])).toBe(ERRNO.EBADF);
    expect(vm.enableCap(0, CAP.KVM_CAP_IRQ_XICS, [BigInt(h), 0n])).toBe(0);
  });

  test('KVM_CAP_IRQ_XICS on arm64 (kvm_vcpu_ioctl_enable_cap has no such case): EINVAL', () => {
    const vm = createVm('arm64');
    vm.createVcpu(0);
    expect(vm.enableCap(0, CAP.KVM_CAP_IRQ_XICS, [0n, 0n])).toBe(ERRNO.EINVAL);
  });
});

describe('KVM_DEV_XICS_GRP_SOURCES: the 64-bit source word', () => {
  test('xics_has_attr (book3s_xics.c): GRP_SOURCES takes 16..2^20-1; GRP_CTRL (KVM_DEV_XICS_NR_SERVERS, XICS-on-XIVE only) and any other group are ENXIO on has, get and set', () => {
    const x = xicsVm(1);
    expect([15, 16, 0xfffff, 0x100000].map((n) => x.has(n))).toEqual([ERRNO.ENXIO, 0, 0, ERRNO.ENXIO]);
    expect(x.has(1, XICS_GRP.KVM_DEV_XICS_GRP_CTRL)).toBe(ERRNO.ENXIO);
    const fd = { kind: 'device' as const, handle: x.handle };
    expect(x.vm.setAttr(fd, XICS_GRP.KVM_DEV_XICS_GRP_CTRL, 1n, { nullPtr: false, value: 8n })).toBe(ERRNO.ENXIO);
    expect(x.vm.getAttr(fd, XICS_GRP.KVM_DEV_XICS_GRP_CTRL, 1n, { nullPtr: false, value: 0n }).errno).toBe(ERRNO.ENXIO);
  });

  test('xics_set_source (book3s_xics.c): a number outside 16..2^20-1 is ENOENT, the attr read as a signed long (2^64-1 is -1)', () => {
    const x = xicsVm(1);
    for (const n of [0n, 15n, 0x100000n, 0xffffffffffffffffn, 0x8000000000001000n]) expect(x.set(n, word(0, 5))).toBe(ERRNO.ENOENT);
    expect(x.set(16, word(0, 5))).toBe(0);
    expect(x.set(0xfffff, word(0, 5))).toBe(0);
  });

  test('xics_set_source (book3s_xics.c): a priority other than MASKED for a server no vcpu has is EINVAL; MASKED (0xff) takes any server', () => {
    const x = xicsVm(1);
    expect(x.set(4096, word(9, 5))).toBe(ERRNO.EINVAL);
    expect(x.get(4096).errno).toBe(ERRNO.ENOENT);
    expect(x.set(4096, word(9, 0xff))).toBe(0);
    expect(x.get(4096)).toEqual({ errno: 0, value: word(9, 0xff, MASKED) });
  });

  test('xics_set_source (book3s_xics.c): the ICS is created before the user word is read and the server checked: a faulting or refused write leaves it, so H_EOI of its numbers answers H_SUCCESS (ics_eoi finds it) instead of H_PARAMETER', () => {
    const x = xicsVm(1);
    expect(x.hcall(0, 'H_EOI', 0x2000)).toEqual({ errno: 0, ret: H_PARAMETER });
    expect(x.set(0x2000, 0n, true)).toBe(ERRNO.EFAULT);
    expect(x.state().ics.map((i) => i.icsid)).toEqual([8]);
    expect(x.get(0x2000).errno).toBe(ERRNO.ENOENT);
    expect(x.hcall(0, 'H_EOI', 0x2000)).toEqual({ errno: 0, ret: 0n });
    expect(x.set(0x3000, word(9, 5))).toBe(ERRNO.EINVAL);
    expect(x.hcall(0, 'H_EOI', 0x3000)).toEqual({ errno: 0, ret: 0n });
  });

  test('xics_get_source (book3s_xics.c): ENOENT when the ICS was never created or the source never written; a NULL buffer faults only on a source that exists (put_user)', () => {
    const x = xicsVm(1);
    expect(x.get(4096).errno).toBe(ERRNO.ENOENT);
    expect(x.set(4096, word(0, 5))).toBe(0);
    expect(x.get(4097).errno).toBe(ERRNO.ENOENT);
    expect(x.get(4097, true).errno).toBe(ERRNO.ENOENT);
    expect(x.get(4096, true).errno).toBe(ERRNO.EFAULT);
  });

  test('xics_get_source -> kvmppc_xics_find_ics (book3s_xics.h): the number is a u32, so bits 63:32 of the attr are dropped and there is no range check', () => {
    const x = xicsVm(1);
    expect(x.set(4096, word(0, 5))).toBe(0);
    expect(x.get((1n << 32n) | 4096n)).toEqual({ errno: 0, value: word(0, 5) });
    expect(x.has((1n << 32n) | 4096n)).toBe(ERRNO.ENXIO);
  });

  // What a read returns after a write, for every combination of the flag bits, on an MSI and an LSI whose
  // server (vcpu 0, CPPR 0) accepts nothing: a PENDING write redelivers, the delivery fails and leaves resend.
  const cases: [string, bigint, bigint][] = [
    ['nothing', 0n, 0n],
    ['MASKED', MASKED, MASKED],
    ['PRESENTED (P): kept, no delivery', PRESENTED, PRESENTED],
    ['QUEUED (Q)', QUEUED, QUEUED],
    ['PRESENTED|QUEUED', PRESENTED | QUEUED, PRESENTED | QUEUED],
    ['PENDING on an MSI: sets P ("P is not saved because of old code"), redelivers, resend reads back as PENDING', PENDING, PENDING | PRESENTED],
    ['PENDING|MASKED: the delivery latches masked_pending, read back as PENDING', PENDING | MASKED, PENDING | PRESENTED | MASKED],
    ['LSI: LEVEL_SENSITIVE', LSI, LSI],
    ['LSI with P: PENDING is P', LSI | PRESENTED, LSI | PRESENTED | PENDING],
    ['LSI PENDING: P set', LSI | PENDING, LSI | PRESENTED | PENDING],
    ['LSI MASKED|QUEUED', LSI | MASKED | QUEUED, LSI | MASKED | QUEUED],
  ];
  test.each(cases)('xics_set_source then xics_get_source (book3s_xics.c): %s', (_n, bits, back) => {
    const x = xicsVm(1);
    expect(x.set(4096, word(0, 5, bits))).toBe(0);
    expect(x.get(4096)).toEqual({ errno: 0, value: word(0, 5, back) });
  });

  test('xics_get_source (book3s_xics.c): a masked source reports MASKED with its saved priority; xics_set_source keeps the word\'s priority as saved_priority', () => {
    const x = xicsVm(1);
    expect(x.set(4096, word(0, 5, MASKED))).toBe(0);
    const ics = x.state().ics[0]!;
    expect([ics.priority[0], ics.savedPriority[0]]).toEqual([0xff, 5]);
    expect(x.get(4096).value).toBe(word(0, 5, MASKED));
  });

  test('xics_set_source (book3s_xics.c): a write rewrites the whole source, clearing resend, masked_pending, LSI, P and Q not in the word', () => {
    const x = xicsVm(1);
    expect(x.set(4096, word(0, 5, LSI | PENDING | QUEUED))).toBe(0);
    expect(x.get(4096).value).toBe(word(0, 5, LSI | PENDING | PRESENTED | QUEUED));
    expect(x.set(4096, word(0, 6))).toBe(0);
    expect(x.get(4096).value).toBe(word(0, 6));
    expect(x.state().ics[0]!.flags[0]).toBe(1);
  });
});

describe('KVM_IRQ_LINE: ics_deliver_irq and the P/Q bits', () => {
  test('kvm_vm_ioctl_irq_line (powerpc.c): with the XICS it always returns 0, also for a source that does not exist (ics_deliver_irq\'s EINVAL is dropped); without an irqchip ENXIO', () => {
    const x = xicsVm(1);
    expect(x.line(4096, 1)).toBe(0);
    expect(x.line(0xffffffff, 1)).toBe(0);
    const bare = createVm('ppc64');
    expect(bare.irqLine(4096, 1)).toBe(ERRNO.ENXIO);
  });

  test('ics_deliver_irq (book3s_xics.c): an MSI trigger shifts P into Q and sets P; only P=1,Q=0 presents; level 0 is ignored', () => {
    const x = xicsVm(1);
    expect(x.set(4096, word(0, 5))).toBe(0);
    x.line(4096, 1);
    expect(x.get(4096).value).toBe(word(0, 5, PENDING | PRESENTED));
    x.line(4096, 1);
    expect(x.get(4096).value! & (PRESENTED | QUEUED)).toBe(PRESENTED | QUEUED);
    x.line(4096, 1);
    expect(x.get(4096).value! & (PRESENTED | QUEUED)).toBe(PRESENTED | QUEUED);
    x.line(4096, 0);
    expect(x.get(4096).value! & (PRESENTED | QUEUED)).toBe(PRESENTED | QUEUED);
  });

  test('ics_deliver_irq (book3s_xics.c): an LSI at 1 sets P and clears Q (with P already set: nothing), at 0 clears both; KVM_INTERRUPT_SET and SET_LEVEL count as 1, UNSET as 0', () => {
    const x = xicsVm(1);
    expect(x.set(4096, word(0, 5, LSI | QUEUED))).toBe(0);
    x.line(4096, KVM_INTERRUPT_SET_LEVEL);
    expect(x.get(4096).value! & (PRESENTED | QUEUED)).toBe(PRESENTED);
    expect(x.set(4096, word(0, 5, LSI | PRESENTED | QUEUED))).toBe(0);
    x.line(4096, 1);
    expect(x.get(4096).value! & (PRESENTED | QUEUED)).toBe(PRESENTED | QUEUED);
    x.line(4096, KVM_INTERRUPT_UNSET);
    expect(x.get(4096).value! & (PRESENTED | QUEUED | PENDING)).toBe(0n);
    x.line(4096, KVM_INTERRUPT_SET);
    expect(x.get(4096).value! & PRESENTED).toBe(PRESENTED);
    x.line(4096, 0);
    x.line(4096, 7);
    expect(x.get(4096).value! & PRESENTED).toBe(PRESENTED);
  });

  test('icp_deliver_irq (book3s_xics.c): a masked source latches masked_pending (read back as PENDING) instead of presenting', () => {
    const x = xicsVm(1);
    expect(x.hcall(0, 'H_CPPR', 0xff).ret).toBe(0n);
    expect(x.set(4096, word(0, 5, MASKED))).toBe(0);
    x.line(4096, 1);
    expect(x.icp(0).xisr).toBe(0);
    expect(x.get(4096).value).toBe(word(0, 5, MASKED | PENDING | PRESENTED));
  });
});

describe('the ICP through hypercalls', () => {
  /** vcpu 0 at CPPR 0xff, source 4096 (MSI) at priority 5 on server 0. */
  function ready() {
    const x = xicsVm(2);
    expect(x.hcall(0, 'H_CPPR', 0xff)).toEqual({ errno: 0, ret: 0n });
    expect(x.set(4096, word(0, 5))).toBe(0);
    return x;
  }

  test('kvmppc_h_xirr (book3s_xics.c): returns CPPR<<24 | XISR and accepts: CPPR takes the priority, XISR clears; with nothing pending it changes nothing', () => {
    const x = ready();
    x.line(4096, 1);
    expect(x.icp(0)).toMatchObject({ xisr: 4096, pendingPri: 5, outEe: true });
    expect(x.hcall(0, 'H_XIRR')).toEqual({ errno: 0, ret: 0xff001000n });
    expect(x.icp(0)).toMatchObject({ cppr: 5, xisr: 0, pendingPri: 0xff, outEe: false });
    expect(x.hcall(0, 'H_XIRR_X')).toEqual({ errno: 0, ret: 0x05000000n });
  });

  test('icp_try_to_deliver (book3s_xics.c): CPPR 0 (a new ICP) accepts nothing: the source is marked resend and the ICP need_resend; H_CPPR lowering the priority (icp_down_cppr) resends it', () => {
    const x = xicsVm(1);
    expect(x.set(4096, word(0, 5))).toBe(0);
    x.line(4096, 1);
    expect(x.icp(0)).toMatchObject({ xisr: 0, needResend: true });
    expect(x.get(4096).value! & PENDING).toBe(PENDING);
    expect(x.hcall(0, 'H_CPPR', 0xff).ret).toBe(0n);
    expect(x.icp(0)).toMatchObject({ xisr: 4096, needResend: false, outEe: true });
    expect(x.get(4096).value! & PENDING).toBe(0n);
  });

  test('kvmppc_h_eoi -> ics_eoi (book3s_xics.c): an MSI\'s Q moves into P and is presented again; without Q, P clears', () => {
    const x = ready();
    x.line(4096, 1);
    expect(x.hcall(0, 'H_XIRR').ret).toBe(0xff001000n);
    x.line(4096, 1); // arrives while in service: queued
    expect(x.get(4096).value! & (PRESENTED | QUEUED)).toBe(PRESENTED | QUEUED);
    expect(x.hcall(0, 'H_EOI', 0xff001000)).toEqual({ errno: 0, ret: 0n });
    expect(x.icp(0)).toMatchObject({ cppr: 0xff, xisr: 4096 });
    expect(x.hcall(0, 'H_XIRR').ret).toBe(0xff001000n);
    expect(x.hcall(0, 'H_EOI', 0xff001000).ret).toBe(0n);
    expect(x.get(4096).value! & (PRESENTED | QUEUED)).toBe(0n);
    expect(x.icp(0).xisr).toBe(0);
  });

  test('ics_eoi (book3s_xics.c): an LSI keeps P at EOI while its line is up, so it is presented again', () => {
    const x = ready();
    expect(x.set(4097, word(0, 5, LSI))).toBe(0);
    x.line(4097, 1);
    expect(x.hcall(0, 'H_XIRR').ret).toBe(0xff001001n);
    expect(x.hcall(0, 'H_EOI', 0xff001001).ret).toBe(0n);
    expect(x.icp(0).xisr).toBe(4097);
    x.line(4097, 0);
    expect(x.hcall(0, 'H_XIRR').ret).toBe(0xff001001n);
    expect(x.hcall(0, 'H_EOI', 0xff001001).ret).toBe(0n);
    expect(x.icp(0).xisr).toBe(0);
  });

  test('icp_deliver_irq reject (book3s_xics.c): a more favoured source displaces the pending one, which fails to deliver (resend) and is resent when the CPPR drops at EOI', () => {
    const x = ready();
    expect(x.set(4098, word(0, 3))).toBe(0);
    x.line(4096, 1);
    x.line(4098, 1);
    expect(x.icp(0)).toMatchObject({ xisr: 4098, pendingPri: 3, needResend: true });
    expect(x.get(4096).value! & PENDING).toBe(PENDING);
    expect(x.hcall(0, 'H_XIRR').ret).toBe(0xff001002n);
    expect(x.hcall(0, 'H_EOI', 0xff001002).ret).toBe(0n);
    expect(x.icp(0)).toMatchObject({ xisr: 4096, pendingPri: 5, cppr: 0xff });
  });

  test('kvmppc_h_cppr Up_CPPR (book3s_xics.c): a CPPR at or above the pending priority rejects it (redelivery fails: resend); an equal CPPR does nothing', () => {
    const x = ready();
    x.line(4096, 1);
    expect(x.hcall(0, 'H_CPPR', 0xff).ret).toBe(0n);
    expect(x.icp(0).xisr).toBe(4096);
    expect(x.hcall(0, 'H_CPPR', 5).ret).toBe(0n);
    expect(x.icp(0)).toMatchObject({ cppr: 5, xisr: 0, pendingPri: 0xff, needResend: true });
    expect(x.get(4096).value! & PENDING).toBe(PENDING);
    expect(x.hcall(0, 'H_CPPR', 6).ret).toBe(0n);
    expect(x.icp(0)).toMatchObject({ cppr: 6, xisr: 4096 });
  });

  test('kvmppc_h_cppr (book3s_xics.c): the comparison is on the whole 64-bit register, the ICP keeps the low byte: 0x105 is "less favoured" than 0xff yet loads CPPR 5 with no reject', () => {
    const x = ready();
    x.line(4096, 1);
    expect(x.hcall(0, 'H_CPPR', 0x105).ret).toBe(0n);
    expect(x.icp(0)).toMatchObject({ cppr: 5, xisr: 4096, pendingPri: 5, outEe: false });
  });

  test('kvmppc_h_ipi (book3s_xics.c): an MFRR more favoured than CPPR presents the IPI (XISR 2); H_XIRR accepts it; H_EOI of the IPI has no ICS EOI; MFRR 0xff withdraws it', () => {
    const x = ready();
    expect(x.hcall(1, 'H_IPI', 0, 4)).toEqual({ errno: 0, ret: 0n });
    expect(x.icp(0)).toMatchObject({ mfrr: 4, xisr: 2, pendingPri: 4, outEe: true });
    expect(x.hcall(0, 'H_XIRR').ret).toBe(0xff000002n);
    expect(x.hcall(0, 'H_IPI', 0, 0xff).ret).toBe(0n);
    expect(x.hcall(0, 'H_EOI', 0xff000002).ret).toBe(0n);
    expect(x.icp(0)).toMatchObject({ cppr: 0xff, mfrr: 0xff, xisr: 0 });
  });

  test('kvmppc_h_ipi (book3s_xics.c): the IPI rejects a less favoured pending source (resend), and raising MFRR again resends it', () => {
    const x = ready();
    x.line(4096, 1);
    expect(x.hcall(0, 'H_IPI', 0, 2).ret).toBe(0n);
    expect(x.icp(0)).toMatchObject({ xisr: 2, needResend: true });
    expect(x.get(4096).value! & PENDING).toBe(PENDING);
    expect(x.hcall(0, 'H_IPI', 0, 0xff).ret).toBe(0n);
    // need_resend was latched and cleared; the source cannot beat the pending IPI (pending_pri 2).
    expect(x.icp(0)).toMatchObject({ xisr: 2, needResend: true });
    expect(x.hcall(0, 'H_XIRR').ret).toBe(0xff000002n);
    expect(x.hcall(0, 'H_EOI', 0xff000002).ret).toBe(0n);
    expect(x.icp(0).xisr).toBe(4096);
  });

  test('kvmppc_h_ipi (book3s_xics.c): a server no vcpu has is H_PARAMETER; MFRR compares as 64 bits (0x100 stores MFRR 0 and presents nothing)', () => {
    const x = ready();
    expect(x.hcall(0, 'H_IPI', 9, 4)).toEqual({ errno: 0, ret: H_PARAMETER });
    expect(x.hcall(0, 'H_IPI', 0, 0x100).ret).toBe(0n);
    expect(x.icp(0)).toMatchObject({ mfrr: 0, xisr: 0 });
  });

  test('kvmppc_h_ipoll (book3s_xics.c): another server\'s XIRR (and MFRR, bits 39:32 of ret) without accepting; H_PARAMETER for a server no vcpu has', () => {
    const x = ready();
    x.line(4096, 1);
    expect(x.hcall(1, 'H_IPOLL', 0)).toEqual({ errno: 0, ret: (0xffn << 32n) | 0xff001000n });
    expect(x.icp(0).xisr).toBe(4096);
    expect(x.hcall(1, 'H_IPOLL', 9)).toEqual({ errno: 0, ret: H_PARAMETER });
  });

  test('kvmppc_h_eoi (book3s_xics.c): the CPPR drops first; a number whose ICS does not exist is then H_PARAMETER (ics_eoi)', () => {
    const x = ready();
    expect(x.hcall(0, 'H_EOI', 0x10ffffff)).toEqual({ errno: 0, ret: H_PARAMETER });
    expect(x.icp(0).cppr).toBe(0x10);
  });

  test('kvmppc_pseries_do_hcall (book3s_hv.c) / kvmppc_h_pr (book3s_pr_papr.c): a vcpu not connected to the XICS exits to the VMM (devrr: ENOTTY); so does every hypercall on arm64', () => {
    const x = xicsVm(2, false);
    expect(x.hcall(0, 'H_XIRR')).toEqual({ errno: ERRNO.ENOTTY, ret: 0n });
    expect(x.connect(0, 0)).toBe(0);
    expect(x.hcall(0, 'H_XIRR')).toEqual({ errno: 0, ret: 0n });
    const arm = createVm('arm64');
    arm.createVcpu(0);
    expect(arm.hcall(0, H_CALL.H_XIRR, [])).toEqual({ errno: ERRNO.ENOTTY, ret: 0n });
    expect(arm.hcall(3, H_CALL.H_XIRR, [])).toEqual({ errno: ERRNO.EBADF, ret: 0n });
  });

  test('icp_deliver_irq (book3s_xics.c): a source routed to a server no vcpu has stays where it is (pr_warn), nothing presented', () => {
    const x = ready();
    expect(x.set(4099, word(77, 0xff))).toBe(0);
    expect(x.set(4099, word(0, 5))).toBe(0);
    // Route it away after the write (a MASKED word takes any server), then trigger: no ICP has server 77.
    expect(x.set(4099, word(77, 0xff))).toBe(0);
    x.line(4099, 1);
    expect(x.icp(0).xisr).toBe(0);
  });
});

describe('KVM_REG_PPC_ICP_STATE (one-reg: KVM_GET/SET_ONE_REG, the one_reg event)', () => {
  const ICP_STATE = 0x1030_0000_0000_008cn;
  const st = (cppr: number, xisr: number, mfrr: number, pp: number) => (BigInt(cppr) << 56n) | (BigInt(xisr) << 32n) | (BigInt(mfrr) << 24n) | (BigInt(pp) << 16n);

  test('kvmppc_get_one_reg (book3s.c): ENXIO for a vcpu without an ICP (not connected), else kvmppc_xics_get_icp\'s word', () => {
    const x = xicsVm(2, false);
    expect(x.vm.oneReg(0, false, ICP_STATE, 0n)).toEqual({ errno: ERRNO.ENXIO, value: 0n });
    expect(x.connect(0, 0)).toBe(0);
    expect(x.vm.oneReg(0, false, ICP_STATE, 0n)).toEqual({ errno: 0, value: st(0, 0, 0xff, 0xff) });
    expect(x.vm.oneReg(1, false, ICP_STATE, 0n).errno).toBe(ERRNO.ENXIO);
  });

  test('kvmppc_set_one_reg (book3s.c): ENXIO without an ICP (before kvmppc_xics_set_icp\'s own ENOENT can answer); else kvmppc_xics_set_icp, its EINVAL for an inconsistent state included', () => {
    const x = xicsVm(2, false);
    expect(x.connect(0, 0)).toBe(0);
    expect(x.vm.oneReg(1, true, ICP_STATE, st(0xff, 0, 0xff, 0xff)).errno).toBe(ERRNO.ENXIO);
    expect(x.vm.oneReg(0, true, ICP_STATE, st(0xff, 0, 0xff, 5))).toEqual({ errno: ERRNO.EINVAL, value: st(0xff, 0, 0xff, 5) });
    // A pending source needs its ICS: refused before the source exists, taken after (the migration's order).
    expect(x.vm.oneReg(0, true, ICP_STATE, st(0xff, 4096, 0xff, 5)).errno).toBe(ERRNO.EINVAL);
    expect(x.set(4096, word(0, 5))).toBe(0);
    expect(x.vm.oneReg(0, true, ICP_STATE, st(0xff, 4096, 0xff, 5)).errno).toBe(0);
    expect(x.icp(0)).toMatchObject({ cppr: 0xff, xisr: 4096, mfrr: 0xff, pendingPri: 5, outEe: true });
    expect(x.vm.oneReg(0, false, ICP_STATE, 0n).value).toBe(st(0xff, 4096, 0xff, 5));
  });

  test('kvmppc_xics_set_icp (book3s_xics.c): ENOENT without an ICP; EINVAL for inconsistent states; kvmppc_xics_get_icp reads back what was set', () => {
    const x = xicsVm(2, false);
    expect(x.connect(0, 0)).toBe(0);
    expect(x.set(4096, word(0, 5))).toBe(0);
    const st = (cppr: number, xisr: number, mfrr: number, pp: number) => (BigInt(cppr) << 56n) | (BigInt(xisr) << 32n) | (BigInt(mfrr) << 24n) | (BigInt(pp) << 16n);
    expect(setIcp(x.state(), 1, st(0xff, 0, 0xff, 0xff))).toBe(ERRNO.ENOENT);
    expect(setIcp(x.state(), 0, st(0xff, 0, 0xff, 5))).toBe(ERRNO.EINVAL);
    expect(setIcp(x.state(), 0, st(0xff, 2, 4, 5))).toBe(ERRNO.EINVAL);
    expect(setIcp(x.state(), 0, st(4, 2, 4, 4))).toBe(ERRNO.EINVAL);
    expect(setIcp(x.state(), 0, st(0xff, 4096, 5, 5))).toBe(ERRNO.EINVAL);
    expect(setIcp(x.state(), 0, st(0xff, 0x2000, 0xff, 5))).toBe(ERRNO.EINVAL);
    expect(setIcp(x.state(), 0, st(0xff, 4096, 0xff, 5))).toBe(0);
    expect(getIcp(x.state(), 0)).toBe(st(0xff, 4096, 0xff, 5));
    expect(x.icp(0).outEe).toBe(true);
    expect(getIcp(x.state(), 1)).toBe(0n);
  });
});

/** The XICS's save list as migrate-check reads it. */
function xicsVmPlan(vm: Vm) {
  return xics.inspect!.migration!.saveList(vm.state, vm.state.devices[0]!.state as XicsState);
}

describe('P/Q across save and restore', () => {
  /** A source presented, accepted and triggered again (P and Q set), on a VM saved and restored through its attributes. */
  function queuedAcrossMigration() {
    const x = xicsVm(1);
    expect(x.hcall(0, 'H_CPPR', 0xff).ret).toBe(0n);
    expect(x.set(4096, word(0, 5))).toBe(0);
    x.line(4096, 1);
    expect(x.hcall(0, 'H_XIRR').ret).toBe(0xff001000n);
    x.line(4096, 1);
    return x;
  }

  test('xics_get_source / xics_set_source (book3s_xics.c): P and Q cross a migration in PRESENTED and QUEUED; the EOI on the destination presents the queued interrupt (ics_eoi moves Q into P)', () => {
    const x = queuedAcrossMigration();
    const before = x.get(4096).value!;
    expect(before & (PRESENTED | QUEUED)).toBe(PRESENTED | QUEUED);
    const { dest, errors } = migrateVm(x.vm.state, new Map());
    expect(errors).toEqual([]);
    const d = createVm('ppc64');
    d.restore(dest);
    const fd = { kind: 'device' as const, handle: 0 };
    expect(d.getAttr(fd, SOURCES, 4096n, { nullPtr: false, value: 0n })).toEqual({ errno: 0, value: before });
    // The ICP crossed in KVM_REG_PPC_ICP_STATE: the handler still runs at CPPR 5 on the destination.
    expect((d.state.devices[0]!.state as XicsState).icp[0]).toMatchObject({ cppr: 5, xisr: 0, mfrr: 0xff, pendingPri: 0xff });
    expect(d.hcall(0, H_CALL.H_EOI, [0xff001000n]).ret).toBe(0n);
    expect(d.hcall(0, H_CALL.H_XIRR, []).ret).toBe(0xff001000n);
  });

  test('kvmppc_xics_set_icp (book3s_xics.c) in a migration: each connected vcpu\'s ICP is saved with KVM_GET_ONE_REG and restored after the sources, so an interrupt sitting in an ICP\'s XISR (its ICS must exist) crosses', () => {
    const x = xicsVm(2);
    expect(x.hcall(0, 'H_CPPR', 0xff).ret).toBe(0n);
    expect(x.set(4096, word(0, 5))).toBe(0);
    x.line(4096, 1);
    expect(x.icp(0)).toMatchObject({ xisr: 4096, pendingPri: 5 });
    const plan = xicsVmPlan(x.vm);
    expect(plan.filter((a) => a.ioctl === 'one_reg').map((a) => a.name)).toEqual(['KVM_REG_PPC_ICP_STATE (vcpu 0)', 'KVM_REG_PPC_ICP_STATE (vcpu 1)']);
    const { dest, errors } = migrateVm(x.vm.state, new Map());
    expect(errors).toEqual([]);
    const d = createVm('ppc64');
    d.restore(dest);
    expect((d.state.devices[0]!.state as XicsState).icp[0]).toMatchObject({ cppr: 0xff, xisr: 4096, mfrr: 0xff, pendingPri: 5, outEe: true });
    expect(d.hcall(0, H_CALL.H_XIRR, []).ret).toBe(0xff001000n);
  });

  test('xics_get_source / xics_set_source (book3s_xics.c): an MSI reported PENDING without PRESENTED (a masked_pending source whose P a stray H_EOI cleared) comes back with P set: xics_set_source sets P from PENDING, so that one save/restore round is not a fixed point', () => {
    const x = xicsVm(1);
    expect(x.set(4097, word(0, 0, MASKED | PENDING))).toBe(0);
    expect(x.get(4097).value).toBe(word(0, 0, MASKED | PENDING | PRESENTED));
    expect(x.hcall(0, 'H_EOI', 4097).ret).toBe(0n);
    const saved = x.get(4097).value!;
    expect(saved).toBe(word(0, 0, MASKED | PENDING));
    expect(x.set(4097, saved)).toBe(0);
    expect(x.get(4097).value).toBe(saved | PRESENTED);
  });

  test('xics_set_source (book3s_xics.c): a word without PRESENTED and QUEUED (a VMM that drops bits 43-44) loses the queued interrupt: the EOI presents nothing', () => {
    const x = queuedAcrossMigration();
    const d = createVm('ppc64');
    d.createVcpu(0);
    const h = d.createDevice(DEV_TYPE.KVM_DEV_TYPE_XICS, 0).handle;
    expect(d.enableCap(0, CAP.KVM_CAP_IRQ_XICS, [BigInt(h), 0n])).toBe(0);
    const fd = { kind: 'device' as const, handle: h };
    expect(d.setAttr(fd, SOURCES, 4096n, { nullPtr: false, value: x.get(4096).value! & ~(PRESENTED | QUEUED) })).toBe(0);
    expect(d.hcall(0, H_CALL.H_EOI, [0xff001000n]).ret).toBe(0n);
    expect(d.hcall(0, H_CALL.H_XIRR, []).ret).toBe(0xff000000n);
  });
});
