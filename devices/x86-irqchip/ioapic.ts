/**
 * The IOAPIC (arch/x86/kvm/ioapic.c): 24 pins, the redirection table, the
 * MMIO window at 0xfec00000 (IOREGSEL at +0x00, IOWIN at +0x10) with its
 * indirect registers, delivery to the local APICs (ioapic_service), the
 * EOI broadcast (kvm_ioapic_update_eoi) and the RTC's coalescing
 * (GSI 8 with KVM_IRQ_LINE_STATUS).
 */
import type { VmCtx } from '../core/device.js';
import { ACC16, ACC32, ACC8, RegTable } from '../core/regtable.js';
import { deliverToApic, type LapicIrq } from './deliver.js';
import { APIC, getReg, APIC_SPIV_DIRECTED_EOI, matchDest, pendingEoi } from './lapic.js';
import { redirGet, redirSet } from './structs.js';
import { IOAPIC_DEFAULT_BASE, IOAPIC_NUM_PINS, type Ioapic, type X86IrqchipState } from './state.js';

/** IOAPIC_MEM_LENGTH. */
export const IOAPIC_MEM_LENGTH = 0x100;
/** IOAPIC_VERSION_ID. */
const IOAPIC_VERSION_ID = 0x11;
/** RTC_GSI on x86. */
export const RTC_GSI = 8;
/** IOAPIC_SUCCESSIVE_IRQ_MAX_COUNT: this many EOIs in a row that find the line high is an interrupt storm. */
const IOAPIC_SUCCESSIVE_IRQ_MAX_COUNT = 10000;
const EDGE = 0;
const LEVEL = 1;

function entryIrq(bits: bigint, level: number): LapicIrq {
  return {
    vector: redirGet(bits, 'vector'),
    deliveryMode: redirGet(bits, 'delivery_mode') << 8,
    logical: redirGet(bits, 'dest_mode') === 1,
    level,
    trigMode: redirGet(bits, 'trig_mode'),
    destId: redirGet(bits, 'dest_id'),
    msiRedirHint: false,
  };
}

/**
 * ioapic_service: deliver pin `irq` unless masked or (level-triggered)
 * waiting for its EOI (-1); an edge pin is marked delivered; a level pin
 * that reached an APIC sets remote_irr. With `lineStatus` the RTC pin's
 * destinations are recorded for coalescing.
 */
function ioapicService(s: X86IrqchipState, irq: number, lineStatus: boolean): number {
  const io = s.ioapic;
  const bits = io.redirtbl[irq]!;
  if (redirGet(bits, 'mask') || (redirGet(bits, 'trig_mode') === LEVEL && redirGet(bits, 'remote_irr'))) return -1;
  const irqe = entryIrq(bits, 1);
  if (irqe.trigMode === EDGE) io.irr_delivered |= 1 << irq;
  let ret: number;
  if (irq === RTC_GSI && lineStatus) {
    ret = deliverToApic(s, irqe, (index, vector) => (io.rtc_dest[index] = vector));
    io.rtc_pending_eoi = ret < 0 ? 0 : ret;
  } else ret = deliverToApic(s, irqe);
  if (ret && irqe.trigMode === LEVEL) io.redirtbl[irq] = redirSet(io.redirtbl[irq]!, 'remote_irr', 1);
  return ret;
}

/**
 * ioapic_set_irq: a low level clears the pin's IRR bit (1); a high level
 * sets it and delivers, except an RTC interrupt still waiting for its EOI
 * (with line status) or an edge that found IRR already set: coalesced (0).
 */
export function ioapicSetIrq(s: X86IrqchipState, irq: number, level: number, lineStatus: boolean): number {
  const io = s.ioapic;
  const mask = 1 << irq;
  if (!level) {
    io.irr &= ~mask;
    return 1;
  }
  const edge = redirGet(io.redirtbl[irq]!, 'trig_mode') === EDGE;
  if (irq === RTC_GSI && lineStatus && io.rtc_pending_eoi > 0) return 0;
  const oldIrr = io.irr;
  io.irr |= mask;
  if (edge) {
    io.irr_delivered &= ~mask;
    if (oldIrr === io.irr) return 0;
  }
  return ioapicService(s, irq, lineStatus);
}

