/**
 * The scenario contract's x86 irqchip ops, end to end through their kinds
 * (traces/kinds/*-irqchip.ts, *-lapic.ts, irq-line-status.ts,
 * take-interrupt.ts): the parser's errors name the step and the field, a
 * recording replays with every result checked (a planted wrong result is a
 * divergence), expect_data compares leading bytes with xx wildcards,
 * save_as carries bytes into a later set, dump decodes ports and payloads
 * through the family's describePio and describePayload, and migrate-check
 * rebuilds the irqchip with KVM_CREATE_IRQCHIP before the vcpus.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { pointIn } from '../../recorder/backend.js';
import { MODELS } from '../../recorder/execute.js';
import { recordScenario } from '../../recorder/record.js';
import { parseScenario, ScenarioError } from '../../recorder/scenario.js';
import { traceHeader } from '../../recorder/trace-file.js';
import { describeEvent, eventToJson } from '../../replay/decode.js';
import { replay } from '../../replay/engine.js';
import { migrateCheck } from '../../replay/migrate.js';
import type { TraceEvent } from '../../traces/events.js';
import { KIND_NEEDED } from '../../traces/format.js';
import { TraceReader } from '../../traces/reader.js';
import { TraceWriter } from '../../traces/writer.js';
import { devrr } from '../cli/run.js';
import { tempDir } from '../tmp.js';
import { writeFileSync } from 'node:fs';

const dir = tempDir();

/** The IOAPIC after reset: base 0xfec00000, every redirection entry masked (kvm_ioapic_reset, ioapic.c). */
const IOAPIC_RESET = `0000c0fe00000000${'00'.repeat(16)}${'0000010000000000'.repeat(24)}`;

const SCENARIO = {
  arch: 'x86_64',
  steps: [
    { op: 'create_irqchip' },
    { op: 'create_vcpu', id: 0 },
    { op: 'create_irqchip', expect: 'EEXIST' },
    { op: 'get_irqchip', chip: 0, expect_data: '000000000000000000000000000000f8', save_as: 'MASTER' },
    { op: 'get_irqchip', chip: 2, expect_data: IOAPIC_RESET, save_as: 'IOAPIC' },
    // IOAPIC pin 17 (a GSI no PIC has) unmasked, level-triggered, vector 0x35 to APIC 0 (redirtbl[17] = 0x8035).
    { op: 'set_irqchip', chip: 2, data: `0000c0fe00000000${'00'.repeat(16)}${'0000010000000000'.repeat(17)}3580000000000000${'0000010000000000'.repeat(6)}` },
    { op: 'get_lapic', vcpu: 0, save_as: 'LAPIC' },
    // Software-enable the APIC (SVR at 0xf0 = 0x1ff), keeping the rest of the page.
    { op: 'mmio', vcpu: 0, dir: 'write', addr: '0xfee000f0', len: 4, value: '0x1ff' },
    { op: 'irq_line', irq: 17, level: 1, status: true, expect_value: 1 },
    { op: 'irq_line', irq: 17, level: 1, status: true, expect_value: -1, note: 'remote_irr set: not delivered' },
    { op: 'take_interrupt', vcpu: 0, expect_value: '0x35' },
    { op: 'take_interrupt', vcpu: 0, expect_value: -1 },
    { op: 'get_irqchip', chip: 2, expect_data: `${'xx'.repeat(24 + 8 * 17)}35c0` },
    { op: 'pio', vcpu: 0, dir: 'out', port: '0x21', len: 1, value: '0xeb' },
    { op: 'pio', vcpu: 0, dir: 'in', port: '0x21', len: 1, expect_value: '0xeb' },
    { op: 'set_lapic', vcpu: 0, data: '$LAPIC' },
    { op: 'set_irqchip', chip: 0, data: '$MASTER' },
    { op: 'get_lapic', vcpu: 7, expect: 'EBADF' },
    { op: 'get_irqchip', chip: 3, expect: 'EINVAL' },
  ],
};
/** Event i is step i - 1. */
const SET_IOAPIC = 6;
const STATUS_REFUSED = 10;
const TAKE = 11;
const PIO_OUT = 14;

let path: string;
beforeAll(() => {
  path = join(dir, 'x86-ops.devrr');
  const sc = parseScenario(JSON.stringify(SCENARIO), 'x86-ops.json');
  const w = TraceWriter.create(path, traceHeader(sc, 4));
  const r = recordScenario(sc, w, { checkpointEvery: 4, finalCheckpoint: true });
  w.close();
  expect(r.misses).toEqual([]);
  expect(r.events).toBe(SCENARIO.steps.length + 1);
});

