/**
 * Floating interrupts: struct kvm_s390_irq in s390's big-endian layout, and
 * the injection and dequeue paths of arch/s390/kvm/interrupt.c that the
 * FLIC's groups run (copy_irq_from_user, __inject_vm and its per-type
 * helpers, get_all_floating_irqs' order, get_io_int, kvm_s390_clear_float_irqs).
 *
 * struct kvm_s390_irq (72 bytes): u64 type at 0, then the union at 8:
 *   io   { u16 subchannel_id @8; u16 subchannel_nr @10; u32 io_int_parm @12; u32 io_int_word @16 }
 *   ext  { u32 ext_params @8; u32 pad @12; u64 ext_params2 @16 }
 *   mchk { u64 cr14 @8; u64 mcic @16; u64 failing_storage_address @24; u32 ext_damage_code @32; ... }
 */
import { ERRNO, type Errno } from '../core/uapi.js';
import type { ExtIrq, FlicState, IoIrq } from './state.js';
import { CR_PENDING_SUBCLASS_BIT, intWordToIsc, IRQ_SIZE, KVM_S390_INT_IO_MAX, KVM_S390_MAX_FLOAT_IRQS, KVM_S390_MAX_PFAULT_IRQS, KVM_S390_MAX_VIRTIO_IRQS, MAX_ISC, S390_INT, SCCB_EVENT_PENDING, SCCB_MASK } from './uapi.js';

/** A record as userspace passes it: the u64 type and the union's bytes. */
export interface IrqRecord {
  readonly type: bigint;
  readonly bytes: Uint8Array;
}

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** An I/O interrupt as a 72-byte record. */
export function encodeIo(irq: IoIrq): Uint8Array {
  const out = new Uint8Array(IRQ_SIZE);
  const d = dv(out);
  d.setBigUint64(0, BigInt(irq.type), false);
  d.setUint16(8, irq.subchannelId, false);
  d.setUint16(10, irq.subchannelNr, false);
  d.setUint32(12, irq.ioIntParm, false);
  d.setUint32(16, irq.ioIntWord, false);
  return out;
}

/** An ext-info interrupt (pfault done, virtio, service) as a 72-byte record. */
export function encodeExt(type: number, e: ExtIrq): Uint8Array {
  const out = new Uint8Array(IRQ_SIZE);
  const d = dv(out);
  d.setBigUint64(0, BigInt(type), false);
  d.setUint32(8, e.extParams, false);
  d.setBigUint64(16, e.extParams2, false);
  return out;
}

/** The floating machine check as a 72-byte record (fi->mchk: cr14 and mcic; the rest stays 0). */
export function encodeMchk(cr14: bigint, mcic: bigint): Uint8Array {
  const out = new Uint8Array(IRQ_SIZE);
  const d = dv(out);
  d.setBigUint64(0, BigInt(S390_INT.KVM_S390_MCHK), false);
  d.setBigUint64(8, cr14, false);
  d.setBigUint64(16, mcic, false);
  return out;
}

const isIo = (type: bigint) => type >= 0n && type <= BigInt(KVM_S390_INT_IO_MAX);

function decodeIo(type: bigint, b: Uint8Array): IoIrq {
  const d = dv(b);
  return { type: Number(type), subchannelId: d.getUint16(8, false), subchannelNr: d.getUint16(10, false), ioIntParm: d.getUint32(12, false), ioIntWord: d.getUint32(16, false) };
}

function decodeExt(b: Uint8Array): ExtIrq {
  const d = dv(b);
  return { extParams: d.getUint32(8, false), extParams2: d.getBigUint64(16, false) };
}

/**
 * copy_irq_from_user then __inject_vm for one 72-byte record: EINVAL for a
 * type that is not floating (PFAULT_INIT passes the copy and fails in
 * __inject_vm: EINVAL all the same), EBUSY when its queue is full.
 */
export function injectRecord(s: FlicState, rec: Uint8Array): Errno {
  const type = dv(rec).getBigUint64(0, false);
  if (isIo(type)) return injectIo(s, decodeIo(type, rec));
  switch (type) {
    case BigInt(S390_INT.KVM_S390_MCHK): {
      const d = dv(rec);
      return injectFloatMchk(s, d.getBigUint64(8, false), d.getBigUint64(16, false));
    }
    case BigInt(S390_INT.KVM_S390_INT_VIRTIO):
      return injectVirtio(s, decodeExt(rec));
    case BigInt(S390_INT.KVM_S390_INT_SERVICE):
      return injectService(s, decodeExt(rec).extParams);
    case BigInt(S390_INT.KVM_S390_INT_PFAULT_DONE):
      return injectPfaultDone(s, decodeExt(rec));
    default:
      return ERRNO.EINVAL;
  }
}

/** The I/O interrupts queued, all ISCs (fi->counters[FIRQ_CNTR_IO]). */
export function ioCount(s: FlicState): number {
  let n = 0;
  for (const l of s.io) n += l.length;
  return n;
}

/** __inject_io (no GISA on the model host): EBUSY at KVM_S390_MAX_FLOAT_IRQS, else the tail of its ISC's list. */
export function injectIo(s: FlicState, irq: IoIrq): Errno {
  if (ioCount(s) >= KVM_S390_MAX_FLOAT_IRQS) return ERRNO.EBUSY;
  s.io[intWordToIsc(irq.ioIntWord)]!.push(irq);
  return 0;
}

/** __inject_virtio: EBUSY at KVM_S390_MAX_VIRTIO_IRQS. */
function injectVirtio(s: FlicState, e: ExtIrq): Errno {
  if (s.virtio.length >= KVM_S390_MAX_VIRTIO_IRQS) return ERRNO.EBUSY;
  s.virtio.push(e);
  return 0;
}

