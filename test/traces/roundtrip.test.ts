/**
 * Trace format v1: what goes in comes out, compactly and deterministically.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeChunk } from '../../traces/chunk.js';
import type { TraceEvent } from '../../traces/events.js';
import { FORMAT_VERSION, REQUIRED_READER, kindFlags, type TraceHeaderInit, byteSwapInPlace, decodeValue, encodeValue } from '../../traces/format.js';
import { TraceReader, decodeAll } from '../../traces/reader.js';
import { TraceWriter, type TraceWriterOptions } from '../../traces/writer.js';

const dir = mkdtempSync(join(tmpdir(), 'devrr-trace-rt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let seq = 0;
const tmp = (name: string): string => join(dir, `${seq++}-${name}.devrr`);

const HEADER: TraceHeaderInit = {
  devrrVersion: '0.1.0',
  arch: 'arm64',
  ipaBits: 40,
  models: { 'arm-vgic-v3': 3, 'arm-vgic-v2': 2 },
  checkpointEvery: 4096,
};

function write(name: string, events: readonly TraceEvent[], opts?: TraceWriterOptions, checkpoints: Record<number, unknown> = {}): string {
  const path = tmp(name);
  const w = TraceWriter.create(path, HEADER, opts);
  events.forEach((ev, i) => {
    if (i in checkpoints) w.checkpoint(i, checkpoints[i], `digest-${i}`);
    w.append(ev);
  });
  w.close();
  return path;
}

function readAll(path: string): TraceEvent[] {
  const r = TraceReader.open(path);
  try {
    return [...r.events()].map(({ i: _i, ...ev }) => ev as TraceEvent);
  } finally {
    r.close();
  }
}

/** A deterministic pseudo-random u32 stream. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** A GIC-like guest loop: IAR reads, EOIR writes, ISENABLER/ITARGETSR traffic and IRQ line toggles. */
function mmioIrqStream(n: number, seed = 7): TraceEvent[] {
  const r = rng(seed);
  const out: TraceEvent[] = [{ kind: 'create_vm', vm: 0, arch: 'arm64', ipaBits: 40 }];
  while (out.length < n) {
    const x = r();
    switch (out.length % 4) {
      case 0:
        out.push({ kind: 'irq_line', vm: 0, irq: 32 + (x & 15), level: (x >>> 4) & 1, errno: 0 });
        break;
      case 1:
        out.push({ kind: 'mmio', vm: 0, vcpu: x & 3, write: false, addr: 0x0801000c, len: 4, value: BigInt(x & 0x3ff), exit: false, errno: 0 });
        break;
      case 2:
        out.push({ kind: 'mmio', vm: 0, vcpu: x & 3, write: true, addr: 0x08010010, len: 4, value: BigInt(x & 0x3ff), exit: false, errno: 0 });
        break;
      default:
        out.push({ kind: 'mmio', vm: 0, vcpu: 0, write: true, addr: 0x08000100 + 4 * (x & 7), len: 4, value: BigInt(x), exit: false, errno: 0 });
    }
  }
  return out;
}

const BIG = (1n << 64n) - 1n; // > 2^53, needs all 64 bits

