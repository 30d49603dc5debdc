/**
 * The per-interrupt register handlers VGIC v2 and v3 share, as the kernel
 * shares them in arch/arm64/kvm/vgic/vgic-mmio.c: group, enable, pending,
 * active, priority and configuration, with their userspace (uaccess)
 * variants. The v2 distributor, the v3 distributor and each v3
 * redistributor's SGI_base frame wire the same handlers into their tables
 * (vgic-mmio-v2.c, vgic-mmio-v3.c); where GICv2 SGIs behave differently the
 * handler asks, as is_vgic_v2_sgi() does.
 *
 * A handler covers the INTIDs of one access, from `n0` (the access's first
 * INTID, VGIC_ADDR_TO_INTID): 32 for a 1-bit register word, 16 for a
 * configuration word, `len` for the byte-per-IRQ priorities. The bank it
 * works on is the one vgic_get_irq() finds for the accessing vcpu.
 */
import type { VmCtx } from '../core/device.js';
import { ACC32, ACC8, type RegRow } from '../core/regtable.js';
import { DEV_TYPE, VGIC } from '../core/uapi.js';
import { type IrqBank, lowestBit, pendingWord } from './irq.js';
import { type BitsPerIrq, type GicRow, perIrq } from './regions.js';
import type { VgicState } from './state.js';

/** vgic_get_irq() for the per-IRQ registers: the vcpu's own bank below 32, the shared SPI bank above. */
export function irqBank(s: VgicState, vcpu: number, n: number): IrqBank {
  return n < VGIC.NR_PRIVATE_IRQS ? s.cpus[vcpu]!.priv : s.spi;
}

/** The SGI bits (INTIDs 0-15) of the first 1-bit word. */
const SGI_BITS = 0xffff;

/** is_vgic_v2_sgi() for a whole word: the SGI bits of word 0 on a GICv2, else none. */
function v2SgiBits(s: VgicState, n0: number): number {
  return n0 === 0 && s.model === DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_V2 ? SGI_BITS : 0;
}

/** One 1-bit-per-IRQ register: a 32-INTID word from `n0`, guest and userspace sides. */
export interface BitsHandlers {
  read(vm: VmCtx, s: VgicState, vcpu: number, n0: number): number;
  write(vm: VmCtx, s: VgicState, vcpu: number, n0: number, val: number): void;
  /** Userspace read (uaccess_read), where it differs from the guest's. */
  uread?(vm: VmCtx, s: VgicState, vcpu: number, n0: number): number;
  /** Userspace write (uaccess_write), where it differs from the guest's. */
  uwrite?(vm: VmCtx, s: VgicState, vcpu: number, n0: number, val: number): void;
}

const word = (n0: number) => n0 >>> 5;

/** vgic_mmio_change_active's GICv2 SGI part: an SGI made active remembers who asked (active_source). */
function setActive(s: VgicState, vcpu: number, n0: number, val: number, requesterId: number): void {
  const b = irqBank(s, vcpu, n0);
  b.active[word(n0)] = b.active[word(n0)]! | val;
  const sgis = val & v2SgiBits(s, n0);
  const src = s.cpus[vcpu]!.activeSource;
  for (let m = sgis; m; m &= m - 1) src[lowestBit(m)] = requesterId;
}

