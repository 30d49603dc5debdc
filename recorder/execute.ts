/**
 * Executes one trace event against the device models and returns the event
 * with the results the models gave. Recording and replay both go through
 * here, so a replay makes exactly the calls the recording made.
 */
import { findGroup } from '../devices/core/device.js';
import type { AttrFd, Vm } from '../devices/core/vm.js';
import type { VmState } from '../devices/core/vm-state.js';
import { createVm, DEVICE_MODELS } from '../devices/registry.js';
import { ERRNO } from '../devices/core/uapi.js';
import type { AttrEvent, AttrTarget, TraceEvent } from '../traces/events.js';
import { assertNever } from '../traces/events.js';

/** The VMs of one recording or replay, in creation order. */
export class Session {
  readonly vms: Vm[] = [];

  /** Runs `ev` (its result fields are ignored) and returns it with fresh results. */
  execute(ev: TraceEvent): TraceEvent {
    if (ev.kind === 'create_vm') {
      this.vms.push(createVm(ev.arch, ev.ipaBits));
      return ev;
    }
    const vm = this.vms[ev.vm];
    if (!vm) throw new Error(`event refers to VM ${ev.vm}, which was never created`);
    switch (ev.kind) {
      case 'create_vcpu':
        return { ...ev, errno: vm.createVcpu(ev.id) };
      case 'create_device': {
        const r = vm.createDevice(ev.type, ev.flags);
        return { ...ev, errno: r.errno, handle: r.handle };
      }
      case 'set_attr':
      case 'get_attr':
      case 'has_attr':
        if (!hasFd(vm, ev.target)) return ev.kind === 'get_attr' ? withoutOutputs(ev, ERRNO.EBADF) : { ...ev, errno: ERRNO.EBADF };
        return this.attrCall(vm, ev);
      case 'arm_set_device_addr':
        return { ...ev, errno: vm.armSetDeviceAddr(ev.id, ev.addr) };
      case 'run_vcpu':
        return { ...ev, errno: vm.runVcpu(ev.vcpu) };
      case 'mmio': {
        const r = vm.mmio(ev.vcpu, ev.write, ev.addr, ev.len, ev.value);
        // An exit to the VMM: a read returns what the VMM answered (the recorded value).
        const value = r.exit ? ev.value : r.errno ? (ev.write ? ev.value : 0n) : r.value;
        return { ...ev, errno: r.errno, exit: r.exit, value };
      }
      case 'irq_line':
        return { ...ev, errno: vm.irqLine(ev.irq, ev.level) };
      case 'enable_cap':
        // No modelled device takes a capability yet: KVM_ENABLE_CAP's default is EINVAL.
        return { ...ev, errno: ERRNO.EINVAL };
      case 'hcall':
        // No modelled device serves hypercalls yet: H_FUNCTION-like "not handled".
        return { ...ev, errno: ERRNO.ENOTTY, ret: 0n };
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
      case 'signal_msi': {
        const r = vm.signalMsi({ address: ev.address, data: ev.data, flags: ev.flags, devid: ev.devid });
        return { ...ev, errno: r.errno, ret: r.ret };
      }
      default:
        return assertNever(ev, 'event');
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
        if (r.errno === 0 && r.value !== undefined) return { ...out, outValue: truncateToPayload(vm, ev, r.value) };
        if (r.errno === 0 && r.data !== undefined) return { ...out, outData: r.data };
        return out;
      }
      case 'has_attr':
        return { ...ev, errno: vm.hasAttr(fdOf(ev.target), ev.group, ev.attr) };
    }
  }

  /** Plain-data state of every VM: what checkpoints store and digests cover. */
  snapshot(): SessionState {
    return { vms: this.vms.map((v) => v.snapshot()) };
  }

  restore(state: SessionState): void {
    this.vms.length = 0;
    for (const s of state.vms) {
      const vm = createVm(s.arch, s.ipaBits);
      vm.restore(s);
      this.vms.push(vm);
    }
  }
}

export interface SessionState {
  vms: VmState[];
}

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
  const g = findGroup(DEVICE_MODELS.get(d.type)!, group);
  return typeof g?.payload === 'number' && g.payload > 0 ? g.payload : 8;
}

function truncateToPayload(vm: Vm, ev: AttrEvent, v: bigint): bigint {
  return BigInt.asUintN(payloadWidth(vm, ev.target, ev.group) * 8, v);
}

/** Do two executions of one event agree on every result field? */
export function sameResult(a: TraceEvent, b: TraceEvent): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'create_vm':
      return true;
    case 'create_device':
      return a.errno === (b as typeof a).errno && a.handle === (b as typeof a).handle;
    case 'get_attr': {
      const o = b as typeof a;
      return a.errno === o.errno && a.outValue === o.outValue && bytesEqual(a.outData, o.outData);
    }
    case 'mmio': {
      const o = b as typeof a;
      return a.errno === o.errno && a.exit === o.exit && a.value === o.value;
    }
    case 'hcall':
      return a.errno === (b as typeof a).errno && a.ret === (b as typeof a).ret;
    case 'sysreg':
      return a.errno === (b as typeof a).errno && a.value === (b as typeof a).value;
    case 'mem_read':
      return a.errno === (b as typeof a).errno && bytesEqual(a.data, (b as typeof a).data);
    case 'signal_msi':
      return a.errno === (b as typeof a).errno && a.ret === (b as typeof a).ret;
    default:
      return a.errno === (b as { errno: number }).errno;
  }
}

function bytesEqual(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (!a || !b) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
