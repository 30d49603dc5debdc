/**
 * Scenario files (docs/scenarios.md): parsing and static validation.
 * Everything that can be wrong with the file itself (bad JSON, an unknown
 * op, field or name, a missing field, a number that does not fit, a `$NAME`
 * never saved, a device name never bound, a note the trace cannot hold) is
 * found here, before anything runs or any file is made, and reported as a
 * ScenarioError naming the step index and the field. What parses records
 * without error: every value a step carries fits the trace's event fields.
 *
 * Name lookups go through Maps and own properties only, so no step can reach
 * a name from Object.prototype (`"op": "toString"` is an unknown op).
 */
import { checkPlainData, encodeValue, MAX_NOTE_BYTES } from '../traces/format.js';
import { MAX_DEVICE_CREATES_PER_VM, MAX_VMS } from '../devices/core/vm-state.js';
import { ARCHES, type Arch, errnoByName, KVM_ARM_IRQ_TYPE, NAMES, nameOf } from '../devices/core/uapi.js';
import { archFdNames } from '../devices/arch/index.js';
import { deviceNames, type FdNames, oneRegNames, someNames } from '../devices/core/names.js';
import type { OneRegDecl } from '../devices/core/device.js';
import type { DeviceRegistry } from '../devices/core/vm.js';
import { DEFAULT_IPA_BITS, DEVICE_MODELS } from '../devices/registry.js';
import { checkJsonShape } from './scenario-file.js';
import { DECLARED_KINDS, type EventKindDecl, kindByOp, kindsFlagging, type StepData, type StepFields } from '../traces/kinds.js';
import { ScenarioError } from './scenario-error.js';

export { ScenarioError } from './scenario-error.js';

/** A number, or a reference to a value kept by an earlier `save_as`. */
export type Value = { readonly n: bigint } | { readonly ref: string };

/** `expect`: success, one of some errnos, or any error. */
export type Expect = { readonly kind: 'ok' } | { readonly kind: 'errno'; readonly any: readonly number[]; readonly text: string } | { readonly kind: 'error' };

export type DevRef = { readonly kind: 'vm' } | { readonly kind: 'vcpu'; readonly id: number } | { readonly kind: 'device'; readonly name: string };

interface StepBase {
  readonly index: number;
  /** Index of the VM (0 = the file's own VM). */
  readonly vm: number;
  readonly note?: unknown;
  readonly expect?: Expect;
}

export type Step =
  | (StepBase & { readonly op: 'create_device'; readonly type: number; readonly flags: number; readonly as?: string })
  | (StepBase & {
      readonly op: 'set_attr' | 'get_attr' | 'has_attr';
      readonly dev: DevRef;
      readonly group: number;
      /** The group's name in the addressed fd's own table, when it has one (for report lines). */
      readonly groupName?: string;
      readonly attr: bigint;
      readonly value?: Value;
      readonly data?: Uint8Array;
      readonly nullPtr: boolean;
      readonly expectValue?: Value;
      readonly expectMask?: bigint;
      readonly saveAs?: string;
    })
  | (StepBase & {
      readonly op: 'mmio';
      readonly vcpu: number;
      readonly write: boolean;
      readonly addr: number;
      readonly len: 1 | 2 | 4 | 8;
      readonly value?: Value;
      readonly expectValue?: Value;
      readonly expectMask?: bigint;
      readonly saveAs?: string;
    })
  | (StepBase & { readonly op: 'irq_line'; readonly irq: number; readonly level: number })
  | (StepBase & { readonly op: 'hcall'; readonly vcpu: number; readonly nr: number; readonly args: readonly Value[]; readonly expectValue?: Value })
  | (StepBase & { readonly op: 'enable_cap'; readonly vcpu: number; readonly cap: number; readonly args: readonly (Value | { readonly dev: string })[] })
  | (StepBase & { readonly op: 'create_vm'; readonly as: string; readonly arch: Arch; readonly ipaBits: number })
  | (StepBase & {
      readonly op: 'sysreg';
      readonly vcpu: number;
      readonly write: boolean;
      readonly reg: number;
      readonly value?: Value;
      readonly expectValue?: Value;
      readonly expectMask?: bigint;
      readonly saveAs?: string;
    })
  | (StepBase & { readonly op: 'mem_write'; readonly addr: number; readonly data: Uint8Array })
  | (StepBase & { readonly op: 'mem_read'; readonly addr: number; readonly len: number; readonly expectData?: Uint8Array })
  | DeclaredStep;

/**
 * A step of an op a kind declares (traces/kinds.ts): `kindOp` is its op's
 * name, `fields` what the kind's parse made of it (resolved by its request
 * when the step runs).
 */
export interface DeclaredStep extends StepBase {
  readonly op: 'declared';
  readonly kindOp: string;
  readonly kind: string;
  readonly fields: Readonly<Record<string, unknown>>;
  readonly expectValue?: Value;
  readonly expectMask?: bigint;
  /** expect_data: the leading bytes the call must return; `mask` 0 where the scenario wrote `xx` (any byte). */
  readonly expectData?: ExpectData;
  readonly saveAs?: string;
}

/** An `expect_data` with `xx` wildcards: bytes[i] must match where mask[i] is 0xff. */
export interface ExpectData {
  readonly bytes: Uint8Array;
  readonly mask: Uint8Array;
  /** As the scenario wrote it (lower case), for report lines. */
  readonly text: string;
}

/** A step's op as the scenario file names it. */
export function opOf(step: Step): string {
  return step.op === 'declared' ? step.kindOp : step.op;
}

