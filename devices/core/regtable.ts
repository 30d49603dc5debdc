/**
 * Declarative register tables for any device's register frame, in the shape
 * of the kernel's region arrays (`struct vgic_register_region` in
 * arch/arm64/kvm/vgic/vgic-mmio.h is the first user): each row names a
 * register by its spec name, its byte offset, its size, the access widths a
 * guest may use, and the guest and userspace handlers. A row may be an
 * array of registers `stride` bytes apart (GICD_ISENABLER<n> every 4 bytes,
 * an MPIC's IVPR<n> every 0x20). Rows are byte-granular: registers of 1 or
 * 2 bytes may share a word (the 8259's ports). Lookup, width checks,
 * names and HAS_DEVICE_ATTR all derive from the same rows; a family adds
 * its own rules on top (the GIC's bits per interrupt: arm-vgic/regions.ts).
 */
import type { VmCtx } from './device.js';

/** Access-width flags (as VGIC_ACCESS_8bit / _32bit / _64bit): the access sizes a row allows. */
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

/** Decode a register value into "Name=value" parts, skipping zero one-bit flags; a bigint value may carry fields above bit 31. */
export function decodeFields(value: number | bigint, fields: readonly BitField[]): string {
  const parts: string[] = [];
  for (const f of fields) {
    const v = typeof value === 'bigint' ? Number((value >> BigInt(f.lsb)) & ((1n << BigInt(f.width)) - 1n)) : extract(value, f);
    if (f.width === 1) {
      if (v) parts.push(f.name);
    } else parts.push(`${f.name}=${v >= 10 ? '0x' + v.toString(16) : v}`);
  }
  return parts.join(' ');
}

/** Width flags by access length, 0 to 8 bytes (0: no such width). */
const WIDTH_FLAG = Uint8Array.of(0, ACC8, ACC16, 0, ACC32, 0, 0, 0, ACC64);

/** The width flag of an access of `len` bytes (0: no such width). */
export function widthFlag(len: number): number {
  return len === 1 ? ACC8 : len === 2 ? ACC16 : len === 4 ? ACC32 : len === 8 ? ACC64 : 0;
}

/**
 * One register, or an array of registers of one kind. Its handlers get the
 * Vm and the state `S` of the device the access reached, the way every
 * device hook does: no handler looks its device up again.
 */
export interface RegRow<S> {
  /** Spec name; an array's elements are named `${name}${index}` ("GICD_ISENABLER1", "IVPR3"). */
  readonly name: string;
  /** Byte offset of the (first) register in the frame. */
  readonly offset: number;
  /** Bytes of one register: 1, 2, 4 or 8 (or a multiple of 4 for a register read word by word). */
  readonly size: number;
  /** An array: this many registers (default 1) ... */
  readonly count?: number;
  /** ... `stride` bytes apart (default `size`: contiguous). The bytes between two are not this row's. */
  readonly stride?: number;
  /** ACC8 | ACC16 | ACC32 | ACC64: the access sizes a guest may use, naturally aligned, within one register. */
  readonly widths: number;
  readonly fields?: readonly BitField[];
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

/** How many registers a row holds. */
export function rowCount(row: RegRow<unknown>): number {
  return row.count ?? 1;
}

/** Bytes from one register of a row to the next. */
export function rowStride(row: RegRow<unknown>): number {
  return row.stride ?? row.size;
}

/** One past the last byte a row covers. */
export function rowEnd(row: RegRow<unknown>): number {
  return row.offset + (rowCount(row) - 1) * rowStride(row) + row.size;
}

/** The index of the register of an array row that byte offset `off` falls in ("IVPR<n>"'s n). */
export function elementIndex(row: RegRow<unknown>, off: number): number {
  return Math.floor((off - row.offset) / rowStride(row));
}

/** The widest access a row allows, in bytes. */
function widest(widths: number): number {
  return widths & ACC64 ? 8 : widths & ACC32 ? 4 : widths & ACC16 ? 2 : 1;
}

/** A row with every RegRow property present, in one order, then the family's own properties. */
function normalise<R extends RegRow<any>>(r: R): R {
  const base: RegRow<any> = {
    name: r.name,
    offset: r.offset,
    size: r.size,
    count: r.count,
    stride: r.stride,
    widths: r.widths,
    fields: r.fields,
    read: r.read,
    write: r.write,
    uread: r.uread,
    uwrite: r.uwrite,
    read64: r.read64,
    write64: r.write64,
    uwrite64: r.uwrite64,
  };
  return Object.assign(base, r);
}

/** Word index entries: no row, or a word whose bytes belong to more than one row (see `byByte`). */
const NONE = -1;
const SPLIT = -2;

/**
 * A frame's table: the rows sorted by offset, plus a dense index from each
 * 4-byte word of the frame to the row owning all of it, built once, so a
 * guest access costs one array load instead of a binary search. A word
 * shared by several rows (or partly covered) is resolved byte by byte.
 * `R` is the family's row type (a RegRow with its own fields).
 */
export class RegTable<S, R extends RegRow<S> = RegRow<S>> {
  readonly rows: readonly R[];
  /**
   * The word index, built on the first lookup, not as the table is declared:
   * every command loads every family's tables, and most never touch a frame.
   */
  private byWord: Int16Array | undefined;
  /**
   * Per row, by index, for the lookup's hot path: its width flags, and its
   * stride where an aligned access of an allowed width could still cross a
   * register's end (0 where it cannot: the usual case, no division).
   */
  private readonly widthsOf: Uint8Array;
  private readonly fitStride: Int32Array;
  /** Row index per byte, only for frames with split words. */
  private byByte: Int16Array | undefined;
  /** Bytes claimed by more than one row, found while indexing (checkInvariants reports them). */
  private readonly overlaps: string[] = [];

