/**
 * The VM-level s390 state the VM attributes read and write
 * (kvm->arch: use_cmma, mem_limit, the gmap's limit, the guest TOD's epoch,
 * model.{cpuid, ibc, fac_list, subfuncs}, cpu_feat, crypto.{aes_kw, dea_kw,
 * apie}, migration_mode), as plain data on VmState.archState.
 *
 * Things with no guest-visible model are values as the attribute interface
 * shows them: the guest TOD is the value a GET would return (the kernel adds
 * the host clock; devrr keeps time still), the key-wrapping masks are not
 * kept (random bytes no attribute reads back), CMMA page states are not kept.
 */
import { S, type Infer, sameType, U64 } from '../../core/state.js';
import type { VmState } from '../../core/vm-state.js';
import { CPU_FEAT_BYTES, FAC_LIST_BYTES, HOST_FAC_MASK, HOST_SUBFUNC, hasFacility, INITIAL_FAC_LIST, INITIAL_GUEST_CPUID, initialMemLimit, SCLP_IBC, SUBFUNC_BYTES } from './host.js';

export interface S390VmState {
  /** kvm->arch.use_cmma (KVM_S390_VM_MEM_ENABLE_CMMA). */
  useCmma: boolean;
  /** kvm->arch.mem_limit: set when the VM was made, what LIMIT_SIZE GET returns. */
  memLimit: bigint;
  /** The gmap's last usable guest address (gmap_create's rounded limit); LIMIT_SIZE SET rebuilds the gmap. */
  gmapLimit: bigint;
  /** The guest TOD clock (bits 0-63) as KVM_S390_VM_TOD_LOW reads it; time stands still in devrr. */
  tod: bigint;
  /** The guest TOD's epoch index (KVM_S390_VM_TOD_EXT's epoch_idx, with facility 139). */
  epochIdx: number;
  /** kvm->arch.model.cpuid. */
  cpuid: bigint;
  /** kvm->arch.model.ibc. */
  ibc: number;
  /** kvm->arch.model.fac_list: the guest's STFLE bits (2 KiB). */
  facList: Uint8Array;
  /** kvm->arch.cpu_feat (KVM_S390_VM_CPU_FEAT_NR_BITS in 128 bytes). */
  cpuFeat: Uint8Array;
  /** kvm->arch.model.subfuncs (struct kvm_s390_vm_cpu_subfunc). */
  subfuncs: Uint8Array;
  /** kvm->arch.crypto.aes_kw, dea_kw, apie. */
  aesKw: boolean;
  deaKw: boolean;
  apie: boolean;
  /** kvm->arch.migration_mode. */
  migrationMode: boolean;
}

/**
 * gmap_create's rounding: the ASCE type that covers `limit` gives the last
 * usable address (2^31, 2^42, 2^53 or 2^64, minus one).
 */
export function gmapRound(limit: bigint): bigint {
  if (limit < 1n << 31n) return (1n << 31n) - 1n;
  if (limit < 1n << 42n) return (1n << 42n) - 1n;
  if (limit < 1n << 53n) return (1n << 53n) - 1n;
  return 0xffffffffffffffffn;
}

/**
 * kvm_arch_init_vm's part: fac_list, subfuncs = the host's available ones,
 * cpuid = kvm_s390_get_initial_cpuid(), ibc = sclp.ibc & 0xfff, cpu_feat
 * empty, kvm_s390_crypto_init (facility 76: AES and DEA key wrapping on),
 * mem_limit from the host, the gmap up to mem_limit - 1.
 */
export function newS390VmState(ipaBits: number): S390VmState {
  const memLimit = initialMemLimit(ipaBits);
  return {
    useCmma: false,
    memLimit,
    gmapLimit: gmapRound(memLimit - 1n),
    tod: 0n,
    epochIdx: 0,
    cpuid: INITIAL_GUEST_CPUID,
    ibc: SCLP_IBC & 0xfff,
    facList: INITIAL_FAC_LIST.slice(),
    cpuFeat: new Uint8Array(CPU_FEAT_BYTES),
    subfuncs: HOST_SUBFUNC.slice(),
    aesKw: true,
    deaKw: true,
    apie: false,
    migrationMode: false,
  };
}

export const s390VmSchema = S.obj({
  useCmma: S.bool,
  memLimit: U64,
  gmapLimit: U64,
  tod: U64,
  epochIdx: S.int(0, 0xff),
  cpuid: U64,
  ibc: S.int(0, 0xffff),
  facList: S.typed(Uint8Array, FAC_LIST_BYTES),
  cpuFeat: S.typed(Uint8Array, CPU_FEAT_BYTES),
  subfuncs: S.typed(Uint8Array, SUBFUNC_BYTES),
  aesKw: S.bool,
  deaKw: S.bool,
  apie: S.bool,
  migrationMode: S.bool,
});

export const S390_VM_SCHEMA_MATCHES: true = sameType<Infer<typeof s390VmSchema>, S390VmState>();

/** The s390 part of a VM's state (present on every s390x VM: ArchRules.initialState). */
export function s390Of(vm: VmState): S390VmState {
  const s = vm.archState as S390VmState | undefined;
  if (!s) throw new Error(`devrr bug: an ${vm.arch} VM has no s390 VM state`);
  return s;
}

/**
 * test_kvm_facility: the facility is in the VM's mask (what KVM and the host
 * offer) and in its facility list (what userspace gave the guest through
 * KVM_S390_VM_CPU_PROCESSOR). False on a VM that is not s390x.
 */
export function s390Facility(vm: VmState, nr: number): boolean {
  const s = vm.archState as S390VmState | undefined;
  return s !== undefined && hasFacility(HOST_FAC_MASK, nr) && hasFacility(s.facList, nr);
}
