/**
 * The Vm's whole state as plain data. Snapshot is structuredClone of this
 * object, digest and diff walk it, restore puts a copy back: no per-device code.
 *
 * A state that comes from outside (a trace's checkpoint) is checked first
 * against the schema here and each device's own (checkSessionState): what
 * the models are given to restore always has the shape and the relations
 * between fields that the models themselves maintain.
 */
import type { DeviceModel } from './device.js';
import { filesSchema, type OpenFile } from './files.js';
import { GUEST_PAGE, type GuestMem, MAX_GUEST_PAGES } from './guest-mem.js';
import { type Infer, S, sameType } from './state.js';
import { ARCHES, type Arch } from './uapi.js';
import { ARCH_LIMITS } from './vm.js';
import { ARCH_RULES } from '../arch/index.js';

/**
 * Model limits that traces and scenarios are held to (traces/FORMAT.md,
 * *Limits*). The models themselves would grow without bound: each VM and each
 * device is a full set of state, and a guest RAM read allocates its length.
 */
/** VMs per session: create_vm events per trace, create_vm steps per scenario. */
export const MAX_VMS = 16;
/** KVM_CREATE_DEVICE calls per VM (each hands out an fd; a VMM makes a handful). */
export const MAX_DEVICE_CREATES_PER_VM = 256;
/** The longest guest RAM read (a mem_read's len) in bytes. */
export const MAX_MEM_READ = 1 << 20;

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
  /**
   * Its fd was closed (kvm_device_release): every later call on it is
   * EBADF. A model with ops->release (KVM-VFIO) has left kvm->devices then;
   * one without stays on the VM until the VM goes.
   */
  closed?: boolean;
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
  /**
   * The VMM's other open files that KVM calls take by fd (VFIO groups and
   * devices, eventfds, plain files: files.ts), present once one was opened.
   */
  files?: OpenFile[];
  /** The architecture's own VM state (ArchRules.archState: s390's CMMA, TOD, CPU model...), on the arches that keep one. */
  archState?: unknown;
}

const MAX_VCPU_IDS = Math.max(...Object.values(ARCH_LIMITS).map((l) => l.maxVcpuIds));

/** The generic part of a VmState; device states are checked by their models (checkVmState). */
const vmSchema = S.where(
  S.obj({
    arch: S.oneOf(ARCHES),
    ipaBits: S.int(1, 64),
    maxVcpus: S.int(0, MAX_VCPU_IDS),
    vcpus: S.list(S.obj({ id: S.int(0, MAX_VCPU_IDS - 1), ran: S.bool }), MAX_VCPU_IDS),
    devices: S.list(S.obj({ type: S.int(0, 0xffffffff), state: S.any, closed: S.optional(S.bool) }), MAX_DEVICE_CREATES_PER_VM),
    irqchip: S.int(-1, MAX_DEVICE_CREATES_PER_VM - 1),
    dead: S.bool,
    files: S.optional(filesSchema),
    // Page numbers are decimal strings below 2^52 (a 64-bit IPA space of 4 KiB pages).
    mem: S.optional(S.obj({ pages: S.dict(/^(0|[1-9][0-9]{0,15})$/, S.typed(Uint8Array, GUEST_PAGE), MAX_GUEST_PAGES) })),
    archState: S.optional(S.any),
  }),
  (vm, p) => {
    const limits = ARCH_LIMITS[vm.arch];
    if (vm.maxVcpus > limits.defaultMaxVcpus) return `${p}.maxVcpus ${vm.maxVcpus} is over ${vm.arch}'s ${limits.defaultMaxVcpus}`;
    if (vm.vcpus.length > vm.maxVcpus) return `${p}.vcpus holds ${vm.vcpus.length} vcpus, more than maxVcpus ${vm.maxVcpus}`;
    const ids = new Set<number>();
    for (const [i, v] of vm.vcpus.entries()) {
      if (v.id >= limits.maxVcpuIds) return `${p}.vcpus[${i}].id ${v.id} is not below ${vm.arch}'s KVM_MAX_VCPU_IDS ${limits.maxVcpuIds}`;
      if (ids.has(v.id)) return `${p}.vcpus[${i}].id ${v.id} is used twice`;
      ids.add(v.id);
    }
    const pages = 2 ** vm.ipaBits / GUEST_PAGE;
    for (const k of Object.keys(vm.mem?.pages ?? {})) if (Number(k) >= pages) return `${p}.mem.pages[${k}] is beyond the ${vm.ipaBits}-bit IPA space`;
    // The arch's own state: present exactly on the arches that keep one, in its shape.
    const arch = ARCH_RULES[vm.arch].archState;
    if (!arch) return vm.archState === undefined ? undefined : `${p}.archState: ${vm.arch} keeps no arch state`;
    if (vm.archState === undefined) return `${p}.archState is missing`;
    return arch.schema.check(vm.archState, `${p}.archState`);
  },
);

/** Compile-time: the schema and the VmState interface describe the same fields. */
export const VM_SCHEMA_MATCHES: true = sameType<Infer<typeof vmSchema>, VmState>();

/** Device models by KVM_DEV_TYPE value (a DeviceRegistry). */
type Models = ReadonlyMap<number, DeviceModel<any>>;

/**
 * Check that `v` is a VmState the models can be given: the generic fields,
 * each device of a registered type for the VM's architecture, at most one
 * irqchip and `irqchip` naming it, and each device's state against its
 * model's stateSchema. The irqchip's state is checked last, so its schema may
 * rely on the other devices' states (a VGIC v3 counts the ITS's ITEs).
 * Returns the first problem, naming its path, or undefined.
 */
export function checkVmState(v: unknown, models: Models, path = 'vm'): string | undefined {
  const bad = vmSchema.check(v, path);
  if (bad !== undefined) return bad;
  const vm = v as VmState;
  const chips: number[] = [];
  for (const [h, d] of vm.devices.entries()) {
    const m = models.get(d.type);
    if (!m || !m.arches.includes(vm.arch)) return `${path}.devices[${h}].type ${d.type} is not a device type devrr models for ${vm.arch}`;
    if (!m.stateSchema) return `${path}.devices[${h}]: the ${m.inodeName} model has no state schema to check a checkpoint against`;
    if (m.isIrqchip) chips.push(h);
  }
  if (chips.length > 1) return `${path}.devices holds ${chips.length} irqchips (handles ${chips.join(', ')}); a VM has at most one`;
  if (vm.irqchip !== (chips[0] ?? -1)) return `${path}.irqchip is ${vm.irqchip}, but the irqchip device is ${chips.length ? `handle ${chips[0]}` : 'absent'}`;
  const order = [...vm.devices.keys()].filter((h) => h !== vm.irqchip);
  if (vm.irqchip >= 0) order.push(vm.irqchip);
  for (const h of order) {
    const d = vm.devices[h]!;
    const problem = models.get(d.type)!.stateSchema!(vm).check(d.state, `${path}.devices[${h}].state`);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** checkVmState for each VM of a session state ({vms: [...]}, at most MAX_VMS). */
export function checkSessionState(v: unknown, models: Models): string | undefined {
  const bad = S.obj({ vms: S.list(S.any, MAX_VMS) }).check(v, '');
  if (bad !== undefined) return bad;
  const vms = (v as { vms: unknown[] }).vms;
  for (let i = 0; i < vms.length; i++) {
    const problem = checkVmState(vms[i], models, `vms[${i}]`);
    if (problem !== undefined) return problem;
  }
  return undefined;
}
