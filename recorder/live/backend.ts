/**
 * The live backend: each event is the ioctl it stands for, issued on the
 * host's /dev/kvm, and its results are what the kernel answered. It has no
 * state capability (the kernel's state is not plain data devrr can
 * snapshot) and no inspector of its own: a trace recorded live is replayed
 * and inspected against the models, which is the point, since that replay
 * checks the models against a real kernel.
 *
 * Guest events (mmio, run_vcpu) are made by a small real-mode guest on
 * x86_64 hosts (x86-guest.ts): an access that exits to the VMM is
 * answered with the scenario's value, as a VMM would.
 *
 * What a scenario asks that the host cannot do is refused before the
 * first ioctl (LiveUnsupported), never faked: a VM of another architecture
 * than the host's, guest events on other hosts, and the guest events the
 * live guest does not make (system registers, hypercalls, guest RAM).
 */
import { arch as hostArch } from 'node:os';
import { findGroup } from '../../devices/core/device.js';
import { DEVICE_MODELS } from '../../devices/registry.js';
import type { AttrEvent, AttrTarget, TraceEvent } from '../../traces/events.js';
import type { Backend, BackendFactory } from '../backend.js';
import { MODELS } from '../execute.js';
import {
  get,
  KVM,
  KVM_ARM_DEVICE_ADDR_T,
  KVM_CREATE_DEVICE_T,
  KVM_CREATE_DEVICE_TEST,
  KVM_DEVICE_ATTR_T,
  KVM_ENABLE_CAP_T,
  KVM_IRQ_LEVEL_T,
  KVM_IRQCHIP_T,
  KVM_LAPIC_STATE_T,
  KVM_MSI_T,
  offsetOf,
  put,
} from './abi.js';
import { closeFd, type IoctlResult, ioctlBuf, ioctlInt, kernelRelease, type Mapping, NativeBuffer, openKvm } from './host.js';
import { guestRefusal, X86Guest } from './x86-guest.js';
import type { DeclaredEvent } from '../../traces/kinds.js';
import type { PioEvent } from '../../traces/kinds/pio.js';
import { irqchipStructBytes, IRQCHIP_UNION_BYTES, LAPIC_STATE_BYTES } from '../../traces/kinds/x86-payload.js';

/** A scenario step the host cannot run: the message says which and why. */
export class LiveUnsupported extends Error {
  override name = 'LiveUnsupported';
}

/** The devrr architecture name of this host, or undefined for one KVM devrr does not know. */
export function hostDevrrArch(): string | undefined {
  const a = hostArch();
  return a === 'x64' ? 'x86_64' : a === 'arm64' ? 'arm64' : a === 'ppc64' ? 'ppc64' : a === 's390x' ? 's390x' : undefined;
}

/** The event kinds the live backend issues as ioctls. */
export const LIVE_KINDS: ReadonlySet<string> = new Set([
  'create_vm',
  'create_vcpu',
  'create_device',
  'set_attr',
  'get_attr',
  'has_attr',
  'arm_set_device_addr',
  'irq_line',
  'signal_msi',
  'enable_cap',
  // The in-kernel irqchip's own ioctls (x86: KVM_CREATE_IRQCHIP's PICs, IOAPIC and local APICs).
  'create_irqchip',
  'get_irqchip',
  'set_irqchip',
  'get_lapic',
  'set_lapic',
  'irq_line_status',
]);
/** The guest events the live guest makes (x86_64 hosts: a real-mode guest, x86-guest.ts). */
export const LIVE_GUEST_KINDS: ReadonlySet<string> = new Set(['mmio', 'pio', 'run_vcpu']);

/** Why event `ev` cannot be issued on this host, or undefined. */
export function liveRefusal(ev: TraceEvent): string | undefined {
  if (LIVE_GUEST_KINDS.has(ev.kind)) {
    if (hostDevrrArch() !== 'x86_64') return `${ev.kind} is a guest event: the live guest runs on x86_64 hosts only (this is ${hostDevrrArch() ?? hostArch()})`;
    if (ev.kind === 'mmio') return guestRefusal({ space: 'mmio', addr: ev.addr, len: ev.len as 1 | 2 | 4 | 8 });
    const p = ev as unknown as PioEvent;
    if (p.kind === 'pio') return guestRefusal({ space: 'pio', addr: p.port, len: p.len });
    return undefined;
  }
  // take_interrupt: the kernel injects on its own inside KVM_RUN; the live guest runs with interrupts off and cannot say which vector it took.
  if (!LIVE_KINDS.has(ev.kind)) return `${ev.kind} is a guest event the live guest does not make yet, so it cannot be issued on the host`;
  if (ev.kind === 'create_vm') {
    const h = hostDevrrArch();
    if (ev.arch !== h) return `the VM is ${ev.arch} but this host is ${h ?? hostArch()}: KVM runs only guests of the host's architecture`;
  }
  return undefined;
}