/** One of every event kind, with every optional field both present and absent. */
const EVERY_KIND: TraceEvent[] = [
  { kind: 'create_vm', vm: 0, arch: 'arm64', ipaBits: 40, note: 'boot' },
  { kind: 'create_vcpu', vm: 0, id: 0, errno: 0 },
  { kind: 'create_vcpu', vm: 0, id: 1, errno: 17 },
  { kind: 'create_device', vm: 0, type: 5, flags: 0, errno: 0, handle: 0 },
  { kind: 'create_device', vm: 0, type: 99, flags: 1, errno: 19, handle: -1 },
  { kind: 'set_attr', vm: 0, target: { kind: 'device', handle: 0 }, group: 0, attr: 0n, value: 0x8000000n, errno: 0 },
  { kind: 'set_attr', vm: 0, target: { kind: 'device', handle: 0 }, group: 1, attr: BIG, data: new Uint8Array([1, 2, 3, 255]), errno: 0 },
  { kind: 'get_attr', vm: 0, target: { kind: 'vcpu', id: 1 }, group: 6, attr: 0xc6400000n, value: 0n, errno: 0, outValue: 0xffff_ffff_ffff_fff0n },
  { kind: 'get_attr', vm: 0, target: { kind: 'device', handle: 0 }, group: 8, attr: 1n, data: new Uint8Array(8), errno: 0, outData: new Uint8Array([9, 8, 7]) },
  { kind: 'has_attr', vm: 0, target: { kind: 'vm' }, group: 3, attr: 2n ** 60n + 1n, nullPtr: true, errno: 6 },
  { kind: 'arm_set_device_addr', vm: 0, id: (2n << 32n) | 1n, addr: 0x8000000n, errno: 0 },
  { kind: 'run_vcpu', vm: 0, vcpu: 0, errno: 0, note: { step: 3, tags: ['a', 'b'], nested: { ok: true, none: null } } },
  { kind: 'mmio', vm: 0, vcpu: 0, write: true, addr: 0x8000000, len: 4, value: 1n, exit: false, errno: 0 },
  { kind: 'mmio', vm: 0, vcpu: 1, write: false, addr: 0x8010000, len: 1, value: 0xffn, exit: false, errno: 0 },
  { kind: 'mmio', vm: 0, vcpu: 1, write: false, addr: 0x8010002, len: 2, value: 0xbeefn, exit: true, errno: 0 },
  { kind: 'mmio', vm: 0, vcpu: 0, write: true, addr: 0x80a0000, len: 8, value: 0xdead_beef_0bad_f00dn, exit: false, errno: 0 },
  { kind: 'mmio', vm: 0, vcpu: 0, write: true, addr: 0x80a0000, len: 8, value: BIG, exit: false, errno: 22, note: [1, 'two', null] },
  { kind: 'irq_line', vm: 0, irq: 33, level: 1, errno: 0 },
  { kind: 'irq_line', vm: 0, irq: 33, level: 0, errno: 0, note: 42 },
  { kind: 'enable_cap', vm: 0, vcpu: -1, cap: 123, args: [0n, BIG, 1n << 63n], errno: 0 },
  { kind: 'hcall', vm: 0, vcpu: 0, nr: 0x84000000, args: [1n, 2n], ret: -1n, errno: 0 },
  { kind: 'hcall', vm: 0, vcpu: 0, nr: 0, args: [], ret: -(1n << 63n), errno: 0, note: 'min i64' },
  // Format 1.1 kinds.
  { kind: 'sysreg', vm: 0, vcpu: 1, write: false, reg: 0xc660, value: 8192n, errno: 0 },
  { kind: 'sysreg', vm: 0, vcpu: 0, write: true, reg: 0xc65d, value: (1n << 40n) | 3n, errno: 5, note: 'ICC_SGI1R_EL1' },
  { kind: 'mem_write', vm: 0, addr: 0x40220000, data: new Uint8Array([8, 0, 0, 0, 16, 0, 0, 0]), errno: 0 },
  { kind: 'mem_read', vm: 0, addr: 2 ** 40, len: 4, data: new Uint8Array(0), errno: 14 },
  { kind: 'mem_read', vm: 0, addr: 0x40110400, len: 2, data: new Uint8Array([1, 0]), errno: 0 },
  { kind: 'signal_msi', vm: 0, address: 0x8090040n, data: 3, flags: 1, devid: 0x10, ret: 1, errno: 0 },
  { kind: 'signal_msi', vm: 0, address: BIG, data: 0xffffffff, flags: 2, devid: 0, ret: 0, errno: 22 },
];

