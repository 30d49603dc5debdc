/**
 * Event kinds added in the test tree alone (toy-kind.ts), beside the toy
 * family (toy-pic.ts), and `pio`, the first of devrr's own kinds declared
 * purely as data: each is recorded from a scenario, replayed with every
 * result checked, decoded the way dump decodes, shown in the TUI's frame
 * and stopped at by a breakpoint, with no file outside test/ knowing the
 * toy ones. Then a reader that does not know them (the kinds unregistered,
 * as a devrr older than the trace): it reads the trace, shows their events
 * by name, skips the kind replay does not need and refuses to replay one it
 * needs.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { pointIn } from '../../../recorder/backend.js';
import { modelBackends } from '../../../recorder/execute.js';
import { recordScenario } from '../../../recorder/record.js';
import { parseScenario, ScenarioError } from '../../../recorder/scenario.js';
import { traceHeader } from '../../../recorder/trace-file.js';
import { FORMAT_VERSION } from '../../../traces/format.js';
import { describeEvent, eventToJson } from '../../../replay/decode.js';
import { replay } from '../../../replay/engine.js';
import { Timeline } from '../../../replay/timeline.js';
import type { TraceEvent } from '../../../traces/events.js';
import { KIND_NEEDED } from '../../../traces/format.js';
import { kindDecl, registerEventKind, unregisterEventKind } from '../../../traces/kinds.js';
import { TraceReader } from '../../../traces/reader.js';
import { TraceWriter } from '../../../traces/writer.js';
import { charKey, namedKey } from '../../../tui/keys.js';
import { DebugSession } from '../../../tui/session.js';
import { devrr } from '../../cli/run.js';
import { tempDir } from '../../tmp.js';
import { registerToyKinds, TOY_DOORBELL, TOY_MARKER } from './toy-kind.js';
import { TOY_REGISTRY } from './toy-pic.js';

registerToyKinds();
const TOY = modelBackends(TOY_REGISTRY);
const dir = tempDir();
let path: string;

const SCENARIO = {
  arch: 'x86_64',
  steps: [
    { op: 'create_vcpu', id: 0 },
    { op: 'create_device', type: 0, as: 'toy' },
    { op: 'set_attr', dev: 'toy', group: 1, attr: 0, value: '0x10000' },
    { op: 'set_attr', dev: 'toy', group: 1, attr: 1, value: '0x10' },
    { op: 'toy_marker', tag: 7, note: 'guest up' },
    { op: 'toy_doorbell', line: 4 },
    { op: 'pio', vcpu: 0, dir: 'in', port: '0x20', len: 1, expect_value: '0x10', note: 'line 4 pending' },
    { op: 'mmio', vcpu: 0, dir: 'read', addr: '0x10008', len: 4, expect_value: 4 },
    { op: 'pio', vcpu: 0, dir: 'out', port: '0x21', len: 1, value: '0x30' },
    { op: 'pio', vcpu: 0, dir: 'in', port: '0x60', len: 1, value: '0xab', expect_value: '0xab', note: 'no device: the VMM answers' },
    { op: 'toy_doorbell', line: 40, expect: 'EINVAL' },
    { op: 'pio', vcpu: 0, dir: 'out', port: '0x20', len: 1, value: 4, note: 'end line 4' },
  ],
};
/** Events: 0 create_vm, then step i is event i + 1. */
const MARKER = 5;
const DOORBELL = 6;
const PIO_IN = 7;
const PIO_EXIT = 10;
const PIO_EOI = 12;

beforeAll(() => {
  path = join(dir, 'toy-kinds.devrr');
  const sc = parseScenario(JSON.stringify(SCENARIO), 'toy-kinds.json');
  const w = TraceWriter.create(path, { ...traceHeader(sc, 4), models: { 'toy-pic': 1 } });
  const r = recordScenario(sc, w, { checkpointEvery: 4, finalCheckpoint: true, backends: TOY });
  w.close();
  expect(r.misses).toEqual([]);
  expect(r.unexpected).toEqual([]);
  expect(r.events).toBe(13);
});

afterAll(() => registerToyKinds());

test('the header names exactly the kinds the trace holds, each flagged by whether replay needs it', () => {
  const t = TraceReader.open(path);
  expect(t.header.formatVersion).toEqual(FORMAT_VERSION);
  expect(t.header.kinds).toEqual({ create_device: 1, create_vcpu: 1, create_vm: 1, mmio: 1, pio: 1, set_attr: 1, toy_doorbell: KIND_NEEDED, toy_marker: 0 });
  t.close();
});

