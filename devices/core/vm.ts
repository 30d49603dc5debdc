/**
 * The Vm: the one way into the device models. Its methods are the ioctls of
 * the KVM device-control API plus the guest events that reach devices, with
 * the generic checks of virt/kvm/kvm_main.c done here in the kernel's order;
 * what the architecture decides comes from its ArchRules (devices/arch/),
 * everything device-specific from the device model. Every method returns
 * an errno (0 = success) as the ioctl would; none throws for a misuse.
 */
import { ARCH_RULES } from '../arch/index.js';
import type { ArchRules, ArchVm, FdAttrRules } from './arch.js';
import { type AttrGroup, type AttrOutcome, type DeviceKernel, type DeviceModel, type MmioFrame, type MmioHandler, MMIO_EXIT, MMIO_EXIT64, type MsiRequest, type OneRegDecl, type PortRange, type UserBuf } from './device.js';
import { fdOfSlot, type IrqfdRoute, MAX_FILES, type OpenFile, slotOfFd } from './files.js';
import { inGuestRam, readGuest, writeGuest } from './guest-mem.js';
import * as vfioPci from '../vfio/pci/device.js';
import { initialPciState } from '../vfio/pci/state.js';
import { cloneState, digestState } from './state.js';
import type { VmState } from './vm-state.js';
import { type Arch, ERRNO, type Errno, KVM_CREATE_DEVICE_TEST, DEV_TYPE, KVM_MSI_VALID_DEVID } from './uapi.js';

/** Per-architecture generic limits (KVM_MAX_VCPU_IDS and the default kvm->max_vcpus), from each arch's rules. */
export const ARCH_LIMITS: Record<Arch, { maxVcpuIds: number; defaultMaxVcpus: number }> = Object.fromEntries(
  Object.values(ARCH_RULES).map((r) => [r.arch, { maxVcpuIds: r.maxVcpuIds, defaultMaxVcpus: r.defaultMaxVcpus }]),
) as Record<Arch, { maxVcpuIds: number; defaultMaxVcpus: number }>;

/** What an attribute ioctl's fd resolved to: the groups there and how the fd answers the rest. */
interface AttrTarget {
  readonly groups: readonly AttrGroup<any>[];
  readonly state: unknown;
  /** The errno when the fd has no handler for this ioctl (a device op missing: EPERM; an arch ioctl missing: its default). */
  missing(op: 'set' | 'get' | 'has'): Errno;
  /** The errno of a group the fd does not have for this ioctl (the group switch's default). */
  unknownGroup(op: 'set' | 'get' | 'has'): Errno;
}

/** What a VMM opens (Vm.openFile): a plain file, an eventfd, a VFIO group (/dev/vfio/N) or a model VFIO-PCI device's fd. */
export type FileSpec =
  | { readonly kind: 'plain' }
  | { readonly kind: 'eventfd' }
  | { readonly kind: 'vfio_group'; readonly group: number; readonly coherent?: boolean }
  | { readonly kind: 'vfio_device'; readonly profile: string; readonly coherent?: boolean };

/** A VFIO device fd's ioctl, as Vm.vfioIoctl takes it. */
export type VfioIoctl =
  | { readonly op: 'get_info'; readonly argsz: number }
  | { readonly op: 'get_region_info'; readonly index: number; readonly argsz: number }
  | { readonly op: 'get_irq_info'; readonly index: number; readonly argsz: number }
  | { readonly op: 'set_irqs'; readonly hdr: vfioPci.IrqSetHdr; readonly data: readonly number[] }
  | { readonly op: 'reset' };

export interface VfioIoctlResult {
  readonly errno: Errno;
  readonly deviceInfo?: vfioPci.DeviceInfo;
  readonly regionInfo?: vfioPci.RegionInfo;
  readonly irqInfo?: vfioPci.IrqInfo;
  /** Eventfds a SET_IRQS loopback trigger signalled. */
  readonly signals?: readonly vfioPci.SignalResult[];
}

/** Which device models exist, by KVM_DEV_TYPE value. */
export type DeviceRegistry = ReadonlyMap<number, DeviceModel<any>>;

/** The fd an attribute ioctl is issued on. */
export type AttrFd = { kind: 'vm' } | { kind: 'vcpu'; id: number } | { kind: 'device'; handle: number };

interface BusEntry<F = MmioFrame> {
  readonly start: number;
  readonly end: number;
  readonly handle: number;
  readonly frame: F;
  readonly model: DeviceModel<any>;
  /** model.kernel, one load less on the access path. */
  readonly kernel: DeviceKernel<any>;
}

/** An access resolved to its device and register (Vm.mmioResolve): call handler(vm, state, index, value). */
export interface ResolvedMmio {
  readonly handler: MmioHandler<unknown>;
  /** The device's state object. */
  readonly state: unknown;
  /** The accessing vcpu's index. */
  readonly index: number;
}

/** Result of a guest MMIO access. */
export interface MmioResult {
  /** KVM_RUN's errno when this access was the vcpu's first run and entering failed. */
  errno: Errno;
  /** No device claims the address: KVM_EXIT_MMIO to the VMM. */
  exit: boolean;
  value: bigint;
}

export class Vm implements ArchVm {
  state: VmState;
  private bus: BusEntry[] | null = null;
  /** Counts layouts (invalidateBus): a resolution made under another count is stale. */
  layout = 0;
  /** The in-kernel irqchip's irqLine hook (null: it has none), until the layout changes. */
  private irqchipLine: DeviceKernel<any>['irqLine'] | null | undefined;
  /** The port bus (KVM_PIO_BUS), rebuilt with the MMIO bus. */
  private portBus: BusEntry<PortRange>[] | null = null;
  /** vcpu id -> index + 1 (0: no such vcpu); ids are below the arch's KVM_MAX_VCPU_IDS. Derived from state. */
  private vcpuIndex: Int32Array;
  /** The architecture's rules (devices/arch/). */
  readonly rules: ArchRules;

