/**
 * The VFIO device fd of a model VFIO-PCI device: vfio_pci_core_ioctl's
 * ioctls (drivers/vfio/pci/vfio_pci_core.c), vfio_set_irqs_validate_and_prepare
 * (drivers/vfio/vfio_main.c), the SET_IRQS handlers of
 * drivers/vfio/pci/vfio_pci_intrs.c, and the region reads and writes of
 * vfio_pci_rw (config space, BARs, ROM, VGA), each in the kernel's order of
 * checks. The device itself raising an interrupt is `raise`: what
 * vfio_intx_handler / vfio_msihandler do with it.
 *
 * Eventfds are reached through the host (the Vm's file table): resolving an
 * fd (eventfd_ctx_fdget) and signalling one (eventfd_signal, which an
 * irqfd turns into an MSI for the VM's irqchip).
 */
import { ERRNO, type Errno } from '../../core/uapi.js';
import {
  MINSZ,
  VFIO_DEVICE_FLAGS_PCI,
  VFIO_DEVICE_FLAGS_RESET,
  VFIO_IRQ_INFO_FLAG,
  VFIO_IRQ_SET_ACTION_TYPE_MASK,
  VFIO_IRQ_SET_DATA_TYPE_MASK,
  VFIO_IRQ_SET_FLAG,
  VFIO_PCI_IRQ,
  VFIO_PCI_NUM_IRQS,
  VFIO_PCI_NUM_REGIONS,
  VFIO_PCI_OFFSET_SHIFT,
  VFIO_PCI_REGION,
  VFIO_REGION_INFO_FLAG,
} from '../uapi.js';
import { CAP_MSI, CAP_MSIX, CFG_KEPT, CFG_SIZE, PCI_PROFILES, type PciProfile } from './profiles.js';
import { backedSize, barFlags, initialPciState, IRQ_NONE, irqCount, type VfioPciState } from './state.js';

const { VFIO_IRQ_SET_DATA_NONE: DATA_NONE, VFIO_IRQ_SET_DATA_BOOL: DATA_BOOL, VFIO_IRQ_SET_DATA_EVENTFD: DATA_EVENTFD } = VFIO_IRQ_SET_FLAG;
const { VFIO_IRQ_SET_ACTION_MASK: ACTION_MASK, VFIO_IRQ_SET_ACTION_UNMASK: ACTION_UNMASK, VFIO_IRQ_SET_ACTION_TRIGGER: ACTION_TRIGGER } = VFIO_IRQ_SET_FLAG;
const { VFIO_PCI_INTX_IRQ_INDEX: INTX, VFIO_PCI_MSI_IRQ_INDEX: MSI, VFIO_PCI_MSIX_IRQ_INDEX: MSIX, VFIO_PCI_ERR_IRQ_INDEX: ERR, VFIO_PCI_REQ_IRQ_INDEX: REQ } = VFIO_PCI_IRQ;
const { VFIO_REGION_INFO_FLAG_READ: F_READ, VFIO_REGION_INFO_FLAG_WRITE: F_WRITE, VFIO_REGION_INFO_FLAG_MMAP: F_MMAP, VFIO_REGION_INFO_FLAG_CAPS: F_CAPS } = VFIO_REGION_INFO_FLAG;
const U32_MAX = 0xffffffff;

/** What signalling an eventfd came to: the fd's slot, and the MSI its irqfd injected, if it has one. */
export interface SignalResult {
  readonly slot: number;
  /** eventfd's count after the signal (an irqfd consumes it: 0). */
  readonly count: number;
  /** The MSI the irqfd injected (kvm_set_msi) and the irqchip's answer. */
  readonly msi?: { readonly address: bigint; readonly data: number; readonly devid: number; readonly flags: number; readonly errno: Errno; readonly ret: number };
}

/** The Vm's side of a VFIO device: its eventfds. */
export interface PciHost {
  /** eventfd_ctx_fdget: the slot of an open eventfd; EBADF for no such fd, EINVAL for another file. */
  eventfd(fd: number): { slot: number } | { errno: Errno };
  /** eventfd_signal on the eventfd in `slot`. */
  signal(slot: number): SignalResult;
}

function profileOf(s: VfioPciState): PciProfile {
  return PCI_PROFILES[s.profile]!;
}

// ---- VFIO_DEVICE_GET_INFO -----------------------------------------------------

export interface DeviceInfo {
  readonly argsz: number;
  readonly flags: number;
  readonly numRegions: number;
  readonly numIrqs: number;
}

