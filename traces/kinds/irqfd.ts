/**
 * `irqfd`: the VMM ties an eventfd to an MSI (KVM_SET_GSI_ROUTING's MSI
 * entry for a GSI and KVM_IRQFD on it, in one event), or unties it
 * (KVM_IRQFD_FLAG_DEASSIGN). fdget (EBADF), eventfd_ctx_fileget (EINVAL),
 * an eventfd that has an irqfd already (EBUSY), route flags other than
 * KVM_MSI_VALID_DEVID (EINVAL). An eventfd already signalled is injected
 * at once (irqfd_assign polls it): that MSI is the event's result.
 */
import type { DeclaredEvent, EventKindDecl } from '../kinds.js';
import { err, fdOf, hex } from './vfio-names.js';

export interface IrqfdEvent extends DeclaredEvent {
  readonly kind: 'irqfd';
  readonly fd: number;
  readonly assign: boolean;
  readonly address: bigint;
  readonly data: number;
  readonly flags: number;
  readonly devid: number;
  readonly errno: number;
  /** An MSI was injected at assign time (the eventfd had been signalled). */
  readonly injected: boolean;
  /** That MSI's kvm_set_msi answer: errno, and the non-negative result (1 delivered, 0 blocked). */
  readonly msiErrno: number;
  readonly msiRet: number;
}

export const IRQFD: EventKindDecl = {
  name: 'irqfd',
  since: [1, 3],
  needed: true,
  description: 'KVM_IRQFD: an eventfd tied to (or untied from) an MSI route',
  fields: [
    { name: 'fd', type: 'u32' },
    { name: 'assign', type: 'bool' },
    { name: 'address', type: 'big' },
    { name: 'data', type: 'u32' },
    { name: 'flags', type: 'u32' },
    { name: 'devid', type: 'u32' },
    { name: 'errno', type: 'errno' },
    { name: 'injected', type: 'bool' },
    { name: 'msiErrno', type: 'errno' },
    { name: 'msiRet', type: 'u32' },
  ],
  results: ['errno', 'injected', 'msiErrno', 'msiRet'],
  scenario: {
    op: 'irqfd',
    fields: ['fd', 'action', 'address', 'data', 'flags', 'devid', 'expect', 'expect_value'],
    parse(p) {
      const assign = p.oneOf('action', ['assign', 'deassign'] as const) === 'assign';
      if (assign && (!p.has('address') || !p.has('data'))) p.fail(p.has('address') ? 'data' : 'address', 'missing: an assigned irqfd injects this MSI');
      if (!assign) for (const f of ['address', 'data', 'flags', 'devid']) if (p.has(f)) p.fail(f, 'a deassign names only the eventfd');
      return {
        fd: p.value('fd'),
        assign,
        address: assign ? p.value('address') : { n: 0n },
        data: assign ? p.u32('data') : 0,
        flags: p.has('flags') ? p.u32('flags') : p.has('devid') ? 1 : 0,
        devid: p.has('devid') ? p.u32('devid') : 0,
      };
    },
    request: (f, val) => ({
      fd: Number(BigInt.asUintN(32, val(f['fd'] as Parameters<typeof val>[0]))),
      assign: f['assign'],
      address: BigInt.asUintN(64, val(f['address'] as Parameters<typeof val>[0])),
      data: f['data'],
      flags: f['flags'],
      devid: f['devid'],
      errno: 0,
      injected: false,
      msiErrno: 0,
      msiRet: 0,
    }),
    readValue: (ev) => (ev['injected'] ? BigInt(ev['msiRet'] as number) : undefined),
  },
  execute(vm, e) {
    const ev = e as IrqfdEvent;
    const r = vm.irqfd(fdOf(BigInt(ev.fd)), ev.assign ? { address: ev.address, data: ev.data, flags: ev.flags, devid: ev.devid } : undefined);
    const msi = r.signal?.msi;
    return { errno: r.errno, injected: msi !== undefined, msiErrno: msi?.errno ?? 0, msiRet: msi?.ret ?? 0 };
  },
  injectedMsi(e) {
    const ev = e as IrqfdEvent;
    return ev.injected ? { address: ev.address, data: ev.data, devid: ev.devid, errno: ev.msiErrno, ret: ev.msiRet } : undefined;
  },
  describe(e) {
    const ev = e as IrqfdEvent;
    const fd = fdOf(BigInt(ev.fd));
    if (!ev.assign) return `irqfd deassign fd ${fd}${err(ev.errno)}`;
    const msi = `MSI ${hex(ev.address)} data ${ev.data}${ev.flags & 1 ? ` devid ${ev.devid}` : ''}`;
    const inj = ev.injected ? `; pending signal injected -> ${ev.msiErrno ? err(ev.msiErrno).slice(4) : ev.msiRet ? 'delivered' : 'blocked'}` : '';
    return `irqfd assign fd ${fd} -> ${msi}${err(ev.errno)}${inj}`;
  },
};
