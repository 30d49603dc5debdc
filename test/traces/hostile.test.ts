/**
 * Hostile traces that are well framed (valid CRCs) but whose content would
 * make the tools allocate without bound, crash or go silently wrong
 * (issue 9, items 5-8). Each test holds the input that found the problem.
 * The CLI side of the same inputs is test/cli/hostile.test.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkCheckpoint, modelMismatches, openTrace } from '../../bin/open-trace.js';
import { digestState } from '../../devices/core/state.js';
import { checkSessionState } from '../../devices/core/vm-state.js';
import { DEVICE_MODELS, modelVersions } from '../../devices/registry.js';

/** The running VGIC v2 model's version, which the notes name. */
const V2 = modelVersions()['kvm-arm-vgic-v2'];
import { Session } from '../../recorder/execute.js';
import { TraceError } from '../../traces/errors.js';
import type { TraceEvent } from '../../traces/events.js';
import {
  KIND_NEEDED,
  kindFlags,
  MAX_DECODE_OVERHEAD,
  MAX_MEM_READ,
  MAX_NOTE_BYTES,
  MAX_VMS,
  decodeValue,
  encodeValue,
  msgpackProblem,
  frameRecord,
  RecordType,
  headerMap,
  FORMAT_VERSION,
  REQUIRED_READER,
} from '../../traces/format.js';
import { TraceReader } from '../../traces/reader.js';
import { TraceWriter } from '../../traces/writer.js';
import { runScenario } from '../helpers.js';
import { tempDir } from '../tmp.js';
import { CREATE_VM, HEADER, checkpoint, chunk, chunkMap, chunks, fileIn, headerBytes, traceBytes } from './craft.js';

const dir = tempDir();
const file = (name: string, bytes: Uint8Array): string => fileIn(dir, name, bytes);

/** The TraceError `f` throws; fails the test if it throws anything else or nothing. */
function traceError(f: () => unknown): TraceError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TraceError);
    return e as TraceError;
  }
  throw new Error('expected a TraceError');
}

/** Open through the reader with devrr's checkpoint check, and read every record. */
function verifyFile(path: string): void {
  const r = TraceReader.open(path, { checkCheckpoint });
  try {
    r.verify();
  } finally {
    r.close();
  }
}

const VCPU: TraceEvent = { kind: 'create_vcpu', vm: 0, id: 0, errno: 0 };
const GIC: TraceEvent = { kind: 'create_device', vm: 0, type: 5, flags: 0, errno: 0, handle: 0 };
const BASE: TraceEvent[] = [CREATE_VM, VCPU, GIC];

/** The models' state after BASE: one arm64 VM, one vcpu, a VGIC v2. */
function baseState(): { vms: unknown[] } {
  const s = new Session();
  for (const ev of BASE) s.execute(ev);
  return s.snapshot() as { vms: unknown[] };
}

/** Where the first record starts in a file crafted with the default header. */
const FIRST = headerBytes().length;