/**
 * vfio_pci_ioctl_get_info: argsz below minsz is EINVAL; flags PCI and RESET
 * (reset_works), VFIO_PCI_NUM_REGIONS regions (no device-specific ones),
 * VFIO_PCI_NUM_IRQS irqs; no capabilities (no zPCI, no AtomicOps).
 */
export function getDeviceInfo(_s: VfioPciState, argsz: number): { errno: Errno; info?: DeviceInfo } {
  if (argsz < MINSZ.deviceInfo) return { errno: ERRNO.EINVAL };
  return { errno: 0, info: { argsz, flags: VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET, numRegions: VFIO_PCI_NUM_REGIONS, numIrqs: VFIO_PCI_NUM_IRQS } };
}

// ---- VFIO_DEVICE_GET_REGION_INFO --------------------------------------------

export interface RegionInfo {
  readonly argsz: number;
  readonly flags: number;
  readonly index: number;
  readonly capOffset: number;
  readonly size: bigint;
  readonly offset: bigint;
}

/** The capability chain's size for a region: the MSI-X BAR carries VFIO_REGION_INFO_CAP_MSIX_MAPPABLE (a bare 8-byte header). */
const MSIX_MAPPABLE_CAP = 8;
/** sizeof(struct vfio_region_info). */
const REGION_INFO_SIZE = 32;

/**
 * vfio_pci_ioctl_get_region_info: argsz below minsz is EINVAL; then by
 * index: CONFIG (cfg_size, read/write); a BAR (its length; none: size and
 * flags 0; read/write, mmap for a memory BAR, and the MSI-X BAR's
 * MSIX_MAPPABLE capability); the ROM (read-only, size 0 without one); VGA
 * (0xc0000 bytes, read/write; EINVAL without VGA); any other index EINVAL.
 * A capability that does not fit in argsz makes the answer say the argsz
 * it needs, with cap_offset 0.
 */
export function getRegionInfo(s: VfioPciState, index: number, argsz: number): { errno: Errno; info?: RegionInfo } {
  if (argsz < MINSZ.regionInfo) return { errno: ERRNO.EINVAL };
  const p = profileOf(s);
  const offset = BigInt(index) << VFIO_PCI_OFFSET_SHIFT;
  let size = 0;
  let flags = 0;
  let caps = 0;
  if (index === VFIO_PCI_REGION.VFIO_PCI_CONFIG_REGION_INDEX) {
    size = CFG_SIZE;
    flags = F_READ | F_WRITE;
  } else if (index >= 0 && index <= 5) {
    const bar = p.bars[index]!;
    size = bar.size;
    if (size) {
      flags = F_READ | F_WRITE;
      // bar_mmap_supported: memory BARs of at least a page.
      if (bar.kind !== 'io') {
        flags |= F_MMAP;
        if (p.msix?.bar === index) caps = MSIX_MAPPABLE_CAP;
      }
    }
  } else if (index === VFIO_PCI_REGION.VFIO_PCI_ROM_REGION_INDEX) {
    size = p.rom;
    flags = p.rom ? F_READ : 0;
  } else if (index === VFIO_PCI_REGION.VFIO_PCI_VGA_REGION_INDEX) {
    if (!p.vga) return { errno: ERRNO.EINVAL };
    size = 0xc0000;
    flags = F_READ | F_WRITE;
  } else return { errno: ERRNO.EINVAL };
  let capOffset = 0;
  let outArgsz = argsz;
  if (caps) {
    flags |= F_CAPS;
    if (argsz < REGION_INFO_SIZE + caps) outArgsz = REGION_INFO_SIZE + caps;
    else capOffset = REGION_INFO_SIZE;
  }
  return { errno: 0, info: { argsz: outArgsz, flags, index, capOffset, size: BigInt(size), offset } };
}

// ---- VFIO_DEVICE_GET_IRQ_INFO -------------------------------------------------

export interface IrqInfo {
  readonly argsz: number;
  readonly flags: number;
  readonly index: number;
  readonly count: number;
}

/**
 * vfio_pci_ioctl_get_irq_info: argsz below minsz or index beyond
 * VFIO_PCI_NUM_IRQS is EINVAL; flags EVENTFD, INTx MASKABLE and AUTOMASKED,
 * every other index NORESIZE (no dynamic MSI-X); count from
 * vfio_pci_get_irq_count.
 */
