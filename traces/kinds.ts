/**
 * Event kinds as data: one declaration per kind of trace event, which every
 * layer reads. The trace format takes a kind's fields (how a shape is stored
 * and checked), whether its value travels in the value column, the format
 * version that introduced it and whether a replay without it means anything;
 * the scenario parser and the recorder take its op; the backend its
 * execution; replay its result fields; dump and the TUI its description.
 *
 * A new kind is one declaration (a file under traces/kinds/ such as pio.ts
 * or one-reg.ts, listed in
 * DECLARED_KINDS, or registerEventKind for one outside devrr, as the toy kinds
 * of test/replay/toy/ are). The kinds of formats 1.0 and 1.1 are declared
 * here too (fields, results, description); create_vcpu, run_vcpu,
 * arm_set_device_addr and signal_msi have moved to hooks, the others' scenario ops, execution and decoding still
 * have their own cases in recorder/ and replay/decode.ts. A declaration's
 * hooks are used for every kind that has them.
 * docs/architecture.md has the checklist.
 *
 * Tripwire: changing a declared kind's fields changes the bytes on disk and
 * what the reader accepts; bump FORMAT_VERSION in format.ts.
 */
import { errnoName, NAMES } from '../devices/core/uapi.js';
import type { Vm } from '../devices/core/vm.js';
import type { FormatVersion } from './format.js';
import { HOST } from './kinds/host.js';
import { ONE_REG } from './kinds/one-reg.js';
import { PIO } from './kinds/pio.js';
import { CREATE_IRQCHIP } from './kinds/create-irqchip.js';
import { GET_IRQCHIP } from './kinds/get-irqchip.js';
import { GET_LAPIC } from './kinds/get-lapic.js';
import { IRQ_LINE_STATUS } from './kinds/irq-line-status.js';
import { SET_IRQCHIP } from './kinds/set-irqchip.js';
import { SET_LAPIC } from './kinds/set-lapic.js';
import { TAKE_INTERRUPT } from './kinds/take-interrupt.js';
import { OPEN_FILE } from './kinds/open-file.js';
import { CLOSE_FILE } from './kinds/close-file.js';
import { CLOSE_DEVICE } from './kinds/close-device.js';
import { IRQFD } from './kinds/irqfd.js';
import { VFIO_GET_INFO } from './kinds/vfio-get-info.js';
import { VFIO_REGION_INFO } from './kinds/vfio-region-info.js';
import { VFIO_IRQ_INFO } from './kinds/vfio-irq-info.js';
import { VFIO_SET_IRQS } from './kinds/vfio-set-irqs.js';
import { VFIO_RESET } from './kinds/vfio-reset.js';
import { VFIO_REGION } from './kinds/vfio-region.js';
import { VFIO_IRQ } from './kinds/vfio-irq.js';

/** How one event field is stored and checked. */
export type FieldType =
  /** Integer 0..2^32-1. */
  | 'u32'
  /** Integer 0..65535. */
  | 'u16'
  /** Integer -1..2^31-1 (-1: none / the VM fd). */
  | 'i32m1'
  /** Non-negative safe integer (guest addresses). */
  | 'addr'
  /** 0 or a positive errno below 4096. */
  | 'errno'
  | 'bool'
  /** bigint in int64 ∪ uint64. */
  | 'big'
  /** Array of 'big'. */
  | 'bigs'
  /** Uint8Array or Buffer. */
  | 'bytes'
  /** One of ARCHES. */
  | 'arch'
  /** 1..64. */
  | 'ipaBits'
  /** 1, 2, 4 or 8. */
  | 'len'
  /** 1, 2 or 4 (a port access). */
  | 'len124'
  /** AttrTarget. */
  | 'target';

/** One field of an event kind, in on-disk order. */
export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  readonly optional?: true;
}

/** An event of any kind, as the generic layers see it: kind, vm, its declared fields, note. */
export interface DeclaredEvent {
  readonly kind: string;
  readonly vm: number;
  readonly note?: unknown;
  readonly [field: string]: unknown;
}

/** A number in a scenario step, or a `$NAME` kept by an earlier `save_as` (recorder/scenario.ts's Value). */
export type StepValue = { readonly n: bigint } | { readonly ref: string };

/** Bytes in a scenario step (a hex string), or a `$NAME` of bytes kept by an earlier `save_as` on an op that returns bytes. */
export type StepData = { readonly bytes: Uint8Array } | { readonly ref: string };