test("a scenario's toy op is parsed by its kind: fields, and errors naming the step and field", () => {
  const bad = (step: object) => () => parseScenario(JSON.stringify({ arch: 'x86_64', steps: [step] }), 'x.json');
  expect(bad({ op: 'toy_doorbell', line: 'x' })).toThrow(ScenarioError);
  expect(bad({ op: 'toy_doorbell', line: 1, tag: 2 })).toThrow(/step 0.*tag.*unknown field for op toy_doorbell/);
  expect(bad({ op: 'toy_marker', tag: 1, expect_value: 1 })).toThrow(/unknown field/);
  expect(bad({ op: 'pio', vcpu: 0, dir: 'sideways', port: 1, len: 1 })).toThrow(/dir.*"in" or "out"/);
  expect(bad({ op: 'pio', vcpu: 0, dir: 'in', port: 1, len: 8 })).toThrow(/len.*1, 2 or 4/);
  expect(bad({ op: 'pio', vcpu: 0, dir: 'out', port: 1, len: 1 })).toThrow(/value.*missing/);
  expect(bad({ op: 'pio', vcpu: 0, dir: 'out', port: 1, len: 1, value: 1, expect_value: 1 })).toThrow(/expect_value.*only an IN/);
  expect(bad({ op: 'pio', vcpu: 0, dir: 'in', port: 0x10000, len: 1 })).toThrow(/port/);
});

test('it replays bit for bit, every result checked: a wrong recorded result of a toy kind is a divergence', () => {
  const t = TraceReader.open(path);
  const r = replay(t, { backends: TOY });
  expect(r.divergence).toBeNull();
  expect(r.events).toBe(13);
  const events = [...t.events()].map(({ i: _i, ...ev }) => ev as TraceEvent);
  t.close();
  // The same trace with the doorbell's result changed, as if the models had changed since.
  const planted = join(dir, 'planted.devrr');
  const w = TraceWriter.create(planted, { ...t.header });
  for (const [i, ev] of events.entries()) w.append(i === DOORBELL ? ({ ...ev, errno: 22 } as TraceEvent) : ev);
  w.close();
  const p = TraceReader.open(planted);
  expect(replay(p, { backends: TOY }).divergence).toMatchObject({ event: DOORBELL, reason: 'result', recorded: { kind: 'toy_doorbell', errno: 22 }, replayed: { kind: 'toy_doorbell', errno: 0 } });
  p.close();
});

test("dump's decoding shows them by their kinds' descriptions", () => {
  const t = TraceReader.open(path);
  const backend = TOY.create();
  const lines: string[] = [];
  const json: Record<string, unknown>[] = [];
  for (const ev of t.events()) {
    const { i, ...plain } = ev;
    lines.push(describeEvent(plain as TraceEvent, pointIn(TOY, backend)));
    json.push(eventToJson(plain as TraceEvent, i, pointIn(TOY, backend)));
    backend.execute(plain as TraceEvent);
  }
  t.close();
  expect(lines.slice(MARKER)).toEqual([
    'toy_marker tag=7  # guest up',
    'toy_doorbell line 4',
    'pio vcpu 0 in  port 0x20/1 -> 0x10  # line 4 pending',
    'mmio vcpu 0 read  TOY_ACK @0x10008/4 -> 0x4 [LINE=4]',
    'pio vcpu 0 out port 0x21/1 <- 0x30',
    'pio vcpu 0 in  port 0x60/1 -> 0xab (exit)  # no device: the VMM answers',
    'toy_doorbell line 40 -> EINVAL',
    'pio vcpu 0 out port 0x20/1 <- 0x4  # end line 4',
  ]);
  expect(json[PIO_IN]).toMatchObject({ kind: 'pio', port: 32, len: 1, value: '0x10', exit: false, text: 'pio vcpu 0 in  port 0x20/1 -> 0x10' });
  expect(json[DOORBELL]).toMatchObject({ kind: 'toy_doorbell', line: 4, errno: 0 });
});

test('a breakpoint on a toy kind stops at each of its events', () => {
  const t = TraceReader.open(path);
  const tl = new Timeline(t, { backends: TOY });
  const out: number[] = [];
  const bp = [{ kind: 'event' as const, match: { kind: 'toy_doorbell' } }];
  for (let h = tl.runForward(bp); h; h = tl.runForward(bp)) out.push(h.event);
  t.close();
  expect(out).toEqual([DOORBELL, 11]);
});

test("an interrupt breakpoint stops at a port access the family's facet says ends the interrupt", () => {
  const t = TraceReader.open(path);
  const tl = new Timeline(t, { backends: TOY });
  const out: number[] = [];
  const bp = [{ kind: 'event' as const, match: { irq: 4 } }];
  for (let h = tl.runForward(bp); h; h = tl.runForward(bp)) out.push(h.event);
  t.close();
  // Acknowledged by the TOY_ACK read, completed by the OUT to port 0x20 (the doorbell is no interrupt event to the facet).
  expect(out).toEqual([8, PIO_EOI]);
});

