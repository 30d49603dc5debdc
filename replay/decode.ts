/**
 * Decoding events into the kernel's names: device types, attribute groups
 * and attributes (from each device's group table), registers by spec name
 * with their bit fields (from the register tables), IRQ numbers, errnos.
 * Names that depend on the VM's layout at that moment (which device a
 * handle is, which frame an address falls in) come from a Session that has
 * replayed up to just before the event.
 */
import { findGroup } from '../devices/core/device.js';
import { decodeFields } from '../devices/core/regtable.js';
import { errnoName, nameOf, NAMES } from '../devices/core/uapi.js';
import type { Session } from '../recorder/execute.js';
import { createVm } from '../devices/registry.js';
import type { Vm } from '../devices/core/vm.js';
import type { AttrTarget, TraceEvent } from '../traces/events.js';

const hex = (v: bigint | number) => `0x${v.toString(16)}`;

function targetName(t: AttrTarget, session: Session | undefined, vm: number): string {
  if (t.kind === 'vm') return 'vm';
  if (t.kind === 'vcpu') return `vcpu:${t.id}`;
  const v = session?.vms[vm];
  const d = v?.state.devices[t.handle];
  return d ? `dev ${t.handle} (${v!.modelOf(t.handle).inodeName})` : `dev ${t.handle}`;
}

/** Group and attribute names for an attribute event. */
export function attrNames(ev: Extract<TraceEvent, { group: number }>, session?: Session): { group: string; attr: string } {
  let group = nameOf(NAMES.group, ev.group) ?? `group ${ev.group}`;
  let attr = hex(ev.attr);
  const v = session?.vms[ev.vm];
  if (ev.target.kind === 'device' && v?.state.devices[ev.target.handle]) {
    const g = findGroup(v.modelOf(ev.target.handle), ev.group);
    if (g) {
      group = g.name;
      attr = g.describe(ev.attr);
    }
  }
  return { group, attr };
}

/** The device's decoding of an attribute payload (a REDIST_REGION word, a register's bit fields), or ''. */
export function attrValueNames(ev: Extract<TraceEvent, { group: number }>, value: bigint, session?: Session): string {
  const v = session?.vms[ev.vm];
  if (ev.target.kind !== 'device' || !v?.state.devices[ev.target.handle]) return '';
  return findGroup(v.modelOf(ev.target.handle), ev.group)?.describeValue?.(ev.attr, value) ?? '';
}

