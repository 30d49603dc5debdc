/**
 * The GICv2's own names, beside the family's (../names.ts): the register
 * names of its DIST_REGS and CPU_REGS groups, as their `describe` prints
 * them, and where their attr carries the vcpu.
 */
import type { AttrVcpu } from '../../core/device.js';
import { regTableNames } from '../../core/names.js';
import { V2_CPU_REGS } from './cpuif.js';
import { V2_DIST } from './dist.js';

export const V2_REG_NAMES = { dist: regTableNames(V2_DIST), cpu: regTableNames(V2_CPU_REGS) } as const;

/** vgic_v2_parse_attr: bits 39:32 hold the vcpu id (KVM_DEV_ARM_VGIC_CPUID_MASK). */
export const V2_ATTR_VCPU: AttrVcpu = {
  kind: 'vcpu',
  maxId: 0xff,
  fromId: (id) => id,
  affinity: { refused: 'GICv2 names the vcpu by its id in bits 39:32: use vcpu' },
};
