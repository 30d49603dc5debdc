/**
 * The Linux uapi constants devrr models, with the kernel's names and values.
 *
 * Source: include/uapi/linux/kvm.h, arch/arm64/include/uapi/asm/kvm.h and
 * include/uapi/asm-generic/errno-base.h, as collected in
 * shared/reference/kvm-device-api.md (sections 1-3, 5). Every other module
 * takes its numbers from here, so a name means the same everywhere.
 */


/** asm-generic errno numbers (x86, arm64, s390; powerpc shares these). */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  EMFILE: 24,
  ENOTTY: 25,
  ENOSPC: 28,
  ERANGE: 34,
  EOPNOTSUPP: 95,
  ENOBUFS: 105,
  /** Kernel-internal, leaked by old s390 code. */
  ENOTSUPP: 524,
} as const;

export type ErrnoName = keyof typeof ERRNO;

/**
 * A one-reg id (struct kvm_one_reg, KVM_GET/SET_ONE_REG): the architecture in
 * bits 63:56 (KVM_REG_ARCH_MASK), the register's size in bits 55:52
 * (KVM_REG_SIZE_MASK: log2 of its bytes), the rest the arch's own.
 */
export const KVM_REG_ARCH_MASK = 0xff00_0000_0000_0000n;
export const KVM_REG_SIZE_MASK = 0x00f0_0000_0000_0000n;
export const KVM_REG_SIZE_SHIFT = 52n;
export const KVM_REG_SIZE_U64 = 0x0030_0000_0000_0000n;
export const KVM_REG_PPC = 0x1000_0000_0000_0000n;

