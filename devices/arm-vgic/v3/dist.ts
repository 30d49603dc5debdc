/**
 * The GICv3 distributor as KVM emulates it: vgic_v3_dist_registers[]
 * (arch/arm64/kvm/vgic/vgic-mmio-v3.c) with affinity routing always on
 * (GICD_CTLR.ARE_NS and DS read as 1). The per-IRQ registers cover SPIs
 * only: the words for INTIDs 0-31 are RAZ/WI
 * (REGISTER_DESC_WITH_BITS_PER_IRQ_SHARED), the redistributors hold those.
 */
import type { VmCtx } from '../../core/device.js';
import { ACC32, ACC64, field } from '../../core/regtable.js';
import { type GicRow, GicTable, perIrq } from '../regions.js';
import { DEV_TYPE, ERRNO, VGIC } from '../../core/uapi.js';
import { extract64 } from '../baser.js';
import { BITS, bitsRow, type BitsHandlers, BYTE_WIDTHS, configRow, fixedRow, irqBank, priorityRow, razRow } from '../mmio.js';
import { V3_HOST, vcpuByAff, type Vgic3State } from './state.js';

type Row = GicRow<Vgic3State>;

/** GICD_CTLR bits: EnableGrp1NS (ENABLE_SS_G1), ARE_NS, DS, nASSGIreq. */
export const GICD_CTLR = { EnableGrp1: 1 << 1, ARE_NS: 1 << 4, DS: 1 << 6, nASSGIreq: 1 << 8 } as const;
const GICD_TYPER2_nASSGIcap = 1 << 8;
const GICD_TYPER_LPIS = 1 << 17;
/** INTERRUPT_ID_BITS_SPIS / _ITS. */
const ID_BITS_SPIS = 10;
const ID_BITS_ITS = 16;

/** vgic_has_its: a v3 VGIC and some ITS device in the VM. */
export function hasIts(vm: VmCtx): boolean {
  return vm.state.devices.some((d) => d.type === DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_ITS);
}

/** vgic_mmio_read_v3_misc. */
function readMisc(vm: VmCtx, s: Vgic3State, off: number): number {
  switch (off & 0x0c) {
    case 0x0:
      return ((s.enabled ? GICD_CTLR.EnableGrp1 : 0) | GICD_CTLR.ARE_NS | GICD_CTLR.DS | (s.nassgireq ? GICD_CTLR.nASSGIreq : 0)) >>> 0;
    case 0x4: {
      const lines = ((s.nrSpis + VGIC.NR_PRIVATE_IRQS) >>> 5) - 1;
      return (hasIts(vm) ? lines | ((ID_BITS_ITS - 1) << 19) | GICD_TYPER_LPIS : lines | ((ID_BITS_SPIS - 1) << 19)) >>> 0;
    }
    case 0x8:
      return ((VGIC.PRODUCT_ID_KVM << 24) | (s.implementationRev << 12) | VGIC.IMPLEMENTER_ARM) >>> 0;
    default:
      return s.nassgicap ? GICD_TYPER2_nASSGIcap : 0;
  }
}

function miscRow(name: string, offset: number, fields: ReturnType<typeof field>[]): Row {
  return fixedRow(
    name,
    offset,
    4,
    ACC32,
    (vm, s, _vcpu, off) => readMisc(vm, s, off),
    // vgic_mmio_write_v3_misc: only GICD_CTLR is writable. Without GICv4.1
    // vSGIs nASSGIreq reads as 0 whatever is written.
    (_vm, s, _vcpu, off, _len, val) => {
      if ((off & 0x0c) === 0) s.enabled = (val & GICD_CTLR.EnableGrp1) !== 0;
    },
    {
      fields,
      // vgic_mmio_uaccess_write_v3_misc.
      uwrite(vm, s, _vcpu, off, val) {
        switch (off & 0x0c) {
          case 0x0:
            s.enabled = (val & GICD_CTLR.EnableGrp1) !== 0;
            s.nassgireq = V3_HOST.directSgis && (val & GICD_CTLR.nASSGIreq) !== 0;
            return 0;
          case 0x8: {
            // Only the Revision may differ; the revision kept is the current one (2 or 3).
            const reg = readMisc(vm, s, off);
            if (((reg ^ val) & ~0xf000) !== 0) return ERRNO.EINVAL;
            const rev = (reg >>> 12) & 0xf;
            if (rev !== VGIC.IMP_REV_2 && rev !== VGIC.IMP_REV_3) return ERRNO.EINVAL;
            s.implementationRev = rev;
            return 0;
          }
          case 0xc: {
            // GICD_TYPER2 (v6.17): an unchanged value is accepted at any time;
            // a change is EBUSY once initialised, and only nASSGIcap may
            // change, and only to 1 on a host with direct vSGIs (EINVAL).
            const reg = readMisc(vm, s, off);
            if (reg === val >>> 0) return 0;
            if (s.initialized) return ERRNO.EBUSY;
            if (((reg ^ val) & ~GICD_TYPER2_nASSGIcap) !== 0) return ERRNO.EINVAL;
            if (!V3_HOST.directSgis && val) return ERRNO.EINVAL;
            s.nassgicap = (val & GICD_TYPER2_nASSGIcap) !== 0;
            return 0;
          }
          default:
            return 0;
        }
      },
    },
  );
}

const IROUTER = 0x6000;

/**
 * GICD_IROUTER<n> (vgic_mmio_read/write_irouter): only Aff2.Aff1.Aff0 are
 * kept (the upper word is RAZ/WI, KVM has no Aff3), and the SPI's target
 * vcpu becomes the vcpu with that affinity, none if there is none; the
 * Interrupt_Routing_Mode bit is not kept.
 */
