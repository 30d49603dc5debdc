/**
 * The FSL MPIC's uapi names and the OpenPIC constants of KVM's emulation,
 * declared once for the family: the attribute groups and the MISC attribute
 * (arch/powerpc/include/uapi/asm/kvm.h), and the limits and register bits
 * arch/powerpc/kvm/mpic.c defines. uapi names here feed the scenario and
 * dump name tables (the group rows of device.ts carry them: core/names.ts).
 */

/** KVM_DEV_MPIC_GRP_* (arch/powerpc/include/uapi/asm/kvm.h). */
export const MPIC_GRP = {
  KVM_DEV_MPIC_GRP_MISC: 1,
  KVM_DEV_MPIC_GRP_REGISTER: 2,
  KVM_DEV_MPIC_GRP_IRQ_ACTIVE: 3,
} as const;

/** Attributes of KVM_DEV_MPIC_GRP_MISC. */
export const MPIC_MISC = {
  /** u64: the guest-physical base of the 0x40000-byte register frame; 0 unmaps it. */
  KVM_DEV_MPIC_BASE_ADDR: 0,
} as const;

/** The family's names for the flat scenario/dump tables (NAMES.group, NAMES.attr). */

/** mpic.c's limits: CPUs, external+internal sources, timers, IPIs, MSI banks. */
export const MAX_CPU = 32;
export const MAX_SRC = 256;
export const MAX_TMR = 4;
export const MAX_IPI = 4;
export const MAX_MSI = 8;
export const MAX_IRQ = MAX_SRC + MAX_IPI + MAX_TMR;
/** Words of struct irq_queue's bitmap: MAX_IRQ rounded up to 64 bits (320 bits). */
export const QUEUE_WORDS = ((MAX_IRQ + 63) & ~63) / 32;

/** OPENPIC_REG_SIZE: the frame KVM_DEV_MPIC_BASE_ADDR maps; the base must be aligned to it. */
export const OPENPIC_REG_SIZE = 0x40000;

/** fsl_common_init: the first IPI, timer and MSI sources. */
export const IRQ_IPI0 = MAX_SRC;
export const IRQ_TIM0 = MAX_SRC + MAX_IPI;
export const IRQ_MSI = 224;

/** IVPR bits. */
export const IVPR = {
  MASK: 0x80000000,
  ACTIVITY: 0x40000000,
  MODE: 0x20000000,
  POLARITY: 0x00800000,
  SENSE: 0x00400000,
  PRIORITY: 0x000f0000,
} as const;
/** fsl_common_init: opp->vector_mask. */
export const VECTOR_MASK = 0xffff;

/** IDR bits (MPIC 2.0 only, OPENPIC_FLAG_IDR_CRIT): external pin and the CI0.. bits from 30 down. */
export const IDR_EP = 0x80000000;
export const IDR_CI0_SHIFT = 30;

/** GCR. */
export const GCR_RESET = 0x80000000;
export const GCR_MODE_MIXED = 0x20000000;
export const GCR_MODE_PROXY = 0x60000000;

/** Timer bits. */
export const TBCR_CI = 0x80000000;
export const TCCR_TOG = 0x80000000;

/** ILR_INTTGT_*: the output a source drives; NUM_OUTPUTS of them are counted per CPU. */
export const ILR_INTTGT_INT = 0;
export const ILR_INTTGT_CINT = 1;
export const NUM_OUTPUTS = 3;

/** MSIIR: bank select (SRS, bits 31:29) and interrupt bit (IBS, bits 28:24). */
export const MSIIR_OFFSET = 0x140;

/** enum irq_type: what a source is, by its number (fsl_common_init). */
export const IRQ_TYPE = { NORMAL: 0, FSLINT: 1, FSLSPECIAL: 2 } as const;

/** A source's irq_type: 16-255 FSL internal (level only), timers and IPIs special (edge, no polarity), the rest normal. */
export function irqType(n: number): number {
  if (n >= MAX_SRC) return IRQ_TYPE.FSLSPECIAL;
  if (n >= 16) return IRQ_TYPE.FSLINT;
  return IRQ_TYPE.NORMAL;
}

/** Per model (mpic_create): BRR1, the flags, nb_irqs and the GCR mode bits the guest may set. */
export interface MpicModelInfo {
  readonly brr1: number;
  /** OPENPIC_FLAG_IDR_CRIT (2.0): IDR carries critical-interrupt bits. */
  readonly idrCrit: boolean;
  /** OPENPIC_FLAG_ILR (4.2): the per-source ILR selects the output. */
  readonly ilr: boolean;
  readonly nbIrqs: number;
  readonly modeMask: number;
}

export const MPIC_20: MpicModelInfo = { brr1: 0x00400200, idrCrit: true, ilr: false, nbIrqs: 80, modeMask: GCR_MODE_MIXED };
export const MPIC_42: MpicModelInfo = { brr1: 0x00400402, idrCrit: false, ilr: true, nbIrqs: 196, modeMask: GCR_MODE_PROXY };
/** VID_REVISION_1_2, the FRR's VID field. */
export const VID = 2;
