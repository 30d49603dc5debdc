/**
 * `devrr migrate-check`: does device state survive a save/restore through
 * the device attributes, the way a VMM migrates a VM?
 *
 * At each chosen point of a trace the source VM is saved exactly as a VMM
 * would (each device's save list, read with GET_DEVICE_ATTR), a fresh VM is
 * built (same vcpus, same devices) and restored in the device's restore
 * order with SET_DEVICE_ATTR; the interrupt lines the trace left high are
 * re-driven, as device models do after a migration. Then the named views of
 * source and destination are compared (minus what the ABI does not carry by
 * design), and the rest of the trace is replayed on both: the first event
 * whose result differs is reported with the fields that differ.
 *
 * A trace that holds a recorded migration (a second VM made by create_vm and
 * restored with set_attr calls) is checked as recorded: the source's state at
 * its last save read against the destination's after its last restore write.
 */
import type { NotCarried, SavedAttr, SavedValue } from '../devices/core/device.js';
import { GUEST_PAGE } from '../devices/core/guest-mem.js';
import { cloneState, diffState, type FieldDiff } from '../devices/core/state.js';
import type { VmState } from '../devices/core/vm-state.js';
import { errnoName } from '../devices/core/uapi.js';
import { type Backend, type BackendFactory, sameResult, type SessionState, type StateCapability } from '../recorder/backend.js';
import { MODELS } from '../recorder/execute.js';
import type { AttrTarget, TraceEvent } from '../traces/events.js';
import { applyEvents } from './apply.js';
import { Timeline } from './timeline.js';
import { ChunkCache, type TraceSource } from './trace-source.js';

export interface MigrationFailure {
  /** The migration point (state after events [0, event)), or the recorded restore's last event. */
  readonly event: number;
  /** State that did not cross (source -> destination), by view path. */
  readonly fields: readonly FieldDiff[];
  readonly kind: 'restore' | 'behaviour' | 'recorded';
  /** Attribute calls of the save or restore that failed. */
  readonly errors?: readonly string[];
  /** For a behaviour failure: the first later event whose result differs on the destination. */
  readonly divergence?: { readonly event: number; readonly source: TraceEvent; readonly destination: TraceEvent };
}

/** State left out of the comparison: a device's NotCarried rule, or guest RAM a device owns. */
export interface NotCompared {
  /** View paths (`*`: any one index or key); empty for guest RAM. */
  readonly fields: readonly string[];
  readonly what: string;
  readonly why: string;
}

export interface MigrateCheckResult {
  /** Round trips checked: one per point, plus one for a recorded migration. */
  readonly checks: number;
  /** The points checked (state after events [0, p)). */
  readonly points: readonly number[];
  /** The recorded migration checked, if the trace holds one: its last save read and its last restore write. */
  readonly recorded: { readonly save: number; readonly restore: number } | null;
  readonly failures: readonly MigrationFailure[];
  /** What was left out of the comparison, and why (the devices' notCarried lists, their owned guest RAM). */
  readonly notComparedRules: readonly NotCompared[];
  /** The same, one line of words each: "fields: what — why". */
  readonly notCompared: readonly string[];
}

/** migrate-check cannot run on this backend. */
export class MigrateError extends Error {}

function stateOf(b: Backend, backends: BackendFactory): StateCapability {
  if (!b.state) throw new MigrateError(`migrate-check needs a backend that can give and restore its state; ${backends.name} cannot`);
  return b.state;
}