  constructor(
    readonly registry: DeviceRegistry,
    arch: Arch,
    ipaBits: number,
  ) {
    this.rules = ARCH_RULES[arch];
    this.state = {
      arch,
      ipaBits,
      maxVcpus: this.rules.defaultMaxVcpus,
      vcpus: [],
      devices: [],
      irqchip: -1,
      dead: false,
    };
    // kvm_arch_init_vm's arch part.
    if (this.rules.archState) this.state.archState = this.rules.archState.initial(ipaBits);
    this.vcpuIndex = new Int32Array(this.rules.maxVcpuIds);
  }

  // ---- VmCtx --------------------------------------------------------------

  vcpuIndexById(id: number): number {
    return id >= 0 && id < this.vcpuIndex.length ? this.vcpuIndex[id]! - 1 : -1;
  }

  anyVcpuRan(): boolean {
    return this.state.vcpus.some((v) => v.ran);
  }

  deviceState<T>(handle: number): T {
    return this.state.devices[handle]!.state as T;
  }

  /**
   * Drops what is derived from the layout (the buses) and counts a new
   * layout: whatever the replay backend resolved ahead for this VM
   * (mmioResolve) is dropped with it. Every change of which device claims
   * which address, of a vcpu's first run, of the VM's death, and every
   * device-control call (conservatively) comes through here.
   */
  invalidateBus(): void {
    this.bus = null;
    this.portBus = null;
    this.irqchipLine = undefined;
    this.layout++;
  }

  frameOwner(addr: number): { handle: number; kind: number } | undefined {
    const b = this.findBus(addr, 1);
    return b && { handle: b.handle, kind: b.frame.kind };
  }


  modelOf(handle: number): DeviceModel<any> {
    const m = this.registry.get(this.state.devices[handle]!.type);
    if (!m) throw new Error(`devrr bug: device ${handle} has an unregistered type`);
    return m;
  }

  // ---- snapshot -------------------------------------------------------------

  snapshot(): VmState {
    return cloneState(this.state);
  }

  restore(state: VmState): void {
    this.state = cloneState(state);
    this.vcpuIndex = new Int32Array(this.rules.maxVcpuIds);
    this.state.vcpus.forEach((v, i) => (this.vcpuIndex[v.id] = i + 1));
    this.invalidateBus();
  }

  digest(): string {
    return digestState(this.state);
  }

  // ---- ioctls -------------------------------------------------------------

  /** KVM_CREATE_VCPU (kvm_vm_ioctl_create_vcpu, then the arch and device hooks). */
  createVcpu(id: number): Errno {
    if (this.state.dead) return ERRNO.EIO;
    if (!Number.isInteger(id) || id < 0 || id >= this.rules.maxVcpuIds) return ERRNO.EINVAL;
    if (this.state.vcpus.length >= this.state.maxVcpus) return ERRNO.EINVAL;
    // kvm_arch_vcpu_precreate: the in-kernel irqchip's part first (arm64: EBUSY once the VGIC is
    // initialised), then the arch's own rules.
    if (this.state.irqchip >= 0) {
      const m = this.modelOf(this.state.irqchip);
      const e = m.kernel.vcpuPrecreate?.(this, this.state.devices[this.state.irqchip]!.state, id) ?? 0;
      if (e) return e;
    }
    const e = this.rules.vcpuPrecreate(this, id);
    if (e) return e;
    if (this.vcpuIndex[id]) return ERRNO.EEXIST;
    const index = this.state.vcpus.length;
    this.state.vcpus.push({ id, ran: false });
    this.vcpuIndex[id] = index + 1;
    this.state.devices.forEach((d, h) => this.modelOf(h).kernel.vcpuCreated?.(this, d.state, index));
    this.invalidateBus();
    return 0;
  }

  /** KVM_CREATE_DEVICE, in kvm_ioctl_create_device's step order (reference 1.5). */
  createDevice(type: number, flags: number): { errno: Errno; handle: number } {
    if (this.state.dead) return { errno: ERRNO.EIO, handle: -1 };
    const model = type >= 0 && type < DEV_TYPE.KVM_DEV_TYPE_MAX ? this.registry.get(type) : undefined;
    if (!model || !model.arches.includes(this.state.arch)) return { errno: ERRNO.ENODEV, handle: -1 };
    // Only bit 0 is looked at; other flag bits are silently ignored.
    if (flags & KVM_CREATE_DEVICE_TEST) return { errno: 0, handle: -1 };
    return this.addDevice(type);
  }

  /**
   * A device the VM itself creates (KVM_CREATE_DEVICE after its checks, or
   * KVM_CREATE_IRQCHIP's irqchip): ops->create, then its slot. ENODEV when
   * devrr has no model of that type.
   */
  addDevice(type: number): { errno: Errno; handle: number } {
    const model = this.registry.get(type);
    if (!model || !model.arches.includes(this.state.arch)) return { errno: ERRNO.ENODEV, handle: -1 };
    const r = model.kernel.create(this);
    if (r.errno) return { errno: r.errno, handle: -1 };
    const handle = this.state.devices.length;
    this.state.devices.push({ type, state: r.state });
    if (model.isIrqchip) this.state.irqchip = handle;
    this.invalidateBus();
    return { errno: 0, handle };
  }

  /** KVM_CREATE_IRQCHIP: the architecture's answer (kvm_arch_vm_ioctl). */
  createIrqchip(): Errno {
    if (this.state.dead) return ERRNO.EIO;
    return this.rules.createIrqchip(this);
  }

  /** KVM_SET_DEVICE_ATTR. */
  setAttr(fd: AttrFd, group: number, attr: bigint, buf: UserBuf): Errno {
    const t = this.resolveFd(fd);
    if (typeof t === 'number') return t;
    const missing = t.missing('set');
    if (missing) return missing;
    const g = findIn(t.groups, group);
    if (!g?.set) return t.unknownGroup('set');
    const e = g.set(this, t.state, attr, buf);
    this.invalidateBus();
    return e;
  }

