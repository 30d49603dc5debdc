/**
 * The device models' Inspector: reads a plain-data state through a device
 * registry, with each family's own tables and `inspect` hooks (group
 * tables, register names and fields, views, explainIrq, migration, the
 * interrupts facet) and each architecture's rules (the KVM_IRQ_LINE
 * encoding).
 */
import { ARCH_RULES, archFdNames } from '../devices/arch/index.js';
import { type DeviceModel, findGroup, type InterruptEffect, type InterruptEvent, type InterruptRange, type MmioFrame, type PortRange } from '../devices/core/device.js';
import { deviceNames, type FdNames } from '../devices/core/names.js';
import { decodeFields } from '../devices/core/regtable.js';
import { resolveSessionPath, sessionView } from '../devices/core/vm-view.js';
import { type DeviceRegistry, Vm } from '../devices/core/vm.js';
import type { VmState } from '../devices/core/vm-state.js';
import type { AttrEvent, MmioEvent, TraceEvent } from '../traces/events.js';
import type { PioEvent } from '../traces/kinds/pio.js';
import { type DeclaredEvent, kindDecl } from '../traces/kinds.js';
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
  /** The name table of the fd an attribute call addresses: its device's model, or the VM's arch's VM or vcpu fd; none for a handle with no device. */
  const fdTable = (state: SessionState, vm: number, target: AttrEvent['target']): FdNames | undefined => {
    const v = state.vms[vm];
    if (!v) return undefined;
    if (target.kind !== 'device') return archFdNames(v.arch, target.kind);
    const model = modelAt(v, target.handle);
    return model && deviceNames(model);
  };
  /** The group row an attribute event reaches: the device's, or the arch's on the VM fd and vcpu fds. */
  const deviceGroup = (state: SessionState, ev: AttrEvent) => {
    if (ev.target.kind !== 'device') {
      const arch = state.vms[ev.vm]?.arch;
      const rules = arch && (ev.target.kind === 'vm' ? ARCH_RULES[arch].vmAttrs : ARCH_RULES[arch].vcpuAttrs);
      return rules ? rules.groups.find((g) => g.id === ev.group) : undefined;
    }
    const model = modelAt(state.vms[ev.vm], ev.target.handle);
    return model && findGroup(model, ev.group);
  };

  return {
    typeName: (type) => registry.get(type)?.typeName,
    deviceName: (state, vm, handle) => modelAt(state.vms[vm], handle)?.inodeName,
    groupName: (state, vm, handle, group) => fdTable(state, vm, { kind: 'device', handle })?.byId.get(group)?.name,
    attrNames(state, ev) {
      const t = fdTable(state, ev.vm, ev.target);
      const g = t?.byId.get(ev.group);
      if (!t) return undefined;
      if (!g) return { group: `group ${ev.group}`, attr: hex(ev.attr) };
      return { group: g.name, attr: g.row ? g.row.describe(ev.attr) : hex(ev.attr) };
    },
    attrValue: (state, ev, value) => fdTable(state, ev.vm, ev.target)?.byId.get(ev.group)?.row?.describeValue?.(ev.attr, value) ?? '',
    attrData: (state, ev, data) => deviceGroup(state, ev)?.describeData?.(ev.attr, data) ?? '',
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
    pio(state, vm, port, len) {
      const v = state.vms[vm];
      const hit = v && portIn(v, registry, port, len);
      if (!hit) return undefined;
      // A family without describePio leaves the port unnamed (the line shows the port number only).
      return hit.model.inspect?.describePio?.(v.devices[hit.handle]!.state, hit.range.kind, hit.offset, len);
    },
    payload(state, vm, kind, id, data) {
      for (const d of state.vms[vm]?.devices ?? []) {
        const t = registry.get(d.type)?.inspect?.describePayload?.(kind, id, data);
        if (t !== undefined) return t;
      }
      return undefined;
    },
    sysreg(state, ev) {
      const ic = irqchipOf(state.vms[ev.vm]);
      const name = ic?.model.inspect?.describeSysreg?.(ev.reg);
      const fl = ev.errno ? undefined : ic?.model.inspect?.sysregFields?.(ev.reg);
      return { ...(name !== undefined && { name }), fields: fl ? decodeFields(BigInt.asUintN(64, ev.value), fl) : '' };
    },
    hcall(state, ev) {
      const vm = state.vms[ev.vm];
      for (const d of vm?.devices ?? []) {
        const r = registry.get(d.type)?.inspect?.describeHcall?.(ev.nr, ev.args, ev.ret);
        if (r) return r;
      }
      return undefined;
    },
    oneReg(state, vm, id, value) {
      const arch = state.vms[vm]?.arch;
      if (!arch) return undefined;
      for (const m of registry.values()) {
        if (!m.arches.includes(arch)) continue;
        const d = m.kernel.oneRegs?.find((r) => r.id === BigInt.asUintN(64, id));
        if (d) return { name: d.name, ...(d.describeValue && { value: d.describeValue(BigInt.asUintN(64, value)) }) };
      }
      return undefined;
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
      if ((ev.kind as string) === 'pio') {
        // A port access is the business of the device whose port range holds it, in that range's terms.
        const p = ev as unknown as PioEvent;
        const hit = p.exit ? undefined : portIn(vm, registry, p.port, p.len);
        const facet = hit?.model.inspect?.interrupts;
        if (!hit || !facet) return [];
        const ie: InterruptEvent = { kind: 'pio', vcpu: p.vcpu, write: p.write, range: hit.range.kind, offset: hit.offset, len: p.len, value: p.value, errno: p.errno };
        return facet.effects(vm, vm.devices[hit.handle]!.state, ie);
      }
      if (ev.kind === 'set_attr') {
        // An attribute write is the business of the device whose fd it was issued on.
        const d = ev.target.kind === 'device' ? vm.devices[ev.target.handle] : undefined;
        const facet = d && registry.get(d.type)?.inspect?.interrupts;
        if (!facet) return [];
        return facet.effects(vm, d!.state, { kind: 'set_attr', group: ev.group, attr: ev.attr, value: ev.value ?? 0n, ...(ev.data && { data: ev.data }), errno: ev.errno });
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
    vmMigration(state, vmIndex) {
      const vm = state.vms[vmIndex];
      const m = vm && ARCH_RULES[vm.arch]?.archState?.migration;
      return m && { saveList: m.saveList(vm), restore: (saved) => m.restore(saved), notCarried: m.notCarried };
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
          ...(m?.create && { create: m.create }),
          vcpuConnects: m?.vcpuConnects?.(vm, d.state) ?? [],
          saveList: m?.saveList(vm, d.state),
          vmmConfig: m?.vmmConfig?.(vm, d.state) ?? [],
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

/** The device port range a port access falls in, whole (kvm_io_bus_get_first_dev on KVM_PIO_BUS), with its offset. */
function portIn(vm: VmState, registry: DeviceRegistry, port: number, len: number): { handle: number; model: DeviceModel<any>; range: PortRange; offset: number } | undefined {
  const all: { handle: number; model: DeviceModel<any>; range: PortRange }[] = [];
  vm.devices.forEach((d, handle) => {
    const model = registry.get(d.type);
    for (const range of model?.kernel.ports?.(d.state) ?? []) all.push({ handle, model: model!, range });
  });
  all.sort((a, b) => a.range.base - b.range.base);
  const f = all.find((b) => port >= b.range.base && port + len <= b.range.base + b.range.size);
  return f && { ...f, offset: port - f.range.base };
}

function mmioTarget(vm: VmState, f: FrameHit, ev: MmioEvent): MmioTarget {
  const st = vm.devices[f.handle]!.state;
  const reg = f.model.inspect?.describeMmio?.(st, f.frame.kind, f.offset, ev.len) ?? `${f.frame.name}+${hex(f.offset)}`;
  const fl = f.model.inspect?.registerFields?.(f.frame.kind, f.offset);
  return { handle: f.handle, device: f.model.inodeName, frame: f.frame.name, reg, fields: fl && ev.len === 4 ? decodeFields(Number(ev.value), fl) : '' };
}

/** A trace event as the interrupts facets read it (an mmio access is read per frame, above); undefined for a kind no facet reads. */
function interruptEvent(ev: TraceEvent): InterruptEvent | undefined {
  // A declared kind that injects an MSI (an irqfd's kvm_set_msi) reaches the irqchip as KVM_SIGNAL_MSI does.
  const msi = kindDecl(ev.kind)?.injectedMsi?.(ev as unknown as DeclaredEvent);
  if (msi) return { kind: 'signal_msi', address: msi.address, data: msi.data, devid: msi.devid, errno: msi.errno, ret: msi.ret };
  switch (ev.kind) {
    case 'irq_line':
      return { kind: 'irq_line', irq: ev.irq >>> 0, level: ev.level, errno: ev.errno };
    case 'sysreg':
      return { kind: 'sysreg', vcpu: ev.vcpu, write: ev.write, reg: ev.reg, value: ev.value, errno: ev.errno };
    case 'signal_msi':
      return { kind: 'signal_msi', address: ev.address, data: ev.data, devid: ev.devid, errno: ev.errno, ret: ev.ret };
    case 'hcall':
      return { kind: 'hcall', vcpu: ev.vcpu, nr: ev.nr, args: ev.args, ret: ev.ret, errno: ev.errno };
    default: {
      // Kinds declared as data the facets read: KVM_IRQ_LINE_STATUS drives the line as KVM_IRQ_LINE does; a vcpu taking an interrupt.
      const d = ev as unknown as Record<string, unknown>;
      if (d['kind'] === 'irq_line_status') return { kind: 'irq_line', irq: (d['irq'] as number) >>> 0, level: d['level'] as number, errno: d['errno'] as number };
      if (d['kind'] === 'take_interrupt') return { kind: 'take_interrupt', vcpu: d['vcpu'] as number, vector: d['vector'] as number, errno: d['errno'] as number };
      return undefined;
    }
  }
}
