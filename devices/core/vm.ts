/**
 * The Vm: the one way into the device models. Its methods are the ioctls of
 * the KVM device-control API plus the guest events that reach devices, with
 * the generic checks of virt/kvm/kvm_main.c and the arch code done here in
 * the kernel's order; everything device-specific goes to the device model.
 * Every method returns an errno (0 = success) as the ioctl would; none throws
 * for a misuse.
 */
import type { AttrOutcome, DeviceModel, MmioFrame, MsiRequest, UserBuf, VmCtx } from './device.js';
import { inGuestRam, readGuest, writeGuest } from './guest-mem.js';
import { findGroup } from './device.js';
import { cloneState, digestState } from './state.js';
import type { VmState } from './vm-state.js';
import { type Arch, ERRNO, type Errno, KVM_CREATE_DEVICE_TEST, DEV_TYPE, KVM_MSI_VALID_DEVID } from './uapi.js';

/** Per-architecture generic limits (KVM_MAX_VCPU_IDS and the default kvm->max_vcpus). */
export const ARCH_LIMITS: Record<Arch, { maxVcpuIds: number; defaultMaxVcpus: number }> = {
  // arm64: KVM_MAX_VCPUS = 512 = KVM_MAX_VCPU_IDS; kvm_arm_default_max_vcpus() on a GICv3 host.
  arm64: { maxVcpuIds: 512, defaultMaxVcpus: 512 },
  // x86: KVM_MAX_VCPUS 1024 (6.x), KVM_MAX_VCPU_IDS up to 4 * KVM_MAX_VCPUS.
  x86_64: { maxVcpuIds: 4096, defaultMaxVcpus: 1024 },
  // ppc64 and s390: generic defaults; device families that need more precise limits set maxVcpus.
  ppc64: { maxVcpuIds: 2048, defaultMaxVcpus: 2048 },
  s390x: { maxVcpuIds: 255, defaultMaxVcpus: 255 },
};

/** Which device models exist, by KVM_DEV_TYPE value. */
export type DeviceRegistry = ReadonlyMap<number, DeviceModel<any>>;

/** The fd an attribute ioctl is issued on. */
export type AttrFd = { kind: 'vm' } | { kind: 'vcpu'; id: number } | { kind: 'device'; handle: number };

interface BusEntry {
  readonly start: number;
  readonly end: number;
  readonly handle: number;
  readonly frame: MmioFrame;
  readonly model: DeviceModel<any>;
}

/** Result of a guest MMIO access. */
export interface MmioResult {
  /** KVM_RUN's errno when this access was the vcpu's first run and entering failed. */
  errno: Errno;
  /** No device claims the address: KVM_EXIT_MMIO to the VMM. */
  exit: boolean;
  value: bigint;
}

export class Vm implements VmCtx {
  state: VmState;
  private bus: BusEntry[] | null = null;
  /** vcpu id -> index, rebuilt when vcpus are added or state restored. */
  /** vcpu id -> index + 1 (0: no such vcpu); ids are below the arch's KVM_MAX_VCPU_IDS. Derived from state. */
  private vcpuIndex: Int32Array;