  /** KVM_GET_DEVICE_ATTR. A read that succeeded into a NULL buffer faults at put_user (EFAULT). */
  getAttr(fd: AttrFd, group: number, attr: bigint, buf: UserBuf): AttrOutcome {
    const t = this.resolveFd(fd);
    if (typeof t === 'number') return { errno: t };
    const missing = t.missing('get');
    if (missing) return { errno: missing };
    const g = findIn(t.groups, group);
    if (!g?.get) return { errno: t.unknownGroup('get') };
    const r = g.get(this, t.state, attr, buf);
    this.invalidateBus();
    // Only a read that wrote something faults (FLIC GET_ALL_IRQS with nothing pending copies nothing).
    if (r.errno === 0 && buf.nullPtr && (r.value !== undefined || r.data !== undefined)) return { errno: ERRNO.EFAULT };
    return r;
  }

  /** KVM_HAS_DEVICE_ATTR: attr.addr is ignored. */
  hasAttr(fd: AttrFd, group: number, attr: bigint): Errno {
    const t = this.resolveFd(fd);
    if (typeof t === 'number') return t;
    const missing = t.missing('has');
    if (missing) return missing;
    const g = findIn(t.groups, group);
    if (!g) return t.unknownGroup('has');
    return g.has(this, t.state, attr);
  }

  /**
   * Resolves the fd of an attribute ioctl. A device fd reaches its model's
   * groups (kvm_device_ioctl_attr: a missing accessor is EPERM). The VM fd
   * and a vcpu fd reach the architecture's groups there
   * (kvm_arch_vm_ioctl / kvm_arch_vcpu_ioctl): an ioctl the arch does not
   * handle on that fd is its default errno, a group it does not have is the
   * group switch's default.
   */
  private resolveFd(fd: AttrFd): AttrTarget | Errno {
    if (this.state.dead) return ERRNO.EIO;
    if (fd.kind === 'device') {
      const d = this.state.devices[fd.handle];
      if (!d || d.closed) return ERRNO.EBADF;
      const model = this.modelOf(fd.handle);
      const k = model.kernel;
      const unknown = k.unknownGroupErrno ?? ERRNO.ENXIO;
      return { groups: k.groups, state: d.state, missing: (op) => (k.ops[op] ? 0 : ERRNO.EPERM), unknownGroup: (op) => (typeof unknown === 'number' ? unknown : unknown[op]) };
    }
    if (fd.kind === 'vcpu' && this.vcpuIndexById(fd.id) < 0) return ERRNO.EBADF;
    const rules: FdAttrRules = fd.kind === 'vm' ? this.rules.vmAttrs : this.rules.vcpuAttrs;
    const fallback = fd.kind === 'vm' ? this.rules.vmIoctlDefault : this.rules.vcpuIoctlDefault;
    return { groups: rules.groups, state: this.state, missing: (op) => (rules.handles[op] ? 0 : fallback), unknownGroup: () => rules.unknownGroup };
  }

  // ---- device fds and the file table (files.ts) ------------------------------

  /**
   * close() of a device fd (kvm_device_release): with ops->release the
   * device leaves kvm->devices and is freed (KVM-VFIO: a new one may be
   * created); without, it stays on the VM. Either way the fd is gone
   * (EBADF for every later call on it).
   */
  closeDevice(handle: number): Errno {
    const d = this.state.devices[handle];
    if (!d || d.closed) return ERRNO.EBADF;
    this.modelOf(handle).kernel.release?.(this, d.state);
    d.closed = true;
    this.invalidateBus();
    return 0;
  }

  /**
   * An ioctl on a device fd that is not one of the attribute ioctls (KVM_RUN
   * issued there, say): kvm_device_ioctl passes it to ops->ioctl, and no
   * modelled device has one: ENOTTY. EBADF for a closed or unknown fd.
   */
  deviceOtherIoctl(handle: number): Errno {
    const d = this.state.devices[handle];
    if (!d || d.closed) return ERRNO.EBADF;
    return ERRNO.ENOTTY;
  }

  /**
   * The VMM opens a file: the next slot of the table, fd FILE_FD_BASE +
   * slot. EMFILE when the table is full (MAX_FILES); a VFIO group already
   * open is EBUSY (vfio_group_fops_open: one opener at a time); a device
   * profile devrr does not model is ENODEV.
   */
  openFile(spec: FileSpec): { errno: Errno; fd: number } {
    const files = this.state.files ?? [];
    if (files.length >= MAX_FILES) return { errno: ERRNO.EMFILE, fd: -1 };
    let f: OpenFile;
    switch (spec.kind) {
      case 'plain':
        f = { kind: 'plain', open: true };
        break;
      case 'eventfd':
        f = { kind: 'eventfd', open: true, count: 0 };
        break;
      case 'vfio_group':
        if (!Number.isInteger(spec.group) || spec.group < 0 || spec.group > 0xffff) return { errno: ERRNO.ENOENT, fd: -1 };
        if (files.some((x) => x.kind === 'vfio_group' && x.open && x.group === spec.group)) return { errno: ERRNO.EBUSY, fd: -1 };
        f = { kind: 'vfio_group', open: true, group: spec.group, coherent: spec.coherent ?? true, kvm: false };
        break;
      case 'vfio_device': {
        const pci = initialPciState(spec.profile);
        if (!pci) return { errno: ERRNO.ENODEV, fd: -1 };
        f = { kind: 'vfio_device', open: true, coherent: spec.coherent ?? true, kvm: false, pci };
        break;
      }
    }
    files.push(f);
    this.state.files = files;
    return { errno: 0, fd: fdOfSlot(files.length - 1) };
  }

  /** close() of a file-table fd: EBADF if it is not open; the file goes when nothing holds it (fileReleased). */
  closeFile(fd: number): Errno {
    const slot = slotOfFd(this.state.files, fd);
    if (slot < 0) return ERRNO.EBADF;
    this.state.files![slot]!.open = false;
    this.fileReleased(slot);
    return 0;
  }

