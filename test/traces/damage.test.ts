/**
 * Trace format v1 on damaged and hostile input: every problem is a
 * TraceError naming a byte offset, and whatever is intact is recovered.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TraceError, type TraceErrorCode } from '../../traces/errors.js';
import type { TraceEvent } from '../../traces/events.js';
import {
  END_MAGIC,
  RecordType,
  type TraceHeaderInit,
  encodeHeaderBytes,
  encodeValue,
  frameRecord,
  headerMap,
  FORMAT_VERSION,
  REQUIRED_READER,
} from '../../traces/format.js';
import { TraceReader } from '../../traces/reader.js';
import { TraceWriter } from '../../traces/writer.js';
import { deflateRawSync } from 'node:zlib';
import { columnarMap } from './craft.js';

const dir = mkdtempSync(join(tmpdir(), 'devrr-trace-dmg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let seq = 0;
const tmp = (name: string): string => join(dir, `${seq++}-${name}.devrr`);

const HEADER: TraceHeaderInit = { devrrVersion: '0.1.0', arch: 'arm64', ipaBits: 40, models: { 'arm-vgic-v2': 1 }, checkpointEvery: 1000 };
const HEADER_BYTES = encodeHeaderBytes(headerMap({ ...HEADER, formatVersion: FORMAT_VERSION, requiredReader: REQUIRED_READER }));

function stream(n: number): TraceEvent[] {
  return Array.from({ length: n }, (_, k): TraceEvent =>
    k === 0
      ? { kind: 'create_vm', vm: 0, arch: 'arm64', ipaBits: 40 }
      : k % 3 === 0
      ? { kind: 'irq_line', vm: 0, irq: 32 + (k % 5), level: k & 1, errno: 0 }
      : { kind: 'mmio', vm: 0, vcpu: 0, write: k % 3 === 1, addr: 0x8010000 + 4 * (k % 7), len: 4, value: BigInt(k), exit: false, errno: 0 },
  );
}

/** A closed trace of 10k events in 10 chunks, with checkpoints at 3000 and 7000. */
function goodTrace(): { path: string; bytes: Buffer; events: TraceEvent[] } {
  const path = tmp('good');
  const events = stream(10_000);
  const w = TraceWriter.create(path, HEADER, { chunkSize: 1000 });
  events.forEach((ev, i) => {
    if (i === 3000 || i === 7000) w.checkpoint(i, { at: i, regs: new Uint32Array(16) }, `d${i}`);
    w.append(ev);
  });
  w.close();
  return { path, bytes: readFileSync(path), events };
}

function fileWith(name: string, bytes: Uint8Array): string {
  const path = tmp(name);
  writeFileSync(path, bytes);
  return path;
}

/** Open (and, if it opens, read everything); return the TraceError or the reader. Anything else fails the test. */
function openAndReadAll(path: string): TraceError | TraceReader {
  let r: TraceReader;
  try {
    r = TraceReader.open(path);
  } catch (e) {
    expect(e).toBeInstanceOf(TraceError);
    expect((e as TraceError).what).not.toMatch(/unexpected error/); // a raw exception wrapped late
    return e as TraceError;
  }
  if (r.damage) expect(r.damage.what).not.toMatch(/unexpected error/);
  try {
    for (let k = 0; k < r.chunks.length; k++) r.readChunk(k);
    for (let k = 0; k < r.checkpoints.length; k++) r.readCheckpoint(k);
  } catch (e) {
    expect(e).toBeInstanceOf(TraceError);
    expect((e as TraceError).what).not.toMatch(/unexpected error/);
    r.close();
    return e as TraceError;
  }
  r.close();
  return r;
}

function expectTraceError(f: () => unknown, code: TraceErrorCode, offset?: number): TraceError {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(TraceError);
  const err = caught as TraceError;
  expect(err.code, err.message).toBe(code);
  if (offset !== undefined) expect(err.offset, err.message).toBe(offset);
  expect(err.message).toBe(`${err.file}: byte ${err.offset}: ${err.what}`);
  expect(err.message).not.toContain('\n');
  return err;
}

/** Byte offset where each record of a closed file ends (the next record's start), from its index. */
function recordEnds(r: TraceReader, bytes: Buffer): Map<number, number> {
  const ends = new Map<number, number>();
  for (const at of [...r.chunks.map((c) => c.offset), ...r.checkpoints.map((c) => c.offset)]) {
    ends.set(at, at + 9 + bytes.readUInt32LE(at + 1));
  }
  return ends;
}

