/**
 * What a device family declares to plug into the Vm: its type, the
 * architectures that register it, its attribute groups (a table), the guest
 * frames it claims and the hooks the generic KVM code calls into.
 *
 * Device state is plain data (objects, arrays, numbers, booleans, bigint,
 * typed arrays): no class instances, closures or Maps. That is what lets the
 * Vm snapshot, digest, diff and restore any device without per-device code.
 */
import type { BitField } from './regtable.js';
import type { Schema } from './state.js';
import type { DeviceView } from './view.js';
import type { VmState } from './vm-state.js';
import type { Arch, Errno } from './uapi.js';


/** The user buffer of a DEVICE_ATTR call, as the kernel sees it through attr.addr. */
export interface UserBuf {
  /** attr.addr was NULL: every get_user/put_user faults (EFAULT). */
  readonly nullPtr: boolean;
  /** Scalar payload on entry (set_attr, or the input of an in/out get_attr). */
  readonly value: bigint;
  /** Struct payload on entry, for groups whose payload is not a scalar. */
  readonly data?: Uint8Array;
}

export interface AttrOutcome {
  readonly errno: Errno;
  /** What a successful get_attr wrote back. */
  readonly value?: bigint;
  readonly data?: Uint8Array;
}

/**
 * The Vm as a device sees it: read access to the generic VM state and the
 * few generic services devices call (kvm_get_vcpu_by_id and friends).
 */
export interface VmCtx {
  readonly state: VmState;
  /** kvm_get_vcpu_by_id: the vcpu index (creation order) with this id, or -1. */
  vcpuIndexById(id: number): number;
  /** Any vcpu has entered KVM_RUN at least once (vcpu_has_run_once). */
  anyVcpuRan(): boolean;
  /** The device state at a handle (for devices that look at their siblings). */
  deviceState<T>(handle: number): T;
  /** Device states changed address layout: the MMIO bus must be rebuilt. */
  invalidateBus(): void;
  /** The device frame claiming guest physical address `addr` (kvm_io_bus_get_dev), if any. */
  frameOwner(addr: number): { readonly handle: number; readonly kind: number } | undefined;
}

/** struct kvm_msi as KVM_SIGNAL_MSI passes it (address_hi:address_lo, data, flags, devid). */
export interface MsiRequest {
  readonly address: bigint;
  readonly data: number;
  readonly flags: number;
  readonly devid: number;
}

/** One attribute group, a row of the device's group table. */
export interface AttrGroup<S> {
  readonly id: number;
  /** The uapi name, e.g. KVM_DEV_ARM_VGIC_GRP_DIST_REGS. */
  readonly name: string;
  /** Payload width in bytes at attr.addr: 4, 8, 0 (none) or 'struct'. */
  readonly payload: 0 | 4 | 8 | 'struct';
  has(vm: VmCtx, s: S, attr: bigint): Errno;
  get?(vm: VmCtx, s: S, attr: bigint, buf: UserBuf): AttrOutcome;
  set?(vm: VmCtx, s: S, attr: bigint, buf: UserBuf): Errno;
  /** Human decoding of attr within this group, e.g. "vcpu 1 GICD_ISENABLER1". */
  describe(attr: bigint): string;
  /** Human decoding of a payload value of `attr` (bit fields, a packed word), when there is more to say than the number. */
  describeValue?(attr: bigint, value: bigint): string | undefined;
}

/** A guest-physical range a device claims. Offsets passed to mmio are relative to base. */
export interface MmioFrame {
  readonly base: number;
  readonly size: number;
  /** Device-defined frame kind, passed back to the device's mmio hook. */
  readonly kind: number;
  readonly name: string;
}