interface LiveVm {
  readonly fd: number;
  readonly vcpus: Map<number, number>;
  /** The guest on each vcpu that made a guest event, by vcpu id; the first one's RAM is the VM's. */
  readonly guests: Map<number, X86Guest>;
  ram?: Mapping;
  /** Device fds by devrr handle (successful non-TEST creates, in order, as the models number them), with their types. */
  readonly devices: { fd: number; type: number }[];
}

const errnoOf = (r: IoctlResult) => (r.ret < 0 ? r.errno : 0);

export class LiveBackend implements Backend {
  private kvm = -1;
  private readonly vms: LiveVm[] = [];
  private readonly buffers: NativeBuffer[] = [];

  execute(ev: TraceEvent): TraceEvent {
    try {
      return this.issue(ev);
    } finally {
      // Every user buffer of this call is read back by now: free them.
      for (const b of this.buffers.splice(0)) b.free();
    }
  }

  private issue(ev: TraceEvent): TraceEvent {
    const why = liveRefusal(ev);
    if (why) throw new LiveUnsupported(why);
    if (ev.kind === 'create_vm') {
      if (this.kvm < 0) this.kvm = openKvm();
      const r = ioctlInt(this.kvm, KVM.CREATE_VM, 0);
      if (r.ret < 0) throw new LiveUnsupported(`KVM_CREATE_VM failed on this host (errno ${r.errno})`);
      this.vms.push({ fd: r.ret, vcpus: new Map(), guests: new Map(), devices: [] });
      return ev;
    }
    const vm = this.vms[ev.vm];
    if (!vm) throw new Error(`event refers to VM ${ev.vm}, which was never created`);
    const declared = this.irqchipCall(vm, ev as unknown as DeclaredEvent);
    if (declared) return declared as unknown as TraceEvent;
    switch (ev.kind) {
      case 'create_vcpu': {
        const r = ioctlInt(vm.fd, KVM.CREATE_VCPU, ev.id);
        if (r.ret >= 0) vm.vcpus.set(ev.id, r.ret);
        return { ...ev, errno: errnoOf(r) };
      }
      case 'create_device': {
        const b = this.buf(KVM_CREATE_DEVICE_T.size);
        put(b.view, KVM_CREATE_DEVICE_T, 'type', ev.type);
        put(b.view, KVM_CREATE_DEVICE_T, 'flags', ev.flags);
        const r = ioctlBuf(vm.fd, KVM.CREATE_DEVICE, b);
        if (r.ret < 0 || ev.flags & KVM_CREATE_DEVICE_TEST) return { ...ev, errno: errnoOf(r), handle: -1 };
        vm.devices.push({ fd: Number(get(b.view, KVM_CREATE_DEVICE_T, 'fd')), type: ev.type });
        return { ...ev, errno: 0, handle: vm.devices.length - 1 };
      }
      case 'set_attr':
      case 'get_attr':
      case 'has_attr':
        return this.attr(vm, ev);
      case 'arm_set_device_addr': {
        const b = this.buf(KVM_ARM_DEVICE_ADDR_T.size);
        put(b.view, KVM_ARM_DEVICE_ADDR_T, 'id', ev.id);
        put(b.view, KVM_ARM_DEVICE_ADDR_T, 'addr', ev.addr);
        return { ...ev, errno: errnoOf(ioctlBuf(vm.fd, KVM.ARM_SET_DEVICE_ADDR, b)) };
      }
      case 'irq_line': {
        const b = this.buf(KVM_IRQ_LEVEL_T.size);
        put(b.view, KVM_IRQ_LEVEL_T, 'irq', ev.irq >>> 0);
        put(b.view, KVM_IRQ_LEVEL_T, 'level', ev.level);
        return { ...ev, errno: errnoOf(ioctlBuf(vm.fd, KVM.IRQ_LINE, b)) };
      }
      case 'signal_msi': {
        const b = this.buf(KVM_MSI_T.size);
        put(b.view, KVM_MSI_T, 'address_lo', ev.address & 0xffffffffn);
        put(b.view, KVM_MSI_T, 'address_hi', ev.address >> 32n);
        put(b.view, KVM_MSI_T, 'data', ev.data);
        put(b.view, KVM_MSI_T, 'flags', ev.flags);
        put(b.view, KVM_MSI_T, 'devid', ev.devid);
        const r = ioctlBuf(vm.fd, KVM.SIGNAL_MSI, b);
        return { ...ev, errno: errnoOf(r), ret: r.ret < 0 ? 0 : r.ret };
      }
      case 'enable_cap': {
        const b = this.buf(KVM_ENABLE_CAP_T.size);
        put(b.view, KVM_ENABLE_CAP_T, 'cap', ev.cap);
        ev.args.slice(0, 4).forEach((a, k) => b.view.setBigUint64(offsetOf(KVM_ENABLE_CAP_T, 'args') + 8 * k, BigInt.asUintN(64, a), true));
        const fd = ev.vcpu < 0 ? vm.fd : vm.vcpus.get(ev.vcpu);
        return { ...ev, errno: fd === undefined ? EBADF : errnoOf(ioctlBuf(fd, KVM.ENABLE_CAP, b)) };
      }
      case 'mmio': {
        const g = this.guest(vm, ev.vcpu);
        if (!g) return { ...ev, errno: EBADF };
        const r = g.access({ space: 'mmio', write: ev.write, addr: ev.addr, len: ev.len as 1 | 2 | 4, value: ev.value });
        return { ...ev, errno: r.errno, exit: r.exit, value: r.value };
      }
      case 'run_vcpu': {
        const g = this.guest(vm, ev.vcpu);
        return { ...ev, errno: g ? g.runOnly() : EBADF };
      }
      default:
        throw new LiveUnsupported(`${ev.kind} cannot be issued live`);
    }
  }