export interface Scenario {
  readonly file: string;
  readonly arch: Arch;
  readonly ipaBits: number;
  readonly steps: readonly Step[];
  /** VM names bound by create_vm, by index (index 0 is the file's VM, unnamed). */
  readonly vmNames: readonly string[];
}

/** Fields every step may carry. */
export const COMMON_FIELDS: readonly string[] = ['op', 'note', 'vm'];

/**
 * The ops the parser accepts and the fields each takes beyond op, note and
 * vm: the contract's table, then the ops devrr adds (docs/scenarios.md
 * documents every one; a test holds the two together).
 */
export const OP_FIELDS: ReadonlyMap<string, readonly string[]> = new Map<string, readonly string[]>([
  ['create_vcpu', ['id', 'expect']],
  ['create_device', ['type', 'flags', 'as', 'expect']],
  ['set_attr', ['dev', 'group', 'attr', 'vcpu', 'mpidr', 'value', 'data', 'expect', 'null_pointer']],
  ['get_attr', ['dev', 'group', 'attr', 'vcpu', 'mpidr', 'value', 'data', 'expect', 'expect_value', 'expect_mask', 'null_pointer', 'save_as']],
  ['has_attr', ['dev', 'group', 'attr', 'vcpu', 'mpidr', 'value', 'data', 'expect', 'null_pointer']],
  ['arm_set_device_addr', ['id', 'addr', 'expect']],
  ['run_vcpu', ['vcpu', 'expect']],
  ['mmio', ['vcpu', 'dir', 'addr', 'len', 'value', 'expect_value', 'expect_mask', 'save_as', 'expect']],
  ['irq_line', ['irq', 'spi', 'ppi', 'cpu', 'vcpu', 'level', 'expect']],
  ['hcall', ['vcpu', 'name', 'nr', 'args', 'expect_value', 'expect']],
  ['enable_cap', ['vcpu', 'cap', 'args', 'expect']],
  ['create_vm', ['as', 'arch', 'ipa_bits']],
  // Guest and VMM events devices add.
  ['sysreg', ['vcpu', 'dir', 'reg', 'value', 'expect_value', 'expect_mask', 'save_as', 'expect']],
  ['mem_write', ['addr', 'data', 'expect']],
  ['mem_read', ['addr', 'len', 'expect_data', 'expect']],
  ['signal_msi', ['address', 'data', 'devid', 'flags', 'expect', 'expect_value']],
  // Ops of kinds declared as data (traces/kinds.ts).
  // (A kind written as another op with a flag, irq_line_status, adds its fields to that op: opFields.)
  ...DECLARED_KINDS.filter((d) => d.scenario && !d.scenario.flagOf).map((d): [string, readonly string[]] => [d.scenario!.op, d.scenario!.fields]),
]);

/** The fields an op takes: the table above, else the op of a kind registered since (a test's toy kind). */
function opFields(op: string): readonly string[] | undefined {
  const own = OP_FIELDS.get(op) ?? kindByOp(op)?.scenario?.fields;
  const flagged = kindsFlagging(op);
  if (!own || flagged.length === 0) return own;
  // irq_line's "status": true makes the step an irq_line_status: that kind's fields are the op's too.
  return [...new Set([...own, ...flagged.flatMap((d) => [d.scenario!.flagOf!.flag, ...d.scenario!.fields])])];
}

export const SCENARIO_OPS: readonly string[] = [...OP_FIELDS.keys()];

/** The fields the file's top level takes. */
export const TOP_FIELDS: readonly string[] = ['arch', 'ipa_bits', 'steps', 'note', 'description'];

/** The most steps one scenario may hold. */
export const MAX_STEPS = 1 << 20;
/** The longest byte string (`data`, `expect_data`) one step may carry, and the longest mem_read. */
export const MAX_STEP_BYTES = 1 << 20;
/**
 * The most distinct 4 KiB guest pages the mem_write steps of one scenario
 * may write (16 MiB of guest RAM): every checkpoint carries every written
 * page, so this bounds the trace's checkpoints and the models' memory.
 */
export const MAX_WRITTEN_PAGES = 4096;
/** The most guest RAM bytes the mem_read steps of one scenario may read in all: the trace keeps every byte read. */
export const MAX_READ_BYTES = 64 << 20;
/** struct kvm_enable_cap holds args[4]. */
const MAX_CAP_ARGS = 4;
/** A PAPR hypercall takes its arguments in r4-r12. */
const MAX_HCALL_ARGS = 9;

/** PAPR hypercall numbers the `hcall` op accepts by name. */
const HCALLS = new Map<string, number>([
  ['H_EOI', 0x64],
  ['H_CPPR', 0x68],
  ['H_IPI', 0x6c],
  ['H_IPOLL', 0x70],
  ['H_XIRR', 0x74],
  ['H_XIRR_X', 0x2fc],
]);

const U64_END = 1n << 64n;
const I64_MIN = -(1n << 63n);

/**
 * Parses and validates a scenario; throws ScenarioError for anything
 * invalid. Group and attr names resolve through the models of `registry`
 * (the device type a step's `dev` was created as) and the arch's VM and
 * vcpu fd tables.
 */