  /** The file in `slot` lost a holder: with its fd closed and no KVM-VFIO device listing it, it is released (vfio_pci_core_close_device). */
  fileReleased(slot: number): void {
    const f = this.state.files?.[slot];
    if (!f || f.open) return;
    const held = this.state.devices.some((d) => d.type === DEV_TYPE.KVM_DEV_TYPE_VFIO && !d.closed && (d.state as { files: number[] }).files.includes(slot));
    if (held) return;
    if (f.kind === 'vfio_device') vfioPci.releaseIrqs(f.pci);
  }

  /**
   * KVM_IRQFD for an eventfd whose GSI routes to an MSI (KVM_SET_GSI_ROUTING's
   * MSI entry and KVM_IRQFD in one): `route` assigns, undefined deassigns.
   * fdget (EBADF), eventfd_ctx_fileget (EINVAL); assigning an eventfd that
   * already has an irqfd is EBUSY; deassigning one that has none is 0. An
   * eventfd that was signalled before is injected at once (irqfd_assign
   * polls it), which is returned.
   */
  irqfd(fd: number, route: IrqfdRoute | undefined): { errno: Errno; signal?: vfioPci.SignalResult } {
    if (this.state.dead) return { errno: ERRNO.EIO };
    const slot = slotOfFd(this.state.files, fd);
    if (slot < 0) return { errno: ERRNO.EBADF };
    const f = this.state.files![slot]!;
    if (f.kind !== 'eventfd') return { errno: ERRNO.EINVAL };
    if (!route) {
      delete f.route;
      return { errno: 0 };
    }
    if (f.route) return { errno: ERRNO.EBUSY };
    // kvm_set_routing_entry: an MSI entry's flags may only say KVM_MSI_VALID_DEVID.
    if (route.flags & ~KVM_MSI_VALID_DEVID) return { errno: ERRNO.EINVAL };
    f.route = { address: BigInt.asUintN(64, route.address), data: route.data >>> 0, flags: route.flags, devid: route.devid >>> 0 };
    if (f.count > 0) {
      f.count = 0;
      return { errno: 0, signal: { slot, count: 0, msi: this.injectIrqfd(f.route) } };
    }
    return { errno: 0 };
  }

  /** irqfd_inject for an MSI route: kvm_set_msi through the irqchip, as KVM_SIGNAL_MSI reaches it (devid valid when the route gives one). */
  private injectIrqfd(r: IrqfdRoute): NonNullable<vfioPci.SignalResult['msi']> {
    const out = this.signalMsi({ address: r.address, data: r.data, flags: r.flags, devid: r.devid });
    return { address: r.address, data: r.data, devid: r.devid, flags: r.flags, ...out };
  }

  /** The Vm as a VFIO device's host: its eventfds. */
  private readonly pciHost: vfioPci.PciHost = {
    eventfd: (fd) => {
      const slot = slotOfFd(this.state.files, fd);
      if (slot < 0) return { errno: ERRNO.EBADF };
      return this.state.files![slot]!.kind === 'eventfd' ? { slot } : { errno: ERRNO.EINVAL };
    },
    // eventfd_signal: an irqfd consumes the count and injects; otherwise the count grows for the VMM to read.
    signal: (slot) => {
      const f = this.state.files![slot]!;
      if (f.kind !== 'eventfd') throw new Error(`devrr bug: file ${slot} is signalled but is a ${f.kind}`);
      if (f.route) return { slot, count: 0, msi: this.injectIrqfd(f.route) };
      f.count = Math.min(f.count + 1, Number.MAX_SAFE_INTEGER);
      return { slot, count: f.count };
    },
  };

  /** The VFIO device state behind an fd: EBADF for no such fd, ENOTTY for a file that is not a VFIO device (its ioctl does not know VFIO_DEVICE_*). */
  private vfioDevice(fd: number): Extract<OpenFile, { kind: 'vfio_device' }> | Errno {
    const slot = slotOfFd(this.state.files, fd);
    if (slot < 0) return ERRNO.EBADF;
    const f = this.state.files![slot]!;
    return f.kind === 'vfio_device' ? f : ERRNO.ENOTTY;
  }

  /** An ioctl on a VFIO device fd (vfio_pci_core_ioctl). */
  vfioIoctl(fd: number, req: VfioIoctl): VfioIoctlResult {
    const f = this.vfioDevice(fd);
    if (typeof f === 'number') return { errno: f };
    switch (req.op) {
      case 'get_info': {
        const r = vfioPci.getDeviceInfo(f.pci, req.argsz);
        return r.info ? { errno: r.errno, deviceInfo: r.info } : { errno: r.errno };
      }
      case 'get_region_info': {
        const r = vfioPci.getRegionInfo(f.pci, req.index, req.argsz);
        return r.info ? { errno: r.errno, regionInfo: r.info } : { errno: r.errno };
      }
      case 'get_irq_info': {
        const r = vfioPci.getIrqInfo(f.pci, req.index, req.argsz);
        return r.info ? { errno: r.errno, irqInfo: r.info } : { errno: r.errno };
      }
      case 'set_irqs':
        return vfioPci.setIrqs(this.pciHost, f.pci, req.hdr, req.data);
      case 'reset':
        return { errno: vfioPci.reset(f.pci) };
    }
  }

  /** pread/pwrite of `len` bytes at `offset` in region `index` of a VFIO device fd (vfio_pci_rw). */
  vfioRegionRw(fd: number, index: number, offset: number, len: number, write: boolean, value: bigint): vfioPci.RegionAccess {
    const f = this.vfioDevice(fd);
    if (f === ERRNO.ENOTTY) return { errno: ERRNO.EINVAL, done: 0, value: 0n };
    if (typeof f === 'number') return { errno: f, done: 0, value: 0n };
    return vfioPci.regionRw(f.pci, index, offset, len, write, value);
  }