describe('events round-trip', () => {
  it('keeps every kind exactly: bigints beyond 2^53, byte arrays, absent optional fields, notes', () => {
    const path = write('every-kind', EVERY_KIND);
    const back = readAll(path);
    expect(back).toStrictEqual(EVERY_KIND);
    // toStrictEqual treats a missing key and an undefined one alike; check absence explicitly.
    const created = back[0]!;
    expect(Object.keys(created)).toEqual(['kind', 'vm', 'arch', 'ipaBits', 'note']);
    expect(Object.keys(back[5]!)).toEqual(['kind', 'vm', 'target', 'group', 'attr', 'value', 'errno']);
    const attr = back[6]!;
    expect(attr.kind === 'set_attr' && attr.data).toBeInstanceOf(Uint8Array);
    expect(attr.kind === 'set_attr' && attr.attr).toBe(BIG);
  });

  it('drops undefined optional fields and fields events.ts does not define', () => {
    const ev = { kind: 'set_attr', vm: 0, target: { kind: 'vm' }, group: 1, attr: 2n, value: undefined, data: undefined, errno: 0, extra: 'x', note: undefined } as unknown as TraceEvent;
    const [, back] = readAll(write('undefined-fields', [{ kind: 'create_vm', vm: 0, arch: 'arm64', ipaBits: 40 }, ev]));
    expect(Object.keys(back!)).toEqual(['kind', 'vm', 'target', 'group', 'attr', 'errno']);
  });

  it('gives each event its trace index and honours [from, to)', () => {
    const events = mmioIrqStream(5000);
    const r = TraceReader.open(write('range', events, { chunkSize: 1000 }));
    const slice = [...r.events(1990, 3010)];
    expect(slice.map((e) => e.i)).toEqual(Array.from({ length: 1020 }, (_, k) => 1990 + k));
    expect(slice.map(({ i: _i, ...ev }) => ev)).toStrictEqual(events.slice(1990, 3010));
    expect([...r.events(4999)].map((e) => e.i)).toEqual([4999]);
    expect([...r.events(5000)]).toEqual([]);
    expect(() => r.events(0, 5001)).toThrow(RangeError);
    expect(() => r.events(-1)).toThrow(RangeError);
    r.close();
  });

  it('refuses events that do not match events.ts, without recording them', () => {
    const w = TraceWriter.create(tmp('refuse'), HEADER);
    const bad: unknown[] = [
      { kind: 'mmio', vm: 0, vcpu: 0, write: true, addr: 0x1000, len: 4, value: 1n << 32n, exit: false, errno: 0 },
      { kind: 'mmio', vm: 0, vcpu: 0, write: true, addr: 0x1000, len: 1, value: -1n, exit: false, errno: 0 },
      { kind: 'mmio', vm: 0, vcpu: 0, write: true, addr: 0x1000, len: 3, value: 1n, exit: false, errno: 0 },
      { kind: 'irq_line', vm: 0, irq: 1, level: 1 },
      { kind: 'set_attr', vm: 0, target: { kind: 'vm' }, group: 1, attr: 1n << 64n, errno: 0 },
      { kind: 'create_vm', vm: 0, arch: 'mips', ipaBits: 40 },
      { kind: 'bogus', vm: 0 },
      { kind: 'run_vcpu', vm: 0, vcpu: 0, errno: 0, note: new Map() },
    ];
    for (const ev of bad) expect(() => w.append(ev as TraceEvent), JSON.stringify(ev, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))).toThrow(TypeError);
    expect(w.eventCount).toBe(0);
    w.append({ kind: 'irq_line', vm: 0, irq: 1, level: 1, errno: 0 });
    expect(w.eventCount).toBe(1);
    w.close();
  });
});