export function parseScenario(text: string, file: string, registry: DeviceRegistry = DEVICE_MODELS): Scenario {
  const shape = checkJsonShape(text);
  if (shape) throw new ScenarioError(file, null, null, `byte offset ${shape.offset}: ${shape.what}, more than devrr reads from a scenario`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError(file, null, null, `not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(doc)) throw new ScenarioError(file, null, null, 'the top level must be an object with "arch" and "steps"');
  for (const k of Object.keys(doc)) if (!TOP_FIELDS.includes(k)) throw new ScenarioError(file, null, k, `unknown field (the top level takes ${TOP_FIELDS.join(', ')})`);
  const arch = parseArch(own(doc, 'arch'), file, null);
  const ipaBits = own(doc, 'ipa_bits') === undefined ? DEFAULT_IPA_BITS[arch] : parseIpaBits(own(doc, 'ipa_bits'), file, null);
  const rawSteps = own(doc, 'steps');
  if (!Array.isArray(rawSteps)) throw new ScenarioError(file, null, 'steps', 'must be an array of steps');
  if (rawSteps.length > MAX_STEPS) throw new ScenarioError(file, null, 'steps', `holds ${rawSteps.length} steps, more than the ${MAX_STEPS} devrr records from one scenario`);

  const vmNames: string[] = [''];
  const vmArch: Arch[] = [arch];
  /** Per VM: device name (create_device "as") -> the device type it was created as. */
  const devTypes: Map<string, number>[] = [new Map()];
  /** Per VM: create_device steps so far. */
  const deviceCreates: number[] = [0];
  const saved = new Set<string>();
  /** Names save_as kept bytes under (get_irqchip, get_lapic): what a later "data": "$NAME" may use. */
  const savedData = new Set<string>();
  const steps: Step[] = [];
  const writtenPages = new Set<number>();
  let readBytes = 0;

  for (let index = 0; index < rawSteps.length; index++) {
    const raw: unknown = rawSteps[index];
    const err = (field: string | null, what: string) => new ScenarioError(file, index, field, what);
    if (!isObject(raw)) throw err(null, 'a step must be an object');
    const op = own(raw, 'op');
    if (op === undefined) throw err('op', 'missing');
    if (typeof op !== 'string') throw err('op', `must be a string naming the op, not ${JSON.stringify(op)} (ops: ${SCENARIO_OPS.join(', ')})`);
    const allowed = opFields(op);
    if (!allowed) throw err('op', `unknown op ${JSON.stringify(op)} (ops: ${SCENARIO_OPS.join(', ')})`);
    for (const k of Object.keys(raw)) if (!COMMON_FIELDS.includes(k) && !allowed.includes(k)) throw err(k, `unknown field for op ${op}`);

    const p = new FieldParser(raw, err, saved, savedData, () => oneRegNames(vmArch[vm]!, registry.values()));
    let vm = 0;
    const vmName = own(raw, 'vm');
    if (vmName !== undefined) {
      if (typeof vmName !== 'string') throw err('vm', 'must be the name given to create_vm');
      vm = vmNames.indexOf(vmName);
      if (vm <= 0) throw err('vm', `no VM named ${JSON.stringify(vmName)} was created by an earlier create_vm`);
    }
    const note = own(raw, 'note');
    if (note !== undefined) {
      // The trace keeps the note as plain data (traces/FORMAT.md): the writer's own check, run before anything is written.
      const bad = checkPlainData(note, 'note');
      if (bad !== undefined) throw err('note', bad.startsWith('note: ') ? bad.slice(6) : bad);
      const bytes = encodeValue(note, false).length;
      if (bytes > MAX_NOTE_BYTES) throw err('note', `takes ${bytes} bytes in the trace; a note may take at most ${MAX_NOTE_BYTES >> 10} KiB`);
    }
    const base = { index, vm, ...(note !== undefined && { note }), ...(own(raw, 'expect') !== undefined && { expect: p.expect('expect') }) };

    const flagged = kindsFlagging(op).find((d) => p.bool(d.scenario!.flagOf!.flag, false));
    const declared = flagged ?? kindByOp(op);
    if (declared) {
      steps.push(declaredStep(declared, base, p.withDevices(devTypes[vm]!), saved, savedData));
      continue;
    }
    switch (op) {
      case 'create_device': {
        const as = p.optName('as');
        const type = p.named('type', NAMES.type);
        // Every create_device is an event the trace counts, whatever its result (traces/FORMAT.md limits).
        if (++deviceCreates[vm]! > MAX_DEVICE_CREATES_PER_VM) throw err('op', `is the ${MAX_DEVICE_CREATES_PER_VM + 1}th create_device of this VM; a trace holds at most ${MAX_DEVICE_CREATES_PER_VM} per VM`);
        steps.push({ ...base, op, type, flags: p.has('flags') ? p.named('flags', NAMES.flags) : 0, ...(as && { as }) });
        if (as) devTypes[vm]!.set(as, type);
        break;
      }
      case 'set_attr':
      case 'get_attr':
      case 'has_attr': {
        const dev = p.dev('dev', devTypes[vm]!);
        if (p.has('value') && p.has('data')) throw err('data', 'give either value or data, not both');
        const fd = fdOf(dev, devTypes[vm]!, vmArch[vm]!, registry);
        const group = p.group(fd);
        const attr = p.attr(fd, group);
        const saveAs = p.optName('save_as');
        const groupName = fd.names?.byId.get(group)?.name;
        steps.push({
          ...base,
          op,
          dev,
          group,
          ...(groupName !== undefined && { groupName }),
          attr,
          ...(p.has('value') && { value: p.value('value') }),
          ...(p.has('data') && { data: p.hex('data') }),
          nullPtr: p.bool('null_pointer', false),
          ...(p.has('expect_value') && { expectValue: p.value('expect_value') }),
          ...(p.has('expect_mask') && { expectMask: p.u64('expect_mask') }),
          ...(saveAs && { saveAs }),
        });
        if (saveAs) saved.add(saveAs);
        break;
      }
      case 'mmio': {
        const dir = p.dir();
        const len = p.uint('len', 8);
        if (len !== 1 && len !== 2 && len !== 4 && len !== 8) throw err('len', 'must be 1, 2, 4 or 8');
        if (dir === 'write' && !p.has('value')) throw err('value', 'missing: a write needs the value written');
        if (dir === 'write' && (p.has('expect_value') || p.has('save_as'))) throw err(p.has('save_as') ? 'save_as' : 'expect_value', 'only a read returns a value');
        const saveAs = p.optName('save_as');
        steps.push({
          ...base,
          op,
          vcpu: p.uint('vcpu', 0xffffffff),
          write: dir === 'write',
          addr: p.addr('addr'),
          len,
          ...(p.has('value') && { value: p.value('value') }),
          ...(p.has('expect_value') && { expectValue: p.value('expect_value') }),
          ...(p.has('expect_mask') && { expectMask: p.u64('expect_mask') }),
          ...(saveAs && { saveAs }),
        });
        if (saveAs) saved.add(saveAs);
        break;
      }
      case 'irq_line':
        // Without "status": true, KVM_IRQ_LINE writes nothing back.
        if (p.has('expect_value')) throw err('expect_value', 'only irq_line with "status": true (KVM_IRQ_LINE_STATUS) returns a value');
        steps.push({ ...base, op, irq: p.irqLine(vmArch[vm]!), level: p.u32('level') });
        break;
      case 'hcall': {
        let nr: number;
        if (p.has('name')) {
          const name = own(raw, 'name');
          const known = typeof name === 'string' ? HCALLS.get(name) : undefined;
          if (known === undefined) throw err('name', `unknown hypercall ${JSON.stringify(name)} (known: ${[...HCALLS.keys()].join(', ')})`);
          nr = known;
        } else nr = p.uint('nr', 0xffffffff);
        const args = p.has('args') ? p.list('args', MAX_HCALL_ARGS).map((_, i, list) => p.valueAt(list, i, 'args')) : [];
        steps.push({ ...base, op, vcpu: p.uint('vcpu', 0xffffffff), nr, args, ...(p.has('expect_value') && { expectValue: p.value('expect_value') }) });
        break;
      }
      case 'enable_cap': {
        const devs = devTypes[vm]!;
        const args = p.has('args') ? p.list('args', MAX_CAP_ARGS).map((a, i, list) => (typeof a === 'string' && devs.has(a) ? { dev: a } : p.valueAt(list, i, 'args'))) : [];
        // The trace keeps the vcpu as -1 (the VM) or 0..2^31-1.
        steps.push({ ...base, op, vcpu: p.has('vcpu') ? p.uint('vcpu', 0x7fffffff) : -1, cap: p.named('cap', NAMES.cap), args });
        break;
      }
      case 'sysreg': {
        const dir = p.dir();
        if (dir === 'write' && !p.has('value')) throw err('value', 'missing: a write needs the value written');
        if (dir === 'write' && (p.has('expect_value') || p.has('save_as'))) throw err(p.has('save_as') ? 'save_as' : 'expect_value', 'only a read returns a value');
        const reg = p.named('reg', NAMES.sysreg);
        if (reg > 0xffff) throw err('reg', 'a system register encoding is 16 bits: Op0[15:14] Op1[13:11] CRn[10:7] CRm[6:3] Op2[2:0]');
        const saveAs = p.optName('save_as');
        steps.push({
          ...base,
          op,
          vcpu: p.uint('vcpu', 0xffffffff),
          write: dir === 'write',
          reg,
          ...(p.has('value') && { value: p.value('value') }),
          ...(p.has('expect_value') && { expectValue: p.value('expect_value') }),
          ...(p.has('expect_mask') && { expectMask: p.u64('expect_mask') }),
          ...(saveAs && { saveAs }),
        });
        if (saveAs) saved.add(saveAs);
        break;
      }
      case 'mem_write': {
        const data = p.hex('data');
        if (data.length === 0) throw err('data', 'must hold at least one byte');
        const addr = p.addr('addr');
        for (let page = Math.floor(addr / 4096); page <= Math.floor((addr + data.length - 1) / 4096); page++) writtenPages.add(page);
        if (writtenPages.size > MAX_WRITTEN_PAGES) throw err('addr', `writes a ${MAX_WRITTEN_PAGES + 1}th distinct 4 KiB page of guest RAM; one scenario may write at most ${MAX_WRITTEN_PAGES} (${(MAX_WRITTEN_PAGES * 4096) >> 20} MiB)`);
        steps.push({ ...base, op, addr, data });
        break;
      }
      case 'mem_read': {
        const expectData = p.has('expect_data') ? p.hex('expect_data') : undefined;
        const len = p.has('len') ? p.uint('len', 0xffffffff) : expectData?.length;
        if (len === undefined) throw err('len', 'missing: give len or expect_data');
        if (len < 1 || len > MAX_STEP_BYTES) throw err('len', `must be 1 to ${MAX_STEP_BYTES}`);
        if (expectData && expectData.length !== len) throw err('expect_data', `holds ${expectData.length} bytes but len is ${len}`);
        readBytes += len;
        if (readBytes > MAX_READ_BYTES) throw err('len', `brings the guest RAM the scenario reads past ${MAX_READ_BYTES >> 20} MiB in all, the most one trace keeps`);
        steps.push({ ...base, op, addr: p.addr('addr'), len, ...(expectData && { expectData }) });
        break;
      }
      case 'create_vm': {
        const as = p.optName('as');
        if (!as) throw err('as', 'missing: later steps address the VM by this name');
        if (vmNames.includes(as)) throw err('as', `a VM named ${JSON.stringify(as)} already exists`);
        if (vmNames.length >= MAX_VMS) throw err('op', `would make VM ${vmNames.length}; a trace holds at most ${MAX_VMS} VMs (the file's own and ${MAX_VMS - 1} create_vm steps)`);
        const a = p.has('arch') ? parseArch(own(raw, 'arch'), file, index) : arch;
        const ipa = p.has('ipa_bits') ? parseIpaBits(own(raw, 'ipa_bits'), file, index) : DEFAULT_IPA_BITS[a];
        vmNames.push(as);
        vmArch.push(a);
        devTypes.push(new Map());
        deviceCreates.push(0);
        steps.push({ ...base, vm: 0, op, as, arch: a, ipaBits: ipa });
        break;
      }
      default:
        // OP_FIELDS and this switch list the same ops; a new op without a case is a bug.
        throw new Error(`devrr bug: op ${op} has fields but no parser`);
    }
  }
  return { file, arch, ipaBits, steps, vmNames };
}

