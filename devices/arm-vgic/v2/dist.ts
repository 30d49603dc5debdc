/**
 * The GICv2 distributor as KVM emulates it: the rows of
 * vgic_v2_dist_registers[] (arch/arm64/kvm/vgic/vgic-mmio-v2.c) with the
 * handlers of vgic-mmio.c. Guest accesses and userspace (DIST_REGS) accesses
 * share the table; rows with a `u*` handler behave differently for
 * userspace, exactly where the kernel has a uaccess_* handler.
 */
import type { VmCtx } from '../../core/device.js';
import { ACC32, ACC8, field, RegTable, type RegRow } from '../../core/regtable.js';
import { VGIC } from '../../core/uapi.js';
import { type IrqBank, lowestBit, pendingWord } from '../irq.js';
import { vgicOf } from '../vgic-of.js';
import type { VgicState } from '../state.js';
import { sendSgis } from './sgi.js';

type Row = RegRow<VmCtx>;

/** The bank holding INTID n for the accessing vcpu (banked 0-31, shared SPIs). */
function bankFor(s: VgicState, vcpu: number, n: number): IrqBank {
  return n < VGIC.NR_PRIVATE_IRQS ? s.cpus[vcpu]!.priv : s.spi;
}

/** A 1-bit-per-IRQ row: 32-bit accesses only, one bank word per access. */
function bitsRow(name: string, offset: number, h: {
  read(s: VgicState, b: IrqBank, w: number, base: number): number;
  write(vm: VmCtx, s: VgicState, b: IrqBank, w: number, base: number, val: number, vcpu: number): void;
  uread?(s: VgicState, b: IrqBank, w: number, base: number): number;
  uwrite?(vm: VmCtx, s: VgicState, b: IrqBank, w: number, base: number, val: number, vcpu: number): void;
}): Row {
  const at = (off: number) => ((off - offset) & 0x7f) * 8; // first INTID of the word
  const row: Row = {
    name,
    offset,
    len: 0x80,
    bitsPerIrq: 1,
    widths: ACC32,
    read(vm, vcpu, off) {
      const s = vgicOf(vm);
      const base = at(off);
      return h.read(s, bankFor(s, vcpu, base), base >>> 5, base) >>> 0;
    },
    write(vm, vcpu, off, _len, val) {
      const s = vgicOf(vm);
      const base = at(off);
      h.write(vm, s, bankFor(s, vcpu, base), base >>> 5, base, val, vcpu);
    },
  };
  const ur = h.uread;
  const uw = h.uwrite;
  return {
    ...row,
    ...(ur && {
      uread(vm: VmCtx, vcpu: number, off: number) {
        const s = vgicOf(vm);
        const base = at(off);
        return ur(s, bankFor(s, vcpu, base), base >>> 5, base) >>> 0;
      },
    }),
    ...(uw && {
      uwrite(vm: VmCtx, vcpu: number, off: number, val: number) {
        const s = vgicOf(vm);
        const base = at(off);
        uw(vm, s, bankFor(s, vcpu, base), base >>> 5, base, val, vcpu);
        return 0;
      },
    }),
  };
}

/** An 8-bit-per-IRQ row (priority, targets): byte or word accesses, one byte per INTID. */
function bytesRow(name: string, offset: number, get: (s: VgicState, b: IrqBank, n: number, vcpu: number) => number, set: (vm: VmCtx, s: VgicState, b: IrqBank, n: number, v: number) => void): Row {
  return {
    name,
    offset,
    len: 0x400,
    bitsPerIrq: 8,
    widths: ACC8 | ACC32,
    read(vm, vcpu, off, len) {
      const s = vgicOf(vm);
      const n0 = off - offset;
      let v = 0;
      for (let i = 0; i < len; i++) v |= get(s, bankFor(s, vcpu, n0 + i), n0 + i, vcpu) << (8 * i);
      return v >>> 0;
    },
    write(vm, vcpu, off, len, val) {
      const s = vgicOf(vm);
      const n0 = off - offset;
      for (let i = 0; i < len; i++) set(vm, s, bankFor(s, vcpu, n0 + i), n0 + i, (val >>> (8 * i)) & 0xff);
    },
  };
}

const isV2Sgi = (base: number) => base === 0; // word 0 of a 1-bit row holds the SGIs (bits 0-15)
const SGI_BITS = 0xffff;

/** vgic_mmio_read_v2_misc: GICD_CTLR, GICD_TYPER, GICD_IIDR. */
function readMisc(vm: VmCtx, off: number): number {
  const s = vgicOf(vm);
  switch (off & 0x0c) {
    case 0x0:
      return s.enabled ? 1 : 0;
    case 0x4:
      // ITLinesNumber = nr_irqs/32 - 1; CPUNumber = online vcpus - 1.
      return ((((s.nrSpis + VGIC.NR_PRIVATE_IRQS) >>> 5) - 1) | ((vm.state.vcpus.length - 1) << 5)) >>> 0;
    case 0x8:
      return ((VGIC.PRODUCT_ID_KVM << 24) | (s.implementationRev << 12) | VGIC.IMPLEMENTER_ARM) >>> 0;
    default:
      return 0;
  }
}

