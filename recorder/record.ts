/**
 * Runs a parsed scenario against a backend (the device models by default): every step becomes one
 * trace event, executed and recorded even after an earlier step failed or
 * missed its expectation; every missed expectation becomes one line of the
 * report (scenario.md, "What devrr record does with it").
 */
import { errnoName, nameOf, NAMES } from '../devices/core/uapi.js';
import { digestState } from '../devices/core/state.js';
import type { AttrTarget, TraceEvent } from '../traces/events.js';
import type { BackendFactory } from './backend.js';
import { MODELS, NO_DEVICE_FD } from './execute.js';
import { kindDecl, type DeclaredEvent, type StepData } from '../traces/kinds.js';
import { type Expect, type ExpectData, opOf, type Scenario, type Step, type Value } from './scenario.js';

/** Where recorded events go: a trace writer, or an array in tests. */
export interface EventSink {
  append(ev: TraceEvent): void;
  /** State after events [0, event): written every `checkpointEvery` events. */
  checkpoint(event: number, state: unknown, digest: string): void;
}

export interface Miss {
  readonly step: number;
  readonly op: string;
  readonly message: string;
}

export interface RecordResult {
  readonly events: number;
  readonly misses: readonly Miss[];
  /**
   * Steps without `expect` whose call failed: recorded as they are (the
   * exit status stays 0), and reported so that a guessed field or a wrong
   * number does not pass unnoticed.
   */
  readonly unexpected: readonly Miss[];
}

export interface RecordOptions {
  /** Write a checkpoint every K events (0 = none). */
  readonly checkpointEvery?: number;
  /** Also checkpoint the final state, after the last event. */
  readonly finalCheckpoint?: boolean;
  /** What runs the steps (default: the device models); checkpoints need its state capability. */
  readonly backends?: BackendFactory;
}

/** Runs the scenario, sending each event to `sink`. */
export function recordScenario(sc: Scenario, sink: EventSink, opts: RecordOptions = {}): RecordResult {
  const run = recordSteps(sc, sink, opts);
  for (;;) {
    const r = run.next();
    if (r.done) return r.value;
  }
}

/**
 * recordScenario in slices: pauses after every `sliceSteps` steps, yielding
 * the result so far, so that a caller can let the event loop run between
 * slices (signal handlers: bin/commands/record.ts) and stop early.
 */