describe('checkpoint state round-trip', () => {
  const STATE = {
    small: 1n,
    zero: 0n,
    u64: BIG,
    i64: -(1n << 63n),
    neg: -5n,
    num: 2 ** 40,
    float: 0.25,
    negInt: -7,
    str: 'GICD_CTLR',
    t: true,
    f: false,
    nil: null,
    undef: undefined,
    arr: [1, 2n, 'x', [new Uint8Array([1])]],
    u8: new Uint8Array([0, 1, 254, 255]),
    u16: new Uint16Array([0, 1, 0xfffe]),
    u32: new Uint32Array([0xdeadbeef, 7]),
    i32: new Int32Array([-1, 0x7fffffff, -0x80000000]),
    buf: Buffer.from('abc'),
    empty: new Uint32Array(0),
    nested: { redist: [{ pending: new Uint32Array(32), typer: 0x100000000n }] },
  };

  it('returns numbers as numbers, bigints (even small ones) as bigints and each typed array as its own class', () => {
    const path = tmp('state');
    const w = TraceWriter.create(path, HEADER);
    w.append({ kind: 'create_vm', vm: 0, arch: 'arm64', ipaBits: 40 });
    w.checkpoint(1, STATE, 'sha256:abc');
    w.close();
    const r = TraceReader.open(path);
    expect(r.checkpoints).toEqual([{ offset: expect.any(Number), event: 1, digest: 'sha256:abc' }]);
    const cp = r.readCheckpoint(0);
    r.close();
    expect(cp.event).toBe(1);
    expect(cp.digest).toBe('sha256:abc');
    expect(cp.state).toStrictEqual(STATE);
    const s = cp.state as typeof STATE;
    expect(typeof s.small).toBe('bigint');
    expect(typeof s.num).toBe('number');
    expect(s.u16.constructor).toBe(Uint16Array);
    expect(s.u32.constructor).toBe(Uint32Array);
    expect(s.i32.constructor).toBe(Int32Array);
    expect(s.u8.constructor).toBe(Uint8Array);
    expect(Object.prototype.hasOwnProperty.call(s, 'undef')).toBe(true);
  });

  it('refuses state that is not plain data', () => {
    const w = TraceWriter.create(tmp('bad-state'), HEADER);
    expect(() => w.checkpoint(0, { m: new Map() }, 'd')).toThrow(/state\.m: Map object is not plain data/);
    expect(() => w.checkpoint(0, { d: new Date(0) }, 'd')).toThrow(TypeError);
    expect(() => w.checkpoint(0, { f: () => 1 }, 'd')).toThrow(TypeError);
    expect(() => w.checkpoint(0, { big: 1n << 64n }, 'd')).toThrow(/does not fit in 64 bits/);
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(() => w.checkpoint(0, cyclic, 'd')).toThrow(/nested deeper/);
    expect(() => w.checkpoint(1, {}, 'd')).toThrow(RangeError); // no event 0 yet
    w.close();
  });

  it('stores multi-byte typed arrays little-endian whatever the host (the big-endian path swaps)', () => {
    const u16 = new Uint16Array([0x0102]);
    const swapped = u16.slice();
    byteSwapInPlace(swapped);
    expect(swapped[0]).toBe(0x0201);
    // Encoding as a big-endian host would swaps on the way out and back in.
    const bytes = encodeValue({ u16, u32: new Uint32Array([0x01020304]) }, true);
    expect(decodeValue(bytes, true)).toStrictEqual({ u16, u32: new Uint32Array([0x01020304]) });
    expect((decodeValue(bytes, false) as { u16: Uint16Array }).u16[0]).toBe(0x0201);
    expect(u16[0]).toBe(0x0102); // the caller's array is untouched
  });
});

describe('a 100k-event MMIO/IRQ recording', () => {
  const events = mmioIrqStream(100_000);
  const cps: Record<number, unknown> = {};
  for (let e = 10_000; e < events.length; e += 25_000) cps[e] = { at: e, regs: new Uint32Array(64).fill(e) };
  const path = write('100k', events, { chunkSize: 16384 }, cps);

  it('reads back every event and checkpoint, across several chunks', () => {
    const r = TraceReader.open(path);
    expect(r.complete).toBe(true);
    expect(r.damage).toBeUndefined();
    expect(r.eventCount).toBe(100_000);
    expect(r.chunks.length).toBeGreaterThan(6);
    expect(r.chunks.map((c) => c.first)).toEqual(r.chunks.map((_, k) => (k === 0 ? 0 : r.chunks[k - 1]!.first + r.chunks[k - 1]!.count)));
    expect(r.checkpoints.map((c) => c.event)).toEqual([10_000, 35_000, 60_000, 85_000]);
    // Checkpoints cut chunks: no chunk spans a checkpoint.
    for (const cp of r.checkpoints) expect(r.chunks.some((c) => c.first === cp.event)).toBe(true);
    expect(r.readCheckpoint(2).state).toStrictEqual(cps[60_000]);
    expect(r.checkpointBefore(59_999)).toBe(1);
    let n = 0;
    let misnumbered = 0;
    for (const ev of r.events()) {
      if (ev.i !== n) misnumbered++;
      if (n % 997 === 0) {
        const { i: _i, ...plain } = ev;
        expect(plain).toStrictEqual(events[n]);
      }
      n++;
    }
    expect([n, misnumbered]).toEqual([100_000, 0]);
    expect(decodeAll(r)).toMatchObject({ events: 100_000, chunks: r.chunks.length, valued: events.filter((e) => e.kind === 'mmio').length });
    r.close();
  });

  it('costs at most 10 bytes per event (one index byte plus one value word)', () => {
    const bytesPerEvent = statSync(path).size / events.length;
    expect(bytesPerEvent).toBeLessThanOrEqual(10);
    expect(bytesPerEvent).toBeGreaterThan(2); // sanity: the values are really there (random, so DEFLATE saves little)
  });

  it('costs about a byte per irq_line event', () => {
    const irqs: TraceEvent[] = Array.from({ length: 50_000 }, (_, k) => ({ kind: 'irq_line', vm: 0, irq: 32 + (k % 16), level: k & 1, errno: 0 }));
    expect(statSync(write('irqs', irqs)).size / irqs.length).toBeLessThan(1.1);
  });

  it('decodes chunks into flat columns a replay loop can walk without allocating', () => {
    const r = TraceReader.open(path);
    const c = r.readChunk(1);
    expect(c.index).toBeInstanceOf(Uint8Array);
    expect(c.values).toBeInstanceOf(Uint32Array);
    expect(c.valueStart).toHaveLength(c.count);
    let w = 0;
    for (let e = 0; e < c.count; e++) {
      const shape = c.shapes[c.index[e]!]!;
      const ev = events[c.first + e]!;
      expect(Object.isFrozen(shape)).toBe(true);
      if (shape.kind === 'mmio' && ev.kind === 'mmio') {
        expect(c.valueStart[e]).toBe(w);
        expect(BigInt(c.values[w]!)).toBe(ev.value);
        expect(shape.value).toBe(0n);
        w += c.shapeWords[c.index[e]!]!;
      } else {
        expect(shape).toStrictEqual(ev);
      }
      if (e % 101 === 0) expect(c.event(e)).toStrictEqual(ev);
    }
    expect(w).toBe(c.values.length);
    r.close();
  });
});

