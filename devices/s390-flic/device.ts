/**
 * KVM_DEV_TYPE_FLIC, the s390 floating interrupt controller (kvm_flic_ops,
 * arch/s390/kvm/interrupt.c: flic_set_attr, flic_get_attr, flic_has_attr,
 * flic_create). One per VM. Its groups act on the VM's floating interrupt
 * queues and I/O adapters (state.ts says why devrr keeps them in this slot).
 *
 * Unknown groups: flic_set_attr's and flic_get_attr's defaults are EINVAL,
 * flic_has_attr's is ENXIO. `attr` is not a name in most groups: a buffer
 * length (GET_ALL_IRQS, ENQUEUE, CLEAR_IO_IRQ, AISM_ALL's GET) or an adapter
 * id (AIRQ_INJECT). Struct payloads are `data` in s390's big-endian layout;
 * a struct read past the bytes given faults (EFAULT), as copy_from_user past
 * the end of the user's mapping does.
 *
 * GET_ALL_IRQS returns the number of records it copied as the ioctl's
 * result; devrr records the records themselves (the count is their length
 * over 72). kvm_device_attr's `flags` is always 0 (events carry none), so
 * CLEAR_IO_IRQ's flags check never fires.
 *
 * Where shared/reference/kvm-device-api.md (3.7) differs, the code wins:
 * APF_ENABLE and APF_DISABLE_WAIT check nothing (no ucontrol EINVAL in
 * flic_set_attr); ENQUEUE of PFAULT_INIT is EINVAL (__inject_vm) and the
 * records before a bad one stay queued; GET_ALL_IRQS with nothing pending
 * succeeds for any length in range; AISM_ALL's SET does not look at attr.
 */
import type { AttrGroup, AttrOutcome, DeviceModel, UserBuf, VmCtx } from '../core/device.js';
import { DEV_TYPE, ERRNO, type Errno } from '../core/uapi.js';
import { s390Facility } from '../arch/s390x/state.js';
import { allFloating, clearFloating, dequeueIo, describeRecords, floatingCount, injectIo, injectRecord } from './irq.js';
import { flicExplain } from './explain.js';
import { flicInterrupts } from './interrupts.js';
import { flicMigration } from './migration.js';
import { type FlicState, flicSchema, newFlicState } from './state.js';
import { AIS_ALL_SIZE, AIS_MODE, AIS_REQ_SIZE, aisModeMask, FLIC_GRP as G, IO_ADAPTER_REQ, IO_ADAPTER_REQ_SIZE, IO_ADAPTER_SIZE, IRQ_SIZE, iscToIntWord, KVM_S390_ADAPTER_SUPPRESSIBLE, KVM_S390_FLIC_MAX_BUFFER, KVM_S390_INT_IO_AI_MASK, MAX_ISC, MAX_S390_IO_ADAPTERS, S390_INT } from './uapi.js';
import { flicView } from './view.js';

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** copy_from_user of `n` bytes at attr.addr + `off`: the bytes, or undefined (EFAULT). */
function copyIn(buf: UserBuf, n: number, off = 0): Uint8Array | undefined {
  if (buf.nullPtr || !buf.data || off < 0 || buf.data.length < off + n) return undefined;
  return buf.data.subarray(off, off + n);
}

/** The facility the AIS groups need (test_kvm_facility(kvm, 72): in the VM's CPU model). */
const hasAis = (vm: VmCtx) => s390Facility(vm.state, 72);

/** Bytes of the union copy_irq_from_user reads after the type, per type (sizeof inti->ext, ->io, ->mchk). */
function unionBytes(type: bigint): number {
  if (type >= 0n && type <= 0xfffdffffn) return 12;
  if (type === BigInt(S390_INT.KVM_S390_MCHK)) return 48;
  const ext = [S390_INT.KVM_S390_INT_PFAULT_INIT, S390_INT.KVM_S390_INT_PFAULT_DONE, S390_INT.KVM_S390_INT_VIRTIO, S390_INT.KVM_S390_INT_SERVICE];
  return ext.some((t) => BigInt(t) === type) ? 16 : -1;
}

