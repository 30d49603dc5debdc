/**
 * The per-architecture seam: everything the Vm does differently on arm64,
 * x86_64, ppc64 and s390x is one `ArchRules` value per architecture
 * (devices/arch/*.ts), each rule with the kernel function it follows. The
 * Vm (vm.ts) holds only what virt/kvm/kvm_main.c does for every
 * architecture and asks the rules for the rest.
 */
import type { AttrGroup, DeviceModel, FamilyNames, NotCarried, SavedAttr, SavedValue, VmCtx } from './device.js';
import type { Schema } from './state.js';
import type { Arch, Errno } from './uapi.js';
import type { VmState } from './vm-state.js';

/** The Vm as the arch rules see it: the device view plus the few Vm services a rule calls. */
export interface ArchVm extends VmCtx {
  /**
   * Create a device the VM itself makes, by the type its model is
   * registered under (KVM_CREATE_IRQCHIP's irqchip): ops->create, a new
   * slot, the irqchip slot if the model is one. ENODEV when devrr has no
   * model of that type (not modelled yet).
   */
  addDevice(type: number): { errno: Errno; handle: number };
}

/** A KVM_IRQ_LINE `irq` field decoded: what kind of line, its number, and the vcpu it names if any. */
export interface IrqLine {
  /** The arch's name of the line type ("SPI", "PPI", "CPU"; "GSI" on x86 and ppc). */
  readonly type: string;
  readonly num: number;
  /** The vcpu the encoding names (arm64 CPU and PPI lines), as it is encoded. */
  readonly vcpu?: number;
}

/** The architecture's encoding of struct kvm_irq_level's `irq` and what KVM_IRQ_LINE does without an in-kernel irqchip. */
export interface IrqLineRules {
  /**
   * Whether the arch has KVM_IRQ_LINE at all (__KVM_HAVE_IRQ_LINE): without
   * it kvm_vm_ioctl hands the ioctl to kvm_arch_vm_ioctl, whose default errno answers.
   */
  readonly ioctl: boolean;
  decode(irq: number): IrqLine;
  /** The `irq` value of a decoded line (decode's inverse); undefined if a field does not fit. */
  encode(line: IrqLine): number | undefined;
  /** "SPI 42", "PPI 27 vcpu 1", "CPU IRQ vcpu 0", "GSI 4": the form dump and the TUI print. */
  describe(irq: number): string;
  /** `describe`'s inverse, for scenarios that name a line in words; undefined if the text is not one. */
  parse(text: string): number | undefined;
  /** KVM_IRQ_LINE with no in-kernel irqchip (or one that takes no lines). */
  withoutIrqchip(vm: ArchVm, irq: number, level: number): Errno;
}

/**
 * Attribute groups on the VM fd or a vcpu fd, and how the arch answers the
 * attribute ioctls there (kvm_vm_ioctl and kvm_vcpu_ioctl leave them to
 * kvm_arch_vm_ioctl / kvm_arch_vcpu_ioctl).
 */
export interface FdAttrRules {
  /** The groups modelled on this fd; their state is the VM's. Empty while no arch group is modelled. */
  readonly groups: readonly AttrGroup<VmState>[];
  /** The attribute ioctls the arch handles on this fd; the others get the arch ioctl's default errno. */
  readonly handles: { readonly set: boolean; readonly get: boolean; readonly has: boolean };
  /** The errno of a group not in `groups` (the group switch's default case). */
  readonly unknownGroup: Errno;
  /** The arch header's names for this fd beyond the rows of `groups` (as a device family's, FamilyNames). */
  readonly names?: FamilyNames;
}

