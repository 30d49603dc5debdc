/**
 * What a device family declares to plug into the Vm: its identity, its
 * kernel behaviour (attribute groups as a table, the guest frames and port
 * ranges it claims, the hooks the generic KVM code calls into) and, apart,
 * how the debugger inspects it.
 *
 * Device state is plain data (objects, arrays, numbers, booleans, bigint,
 * typed arrays): no class instances, closures or Maps. That is what lets the
 * Vm snapshot, digest, diff and restore any device without per-device code.
 */
import type { BitField } from './regtable.js';
import type { DeviceView } from './view.js';
import type { Schema } from './state.js';
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
  /** The model of the device at a handle (a VGIC hands an MSI to the ITS whose frame it hits). */
  modelOf(handle: number): DeviceModel<any>;
  /** Device states changed address layout: the MMIO bus must be rebuilt. */
  invalidateBus(): void;
  /** The device frame claiming guest physical address `addr` (kvm_io_bus_get_dev), if any. */
  frameOwner(addr: number): { readonly handle: number; readonly kind: number } | undefined;
  /**
   * A device dropped its reference to a file of the VM's file table (fput,
   * devices/core/files.ts): a file whose fd is closed and that nothing else
   * holds is released then (a VFIO device's interrupts are torn down).
   */
  fileReleased(slot: number): void;
}

/** struct kvm_msi as KVM_SIGNAL_MSI passes it (address_hi:address_lo, data, flags, devid). */
export interface MsiRequest {
  readonly address: bigint;
  readonly data: number;
  readonly flags: number;
  readonly devid: number;
}

/**
 * What a device's `mmio` returns (and `mmio64`, as MMIO_EXIT64) when its
 * kvm_io_device read or write callback fails: kvm_io_bus_read/write then
 * report the access unhandled and KVM_RUN exits to the VMM with
 * KVM_EXIT_MMIO, after whatever the callback did to the device. No u32
 * register value equals it.
 */
export const MMIO_EXIT = 2 ** 32;
export const MMIO_EXIT64 = 1n << 64n;

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
  /**
   * The names a scenario's `attr` may give in this group, each with the
   * attr's low 32 bits it stands for: the register names `describe` prints
   * (a register table's, see regTableNames), or the group's uapi constants.
   * Built on first use. Absent: the group takes numbers only.
   */
  readonly attrNames?: () => ReadonlyMap<string, number>;
  /** Where the attr names a vcpu in bits 63:32 (a scenario's `vcpu` field); absent when it names none. */
  readonly attrVcpu?: AttrVcpu;
  /** Human decoding of a payload value of `attr` (bit fields, a packed word), when there is more to say than the number. */
  describeValue?(attr: bigint, value: bigint): string | undefined;
  /** Human decoding of a struct payload of `attr` (`data`, as SET took it or GET wrote it), field by field. */
  describeData?(attr: bigint, data: Uint8Array): string | undefined;
}

/**
 * How an attribute group's attr carries the vcpu in bits 63:32, for
 * scenarios that give the vcpu apart (`"vcpu": 1`) beside a register name;
 * or, as `none`, why this group's attr names no vcpu.
 */
export type AttrVcpu =
  | {
      readonly kind: 'vcpu';
      /** The largest vcpu id the field takes (what bits 63:32 can hold of it). */
      readonly maxId: number;
      /** Bits 63:32 of the attr for the vcpu with this id (the id itself, or the affinity KVM gives it at reset). */
      fromId(id: number): number;
      /** Bits 63:32 are the vcpu's affinity, which a scenario may give directly (its `mpidr` field); else why they are not. */
      readonly affinity: true | { readonly refused: string };
    }
  | { readonly kind: 'none'; readonly why: string };

/**
 * A family's uapi names beyond its group table: the groups its header
 * defines (a scenario may name one the model answers ENXIO to, to check
 * that answer) and the attr constants a scenario may give on any of its
 * groups. Names resolve only through the table of the fd a step addresses,
 * so two families may give the same number different names
 * (devices/core/names.ts).
 */