/** __inject_pfault_done: EBUSY at ASYNC_PF_PER_VCPU * KVM_MAX_VCPUS. */
function injectPfaultDone(s: FlicState, e: ExtIrq): Errno {
  if (s.pfault.length >= KVM_S390_MAX_PFAULT_IRQS) return ERRNO.EBUSY;
  s.pfault.push(e);
  return 0;
}

/**
 * __inject_service: the event-pending bits always accumulate; a second SCCB
 * while one is pending is silently dropped (early QEMU BIOSes sent several).
 */
function injectService(s: FlicState, extParams: number): Errno {
  s.service = (s.service | (extParams & SCCB_EVENT_PENDING)) >>> 0;
  if (s.service & SCCB_MASK) return 0;
  s.service = (s.service | (extParams & SCCB_MASK)) >>> 0;
  return 0;
}

/** __inject_float_mchk: cr14 keeps only the pending-subclass bit, mcic accumulates, the machine check is pending. */
function injectFloatMchk(s: FlicState, cr14: bigint, mcic: bigint): Errno {
  s.mchk.cr14 |= cr14 & CR_PENDING_SUBCLASS_BIT;
  s.mchk.mcic |= mcic;
  s.mchk.pending = true;
  return 0;
}

/**
 * Every pending floating interrupt as get_all_floating_irqs lists them: the
 * lists in FIRQ_LIST order (ISC 0..7, pfault, virtio), then the service
 * signal, then the machine check.
 */
export function allFloating(s: FlicState): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let isc = 0; isc <= MAX_ISC; isc++) for (const irq of s.io[isc]!) out.push(encodeIo(irq));
  for (const e of s.pfault) out.push(encodeExt(S390_INT.KVM_S390_INT_PFAULT_DONE, e));
  for (const e of s.virtio) out.push(encodeExt(S390_INT.KVM_S390_INT_VIRTIO, e));
  if (s.service) out.push(encodeExt(S390_INT.KVM_S390_INT_SERVICE, { extParams: s.service, extParams2: 0n }));
  if (s.mchk.pending) out.push(encodeMchk(s.mchk.cr14, s.mchk.mcic));
  return out;
}

/** The number of records allFloating would list, without building them. */
export function floatingCount(s: FlicState): number {
  return ioCount(s) + s.pfault.length + s.virtio.length + (s.service ? 1 : 0) + (s.mchk.pending ? 1 : 0);
}

/** kvm_s390_clear_float_irqs: every list, the service signal and the machine check (adapters and AIS modes stay). */
export function clearFloating(s: FlicState): void {
  for (const l of s.io) l.length = 0;
  s.pfault = [];
  s.virtio = [];
  s.service = 0;
  s.mchk = { pending: false, cr14: 0n, mcic: 0n };
}

/**
 * kvm_s390_get_io_int(kvm, all ISCs, schid) for CLEAR_IO_IRQ: the first I/O
 * interrupt of subchannel `schid` (subchannel_id << 16 | subchannel_nr),
 * searching ISC 0 first, is dequeued and dropped.
 */
export function dequeueIo(s: FlicState, schid: number): void {
  const id = schid >>> 16;
  const nr = schid & 0xffff;
  for (const list of s.io) {
    const i = list.findIndex((x) => x.subchannelId === id && x.subchannelNr === nr);
    if (i >= 0) {
      list.splice(i, 1);
      return;
    }
  }
}

const h = (v: number | bigint) => `0x${v.toString(16)}`;

/** One 72-byte record in words: its type and the fields the type uses. */
export function describeRecord(rec: Uint8Array): string {
  const d = dv(rec);
  const type = d.getBigUint64(0, false);
  if (isIo(type)) {
    const io = decodeIo(type, rec);
    const ai = io.type & 0x04000000 ? ' adapter' : '';
    return `I/O${ai} ISC ${intWordToIsc(io.ioIntWord)} schid ${h(((io.subchannelId << 16) | io.subchannelNr) >>> 0)} parm ${h(io.ioIntParm)} word ${h(io.ioIntWord)}`;
  }
  const e = decodeExt(rec);
  switch (type) {
    case BigInt(S390_INT.KVM_S390_INT_SERVICE):
      return `service ext_params ${h(e.extParams)}`;
    case BigInt(S390_INT.KVM_S390_INT_VIRTIO):
      return `virtio ext_params ${h(e.extParams)} ext_params2 ${h(e.extParams2)}`;
    case BigInt(S390_INT.KVM_S390_INT_PFAULT_DONE):
      return `pfault done token ${h(e.extParams2)}`;
    case BigInt(S390_INT.KVM_S390_INT_PFAULT_INIT):
      return `pfault init (not floating) token ${h(e.extParams2)}`;
    case BigInt(S390_INT.KVM_S390_MCHK):
      return `machine check cr14 ${h(d.getBigUint64(8, false))} mcic ${h(d.getBigUint64(16, false))}`;
    default:
      return `type ${h(type)} (not floating)`;
  }
}

/** A buffer of records in words: the first few, then how many more. */
export function describeRecords(data: Uint8Array): string {
  const n = Math.floor(data.length / IRQ_SIZE);
  const shown: string[] = [];
  for (let i = 0; i < Math.min(n, 8); i++) shown.push(describeRecord(data.subarray(i * IRQ_SIZE, (i + 1) * IRQ_SIZE)));
  if (n > 8) shown.push(`... ${n - 8} more`);
  if (data.length % IRQ_SIZE) shown.push(`${data.length % IRQ_SIZE} trailing bytes`);
  return shown.join('; ');
}