describe('truncation', () => {
  const { path, bytes, events } = goodTrace();
  const full = TraceReader.open(path);
  const ends = recordEnds(full, bytes);
  const dataStart = HEADER_BYTES.length;
  full.close();

  const cuts = new Set<number>();
  for (let cut = Math.max(0, bytes.length - 200); cut < bytes.length; cut++) cuts.add(cut);
  for (let cut = 0; cut < bytes.length; cut += 379) cuts.add(cut);
  for (const c of full.chunks) for (const d of [-1, 0, 1, 5, 9]) cuts.add(c.offset + d);
  for (let cut = 0; cut <= dataStart + 1; cut++) cuts.add(cut);

  it(`recovers every complete chunk at ${cuts.size} cut positions and reports where it stopped`, () => {
    const file = join(dir, 'cut.devrr');
    for (const cut of [...cuts].sort((a, b) => a - b)) {
      writeFileSync(file, bytes.subarray(0, cut));
      const got = openAndReadAll(file);
      if (cut < dataStart) {
        // Nothing to recover without a header.
        expect(got, `cut ${cut}`).toBeInstanceOf(TraceError);
        expect((got as TraceError).code, `cut ${cut}`).toMatch(/^(truncated|bad-crc)$/);
        continue;
      }
      expect(got, `cut ${cut}`).toBeInstanceOf(TraceReader);
      const r = got as TraceReader;
      const expected = full.chunks.filter((c) => ends.get(c.offset)! <= cut);
      expect(r.complete, `cut ${cut}`).toBe(false);
      expect(r.chunks, `cut ${cut}`).toEqual(expected);
      expect(r.eventCount, `cut ${cut}`).toBe(expected.reduce((n, c) => n + c.count, 0));
      expect(r.checkpoints, `cut ${cut}`).toEqual(full.checkpoints.filter((c) => ends.get(c.offset)! <= cut));
      expect(r.damage, `cut ${cut}`).toBeInstanceOf(TraceError);
      expect(r.damage!.code, `cut ${cut}: ${r.damage!.message}`).toBe('truncated');
      expect(r.recoveredUpTo, `cut ${cut}`).toBeLessThanOrEqual(cut);
      expect(r.damage!.offset, `cut ${cut}`).toBeGreaterThanOrEqual(r.recoveredUpTo);
      expect(r.damage!.offset, `cut ${cut}`).toBeLessThanOrEqual(cut);
    }
  });

  it('the recovered events are the recording prefix', () => {
    const cut = full.chunks[6]!.offset + 100; // inside chunk 6
    const r = TraceReader.open(fileWith('cut-mid', bytes.subarray(0, cut)));
    expect(r.eventCount).toBe(6000);
    expect(r.recoveredUpTo).toBe(full.chunks[6]!.offset);
    expect(r.damage!.message).toMatch(/event chunk record needs \d+ bytes but only 100 remain/);
    const back = [...r.events()].map(({ i: _i, ...ev }) => ev);
    expect(back).toStrictEqual(events.slice(0, 6000));
    r.close();
  });

  it('a file cut inside the header cannot be opened', () => {
    expectTraceError(() => TraceReader.open(fileWith('cut-hdr', bytes.subarray(0, 20))), 'truncated', 20);
    expectTraceError(() => TraceReader.open(fileWith('cut-magic', bytes.subarray(0, 5))), 'truncated', 5);
    expectTraceError(() => TraceReader.open(fileWith('cut-len', bytes.subarray(0, 10))), 'truncated', 10);
  });
});

