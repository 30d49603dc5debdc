/**
 * The GICv3 VGIC's state as plain data: what kvm->arch.vgic and each
 * vcpu's vgic_cpu hold beyond what v2 needs (state.ts): redistributor
 * regions and each vcpu's place in them, affinity routing, the LPIs, and
 * the virtual CPU interface (ICH_VMCR fields and active priorities).
 *
 * Plain data only (typed arrays, numbers, bigint): cloned, digested and
 * diffed generically. Changing this layout requires bumping the model
 * version of KVM_DEV_TYPE_ARM_VGIC_V3.
 */
import { type Infer, S, type Schema, U32, U64, U8, sameType } from '../../core/state.js';
import type { VmState } from '../../core/vm-state.js';
import { DEV_TYPE, VGIC, VGIC_ADDR_UNDEF } from '../../core/uapi.js';
import type { ItsState } from '../its/state.js';
import { newVgicCpu, newVgicState, VGIC_CPU_FIELDS, vgicStateFields, vgicStateRule, type VgicCpu, type VgicState } from '../state.js';

/**
 * The host this model emulates: ICH_VTR_EL2 of a GICv3 with 5 priority bits,
 * 16-bit INTIDs, no SEIS, A3V (vgic_v3_enable copies these into each vcpu).
 * No GICv4.1 vSGIs, so GICD_TYPER2.nASSGIcap is 0 and cannot be set.
 */
export const V3_HOST = { priBits: 5, idBits: 0, seis: 0, a3v: 1, directSgis: false } as const;

/** ICC_SRE_EL1 as KVM presents it: SRE | DFB | DIB (vgic_v3_enable). */
export const V3_SRE = 0x7;

/** One vcpu: its private interrupts (VgicCpu), its redistributor and its CPU interface. */
export interface V3Cpu extends VgicCpu {
  // `ctlr` holds ICC_CTLR_EL1.CBPR (bit 0) and EOImode (bit 1); `pmr` the
  // ICH_VMCR.VPMR byte; `bpr`/`abpr` VBPR0/VBPR1. `apr` (v2 only) stays 0.
  /** ICC_IGRPEN0_EL1 / ICC_IGRPEN1_EL1 (ICH_VMCR.VENG0/VENG1). */
  grpen0: boolean;
  grpen1: boolean;
  /** ICH_AP0R<n>/AP1R<n>: active priorities; with 5 priority bits only word 0 holds state. */
  ap0r: Uint32Array;
  ap1r: Uint32Array;
  /** vgic_v3->vgic_sre (0 until vgic_init enables the interface). */
  sre: number;
  /** vgic_cpu->num_pri_bits / num_id_bits (host values at init; ICC_CTLR_EL1 restores may lower them). */
  numPriBits: number;
  numIdBits: number;
  /** rd_iodev.base_addr: this vcpu's redistributor (VGIC_ADDR_UNDEF until a region gives it one). */
  rdBase: bigint;
  /** The `index` of the region it sits in (-1: none) and its slot there (rdreg_index). */
  rdRegion: number;
  rdIndex: number;
  /** Its MMIO frames are on the bus (a failed region add unregisters them but keeps rdBase). */
  rdMapped: boolean;
  /** GICR_CTLR.EnableLPIs (vgic_cpu->ctlr == GICR_CTLR_ENABLE_LPIS). */
  lpisEnabled: boolean;
  /** GICR_PENDBASER (sanitised, PTZ kept as written). */
  pendbaser: bigint;
}

/** struct vgic_redist_region. */
export interface RdRegion {
  index: number;
  base: bigint;
  /** Redistributors it holds; 0 for the legacy single region sized by the vcpu count. */
  count: number;
  /** Slots handed out so far. */
  freeIndex: number;
}

/** An LPI's struct vgic_irq (it exists while some ITE maps it). */
export interface Lpi {
  intid: number;
  /** From the property table: enable bit and priority (prop & 0xfc). */
  enabled: boolean;
  priority: number;
  /** pending_latch. */
  pending: boolean;
  /** irq->target_vcpu as a vcpu index, -1 for none. */
  target: number;
  /** References from ITEs (vgic_add_lpi / vgic_put_irq). */
  refs: number;
}

