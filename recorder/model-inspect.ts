/**
 * The device models' Inspector: reads a plain-data state through a device
 * registry, with each family's own tables and hooks (group tables,
 * describeMmio, register fields, views, explainIrq, migration).
 */
import { type DeviceModel, findGroup, type MmioFrame } from '../devices/core/device.js';
import { decodeFields } from '../devices/core/regtable.js';
import { resolveSessionPath, sessionView } from '../devices/core/vm-view.js';
import { type DeviceRegistry, Vm } from '../devices/core/vm.js';
import type { VmState } from '../devices/core/vm-state.js';
import type { AttrEvent, MmioEvent } from '../traces/events.js';
import type { SessionState } from './backend.js';
import type { DeviceMigration, Inspector, MmioTarget } from './inspect.js';

const hex = (v: bigint | number) => `0x${v.toString(16)}`;

/** The Inspector of the models of `registry`. */
export function modelInspector(registry: DeviceRegistry): Inspector {
  const modelAt = (vm: VmState | undefined, handle: number): DeviceModel<any> | undefined => {
    const d = vm?.devices[handle];
    return d && registry.get(d.type);
  };
  const irqchipOf = (vm: VmState | undefined): { model: DeviceModel<any>; state: unknown } | undefined => {
    const ic = vm?.irqchip ?? -1;
    const model = ic >= 0 ? modelAt(vm, ic) : undefined;
    return model && { model, state: vm!.devices[ic]!.state };
  };
  const deviceGroup = (state: SessionState, ev: AttrEvent) => {
    if (ev.target.kind !== 'device') return undefined;
    const model = modelAt(state.vms[ev.vm], ev.target.handle);
    return model && findGroup(model, ev.group);
  };

  return {
    typeName: (type) => registry.get(type)?.typeName,
    deviceName: (state, vm, handle) => modelAt(state.vms[vm], handle)?.inodeName,
    groupName(state, vm, handle, group) {
      const model = modelAt(state.vms[vm], handle);
      return model && findGroup(model, group)?.name;
    },
    attrNames(state, ev) {
      const g = deviceGroup(state, ev);
      return g && { group: g.name, attr: g.describe(ev.attr) };
    },
    attrValue: (state, ev, value) => deviceGroup(state, ev)?.describeValue?.(ev.attr, value) ?? '',
    payloadWidth(state, vm, target, group) {
      if (target.kind !== 'device') return 8;
      const model = modelAt(state.vms[vm], target.handle);
      const g = model && findGroup(model, group);
      return typeof g?.payload === 'number' && g.payload > 0 ? g.payload : 8;
    },
    mmio(state, ev) {
      const vm = state.vms[ev.vm];
      if (!vm) return undefined;
      let hit = frameIn(vm, registry, ev.addr, ev.len);
      let st = vm;
      if (!hit && !ev.exit) {
        // The vcpu's first access is its first run, which maps the device frames: look in a copy that has run.
        const copy = new Vm(registry, vm.arch, vm.ipaBits);
        copy.restore(vm);
        copy.runVcpu(ev.vcpu);
        st = copy.state;
        hit = frameIn(st, registry, ev.addr, ev.len);
      }
      return hit && mmioTarget(st, hit, ev);
    },
    sysreg(state, ev) {
      const ic = irqchipOf(state.vms[ev.vm]);
      const name = ic?.model.inspect?.describeSysreg?.(ev.reg);
      const fl = ev.errno ? undefined : ic?.model.inspect?.sysregFields?.(ev.reg);
      return { ...(name !== undefined && { name }), fields: fl ? decodeFields(BigInt.asUintN(64, ev.value), fl) : '' };
    },
    memWrite(state, ev) {
      const vm = state.vms[ev.vm];
      if (!vm) return '';
      const parts: string[] = [];
      vm.devices.forEach((d, h) => {
        const t = modelAt(vm, h)?.inspect?.describeMemWrite?.(vm, d.state, ev.addr, ev.data);
        if (t) parts.push(t);
      });
      return parts.join('; ');
    },
    irqLine: (state, vm, irq) => describeIrq(irq, state.vms[vm]?.arch),
    view: (state) => sessionView(state.vms, registry),
    get: (state, steps) => resolveSessionPath(state.vms, registry, steps),
    explainIrq(state, vmIndex, irq) {
      const vm = state.vms[vmIndex];
      const ic = irqchipOf(vm);
      const inspect = ic?.model.inspect;
      if (!vm || !ic || !inspect?.explainIrq) return undefined;
      const prefix = vmIndex ? `vm${vmIndex}.` : '';
      return inspect.explainIrq(vm, ic.state, irq, `${prefix}${ic.model.inspect?.view?.root ?? `dev${vm.irqchip}`}`).map((c) => ({
        ...c,
        paths: c.paths.map((p) => (p.startsWith(prefix) ? p : prefix + p)),
      }));
    },
    migration(state, vmIndex) {
      const vm = state.vms[vmIndex];
      if (!vm) return [];
      return vm.devices.map((d, handle): DeviceMigration => {
        const model = registry.get(d.type)!;
        const m = model.inspect?.migration;
        const owned = m?.ownedMemory;
        return {
          handle,
          typeName: model.typeName,
          saveActions: m?.saveActions ?? [],
          saveList: m?.saveList(vm, d.state),
          restore: (saved, lines) => (m ? m.restore(saved, lines) : { writes: [], redrive: [] }),
          notCarried: m?.notCarried ?? [],
          ...(owned && { ownedMemory: { why: owned.why, ranges: owned.ranges(vm, d.state) } }),
        };
      });
    },
  };
}

