/**
 * The model VFIO-PCI devices a scenario can open: what the host's PCI core
 * would report for each (pci_resource_len and flags of every BAR, the ROM,
 * the capabilities in config space, the interrupt pin, VGA). They are
 * model devices (vendor 0x1b36, the QEMU/Red Hat id, with devrr's own
 * device ids), not copies of real hardware. Each is a PCI Express endpoint
 * (pci_is_pcie), so VFIO_PCI_ERR_IRQ_INDEX exists in every kernel version.
 */

export type BarKind = 'none' | 'mem32' | 'mem64' | 'mem64-upper' | 'io';

export interface BarSpec {
  readonly kind: BarKind;
  /** pci_resource_len: 0 for none and for the upper half of a 64-bit BAR. */
  readonly size: number;
}

export interface MsixSpec {
  /** Table size (PCI_MSIX_FLAGS_QSIZE + 1). */
  readonly vectors: number;
  /** The BAR holding the table and the PBA (PCI_MSIX_TABLE_BIR). */
  readonly bar: number;
  readonly tableOffset: number;
  readonly pbaOffset: number;
}

export interface PciProfile {
  readonly name: string;
  readonly what: string;
  readonly vendor: number;
  readonly device: number;
  /** Class code, 24 bits (0x020000 Ethernet, 0x030000 VGA). */
  readonly classCode: number;
  readonly bars: readonly BarSpec[];
  /** Expansion ROM size, 0 for none. */
  readonly rom: number;
  /** MSI vectors the MSI capability offers (a power of two), 0 without the capability. */
  readonly msiVectors: number;
  readonly msix?: MsixSpec;
  /** PCI_INTERRUPT_PIN: 1 (INTA) or 0 (no INTx). */
  readonly intxPin: number;
  /** vdev->has_vga: a VGA class device decoding the legacy ranges. */
  readonly vga: boolean;
}

/** Config-space layout shared by every profile: capability offsets. */
export const CAP_MSI = 0x50;
export const CAP_MSIX = 0x70;
export const CAP_EXP = 0x90;

export const PCI_PROFILES: Readonly<Record<string, PciProfile>> = {
  nic: {
    name: 'nic',
    what: 'a network function: BAR0 registers, BAR2 I/O ports, BAR3 the MSI-X table and PBA',
    vendor: 0x1b36,
    device: 0x00d0,
    classCode: 0x020000,
    bars: [
      { kind: 'mem32', size: 0x20000 },
      { kind: 'none', size: 0 },
      { kind: 'io', size: 0x20 },
      { kind: 'mem32', size: 0x4000 },
      { kind: 'none', size: 0 },
      { kind: 'none', size: 0 },
    ],
    rom: 0x10000,
    msiVectors: 4,
    msix: { vectors: 8, bar: 3, tableOffset: 0x0, pbaOffset: 0x2000 },
    intxPin: 1,
    vga: false,
  },
  gpu: {
    name: 'gpu',
    what: 'a VGA-class display function: BAR0 registers with the MSI-X table, BAR2-3 a 64-bit framebuffer, BAR5 I/O ports, the legacy VGA ranges',
    vendor: 0x1b36,
    device: 0x00d1,
    classCode: 0x030000,
    bars: [
      { kind: 'mem32', size: 0x1000000 },
      { kind: 'none', size: 0 },
      { kind: 'mem64', size: 0x10000000 },
      { kind: 'mem64-upper', size: 0 },
      { kind: 'none', size: 0 },
      { kind: 'io', size: 0x80 },
    ],
    rom: 0x20000,
    msiVectors: 1,
    msix: { vectors: 4, bar: 0, tableOffset: 0x10000, pbaOffset: 0x11000 },
    intxPin: 1,
    vga: true,
  },
};

export const PROFILE_NAMES = Object.keys(PCI_PROFILES);

/** The device's register file: the first bytes of each BAR hold state; the rest of a BAR reads 0 and ignores writes. */
export const BAR_BACKED = 0x1000;
/** PCI_CFG_SPACE_EXP_SIZE: a PCI Express function's config space (pdev->cfg_size). */
export const CFG_SIZE = 0x1000;
/** The standard header and capabilities the model keeps (extended space reads 0). */
export const CFG_KEPT = 0x100;
