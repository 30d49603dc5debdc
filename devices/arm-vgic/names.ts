/**
 * The VGIC family's names beyond its group rows: the attribute groups of
 * arch/arm64/include/uapi/asm/kvm.h (every VGIC device takes every group
 * name, so a scenario can name a group a model answers ENXIO to), the ADDR
 * and CTRL constants (accepted on any VGIC group: they are numbers), the
 * per-group name tables the group rows hand out (register names as the
 * rows' `describe` prints them, the ICC_*_EL1 encodings) and where each
 * register group's attr carries the vcpu. Nothing outside devices/arm-vgic/
 * knows these names: they are reached through the device's model
 * (devices/core/names.ts).
 */
import type { AttrVcpu, FamilyNames } from '../core/device.js';
import { constantNames, regTableNames } from '../core/names.js';
import { ICC_SYSREG, VGIC_ADDR_TYPE, VGIC_CTRL, VGIC_GRP } from '../core/uapi.js';
import { ITS_REGS } from './its/regs.js';
import { V3_DIST } from './v3/dist.js';
import { V3_REDIST } from './v3/redist.js';
import { mpidrAff } from './v3/state.js';

/** Every VGIC device's FamilyNames: the uapi groups, and the ADDR and CTRL attr constants on any group. */
export const VGIC_NAMES: FamilyNames = { groups: VGIC_GRP, attrs: { ...VGIC_ADDR_TYPE, ...VGIC_CTRL } };

/** KVM_DEV_ARM_VGIC_GRP_ADDR's attrs: the address types. */
export const ADDR_TYPE_NAMES = constantNames(VGIC_ADDR_TYPE);
/** KVM_DEV_ARM_VGIC_GRP_CTRL's attrs. */
export const CTRL_NAMES = constantNames(VGIC_CTRL);

/** Register names of each GICv3 and ITS register group, as the group's `describe` prints them (GICv2's: v2/names.ts). */
export const REG_NAMES = {
  v3Dist: regTableNames(V3_DIST),
  v3Redist: regTableNames(V3_REDIST),
  /** CPU_SYSREGS: the ICC_*_EL1 system registers by encoding (only gic_v3_icc_reg_descs[] answer; the rest are places). */
  v3Sysregs: constantNames(ICC_SYSREG),
  its: regTableNames(ITS_REGS),
} as const;

/** vgic_v3_parse_attr: bits 63:32 hold the vcpu's MPIDR as Aff3.Aff2.Aff1.Aff0, which reset_mpidr derives from the id. */
export const V3_ATTR_VCPU: AttrVcpu = { kind: 'vcpu', maxId: 0xfffff, fromId: mpidrAff, affinity: true };

export const V3_DIST_NO_VCPU: AttrVcpu = { kind: 'none', why: 'GICv3 DIST_REGS always act on vcpu 0 (vgic_v3_parse_attr)' };
export const ITS_NO_VCPU: AttrVcpu = { kind: 'none', why: 'ITS registers belong to no vcpu' };