describe('corruption', () => {
  const { path, bytes } = goodTrace();
  const full = TraceReader.open(path);
  const chunks = full.chunks;
  const checkpoints = full.checkpoints;
  const footerAt = Number(bytes.readBigUInt64LE(bytes.length - 16));
  full.close();

  const flipped = (at: number): string => {
    const copy = Buffer.from(bytes);
    copy[at]! ^= 0x40;
    return fileWith(`flip-${at}`, copy);
  };

  it('a flipped byte in a chunk is bad-crc at that chunk, when the chunk is read', () => {
    const c = chunks[4]!;
    const r = TraceReader.open(flipped(c.offset + 200));
    expect(r.complete).toBe(true); // the footer is intact; chunks are checked when read
    expect(r.readChunk(3).count).toBe(1000);
    const err = expectTraceError(() => r.readChunk(4), 'bad-crc', c.offset);
    expect(err.what).toMatch(/event chunk record CRC mismatch \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\)/);
    expectTraceError(() => [...r.events(3990, 4010)], 'bad-crc', c.offset);
    r.close();
  });

  it('a flipped byte in a checkpoint is bad-crc when it is read', () => {
    const r = TraceReader.open(flipped(checkpoints[1]!.offset + 12));
    expectTraceError(() => r.readCheckpoint(1), 'bad-crc', checkpoints[1]!.offset);
    r.close();
  });

  it('a flipped length field is caught too (the CRC covers type and length)', () => {
    const r = TraceReader.open(flipped(chunks[2]!.offset + 1));
    expectTraceError(() => r.readChunk(2), 'bad-crc', chunks[2]!.offset);
    r.close();
  });

  it('a flipped byte in the header stops opening', () => {
    expectTraceError(() => TraceReader.open(flipped(30)), 'bad-crc', 0);
  });

  it('a flipped byte in the footer falls back to a scan that recovers everything', () => {
    const r = TraceReader.open(flipped(footerAt + 7));
    expect(r.complete).toBe(false);
    expect(r.eventCount).toBe(10_000);
    expect(r.chunks).toEqual(chunks);
    expect(r.checkpoints).toEqual(checkpoints);
    expect(r.damage!.code).toBe('bad-crc');
    expect(r.damage!.offset).toBe(footerAt);
    expect(r.recoveredUpTo).toBe(footerAt);
    r.close();
  });

  it('a flipped byte in a chunk of a file without footer stops the scan there', () => {
    const copy = Buffer.from(bytes.subarray(0, footerAt));
    copy[chunks[5]!.offset + 50]! ^= 1;
    const r = TraceReader.open(fileWith('flip-scan', copy));
    expect(r.eventCount).toBe(5000);
    expect(r.damage!.code).toBe('bad-crc');
    expect(r.damage!.offset).toBe(chunks[5]!.offset);
    r.close();
  });

  it('a broken trailer falls back to a scan', () => {
    const copy = Buffer.from(bytes);
    copy.writeBigUInt64LE(12345678n, bytes.length - 16);
    const r = TraceReader.open(fileWith('bad-trailer', copy));
    expect([r.complete, r.eventCount, r.damage!.code]).toEqual([false, 10_000, 'bad-record']);
    expect(r.damage!.offset).toBe(bytes.length - 16);
    r.close();
  });
});

describe('not a trace, or not one we can read', () => {
  it('an empty file', () => {
    const err = expectTraceError(() => TraceReader.open(fileWith('empty', Buffer.alloc(0))), 'truncated', 0);
    expect(err.what).toMatch(/empty/);
  });

  it('bad magic', () => {
    const err = expectTraceError(() => TraceReader.open(fileWith('magic', Buffer.from('PK\x03\x04 this is a zip file'))), 'bad-magic', 0);
    expect(err.what).toContain('expected "DEVRRTRC"');
  });

  it('a missing file is an io error', () => {
    expectTraceError(() => TraceReader.open(join(dir, 'no-such-file.devrr')), 'io', 0);
  });

  it('a header length beyond the limit is refused before reading it', () => {
    const b = Buffer.from(HEADER_BYTES);
    b.writeUInt32LE(0xfffffff0, 8);
    expectTraceError(() => TraceReader.open(fileWith('hdr-len', b)), 'bad-header', 8);
  });

  const headerFile = (name: string, map: Record<string, unknown>): string => fileWith(name, encodeHeaderBytes(map));
  const base = headerMap({ ...HEADER, formatVersion: FORMAT_VERSION, requiredReader: REQUIRED_READER });

  it('a newer major format version is refused', () => {
    const err = expectTraceError(() => TraceReader.open(headerFile('v2', { ...base, formatVersion: [2, 0], requiredReader: [2, 0] })), 'unsupported-version', 12);
    expect(err.what).toContain('trace format 2.0 is not supported');
  });

  it('a file needing a newer minor reader is refused', () => {
    const err = expectTraceError(() => TraceReader.open(headerFile('v1.4', { ...base, formatVersion: [1, 4], requiredReader: [1, 4] })), 'unsupported-version', 12);
    expect(err.what).toContain('needs a reader for format 1.4');
  });

  it('a newer minor version that old readers may read opens (unknown header keys ignored)', () => {
    const r = TraceReader.open(headerFile('v1.5', { ...base, formatVersion: [1, 5], requiredReader: [1, 0], futureKey: 'x' }));
    expect(r.header.formatVersion).toEqual([1, 5]);
    expect([r.complete, r.eventCount]).toEqual([false, 0]);
    r.close();
  });

  it('header fields of the wrong type are bad-header', () => {
    for (const [key, value] of [['arch', 'vax'], ['ipaBits', 65], ['models', { x: -1 }], ['devrrVersion', 1], ['checkpointEvery', 1.5], ['requiredReader', [1]], ['kinds', undefined], ['kinds', ['mmio']], ['kinds', { MMIO: 1 }], ['kinds', { mmio: 256 }], ['kinds', Object.fromEntries(Array.from({ length: 257 }, (_, k) => [`k${k}`, 0]))]] as const) {
      const err = expectTraceError(() => TraceReader.open(headerFile(`hdr-${key}`, { ...base, [key]: value })), 'bad-header', 12);
      expect(err.what).toContain(key);
    }
    expectTraceError(() => TraceReader.open(fileWith('hdr-array', encodeHeaderBytes([1, 2]))), 'bad-header', 12);
  });

  it('the writer refuses a header the reader would refuse', () => {
    expect(() => TraceWriter.create(tmp('bad-hdr'), { ...HEADER, ipaBits: 0 })).toThrow(/ipaBits/);
    expect(() => TraceWriter.create(tmp('bad-hdr'), { ...HEADER, arch: 'vax' as 'arm64' })).toThrow(/arch/);
  });
});