/** The 1-bit registers, in vgic-mmio.c's names. */
export const BITS = {
  /** vgic_mmio_read/write_group. */
  group: {
    read: (_vm, s, vcpu, n0) => irqBank(s, vcpu, n0).group[word(n0)]!,
    write: (_vm, s, vcpu, n0, val) => void (irqBank(s, vcpu, n0).group[word(n0)] = val),
  },
  /** vgic_mmio_read_enable, vgic_mmio_write_senable (a 1 enables). */
  senable: {
    read: (_vm, s, vcpu, n0) => irqBank(s, vcpu, n0).enabled[word(n0)]!,
    write(_vm, s, vcpu, n0, val) {
      const b = irqBank(s, vcpu, n0);
      b.enabled[word(n0)] = b.enabled[word(n0)]! | val;
    },
  },
  /** vgic_mmio_read_enable, vgic_mmio_write_cenable (a 1 disables). */
  cenable: {
    read: (_vm, s, vcpu, n0) => irqBank(s, vcpu, n0).enabled[word(n0)]!,
    write(_vm, s, vcpu, n0, val) {
      const b = irqBank(s, vcpu, n0);
      b.enabled[word(n0)] = b.enabled[word(n0)]! & ~val;
    },
  },
  /**
   * vgic_mmio_read_pending (latch, or line for a level IRQ) and
   * vgic_mmio_write_spending: a 1 sets the latch; GICD_ISPENDR0's SGI bits
   * are WI on a GICv2 (GICD_SPENDSGIR sets those). Userspace:
   * vgic_uaccess_read_pending reads the latch alone on a GICv3, as the
   * guest does on a GICv2; vgic_uaccess_write_spending sets the latch, and a
   * GICv2 SGI gets the named vcpu as its source (BIT(vcpu_id), in a u8).
   */
  spending: {
    read: (_vm, s, vcpu, n0) => pendingWord(irqBank(s, vcpu, n0), word(n0)),
    write(_vm, s, vcpu, n0, val) {
      const b = irqBank(s, vcpu, n0);
      b.latch[word(n0)] = b.latch[word(n0)]! | (val & ~v2SgiBits(s, n0));
    },
    uread(_vm, s, vcpu, n0) {
      const b = irqBank(s, vcpu, n0);
      return s.model === DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_V3 ? b.latch[word(n0)]! : pendingWord(b, word(n0));
    },
    uwrite(vm, s, vcpu, n0, val) {
      const b = irqBank(s, vcpu, n0);
      b.latch[word(n0)] = b.latch[word(n0)]! | val;
      const id = vm.state.vcpus[vcpu]!.id;
      const src = s.cpus[vcpu]!.sgiSource;
      for (let m = val & v2SgiBits(s, n0); m; m &= m - 1) src[lowestBit(m)] = src[lowestBit(m)]! | (1 << id);
    },
  },
  /**
   * vgic_mmio_read_pending and vgic_mmio_write_cpending: a 1 clears the
   * latch; GICD_ICPENDR0's SGI bits are WI on a GICv2. Userspace
   * (vgic_uaccess_write_cpending) clears the latch, and a GICv2 SGI loses
   * every source.
   */
  cpending: {
    read: (_vm, s, vcpu, n0) => pendingWord(irqBank(s, vcpu, n0), word(n0)),
    write(_vm, s, vcpu, n0, val) {
      const b = irqBank(s, vcpu, n0);
      b.latch[word(n0)] = b.latch[word(n0)]! & ~(val & ~v2SgiBits(s, n0));
    },
    uwrite(_vm, s, vcpu, n0, val) {
      const b = irqBank(s, vcpu, n0);
      b.latch[word(n0)] = b.latch[word(n0)]! & ~val;
      const src = s.cpus[vcpu]!.sgiSource;
      for (let m = val & v2SgiBits(s, n0); m; m &= m - 1) src[lowestBit(m)] = 0;
    },
  },
  /**
   * vgic_mmio_read_active and vgic_mmio_write_sactive: a 1 makes the IRQ
   * active; a GICv2 SGI remembers the requesting vcpu's id as its
   * active_source, 0 from userspace (no running vcpu).
   */
  sactive: {
    read: (_vm, s, vcpu, n0) => irqBank(s, vcpu, n0).active[word(n0)]!,
    write: (vm, s, vcpu, n0, val) => setActive(s, vcpu, n0, val, vm.state.vcpus[vcpu]!.id),
    uwrite: (_vm, s, vcpu, n0, val) => setActive(s, vcpu, n0, val, 0),
  },
  /** vgic_mmio_read_active and vgic_mmio_write_cactive: a 1 makes the IRQ inactive. */
  cactive: {
    read: (_vm, s, vcpu, n0) => irqBank(s, vcpu, n0).active[word(n0)]!,
    write(_vm, s, vcpu, n0, val) {
      const b = irqBank(s, vcpu, n0);
      b.active[word(n0)] = b.active[word(n0)]! & ~val;
    },
  },
} as const satisfies Record<string, BitsHandlers>;

/** vgic_mmio_read_priority: one byte per INTID, `len` INTIDs from n0. */
export function readPriority(s: VgicState, vcpu: number, n0: number, len: number): number {
  const b = irqBank(s, vcpu, n0);
  let v = 0;
  for (let i = 0; i < len; i++) v |= b.priority[n0 + i]! << (8 * i);
  return v >>> 0;
}

/** vgic_mmio_write_priority: only the top VGIC_PRI_BITS (5) of each byte are kept. */
export function writePriority(s: VgicState, vcpu: number, n0: number, len: number, val: number): void {
  const b = irqBank(s, vcpu, n0);
  for (let i = 0; i < len; i++) b.priority[n0 + i] = (val >>> (8 * i)) & 0xf8;
}

/** vgic_mmio_read_config: two bits per INTID, 16 from n0; bit 2i+1 is 1 for edge. */
export function readConfig(s: VgicState, vcpu: number, n0: number): number {
  const b = irqBank(s, vcpu, n0);
  let v = 0;
  for (let i = 0; i < 16; i++) {
    const n = n0 + i;
    if ((b.edge[n >>> 5]! >>> (n & 31)) & 1) v |= 2 << (2 * i);
  }
  return v >>> 0;
}