export function getIrqInfo(s: VfioPciState, index: number, argsz: number): { errno: Errno; info?: IrqInfo } {
  if (argsz < MINSZ.irqInfo || index < 0 || index >= VFIO_PCI_NUM_IRQS) return { errno: ERRNO.EINVAL };
  const F = VFIO_IRQ_INFO_FLAG;
  let flags = F.VFIO_IRQ_INFO_EVENTFD;
  if (index === INTX) flags |= F.VFIO_IRQ_INFO_MASKABLE | F.VFIO_IRQ_INFO_AUTOMASKED;
  else flags |= F.VFIO_IRQ_INFO_NORESIZE;
  return { errno: 0, info: { argsz, flags, index, count: irqCount(profileOf(s), index) } };
}

// ---- VFIO_DEVICE_SET_IRQS -------------------------------------------------------

export interface IrqSetHdr {
  readonly argsz: number;
  readonly flags: number;
  readonly index: number;
  readonly start: number;
  readonly count: number;
}

export interface SetIrqsResult {
  readonly errno: Errno;
  /** Eventfds signalled by a DATA_NONE / DATA_BOOL trigger (loopback), in order. */
  readonly signals: SignalResult[];
}

/** The bytes per element of data[] for a data type, or undefined for a bad one. */
function dataSize(flags: number): number | undefined {
  switch (flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
    case DATA_NONE:
      return 0;
    case DATA_BOOL:
      return 1;
    case DATA_EVENTFD:
      return 4;
    default:
      return undefined;
  }
}

/**
 * vfio_pci_ioctl_set_irqs: vfio_set_irqs_validate_and_prepare against the
 * index's count (argsz below minsz, index beyond VFIO_PCI_NUM_IRQS, count
 * overflowing start, unknown flag bits, start or start + count beyond the
 * count, a data type that is not exactly one of NONE/BOOL/EVENTFD, argsz
 * too small for count elements: EINVAL), the data copied in (`data` has
 * fewer elements than count: EFAULT), then vfio_pci_set_irqs_ioctl by index
 * and action (no handler: ENOTTY).
 */
export function setIrqs(host: PciHost, s: VfioPciState, hdr: IrqSetHdr, data: readonly number[]): SetIrqsResult {
  const signals: SignalResult[] = [];
  const fail = (errno: Errno): SetIrqsResult => ({ errno, signals });
  const p = profileOf(s);
  const max = hdr.index >= 0 && hdr.index < VFIO_PCI_NUM_IRQS ? irqCount(p, hdr.index) : 0;
  if (hdr.argsz < MINSZ.irqSet || hdr.index >= VFIO_PCI_NUM_IRQS || hdr.count >= U32_MAX - hdr.start || hdr.flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK | VFIO_IRQ_SET_ACTION_TYPE_MASK)) return fail(ERRNO.EINVAL);
  if (hdr.start >= max || hdr.start + hdr.count > max) return fail(ERRNO.EINVAL);
  const size = dataSize(hdr.flags);
  if (size === undefined) return fail(ERRNO.EINVAL);
  if (size && hdr.argsz - MINSZ.irqSet < hdr.count * size) return fail(ERRNO.EINVAL);
  if (size && data.length < hdr.count) return fail(ERRNO.EFAULT);
  const action = hdr.flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
  const ctx: SetCtx = { host, s, flags: hdr.flags, start: hdr.start, count: hdr.count, data, signals };
  let handler: ((c: SetCtx) => Errno) | undefined;
  switch (hdr.index) {
    case INTX:
      handler = action === ACTION_MASK ? intxMask : action === ACTION_UNMASK ? intxUnmask : action === ACTION_TRIGGER ? intxTrigger : undefined;
      break;
    case MSI:
    case MSIX:
      // "XXX Need masking support exported": MSI and MSI-X have no MASK or UNMASK.
      handler = action === ACTION_TRIGGER ? (c) => msiTrigger(c, hdr.index) : undefined;
      break;
    case ERR:
      handler = action === ACTION_TRIGGER ? (c) => ctxTriggerSingle(c, 'errTrigger') : undefined;
      break;
    case REQ:
      handler = action === ACTION_TRIGGER ? (c) => ctxTriggerSingle(c, 'reqTrigger') : undefined;
      break;
  }
  if (!handler) return fail(ERRNO.ENOTTY);
  return { errno: handler(ctx), signals };
}