describe('item 5: sizes and counts from a trace are bounded before anything is allocated', () => {
  for (const len of [2 ** 30, 2 ** 32 - 1]) {
    it(`a mem_read whose len is ${len} (the models would allocate it) is refused at its chunk`, () => {
      const path = file('mem-read-len', traceBytes([chunk(0, [CREATE_VM, { kind: 'mem_read', vm: 0, addr: 0, len, data: new Uint8Array(0), errno: 0 }])]));
      const r = TraceReader.open(path);
      const e = traceError(() => r.readChunk(0));
      expect([e.code, e.offset]).toEqual(['malformed', FIRST]);
      expect(e.what).toBe(`event chunk: shape 1 (mem_read) len ${len} is over the ${MAX_MEM_READ}-byte limit`);
      r.close();
    });
  }

  it('the writer refuses a mem_read the reader would refuse', () => {
    const w = TraceWriter.create(`${dir}/w-mem-read.devrr`, HEADER);
    w.append(CREATE_VM);
    expect(() => w.append({ kind: 'mem_read', vm: 0, addr: 0, len: MAX_MEM_READ + 1, data: new Uint8Array(0), errno: 0 })).toThrow(TypeError);
    w.append({ kind: 'mem_read', vm: 0, addr: 0, len: MAX_MEM_READ, data: new Uint8Array(0), errno: 0 });
    w.close();
    verifyFile(`${dir}/w-mem-read.devrr`);
  });

  it('a trace of 1.5M repeated create_vm events (a few KB: its columns compress) is refused at the second one, before any VM is made', () => {
    const bytes = traceBytes(chunks(0, Array.from({ length: 1_500_000 }, () => CREATE_VM)));
    expect(bytes.length).toBeLessThan(100_000);
    const r = TraceReader.open(file('create-vm-storm', bytes));
    expect(r.eventCount).toBe(1_500_000);
    const e = traceError(() => r.verify());
    expect([e.code, e.offset]).toEqual(['malformed', FIRST]);
    expect(e.what).toBe('event chunk: event 1 (create_vm) names its new VM 0, but it is VM 1 of the trace (VMs are numbered in creation order)');
    r.close();
  });

  it(`VMs numbered in order, one past ${MAX_VMS}: the trace holds at most ${MAX_VMS}`, () => {
    const events = Array.from({ length: MAX_VMS + 1 }, (_, vm): TraceEvent => ({ ...CREATE_VM, vm }));
    const r = TraceReader.open(file('17-vms', traceBytes([chunk(0, events)])));
    expect(traceError(() => r.readChunk(0)).what).toBe(`event chunk: event ${MAX_VMS} (create_vm) creates VM ${MAX_VMS}: a trace holds at most ${MAX_VMS} VMs`);
    r.close();
    const ok = TraceReader.open(file('16-vms', traceBytes([chunk(0, events.slice(0, MAX_VMS))])));
    ok.verify();
    ok.close();
  });

  it('more than 256 create_device events in one VM (each a device the models would make) are refused', () => {
    const its: TraceEvent = { kind: 'create_device', vm: 0, type: 8, flags: 0, errno: 0, handle: 0 };
    const r = TraceReader.open(file('its-storm', traceBytes([chunk(0, [CREATE_VM, ...Array.from({ length: 257 }, () => its)])])));
    expect(traceError(() => r.readChunk(0)).what).toBe("event chunk: event 257 (create_device) is VM 0's create_device number 257: a VM may have at most 256");
    r.close();
  });

  it('the limit holds across chunks, read in any order', () => {
    const its: TraceEvent = { kind: 'create_device', vm: 0, type: 8, flags: 0, errno: 0, handle: 0 };
    const parts = [chunk(0, [CREATE_VM, ...Array.from({ length: 200 }, () => its)]), chunk(201, Array.from({ length: 57 }, () => its))];
    const r = TraceReader.open(file('its-2-chunks', traceBytes(parts)));
    // Reading the second chunk first reads the first one to know what it created.
    expect(traceError(() => r.readChunk(1)).what).toMatch(/event 257 \(create_device\) is VM 0's create_device number 257/);
    expect(r.readChunk(0).count).toBe(201);
    r.close();
  });

  it('a footer declaring an array of 120M empty maps in a few hundred bytes is refused before msgpack allocates it', () => {
    const good = traceBytes([chunk(0, BASE)]);
    // Replace the footer's payload: {events: 3, chunks: <array32 of 120M>, ...} with a few real bytes.
    const footerAt = Number(good.readBigUInt64LE(good.length - 16));
    const payload = Buffer.concat([Buffer.from([0x83, 0xa6]), Buffer.from('events'), Buffer.from([0x03, 0xa6]), Buffer.from('chunks'), Buffer.from([0xdd, 0x07, 0x27, 0x0e, 0x00]), Buffer.alloc(200, 0x80)]);
    const footer = frameRecord(RecordType.Footer, payload);
    const trailer = Buffer.from(good.subarray(good.length - 16));
    const path = file('footer-120m', Buffer.concat([good.subarray(0, footerAt), footer, trailer]));
    // A small file: the header (whose kinds map names every kind devrr knows) and the forged footer.
    expect(readFileSync(path).length).toBeLessThan(1600);
    const r = TraceReader.open(path);
    expect(r.complete).toBe(false);
    expect(r.unclosed).toBe(false);
    expect([r.damage!.code, r.damage!.offset]).toEqual(['malformed', footerAt]);
    expect(r.damage!.what).toMatch(/footer: payload is not valid msgpack \(msgpack container at byte \d+ declares 120000000 values but only 200 bytes remain\)/);
    r.close();
  });

  it('a footer whose index outnumbers the records the file could hold is refused before it is walked', () => {
    const path = file('footer-100k', traceBytes([chunk(0, BASE), checkpoint(3, baseState())], {
      footer: (m) => ({ ...m, checkpoints: Array.from({ length: 100_000 }, () => (m['checkpoints'] as unknown[])[0]) }),
    }));
    const r = TraceReader.open(path);
    expect(r.complete).toBe(false);
    expect(r.damage!.what).toMatch(/^footer: 1 chunk and 100000 checkpoint entries, but the \d+ bytes of records hold at most \d+ records$/);
    r.close();
  });

  it('a footer listing one checkpoint record twice is refused (index entries are records in file order)', () => {
    const path = file('footer-twice', traceBytes([chunk(0, BASE), checkpoint(3, baseState())], {
      footer: (m) => ({ ...m, checkpoints: [(m['checkpoints'] as unknown[])[0], (m['checkpoints'] as unknown[])[0]] }),
    }));
    const r = TraceReader.open(path);
    expect(r.damage!.what).toMatch(/^footer: checkpoint 1 offset is not an increasing byte offset/);
    r.close();
  });

  it('msgpack is walked before it is decoded: declared lengths, nesting and the memory it would take', () => {
    expect(msgpackProblem(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff, 0x80]))).toBe('msgpack container at byte 0 declares 4294967295 values but only 1 bytes remain');
    expect(msgpackProblem(Buffer.from([0xc6, 0xff, 0xff, 0xff, 0xff]))).toBe('msgpack value at byte 0 needs 4294967295 bytes but only 0 remain');
    expect(msgpackProblem(Buffer.alloc(300, 0x91))).toMatch(/^msgpack nesting deeper than 260 levels/);
    expect(msgpackProblem(Buffer.from([0x92, 0x91, 0x01]))).toBe('msgpack ends inside a value at byte 3 of 3');
    expect(msgpackProblem(Buffer.from([0xcd, 0x01]))).toBe('msgpack value at byte 0 needs 2 bytes but only 1 remain');
    expect(msgpackProblem(Buffer.from([0x01, 0x02]))).toBe('msgpack value ends at byte 1 but the payload has 2 bytes');
    expect(msgpackProblem(Buffer.from([0xc1]))).toBe('msgpack type byte 0xc1 at byte 0 is not valid');
    // A million empty maps: 1 MB of bytes, but tens of MB of objects.
    const maps = Buffer.concat([Buffer.from([0xdd, 0x00, 0x0f, 0x42, 0x40]), Buffer.alloc(1_000_000, 0x80)]);
    expect(msgpackProblem(maps)).toMatch(new RegExp(`^msgpack value would take more than ${2 * maps.length + MAX_DECODE_OVERHEAD} bytes of memory to decode \\(at byte \\d+\\)$`));
    expect(() => decodeValue(maps)).toThrow(RangeError);
    // What the codec writes passes.
    const state = { vms: [baseState().vms[0], { a: [1n, 'x', null, undefined, new Uint16Array(3)] }] };
    expect(msgpackProblem(encodeValue(state))).toBeUndefined();
  });

  it(`a note over ${MAX_NOTE_BYTES} bytes is refused by the reader and the writer`, () => {
    const note = 'x'.repeat(MAX_NOTE_BYTES);
    const r = TraceReader.open(file('big-note', traceBytes([chunk(0, [{ ...CREATE_VM, note }])])));
    expect(traceError(() => r.readChunk(0)).what).toBe(`event chunk: shape 0 (create_vm) note of ${MAX_NOTE_BYTES + 5} bytes is over the ${MAX_NOTE_BYTES}-byte limit`);
    r.close();
    const w = TraceWriter.create(`${dir}/w-note.devrr`, HEADER);
    expect(() => w.append({ ...CREATE_VM, note })).toThrow(/note of \d+ bytes is over/);
    w.abort();
  });
});

