/**
 * The device models as a backend: executes one trace event against the
 * models and returns the event with the results the models gave.
 * Recording and replay both go through here, so a replay makes exactly the
 * calls the recording made. It has both capabilities of backend.ts: its
 * state is plain data (snapshot, restore, digest) and it has the replay
 * fast paths.
 */
import { findGroup, MMIO_EXIT } from '../devices/core/device.js';
import { digestState } from '../devices/core/state.js';
import { checkSessionState } from '../devices/core/vm-state.js';
import { type AttrFd, type DeviceRegistry, type ResolvedMmio, Vm } from '../devices/core/vm.js';
import { DEVICE_MODELS } from '../devices/registry.js';
import { ERRNO } from '../devices/core/uapi.js';
import type { AttrEvent, AttrTarget, IrqLineEvent, MmioEvent, TraceEvent } from '../traces/events.js';
import { type DeclaredEvent, kindDecl } from '../traces/kinds.js';
import { type Backend, type BackendFactory, FAST_OK, FAST_SKIP, type FastPaths, type MmioMemo, type SessionState, type StateCapability } from './backend.js';
import type { Inspector, Point } from './inspect.js';
import { modelInspector } from './model-inspect.js';

export { sameResult, type SessionState } from './backend.js';

/** The device models of a registry as a backend factory: what every command uses. */
export function modelBackends(registry: DeviceRegistry = DEVICE_MODELS): BackendFactory {
  const inspector = inspectorOf(registry);
  return {
    name: 'the device models',
    create: () => new ModelBackend(registry),
    inspector,
    // A checkpoint's state must have the models' schema before a Vm restores it.
    checkState: (state) => checkSessionState(state, registry),
    versions: () => Object.fromEntries([...registry.values()].map((m) => [m.inodeName, m.modelVersion])),
  };
}

const inspectors = new WeakMap<DeviceRegistry, Inspector>();
/** One inspector per registry. */
function inspectorOf(registry: DeviceRegistry): Inspector {
  let i = inspectors.get(registry);
  if (!i) inspectors.set(registry, (i = modelInspector(registry)));
  return i;
}

/** The device models devrr has (devices/registry.ts). */
export const MODELS: BackendFactory = modelBackends();

/** The VMs of one recording or replay, in creation order, on the models of one registry. */
export class ModelBackend implements Backend, StateCapability, FastPaths {
  readonly vms: Vm[] = [];
  readonly state: StateCapability = this;
  readonly fast: FastPaths = this;
  /** Counts the sets of VMs (create_vm, restore): an mmioAt memo slot of another count is stale. */
  private epoch = 0;
  private readonly memos = new WeakMap<readonly TraceEvent[], MmioMemo>();

  constructor(readonly registry: DeviceRegistry = DEVICE_MODELS) {}

  private createVm(arch: VmArch, ipaBits: number): Vm {
    return new Vm(this.registry, arch, ipaBits);
  }

  /** Runs `ev` (its result fields are ignored) and returns it with fresh results. */
  execute(ev: TraceEvent): TraceEvent {
    if (ev.kind === 'create_vm') {
      this.epoch++;
      this.vms.push(this.createVm(ev.arch, ev.ipaBits));
      return ev;
    }
    const vm = this.vms[ev.vm];
    if (!vm) throw new Error(`event refers to VM ${ev.vm}, which was never created`);
    switch (ev.kind) {
      case 'create_device': {
        const r = vm.createDevice(ev.type, ev.flags);
        return { ...ev, errno: r.errno, handle: r.handle };
      }
      case 'set_attr':
      case 'get_attr':
      case 'has_attr':
        if (!hasFd(vm, ev.target)) return ev.kind === 'get_attr' ? withoutOutputs(ev, ERRNO.EBADF) : { ...ev, errno: ERRNO.EBADF };
        return this.attrCall(vm, ev);
      case 'mmio': {
        const r = vm.mmio(ev.vcpu, ev.write, ev.addr, ev.len, ev.value);
        // An exit to the VMM: a read returns what the VMM answered (the recorded value).
        const value = r.exit ? ev.value : r.errno ? (ev.write ? ev.value : 0n) : r.value;
        return { ...ev, errno: r.errno, exit: r.exit, value };
      }
      case 'irq_line':
        return { ...ev, errno: vm.irqLine(ev.irq, ev.level) };
      case 'enable_cap':
        return { ...ev, errno: vm.enableCap(ev.vcpu, ev.cap, ev.args) };
      case 'hcall':
        return { ...ev, ...vm.hcall(ev.vcpu, ev.nr, ev.args) };
      case 'sysreg': {
        const r = vm.sysreg(ev.vcpu, ev.write, ev.reg, ev.value);
        return { ...ev, errno: r.errno, value: ev.write ? ev.value : r.value };
      }
      case 'mem_write':
        return { ...ev, errno: vm.memWrite(ev.addr, ev.data) };
      case 'mem_read': {
        const r = vm.memRead(ev.addr, ev.len);
        return { ...ev, errno: r.errno, data: r.data };
      }
      default: {
        // A kind declared as data (traces/kinds.ts): its execution runs on the VM.
        const d = ev as unknown as DeclaredEvent;
        const decl = kindDecl(d.kind);
        // A kind this devrr does not know (a newer devrr's trace, declared in its header): nothing here can run it.
        if (!decl) return ev;
        if (!decl.execute) throw new Error(`devrr bug: event kind ${JSON.stringify(d.kind)} has no execution (traces/kinds.ts)`);
        return { ...d, ...decl.execute(vm, d) } as unknown as TraceEvent;
      }
    }
  }