describe('parsing: every mistake is the step index and field (exit 2)', () => {
  const bad = (...steps: object[]) => () => parseScenario(JSON.stringify({ arch: 'x86_64', steps }), 'x.json');
  test.each([
    [[{ op: 'get_irqchip' }], /step 0: field "chip": missing/],
    [[{ op: 'get_irqchip', chip: -1 }], /step 0: field "chip": must be a whole number/],
    [[{ op: 'set_irqchip', chip: 0 }], /step 0: field "data": missing/],
    [[{ op: 'set_irqchip', chip: 0, data: '0g' }], /step 0: field "data": must be a hex string/],
    [[{ op: 'set_irqchip', chip: 0, data: '00'.repeat(513) }], /step 0: field "data": holds 513 bytes; the struct holds 512/],
    [[{ op: 'set_lapic', vcpu: 0, data: '00'.repeat(1025) }], /step 0: field "data": holds 1025 bytes; the struct holds 1024/],
    [[{ op: 'set_lapic', vcpu: 0, data: '$NOPE' }], /step 0: field "data": "\$NOPE" refers to no bytes kept by an earlier save_as/],
    [[{ op: 'mmio', vcpu: 0, dir: 'read', addr: 0, len: 4, save_as: 'V' }, { op: 'set_lapic', vcpu: 0, data: '$V' }], /step 1: field "data": "\$V" holds a value, not bytes/],
    [[{ op: 'get_irqchip', chip: 0, save_as: 'B' }, { op: 'mmio', vcpu: 0, dir: 'write', addr: 0, len: 4, value: '$B' }], /step 1: field "value": "\$B" refers to no value/],
    [[{ op: 'get_irqchip', chip: 0, expect_data: '0x' }], /step 0: field "expect_data": must hold at least one byte/],
    [[{ op: 'get_irqchip', chip: 0, expect_data: 'x0' }], /step 0: field "expect_data": byte 0 is "x0": a byte is two hex digits or xx/],
    [[{ op: 'get_irqchip', chip: 0, expect_value: 1 }], /step 0: field "expect_value": unknown field for op get_irqchip/],
    [[{ op: 'set_irqchip', chip: 0, data: '00', save_as: 'X' }], /step 0: field "save_as": unknown field for op set_irqchip/],
    [[{ op: 'create_irqchip', chip: 0 }], /step 0: field "chip": unknown field for op create_irqchip/],
    [[{ op: 'irq_line', irq: 4, level: 1, expect_value: 1 }], /step 0: field "expect_value": only irq_line with "status": true/],
    [[{ op: 'irq_line', irq: 4, level: 1, status: 'yes' }], /step 0: field "status": must be true or false/],
    [[{ op: 'irq_line', spi: 40, level: 1, status: true }], /step 0: field "spi": irq_line with "status": true takes irq/],
    [[{ op: 'take_interrupt' }], /step 0: field "vcpu": missing/],
    [[{ op: 'take_interrupt', vcpu: 0, expect_mask: 1 }], /step 0: field "expect_mask": unknown field/],
  ])('%j', (steps, message) => {
    expect(bad(...steps)).toThrow(ScenarioError);
    expect(bad(...steps)).toThrow(message);
  });

  test('irq_line without status keeps its arm64 forms; status false is KVM_IRQ_LINE', () => {
    const sc = parseScenario(JSON.stringify({ arch: 'arm64', steps: [{ op: 'irq_line', spi: 40, level: 1 }, { op: 'irq_line', irq: 4, level: 1, status: false }, { op: 'irq_line', irq: 4, level: 1, status: true }] }), 'a.json');
    expect(sc.steps.map((s) => (s.op === 'declared' ? s.kind : s.op))).toEqual(['irq_line', 'irq_line', 'irq_line_status']);
  });

  test('the CLI exits 2 with one line naming the file, step and field, and writes nothing', async () => {
    const f = join(dir, 'bad.json');
    writeFileSync(f, JSON.stringify({ arch: 'x86_64', steps: [{ op: 'create_irqchip' }, { op: 'set_irqchip', chip: 2, data: 'zz' }] }));
    const r = await devrr('record', f, '-o', join(dir, 'bad.devrr'));
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toEqual([expect.stringMatching(/bad\.json: step 1: field "data": must be a hex string/)]);
  });
});