export function* recordSteps(sc: Scenario, sink: EventSink, opts: RecordOptions = {}, sliceSteps = 1024): Generator<RecordResult, RecordResult> {
  let sliced = 0;
  const every = opts.checkpointEvery ?? 0;
  const backends = opts.backends ?? MODELS;
  const session = backends.create();
  const state = session.state;
  let vms = 0;
  const saved = new Map<string, bigint>();
  const devHandles: Map<string, number>[] = [new Map()];
  const misses: Miss[] = [];
  const unexpected: Miss[] = [];
  let count = 0;

  const emit = (req: TraceEvent): TraceEvent => {
    if (state && every > 0 && count > 0 && count % every === 0) {
      const st = state.snapshot();
      sink.checkpoint(count, st, digestState(st));
    }
    const ev = session.execute(req);
    if (ev.kind === 'create_vm') vms++;
    sink.append(ev);
    count++;
    return ev;
  };

  emit({ kind: 'create_vm', vm: 0, arch: sc.arch, ipaBits: sc.ipaBits });

  const val = (v: Value): bigint => ('n' in v ? v.n : saved.get(v.ref) ?? 0n);
  /** Bytes save_as kept (get_irqchip, get_lapic): a failed call kept none. */
  const savedData = new Map<string, Uint8Array>();
  const dataOf = (d: StepData): Uint8Array => ('bytes' in d ? d.bytes : savedData.get(d.ref) ?? new Uint8Array(0));

  for (const step of sc.steps) {
    if (++sliced % sliceSteps === 0) yield { events: count, misses, unexpected };
    const note = step.note !== undefined ? { note: step.note } : {};
    /** The step as report lines name it: its group or device type by the device's own table. */
    const stepName = () => {
      if (step.op === 'create_device') return describeStep(step, { type: backends.inspector.typeName(step.type) });
      if ((step.op !== 'set_attr' && step.op !== 'get_attr' && step.op !== 'has_attr') || step.dev.kind !== 'device' || !state) return describeStep(step);
      const handle = devHandles[step.vm]?.get(step.dev.name);
      return describeStep(step, { group: handle === undefined ? undefined : backends.inspector.groupName(state.peek(), step.vm, handle, step.group) });
    };
    const miss = (message: string) => misses.push({ step: step.index, op: opOf(step), message: `step ${step.index} ${stepName()}: ${message}` });
    const checkErrno = (errno: number) => {
      const m = expectMiss(step.expect, errno);
      if (m) miss(m);
      else if (errno !== 0 && !step.expect && !hasResultExpectation(step))
        unexpected.push({ step: step.index, op: opOf(step), message: `step ${step.index} ${stepName()}: failed with ${errnoName(errno)}, and the step has no "expect" (add "expect": "${errnoName(errno)}" if that is what it should do)` });
    };
    /** A read's expected value (or bytes) where the call failed: missed, unless `expect` accepted the error. */
    const checkFailedRead = (errno: number, what: string) => {
      if (!step.expect) miss(`expected ${what}, got ${errnoName(errno)}`);
    };
    /** A read against `expect_value` (and `expect_mask`): its value when the call succeeded, else the failure. */
    const checkRead = (errno: number, got: bigint, exp: Value | undefined, mask: bigint | undefined) => {
      if (exp === undefined) return;
      if (errno !== 0) checkFailedRead(errno, `value 0x${val(exp).toString(16)}`);
      else checkValue(got, exp, mask);
    };
    const checkValue = (got: bigint, exp: Value | undefined, mask: bigint | undefined) => {
      if (exp === undefined) return;
      const want = val(exp);
      const m = mask ?? 0xffffffffffffffffn;
      if ((got & m) !== (want & m)) miss(`expected value 0x${want.toString(16)}${mask !== undefined ? ` (mask 0x${mask.toString(16)})` : ''}, got 0x${got.toString(16)}`);
    };
    const vm = step.vm;
    switch (step.op) {
      case 'create_vm': {
        const index = vms;
        emit({ kind: 'create_vm', vm: index, arch: step.arch, ipaBits: step.ipaBits, ...note });
        devHandles[index] = new Map();
        break;
      }
      case 'create_device': {
        const ev = emit({ kind: 'create_device', vm, type: step.type, flags: step.flags, errno: 0, handle: -1, ...note });
        // A create_device that made no device leaves its name bound to fd -1 (NO_DEVICE_FD): later calls answer EBADF.
        if (ev.kind === 'create_device' && step.as) devHandles[vm]!.set(step.as, ev.handle >= 0 ? ev.handle : NO_DEVICE_FD);
        checkErrno((ev as { errno: number }).errno);
        break;
      }
      case 'set_attr':
      case 'get_attr':
      case 'has_attr': {
        const target: AttrTarget = step.dev.kind === 'device' ? { kind: 'device', handle: devHandles[vm]!.get(step.dev.name) ?? NO_DEVICE_FD } : step.dev;
        const width = state ? backends.inspector.payloadWidth(state.peek(), vm, target, step.group) : 8;
        const value = step.value !== undefined ? BigInt.asUintN(width * 8, val(step.value)) : undefined;
        const ev = emit({
          kind: step.op,
          vm,
          target,
          group: step.group,
          attr: step.attr,
          ...(value !== undefined && { value }),
          ...(step.data && { data: step.data }),
          ...(step.nullPtr && { nullPtr: true }),
          errno: 0,
          ...note,
        });
        checkErrno((ev as { errno: number }).errno);
        if (ev.kind === 'get_attr') {
          const got = ev.errno === 0 ? ev.outValue ?? 0n : 0n;
          checkRead(ev.errno, got, step.expectValue, step.expectMask);
          if (step.saveAs) saved.set(step.saveAs, got);
        }
        break;
      }
      case 'mmio': {
        const v = step.value !== undefined ? BigInt.asUintN(step.len * 8, val(step.value)) : 0n;
        const ev = emit({ kind: 'mmio', vm, vcpu: step.vcpu, write: step.write, addr: step.addr, len: step.len, value: v, exit: false, errno: 0, ...note });
        if (ev.kind !== 'mmio') break;
        checkErrno(ev.errno);
        if (!step.write) {
          checkRead(ev.errno, ev.value, step.expectValue, step.expectMask);
          if (step.saveAs) saved.set(step.saveAs, ev.value);
        }
        break;
      }
      case 'irq_line': {
        const ev = emit({ kind: 'irq_line', vm, irq: step.irq, level: step.level, errno: 0, ...note });
        checkErrno((ev as { errno: number }).errno);
        break;
      }
      case 'hcall': {
        const ev = emit({ kind: 'hcall', vm, vcpu: step.vcpu, nr: step.nr, args: step.args.map(val), ret: 0n, errno: 0, ...note });
        if (ev.kind !== 'hcall') break;
        checkErrno(ev.errno);
        checkRead(ev.errno, ev.ret, step.expectValue, undefined);
        break;
      }
      case 'sysreg': {
        const v = step.value !== undefined ? BigInt.asUintN(64, val(step.value)) : 0n;
        const ev = emit({ kind: 'sysreg', vm, vcpu: step.vcpu, write: step.write, reg: step.reg, value: v, errno: 0, ...note });
        if (ev.kind !== 'sysreg') break;
        checkErrno(ev.errno);
        if (!step.write) {
          checkRead(ev.errno, ev.value, step.expectValue, step.expectMask);
          if (step.saveAs) saved.set(step.saveAs, ev.value);
        }
        break;
      }
      case 'mem_write': {
        const ev = emit({ kind: 'mem_write', vm, addr: step.addr, data: step.data, errno: 0, ...note });
        checkErrno((ev as { errno: number }).errno);
        break;
      }
      case 'mem_read': {
        const ev = emit({ kind: 'mem_read', vm, addr: step.addr, len: step.len, data: new Uint8Array(0), errno: 0, ...note });
        if (ev.kind !== 'mem_read') break;
        checkErrno(ev.errno);
        if (step.expectData && ev.errno !== 0) checkFailedRead(ev.errno, `data ${Buffer.from(step.expectData).toString('hex')}`);
        else if (step.expectData && Buffer.compare(Buffer.from(ev.data), Buffer.from(step.expectData)) !== 0) {
          miss(`expected data ${Buffer.from(step.expectData).toString('hex')}, got ${Buffer.from(ev.data).toString('hex')}`);
        }
        break;
      }
      case 'declared': {
        // A kind declared as data: its scenario op builds the request, the backend runs it.
        const sc = kindDecl(step.kind)!.scenario!;
        const ctx = { dev: (name: string) => { const h = devHandles[vm]!.get(name); return h === undefined || h === NO_DEVICE_FD ? -1 : h; }, data: dataOf };
        const ev = emit({ kind: step.kind, vm, ...sc.request(step.fields, val, ctx), ...note } as unknown as TraceEvent) as unknown as DeclaredEvent;
        const errno = typeof ev['errno'] === 'number' ? ev['errno'] : 0;
        checkErrno(errno);
        const got = sc.readValue?.(ev);
        if (got !== undefined) {
          checkRead(errno, got, step.expectValue, step.expectMask);
          if (step.saveAs) saved.set(step.saveAs, got);
        }
        const bytes = sc.readData?.(ev);
        if (bytes !== undefined) {
          if (step.expectData && errno !== 0) checkFailedRead(errno, `data ${step.expectData.text}`);
          else if (step.expectData) {
            const m = dataMiss(step.expectData, bytes);
            if (m) miss(m);
          }
          if (step.saveAs) savedData.set(step.saveAs, bytes);
        }
        break;
      }
      case 'enable_cap': {
        const args = step.args.map((a) => ('dev' in a ? BigInt(devHandles[vm]!.get(a.dev) ?? -1) : val(a)));
        const ev = emit({ kind: 'enable_cap', vm, vcpu: step.vcpu, cap: step.cap, args: args.map((a) => BigInt.asUintN(64, a)), errno: 0, ...note });
        checkErrno((ev as { errno: number }).errno);
        break;
      }
    }
  }
  if (opts.finalCheckpoint && state) {
    const st = state.snapshot();
    sink.checkpoint(count, st, digestState(st));
  }
  return { events: count, misses, unexpected };
}

