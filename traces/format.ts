/**
 * Trace file format v1: constants, the header, record framing, CRC32 and
 * the msgpack codec configuration shared by the writer and the reader.
 *
 * FORMAT.md (next to this file) documents every byte; keep the two in step.
 * Tripwire: changing any constant, the header fields, the framing or the
 * codec options changes the bytes on disk. Such a change needs a
 * FORMAT_VERSION bump, a FORMAT.md update and a new golden hash in
 * test/traces/golden.test.ts.
 */
import { endianness } from 'node:os';
import { crc32 as zlibCrc32 } from 'node:zlib';
// msgpackr's `pack` entry: the codec without the optional native string
// extractor (msgpackr-extract), whose loading probes the C library on every
// start (about 30M instructions, a tenth of `devrr info`'s own start-up) for
// no gain on the short strings of trace payloads (decoding costs the same
// within 3%: docs/performance.md).
import { Packr } from 'msgpackr/pack';
import { ARCHES, type Arch } from '../devices/core/uapi.js';
import { TraceError } from './errors.js';
import { KIND_NAME, allKinds, kindDecl } from './kinds.js';

/** A format version: [major, minor]. */
export type FormatVersion = readonly [major: number, minor: number];

/**
 * The format version this code writes. Independent of the devrr app version.
 * 1.1 added the event kinds sysreg, mem_write, mem_read and signal_msi.
 * 1.2 added the header's kinds map, the DEFLATEd columns with words per
 * shape (a reader skips a kind it does not know), and the kind pio.
 * 1.3 added the kinds of the VMM's files and the VFIO device fd (open_file,
 * close_file, close_device, irqfd, vfio_*); a 1.2 reader reads it.
 */
export const FORMAT_VERSION: FormatVersion = [1, 3];

/**
 * The oldest reader version that can read what this code writes. A minor
 * format change that old readers can safely ignore (a new optional header
 * key, a new optional record type >= 128) keeps it where it was; 1.1's new
 * event kinds are not skippable (a 1.0 reader refuses a shape of unknown
 * kind), so it is [1, 1].
 */
export const REQUIRED_READER: FormatVersion = [1, 2];

/** The newest format this code can read. Files requiring a newer reader are refused. */
export const READER_VERSION: FormatVersion = [1, 3];

/** A kind's flags in a header's kinds map: bit 0, replay is meaningless without this kind's events. */
export const KIND_NEEDED = 1;
/** Most kinds one header may declare. */
export const MAX_HEADER_KINDS = 256;

/** First 8 bytes of every trace file. */
export const MAGIC = Buffer.from('DEVRRTRC', 'latin1');
/** Last 8 bytes of a cleanly closed trace file. */
export const END_MAGIC = Buffer.from('DEVRREND', 'latin1');

/** magic (8) + u32 LE header length (4). */
export const HEADER_PREFIX_BYTES = 12;
/** u32 LE CRC32 after the header map. */
export const HEADER_CRC_BYTES = 4;
/** u8 type + u32 LE payload length. */
export const RECORD_HEADER_BYTES = 5;
/** u32 LE CRC32 after each record's payload. */
export const RECORD_CRC_BYTES = 4;
/** Framing bytes around each record's payload. */
export const RECORD_OVERHEAD = RECORD_HEADER_BYTES + RECORD_CRC_BYTES;
/** u64 LE footer offset + "DEVRREND". */
export const TRAILER_BYTES = 16;

/**
 * The reader refuses a header map longer than this before allocating for it.
 * Real headers are a few hundred bytes.
 */
export const MAX_HEADER_BYTES = 1 << 20;

/**
 * The reader refuses a record payload longer than this before allocating for
 * it, and the writer refuses to write one. A full chunk of 65536 mmio events
 * is about 600 KiB; checkpoints of large device state are the big records.
 */
export const MAX_RECORD_PAYLOAD = 512 << 20;