/** A step of a declared kind's op: the kind parses its own fields; expect_value, expect_mask and save_as are the recorder's. */
function declaredStep(decl: EventKindDecl, base: StepBase, p: FieldParser, saved: Set<string>, savedData: Set<string>): DeclaredStep {
  const sc = decl.scenario!;
  const fields = sc.parse(p);
  const saveAs = sc.fields.includes('save_as') ? p.optName('save_as') : undefined;
  if ((p.has('expect_value') || (saveAs && !sc.readData)) && !sc.readValue) p.fail(saveAs ? 'save_as' : 'expect_value', `op ${sc.op} returns no value`);
  if (p.has('expect_data') && !sc.readData) p.fail('expect_data', `op ${sc.op} returns no bytes`);
  const expectData = sc.fields.includes('expect_data') && p.has('expect_data') ? p.wildHex('expect_data') : undefined;
  const step: DeclaredStep = {
    ...base,
    op: 'declared',
    kindOp: sc.op,
    kind: decl.name,
    fields,
    ...(p.has('expect_value') && { expectValue: p.value('expect_value') }),
    ...(sc.fields.includes('expect_mask') && p.has('expect_mask') && { expectMask: p.u64('expect_mask') }),
    ...(expectData && { expectData }),
    ...(saveAs && { saveAs }),
  };
  // save_as keeps bytes where the op returns bytes (get_irqchip, get_lapic), else a value.
  if (saveAs) (sc.readData ? savedData : saved).add(saveAs);
  return step;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An own property only: nothing inherited from Object.prototype is a field. */
function own(o: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

function parseArch(v: unknown, file: string, step: number | null): Arch {
  if (typeof v !== 'string' || !(ARCHES as readonly string[]).includes(v)) throw new ScenarioError(file, step, 'arch', `must be one of ${ARCHES.join(', ')}`);
  return v as Arch;
}

function parseIpaBits(v: unknown, file: string, step: number | null): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 32 || v > 52) throw new ScenarioError(file, step, 'ipa_bits', 'must be a whole number from 32 to 52');
  return v;
}