/**
 * enqueue_floating_irq. `int len = attr->attr`: the low 32 bits, signed.
 * `len % sizeof` and the loop's `len >= sizeof` compare as unsigned long,
 * `len > KVM_S390_FLIC_MAX_BUFFER` as int, so a negative length passes both
 * checks and the loop runs until a copy faults. Each record is copied
 * (get_user of the u64 type, then the union member the type selects) and
 * injected; the first failure stops the loop and the records before it stay.
 */
function enqueue(s: FlicState, attr: bigint, buf: UserBuf): Errno {
  let len = Number(BigInt.asIntN(32, attr));
  const asUlong = (n: number) => BigInt.asUintN(64, BigInt(n));
  if (asUlong(len) % BigInt(IRQ_SIZE) !== 0n) return ERRNO.EINVAL;
  if (len > KVM_S390_FLIC_MAX_BUFFER) return ERRNO.EINVAL;
  let off = 0;
  while (asUlong(len) >= BigInt(IRQ_SIZE)) {
    const head = copyIn(buf, 8, off);
    if (!head) return ERRNO.EFAULT;
    const type = dv(head).getBigUint64(0, false);
    const n = unionBytes(type);
    if (n < 0) return ERRNO.EINVAL;
    const body = copyIn(buf, n, off + 8);
    if (!body) return ERRNO.EFAULT;
    // The kernel's inti is zeroed (kzalloc): bytes of the union the type does not copy read 0.
    const rec = new Uint8Array(IRQ_SIZE);
    rec.set(head, 0);
    rec.set(body, 8);
    const e = injectRecord(s, rec);
    if (e) return e;
    len -= IRQ_SIZE;
    off += IRQ_SIZE;
  }
  return 0;
}

/**
 * get_all_floating_irqs: EINVAL for a length of 0 or above
 * KVM_S390_FLIC_MAX_BUFFER; ENOMEM when a pending record does not fit
 * (userspace retries with a bigger buffer); the records are copied only if
 * there are any. The interrupts stay queued.
 */
function getAll(s: FlicState, attr: bigint, buf: UserBuf): AttrOutcome {
  if (attr > BigInt(KVM_S390_FLIC_MAX_BUFFER) || attr === 0n) return { errno: ERRNO.EINVAL };
  const max = Number(attr) / IRQ_SIZE;
  if (floatingCount(s) > Math.floor(max)) return { errno: ERRNO.ENOMEM };
  const recs = allFloating(s);
  if (recs.length === 0) return { errno: 0 };
  if (buf.nullPtr) return { errno: ERRNO.EFAULT };
  const out = new Uint8Array(recs.length * IRQ_SIZE);
  recs.forEach((r, i) => out.set(r, i * IRQ_SIZE));
  return { errno: 0, data: out };
}

/** register_io_adapter: EFAULT, EINVAL for an id at or above MAX_S390_IO_ADAPTERS or one already registered. */
function registerAdapter(s: FlicState, buf: UserBuf): Errno {
  const b = copyIn(buf, IO_ADAPTER_SIZE);
  if (!b) return ERRNO.EFAULT;
  const id = dv(b).getUint32(0, false);
  if (id >= MAX_S390_IO_ADAPTERS) return ERRNO.EINVAL;
  if (s.adapters.some((a) => a.id === id)) return ERRNO.EINVAL;
  const adapter = { id, isc: b[4]!, maskable: b[5]! !== 0, masked: false, swap: b[6]! !== 0, suppressible: (b[7]! & KVM_S390_ADAPTER_SUPPRESSIBLE) !== 0 };
  const at = s.adapters.findIndex((a) => a.id > id);
  s.adapters.splice(at < 0 ? s.adapters.length : at, 0, adapter);
  return 0;
}