/**
 * Builds a destination VM from `source` through the device attributes, on
 * fresh backends, the way a VMM does it: every call is a trace event
 * executed by the backend (KVM_CREATE_VCPU, GET/SET_DEVICE_ATTR, guest RAM
 * writes, KVM_CREATE_DEVICE, KVM_IRQ_LINE). Returns the destination VM's
 * state and the calls that failed.
 *
 * Order (arm-vgic-v3.rst, arm-vgic-its.rst; reference 3.3 and 3.4): on the
 * source copy, every device's save actions run first (the other devices'
 * before the irqchip's: the ITS's SAVE_TABLES, then the VGIC's
 * SAVE_PENDING_TABLES), then the save lists are read. The VM's own state
 * (the arch's VM-fd attributes, s390's CPU model and TOD) is read and
 * written first, before the destination has vcpus (s390 refuses a CPU model
 * once vcpus exist). The destination gets its vcpus and guest RAM (which now holds the flushed tables), then all its
 * devices in the source's creation order (handles match; creating a device
 * can reset another's state, e.g. an ITS resets the VGIC's PROPBASER), then
 * each device's restore writes: the irqchip's first (an ITS restore needs
 * the VGIC initialised and its redistributors restored), the others in
 * creation order; before any restore write, each device's vcpu connections
 * (KVM_ENABLE_CAP, e.g. KVM_CAP_IRQ_XICS with the source's server numbers).
 * A save-list entry with `ioctl: 'one_reg'` (a device's per-vcpu state in a
 * one-reg register) is read with KVM_GET_ONE_REG and written back with
 * KVM_SET_ONE_REG, in the device's restore order.
 * Then the lines the VMM holds high are re-driven.
 */