interface SetCtx {
  readonly host: PciHost;
  readonly s: VfioPciState;
  readonly flags: number;
  readonly start: number;
  readonly count: number;
  readonly data: readonly number[];
  readonly signals: SignalResult[];
}

const signed32 = (v: number): number => v | 0;

/** vfio_send_intx_eventfd: signal INTx's trigger, if it has one. */
function sendIntx(c: { host: PciHost; s: VfioPciState; signals?: SignalResult[] }): SignalResult | undefined {
  const t = c.s.triggers[0] ?? -1;
  if (c.s.irqType !== INTX || t < 0) return undefined;
  const r = c.host.signal(t);
  c.signals?.push(r);
  return r;
}

/** vfio_pci_set_intx_mask: INTx enabled, start 0, count 1 (else EINVAL); NONE or a true BOOL masks; EVENTFD is ENOTTY ("implement me"). */
function intxMask(c: SetCtx): Errno {
  if (c.s.irqType !== INTX || c.start !== 0 || c.count !== 1) return ERRNO.EINVAL;
  if (c.flags & DATA_NONE) c.s.intxMasked = true;
  else if (c.flags & DATA_BOOL) {
    if (c.data[0]! & 0xff) c.s.intxMasked = true;
  } else if (c.flags & DATA_EVENTFD) return ERRNO.ENOTTY;
  return 0;
}

/**
 * vfio_pci_intx_unmask_handler: a masked INTx whose line the device still
 * asserts stays masked and is signalled again (pci_check_and_unmask_intx
 * fails); otherwise it is unmasked.
 */
function unmaskIntx(c: { host: PciHost; s: VfioPciState; signals?: SignalResult[] }): SignalResult | undefined {
  if (!c.s.intxMasked) return undefined;
  if (c.s.intxLine) return sendIntx(c);
  c.s.intxMasked = false;
  return undefined;
}

/**
 * vfio_pci_set_intx_unmask: INTx enabled, start 0, count 1; NONE or a true
 * BOOL unmasks; EVENTFD sets (fd >= 0) or clears the unmask virqfd
 * (vfio_virqfd_enable: the eventfd first, EBADF or EINVAL, then EBUSY when
 * one is set already).
 */
function intxUnmask(c: SetCtx): Errno {
  if (c.s.irqType !== INTX || c.start !== 0 || c.count !== 1) return ERRNO.EINVAL;
  if (c.flags & DATA_NONE) unmaskIntx(c);
  else if (c.flags & DATA_BOOL) {
    if (c.data[0]! & 0xff) unmaskIntx(c);
  } else if (c.flags & DATA_EVENTFD) {
    const fd = signed32(c.data[0]!);
    if (fd >= 0) {
      const ef = c.host.eventfd(fd);
      if ('errno' in ef) return ef.errno;
      if (c.s.intxUnmask >= 0) return ERRNO.EBUSY;
      c.s.intxUnmask = ef.slot;
      return 0;
    }
    c.s.intxUnmask = -1;
  }
  return 0;
}

function intxDisable(s: VfioPciState): void {
  s.irqType = IRQ_NONE;
  s.triggers = [];
  s.intxMasked = false;
  s.intxUnmask = -1;
}

/**
 * vfio_pci_set_intx_trigger: count 0 with NONE disables an enabled INTx;
 * otherwise INTx or nothing enabled, start 0, count 1 (EINVAL). EVENTFD
 * enables INTx (or replaces its trigger), fd -1 meaning no eventfd; NONE
 * and BOOL signal the trigger (loopback) on an enabled INTx (else EINVAL).
 */
function intxTrigger(c: SetCtx): Errno {
  const s = c.s;
  if (s.irqType === INTX && !c.count && c.flags & DATA_NONE) {
    intxDisable(s);
    return 0;
  }
  if (!(s.irqType === INTX || s.irqType === IRQ_NONE) || c.start !== 0 || c.count !== 1) return ERRNO.EINVAL;
  if (c.flags & DATA_EVENTFD) {
    const fd = signed32(c.data[0]!);
    let slot = -1;
    if (fd >= 0) {
      const ef = c.host.eventfd(fd);
      if ('errno' in ef) return ef.errno;
      slot = ef.slot;
    }
    if (s.irqType === INTX) s.triggers[0] = slot; // vfio_intx_set_signal
    else {
      // vfio_intx_enable: ctx->masked starts as virq_disabled (false).
      s.irqType = INTX;
      s.triggers = [slot];
      s.intxMasked = false;
    }
    return 0;
  }
  if (s.irqType !== INTX) return ERRNO.EINVAL;
  if (c.flags & DATA_NONE) sendIntx(c);
  else if (c.flags & DATA_BOOL && c.data[0]! & 0xff) sendIntx(c);
  return 0;
}

