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
import { findGroup, type NotCarried } from '../devices/core/device.js';
import { cloneState, diffState, type FieldDiff } from '../devices/core/state.js';
import type { Vm } from '../devices/core/vm.js';
import { vmView } from '../devices/core/vm-view.js';
import { createVm, DEVICE_MODELS } from '../devices/registry.js';
import { errnoName } from '../devices/core/uapi.js';
import { sameResult, Session } from '../recorder/execute.js';
import type { TraceEvent } from '../traces/events.js';
import type { TraceSource } from './engine.js';
import { Timeline } from './timeline.js';

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

/**
 * Builds a destination VM from `source` through the device attributes.
 *
 * Order (arm-vgic-v3.rst, arm-vgic-its.rst; reference 3.3 and 3.4): on the
 * source copy, every device's save actions run first (the other devices'
 * before the irqchip's: the ITS's SAVE_TABLES, then the VGIC's
 * SAVE_PENDING_TABLES), then the save lists are read. The destination gets
 * its vcpus and guest RAM (which now holds the flushed tables), then all its
 * devices in the source's creation order (handles match; creating a device
 * can reset another's state, e.g. an ITS resets the VGIC's PROPBASER), then
 * each device's restore writes: the irqchip's first (an ITS restore needs
 * the VGIC initialised and its redistributors restored), the others in
 * creation order. Then the lines the VMM holds high are re-driven.
 */
export function migrateVm(source: Vm, lines: ReadonlyMap<number, number>): { dest: Vm; errors: string[] } {
  const errors: string[] = [];
  const redrive: number[] = [];
  // Reading attributes can have side effects (VGIC v2 initialises lazily): read from a copy.
  const src = createVm(source.state.arch, source.state.ipaBits);
  src.restore(source.state);
  const dest = createVm(source.state.arch, source.state.ipaBits);
  for (const v of source.state.vcpus) {
    const e = dest.createVcpu(v.id);
    if (e) errors.push(`KVM_CREATE_VCPU ${v.id}: ${errnoName(e)}`);
  }
  const handles = src.state.devices.map((_, h) => h);
  const irqchip = src.state.irqchip;
  const restoreOrder = irqchip >= 0 ? [irqchip, ...handles.filter((h) => h !== irqchip)] : handles;
  const actionOrder = irqchip >= 0 ? [...handles.filter((h) => h !== irqchip), irqchip] : handles;
  for (const handle of actionOrder) {
    const model = DEVICE_MODELS.get(src.state.devices[handle]!.type)!;
    for (const a of model.inspect?.migration?.saveActions ?? []) {
      const e = src.setAttr({ kind: 'device', handle }, a.group, a.attr, { nullPtr: false, value: a.input ?? 0n });
      if (e) errors.push(`save ${a.name}: SET_DEVICE_ATTR ${errnoName(e)}`);
    }
  }
  const saved = handles.map((handle) => {
    const d = src.state.devices[handle]!;
    const model = DEVICE_MODELS.get(d.type)!;
    return (
      model.inspect?.migration?.saveList(src.state, d.state).map((a) => {
        const r = src.getAttr({ kind: 'device', handle }, a.group, a.attr, { nullPtr: false, value: a.input ?? 0n, ...(a.inputData && { data: a.inputData }) });
        if (r.errno) errors.push(`save ${a.name}: GET_DEVICE_ATTR ${errnoName(r.errno)}`);
        // A struct payload (FLIC, VFIO) comes back as bytes and goes back as they are.
        return { ...a, value: r.value ?? 0n, ...(r.data && { data: r.data }) };
      }) ?? []
    );
  });
  // Guest RAM crosses before any device is restored (the tables the save actions wrote are in it).
  if (src.state.mem) dest.state.mem = cloneState(src.state.mem);
  const created = handles.map((handle) => {
    const model = DEVICE_MODELS.get(src.state.devices[handle]!.type)!;
    const c = dest.createDevice(model.type, 0);
    if (c.errno) errors.push(`KVM_CREATE_DEVICE ${model.typeName}: ${errnoName(c.errno)}`);
    return c.errno ? -1 : c.handle;
  });
  for (const handle of restoreOrder) {
    const model = DEVICE_MODELS.get(src.state.devices[handle]!.type)!;
    if (created[handle]! < 0) continue;
    const migration = model.inspect?.migration;
    if (!migration) {
      errors.push(`${model.typeName} declares no save list: its state is not migrated`);
      continue;
    }
    const plan = migration.restore(saved[handle]!, lines);
    for (const w of plan.writes) {
      const e = dest.setAttr({ kind: 'device', handle: created[handle]! }, w.group, w.attr, { nullPtr: false, value: w.value, ...(w.data && { data: w.data }) });
      if (e) errors.push(`restore ${w.name} (${findGroup(model, w.group)?.name ?? w.group}): SET_DEVICE_ATTR ${errnoName(e)}`);
    }
    redrive.push(...plan.redrive);
  }
  // The VMM's device models re-assert the lines they hold high.
  for (const irq of redrive) {
    const e = dest.irqLine(irq, 1);
    if (e) errors.push(`re-drive line 0x${irq.toString(16)}: KVM_IRQ_LINE ${errnoName(e)}`);
  }
  return { dest, errors };
}

