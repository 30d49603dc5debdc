/**
 * The FSL MPIC's state (struct openpic and its sources, destinations,
 * timers and MSI banks in arch/powerpc/kvm/mpic.c, plus the per-vcpu
 * irq_cpu_id / irq_type the connection sets), as plain data. Per-source
 * and per-CPU fields are typed arrays indexed by source number (0-263) and
 * CPU number (0-31). Changing this layout requires bumping the model
 * version.
 */
import { type Infer, S, type Schema, U32, U64, sameType } from '../core/state.js';
import type { VmState } from '../core/vm-state.js';
import { DEV_TYPE } from '../core/uapi.js';
import { MAX_CPU, MAX_IRQ, MAX_MSI, MAX_TMR, MPIC_20, MPIC_42, type MpicModelInfo, NUM_OUTPUTS, QUEUE_WORDS } from './uapi.js';

export interface MpicState {
  /** KVM_DEV_TYPE_FSL_MPIC_20 or _42 (opp->model). */
  model: number;
  /** opp->reg_base: the frame's guest-physical base; 0 = not mapped. */
  regBase: bigint;
  gcr: number;
  frr: number;
  spve: number;
  tfrr: number;
  /** Per source (struct irq_source): IVPR, IDR, the destination mask derived from IDR, last_cpu, output, pending (the raw level), level-triggered, nomask. */
  ivpr: Uint32Array;
  idr: Uint32Array;
  destmask: Uint32Array;
  lastCpu: Uint8Array;
  output: Uint8Array;
  pending: Uint32Array;
  level: Uint8Array;
  nomask: Uint8Array;
  /** Per CPU (struct irq_dest): the current task priority. */
  ctpr: Uint8Array;
  /** Per CPU, QUEUE_WORDS words each: the raised and servicing queues' bitmaps, with each queue's cached next and priority (IRQ_check). */
  raised: Uint32Array;
  raisedNext: Int32Array;
  raisedPrio: Int32Array;
  servicing: Uint32Array;
  servicingNext: Int32Array;
  servicingPrio: Int32Array;
  /** Per CPU, NUM_OUTPUTS each: sources asserting on the non-INT outputs. */
  outputsActive: Uint32Array;
  /** Per CPU: the vcpu index connected as this CPU (dst->vcpu), -1 for none. */
  cpuVcpu: Int32Array;
  /** Per CPU: the INT output as the vcpu sees it (kvm_vcpu_ioctl_interrupt raised it, kvmppc_core_dequeue_external lowered it). */
  intOut: Uint8Array;
  /** opp->nb_cpus: one past the highest connected CPU number. */
  nbCpus: number;
  /** Global timers: current count and base count. */
  tccr: Uint32Array;
  tbcr: Uint32Array;
  /** Shared MSI registers (MSIR0-7). */
  msir: Uint32Array;
  /** Per vcpu index: the CPU number it is connected as (vcpu->arch.irq_cpu_id with irq_type MPIC), -1 when not connected. */
  vcpuCpu: number[];
}

/** The constants of the model (mpic_create's switch). */
export function infoOf(s: MpicState): MpicModelInfo {
  return s.model === DEV_TYPE.KVM_DEV_TYPE_FSL_MPIC_42 ? MPIC_42 : MPIC_20;
}

/** kzalloc'd struct openpic with fsl_common_init's per-source sense (openpic_reset runs after, in mpicCreate). */
export function newMpicState(model: number, vcpus: number): MpicState {
  return {
    model,
    regBase: 0n,
    gcr: 0,
    frr: 0,
    spve: 0,
    tfrr: 0,
    ivpr: new Uint32Array(MAX_IRQ),
    idr: new Uint32Array(MAX_IRQ),
    destmask: new Uint32Array(MAX_IRQ),
    lastCpu: new Uint8Array(MAX_IRQ),
    output: new Uint8Array(MAX_IRQ),
    pending: new Uint32Array(MAX_IRQ),
    // fsl_common_init: internal sources 16-255 level-triggered, the rest edge.
    level: Uint8Array.from({ length: MAX_IRQ }, (_, n) => (n >= 16 && n < 256 ? 1 : 0)),
    nomask: new Uint8Array(MAX_IRQ),
    ctpr: new Uint8Array(MAX_CPU),
    raised: new Uint32Array(MAX_CPU * QUEUE_WORDS),
    raisedNext: new Int32Array(MAX_CPU).fill(-1),
    raisedPrio: new Int32Array(MAX_CPU),
    servicing: new Uint32Array(MAX_CPU * QUEUE_WORDS),
    servicingNext: new Int32Array(MAX_CPU).fill(-1),
    servicingPrio: new Int32Array(MAX_CPU),
    outputsActive: new Uint32Array(MAX_CPU * NUM_OUTPUTS),
    cpuVcpu: new Int32Array(MAX_CPU).fill(-1),
    intOut: new Uint8Array(MAX_CPU),
    nbCpus: 0,
    tccr: new Uint32Array(MAX_TMR),
    tbcr: new Uint32Array(MAX_TMR),
    msir: new Uint32Array(MAX_MSI),
    vcpuCpu: Array.from({ length: vcpus }, () => -1),
  };
}