export interface FamilyNames {
  /** Group name -> id. The group table's own rows are names too and must agree. */
  readonly groups?: Readonly<Record<string, number>>;
  /** attr constants accepted on any group of the fd (they are numbers: used where they mean something). */
  readonly attrs?: Readonly<Record<string, number>>;
  /**
   * Older names the header keeps for a group (KVM_DEV_VFIO_GROUP for
   * KVM_DEV_VFIO_FILE): a scenario may give them; the group prints under
   * its current name.
   */
  readonly groupAliases?: Readonly<Record<string, number>>;
}

/** A guest-physical range a device claims. Offsets passed to mmio are relative to base. */
export interface MmioFrame {
  readonly base: number;
  readonly size: number;
  /** Device-defined frame kind, passed back to the device's mmio hook. */
  readonly kind: number;
  readonly name: string;
}

/** An I/O port range a device claims on the port bus (KVM_PIO_BUS, x86). Offsets passed to pio are relative to base. */
export interface PortRange {
  readonly base: number;
  readonly size: number;
  /** Device-defined range kind, passed back to the device's pio hook. */
  readonly kind: number;
  readonly name: string;
}

/**
 * A device family as the Vm and the debugger see it: who it is (the fields
 * here), what the kernel does (`kernel`: the behaviour every result comes
 * from) and how the debugger reads it (`inspect`: names, views, migration,
 * interrupt semantics; never consulted to compute a result).
 */
export interface DeviceModel<S = unknown> {
  readonly type: number;
  /** uapi name, e.g. KVM_DEV_TYPE_ARM_VGIC_V2. */
  readonly typeName: string;
  /** anon inode name (what /proc/self/fd shows), e.g. kvm-arm-vgic-v2. */
  readonly inodeName: string;
  readonly arches: readonly Arch[];
  /** Bumped whenever the model's behaviour or state layout changes; traces record it. */
  readonly modelVersion: number;
  /** Creating it takes the VM's irqchip slot (irqchip_in_kernel). */
  readonly isIrqchip?: boolean;
  /**
   * The shape of its state, given the VM it is in (vcpus, other devices):
   * a checkpoint's state is checked against it before the model is given it
   * (checkVmState in vm-state.ts). Without one, checkpoints holding the
   * device are refused.
   */
  readonly stateSchema?: (vm: VmState) => Schema<S>;
  readonly kernel: DeviceKernel<S>;
  readonly inspect?: DeviceInspect<S>;
  /** Its uapi names beyond the group table's rows (FamilyNames); the rows' names and attrNames need nothing here. */
  readonly names?: FamilyNames;
}

/** An access resolved to its register (DeviceKernel.mmioHandler): (vm, state, vcpu index, value) -> what a read reads (0 for a write), or MMIO_EXIT. */
export type MmioHandler<S> = (vm: VmCtx, s: S, vcpuIndex: number, value: number) => number;

