/**
 * Register names a scenario may give as the `attr` of a register group, and
 * where that group's attr carries the vcpu. The names are the ones `devrr
 * dump` prints (each device's register tables, RegTable.nameAt; the ICC_*
 * system registers of uapi.ts), so a line of a dump can be turned back into
 * a step. Keyed by device type, then group: a name means the register of the
 * device the step's `dev` was created as.
 */
import { type RegTable, rowEnd } from '../devices/core/regtable.js';
import { DEV_TYPE, ICC_SYSREG, VGIC_GRP } from '../devices/core/uapi.js';
import { V2_CPU_REGS } from '../devices/arm-vgic/v2/cpuif.js';
import { V2_DIST } from '../devices/arm-vgic/v2/dist.js';
import { V3_DIST } from '../devices/arm-vgic/v3/dist.js';
import { V3_REDIST } from '../devices/arm-vgic/v3/redist.js';
import { mpidrAff } from '../devices/arm-vgic/v3/state.js';
import { ITS_REGS } from '../devices/arm-vgic/its/regs.js';
import { MPIC_REGISTER_NAMES } from '../devices/fsl-mpic/names.js';

/**
 * Where a group's attr names the vcpu (bits 63:32):
 * - `cpuid`: GICv2, bits 39:32 hold the vcpu id (vgic_v2_parse_attr, KVM_DEV_ARM_VGIC_CPUID_MASK);
 * - `mpidr`: GICv3, bits 63:32 hold the vcpu's MPIDR as Aff3.Aff2.Aff1.Aff0 (vgic_v3_parse_attr);
 * - `none`: the attr has no vcpu part (`why` says what the kernel does instead).
 */
export type VcpuPart = { readonly kind: 'cpuid' } | { readonly kind: 'mpidr' } | { readonly kind: 'none'; readonly why: string };

interface GroupNames {
  /** Register name -> the attr's low bits (an offset, or a system-register encoding). */
  readonly names?: () => ReadonlyMap<string, number>;
  readonly vcpu: VcpuPart;
}

/** Every name RegTable.nameAt gives for a 4-byte-aligned offset of the table, with that offset. */
function tableNames<C>(t: RegTable<C>): () => ReadonlyMap<string, number> {
  let m: Map<string, number> | undefined;
  return () => {
    if (m) return m;
    m = new Map();
    for (const r of t.rows)
      for (let off = r.offset; off < rowEnd(r); off += 4) {
        if (t.find(off) !== r) continue; // between the registers of a strided row
        const n = t.nameAt(off);
        if (!m.has(n)) m.set(n, off);
      }
    return m;
  };
}

const ICC_NAMES = new Map<string, number>(Object.entries(ICC_SYSREG));
const G = VGIC_GRP;
const CPUID: VcpuPart = { kind: 'cpuid' };
const MPIDR: VcpuPart = { kind: 'mpidr' };

const TABLE = new Map<number, ReadonlyMap<number, GroupNames>>([
  [
    DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_V2,
    new Map<number, GroupNames>([
      [G.KVM_DEV_ARM_VGIC_GRP_DIST_REGS, { names: tableNames(V2_DIST), vcpu: CPUID }],
      [G.KVM_DEV_ARM_VGIC_GRP_CPU_REGS, { names: tableNames(V2_CPU_REGS), vcpu: CPUID }],
    ]),
  ],
  [
    DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_V3,
    new Map<number, GroupNames>([
      [G.KVM_DEV_ARM_VGIC_GRP_DIST_REGS, { names: tableNames(V3_DIST), vcpu: { kind: 'none', why: 'GICv3 DIST_REGS always act on vcpu 0 (vgic_v3_parse_attr)' } }],
      [G.KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, { names: tableNames(V3_REDIST), vcpu: MPIDR }],
      [G.KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, { names: () => ICC_NAMES, vcpu: MPIDR }],
      [G.KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, { vcpu: MPIDR }],
    ]),
  ],
  [
    DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_ITS,
    new Map<number, GroupNames>([[G.KVM_DEV_ARM_VGIC_GRP_ITS_REGS, { names: tableNames(ITS_REGS), vcpu: { kind: 'none', why: 'ITS registers belong to no vcpu' } }]]),
  ],
  // The FSL MPIC's REGISTER group: the family declares its names (fsl-mpic/names.ts).
  ...MPIC_REGISTER_NAMES.map(({ type, group, table, why }) => [type, new Map<number, GroupNames>([[group, { names: tableNames(table), vcpu: { kind: 'none', why } }]])] as const),
]);

/** The attr's low bits for a register name of this device type and group, if the name is one. */
export function registerAttr(type: number, group: number, name: string): number | undefined {
  return TABLE.get(type)?.get(group)?.names?.().get(name);
}

/** Whether this device type's group takes register names at all. */
export function takesRegisterNames(type: number, group: number): boolean {
  return TABLE.get(type)?.get(group)?.names !== undefined;
}

/** Where this group's attr carries the vcpu, if devrr knows the group. */
export function vcpuPart(type: number, group: number): VcpuPart | undefined {
  return TABLE.get(type)?.get(group)?.vcpu;
}

/** The VGIC MPIDR (Aff3.Aff2.Aff1.Aff0 in 32 bits) KVM gives vcpu `id` at reset (reset_mpidr), for ids below 2^20. */
export function mpidrOfVcpu(id: number): number {
  return mpidrAff(id);
}