export interface Vgic3State extends VgicState {
  cpus: V3Cpu[];
  /** rd_regions, in list order (which is index order). */
  regions: RdRegion[];
  /** dist->propbaser (shared by every redistributor). */
  propbaser: bigint;
  /** GICD_TYPER2.nASSGIcap and GICD_CTLR.nASSGIreq. */
  nassgicap: boolean;
  nassgireq: boolean;
  /** KVM_DEV_ARM_VGIC_GRP_MAINT_IRQ (dist->mi_intid). */
  miIntid: number;
  /** GICD_IROUTER<n> affinity (Aff2.Aff1.Aff0, 24 bits) by INTID; nr_irqs long once initialised. */
  irouter: Uint32Array;
  /** irq->target_vcpu of each SPI as a vcpu index (-1: none), set when IROUTER is written. */
  spiTarget: Int16Array;
  /** LPIs by ascending INTID (the order of dist->lpi_xa). */
  lpis: Lpi[];
}

/** INITIAL_PROPBASER_VALUE (vgic-its.c): inner RaWb, outer SameAsInner, inner shareable. */
export const INITIAL_PROPBASER = (3n << 7n) | (1n << 10n);

export function newV3Cpu(vcpuId: number): V3Cpu {
  return {
    ...newVgicCpu(DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_V3, vcpuId),
    grpen0: false,
    grpen1: false,
    ap0r: new Uint32Array(4),
    ap1r: new Uint32Array(4),
    sre: 0,
    numPriBits: 0,
    numIdBits: 0,
    rdBase: VGIC_ADDR_UNDEF,
    rdRegion: -1,
    rdIndex: 0,
    rdMapped: false,
    lpisEnabled: false,
    pendbaser: 0n,
  };
}

export function newVgic3State(propbaser: bigint): Vgic3State {
  return {
    ...newVgicState(DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_V3),
    cpus: [],
    regions: [],
    propbaser,
    nassgicap: false,
    nassgireq: false,
    miIntid: 0,
    irouter: new Uint32Array(0),
    spiTarget: new Int16Array(0),
    lpis: [],
  };
}

/** The 24-bit affinity (Aff2.Aff1.Aff0) KVM gives vcpu `id` (reset_mpidr: Aff0 = id[3:0], Aff1 = id[11:4], Aff2 = id[19:12]). */
export function mpidrAff(id: number): number {
  return ((id & 0xf) | (((id >>> 4) & 0xff) << 8) | (((id >>> 12) & 0xff) << 16)) >>> 0;
}

/**
 * kvm_mpidr_to_vcpu for a 32-bit "VGIC MPIDR" value (Aff3 in bits 31:24,
 * Aff2.Aff1.Aff0 below): the index of the vcpu with that affinity, or -1.
 * KVM's vcpus all have Aff3 = 0.
 */
export function vcpuByAff(vcpuIds: readonly { id: number }[], aff: number): number {
  if (aff >>> 24 !== 0) return -1;
  for (let i = 0; i < vcpuIds.length; i++) if (mpidrAff(vcpuIds[i]!.id) === (aff & 0xffffff)) return i;
  return -1;
}

// ---------------------------------------------------------------------------
// Schema (a checkpoint's state is checked against it before a restore)

const V3_CPU_FIELDS = {
  ...VGIC_CPU_FIELDS,
  grpen0: S.bool,
  grpen1: S.bool,
  ap0r: S.typed(Uint32Array, 4),
  ap1r: S.typed(Uint32Array, 4),
  sre: U32,
  numPriBits: S.int(0, 8),
  numIdBits: S.int(0, 1),
  rdBase: U64,
  rdRegion: S.int(-1, 0xffffffff),
  rdIndex: U32,
  rdMapped: S.bool,
  lpisEnabled: S.bool,
  pendbaser: U64,
};

const regionSchema = S.obj({ index: U32, base: U64, count: U32, freeIndex: U32 });