/** What the kernel does with the device: its ops, attribute groups and the hooks the generic KVM code calls. */
export interface DeviceKernel<S> {
  /** Which kvm_device_ops callbacks exist: a missing one gives EPERM (kvm_device_ioctl_attr). */
  readonly ops: { readonly get: boolean; readonly set: boolean; readonly has: boolean };
  readonly groups: readonly AttrGroup<S>[];
  /**
   * errno for a group not in the table (default ENXIO), or per ioctl where the
   * device's three switches differ (the FLIC: EINVAL from set and get, ENXIO
   * from has). A group in the table without the accessor answers the same.
   */
  readonly unknownGroupErrno?: Errno | { readonly set: Errno; readonly get: Errno; readonly has: Errno };
  /** ops->create, under kvm->lock. Returns the new device's state or the errno. */
  create(vm: VmCtx): { errno: Errno; state?: S };
  /**
   * ops->release, when the device fd is closed (kvm_device_release): the
   * device leaves kvm->devices and is freed. Without it, closing the fd
   * leaves the device on the VM until the VM goes (ops->destroy).
   */
  release?(vm: VmCtx, s: S): void;
  /** kvm_arch_vcpu_precreate's part that concerns this device. */
  vcpuPrecreate?(vm: VmCtx, s: S, id: number): Errno;
  /** Called after a vcpu was added (kvm_arch_vcpu_create's part for this device). */
  vcpuCreated?(vm: VmCtx, s: S, index: number): void;
  /** First KVM_RUN of any vcpu (kvm_arch_vcpu_run_pid_change's part). */
  firstRun?(vm: VmCtx, s: S, vcpuIndex: number): Errno;
  /** Guest frames claimed right now (KVM_MMIO_BUS). */
  frames?(s: S): readonly MmioFrame[];
  /**
   * A guest access of 1, 2 or 4 bytes to one of its frames, at `offset` from the
   * frame's base. Returns what a read reads (ignored for a write), or
   * MMIO_EXIT when the device's callback fails (an exit to the VMM).
   */
  mmio?(vm: VmCtx, s: S, vcpuIndex: number, frame: number, offset: number, len: number, write: boolean, value: number): number;
  /**
   * Optional, for replay's speed: the register an access of `len` bytes at
   * `offset` of `frame` reaches, resolved once for every access of that
   * shape (replay memoises it per chunk, replay/apply.ts), as a handler of
   * the vcpu and the value that does what `mmio` would. Only what the layout
   * decides (which register, nr_irqs) may be resolved here: the handler
   * reads the state it is given at each call. Without it, replay calls `mmio`.
   */
  mmioHandler?(s: S, frame: number, offset: number, len: number, write: boolean): MmioHandler<S>;
  /** An 8-byte guest access; without it 8-byte accesses are RAZ/WI. MMIO_EXIT64: the callback failed (an exit to the VMM). */
  mmio64?(vm: VmCtx, s: S, vcpuIndex: number, frame: number, offset: number, write: boolean, value: bigint): bigint;
  /** I/O port ranges claimed right now (KVM_PIO_BUS: the 8259's 0x20-0x21, say). */
  ports?(s: S): readonly PortRange[];
  /**
   * A guest port access (IN/OUT) of 1, 2 or 4 bytes to one of its ranges, at
   * `offset` from the range's base. Returns what a read (IN) reads.
   */
  pio?(vm: VmCtx, s: S, vcpuIndex: number, range: number, offset: number, len: number, write: boolean, value: number): number;
  /** KVM_ARM_SET_DEVICE_ADDR, for the irqchip that owns the legacy address path. */
  legacySetAddr?(vm: VmCtx, s: S, id: bigint, addr: bigint): Errno;
  /** KVM_IRQ_LINE for an in-kernel irqchip. */
  irqLine?(vm: VmCtx, s: S, irq: number, level: number): Errno;
  /**
   * KVM_SIGNAL_MSI for an in-kernel irqchip, after the generic checks
   * (kvm_send_userspace_msi): the ioctl's errno, or its non-negative result.
   * On a device that is not the irqchip but takes MSIs at its frame (the
   * ITS), the translation the irqchip hands the MSI to.
   */
  signalMsi?(vm: VmCtx, s: S, msi: MsiRequest): { errno: Errno; ret: number };
  /**
   * A guest system-register access that this irqchip serves (arm64 ICC_*_EL1),
   * `reg` encoded as Op0[15:14] Op1[13:11] CRn[10:7] CRm[6:3] Op2[2:0].
   * Returns what a read reads (ignored for a write).
   */
  sysreg?(vm: VmCtx, s: S, vcpuIndex: number, reg: number, write: boolean, value: bigint): bigint;
  /**
   * Capabilities whose KVM_ENABLE_CAP on a vcpu connects that vcpu to a
   * device of this family given by its fd in args[0] (KVM_CAP_IRQ_XICS,
   * KVM_CAP_IRQ_MPIC): the cap number picks the family, the fd the device.
   */
  readonly vcpuCaps?: readonly number[];
  /**
   * The family's connect function (kvmppc_xics_connect_vcpu,
   * kvmppc_mpic_connect_vcpu) once the Vm has checked the generic part: the
   * fd in args[0] is an open device whose family claims `cap` (else EBADF /
   * EPERM, as dev->ops is compared). `irqTypeSet`: the vcpu is already
   * connected to an irqchip, of any family (vcpu->arch.irq_type), which the
   * family answers with EBUSY at its own point in its checks.
   */
  connectVcpu?(vm: VmCtx, s: S, vcpuIndex: number, cap: number, args: readonly bigint[], irqTypeSet: boolean): Errno;
  /** Whether this device holds vcpu `vcpuIndex` as connected (its part of vcpu->arch.irq_type). */
  vcpuConnected?(s: S, vcpuIndex: number): boolean;
  /** PAPR hypercall numbers this device may serve (kvmppc_pseries_do_hcall's cases for it). */
  readonly hcalls?: readonly number[];
  /**
   * A guest hypercall inside KVM_RUN of vcpu `vcpuIndex`: the result the
   * trace keeps in `ret`, or undefined when the device does not serve this
   * vcpu (not connected: the kernel exits to the VMM).
   */
  hcall?(vm: VmCtx, s: S, vcpuIndex: number, nr: number, args: readonly bigint[]): bigint | undefined;
  /**
   * One-reg registers (KVM_GET/SET_ONE_REG ids) this family serves on a
   * vcpu, with their uapi names; the scenario op `one_reg` and dump take the
   * names from here. `absent` is what the kernel answers when no device of
   * the family serves the vcpu (kvmppc_get_one_reg's KVM_REG_PPC_ICP_STATE
   * case without vcpu->arch.icp: ENXIO).
   */
  readonly oneRegs?: readonly OneRegDecl[];
  /**
   * KVM_GET_ONE_REG (write false: the value read) or KVM_SET_ONE_REG of a
   * register in `oneRegs` for vcpu `vcpuIndex`; undefined when this device
   * does not serve that vcpu (the Vm then answers the declaration's `absent`).
   */
  oneReg?(vm: VmCtx, s: S, vcpuIndex: number, write: boolean, id: bigint, value: bigint): { errno: Errno; value: bigint } | undefined;
  /**
   * KVM_IRQ_LINE_STATUS for an in-kernel irqchip whose line status means
   * something (x86 kvm_set_irq: 1 delivered, 0 coalesced, -1 masked or not
   * routed, the sum over the GSI's routing entries). Without it the status
   * field is left as the ioctl's input wrote it (the irq it shares a union with).
   */
  irqLineStatus?(vm: VmCtx, s: S, irq: number, level: number): { errno: Errno; status: number };
  /** KVM_GET_IRQCHIP (x86 kvm_vm_ioctl_get_irqchip): chip 0/1 the PICs' kvm_pic_state, 2 the kvm_ioapic_state, as bytes. */
  getIrqchip?(vm: VmCtx, s: S, chip: number): { errno: Errno; data?: Uint8Array };
  /** KVM_SET_IRQCHIP (kvm_vm_ioctl_set_irqchip): `data` is the chip union's bytes, zero-padded to its size. */
  setIrqchip?(vm: VmCtx, s: S, chip: number, data: Uint8Array): Errno;
  /** KVM_GET_LAPIC (kvm_vcpu_ioctl_get_lapic): the vcpu's 1024-byte kvm_lapic_state; EINVAL-type refusals as errno. */
  getLapic?(vm: VmCtx, s: S, vcpuIndex: number): { errno: Errno; data?: Uint8Array };
  /** KVM_SET_LAPIC (kvm_vcpu_ioctl_set_lapic): `data` zero-padded to 1024 bytes. */
  setLapic?(vm: VmCtx, s: S, vcpuIndex: number, data: Uint8Array): Errno;
  /**
   * The vcpu takes an interrupt at injection inside KVM_RUN (x86
   * kvm_cpu_get_interrupt: the PIC's ExtINT first, then the local APIC):
   * the vector acknowledged, or -1 when none is deliverable.
   */
  takeInterrupt?(vm: VmCtx, s: S, vcpuIndex: number): number;
}