/**
 * Limits on what a trace may describe (FORMAT.md, *Limits*). The reader
 * refuses a trace beyond them as `malformed` before the models see it, so no
 * count or size taken from a file drives an allocation past them. The
 * scenario parser enforces the same limits, so every recording stays within.
 */
export {
  /** VMs per trace: `create_vm` events. */
  MAX_VMS,
  /** `create_device` events per VM. */
  MAX_DEVICE_CREATES_PER_VM,
  /** A `mem_read` event's `len`. */
  MAX_MEM_READ,
} from '../devices/core/vm-state.js';
/** A note's msgpack encoding, in bytes. */
export const MAX_NOTE_BYTES = 64 << 10;
/**
 * Decoding one msgpack payload may build JS values of at most this much
 * (estimated from the bytes before decoding, see msgpackProblem) plus twice
 * the payload's own size.
 */
export const MAX_DECODE_OVERHEAD = 64 << 20;

/** Most events one chunk may hold (the shape index column is at most u16). */
export const MAX_CHUNK_EVENTS = 65536;
/** Events per chunk unless the writer is told otherwise. */
export const DEFAULT_CHUNK_EVENTS = 16384;

/** Record type byte values. */
export const RecordType = {
  /** A columnar block of consecutive events (chunk.ts). */
  Chunk: 1,
  /** Device state after a given number of events. */
  Checkpoint: 2,
  /** The index of every chunk and checkpoint; last record of a closed file. */
  Footer: 3,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

/**
 * Record types from this value up are optional: a reader that does not know
 * one skips it (after checking its CRC). v1.0 writes none. Unknown types
 * below it are damage.
 */
export const FIRST_OPTIONAL_RECORD_TYPE = 128;

/** A human name for a record type byte, for messages. */
export function recordTypeName(type: number): string {
  switch (type) {
    case RecordType.Chunk:
      return 'event chunk';
    case RecordType.Checkpoint:
      return 'checkpoint';
    case RecordType.Footer:
      return 'footer';
    default:
      return type >= FIRST_OPTIONAL_RECORD_TYPE ? `optional record (type ${type})` : `unknown record type ${type}`;
  }
}

/** True when this process stores multi-byte numbers big-endian (s390x, some ppc64). */
export const HOST_BIG_ENDIAN = endianness() === 'BE';

// ---------------------------------------------------------------------------
// CRC32

/** CRC-32 (IEEE 802.3, the zlib/PNG polynomial) of the given bytes. */
export function crc32(bytes: Uint8Array): number {
  return zlibCrc32(bytes) >>> 0;
}

// ---------------------------------------------------------------------------
// Record framing

/**
 * Frame one record: u8 type, u32 LE payload length, payload, u32 LE CRC32 of
 * everything before the CRC.
 */
export function frameRecord(type: number, payload: Uint8Array): Buffer {
  if (payload.length > MAX_RECORD_PAYLOAD) {
    throw new RangeError(
      `devrr: ${recordTypeName(type)} payload of ${payload.length} bytes exceeds the ${MAX_RECORD_PAYLOAD}-byte record limit`,
    );
  }
  const out = Buffer.allocUnsafe(RECORD_OVERHEAD + payload.length);
  out[0] = type;
  out.writeUInt32LE(payload.length, 1);
  out.set(payload, RECORD_HEADER_BYTES);
  const end = RECORD_HEADER_BYTES + payload.length;
  out.writeUInt32LE(crc32(out.subarray(0, end)), end);
  return out;
}

// ---------------------------------------------------------------------------
// msgpack codec

/**
 * The one msgpackr configuration every payload uses.
 *
 * - `useRecords: false`: plain MessagePack maps, readable by any decoder.
 * - `variableMapSize: true`: fixmap/map16/map32 by key count (smallest form).
 * - `mapsAsObjects: true`: maps decode to plain objects.
 * - `moreTypes: true`: typed arrays other than Buffer are written as ext type
 *   0x74 ('t') with a one-byte element-type code, so a Uint16Array comes back
 *   a Uint16Array (a Buffer is written as bin and comes back a Buffer).
 * - `int64AsType: 'bigint'`: bigints are written as int64/uint64 (0xd3/0xcf)
 *   whatever their size, and int64/uint64 decode to bigint, so a bigint is a
 *   bigint after a round trip and a number stays a number.
 *
 * The instance is module-private: no global msgpackr extension is added,
 * so other users of msgpackr in the process are unaffected.
 */
const packr = new Packr({
  useRecords: false,
  variableMapSize: true,
  mapsAsObjects: true,
  moreTypes: true,
  int64AsType: 'bigint',
  useFloat32: 0,
  encodeUndefinedAsNil: false,
  bundleStrings: false,
  structuredClone: false,
  copyBuffers: false,
});

/**
 * Encode plain data (see checkPlainData) as one msgpack value. Multi-byte
 * typed arrays are stored little-endian; on a big-endian host they are
 * byte-swapped copies (the input is never modified).
 *
 * @param swap byte-swap typed arrays; @default HOST_BIG_ENDIAN (tests force it)
 */
export function encodeValue(value: unknown, swap: boolean = HOST_BIG_ENDIAN): Buffer {
  return packr.pack(swap ? copySwappingTypedArrays(value, 0) : value);
}

/**
 * Decode exactly one msgpack value filling `bytes`. Throws msgpackr's own
 * errors on bad input: callers wrap them in a TraceError with the offset.
 *
 * @param swap byte-swap typed arrays in the result; @default HOST_BIG_ENDIAN
 */
export function decodeValue(bytes: Uint8Array, swap: boolean = HOST_BIG_ENDIAN): unknown {
  const bad = msgpackProblem(bytes);
  if (bad !== undefined) throw new RangeError(bad);
  const value: unknown = packr.unpack(bytes);
  if (swap) swapTypedArraysInPlace(value, 0);
  return value;
}

/** Deepest nesting of msgpack containers a payload may have (state and notes at 256, inside the record's own maps). */
const MAX_MSGPACK_DEPTH = 260;

/**
 * Walk the msgpack bytes without building anything and say what is wrong
 * with them for decoding, or undefined. Checked: exactly one value fills the
 * bytes; every declared length fits in the bytes that remain (msgpackr
 * allocates `new Array(n)` for a declared n before reading any element, so a
 * five-byte header declaring 2^32-1 elements would otherwise exhaust the
 * heap); nesting is at most MAX_MSGPACK_DEPTH; and the JS values decoding
 * builds are estimated at most 2 × bytes + MAX_DECODE_OVERHEAD, counting an
 * object or array as 64 bytes plus 16 per slot, a string 32 plus its
 * length, a bin or ext 160 plus its length and any other value 16.
 */
export function msgpackProblem(b: Uint8Array, budget = 2 * b.length + MAX_DECODE_OVERHEAD): string | undefined {
  const n = b.length;
  const stack: number[] = [];
  let pos = 0;
  let left = 1; // values still to read in the innermost open container
  let cost = 0;
  const u16 = (at: number): number => (b[at]! << 8) | b[at + 1]!;
  const u32 = (at: number): number => ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;
  for (;;) {
    if (left === 0) {
      if (stack.length === 0) break;
      left = stack.pop()!;
      continue;
    }
    left--;
    if (pos >= n) return `msgpack ends inside a value at byte ${pos} of ${n}`;
    const at = pos;
    const t = b[pos++]!;
    let slots = -1; // a container's values (a map's keys and values)
    let skip = 0; // bytes of a string, bin or ext body
    let head = 0; // length-field bytes after the type byte
    if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) cost += 16;
    else if (t <= 0x8f) slots = (t & 0x0f) * 2;
    else if (t <= 0x9f) slots = t & 0x0f;
    else if (t <= 0xbf) skip = t & 0x1f;
    else {
      switch (t) {
        case 0xc4: case 0xd9: head = 1; break;
        case 0xc5: case 0xda: head = 2; break;
        case 0xc6: case 0xdb: head = 4; break;
        case 0xc7: head = 1; break;
        case 0xc8: head = 2; break;
        case 0xc9: head = 4; break;
        case 0xca: skip = 4; break;
        case 0xcb: skip = 8; break;
        case 0xcc: case 0xd0: skip = 1; break;
        case 0xcd: case 0xd1: skip = 2; break;
        case 0xce: case 0xd2: skip = 4; break;
        case 0xcf: case 0xd3: skip = 8; break;
        case 0xd4: skip = 2; break;
        case 0xd5: skip = 3; break;
        case 0xd6: skip = 5; break;
        case 0xd7: skip = 9; break;
        case 0xd8: skip = 17; break;
        case 0xdc: case 0xde: head = 2; break;
        case 0xdd: case 0xdf: head = 4; break;
        default:
          return `msgpack type byte 0x${t.toString(16)} at byte ${at} is not valid`;
      }
    }
    if (head) {
      if (pos + head > n) return `msgpack ends inside a length field at byte ${pos} of ${n}`;
      const len = head === 1 ? b[pos]! : head === 2 ? u16(pos) : u32(pos);
      pos += head;
      if (t === 0xdc || t === 0xdd) slots = len;
      else if (t === 0xde || t === 0xdf) slots = len * 2;
      else skip = t >= 0xc7 && t <= 0xc9 ? len + 1 : len; // an ext has its type byte before the data
    }
    if (slots >= 0) {
      // Every value takes at least one byte.
      if (slots > n - pos) return `msgpack container at byte ${at} declares ${slots} values but only ${n - pos} bytes remain`;
      cost += 64 + 16 * slots;
      if (slots > 0) {
        if (stack.length >= MAX_MSGPACK_DEPTH) return `msgpack nesting deeper than ${MAX_MSGPACK_DEPTH} levels at byte ${at}`;
        stack.push(left);
        left = slots;
      }
    } else if (skip) {
      if (skip > n - pos) return `msgpack value at byte ${at} needs ${skip} bytes but only ${n - pos} remain`;
      pos += skip;
      cost += (t >= 0xa0 && t <= 0xbf) || (t >= 0xd9 && t <= 0xdb) ? 32 + skip : (t >= 0xc4 && t <= 0xc9) || (t >= 0xd4 && t <= 0xd8) ? 160 + skip : 16;
    } else if (t >= 0xa0 && t < 0xe0 && t !== 0xc0 && t !== 0xc2 && t !== 0xc3) cost += 32; // an empty string, bin or ext
    if (cost > budget) return `msgpack value would take more than ${budget} bytes of memory to decode (at byte ${at})`;
  }
  if (pos !== n) return `msgpack value ends at byte ${pos} but the payload has ${n} bytes`;
  return undefined;
}