/** get_io_adapter: NULL for an id at or above MAX_S390_IO_ADAPTERS or not registered. */
const adapterOf = (s: FlicState, id: bigint) => (id < BigInt(MAX_S390_IO_ADAPTERS) ? s.adapters.find((a) => BigInt(a.id) === id) : undefined);

/** modify_io_adapter: EFAULT, EINVAL for an unknown adapter; MASK (EINVAL unless maskable), MAP and UNMAP (no-ops), else EINVAL. */
function modifyAdapter(s: FlicState, buf: UserBuf): Errno {
  const b = copyIn(buf, IO_ADAPTER_REQ_SIZE);
  if (!b) return ERRNO.EFAULT;
  const adapter = adapterOf(s, BigInt(dv(b).getUint32(0, false)));
  if (!adapter) return ERRNO.EINVAL;
  switch (b[4]!) {
    case IO_ADAPTER_REQ.KVM_S390_IO_ADAPTER_MASK:
      // kvm_s390_mask_adapter returns the old mask state; modify_io_adapter turns it into 0.
      if (!adapter.maskable) return ERRNO.EINVAL;
      adapter.masked = b[5]! !== 0;
      return 0;
    case IO_ADAPTER_REQ.KVM_S390_IO_ADAPTER_MAP:
    case IO_ADAPTER_REQ.KVM_S390_IO_ADAPTER_UNMAP:
      // No longer needed: the mapping is made when an IRQ route is set up.
      return 0;
    default:
      return ERRNO.EINVAL;
  }
}

/** clear_io_irq: attr must be 4 (the u32's size), then EFAULT, EINVAL for schid 0; the subchannel's first pending I/O interrupt goes. */
function clearIoIrq(s: FlicState, attr: bigint, buf: UserBuf): Errno {
  if (attr !== 4n) return ERRNO.EINVAL;
  if (buf.nullPtr) return ERRNO.EFAULT;
  const schid = Number(BigInt.asUintN(32, buf.value));
  if (!schid) return ERRNO.EINVAL;
  dequeueIo(s, schid);
  return 0;
}

/** modify_ais_mode: EOPNOTSUPP without facility 72, EFAULT, EINVAL for an ISC above 7 or an unknown mode. */
function modifyAisMode(vm: VmCtx, s: FlicState, buf: UserBuf): Errno {
  if (!hasAis(vm)) return ERRNO.EOPNOTSUPP;
  const b = copyIn(buf, AIS_REQ_SIZE);
  if (!b) return ERRNO.EFAULT;
  const isc = b[0]!;
  const mode = dv(b).getUint16(2, false);
  if (isc > MAX_ISC) return ERRNO.EINVAL;
  const m = aisModeMask(isc);
  switch (mode) {
    case AIS_MODE.KVM_S390_AIS_MODE_ALL:
      s.simm &= ~m;
      s.nimm &= ~m;
      return 0;
    case AIS_MODE.KVM_S390_AIS_MODE_SINGLE:
      s.simm |= m;
      s.nimm &= ~m;
      return 0;
    default:
      return ERRNO.EINVAL;
  }
}

/**
 * flic_inject_airq -> kvm_s390_inject_airq: an I/O interrupt
 * KVM_S390_INT_IO(1, 0, 0, 0) with the adapter's ISC in its word. With
 * facility 72 and a suppressible adapter, AIS applies: nothing is injected
 * while the ISC is in no-interruption mode, and a single-interruption ISC
 * moves to no-interruption mode after one injection.
 */
function injectAirq(vm: VmCtx, s: FlicState, attr: bigint): Errno {
  // `unsigned int id = attr->attr`: the low 32 bits.
  const adapter = adapterOf(s, BigInt.asUintN(32, attr));
  if (!adapter) return ERRNO.EINVAL;
  const irq = { type: KVM_S390_INT_IO_AI_MASK, subchannelId: 0, subchannelNr: 0, ioIntParm: 0, ioIntWord: iscToIntWord(adapter.isc) };
  if (!hasAis(vm) || !adapter.suppressible) return injectIo(s, irq);
  const m = aisModeMask(adapter.isc);
  if (s.nimm & m) return 0;
  const e = injectIo(s, irq);
  if (!e && s.simm & m) s.nimm |= m;
  return e;
}