function irouterRow(): Row {
  const intid = (off: number) => (off - IROUTER) >>> 3;
  const read64 = (s: Vgic3State, off: number): bigint => {
    const n = intid(off);
    return n < VGIC.NR_PRIVATE_IRQS ? 0n : BigInt(s.irouter[n]!);
  };
  const write = (vm: VmCtx, s: Vgic3State, off: number, val: number) => {
    const n = intid(off);
    if (n < VGIC.NR_PRIVATE_IRQS || off & 4) return;
    s.irouter[n] = val & 0xffffff;
    s.spiTarget[n] = vcpuByAff(vm.state.vcpus, val & 0xffffff);
  };
  return {
    name: 'GICD_IROUTER',
    offset: IROUTER,
    ...perIrq(64),
    widths: ACC64 | ACC32,
    fields: [field('Aff0', 0, 8), field('Aff1', 8, 8), field('Aff2', 16, 8), field('Interrupt_Routing_Mode', 31)],
    read: (_vm, s, _vcpu, off, len) => extract64(read64(s, off & ~7), off, len),
    write: (vm, s, _vcpu, off, _len, val) => write(vm, s, off, val),
    read64: (_vm, s, _vcpu, off) => read64(s, off),
    write64: (vm, s, _vcpu, off, val) => write(vm, s, off, Number(BigInt.asUintN(32, val))),
  };
}

/** vgic_mmio_read_v3_idregs: GICD_PIDR2 reports a GICv3 (0x3b); the rest read 0. */
export function idRegRows(prefix: 'GICD' | 'GICR'): Row[] {
  const names = ['PIDR4', 'PIDR5', 'PIDR6', 'PIDR7', 'PIDR0', 'PIDR1', 'PIDR2', 'PIDR3', 'CIDR0', 'CIDR1', 'CIDR2', 'CIDR3'];
  return names.map((n, i) => fixedRow<Vgic3State>(`${prefix}_${n}`, 0xffd0 + 4 * i, 4, ACC32, () => (n === 'PIDR2' ? 0x3b : 0), () => {}));
}

/**
 * The GICv3 userspace side of the pending registers (vgic-mmio-v3.c), for
 * the distributor and the redistributors alike: userspace saves and
 * restores the latch and the line level separately (arm-vgic-v3.rst), so
 * GICx_ISPENDR reads the latch alone (vgic_uaccess_read_pending, shared)
 * and a write replaces it (vgic_v3_uaccess_write_pending); GICx_ICPENDR is
 * RAZ/WI (vgic_mmio_read_raz, vgic_mmio_uaccess_write_wi).
 */
export const V3_PENDING_UACCESS = {
  spending: {
    uwrite(_vm, s, vcpu, n0, val) {
      irqBank(s, vcpu, n0).latch[n0 >>> 5] = val;
    },
  },
  cpending: { uread: () => 0, uwrite: () => {} },
} as const satisfies Record<string, Partial<BitsHandlers>>;

/** The v3 distributor's per-IRQ rows: INTIDs 0-31 are RAZ/WI, the redistributors hold them. */
const SPIS = { razBelow: VGIC.NR_PRIVATE_IRQS } as const;

export const V3_DIST = new GicTable<Vgic3State>('GICv3 distributor', 0x10000, [
  miscRow('GICD_CTLR', 0x0, [field('EnableGrp0', 0), field('EnableGrp1NS', 1), field('ARE_NS', 4), field('DS', 6), field('nASSGIreq', 8)]),
  miscRow('GICD_TYPER', 0x4, [field('ITLinesNumber', 0, 5), field('LPIS', 17), field('IDbits', 19, 5)]),
  miscRow('GICD_IIDR', 0x8, [field('Implementer', 0, 12), field('Revision', 12, 4), field('Variant', 16, 4), field('ProductID', 24, 8)]),
  miscRow('GICD_TYPER2', 0xc, [field('VID', 0, 5), field('VIL', 7), field('nASSGIcap', 8)]),
  // vgic_mmio_read_rao: the kernel reads GICD_STATUSR as all ones.
  fixedRow<Vgic3State>('GICD_STATUSR', 0x10, 4, ACC32, () => 0xffffffff, () => {}),
  bitsRow('GICD_IGROUPR', 0x080, BITS.group, SPIS),
  bitsRow('GICD_ISENABLER', 0x100, BITS.senable, SPIS),
  bitsRow('GICD_ICENABLER', 0x180, BITS.cenable, SPIS),
  bitsRow('GICD_ISPENDR', 0x200, { ...BITS.spending, ...V3_PENDING_UACCESS.spending }, SPIS),
  bitsRow('GICD_ICPENDR', 0x280, { ...BITS.cpending, ...V3_PENDING_UACCESS.cpending }, SPIS),
  bitsRow('GICD_ISACTIVER', 0x300, BITS.sactive, SPIS),
  bitsRow('GICD_ICACTIVER', 0x380, BITS.cactive, SPIS),
  priorityRow('GICD_IPRIORITYR', 0x400, SPIS),
  // With affinity routing enabled GICD_ITARGETSR is RAZ/WI.
  razRow('GICD_ITARGETSR', 0x800, perIrq(8), BYTE_WIDTHS),
  configRow('GICD_ICFGR', 0xc00, SPIS),
  razRow('GICD_IGRPMODR', 0xd00, perIrq(1)),
  irouterRow(),
  ...idRegRows('GICD'),
]);