describe("the TUI's frame", () => {
  const sizes = { listRows: 14, detailRows: 8, treeRows: 40, diffRows: 10 };
  const goto = (s: DebugSession, event: number) => {
    for (const c of `g${event}`) s.key(charKey(c));
    s.key(namedKey('return'));
  };

  test('shows a toy event in the list and the detail pane, with what it changed; b breaks on its kind and c runs to it', async () => {
    const s = new DebugSession(path, { backends: TOY });
    s.frame(sizes);
    s.start();
    await s.idle();
    goto(s, DOORBELL);
    const f = s.frame(sizes);
    expect(f.rows.find((r) => r.index === DOORBELL)).toMatchObject({ current: true, text: 'toy_doorbell line 4' });
    expect(f.rows.find((r) => r.index === PIO_EXIT)?.text).toBe('pio vcpu 0 in  port 0x60/1 -> 0xab (exit)');
    expect(f.detail.title).toBe(`event ${DOORBELL} · toy_doorbell`);
    expect(f.detail.lines.map((l) => `${l.label}: ${l.text}`)).toEqual(['call: toy_doorbell line 4', 'result: 0 (success)']);
    expect(f.diff.lines.map((l) => l.text)).toEqual(['toy.line[4].pending: false -> true']);
    s.key(charKey('b'));
    expect(s.frame(sizes).status.message).toContain('breakpoint set: toy_doorbell');
    s.key(namedKey('home'));
    s.key(charKey('c'));
    await s.idle();
    expect(s.frame(sizes).status.message).toBe(`breakpoint (toy_doorbell) at event ${DOORBELL}`);
    s.key(charKey('c'));
    await s.idle();
    expect(s.frame(sizes).status.message).toBe('breakpoint (toy_doorbell) at event 11');
    s.close();
  });
});

describe('a reader that does not know the kinds (a devrr older than the trace)', () => {
  test('reads the trace, shows their events by name, and refuses to replay because one of them is needed', async () => {
    // On devrr's own models (the CLI's): no toy device, so the doorbell finds no irqchip (KVM_IRQ_LINE: ENXIO on x86).
    const sc = parseScenario(JSON.stringify({ arch: 'x86_64', steps: [
      { op: 'create_vcpu', id: 0 },
      { op: 'toy_marker', tag: 7, note: 'guest up' },
      { op: 'toy_doorbell', line: 4, expect: 'ENXIO' },
      { op: 'pio', vcpu: 0, dir: 'in', port: '0x20', len: 1, value: 1 },
    ] }), 'cli.json');
    const cliPath = join(dir, 'cli.devrr');
    const w = TraceWriter.create(cliPath, traceHeader(sc, 2));
    expect(recordScenario(sc, w, { checkpointEvery: 2, finalCheckpoint: true }).misses).toEqual([]);
    w.close();
    unregisterEventKind(TOY_DOORBELL.name);
    unregisterEventKind(TOY_MARKER.name);
    try {
      expect(kindDecl('toy_doorbell')).toBeUndefined();
      const t = TraceReader.open(cliPath);
      t.verify();
      expect([...t.events()][3]).toMatchObject({ kind: 'toy_doorbell', vm: 0, line: 4, errno: 6 });
      t.close();
      const dump = await devrr('dump', cliPath);
      expect(dump.code).toBe(0);
      expect(dump.out.split('\n').slice(2, 5).map((l) => l.replace(/^\s*\d+\s+/, ''))).toEqual([
        'toy_marker (a kind this devrr does not know) tag=7  # guest up',
        'toy_doorbell (a kind this devrr does not know) line=4 errno=6',
        'pio vcpu 0 in  port 0x20/1 -> 0x1 (exit)',
      ]);
      expect(dump.err).toContain('holds event kinds this devrr does not know: toy_doorbell (replay needs it), toy_marker (replay skips it)');
      const rep = await devrr('replay', cliPath);
      expect(rep.code).toBe(2);
      expect(rep.err).toContain(`${cliPath}: cannot replay: its events of kind toy_doorbell change device state, and this devrr does not know that kind`);
    } finally {
      registerToyKinds();
    }
  });

  test('skips the events of a kind replay does not need, and replays the rest bit for bit', () => {
    // A trace holding toy_marker alone of the toy kinds.
    const sc = parseScenario(JSON.stringify({ ...SCENARIO, steps: SCENARIO.steps.filter((s) => s.op !== 'toy_doorbell' && s.op !== 'mmio' && s.expect_value !== '0x10') }), 'marker.json');
    const markerPath = join(dir, 'marker.devrr');
    const w = TraceWriter.create(markerPath, { ...traceHeader(sc, 2), models: { 'toy-pic': 1 } });
    expect(recordScenario(sc, w, { checkpointEvery: 2, finalCheckpoint: true, backends: TOY }).misses).toEqual([]);
    w.close();
    unregisterEventKind(TOY_MARKER.name);
    try {
      const t = TraceReader.open(markerPath);
      const r = replay(t, { backends: TOY });
      expect(r.divergence).toBeNull();
      expect(r.events).toBe(t.eventCount);
      expect(r.checkpoints).toBeGreaterThan(2);
      t.close();
    } finally {
      registerToyKinds();
    }
  });

  test('a kind is declared once: a second declaration of its name is refused', () => {
    expect(() => registerEventKind(TOY_MARKER)).toThrow(/already declared/);
  });
});
