/**
 * The ITS control frame as KVM emulates it: its_registers[] (vgic-its.c)
 * with the guest and userspace (KVM_DEV_ARM_VGIC_GRP_ITS_REGS) handlers.
 * The translation frame (GITS_TRANSLATER at 0x10040) has no registers: KVM
 * takes MSIs through KVM_SIGNAL_MSI and irqfds, not guest writes.
 */
import type { VmCtx } from '../../core/device.js';
import { ACC32, ACC64, field, RegTable, type RegRow } from '../../core/regtable.js';
import { ERRNO, VGIC } from '../../core/uapi.js';
import { extract64, sanitiseItsBaser, sanitiseItsCbaser, update64 } from '../baser.js';
import { freeCollectionList, freeDeviceList, processCommands, VITS_DEVBITS, VITS_IDBITS } from './cmd.js';
import { cmdQueueSize, GITS_BASER, type ItsState, ITS_ESZ } from './state.js';

type Row = RegRow<ItsState>;

const GITS_CTLR_ENABLE = 1;
const GITS_CTLR_QUIESCENT = 1 << 31;
const GITS_CBASER_VALID = 1n << 63n;

/** GITS_TYPER: PLPIS, ITT entry size 8, 16 event ID bits, 16 device ID bits (PTA = 0, CIL = 0). */
export const GITS_TYPER_VALUE = 1n | (BigInt(ITS_ESZ - 1) << 4n) | (BigInt(VITS_IDBITS - 1) << 8n) | (BigInt(VITS_DEVBITS - 1) << 13n);

/** GITS_IIDR: the table ABI revision, ProductID KVM, Implementer ARM. */
export function gitsIidr(its: ItsState): number {
  return (((its.abiRev & 0xf) << 12) | (VGIC.PRODUCT_ID_KVM << 24) | VGIC.IMPLEMENTER_ARM) >>> 0;
}

/** vgic_its_free_device_list / vgic_its_free_collection_list. */
export function freeLists(vm: VmCtx, its: ItsState, devices: boolean, collections: boolean): void {
  if (devices) freeDeviceList(vm, its);
  if (collections) freeCollectionList(its);
}

/** A 64-bit ITS register: 32-bit halves or one 64-bit access. */
function reg64(name: string, offset: number, len: number, get: (its: ItsState, off: number) => bigint, put: (vm: VmCtx, its: ItsState, off: number, size: number, val: bigint) => void, extra: Partial<Row> = {}): Row {
  return {
    name,
    offset,
    size: 8,
    ...(len > 8 && { count: len / 8 }),
    widths: ACC64 | ACC32,
    read: (_vm, its, _v, off, size) => extract64(get(its, off & ~7), off, size),
    write: (vm, its, _v, off, size, val) => put(vm, its, off, size, BigInt(val >>> 0)),
    read64: (_vm, its, _v, off) => get(its, off),
    write64: (vm, its, _v, off, val) => put(vm, its, off, 8, val),
    ...extra,
  };
}

function reg32(name: string, offset: number, read: (its: ItsState) => number, write: (vm: VmCtx, its: ItsState, val: number) => void, extra: Partial<Row> = {}): Row {
  return { name, offset, size: 4, widths: ACC32, read: (_vm, its) => read(its) >>> 0, write: (vm, its, _v, _o, _l, val) => write(vm, its, val), ...extra };
}

/**
 * vgic_mmio_write_its_ctlr: enabling needs valid CBASER and BASER0/1 (else
 * the write is ignored); then queued commands run.
 */
function writeCtlr(vm: VmCtx, its: ItsState, val: number): void {
  if (!its.enabled && val & GITS_CTLR_ENABLE && (!(its.baserDevice & GITS_BASER.VALID) || !(its.baserColl & GITS_BASER.VALID) || !(its.cbaser & GITS_CBASER_VALID))) return;
  its.enabled = (val & GITS_CTLR_ENABLE) !== 0;
  processCommands(vm, its);
}

/**
 * vgic_mmio_write_its_baser: ignored while enabled; the type, entry size
 * and page size are forced, BASER1 cannot be indirect; clearing Valid frees
 * the devices (BASER0) or collections (BASER1).
 */
function writeBaser(vm: VmCtx, its: ItsState, off: number, size: number, val: bigint): void {
  if (its.enabled) return;
  const index = ((off - 0x100) >>> 3) & 7;
  if (index > 1) return;
  const type = index === 0 ? GITS_BASER.TYPE_DEVICE : GITS_BASER.TYPE_COLLECTION;
  let reg = update64(index === 0 ? its.baserDevice : its.baserColl, off, size, val);
  reg &= ~((0x1fn << 48n) | (7n << 56n));
  if (index === 1) reg &= ~GITS_BASER.INDIRECT;
  reg |= (BigInt(ITS_ESZ - 1) << GITS_BASER.ENTRY_SIZE_SHIFT) | (type << GITS_BASER.TYPE_SHIFT);
  reg = sanitiseItsBaser(reg);
  if (index === 0) its.baserDevice = reg;
  else its.baserColl = reg;
  if (!(reg & GITS_BASER.VALID)) freeLists(vm, its, index === 0, index === 1);
}