  /** The VFIO device behind `fd` raises an interrupt (its hardware, not an ioctl): see vfio/pci/device.ts `raise`. */
  vfioRaise(fd: number, index: number, vector: number, level: number): vfioPci.RaiseResult {
    const f = this.vfioDevice(fd);
    if (typeof f === 'number') return { errno: f, outcome: 'unchanged' };
    return vfioPci.raise(this.pciHost, f.pci, index, vector, level);
  }

  /** The legacy KVM_ARM_SET_DEVICE_ADDR: the arch's rule (arm64), else kvm_arch_vm_ioctl's default. */
  armSetDeviceAddr(id: bigint, addr: bigint): Errno {
    if (this.state.dead) return ERRNO.EIO;
    return this.rules.setDeviceAddr ? this.rules.setDeviceAddr(this, id, addr) : this.rules.vmIoctlDefault;
  }

  /**
   * KVM_RUN entered and left with no guest access. The first run of a vcpu
   * runs kvm_arch_vcpu_run_pid_change; only if that succeeds does the vcpu
   * count as having run (vcpu->pid is assigned after it).
   */
  runVcpu(id: number): Errno {
    if (this.state.dead) return ERRNO.EIO;
    const index = this.vcpuIndexById(id);
    if (index < 0) return ERRNO.EBADF;
    const v = this.state.vcpus[index]!;
    if (v.ran) return 0;
    const e = this.rules.firstRun(this, index);
    if (e) {
      this.invalidateBus(); // a failed first run can kill the VM (kvm_vm_dead)
      return e;
    }
    v.ran = true;
    this.invalidateBus();
    return 0;
  }

  /**
   * KVM_IRQ_LINE: the in-kernel irqchip decodes the architecture's encoding;
   * without one the arch rule answers; an arch without the ioctl gives its
   * VM ioctl default.
   */
  irqLine(irq: number, level: number): Errno {
    if (this.state.dead) return ERRNO.EIO;
    if (!this.rules.irqLine.ioctl) return this.rules.vmIoctlDefault;
    const ic = this.state.irqchip;
    if (ic >= 0) {
      // The irqchip's line hook, found once per layout (replay calls this for every KVM_IRQ_LINE).
      const line = this.irqchipLine ?? (this.irqchipLine = this.modelOf(ic).kernel.irqLine ?? null);
      if (line) return line(this, this.state.devices[ic]!.state, irq >>> 0, level >>> 0);
    }
    return this.rules.irqLine.withoutIrqchip(this, irq >>> 0, level >>> 0);
  }

  /**
   * KVM_IRQ_LINE_STATUS (kvm_vm_ioctl, then kvm_vm_ioctl_irq_line with
   * line_status): KVM_IRQ_LINE's errno and the status written back. An
   * irqchip that reports a status gives it (x86: kvm_set_irq's sum); one that
   * does not leaves the field as the input had it, the irq (they share a union).
   */
  irqLineStatus(irq: number, level: number): { errno: Errno; status: number } {
    const ic = this.state.irqchip;
    if (!this.state.dead && this.rules.irqLine.ioctl && ic >= 0) {
      const m = this.modelOf(ic);
      if (m.kernel.irqLineStatus) return m.kernel.irqLineStatus(this, this.state.devices[ic]!.state, irq >>> 0, level >>> 0);
    }
    const errno = this.irqLine(irq, level);
    return { errno, status: errno ? 0 : irq | 0 };
  }

  /** The in-kernel irqchip and its model, when it has the hook asked for. */
  private irqchipWith<K extends keyof DeviceKernel<unknown>>(hook: K): { kernel: DeviceKernel<any>; state: unknown } | undefined {
    const ic = this.state.irqchip;
    if (ic < 0) return undefined;
    const kernel = this.modelOf(ic).kernel;
    return kernel[hook] ? { kernel, state: this.state.devices[ic]!.state } : undefined;
  }

  /**
   * KVM_GET_IRQCHIP (kvm_arch_vm_ioctl): the arch's default where it has no
   * such ioctl, ENXIO without an in-kernel irqchip that has the chips
   * (irqchip_kernel), then the chip's state (EINVAL for an unknown chip id).
   */
  getIrqchip(chip: number): { errno: Errno; data: Uint8Array } {
    const none = new Uint8Array(0);
    if (this.state.dead) return { errno: ERRNO.EIO, data: none };
    if (!this.rules.irqchipStateIoctls) return { errno: this.rules.vmIoctlDefault, data: none };
    const ic = this.irqchipWith('getIrqchip');
    if (!ic) return { errno: ERRNO.ENXIO, data: none };
    const r = ic.kernel.getIrqchip!(this, ic.state, chip >>> 0);
    return { errno: r.errno, data: r.errno ? none : (r.data ?? none) };
  }

  /** KVM_SET_IRQCHIP: as getIrqchip's checks, then the chip takes `data` (the union's bytes, zero-padded). */
  setIrqchip(chip: number, data: Uint8Array): Errno {
    if (this.state.dead) return ERRNO.EIO;
    if (!this.rules.irqchipStateIoctls) return this.rules.vmIoctlDefault;
    const ic = this.irqchipWith('setIrqchip');
    if (!ic) return ERRNO.ENXIO;
    const e = ic.kernel.setIrqchip!(this, ic.state, chip >>> 0, data);
    this.invalidateBus();
    return e;
  }

  /**
   * KVM_GET_LAPIC on vcpu `id` (kvm_arch_vcpu_ioctl): EBADF for no such
   * vcpu, the arch's default where it has no such ioctl, EINVAL when the
   * vcpu has no in-kernel local APIC (lapic_in_kernel), else its 1024 bytes.
   */
  getLapic(id: number): { errno: Errno; data: Uint8Array } {
    const none = new Uint8Array(0);
    if (this.state.dead) return { errno: ERRNO.EIO, data: none };
    const index = this.vcpuIndexById(id);
    if (index < 0) return { errno: ERRNO.EBADF, data: none };
    if (!this.rules.irqchipStateIoctls) return { errno: this.rules.vcpuIoctlDefault, data: none };
    const ic = this.irqchipWith('getLapic');
    if (!ic) return { errno: ERRNO.EINVAL, data: none };
    const r = ic.kernel.getLapic!(this, ic.state, index);
    return { errno: r.errno, data: r.errno ? none : (r.data ?? none) };
  }