/** The scenario parser's field readers, as a kind's op parses its step with them (recorder/scenario.ts). */
export interface StepFields {
  has(field: string): boolean;
  /** A whole number from 0 to max. */
  uint(field: string, max: number): number;
  /** A 32-bit value, signed or not, as a u32. */
  u32(field: string): number;
  /** A number or "$NAME", resolved when the step runs. */
  value(field: string): StepValue;
  /** Whole bytes as a hex string of at most `max` bytes, or "$NAME" of bytes kept by an earlier save_as, resolved when the step runs. */
  data(field: string, max: number): StepData;
  /** true or false; `dflt` when the field is absent. */
  bool(field: string, dflt: boolean): boolean;
  /** A uapi name from `table`, or a number from 0 to 2^32-1. */
  named(field: string, table: Record<string, number>): number;
  /** A one-reg id (KVM_GET/SET_ONE_REG): a 64-bit number, or a register name a family of the step's VM's arch declares. */
  oneRegId(field: string): bigint;
  /** One of the given strings. */
  oneOf<T extends string>(field: string, choices: readonly T[]): T;
  /** One of the given names, as its index in `names`, or a whole number from 0 to max. */
  nameOrUint(field: string, names: readonly string[], max: number): number;
  /** true or false, `dflt` when absent. */
  bool(field: string, dflt: boolean): boolean;
  /** An array of at most `max` elements (read each with valueAt). */
  list(field: string, max: number): unknown[];
  /** Element `i` of a list as a number or "$NAME". */
  valueAt(list: readonly unknown[], i: number, field: string): StepValue;
  /** A device name bound by an earlier create_device `as` in the step's VM. */
  devName(field: string): string;
  /** Refuse the step: a ScenarioError naming the step and field. */
  fail(field: string, what: string): never;
}

/** What a step's request may resolve at record time besides values. */
export interface StepContext {
  /** The handle of the device bound to `name` in the step's VM, -1 when its create_device made none. */
  dev(name: string): number;
  /** A step's bytes: its hex data, or the bytes an earlier save_as kept under "$NAME". */
  data(d: StepData): Uint8Array;
}

/** A kind's scenario op. */
export interface KindScenario {
  /** The op's name in scenario files. */
  readonly op: string;
  /**
   * The fields the op takes besides op, note and vm. `expect` checks the
   * errno; `expect_value`, `expect_mask`, `expect_data` and `save_as` are
   * the recorder's own when listed (they compare `readValue`, or `readData`
   * for `expect_data`, and `save_as` keeps `readData`'s bytes when the kind
   * has it).
   */
  readonly fields: readonly string[];
  /** Static validation: the step's own fields (values may be StepValue, resolved at record time by `request`). */
  parse(p: StepFields): Readonly<Record<string, unknown>>;
  /**
   * The event's fields after kind and vm (results at their zero values),
   * with the step's values resolved (`val`), its bytes resolved
   * (`ctx.data`) and its device names made handles (`ctx.dev`: -1 for a
   * name whose create_device made no device).
   */
  request(fields: Readonly<Record<string, unknown>>, val: (v: StepValue) => bigint, ctx: StepContext): Record<string, unknown>;
  /** The value a step's expect_value, expect_mask and save_as compare, or undefined when the event returned none (a write). */
  readValue?(ev: DeclaredEvent): bigint | undefined;
  /** The bytes a step's expect_data compares (its leading bytes) and save_as keeps, or undefined when the event returned none. */
  readData?(ev: DeclaredEvent): Uint8Array | undefined;
  /**
   * Set when the kind is written as another op with a flag rather than as
   * an op of its own (`irq_line` with `"status": true` records
   * irq_line_status): that op's steps with the flag true are this kind's,
   * parsed by this `parse`; `op` then names the kind's steps in reports only.
   */
  readonly flagOf?: { readonly op: string; readonly flag: string };
}

/** How dump and the TUI name what an event touched, from the state just before it (replay/decode.ts builds it from a Point). */
export interface KindNames {
  /** The register a port access hits ("PIC_DATA"), from the device whose port range holds the whole access. */
  port(vm: number, port: number, len: number): string | undefined;
  /** A struct payload of the irqchip's own ioctls in words ('irqchip': chip `id`; 'lapic': vcpu `id`'s page). */
  payload(vm: number, kind: 'irqchip' | 'lapic', id: number, data: Uint8Array): string | undefined;
  /** A one-reg register's uapi name and its value in words, from the device family of the VM's arch that declares it. */
  oneReg(vm: number, id: bigint, value: bigint): { readonly name: string; readonly value?: string } | undefined;
}