/** What the generic VM state has that no migration carries. */
const VM_NOT_CARRIED: readonly NotCarried[] = [{ fields: ['vcpus[*].ran'], what: 'whether each vcpu has entered KVM_RUN', why: 'the destination\'s vcpus have not run yet' }];

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
function notCarried(vm: Vm): NotCarried[] {
  const out = [...VM_NOT_CARRIED];
  for (const d of vm.state.devices) for (const n of DEVICE_MODELS.get(d.type)?.inspect?.migration?.notCarried ?? []) if (!out.includes(n)) out.push(n);
  return out;
}

function compare(a: Vm, b: Vm): FieldDiff[] {
  const skip = notCarried(a).flatMap((n) => n.fields);
  return diffState(vmView(a.state, DEVICE_MODELS), vmView(b.state, DEVICE_MODELS)).filter((f) => !skip.some((s) => fieldCovers(s, f.path)));
}

/** What the check leaves out for the devices of `vm`, in words: their notCarried rules and the guest RAM they own. */
function notComparedOf(vm: Vm): NotCompared[] {
  const out: NotCompared[] = notCarried(vm).map((n) => ({ fields: n.fields, what: n.what, why: n.why }));
  for (const d of vm.state.devices) {
    const model = DEVICE_MODELS.get(d.type);
    const owned = model?.inspect?.migration?.ownedMemory;
    if (owned) out.push({ fields: [], what: `guest reads of the RAM the ${model.typeName} owns, after the migration`, why: owned.why });
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
  }
  return lines;
}

/**
 * Checks migration at every `every` events (default: 8 points spread over the
 * trace) where VM 0 is running (some vcpu has run), and any recorded migration.
 */
export function migrateCheck(src: TraceSource, every?: number): MigrateCheckResult {
  const n = src.eventCount;
  const step = every && every > 0 ? every : Math.max(1, Math.ceil(n / 8));
  const points: number[] = [];
  for (let p = step; p < n; p += step) points.push(p);
  return migrateCheckPoints(src, points);
}

/**
 * Checks migration at the given points (state after events [0, p), in
 * increasing order; points where no vcpu of VM 0 has run are skipped), and
 * any recorded migration. The TUI's "migrate-check from here" is one point.
 */