export interface ArchRules {
  readonly arch: Arch;
  /** The guest-physical address size a VM gets when the scenario names none. */
  readonly defaultIpaBits: number;
  /** KVM_MAX_VCPU_IDS: kvm_vm_ioctl_create_vcpu refuses an id at or above it (EINVAL). */
  readonly maxVcpuIds: number;
  /** kvm->max_vcpus as a new VM gets it (kvm_create_vm, kvm_arch_init_vm). Devices may lower it. */
  readonly defaultMaxVcpus: number;
  /**
   * kvm_arch_vcpu_precreate's own checks, after the in-kernel irqchip's
   * (the Vm asks the irqchip model first, as arm64's does).
   */
  vcpuPrecreate(vm: ArchVm, id: number): Errno;
  /**
   * A vcpu's first KVM_RUN (kvm_arch_vcpu_run_pid_change, where the arch has
   * one): the devices' first-run work. A failure is KVM_RUN's errno and the
   * vcpu does not count as having run.
   */
  firstRun(vm: ArchVm, index: number): Errno;
  readonly irqLine: IrqLineRules;
  /** KVM_CREATE_IRQCHIP (kvm_arch_vm_ioctl). */
  createIrqchip(vm: ArchVm): Errno;
  /** The legacy KVM_ARM_SET_DEVICE_ADDR (arm64 only; elsewhere the default errno). */
  readonly setDeviceAddr?: (vm: ArchVm, id: bigint, addr: bigint) => Errno;
  /**
   * Whether the arch has KVM_GET/SET_IRQCHIP on the VM fd and KVM_GET/SET_LAPIC
   * on a vcpu fd (x86's kvm_arch_vm_ioctl / kvm_arch_vcpu_ioctl); elsewhere
   * they get the arch ioctl defaults.
   */
  readonly irqchipStateIoctls: boolean;
  /** kvm_set_msi when the in-kernel irqchip takes no MSIs (arm64 without an ITS: ENODEV). */
  readonly msiWithoutHandler: Errno;
  /** kvm_arch_vm_ioctl's default: the answer to a VM ioctl the arch does not have. */
  readonly vmIoctlDefault: Errno;
  /** kvm_arch_vcpu_ioctl's default: the answer to a vcpu ioctl the arch does not have. */
  readonly vcpuIoctlDefault: Errno;
  /**
   * KVM_GET_ONE_REG / KVM_SET_ONE_REG on a vcpu fd (the arch's case in
   * kvm_arch_vcpu_ioctl), or null where the arch has no such case
   * (`vcpuIoctlDefault` answers). `refuse` is the arch's own check of the
   * register id before any register is looked up (0: none); `unknown` the
   * answer for an id no family of the arch declares (`DeviceKernel.oneRegs`).
   * devrr models only the registers a device family serves: any other id
   * answers as one the kernel does not know.
   */
  readonly oneReg: { refuse(id: bigint): Errno; readonly unknown: Errno } | null;
  readonly vmAttrs: FdAttrRules;
  readonly vcpuAttrs: FdAttrRules;
  /**
   * The architecture's own VM state (kvm->arch fields its VM attribute groups
   * read and write) as kvm_arch_init_vm sets it up, kept as plain data in
   * VmState.archState, and its schema for checkpoints. Absent: the arch keeps
   * none (VmState.archState stays absent).
   */
  readonly archState?: ArchStateRules;
}

/** An architecture's own VM state: its start, its shape, how the debugger names it and how a VMM migrates it. */
export interface ArchStateRules {
  initial(ipaBits: number): unknown;
  readonly schema: Schema<unknown>;
  /** Its part of the VM's view (diff, watchpoints, the TUI): `root` beside the devices' roots. */
  readonly view?: { readonly root: string; build(vm: VmState): Record<string, unknown> };
  /**
   * How a VMM carries it through the VM fd's attributes: what it reads on the
   * source, what it writes into the fresh destination (before any vcpu
   * exists: an arch may refuse some writes after), and what no attribute carries.
   */
  readonly migration?: {
    saveList(vm: VmState): SavedAttr[];
    restore(saved: readonly (SavedAttr & SavedValue)[]): (SavedAttr & SavedValue & { why: string })[];
    readonly notCarried: readonly NotCarried[];
  };
}

/** Every device's first-run hook, in creation order, stopping at the first failure (kvm_vcpu_first_run_init's device part). */
export function devicesFirstRun(vm: ArchVm, index: number): Errno {
  for (let h = 0; h < vm.state.devices.length; h++) {
    const m: DeviceModel<unknown> = vm.modelOf(h);
    const e = m.kernel.firstRun?.(vm, vm.state.devices[h]!.state, index) ?? 0;
    if (e) return e;
  }
  return 0;
}