  /** KVM_SET/GET/HAS_DEVICE_ATTR on an fd that exists. */
  private attrCall(vm: Vm, ev: AttrEvent): TraceEvent {
    switch (ev.kind) {
      case 'set_attr':
        return { ...ev, errno: vm.setAttr(fdOf(ev.target), ev.group, ev.attr, bufOf(ev)) };
      case 'get_attr': {
        const r = vm.getAttr(fdOf(ev.target), ev.group, ev.attr, bufOf(ev));
        // The recorded outputs (if any) are replaced by what the models return now.
        const out = withoutOutputs(ev, r.errno);
        // What reached the user buffer: a struct payload's bytes, else the scalar at the group's width.
        if (r.errno === 0 && r.data !== undefined) return { ...out, outData: r.data };
        if (r.errno === 0 && r.value !== undefined) return { ...out, outValue: truncateToPayload(vm, ev, r.value) };
        return out;
      }
      case 'has_attr':
        return { ...ev, errno: vm.hasAttr(fdOf(ev.target), ev.group, ev.attr) };
    }
  }

  // ---- the state capability ---------------------------------------------------

  /** Plain-data state of every VM: what checkpoints store and digests cover. */
  snapshot(): SessionState {
    return { vms: this.vms.map((v) => v.snapshot()) };
  }

  restore(state: SessionState): void {
    this.epoch++;
    this.vms.length = 0;
    for (const s of state.vms) {
      const vm = this.createVm(s.arch, s.ipaBits);
      vm.restore(s);
      this.vms.push(vm);
    }
  }

  digest(): string {
    return digestState(this.peek());
  }

  peek(): SessionState {
    return { vms: this.vms.map((v) => v.state) };
  }

  /** The state now with the registry's inspector: decode an event about to run here with it (replay/decode.ts). */
  point(): Point {
    return { inspector: inspectorOf(this.registry), state: this.peek() };
  }

  // ---- the fast paths ----------------------------------------------------------

  /**
   * A 1/2/4-byte access by a vcpu that has already run, on a live VM,
   * recorded without error and claimed by a device: straight to the
   * device with the value word, no event object built.
   */
  mmio(shape: MmioEvent, lo: number): number {
    if (shape.len === 8 || shape.errno !== 0 || shape.exit) return FAST_SKIP;
    const vm = this.vms[shape.vm];
    if (!vm || vm.state.dead) return FAST_SKIP;
    const idx = vm.vcpuIndexById(shape.vcpu);
    if (idx < 0 || !vm.state.vcpus[idx]!.ran) return FAST_SKIP;
    const v = vm.mmioFast(idx, shape.write, shape.addr, shape.len, lo);
    if (v < 0) return FAST_SKIP; // no device claims it: nothing ran
    return shape.write || v === lo ? FAST_OK : v;
  }

  /** The memo of one chunk's shapes (mmioAt), kept while the chunk's shapes array lives. */
  mmioMemo(shapes: readonly TraceEvent[]): MmioMemo {
    let m = this.memos.get(shapes);
    if (!m) this.memos.set(shapes, (m = new Array<MmioSlot | undefined>(shapes.length)));
    return m;
  }