const NUMERIC = /^(0x[0-9a-fA-F]+|0b[01]+|0o[0-7]+|-?[0-9]+)$/;

/**
 * A whole number given as a JSON number or a string ("0x...", "0b...",
 * "0o...", decimal): the number, or why it is not one.
 */
function toBig(v: unknown): bigint | string {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return 'must be a whole number';
    if (!Number.isSafeInteger(v)) return 'is a JSON number beyond 2^53, which loses precision: give it as a string ("0x...")';
    return BigInt(v);
  }
  if (typeof v === 'string') {
    const t = v.trim();
    // 0b and 64 binary digits is the longest 64-bit number; anything much longer cannot fit.
    if (t.length > 80) return 'is too long for a 64-bit number';
    if (NUMERIC.test(t)) return BigInt(t);
  }
  return 'must be a number or a numeric string ("0x8000000", "4096")';
}

/** The fd a step addresses, for naming: its name table (none for a device type devrr has no model of) and what it is, in words. */
interface Fd {
  readonly names?: FdNames;
  readonly what: string;
}

/**
 * The names of the fd `dev` addresses: the model of the type the device was
 * created as (by `as`, even when the create failed), or the architecture's
 * VM or vcpu fd rules. A name resolves only there, so one family's names
 * never reach another's device.
 */
function fdOf(dev: DevRef, types: ReadonlyMap<string, number>, arch: Arch, registry: DeviceRegistry): Fd {
  if (dev.kind !== 'device') {
    const names = archFdNames(arch, dev.kind);
    return { names, what: names.what };
  }
  const type = types.get(dev.name)!;
  const model = registry.get(type);
  return model ? { names: deviceNames(model), what: model.typeName } : { what: nameOf(NAMES.type, type) ?? `device type ${type}` };
}

/** The kernel's KVM_IRQ_LINE word for arm64 (kvm_vm_ioctl_irq_line): vcpu2[31:28] type[27:24] vcpu[23:16] num[15:0]. */
export function armIrqLine(type: number, vcpu: number, num: number): number {
  return ((((vcpu >>> 8) & 0xf) << 28) | (type << 24) | ((vcpu & 0xff) << 16) | (num & 0xffff)) >>> 0;
}

class FieldParser implements StepFields {
  constructor(
    private readonly raw: Record<string, unknown>,
    private readonly err: (field: string | null, what: string) => ScenarioError,
    private readonly saved: ReadonlySet<string>,
    private readonly savedData: ReadonlySet<string>,
    /** The one-reg registers the step's VM's families declare, by name. */
    private readonly oneRegs: () => ReadonlyMap<string, OneRegDecl>,
  ) {}