/** arm64 KVM_IRQ_LINE decoding: "SPI 42", "PPI 27 vcpu 1", "CPU IRQ vcpu 0". */
export function describeIrq(irq: number, arch = 'arm64'): string {
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

/**
 * The device frame that claims a guest access, and the VM as the access
 * finds it (the state just before the event is `session`). The vcpu's first
 * access is its first run, which maps the device frames: then the frame is
 * looked up in a copy of the VM that has run.
 */
export function claimingFrame(ev: Extract<TraceEvent, { kind: 'mmio' }>, session?: Session): { vm: Vm; frame: NonNullable<ReturnType<Vm['frameAt']>> } | undefined {
  let vm = session?.vms[ev.vm];
  let f = vm?.frameAt(ev.addr, ev.len);
  if (vm && !f && !ev.exit) {
    const copy = createVm(vm.state.arch, vm.state.ipaBits);
    copy.restore(vm.state);
    copy.runVcpu(ev.vcpu);
    vm = copy;
    f = copy.frameAt(ev.addr, ev.len);
  }
  return vm && f ? { vm, frame: f } : undefined;
}

/** Register name and decoded bit fields of a guest access, if a device claims it. */
export function mmioNames(ev: Extract<TraceEvent, { kind: 'mmio' }>, session?: Session): { reg: string; fields: string } {
  const c = claimingFrame(ev, session);
  if (!c) return { reg: ev.exit ? 'unclaimed (exit to VMM)' : '?', fields: '' };
  const { vm, frame: f } = c;
  const st = vm.state.devices[f.handle]!.state;
  const reg = f.model.describeMmio?.(st, f.frame.kind, f.offset, ev.len) ?? `${f.frame.name}+${hex(f.offset)}`;
  const fl = f.model.registerFields?.(f.frame.kind, f.offset);
  return { reg, fields: fl && ev.len === 4 ? decodeFields(Number(ev.value), fl) : '' };
}

function result(errno: number): string {
  return errno ? ` -> ${errnoName(errno)}` : '';
}

/** One line describing an event, in the kernel's names, with its scenario note after a "#". */
export function describeEvent(ev: TraceEvent, session?: Session): string {
  const text = describeCall(ev, session);
  if (ev.note === undefined) return text;
  return `${text}  # ${typeof ev.note === 'string' ? ev.note : noteJson(ev.note)}`;
}

/**
 * A note that is not a string, as JSON. Notes are any plain data
 * (FORMAT.md): bigints are written as hex strings and byte arrays as hex, as
 * --json output does, where JSON.stringify alone would throw on a bigint.
 */
function noteJson(note: unknown): string {
  return JSON.stringify(note, (_k, x: unknown) => (typeof x === 'bigint' ? `0x${x.toString(16)}` : ArrayBuffer.isView(x) ? Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('hex') : x)) ?? 'undefined';
}

function describeCall(ev: TraceEvent, session?: Session): string {
  const vmTag = ev.vm ? `[vm ${ev.vm}] ` : '';
  switch (ev.kind) {
    case 'create_vm':
      return `${vmTag}create_vm ${ev.arch} ipa_bits=${ev.ipaBits}`;
    case 'create_vcpu':
      return `${vmTag}create_vcpu id=${ev.id}${result(ev.errno)}`;
    case 'create_device':
      return `${vmTag}create_device ${nameOf(NAMES.type, ev.type) ?? `type ${ev.type}`}${ev.flags ? ` flags=${hex(ev.flags)}` : ''}${ev.errno ? result(ev.errno) : ev.handle >= 0 ? ` -> dev ${ev.handle}` : ' -> 0'}`;
    case 'set_attr':
    case 'get_attr':
    case 'has_attr': {
      const n = attrNames(ev, session);
      const input = ev.nullPtr ? ' addr=NULL' : ev.value !== undefined ? ` value=${hex(ev.value)}` : ev.data ? ` data=${Buffer.from(ev.data).toString('hex')}` : '';
      const out = ev.kind === 'get_attr' && ev.errno === 0 ? ` -> ${ev.outValue !== undefined ? hex(ev.outValue) : ev.outData ? Buffer.from(ev.outData).toString('hex') : '0'}` : result(ev.errno);
      const shown = ev.kind === 'get_attr' && ev.errno === 0 ? ev.outValue : ev.kind === 'set_attr' ? ev.value : undefined;
      const fields = shown !== undefined ? attrValueNames(ev, shown, session) : '';
      return `${vmTag}${ev.kind} ${targetName(ev.target, session, ev.vm)} ${n.group} ${n.attr}${input}${out}${fields ? ` [${fields}]` : ''}`;
    }
    case 'arm_set_device_addr':
      return `${vmTag}arm_set_device_addr id=${hex(ev.id)} addr=${hex(ev.addr)}${result(ev.errno)}`;
    case 'run_vcpu':
      return `${vmTag}run_vcpu ${ev.vcpu}${result(ev.errno)}`;
    case 'mmio': {
      const n = mmioNames(ev, session);
      const fields = n.fields ? ` [${n.fields}]` : '';
      const v = `${hex(ev.value)}${fields}`;
      return `${vmTag}mmio vcpu ${ev.vcpu} ${ev.write ? 'write' : 'read '} ${n.reg} @${hex(ev.addr)}/${ev.len} ${ev.write ? `<- ${v}` : `-> ${v}`}${ev.exit ? ' (exit)' : ''}${result(ev.errno)}`;
    }
    case 'irq_line':
      return `${vmTag}irq_line ${describeIrq(ev.irq, session?.vms[ev.vm]?.state.arch)} level=${ev.level}${result(ev.errno)}`;
    case 'enable_cap':
      return `${vmTag}enable_cap ${nameOf(NAMES.cap, ev.cap) ?? `cap ${ev.cap}`}${ev.vcpu >= 0 ? ` vcpu ${ev.vcpu}` : ''} args=[${ev.args.map(hex).join(', ')}]${result(ev.errno)}`;
    case 'hcall':
      return `${vmTag}hcall vcpu ${ev.vcpu} nr=${hex(ev.nr)} args=[${ev.args.map(hex).join(', ')}] -> ${hex(ev.ret)}${result(ev.errno)}`;
    case 'sysreg': {
      const fields = sysregFields(ev, session);
      return `${vmTag}sysreg vcpu ${ev.vcpu} ${ev.write ? 'write' : 'read '} ${sysregName(ev, session)} ${ev.write ? '<-' : '->'} ${hex(ev.value)}${fields ? ` [${fields}]` : ''}${result(ev.errno)}`;
    }
    case 'mem_write': {
      const what = memWriteNames(ev, session);
      return `${vmTag}mem_write @${hex(ev.addr)} ${Buffer.from(ev.data).toString('hex')}${what ? ` [${what}]` : ''}${result(ev.errno)}`;
    }
    case 'mem_read':
      return `${vmTag}mem_read @${hex(ev.addr)}/${ev.len} -> ${ev.errno ? result(ev.errno).slice(4) : Buffer.from(ev.data).toString('hex')}`;
    case 'signal_msi':
      return `${vmTag}signal_msi address=${hex(ev.address)} devid=${hex(ev.devid)} eventid=${ev.data}${ev.flags !== 1 ? ` flags=${hex(ev.flags)}` : ''}${ev.errno ? result(ev.errno) : ` -> ${ev.ret}${ev.ret ? ' (delivered)' : ' (blocked)'}`}`;
  }
}

/** A guest system register's spec name ("ICC_IAR1_EL1"), from the irqchip that serves it, else the uapi table. */
export function sysregName(ev: Extract<TraceEvent, { kind: 'sysreg' }>, session?: Session): string {
  const vm = session?.vms[ev.vm];
  const ic = vm?.state.irqchip ?? -1;
  const fromModel = vm && ic >= 0 ? vm.modelOf(ic).describeSysreg?.(ev.reg) : undefined;
  return fromModel ?? nameOf(NAMES.sysreg, ev.reg) ?? `sysreg ${hex(ev.reg)}`;
}

/** The value of a guest system-register access decoded into the register's named fields ("INTID=0x20"), or ''. */
export function sysregFields(ev: Extract<TraceEvent, { kind: 'sysreg' }>, session?: Session): string {
  if (ev.errno) return '';
  const vm = session?.vms[ev.vm];
  const ic = vm?.state.irqchip ?? -1;
  const fl = vm && ic >= 0 ? vm.modelOf(ic).sysregFields?.(ev.reg) : undefined;
  return fl ? decodeFields(BigInt.asUintN(64, ev.value), fl) : '';
}

/** What a guest RAM write means to the VM's devices (ITS commands queued, table entries), or ''. */
export function memWriteNames(ev: Extract<TraceEvent, { kind: 'mem_write' }>, session?: Session): string {
  const vm = session?.vms[ev.vm];
  if (!vm) return '';
  const parts: string[] = [];
  vm.state.devices.forEach((d, h) => {
    const t = vm.modelOf(h).describeMemWrite?.(vm.state, d.state, ev.addr, ev.data);
    if (t) parts.push(t);
  });
  return parts.join('; ');
}

/** Keys that hold a guest address: written in hex like the values and the other addresses (which are bigints). */
const ADDRESS_KEYS: ReadonlySet<string> = new Set(['addr', 'address']);

/**
 * An event as JSON-safe plain data, with decoded names beside the numbers:
 * values, attributes and addresses as hex strings ("0x801000c"), bytes as
 * hex, counts and indexes as numbers. errno_name names a failure's errno
 * and is absent on success (errno 0).
 */
export function eventToJson(ev: TraceEvent, i: number, session?: Session): Record<string, unknown> {
  const o: Record<string, unknown> = { i };
  for (const [k, v] of Object.entries(ev)) {
    if (typeof v === 'bigint') o[k] = hex(v);
    else if (typeof v === 'number' && ADDRESS_KEYS.has(k)) o[k] = hex(v);
    else if (v instanceof Uint8Array) o[k] = Buffer.from(v).toString('hex');
    else if (Array.isArray(v)) o[k] = v.map((x) => (typeof x === 'bigint' ? hex(x) : x));
    else o[k] = v;
  }
  if ('errno' in ev && ev.errno !== 0) o.errno_name = errnoName(ev.errno);
  if (ev.kind === 'set_attr' || ev.kind === 'get_attr' || ev.kind === 'has_attr') {
    const n = attrNames(ev, session);
    o.group_name = n.group;
    o.attr_name = n.attr;
  } else if (ev.kind === 'mmio') {
    const n = mmioNames(ev, session);
    o.reg = n.reg;
    if (n.fields) o.fields = n.fields;
  } else if (ev.kind === 'irq_line') o.irq_name = describeIrq(ev.irq, session?.vms[ev.vm]?.state.arch);
  else if (ev.kind === 'sysreg') {
    o.reg_name = sysregName(ev, session);
    const fields = sysregFields(ev, session);
    if (fields) o.fields = fields;
  }
  else if (ev.kind === 'mem_write') {
    const what = memWriteNames(ev, session);
    if (what) o.decoded = what;
  } else if (ev.kind === 'create_device') o.type_name = nameOf(NAMES.type, ev.type) ?? null;
  o.text = describeCall(ev, session);
  return o;
}
