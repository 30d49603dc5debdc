/**
 * The VGIC's state (kvm->arch.vgic and each vcpu's vgic_cpu), as plain data.
 * Changing this layout requires bumping the model version of the device.
 */
import { type Infer, S, type Schema, U32, U64, sameType } from '../core/state.js';
import type { VmState } from '../core/vm-state.js';
import { DEV_TYPE, VGIC, VGIC_ADDR_UNDEF } from '../core/uapi.js';
import { bankSchema, type IrqBank, newBank } from './irq.js';

/** One vcpu's view: its private interrupts and its CPU interface. */
export interface VgicCpu {
  /** INTIDs 0-31. */
  priv: IrqBank;
  /** GICv2 SGI sources: bit n of sgiSource[i] = vcpu id n sent SGI i (irq->source). */
  sgiSource: Uint8Array;
  /** irq->active_source for GICv2 SGIs. */
  activeSource: Uint8Array;
  /**
   * GICv2 virtual CPU interface, the fields of GICH_VMCR as vgic_vmcr holds them:
   * ctlr packs EnableGrp0 b0, EnableGrp1 b1, AckCtl b2, FIQEn b3, CBPR b4, EOImodeNS b9.
   */
  ctlr: number;
  /** Priority mask, 8-bit GICC_PMR format with the 5 implemented bits (7:3). */
  pmr: number;
  bpr: number;
  abpr: number;
  /**
   * Active priorities (GICH_APR on a GICv2 host): bit p set while an interrupt
   * of group priority p << 3 is active. Running priority is the lowest set bit.
   */
  apr: number;
}

export interface VgicState {
  /** KVM_DEV_TYPE_ARM_VGIC_V2 or _V3 (dist->vgic_model). */
  model: number;
  /** vgic_init() has run (dist->initialized). */
  initialized: boolean;
  /** kvm_vgic_map_resources() has run at the first KVM_RUN (dist->ready). */
  ready: boolean;
  /** dist->nr_spis; 0 until NR_IRQS is set or init picks the default. */
  nrSpis: number;
  distBase: bigint;
  cpuBase: bigint;
  /** GICD_CTLR.Enable (dist->enabled). */
  enabled: boolean;
  /** dist->implementation_rev, shown in GICD_IIDR.Revision. */
  implementationRev: number;
  /** Set by a userspace write of GICD_IIDR: from then on userspace may write IGROUPR. */
  v2GroupsUserWritable: boolean;
  /** Shared bank indexed by INTID (0-31 unused), nr_irqs long once initialised. */
  spi: IrqBank;
  /** Per vcpu, by vcpu index. */
  cpus: VgicCpu[];
}

export function newVgicState(model: number): VgicState {
  return {
    model,
    initialized: false,
    ready: false,
    nrSpis: 0,
    distBase: VGIC_ADDR_UNDEF,
    cpuBase: VGIC_ADDR_UNDEF,
    enabled: false,
    implementationRev: 0,
    v2GroupsUserWritable: false,
    spi: newBank(0),
    cpus: [],
  };
}

/**
 * vgic_allocate_private_irqs_locked(): SGIs enabled and edge, PPIs disabled
 * and level; priority 0, not pending, not active; on v2 group 0 and
 * targets BIT(vcpu_id), on v3 group 1.
 */
export function newVgicCpu(model: number, vcpuId: number): VgicCpu {
  const priv = newBank(32);
  priv.enabled[0] = 0xffff; // SGIs 0-15
  priv.edge[0] = 0xffff;
  // vgic_allocate_private_irqs_locked: irq->targets = BIT(vcpu_id), a 64-bit
  // unsigned long kept in the u8 targets, so ids 8 and up read 0. (JS `1 << id`
  // wraps the shift at 32 and would give id 32 the byte 0x01.)
  if (model === DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_V2) priv.targets.fill(vcpuId < 8 ? 1 << vcpuId : 0);
  else priv.group[0] = 0xffffffff;
  return { priv, sgiSource: new Uint8Array(16), activeSource: new Uint8Array(16), ctlr: 0, pmr: 0, bpr: 0, abpr: 0, apr: 0 };
}

/** nr_irqs as the MMIO checks see it: nr_spis + 32 (32 before init). */
export function nrIrqs(s: VgicState): number {
  return s.nrSpis + 32;
}

// ---------------------------------------------------------------------------
// Schemas (a checkpoint's state is checked against them before a restore)

/** The fields of a VgicCpu, for V3Cpu to extend. */
export const VGIC_CPU_FIELDS = {
  priv: bankSchema(VGIC.NR_PRIVATE_IRQS),
  sgiSource: S.typed(Uint8Array, VGIC.NR_SGIS),
  activeSource: S.typed(Uint8Array, VGIC.NR_SGIS),
  ctlr: U32,
  pmr: U32,
  bpr: U32,
  abpr: U32,
  apr: U32,
};

/** Compile-time: VGIC_CPU_FIELDS describes VgicCpu. */
export const VGIC_CPU_SCHEMA_MATCHES: true = sameType<Infer<ReturnType<typeof S.obj<typeof VGIC_CPU_FIELDS>>>, VgicCpu>();

/** The fields of a VgicState whose vcpus are described by `cpu`, for Vgic3State to extend. */
export function vgicStateFields<C>(vm: VmState, model: number, cpu: Schema<C>) {
  return {
    model: S.oneOf([model]),
    initialized: S.bool,
    ready: S.bool,
    nrSpis: S.int(0, VGIC.MAX_RESERVED + 1 - VGIC.NR_PRIVATE_IRQS),
    distBase: U64,
    cpuBase: U64,
    enabled: S.bool,
    implementationRev: U32,
    v2GroupsUserWritable: S.bool,
    spi: bankSchema(),
    // kvm_vgic_vcpu_init: one per vcpu, by vcpu index.
    cpus: S.list(cpu, vm.vcpus.length, true),
  };
}

/** vgic_init allocates the SPIs: nr_irqs = nr_spis + 32 INTIDs once initialised, none before. */
export function vgicStateRule(s: VgicState, p: string): string | undefined {
  const want = s.initialized ? s.nrSpis + VGIC.NR_PRIVATE_IRQS : 0;
  return s.spi.count === want ? undefined : `${p}.spi covers ${s.spi.count} INTIDs, not ${want} (initialized ${s.initialized}, nrSpis ${s.nrSpis})`;
}

/** The state of a VGIC v2 in `vm`. */
export function vgicV2Schema(vm: VmState): Schema<VgicState> {
  const fields = S.obj(vgicStateFields(vm, DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_V2, S.obj(VGIC_CPU_FIELDS)));
  return S.where(fields as Schema<VgicState>, vgicStateRule);
}

/** Compile-time: the v2 fields describe VgicState. */
export const VGIC_SCHEMA_MATCHES: true = sameType<Infer<ReturnType<typeof S.obj<ReturnType<typeof vgicStateFields<VgicCpu>>>>>, VgicState>();