/** A one-reg register a family serves (DeviceKernel.oneRegs). */
export interface OneRegDecl {
  /** The 64-bit id, size field included (KVM_REG_PPC_ICP_STATE = KVM_REG_PPC | KVM_REG_SIZE_U64 | 0x8c). */
  readonly id: bigint;
  /** Its uapi name. */
  readonly name: string;
  /** The errno when no device of the family serves the vcpu. */
  readonly absent: Errno;
  /** Its value in words, for dump ("CPPR 0x5 XISR 0 MFRR 0xff PPRI 0xff"). */
  describeValue?(value: bigint): string;
}

/** How the debugger reads the device: names and fields, its view, its migration, its interrupts. */
export interface DeviceInspect<S> {
  /** Register name of a guest access ("GICD_ISENABLER1"), or why it is RAZ/WI. */
  describeMmio?(s: S, frame: number, offset: number, len: number): string;
  /** Register name of a guest port access ("PIC_DATA"). */
  describePio?(s: S, range: number, offset: number, len: number): string;
  /** Named bit fields of the register at a frame offset, for decoding values. */
  registerFields?(frame: number, offset: number): readonly BitField[] | undefined;
  /** Spec name of a system register this irqchip serves ("ICC_IAR1_EL1"). */
  describeSysreg?(reg: number): string | undefined;
  /** Named bit fields of a system register this irqchip serves, for decoding values. */
  sysregFields?(reg: number): readonly BitField[] | undefined;
  /** The kernel name of a hypercall this device serves ("H_XIRR") and its arguments and result in words, or undefined for a number it does not serve. */
  describeHcall?(nr: number, args: readonly bigint[], ret: bigint): { readonly name: string; readonly detail: string } | undefined;
  /** What a write of guest RAM means to this device, if anything (ITS commands queued, table entries). */
  describeMemWrite?(vm: VmState, s: S, addr: number, data: Uint8Array): string | undefined;
  /** The named view of its state (diff, watchpoints, explain, TUI); raw state is shown without one. */
  readonly view?: DeviceView<S>;
  /** Its save list and restore order (devrr migrate-check). */
  readonly migration?: Migration<S>;
  /** Every condition for delivering interrupt `irq`, per vcpu (devrr explain). `root` is the view root ("gic"). */
  explainIrq?(vm: VmState, s: S, irq: number, root: string): IrqCondition[];
  /** Which events raise, acknowledge and complete which interrupt, and the interrupt numbers there are. */
  readonly interrupts?: InterruptFacet<S>;
  /**
   * A struct payload of the irqchip's own ioctls in words, for dump and the
   * TUI: 'irqchip' is KVM_GET/SET_IRQCHIP's chip `id`, 'lapic' a
   * KVM_GET/SET_LAPIC page (`id` the vcpu id).
   */
  describePayload?(kind: 'irqchip' | 'lapic', id: number, data: Uint8Array): string | undefined;
}