function miscRow(name: string, offset: number, fields: ReturnType<typeof field>[]): Row {
  return {
    name,
    offset,
    len: 4,
    bitsPerIrq: 0,
    widths: ACC32,
    fields,
    read: (vm, _vcpu, off) => readMisc(vm, off),
    // vgic_mmio_write_v2_misc: only GICD_CTLR.Enable is writable.
    write(vm, _vcpu, off, _len, val) {
      if ((off & 0x0c) === 0) vgicOf(vm).enabled = (val & 1) === 1;
    },
    // vgic_mmio_uaccess_write_v2_misc: an IIDR write may differ only in Revision;
    // it records the current revision (2 or 3) and lets userspace write IGROUPR.
    uwrite(vm, _vcpu, off, val) {
      const s = vgicOf(vm);
      if ((off & 0x0c) === 0x8) {
        const reg = readMisc(vm, off);
        if (((reg ^ val) & ~0xf000) !== 0) return 22; // EINVAL
        const rev = (reg >>> 12) & 0xf;
        if (rev !== VGIC.IMP_REV_2 && rev !== VGIC.IMP_REV_3) return 22;
        s.v2GroupsUserWritable = true;
        s.implementationRev = rev;
        return 0;
      }
      if ((off & 0x0c) === 0) s.enabled = (val & 1) === 1;
      return 0;
    },
  };
}

/** vgic_mmio_change_active for non-HW IRQs; a GICv2 SGI made active remembers its requester (active_source). */
function changeActive(s: VgicState, b: IrqBank, w: number, base: number, val: number, active: boolean, vcpu: number, requesterId: number): void {
  b.active[w] = active ? b.active[w]! | val : b.active[w]! & ~val;
  if (active && isV2Sgi(base)) {
    const src = s.cpus[vcpu]!.activeSource;
    for (let m = val & SGI_BITS; m; m &= m - 1) src[lowestBit(m)] = requesterId;
  }
}