/** One event kind. */
export interface EventKindDecl {
  /** The `kind` string of its events and of the trace's shapes. */
  readonly name: string;
  /** The trace format version that introduced it (kinds registered outside devrr: the version they are written with). */
  readonly since: FormatVersion;
  /**
   * Whether a replay that cannot run this kind's events means anything.
   * A reader that does not know a kind skips its events when this is false,
   * and refuses to replay when it is true (dump and info still show them).
   */
  readonly needed: boolean;
  /** One line for docs and `info`: what the event is. */
  readonly description: string;
  /** The fields after `kind` and `vm` and before `note`, in on-disk order. */
  readonly fields: readonly FieldSpec[];
  /** The fields the execution fills in: replay compares them. */
  readonly results: readonly string[];
  /**
   * A bigint field stored in the chunk's value column rather than the shape
   * (`value`, sized by the field `len`: one u32 word, two when len is 8), so
   * that a repeated access with different values shares one shape.
   */
  readonly column?: { readonly value: string; readonly len: string };
  /** Size limits of FORMAT.md's *Limits* on one event beyond the field types: the problem, or undefined. */
  readonly limits?: (ev: Readonly<Record<string, unknown>>) => string | undefined;
  /** The op that records it from a scenario (kinds of formats 1.0/1.1: recorder/scenario.ts's own cases). */
  readonly scenario?: KindScenario;
  /** Run it on a VM: the result fields (kinds of formats 1.0/1.1: recorder/execute.ts's own cases). */
  readonly execute?: (vm: Vm, ev: DeclaredEvent) => Readonly<Record<string, unknown>>;
  /** One line for dump and the TUI after the `[vm N] ` tag (kinds of formats 1.0/1.1: replay/decode.ts's own cases); `names` when a state is at hand. */
  readonly describe?: (ev: DeclaredEvent, names?: KindNames) => string;
  /** Decoded names beside the fields in `dump --json` (`reg_name`, `decoded`), when a state is at hand. */
  readonly jsonNames?: (ev: DeclaredEvent, names: KindNames) => Readonly<Record<string, string>>;
  /**
   * The MSI this event injected into the VM's irqchip (an irqfd's kvm_set_msi),
   * with the irqchip's answer, so that the irqchip's interrupts facet sees it
   * as it sees a KVM_SIGNAL_MSI (breakpoints, explain, the interrupt view).
   */
  readonly injectedMsi?: (ev: DeclaredEvent) => { readonly address: bigint; readonly data: number; readonly devid: number; readonly errno: number; readonly ret: number } | undefined;
}

const ATTR_FIELDS: readonly FieldSpec[] = [
  { name: 'target', type: 'target' },
  { name: 'group', type: 'u32' },
  { name: 'attr', type: 'big' },
  { name: 'value', type: 'big', optional: true },
  { name: 'data', type: 'bytes', optional: true },
  { name: 'nullPtr', type: 'bool', optional: true },
  { name: 'errno', type: 'errno' },
  { name: 'outValue', type: 'big', optional: true },
  { name: 'outData', type: 'bytes', optional: true },
];

const V10: FormatVersion = [1, 0];

const hex = (v: bigint | number) => `0x${v.toString(16)}`;

/** " -> EINVAL" for an event that failed, '' for one that succeeded: the way dump ends a line. */
function failed(ev: DeclaredEvent): string {
  const e = ev['errno'];
  return typeof e === 'number' && e !== 0 ? ` -> ${errnoName(e)}` : '';
}
const V11: FormatVersion = [1, 1];