const none = { has: () => 0 } as const;

const groups: AttrGroup<FlicState>[] = [
  {
    id: G.KVM_DEV_FLIC_GET_ALL_IRQS,
    name: 'KVM_DEV_FLIC_GET_ALL_IRQS',
    payload: 'struct',
    ...none,
    get: (_vm, s, attr, buf) => getAll(s, attr, buf),
    describe: (attr) => `len ${attr}${attr % BigInt(IRQ_SIZE) === 0n ? ` (${attr / BigInt(IRQ_SIZE)} records)` : ''}`,
    describeData: (_attr, data) => describeRecords(data),
  },
  {
    id: G.KVM_DEV_FLIC_ENQUEUE,
    name: 'KVM_DEV_FLIC_ENQUEUE',
    payload: 'struct',
    ...none,
    set: (_vm, s, attr, buf) => enqueue(s, attr, buf),
    describe: (attr) => `len ${attr}${attr % BigInt(IRQ_SIZE) === 0n ? ` (${attr / BigInt(IRQ_SIZE)} records)` : ''}`,
    describeData: (_attr, data) => describeRecords(data),
  },
  {
    id: G.KVM_DEV_FLIC_CLEAR_IRQS,
    name: 'KVM_DEV_FLIC_CLEAR_IRQS',
    payload: 0,
    ...none,
    set(_vm, s) {
      clearFloating(s);
      return 0;
    },
    describe: (attr) => `attr ${attr}`,
  },
  {
    id: G.KVM_DEV_FLIC_APF_ENABLE,
    name: 'KVM_DEV_FLIC_APF_ENABLE',
    payload: 0,
    ...none,
    set(_vm, s) {
      s.pfaultEnabled = true;
      return 0;
    },
    describe: (attr) => `attr ${attr}`,
  },
  {
    id: G.KVM_DEV_FLIC_APF_DISABLE_WAIT,
    name: 'KVM_DEV_FLIC_APF_DISABLE_WAIT',
    payload: 0,
    ...none,
    // Also waits for async page faults in flight and clears the vcpus' completion queues (not modelled: no vcpu state).
    set(_vm, s) {
      s.pfaultEnabled = false;
      return 0;
    },
    describe: (attr) => `attr ${attr}`,
  },
  {
    id: G.KVM_DEV_FLIC_ADAPTER_REGISTER,
    name: 'KVM_DEV_FLIC_ADAPTER_REGISTER',
    payload: 'struct',
    ...none,
    set: (_vm, s, _attr, buf) => registerAdapter(s, buf),
    describe: (attr) => `attr ${attr}`,
    describeData: (_attr, b) =>
      b.length >= IO_ADAPTER_SIZE ? `id ${dv(b).getUint32(0, false)} isc ${b[4]} maskable ${b[5]} swap ${b[6]} flags 0x${b[7]!.toString(16)}${b[7]! & KVM_S390_ADAPTER_SUPPRESSIBLE ? ' (suppressible)' : ''}` : undefined,
  },
  {
    id: G.KVM_DEV_FLIC_ADAPTER_MODIFY,
    name: 'KVM_DEV_FLIC_ADAPTER_MODIFY',
    payload: 'struct',
    ...none,
    set: (_vm, s, _attr, buf) => modifyAdapter(s, buf),
    describe: (attr) => `attr ${attr}`,
    describeData: (_attr, b) =>
      b.length >= IO_ADAPTER_REQ_SIZE ? `id ${dv(b).getUint32(0, false)} ${['type 0', 'MASK', 'MAP', 'UNMAP'][b[4]!] ?? `type ${b[4]}`} mask ${b[5]} addr 0x${dv(b).getBigUint64(8, false).toString(16)}` : undefined,
  },
  {
    id: G.KVM_DEV_FLIC_CLEAR_IO_IRQ,
    name: 'KVM_DEV_FLIC_CLEAR_IO_IRQ',
    payload: 4,
    ...none,
    set: (_vm, s, attr, buf) => clearIoIrq(s, attr, buf),
    describe: (attr) => `len ${attr}`,
    describeValue: (_attr, v) => `schid 0x${BigInt.asUintN(32, v).toString(16)} (subchannel id 0x${(BigInt.asUintN(32, v) >> 16n).toString(16)}, nr 0x${(v & 0xffffn).toString(16)})`,
  },
  {
    id: G.KVM_DEV_FLIC_AISM,
    name: 'KVM_DEV_FLIC_AISM',
    payload: 'struct',
    ...none,
    set: (vm, s, _attr, buf) => modifyAisMode(vm, s, buf),
    describe: (attr) => `attr ${attr}`,
    describeData: (_attr, b) => (b.length >= AIS_REQ_SIZE ? `isc ${b[0]} mode ${['ALL', 'SINGLE'][dv(b).getUint16(2, false)] ?? dv(b).getUint16(2, false)}` : undefined),
  },
  {
    id: G.KVM_DEV_FLIC_AIRQ_INJECT,
    name: 'KVM_DEV_FLIC_AIRQ_INJECT',
    payload: 0,
    ...none,
    set: (vm, s, attr) => injectAirq(vm, s, attr),
    describe: (attr) => `adapter ${attr}`,
  },
  {
    id: G.KVM_DEV_FLIC_AISM_ALL,
    name: 'KVM_DEV_FLIC_AISM_ALL',
    payload: 'struct',
    ...none,
    // flic_ais_mode_get_all: EINVAL for a buffer shorter than struct kvm_s390_ais_all, then EOPNOTSUPP without facility 72.
    get(vm, s, attr) {
      if (attr < BigInt(AIS_ALL_SIZE)) return { errno: ERRNO.EINVAL };
      if (!hasAis(vm)) return { errno: ERRNO.EOPNOTSUPP };
      return { errno: 0, data: Uint8Array.of(s.simm, s.nimm) };
    },
    // flic_ais_mode_set_all: EOPNOTSUPP without facility 72, EFAULT; attr is not looked at.
    set(vm, s, _attr, buf) {
      if (!hasAis(vm)) return ERRNO.EOPNOTSUPP;
      const b = copyIn(buf, AIS_ALL_SIZE);
      if (!b) return ERRNO.EFAULT;
      s.simm = b[0]!;
      s.nimm = b[1]!;
      return 0;
    },
    describe: (attr) => `len ${attr}`,
    describeData: (_attr, b) => (b.length >= AIS_ALL_SIZE ? `simm 0x${b[0]!.toString(16)} nimm 0x${b[1]!.toString(16)}` : undefined),
  },
];

