/**
 * A model VFIO-PCI device's state, as plain data held in its device file's
 * slot of the VM's file table (devices/core/files.ts): its config space, the
 * register file of each BAR, and vfio-pci's interrupt setup
 * (vfio_pci_core_device's irq_type, the per-vector contexts with their
 * trigger eventfds, INTx's mask, the ERR and REQ triggers). Eventfds are
 * named by their index in the file table: vfio holds a reference to the
 * eventfd itself (eventfd_ctx_fdget), not to the fd number.
 */
import { S, sameType, type Infer } from '../../core/state.js';
import { VFIO_PCI_NUM_IRQS } from '../uapi.js';
import { BAR_BACKED, CAP_EXP, CAP_MSI, CAP_MSIX, CFG_KEPT, PCI_PROFILES, type PciProfile, PROFILE_NAMES } from './profiles.js';

/** Most open files a VM's table holds (devices/core/files.ts re-exports it). */
export const MAX_FILES = 64;
/** irq_type when no interrupt is set up (is_irq_none: VFIO_PCI_NUM_IRQS). */
export const IRQ_NONE = VFIO_PCI_NUM_IRQS;
/** The most vectors an index can have (PCI_MSIX_FLAGS_QSIZE + 1). */
export const MAX_VECTORS = 2048;

export interface VfioPciState {
  /** Which model device (profiles.ts). */
  readonly profile: string;
  /** Config space as the user reads it (vfio's virtualised vconfig), the first CFG_KEPT bytes. */
  config: Uint8Array;
  /** Each BAR's register file: min(size, BAR_BACKED) bytes, empty for an absent BAR. */
  bars: Uint8Array[];
  /** vdev->irq_type: VFIO_PCI_*_IRQ_INDEX, or IRQ_NONE. */
  irqType: number;
  /** The INTx/MSI/MSI-X contexts: per vector the file index of its trigger eventfd, -1 for a context without one. Length: the vectors enabled. */
  triggers: number[];
  /** INTx: ctx->masked (automasked when it fired, or masked by SET_IRQS). */
  intxMasked: boolean;
  /** INTx: the device asserts its interrupt line. */
  intxLine: boolean;
  /** INTx: the unmask eventfd (virqfd) file index, -1 for none. */
  intxUnmask: number;
  /** vdev->err_trigger and req_trigger: file indexes, -1 for none. */
  errTrigger: number;
  reqTrigger: number;
  /** VFIO_DEVICE_RESET calls that reset the function. */
  resets: number;
}

const fileRef = S.int(-1, MAX_FILES - 1);

const pciSchema = S.where(
  S.obj({
    profile: S.oneOf(PROFILE_NAMES),
    config: S.typed(Uint8Array, CFG_KEPT),
    bars: S.list(S.typed(Uint8Array), 6, true),
    irqType: S.int(0, IRQ_NONE),
    triggers: S.list(fileRef, MAX_VECTORS),
    intxMasked: S.bool,
    intxLine: S.bool,
    intxUnmask: fileRef,
    errTrigger: fileRef,
    reqTrigger: fileRef,
    resets: S.int(0, Number.MAX_SAFE_INTEGER),
  }),
  (s, p) => {
    const prof = PCI_PROFILES[s.profile]!;
    for (let i = 0; i < 6; i++) if (s.bars[i]!.length !== backedSize(prof, i)) return `${p}.bars[${i}] holds ${s.bars[i]!.length} bytes, not ${backedSize(prof, i)}`;
    const max = s.irqType === IRQ_NONE ? 0 : irqCount(prof, s.irqType);
    if (s.triggers.length > max) return `${p}.triggers has ${s.triggers.length} vectors, more than the ${max} of irq type ${s.irqType}`;
    if (s.irqType === IRQ_NONE && s.triggers.length) return `${p}.triggers is not empty with no interrupt set up`;
    return undefined;
  },
);

export const vfioPciSchema = pciSchema;
export const VFIO_PCI_SCHEMA_MATCHES: true = sameType<Infer<typeof pciSchema>, VfioPciState>();

/** The bytes of BAR `i` the model keeps. */
export function backedSize(p: PciProfile, i: number): number {
  return Math.min(p.bars[i]!.size, BAR_BACKED);
}

/**
 * vfio_pci_get_irq_count: INTx 1 when the function has an interrupt pin;
 * MSI the vectors of its MSI capability; MSI-X its table size; ERR and
 * REQ 1 (ERR on a PCI Express function).
 */
export function irqCount(p: PciProfile, index: number): number {
  switch (index) {
    case 0:
      return p.intxPin ? 1 : 0;
    case 1:
      return p.msiVectors;
    case 2:
      return p.msix?.vectors ?? 0;
    case 3:
    case 4:
      return 1;
    default:
      return 0;
  }
}

function put(b: Uint8Array, off: number, len: number, v: number): void {
  for (let i = 0; i < len; i++) b[off + i] = (v >>> (8 * i)) & 0xff;
}

/** The low flag bits a BAR reads back with (PCI_BASE_ADDRESS_SPACE_IO, MEM_TYPE_64). */
export function barFlags(kind: string): number {
  return kind === 'io' ? 0x1 : kind === 'mem64' ? 0x4 : 0;
}

/** Config space at power-on: the header, the BARs' flag bits, MSI, MSI-X and PCI Express capabilities. */
export function initialConfig(p: PciProfile): Uint8Array {
  const c = new Uint8Array(CFG_KEPT);
  put(c, 0x00, 2, p.vendor);
  put(c, 0x02, 2, p.device);
  put(c, 0x06, 2, 0x0010); // PCI_STATUS_CAP_LIST
  put(c, 0x09, 3, p.classCode);
  for (let i = 0; i < 6; i++) put(c, 0x10 + 4 * i, 4, barFlags(p.bars[i]!.kind));
  put(c, 0x2c, 2, p.vendor);
  put(c, 0x2e, 2, p.device);
  put(c, 0x34, 1, p.msiVectors ? CAP_MSI : p.msix ? CAP_MSIX : CAP_EXP);
  c[0x3d] = p.intxPin;
  let prev = -1;
  const link = (at: number, id: number) => {
    c[at] = id;
    if (prev >= 0) c[prev + 1] = at;
    prev = at;
  };
  if (p.msiVectors) {
    link(CAP_MSI, 0x05);
    // PCI_MSI_FLAGS: 64-bit capable, Multiple Message Capable = log2(vectors).
    put(c, CAP_MSI + 2, 2, 0x80 | (Math.log2(p.msiVectors) << 1));
  }
  if (p.msix) {
    link(CAP_MSIX, 0x11);
    put(c, CAP_MSIX + 2, 2, p.msix.vectors - 1);
    put(c, CAP_MSIX + 4, 4, p.msix.tableOffset | p.msix.bar);
    put(c, CAP_MSIX + 8, 4, p.msix.pbaOffset | p.msix.bar);
  }
  link(CAP_EXP, 0x10);
  put(c, CAP_EXP + 2, 2, 0x0002); // version 2, endpoint
  return c;
}

export function initialPciState(profile: string): VfioPciState | undefined {
  const p = PCI_PROFILES[profile];
  if (!p) return undefined;
  return {
    profile,
    config: initialConfig(p),
    bars: p.bars.map((_, i) => new Uint8Array(backedSize(p, i))),
    irqType: IRQ_NONE,
    triggers: [],
    intxMasked: false,
    intxLine: false,
    intxUnmask: -1,
    errTrigger: -1,
    reqTrigger: -1,
    resets: 0,
  };
}