describe('shape index width', () => {
  it('switches to a u16 index column past 256 distinct shapes', () => {
    const events: TraceEvent[] = [{ kind: 'create_vm', vm: 0, arch: 'arm64', ipaBits: 40 }, ...Array.from({ length: 2000 }, (_, k): TraceEvent => ({
      kind: 'mmio',
      vm: 0,
      vcpu: 0,
      write: true,
      addr: 0x8000000 + 4 * (k % 300),
      len: 8,
      value: BigInt(k) * 0x1_0000_0001n,
      exit: false,
      errno: 0,
    }))];
    const path = write('u16', events);
    const r = TraceReader.open(path);
    const c = r.readChunk(0);
    expect(c.shapes).toHaveLength(301);
    expect(c.index).toBeInstanceOf(Uint16Array);
    expect(c.values).toHaveLength(4000); // two words per 8-byte access
    expect(c.event(2000)).toStrictEqual(events[2000]);
    r.close();
    expect(readAll(path)).toStrictEqual(events);
  });
});

describe('files', () => {
  it('writes the header it was given, with this format version', () => {
    const r = TraceReader.open(write('header', EVERY_KIND.slice(0, 1)));
    expect(r.header).toStrictEqual({ ...HEADER, formatVersion: FORMAT_VERSION, requiredReader: REQUIRED_READER, kinds: kindFlags() });
    r.close();
  });

  it('an empty recording is a valid trace', () => {
    const r = TraceReader.open(write('empty', []));
    expect([r.complete, r.eventCount, r.chunks.length, [...r.events()].length]).toEqual([true, 0, 0, 0]);
    r.close();
  });

  it('gives the same bytes for the same input (no timestamps, sorted models)', () => {
    const a = readFileSync(write('det-a', mmioIrqStream(3000), { chunkSize: 700 }, { 1500: { x: 1n } }));
    const b = readFileSync(write('det-b', mmioIrqStream(3000), { chunkSize: 700 }, { 1500: { x: 1n } }));
    expect(a.equals(b)).toBe(true);
  });

  it('renames <path>.incomplete to <path> only on close', () => {
    const path = tmp('rename');
    const w = TraceWriter.create(path, HEADER);
    w.append(EVERY_KIND[0]!);
    expect(() => statSync(path)).toThrow();
    expect(statSync(`${path}.incomplete`).isFile()).toBe(true);
    w.close();
    expect(statSync(path).isFile()).toBe(true);
    expect(() => statSync(`${path}.incomplete`)).toThrow();
    expect(() => w.append(EVERY_KIND[0]!)).toThrow(/closed/);
  });

  it('decodes a chunk payload on its own (decodeChunk)', () => {
    // The payload of the first record of a one-chunk file, found through the reader's index.
    const path = write('payload', EVERY_KIND);
    const r = TraceReader.open(path);
    const bytes = readFileSync(path);
    const at = r.chunks[0]!.offset;
    const len = bytes.readUInt32LE(at + 1);
    const c = decodeChunk(bytes.subarray(at + 5, at + 5 + len), path, at);
    expect(Array.from({ length: c.count }, (_, e) => c.event(e))).toStrictEqual(EVERY_KIND);
    r.close();
  });
});

