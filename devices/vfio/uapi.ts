/**
 * The VFIO family's uapi constants: the KVM-VFIO pseudo device's group and
 * attrs (include/uapi/linux/kvm.h) and the VFIO device fd's ioctl layout
 * (include/uapi/linux/vfio.h, Documentation/driver-api/vfio.rst). Only this
 * family names them (docs/architecture.md, *Names: per device*).
 */
import type { Arch } from '../core/uapi.js';

/** KVM_DEV_VFIO_FILE (1): the file group; KVM_DEV_VFIO_GROUP is its older name. */
export const KVM_DEV_VFIO_FILE = 1;

/** The FILE group's attrs under their current names. */
export const KVM_DEV_VFIO_FILE_ATTRS = {
  KVM_DEV_VFIO_FILE_ADD: 1,
  KVM_DEV_VFIO_FILE_DEL: 2,
  KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE: 3,
} as const;

/** The older names of the same attrs (kvm.h keeps them as aliases of the FILE ones). */
export const KVM_DEV_VFIO_GROUP_ATTRS = {
  KVM_DEV_VFIO_GROUP_ADD: 1,
  KVM_DEV_VFIO_GROUP_DEL: 2,
} as const;

/**
 * CONFIG_SPAPR_TCE_IOMMU per architecture: only powerpc (PPC_POWERNV or
 * PPC_PSERIES, drivers/vfio/Kconfig) builds KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE
 * into virt/kvm/vfio.c; elsewhere the attr is ENXIO like an unknown one.
 */
export const SPAPR_TCE_IOMMU: Readonly<Record<Arch, boolean>> = { arm64: false, x86_64: false, ppc64: true, s390x: false };

/** struct kvm_vfio_spapr_tce: { __s32 groupfd; __s32 tablefd; }. */
export const KVM_VFIO_SPAPR_TCE_SIZE = 8;

// ---- the VFIO device fd (include/uapi/linux/vfio.h) --------------------------

/** enum { VFIO_PCI_BAR0_REGION_INDEX, ..., VFIO_PCI_NUM_REGIONS }. */
export const VFIO_PCI_REGION = {
  VFIO_PCI_BAR0_REGION_INDEX: 0,
  VFIO_PCI_BAR1_REGION_INDEX: 1,
  VFIO_PCI_BAR2_REGION_INDEX: 2,
  VFIO_PCI_BAR3_REGION_INDEX: 3,
  VFIO_PCI_BAR4_REGION_INDEX: 4,
  VFIO_PCI_BAR5_REGION_INDEX: 5,
  VFIO_PCI_ROM_REGION_INDEX: 6,
  VFIO_PCI_CONFIG_REGION_INDEX: 7,
  VFIO_PCI_VGA_REGION_INDEX: 8,
} as const;
export const VFIO_PCI_NUM_REGIONS = 9;

/** enum { VFIO_PCI_INTX_IRQ_INDEX, ..., VFIO_PCI_NUM_IRQS }. */
export const VFIO_PCI_IRQ = {
  VFIO_PCI_INTX_IRQ_INDEX: 0,
  VFIO_PCI_MSI_IRQ_INDEX: 1,
  VFIO_PCI_MSIX_IRQ_INDEX: 2,
  VFIO_PCI_ERR_IRQ_INDEX: 3,
  VFIO_PCI_REQ_IRQ_INDEX: 4,
} as const;
export const VFIO_PCI_NUM_IRQS = 5;

/** VFIO_PCI_INDEX_TO_OFFSET: a region's offset in the device fd is its index << 40 (vfio_pci_priv.h). */
export const VFIO_PCI_OFFSET_SHIFT = 40n;

/** struct vfio_region_info.flags. */
export const VFIO_REGION_INFO_FLAG = {
  VFIO_REGION_INFO_FLAG_READ: 1 << 0,
  VFIO_REGION_INFO_FLAG_WRITE: 1 << 1,
  VFIO_REGION_INFO_FLAG_MMAP: 1 << 2,
  VFIO_REGION_INFO_FLAG_CAPS: 1 << 3,
} as const;

/** struct vfio_irq_info.flags. */
export const VFIO_IRQ_INFO_FLAG = {
  VFIO_IRQ_INFO_EVENTFD: 1 << 0,
  VFIO_IRQ_INFO_MASKABLE: 1 << 1,
  VFIO_IRQ_INFO_AUTOMASKED: 1 << 2,
  VFIO_IRQ_INFO_NORESIZE: 1 << 3,
} as const;

/** struct vfio_irq_set.flags: one data type and one action. */
export const VFIO_IRQ_SET_FLAG = {
  VFIO_IRQ_SET_DATA_NONE: 1 << 0,
  VFIO_IRQ_SET_DATA_BOOL: 1 << 1,
  VFIO_IRQ_SET_DATA_EVENTFD: 1 << 2,
  VFIO_IRQ_SET_ACTION_MASK: 1 << 3,
  VFIO_IRQ_SET_ACTION_UNMASK: 1 << 4,
  VFIO_IRQ_SET_ACTION_TRIGGER: 1 << 5,
} as const;
export const VFIO_IRQ_SET_DATA_TYPE_MASK = 0x7;
export const VFIO_IRQ_SET_ACTION_TYPE_MASK = 0x38;

/** struct vfio_device_info.flags. */
export const VFIO_DEVICE_FLAGS_RESET = 1 << 0;
export const VFIO_DEVICE_FLAGS_PCI = 1 << 1;

/** offsetofend of the fields each ioctl reads first (minsz). */
export const MINSZ = {
  /** struct vfio_device_info up to num_irqs. */
  deviceInfo: 24,
  /** struct vfio_region_info up to offset. */
  regionInfo: 32,
  /** struct vfio_irq_info up to count. */
  irqInfo: 16,
  /** struct vfio_irq_set up to count (the data[] follows). */
  irqSet: 20,
} as const;

/** A name for a number in one of these tables, or undefined. */
export function constName(table: Readonly<Record<string, number>>, v: number): string | undefined {
  for (const [k, n] of Object.entries(table)) if (n === v) return k;
  return undefined;
}