/**
 * vfio_msi_set_vector_signal: drop the vector's context; fd < 0 ends
 * there; a vector beyond those enabled is EINVAL (no dynamic MSI-X:
 * vfio_msi_alloc_irq fails); then eventfd_ctx_fdget (EBADF, EINVAL).
 */
function setVectorSignal(c: SetCtx, vector: number, fd: number): Errno {
  const s = c.s;
  if (vector < s.triggers.length) s.triggers[vector] = -1;
  if (fd < 0) return 0;
  if (vector >= s.triggers.length) return ERRNO.EINVAL;
  const ef = c.host.eventfd(fd);
  if ('errno' in ef) return ef.errno;
  s.triggers[vector] = ef.slot;
  return 0;
}

/** vfio_msi_set_block: each vector in turn; on an error, every vector from start up to the failing one is torn down. */
function setBlock(c: SetCtx): Errno {
  let i = 0;
  let j = c.start;
  let ret: Errno = 0;
  for (; i < c.count && !ret; i++, j++) ret = setVectorSignal(c, j, signed32(c.data[i]!));
  if (ret) for (let k = c.start; k < j; k++) setVectorSignal(c, k, -1);
  return ret;
}

/**
 * vfio_pci_set_msi_trigger: count 0 with NONE disables the enabled index;
 * another index enabled is EINVAL; EVENTFD sets vectors of the enabled
 * index, or enables start + count vectors first (vfio_msi_enable; 0
 * vectors: pci_alloc_irq_vectors' ERANGE) and disables again on an error;
 * NONE and BOOL signal the vectors' triggers (loopback) of the enabled index.
 */
function msiTrigger(c: SetCtx, index: number): Errno {
  const s = c.s;
  if (s.irqType === index && !c.count && c.flags & DATA_NONE) {
    s.irqType = IRQ_NONE;
    s.triggers = [];
    return 0;
  }
  if (!(s.irqType === index || s.irqType === IRQ_NONE)) return ERRNO.EINVAL;
  if (c.flags & DATA_EVENTFD) {
    if (s.irqType === index) return setBlock(c);
    const nvec = c.start + c.count;
    if (nvec === 0) return ERRNO.ERANGE;
    s.irqType = index;
    s.triggers = new Array<number>(nvec).fill(-1);
    const ret = setBlock(c);
    if (ret) {
      s.irqType = IRQ_NONE;
      s.triggers = [];
    }
    return ret;
  }
  if (s.irqType !== index) return ERRNO.EINVAL;
  for (let i = c.start; i < c.start + c.count; i++) {
    const t = s.triggers[i] ?? -1;
    if (t < 0) continue;
    if (c.flags & DATA_NONE || (c.flags & DATA_BOOL && c.data[i - c.start]! & 0xff)) c.signals.push(c.host.signal(t));
  }
  return 0;
}

/**
 * vfio_pci_set_err_trigger / vfio_pci_set_req_trigger: start 0, count at
 * most 1 (EINVAL), then vfio_pci_set_ctx_trigger_single: NONE signals
 * (count 1) or clears (count 0), EINVAL with no eventfd; BOOL needs count
 * 1 and signals on true; EVENTFD needs count 1: fd -1 clears, fd >= 0 sets,
 * anything else EINVAL.
 */
function ctxTriggerSingle(c: SetCtx, which: 'errTrigger' | 'reqTrigger'): Errno {
  const s = c.s;
  if (c.start !== 0 || c.count > 1) return ERRNO.EINVAL;
  if (c.flags & DATA_NONE) {
    if (s[which] < 0) return ERRNO.EINVAL;
    if (c.count) c.signals.push(c.host.signal(s[which]));
    else s[which] = -1;
    return 0;
  }
  if (c.flags & DATA_BOOL) {
    if (!c.count) return ERRNO.EINVAL;
    if (c.data[0]! & 0xff && s[which] >= 0) c.signals.push(c.host.signal(s[which]));
    return 0;
  }
  if (c.flags & DATA_EVENTFD) {
    if (!c.count) return ERRNO.EINVAL;
    const fd = signed32(c.data[0]!);
    if (fd === -1) {
      s[which] = -1;
      return 0;
    }
    if (fd >= 0) {
      const ef = c.host.eventfd(fd);
      if ('errno' in ef) return ef.errno;
      s[which] = ef.slot;
      return 0;
    }
  }
  return ERRNO.EINVAL;
}