export const V2_DIST = new RegTable<VmCtx>('GICv2 distributor', 0x1000, [
  miscRow('GICD_CTLR', 0x000, [field('EnableGrp', 0)]),
  miscRow('GICD_TYPER', 0x004, [field('ITLinesNumber', 0, 5), field('CPUNumber', 5, 3), field('SecurityExtn', 10), field('LSPI', 11, 5)]),
  miscRow('GICD_IIDR', 0x008, [field('Implementer', 0, 12), field('Revision', 12, 4), field('Variant', 16, 4), field('ProductID', 24, 8)]),
  bitsRow('GICD_IGROUPR', 0x080, {
    read: (_s, b, w) => b.group[w]!,
    write: (_vm, _s, b, w, _base, val) => void (b.group[w] = val),
    // vgic_mmio_uaccess_write_v2_group: ignored until userspace has written GICD_IIDR.
    uwrite: (_vm, s, b, w, _base, val) => {
      if (s.v2GroupsUserWritable) b.group[w] = val;
    },
  }),
  bitsRow('GICD_ISENABLER', 0x100, {
    read: (_s, b, w) => b.enabled[w]!,
    write: (_vm, _s, b, w, _base, val) => void (b.enabled[w] = b.enabled[w]! | val),
  }),
  bitsRow('GICD_ICENABLER', 0x180, {
    read: (_s, b, w) => b.enabled[w]!,
    write: (_vm, _s, b, w, _base, val) => void (b.enabled[w] = b.enabled[w]! & ~val),
  }),
  bitsRow('GICD_ISPENDR', 0x200, {
    read: (_s, b, w) => pendingWord(b, w),
    // GICD_ISPENDR0 SGI bits are WI for the guest (use GICD_SPENDSGIR).
    write: (_vm, _s, b, w, base, val) => {
      const m = isV2Sgi(base) ? val & ~SGI_BITS : val;
      b.latch[w] = b.latch[w]! | m;
    },
    // vgic_uaccess_write_spending: sets the latch; a GICv2 SGI gets the named vcpu as its source.
    uwrite: (vm, s, b, w, base, val, vcpu) => {
      b.latch[w] = b.latch[w]! | val;
      if (isV2Sgi(base)) {
        const id = vm.state.vcpus[vcpu]!.id;
        const src = s.cpus[vcpu]!.sgiSource;
        for (let m = val & SGI_BITS; m; m &= m - 1) src[lowestBit(m)] = src[lowestBit(m)]! | (1 << id);
      }
    },
  }),
  bitsRow('GICD_ICPENDR', 0x280, {
    read: (_s, b, w) => pendingWord(b, w),
    write: (_vm, _s, b, w, base, val) => {
      const m = isV2Sgi(base) ? val & ~SGI_BITS : val;
      b.latch[w] = b.latch[w]! & ~m;
    },
    // vgic_uaccess_write_cpending: clears the latch; a GICv2 SGI loses all its sources.
    uwrite: (_vm, s, b, w, base, val, vcpu) => {
      b.latch[w] = b.latch[w]! & ~val;
      if (isV2Sgi(base)) {
        const src = s.cpus[vcpu]!.sgiSource;
        for (let m = val & SGI_BITS; m; m &= m - 1) src[lowestBit(m)] = 0;
      }
    },
  }),
  bitsRow('GICD_ISACTIVER', 0x300, {
    read: (_s, b, w) => b.active[w]!,
    write: (vm, s, b, w, base, val, vcpu) => changeActive(s, b, w, base, val, true, vcpu, vm.state.vcpus[vcpu]!.id),
    // From userspace there is no requesting vcpu: active_source 0.
    uwrite: (_vm, s, b, w, base, val, vcpu) => changeActive(s, b, w, base, val, true, vcpu, 0),
  }),
  bitsRow('GICD_ICACTIVER', 0x380, {
    read: (_s, b, w) => b.active[w]!,
    write: (_vm, s, b, w, base, val, vcpu) => changeActive(s, b, w, base, val, false, vcpu, 0),
  }),
  // vgic_mmio_write_priority: only the top VGIC_PRI_BITS are kept.
  bytesRow('GICD_IPRIORITYR', 0x400, (_s, b, n) => b.priority[n]!, (_vm, _s, b, n, v) => void (b.priority[n] = v & 0xf8)),
  // GICD_ITARGETSR0-7 are read-only; SPI writes are masked to the online vcpus.
  bytesRow(
    'GICD_ITARGETSR',
    0x800,
    (_s, b, n) => b.targets[n]!,
    (vm, _s, b, n, v) => {
      if (n < VGIC.NR_PRIVATE_IRQS) return;
      b.targets[n] = v & ((1 << vm.state.vcpus.length) - 1);
    },
  ),
  {
    name: 'GICD_ICFGR',
    offset: 0xc00,
    len: 0x100,
    bitsPerIrq: 2,
    widths: ACC32,
    // Two bits per IRQ; only bit 2n+1 is kept (1 = edge). SGI/PPI config is read-only.
    read(vm, vcpu, off) {
      const s = vgicOf(vm);
      const n0 = (off - 0xc00) * 4;
      let v = 0;
      for (let i = 0; i < 16; i++) {
        const n = n0 + i;
        const b = bankFor(s, vcpu, n);
        if ((b.edge[n >>> 5]! >>> (n & 31)) & 1) v |= 2 << (2 * i);
      }
      return v >>> 0;
    },
    write(vm, vcpu, off, _len, val) {
      const s = vgicOf(vm);
      const n0 = (off - 0xc00) * 4;
      for (let i = 0; i < 16; i++) {
        const n = n0 + i;
        if (n < VGIC.NR_PRIVATE_IRQS) continue;
        const b = bankFor(s, vcpu, n);
        const m = 1 << (n & 31);
        b.edge[n >>> 5] = (val >>> (2 * i + 1)) & 1 ? b.edge[n >>> 5]! | m : b.edge[n >>> 5]! & ~m;
      }
    },
  },
  {
    name: 'GICD_SGIR',
    offset: 0xf00,
    len: 4,
    bitsPerIrq: 0,
    widths: ACC32,
    fields: [field('SGIINTID', 0, 4), field('NSATT', 15), field('CPUTargetList', 16, 8), field('TargetListFilter', 24, 2)],
    read: () => 0,
    write: (vm, vcpu, _off, _len, val) => sendSgis(vm, vgicOf(vm), vcpu, val),
  },
  sgiPendRow('GICD_CPENDSGIR', 0xf10, false),
  sgiPendRow('GICD_SPENDSGIR', 0xf20, true),
]);

/**
 * GICD_[CS]PENDSGIR: one source byte per SGI of the accessing vcpu.
 * vgic_mmio_write_sgipends adds sources (any source makes the SGI pending);
 * vgic_mmio_write_sgipendc clears them (no source left clears the latch).
 */
function sgiPendRow(name: string, offset: number, set: boolean): Row {
  return {
    name,
    offset,
    len: 16,
    bitsPerIrq: 0,
    widths: ACC8 | ACC32,
    read: (vm, vcpu, off, len) => readSgiPend(vgicOf(vm), vcpu, off, len),
    write(vm, vcpu, off, len, val) {
      const c = vgicOf(vm).cpus[vcpu]!;
      for (let i = 0; i < len; i++) {
        const n = (off & 0xf) + i;
        const bits = (val >>> (8 * i)) & 0xff;
        c.sgiSource[n] = set ? c.sgiSource[n]! | bits : c.sgiSource[n]! & ~bits;
        if (set && c.sgiSource[n]) c.priv.latch[0] = c.priv.latch[0]! | (1 << n);
        if (!set && !c.sgiSource[n]) c.priv.latch[0] = c.priv.latch[0]! & ~(1 << n);
      }
    },
  };
}

/** vgic_mmio_read_sgipend: one source byte per SGI, for the accessing vcpu. */
function readSgiPend(s: VgicState, vcpu: number, off: number, len: number): number {
  const src = s.cpus[vcpu]!.sgiSource;
  let v = 0;
  for (let i = 0; i < len; i++) v |= src[(off & 0xf) + i]! << (8 * i);
  return v >>> 0;
}

