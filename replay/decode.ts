/**
 * Decoding events into the kernel's names: device types, attribute groups
 * and attributes (from each device's group table), registers by spec name
 * with their bit fields (from the register tables), IRQ numbers, errnos.
 * Names that depend on the VM's layout at that moment (which device a
 * handle is, which frame an address falls in) come from a Point: the state
 * just before the event and the inspector that reads it (recorder/inspect.ts).
 * Without one, numbers are printed.
 */
import { errnoName, nameOf, NAMES } from '../devices/core/uapi.js';
import { type MmioTarget, type Point, type PointLike, pointOf } from '../recorder/inspect.js';
import type { AttrTarget, TraceEvent } from '../traces/events.js';
import { type DeclaredEvent, kindDecl, type KindNames } from '../traces/kinds.js';

/** A number in hex; a negative one (irq_line_status's -1) as -0x1, not 0x-1. */
const hex = (v: bigint | number) => (v < 0 ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`);

function targetName(t: AttrTarget, at: Point | undefined, vm: number): string {
  if (t.kind === 'vm') return 'vm';
  if (t.kind === 'vcpu') return `vcpu:${t.id}`;
  const name = at?.inspector.deviceName(at.state, vm, t.handle);
  return name !== undefined ? `dev ${t.handle} (${name})` : `dev ${t.handle}`;
}

/** Group and attribute names for an attribute event. */
export function attrNames(ev: Extract<TraceEvent, { group: number }>, where?: PointLike): { group: string; attr: string } {
  const at = pointOf(where);
  // Only the addressed fd's table names a group: group numbers are per device (1 is the VGIC's DIST_REGS, the MPIC's GRP_MISC, ...).
  const n = at?.inspector.attrNames(at.state, ev);
  return n ? { group: n.group, attr: n.attr } : { group: `group ${ev.group}`, attr: hex(ev.attr) };
}

/** The device's decoding of an attribute payload (a REDIST_REGION word, a register's bit fields), or ''. */
export function attrValueNames(ev: Extract<TraceEvent, { group: number }>, value: bigint, where?: PointLike): string {
  const at = pointOf(where);
  return at?.inspector.attrValue(at.state, ev, value) ?? '';
}

/** The device's decoding of a struct payload (FLIC records, an s390 CPU model), or ''. */
export function attrDataNames(ev: Extract<TraceEvent, { group: number }>, data: Uint8Array, where?: PointLike): string {
  const at = pointOf(where);
  return at?.inspector.attrData?.(at.state, ev, data) ?? '';
}

/** A KVM_IRQ_LINE `irq` value in words ("SPI 42"), or its number without a point. */
export function describeIrqLine(ev: Extract<TraceEvent, { kind: 'irq_line' }>, where?: PointLike): string {
  const at = pointOf(where);
  return at ? at.inspector.irqLine(at.state, ev.vm, ev.irq) : `irq ${hex(ev.irq >>> 0)}`;
}

/** The device register a guest access hits, if a device claims it (a vcpu's first access maps the frames first). */
export function claimingFrame(ev: Extract<TraceEvent, { kind: 'mmio' }>, where?: PointLike): MmioTarget | undefined {
  const at = pointOf(where);
  return at?.inspector.mmio(at.state, ev);
}

/** Register name and decoded bit fields of a guest access, if a device claims it. */
export function mmioNames(ev: Extract<TraceEvent, { kind: 'mmio' }>, where?: PointLike): { reg: string; fields: string } {
  const at = pointOf(where);
  const c = claimingFrame(ev, at);
  if (!c) return { reg: ev.exit ? 'unclaimed (exit to VMM)' : '?', fields: '' };
  return { reg: c.reg, fields: c.fields };
}

function result(errno: number): string {
  return errno ? ` -> ${errnoName(errno)}` : '';
}

/** One line describing an event, in the kernel's names, with its scenario note after a "#". */
export function describeEvent(ev: TraceEvent, where?: PointLike): string {
  const at = pointOf(where);
  const text = describeCall(ev, at);
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

function describeCall(ev: TraceEvent, at?: Point): string {
  const vmTag = ev.vm ? `[vm ${ev.vm}] ` : '';
  switch (ev.kind) {
    case 'create_vm':
      return `${vmTag}create_vm ${ev.arch} ipa_bits=${ev.ipaBits}`;
    case 'create_device':
      return `${vmTag}create_device ${typeName(ev.type, at) ?? `type ${ev.type}`}${ev.flags ? ` flags=${hex(ev.flags)}` : ''}${ev.errno ? result(ev.errno) : ev.handle >= 0 ? ` -> dev ${ev.handle}` : ' -> 0'}`;
    case 'set_attr':
    case 'get_attr':
    case 'has_attr': {
      const n = attrNames(ev, at);
      const input = ev.nullPtr ? ' addr=NULL' : ev.value !== undefined ? ` value=${hex(ev.value)}` : ev.data ? ` data=${Buffer.from(ev.data).toString('hex')}` : '';
      const out = ev.kind === 'get_attr' && ev.errno === 0 ? ` -> ${ev.outValue !== undefined ? hex(ev.outValue) : ev.outData ? Buffer.from(ev.outData).toString('hex') : '0'}` : result(ev.errno);
      const shown = ev.kind === 'get_attr' && ev.errno === 0 ? ev.outValue : ev.kind === 'set_attr' ? ev.value : undefined;
      const shownData = ev.kind === 'get_attr' && ev.errno === 0 ? ev.outData : ev.kind === 'set_attr' ? ev.data : undefined;
      const fields = shown !== undefined ? attrValueNames(ev, shown, at) : shownData ? attrDataNames(ev, shownData, at) : '';
      return `${vmTag}${ev.kind} ${targetName(ev.target, at, ev.vm)} ${n.group} ${n.attr}${input}${out}${fields ? ` [${fields}]` : ''}`;
    }
    case 'mmio': {
      const n = mmioNames(ev, at);
      const fields = n.fields ? ` [${n.fields}]` : '';
      const v = `${hex(ev.value)}${fields}`;
      return `${vmTag}mmio vcpu ${ev.vcpu} ${ev.write ? 'write' : 'read '} ${n.reg} @${hex(ev.addr)}/${ev.len} ${ev.write ? `<- ${v}` : `-> ${v}`}${ev.exit ? ' (exit)' : ''}${result(ev.errno)}`;
    }
    case 'irq_line':
      return `${vmTag}irq_line ${describeIrqLine(ev, at)} level=${ev.level}${result(ev.errno)}`;
    case 'enable_cap':
      return `${vmTag}enable_cap ${nameOf(NAMES.cap, ev.cap) ?? `cap ${ev.cap}`}${ev.vcpu >= 0 ? ` vcpu ${ev.vcpu}` : ''} args=[${ev.args.map(hex).join(', ')}]${result(ev.errno)}`;
    case 'hcall': {
      const h = at?.inspector.hcall(at.state, ev);
      return `${vmTag}hcall vcpu ${ev.vcpu} ${h ? h.name : `nr=${hex(ev.nr)}`} args=[${ev.args.map(hex).join(', ')}] -> ${hex(ev.ret)}${h && !ev.errno ? ` [${h.detail}]` : ''}${result(ev.errno)}`;
    }
    case 'sysreg': {
      const fields = sysregFields(ev, at);
      return `${vmTag}sysreg vcpu ${ev.vcpu} ${ev.write ? 'write' : 'read '} ${sysregName(ev, at)} ${ev.write ? '<-' : '->'} ${hex(ev.value)}${fields ? ` [${fields}]` : ''}${result(ev.errno)}`;
    }
    case 'mem_write': {
      const what = memWriteNames(ev, at);
      return `${vmTag}mem_write @${hex(ev.addr)} ${Buffer.from(ev.data).toString('hex')}${what ? ` [${what}]` : ''}${result(ev.errno)}`;
    }
    case 'mem_read':
      return `${vmTag}mem_read @${hex(ev.addr)}/${ev.len} -> ${ev.errno ? result(ev.errno).slice(4) : Buffer.from(ev.data).toString('hex')}`;
    default:
      return `${vmTag}${describeDeclared(ev as unknown as DeclaredEvent, at)}`;
  }
}

/**
 * A kind declared as data: its own description; a kind this devrr does not
 * know (a newer devrr's trace): its name and fields as they are.
 */
function describeDeclared(ev: DeclaredEvent, at?: Point): string {
  const decl = kindDecl(ev.kind);
  if (decl?.describe) return decl.describe(ev, at && kindNames(at));
  const fields = Object.entries(ev)
    .filter(([k]) => k !== 'kind' && k !== 'vm' && k !== 'note')
    .map(([k, v]) => `${k}=${typeof v === 'bigint' ? hex(v) : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : typeof v === 'object' ? noteJson(v) : String(v)}`);
  return `${ev.kind}${decl ? '' : ' (a kind this devrr does not know)'}${fields.length ? ` ${fields.join(' ')}` : ''}`;
}

/** The names a declared kind's description asks for, from the state at a point (traces/kinds.ts KindNames). */
function kindNames(at: Point): KindNames {
  return {
    port: (vm, port, len) => at.inspector.pio?.(at.state, vm, port, len),
    payload: (vm, kind, id, data) => at.inspector.payload?.(at.state, vm, kind, id, data),
    oneReg: (vm, id, value) => at.inspector.oneReg?.(at.state, vm, id, value),
  };
}

/** A device type's uapi name, from the inspector, else the uapi table. */
function typeName(type: number, at?: Point): string | undefined {
  return at?.inspector.typeName(type) ?? nameOf(NAMES.type, type);
}

/** A guest system register's spec name ("ICC_IAR1_EL1"), from the device that serves it, else the uapi table. */
export function sysregName(ev: Extract<TraceEvent, { kind: 'sysreg' }>, where?: PointLike): string {
  const at = pointOf(where);
  return at?.inspector.sysreg(at.state, ev).name ?? nameOf(NAMES.sysreg, ev.reg) ?? `sysreg ${hex(ev.reg)}`;
}

/** The value of a guest system-register access decoded into the register's named fields ("INTID=0x20"), or ''. */
export function sysregFields(ev: Extract<TraceEvent, { kind: 'sysreg' }>, where?: PointLike): string {
  const at = pointOf(where);
  if (ev.errno) return '';
  return at?.inspector.sysreg(at.state, ev).fields ?? '';
}

/** What a guest RAM write means to the VM's devices (ITS commands queued, table entries), or ''. */
export function memWriteNames(ev: Extract<TraceEvent, { kind: 'mem_write' }>, where?: PointLike): string {
  const at = pointOf(where);
  return at?.inspector.memWrite(at.state, ev) ?? '';
}

/** Keys that hold a guest address: written in hex like the values and the other addresses (which are bigints). */
const ADDRESS_KEYS: ReadonlySet<string> = new Set(['addr', 'address']);

/**
 * An event as JSON-safe plain data, with decoded names beside the numbers:
 * values, attributes and addresses as hex strings ("0x801000c"), bytes as
 * hex, counts and indexes as numbers. errno_name names a failure's errno
 * and is absent on success (errno 0).
 */
export function eventToJson(ev: TraceEvent, i: number, where?: PointLike): Record<string, unknown> {
  const at = pointOf(where);
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
    const n = attrNames(ev, at);
    o.group_name = n.group;
    o.attr_name = n.attr;
  } else if (ev.kind === 'mmio') {
    const n = mmioNames(ev, at);
    o.reg = n.reg;
    if (n.fields) o.fields = n.fields;
  } else if (ev.kind === 'irq_line') o.irq_name = describeIrqLine(ev, at);
  else if (ev.kind === 'sysreg') {
    o.reg_name = sysregName(ev, at);
    const fields = sysregFields(ev, at);
    if (fields) o.fields = fields;
  }
  else if (ev.kind === 'mem_write') {
    const what = memWriteNames(ev, at);
    if (what) o.decoded = what;
  } else if (ev.kind === 'create_device') o.type_name = typeName(ev.type, at) ?? null;
  else if (ev.kind === 'hcall') {
    const h = at?.inspector.hcall(at.state, ev);
    if (h) {
      o.hcall_name = h.name;
      if (!ev.errno) o.decoded = h.detail;
    }
  }
  const decl = kindDecl(ev.kind);
  if (decl?.jsonNames && at) Object.assign(o, decl.jsonNames(ev as unknown as DeclaredEvent, kindNames(at)));
  o.text = describeCall(ev, at);
  return o;
}