/** The kinds of formats 1.0 and 1.1, in the order of events.ts. */
export const LEGACY_KINDS: readonly EventKindDecl[] = [
  { name: 'create_vm', since: V10, needed: true, description: 'KVM_CREATE_VM: the next VM of the trace', fields: [{ name: 'arch', type: 'arch' }, { name: 'ipaBits', type: 'ipaBits' }], results: [] },
  {
    name: 'create_vcpu',
    since: V10,
    needed: true,
    description: 'KVM_CREATE_VCPU',
    fields: [{ name: 'id', type: 'u32' }, { name: 'errno', type: 'errno' }],
    results: ['errno'],
    // Declared as data through every layer (traces/kinds.ts's hooks), like run_vcpu and pio.
    scenario: { op: 'create_vcpu', fields: ['id', 'expect'], parse: (p) => ({ id: p.uint('id', 0xffffffff) }), request: (f) => ({ id: f['id'], errno: 0 }) },
    execute: (vm, ev) => ({ errno: vm.createVcpu(ev['id'] as number) }),
    describe: (ev) => `create_vcpu id=${ev['id'] as number}${failed(ev)}`,
  },
  {
    name: 'create_device',
    since: V10,
    needed: true,
    description: 'KVM_CREATE_DEVICE',
    fields: [{ name: 'type', type: 'u32' }, { name: 'flags', type: 'u32' }, { name: 'errno', type: 'errno' }, { name: 'handle', type: 'i32m1' }],
    results: ['errno', 'handle'],
  },
  { name: 'set_attr', since: V10, needed: true, description: 'KVM_SET_DEVICE_ATTR', fields: ATTR_FIELDS, results: ['errno'] },
  { name: 'get_attr', since: V10, needed: true, description: 'KVM_GET_DEVICE_ATTR', fields: ATTR_FIELDS, results: ['errno', 'outValue', 'outData'] },
  { name: 'has_attr', since: V10, needed: true, description: 'KVM_HAS_DEVICE_ATTR', fields: ATTR_FIELDS, results: ['errno'] },
  {
    name: 'arm_set_device_addr',
    since: V10,
    needed: true,
    description: "the legacy ioctl that places an in-kernel irqchip's frames",
    fields: [{ name: 'id', type: 'big' }, { name: 'addr', type: 'big' }, { name: 'errno', type: 'errno' }],
    results: ['errno'],
    scenario: {
      op: 'arm_set_device_addr',
      fields: ['id', 'addr', 'expect'],
      parse: (p) => ({ id: p.value('id'), addr: p.value('addr') }),
      request: (f, val) => ({ id: val(f['id'] as StepValue), addr: val(f['addr'] as StepValue), errno: 0 }),
    },
    execute: (vm, ev) => ({ errno: vm.armSetDeviceAddr(ev['id'] as bigint, ev['addr'] as bigint) }),
    describe: (ev) => `arm_set_device_addr id=${hex(ev['id'] as bigint)} addr=${hex(ev['addr'] as bigint)}${failed(ev)}`,
  },
  {
    name: 'run_vcpu',
    since: V10,
    needed: true,
    description: "KVM_RUN's first entry of a vcpu",
    fields: [{ name: 'vcpu', type: 'u32' }, { name: 'errno', type: 'errno' }],
    results: ['errno'],
    scenario: { op: 'run_vcpu', fields: ['vcpu', 'expect'], parse: (p) => ({ vcpu: p.uint('vcpu', 0xffffffff) }), request: (f) => ({ vcpu: f['vcpu'], errno: 0 }) },
    execute: (vm, ev) => ({ errno: vm.runVcpu(ev['vcpu'] as number) }),
    describe: (ev) => `run_vcpu ${ev['vcpu'] as number}${failed(ev)}`,
  },
  {
    name: 'mmio',
    since: V10,
    needed: true,
    description: 'a guest MMIO access inside KVM_RUN',
    fields: [
      { name: 'vcpu', type: 'u32' },
      { name: 'write', type: 'bool' },
      { name: 'addr', type: 'addr' },
      { name: 'len', type: 'len' },
      { name: 'value', type: 'big' },
      { name: 'exit', type: 'bool' },
      { name: 'errno', type: 'errno' },
    ],
    results: ['errno', 'exit', 'value'],
    column: { value: 'value', len: 'len' },
  },
  { name: 'irq_line', since: V10, needed: true, description: 'KVM_IRQ_LINE', fields: [{ name: 'irq', type: 'u32' }, { name: 'level', type: 'u32' }, { name: 'errno', type: 'errno' }], results: ['errno'] },
  {
    name: 'enable_cap',
    since: V10,
    needed: true,
    description: 'KVM_ENABLE_CAP on the VM or a vcpu',
    fields: [{ name: 'vcpu', type: 'i32m1' }, { name: 'cap', type: 'u32' }, { name: 'args', type: 'bigs' }, { name: 'errno', type: 'errno' }],
    results: ['errno'],
  },
  {
    name: 'hcall',
    since: V10,
    needed: true,
    description: 'a guest hypercall served in the kernel',
    fields: [{ name: 'vcpu', type: 'u32' }, { name: 'nr', type: 'u32' }, { name: 'args', type: 'bigs' }, { name: 'ret', type: 'big' }, { name: 'errno', type: 'errno' }],
    results: ['errno', 'ret'],
  },
  {
    name: 'sysreg',
    since: V11,
    needed: true,
    description: 'a guest system-register access inside KVM_RUN',
    fields: [{ name: 'vcpu', type: 'u32' }, { name: 'write', type: 'bool' }, { name: 'reg', type: 'u32' }, { name: 'value', type: 'big' }, { name: 'errno', type: 'errno' }],
    results: ['errno', 'value'],
  },
  { name: 'mem_write', since: V11, needed: true, description: 'the VMM writes guest RAM', fields: [{ name: 'addr', type: 'addr' }, { name: 'data', type: 'bytes' }, { name: 'errno', type: 'errno' }], results: ['errno'] },
  {
    name: 'mem_read',
    since: V11,
    needed: true,
    description: 'the VMM reads guest RAM',
    fields: [{ name: 'addr', type: 'addr' }, { name: 'len', type: 'u32' }, { name: 'data', type: 'bytes' }, { name: 'errno', type: 'errno' }],
    results: ['errno', 'data'],
    limits: (o) => ((o['len'] as number) > MAX_MEM_READ ? `(mem_read) len ${o['len'] as number} is over the ${MAX_MEM_READ}-byte limit` : undefined),
  },
  {
    name: 'signal_msi',
    since: V11,
    needed: true,
    description: 'KVM_SIGNAL_MSI',
    fields: [
      { name: 'address', type: 'big' },
      { name: 'data', type: 'u32' },
      { name: 'flags', type: 'u32' },
      { name: 'devid', type: 'u32' },
      { name: 'ret', type: 'u32' },
      { name: 'errno', type: 'errno' },
    ],
    results: ['errno', 'ret'],
    scenario: {
      op: 'signal_msi',
      fields: ['address', 'data', 'devid', 'flags', 'expect', 'expect_value'],
      parse(p) {
        const devid = p.has('devid') ? p.u32('devid') : 0;
        // With a device id and no flags, the flag that says the id is valid (the ITS needs it).
        const flags = p.has('flags') ? p.named('flags', NAMES.msiFlags) : p.has('devid') ? 1 : 0;
        return { address: p.value('address'), data: p.u32('data'), devid, flags };
      },
      request: (f, val) => ({ address: BigInt.asUintN(64, val(f['address'] as StepValue)), data: f['data'], flags: f['flags'], devid: f['devid'], ret: 0, errno: 0 }),
      // KVM_SIGNAL_MSI's non-negative result: 1 delivered, 0 blocked.
      readValue: (ev) => BigInt(ev['ret'] as number),
    },
    execute(vm, ev) {
      const r = vm.signalMsi({ address: ev['address'] as bigint, data: ev['data'] as number, flags: ev['flags'] as number, devid: ev['devid'] as number });
      return { errno: r.errno, ret: r.ret };
    },
    describe(ev) {
      const ret = ev['ret'] as number;
      const flags = ev['flags'] as number;
      return `signal_msi address=${hex(ev['address'] as bigint)} devid=${hex(ev['devid'] as number)} eventid=${ev['data'] as number}${flags !== 1 ? ` flags=${hex(flags)}` : ''}${ev['errno'] ? failed(ev) : ` -> ${ret}${ret ? ' (delivered)' : ' (blocked)'}`}`;
    },
  },
];

