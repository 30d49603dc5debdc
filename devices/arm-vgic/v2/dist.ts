/**
 * The GICv2 distributor as KVM emulates it: the rows of
 * vgic_v2_dist_registers[] (arch/arm64/kvm/vgic/vgic-mmio-v2.c) with the
 * handlers of vgic-mmio.c. Guest accesses and userspace (DIST_REGS) accesses
 * share the table; rows with a `u*` handler behave differently for
 * userspace, exactly where the kernel has a uaccess_* handler.
 */
import type { VmCtx } from '../../core/device.js';
import { ACC32, ACC8, field } from '../../core/regtable.js';
import { VGIC } from '../../core/uapi.js';
import { BITS, bitsRow, configRow, fixedRow, priorityRow } from '../mmio.js';
import { type GicRow, GicTable, perIrq } from '../regions.js';
import type { VgicState } from '../state.js';
import { sendSgis } from './sgi.js';

type Row = GicRow<VgicState>;

/** vgic_mmio_read_v2_misc: GICD_CTLR, GICD_TYPER, GICD_IIDR. */
function readMisc(vm: VmCtx, s: VgicState, off: number): number {
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
  return fixedRow(
    name,
    offset,
    4,
    ACC32,
    (vm, s, _vcpu, off) => readMisc(vm, s, off),
    // vgic_mmio_write_v2_misc: only GICD_CTLR.Enable is writable.
    (_vm, s, _vcpu, off, _len, val) => {
      if ((off & 0x0c) === 0) s.enabled = (val & 1) === 1;
    },
    {
      fields,
      // vgic_mmio_uaccess_write_v2_misc: an IIDR write may differ only in Revision;
      // it records the current revision (2 or 3) and lets userspace write IGROUPR.
      uwrite(vm, s, _vcpu, off, val) {
        if ((off & 0x0c) === 0x8) {
          const reg = readMisc(vm, s, off);
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
    },
  );
}

export const V2_DIST = new GicTable<VgicState>('GICv2 distributor', 0x1000, [
  miscRow('GICD_CTLR', 0x000, [field('EnableGrp', 0)]),
  miscRow('GICD_TYPER', 0x004, [field('ITLinesNumber', 0, 5), field('CPUNumber', 5, 3), field('SecurityExtn', 10), field('LSPI', 11, 5)]),
  miscRow('GICD_IIDR', 0x008, [field('Implementer', 0, 12), field('Revision', 12, 4), field('Variant', 16, 4), field('ProductID', 24, 8)]),
  bitsRow('GICD_IGROUPR', 0x080, {
    ...BITS.group,
    // vgic_mmio_uaccess_write_v2_group: ignored until userspace has written GICD_IIDR.
    uwrite(vm, s, vcpu, n0, val) {
      if (s.v2GroupsUserWritable) BITS.group.write(vm, s, vcpu, n0, val);
    },
  }),
  bitsRow('GICD_ISENABLER', 0x100, BITS.senable),
  bitsRow('GICD_ICENABLER', 0x180, BITS.cenable),
  bitsRow('GICD_ISPENDR', 0x200, BITS.spending),
  bitsRow('GICD_ICPENDR', 0x280, BITS.cpending),
  bitsRow('GICD_ISACTIVER', 0x300, BITS.sactive),
  bitsRow('GICD_ICACTIVER', 0x380, BITS.cactive),
  priorityRow('GICD_IPRIORITYR', 0x400),
  {
    name: 'GICD_ITARGETSR',
    offset: 0x800,
    ...perIrq(8),
    widths: ACC8 | ACC32,
    // vgic_mmio_read_target: a byte per INTID; GICD_ITARGETSR0-7 read the vcpu's own bit.
    read(_vm, s, vcpu, off, len) {
      const n0 = off - 0x800;
      const b = n0 < VGIC.NR_PRIVATE_IRQS ? s.cpus[vcpu]!.priv : s.spi;
      let v = 0;
      for (let i = 0; i < len; i++) v |= b.targets[n0 + i]! << (8 * i);
      return v >>> 0;
    },
    // vgic_mmio_write_target: GICD_ITARGETSR0-7 are read-only; SPI targets are masked to the online vcpus.
    write(vm, s, _vcpu, off, len, val) {
      const n0 = off - 0x800;
      if (n0 < VGIC.NR_PRIVATE_IRQS) return;
      for (let i = 0; i < len; i++) s.spi.targets[n0 + i] = ((val >>> (8 * i)) & 0xff) & ((1 << vm.state.vcpus.length) - 1);
    },
  },
  configRow('GICD_ICFGR', 0xc00),
  {
    name: 'GICD_SGIR',
    offset: 0xf00,
    size: 4,
    widths: ACC32,
    fields: [field('SGIINTID', 0, 4), field('NSATT', 15), field('CPUTargetList', 16, 8), field('TargetListFilter', 24, 2)],
    read: () => 0,
    write: (vm, s, vcpu, _off, _len, val) => sendSgis(vm, s, vcpu, val),
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
    size: 4,
    count: 4,
    widths: ACC8 | ACC32,
    read: (_vm, s, vcpu, off, len) => readSgiPend(s, vcpu, off, len),
    write(_vm, s, vcpu, off, len, val) {
      const c = s.cpus[vcpu]!;
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