/**
 * vfio_pci_core_disable's interrupt part, when the device file is released:
 * vfio_pci_set_irqs_ioctl(DATA_NONE | ACTION_TRIGGER, irq_type, 0, 0) and
 * the ERR and REQ triggers dropped.
 */
export function releaseIrqs(s: VfioPciState): void {
  s.irqType = IRQ_NONE;
  s.triggers = [];
  s.intxMasked = false;
  s.intxUnmask = -1;
  s.errTrigger = -1;
  s.reqTrigger = -1;
}

// ---- VFIO_DEVICE_RESET --------------------------------------------------------

/**
 * vfio_pci_ioctl_reset with reset_works: pci_try_reset_function resets the
 * function and restores its saved config space, so what changes is the
 * device's internal state (its BAR registers, a deasserted INTx line); the
 * interrupt setup of vfio stays.
 */
export function reset(s: VfioPciState): Errno {
  const fresh = initialPciState(s.profile)!;
  s.bars = fresh.bars;
  s.intxLine = false;
  s.resets++;
  return 0;
}

// ---- region reads and writes (vfio_pci_rw) -----------------------------------

export interface RegionAccess {
  readonly errno: Errno;
  /** Bytes read or written (the ssize_t vfio_pci_rw returns). */
  readonly done: number;
  /** What a read read (little-endian, `done` bytes). */
  readonly value: bigint;
}

function getLE(b: Uint8Array, off: number, len: number): bigint {
  let v = 0n;
  for (let i = len - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[off + i] ?? 0);
  return v;
}

function putLE(b: Uint8Array, off: number, len: number, v: bigint): void {
  for (let i = 0; i < len; i++) b[off + i] = Number((v >> BigInt(8 * i)) & 0xffn);
}

/** PCI_COMMAND_MEMORY in the virtual config (__vfio_pci_memory_enabled). */
function memoryEnabled(s: VfioPciState): boolean {
  return (s.config[0x04]! & 0x2) !== 0;
}

/** PCI_COMMAND_MASTER: the function may send memory writes, MSIs among them. */
export function busMaster(s: VfioPciState): boolean {
  return (s.config[0x04]! & 0x4) !== 0;
}

/** The writable bits of each config byte outside the BARs (command, interrupt line, MSI and MSI-X control). */
function cfgWriteMask(p: PciProfile): Uint8Array {
  const m = new Uint8Array(CFG_KEPT);
  m[0x04] = 0x07; // I/O space, memory space, bus master
  m[0x05] = 0x04; // INTx disable
  m[0x3c] = 0xff; // interrupt line
  if (p.msiVectors) {
    m[CAP_MSI + 2] = 0x71; // MSI enable, multiple message enable
    m.fill(0xff, CAP_MSI + 4, CAP_MSI + 0xe); // address (64-bit) and data
  }
  if (p.msix) m[CAP_MSIX + 3] = 0xc0; // MSI-X enable, function mask
  return m;
}
const MASKS = new Map<string, Uint8Array>();
function maskOf(p: PciProfile): Uint8Array {
  let m = MASKS.get(p.name);
  if (!m) MASKS.set(p.name, (m = cfgWriteMask(p)));
  return m;
}

/** A BAR register as vfio_bar_fixup virtualises it: the address bits the size allows, and the BAR's flag bits. */
function barValue(p: PciProfile, i: number, v: number): number {
  const bar = p.bars[i]!;
  if (bar.kind === 'none') return 0;
  if (bar.kind === 'mem64-upper') {
    const lower = p.bars[i - 1]!.size;
    const hiMask = lower > 0x100000000 ? ~(Math.floor((lower - 1) / 0x100000000)) >>> 0 : 0xffffffff;
    return (v & hiMask) >>> 0;
  }
  const low = bar.kind === 'io' ? 0xfffffffc : 0xfffffff0;
  return ((v & ~(bar.size - 1) & low) | barFlags(bar.kind)) >>> 0;
}

/** The ROM BAR: address bits the size allows and the enable bit. */
function romValue(p: PciProfile, v: number): number {
  if (!p.rom) return 0;
  return ((v & ~(p.rom - 1) & 0xfffff800) | (v & 1)) >>> 0;
}