interface FrameHit {
  readonly handle: number;
  readonly model: DeviceModel<any>;
  readonly frame: MmioFrame;
  readonly offset: number;
}

/**
 * The frame that claims an access of `len` bytes at `addr`, as the Vm's
 * bus finds it (frames in address order, the whole access inside one).
 */
function frameIn(vm: VmState, registry: DeviceRegistry, addr: number, len: number): FrameHit | undefined {
  const all: { handle: number; model: DeviceModel<any>; frame: MmioFrame }[] = [];
  vm.devices.forEach((d, handle) => {
    const model = registry.get(d.type);
    for (const frame of model?.kernel.frames?.(d.state) ?? []) all.push({ handle, model: model!, frame });
  });
  all.sort((a, b) => a.frame.base - b.frame.base);
  const f = all.find((b) => addr >= b.frame.base && addr + len <= b.frame.base + b.frame.size);
  return f && { ...f, offset: addr - f.frame.base };
}

function mmioTarget(vm: VmState, f: FrameHit, ev: MmioEvent): MmioTarget {
  const st = vm.devices[f.handle]!.state;
  const reg = f.model.inspect?.describeMmio?.(st, f.frame.kind, f.offset, ev.len) ?? `${f.frame.name}+${hex(f.offset)}`;
  const fl = f.model.inspect?.registerFields?.(f.frame.kind, f.offset);
  return { handle: f.handle, device: f.model.inodeName, frame: f.frame.name, reg, fields: fl && ev.len === 4 ? decodeFields(Number(ev.value), fl) : '' };
}

/** arm64 KVM_IRQ_LINE decoding: "SPI 42", "PPI 27 vcpu 1", "CPU IRQ vcpu 0". */
function describeIrq(irq: number, arch = 'arm64'): string {
  if (arch !== 'arm64') return `GSI ${irq}`;
  const type = (irq >>> 24) & 0xf;
  const vcpu = ((irq >>> 16) & 0xff) + ((irq >>> 28) & 0xf) * 256;
  const num = irq & 0xffff;
  switch (type) {
    case 0:
      return `CPU ${num === 0 ? 'IRQ' : num === 1 ? 'FIQ' : num} vcpu ${vcpu}`;
    case 1:
      return `SPI ${num}`;
    case 2:
      return `PPI ${num} vcpu ${vcpu}`;
    default:
      return `irq ${hex(irq)} (type ${type})`;
  }
}
