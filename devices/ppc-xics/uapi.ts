/**
 * The XICS constants devrr models, with the kernel's names and values.
 *
 * Sources: arch/powerpc/include/uapi/asm/kvm.h (the device group, the
 * 64-bit source word, the KVM_REG_PPC_ICP_STATE layout, the KVM_INTERRUPT_*
 * line levels), arch/powerpc/kvm/book3s_xics.h (the source numbering),
 * arch/powerpc/include/asm/hvcall.h (hypercall numbers and return codes).
 */

/** KVM_DEV_TYPE_XICS attribute groups. GRP_CTRL (KVM_DEV_XICS_NR_SERVERS) is XICS-on-XIVE only. */
export const XICS_GRP = {
  KVM_DEV_XICS_GRP_SOURCES: 1,
  KVM_DEV_XICS_GRP_CTRL: 2,
} as const;

/** KVM_DEV_XICS_GRP_CTRL attributes (served by book3s_xive.c, not by the emulated XICS). */
export const XICS_CTRL = { KVM_DEV_XICS_NR_SERVERS: 1 } as const;

/** The 64-bit source word of KVM_DEV_XICS_GRP_SOURCES. */
export const KVM_XICS_DESTINATION_MASK = 0xffffffffn;
export const KVM_XICS_PRIORITY_SHIFT = 32n;
export const KVM_XICS_PRIORITY_MASK = 0xffn;
export const KVM_XICS_LEVEL_SENSITIVE = 1n << 40n;
export const KVM_XICS_MASKED = 1n << 41n;
export const KVM_XICS_PENDING = 1n << 42n;
export const KVM_XICS_PRESENTED = 1n << 43n;
export const KVM_XICS_QUEUED = 1n << 44n;

/** KVM_REG_PPC_ICP_STATE, the per-vcpu one-reg (kvmppc_xics_get_icp / kvmppc_xics_set_icp): KVM_REG_PPC | KVM_REG_SIZE_U64 | 0x8c. */
export const KVM_REG_PPC_ICP_STATE = 0x1030_0000_0000_008cn;
export const KVM_REG_PPC_ICP_CPPR_SHIFT = 56n;
export const KVM_REG_PPC_ICP_XISR_SHIFT = 32n;
export const KVM_REG_PPC_ICP_XISR_MASK = 0xffffffn;
export const KVM_REG_PPC_ICP_MFRR_SHIFT = 24n;
export const KVM_REG_PPC_ICP_PPRI_SHIFT = 16n;

/** book3s_xics.h: 1024 ICSes of 1024 sources; numbers below 16 are reserved (0: none, 2: the IPI). */
export const KVMPPC_XICS_MAX_ICS_ID = 1023;
export const KVMPPC_XICS_ICS_SHIFT = 10;
export const KVMPPC_XICS_IRQ_PER_ICS = 1 << KVMPPC_XICS_ICS_SHIFT;
export const KVMPPC_XICS_SRC_MASK = KVMPPC_XICS_IRQ_PER_ICS - 1;
export const KVMPPC_XICS_FIRST_IRQ = 16;
export const KVMPPC_XICS_NR_IRQS = (KVMPPC_XICS_MAX_ICS_ID + 1) * KVMPPC_XICS_IRQ_PER_ICS;
/** The priority that disables a source, and the "nothing pending" priority of an ICP. */
export const MASKED = 0xff;
/** asm/xics.h: the XISR value of an inter-processor interrupt. */
export const XICS_IPI = 2;
/** pq_state bits (book3s_xics.h). */
export const PQ_PRESENTED = 1;
export const PQ_QUEUED = 2;

/** KVM_IRQ_LINE levels besides 0 and 1 (uapi asm/kvm.h): -1U, -2U, -3U. */
export const KVM_INTERRUPT_SET = 0xffffffff;
export const KVM_INTERRUPT_UNSET = 0xfffffffe;
export const KVM_INTERRUPT_SET_LEVEL = 0xfffffffd;

/** PAPR hypercall numbers the XICS serves (hvcall.h). */
export const H_CALL = {
  H_EOI: 0x64,
  H_CPPR: 0x68,
  H_IPI: 0x6c,
  H_IPOLL: 0x70,
  H_XIRR: 0x74,
  H_XIRR_X: 0x2fc,
} as const;

/** hvcall.h return codes (r3), as signed numbers. H_TOO_HARD is internal to HV KVM's real mode, never returned to a guest. */
export const H_RC = {
  H_SUCCESS: 0,
  H_HARDWARE: -1,
  H_FUNCTION: -2,
  H_PRIVILEGE: -3,
  H_PARAMETER: -4,
  H_TOO_HARD: 9999,
} as const;
