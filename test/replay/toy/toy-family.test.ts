/**
 * A device family added in the test tree alone (toy-pic.ts): given to the
 * backends as a registry, it is recorded, replayed, decoded the way dump
 * decodes, shown in the TUI's frame and stopped at by breakpoints, with no
 * file outside test/ knowing it. (Toy event kinds beside it: toy-kind.test.ts.)
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { pointIn } from '../../../recorder/backend.js';
import { modelBackends } from '../../../recorder/execute.js';
import { recordScenario } from '../../../recorder/record.js';
import { parseScenario } from '../../../recorder/scenario.js';
import { traceHeader } from '../../../recorder/trace-file.js';
import { describeEvent, eventToJson } from '../../../replay/decode.js';
import { replay } from '../../../replay/engine.js';
import { Timeline } from '../../../replay/timeline.js';
import type { TraceEvent } from '../../../traces/events.js';
import { TraceReader } from '../../../traces/reader.js';
import { TraceWriter } from '../../../traces/writer.js';
import { charKey, namedKey } from '../../../tui/keys.js';
import { DebugSession } from '../../../tui/session.js';
import { tempDir } from '../../tmp.js';
import { TOY_REGISTRY } from './toy-pic.js';

const TOY = modelBackends(TOY_REGISTRY);
const dir = tempDir();
let path: string;

const SCENARIO = {
  arch: 'x86_64',
  steps: [
    { op: 'create_vcpu', id: 0 },
    { op: 'create_device', type: 0, as: 'toy' },
    { op: 'set_attr', dev: 'toy', group: 1, attr: 0, value: '0x10000' },
    { op: 'set_attr', dev: 'toy', group: 1, attr: 1, value: '0x10', note: 'enable line 4' },
    { op: 'irq_line', irq: 4, level: 1 },
    { op: 'irq_line', irq: 5, level: 1, note: 'line 5 is not enabled' },
    { op: 'mmio', vcpu: 0, dir: 'read', addr: '0x10008', len: 4, expect_value: 4 },
    { op: 'mmio', vcpu: 0, dir: 'write', addr: '0x1000c', len: 4, value: 4 },
    { op: 'mmio', vcpu: 0, dir: 'read', addr: '0x10008', len: 4, expect_value: '0xff' },
    { op: 'irq_line', irq: 40, level: 1, expect: 'EINVAL' },
  ],
};
/** Events: 0 create_vm, then step i is event i + 1. */
const ACK = 7;
const EOI = 8;

beforeAll(() => {
  path = join(dir, 'toy.devrr');
  const sc = parseScenario(JSON.stringify(SCENARIO), 'toy.json');
  const w = TraceWriter.create(path, { ...traceHeader(sc, 4), models: { 'toy-pic': 1 } });
  const r = recordScenario(sc, w, { checkpointEvery: 4, finalCheckpoint: true, backends: TOY });
  w.close();
  expect(r.misses).toEqual([]);
  expect(r.events).toBe(11);
});

test('it records and replays bit for bit on its registry (and the default models have no such device)', () => {
  const t = TraceReader.open(path);
  const r = replay(t, { backends: TOY });
  expect(r.divergence).toBeNull();
  expect(r.events).toBe(11);
  expect(r.checkpoints).toBe(t.checkpoints.length);
  expect(r.checkpoints).toBeGreaterThan(1);
  const models = replay(t);
  expect(models.divergence).toMatchObject({ event: 2, reason: 'result', replayed: { kind: 'create_device', errno: 19 } });
  t.close();
});

test("dump's decoding names its device, group, attributes, registers, fields and lines", () => {
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
  expect(lines.slice(2)).toEqual([
    'create_device KVM_DEV_TYPE_TOY_PIC -> dev 0',
    'set_attr dev 0 (toy-pic) TOY_GRP_CONFIG TOY_BASE value=0x10000',
    'set_attr dev 0 (toy-pic) TOY_GRP_CONFIG TOY_ENABLE value=0x10  # enable line 4',
    'irq_line GSI 4 level=1',
    'irq_line GSI 5 level=1  # line 5 is not enabled',
    'mmio vcpu 0 read  TOY_ACK @0x10008/4 -> 0x4 [LINE=4]',
    'mmio vcpu 0 write TOY_EOI @0x1000c/4 <- 0x4 [LINE=4]',
    'mmio vcpu 0 read  TOY_ACK @0x10008/4 -> 0xff [LINE=0xff]',
    'irq_line GSI 40 level=1 -> EINVAL',
  ]);
  expect(json[ACK]).toMatchObject({ kind: 'mmio', reg: 'TOY_ACK', fields: 'LINE=4' });
  expect(json[2]).toMatchObject({ type_name: 'KVM_DEV_TYPE_TOY_PIC' });
});

