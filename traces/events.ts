/**
 * The trace event union: one entry per ioctl or guest event that devrr
 * records, holding its arguments and the result the system gave.
 *
 * Invariants (the reader checks them, the writer relies on them):
 * - `vm` is the index of the VM in creation order; VM 0 is created by the
 *   first event of every trace (a `create_vm`).
 * - `errno` is 0 on success or a positive asm-generic errno number.
 * - 64-bit quantities (attr, attribute values, ids) are bigint; guest
 *   addresses are numbers (IPA sizes stay below 2^53).
 * - `note` is the scenario step's note, carried verbatim.
 *
 * Changing a field's meaning requires bumping FORMAT_VERSION in format.ts.
 */
import type { Arch } from '../devices/core/uapi.js';

/** Which fd an attribute call went to. */
export type AttrTarget =
  | { readonly kind: 'vm' }
  | { readonly kind: 'vcpu'; readonly id: number }
  | { readonly kind: 'device'; readonly handle: number };

interface Base {
  readonly vm: number;
  readonly note?: unknown;
}

export interface CreateVmEvent extends Base {
  readonly kind: 'create_vm';
  readonly arch: Arch;
  readonly ipaBits: number;
}

export interface CreateVcpuEvent extends Base {
  readonly kind: 'create_vcpu';
  readonly id: number;
  readonly errno: number;
}

export interface CreateDeviceEvent extends Base {
  readonly kind: 'create_device';
  readonly type: number;
  readonly flags: number;
  readonly errno: number;
  /** Device handle the model assigned (index in the VM's device list), -1 when none was made. */
  readonly handle: number;
}

export interface AttrEvent extends Base {
  readonly kind: 'set_attr' | 'get_attr' | 'has_attr';
  readonly target: AttrTarget;
  readonly group: number;
  readonly attr: bigint;
  /** The user buffer's contents on entry (set_attr, or in/out get_attr). */
  readonly value?: bigint;
  readonly data?: Uint8Array;
  /** A NULL user pointer was passed. */
  readonly nullPtr?: boolean;
  readonly errno: number;
  /** What get_attr wrote back (scalar or struct payload). */
  readonly outValue?: bigint;
  readonly outData?: Uint8Array;
}

export interface ArmSetDeviceAddrEvent extends Base {
  readonly kind: 'arm_set_device_addr';
  readonly id: bigint;
  readonly addr: bigint;
  readonly errno: number;
}

export interface RunVcpuEvent extends Base {
  readonly kind: 'run_vcpu';
  readonly vcpu: number;
  readonly errno: number;
}

export interface MmioEvent extends Base {
  readonly kind: 'mmio';
  readonly vcpu: number;
  readonly write: boolean;
  readonly addr: number;
  readonly len: 1 | 2 | 4 | 8;
  /** Written value, or the value a read returned. */
  readonly value: bigint;
  /** No device claimed the address: the kernel exited to the VMM (KVM_EXIT_MMIO). */
  readonly exit: boolean;
  /** KVM_RUN's errno when this guest access was the vcpu's first run and it failed. */
  readonly errno: number;
}

export interface IrqLineEvent extends Base {
  readonly kind: 'irq_line';
  readonly irq: number;
  readonly level: number;
  readonly errno: number;
}

export interface EnableCapEvent extends Base {
  readonly kind: 'enable_cap';
  /** -1 for the VM fd. */
  readonly vcpu: number;
  readonly cap: number;
  readonly args: readonly bigint[];
  readonly errno: number;
}

export interface HcallEvent extends Base {
  readonly kind: 'hcall';
  readonly vcpu: number;
  readonly nr: number;
  readonly args: readonly bigint[];
  readonly ret: bigint;
  readonly errno: number;
}

/** A guest system-register access (arm64 ICC_*_EL1) inside KVM_RUN of `vcpu`. Format 1.1. */
export interface SysregEvent extends Base {
  readonly kind: 'sysreg';
  readonly vcpu: number;
  readonly write: boolean;
  /** Op0[15:14] Op1[13:11] CRn[10:7] CRm[6:3] Op2[2:0]. */
  readonly reg: number;
  /** Written value, or the value a read returned. */
  readonly value: bigint;
  /** KVM_RUN's errno when this access was the vcpu's first run and it failed. */
  readonly errno: number;
}

/** The VMM wrote guest RAM: only the bytes written travel. Format 1.1. */
export interface MemWriteEvent extends Base {
  readonly kind: 'mem_write';
  readonly addr: number;
  readonly data: Uint8Array;
  readonly errno: number;
}

/** The VMM read guest RAM: `data` is what it read (empty on error). Format 1.1. */
export interface MemReadEvent extends Base {
  readonly kind: 'mem_read';
  readonly addr: number;
  readonly len: number;
  readonly data: Uint8Array;
  readonly errno: number;
}

/** KVM_SIGNAL_MSI on the VM fd: `ret` is the ioctl's result (1 delivered, 0 blocked) when errno is 0. Format 1.1. */
export interface SignalMsiEvent extends Base {
  readonly kind: 'signal_msi';
  readonly address: bigint;
  readonly data: number;
  readonly flags: number;
  readonly devid: number;
  readonly ret: number;
  readonly errno: number;
}

export type TraceEvent =
  | CreateVmEvent
  | CreateVcpuEvent
  | CreateDeviceEvent
  | AttrEvent
  | ArmSetDeviceAddrEvent
  | RunVcpuEvent
  | MmioEvent
  | IrqLineEvent
  | EnableCapEvent
  | HcallEvent
  | SysregEvent
  | MemWriteEvent
  | MemReadEvent
  | SignalMsiEvent;

export type EventKind = TraceEvent['kind'];

export const EVENT_KINDS: readonly EventKind[] = [
  'create_vm',
  'create_vcpu',
  'create_device',
  'set_attr',
  'get_attr',
  'has_attr',
  'arm_set_device_addr',
  'run_vcpu',
  'mmio',
  'irq_line',
  'enable_cap',
  'hcall',
  'sysreg',
  'mem_write',
  'mem_read',
  'signal_msi',
];

export function assertNever(x: never, what = 'value'): never {
  throw new Error(`devrr bug: unexpected ${what} ${JSON.stringify(x)}`);
}