  /** A one-reg id: a 64-bit number, or the name of a register a family of the VM's arch declares. */
  oneRegId(f: string): bigint {
    const v = this.need(f);
    const d = typeof v === 'string' ? this.oneRegs().get(v) : undefined;
    if (d) return d.id;
    const n = toBig(v);
    if (typeof n === 'string') {
      const known = [...this.oneRegs().keys()];
      if (typeof v !== 'string') throw this.err(f, `${n}, or a register name`);
      throw this.err(f, `unknown name ${JSON.stringify(v)}: not a one-reg register a device family of this VM's arch declares (${known.length ? someNames(known) : 'it declares none: give the id as a number'})`);
    }
    if (n < 0n || n >= U64_END) throw this.err(f, 'must be a register name or a 64-bit id (0 to 2^64-1)');
    return n;
  }

  has(f: string): boolean {
    return own(this.raw, f) !== undefined;
  }

  private need(f: string): unknown {
    const v = own(this.raw, f);
    if (v === undefined) throw this.err(f, 'missing');
    return v;
  }

  private num(f: string, v: unknown): bigint {
    const n = toBig(v);
    if (typeof n === 'string') throw this.err(f, n);
    return n;
  }

  /** Any 64-bit value, signed or not, as the u64 the kernel sees. */
  u64(f: string): bigint {
    return this.fit64(f, this.num(f, this.need(f)));
  }

  private fit64(f: string, n: bigint): bigint {
    if (n < I64_MIN || n >= U64_END) throw this.err(f, 'does not fit in 64 bits (-2^63 to 2^64-1)');
    return BigInt.asUintN(64, n);
  }

  /** A whole number from 0 to `max`. */
  uint(f: string, max: number): number {
    const n = this.num(f, this.need(f));
    if (n < 0n || n > BigInt(max)) throw this.err(f, `must be a whole number from 0 to ${max}`);
    return Number(n);
  }

  /** A 32-bit value, signed or not, as the u32 the kernel sees. */
  u32(f: string): number {
    const n = this.num(f, this.need(f));
    if (n < -(1n << 31n) || n > 0xffffffffn) throw this.err(f, 'must be a 32-bit number (-2^31 to 2^32-1)');
    return Number(BigInt.asUintN(32, n));
  }

  addr(f: string): number {
    const n = this.num(f, this.need(f));
    if (n < 0n || n >= 1n << 52n) throw this.err(f, 'must be a guest physical address below 2^52');
    return Number(n);
  }

  bool(f: string, dflt: boolean): boolean {
    const v = own(this.raw, f);
    if (v === undefined) return dflt;
    if (typeof v !== 'boolean') throw this.err(f, 'must be true or false');
    return v;
  }