  /**
   * mmio(shape, lo), with what it finds for the shape (the VM, the vcpu,
   * the device and its register: Vm.mmioResolve) kept in the memo until the
   * VM's layout changes (Vm.layout) or the VMs are replaced (epoch).
   */
  mmioAt(memo: MmioMemo, k: number, shape: MmioEvent, lo: number): number {
    let slot = memo[k] as MmioSlot | undefined;
    if (slot === undefined || slot.epoch !== this.epoch || (slot.vm !== undefined && slot.vm.layout !== slot.layout)) memo[k] = slot = this.resolveMmio(shape);
    const a = slot.access;
    if (a === null) return FAST_SKIP;
    const r = a.handler(slot.vm!, a.state, a.index, lo);
    // As Vm.mmioFast: an exit where the recording had none reports MMIO_EXIT, which matches no value.
    const v = r === MMIO_EXIT ? MMIO_EXIT : r >>> 0;
    return shape.write || v === lo ? FAST_OK : v;
  }

  /** What mmio's checks decide for a shape, and the access Vm.mmioResolve finds (null: not eligible, or no device claims it). */
  private resolveMmio(shape: MmioEvent): MmioSlot {
    const vm = this.vms[shape.vm];
    const slot: MmioSlot = { epoch: this.epoch, vm, layout: vm?.layout ?? 0, access: null };
    if (shape.len === 8 || shape.errno !== 0 || shape.exit || !vm || vm.state.dead) return slot;
    const idx = vm.vcpuIndexById(shape.vcpu);
    if (idx < 0 || !vm.state.vcpus[idx]!.ran) return slot;
    slot.access = vm.mmioResolve(idx, shape.write, shape.addr, shape.len) ?? null;
    return slot;
  }

  /** KVM_IRQ_LINE needs no event object: the errno, or FAST_SKIP for a VM that does not exist. */
  irqLine(shape: IrqLineEvent): number {
    const vm = this.vms[shape.vm];
    return vm ? vm.irqLine(shape.irq, shape.level) : FAST_SKIP;
  }
}

/** What ModelBackend.mmioAt keeps for one shape of a chunk. */
interface MmioSlot {
  readonly epoch: number;
  readonly vm: Vm | undefined;
  /** vm.layout when it was resolved. */
  readonly layout: number;
  /** The access resolved (Vm.mmioResolve), or null: mmio would answer FAST_SKIP. */
  access: ResolvedMmio | null;
}

/** The model backend under its old name. */
export { ModelBackend as Session };

type VmArch = Extract<TraceEvent, { kind: 'create_vm' }>['arch'];

/**
 * The fd a scenario's device name stands for when its create_device made no
 * device (it failed, or it was a KVM_CREATE_DEVICE_TEST probe): fd -1, as the
 * kernel's `unsigned int fd` sees it, and as the trace stores a handle.
 */
export const NO_DEVICE_FD = 0xffffffff;

/**
 * Whether the attribute call's fd exists. A device handle that names no
 * device of this VM (NO_DEVICE_FD), or a vcpu id no vcpu has, is no open fd:
 * the ioctl syscall fails in fdget with EBADF before KVM sees it (fs/ioctl.c,
 * SYSCALL_DEFINE3(ioctl)), so even a dead VM answers EBADF there, not the
 * EIO of kvm_device_ioctl / kvm_vcpu_ioctl.
 */
function hasFd(vm: Vm, t: AttrTarget): boolean {
  if (t.kind === 'device') return vm.state.devices[t.handle] !== undefined;
  if (t.kind === 'vcpu') return vm.vcpuIndexById(t.id) >= 0;
  return true;
}

/** A get_attr event's request with fresh results: its recorded outputs dropped. */
function withoutOutputs(ev: AttrEvent, errno: number): AttrEvent {
  const { outValue: _v, outData: _d, ...request } = ev;
  return { ...request, errno };
}

export function fdOf(t: AttrTarget): AttrFd {
  return t.kind === 'device' ? { kind: 'device', handle: t.handle } : t.kind === 'vcpu' ? { kind: 'vcpu', id: t.id } : { kind: 'vm' };
}

function bufOf(ev: AttrEvent) {
  return { nullPtr: ev.nullPtr === true, value: ev.value ?? 0n, ...(ev.data && { data: ev.data }) };
}

/** The payload width a device declares for (fd, group), in bytes; 8 when unknown. */
export function payloadWidth(vm: Vm, target: AttrTarget, group: number): number {
  if (target.kind !== 'device') return 8;
  const d = vm.state.devices[target.handle];
  if (!d) return 8;
  const model = vm.registry.get(d.type);
  const g = model && findGroup(model, group);
  return typeof g?.payload === 'number' && g.payload > 0 ? g.payload : 8;
}

function truncateToPayload(vm: Vm, ev: AttrEvent, v: bigint): bigint {
  return BigInt.asUintN(payloadWidth(vm, ev.target, ev.group) * 8, v);
}