/** A mem_read's len limit (FORMAT.md *Limits*); the same as devices/core/vm-state.ts's MAX_MEM_READ. */
const MAX_MEM_READ = 1 << 20;

const registry = new Map<string, EventKindDecl>();
const byOp = new Map<string, EventKindDecl>();
/** Kinds written as another op with a flag (KindScenario.flagOf), by that op. */
const byFlag = new Map<string, EventKindDecl[]>();

/** Names a kind may have: what a trace header's `kinds` map and a shape's `kind` accept. */
export const KIND_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * Add a kind to the registry every layer reads. devrr's own kinds are
 * registered when this module loads; a kind from elsewhere (a test's toy
 * kind) is registered before it records or reads a trace holding it.
 * Throws on a name or op already taken, or a declaration that does not fit
 * the format (a bug of the caller).
 */
export function registerEventKind(decl: EventKindDecl): void {
  if (!KIND_NAME.test(decl.name)) throw new TypeError(`devrr: event kind name ${JSON.stringify(decl.name)} is not lower-case letters, digits and _`);
  if (registry.has(decl.name)) throw new TypeError(`devrr: event kind ${decl.name} is already declared`);
  const names = new Set<string>();
  for (const f of decl.fields) {
    if (f.name === 'kind' || f.name === 'vm' || f.name === 'note' || f.name === '__proto__' || names.has(f.name)) throw new TypeError(`devrr: event kind ${decl.name}: field name ${f.name} is taken`);
    names.add(f.name);
  }
  for (const r of decl.results) if (!names.has(r)) throw new TypeError(`devrr: event kind ${decl.name}: result ${r} is not one of its fields`);
  if (decl.column) {
    const v = decl.fields.find((f) => f.name === decl.column!.value);
    const l = decl.fields.find((f) => f.name === decl.column!.len);
    if (v?.type !== 'big' || v.optional || (l?.type !== 'len' && l?.type !== 'len124') || l.optional) throw new TypeError(`devrr: event kind ${decl.name}: its column needs a big value field and a len field`);
  }
  const flag = decl.scenario?.flagOf;
  if (decl.scenario && !flag && byOp.has(decl.scenario.op)) throw new TypeError(`devrr: event kind ${decl.name}: op ${decl.scenario.op} is taken`);
  registry.set(decl.name, decl);
  if (flag) byFlag.set(flag.op, [...(byFlag.get(flag.op) ?? []), decl]);
  else if (decl.scenario) byOp.set(decl.scenario.op, decl);
}

