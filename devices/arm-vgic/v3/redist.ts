/**
 * A GICv3 redistributor as KVM emulates it: vgic_v3_rd_registers[]
 * (arch/arm64/kvm/vgic/vgic-mmio-v3.c), the RD_base frame at offset 0 and
 * the SGI_base frame at 0x10000 of one 128 KiB region per vcpu. The `vcpu`
 * every handler gets is the redistributor's own vcpu (rd_dev->redist_vcpu),
 * whichever vcpu made the access. Offsets are the same for the guest and for
 * KVM_DEV_ARM_VGIC_GRP_REDIST_REGS.
 */
import type { VmCtx } from '../../core/device.js';
import { ACC32, ACC64, field } from '../../core/regtable.js';
import { type GicRow, GicTable } from '../regions.js';
import { VGIC } from '../../core/uapi.js';
import { extract64, sanitisePendbaser, sanitisePropbaser, update64 } from '../baser.js';
import { BITS, bitsRow, configRow, fixedRow, priorityRow, razRow } from '../mmio.js';
import { rdistIsLast } from './addr.js';
import { hasIts, idRegRows, V3_PENDING_UACCESS } from './dist.js';
import { findLpi, GICR_PENDBASER_PTZ, syncPendingTable, updateLpiConfig } from './lpi.js';
import { mpidrAff, type Vgic3State } from './state.js';

type Row = GicRow<Vgic3State>;

/** The SGI_base frame's offset within a redistributor. */
export const SGI_BASE = 0x10000;

/** GICR_CTLR: EnableLPIs, CES, IR (the last two reported from implementation revision 3). */
export const GICR_CTLR = { EnableLPIs: 1 << 0, CES: 1 << 1, IR: 1 << 2, RWP: 1 << 3 } as const;
const GICR_TYPER_PLPIS = 1n << 0n;
const GICR_TYPER_LAST = 1n << 4n;

/** GICR_TYPER (vgic_mmio_read_v3r_typer): affinity, Processor_Number = vcpu id, PLPIS with an ITS, Last. */
export function gicrTyper(vm: VmCtx, s: Vgic3State, vcpu: number): bigint {
  const id = vm.state.vcpus[vcpu]!.id;
  let v = (BigInt(mpidrAff(id)) << 32n) | (BigInt(id & 0xffff) << 8n);
  if (hasIts(vm)) v |= GICR_TYPER_PLPIS;
  if (rdistIsLast(vm, s, vcpu)) v |= GICR_TYPER_LAST;
  return v;
}

/**
 * vgic_mmio_write_v3r_ctlr: WI without an ITS. Clearing EnableLPIs takes the
 * vcpu's LPIs off its list (they stay pending but are not delivered while
 * LPIs are off); setting it syncs the pending state of the LPIs targeting
 * the vcpu from its pending table, unless PENDBASER.PTZ says the table is zero.
 */
function writeCtlr(vm: VmCtx, s: Vgic3State, vcpu: number, val: number): void {
  if (!hasIts(vm)) return;
  const c = s.cpus[vcpu]!;
  if (!(val & GICR_CTLR.EnableLPIs)) {
    c.lpisEnabled = false;
    return;
  }
  if (c.lpisEnabled) return;
  c.lpisEnabled = true;
  if (!(c.pendbaser & GICR_PENDBASER_PTZ)) syncPendingTable(vm, s, vcpu);
}

/** A 64-bit register row with whole-register and half-register access. */
function reg64(name: string, offset: number, get: (vm: VmCtx, s: Vgic3State, vcpu: number) => bigint, put: (vm: VmCtx, s: Vgic3State, vcpu: number, off: number, len: number, val: bigint) => void, fields?: Row['fields']): Row {
  return {
    name,
    offset,
    size: 8,
    widths: ACC64 | ACC32,
    ...(fields && { fields }),
    read: (vm, s, c, off, len) => extract64(get(vm, s, c), off, len),
    write: (vm, s, c, off, len, val) => put(vm, s, c, off, len, BigInt(val >>> 0)),
    read64: (vm, s, c) => get(vm, s, c),
    write64: (vm, s, c, off, val) => put(vm, s, c, off, 8, val),
  };
}

/** GICR_PROPBASER / PENDBASER: ignored while the vcpu's LPIs are enabled (storing then is UNPREDICTABLE). */
function propbaser(): Row {
  return reg64(
    'GICR_PROPBASER',
    0x70,
    (_vm, s) => s.propbaser,
    (_vm, s, c, off, len, val) => {
      if (s.cpus[c]!.lpisEnabled) return;
      s.propbaser = sanitisePropbaser(update64(s.propbaser, off, len, val));
    },
    [field('IDbits', 0, 5), field('InnerCache', 7, 3), field('Shareability', 10, 2), field('PhysicalAddress', 12, 20)],
  );
}