/** The bytes of a one-reg register (kvm.h's KVM_REG_SIZE: 1 << the size field). */
export function oneRegSize(id: bigint): number {
  return 1 << Number((id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
}
/** 0 for success, otherwise a positive errno number (the ioctl's -1/errno pair). */
export type Errno = number;

const ERRNO_BY_NUMBER = new Map<number, ErrnoName>(
  (Object.entries(ERRNO) as [ErrnoName, number][]).map(([n, v]) => [v, n]),
);

/** "0" for success, the errno's name, or "errno N" for a number we do not name. */
export function errnoName(e: Errno): string {
  if (e === 0) return '0';
  return ERRNO_BY_NUMBER.get(e) ?? `errno ${e}`;
}

export function errnoByName(name: string): Errno | undefined {
  return Object.prototype.hasOwnProperty.call(ERRNO, name) ? ERRNO[name as ErrnoName] : undefined;
}

export const ARCHES = ['arm64', 'ppc64', 's390x', 'x86_64'] as const;
export type Arch = (typeof ARCHES)[number];

/** enum kvm_device_type (v6.15). */
export const DEV_TYPE = {
  KVM_DEV_TYPE_FSL_MPIC_20: 1,
  KVM_DEV_TYPE_FSL_MPIC_42: 2,
  KVM_DEV_TYPE_XICS: 3,
  KVM_DEV_TYPE_VFIO: 4,
  KVM_DEV_TYPE_ARM_VGIC_V2: 5,
  KVM_DEV_TYPE_FLIC: 6,
  KVM_DEV_TYPE_ARM_VGIC_V3: 7,
  KVM_DEV_TYPE_ARM_VGIC_ITS: 8,
  KVM_DEV_TYPE_XIVE: 9,
  KVM_DEV_TYPE_ARM_PV_TIME: 10,
  KVM_DEV_TYPE_RISCV_AIA: 11,
  KVM_DEV_TYPE_LOONGARCH_IPI: 12,
  KVM_DEV_TYPE_LOONGARCH_EIOINTC: 13,
  KVM_DEV_TYPE_LOONGARCH_PCHPIC: 14,
  KVM_DEV_TYPE_MAX: 15,
} as const;

/** KVM_CREATE_DEVICE flags: only bit 0 is defined; kvm_main.c ignores the rest. */
export const KVM_CREATE_DEVICE_TEST = 1;

/** ioctl numbers (x86/arm64/s390 encoding, reference section 1.2). */
export const IOCTL = {
  KVM_CREATE_DEVICE: 0xc00caee0,
  KVM_SET_DEVICE_ATTR: 0x4018aee1,
  KVM_GET_DEVICE_ATTR: 0x4018aee2,
  KVM_HAS_DEVICE_ATTR: 0x4018aee3,
  KVM_CREATE_IRQCHIP: 0xae60,
  KVM_IRQ_LINE: 0x4008ae61,
  KVM_IRQ_LINE_STATUS: 0xc008ae67,
  KVM_SIGNAL_MSI: 0x4020aea5,
  KVM_ARM_SET_DEVICE_ADDR: 0x4010aeab,
  KVM_CREATE_VCPU: 0xae41,
  KVM_RUN: 0xae80,
  KVM_ENABLE_CAP: 0x4068aea3,
} as const;

/** Capabilities (reference section 1.3). */
export const CAP = {
  KVM_CAP_IRQCHIP: 0,
  KVM_CAP_IRQ_INJECT_STATUS: 26,
  KVM_CAP_SIGNAL_MSI: 77,
  KVM_CAP_ARM_SET_DEVICE_ADDR: 88,
  KVM_CAP_DEVICE_CTRL: 89,
  KVM_CAP_IRQ_MPIC: 90,
  KVM_CAP_PPC_RTAS: 91,
  KVM_CAP_IRQ_XICS: 92,
  KVM_CAP_IOAPIC_POLARITY_IGNORED: 97,
  KVM_CAP_S390_IRQCHIP: 99,
  KVM_CAP_VM_ATTRIBUTES: 101,
  KVM_CAP_VCPU_ATTRIBUTES: 127,
  KVM_CAP_S390_AIS: 141,
  KVM_CAP_S390_CMMA_MIGRATION: 145,
  KVM_CAP_S390_AIS_MIGRATION: 150,
  KVM_CAP_ARM_IRQ_LINE_LAYOUT_2: 174,
  KVM_CAP_SYS_ATTRIBUTES: 209,
} as const;

/** ARM VGIC attribute groups (arch/arm64/include/uapi/asm/kvm.h). */
export const VGIC_GRP = {
  KVM_DEV_ARM_VGIC_GRP_ADDR: 0,
  KVM_DEV_ARM_VGIC_GRP_DIST_REGS: 1,
  KVM_DEV_ARM_VGIC_GRP_CPU_REGS: 2,
  KVM_DEV_ARM_VGIC_GRP_NR_IRQS: 3,
  KVM_DEV_ARM_VGIC_GRP_CTRL: 4,
  KVM_DEV_ARM_VGIC_GRP_REDIST_REGS: 5,
  KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS: 6,
  KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO: 7,
  KVM_DEV_ARM_VGIC_GRP_ITS_REGS: 8,
  KVM_DEV_ARM_VGIC_GRP_MAINT_IRQ: 9,
} as const;

/** KVM_DEV_ARM_VGIC_GRP_CTRL attributes. */
export const VGIC_CTRL = {
  KVM_DEV_ARM_VGIC_CTRL_INIT: 0,
  KVM_DEV_ARM_ITS_SAVE_TABLES: 1,
  KVM_DEV_ARM_ITS_RESTORE_TABLES: 2,
  KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES: 3,
  KVM_DEV_ARM_ITS_CTRL_RESET: 4,
} as const;

/** KVM_DEV_ARM_VGIC_GRP_ADDR attributes (address types). */
export const VGIC_ADDR_TYPE = {
  KVM_VGIC_V2_ADDR_TYPE_DIST: 0,
  KVM_VGIC_V2_ADDR_TYPE_CPU: 1,
  KVM_VGIC_V3_ADDR_TYPE_DIST: 2,
  KVM_VGIC_V3_ADDR_TYPE_REDIST: 3,
  KVM_VGIC_ITS_ADDR_TYPE: 4,
  KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION: 5,
} as const;

export const KVM_VGIC_V2_DIST_SIZE = 0x1000;
export const KVM_VGIC_V2_CPU_SIZE = 0x2000;
export const KVM_VGIC_V3_DIST_SIZE = 0x10000;
export const KVM_VGIC_V3_REDIST_SIZE = 0x20000;
export const KVM_VGIC_V3_ITS_SIZE = 0x20000;

/** attr encodings for the register groups. */
export const KVM_DEV_ARM_VGIC_CPUID_SHIFT = 32n;
export const KVM_DEV_ARM_VGIC_CPUID_MASK = 0xffn << 32n;
export const KVM_DEV_ARM_VGIC_V3_MPIDR_SHIFT = 32n;
export const KVM_DEV_ARM_VGIC_V3_MPIDR_MASK = 0xffffffffn << 32n;
export const KVM_DEV_ARM_VGIC_OFFSET_MASK = 0xffffffffn;

/** KVM_ARM_SET_DEVICE_ADDR id fields. */
export const KVM_ARM_DEVICE_TYPE_SHIFT = 0n;
export const KVM_ARM_DEVICE_TYPE_MASK = 0xffffn;
export const KVM_ARM_DEVICE_ID_SHIFT = 16n;
export const KVM_ARM_DEVICE_ID_MASK = 0xffffn << 16n;
export const KVM_ARM_DEVICE_VGIC_V2 = 0;

/** arm64 KVM_IRQ_LINE layout (reference 5.1). */
export const KVM_ARM_IRQ_VCPU2_SHIFT = 28;
export const KVM_ARM_IRQ_VCPU2_MASK = 0xf;
export const KVM_ARM_IRQ_TYPE_SHIFT = 24;
export const KVM_ARM_IRQ_TYPE_MASK = 0xf;
export const KVM_ARM_IRQ_VCPU_SHIFT = 16;
export const KVM_ARM_IRQ_VCPU_MASK = 0xff;
export const KVM_ARM_IRQ_NUM_SHIFT = 0;
export const KVM_ARM_IRQ_NUM_MASK = 0xffff;
export const KVM_ARM_IRQ_TYPE = {
  KVM_ARM_IRQ_TYPE_CPU: 0,
  KVM_ARM_IRQ_TYPE_SPI: 1,
  KVM_ARM_IRQ_TYPE_PPI: 2,
} as const;
export const KVM_ARM_IRQ_CPU_IRQ = 0;
export const KVM_ARM_IRQ_CPU_FIQ = 1;

/** Internal VGIC constants (include/kvm/arm_vgic.h). */
export const VGIC = {
  NR_SGIS: 16,
  NR_PPIS: 16,
  NR_PRIVATE_IRQS: 32,
  MAX_SPI: 1019,
  MAX_RESERVED: 1023,
  MIN_LPI: 8192,
  NR_IRQS_LEGACY: 256,
  V2_MAX_CPUS: 8,
  V3_MAX_CPUS: 512,
  PRI_BITS: 5,
  IMPLEMENTER_ARM: 0x43b,
  PRODUCT_ID_KVM: 0x4b,
  IMP_REV_2: 2,
  IMP_REV_3: 3,
  IMP_REV_LATEST: 3,
  /** spurious INTID returned by IAR when nothing is deliverable. */
  SPURIOUS: 1023,
} as const;

/** All ones: what an unset VGIC base address reads as (VGIC_ADDR_UNDEF). */
export const VGIC_ADDR_UNDEF = 0xffffffffffffffffn;

/** struct kvm_msi flags: the devid field is valid (required by the GICv3 ITS). */
export const KVM_MSI_VALID_DEVID = 1;

/** KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION word (arch/arm64/include/uapi/asm/kvm.h). */
export const KVM_VGIC_V3_RDIST_INDEX_MASK = 0xfffn;
export const KVM_VGIC_V3_RDIST_FLAGS_SHIFT = 12n;
export const KVM_VGIC_V3_RDIST_FLAGS_MASK = 0xfn << 12n;
export const KVM_VGIC_V3_RDIST_BASE_MASK = ((1n << 52n) - 1n) & ~0xffffn;
export const KVM_VGIC_V3_RDIST_COUNT_SHIFT = 52n;
export const KVM_VGIC_V3_RDIST_COUNT_MASK = 0xfffn << 52n;

/** KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO attr fields. */
export const KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT = 10n;
export const KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_MASK = 0x3fffffn << 10n;
export const KVM_DEV_ARM_VGIC_LINE_LEVEL_INTID_MASK = 0x3ffn;
export const VGIC_LEVEL_INFO_LINE_LEVEL = 0;

/** KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS attr: the instruction encoding in bits 15:0. */
export const KVM_DEV_ARM_VGIC_SYSREG_INSTR_MASK = 0xffffn;

/** Encodes a system register as the VGIC attr does: Op0[15:14] Op1[13:11] CRn[10:7] CRm[6:3] Op2[2:0]. */
export function sysregEncoding(op0: number, op1: number, crn: number, crm: number, op2: number): number {
  return (op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2;
}

/**
 * The GICv3 CPU interface system registers (IHI 0069, 12.2), by their spec
 * names, with their encodings. The ones KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS
 * reaches are those of gic_v3_icc_reg_descs[] (vgic-sys-reg-v3.c); the
 * others (IAR, EOIR, HPPIR, DIR, RPR, SGI*R) exist only for the guest.
 */
export const ICC_SYSREG = {
  ICC_PMR_EL1: sysregEncoding(3, 0, 4, 6, 0),
  ICC_IAR0_EL1: sysregEncoding(3, 0, 12, 8, 0),
  ICC_EOIR0_EL1: sysregEncoding(3, 0, 12, 8, 1),
  ICC_HPPIR0_EL1: sysregEncoding(3, 0, 12, 8, 2),
  ICC_BPR0_EL1: sysregEncoding(3, 0, 12, 8, 3),
  ICC_AP0R0_EL1: sysregEncoding(3, 0, 12, 8, 4),
  ICC_AP0R1_EL1: sysregEncoding(3, 0, 12, 8, 5),
  ICC_AP0R2_EL1: sysregEncoding(3, 0, 12, 8, 6),
  ICC_AP0R3_EL1: sysregEncoding(3, 0, 12, 8, 7),
  ICC_AP1R0_EL1: sysregEncoding(3, 0, 12, 9, 0),
  ICC_AP1R1_EL1: sysregEncoding(3, 0, 12, 9, 1),
  ICC_AP1R2_EL1: sysregEncoding(3, 0, 12, 9, 2),
  ICC_AP1R3_EL1: sysregEncoding(3, 0, 12, 9, 3),
  ICC_DIR_EL1: sysregEncoding(3, 0, 12, 11, 1),
  ICC_RPR_EL1: sysregEncoding(3, 0, 12, 11, 3),
  ICC_SGI1R_EL1: sysregEncoding(3, 0, 12, 11, 5),
  ICC_ASGI1R_EL1: sysregEncoding(3, 0, 12, 11, 6),
  ICC_SGI0R_EL1: sysregEncoding(3, 0, 12, 11, 7),
  ICC_IAR1_EL1: sysregEncoding(3, 0, 12, 12, 0),
  ICC_EOIR1_EL1: sysregEncoding(3, 0, 12, 12, 1),
  ICC_HPPIR1_EL1: sysregEncoding(3, 0, 12, 12, 2),
  ICC_BPR1_EL1: sysregEncoding(3, 0, 12, 12, 3),
  ICC_CTLR_EL1: sysregEncoding(3, 0, 12, 12, 4),
  ICC_SRE_EL1: sysregEncoding(3, 0, 12, 12, 5),
  ICC_IGRPEN0_EL1: sysregEncoding(3, 0, 12, 12, 6),
  ICC_IGRPEN1_EL1: sysregEncoding(3, 0, 12, 12, 7),
} as const;

/** GITS_BASER / GICR_*BASER cacheability and shareability field values (include/linux/irqchip/arm-gic-v3.h). */
export const GIC_BASER = {
  CACHE_nCnB: 0n,
  CACHE_SameAsInner: 0n,
  CACHE_nC: 1n,
  CACHE_RaWb: 3n,
  NonShareable: 0n,
  InnerShareable: 1n,
  OuterShareable: 2n,
} as const;

/** ITS command numbers (GITS_CMD_*, IHI 0069 5.3). */
export const GITS_CMD = {
  MOVI: 0x01,
  INT: 0x03,
  CLEAR: 0x04,
  SYNC: 0x05,
  MAPD: 0x08,
  MAPC: 0x09,
  MAPTI: 0x0a,
  MAPI: 0x0b,
  INV: 0x0c,
  INVALL: 0x0d,
  MOVALL: 0x0e,
  DISCARD: 0x0f,
} as const;

/**
 * The name tables of kvm.h's global numberings, used to parse scenarios
 * and decode traces: device types, capabilities, create flags. Attribute
 * groups and attrs are numbered per device (group 1 is the VGIC's
 * DIST_REGS, the MPIC's GRP_MISC, XICS's SOURCES...), so they have no table
 * here: each family declares its names beside its group table and they are
 * resolved through the addressed fd's model (devices/core/names.ts).
 */
export const NAMES = {
  type: DEV_TYPE as Record<string, number>,
  cap: CAP as Record<string, number>,
  flags: { KVM_CREATE_DEVICE_TEST } as Record<string, number>,
  /** Guest system registers the `sysreg` scenario op names (arm64 ICC_*_EL1). */
  sysreg: ICC_SYSREG as Record<string, number>,
  /** KVM_SIGNAL_MSI flags. */
  msiFlags: { KVM_MSI_VALID_DEVID } as Record<string, number>,
} as const;

/** Inverse lookup: the first name with this value in a table, if any. */
export function nameOf(table: Record<string, number>, value: number): string | undefined {
  for (const [k, v] of Object.entries(table)) if (v === value) return k;
  return undefined;
}