  /** KVM_SET_LAPIC on vcpu `id`: getLapic's checks, then the page is restored from `data` (zero-padded to 1024 bytes). */
  setLapic(id: number, data: Uint8Array): Errno {
    if (this.state.dead) return ERRNO.EIO;
    const index = this.vcpuIndexById(id);
    if (index < 0) return ERRNO.EBADF;
    if (!this.rules.irqchipStateIoctls) return this.rules.vcpuIoctlDefault;
    const ic = this.irqchipWith('setLapic');
    if (!ic) return ERRNO.EINVAL;
    return ic.kernel.setLapic!(this, ic.state, index, data);
  }

  /**
   * KVM_GET_ONE_REG (write false) or KVM_SET_ONE_REG of register `reg` on
   * vcpu `vcpuId`: EBADF for no such vcpu fd, EIO once the VM is dead
   * (kvm_vcpu_ioctl), the arch's default where it has no such ioctl, the
   * arch's own refusal of the id; then the register of the family that
   * declares `id` (`kernel.oneRegs`), served by the first device (creation
   * order) that serves this vcpu, else the declaration's `absent` errno; an
   * id no family declares is the arch's unknown register. `value` is what a
   * get read (0 on failure) or what a set wrote.
   */
  oneReg(vcpuId: number, write: boolean, reg: bigint, value: bigint): { errno: Errno; value: bigint } {
    // struct kvm_one_reg's id is a u64.
    const id = BigInt.asUintN(64, reg);
    const fail = (errno: Errno) => ({ errno, value: write ? value : 0n });
    const index = this.vcpuIndexById(vcpuId);
    if (index < 0) return fail(ERRNO.EBADF);
    if (this.state.dead) return fail(ERRNO.EIO);
    const rules = this.rules.oneReg;
    if (!rules) return fail(this.rules.vcpuIoctlDefault);
    const refused = rules.refuse(id);
    if (refused) return fail(refused);
    const decl = this.oneRegDecl(id);
    if (!decl) return fail(rules.unknown);
    const v = BigInt.asUintN(64, value);
    for (let h = 0; h < this.state.devices.length; h++) {
      const k = this.modelOf(h).kernel;
      if (!k.oneReg || !k.oneRegs?.some((r) => r.id === id)) continue;
      const r = k.oneReg(this, this.state.devices[h]!.state, index, write, id, v);
      if (r) return r.errno ? fail(r.errno) : { errno: 0, value: write ? v : BigInt.asUintN(64, r.value) };
    }
    return fail(decl.absent);
  }

  /** The declaration of one-reg register `id` by a family of this VM's arch, if any. */
  private oneRegDecl(id: bigint): OneRegDecl | undefined {
    for (const m of this.registry.values()) {
      if (!m.arches.includes(this.state.arch)) continue;
      const d = m.kernel.oneRegs?.find((r) => r.id === id);
      if (d) return d;
    }
    return undefined;
  }

  /**
   * Vcpu `id` takes an interrupt at injection, inside its KVM_RUN (x86
   * kvm_check_and_inject_events -> kvm_cpu_get_interrupt): the vector the
   * in-kernel irqchip acknowledged, or -1 when it had none to give. Like any
   * guest event, the first one is the vcpu's first run.
   */
  takeInterrupt(id: number): { errno: Errno; vector: number } {
    const index = this.guestVcpu(id);
    if (index < 0) return { errno: -index, vector: -1 };
    const ic = this.irqchipWith('takeInterrupt');
    if (!ic) return { errno: 0, vector: -1 };
    return { errno: 0, vector: ic.kernel.takeInterrupt!(this, ic.state, index) };
  }

  /**
   * The vcpu a guest event happens on, inside its KVM_RUN: its index, after
   * running kvm_arch_vcpu_run_pid_change if this is its first guest event;
   * or the errno as a negative number (EBADF: no such vcpu; the first run's
   * errno; EIO: the VM is dead).
   */
  private guestVcpu(id: number): number {
    const index = this.vcpuIndexById(id);
    if (index < 0) return -ERRNO.EBADF;
    if (!this.state.vcpus[index]!.ran) {
      const e = this.runVcpu(id);
      if (e) return -e;
    }
    return this.state.dead ? -ERRNO.EIO : index;
  }

  /**
   * A guest access inside KVM_RUN of vcpu `id`. The first guest access of a
   * vcpu is its first run. An address no device claims exits to the VMM.
   */
  mmio(id: number, write: boolean, addr: number, len: number, value: bigint): MmioResult {
    const index = this.guestVcpu(id);
    if (index < 0) return { errno: -index, exit: false, value: 0n };
    const b = this.findBus(addr, len);
    if (!b) return { errno: 0, exit: true, value: write ? value : 0n };
    const off = addr - b.start;
    const s = this.state.devices[b.handle]!.state;
    if (len === 8) {
      const v = b.kernel.mmio64 ? b.kernel.mmio64(this, s, index, b.frame.kind, off, write, value) : 0n;
      if (v === MMIO_EXIT64) return { errno: 0, exit: true, value: write ? value : 0n };
      return { errno: 0, exit: false, value: write ? value : BigInt.asUintN(64, v) };
    }
    const r = b.kernel.mmio!(this, s, index, b.frame.kind, off, len, write, Number(BigInt.asUintN(32, value)));
    // The device's callback failed: kvm_io_bus_read/write report it unhandled, KVM_RUN exits to the VMM.
    if (r === MMIO_EXIT) return { errno: 0, exit: true, value: write ? value : 0n };
    return { errno: 0, exit: false, value: write ? value : BigInt(r >>> 0) };
  }