describe('recording and replay', () => {
  test('the header names the new kinds, each needed by replay', () => {
    const t = TraceReader.open(path);
    for (const k of ['create_irqchip', 'get_irqchip', 'set_irqchip', 'get_lapic', 'set_lapic', 'irq_line_status', 'take_interrupt', 'pio']) expect(t.header.kinds![k], k).toBe(KIND_NEEDED);
    t.close();
  });

  test('what the models answered: a level interrupt taken once, remote_irr then refuses the line: -1 (ioapic_set_irq, ioapic_service, kvm_cpu_get_interrupt)', () => {
    const t = TraceReader.open(path);
    const evs = [...t.events()] as unknown as Record<string, unknown>[];
    t.close();
    expect(evs.filter((e) => e.kind === 'irq_line_status').map((e) => e.status)).toEqual([1n, -1n]);
    expect(evs.filter((e) => e.kind === 'take_interrupt').map((e) => e.vector)).toEqual([0x35, -1]);
    expect((evs[SET_IOAPIC]!.data as Uint8Array).length).toBe(216);
    // save_as then "$NAME": the set takes exactly the bytes the get returned.
    expect(evs.find((e) => e.kind === 'set_lapic')!.data).toEqual(evs.find((e) => e.kind === 'get_lapic')!.data);
    expect(evs.filter((e) => e.kind === 'get_lapic').map((e) => e.errno)).toEqual([0, 9]);
  });

  test('replay checks every result: no divergence, and a planted wrong status or byte is found at its event', () => {
    const t = TraceReader.open(path);
    expect(replay(t).divergence).toBeNull();
    const events = [...t.events()].map(({ i: _i, ...ev }) => ev as TraceEvent);
    const header = t.header;
    t.close();
    const plant = (at: number, change: Record<string, unknown>) => {
      const p = join(dir, `planted-${at}.devrr`);
      const w = TraceWriter.create(p, { ...header, checkpointEvery: 0 });
      for (const [i, ev] of events.entries()) w.append(i === at ? ({ ...ev, ...change } as TraceEvent) : ev);
      w.close();
      const r = TraceReader.open(p);
      const d = replay(r).divergence;
      r.close();
      return d;
    };
    expect(plant(STATUS_REFUSED, { status: 1n })).toMatchObject({ event: STATUS_REFUSED, reason: 'result', replayed: { kind: 'irq_line_status', status: -1n } });
    expect(plant(TAKE, { vector: 0x36 })).toMatchObject({ event: TAKE, reason: 'result', replayed: { kind: 'take_interrupt', vector: 0x35 } });
    const got = events[4] as unknown as { data: Uint8Array };
    const wrong = got.data.slice();
    wrong[15] = 0;
    expect(plant(4, { data: wrong })).toMatchObject({ event: 4, reason: 'result', replayed: { kind: 'get_irqchip' } });
  });

  test('expect_data compares leading bytes with xx wildcards, and a miss names the first differing byte', () => {
    const sc = parseScenario(JSON.stringify({ arch: 'x86_64', steps: [
      { op: 'create_irqchip' },
      { op: 'get_irqchip', chip: 1, expect_data: 'xx' },
      { op: 'get_irqchip', chip: 1, expect_data: '000000000000000000000000000000df' },
      { op: 'get_irqchip', chip: 1, expect_data: '00'.repeat(17) },
      { op: 'create_vcpu', id: 0 },
      { op: 'get_lapic', vcpu: 0, expect_data: `${'xx'.repeat(0xf0)}ff` },
      { op: 'get_lapic', vcpu: 1, expect_data: '00' },
    ] }), 'd.json');
    const r = recordScenario(sc, { append: () => {}, checkpoint: () => {} });
    expect(r.misses.map((m) => m.message)).toEqual([
      'step 2 get_irqchip: expected data 000000000000000000000000000000df, got 000000000000000000000000000000de (byte 15: expected 0xdf, got 0xde)',
      `step 3 get_irqchip: expected at least 17 bytes (${'00'.repeat(17)}), got 16: 000000000000000000000000000000de`,
      'step 6 get_lapic: expected data 00, got EBADF',
    ]);
  });
});