/**
 * An event as the interrupts facet reads it: what the trace recorded,
 * results included. vcpus are named by id, as events name them. An `mmio`
 * event is given to the device whose frame it hit, with the frame kind and
 * the offset in it; a `set_attr` only to the device whose fd it was issued on.
 */
export type InterruptEvent =
  | { readonly kind: 'irq_line'; readonly irq: number; readonly level: number; readonly errno: Errno }
  | { readonly kind: 'mmio'; readonly vcpu: number; readonly write: boolean; readonly frame: number; readonly offset: number; readonly len: number; readonly value: bigint; readonly errno: Errno }
  | { readonly kind: 'pio'; readonly vcpu: number; readonly write: boolean; readonly range: number; readonly offset: number; readonly len: number; readonly value: bigint; readonly errno: Errno }
  | { readonly kind: 'sysreg'; readonly vcpu: number; readonly write: boolean; readonly reg: number; readonly value: bigint; readonly errno: Errno }
  | { readonly kind: 'signal_msi'; readonly address: bigint; readonly data: number; readonly devid: number; readonly errno: Errno; readonly ret: number }
  | { readonly kind: 'hcall'; readonly vcpu: number; readonly nr: number; readonly args: readonly bigint[]; readonly ret: bigint; readonly errno: Errno }
  /** A SET_DEVICE_ATTR on this device's fd (the FLIC's ENQUEUE and AIRQ_INJECT inject interrupts). */
  | { readonly kind: 'set_attr'; readonly group: number; readonly attr: bigint; readonly value: bigint; readonly data?: Uint8Array; readonly errno: Errno }
  | { readonly kind: 'take_interrupt'; readonly vcpu: number; readonly vector: number; readonly errno: Errno };