  constructor(
    readonly registry: DeviceRegistry,
    arch: Arch,
    ipaBits: number,
  ) {
    this.state = {
      arch,
      ipaBits,
      maxVcpus: ARCH_LIMITS[arch].defaultMaxVcpus,
      vcpus: [],
      devices: [],
      irqchip: -1,
      dead: false,
    };
    this.vcpuIndex = new Int32Array(ARCH_LIMITS[arch].maxVcpuIds);
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

  invalidateBus(): void {
    this.bus = null;
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
    this.vcpuIndex = new Int32Array(ARCH_LIMITS[this.state.arch].maxVcpuIds);
    this.state.vcpus.forEach((v, i) => (this.vcpuIndex[v.id] = i + 1));
    this.bus = null;
  }

  digest(): string {
    return digestState(this.state);
  }

  // ---- ioctls -------------------------------------------------------------

  /** KVM_CREATE_VCPU (kvm_vm_ioctl_create_vcpu, then the arch and device hooks). */
  createVcpu(id: number): Errno {
    if (this.state.dead) return ERRNO.EIO;
    if (!Number.isInteger(id) || id < 0 || id >= ARCH_LIMITS[this.state.arch].maxVcpuIds) return ERRNO.EINVAL;
    if (this.state.vcpus.length >= this.state.maxVcpus) return ERRNO.EINVAL;
    // kvm_arch_vcpu_precreate (arm64): the irqchip may refuse (EBUSY once initialised),
    // then id >= kvm->max_vcpus is EINVAL.
    if (this.state.irqchip >= 0) {
      const m = this.modelOf(this.state.irqchip);
      const e = m.vcpuPrecreate?.(this, this.state.devices[this.state.irqchip]!.state, id) ?? 0;
      if (e) return e;
    }
    if (this.state.arch === 'arm64' && id >= this.state.maxVcpus) return ERRNO.EINVAL;
    if (this.vcpuIndex[id]) return ERRNO.EEXIST;
    const index = this.state.vcpus.length;
    this.state.vcpus.push({ id, ran: false });
    this.vcpuIndex[id] = index + 1;
    this.state.devices.forEach((d, h) => this.modelOf(h).vcpuCreated?.(this, d.state, index));
    this.bus = null;
    return 0;
  }

  /** KVM_CREATE_DEVICE, in kvm_ioctl_create_device's step order (reference 1.5). */
  createDevice(type: number, flags: number): { errno: Errno; handle: number } {
    if (this.state.dead) return { errno: ERRNO.EIO, handle: -1 };
    const model = type >= 0 && type < DEV_TYPE.KVM_DEV_TYPE_MAX ? this.registry.get(type) : undefined;
    if (!model || !model.arches.includes(this.state.arch)) return { errno: ERRNO.ENODEV, handle: -1 };
    // Only bit 0 is looked at; other flag bits are silently ignored.
    if (flags & KVM_CREATE_DEVICE_TEST) return { errno: 0, handle: -1 };
    const r = model.create(this);
    if (r.errno) return { errno: r.errno, handle: -1 };
    const handle = this.state.devices.length;
    this.state.devices.push({ type, state: r.state });
    if (model.isIrqchip) this.state.irqchip = handle;
    this.bus = null;
    return { errno: 0, handle };
  }

  /** KVM_SET_DEVICE_ATTR. */
  setAttr(fd: AttrFd, group: number, attr: bigint, buf: UserBuf): Errno {
    const t = this.resolveFd(fd);
    if (typeof t === 'number') return t;
    if (!t.model.ops.set) return ERRNO.EPERM;
    const g = findGroup(t.model, group);
    if (!g?.set) return t.model.unknownGroupErrno ?? ERRNO.ENXIO;
    const e = g.set(this, t.state, attr, buf);
    this.bus = null;
    return e;
  }

  /** KVM_GET_DEVICE_ATTR. A read that succeeded into a NULL buffer faults at put_user (EFAULT). */
  getAttr(fd: AttrFd, group: number, attr: bigint, buf: UserBuf): AttrOutcome {
    const t = this.resolveFd(fd);
    if (typeof t === 'number') return { errno: t };
    if (!t.model.ops.get) return { errno: ERRNO.EPERM };
    const g = findGroup(t.model, group);
    if (!g?.get) return { errno: t.model.unknownGroupErrno ?? ERRNO.ENXIO };
    const r = g.get(this, t.state, attr, buf);
    this.bus = null;
    if (r.errno === 0 && buf.nullPtr) return { errno: ERRNO.EFAULT };
    return r;
  }

  /** KVM_HAS_DEVICE_ATTR: attr.addr is ignored. */
  hasAttr(fd: AttrFd, group: number, attr: bigint): Errno {
    const t = this.resolveFd(fd);
    if (typeof t === 'number') return t;
    if (!t.model.ops.has) return ERRNO.EPERM;
    const g = findGroup(t.model, group);
    if (!g) return t.model.unknownGroupErrno ?? ERRNO.ENXIO;
    return g.has(this, t.state, attr);
  }

  /**
   * Resolves the fd of an attribute ioctl to a model and its state. The VM and
   * vcpu fds have no attribute groups in these models yet (arm64's SMCCC filter
   * and vcpu timer/PMU groups are not modelled), so they answer ENXIO, as
   * kvm_vm_ioctl_set_attr's default case does.
   */
  private resolveFd(fd: AttrFd): { model: DeviceModel<any>; state: unknown } | Errno {
    if (this.state.dead) return ERRNO.EIO;
    if (fd.kind === 'device') {
      const d = this.state.devices[fd.handle];
      if (!d) return ERRNO.EBADF;
      return { model: this.modelOf(fd.handle), state: d.state };
    }
    if (fd.kind === 'vcpu' && this.vcpuIndexById(fd.id) < 0) return ERRNO.EBADF;
    return ERRNO.ENXIO;
  }

  /** KVM_ARM_SET_DEVICE_ADDR on arm64 (kvm_vm_ioctl_set_device_addr); ENOTTY elsewhere. */
  armSetDeviceAddr(id: bigint, addr: bigint): Errno {
    if (this.state.dead) return ERRNO.EIO;
    if (this.state.arch !== 'arm64') return ERRNO.ENOTTY;
    const ic = this.state.irqchip;
    const m = ic >= 0 ? this.modelOf(ic) : undefined;
    if (!m?.legacySetAddr) return legacyAddrWithoutVgic(id);
    return m.legacySetAddr(this, this.state.devices[ic]!.state, id, addr);
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
    for (let h = 0; h < this.state.devices.length; h++) {
      const e = this.modelOf(h).firstRun?.(this, this.state.devices[h]!.state, index) ?? 0;
      if (e) return e;
    }
    v.ran = true;
    this.bus = null;
    return 0;
  }

  /** KVM_IRQ_LINE: the irqchip decodes the architecture's encoding; ENXIO without one. */
  irqLine(irq: number, level: number): Errno {
    if (this.state.dead) return ERRNO.EIO;
    const ic = this.state.irqchip;
    if (ic >= 0) {
      const m = this.modelOf(ic);
      if (m.irqLine) return m.irqLine(this, this.state.devices[ic]!.state, irq >>> 0, level >>> 0);
    }
    return this.state.arch === 'arm64' ? armIrqLineWithoutIrqchip(this, irq >>> 0) : ERRNO.ENXIO;
  }

  /**
   * A guest access inside KVM_RUN of vcpu `id`. The first guest access of a
   * vcpu is its first run. An address no device claims exits to the VMM.
   */
  mmio(id: number, write: boolean, addr: number, len: number, value: bigint): MmioResult {
    const index = this.vcpuIndexById(id);
    if (index < 0) return { errno: ERRNO.EBADF, exit: false, value: 0n };
    if (!this.state.vcpus[index]!.ran) {
      const e = this.runVcpu(id);
      if (e) return { errno: e, exit: false, value: 0n };
    }
    if (this.state.dead) return { errno: ERRNO.EIO, exit: false, value: 0n };
    const b = this.findBus(addr, len);
    if (!b) return { errno: 0, exit: true, value: write ? value : 0n };
    const off = addr - b.start;
    const s = this.state.devices[b.handle]!.state;
    if (len === 8) {
      const v = b.model.mmio64 ? b.model.mmio64(this, s, index, b.frame.kind, off, write, value) : 0n;
      return { errno: 0, exit: false, value: write ? value : BigInt.asUintN(64, v) };
    }
    const r = b.model.mmio!(this, s, index, b.frame.kind, off, len, write, Number(BigInt.asUintN(32, value)));
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
    return b.model.mmio!(this, this.state.devices[b.handle]!.state, index, b.frame.kind, addr - b.start, len, write, value) >>> 0;
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
    const index = this.vcpuIndexById(id);
    if (index < 0) return { errno: ERRNO.EBADF, value: 0n };
    if (!this.state.vcpus[index]!.ran) {
      const e = this.runVcpu(id);
      if (e) return { errno: e, value: 0n };
    }
    if (this.state.dead) return { errno: ERRNO.EIO, value: 0n };
    const ic = this.state.irqchip;
    const m = ic >= 0 ? this.modelOf(ic) : undefined;
    if (!m?.sysreg) return { errno: 0, value: write ? value : 0n };
    const r = m.sysreg(this, this.state.devices[ic]!.state, index, reg, write, BigInt.asUintN(64, value));
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
    if (!m.signalMsi) return { errno: this.state.arch === 'arm64' ? ERRNO.ENODEV : ERRNO.EINVAL, ret: 0 };
    return m.signalMsi(this, this.state.devices[ic]!.state, msi);
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
      for (const frame of model.frames?.(d.state) ?? []) {
        bus.push({ start: frame.base, end: frame.base + frame.size, handle, frame, model });
      }
    });
    bus.sort((a, b) => a.start - b.start);
    this.bus = bus;
    return bus;
  }
}