/** Reverse the bytes of each element of a typed array, in place. */
export function byteSwapInPlace(view: ArrayBufferView): void {
  const size = (view as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
  if (size === 1) return;
  const b = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  for (let at = 0; at + size <= b.length; at += size) {
    for (let lo = at, hi = at + size - 1; lo < hi; lo++, hi--) {
      const t = b[lo]!;
      b[lo] = b[hi]!;
      b[hi] = t;
    }
  }
}

function isTypedArray(v: unknown): v is ArrayBufferView & { BYTES_PER_ELEMENT: number } {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

function copySwappingTypedArrays(v: unknown, depth: number): unknown {
  if (depth > MAX_PLAIN_DEPTH) return v; // checkPlainData rejects these before we get here
  if (isTypedArray(v)) {
    if (v.BYTES_PER_ELEMENT === 1) return v;
    const copy = (v as unknown as { slice(): ArrayBufferView }).slice();
    byteSwapInPlace(copy);
    return copy;
  }
  if (Array.isArray(v)) return v.map((x) => copySwappingTypedArrays(x, depth + 1));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = copySwappingTypedArrays((v as Record<string, unknown>)[k], depth + 1);
    return out;
  }
  return v;
}

function swapTypedArraysInPlace(v: unknown, depth: number): void {
  if (depth > MAX_PLAIN_DEPTH) return;
  if (isTypedArray(v)) byteSwapInPlace(v);
  else if (Array.isArray(v)) for (const x of v) swapTypedArraysInPlace(x, depth + 1);
  else if (v !== null && typeof v === 'object')
    for (const k of Object.keys(v)) swapTypedArraysInPlace((v as Record<string, unknown>)[k], depth + 1);
}

// ---------------------------------------------------------------------------
// Plain data

/** Deepest nesting of arrays/objects accepted in checkpoint state and notes. */
export const MAX_PLAIN_DEPTH = 256;

const I64_MIN = -(1n << 63n);
const U64_END = 1n << 64n;

/** True when a bigint fits msgpack int64 or uint64. */
export function isBigint64(v: unknown): v is bigint {
  return typeof v === 'bigint' && v >= I64_MIN && v < U64_END;
}

/**
 * Check that a value is plain data the codec round-trips exactly: null,
 * undefined, booleans, numbers, strings, bigints within int64 ∪ uint64,
 * arrays, plain objects (no key named `__proto__`) and typed arrays (not
 * DataView). Returns a description of the first problem, or undefined.
 */
export function checkPlainData(v: unknown, path = '', depth = 0): string | undefined {
  switch (typeof v) {
    case 'undefined':
    case 'boolean':
    case 'number':
    case 'string':
      return undefined;
    case 'bigint':
      return isBigint64(v) ? undefined : `${path || 'value'}: bigint ${v} does not fit in 64 bits`;
    case 'object': {
      if (v === null) return undefined;
      if (depth >= MAX_PLAIN_DEPTH) return `${path || 'value'}: nested deeper than ${MAX_PLAIN_DEPTH} levels (a cycle?)`;
      if (isTypedArray(v)) return undefined;
      if (Array.isArray(v)) {
        if (Object.getPrototypeOf(v) !== Array.prototype) return `${path || 'value'}: array subclass is not plain data`;
        for (let i = 0; i < v.length; i++) {
          const bad = checkPlainData(v[i], `${path}[${i}]`, depth + 1);
          if (bad !== undefined) return bad;
        }
        return undefined;
      }
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        const name = (v as { constructor?: { name?: string } }).constructor?.name ?? 'unknown';
        return `${path || 'value'}: ${name} object is not plain data`;
      }
      for (const k of Object.keys(v)) {
        if (k === '__proto__') return `${path || 'value'}: key "__proto__" is not supported`;
        const bad = checkPlainData((v as Record<string, unknown>)[k], path ? `${path}.${k}` : k, depth + 1);
        if (bad !== undefined) return bad;
      }
      return undefined;
    }
    default:
      return `${path || 'value'}: ${typeof v} is not plain data`;
  }
}