describe('breakpoints', () => {
  const stops = (match: object): number[] => {
    const t = TraceReader.open(path);
    const tl = new Timeline(t, { backends: TOY });
    const out: number[] = [];
    for (let h = tl.runForward([{ kind: 'event', match }]); h; h = tl.runForward([{ kind: 'event', match }])) out.push(h.event);
    t.close();
    return out;
  };

  test('on a register by name', () => {
    expect(stops({ reg: 'TOY_ACK' })).toEqual([ACK, 9]);
  });

  test('on an interrupt, by what its family says the events do to it: raised by KVM_IRQ_LINE, acknowledged by TOY_ACK, completed by TOY_EOI', () => {
    expect(stops({ irq: 4 })).toEqual([5, ACK, EOI]);
    // Line 5 was raised, never taken; line 40 does not exist (EINVAL): nothing happened to it.
    expect(stops({ irq: 5 })).toEqual([6]);
    expect(stops({ irq: 40 })).toEqual([]);
  });

  test('a watchpoint on its view', () => {
    expect(stops({})).toHaveLength(11);
    const t = TraceReader.open(path);
    const tl = new Timeline(t, { backends: TOY });
    const hits = [tl.runForward([{ kind: 'watch', path: 'toy.line[4].active' }]), tl.runForward([{ kind: 'watch', path: 'toy.line[4].active' }])];
    expect(hits.map((h) => [h?.event, h?.before, h?.after])).toEqual([
      [2, undefined, false],
      [ACK, false, true],
    ]);
    t.close();
  });
});

describe("the TUI's frame", () => {
  const sizes = { listRows: 12, detailRows: 8, treeRows: 40, diffRows: 10 };
  const open = async () => {
    const s = new DebugSession(path, { backends: TOY });
    s.frame(sizes);
    s.start();
    await s.idle();
    return s;
  };
  const goto = (s: DebugSession, event: number) => {
    for (const c of `g${event}`) s.key(charKey(c));
    s.key(namedKey('return'));
  };

  test("shows its events by register, its device in the detail pane, its view in the state tree and what the event changed (the vcpu's first access is its first run), and the replay check's verdict", async () => {
    const s = await open();
    // The replay check ran (on this thread, on the toy's backends) and found nothing.
    s.key(charKey('D'));
    expect(s.frame(sizes).status.message).toBe('no divergence known: the replay matches; B bisects');
    goto(s, ACK);
    const f = s.frame(sizes);
    expect(f.rows.find((r) => r.index === ACK)).toMatchObject({ current: true, text: 'v0 R TOY_ACK -> 0x4' });
    expect(f.rows.find((r) => r.index === 5)?.text).toBe('irq_line GSI 4 level=1');
    expect(f.detail.lines.map((l) => `${l.label}: ${l.text}`)).toEqual(['device: dev 0 toy-pic (TOY)', 'register: TOY_ACK @0x10008/4', 'read: 0x4', 'fields: LINE=4', 'result: 0 (success)']);
    const tree = f.tree.map((l) => `${'  '.repeat(l.depth)}${l.label} ${l.value}${l.was !== undefined ? ` (was ${l.was})` : ''}`).join('\n');
    expect(tree).toMatch(/^toy /m);
    expect(tree).toContain('active true (was false)');
    expect(tree).toContain('pending false (was true)');
    expect(f.diff.lines.map((l) => l.text)).toEqual(['toy.line[4].active: false -> true', 'toy.line[4].pending: true -> false', 'vcpus[0].ran: false -> true']);
    s.close();
  });

  test("b breaks on its register and its interrupt line, by the family's names; e offers the interrupt the event touched", async () => {
    const s = await open();
    goto(s, 5);
    s.key(charKey('b'));
    expect(s.frame(sizes).status.message).toBe('breakpoint set: irq_line toy line 4 (c / C run to the next / previous one)');
    goto(s, ACK);
    s.key(charKey('b'));
    expect(s.frame(sizes).status.message).toContain('breakpoint set: mmio TOY_ACK');
    s.key(charKey('e'));
    expect(s.frame(sizes).prompt).toEqual({ label: 'explain interrupt', text: '4' });
    s.key(namedKey('escape'));
    s.key(namedKey('home'));
    s.key(charKey('c'));
    await s.idle();
    expect(s.frame(sizes).status.message).toBe('breakpoint (irq_line toy line 4) at event 5');
    s.key(charKey('c'));
    await s.idle();
    expect(s.frame(sizes).status.message).toBe(`breakpoint (mmio TOY_ACK) at event ${ACK}`);
    expect(s.frame(sizes).rows.filter((r) => r.breakpoint).map((r) => r.index)).toEqual([5, ACK, 9]);
    s.close();
  });

  test('an interrupt number outside its lines is refused by its own numbering', async () => {
    const s = await open();
    s.key(namedKey('end'));
    for (const c of 'e77') s.key(charKey(c));
    s.key(namedKey('return'));
    expect(s.frame(sizes).status.message).toBe('not an interrupt number of this irqchip (LINE 0-31): "77"');
    s.close();
  });
});
