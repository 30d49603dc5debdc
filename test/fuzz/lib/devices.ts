/**
 * Issue 9 item 13: random sequences of device-control calls and guest
 * events on every device model (VGIC v2, v3, ITS), through the library
 * (recorder/execute.ts Session over devices/core/vm.ts), never throw: each
 * call gives an errno or a guest-visible result. And the VM's state, saved
 * through the device attributes as a VMM saves it (the save lists and
 * restore orders of replay/migrate.ts), restored into a fresh VM and saved
 * again, gives the same attribute values: save -> restore -> save is a
 * fixed point.
 */
import fc from 'fast-check';
import { digestState } from '../../../devices/core/state.js';
import { errnoName } from '../../../devices/core/uapi.js';
import type { Vm } from '../../../devices/core/vm.js';
import { createVm, DEVICE_MODELS } from '../../../devices/registry.js';
import { Session } from '../../../recorder/execute.js';
import { migrateVm } from '../../../replay/migrate.js';
import type { VmState } from '../../../devices/core/vm-state.js';
import type { TraceEvent } from '../../../traces/events.js';
import { type Action, programArb, resolve } from './actions.js';
import { eventsOf } from './corpus.js';
import { join } from 'node:path';
import { EXAMPLES } from './corpus.js';

/** Bring-ups the random calls start from (a prefix of an example's events): none, v2, v3, v3 + ITS. */
export const PRELUDES = ['', 'vgic-v2-bringup/vgic-v2-bringup.devrr', 'vgic-v3-bringup/vgic-v3-bringup.devrr', 'vgic-v3-its-msi/vgic-v3-its-msi.devrr', 'vgic-v3-its-migration/vgic-v3-its-migration.devrr'] as const;
const preludeEvents = new Map<string, TraceEvent[]>();
function prelude(k: number): TraceEvent[] {
  const name = PRELUDES[k % PRELUDES.length]!;
  if (!name) return [{ kind: 'create_vm', vm: 0, arch: 'arm64', ipaBits: 40 }];
  let evs = preludeEvents.get(name);
  if (!evs) preludeEvents.set(name, (evs = eventsOf(join(EXAMPLES, name))));
  return evs;
}

export interface DeviceProgram {
  /** Which bring-up (PRELUDES, modulo) and how many of its events (modulo its length + 1; at least the create_vm). */
  readonly prelude: number;
  readonly preludeLen: number;
  readonly actions: readonly Action[];
}

export const deviceProgramArb = (maxActions: number): fc.Arbitrary<DeviceProgram> =>
  fc.record({ prelude: fc.nat(), preludeLen: fc.nat(), actions: programArb(maxActions) });

export interface DeviceOutcome {
  /** What broke the contract, one line each: a throw, a result that is not an errno, a save that is not a fixed point. */
  readonly failures: string[];
  /** Calls made. */
  readonly calls: number;
  /** Whether the migration check ran (VM 0 had an irqchip, a vcpu had run, the restore had no error). */
  readonly migrated: boolean;
  /** The restore reported errors, so the fixed point was not checked. */
  readonly restoreErrors: number;
  /** The session the program ran in, as the calls left it. */
  readonly session: Session;
}

/** Checks that an executed event's results are an errno and guest-visible values of the right sizes. */
function resultProblem(ev: TraceEvent): string | undefined {
  const errno = (ev as { errno?: unknown }).errno;
  if (ev.kind !== 'create_vm' && (typeof errno !== 'number' || !Number.isInteger(errno) || errno < 0 || errno > 4095)) return `errno ${String(errno)} is not an errno`;
  switch (ev.kind) {
    case 'mmio':
      if (typeof ev.value !== 'bigint' || ev.value < 0n || ev.value >= 1n << BigInt(8 * ev.len)) return `mmio value ${String(ev.value)} does not fit len ${ev.len}`;
      return undefined;
    case 'sysreg':
      if (typeof ev.value !== 'bigint' || ev.value < 0n || ev.value >= 1n << 64n) return `sysreg value ${String(ev.value)} is not a u64`;
      return undefined;
    case 'get_attr':
      if (ev.outValue !== undefined && (typeof ev.outValue !== 'bigint' || ev.outValue < 0n || ev.outValue >= 1n << 64n)) return `get_attr value ${String(ev.outValue)} is not a u64`;
      return undefined;
    case 'mem_read':
      if (!(ev.data instanceof Uint8Array) || (ev.errno === 0 && ev.data.length !== ev.len)) return `mem_read gave ${ev.data?.length} bytes for len ${ev.len}`;
      return undefined;
    case 'signal_msi':
      if (ev.ret !== 0 && ev.ret !== 1) return `signal_msi ret ${ev.ret} is not 0 or 1`;
      return undefined;
    case 'create_device':
      if (ev.errno === 0 && ev.flags % 2 === 0 && !(Number.isInteger(ev.handle) && ev.handle >= 0)) return `create_device succeeded with handle ${ev.handle}`;
      return undefined;
    default:
      return undefined;
  }
}