  /**
   * The kinds declared as data that the host issues: the irqchip's own
   * ioctls (struct kvm_irqchip, kvm_lapic_state, kvm_irq_level's status)
   * and a guest port access. Undefined for any other kind.
   */
  private irqchipCall(vm: LiveVm, ev: DeclaredEvent): DeclaredEvent | undefined {
    const n = (f: string) => ev[f] as number;
    switch (ev.kind) {
      case 'create_irqchip':
        return { ...ev, errno: errnoOf(ioctlInt(vm.fd, KVM.CREATE_IRQCHIP, 0)) };
      case 'get_irqchip':
      case 'set_irqchip': {
        const b = this.buf(KVM_IRQCHIP_T.size);
        put(b.view, KVM_IRQCHIP_T, 'chip_id', n('chip'));
        const at = offsetOf(KVM_IRQCHIP_T, 'chip');
        if (ev.kind === 'set_irqchip') {
          // The union's rest stays zero: the step's bytes padded, as the models pad them.
          b.set((ev['data'] as Uint8Array).subarray(0, IRQCHIP_UNION_BYTES), at);
          return { ...ev, errno: errnoOf(ioctlBuf(vm.fd, KVM.SET_IRQCHIP, b)) };
        }
        const errno = errnoOf(ioctlBuf(vm.fd, KVM.GET_IRQCHIP, b));
        // The chip's own struct (kvm_pic_state or kvm_ioapic_state), as the trace keeps it.
        return { ...ev, errno, data: errno ? new Uint8Array(0) : b.bytes().slice(at, at + irqchipStructBytes(n('chip'))) };
      }
      case 'get_lapic':
      case 'set_lapic': {
        const fd = vm.vcpus.get(n('vcpu'));
        if (fd === undefined) return ev.kind === 'get_lapic' ? { ...ev, errno: EBADF, data: new Uint8Array(0) } : { ...ev, errno: EBADF };
        const b = this.buf(KVM_LAPIC_STATE_T.size);
        if (ev.kind === 'set_lapic') {
          b.set((ev['data'] as Uint8Array).subarray(0, LAPIC_STATE_BYTES));
          return { ...ev, errno: errnoOf(ioctlBuf(fd, KVM.SET_LAPIC, b)) };
        }
        const errno = errnoOf(ioctlBuf(fd, KVM.GET_LAPIC, b));
        return { ...ev, errno, data: errno ? new Uint8Array(0) : b.bytes().slice(0, LAPIC_STATE_BYTES) };
      }
      case 'irq_line_status': {
        const b = this.buf(KVM_IRQ_LEVEL_T.size);
        put(b.view, KVM_IRQ_LEVEL_T, 'irq', n('irq') >>> 0);
        put(b.view, KVM_IRQ_LEVEL_T, 'level', n('level'));
        const errno = errnoOf(ioctlBuf(vm.fd, KVM.IRQ_LINE_STATUS, b));
        // The kernel writes the status (an __s32) over irq, in the union they share; a failed call leaves 0 recorded, as the models do.
        return { ...ev, errno, status: errno ? 0n : BigInt.asIntN(32, get(b.view, KVM_IRQ_LEVEL_T, 'irq')) };
      }
      case 'pio': {
        const p = ev as unknown as PioEvent;
        const g = this.guest(vm, p.vcpu);
        if (!g) return { ...ev, errno: EBADF };
        const r = g.access({ space: 'pio', write: p.write, addr: p.port, len: p.len, value: p.value });
        return { ...ev, errno: r.errno, exit: r.exit, value: r.value };
      }
      default:
        return undefined;
    }
  }