  constructor(
    readonly name: string,
    readonly frameSize: number,
    rows: readonly R[],
  ) {
    // Every row gets the same own properties in the same order (the family's extra ones after), so
    // the handlers' and fields' loads on the access path see one object shape per table.
    this.rows = rows.map((r) => normalise(r)).sort((a, b) => a.offset - b.offset);
    this.widthsOf = Uint8Array.from(this.rows, (r) => r.widths & 0xf);
    // Registers aligned to their widest access (an invariant) and a whole number of it long,
    // back to back or strided by a multiple of it: an aligned access fits in one register.
    this.fitStride = Int32Array.from(this.rows, (r) => (r.size % widest(r.widths) === 0 && rowStride(r) % widest(r.widths) === 0 ? 0 : rowStride(r)));
  }

  /** Builds the word index (and the byte index where a word is split); returns the word index. */
  private index(): Int16Array {
    const frameSize = this.frameSize;
    const bytes = new Int16Array(frameSize).fill(NONE);
    this.rows.forEach((r, i) => {
      for (let k = 0; k < rowCount(r); k++) {
        const start = r.offset + k * rowStride(r);
        for (let o = start; o < start + r.size && o < frameSize; o++) {
          if (o < 0 || bytes[o] === i) continue;
          if (bytes[o] !== NONE) {
            const other = this.rows[bytes[o]!]!;
            if (!this.overlaps.some((p) => p.startsWith(`${r.name} `))) this.overlaps.push(`${r.name} at 0x${o.toString(16)} overlaps ${other.name}`);
            continue;
          }
          bytes[o] = i;
        }
      }
    });
    // A word no row touches is NONE as filled; only the words under the rows' registers are
    // looked at (a scan of every word of the 128 KiB frames would cost more than the rest of
    // the table). A last word cut short by the frame's end is resolved byte by byte.
    const words = Math.ceil(frameSize / 4);
    const byWord = new Int16Array(words).fill(NONE);
    let split = false;
    const resolve = (w: number) => {
      const o = w * 4;
      const first = bytes[o]!;
      let same = o + 3 < frameSize;
      for (let b = 1; b < 4 && same; b++) same = bytes[o + b] === first;
      byWord[w] = same ? first : SPLIT;
      if (!same) split = true;
    };
    for (const r of this.rows) {
      for (let k = 0; k < rowCount(r); k++) {
        const start = Math.max(0, r.offset + k * rowStride(r));
        const end = Math.min(frameSize, r.offset + k * rowStride(r) + r.size);
        for (let w = start >>> 2; w < words && w * 4 < end; w++) resolve(w);
      }
    }
    if (frameSize % 4) resolve(words - 1);
    this.byByte = split ? bytes : undefined;
    this.byWord = byWord;
    return byWord;
  }