export function migrateVm(source: VmState, lines: ReadonlyMap<number, number>, backends: BackendFactory = MODELS): { dest: VmState; errors: string[] } {
  const errors: string[] = [];
  const redrive: number[] = [];
  const inspector = backends.inspector;
  // Reading attributes can have side effects (VGIC v2 initialises lazily): read from a copy, as VM 0 of its own backend.
  const src = backends.create();
  const srcState = stateOf(src, backends);
  srcState.restore({ vms: [source] });
  const dest = backends.create();
  const destState = stateOf(dest, backends);
  dest.execute({ kind: 'create_vm', vm: 0, arch: source.arch, ipaBits: source.ipaBits });
  const call = (b: Backend, ev: TraceEvent): TraceEvent & { errno: number } => b.execute(ev) as TraceEvent & { errno: number };
  // The VM's own state (s390's CPU model and TOD) crosses on the VM fd first: some of it is refused once vcpus exist.
  const vmFd = inspector.vmMigration?.(srcState.peek(), 0);
  if (vmFd) {
    const saved = vmFd.saveList.map((a) => {
      const r = call(src, { kind: 'get_attr', vm: 0, target: { kind: 'vm' }, group: a.group, attr: a.attr, value: a.input ?? 0n, ...(a.inputData && { data: a.inputData }), errno: 0 });
      if (r.errno) errors.push(`save ${a.name}: GET on the VM fd ${errnoName(r.errno)}`);
      const out = r.kind === 'get_attr' ? r : undefined;
      return { ...a, value: out?.outValue ?? 0n, ...(out?.outData && { data: out.outData }) };
    });
    for (const w of vmFd.restore(saved)) {
      const e = call(dest, { kind: 'set_attr', vm: 0, target: { kind: 'vm' }, group: w.group, attr: w.attr, value: w.value, ...(w.data && { data: w.data }), errno: 0 }).errno;
      if (e) errors.push(`restore ${w.name}: SET on the VM fd ${errnoName(e)}`);
    }
  }
  const device = (handle: number): AttrTarget => ({ kind: 'device', handle });
  const handles = source.devices.map((_, h) => h);
  const before = inspector.migration(srcState.peek(), 0);
  // An irqchip made by KVM_CREATE_IRQCHIP (x86) comes first: the VM refuses it once vcpus exist.
  const byIrqchip = new Map<number, number>();
  for (const handle of handles.filter((h) => before[h]!.create === 'irqchip')) {
    const e = call(dest, { kind: 'create_irqchip', vm: 0, errno: 0 } as unknown as TraceEvent).errno;
    if (e) errors.push(`KVM_CREATE_IRQCHIP: ${errnoName(e)}`);
    byIrqchip.set(handle, e ? -1 : destState.peek().vms[0]!.irqchip);
  }
  for (const v of source.vcpus) {
    const e = call(dest, { kind: 'create_vcpu', vm: 0, id: v.id, errno: 0 }).errno;
    if (e) errors.push(`KVM_CREATE_VCPU ${v.id}: ${errnoName(e)}`);
  }
  // The VMM's own files (VFIO groups and devices, eventfds) are not KVM's to migrate: the destination
  // VMM opens its own (a VFIO device migrates through VFIO's own protocol). They cross as they are, at
  // the same fds, not yet handed to any KVM device.
  if (source.files) {
    const st = destState.snapshot();
    st.vms[0]!.files = cloneState(source.files).map((f) => (f.kind === 'vfio_group' || f.kind === 'vfio_device' ? { ...f, kvm: false } : f));
    destState.restore(st);
  }
  // A device whose fd the VMM closed has nothing to save; the destination creates and closes it in
  // the same place, so that later device handles (and a one-per-VM KVM-VFIO) line up.
  const closed = (h: number) => source.devices[h]!.closed === true;
  const irqchip = source.irqchip;
  const restoreOrder = irqchip >= 0 ? [irqchip, ...handles.filter((h) => h !== irqchip)] : handles;
  const actionOrder = irqchip >= 0 ? [...handles.filter((h) => h !== irqchip), irqchip] : handles;
  for (const handle of actionOrder) {
    if (closed(handle)) continue;
    for (const a of before[handle]!.saveActions) {
      const e = call(src, { kind: 'set_attr', vm: 0, target: device(handle), group: a.group, attr: a.attr, value: a.input ?? 0n, errno: 0 }).errno;
      if (e) errors.push(`save ${a.name}: SET_DEVICE_ATTR ${errnoName(e)}`);
    }
  }
  // The save lists, as the devices stand after the save actions.
  const plans = inspector.migration(srcState.peek(), 0);
  const saved = handles.map(
    (handle) =>
      (closed(handle) ? [] : plans[handle]!.saveList)?.map((a) => {
        // A device's per-vcpu state in a one-reg register: KVM_GET_ONE_REG on that vcpu's fd.
        if (a.ioctl === 'one_reg') return { ...a, value: oneRegCall(src, false, a, 0n, errors, 'save') };
        if (a.ioctl) return { ...a, value: 0n, data: saveByIoctl(src, a, errors) };
        const r = call(src, { kind: 'get_attr', vm: 0, target: device(handle), group: a.group, attr: a.attr, value: a.input ?? 0n, ...(a.inputData && { data: a.inputData }), errno: 0 });
        if (r.errno) errors.push(`save ${a.name}: GET_DEVICE_ATTR ${errnoName(r.errno)}`);
        // A struct payload (FLIC, VFIO state) travels as the bytes GET_DEVICE_ATTR wrote.
        const out = r.kind === 'get_attr' ? r : undefined;
        return { ...a, value: out?.outValue ?? 0n, ...(out?.outData && { data: out.outData }) };
      }).concat(plans[handle]!.vmmConfig) ?? [],
  );
  // Guest RAM crosses before any device is restored (the tables the save actions wrote are in it).
  const pages = srcState.peek().vms[0]!.mem?.pages ?? {};
  for (const page of Object.keys(pages).map(Number).sort((x, y) => x - y)) {
    const e = call(dest, { kind: 'mem_write', vm: 0, addr: page * GUEST_PAGE, data: pages[page]!.slice(), errno: 0 }).errno;
    if (e) errors.push(`guest RAM page 0x${(page * GUEST_PAGE).toString(16)}: ${errnoName(e)}`);
  }
  const created = handles.map((handle) => {
    const made = byIrqchip.get(handle);
    if (made !== undefined) return made;
    const r = call(dest, { kind: 'create_device', vm: 0, type: source.devices[handle]!.type, flags: 0, errno: 0, handle: -1 });
    if (r.errno) errors.push(`KVM_CREATE_DEVICE ${plans[handle]!.typeName}: ${errnoName(r.errno)}`);
    const to = r.errno || r.kind !== 'create_device' ? -1 : r.handle;
    if (to >= 0 && closed(handle)) {
      const e = call(dest, { kind: 'close_device', vm: 0, handle: to, errno: 0 } as unknown as TraceEvent).errno;
      if (e) errors.push(`close ${plans[handle]!.typeName}: ${errnoName(e)}`);
      return -1;
    }
    return to;
  });
  // Each device's vcpu connections (KVM_ENABLE_CAP with the destination device's fd), before any restore write.
  for (const handle of handles) {
    const to = created[handle]!;
    for (const c of to < 0 ? [] : plans[handle]!.vcpuConnects) {
      const e = call(dest, { kind: 'enable_cap', vm: 0, vcpu: c.vcpu, cap: c.cap, args: [BigInt(to), ...c.args], errno: 0 }).errno;
      if (e) errors.push(`connect vcpu ${c.vcpu} to ${plans[handle]!.typeName}: KVM_ENABLE_CAP ${errnoName(e)}`);
    }
  }
  for (const handle of restoreOrder) {
    const plan = plans[handle]!;
    const to = created[handle]!;
    if (to < 0) continue;
    if (!plan.saveList) {
      errors.push(`${plan.typeName} declares no save list: its state is not migrated`);
      continue;
    }
    const r = plan.restore(saved[handle]!, lines);
    for (const w of r.writes) {
      if (w.ioctl === 'one_reg') {
        oneRegCall(dest, true, w, w.value, errors, 'restore');
        continue;
      }
      if (w.ioctl) {
        restoreByIoctl(dest, w, errors);
        continue;
      }
      const e = call(dest, { kind: 'set_attr', vm: 0, target: device(to), group: w.group, attr: w.attr, value: w.value, ...(w.data && { data: w.data }), errno: 0 }).errno;
      if (e) errors.push(`restore ${w.name} (${inspector.groupName(destState.peek(), 0, to, w.group) ?? w.group}): SET_DEVICE_ATTR ${errnoName(e)}`);
    }
    redrive.push(...r.redrive);
  }
  // The VMM's device models re-assert the lines they hold high.
  for (const irq of redrive) {
    const e = call(dest, { kind: 'irq_line', vm: 0, irq, level: 1, errno: 0 }).errno;
    if (e) errors.push(`re-drive line 0x${irq.toString(16)}: KVM_IRQ_LINE ${errnoName(e)}`);
  }
  return { dest: destState.snapshot().vms[0]!, errors };
}