describe('golden bytes (tripwire)', () => {
  it('has not changed: a change here is a format change (bump FORMAT_VERSION, update FORMAT.md)', () => {
    const path = write('golden', [...EVERY_KIND, ...mmioIrqStream(600, 3)], { chunkSize: 256 }, { 10: { regs: new Uint32Array([1, 2, 3]), ctlr: 1n } });
    const hash = createHash('sha256').update(readFileSync(path)).digest('hex');
    // Format 1.3 (1.2's layout; the version fields [1, 3] and the header's kinds map naming 1.3's kinds).
    // 1.2 (the header's kinds map; chunk columns {w, m, z}, z raw DEFLATE at level 6) was
    // 1acf219ac1d44a8e6f70e9bd9706a232e3146a7adc0db47c4a755d46be389330; 1.1 was a101fb4c7919611bc7aa47d0b33370107956990ea61669446f82cd442aae0339, 1.0 differed only in its version fields.
    expect(hash).toBe('c7ab8a74c0cff1351b51a79b5e38c6535c02c2df431bbad055f9ec03c6349bef');
  });
});

describe('older format versions (read tests: their writers are gone)', () => {
  // Written by the 1.1 writer (golden-1.1: the golden input above without its second create_vm) and its
  // 1.0 twin (golden-1.0: the 1.0 kinds only, version fields [1, 0]); the bytes of each are pinned.
  const fixture = (name: string) => join(import.meta.dirname, 'fixtures', name);
  const V10_KINDS = new Set(['create_vm', 'create_vcpu', 'create_device', 'set_attr', 'get_attr', 'has_attr', 'arm_set_device_addr', 'run_vcpu', 'mmio', 'irq_line', 'enable_cap', 'hcall']);
  const cases: [string, string, readonly number[], TraceEvent[]][] = [
    ['golden-1.1.devrr', '9f84e764a9e9ab36382c9e3dc643e489d93f0defd0298d37178410de459e137f', [1, 1], [...EVERY_KIND, ...mmioIrqStream(600, 3).slice(1)]],
    ['golden-1.0.devrr', '144e723c2bfd04ab1abab6d2c77944407eec7982d21d3151c9146e4a532568e5', [1, 0], [...EVERY_KIND.filter((e) => V10_KINDS.has(e.kind)), ...mmioIrqStream(600, 3).slice(1)]],
  ];
  for (const [name, sha, version, events] of cases) {
    it(`reads ${name} (format ${version.join('.')}) event for event, with its checkpoint`, () => {
      const path = fixture(name);
      expect(createHash('sha256').update(readFileSync(path)).digest('hex')).toBe(sha);
      const r = TraceReader.open(path);
      expect(r.header.formatVersion).toEqual(version);
      expect(r.header.kinds).toBeUndefined();
      expect(r.complete).toBe(true);
      r.verify();
      expect(readAll(path)).toStrictEqual(events);
      expect(r.readCheckpoint(0)).toStrictEqual({ event: 10, digest: 'digest-10', state: { regs: new Uint32Array([1, 2, 3]), ctlr: 1n } });
      r.close();
    });
  }
});