  /**
   * The replay hot path for 1/2/4-byte accesses of a vcpu that has run:
   * no allocation. Returns the value read, or -1 when no device claims the
   * address (an exit to the VMM).
   */
  mmioFast(index: number, write: boolean, addr: number, len: number, value: number): number {
    const b = this.findBus(addr, len);
    if (!b) return -1;
    const r = b.kernel.mmio!(this, this.state.devices[b.handle]!.state, index, b.frame.kind, addr - b.start, len, write, value);
    // An exit where the recording had none (the fast path only runs recorded non-exits): report
    // MMIO_EXIT, which matches no value, so a replay that checks sees the divergence.
    return r === MMIO_EXIT ? MMIO_EXIT : r >>> 0;
  }

  /**
   * mmioFast resolved ahead for one access shape (vcpu index, direction,
   * address, length): the handler to call with this VM, `state`, `index`
   * and the value word, which returns what the device's mmio would (a read's
   * value, or MMIO_EXIT); undefined when no device claims the address. The
   * device and its register are found once (the device's mmioHandler, else
   * its mmio). Valid while the layout and the state objects stay: the replay
   * backend drops it whenever the layout changes (layout) or a state is
   * restored (ModelBackend.epoch).
   */
  mmioResolve(index: number, write: boolean, addr: number, len: number): ResolvedMmio | undefined {
    const b = this.findBus(addr, len);
    if (!b) return undefined;
    const state = this.state.devices[b.handle]!.state;
    const off = addr - b.start;
    const kind = b.frame.kind;
    const kernel = b.kernel;
    const handler: MmioHandler<unknown> = kernel.mmioHandler?.(state, kind, off, len, write) ?? ((vm, st, vcpu, value) => kernel.mmio!(vm, st, vcpu, kind, off, len, write, value));
    return { handler, state, index };
  }

  /**
   * A guest port access (IN/OUT) inside KVM_RUN of vcpu `id`, on the port
   * bus (kvm_io_bus_read/write on KVM_PIO_BUS from the x86 emulator's
   * kernel_pio). Like an MMIO access the first one is the vcpu's first run;
   * a port no device claims (the whole access inside one range) exits to
   * the VMM (KVM_EXIT_IO).
   */
  pio(id: number, write: boolean, port: number, len: number, value: bigint): MmioResult {
    const index = this.guestVcpu(id);
    if (index < 0) return { errno: -index, exit: false, value: 0n };
    const b = this.findPort(port, len);
    if (!b?.kernel.pio) return { errno: 0, exit: true, value: write ? value : 0n };
    const r = b.kernel.pio(this, this.state.devices[b.handle]!.state, index, b.frame.kind, port - b.start, len, write, Number(BigInt.asUintN(32, value)));
    return { errno: 0, exit: false, value: write ? value : BigInt(r >>> 0) };
  }

  /** The port range a port access falls in, for decoding: handle, model, range and offset. */
  portAt(port: number, len: number): { handle: number; model: DeviceModel<any>; range: PortRange; offset: number } | undefined {
    const b = this.findPort(port, len);
    return b && { handle: b.handle, model: b.model, range: b.frame, offset: port - b.start };
  }

  /** Whether some device claims an access of `len` bytes at `addr` (no side effects). */
  mmioClaimed(addr: number, len: number): boolean {
    return this.findBus(addr, len) !== undefined;
  }

  /**
   * A guest system-register access inside KVM_RUN of vcpu `id` (arm64
   * ICC_*_EL1), served by the in-kernel irqchip. Like an MMIO access, the
   * first one is the vcpu's first run. With no irqchip that serves it the
   * access is RAZ/WI (on hardware the guest would take an UNDEF).
   */
  sysreg(id: number, write: boolean, reg: number, value: bigint): { errno: Errno; value: bigint } {
    const index = this.guestVcpu(id);
    if (index < 0) return { errno: -index, value: 0n };
    const ic = this.state.irqchip;
    const m = ic >= 0 ? this.modelOf(ic) : undefined;
    if (!m?.kernel.sysreg) return { errno: 0, value: write ? value : 0n };
    const r = m.kernel.sysreg(this, this.state.devices[ic]!.state, index, reg, write, BigInt.asUintN(64, value));
    return { errno: 0, value: write ? value : BigInt.asUintN(64, r) };
  }

  /**
   * KVM_SIGNAL_MSI (kvm_send_userspace_msi): EINVAL without an in-kernel
   * irqchip or with a flag other than KVM_MSI_VALID_DEVID; then the
   * irqchip's kvm_set_msi (arm64 without an ITS: ENODEV). `ret` is the
   * ioctl's non-negative result (1 delivered, 0 blocked by the guest).
   */
  signalMsi(msi: MsiRequest): { errno: Errno; ret: number } {
    if (this.state.dead) return { errno: ERRNO.EIO, ret: 0 };
    const ic = this.state.irqchip;
    if (ic < 0 || (msi.flags & ~KVM_MSI_VALID_DEVID) !== 0) return { errno: ERRNO.EINVAL, ret: 0 };
    const m = this.modelOf(ic);
    if (!m.kernel.signalMsi) return { errno: this.rules.msiWithoutHandler, ret: 0 };
    return m.kernel.signalMsi(this, this.state.devices[ic]!.state, msi);
  }