export interface DeviceModel<S = unknown> {
  readonly type: number;
  /** uapi name, e.g. KVM_DEV_TYPE_ARM_VGIC_V2. */
  readonly typeName: string;
  /** anon inode name (what /proc/self/fd shows), e.g. kvm-arm-vgic-v2. */
  readonly inodeName: string;
  readonly arches: readonly Arch[];
  /** Bumped whenever the model's behaviour or state layout changes; traces record it. */
  readonly modelVersion: number;
  /** Which kvm_device_ops callbacks exist: a missing one gives EPERM (kvm_device_ioctl_attr). */
  readonly ops: { readonly get: boolean; readonly set: boolean; readonly has: boolean };
  readonly groups: readonly AttrGroup<S>[];
  /** Creating it takes the VM's irqchip slot (irqchip_in_kernel). */
  readonly isIrqchip?: boolean;
  /** errno for a group not in the table (ENXIO for every device the reference lists). */
  readonly unknownGroupErrno?: Errno;
  /** ops->create, under kvm->lock. Returns the new device's state or the errno. */
  create(vm: VmCtx): { errno: Errno; state?: S };
  /** kvm_arch_vcpu_precreate's part that concerns this device. */
  vcpuPrecreate?(vm: VmCtx, s: S, id: number): Errno;
  /** Called after a vcpu was added (kvm_arch_vcpu_create's part for this device). */
  vcpuCreated?(vm: VmCtx, s: S, index: number): void;
  /** First KVM_RUN of any vcpu (kvm_arch_vcpu_run_pid_change's part). */
  firstRun?(vm: VmCtx, s: S, vcpuIndex: number): Errno;
  /** Guest frames claimed right now. */
  frames?(s: S): readonly MmioFrame[];
  /**
   * A guest access of 1, 2 or 4 bytes to one of its frames, at `offset` from the
   * frame's base. Returns what a read reads (ignored for a write).
   */
  mmio?(vm: VmCtx, s: S, vcpuIndex: number, frame: number, offset: number, len: number, write: boolean, value: number): number;
  /** An 8-byte guest access; without it 8-byte accesses are RAZ/WI. */
  mmio64?(vm: VmCtx, s: S, vcpuIndex: number, frame: number, offset: number, write: boolean, value: bigint): bigint;
  /** KVM_ARM_SET_DEVICE_ADDR, for the irqchip that owns the legacy address path. */
  legacySetAddr?(vm: VmCtx, s: S, id: bigint, addr: bigint): Errno;
  /** KVM_IRQ_LINE for an in-kernel irqchip. */
  irqLine?(vm: VmCtx, s: S, irq: number, level: number): Errno;
  /**
   * KVM_SIGNAL_MSI for an in-kernel irqchip, after the generic checks
   * (kvm_send_userspace_msi): the ioctl's errno, or its non-negative result.
   */
  signalMsi?(vm: VmCtx, s: S, msi: MsiRequest): { errno: Errno; ret: number };
  /**
   * A guest system-register access that this irqchip serves (arm64 ICC_*_EL1),
   * `reg` encoded as Op0[15:14] Op1[13:11] CRn[10:7] CRm[6:3] Op2[2:0].
   * Returns what a read reads (ignored for a write).
   */
  sysreg?(vm: VmCtx, s: S, vcpuIndex: number, reg: number, write: boolean, value: bigint): bigint;
  /** Spec name of a system register this irqchip serves ("ICC_IAR1_EL1"). */
  describeSysreg?(reg: number): string | undefined;
  /** Named bit fields of a system register this irqchip serves, for decoding values. */
  sysregFields?(reg: number): readonly BitField[] | undefined;
  /** What a write of guest RAM means to this device, if anything (ITS commands queued, table entries). */
  describeMemWrite?(vm: VmState, s: S, addr: number, data: Uint8Array): string | undefined;
  /** Register name of a guest access ("GICD_ISENABLER1"), or why it is RAZ/WI. */
  describeMmio?(s: S, frame: number, offset: number, len: number): string;
  /**
   * The shape of its state, given the VM it is in (vcpus, other devices):
   * a checkpoint's state is checked against it before the model is given it
   * (checkVmState in vm-state.ts). Without one, checkpoints holding the
   * device are refused.
   */
  readonly stateSchema?: (vm: VmState) => Schema<S>;
  /** The named view of its state (diff, watchpoints, explain, TUI); raw state is shown without one. */
  readonly view?: DeviceView<S>;
  /** Its save list and restore order (devrr migrate-check). */
  readonly migration?: Migration<S>;
  /** Every condition for delivering interrupt `irq`, per vcpu (devrr explain). `root` is the view root ("gic"). */
  explainIrq?(vm: VmState, s: S, irq: number, root: string): IrqCondition[];
  /** Named bit fields of the register at a frame offset, for decoding values. */
  registerFields?(frame: number, offset: number): readonly BitField[] | undefined;
}

