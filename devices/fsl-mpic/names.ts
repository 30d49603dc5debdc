/**
 * The names this family gives its attributes, declared next to its group
 * table for the name readers (recorder/attr-names.ts reads
 * MPIC_REGISTER_NAMES; core/uapi.ts NAMES spreads uapi.ts MPIC_NAMES):
 * KVM_DEV_MPIC_GRP_REGISTER takes the register names of MPIC_REGS (the ones
 * `devrr dump` prints: GCR, IVPR42, CTPR_CPU1, ...) on both MPIC types.
 */
import type { RegTable } from '../core/regtable.js';
import { DEV_TYPE } from '../core/uapi.js';
import { MPIC_REGS } from './regs.js';
import type { MpicState } from './state.js';
import { MPIC_GRP } from './uapi.js';

export interface RegisterNames {
  readonly type: number;
  readonly group: number;
  readonly table: RegTable<MpicState>;
  /** Where the attr names a vcpu: nowhere, and why. */
  readonly why: string;
}

const WHY = 'MPIC REGISTER attrs are frame offsets; per-CPU registers are named by their CPU page (CTPR_CPU1), and an ioctl has no current CPU for the global aliases';

export const MPIC_REGISTER_NAMES: readonly RegisterNames[] = [DEV_TYPE.KVM_DEV_TYPE_FSL_MPIC_20, DEV_TYPE.KVM_DEV_TYPE_FSL_MPIC_42].map((type) => ({
  type,
  group: MPIC_GRP.KVM_DEV_MPIC_GRP_REGISTER,
  table: MPIC_REGS,
  why: WHY,
}));