/**
 * vfio_pci_config_rw on the model's config space: reads return the
 * virtual config (extended space reads 0); writes change only the bits the
 * model lets a user write (command, interrupt line, MSI/MSI-X control and
 * the MSI message), and the BARs and ROM BAR as vfio_bar_fixup
 * virtualises them (a write of all ones reads back the size).
 */
function configRw(s: VfioPciState, off: number, len: number, write: boolean, value: bigint): RegionAccess {
  if (off >= CFG_SIZE) return { errno: ERRNO.EINVAL, done: 0, value: 0n };
  const n = Math.min(len, CFG_SIZE - off);
  const p = profileOf(s);
  if (!write) {
    const buf = new Uint8Array(n);
    for (let i = 0; i < n; i++) buf[i] = off + i < CFG_KEPT ? s.config[off + i]! : 0;
    return { errno: 0, done: n, value: getLE(buf, 0, n) };
  }
  const bytes = new Uint8Array(8);
  putLE(bytes, 0, 8, value);
  const mask = maskOf(p);
  const touchedBars = new Set<number>();
  for (let i = 0; i < n; i++) {
    const at = off + i;
    if (at >= CFG_KEPT) continue;
    if ((at >= 0x10 && at < 0x28) || (at >= 0x30 && at < 0x34)) {
      s.config[at] = bytes[i]!;
      touchedBars.add(at & ~3);
      continue;
    }
    s.config[at] = (s.config[at]! & ~mask[at]!) | (bytes[i]! & mask[at]!);
  }
  for (const b of touchedBars) {
    const raw = Number(getLE(s.config, b, 4));
    putLE(s.config, b, 4, BigInt(b === 0x30 ? romValue(p, raw) : barValue(p, (b - 0x10) / 4, raw)));
  }
  return { errno: 0, done: n, value: 0n };
}

/**
 * vfio_pci_bar_rw: an offset at or past the BAR's end is EINVAL, an access
 * crossing it is cut short; a memory BAR with memory decode off in the
 * virtual command register is EIO; the MSI-X table range is not the
 * user's (reads fill 0xff, writes are dropped). The model's register file
 * is the BAR's first BAR_BACKED bytes; beyond, reads 0 and writes vanish.
 */
function barRw(s: VfioPciState, index: number, off: number, len: number, write: boolean, value: bigint): RegionAccess {
  const p = profileOf(s);
  const bar = p.bars[index]!;
  if (off >= bar.size) return { errno: ERRNO.EINVAL, done: 0, value: 0n };
  if (bar.kind !== 'io' && !memoryEnabled(s)) return { errno: ERRNO.EIO, done: 0, value: 0n };
  const n = Math.min(len, bar.size - off);
  const regs = s.bars[index]!;
  const x = p.msix?.bar === index ? { start: p.msix.tableOffset, end: p.msix.tableOffset + p.msix.vectors * 16 } : undefined;
  const inTable = (a: number) => x !== undefined && a >= x.start && a < x.end;
  const bytes = new Uint8Array(8);
  if (write) {
    putLE(bytes, 0, 8, value);
    for (let i = 0; i < n; i++) if (!inTable(off + i) && off + i < backedSize(p, index)) regs[off + i] = bytes[i]!;
    return { errno: 0, done: n, value: 0n };
  }
  for (let i = 0; i < n; i++) bytes[i] = inTable(off + i) ? 0xff : off + i < regs.length ? regs[off + i]! : 0;
  return { errno: 0, done: n, value: getLE(bytes, 0, n) };
}

/** The ROM image: the 0x55 0xAA signature, then zeros. */
function romRead(s: VfioPciState, off: number, len: number): RegionAccess {
  const p = profileOf(s);
  if (off >= p.rom) return { errno: ERRNO.EINVAL, done: 0, value: 0n };
  const n = Math.min(len, p.rom - off);
  const bytes = new Uint8Array(8);
  for (let i = 0; i < n; i++) bytes[i] = off + i === 0 ? 0x55 : off + i === 1 ? 0xaa : 0;
  return { errno: 0, done: n, value: getLE(bytes, 0, n) };
}

/**
 * vfio_pci_vga_rw: EINVAL without VGA; the legacy ranges only (memory
 * 0xa0000-0xbffff, ports 0x3b0-0x3bb and 0x3c0-0x3df), else EINVAL. The
 * model's VGA decodes them and holds nothing: reads 0, writes vanish.
 */
