/**
 * The named view of a whole session (one or more VMs): VM 0's devices at the
 * top ("gic..."), later VMs under "vm1", "vm2"... Each device appears under
 * its view's root name ("gic"), or "dev<handle>" with its raw state when it
 * has no view; a second device with the same root gets its handle appended.
 */
import { ARCH_RULES } from '../arch/index.js';
import type { DeviceModel } from './device.js';
import { filesView } from './files.js';
import type { VmState } from './vm-state.js';
import { type PathStep, walk } from './view.js';

type Registry = ReadonlyMap<number, DeviceModel<any>>;

function rootNames(vm: VmState, registry: Registry): string[] {
  const seen = new Map<string, number>();
  return vm.devices.map((d, h) => {
    const root = registry.get(d.type)?.inspect?.view?.root ?? `dev${h}`;
    const n = seen.get(root) ?? 0;
    seen.set(root, n + 1);
    return n === 0 ? root : `${root}${h}`;
  });
}

export function vmView(vm: VmState, registry: Registry): Record<string, unknown> {
  const o: Record<string, unknown> = {
    vcpus: vm.vcpus.map((v) => ({ id: v.id, ran: v.ran })),
    max_vcpus: vm.maxVcpus,
    dead: vm.dead,
  };
  // The VMM's open files (VFIO groups and devices, eventfds), once there are any.
  if (vm.files) o['files'] = filesView(vm.files);
  // The architecture's own VM state (s390's CPU model, TOD, ...), under its root.
  const arch = ARCH_RULES[vm.arch]?.archState?.view;
  if (arch && vm.archState !== undefined) o[arch.root] = arch.build(vm);
  const names = rootNames(vm, registry);
  vm.devices.forEach((d, h) => {
    const m = registry.get(d.type);
    o[names[h]!] = m?.inspect?.view ? m.inspect.view.build(vm, d.state) : d.state;
  });
  return o;
}

export function sessionView(vms: readonly VmState[], registry: Registry): Record<string, unknown> {
  const o = vms.length ? vmView(vms[0]!, registry) : {};
  vms.slice(1).forEach((vm, i) => (o[`vm${i + 1}`] = vmView(vm, registry)));
  return o;
}

/** One field of the session view, read through the device's resolver when it has one. */
export function resolveSessionPath(vms: readonly VmState[], registry: Registry, steps: readonly PathStep[]): unknown {
  let vmIndex = 0;
  let rest = steps;
  const m = typeof steps[0] === 'string' ? /^vm(\d+)$/.exec(steps[0]) : null;
  if (m && Number(m[1]) > 0) {
    vmIndex = Number(m[1]);
    rest = steps.slice(1);
  }
  const vm = vms[vmIndex];
  if (!vm) return undefined;
  const h = rootNames(vm, registry).indexOf(rest[0] as string);
  if (h >= 0) {
    // One device: its resolver, else a walk of that device's view alone.
    const d = vm.devices[h]!;
    const view = registry.get(d.type)?.inspect?.view;
    const v = view?.resolve?.(vm, d.state, rest.slice(1));
    if (v !== undefined) return v;
    return walk(view ? view.build(vm, d.state) : d.state, rest.slice(1));
  }
  // The VM's own fields (vmView's first three): read without building any device's view.
  switch (rest[0]) {
    case 'vcpus':
      return walk(vm.vcpus.map((v) => ({ id: v.id, ran: v.ran })), rest.slice(1));
    case 'max_vcpus':
      return rest.length === 1 ? vm.maxVcpus : undefined;
    case 'dead':
      return rest.length === 1 ? vm.dead : undefined;
    case 'files':
      return vm.files ? walk(filesView(vm.files), rest.slice(1)) : undefined;
  }
  return walk(vmView(vm, registry), rest);
}