const ID_VALUES: Record<string, number> = { PIDR4: 0x40, PIDR0: 0x92, PIDR1: 0xb4, PIDR2: 0x3b, CIDR0: 0x0d, CIDR1: 0xf0, CIDR2: 0x05, CIDR3: 0xb1 };
const ID_NAMES = ['PIDR4', 'PIDR5', 'PIDR6', 'PIDR7', 'PIDR0', 'PIDR1', 'PIDR2', 'PIDR3', 'CIDR0', 'CIDR1', 'CIDR2', 'CIDR3'];

export const ITS_REGS = new RegTable<ItsState>('GICv3 ITS control frame', 0x20000, [
  reg32(
    'GITS_CTLR',
    0x0,
    (its) => (its.creadr === its.cwriter ? GITS_CTLR_QUIESCENT : 0) | (its.enabled ? GITS_CTLR_ENABLE : 0),
    writeCtlr,
    { fields: [field('Enabled', 0), field('Quiescent', 31)] },
  ),
  // vgic_mmio_uaccess_write_its_iidr: only ABI revision 0 exists (else EINVAL); committing it resets the entry sizes.
  reg32('GITS_IIDR', 0x4, gitsIidr, () => {}, {
    fields: [field('Implementer', 0, 12), field('Revision', 12, 4), field('ProductID', 24, 8)],
    uwrite(_vm, its, _v, _off, val) {
      const rev = (val >>> 12) & 0xf;
      if (rev >= 1) return ERRNO.EINVAL;
      its.abiRev = rev;
      const esz = BigInt(ITS_ESZ - 1) << GITS_BASER.ENTRY_SIZE_SHIFT;
      its.baserDevice = (its.baserDevice & ~(0x1fn << 48n)) | esz;
      its.baserColl = (its.baserColl & ~(0x1fn << 48n)) | esz;
      return 0;
    },
  }),
  reg64('GITS_TYPER', 0x8, 8, () => GITS_TYPER_VALUE, () => {}, {
    fields: [field('Physical', 0), field('ITT_entry_size', 4, 4), field('IDbits', 8, 5), field('Devbits', 13, 5)],
  }),
  // vgic_mmio_write_its_cbaser: RO while enabled; a write empties the queue (CREADR = CWRITER = 0).
  reg64('GITS_CBASER', 0x80, 8, (its) => its.cbaser, (_vm, its, off, size, val) => {
    if (its.enabled) return;
    its.cbaser = sanitiseItsCbaser(update64(its.cbaser, off, size, val));
    its.creadr = 0;
    its.cwriter = 0;
  }, { fields: [field('Size', 0, 8), field('Shareability', 10, 2), field('Physical_Address', 12, 20)] }),
  // vgic_mmio_write_its_cwriter: an offset beyond the queue is ignored; then the commands run.
  reg64('GITS_CWRITER', 0x88, 8, (its) => BigInt(its.cwriter), (vm, its, off, size, val) => {
    const reg = Number(update64(BigInt(its.cwriter), off, size, val) & 0xfffe0n);
    if (reg >= cmdQueueSize(its.cbaser)) return;
    its.cwriter = reg;
    processCommands(vm, its);
  }, { fields: [field('Retry', 0), field('Offset', 5, 15)] }),
  // GITS_CREADR: the guest cannot write it; userspace can while the ITS is disabled (EBUSY) within the queue (EINVAL).
  reg64('GITS_CREADR', 0x90, 8, (its) => BigInt(its.creadr), () => {}, {
    fields: [field('Stalled', 0), field('Offset', 5, 15)],
    uwrite64(_vm, its, _v, _off, val) {
      if (its.enabled) return ERRNO.EBUSY;
      const off = Number(val & 0xfffe0n);
      if (off >= cmdQueueSize(its.cbaser)) return ERRNO.EINVAL;
      its.creadr = off;
      return 0;
    },
  }),
  reg64('GITS_BASER', 0x100, 0x40, (its, off) => {
    const index = ((off - 0x100) >>> 3) & 7;
    return index === 0 ? its.baserDevice : index === 1 ? its.baserColl : 0n;
  }, writeBaser, {
    fields: [field('Size', 0, 8), field('Page_Size', 8, 2), field('Shareability', 10, 2), field('Physical_Address', 12, 20)],
  }),
  ...ID_NAMES.map((n, i) => reg32(`GITS_${n}`, 0xffd0 + 4 * i, () => ID_VALUES[n] ?? 0, () => {})),
]);

/** GITS_PIDR4: from here on (and below GITS_TYPER) userspace accesses are 32-bit. */
export const GITS_PIDR4 = 0xffd0;