function vgaRw(s: VfioPciState, off: number, len: number): RegionAccess {
  if (!profileOf(s).vga) return { errno: ERRNO.EINVAL, done: 0, value: 0n };
  const end = off + len;
  const inside = (lo: number, hi: number) => off >= lo && end <= hi;
  if (!(inside(0xa0000, 0xc0000) || inside(0x3b0, 0x3bc) || inside(0x3c0, 0x3e0))) return { errno: ERRNO.EINVAL, done: 0, value: 0n };
  return { errno: 0, done: len, value: 0n };
}

/**
 * vfio_pci_rw: the region is the offset's bits 63:40; an index beyond the
 * regions is EINVAL; config, ROM (a write is EINVAL), the BARs and VGA.
 */
export function regionRw(s: VfioPciState, index: number, off: number, len: number, write: boolean, value: bigint): RegionAccess {
  if (index < 0 || index >= VFIO_PCI_NUM_REGIONS) return { errno: ERRNO.EINVAL, done: 0, value: 0n };
  if (index === VFIO_PCI_REGION.VFIO_PCI_CONFIG_REGION_INDEX) return configRw(s, off, len, write, value);
  if (index === VFIO_PCI_REGION.VFIO_PCI_ROM_REGION_INDEX) return write ? { errno: ERRNO.EINVAL, done: 0, value: 0n } : romRead(s, off, len);
  if (index === VFIO_PCI_REGION.VFIO_PCI_VGA_REGION_INDEX) return vgaRw(s, off, len);
  return barRw(s, index, off, len, write, value);
}

// ---- the device raises an interrupt -------------------------------------------

/** What became of an interrupt the device raised. */
export type RaiseOutcome =
  /** The trigger eventfd was signalled (see `signal` for the irqfd's MSI). */
  | 'signalled'
  /** INTx while masked (by SET_IRQS or automasked): pending until unmasked. */
  | 'masked'
  /** vfio has not enabled this index (or this vector): the host interrupt is not requested, the guest will never see it. */
  | 'not-enabled'
  /** The vector is enabled but has no trigger eventfd (fd -1): vfio drops it. */
  | 'no-trigger'
  /** Bus mastering is off in the command register: the function cannot send the MSI write. */
  | 'bus-master-off'
  /** INTx: the line goes low (or was already as asked). */
  | 'lowered'
  | 'unchanged';

export interface RaiseResult {
  readonly errno: Errno;
  readonly outcome: RaiseOutcome;
  readonly signal?: SignalResult;
}

/**
 * The device raises interrupt `vector` of `index` (INTx: asserts its line
 * at `level` 1, deasserts at 0). vfio_intx_handler automasks INTx and
 * signals its trigger; vfio_msihandler signals the vector's trigger. An
 * index or vector the device does not have is EINVAL.
 */
export function raise(host: PciHost, s: VfioPciState, index: number, vector: number, level: number): RaiseResult {
  const p = profileOf(s);
  if (index < 0 || index >= VFIO_PCI_NUM_IRQS || vector < 0 || vector >= irqCount(p, index)) return { errno: ERRNO.EINVAL, outcome: 'unchanged' };
  if (index === INTX) {
    if (!level) {
      const was = s.intxLine;
      s.intxLine = false;
      return { errno: 0, outcome: was ? 'lowered' : 'unchanged' };
    }
    if (s.intxLine) return { errno: 0, outcome: 'unchanged' };
    s.intxLine = true;
    if (s.irqType !== INTX) return { errno: 0, outcome: 'not-enabled' };
    if (s.intxMasked) return { errno: 0, outcome: 'masked' };
    s.intxMasked = true;
    const signal = sendIntx({ host, s });
    return signal ? { errno: 0, outcome: 'signalled', signal } : { errno: 0, outcome: 'no-trigger' };
  }
  let trigger: number;
  if (index === MSI || index === MSIX) {
    if (!busMaster(s)) return { errno: 0, outcome: 'bus-master-off' };
    if (s.irqType !== index || vector >= s.triggers.length) return { errno: 0, outcome: 'not-enabled' };
    trigger = s.triggers[vector]!;
  } else trigger = index === ERR ? s.errTrigger : s.reqTrigger;
  if (trigger < 0) return { errno: 0, outcome: 'no-trigger' };
  return { errno: 0, outcome: 'signalled', signal: host.signal(trigger) };
}