/** kvm_ioapic_set_irq: the routing entry's IOAPIC pin. */
export function kvmIoapicSetIrq(s: X86IrqchipState, pin: number, level: number, lineStatus: boolean): number {
  return ioapicSetIrq(s, pin, level ? 1 : 0, lineStatus);
}

/** rtc_irq_eoi_tracking_reset. */
function rtcReset(io: Ioapic): void {
  io.rtc_pending_eoi = 0;
  io.rtc_dest.fill(-1);
}

/** __rtc_irq_eoi_tracking_restore_one: recount vcpu `index`'s pending RTC EOI from its APIC's ISR/IRR. */
export function rtcRestoreOne(s: X86IrqchipState, index: number): void {
  const io = s.ioapic;
  const e = io.redirtbl[RTC_GSI]!;
  const regs = s.lapics[index]!;
  if (!matchDest(regs, redirGet(e, 'dest_id'), redirGet(e, 'dest_mode') === 1)) return;
  const vector = redirGet(e, 'vector');
  const newVal = pendingEoi(regs, vector);
  const oldVal = io.rtc_dest[index]! >= 0;
  if (newVal === oldVal) return;
  if (newVal) {
    io.rtc_dest[index] = vector;
    io.rtc_pending_eoi++;
  } else {
    io.rtc_dest[index] = -1;
    io.rtc_pending_eoi--;
    if (io.rtc_pending_eoi < 0) rtcRestoreAll(s); // rtc_status_pending_eoi_check_valid
  }
}

/** kvm_rtc_eoi_tracking_restore_all. */
function rtcRestoreAll(s: X86IrqchipState): void {
  rtcReset(s.ioapic);
  for (let i = 0; i < s.lapics.length; i++) rtcRestoreOne(s, i);
}

/** rtc_irq_eoi: vcpu `index` completed the vector the RTC sent it. */
function rtcIrqEoi(io: Ioapic, index: number, vector: number): void {
  if (io.rtc_dest[index] === vector) {
    io.rtc_dest[index] = -1;
    io.rtc_pending_eoi--;
  }
}

/**
 * kvm_ioapic_scan_entry for one vector: whether vcpu `index`'s EOI of
 * `vector` goes to the IOAPIC (ioapic_handled_vectors): a level-triggered
 * entry, or the RTC pin, that targets the vcpu or has the vector pending
 * in its APIC; or the RTC vector this vcpu still owes an EOI.
 */
export function ioapicHandlesVector(s: X86IrqchipState, index: number, vector: number): boolean {
  const io = s.ioapic;
  if (io.rtc_dest[index] === vector) return true;
  const regs = s.lapics[index]!;
  for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
    const e = io.redirtbl[pin]!;
    if (redirGet(e, 'trig_mode') !== LEVEL && pin !== RTC_GSI) continue;
    if (redirGet(e, 'vector') !== vector) continue;
    if (matchDest(regs, redirGet(e, 'dest_id'), redirGet(e, 'dest_mode') === 1) || pendingEoi(regs, vector)) return true;
  }
  return false;
}

/**
 * kvm_ioapic_update_eoi: the EOI broadcast for `vector` from vcpu `index`.
 * Each entry with that vector: a level-triggered EOI (and no directed EOI
 * in SPIV) clears remote_irr and, if the line is still high and the pin
 * unmasked, delivers again (the 10000th successive time is deferred to a
 * delayed work the model does not run).
 */