const lpiSchema = S.obj({
  intid: S.int(VGIC.MIN_LPI, 0xffffffff),
  enabled: S.bool,
  priority: U8,
  pending: S.bool,
  target: S.int(-1, VGIC.V3_MAX_CPUS - 1),
  refs: S.int(1, 0xffffffff),
});

/** Compile-time: the schemas describe V3Cpu, RdRegion, Lpi. */
export const V3_SCHEMAS_MATCH: true = sameType<Infer<ReturnType<typeof S.obj<typeof V3_CPU_FIELDS>>>, V3Cpu>();
export const RD_REGION_SCHEMA_MATCHES: true = sameType<Infer<typeof regionSchema>, RdRegion>();
export const LPI_SCHEMA_MATCHES: true = sameType<Infer<typeof lpiSchema>, Lpi>();

function v3Fields(vm: VmState) {
  return {
    ...vgicStateFields(vm, DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_V3, S.obj(V3_CPU_FIELDS)),
    regions: S.list(regionSchema, 1 << 16),
    propbaser: U64,
    nassgicap: S.bool,
    nassgireq: S.bool,
    miIntid: U32,
    irouter: S.typed(Uint32Array),
    spiTarget: S.typed(Int16Array),
    lpis: S.list(lpiSchema, 1 << 24),
  };
}

/** Compile-time: v3Fields describes Vgic3State. */
export const VGIC3_SCHEMA_MATCHES: true = sameType<Infer<ReturnType<typeof S.obj<ReturnType<typeof v3Fields>>>>, Vgic3State>();

/**
 * The state of a VGIC v3 in `vm`. Beyond the fields: the routing arrays
 * cover the SPIs, every vcpu index it holds (SPI and LPI targets) names a
 * vcpu, the LPIs are in ascending INTID order, and each LPI's reference
 * count is the number of ITEs of the VM's ITSes that map it (vgic_add_lpi /
 * vgic_put_irq), every ITE mapping an LPI that exists. The ITSes' own states
 * have been checked before (checkVmState checks the irqchip last).
 */
export function vgicV3Schema(vm: VmState): Schema<Vgic3State> {
  return S.where(S.obj(v3Fields(vm)) as Schema<Vgic3State>, (s, p) => {
    const bad = vgicStateRule(s, p);
    if (bad !== undefined) return bad;
    if (s.irouter.length !== s.spi.count || s.spiTarget.length !== s.spi.count) return `${p}.irouter and ${p}.spiTarget must cover the ${s.spi.count} INTIDs of the SPI bank`;
    const n = s.cpus.length;
    for (let i = 0; i < s.spiTarget.length; i++) if (s.spiTarget[i]! < -1 || s.spiTarget[i]! >= n) return `${p}.spiTarget[${i}] ${s.spiTarget[i]} is not a vcpu index (${n} vcpus)`;
    const refs = new Map<number, number>();
    for (let i = 0; i < s.lpis.length; i++) {
      const l = s.lpis[i]!;
      if (i > 0 && l.intid <= s.lpis[i - 1]!.intid) return `${p}.lpis[${i}] is out of INTID order`;
      if (l.target >= n) return `${p}.lpis[${i}].target ${l.target} is not a vcpu index (${n} vcpus)`;
      refs.set(l.intid, 0);
    }
    for (const [h, d] of vm.devices.entries()) {
      if (d.type !== DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_ITS) continue;
      for (const dev of (d.state as ItsState).devices) {
        for (const ite of dev.ites) {
          const r = refs.get(ite.intid);
          if (r === undefined) return `devices[${h}] (ITS) device ${dev.id} event ${ite.eventId} maps LPI ${ite.intid}, which ${p}.lpis does not hold`;
          refs.set(ite.intid, r + 1);
        }
      }
    }
    for (const [i, l] of s.lpis.entries()) if (l.refs !== refs.get(l.intid)) return `${p}.lpis[${i}].refs is ${l.refs} but ${refs.get(l.intid)} ITEs map LPI ${l.intid}`;
    return undefined;
  });
}