function pendbaser(): Row {
  return reg64(
    'GICR_PENDBASER',
    0x78,
    // vgic_mmio_read_pendbase: PTZ always reads 0.
    (_vm, s, c) => s.cpus[c]!.pendbaser & ~GICR_PENDBASER_PTZ,
    (_vm, s, c, off, len, val) => {
      const cpu = s.cpus[c]!;
      if (cpu.lpisEnabled) return;
      cpu.pendbaser = sanitisePendbaser(update64(cpu.pendbaser, off, len, val));
    },
    [field('InnerCache', 7, 3), field('Shareability', 10, 2), field('PhysicalAddress', 16, 16)],
  );
}

/**
 * GICR_INVLPIR (vgic_mmio_write_invlpi): a write of the lower word, with
 * LPIs enabled, re-reads that LPI's configuration from the property table.
 * GICR_INVALLR (vgic_mmio_write_invall): the same for every LPI targeting
 * this vcpu. Both read as zero.
 */
function invRows(): Row[] {
  return [
    reg64('GICR_INVLPIR', 0xa0, () => 0n, (vm, s, c, off, _len, val) => {
      if (off & 4 || !s.cpus[c]!.lpisEnabled) return;
      const lpi = findLpi(s, Number(BigInt.asUintN(32, val)));
      if (lpi) updateLpiConfig(vm, s, lpi);
    }),
    reg64('GICR_INVALLR', 0xb0, () => 0n, (vm, s, c, off) => {
      if (off & 4 || !s.cpus[c]!.lpisEnabled) return;
      for (const lpi of s.lpis) updateLpiConfig(vm, s, lpi, c);
    }),
  ];
}

/** The SGI_base frame's per-IRQ registers: one word (or 8 bytes of ICFGR, 32 of IPRIORITYR) over the vcpu's INTIDs 0-31. */
const word0 = { words: 1 } as const;

export const V3_REDIST = new GicTable<Vgic3State>('GICv3 redistributor (RD_base + SGI_base)', 0x20000, [
  fixedRow(
    'GICR_CTLR',
    0x0,
    4,
    ACC32,
    (_vm, s, c) => {
      return (s.cpus[c]!.lpisEnabled ? GICR_CTLR.EnableLPIs : 0) | (s.implementationRev >= VGIC.IMP_REV_3 ? GICR_CTLR.IR | GICR_CTLR.CES : 0);
    },
    (vm, s, c, _off, _len, val) => writeCtlr(vm, s, c, val),
    { fields: [field('EnableLPIs', 0), field('CES', 1), field('IR', 2), field('RWP', 3)] },
  ),
  fixedRow('GICR_IIDR', 0x4, 4, ACC32, () => ((VGIC.PRODUCT_ID_KVM << 24) | VGIC.IMPLEMENTER_ARM) >>> 0, () => {}, {
    fields: [field('Implementer', 0, 12), field('Revision', 12, 4), field('ProductID', 24, 8)],
  }),
  // GICR_TYPER: userspace writes are ignored (vgic_mmio_uaccess_write_wi).
  { ...reg64('GICR_TYPER', 0x8, gicrTyper, () => {}, [field('PLPIS', 0), field('Last', 4), field('Processor_Number', 8, 16)]), uwrite: () => 0 },
  razRow('GICR_STATUSR', 0x10),
  razRow('GICR_WAKER', 0x14),
  propbaser(),
  pendbaser(),
  ...invRows(),
  // vgic_mmio_read_sync: every invalidation completes at once, never busy.
  razRow('GICR_SYNCR', 0xc0),
  ...idRegRows('GICR'),
  bitsRow('GICR_IGROUPR0', SGI_BASE + 0x080, BITS.group, word0),
  bitsRow('GICR_ISENABLER0', SGI_BASE + 0x100, BITS.senable, word0),
  bitsRow('GICR_ICENABLER0', SGI_BASE + 0x180, BITS.cenable, word0),
  bitsRow('GICR_ISPENDR0', SGI_BASE + 0x200, { ...BITS.spending, ...V3_PENDING_UACCESS.spending }, word0),
  bitsRow('GICR_ICPENDR0', SGI_BASE + 0x280, { ...BITS.cpending, ...V3_PENDING_UACCESS.cpending }, word0),
  bitsRow('GICR_ISACTIVER0', SGI_BASE + 0x300, BITS.sactive, word0),
  bitsRow('GICR_ICACTIVER0', SGI_BASE + 0x380, BITS.cactive, word0),
  priorityRow('GICR_IPRIORITYR', SGI_BASE + 0x400, { words: 8 }),
  configRow('GICR_ICFGR', SGI_BASE + 0xc00, { words: 2 }),
  razRow('GICR_IGRPMODR0', SGI_BASE + 0xd00),
  razRow('GICR_NSACR', SGI_BASE + 0xe00),
]);