/**
 * expect_data against the bytes a call returned: its leading bytes, `xx`
 * matching any byte. The miss text names the first differing byte.
 */
export function dataMiss(exp: ExpectData, got: Uint8Array): string | null {
  if (got.length < exp.bytes.length) return `expected at least ${exp.bytes.length} bytes (${exp.text}), got ${got.length}: ${Buffer.from(got).toString('hex')}`;
  for (let i = 0; i < exp.bytes.length; i++) {
    if ((got[i]! & exp.mask[i]!) !== exp.bytes[i]) {
      return `expected data ${exp.text}, got ${Buffer.from(got.subarray(0, exp.bytes.length)).toString('hex')} (byte ${i}: expected 0x${exp.bytes[i]!.toString(16).padStart(2, '0')}, got 0x${got[i]!.toString(16).padStart(2, '0')})`;
    }
  }
  return null;
}

/** Whether a step expects a result of its own (a value or bytes), which then reports a failed call as a miss. */
function hasResultExpectation(step: Step): boolean {
  return ('expectValue' in step && step.expectValue !== undefined) || ('expectData' in step && step.expectData !== undefined);
}

/** The mismatch text for an expectation, or null when it held (or there was none). */
export function expectMiss(exp: Expect | undefined, errno: number): string | null {
  if (!exp) return null;
  switch (exp.kind) {
    case 'ok':
      return errno === 0 ? null : `expected 0, got ${errnoName(errno)}`;
    case 'error':
      return errno !== 0 ? null : 'expected an error, got 0';
    case 'errno':
      return exp.any.includes(errno) ? null : `expected ${exp.text}, got ${errnoName(errno)}`;
  }
}

/**
 * "set_attr <the group's uapi name>", the way the spec's report line names a
 * step; `names` are the group's or device type's names from the device's
 * own table, when known (else the name the scenario resolved through the
 * addressed fd's table, else the number: group numbers mean nothing apart
 * from their fd).
 */
export function describeStep(step: Step, names: { readonly group?: string | undefined; readonly type?: string | undefined } = {}): string {
  switch (step.op) {
    case 'set_attr':
    case 'get_attr':
    case 'has_attr':
      return `${step.op} ${names.group ?? step.groupName ?? `group ${step.group}`}`;
    case 'create_device':
      return `create_device ${names.type ?? nameOf(NAMES.type, step.type) ?? `type ${step.type}`}`;
    default:
      return opOf(step);
  }
}
