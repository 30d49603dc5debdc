/**
 * Declarative register tables, in the shape of the kernel's
 * `struct vgic_register_region` arrays (arch/arm64/kvm/vgic/vgic-mmio.h):
 * each row names a register by its spec name, its offset, its length (fixed,
 * or a number of bits per interrupt), the access widths a guest may use, and
 * the guest and userspace handlers. Lookup, width checks and HAS_DEVICE_ATTR
 * all derive from the same rows.
 */
import type { VmCtx } from './device.js';

/** Access-width flags, as VGIC_ACCESS_8bit / _32bit / _64bit. */
export const ACC8 = 1;
export const ACC16 = 2;
export const ACC32 = 4;
export const ACC64 = 8;

/** A named bit field of a register, for decoding values into names. */
export interface BitField {
  readonly name: string;
  readonly lsb: number;
  readonly width: number;
}

export function field(name: string, lsb: number, width = 1): BitField {
  return { name, lsb, width };
}

/** Extract a field's value from a register value. */
export function extract(value: number, f: BitField): number {
  return f.width >= 32 ? value >>> 0 : (value >>> f.lsb) & ((1 << f.width) - 1);
}

/** Decode a register value into "Name=value" parts, skipping zero one-bit flags. */
export function decodeFields(value: number, fields: readonly BitField[]): string {
  const parts: string[] = [];
  for (const f of fields) {
    const v = extract(value, f);
    if (f.width === 1) {
      if (v) parts.push(f.name);
    } else parts.push(`${f.name}=${v >= 10 ? '0x' + v.toString(16) : v}`);
  }
  return parts.join(' ');
}

/**
 * One register (or per-interrupt register array). Its handlers get the Vm
 * and the state `S` of the device the access reached, the way every device
 * hook does: no handler looks its device up again.
 */
export interface RegRow<S> {
  readonly name: string;
  readonly offset: number;
  /** Length in bytes; for per-IRQ rows it is bitsPerIrq * 1024 / 8. */
  readonly len: number;
  /** 0 for fixed registers; else how many bits each INTID takes. */
  readonly bitsPerIrq: 0 | 1 | 2 | 8 | 64;
  /** ACC8 | ACC32 ... : the widths a guest access may use. */
  readonly widths: number;
  readonly fields?: readonly BitField[];
  /** Bytes per register of an array row, for naming (GITS_BASER<n> is 8); 4 unless given, 8 for 64 bits per IRQ. */
  readonly stride?: 4 | 8;
  /** Guest read: (vm, device state, vcpu index, offset within the frame, access length). */
  read(vm: VmCtx, s: S, vcpu: number, off: number, len: number): number;
  /** Guest write. */
  write(vm: VmCtx, s: S, vcpu: number, off: number, len: number, val: number): void;
  /** Userspace (DEVICE_ATTR) read, 32 bits; defaults to `read`. */
  uread?(vm: VmCtx, s: S, vcpu: number, off: number): number;
  /** Userspace write; returns an errno (0 = done); defaults to `write`. */
  uwrite?(vm: VmCtx, s: S, vcpu: number, off: number, val: number): number;
  /**
   * 64-bit registers (ACC64 rows): an 8-byte access as one operation, the
   * way update_64bit_reg/extract_bytes see it. Rows without them are read
   * and written as two 32-bit halves.
   */
  read64?(vm: VmCtx, s: S, vcpu: number, off: number): bigint;
  write64?(vm: VmCtx, s: S, vcpu: number, off: number, val: bigint): void;
  /** Userspace 64-bit write (ITS_REGS); returns an errno; defaults to `write64`. */
  uwrite64?(vm: VmCtx, s: S, vcpu: number, off: number, val: bigint): number;
}

/** The INTID covered by byte offset `off` of a per-IRQ row (VGIC_ADDR_TO_INTID). */
export function intidAt(row: RegRow<unknown>, off: number): number {
  return (((off - row.offset) & (row.len - 1)) * 8) / row.bitsPerIrq;
}

/**
 * A frame's table: the rows sorted by offset, plus a dense index from each
 * 4-byte word of the frame to its row, built once, so a guest access costs
 * one array load instead of a binary search.
 */
export class RegTable<S> {
  readonly rows: readonly RegRow<S>[];
  private readonly byWord: Int16Array;

  constructor(
    readonly name: string,
    readonly frameSize: number,
    rows: readonly RegRow<S>[],
  ) {
    this.rows = [...rows].sort((a, b) => a.offset - b.offset);
    this.byWord = new Int16Array(frameSize >>> 2).fill(-1);
    this.rows.forEach((r, i) => {
      for (let o = r.offset; o < r.offset + r.len; o += 4) this.byWord[o >>> 2] = i;
    });
  }

  /** The row covering byte offset `off`, or undefined (vgic_find_mmio_region). */
  find(off: number): RegRow<S> | undefined {
    if (off < 0 || off >= this.frameSize) return undefined;
    const i = this.byWord[off >>> 2]!;
    return i < 0 ? undefined : this.rows[i];
  }

  /**
   * vgic_get_mmio_region + check_region: the row, if an access of `len` bytes
   * at `off` is one the row allows (width, natural alignment) and, for
   * per-IRQ rows, its first INTID is below `nrIrqs`.
   */
  lookup(off: number, len: number, nrIrqs: number): RegRow<S> | undefined {
    const row = this.find(off);
    if (!row) return undefined;
    const flag = len === 1 ? ACC8 : len === 4 ? ACC32 : len === 8 ? ACC64 : 0;
    if (!(row.widths & flag) || off % len !== 0) return undefined;
    if (row.bitsPerIrq && intidAt(row, off) >= nrIrqs) return undefined;
    return row;
  }

  /** The row and register name at an offset, for decoding ("GICD_ISENABLER1"). */
  nameAt(off: number): string {
    const row = this.find(off);
    if (!row) return `+0x${off.toString(16)}`;
    const stride = row.stride ?? (row.bitsPerIrq === 64 ? 8 : 4);
    if (row.len <= stride) return stride === 8 && off - row.offset >= 4 ? `${row.name}+4` : row.name;
    const idx = Math.floor((off - row.offset) / stride);
    const sub = off - row.offset - idx * stride;
    return `${row.name}${idx}${sub ? `+${sub}` : ''}`;
  }

  /**
   * The table invariants the kernel's tables keep: sorted, no overlaps,
   * unique names, rows inside the frame, per-IRQ rows sized bitsPerIrq*1024/8,
   * at least one access width. Returns the problems found (empty when sound).
   */
  checkInvariants(): string[] {
    const problems: string[] = [];
    const names = new Set<string>();
    let end = 0;
    for (const r of this.rows) {
      if (names.has(r.name)) problems.push(`${this.name}: duplicate name ${r.name}`);
      names.add(r.name);
      if (r.offset < end) problems.push(`${this.name}: ${r.name} at 0x${r.offset.toString(16)} overlaps the previous row`);
      end = r.offset + r.len;
      if (end > this.frameSize) problems.push(`${this.name}: ${r.name} runs past the frame`);
      if (r.bitsPerIrq && r.len !== (r.bitsPerIrq * 1024) / 8) problems.push(`${this.name}: ${r.name} length ${r.len} != bitsPerIrq*128`);
      if (!r.widths) problems.push(`${this.name}: ${r.name} allows no access width`);
      if (r.offset % 4 !== 0) problems.push(`${this.name}: ${r.name} is not word aligned`);
    }
    return problems;
  }
}