/**
 * A save-list entry read through an ioctl of its own (the x86 irqchip):
 * KVM_GET_IRQCHIP for chip `attr`, KVM_GET_LAPIC for the vcpu whose id is
 * `attr`; the struct's bytes.
 */
function saveByIoctl(src: Backend, a: SavedAttr, errors: string[]): Uint8Array {
  const ev = a.ioctl === 'irqchip' ? { kind: 'get_irqchip', vm: 0, chip: Number(a.attr), errno: 0, data: new Uint8Array(0) } : { kind: 'get_lapic', vm: 0, vcpu: Number(a.attr), errno: 0, data: new Uint8Array(0) };
  const r = src.execute(ev as unknown as TraceEvent) as unknown as { errno: number; data: Uint8Array };
  if (r.errno) errors.push(`save ${a.name}: ${a.ioctl === 'irqchip' ? 'KVM_GET_IRQCHIP' : 'KVM_GET_LAPIC'} ${errnoName(r.errno)}`);
  return r.data;
}

/** The restore write of such an entry: KVM_SET_IRQCHIP or KVM_SET_LAPIC with the saved bytes. */
function restoreByIoctl(dest: Backend, w: SavedAttr & SavedValue, errors: string[]): void {
  const data = w.data ?? new Uint8Array(0);
  const ev = w.ioctl === 'irqchip' ? { kind: 'set_irqchip', vm: 0, chip: Number(w.attr), data, errno: 0 } : { kind: 'set_lapic', vm: 0, vcpu: Number(w.attr), data, errno: 0 };
  const r = dest.execute(ev as unknown as TraceEvent) as unknown as { errno: number };
  if (r.errno) errors.push(`restore ${w.name}: ${w.ioctl === 'irqchip' ? 'KVM_SET_IRQCHIP' : 'KVM_SET_LAPIC'} ${errnoName(r.errno)}`);
}

/**
 * A save-list entry that is a vcpu's one-reg register (`ioctl: 'one_reg'`,
 * `attr` the register id, `vcpu` the vcpu id): KVM_GET_ONE_REG on the source
 * (the value read) or KVM_SET_ONE_REG on the destination, as a one_reg event.
 */