export function migrateCheckPoints(src: TraceSource, points: readonly number[]): MigrateCheckResult {
  const failures: MigrationFailure[] = [];
  const tl = new Timeline(src);
  const checked: number[] = [];
  const skipped = new Map<string, NotCompared>();
  for (const p of points) {
    tl.seek(p);
    const session = tl.current;
    if (!session.vms[0]) continue;
    const source = session.vms[0];
    // A VMM migrates a running VM: points before any vcpu ran are not migration points.
    if (!source.anyVcpuRan()) continue;
    checked.push(p);
    const { dest, errors } = migrateVm(source, highLinesUpTo(tl, p));
    for (const n of notComparedOf(source)) skipped.set(describeNotCompared(n), n);
    const fields = compare(source, dest);
    if (errors.length || fields.length) {
      failures.push({ event: p, fields, kind: 'restore', ...(errors.length && { errors }) });
      continue;
    }
    const divergence = replayBoth(tl, p, dest);
    if (divergence) failures.push({ event: p, kind: 'behaviour', fields: divergence.fields, divergence: divergence.at });
  }
  const recorded = recordedMigration(src);
  if (recorded) {
    const failure = checkRecordedMigration(src, recorded);
    if (failure) failures.push(failure);
    for (const n of notComparedOf(recordedSource(src, recorded))) skipped.set(describeNotCompared(n), n);
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
 * Replays events [p, end) on the source (continuing the timeline) and on a
 * session whose VM 0 is the destination; returns the first event whose
 * results differ, with the fields that differ just after it.
 */
function replayBoth(tl: Timeline, p: number, dest: Vm): { at: { event: number; source: TraceEvent; destination: TraceEvent }; fields: FieldDiff[] } | null {
  const s = new Session();
  s.restore(tl.snapshot());
  const d = new Session();
  d.restore(tl.snapshot());
  d.vms[0]!.restore(dest.state);
  for (let i = p; i < tl.length; i++) {
    const ev = tl.event(i);
    const rs = s.execute(ev);
    const rd = d.execute(ev);
    if (!sameResult(rs, rd) && !sameOutsideOwned(s.vms[0]!, rs, rd)) return { at: { event: i, source: rs, destination: rd }, fields: compare(s.vms[0]!, d.vms[0]!) };
  }
  return null;
}

/** Two guest reads that differ only in bytes some device owns (Migration.ownedMemory). */
function sameOutsideOwned(vm: Vm, a: TraceEvent, b: TraceEvent): boolean {
  if (a.kind !== 'mem_read' || b.kind !== 'mem_read' || a.errno !== b.errno || a.addr !== b.addr || a.data.length !== b.data.length) return false;
  const ranges = vm.state.devices.flatMap((d) => DEVICE_MODELS.get(d.type)?.inspect?.migration?.ownedMemory?.ranges(vm.state, d.state) ?? []);
  for (let i = 0; i < a.data.length; i++) {
    const at = a.addr + i;
    if (a.data[i] !== b.data[i] && !ranges.some((r) => at >= r.addr && at < r.addr + r.len)) return false;
  }
  return true;
}

/**
 * The recorded migration in a trace, if any: a VM made by create_vm whose
 * devices receive set_attr writes (the restore); the save is the last
 * get_attr on a device of VM 0 before the first of those writes.
 */
function recordedMigration(src: TraceSource): { save: number; restore: number; dest: number } | null {
  let save = -1;
  let firstRestore = -1;
  let restore = -1;
  let dest = -1;
  const tl = new Timeline(src);
  for (let i = 0; i < src.eventCount; i++) {
    const ev = tl.event(i);
    if (ev.kind === 'create_vm' && ev.vm > 0 && dest < 0) dest = ev.vm;
    if (ev.kind === 'get_attr' && ev.vm === 0 && ev.target.kind === 'device' && firstRestore < 0) save = i;
    if (dest > 0 && ev.kind === 'set_attr' && ev.vm === dest && ev.target.kind === 'device') {
      if (firstRestore < 0) firstRestore = i;
      restore = i;
    }
  }
  return dest > 0 && save >= 0 && restore > save ? { save, restore, dest } : null;
}

/** The source VM of a recorded migration, as it was just after its last save read. */
function recordedSource(src: TraceSource, m: { save: number }): Vm {
  const tl = new Timeline(src);
  tl.seek(m.save + 1);
  const source = tl.current.vms[0]!;
  const copy = createVm(source.state.arch, source.state.ipaBits);
  copy.restore(source.state);
  return copy;
}

/**
 * A recorded migration: the source VM's state just after its last save
 * read against the destination's just after its last restore write, both
 * as the trace left them.
 */
function checkRecordedMigration(src: TraceSource, m: { save: number; restore: number; dest: number }): MigrationFailure | null {
  const sourceState = recordedSource(src, m);
  const tl = new Timeline(src);
  tl.seek(m.restore + 1);
  const dest = tl.current.vms[m.dest]!;
  const fields = compare(sourceState, dest);
  return fields.length ? { event: m.restore, kind: 'recorded', fields } : null;
}