const BOOL8 = (n: number) => S.typed(Uint8Array, n);

/** The state's shape in a VM with `vm.vcpus.length` vcpus. */
export const mpicSchema = (vm: VmState) =>
  S.obj({
    model: S.int(DEV_TYPE.KVM_DEV_TYPE_FSL_MPIC_20, DEV_TYPE.KVM_DEV_TYPE_FSL_MPIC_42),
    regBase: U64,
    gcr: U32,
    frr: U32,
    spve: U32,
    tfrr: U32,
    // IVPR.MODE (distributed delivery) is set by no write the kernel takes.
    ivpr: S.where(S.typed(Uint32Array, MAX_IRQ), (v, p) => (v.every((x) => !(x & 0x20000000)) ? undefined : `${p} has MODE (bit 29) set, which no write can set`)),
    idr: S.typed(Uint32Array, MAX_IRQ),
    destmask: S.typed(Uint32Array, MAX_IRQ),
    lastCpu: S.where(BOOL8(MAX_IRQ), (v, p) => (v.every((c) => c < MAX_CPU) ? undefined : `${p} holds a CPU number >= ${MAX_CPU}`)),
    output: BOOL8(MAX_IRQ),
    pending: S.typed(Uint32Array, MAX_IRQ),
    level: BOOL8(MAX_IRQ),
    nomask: BOOL8(MAX_IRQ),
    ctpr: S.where(BOOL8(MAX_CPU), (v, p) => (v.every((c) => c < 16) ? undefined : `${p} holds a priority above 15`)),
    raised: S.typed(Uint32Array, MAX_CPU * QUEUE_WORDS),
    raisedNext: S.where(S.typed(Int32Array, MAX_CPU), (v, p) => (v.every((c) => c >= -1 && c < MAX_IRQ) ? undefined : `${p} holds no source number`)),
    raisedPrio: S.where(S.typed(Int32Array, MAX_CPU), (v, p) => (v.every((c) => c >= -1 && c < 16) ? undefined : `${p} holds no priority`)),
    servicing: S.typed(Uint32Array, MAX_CPU * QUEUE_WORDS),
    servicingNext: S.where(S.typed(Int32Array, MAX_CPU), (v, p) => (v.every((c) => c >= -1 && c < MAX_IRQ) ? undefined : `${p} holds no source number`)),
    servicingPrio: S.where(S.typed(Int32Array, MAX_CPU), (v, p) => (v.every((c) => c >= -1 && c < 16) ? undefined : `${p} holds no priority`)),
    outputsActive: S.typed(Uint32Array, MAX_CPU * NUM_OUTPUTS),
    cpuVcpu: S.where(S.typed(Int32Array, MAX_CPU), (v, p) => (v.every((c) => c >= -1 && c < vm.vcpus.length) ? undefined : `${p} names no vcpu of this VM`)),
    intOut: BOOL8(MAX_CPU),
    nbCpus: S.int(0, MAX_CPU),
    tccr: S.typed(Uint32Array, MAX_TMR),
    tbcr: S.typed(Uint32Array, MAX_TMR),
    msir: S.typed(Uint32Array, MAX_MSI),
    vcpuCpu: S.list(S.int(-1, MAX_CPU - 1), vm.vcpus.length, true),
  });

export const MPIC_SCHEMA_MATCHES: true = sameType<Infer<ReturnType<typeof mpicSchema>>, MpicState>();

export type MpicSchema = Schema<MpicState>;
