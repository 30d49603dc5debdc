/**
 * The per-interrupt register behaviour GICv3 shares between the distributor
 * (SPIs, GICD_I*R<n>) and each redistributor's SGI_base frame (SGIs and
 * PPIs, GICR_I*R0): the handlers of vgic-mmio.c as vgic-mmio-v3.c wires
 * them, with the userspace (uaccess) variants where the kernel has them.
 * A bank word is 32 INTIDs; `b.*[w]` is the word the access covers.
 */
import type { VmCtx } from '../../core/device.js';
import { ACC32, ACC8, type RegRow } from '../../core/regtable.js';
import { type IrqBank, pendingWord } from '../irq.js';
import type { Vgic3State } from './state.js';

export type Row = RegRow<VmCtx>;

/** How one 1-bit-per-IRQ register reads and writes a bank word. */
export interface WordOp {
  read(b: IrqBank, w: number): number;
  write(b: IrqBank, w: number, val: number): void;
  /** Userspace read (uaccess_read), when it differs. */
  uread?(b: IrqBank, w: number): number;
  /** Userspace write (uaccess_write), when it differs. */
  uwrite?(b: IrqBank, w: number, val: number): void;
}

const set = (a: Uint32Array, w: number, m: number) => void (a[w] = a[w]! | m);
const clear = (a: Uint32Array, w: number, m: number) => void (a[w] = a[w]! & ~m);

/** The GICv3 1-bit registers. */
export const WORD_OPS = {
  /** vgic_mmio_read/write_group: groups are guest- and user-configurable on v3. */
  IGROUPR: { read: (b, w) => b.group[w]!, write: (b, w, v) => void (b.group[w] = v) },
  ISENABLER: { read: (b, w) => b.enabled[w]!, write: (b, w, v) => set(b.enabled, w, v) },
  ICENABLER: { read: (b, w) => b.enabled[w]!, write: (b, w, v) => clear(b.enabled, w, v) },
  /**
   * Guest: reads latch | line (level IRQs), a 1 sets the latch. Userspace
   * (vgic_uaccess_read_pending / vgic_v3_uaccess_write_pending): reads the
   * latch alone and a write replaces it, whatever the IRQ's config.
   */
  ISPENDR: {
    read: (b, w) => pendingWord(b, w),
    write: (b, w, v) => set(b.latch, w, v),
    uread: (b, w) => b.latch[w]!,
    uwrite: (b, w, v) => void (b.latch[w] = v),
  },
  /** Guest: a 1 clears the latch. Userspace: RAZ/WI (vgic_mmio_read_raz, vgic_mmio_uaccess_write_wi). */
  ICPENDR: {
    read: (b, w) => pendingWord(b, w),
    write: (b, w, v) => clear(b.latch, w, v),
    uread: () => 0,
    uwrite: () => {},
  },
  ISACTIVER: { read: (b, w) => b.active[w]!, write: (b, w, v) => set(b.active, w, v) },
  ICACTIVER: { read: (b, w) => b.active[w]!, write: (b, w, v) => clear(b.active, w, v) },
} as const satisfies Record<string, WordOp>;

/** A plain 32-bit register row (no per-IRQ length). */
export function fixedRow(name: string, offset: number, len: number, widths: number, read: Row['read'], write: Row['write'], extra: Partial<Row> = {}): Row {
  return { name, offset, len, bitsPerIrq: 0, widths, read, write, ...extra };
}

/** A read-as-zero, write-ignored row. */
export function razRow(name: string, offset: number, len = 4, widths = ACC32, bitsPerIrq: Row['bitsPerIrq'] = 0): Row {
  return { name, offset, len, bitsPerIrq, widths, read: () => 0, write: () => {} };
}

/** The priority byte of INTID n: the top VGIC_PRI_BITS kept (vgic_mmio_write_priority). */
export function priorityRead(b: IrqBank, n0: number, len: number): number {
  let v = 0;
  for (let i = 0; i < len; i++) v |= b.priority[n0 + i]! << (8 * i);
  return v >>> 0;
}

export function priorityWrite(b: IrqBank, n0: number, len: number, val: number): void {
  for (let i = 0; i < len; i++) b.priority[n0 + i] = (val >>> (8 * i)) & 0xf8;
}

/** GICx_ICFGR: bit 2n+1 is 1 for edge (vgic_mmio_read_config). */
export function configRead(b: IrqBank, n0: number): number {
  let v = 0;
  for (let i = 0; i < 16; i++) {
    const n = n0 + i;
    if ((b.edge[n >>> 5]! >>> (n & 31)) & 1) v |= 2 << (2 * i);
  }
  return v >>> 0;
}

/** vgic_mmio_write_config: SGI and PPI configuration is read-only (the timer relies on level PPIs). */
export function configWrite(b: IrqBank, n0: number, val: number): void {
  for (let i = 0; i < 16; i++) {
    const n = n0 + i;
    if (n < 32) continue;
    const m = 1 << (n & 31);
    b.edge[n >>> 5] = (val >>> (2 * i + 1)) & 1 ? b.edge[n >>> 5]! | m : b.edge[n >>> 5]! & ~m;
  }
}

export const BYTE_WIDTHS = ACC8 | ACC32;

/** The VGIC state of the VM as v3. */
export function v3Of(vm: VmCtx): Vgic3State {
  return vm.state.devices[vm.state.irqchip]!.state as Vgic3State;
}
