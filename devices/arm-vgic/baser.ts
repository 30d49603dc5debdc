/**
 * 64-bit register plumbing shared by the redistributors and the ITS:
 * update_64bit_reg / extract_bytes (vgic-mmio-v3.c) and the sanitising of
 * the table base registers' cacheability and shareability fields
 * (vgic_sanitise_*), which KVM applies to every guest or user write.
 */

/** update_64bit_reg: replaces `len` bytes at byte offset (off & 4) of a 64-bit register. */
export function update64(reg: bigint, off: number, len: number, val: bigint): bigint {
  const lower = BigInt((off & 4) * 8);
  const width = BigInt(len * 8);
  const mask = ((1n << width) - 1n) << lower;
  return BigInt.asUintN(64, (reg & ~mask) | ((BigInt.asUintN(Number(width), val) << lower) & mask));
}

/** extract_bytes: `len` bytes of a 64-bit register from byte offset (off & 7). */
export function extract64(reg: bigint, off: number, len: number): number {
  return Number(BigInt.asUintN(len * 8, reg >> BigInt((off & 7) * 8)));
}

function field(reg: bigint, shift: bigint, mask: bigint, fn: (v: bigint) => bigint): bigint {
  const v = (reg >> shift) & mask;
  return (reg & ~(mask << shift)) | (fn(v) << shift);
}

/** vgic_sanitise_shareability: outer shareable becomes inner shareable. */
const shareability = (v: bigint) => (v === 2n ? 1n : v);
/** vgic_sanitise_inner_cacheability: nCnB and nC become RaWb. */
const inner = (v: bigint) => (v === 0n || v === 1n ? 3n : v);
/** vgic_sanitise_outer_cacheability: only SameAsInner and nC are kept; anything else becomes SameAsInner. */
const outer = (v: bigint) => (v === 0n || v === 1n ? v : 0n);

const PROPBASER_RES0 = (0x1fn << 59n) | (0xfn << 52n) | (0x3n << 5n);
const PENDBASER_RES0 = (1n << 63n) | (0x7n << 59n) | (0xfn << 52n) | (0xfn << 12n) | 0x7fn;

/** vgic_sanitise_propbaser. */
export function sanitisePropbaser(reg: bigint): bigint {
  reg = field(reg, 10n, 3n, shareability);
  reg = field(reg, 7n, 7n, inner);
  reg = field(reg, 56n, 7n, outer);
  return reg & ~PROPBASER_RES0;
}

/** vgic_sanitise_pendbaser. */
export function sanitisePendbaser(reg: bigint): bigint {
  reg = field(reg, 10n, 3n, shareability);
  reg = field(reg, 7n, 7n, inner);
  reg = field(reg, 56n, 7n, outer);
  return reg & ~PENDBASER_RES0;
}

/** vgic_sanitise_its_baser: the three fields, and the page size forced to 64K. */
export function sanitiseItsBaser(reg: bigint): bigint {
  reg = field(reg, 10n, 3n, shareability);
  reg = field(reg, 59n, 7n, inner);
  reg = field(reg, 53n, 7n, outer);
  return (reg & ~(3n << 8n)) | (2n << 8n);
}

/** vgic_sanitise_its_cbaser: the three fields, and the address made 64K aligned (bits 15:12 cleared). */
export function sanitiseItsCbaser(reg: bigint): bigint {
  reg = field(reg, 10n, 3n, shareability);
  reg = field(reg, 59n, 7n, inner);
  reg = field(reg, 53n, 7n, outer);
  return reg & ~(0xfn << 12n);
}