  oneOf<T extends string>(f: string, choices: readonly T[]): T {
    const v = own(this.raw, f);
    if (v === undefined) throw this.err(f, 'missing');
    if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) throw this.err(f, `must be ${choices.map((c) => JSON.stringify(c)).join(' or ')}`);
    return v as T;
  }

  fail(f: string, what: string): never {
    throw this.err(f, what);
  }

  dir(): 'read' | 'write' {
    const d = own(this.raw, 'dir');
    if (d !== 'read' && d !== 'write') throw this.err('dir', 'must be "read" or "write"');
    return d;
  }

  valueAt(list: readonly unknown[], i: number, f: string): Value {
    const v = list[i];
    if (typeof v === 'string' && v.startsWith('$')) {
      const name = v.slice(1);
      if (!this.saved.has(name)) throw this.err(f, `"${v}" refers to no value kept by an earlier save_as`);
      return { ref: name };
    }
    const n = toBig(v);
    if (typeof n === 'string') throw this.err(f, Array.isArray(own(this.raw, f)) ? `element ${i} ${n}, or "$NAME"` : `${n}, or "$NAME"`);
    return { n: this.fit64(f, n) };
  }

  value(f: string): Value {
    return this.valueAt([this.need(f)], 0, f);
  }

  list(f: string, max: number): unknown[] {
    const v = this.need(f);
    if (!Array.isArray(v)) throw this.err(f, 'must be an array');
    if (v.length > max) throw this.err(f, `holds ${v.length} elements; at most ${max}`);
    return v;
  }

  hex(f: string): Uint8Array {
    const v = this.need(f);
    if (typeof v !== 'string') throw this.err(f, 'must be a hex string of whole bytes');
    const digits = v.startsWith('0x') ? v.slice(2) : v;
    if (digits.length > 2 * MAX_STEP_BYTES) throw this.err(f, `holds ${Math.ceil(digits.length / 2)} bytes; at most ${MAX_STEP_BYTES} in one step`);
    // One character class, no groups: linear, whatever the length.
    if (digits.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(digits)) throw this.err(f, 'must be a hex string of whole bytes');
    return Uint8Array.from(Buffer.from(digits, 'hex'));
  }

  /** Bytes as hex (at most `max` of them), or "$NAME" of bytes an earlier save_as kept. */
  data(f: string, max: number): StepData {
    const v = this.need(f);
    if (typeof v === 'string' && v.startsWith('$')) {
      const name = v.slice(1);
      if (this.savedData.has(name)) return { ref: name };
      throw this.err(f, this.saved.has(name) ? `"${v}" holds a value, not bytes (save_as keeps bytes on get_irqchip and get_lapic)` : `"${v}" refers to no bytes kept by an earlier save_as`);
    }
    const bytes = this.hex(f);
    if (bytes.length > max) throw this.err(f, `holds ${bytes.length} bytes; the struct holds ${max}`);
    return { bytes };
  }

  /** A hex string whose bytes may each be `xx` (any value): expect_data. */
  wildHex(f: string): ExpectData {
    const v = this.need(f);
    if (typeof v !== 'string') throw this.err(f, 'must be a hex string of whole bytes (xx: any byte)');
    const digits = (v.startsWith('0x') ? v.slice(2) : v).toLowerCase();
    if (digits.length > 2 * MAX_STEP_BYTES) throw this.err(f, `holds ${Math.ceil(digits.length / 2)} bytes; at most ${MAX_STEP_BYTES} in one step`);
    if (digits.length % 2 !== 0 || !/^[0-9a-fx]*$/.test(digits)) throw this.err(f, 'must be a hex string of whole bytes (xx: any byte)');
    const n = digits.length / 2;
    if (n === 0) throw this.err(f, 'must hold at least one byte');
    const bytes = new Uint8Array(n);
    const mask = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const b = digits.slice(2 * i, 2 * i + 2);
      if (b === 'xx') continue;
      if (b.includes('x')) throw this.err(f, `byte ${i} is ${JSON.stringify(b)}: a byte is two hex digits or xx`);
      bytes[i] = parseInt(b, 16);
      mask[i] = 0xff;
    }
    return { bytes, mask, text: digits };
  }

  /** A uapi name from `table`, or a number from 0 to 2^32-1. */
  named(f: string, table: Record<string, number>): number {
    const v = this.need(f);
    if (typeof v === 'string' && Object.prototype.hasOwnProperty.call(table, v)) return table[v]!;
    const n = toBig(v);
    if (typeof n === 'string') throw this.err(f, `unknown name ${JSON.stringify(v)}${knownNames(table)}`);
    if (n < 0n || n > 0xffffffffn) throw this.err(f, 'must be a name or a number from 0 to 2^32-1');
    return Number(n);
  }

  /** `group`: a name from the addressed fd's own table, or a number from 0 to 2^32-1. */
  group(fd: Fd): number {
    const v = this.need('group');
    const g = typeof v === 'string' ? fd.names?.groups.get(v) : undefined;
    if (g) return g.id;
    const n = toBig(v);
    if (typeof n === 'string') {
      if (typeof v !== 'string') throw this.err('group', `unknown name ${JSON.stringify(v)}`);
      if (!fd.names) throw this.err('group', `unknown name ${JSON.stringify(v)}: devrr has no model of ${fd.what}, so no group names for it; give the group as a number`);
      throw this.err('group', `unknown name ${JSON.stringify(v)}: not one of ${fd.what}'s groups (${someNames([...fd.names.groups.keys()])})`);
    }
    if (n < 0n || n > 0xffffffffn) throw this.err('group', 'must be a name or a number from 0 to 2^32-1');
    return Number(n);
  }

  /**
   * `attr`: a number, or a name of the addressed fd's table: the group's
   * own (register names as `devrr dump` prints them, its uapi constants)
   * or one of the family's constants taken on any group. Then the vcpu part
   * from `vcpu` or `mpidr` where the group's attr has one, encoded as the
   * group's family says (docs/scenarios.md).
   */
  attr(fd: Fd, group: number): bigint {
    const v = this.need('attr');
    const g = fd.names?.byId.get(group);
    let low: bigint;
    const n = toBig(v);
    if (typeof n !== 'string') low = this.fit64('attr', n);
    else {
      if (typeof v !== 'string') throw this.err('attr', n);
      const named = g?.attrNames?.().get(v) ?? fd.names?.anyGroupAttrs.get(v);
      if (named === undefined) {
        if (!fd.names) throw this.err('attr', `unknown name ${JSON.stringify(v)}: devrr has no model of ${fd.what}, so no attr names for it; give the attr as a number`);
        const valid = [...(g?.attrNames?.().keys() ?? []), ...fd.names.anyGroupAttrs.keys()];
        const where = g ? `${fd.what}'s names for ${g.name}` : `${fd.what}'s names for group ${group}`;
        throw this.err('attr', `unknown name ${JSON.stringify(v)}: not one of ${where} (${valid.length ? someNames(valid) : 'it takes numbers only'})`);
      }
      low = BigInt(named);
    }

    const hasVcpu = this.has('vcpu');
    const hasMpidr = this.has('mpidr');
    if (!hasVcpu && !hasMpidr) return low;
    const f = hasVcpu ? 'vcpu' : 'mpidr';
    if (hasVcpu && hasMpidr) throw this.err('mpidr', 'give either vcpu or mpidr, not both');
    const part = g?.attrVcpu;
    if (!part) {
      const withVcpu = [...(fd.names?.groups.values() ?? [])].filter((x) => x.attrVcpu?.kind === 'vcpu').map((x) => x.name);
      throw this.err(f, `only a register group whose attr names a vcpu takes it (${withVcpu.length ? `${fd.what}'s: ${withVcpu.join(', ')}` : `${fd.what} has none`})`);
    }
    if (part.kind === 'none') throw this.err(f, `this group's attr names no vcpu: ${part.why}`);
    if (low >> 32n !== 0n) throw this.err(f, 'the attr already holds bits 63:32; give the offset alone with vcpu or mpidr');
    if (hasMpidr) {
      // The vcpu's affinity itself, as the family's attr carries it.
      if (part.affinity !== true) throw this.err('mpidr', part.affinity.refused);
      return low | (BigInt(this.mpidr()) << 32n);
    }
    return low | (BigInt(part.fromId(this.uint('vcpu', part.maxId))) << 32n);
  }

  /** `mpidr`: the 32-bit VGIC MPIDR, or "Aff3.Aff2.Aff1.Aff0" as devrr dump prints it. */
  private mpidr(): number {
    const v = this.need('mpidr');
    if (typeof v === 'string' && /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v)) {
      const a = v.split('.').map(Number);
      if (a.some((x) => x > 255)) throw this.err('mpidr', 'each affinity level is 0 to 255');
      return ((a[0]! << 24) | (a[1]! << 16) | (a[2]! << 8) | a[3]!) >>> 0;
    }
    return this.uint('mpidr', 0xffffffff);
  }

  /**
   * The KVM_IRQ_LINE word: `irq` as given, or built from `spi`, `ppi` (with
   * `vcpu`) or `cpu` (with `vcpu`) in arm64's layout (kvm_vm_ioctl_irq_line).
   */
  irqLine(arch: Arch): number {
    const forms = ['irq', 'spi', 'ppi', 'cpu'].filter((f) => this.has(f));
    if (forms.length === 0) throw this.err('irq', 'missing: give irq (the KVM_IRQ_LINE word), or spi, ppi or cpu');
    if (forms.length > 1) throw this.err(forms[1]!, `give one of irq, spi, ppi and cpu, not both ${forms[0]} and ${forms[1]}`);
    const form = forms[0]!;
    if (this.has('vcpu') && form !== 'ppi' && form !== 'cpu') throw this.err('vcpu', `only a ppi or cpu line names a vcpu; ${form === 'spi' ? 'an SPI is routed by the distributor' : 'irq carries its own vcpu bits'}`);
    if (form === 'irq') return this.u32('irq');
    if (arch !== 'arm64') throw this.err(form, `names an arm64 interrupt line, but this VM is ${arch}: give irq`);
    if (form === 'spi') return armIrqLine(KVM_ARM_IRQ_TYPE.KVM_ARM_IRQ_TYPE_SPI, 0, this.uint('spi', 0xffff));
    if (!this.has('vcpu')) throw this.err('vcpu', `missing: a ${form} line belongs to one vcpu (give its id)`);
    const vcpu = this.uint('vcpu', 0xfff);
    if (form === 'ppi') return armIrqLine(KVM_ARM_IRQ_TYPE.KVM_ARM_IRQ_TYPE_PPI, vcpu, this.uint('ppi', 0xffff));
    const c = own(this.raw, 'cpu');
    const num = c === 'IRQ' ? 0 : c === 'FIQ' ? 1 : typeof c === 'number' ? this.uint('cpu', 0xffff) : undefined;
    if (num === undefined) throw this.err('cpu', 'must be "IRQ", "FIQ" or a number');
    return armIrqLine(KVM_ARM_IRQ_TYPE.KVM_ARM_IRQ_TYPE_CPU, vcpu, num);
  }

  optName(f: string): string | undefined {
    const v = own(this.raw, f);
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(v)) throw this.err(f, 'must be a name (letters, digits, _ . -)');
    return v;
  }

  /** This parser, with the device names of the step's VM known to devName. */
  withDevices(devs: ReadonlyMap<string, number>): this {
    this.devs = devs;
    return this;
  }

  private devs: ReadonlyMap<string, number> = new Map();

  devName(f: string): string {
    const v = this.need(f);
    if (typeof v === 'string' && this.devs.has(v)) return v;
    throw this.err(f, `${JSON.stringify(v)} is not a device named by an earlier create_device "as"`);
  }

  nameOrUint(f: string, names: readonly string[], max: number): number {
    const v = this.need(f);
    if (typeof v === 'string' && names.includes(v)) return names.indexOf(v);
    if (typeof v === 'string' && typeof toBig(v) === 'string') throw this.err(f, `must be ${names.map((c) => JSON.stringify(c)).join(', ')} or a number`);
    return this.uint(f, max);
  }

  dev(f: string, devs: ReadonlyMap<string, number>): DevRef {
    const v = this.need(f);
    if (v === 'vm') return { kind: 'vm' };
    if (typeof v === 'string' && /^vcpu:\d+$/.test(v)) {
      const id = v.length <= 15 ? Number(v.slice(5)) : Infinity;
      if (id > 0xffffffff) throw this.err(f, `${JSON.stringify(v)}: a vcpu id is 0 to 2^32-1`);
      return { kind: 'vcpu', id };
    }
    if (typeof v === 'string' && devs.has(v)) return { kind: 'device', name: v };
    throw this.err(f, `${JSON.stringify(v)} is not "vm", "vcpu:N" or a device named by an earlier create_device "as"`);
  }

  expect(f: string): Expect {
    const v = own(this.raw, f);
    if (v === 0 || v === '0') return { kind: 'ok' };
    if (v === 'ERROR') return { kind: 'error' };
    const names = typeof v === 'string' ? [v] : Array.isArray(v) ? v : null;
    if (!names || names.length === 0) throw this.err(f, 'must be 0, an errno name, a list of errno names, or "ERROR"');
    const any = names.map((n) => {
      const e = typeof n === 'string' ? errnoByName(n) : undefined;
      if (e === undefined) throw this.err(f, `unknown errno ${JSON.stringify(n)}`);
      return e;
    });
    return { kind: 'errno', any, text: names.join(' or ') };
  }
}

/** " (known: A, B)" for a short table, so a typo shows the right spelling. */
function knownNames(table: Record<string, number>): string {
  const names = Object.keys(table);
  return names.length <= 16 ? ` (known: ${names.join(', ')})` : '';
}