describe('crash recovery', () => {
  it('a writer that is never closed leaves <path>.incomplete, readable up to its last written chunk', () => {
    const path = tmp('crash');
    const events = stream(2500);
    const w = TraceWriter.create(path, HEADER, { chunkSize: 1000 });
    for (const ev of events) w.append(ev);
    w.checkpoint(2500, { ok: true }, 'd'); // writes the pending 500 events, then the checkpoint
    w.append(events[0]!); // pending, lost in the "crash"
    w.abort(); // what a crash leaves behind: no footer, no rename

    expect(() => readFileSync(path)).toThrow();
    const r = TraceReader.open(`${path}.incomplete`);
    expect(r.complete).toBe(false);
    expect(r.eventCount).toBe(2500);
    expect(r.chunks.map((c) => c.count)).toEqual([1000, 1000, 500]);
    expect(r.checkpoints.map((c) => c.event)).toEqual([2500]);
    expect(r.readCheckpoint(0).state).toEqual({ ok: true });
    expect(r.damage!.code).toBe('truncated');
    expect(r.damage!.what).toMatch(/not closed/);
    expect(r.recoveredUpTo).toBe(readFileSync(`${path}.incomplete`).length);
    expect([...r.events()].map(({ i: _i, ...ev }) => ev)).toStrictEqual(events);
    r.close();
  });
});

// ---------------------------------------------------------------------------
// Hand-made records: CRC-valid but wrong inside.

const vmShape = { kind: 'create_vm', vm: 0, arch: 'arm64', ipaBits: 40 };
const mmioShape = { kind: 'mmio', vm: 0, vcpu: 0, write: true, addr: 0x1000, len: 4, value: 0n, exit: false, errno: 0 };
const irqShape = { kind: 'irq_line', vm: 0, irq: 1, level: 1, errno: 0 };
const u32s = (...w: number[]): Buffer => Buffer.from(new Uint32Array(w).buffer);
/** The first chunk of a trace: create_vm, an mmio write of 7, an irq_line. */
const chunkPayload = (fields: Record<string, unknown>, after: Record<string, unknown> = {}): Buffer =>
  encodeValue({ ...columnarMap({ f: 0, n: 3, s: [vmShape, mmioShape, irqShape], i: Buffer.from([0, 1, 2]), v: u32s(7), ...fields }), ...after }, false);
/** A chunk after chunkPayload's: an mmio write of 7, an irq_line. */
const laterPayload = (fields: Record<string, unknown>): Buffer =>
  encodeValue(columnarMap({ f: 3, n: 2, s: [mmioShape, irqShape], i: Buffer.from([0, 1]), v: u32s(7), ...fields }), false);