/** State a device's migration ABI does not carry, by design. */
export interface NotCarried {
  /** View paths it covers; `*` stands for any one index or key: "gic.cpu[*].irq[*].line_level". */
  readonly fields: readonly string[];
  /** What that state is, in words. */
  readonly what: string;
  /** Why no save list carries it, and why a correct migration may lose or rebuild it. */
  readonly why: string;
}

/** One attribute of a device's save list. */
export interface SavedAttr {
  readonly group: number;
  readonly attr: bigint;
  /** What it is, e.g. "GICD_ISENABLER (vcpu 1)". */
  readonly name: string;
  /**
   * The word the VMM puts in the user buffer before GET_DEVICE_ATTR, for
   * attributes that read it (VGIC v3 REDIST_REGION takes the index). Default 0.
   */
  readonly input?: bigint;
}

/**
 * How a VMM migrates a device through GET/SET_DEVICE_ATTR: the attributes it
 * reads, the writes it makes into a fresh device (in order, each with the
 * reason for its place), and the state the ABI does not carry by design.
 */
export interface Migration<S> {
  /**
   * SET_DEVICE_ATTR calls (payload-less CTRL actions) the VMM makes on the
   * stopped source before reading any save list, e.g. the ITS's SAVE_TABLES
   * and the VGIC v3's SAVE_PENDING_TABLES, which flush state to guest RAM
   * (guest RAM is copied to the destination after them). Default: none.
   */
  readonly saveActions?: readonly SavedAttr[];
  saveList(vm: VmState, s: S): SavedAttr[];
  /**
   * The writes into the fresh device, and the interrupt lines the VMM's
   * device models re-assert afterwards. `lines` holds the level the VMM last
   * drove on each line (KVM_IRQ_LINE's irq value -> level): VMMs know that,
   * the device ABI may not carry it.
   */
  restore(saved: readonly (SavedAttr & { value: bigint })[], lines: ReadonlyMap<number, number>): { writes: (SavedAttr & { value: bigint; why: string })[]; redrive: number[] };
  /**
   * The fields of the device's view that its save/restore does not carry by
   * design (not guest-visible, or rebuilt by the destination itself), each
   * with its reason; migrate-check compares everything else.
   */
  readonly notCarried: readonly NotCarried[];
  /**
   * Guest RAM the device owns, whose bytes a restore may legitimately change
   * (GICv3: a set LPI pending bit is consumed when the LPI is re-created):
   * guest reads there are not compared after a migration. Default: none.
   */
  readonly ownedMemory?: { readonly why: string; ranges(vm: VmState, s: S): { addr: number; len: number }[] };
}

/** One condition on the way from a pending interrupt to the guest (devrr explain). */
export interface IrqCondition {
  /** vcpu index it concerns, -1 for the whole device. */
  readonly vcpu: number;
  readonly name: string;
  readonly ok: boolean;
  /** The values it depends on, as text. */
  readonly value: string;
  /** View paths of those values (for finding the event that last changed them). */
  readonly paths: readonly string[];
}

/** Find a group row by id. Group tables are short; a scan is clearest. */
export function findGroup<S>(model: DeviceModel<S>, id: number): AttrGroup<S> | undefined {
  for (const g of model.groups) if (g.id === id) return g;
  return undefined;
}