export const flic: DeviceModel<FlicState> = {
  type: DEV_TYPE.KVM_DEV_TYPE_FLIC,
  typeName: 'KVM_DEV_TYPE_FLIC',
  inodeName: 'kvm-flic',
  arches: ['s390x'],
  modelVersion: 1,
  // devrr's irqchip slot (explain and the interrupt numbering read it); the kernel's own
  // irqchip flag (kvm->arch.use_irqchip, KVM_CAP_S390_IRQCHIP) is a different thing, not modelled.
  isIrqchip: true,
  stateSchema: () => flicSchema,
  kernel: {
    ops: { get: true, set: true, has: true },
    groups,
    unknownGroupErrno: { set: ERRNO.EINVAL, get: ERRNO.EINVAL, has: ERRNO.ENXIO },
    /** flic_create: EINVAL when the VM already has a FLIC (kvm->arch.flic). */
    create(vm) {
      if (vm.state.devices.some((d) => d.type === DEV_TYPE.KVM_DEV_TYPE_FLIC)) return { errno: ERRNO.EINVAL };
      return { errno: 0, state: newFlicState() };
    },
  },
  inspect: {
    view: flicView,
    migration: flicMigration,
    explainIrq: flicExplain,
    interrupts: flicInterrupts,
  },
};