function describeEv(ev: TraceEvent): string {
  return JSON.stringify(ev, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
}

/**
 * What a VMM saves: on a copy of `vm`, every device's save actions (the
 * irqchip's last), then every attribute of every save list, read with
 * GET_DEVICE_ATTR. Keys name the device handle, group and attr.
 */
/** migrateVm on a model Vm: the destination as a Vm (migrateVm works on plain VM states, through a backend). */
export function migrateModelVm(vm: Vm, lines: ReadonlyMap<number, number>): { dest: Vm; errors: string[] } {
  const { dest, errors } = migrateVm(vm.state, lines);
  return { dest: vmOf(dest), errors };
}

function vmOf(state: VmState): Vm {
  const vm = createVm(state.arch, state.ipaBits);
  vm.restore(state);
  return vm;
}

export function saveAttrs(vm: Vm): { values: Map<string, bigint>; errors: string[] } {
  const src = createVm(vm.state.arch, vm.state.ipaBits);
  src.restore(vm.state);
  const errors: string[] = [];
  const handles = src.state.devices.map((_, h) => h);
  const ic = src.state.irqchip;
  for (const handle of ic >= 0 ? [...handles.filter((h) => h !== ic), ic] : handles) {
    const model = DEVICE_MODELS.get(src.state.devices[handle]!.type)!;
    for (const a of model.inspect?.migration?.saveActions ?? []) {
      const e = src.setAttr({ kind: 'device', handle }, a.group, a.attr, { nullPtr: false, value: a.input ?? 0n });
      if (e) errors.push(`save action ${a.name}: ${errnoName(e)}`);
    }
  }
  const values = new Map<string, bigint>();
  for (const handle of handles) {
    const d = src.state.devices[handle]!;
    const model = DEVICE_MODELS.get(d.type)!;
    for (const a of model.inspect?.migration?.saveList(src.state, d.state) ?? []) {
      // A per-vcpu one-reg register (the XICS's ICP): KVM_GET_ONE_REG on the vcpu.
      const r = a.ioctl === 'one_reg' ? src.oneReg(a.vcpu ?? 0, false, a.attr, 0n) : src.getAttr({ kind: 'device', handle }, a.group, a.attr, { nullPtr: false, value: a.input ?? 0n });
      if (r.errno) errors.push(`save ${a.name}: ${errnoName(r.errno)}`);
      values.set(`dev ${handle} ${a.name} (group ${a.group} attr 0x${a.attr.toString(16)})`, r.value ?? 0n);
    }
  }
  return { values, errors };
}

/** The attributes whose value changed between two saves (or that only one of them holds), and the second save's errors. */
export function fixedPointDiffs(first: { values: Map<string, bigint> }, second: { values: Map<string, bigint>; errors: string[] }): string[] {
  const diffs: string[] = [];
  for (const [k, v] of first.values) if (second.values.get(k) !== v) diffs.push(`${k}: 0x${v.toString(16)} -> ${second.values.has(k) ? `0x${second.values.get(k)!.toString(16)}` : 'not saved'}`);
  for (const k of second.values.keys()) if (!first.values.has(k)) diffs.push(`${k}: saved only after the restore`);
  diffs.push(...second.errors.map((e) => `second save: ${e}`));
  return diffs;
}

/** Runs a program; never throws (a throw from the models is a failure in the outcome). */
export function runDeviceProgram(p: DeviceProgram, opts: { migrate?: boolean } = {}): DeviceOutcome {
  const failures: string[] = [];
  const session = new Session();
  let calls = 0;
  const lines = new Map<number, number>();
  const exec = (ev: TraceEvent, where: string): void => {
    calls++;
    let r: TraceEvent;
    try {
      r = session.execute(ev);
    } catch (e) {
      failures.push(`${where}: ${ev.kind} threw ${(e as Error)?.name}: ${(e as Error)?.message} (event ${describeEv(ev)}) @ ${/\((\/[^)]*\/(devices|recorder)\/[^):]+:\d+)/.exec((e as Error)?.stack ?? '')?.[1]?.replace(/^.*\/(devices|recorder)\//, '$1/') ?? '?'}`);
      return;
    }
    const bad = resultProblem(r);
    if (bad) failures.push(`${where}: ${bad} (event ${describeEv(r)})`);
    if (r.kind === 'irq_line' && r.vm === 0 && r.errno === 0) lines.set(r.irq, r.level);
  };
  const pre = prelude(p.prelude);
  const n = 1 + (p.preludeLen % pre.length);
  pre.slice(0, n).forEach((ev, i) => exec(ev, `prelude event ${i}`));
  p.actions.forEach((a, i) => {
    for (const ev of resolve(a, session)) exec(ev, `action ${i} (${a.a})`);
  });

  // State is plain data: a snapshot restored into a fresh session digests the same.
  try {
    const snap = session.snapshot();
    const again = new Session();
    again.restore(snap);
    if (digestState(again.snapshot()) !== digestState(snap)) failures.push('snapshot -> restore -> snapshot changed the state');
  } catch (e) {
    failures.push(`snapshot/restore threw ${(e as Error)?.message}`);
  }

  let migrated = false;
  let restoreErrors = 0;
  const vm = session.vms[0];
  if (opts.migrate !== false && vm && vm.state.irqchip >= 0 && vm.anyVcpuRan() && !vm.state.dead) {
    try {
      const first = saveAttrs(vm);
      const { dest, errors } = migrateModelVm(vm, lines);
      if (errors.length || first.errors.length) restoreErrors++;
      else {
        migrated = true;
        const diffs = fixedPointDiffs(first, saveAttrs(dest));
        if (diffs.length) failures.push(`save -> restore -> save is not a fixed point: ${diffs.slice(0, 6).join('; ')}${diffs.length > 6 ? `; ... ${diffs.length - 6} more` : ''}`);
      }
    } catch (e) {
      failures.push(`migration threw ${(e as Error)?.name}: ${(e as Error)?.message} @ ${/\((\/[^)]*\/(devices|replay)\/[^):]+:\d+)/.exec((e as Error)?.stack ?? '')?.[1]?.replace(/^.*\/(devices|replay)\//, '$1/') ?? '?'}`);
    }
  }
  return { failures, calls, migrated, restoreErrors, session };
}