  /**
   * KVM_ENABLE_CAP on vcpu `vcpu` (-1: the VM fd). The VM fd takes none of
   * the capabilities devrr models (kvm_vm_ioctl_enable_cap's default,
   * EINVAL). On a vcpu (kvm_vcpu_ioctl_enable_cap, every arch: a cap no
   * case takes is EINVAL) a cap that a device family claims (`vcpuCaps`)
   * connects the vcpu to the device whose fd is args[0]: EBADF when that is
   * no open device fd (fdget), EPERM when the device is of another family
   * (dev->ops compared), then the family's connect function.
   */
  enableCap(vcpu: number, cap: number, args: readonly bigint[]): Errno {
    // A vcpu fd that does not exist fails in fdget (EBADF), before kvm_vcpu_ioctl's dead-VM check (EIO).
    const index = vcpu === -1 ? -1 : this.vcpuIndexById(vcpu);
    if (vcpu !== -1 && index < 0) return ERRNO.EBADF;
    if (this.state.dead) return ERRNO.EIO;
    if (vcpu === -1) return ERRNO.EINVAL;
    let claims = false;
    for (const m of this.registry.values()) if (m.arches.includes(this.state.arch) && m.kernel.vcpuCaps?.includes(cap)) claims = true;
    if (!claims) return ERRNO.EINVAL;
    // fdget(cap->args[0]) takes the low 32 bits; a handle names a device fd as the trace stores it.
    const handle = Number((args[0] ?? 0n) & 0xffffffffn);
    if (handle >= this.state.devices.length) return ERRNO.EBADF;
    const k = this.modelOf(handle).kernel;
    if (!k.vcpuCaps?.includes(cap) || !k.connectVcpu) return ERRNO.EPERM;
    // vcpu->arch.irq_type: connected to any irqchip already (each family answers EBUSY at its own point).
    const irqTypeSet = this.state.devices.some((d, h) => this.modelOf(h).kernel.vcpuConnected?.(d.state, index) === true);
    const e = k.connectVcpu(this, this.state.devices[handle]!.state, index, cap, args, irqTypeSet);
    this.invalidateBus();
    return e;
  }

  /**
   * A guest hypercall inside KVM_RUN of vcpu `id` (PAPR: kvmppc_pseries_do_hcall,
   * kvmppc_h_pr). Like an MMIO access the first one is the vcpu's first run.
   * The first device (creation order) that serves `nr` for this vcpu gives
   * `ret`; with none the kernel exits to the VMM (KVM_EXIT_PAPR_HCALL),
   * which devrr records as ENOTTY.
   */
  hcall(id: number, nr: number, args: readonly bigint[]): { errno: Errno; ret: bigint } {
    const index = this.guestVcpu(id);
    if (index < 0) return { errno: -index, ret: 0n };
    for (let h = 0; h < this.state.devices.length; h++) {
      const k = this.modelOf(h).kernel;
      if (!k.hcall || !k.hcalls?.includes(nr)) continue;
      const ret = k.hcall(this, this.state.devices[h]!.state, index, nr, args);
      if (ret !== undefined) return { errno: 0, ret: BigInt.asUintN(64, ret) };
    }
    return { errno: ERRNO.ENOTTY, ret: 0n };
  }

  /** The VMM writes guest RAM (through its own mapping): EFAULT beyond the IPA space, ENOMEM past devrr's MAX_GUEST_PAGES. */
  memWrite(addr: number, data: Uint8Array): Errno {
    if (this.state.dead) return ERRNO.EIO;
    if (!inGuestRam(this.state, addr, data.length)) return ERRNO.EFAULT;
    return writeGuest(this.state, addr, data) ? 0 : ERRNO.ENOMEM;
  }

  /** The VMM reads guest RAM: EFAULT beyond the IPA space. */
  memRead(addr: number, len: number): { errno: Errno; data: Uint8Array } {
    if (this.state.dead) return { errno: ERRNO.EIO, data: new Uint8Array(0) };
    const data = new Uint8Array(len);
    return readGuest(this.state, addr, data) ? { errno: 0, data } : { errno: ERRNO.EFAULT, data: new Uint8Array(0) };
  }

  /** The device frame an address falls in, for decoding: handle, model, frame and offset. */
  frameAt(addr: number, len: number): { handle: number; model: DeviceModel<any>; frame: MmioFrame; offset: number } | undefined {
    const b = this.findBus(addr, len);
    return b && { handle: b.handle, model: b.model, frame: b.frame, offset: addr - b.start };
  }

  /** The frames devices claim now, for decoding addresses. */
  frames(): { handle: number; frame: MmioFrame }[] {
    return this.busEntries().map((b) => ({ handle: b.handle, frame: b.frame }));
  }

  private findBus(addr: number, len: number): BusEntry | undefined {
    const bus = this.bus ?? this.busEntries();
    // A handful of frames: a linear scan beats anything cleverer. The whole
    // access must fit in the frame, as kvm_io_bus_get_first_dev requires.
    for (let i = 0; i < bus.length; i++) {
      const b = bus[i]!;
      if (addr >= b.start && addr + len <= b.end) return b;
    }
    return undefined;
  }

  private busEntries(): BusEntry[] {
    if (this.bus) return this.bus;
    const bus: BusEntry[] = [];
    this.state.devices.forEach((d, handle) => {
      const model = this.modelOf(handle);
      for (const frame of model.kernel.frames?.(d.state) ?? []) {
        bus.push({ start: frame.base, end: frame.base + frame.size, handle, frame, model, kernel: model.kernel });
      }
    });
    bus.sort((a, b) => a.start - b.start);
    this.bus = bus;
    return bus;
  }

  private findPort(port: number, len: number): BusEntry<PortRange> | undefined {
    const bus = this.portBusEntries();
    for (let i = 0; i < bus.length; i++) {
      const b = bus[i]!;
      if (port >= b.start && port + len <= b.end) return b;
    }
    return undefined;
  }

  /** KVM_PIO_BUS: the port ranges devices claim now, by base. */
  private portBusEntries(): BusEntry<PortRange>[] {
    if (this.portBus) return this.portBus;
    const bus: BusEntry<PortRange>[] = [];
    this.state.devices.forEach((d, handle) => {
      const model = this.modelOf(handle);
      for (const range of model.kernel.ports?.(d.state) ?? []) {
        bus.push({ start: range.base, end: range.base + range.size, handle, frame: range, model, kernel: model.kernel });
      }
    });
    bus.sort((a, b) => a.start - b.start);
    this.portBus = bus;
    return bus;
  }
}

/** A group row by id in a group table (device, VM fd or vcpu fd). */
function findIn<S>(groups: readonly AttrGroup<S>[], id: number): AttrGroup<S> | undefined {
  for (const g of groups) if (g.id === id) return g;
  return undefined;
}
