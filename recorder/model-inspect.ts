/**
 * The device models' Inspector: reads a plain-data state through a device
 * registry, with each family's own tables and `inspect` hooks (group
 * tables, register names and fields, views, explainIrq, migration, the
 * interrupts facet) and each architecture's rules (the KVM_IRQ_LINE
 * encoding).
 */
import { ARCH_RULES } from '../devices/arch/index.js';
import { type DeviceModel, findGroup, type InterruptEffect, type InterruptEvent, type InterruptRange, type MmioFrame } from '../devices/core/device.js';
import { decodeFields } from '../devices/core/regtable.js';
import { resolveSessionPath, sessionView } from '../devices/core/vm-view.js';
import { type DeviceRegistry, Vm } from '../devices/core/vm.js';
import type { VmState } from '../devices/core/vm-state.js';
import type { AttrEvent, MmioEvent, TraceEvent } from '../traces/events.js';
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
  /** The register an access hits, as the access finds the VM (a vcpu's first access is its first run, which maps the device frames). */
  const frameFor = (vm: VmState, ev: MmioEvent): { vm: VmState; hit: FrameHit } | undefined => {
    const hit = frameIn(vm, registry, ev.addr, ev.len);
    if (hit || ev.exit) return hit && { vm, hit };
    const copy = new Vm(registry, vm.arch, vm.ipaBits);
    copy.restore(vm);
    copy.runVcpu(ev.vcpu);
    const h = frameIn(copy.state, registry, ev.addr, ev.len);
    return h && { vm: copy.state, hit: h };
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
      const f = vm && frameFor(vm, ev);
      return f && mmioTarget(f.vm, f.hit, ev);
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
    irqLine(state, vm, irq) {
      const arch = state.vms[vm]?.arch;
      return arch ? ARCH_RULES[arch].irqLine.describe(irq >>> 0) : `irq 0x${(irq >>> 0).toString(16)}`;
    },
    interruptRanges(state, vm) {
      const out: InterruptRange[] = [];
      for (const d of state.vms[vm]?.devices ?? []) out.push(...(registry.get(d.type)?.inspect?.interrupts?.ranges ?? []));
      return out;
    },
    interruptName(state, vm, irq) {
      for (const d of state.vms[vm]?.devices ?? []) {
        const f = registry.get(d.type)?.inspect?.interrupts;
        if (f?.name && f.ranges.some((r) => irq >= r.first && irq <= r.last)) return f.name(irq);
      }
      return undefined;
    },
    interruptEffects(state, ev) {
      const vm = state.vms[ev.vm];
      if (!vm) return [];
      if (ev.kind === 'mmio') {
        // An access is the business of the device whose frame it hits, in that frame's terms.
        const f = frameFor(vm, ev);
        const facet = f?.hit.model.inspect?.interrupts;
        if (!f || !facet) return [];
        const ie: InterruptEvent = { kind: 'mmio', vcpu: ev.vcpu, write: ev.write, frame: f.hit.frame.kind, offset: f.hit.offset, len: ev.len, value: ev.value, errno: ev.errno };
        return facet.effects(f.vm, f.vm.devices[f.hit.handle]!.state, ie);
      }
      const ie = interruptEvent(ev);
      if (!ie) return [];
      const out: InterruptEffect[] = [];
      vm.devices.forEach((d) => out.push(...(registry.get(d.type)?.inspect?.interrupts?.effects(vm, d.state, ie) ?? [])));
      return out;
    },
    view: (state) => sessionView(state.vms, registry),
    get: (state, steps) => resolveSessionPath(state.vms, registry, steps),
    explainIrq(state, vmIndex, irq) {
      const vm = state.vms[vmIndex];
      const ic = irqchipOf(vm);
      const inspect = ic?.model.inspect;
      if (!vm || !inspect?.explainIrq) return undefined;
      const prefix = vmIndex ? `vm${vmIndex}.` : '';
      return inspect.explainIrq(vm, ic!.state, irq, `${prefix}${inspect.view?.root ?? `dev${vm.irqchip}`}`).map((c) => ({
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
          connect: m?.connect?.(vm, d.state) ?? [],
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

/** A trace event as the interrupts facets read it (an mmio access is read per frame, above); undefined for a kind no facet reads. */
function interruptEvent(ev: TraceEvent): InterruptEvent | undefined {
  switch (ev.kind) {
    case 'irq_line':
      return { kind: 'irq_line', irq: ev.irq >>> 0, level: ev.level, errno: ev.errno };
    case 'sysreg':
      return { kind: 'sysreg', vcpu: ev.vcpu, write: ev.write, reg: ev.reg, value: ev.value, errno: ev.errno };
    case 'signal_msi':
      return { kind: 'signal_msi', address: ev.address, data: ev.data, devid: ev.devid, errno: ev.errno, ret: ev.ret };
    default:
      return undefined;
  }
}