/** Header + records, with no footer: read by scanning. */
function unclosed(name: string, ...records: Buffer[]): string {
  return fileWith(name, Buffer.concat([HEADER_BYTES, ...records]));
}

/** Header + one chunk + footer + trailer: read through the footer index. */
function closedWithChunk(name: string, payload: Buffer, first = 0, count = 3): string {
  const chunk = frameRecord(RecordType.Chunk, payload);
  const footerAt = HEADER_BYTES.length + chunk.length;
  const footer = frameRecord(RecordType.Footer, encodeValue({ events: count, chunks: [{ offset: HEADER_BYTES.length, first, count }], checkpoints: [] }, false));
  const trailer = Buffer.alloc(16);
  trailer.writeBigUInt64LE(BigInt(footerAt));
  END_MAGIC.copy(trailer, 8);
  return fileWith(name, Buffer.concat([HEADER_BYTES, chunk, footer, trailer]));
}

describe('malformed records', () => {
  const at = HEADER_BYTES.length;

  it('the hand-made baseline chunk is valid', () => {
    const r = TraceReader.open(closedWithChunk('baseline', chunkPayload({})));
    expect([...r.events()].map(({ i: _i, ...ev }) => ev)).toStrictEqual([vmShape, { ...mmioShape, value: 7n }, irqShape]);
    r.close();
  });

  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['index refers to a missing shape', { i: Buffer.from([0, 1, 3]) }, /event 2 refers to shape 3 but the chunk has 3 shapes/],
    ['value column too short', { v: Buffer.alloc(0) }, /value column too short/],
    ['value column too long', { v: u32s(1, 2) }, /value column has 2 words but the events use 1/],
    ['value column not whole words', { v: Buffer.alloc(3) }, /z inflates to more than the 3 bytes 0 value words and 3 1-byte index entries take/],
    ['index column of the wrong length', { i: Buffer.from([0]) }, /z inflates to 5 bytes, but 1 value words and 3 1-byte index entries take 7/],
    ['count of zero', { n: 0 }, /n \(event count\)/],
    ['count beyond the chunk limit', { n: 70000 }, /n \(event count\)/],
    ['first is negative', { f: -1 }, /f \(first event\)/],
    ['shapes not an array', { s: 'x' }, /s \(shapes\)/],
    ['unknown event kind', { s: [vmShape, mmioShape, { ...irqShape, kind: 'teleport' }] }, /shape 2 has kind "teleport", which the header's kinds do not declare/],
    ['missing field', { s: [vmShape, mmioShape, { kind: 'irq_line', vm: 0, irq: 1, errno: 0 }] }, /shape 2 \(irq_line\) field level is missing/],
    ['field of the wrong type', { s: [vmShape, { ...mmioShape, addr: '0x1000' }, irqShape] }, /shape 1 \(mmio\) field addr is not a non-negative safe integer/],
    ['unknown field', { s: [vmShape, mmioShape, { ...irqShape, extra: 1 }] }, /shape 2 \(irq_line\) has unknown field "extra"/],
    ['mmio shape with a value', { s: [vmShape, { ...mmioShape, value: 5n }, irqShape] }, /value is not 0n/],
    ['value wider than the access', { s: [vmShape, { ...mmioShape, len: 1 }, irqShape], v: u32s(0x100) }, /does not fit mmio len 1/],
    ['bad mmio len', { s: [vmShape, { ...mmioShape, len: 3 }, irqShape] }, /field len is not 1, 2, 4 or 8/],
    ['bad attr target', { s: [vmShape, mmioShape, { kind: 'has_attr', vm: 0, target: { kind: 'gpu' }, group: 0, attr: 0n, errno: 0 }] }, /field target/],
    ['bigint where a number belongs', { s: [vmShape, { ...mmioShape, vcpu: 0n }, irqShape] }, /field vcpu/],
    ['note that is not plain data', { s: [vmShape, mmioShape, { ...irqShape, note: new Date(0) }] }, /note: Date object is not plain data/],
  ];

  // Format 1.2's column fields, set after the columns are built.
  const columnCases: [string, Record<string, unknown>, RegExp][] = [
    ['words per shape missing', { w: undefined }, /w \(words per shape\) is not a bin of 3 bytes/],
    ['words per shape of the wrong length', { w: Buffer.from([0, 1]) }, /w \(words per shape\) is not a bin of 3 bytes/],
    ['words per shape that disagree with a known kind', { w: Buffer.from([0, 2, 0]) }, /w: shape 1 \(mmio\) owns 2 value words, but its kind has 1/],
    ['value word count out of range', { m: 7 }, /m \(value words\) is not an integer in 0\.\.6/],
    ['columns that are not DEFLATE', { z: Buffer.from([0xff, 0xff, 0xff]) }, /z is not a raw DEFLATE stream of 7 bytes/],
    ['columns that inflate past their size (a DEFLATE bomb is cut at the size)', { z: deflateRawSync(Buffer.alloc(1 << 20)) }, /z inflates to more than the 7 bytes/],
    ['columns that are not a bin', { z: 'x' }, /z \(columns\) is not a bin/],
  ];

  const all: [string, Record<string, unknown>, RegExp, Record<string, unknown>][] = [...cases.map(([a, b, c]) => [a, b, c, {}] as [string, Record<string, unknown>, RegExp, Record<string, unknown>]), ...columnCases.map(([a, b, c]) => [a, {}, c, b] as [string, Record<string, unknown>, RegExp, Record<string, unknown>])];
  for (const [what, fields, message, after] of all) {
    it(`${what}: found by the scan, and by readChunk through the footer`, () => {
      const payload = chunkPayload(fields, after);
      const r = TraceReader.open(unclosed(`scan-${what}`, frameRecord(RecordType.Chunk, payload)));
      expect(r.eventCount).toBe(0);
      expect(r.damage!.code).toBe('malformed');
      expect(r.damage!.offset).toBe(at);
      expect(r.damage!.what).toMatch(message);
      r.close();

      const r2 = TraceReader.open(closedWithChunk(`footer-${what}`, payload));
      const err = expectTraceError(() => r2.readChunk(0), 'malformed', at);
      expect(err.what).toMatch(message);
      r2.close();
    });
  }

  it('a chunk payload that is not msgpack', () => {
    const r = TraceReader.open(unclosed('not-msgpack', frameRecord(RecordType.Chunk, Buffer.from([0xc1, 0xff, 0x00]))));
    expect(r.damage!.code).toBe('malformed');
    expect(r.damage!.what).toMatch(/not valid msgpack/);
    r.close();
  });

  it('a chunk whose events do not follow on from the previous chunk', () => {
    const one = frameRecord(RecordType.Chunk, chunkPayload({}));
    const gap = frameRecord(RecordType.Chunk, laterPayload({ f: 5 }));
    const r = TraceReader.open(unclosed('gap', one, gap));
    expect(r.eventCount).toBe(3);
    expect(r.damage!.what).toMatch(/starts at event 5, expected 3/);
    expect(r.damage!.offset).toBe(at + one.length);
    r.close();
  });

  it('a chunk that disagrees with the footer index', () => {
    const r = TraceReader.open(closedWithChunk('index-mismatch', chunkPayload({}), 0, 4));
    expect(r.complete).toBe(true);
    expectTraceError(() => r.readChunk(0), 'malformed', at);
    r.close();
  });

  it('checkpoint payloads that are not a map, or lack fields', () => {
    for (const [name, payload, message] of [
      ['list', encodeValue([1, 2], false), /checkpoint: payload is not a map/],
      ['no-state', encodeValue({ event: 0, digest: 'd' }, false), /state is missing/],
      ['bad-event', encodeValue({ event: -1, digest: 'd', state: 1 }, false), /event is not/],
      ['bad-digest', encodeValue({ event: 0, digest: 5, state: 1 }, false), /digest is not a string/],
      ['future', encodeValue({ event: 9, digest: 'd', state: 1 }, false), /checkpoint for event 9 is not in \[0, 0\]/],
    ] as const) {
      const r = TraceReader.open(unclosed(`cp-${name}`, frameRecord(RecordType.Checkpoint, payload)));
      expect(r.damage!.code, name).toBe('malformed');
      expect(r.damage!.offset, name).toBe(at);
      expect(r.damage!.what, name).toMatch(message);
      r.close();
    }
  });

  it('an unknown record type is bad-record; an optional one (>= 128) is skipped', () => {
    const chunk = frameRecord(RecordType.Chunk, chunkPayload({}));
    const unknown = frameRecord(7, Buffer.from('hello'));
    const r = TraceReader.open(unclosed('unknown-type', chunk, unknown, chunk));
    expect(r.eventCount).toBe(3);
    expect(r.damage!.code).toBe('bad-record');
    expect(r.damage!.offset).toBe(at + chunk.length);
    expect(r.damage!.what).toMatch(/unknown record type 7/);
    r.close();

    const optional = frameRecord(200, Buffer.from('future data'));
    const second = frameRecord(RecordType.Chunk, laterPayload({}));
    const r2 = TraceReader.open(unclosed('optional-type', chunk, optional, second));
    expect(r2.eventCount).toBe(5);
    expect(r2.damage!.code).toBe('truncated'); // just the missing footer
    r2.close();
  });

  it('a length field pointing past the end of the file', () => {
    const rec = frameRecord(RecordType.Chunk, chunkPayload({}));
    rec.writeUInt32LE(1_000_000, 1);
    const r = TraceReader.open(unclosed('past-eof', rec));
    expect(r.damage!.code).toBe('truncated');
    expect(r.damage!.offset).toBe(at);
    expect(r.damage!.what).toMatch(/needs 1000009 bytes but only \d+ remain/);
    r.close();
  });

  it('a length field beyond the record limit is refused before allocating', () => {
    const rec = Buffer.from([RecordType.Checkpoint, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
    const r = TraceReader.open(unclosed('huge', rec));
    expect(r.damage!.code).toBe('bad-record');
    expect(r.damage!.what).toMatch(/limit/);
    r.close();
  });

  it('zero-filled space after the records (a crash on some filesystems) is damage, not a crash', () => {
    const r = TraceReader.open(unclosed('zeros', frameRecord(RecordType.Chunk, chunkPayload({})), Buffer.alloc(4096)));
    expect(r.eventCount).toBe(3);
    expect(r.damage!.code).toBe('bad-record');
    r.close();
  });
});

describe('fuzz', () => {
  /** xorshift32, so failures reproduce. */
  function rng(seed: number): () => number {
    let x = seed;
    return () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x >>> 0;
    };
  }

  it('random bytes after a valid header never throw anything but TraceError', () => {
    const next = rng(12345);
    for (let round = 0; round < 300; round++) {
      const junk = Buffer.alloc(next() % 200);
      for (let k = 0; k < junk.length; k++) junk[k] = next() & 0xff;
      if (junk.length > 0 && round % 2 === 0) junk[0] = 1 + (next() % 3); // a plausible type byte
      const got = openAndReadAll(unclosed(`junk-${round}`, junk));
      if (got instanceof TraceReader) expect(got.damage).toBeInstanceOf(TraceError);
    }
  });

  it('random files never throw anything but TraceError', () => {
    const next = rng(999);
    for (let round = 0; round < 100; round++) {
      const junk = Buffer.alloc(next() % 64);
      for (let k = 0; k < junk.length; k++) junk[k] = next() & 0xff;
      const got = openAndReadAll(fileWith(`rand-${round}`, round % 4 === 0 ? Buffer.concat([Buffer.from('DEVRRTRC'), junk]) : junk));
      expect(got).toBeInstanceOf(TraceError);
    }
  });

  it('mutated payloads with valid CRCs never throw anything but TraceError', () => {
    const next = rng(4242);
    const basePayloads = [
      chunkPayload({}),
      encodeValue({ f: 0, n: 3, s: [{ kind: 'set_attr', vm: 0, target: { kind: 'device', handle: 0 }, group: 1, attr: 5n, data: new Uint8Array([1, 2]), errno: 0, note: { a: [1] } }, mmioShape], i: Buffer.from([0, 1, 1]), v: u32s(1, 2) }, false),
      encodeValue({ event: 0, digest: 'd', state: { a: new Uint32Array([1, 2]), b: [1n, 'x'], c: { d: null } } }, false),
    ];
    for (let round = 0; round < 1500; round++) {
      const base = basePayloads[round % basePayloads.length]!;
      const p = Buffer.from(base);
      const flips = 1 + (next() % 4);
      for (let k = 0; k < flips; k++) p[next() % p.length] = next() & 0xff;
      const type = round % 3 === 2 ? RecordType.Checkpoint : RecordType.Chunk;
      openAndReadAll(unclosed(`mut-${round}`, frameRecord(type, p)));
      if (type === RecordType.Chunk) openAndReadAll(closedWithChunk(`mutc-${round}`, p));
    }
  });
});
