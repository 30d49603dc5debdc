/**
 * The Vm's whole state as plain data. Snapshot is structuredClone of this
 * object, digest and diff walk it, restore puts a copy back: no per-device code.
 */
import type { GuestMem } from './guest-mem.js';
import type { Arch } from './uapi.js';

export interface VcpuState {
  /** The id given to KVM_CREATE_VCPU (vcpu->vcpu_id). Its index in `vcpus` is vcpu_idx. */
  readonly id: number;
  /** vcpu_has_run_once: set when the first KVM_RUN got past kvm_arch_vcpu_run_pid_change. */
  ran: boolean;
}

export interface DeviceSlot {
  readonly type: number;
  /** The family's plain-data state. */
  state: unknown;
}

export interface VmState {
  readonly arch: Arch;
  readonly ipaBits: number;
  /** kvm->max_vcpus: KVM_CREATE_VCPU beyond it fails with EINVAL. Devices may lower it (VGIC v2: 8). */
  maxVcpus: number;
  vcpus: VcpuState[];
  /** Devices in creation order; a device's handle is its index. */
  devices: DeviceSlot[];
  /** Handle of the in-kernel irqchip (VGIC on arm64), -1 when there is none. */
  irqchip: number;
  /** kvm_vm_dead: every later ioctl on this VM returns EIO. */
  dead: boolean;
  /**
   * Guest RAM (guest-mem.ts), present once something wrote a non-zero byte:
   * absent, the state (and its digest) is what it was before guest memory existed.
   */
  mem?: GuestMem;
}
