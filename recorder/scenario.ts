/**
 * Scenario files (shared/spec/scenario.md): parsing and static validation.
 * Everything that can be wrong with the file itself (bad JSON, an unknown
 * op, field or name, a missing field, a `$NAME` never saved, a device name
 * never bound) is found here, before anything runs, and reported as a
 * ScenarioError naming the step index and the field.
 */
import { ARCHES, type Arch, errnoByName, NAMES } from '../devices/core/uapi.js';
import { DEFAULT_IPA_BITS } from '../devices/registry.js';

export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly step: number | null,
    readonly field: string | null,
    what: string,
  ) {
    super(`${file}: ${step === null ? '' : `step ${step}: `}${field ? `field "${field}": ` : ''}${what}`);
    this.name = 'ScenarioError';
  }
}

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
  | (StepBase & { readonly op: 'create_vcpu'; readonly id: number })
  | (StepBase & { readonly op: 'create_device'; readonly type: number; readonly flags: number; readonly as?: string })
  | (StepBase & {
      readonly op: 'set_attr' | 'get_attr' | 'has_attr';
      readonly dev: DevRef;
      readonly group: number;
      readonly attr: bigint;
      readonly value?: Value;
      readonly data?: Uint8Array;
      readonly nullPtr: boolean;
      readonly expectValue?: Value;
      readonly expectMask?: bigint;
      readonly saveAs?: string;
    })
  | (StepBase & { readonly op: 'arm_set_device_addr'; readonly id: Value; readonly addr: Value })
  | (StepBase & { readonly op: 'run_vcpu'; readonly vcpu: number })
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
  | (StepBase & { readonly op: 'signal_msi'; readonly address: Value; readonly data: number; readonly devid: number; readonly flags: number; readonly expectValue?: Value });

export interface Scenario {
  readonly file: string;
  readonly arch: Arch;
  readonly ipaBits: number;
  readonly steps: readonly Step[];
  /** VM names bound by create_vm, by index (index 0 is the file's VM, unnamed). */
  readonly vmNames: readonly string[];
}

const COMMON = ['op', 'note', 'vm'];
/** The fields each op takes (scenario.md's table), beyond op, note and vm. */
const OP_FIELDS: Record<string, readonly string[]> = {
  create_vcpu: ['id', 'expect'],
  create_device: ['type', 'flags', 'as', 'expect'],
  set_attr: ['dev', 'group', 'attr', 'value', 'data', 'expect', 'null_pointer'],
  get_attr: ['dev', 'group', 'attr', 'value', 'data', 'expect', 'expect_value', 'expect_mask', 'null_pointer', 'save_as'],
  has_attr: ['dev', 'group', 'attr', 'value', 'data', 'expect', 'null_pointer'],
  arm_set_device_addr: ['id', 'addr', 'expect'],
  run_vcpu: ['vcpu', 'expect'],
  mmio: ['vcpu', 'dir', 'addr', 'len', 'value', 'expect_value', 'expect_mask', 'save_as', 'expect'],
  irq_line: ['irq', 'level', 'expect'],
  hcall: ['vcpu', 'name', 'nr', 'args', 'expect_value', 'expect'],
  enable_cap: ['vcpu', 'cap', 'args', 'expect'],
  create_vm: ['as', 'arch', 'ipa_bits'],
  // Guest and VMM events devices add (documented beside the op table in README.md).
  sysreg: ['vcpu', 'dir', 'reg', 'value', 'expect_value', 'expect_mask', 'save_as', 'expect'],
  mem_write: ['addr', 'data', 'expect'],
  mem_read: ['addr', 'len', 'expect_data', 'expect'],
  signal_msi: ['address', 'data', 'devid', 'flags', 'expect', 'expect_value'],
};

/** The longest guest RAM read a mem_read step may ask for. */
const MAX_MEM_READ = 1 << 20;

export const SCENARIO_OPS = Object.keys(OP_FIELDS);

/** PAPR hypercall numbers the `hcall` op accepts by name. */
const HCALLS: Record<string, number> = { H_EOI: 0x64, H_CPPR: 0x68, H_IPI: 0x6c, H_IPOLL: 0x70, H_XIRR: 0x74, H_XIRR_X: 0x2fc };