/**
 * Deep copy of plain data (already checked by checkPlainData) that keeps
 * each typed array's class, Buffer included.
 */
export function clonePlain<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Buffer.isBuffer(v)) return Buffer.from(v) as T;
  if (isTypedArray(v)) {
    const Ctor = v.constructor as new (src: ArrayBufferView) => ArrayBufferView;
    return new Ctor(v) as T;
  }
  if (Array.isArray(v)) return v.map((x: unknown) => clonePlain(x)) as T;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = clonePlain((v as Record<string, unknown>)[k]);
  return out as T;
}

/** A plain object (a decoded msgpack map), not an array, typed array or null. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Own-property lookup that ignores anything inherited. */
export function own(o: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

/** A non-negative integer that is exactly representable (<= 2^53 - 1). */
export function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

// ---------------------------------------------------------------------------
// Header

/**
 * The trace header: what recorded the trace and how to replay it.
 * No timestamps, host names or ids: the same recording input gives the same bytes.
 */
export interface TraceHeader {
  /** Format version of the file's bytes. */
  readonly formatVersion: FormatVersion;
  /** The devrr version that wrote the file (informational). */
  readonly devrrVersion: string;
  /** Guest architecture the recording modelled. */
  readonly arch: Arch;
  /** Guest physical (IPA) address width in bits, 1..64. */
  readonly ipaBits: number;
  /** Device model name -> model version that produced the recorded results. */
  readonly models: Readonly<Record<string, number>>;
  /** Events between checkpoints the recorder aimed for (0: none). */
  readonly checkpointEvery: number;
  /** Oldest format reader that can read this file. */
  readonly requiredReader: FormatVersion;
  /**
   * From format 1.2: the event kinds the file may hold, name -> flags
   * (KIND_NEEDED). Undefined in 1.0 and 1.1 files, which hold the kinds of
   * their version only.
   */
  readonly kinds?: Readonly<Record<string, number>>;
  /**
   * Optional: where the recorded results came from when not from the device
   * models, as short strings: `by` ("live": the host's /dev/kvm, with
   * `kernel` its release and `host` its architecture; "ftrace import" or
   * "strace import", with `file`). Absent: the models. Readers ignore keys
   * they do not know in it.
   */
  readonly origin?: Readonly<Record<string, string>>;
}

/** At most this many keys in a header's origin map, each value at most MAX_ORIGIN_VALUE characters. */
export const MAX_ORIGIN_KEYS = 16;
export const MAX_ORIGIN_VALUE = 256;

/**
 * What a writer needs to be told. The versions always come from this module
 * (FORMAT_VERSION, REQUIRED_READER): when given, as when copying a reader's
 * header, they are replaced.
 */
/**
 * `kinds` are the kinds the trace will hold (the writer refuses others):
 * their names count, the flags come from their declarations (kindFlags).
 * Default: every kind this devrr knows.
 */
export type TraceHeaderInit = Omit<TraceHeader, 'formatVersion' | 'requiredReader'> &
  Partial<Pick<TraceHeader, 'formatVersion' | 'requiredReader'>>;

/** The kinds map of a writer's header: each named kind with its declaration's flags, sorted by name. */
export function kindFlags(names: readonly string[] = allKinds().map((d) => d.name)): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of [...new Set(names)].sort()) {
    const d = kindDecl(name);
    if (!d) throw new TypeError(`devrr: bad trace header: kinds names ${JSON.stringify(name)}, which is no event kind this devrr knows`);
    out[name] = d.needed ? KIND_NEEDED : 0;
  }
  return out;
}