/** What an event does to an interrupt. */
export interface InterruptEffect {
  /**
   * raise: the line goes high or the interrupt is made pending; lower: the
   * line goes low; acknowledge: the guest took it (IAR returned it);
   * complete: end of interrupt (EOIR); deactivate: its active state ends
   * on its own (DIR, with split priority drop).
   */
  readonly action: 'raise' | 'lower' | 'acknowledge' | 'complete' | 'deactivate';
  /** The interrupt number in the irqchip's own numbering (the GIC's INTID). */
  readonly irq: number;
  /** The vcpu (by id) it concerns, when the event names one. */
  readonly vcpu?: number;
}

/** A named span of the irqchip's interrupt numbers ("SPI" 32-1019). */
export interface InterruptRange {
  readonly name: string;
  readonly first: number;
  readonly last: number;
}

export interface InterruptFacet<S> {
  /** The interrupt numbers this device has (an irqchip's whole numbering); empty for a device that only translates (the ITS). */
  readonly ranges: readonly InterruptRange[];
  /** "SPI 42", "LPI 8192": an interrupt number as the family names it. */
  name?(irq: number): string;
  /** What `ev` did to which interrupts; `s` is the device's state before the event. */
  effects(vm: VmState, s: S, ev: InterruptEvent): readonly InterruptEffect[];
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
  /** A struct the VMM puts in the user buffer before GET_DEVICE_ATTR, for groups whose payload is a struct. */
  readonly inputData?: Uint8Array;
  /**
   * The state travels through an ioctl of its own instead of
   * GET/SET_DEVICE_ATTR (the x86 irqchip, which has no device fd):
   * 'irqchip' is KVM_GET/SET_IRQCHIP with `attr` the chip id, 'lapic' is
   * KVM_GET/SET_LAPIC on the vcpu whose id is `attr`; `group` is 0. The
   * value's `data` holds the struct's bytes. 'one_reg' is
   * KVM_GET/SET_ONE_REG of register `attr` (the 64-bit id) on the vcpu whose
   * id is `vcpu`; the value is the register's.
   */
  readonly ioctl?: 'irqchip' | 'lapic' | 'one_reg';
  /** For `ioctl: 'one_reg'`: the vcpu id whose register it is. */
  readonly vcpu?: number;
}

/**
 * A saved attribute's value as GET_DEVICE_ATTR returned it: a scalar, and
 * for a group whose payload is a struct (FLIC's interrupt list, VFIO's
 * state) the bytes as well, which SET_DEVICE_ATTR takes back as they are.
 */
export interface SavedValue {
  readonly value: bigint;
  readonly data?: Uint8Array;
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
  /**
   * How the destination makes the device: 'irqchip' is KVM_CREATE_IRQCHIP on
   * the VM fd, before any vcpu (x86 refuses it once vcpus exist); default
   * KVM_CREATE_DEVICE with the source's type, after the vcpus.
   */
  readonly create?: 'irqchip';
  saveList(vm: VmState, s: S): SavedAttr[];
  /**
   * The KVM_ENABLE_CAP calls the VMM makes on the destination's vcpus after
   * creating the device and before its restore writes (each vcpu connected
   * to its interrupt presenter, as the source's were): `vcpu` by id, and
   * the arguments after args[0], which is the destination device's fd.
   * Default: none.
   */
  vcpuConnects?(vm: VmState, s: S): { readonly vcpu: number; readonly cap: number; readonly args: readonly bigint[] }[];
  /**
   * What the VMM knows from its own device models and writes again on the
   * destination, though no GET reads it back (the FLIC's I/O adapters and
   * their masks: virtio-ccw and zPCI re-register them), as saved values the
   * restore places like the others. Like `lines` for interrupt levels.
   * Default: none.
   */
  vmmConfig?(vm: VmState, s: S): (SavedAttr & SavedValue)[];
  /**
   * The writes into the fresh device, and the interrupt lines the VMM's
   * device models re-assert afterwards. `lines` holds the level the VMM last
   * drove on each line (KVM_IRQ_LINE's irq value -> level): VMMs know that,
   * the device ABI may not carry it.
   */
  restore(saved: readonly (SavedAttr & SavedValue)[], lines: ReadonlyMap<number, number>): { writes: (SavedAttr & SavedValue & { why: string })[]; redrive: number[] };
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
  for (const g of model.kernel.groups) if (g.id === id) return g;
  return undefined;
}