function oneRegCall(b: Backend, write: boolean, a: SavedAttr, value: bigint, errors: string[], what: 'save' | 'restore'): bigint {
  const ev = { kind: 'one_reg', vm: 0, vcpu: a.vcpu ?? 0, write, id: a.attr, value, errno: 0 };
  const r = b.execute(ev as unknown as TraceEvent) as unknown as { errno: number; value: bigint };
  if (r.errno) errors.push(`${what} ${a.name}: ${write ? 'KVM_SET_ONE_REG' : 'KVM_GET_ONE_REG'} ${errnoName(r.errno)}`);
  return r.value;
}

/** What the generic VM state has that no migration carries. */
const VM_NOT_CARRIED: readonly NotCarried[] = [{ fields: ['vcpus[*].ran'], what: 'whether each vcpu has entered KVM_RUN', why: 'the destination\'s vcpus have not run yet' }];

/** What a VM with open files has that no migration carries. */
const FILES_NOT_CARRIED: readonly NotCarried[] = [
  {
    fields: ['files[*].kvm'],
    what: 'which VFIO files KVM-VFIO handed the VM to (vfio_file_set_kvm)',
    why: 'the destination VMM adds its VFIO files to its own KVM-VFIO device; no device attribute carries them',
  },
];

/** A NotCarried view path as a pattern: `*` stands for one index or key. */
function fieldPattern(field: string): RegExp {
  const parts = field.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('[^.\\[\\]]+')}$`);
}

const patterns = new Map<string, RegExp>();
/** Whether a NotCarried field ("gic.cpu[*].irq[*].owned") covers a view path ("gic.cpu[1].irq[27].owned"). */
export function fieldCovers(field: string, path: string): boolean {
  let re = patterns.get(field);
  if (!re) patterns.set(field, (re = fieldPattern(field)));
  return re.test(path);
}

/** The state the devices of `vm` declare as not carried by their migration ABI, with the VM's own. */
function notCarried(vm: VmState, backends: BackendFactory): NotCarried[] {
  const out = [...VM_NOT_CARRIED, ...(vm.files ? FILES_NOT_CARRIED : [])];
  for (const n of backends.inspector.vmMigration?.({ vms: [vm] }, 0)?.notCarried ?? []) out.push(n);
  for (const d of backends.inspector.migration({ vms: [vm] }, 0)) for (const n of d.notCarried) if (!out.includes(n)) out.push(n);
  return out;
}

/** The fields of VM `a`'s view that differ in VM `b`'s, minus what no migration carries. */
function compare(a: VmState, b: VmState, backends: BackendFactory): FieldDiff[] {
  const skip = notCarried(a, backends).flatMap((n) => n.fields);
  const view = (vm: VmState) => backends.inspector.view({ vms: [vm] });
  return diffState(view(a), view(b)).filter((f) => !skip.some((s) => fieldCovers(s, f.path)));
}

/** What the check leaves out for the devices of `vm`, in words: their notCarried rules and the guest RAM they own. */
function notComparedOf(vm: VmState, backends: BackendFactory): NotCompared[] {
  const out: NotCompared[] = notCarried(vm, backends).map((n) => ({ fields: n.fields, what: n.what, why: n.why }));
  for (const d of backends.inspector.migration({ vms: [vm] }, 0)) {
    if (d.ownedMemory) out.push({ fields: [], what: `guest reads of the RAM the ${d.typeName} owns, after the migration`, why: d.ownedMemory.why });
  }
  return out;
}

/** One line of words: "fields: what — why". */
export function describeNotCompared(n: NotCompared): string {
  return `${n.fields.length ? `${n.fields.join(', ')}: ` : ''}${n.what} — ${n.why}`;
}

/** Lines left high by KVM_IRQ_LINE events of VM 0 up to `at`. */
function highLinesUpTo(tl: Timeline, at: number): Map<number, number> {
  const lines = new Map<number, number>();
  for (let i = 0; i < at; i++) {
    const ev = tl.event(i);
    if (ev.kind === 'irq_line' && ev.vm === 0 && ev.errno === 0) lines.set(ev.irq, ev.level);
    // KVM_IRQ_LINE_STATUS drives the line the same way.
    const x = ev as unknown as { kind: string; vm: number; irq: number; level: number; errno: number };
    if (x.kind === 'irq_line_status' && x.vm === 0 && x.errno === 0) lines.set(x.irq, x.level);
  }
  return lines;
}

/**
 * Checks migration at every `every` events (default: 8 points spread over the
 * trace) where VM 0 is running (some vcpu has run), and any recorded migration.
 */
export function migrateCheck(src: TraceSource, every?: number, backends: BackendFactory = MODELS): MigrateCheckResult {
  const n = src.eventCount;
  const step = every && every > 0 ? every : Math.max(1, Math.ceil(n / 8));
  const points: number[] = [];
  for (let p = step; p < n; p += step) points.push(p);
  return migrateCheckPoints(src, points, backends);
}

/**
 * Checks migration at the given points (state after events [0, p), in
 * increasing order; points where no vcpu of VM 0 has run are skipped), and
 * any recorded migration. The TUI's "migrate-check from here" is one point.
 */
export function migrateCheckPoints(src: TraceSource, points: readonly number[], backends: BackendFactory = MODELS): MigrateCheckResult {
  const failures: MigrationFailure[] = [];
  const tl = new Timeline(src, { backends });
  stateOf(tl.backend, backends);
  const checked: number[] = [];
  const skipped = new Map<string, NotCompared>();
  for (const p of points) {
    tl.seek(p);
    const source = tl.point()!.state.vms[0];
    if (!source) continue;
    // A VMM migrates a running VM: points before any vcpu ran are not migration points.
    if (!source.vcpus.some((v) => v.ran)) continue;
    checked.push(p);
    const { dest, errors } = migrateVm(source, highLinesUpTo(tl, p), backends);
    for (const n of notComparedOf(source, backends)) skipped.set(describeNotCompared(n), n);
    const fields = compare(source, dest, backends);
    if (errors.length || fields.length) {
      failures.push({ event: p, fields, kind: 'restore', ...(errors.length && { errors }) });
      continue;
    }
    const divergence = replayBoth(tl, p, dest, backends);
    if (divergence) failures.push({ event: p, kind: 'behaviour', fields: divergence.fields, divergence: divergence.at });
  }
  const recorded = recordedMigration(src);
  if (recorded) {
    const failure = checkRecordedMigration(src, recorded, backends);
    if (failure) failures.push(failure);
    for (const n of notComparedOf(recordedSource(src, recorded, backends), backends)) skipped.set(describeNotCompared(n), n);
  }
  // In the order first met: the VM's own, then each device's in creation order.
  const keys = [...skipped.keys()];
  return {
    checks: checked.length + (recorded ? 1 : 0),
    points: checked,
    recorded: recorded && { save: recorded.save, restore: recorded.restore },
    failures,
    notComparedRules: keys.map((k) => skipped.get(k)!),
    notCompared: keys,
  };
}

/**
 * Replays events [p, end) on the source (a copy of the timeline's state)
 * and on a backend whose VM 0 is the destination; returns the first event
 * whose results differ, with the fields that differ just after it.
 */
function replayBoth(tl: Timeline, p: number, dest: VmState, backends: BackendFactory): { at: { event: number; source: TraceEvent; destination: TraceEvent }; fields: FieldDiff[] } | null {
  const here = tl.snapshot();
  const chunks = new ChunkCache(tl.src, 2);
  const s = backends.create();
  const ss = stateOf(s, backends);
  const d = backends.create();
  const ds = stateOf(d, backends);
  const restart = () => {
    ss.restore(here);
    ds.restore({ vms: [dest, ...here.vms.slice(1)] });
  };
  restart();
  // First each side against the recording, on the replay fast paths: up to the first event where
  // either departs from the recorded results, both gave the recorded results, so the same ones.
  // A trace that replays cleanly is done here; otherwise both start again and come to that event,
  // and from there they are compared event by event.
  const md = applyEvents(d, chunks, p, tl.length, true);
  const stop = md ? md.event : tl.length;
  const ms = applyEvents(s, chunks, p, stop, true);
  const from = ms ? ms.event : stop;
  if (from === tl.length) return null;
  restart();
  applyEvents(s, chunks, p, from, false);
  applyEvents(d, chunks, p, from, false);
  for (let i = from; i < tl.length; i++) {
    const ev = tl.event(i);
    const rs = s.execute(ev);
    const rd = d.execute(ev);
    if (!sameResult(rs, rd) && !sameOutsideOwned(ss.peek().vms[0]!, rs, rd, backends)) return { at: { event: i, source: rs, destination: rd }, fields: compare(ss.peek().vms[0]!, ds.peek().vms[0]!, backends) };
  }
  return null;
}

/** Two guest reads that differ only in bytes some device owns (Migration.ownedMemory). */
function sameOutsideOwned(vm: VmState, a: TraceEvent, b: TraceEvent, backends: BackendFactory): boolean {
  if (a.kind !== 'mem_read' || b.kind !== 'mem_read' || a.errno !== b.errno || a.addr !== b.addr || a.data.length !== b.data.length) return false;
  const ranges = backends.inspector.migration({ vms: [vm] }, 0).flatMap((d) => d.ownedMemory?.ranges ?? []);
  for (let i = 0; i < a.data.length; i++) {
    const at = a.addr + i;
    if (a.data[i] !== b.data[i] && !ranges.some((r) => at >= r.addr && at < r.addr + r.len)) return false;
  }
  return true;
}

/**
 * The recorded migration in a trace, if any: a VM made by create_vm whose
 * devices receive set_attr writes, or set_irqchip / set_lapic (the restore,
 * with the one_reg sets on its vcpus that follow the first of them); the save
 * is the last get_attr on a device of VM 0, get_irqchip / get_lapic or
 * one_reg get there, before the first of those writes.
 */
function recordedMigration(src: TraceSource): { save: number; restore: number; dest: number } | null {
  let save = -1;
  let firstRestore = -1;
  let restore = -1;
  let dest = -1;
  // The x86 irqchip's state crosses by its own ioctls, not device attributes.
  const irqchipGet = (k: string) => k === 'get_irqchip' || k === 'get_lapic';
  const irqchipSet = (k: string) => k === 'set_irqchip' || k === 'set_lapic';
  for (const { i, ev } of eventsOf(src)) {
    // A device's per-vcpu one-reg registers are part of the save and the restore: a get on VM 0, a set on the destination.
    const oneReg = (ev as { kind: string }).kind === 'one_reg' ? (ev as unknown as { write: boolean; errno: number }) : undefined;
    if (ev.kind === 'create_vm' && ev.vm > 0 && dest < 0) dest = ev.vm;
    if (((ev.kind === 'get_attr' && ev.target.kind === 'device') || irqchipGet(ev.kind) || (oneReg && !oneReg.write)) && ev.vm === 0 && firstRestore < 0) save = i;
    if (dest > 0 && ev.vm === dest && ((ev.kind === 'set_attr' && ev.target.kind === 'device') || irqchipSet(ev.kind) || (oneReg?.write && firstRestore >= 0))) {
      if (firstRestore < 0) firstRestore = i;
      restore = i;
    }
  }
  return dest > 0 && save >= 0 && restore > save ? { save, restore, dest } : null;
}

/** Every event of a trace with its index, decoded chunk by chunk. */
function* eventsOf(src: TraceSource): Generator<{ i: number; ev: TraceEvent }> {
  for (let k = 0; k < src.chunks.length; k++) {
    const c = src.readChunk(k);
    for (let j = 0; j < c.count; j++) yield { i: c.first + j, ev: c.event(j) };
  }
}

/** The source VM of a recorded migration, as it was just after its last save read. */
function recordedSource(src: TraceSource, m: { save: number }, backends: BackendFactory): VmState {
  const tl = new Timeline(src, { backends });
  tl.seek(m.save + 1);
  return tl.snapshot().vms[0]!;
}

/**
 * A recorded migration: the source VM's state just after its last save
 * read against the destination's just after its last restore write, both
 * as the trace left them.
 */
function checkRecordedMigration(src: TraceSource, m: { save: number; restore: number; dest: number }, backends: BackendFactory): MigrationFailure | null {
  const sourceState = recordedSource(src, m, backends);
  const tl = new Timeline(src, { backends });
  tl.seek(m.restore + 1);
  const dest = tl.snapshot().vms[m.dest]!;
  const fields = compare(sourceState, dest, backends);
  return fields.length ? { event: m.restore, kind: 'recorded', fields } : null;
}