/** The header map in its on-disk key order, models sorted by name. */
export function headerMap(h: TraceHeader): Record<string, unknown> {
  const models: Record<string, number> = {};
  for (const name of Object.keys(h.models).sort()) models[name] = h.models[name]!;
  return {
    formatVersion: [h.formatVersion[0], h.formatVersion[1]],
    devrrVersion: h.devrrVersion,
    arch: h.arch,
    ipaBits: h.ipaBits,
    models,
    checkpointEvery: h.checkpointEvery,
    requiredReader: [h.requiredReader[0], h.requiredReader[1]],
    ...(compareVersion(h.formatVersion, [1, 2]) >= 0 && { kinds: sortedKinds(h.kinds ?? kindFlags()) }),
    ...(h.origin && { origin: { ...h.origin } }),
  };
}

function sortedKinds(k: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of Object.keys(k).sort()) out[name] = k[name]!;
  return out;
}

/**
 * The complete header bytes (magic, length, map, CRC) for any map. The writer
 * passes headerMap(header); tests pass hand-made maps to build bad files.
 */
export function encodeHeaderBytes(map: unknown): Buffer {
  const body = encodeValue(map, false);
  if (body.length > MAX_HEADER_BYTES) throw new RangeError(`devrr: header map of ${body.length} bytes is too large`);
  const out = Buffer.allocUnsafe(HEADER_PREFIX_BYTES + body.length + HEADER_CRC_BYTES);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(body.length, 8);
  body.copy(out, HEADER_PREFIX_BYTES);
  const end = HEADER_PREFIX_BYTES + body.length;
  out.writeUInt32LE(crc32(out.subarray(0, end)), end);
  return out;
}