export function ioapicUpdateEoi(s: X86IrqchipState, index: number, vector: number, level: boolean): void {
  const io = s.ioapic;
  rtcIrqEoi(io, index, vector);
  const spiv = getReg(s.lapics[index]!, APIC.SPIV);
  for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
    const e = io.redirtbl[pin]!;
    if (redirGet(e, 'vector') !== vector) continue;
    // kvm_ioapic_update_eoi_one (its ack notifiers have no listener here)
    if (!level || spiv & APIC_SPIV_DIRECTED_EOI) continue;
    io.redirtbl[pin] = redirSet(e, 'remote_irr', 0);
    if (!redirGet(e, 'mask') && io.irr & (1 << pin)) {
      io.irq_eoi[pin]!++;
      if (io.irq_eoi[pin] === IOAPIC_SUCCESSIVE_IRQ_MAX_COUNT) io.irq_eoi[pin] = 0;
      else ioapicService(s, pin, false);
    } else io.irq_eoi[pin] = 0;
  }
}

/** ioapic_read_indirect: version (23 redirection entries, version 0x11), ID (bits 27:24), a redirection half (all ones past the table). */
export function ioapicReadIndirect(io: Ioapic): number {
  const sel = io.ioregsel;
  switch (sel) {
    case 0x01:
      return (((IOAPIC_NUM_PINS - 1) & 0xff) << 16) | (IOAPIC_VERSION_ID & 0xff);
    case 0x00:
    case 0x02:
      return ((io.id & 0xf) << 24) >>> 0;
    default: {
      const index = ((sel - 0x10) >>> 1) >>> 0;
      const content = index < IOAPIC_NUM_PINS ? io.redirtbl[index]! : 0xffffffffffffffffn;
      return Number(sel & 1 ? (content >> 32n) & 0xffffffffn : content & 0xffffffffn);
    }
  }
}

/**
 * ioapic_write_indirect: ID bits 27:24; a redirection half keeps
 * remote_irr and delivery_status (read-only), an edge entry's remote_irr
 * clears, and a level entry whose line is high is serviced at once.
 */
export function ioapicWriteIndirect(s: X86IrqchipState, val: number): void {
  const io = s.ioapic;
  const sel = io.ioregsel;
  switch (sel) {
    case 0x01: // version: writes ignored
    case 0x02: // arbitration ID
      return;
    case 0x00:
      io.id = (val >>> 24) & 0xf;
      return;
    default: {
      const index = ((sel - 0x10) >>> 1) >>> 0;
      if (index >= IOAPIC_NUM_PINS) return;
      let e = io.redirtbl[index]!;
      const oldRemoteIrr = redirGet(e, 'remote_irr');
      const oldDeliveryStatus = redirGet(e, 'delivery_status');
      e = sel & 1 ? (e & 0xffffffffn) | (BigInt(val >>> 0) << 32n) : (e & ~0xffffffffn) | BigInt(val >>> 0);
      e = redirSet(e, 'remote_irr', oldRemoteIrr);
      e = redirSet(e, 'delivery_status', oldDeliveryStatus);
      if (redirGet(e, 'trig_mode') === EDGE) e = redirSet(e, 'remote_irr', 0);
      io.redirtbl[index] = e;
      if (redirGet(e, 'trig_mode') === LEVEL && io.irr & (1 << index)) ioapicService(s, index, false);
    }
  }
}

/** kvm_set_ioapic (KVM_SET_IRQCHIP chip 2): the 216 bytes copied in, IRR rebuilt by raising each pin the state says is pending (kvm_ioapic_inject_all). */
export function ioapicSetState(s: X86IrqchipState, st: { base_address: bigint; ioregsel: number; id: number; irr: number; pad: number; redirtbl: bigint[] }): void {
  const io = s.ioapic;
  io.base_address = st.base_address;
  io.ioregsel = st.ioregsel;
  io.id = st.id;
  io.pad = st.pad;
  io.redirtbl = st.redirtbl.slice();
  io.irr = 0;
  io.irr_delivered = 0;
  rtcReset(io);
  for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) if (st.irr & (1 << pin)) ioapicSetIrq(s, pin, 1, true);
  rtcRestoreAll(s);
}

