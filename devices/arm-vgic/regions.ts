/**
 * The GIC's rules on top of the general register table (core/regtable.ts),
 * as vgic-mmio.h and vgic-mmio.c have them: a per-interrupt register
 * (REGISTER_DESC_WITH_BITS_PER_IRQ) is an array of words covering INTIDs
 * 0-1023 at so many bits per interrupt, and an access is only served if
 * its first INTID is below nr_irqs (check_region).
 */
import { ACC64, type RegRow, RegTable, rowEnd } from '../core/regtable.js';

/** How many bits of a per-IRQ register each INTID takes. */
export type BitsPerIrq = 1 | 2 | 8 | 64;
/** 0: a plain register, not a per-IRQ array. */
type BitsOrNone = BitsPerIrq | 0;

/** A GIC register row: a general row, and for per-IRQ arrays the bits each INTID takes. */
export interface GicRow<S> extends RegRow<S> {
  readonly bitsPerIrq?: BitsOrNone;
}

/** A GIC register table: every row has its bitsPerIrq (0 for a plain register), so its rows share one shape. */
export class GicTable<S> extends RegTable<S, GicRow<S>> {
  constructor(name: string, frameSize: number, rows: readonly GicRow<S>[]) {
    super(name, frameSize, rows.map((r) => (r.bitsPerIrq === undefined ? { ...r, bitsPerIrq: 0 } : r)));
  }
}

/**
 * The shape of a per-IRQ register array over INTIDs 0-1023: 32-bit words
 * (64-bit for GICD_IROUTER), bitsPerIrq * 1024 / 8 bytes in all.
 */
export function perIrq(bitsPerIrq: BitsPerIrq): { size: number; count: number; bitsPerIrq: BitsPerIrq } {
  const size = bitsPerIrq === 64 ? 8 : 4;
  return { size, count: (bitsPerIrq * 1024) / 8 / size, bitsPerIrq };
}

/** The INTID covered by byte offset `off` of a per-IRQ row (VGIC_ADDR_TO_INTID). */
export function intidAt(row: GicRow<unknown>, off: number): number {
  return ((off - row.offset) * 8) / row.bitsPerIrq!;
}

/**
 * vgic_get_mmio_region + check_region: the row, if an access of `len` bytes
 * at `off` is one it allows (width, natural alignment) and, for a per-IRQ
 * row, its first INTID is below `nrIrqs`.
 */
export function findRegion<S>(t: GicTable<S>, off: number, len: number, nrIrqs: number): GicRow<S> | undefined {
  const row = t.lookup(off, len);
  if (!row || (row.bitsPerIrq && intidAt(row, off) >= nrIrqs)) return undefined;
  return row;
}

/**
 * The GIC's own table rules, beside RegTable.checkInvariants: a per-IRQ
 * row covers exactly bitsPerIrq * 1024 / 8 bytes, contiguously; a row that
 * allows 64-bit accesses has whole-register handlers (read64, write64).
 */
export function checkGicRows<S>(t: GicTable<S>): string[] {
  const problems: string[] = [];
  for (const r of t.rows) {
    if (r.bitsPerIrq && (rowEnd(r) - r.offset !== (r.bitsPerIrq * 1024) / 8 || (r.stride ?? r.size) !== r.size)) {
      problems.push(`${t.name}: ${r.name} length ${rowEnd(r) - r.offset} != bitsPerIrq*128`);
    }
    if (r.widths & ACC64 && !(r.read64 && r.write64)) problems.push(`${t.name}: ${r.name} allows 64-bit accesses without read64/write64`);
  }
  return problems;
}