  /** KVM_SET/GET/HAS_DEVICE_ATTR on the fd the event names, with the value or struct in a user buffer. */
  private attr(vm: LiveVm, ev: AttrEvent): AttrEvent {
    const fd = this.fdOf(vm, ev.target);
    const request = ev.kind === 'set_attr' ? KVM.SET_DEVICE_ATTR : ev.kind === 'get_attr' ? KVM.GET_DEVICE_ATTR : KVM.HAS_DEVICE_ATTR;
    const { outValue: _v, outData: _d, ...call } = ev;
    if (fd === undefined) return { ...call, errno: EBADF };
    const width = this.payloadWidth(vm, ev.target, ev.group);
    const user = this.buf(Math.max(ev.data?.length ?? 0, width, 8));
    if (ev.data) user.set(ev.data);
    else if (ev.value !== undefined) for (let k = 0; k < width; k++) user.view.setUint8(k, Number((ev.value >> BigInt(8 * k)) & 0xffn));
    const a = this.buf(KVM_DEVICE_ATTR_T.size);
    put(a.view, KVM_DEVICE_ATTR_T, 'group', ev.group);
    put(a.view, KVM_DEVICE_ATTR_T, 'attr', ev.attr);
    put(a.view, KVM_DEVICE_ATTR_T, 'addr', ev.nullPtr ? 0n : user.address);
    const errno = errnoOf(ioctlBuf(fd, request, a));
    if (ev.kind !== 'get_attr' || errno) return { ...call, errno };
    if (ev.data) return { ...call, errno, outData: user.bytes().slice(0, ev.data.length) };
    let v = 0n;
    for (let k = width - 1; k >= 0; k--) v = (v << 8n) | BigInt(user.view.getUint8(k));
    return { ...call, errno, outValue: v };
  }

  /** The live guest on vcpu `id` (set up at its first guest event), or undefined for a vcpu that does not exist. */
  private guest(vm: LiveVm, id: number): X86Guest | undefined {
    let g = vm.guests.get(id);
    if (g) return g;
    const fd = vm.vcpus.get(id);
    if (fd === undefined) return undefined;
    g = X86Guest.setup(this.kvm, vm.fd, fd, vm.ram);
    vm.ram ??= g.memory;
    vm.guests.set(id, g);
    return g;
  }

  private fdOf(vm: LiveVm, t: AttrTarget): number | undefined {
    return t.kind === 'vm' ? vm.fd : t.kind === 'vcpu' ? vm.vcpus.get(t.id) : vm.devices[t.handle]?.fd;
  }

  /** The value width at attr.addr, from the device family's group table (a uapi fact), else 8. */
  private payloadWidth(vm: LiveVm, t: AttrTarget, group: number): number {
    if (t.kind !== 'device') return 8;
    const d = vm.devices[t.handle];
    const model = d && DEVICE_MODELS.get(d.type);
    const g = model && findGroup(model, group);
    return typeof g?.payload === 'number' && g.payload > 0 ? g.payload : 8;
  }

  private buf(size: number): NativeBuffer {
    const b = new NativeBuffer(size);
    this.buffers.push(b);
    return b;
  }

  /** Closes every fd and frees the buffers. */
  close(): void {
    for (const vm of this.vms) {
      for (const g of vm.guests.values()) g.close(false);
      vm.ram?.unmap();
      for (const d of vm.devices) closeFd(d.fd);
      for (const fd of vm.vcpus.values()) closeFd(fd);
      closeFd(vm.fd);
    }
    if (this.kvm >= 0) closeFd(this.kvm);
    this.kvm = -1;
    this.vms.length = 0;
    for (const b of this.buffers.splice(0)) b.free();
  }
}

const EBADF = 9;

/** Backends on the host's /dev/kvm; inspection is the models' (a live trace replays against them). */
export const LIVE: BackendFactory = {
  name: "the host's /dev/kvm",
  create: () => new LiveBackend(),
  inspector: MODELS.inspector,
  versions: () => ({}),
  origin: () => ({ by: 'live', kernel: kernelRelease(), host: hostDevrrArch() ?? hostArch() }),
};