function isVersion(v: unknown): v is FormatVersion {
  return Array.isArray(v) && v.length === 2 && isCount(v[0]) && isCount(v[1]) && v[0] <= 0xffff && v[1] <= 0xffff;
}

/** Negative, zero or positive as a is older, equal or newer than b. */
export function compareVersion(a: FormatVersion, b: FormatVersion): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] - b[1];
}

function fmt(v: FormatVersion): string {
  return `${v[0]}.${v[1]}`;
}

/**
 * Check a decoded header map and return the header. Version problems are
 * checked first (a newer format may have changed the other fields) and give
 * `unsupported-version`; anything else wrong gives `bad-header`. Unknown keys
 * are ignored: minor versions may add them.
 */
export function parseHeaderMap(raw: unknown, file: string, offset: number): TraceHeader {
  const bad = (what: string): TraceError => new TraceError('bad-header', file, offset, `header: ${what}`);
  if (!isPlainObject(raw)) throw bad('not a msgpack map');
  const formatVersion = own(raw, 'formatVersion');
  if (!isVersion(formatVersion)) throw bad('formatVersion is not [major, minor]');
  if (formatVersion[0] !== READER_VERSION[0]) {
    throw new TraceError(
      'unsupported-version',
      file,
      offset,
      `trace format ${fmt(formatVersion)} is not supported: this devrr reads format ${READER_VERSION[0]}.x up to ${fmt(READER_VERSION)}`,
    );
  }
  const requiredReader = own(raw, 'requiredReader');
  if (!isVersion(requiredReader)) throw bad('requiredReader is not [major, minor]');
  if (compareVersion(requiredReader, READER_VERSION) > 0) {
    throw new TraceError(
      'unsupported-version',
      file,
      offset,
      `trace format ${fmt(formatVersion)} needs a reader for format ${fmt(requiredReader)}; this devrr reads up to ${fmt(READER_VERSION)}`,
    );
  }
  if (requiredReader[0] !== formatVersion[0] || compareVersion(requiredReader, formatVersion) > 0) {
    throw bad(`requiredReader ${fmt(requiredReader)} does not fit formatVersion ${fmt(formatVersion)}`);
  }
  const devrrVersion = own(raw, 'devrrVersion');
  if (typeof devrrVersion !== 'string') throw bad('devrrVersion is not a string');
  const arch = own(raw, 'arch');
  if (typeof arch !== 'string' || !(ARCHES as readonly string[]).includes(arch)) {
    throw bad(`arch ${JSON.stringify(arch)} is not one of ${ARCHES.join(', ')}`);
  }
  const ipaBits = own(raw, 'ipaBits');
  if (!isCount(ipaBits) || ipaBits < 1 || ipaBits > 64) throw bad('ipaBits is not an integer in 1..64');
  const models = own(raw, 'models');
  if (!isPlainObject(models)) throw bad('models is not a map');
  const outModels: Record<string, number> = {};
  for (const name of Object.keys(models)) {
    const version = models[name];
    if (!isCount(version)) throw bad(`models: version of ${JSON.stringify(name)} is not a non-negative integer`);
    outModels[name] = version;
  }
  const checkpointEvery = own(raw, 'checkpointEvery');
  if (!isCount(checkpointEvery)) throw bad('checkpointEvery is not a non-negative integer');
  let kinds: Record<string, number> | undefined;
  if (compareVersion(formatVersion, [1, 2]) >= 0) {
    const k = own(raw, 'kinds');
    if (!isPlainObject(k)) throw bad('kinds is not a map');
    const names = Object.keys(k);
    if (names.length > MAX_HEADER_KINDS) throw bad(`kinds declares ${names.length} kinds; at most ${MAX_HEADER_KINDS}`);
    kinds = {};
    for (const name of names) {
      if (!KIND_NAME.test(name)) throw bad(`kinds: ${JSON.stringify(name.slice(0, 80))} is not a kind name (a-z, 0-9, _; at most 64)`);
      const flags = k[name];
      if (!isCount(flags) || flags > 255) throw bad(`kinds: flags of ${name} are not an integer in 0..255`);
      kinds[name] = flags;
    }
  }
  let origin: Record<string, string> | undefined;
  const o = own(raw, 'origin');
  if (o !== undefined) {
    if (!isPlainObject(o)) throw bad('origin is not a map');
    const keys = Object.keys(o);
    if (keys.length > MAX_ORIGIN_KEYS) throw bad(`origin has ${keys.length} keys; at most ${MAX_ORIGIN_KEYS}`);
    origin = {};
    for (const key of keys) {
      const v = o[key];
      if (key.length > 64 || typeof v !== 'string' || v.length > MAX_ORIGIN_VALUE) throw bad(`origin: ${JSON.stringify(key.slice(0, 64))} is not a string of at most ${MAX_ORIGIN_VALUE} characters`);
      origin[key] = v;
    }
  }
  return {
    formatVersion: [formatVersion[0], formatVersion[1]],
    devrrVersion,
    arch: arch as Arch,
    ipaBits,
    models: outModels,
    checkpointEvery,
    requiredReader: [requiredReader[0], requiredReader[1]],
    ...(kinds && { kinds }),
    ...(origin && { origin }),
  };
}

