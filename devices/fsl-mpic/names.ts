/**
 * The names this family gives its attributes, declared on its group rows
 * (device.ts): KVM_DEV_MPIC_GRP_MISC takes KVM_DEV_MPIC_BASE_ADDR, and
 * KVM_DEV_MPIC_GRP_REGISTER the register names of MPIC_REGS (the ones
 * `devrr dump` prints: GCR, IVPR42, CTPR_CPU1, ...) on both MPIC types.
 */

/** Why a REGISTER attr names no vcpu. */
export const MPIC_REGISTER_VCPU =
  'MPIC REGISTER attrs are frame offsets; per-CPU registers are named by their CPU page (CTPR_CPU1), and an ioctl has no current CPU for the global aliases';