/** The IOAPIC's direct registers: IOREGSEL (+0x00) and IOWIN (+0x10); every other offset reads 0 and ignores writes. */
export const IOAPIC_MMIO = new RegTable<X86IrqchipState>('IOAPIC (0xfec00000)', IOAPIC_MEM_LENGTH, [
  {
    name: 'IOREGSEL',
    offset: 0x00,
    size: 4,
    widths: ACC8 | ACC16 | ACC32,
    read: (_vm, s) => s.ioapic.ioregsel,
    write: (_vm, s, _v, _o, _l, val) => void (s.ioapic.ioregsel = val & 0xff),
  },
  {
    name: 'IOWIN',
    offset: 0x10,
    size: 4,
    widths: ACC8 | ACC16 | ACC32,
    read: (_vm, s) => ioapicReadIndirect(s.ioapic),
    write: (_vm, s, _v, _o, _l, val) => ioapicWriteIndirect(s, val),
  },
]);

/**
 * The indirect registers IOREGSEL selects, by index: IOAPICID, IOAPICVER,
 * IOAPICARB and IOREDTBL<n> (two 32-bit halves each: +0 low, +1 high).
 * Offsets are register indexes; the table names them and reaches their
 * handlers.
 */
export const IOAPIC_INDIRECT = new RegTable<X86IrqchipState>('IOAPIC indirect registers', 0x100, [
  { name: 'IOAPICID', offset: 0x00, size: 1, widths: ACC8, read: (_vm, s) => ioapicReadIndirect(s.ioapic), write: (_vm, s, _v, _o, _l, val) => ioapicWriteIndirect(s, val) },
  { name: 'IOAPICVER', offset: 0x01, size: 1, widths: ACC8, read: (_vm, s) => ioapicReadIndirect(s.ioapic), write: () => undefined },
  { name: 'IOAPICARB', offset: 0x02, size: 1, widths: ACC8, read: (_vm, s) => ioapicReadIndirect(s.ioapic), write: () => undefined },
  { name: 'IOREDTBL', offset: 0x10, size: 2, count: IOAPIC_NUM_PINS, widths: ACC8, read: (_vm, s) => ioapicReadIndirect(s.ioapic), write: (_vm, s, _v, _o, _l, val) => ioapicWriteIndirect(s, val) },
]);

/**
 * The part of the IOAPIC window the device answers now: the registered
 * range (IOAPIC_DEFAULT_BASE, IOAPIC_MEM_LENGTH bytes) where ioapic_in_range
 * also holds for base_address (KVM_SET_IRQCHIP may move base_address; the
 * bus registration does not follow). Undefined when they do not overlap.
 */
export function ioapicWindow(io: Ioapic): { base: number; size: number } | undefined {
  const reg = IOAPIC_DEFAULT_BASE;
  const lo = io.base_address > reg ? io.base_address : reg;
  const hiA = reg + BigInt(IOAPIC_MEM_LENGTH);
  const hiB = io.base_address + BigInt(IOAPIC_MEM_LENGTH);
  const hi = hiA < hiB ? hiA : hiB;
  return lo < hi ? { base: Number(lo), size: Number(hi - lo) } : undefined;
}

/**
 * ioapic_mmio_read/ioapic_mmio_write at guest address `addr`: the register
 * is chosen by addr & 0xff (IOREGSEL at 0, IOWIN at 0x10, anything else
 * reads 0); a read gives the low `len` bytes of the 32-bit result (8-byte
 * reads zero-extend), a write takes the low `len` bytes (8: the low 32 bits).
 */
export function ioapicMmio(vm: VmCtx, s: X86IrqchipState, vcpu: number, addr: number, len: number, write: boolean, value: number): number {
  const off = addr & 0xff;
  const row = IOAPIC_MMIO.find(off);
  const hit = row && row.offset === off ? row : undefined;
  if (write) {
    const data = len >= 4 ? value >>> 0 : len === 2 ? value & 0xffff : value & 0xff;
    hit?.write(vm, s, vcpu, off, len, data);
    return 0;
  }
  const result = hit ? hit.read(vm, s, vcpu, off, len) >>> 0 : 0;
  return len >= 4 ? result : len === 2 ? result & 0xffff : result & 0xff;
}