/** Validate a writer's header input the same way the reader will (throws TypeError). */
export function checkHeaderInit(h: TraceHeaderInit): TraceHeader {
  if (h === null || typeof h !== 'object') throw new TypeError('devrr: bad trace header: not an object');
  if (h.kinds !== undefined && (h.kinds === null || typeof h.kinds !== 'object')) throw new TypeError('devrr: bad trace header: kinds is not a map');
  const kinds = kindFlags(h.kinds === undefined ? undefined : Object.keys(h.kinds));
  const header: TraceHeader = { ...h, formatVersion: FORMAT_VERSION, requiredReader: REQUIRED_READER, kinds };
  if (header.models === null || typeof header.models !== 'object') throw new TypeError('devrr: bad trace header: models is not a map');
  const plain = checkPlainData(header.models, 'models');
  if (plain !== undefined) throw new TypeError(`devrr: bad trace header: ${plain}`);
  try {
    return parseHeaderMap(headerMap(header), '(header)', 0);
  } catch (e) {
    if (e instanceof TraceError) throw new TypeError(`devrr: bad trace header: ${e.what.replace(/^header: /, '')}`);
    throw e;
  }
}

// ---------------------------------------------------------------------------
// Footer index entries

/** Where one event chunk record is and which events it holds. */
export interface ChunkEntry {
  /** Byte offset of the record's type byte. */
  readonly offset: number;
  /** Trace index of the chunk's first event. */
  readonly first: number;
  /** Events in the chunk. */
  readonly count: number;
}

/** Where one checkpoint record is and what it describes. */
export interface CheckpointEntry {
  /** Byte offset of the record's type byte. */
  readonly offset: number;
  /** Index of the next event to execute: the state is after events [0, event). */
  readonly event: number;
  /** The recorder's digest of the state, to check a replay against. */
  readonly digest: string;
}

/** A decoded checkpoint record. */
export interface Checkpoint {
  readonly event: number;
  readonly digest: string;
  /** Plain data (see checkPlainData), as given to TraceWriter.checkpoint. */
  readonly state: unknown;
}