describe('dump', () => {
  test("ports and payloads are named by the family's describePio and describePayload; --json adds them beside the hex", () => {
    const t = TraceReader.open(path);
    const backend = MODELS.create();
    const lines: string[] = [];
    const json: Record<string, unknown>[] = [];
    for (const ev of t.events()) {
      const { i, ...plain } = ev;
      lines.push(describeEvent(plain as TraceEvent, pointIn(MODELS, backend)));
      json.push(eventToJson(plain as TraceEvent, i, pointIn(MODELS, backend)));
      backend.execute(plain as TraceEvent);
    }
    t.close();
    expect(lines[1]).toBe('create_irqchip');
    expect(lines[3]).toBe('create_irqchip -> EEXIST');
    expect(lines[4]).toBe('get_irqchip PIC_MASTER -> 16 bytes [last_irr=0x0 irr=0x0 imr=0x0 isr=0x0 priority_add=0x0 irq_base=0x0 read_reg_select=0x0 poll=0x0 special_mask=0x0 init_state=0x0 auto_eoi=0x0 rotate_on_auto_eoi=0x0 special_fully_nested_mode=0x0 init4=0x0 elcr=0x0 elcr_mask=0xf8]');
    expect(lines[SET_IOAPIC]).toBe('set_irqchip IOAPIC <- 216 bytes [base=0xfec00000 ioregsel=0x0 id=0 irr=0x0 pin17{vector=0x35 dm=0 physical dest=0 level}]');
    expect(lines[STATUS_REFUSED]).toBe('irq_line_status irq=17 level=1 -> status -1 (not delivered: masked, no route, or remote_irr set)  # remote_irr set: not delivered');
    expect(lines[TAKE]).toBe('take_interrupt vcpu 0 -> vector 0x35');
    expect(lines[TAKE + 1]).toBe('take_interrupt vcpu 0 -> none (-1)');
    expect(lines[TAKE + 2]).toMatch(/^get_irqchip IOAPIC -> 216 bytes \[.*pin17\{vector=0x35 dm=0 physical dest=0 level remote_irr\}\]$/);
    expect(lines[PIO_OUT]).toBe('pio vcpu 0 out PIC_DATA port 0x21/1 <- 0xeb');
    expect(lines[7]).toMatch(/^get_lapic vcpu 0 -> 1024 bytes \[id=0 svr=0xff /);
    expect(lines[18]).toBe('get_lapic vcpu 7 -> EBADF');
    expect(json[PIO_OUT]).toMatchObject({ kind: 'pio', port: 0x21, reg: 'PIC_DATA' });
    expect(json[SET_IOAPIC]).toMatchObject({ kind: 'set_irqchip', chip: 2, chip_name: 'IOAPIC', decoded: expect.stringContaining('pin17{vector=0x35') });
    expect(json[STATUS_REFUSED]).toMatchObject({ kind: 'irq_line_status', irq: 17, status: '-0x1' });
  });
});

describe('migrate-check on an x86 trace (KVM_CREATE_IRQCHIP before the vcpus; chips and LAPICs by get/set)', () => {
  test('every point passes, and the remote_irr a level interrupt left crosses', () => {
    const t = TraceReader.open(path);
    const r = migrateCheck(t, 1);
    t.close();
    expect(r.failures).toEqual([]);
    expect(r.points.length).toBeGreaterThanOrEqual(8);
  });
});

describe('a recorded x86 migration (a second VM restored by set_irqchip and set_lapic)', () => {
  const SAVE_RESTORE = [
    { op: 'create_irqchip' },
    { op: 'create_vcpu', id: 0 },
    { op: 'mmio', vcpu: 0, dir: 'write', addr: '0xfee000f0', len: 4, value: '0x1ff' },
    { op: 'pio', vcpu: 0, dir: 'out', port: '0x21', len: 1, value: '0xeb' },
    { op: 'get_irqchip', chip: 0, save_as: 'M' },
    { op: 'get_irqchip', chip: 1, save_as: 'S' },
    { op: 'get_irqchip', chip: 2, save_as: 'IO' },
    { op: 'get_lapic', vcpu: 0, save_as: 'L' },
    { op: 'create_vm', as: 'dst' },
    { op: 'create_irqchip', vm: 'dst' },
    { op: 'create_vcpu', id: 0, vm: 'dst' },
    { op: 'set_irqchip', chip: 0, data: '$M', vm: 'dst' },
    { op: 'set_irqchip', chip: 1, data: '$S', vm: 'dst' },
    { op: 'set_irqchip', chip: 2, data: '$IO', vm: 'dst' },
  ];
  const check = (last: object) => {
    const p = join(dir, `recorded-${JSON.stringify(last).length}.devrr`);
    const sc = parseScenario(JSON.stringify({ arch: 'x86_64', steps: [...SAVE_RESTORE, last] }), 'mig.json');
    const w = TraceWriter.create(p, traceHeader(sc, 0));
    expect(recordScenario(sc, w).misses).toEqual([]);
    w.close();
    const t = TraceReader.open(p);
    const r = migrateCheck(t, 4);
    t.close();
    return r;
  };

  test('is found and checked: the saved bytes restored give the same state', () => {
    const r = check({ op: 'set_lapic', vcpu: 0, data: '$L', vm: 'dst' });
    expect(r.recorded).toEqual({ save: 8, restore: 15 });
    expect(r.failures).toEqual([]);
  });

  test('a LAPIC restored from other bytes is a failure naming the fields that did not cross', () => {
    const r = check({ op: 'set_lapic', vcpu: 0, data: '00', vm: 'dst' });
    const f = r.failures.find((x) => x.kind === 'recorded')!;
    expect(f.event).toBe(15);
    expect(f.fields.map((x) => x.path)).toEqual(expect.arrayContaining(['irqchip.lapic[0].svr', 'irqchip.lapic[0].lvt_lint0']));
  });
});