/** vgic_mmio_write_config: SGI and PPI configuration is read-only (the timer relies on level PPIs). */
export function writeConfig(s: VgicState, vcpu: number, n0: number, val: number): void {
  const b = irqBank(s, vcpu, n0);
  for (let i = 0; i < 16; i++) {
    const n = n0 + i;
    if (n < VGIC.NR_PRIVATE_IRQS) continue;
    const m = 1 << (n & 31);
    b.edge[n >>> 5] = (val >>> (2 * i + 1)) & 1 ? b.edge[n >>> 5]! | m : b.edge[n >>> 5]! & ~m;
  }
}

/** Byte or word accesses: the byte-per-IRQ registers (VGIC_ACCESS_8bit | VGIC_ACCESS_32bit). */
export const BYTE_WIDTHS = ACC8 | ACC32;

/** A plain register of `size` bytes (REGISTER_DESC_WITH_LENGTH of one register). */
export function fixedRow<S>(name: string, offset: number, size: number, widths: number, read: RegRow<S>['read'], write: RegRow<S>['write'], extra: Partial<GicRow<S>> = {}): GicRow<S> {
  return { name, offset, size, widths, read, write, ...extra };
}

/** A read-as-zero, write-ignored row (vgic_mmio_read_raz, vgic_mmio_write_wi): one word, or the shape given. */
export function razRow<S>(name: string, offset: number, shape: { size: number; count?: number; bitsPerIrq?: BitsPerIrq } = { size: 4 }, widths = ACC32): GicRow<S> {
  return { name, offset, ...shape, widths, read: () => 0, write: () => {} };
}

/**
 * Where a per-IRQ row sits: a whole per-IRQ array over INTIDs 0-1023
 * (REGISTER_DESC_WITH_BITS_PER_IRQ, `words` omitted), or `words` 32-bit
 * registers over INTIDs from 0 (a redistributor's SGI_base frame,
 * REGISTER_DESC_WITH_LENGTH). INTIDs below `razBelow` are RAZ/WI, as the
 * v3 distributor's REGISTER_DESC_WITH_BITS_PER_IRQ_SHARED makes INTIDs 0-31.
 */
export interface IrqRowPlace {
  readonly words?: number;
  readonly razBelow?: number;
}

/** The row's shape: the per-IRQ array, or so many plain words. */
function shape(bitsPerIrq: BitsPerIrq, at: IrqRowPlace): { size: number; count?: number; bitsPerIrq?: BitsPerIrq } {
  return at.words === undefined ? perIrq(bitsPerIrq) : { size: 4, ...(at.words > 1 && { count: at.words }) };
}

/** A 1-bit-per-IRQ register: 32-bit accesses, one bank word each. */
export function bitsRow<S extends VgicState>(name: string, offset: number, h: BitsHandlers, at: IrqRowPlace = {}): GicRow<S> {
  const razBelow = at.razBelow ?? 0;
  const n0 = (off: number) => (off - offset) * 8;
  const ur = h.uread ?? h.read;
  const uw = h.uwrite ?? h.write;
  return {
    name,
    offset,
    ...shape(1, at),
    widths: ACC32,
    read: (vm, s, vcpu, off) => (n0(off) < razBelow ? 0 : h.read(vm, s, vcpu, n0(off)) >>> 0),
    write(vm, s, vcpu, off, _len, val) {
      if (n0(off) >= razBelow) h.write(vm, s, vcpu, n0(off), val);
    },
    uread: (vm, s, vcpu, off) => (n0(off) < razBelow ? 0 : ur(vm, s, vcpu, n0(off)) >>> 0),
    uwrite(vm, s, vcpu, off, val) {
      if (n0(off) >= razBelow) uw(vm, s, vcpu, n0(off), val);
      return 0;
    },
  };
}

/** GICx_IPRIORITYR: a byte per INTID, byte or word accesses (vgic_mmio_read/write_priority). */
export function priorityRow<S extends VgicState>(name: string, offset: number, at: IrqRowPlace = {}): GicRow<S> {
  const razBelow = at.razBelow ?? 0;
  return {
    name,
    offset,
    ...shape(8, at),
    widths: BYTE_WIDTHS,
    read: (_vm, s, vcpu, off, len) => (off - offset < razBelow ? 0 : readPriority(s, vcpu, off - offset, len)),
    write(_vm, s, vcpu, off, len, val) {
      if (off - offset >= razBelow) writePriority(s, vcpu, off - offset, len, val);
    },
  };
}

/** GICx_ICFGR: two bits per INTID, 32-bit accesses (vgic_mmio_read/write_config). */
export function configRow<S extends VgicState>(name: string, offset: number, at: IrqRowPlace = {}): GicRow<S> {
  const razBelow = at.razBelow ?? 0;
  const n0 = (off: number) => (off - offset) * 4;
  return {
    name,
    offset,
    ...shape(2, at),
    widths: ACC32,
    read: (_vm, s, vcpu, off) => (n0(off) < razBelow ? 0 : readConfig(s, vcpu, n0(off))),
    write(_vm, s, vcpu, off, _len, val) {
      if (n0(off) >= razBelow) writeConfig(s, vcpu, n0(off), val);
    },
  };
}