/** Remove a kind registered with registerEventKind (tests: a reader that does not know it). */
export function unregisterEventKind(name: string): void {
  const d = registry.get(name);
  if (!d) return;
  registry.delete(name);
  const flag = d.scenario?.flagOf;
  if (flag) byFlag.set(flag.op, (byFlag.get(flag.op) ?? []).filter((x) => x !== d));
  else if (d.scenario) byOp.delete(d.scenario.op);
}

/** The declaration of a kind, or undefined when this devrr does not know it. */
export function kindDecl(name: string): EventKindDecl | undefined {
  return registry.get(name);
}

/** The kind whose scenario op is `op` (declared kinds only; the 1.0/1.1 ops are recorder/scenario.ts's). */
export function kindByOp(op: string): EventKindDecl | undefined {
  return byOp.get(op);
}

/** The kinds written as op `op` with a flag (KindScenario.flagOf): `irq_line`'s irq_line_status. */
export function kindsFlagging(op: string): readonly EventKindDecl[] {
  return byFlag.get(op) ?? [];
}

/** Every kind this devrr knows, in registration order. */
export function allKinds(): readonly EventKindDecl[] {
  return [...registry.values()];
}

/** Words of the value column one event of this shape owns: 0, or 1 (2 when len is 8) for a kind with a column. */
export function columnWords(decl: EventKindDecl, shape: Readonly<Record<string, unknown>>): number {
  return decl.column ? (shape[decl.column.len] === 8 ? 2 : 1) : 0;
}

/** The kinds declared purely as data, from format 1.2 on. */
export const DECLARED_KINDS: readonly EventKindDecl[] = [
  PIO,
  // One-reg registers of a vcpu (KVM_GET/SET_ONE_REG).
  ONE_REG,
  // 1.3: the VMM's files, device fds that close, irqfds, and the VFIO device fd (devices/vfio/).
  OPEN_FILE,
  CLOSE_FILE,
  CLOSE_DEVICE,
  IRQFD,
  VFIO_GET_INFO,
  VFIO_REGION_INFO,
  VFIO_IRQ_INFO,
  VFIO_SET_IRQS,
  VFIO_RESET,
  VFIO_REGION,
  VFIO_IRQ,
  // The x86 in-kernel irqchip (devices/x86-irqchip/): KVM_CREATE_IRQCHIP, KVM_GET/SET_IRQCHIP, KVM_GET/SET_LAPIC,
  // KVM_IRQ_LINE_STATUS, and a vcpu taking an interrupt inside KVM_RUN.
  CREATE_IRQCHIP,
  GET_IRQCHIP,
  SET_IRQCHIP,
  GET_LAPIC,
  SET_LAPIC,
  IRQ_LINE_STATUS,
  TAKE_INTERRUPT,
  // 1.3: what a host trace showed that devrr keeps without running it (devrr import).
  HOST,
];

for (const d of [...LEGACY_KINDS, ...DECLARED_KINDS]) registerEventKind(d);