/**
 * KVM_ARM_SET_DEVICE_ADDR with no VGIC created: the device id must be
 * KVM_ARM_DEVICE_VGIC_V2 (else ENODEV); then kvm_set_legacy_vgic_v2_addr's
 * vgic_check_type finds vgic_model 0, not v2: ENODEV as well.
 */
function legacyAddrWithoutVgic(_id: bigint): Errno {
  return ERRNO.ENODEV;
}

/**
 * arm64 KVM_IRQ_LINE with no in-kernel irqchip (kvm_vm_ioctl_irq_line):
 * KVM_ARM_IRQ_TYPE_CPU drives the vcpu's IRQ/FIQ input; SPI and PPI need a GIC.
 */
function armIrqLineWithoutIrqchip(vm: Vm, irq: number): Errno {
  const type = (irq >>> 24) & 0xf;
  const vcpuId = ((irq >>> 16) & 0xff) + ((irq >>> 28) & 0xf) * 256;
  const num = irq & 0xffff;
  if (type === 0) {
    if (vm.vcpuIndexById(vcpuId) < 0) return ERRNO.EINVAL;
    if (num > 1) return ERRNO.EINVAL;
    return 0;
  }
  if (type === 1 || type === 2) return ERRNO.ENXIO;
  return ERRNO.EINVAL;
}