/** Parses and validates a scenario; throws ScenarioError for anything invalid. */
export function parseScenario(text: string, file: string): Scenario {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError(file, null, null, `not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(doc)) throw new ScenarioError(file, null, null, 'the top level must be an object with "arch" and "steps"');
  for (const k of Object.keys(doc)) if (!['arch', 'ipa_bits', 'steps', 'note', 'description'].includes(k)) throw new ScenarioError(file, null, k, 'unknown field');
  const arch = parseArch(doc.arch, file, null, 'arch', true)!;
  const ipaBits = doc.ipa_bits === undefined ? DEFAULT_IPA_BITS[arch] : parseIpaBits(doc.ipa_bits, file, null);
  if (!Array.isArray(doc.steps)) throw new ScenarioError(file, null, 'steps', 'must be an array of steps');

  const vmNames: string[] = [''];
  const vmArch: Arch[] = [arch];
  const devNames: Set<string>[] = [new Set()];
  const saved = new Set<string>();
  const steps: Step[] = [];

  doc.steps.forEach((raw: unknown, index: number) => {
    const err = (field: string | null, what: string) => new ScenarioError(file, index, field, what);
    if (!isObject(raw)) throw err(null, 'a step must be an object');
    const op = raw.op;
    if (typeof op !== 'string') throw err('op', 'missing');
    const allowed = OP_FIELDS[op];
    if (!allowed) throw err('op', `unknown op "${op}" (ops: ${SCENARIO_OPS.join(', ')})`);
    for (const k of Object.keys(raw)) if (!COMMON.includes(k) && !allowed.includes(k)) throw err(k, `unknown field for op ${op}`);

    const p = new FieldParser(raw, err, saved);
    let vm = 0;
    if (raw.vm !== undefined) {
      if (typeof raw.vm !== 'string') throw err('vm', 'must be the name given to create_vm');
      vm = vmNames.indexOf(raw.vm);
      if (vm <= 0) throw err('vm', `no VM named "${raw.vm}" was created by an earlier create_vm`);
    }
    const base = { index, vm, ...(raw.note !== undefined && { note: raw.note }), ...(raw.expect !== undefined && { expect: p.expect('expect') }) };

    switch (op) {
      case 'create_vcpu':
        steps.push({ ...base, op, id: p.int('id') });
        break;
      case 'create_device': {
        const as = p.optName('as');
        steps.push({ ...base, op, type: p.named('type', NAMES.type), flags: raw.flags === undefined ? 0 : p.named('flags', NAMES.flags), ...(as && { as }) });
        if (as) devNames[vm]!.add(as);
        break;
      }
      case 'set_attr':
      case 'get_attr':
      case 'has_attr': {
        const dev = p.dev('dev', devNames[vm]!);
        if (raw.value !== undefined && raw.data !== undefined) throw err('data', 'give either value or data, not both');
        const saveAs = p.optName('save_as');
        steps.push({
          ...base,
          op,
          dev,
          group: p.named('group', NAMES.group),
          attr: p.namedBig('attr', NAMES.attr),
          ...(raw.value !== undefined && { value: p.value('value') }),
          ...(raw.data !== undefined && { data: p.hex('data') }),
          nullPtr: p.bool('null_pointer', false),
          ...(raw.expect_value !== undefined && { expectValue: p.value('expect_value') }),
          ...(raw.expect_mask !== undefined && { expectMask: p.big('expect_mask') }),
          ...(saveAs && { saveAs }),
        });
        if (saveAs) saved.add(saveAs);
        break;
      }
      case 'arm_set_device_addr':
        steps.push({ ...base, op, id: p.value('id'), addr: p.value('addr') });
        break;
      case 'run_vcpu':
        steps.push({ ...base, op, vcpu: p.int('vcpu') });
        break;
      case 'mmio': {
        const dir = raw.dir;
        if (dir !== 'read' && dir !== 'write') throw err('dir', 'must be "read" or "write"');
        const len = p.int('len');
        if (![1, 2, 4, 8].includes(len)) throw err('len', 'must be 1, 2, 4 or 8');
        if (dir === 'write' && raw.value === undefined) throw err('value', 'missing: a write needs the value written');
        if (dir === 'write' && (raw.expect_value !== undefined || raw.save_as !== undefined)) throw err(raw.save_as !== undefined ? 'save_as' : 'expect_value', 'only a read returns a value');
        const saveAs = p.optName('save_as');
        steps.push({
          ...base,
          op,
          vcpu: p.int('vcpu'),
          write: dir === 'write',
          addr: p.addr('addr'),
          len: len as 1 | 2 | 4 | 8,
          ...(raw.value !== undefined && { value: p.value('value') }),
          ...(raw.expect_value !== undefined && { expectValue: p.value('expect_value') }),
          ...(raw.expect_mask !== undefined && { expectMask: p.big('expect_mask') }),
          ...(saveAs && { saveAs }),
        });
        if (saveAs) saved.add(saveAs);
        break;
      }
      case 'irq_line':
        steps.push({ ...base, op, irq: p.u32('irq'), level: p.u32('level') });
        break;
      case 'hcall': {
        let nr: number;
        if (raw.name !== undefined) {
          if (typeof raw.name !== 'string' || HCALLS[raw.name] === undefined) throw err('name', `unknown hypercall (known: ${Object.keys(HCALLS).join(', ')})`);
          nr = HCALLS[raw.name]!;
        } else nr = p.int('nr');
        const args = raw.args === undefined ? [] : p.list('args').map((_, i) => p.valueAt(raw.args as unknown[], i, 'args'));
        steps.push({ ...base, op, vcpu: p.int('vcpu'), nr, args, ...(raw.expect_value !== undefined && { expectValue: p.value('expect_value') }) });
        break;
      }
      case 'enable_cap': {
        const args = raw.args === undefined ? [] : p.list('args').map((a, i) => (typeof a === 'string' && devNames[vm]!.has(a) ? { dev: a } : p.valueAt(raw.args as unknown[], i, 'args')));
        steps.push({ ...base, op, vcpu: raw.vcpu === undefined ? -1 : p.int('vcpu'), cap: p.named('cap', NAMES.cap), args });
        break;
      }
      case 'sysreg': {
        const dir = raw.dir;
        if (dir !== 'read' && dir !== 'write') throw err('dir', 'must be "read" or "write"');
        if (dir === 'write' && raw.value === undefined) throw err('value', 'missing: a write needs the value written');
        if (dir === 'write' && (raw.expect_value !== undefined || raw.save_as !== undefined)) throw err(raw.save_as !== undefined ? 'save_as' : 'expect_value', 'only a read returns a value');
        const reg = p.named('reg', NAMES.sysreg);
        if (reg > 0xffff) throw err('reg', 'a system register encoding is 16 bits: Op0[15:14] Op1[13:11] CRn[10:7] CRm[6:3] Op2[2:0]');
        const saveAs = p.optName('save_as');
        steps.push({
          ...base,
          op,
          vcpu: p.int('vcpu'),
          write: dir === 'write',
          reg,
          ...(raw.value !== undefined && { value: p.value('value') }),
          ...(raw.expect_value !== undefined && { expectValue: p.value('expect_value') }),
          ...(raw.expect_mask !== undefined && { expectMask: p.big('expect_mask') }),
          ...(saveAs && { saveAs }),
        });
        if (saveAs) saved.add(saveAs);
        break;
      }
      case 'mem_write': {
        const data = p.hex('data');
        if (data.length === 0) throw err('data', 'must hold at least one byte');
        steps.push({ ...base, op, addr: p.addr('addr'), data });
        break;
      }
      case 'mem_read': {
        const expectData = raw.expect_data !== undefined ? p.hex('expect_data') : undefined;
        const len = raw.len !== undefined ? p.int('len') : expectData?.length;
        if (len === undefined) throw err('len', 'missing: give len or expect_data');
        if (len < 1 || len > MAX_MEM_READ) throw err('len', `must be 1 to ${MAX_MEM_READ}`);
        if (expectData && expectData.length !== len) throw err('expect_data', `holds ${expectData.length} bytes but len is ${len}`);
        steps.push({ ...base, op, addr: p.addr('addr'), len, ...(expectData && { expectData }) });
        break;
      }
      case 'signal_msi': {
        const devid = raw.devid === undefined ? 0 : p.u32('devid');
        // With a device id and no flags, the flag that says the id is valid (the ITS needs it).
        const flags = raw.flags !== undefined ? p.named('flags', NAMES.msiFlags) : raw.devid !== undefined ? 1 : 0;
        steps.push({ ...base, op, address: p.value('address'), data: p.u32('data'), devid, flags, ...(raw.expect_value !== undefined && { expectValue: p.value('expect_value') }) });
        break;
      }
      case 'create_vm': {
        const as = p.optName('as');
        if (!as) throw err('as', 'missing: later steps address the VM by this name');
        if (vmNames.includes(as)) throw err('as', `a VM named "${as}" already exists`);
        const a = raw.arch === undefined ? arch : parseArch(raw.arch, file, index, 'arch', true)!;
        const ipa = raw.ipa_bits === undefined ? DEFAULT_IPA_BITS[a] : parseIpaBits(raw.ipa_bits, file, index);
        vmNames.push(as);
        vmArch.push(a);
        devNames.push(new Set());
        steps.push({ ...base, vm: 0, op, as, arch: a, ipaBits: ipa });
        break;
      }
    }
  });
  return { file, arch, ipaBits, steps, vmNames };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseArch(v: unknown, file: string, step: number | null, field: string, required: boolean): Arch | undefined {
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || !(ARCHES as readonly string[]).includes(v)) throw new ScenarioError(file, step, field, `must be one of ${ARCHES.join(', ')}`);
  return v as Arch;
}

function parseIpaBits(v: unknown, file: string, step: number | null): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 32 || v > 52) throw new ScenarioError(file, step, 'ipa_bits', 'must be a whole number from 32 to 52');
  return v;
}

/** Parses a number given as a JSON number or a string ("0x...", decimal). */
export function parseBig(v: unknown): bigint | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : undefined;
  if (typeof v === 'string' && /^(0x[0-9a-fA-F]+|0b[01]+|0o[0-7]+|-?[0-9]+)$/.test(v.trim())) {
    try {
      return BigInt(v.trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

class FieldParser {
  constructor(
    private readonly raw: Record<string, unknown>,
    private readonly err: (field: string | null, what: string) => ScenarioError,
    private readonly saved: ReadonlySet<string>,
  ) {}

  private need(f: string): unknown {
    const v = this.raw[f];
    if (v === undefined) throw this.err(f, 'missing');
    return v;
  }

  big(f: string): bigint {
    const n = parseBig(this.need(f));
    if (n === undefined) throw this.err(f, 'must be a number or a numeric string ("0x8000000", "4096"); above 2^53 use a string');
    if (n < -(1n << 63n) || n >= 1n << 64n) throw this.err(f, 'does not fit in 64 bits');
    return BigInt.asUintN(64, n);
  }

  int(f: string): number {
    const n = parseBig(this.need(f));
    if (n === undefined || n < 0n || n > 0xffffffffn) throw this.err(f, 'must be a whole number from 0 to 2^32-1');
    return Number(n);
  }

  u32(f: string): number {
    const n = parseBig(this.need(f));
    if (n === undefined || n < -(1n << 31n) || n > 0xffffffffn) throw this.err(f, 'must be a 32-bit number');
    return Number(BigInt.asUintN(32, n));
  }

  addr(f: string): number {
    const n = parseBig(this.need(f));
    if (n === undefined || n < 0n || n >= 1n << 52n) throw this.err(f, 'must be a guest physical address below 2^52');
    return Number(n);
  }

  bool(f: string, dflt: boolean): boolean {
    const v = this.raw[f];
    if (v === undefined) return dflt;
    if (typeof v !== 'boolean') throw this.err(f, 'must be true or false');
    return v;
  }

  valueAt(list: unknown[], i: number, f: string): Value {
    const v = list[i];
    if (typeof v === 'string' && v.startsWith('$')) {
      const name = v.slice(1);
      if (!this.saved.has(name)) throw this.err(f, `"${v}" refers to no value kept by an earlier save_as`);
      return { ref: name };
    }
    const n = parseBig(v);
    if (n === undefined) throw this.err(f, `element ${i} must be a number, a numeric string or "$NAME"`);
    return { n: BigInt.asUintN(64, n) };
  }

  value(f: string): Value {
    return this.valueAt([this.need(f)], 0, f);
  }

  list(f: string): unknown[] {
    const v = this.need(f);
    if (!Array.isArray(v)) throw this.err(f, 'must be an array');
    return v;
  }

  hex(f: string): Uint8Array {
    const v = this.need(f);
    if (typeof v !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(v.replace(/^0x/, ''))) throw this.err(f, 'must be a hex string of whole bytes');
    return Uint8Array.from(Buffer.from(v.replace(/^0x/, ''), 'hex'));
  }

  named(f: string, table: Record<string, number>): number {
    const v = this.need(f);
    if (typeof v === 'string' && Object.prototype.hasOwnProperty.call(table, v)) return table[v]!;
    const n = parseBig(v);
    if (n === undefined || n < 0n || n > 0xffffffffn) throw this.err(f, `unknown name ${JSON.stringify(v)}`);
    return Number(n);
  }

  namedBig(f: string, table: Record<string, number>): bigint {
    const v = this.need(f);
    if (typeof v === 'string' && Object.prototype.hasOwnProperty.call(table, v)) return BigInt(table[v]!);
    const n = parseBig(v);
    if (n === undefined) throw this.err(f, `unknown name ${JSON.stringify(v)}`);
    return BigInt.asUintN(64, n);
  }

  optName(f: string): string | undefined {
    const v = this.raw[f];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(v)) throw this.err(f, 'must be a name (letters, digits, _ . -)');
    return v;
  }

  dev(f: string, devs: ReadonlySet<string>): DevRef {
    const v = this.need(f);
    if (v === 'vm') return { kind: 'vm' };
    if (typeof v === 'string' && /^vcpu:\d+$/.test(v)) return { kind: 'vcpu', id: Number(v.slice(5)) };
    if (typeof v === 'string' && devs.has(v)) return { kind: 'device', name: v };
    throw this.err(f, `${JSON.stringify(v)} is not "vm", "vcpu:N" or a device named by an earlier create_device "as"`);
  }

  expect(f: string): Expect {
    const v = this.raw[f];
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
