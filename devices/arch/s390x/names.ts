/**
 * The s390 VM attribute groups and attributes on the VM fd
 * (arch/s390/include/uapi/asm/kvm.h), by their uapi names. The group
 * table (attrs.ts) names each group and attribute from here (its rows'
 * `name` and `attrNames`), and scenarios and dump read them from there.
 */

export const S390_VM_GRP = {
  KVM_S390_VM_MEM_CTRL: 0,
  KVM_S390_VM_TOD: 1,
  KVM_S390_VM_CRYPTO: 2,
  KVM_S390_VM_CPU_MODEL: 3,
  KVM_S390_VM_MIGRATION: 4,
} as const;

export const S390_VM_MEM = {
  KVM_S390_VM_MEM_ENABLE_CMMA: 0,
  KVM_S390_VM_MEM_CLR_CMMA: 1,
  KVM_S390_VM_MEM_LIMIT_SIZE: 2,
} as const;

export const S390_VM_TOD = {
  KVM_S390_VM_TOD_LOW: 0,
  KVM_S390_VM_TOD_HIGH: 1,
  KVM_S390_VM_TOD_EXT: 2,
} as const;

export const S390_VM_CRYPTO = {
  KVM_S390_VM_CRYPTO_ENABLE_AES_KW: 0,
  KVM_S390_VM_CRYPTO_ENABLE_DEA_KW: 1,
  KVM_S390_VM_CRYPTO_DISABLE_AES_KW: 2,
  KVM_S390_VM_CRYPTO_DISABLE_DEA_KW: 3,
  KVM_S390_VM_CRYPTO_ENABLE_APIE: 4,
  KVM_S390_VM_CRYPTO_DISABLE_APIE: 5,
} as const;

export const S390_VM_CPU = {
  KVM_S390_VM_CPU_PROCESSOR: 0,
  KVM_S390_VM_CPU_MACHINE: 1,
  KVM_S390_VM_CPU_PROCESSOR_FEAT: 2,
  KVM_S390_VM_CPU_MACHINE_FEAT: 3,
  KVM_S390_VM_CPU_PROCESSOR_SUBFUNC: 4,
  KVM_S390_VM_CPU_MACHINE_SUBFUNC: 5,
} as const;

export const S390_VM_MIGRATION = {
  KVM_S390_VM_MIGRATION_STOP: 0,
  KVM_S390_VM_MIGRATION_START: 1,
  KVM_S390_VM_MIGRATION_STATUS: 2,
} as const;

/** Every attribute name, per group: what dump prints and scenarios take. */
export const S390_VM_ATTR_NAMES: Readonly<Record<number, Record<string, number>>> = {
  [S390_VM_GRP.KVM_S390_VM_MEM_CTRL]: S390_VM_MEM,
  [S390_VM_GRP.KVM_S390_VM_TOD]: S390_VM_TOD,
  [S390_VM_GRP.KVM_S390_VM_CRYPTO]: S390_VM_CRYPTO,
  [S390_VM_GRP.KVM_S390_VM_CPU_MODEL]: S390_VM_CPU,
  [S390_VM_GRP.KVM_S390_VM_MIGRATION]: S390_VM_MIGRATION,
};