describe("FORMAT.md's worked example", () => {
  it('is what the writer writes, byte for byte at every offset it names', () => {
    const path = tmp('worked');
    const w = TraceWriter.create(path, { devrrVersion: '0.1.0', arch: 'arm64', ipaBits: 40, models: {}, checkpointEvery: 0, kinds: kindFlags(['create_vm', 'irq_line', 'mmio']) });
    w.append({ kind: 'create_vm', vm: 0, arch: 'arm64', ipaBits: 40 });
    w.append({ kind: 'irq_line', vm: 0, irq: 33, level: 1, errno: 0 });
    w.append({ kind: 'mmio', vm: 0, vcpu: 0, write: false, addr: 0x801000c, len: 4, value: 33n, exit: false, errno: 0 });
    w.append({ kind: 'irq_line', vm: 0, irq: 33, level: 1, errno: 0 });
    w.checkpoint(4, { ctlr: 1n }, 'x');
    w.close();
    const b = readFileSync(path);
    const hex = (at: number, n: number) => b.subarray(at, at + n).toString('hex');
    expect(b.length).toBe(495);
    expect([hex(8, 4), hex(146, 4), hex(150, 5), hex(314, 7), hex(321, 3), hex(324, 14), hex(338, 4)]).toEqual([
      '86000000', '8adc2fe4', '01b7000000', 'a177c403000001', 'a16d01', 'a17ac40a536460606060646204' + '00', '183fbb15',
    ]);
    expect([hex(342, 5), hex(385, 4), hex(389, 5), hex(475, 4), hex(479, 16)]).toEqual(['0226000000', '7b9a8dba', '0351000000', '547ef1ea', '8501000000000000' + Buffer.from('DEVRREND').toString('hex')]);
  });
});

/** One event of each x86 irqchip kind (format 1.2), with the values that test their field types: bytes, a negative status, vector -1. */
const CREATE_VM_X86 = { kind: 'create_vm', vm: 0, arch: 'x86_64', ipaBits: 52 } as TraceEvent;
const X86_KINDS = [
  { kind: 'create_irqchip', vm: 0, errno: 17 },
  { kind: 'get_irqchip', vm: 0, chip: 2, errno: 0, data: Uint8Array.from({ length: 216 }, (_, i) => i) },
  { kind: 'get_irqchip', vm: 0, chip: 3, errno: 22, data: new Uint8Array(0) },
  { kind: 'set_irqchip', vm: 0, chip: 0, data: Uint8Array.of(1, 2, 3), errno: 0 },
  { kind: 'get_lapic', vm: 0, vcpu: 0, errno: 0, data: new Uint8Array(1024).fill(0xab) },
  { kind: 'set_lapic', vm: 0, vcpu: 4294967295, data: new Uint8Array(0), errno: 9 },
  { kind: 'irq_line_status', vm: 0, irq: 17, level: 1, status: -1n, errno: 0 },
  { kind: 'irq_line_status', vm: 0, irq: 10, level: 0, status: 2n, errno: 0 },
  { kind: 'take_interrupt', vm: 0, vcpu: 0, vector: -1, errno: 0 },
  { kind: 'take_interrupt', vm: 0, vcpu: 0, vector: 0x35, errno: 0 },
] as unknown as TraceEvent[];

describe('the x86 irqchip kinds', () => {
  it('round-trip through the writer and reader, and through JSON lines', async () => {
    const path = write('x86-kinds', [CREATE_VM_X86, ...X86_KINDS]);
    expect(readAll(path)).toStrictEqual([CREATE_VM_X86, ...X86_KINDS]);
    const { eventFromJsonLine, eventToJsonLine } = await import('../../traces/jsonl.js');
    for (const ev of X86_KINDS) expect(eventFromJsonLine(eventToJsonLine(ev))).toStrictEqual(ev);
  });

  it('a payload longer than its struct is refused (FORMAT.md Limits): 513 bytes of kvm_irqchip, 1025 of kvm_lapic_state', () => {
    const w = TraceWriter.create(tmp('x86-limits'), HEADER);
    w.append(CREATE_VM_X86);
    expect(() => w.append({ kind: 'set_irqchip', vm: 0, chip: 0, data: new Uint8Array(513), errno: 0 } as unknown as TraceEvent)).toThrow(/over the 512-byte struct/);
    expect(() => w.append({ kind: 'get_lapic', vm: 0, vcpu: 0, errno: 0, data: new Uint8Array(1025) } as unknown as TraceEvent)).toThrow(/over the 1024-byte struct/);
    w.close();
  });
});

describe('JSON lines (the bench baseline)', () => {
  it('round-trips an event of every kind: the kinds declare which fields are bigints', async () => {
    const { eventFromJsonLine, eventToJsonLine } = await import('../../traces/jsonl.js');
    const pio: TraceEvent = { kind: 'pio', vm: 0, vcpu: 0, write: true, port: 0x21, len: 1, value: 0x30n, exit: false, errno: 0 } as unknown as TraceEvent;
    for (const ev of [...EVERY_KIND, pio]) expect(eventFromJsonLine(eventToJsonLine(ev))).toStrictEqual(ev);
  });
});