describe('item 6: well-framed but inconsistent content is malformed, with its offset', () => {
  it('an event for a VM that was never created', () => {
    const r = TraceReader.open(file('no-vm-1', traceBytes([chunk(0, [CREATE_VM, { kind: 'irq_line', vm: 1, irq: 33, level: 1, errno: 0 }])])));
    const e = traceError(() => r.readChunk(0));
    expect([e.code, e.offset, e.what]).toEqual(['malformed', FIRST, 'event chunk: event 1 (irq_line) is for VM 1, which no earlier create_vm created (VMs 0..0 exist)']);
    r.close();
    const none = TraceReader.open(file('no-vm-0', traceBytes([chunk(0, [VCPU])])));
    expect(traceError(() => none.readChunk(0)).what).toBe('event chunk: event 0 (create_vcpu) is for VM 0, which no earlier create_vm created (none did)');
    none.close();
  });

  it('the scan of an unclosed file applies the same rule, and recovers what precedes it', () => {
    const r = TraceReader.open(file('no-vm-scan', traceBytes([chunk(0, BASE), chunk(3, [{ kind: 'run_vcpu', vm: 2, vcpu: 0, errno: 0 }])], { footer: false })));
    expect([r.eventCount, r.unclosed, r.damage!.code]).toEqual([3, false, 'malformed']);
    expect(r.damage!.what).toMatch(/event 3 \(run_vcpu\) is for VM 2/);
    r.close();
  });

  const shapes: [string, unknown, RegExp][] = [
    ['null', null, /state does not fit the models: state is not an object/],
    ['a number', 5, /state is not an object/],
    ['vms not an array', { vms: 7 }, /vms is not an array/],
    ['a VM that is null', { vms: [null] }, /vms\[0\] is not an object/],
    ['an unknown field', { vms: [], extra: 1 }, /state has unknown field "extra"/],
  ];
  for (const [what, state, message] of shapes) {
    it(`checkpoint state that is ${what}`, () => {
      const e = traceError(() => verifyFile(file('cp-shape', traceBytes([chunk(0, BASE), checkpoint(3, state)]))));
      expect(e.code).toBe('malformed');
      expect(e.offset).toBeGreaterThan(FIRST);
      expect(e.what).toMatch(/^checkpoint for event 3: /);
      expect(e.what).toMatch(message);
    });
  }

  it('checkpoint state against the schema: every field, and the relations the models rely on', () => {
    const good = baseState();
    const vm = good.vms[0] as Record<string, unknown>;
    const gic = ((vm['devices'] as { state: Record<string, unknown> }[])[0]!).state;
    const bad = (f: (s: ReturnType<typeof structuredClone<typeof good>>) => void): string | undefined => {
      const s = structuredClone(good);
      f(s);
      return checkSessionState(s, DEVICE_MODELS);
    };
    type Vm = Record<string, any>;
    expect(checkSessionState(good, DEVICE_MODELS)).toBeUndefined();
    expect(gic['model']).toBe(5);
    expect(bad((s) => ((s.vms[0] as Vm).arch = 'vax'))).toMatch(/vms\[0\]\.arch is not one of/);
    expect(bad((s) => ((s.vms[0] as Vm).vcpus = [{ id: 0, ran: false }, { id: 0, ran: false }]))).toMatch(/vms\[0\]\.vcpus\[1\]\.id 0 is used twice/);
    expect(bad((s) => (s.vms[0] as Vm).vcpus.push({ id: 1, ran: false }))).toMatch(/devices\[0\]\.state\.cpus has 1 elements, not 2/);
    expect(bad((s) => ((s.vms[0] as Vm).irqchip = -1))).toMatch(/irqchip is -1, but the irqchip device is handle 0/);
    expect(bad((s) => ((s.vms[0] as Vm).devices[0].type = 99))).toMatch(/devices\[0\]\.type 99 is not a device type/);
    expect(bad((s) => ((s.vms[0] as Vm).devices[0].state.cpus = null))).toMatch(/cpus is not an array/);
    expect(bad((s) => ((s.vms[0] as Vm).devices[0].state.cpus[0].priv.enabled = new Uint8Array(1)))).toMatch(/priv\.enabled is not a Uint32Array/);
    expect(bad((s) => ((s.vms[0] as Vm).devices[0].state.cpus[0].priv.priority = new Uint8Array(31)))).toMatch(/priv\.priority and .* must have 32 entries/);
    expect(bad((s) => ((s.vms[0] as Vm).devices[0].state.spi.count = 120_000_000))).toMatch(/spi\.count is not an integer in 0\.\.1024/);
    expect(bad((s) => ((s.vms[0] as Vm).devices[0].state.nrSpis = 64))).toBeUndefined(); // not initialised: nr_spis may be set
    expect(bad((s) => ((s.vms[0] as Vm).devices[0].state.initialized = true))).toMatch(/spi covers 0 INTIDs, not 32/);
    expect(bad((s) => ((s.vms[0] as Vm).mem = { pages: { '1': new Uint8Array(10) } }))).toMatch(/mem\.pages\[1\] has 10 elements, not 4096/);
    expect(bad((s) => ((s.vms[0] as Vm).mem = { pages: { [2 ** 28]: new Uint8Array(4096) } }))).toMatch(/beyond the 40-bit IPA space/);
    expect(bad((s) => ((s.vms[0] as Vm).mem = { pages: { x: new Uint8Array(4096) } }))).toMatch(/has key "x"/);
  });

  it('the schema accepts every state the models reach in the example scenarios, after a trip through the codec', () => {
    let states = 0;
    for (const name of ['vgic-v2-bringup', 'vgic-v2-level-spi-storm', 'vgic-v3-bringup', 'vgic-v3-its-msi', 'vgic-v3-its-migration', 'sgi-never-arrives']) {
      const doc = JSON.parse(readFileSync(`traces/examples/${name}/${name}.json`, 'utf8'));
      for (const cp of runScenario(doc, { checkpointEvery: 1 }).checkpoints) {
        const back = decodeValue(encodeValue(cp.state));
        expect(checkSessionState(back, DEVICE_MODELS), `${name} event ${cp.event}`).toBeUndefined();
        expect(digestState(back)).toBe(cp.digest);
        states++;
      }
    }
    expect(states).toBeGreaterThan(500);
  });

  it('a VGIC v3 with ITS: LPIs and the ITEs that map them must agree', () => {
    const doc = JSON.parse(readFileSync('traces/examples/vgic-v3-its-msi/vgic-v3-its-msi.json', 'utf8'));
    const cps = runScenario(doc, { checkpointEvery: 1 }).checkpoints;
    const last = structuredClone(cps[cps.length - 1]!.state) as { vms: Record<string, any>[] };
    const v3 = last.vms[0]!.devices.find((d: { type: number }) => d.type === 7).state;
    expect(v3.lpis.length).toBeGreaterThan(0);
    v3.lpis[0].refs++;
    expect(checkSessionState(last, DEVICE_MODELS)).toMatch(/lpis\[0\]\.refs is 2 but 1 ITEs map LPI/);
    v3.lpis.pop();
    expect(checkSessionState(last, DEVICE_MODELS)).toMatch(/maps LPI \d+, which vms\[0\]\.devices\[\d+\]\.state\.lpis does not hold/);
  });

  it("a checkpoint's state must hold the VMs the events before it created", () => {
    const e = traceError(() => verifyFile(file('cp-vms', traceBytes([chunk(0, BASE), checkpoint(3, { vms: [] })]))));
    expect(e.what).toBe('checkpoint for event 3: state holds 0 VM(s) but the events before it created 1');
    const arch = structuredClone(baseState());
    (arch.vms[0] as Record<string, unknown>)['ipaBits'] = 44;
    expect(traceError(() => verifyFile(file('cp-ipa', traceBytes([chunk(0, BASE), checkpoint(3, arch)])))).what).toMatch(/state's VM 0 is arm64 with 44 IPA bits but its create_vm made arm64 with 40/);
  });

  it('a checkpoint at event 0 with a bad digest', () => {
    const path = file('cp0-digest', traceBytes([checkpoint(0, { vms: [] }, 'not-the-digest'), chunk(0, BASE), checkpoint(3, baseState())]));
    const e = traceError(() => verifyFile(path));
    expect([e.code, e.offset]).toEqual(['malformed', FIRST]);
    expect(e.what).toBe(`checkpoint for event 0: state does not match its digest (it hashes to ${digestState({ vms: [] })}, the record says not-the-digest)`);
    // Its own digest but not the empty state: no VM exists before event 0.
    expect(traceError(() => verifyFile(file('cp0-state', traceBytes([checkpoint(0, baseState()), chunk(0, BASE)])))).what).toMatch(/state holds 1 VM\(s\) but the events before it created 0/);
  });

  it('a recorded digest with a line break is quoted escaped, so the message stays one line (fuzz: checkpoint, seed 20250901, input 52210)', () => {
    const e = traceError(() => verifyFile(file('cp0-digest-nl', traceBytes([checkpoint(0, { vms: [] }, '87ca6d\n53d2dd'), chunk(0, BASE)]))));
    expect(e.message).not.toMatch(/\n/);
    expect(e.what).toBe(`checkpoint for event 0: state does not match its digest (it hashes to ${digestState({ vms: [] })}, the record says "87ca6d\\n53d2dd")`);
  });

  it('a checkpoint in the middle of a chunk is checked against the VMs created so far', () => {
    const two: TraceEvent[] = [CREATE_VM, { ...CREATE_VM, vm: 1 }];
    const s = new Session();
    s.execute(CREATE_VM);
    // The writer never puts one there, but the format allows it: the state after event 1 has one VM.
    const path = file('cp-mid', traceBytes([chunk(0, two), checkpoint(1, s.snapshot())]));
    verifyFile(path);
  });
});

describe('item 7: damage anywhere is found by reading the whole trace once', () => {
  // A small checkpoint (one VM, no devices yet), so that flipping each of its bits stays quick.
  const first = new Session();
  first.execute(CREATE_VM);
  const good = traceBytes([chunk(0, [CREATE_VM]), checkpoint(1, first.snapshot()), chunk(1, [VCPU, GIC, { kind: 'run_vcpu', vm: 0, vcpu: 0, errno: 0 }])]);
  const r0 = TraceReader.open(file('good', good));
  const cpAt = r0.checkpoints[0]!.offset;
  const cpEnd = r0.chunks[1]!.offset;
  r0.close();

  it(`every single-bit flip inside a checkpoint record (${(cpEnd - cpAt) * 8} of them) is damage at that record`, () => {
    verifyFile(file('good', good));
    const path = `${dir}/cp-flip.devrr`;
    for (let bit = 0; bit < (cpEnd - cpAt) * 8; bit++) {
      const bytes = Buffer.from(good);
      bytes[cpAt + (bit >> 3)]! ^= 1 << (bit & 7);
      writeFileSync(path, bytes);
      let e: unknown;
      try {
        openTrace(path).close();
      } catch (err) {
        e = err;
      }
      expect(e, `bit ${bit}`).toBeInstanceOf(TraceError);
      expect((e as TraceError).offset, `bit ${bit}: ${(e as TraceError).message}`).toBe(cpAt);
    }
  });

  it('a bad CRC in the middle of a closed trace stops verify at that record', () => {
    const bytes = Buffer.from(good);
    bytes[cpEnd + 20]! ^= 0x10;
    const r = TraceReader.open(file('mid-crc', bytes));
    expect(r.complete).toBe(true); // the footer is intact
    const e = traceError(() => r.verify());
    expect([e.code, e.offset]).toEqual(['bad-crc', cpEnd]);
    r.close();
  });

  it('a record the footer does not list, and an index entry inside a record, are malformed', () => {
    const extra = traceBytes([chunk(0, [CREATE_VM]), checkpoint(1, first.snapshot()), chunk(1, [VCPU, GIC, { kind: 'run_vcpu', vm: 0, vcpu: 0, errno: 0 }])], {
      footer: (m) => ({ ...m, checkpoints: [] }),
    });
    const e = traceError(() => verifyFile(file('unlisted', extra)));
    expect([e.code, e.offset, e.what]).toEqual(['malformed', cpAt, "checkpoint record is not in the footer's index"]);
    const inside = traceBytes([chunk(0, [CREATE_VM]), checkpoint(1, first.snapshot())], {
      footer: (m) => ({ ...m, checkpoints: [{ ...(m['checkpoints'] as Record<string, unknown>[])[0], offset: cpAt + 3 }] }),
    });
    const e2 = traceError(() => verifyFile(file('inside', inside)));
    expect(e2.code).toBe('malformed');
  });

  it('a file cut at a record boundary is unclosed; cut inside a record it is damaged', () => {
    const cut = TraceReader.open(file('cut-boundary', good.subarray(0, cpEnd)));
    expect([cut.complete, cut.unclosed, cut.eventCount, cut.footerEvents]).toEqual([false, true, 1, undefined]);
    cut.verify();
    cut.close();
    const inside = TraceReader.open(file('cut-inside', good.subarray(0, cpEnd + 5)));
    expect([inside.complete, inside.unclosed, inside.damage!.code]).toEqual([false, false, 'truncated']);
    inside.close();
    const trailer = TraceReader.open(file('cut-trailer', good.subarray(0, good.length - 3)));
    expect([trailer.complete, trailer.unclosed, trailer.eventCount, trailer.footerEvents]).toEqual([false, true, 4, 4]);
    trailer.close();
  });
});

describe('item 8: model versions', () => {
  it('names every model the header gives another version, or that this devrr does not have', () => {
    const h = { ...HEADER, formatVersion: FORMAT_VERSION, requiredReader: REQUIRED_READER };
    expect(modelMismatches(h)).toEqual([]);
    expect(modelMismatches({ ...h, models: { ...h.models, 'kvm-arm-vgic-v2': 999, 'kvm-riscv-aia': 1 } })).toEqual([`kvm-arm-vgic-v2 v999 (this devrr: v${V2})`, 'kvm-riscv-aia v1 (not modelled by this devrr)']);
    expect(Object.keys(headerMap(h).models as object)).toEqual(Object.keys(h.models).sort());
  });
});

describe('event kinds this devrr does not know (format 1.2: declared in the header)', () => {
  const kinds = { ...kindFlags(['create_vm', 'irq_line', 'pio']), zap: KIND_NEEDED };
  const IRQ: TraceEvent = { kind: 'irq_line', vm: 0, irq: 1, level: 1, errno: 0 };
  /** A chunk of create_vm, a zap event owning `words` value words, an irq_line. */
  const zapChunk = (zap: Record<string, unknown>, words: number, extra: Record<string, unknown> = {}) => {
    const vals = Buffer.from(new Uint32Array(Array.from({ length: words }, (_, k) => 0xdead0000 + k)).buffer);
    const s = [CREATE_VM, zap, IRQ];
    return chunk(0, [], { f: 0, n: 3, s, w: Buffer.from([0, words, 0]), m: words, z: deflateRawSync(Buffer.concat([vals, Buffer.from([0, 1, 2])])), ...extra });
  };
  const open = (name: string, part: ReturnType<typeof chunk>, k: Record<string, number> = kinds) => TraceReader.open(file(name, traceBytes([part], { header: { kinds: k } })));

  it('are read by name: their fields as they are, their value words skipped, the stream rules still applied', () => {
    const r = open('zap', zapChunk({ kind: 'zap', vm: 0, beam: 7n, target: 'moon', note: 'pew' }, 2));
    expect(r.header.kinds).toMatchObject({ zap: KIND_NEEDED });
    r.verify();
    expect([...r.events()].map(({ i: _i, ...ev }) => ev)).toStrictEqual([CREATE_VM, { kind: 'zap', vm: 0, beam: 7n, target: 'moon', note: 'pew' }, IRQ]);
    r.close();
  });

  it('an undeclared kind is malformed, and so is a declared one that breaks the rules every shape keeps', () => {
    const bad = (name: string, part: ReturnType<typeof chunk>, message: RegExp, k?: Record<string, number>) => {
      const r = open(name, part, k);
      expect(traceError(() => r.verify()).what).toMatch(message);
      r.close();
    };
    bad('undeclared', zapChunk({ kind: 'zap', vm: 0 }, 0), /shape 1 has kind "zap", which the header's kinds do not declare/, kindFlags(['create_vm', 'irq_line']));
    bad('zap-3-words', zapChunk({ kind: 'zap', vm: 0 }, 3), /w: shape 1 \(zap\) owns 3 value words; at most 2/);
    bad('zap-vm', zapChunk({ kind: 'zap', vm: -1 }, 0), /shape 1 \(zap\) field vm is not an integer in 0\.\.2\^32-1/);
    bad('zap-vm-missing', zapChunk({ kind: 'zap', vm: 3 }, 0), /event 1 \(zap\) is for VM 3, which no earlier create_vm created/);
    bad('zap-note', zapChunk({ kind: 'zap', vm: 0, note: 'x'.repeat(70_000) }, 0), /\(zap\) note of \d+ bytes is over the 65536-byte limit/);
    bad('zap-words-short', zapChunk({ kind: 'zap', vm: 0 }, 2, { m: 1 }), /z inflates to more than the 7 bytes 1 value words and 3 1-byte index entries take/);
  });

  it('pio: its value is its len wide, its len 1, 2 or 4, its port 16 bits', () => {
    const pio = { kind: 'pio', vm: 0, vcpu: 0, write: false, port: 0x60, len: 1, value: 0n, exit: true, errno: 0 };
    const bad = (name: string, shape: Record<string, unknown>, word: number, message: RegExp) => {
      const r = open(name, chunk(0, [], { f: 0, n: 3, s: [CREATE_VM, shape, IRQ], w: Buffer.from([0, 1, 0]), m: 1, z: deflateRawSync(Buffer.concat([Buffer.from(new Uint32Array([word]).buffer), Buffer.from([0, 1, 2])])) }));
      expect(traceError(() => r.verify()).what).toMatch(message);
      r.close();
    };
    bad('pio-wide', pio, 0x100, /event 1: value 0x100 does not fit pio len 1/);
    bad('pio-len', { ...pio, len: 8 }, 1, /\(pio\) field len is not 1, 2 or 4/);
    bad('pio-port', { ...pio, port: 0x10000 }, 1, /\(pio\) field port is not an integer in 0\.\.65535/);
    bad('pio-value', { ...pio, value: 1n }, 1, /\(pio\) value is not 0n in the shape/);
    const ok = open('pio-ok', chunk(0, [CREATE_VM, { ...pio, value: 0xabn } as unknown as TraceEvent, IRQ]));
    expect([...ok.events()][1]).toMatchObject({ kind: 'pio', port: 0x60, value: 0xabn, exit: true });
    ok.close();
  });

  it('the writer refuses an event of a kind its header does not declare', () => {
    const path = `${dir}/undeclared-write.devrr`;
    const w = TraceWriter.create(path, { ...HEADER, kinds: kindFlags(['create_vm', 'irq_line']) });
    w.append(CREATE_VM);
    expect(() => w.append({ kind: 'mmio', vm: 0, vcpu: 0, write: true, addr: 0, len: 4, value: 0n, exit: false, errno: 0 })).toThrow(/kind "mmio" is not one of the header's kinds \(create_vm, irq_line\)/);
    w.append(IRQ);
    w.close();
    expect(() => TraceWriter.create(`${dir}/x.devrr`, { ...HEADER, kinds: { teleport: 1 } })).toThrow(/kinds names "teleport", which is no event kind this devrr knows/);
  });
});

describe("the header's origin map (format 1.3): bounded, strings only", () => {
  it('a live trace keeps its origin through a write and a read; a bad origin is a bad header, exit 2 with one line', async () => {
    const { headerMap, parseHeaderMap } = await import('../../traces/format.js');
    const { checkHeaderInit } = await import('../../traces/format.js');
    const h = checkHeaderInit({ devrrVersion: '0.1.0', arch: 'x86_64', ipaBits: 52, models: {}, checkpointEvery: 0, origin: { by: 'live', kernel: '6.18.0', host: 'x86_64' } });
    expect(parseHeaderMap(headerMap(h), 'x', 0).origin).toEqual({ by: 'live', kernel: '6.18.0', host: 'x86_64' });
    expect(() => parseHeaderMap({ ...headerMap(h), origin: 5 }, 'x.devrr', 0)).toThrow(/origin is not a map/);
    expect(() => parseHeaderMap({ ...headerMap(h), origin: { by: 7 } }, 'x.devrr', 0)).toThrow(/origin: "by" is not a string/);
    expect(() => parseHeaderMap({ ...headerMap(h), origin: { by: 'x'.repeat(300) } }, 'x.devrr', 0)).toThrow(/at most 256 characters/);
    expect(() => parseHeaderMap({ ...headerMap(h), origin: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }, 'x.devrr', 0)).toThrow(/at most 16/);
  });
});