  /** The row covering byte offset `off`, or undefined (vgic_find_mmio_region). */
  find(off: number): R | undefined {
    if (off < 0 || off >= this.frameSize) return undefined;
    let i = (this.byWord ?? this.index())[off >>> 2]!;
    if (i === SPLIT) i = this.byByte![off]!;
    return i < 0 ? undefined : this.rows[i];
  }

  /**
   * The row, if an access of `len` bytes at `off` is one it allows: a width
   * it declares, naturally aligned, inside one register (check_region's
   * width and alignment rules).
   */
  lookup(off: number, len: number): R | undefined {
    if (off < 0 || off >= this.frameSize || len > 8) return undefined;
    let i = (this.byWord ?? this.index())[off >>> 2]!;
    if (i < 0) {
      if (i !== SPLIT) return undefined;
      i = this.byByte![off]!;
      if (i < 0) return undefined;
    }
    if (!(this.widthsOf[i]! & WIDTH_FLAG[len]!) || (off & (len - 1)) !== 0) return undefined;
    const row = this.rows[i]!;
    const stride = this.fitStride[i]!;
    return stride === 0 || ((off - row.offset) % stride) + len <= row.size ? row : undefined;
  }

  /**
   * The register name at an offset, for decoding: "GICD_CTLR", an array's
   * element "GICD_ISENABLER1" with "+N" for a byte inside it
   * ("GICD_IPRIORITYR10+2"), "+4" for the upper word of a single 64-bit
   * register ("GICR_TYPER+4"), "+0xOFF" where no row is.
   */
  nameAt(off: number): string {
    const row = this.find(off);
    if (!row) return `+0x${off.toString(16)}`;
    const idx = elementIndex(row, off);
    const sub = off - row.offset - idx * rowStride(row);
    if (rowCount(row) === 1) return sub & ~3 ? `${row.name}+${sub & ~3}` : row.name;
    return `${row.name}${idx}${sub ? `+${sub}` : ''}`;
  }

  /**
   * The invariants every table keeps: sorted, no two rows claim a byte,
   * unique names (an array's element names included), rows inside the
   * frame, and per row: at least one access width, none wider than its
   * registers, registers aligned to the widest access, an array's stride
   * no smaller than its registers. Returns the problems found (empty when
   * sound). A family checks its own rules beside these (arm-vgic/regions.ts).
   */
  checkInvariants(): string[] {
    if (!this.byWord) this.index(); // finds the overlaps
    const problems: string[] = [];
    const names = new Set<string>();
    for (const r of this.rows) {
      if (names.has(r.name)) problems.push(`${this.name}: duplicate name ${r.name}`);
      names.add(r.name);
    }
    for (const r of this.rows) {
      if (rowCount(r) < 2) continue;
      for (let k = 0; k < rowCount(r); k++) if (names.has(`${r.name}${k}`)) problems.push(`${this.name}: ${r.name}'s element ${k} is named like the row ${r.name}${k}`);
    }
    for (const o of this.overlaps) problems.push(`${this.name}: ${o}`);
    for (const r of this.rows) {
      if (r.offset < 0 || rowEnd(r) > this.frameSize) problems.push(`${this.name}: ${r.name} runs past the frame`);
      if (!(r.widths & (ACC8 | ACC16 | ACC32 | ACC64)) || r.widths & ~(ACC8 | ACC16 | ACC32 | ACC64)) {
        problems.push(`${this.name}: ${r.name} allows no access width`);
        continue;
      }
      const w = widest(r.widths);
      if (w > r.size) problems.push(`${this.name}: ${r.name} allows ${w}-byte accesses to ${r.size}-byte registers`);
      if (r.offset % w !== 0 || (rowCount(r) > 1 && rowStride(r) % w !== 0)) problems.push(`${this.name}: ${r.name} at 0x${r.offset.toString(16)} is not aligned to its widest access (${w} bytes)`);
      if (rowCount(r) < 1 || !Number.isInteger(rowCount(r))) problems.push(`${this.name}: ${r.name} has no registers`);
      if (rowStride(r) < r.size) problems.push(`${this.name}: ${r.name}'s registers overlap each other (stride ${rowStride(r)} < size ${r.size})`);
    }
    return problems;
  }
}
