/**
 * The columnar event chunk: how a run of consecutive TraceEvents is stored in
 * one record, and how it is decoded for a replay loop that allocates nothing
 * per event.
 *
 * An event is split into a *shape* (the event with its dynamic part removed)
 * and value words. A kind whose declaration has a `column` (mmio, pio) keeps
 * its value there: one u32 word (two when len is 8, low word first) while
 * the shape holds `value: 0n`. Every other event is its own shape. Shapes
 * are deduplicated per chunk, so a repetitive MMIO/IRQ stream costs one
 * index byte plus four value bytes per access before compression. From
 * format 1.2 the index and value columns are stored raw-DEFLATE compressed
 * and every shape's word count is in the chunk, so a reader can skip the
 * events of a kind it does not know. FORMAT.md has the byte layout.
 *
 * Tripwire: changing the kinds' fields (traces/kinds.ts) or this layout
 * changes the bytes on disk and what the reader accepts; bump FORMAT_VERSION
 * in format.ts.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { ARCHES } from '../devices/core/uapi.js';
import { TraceError, describeThrown } from './errors.js';
import type { TraceEvent } from './events.js';
import type { Arch } from '../devices/core/uapi.js';
import {
  HOST_BIG_ENDIAN,
  KIND_NEEDED,
  MAX_CHUNK_EVENTS,
  MAX_DEVICE_CREATES_PER_VM,
  MAX_NOTE_BYTES,
  MAX_VMS,
  type FormatVersion,
  byteSwapInPlace,
  checkPlainData,
  clonePlain,
  compareVersion,
  decodeValue,
  encodeValue,
  isBigint64,
  isCount,
  isPlainObject,
  own,
} from './format.js';
import { type EventKindDecl, type FieldType, columnWords, kindDecl } from './kinds.js';

export type { FieldSpec } from './kinds.js';

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

const isInt = (v: unknown, lo: number, hi: number): boolean =>
  typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;

const TYPE_TEXT: Readonly<Record<FieldType, string>> = {
  u32: 'an integer in 0..2^32-1',
  i32m1: 'an integer in -1..2^31-1',
  addr: 'a non-negative safe integer',
  errno: 'an errno number in 0..4095',
  bool: 'a boolean',
  big: 'a 64-bit bigint',
  bigs: 'an array of 64-bit bigints',
  bytes: 'a Uint8Array',
  u16: 'an integer in 0..65535',
  len124: '1, 2 or 4',
  arch: `one of ${ARCHES.join(', ')}`,
  ipaBits: 'an integer in 1..64',
  len: '1, 2, 4 or 8',
  target: 'an attribute target {kind: vm | vcpu + id | device + handle}',
};

function checkTarget(v: unknown, strict: boolean): boolean {
  if (!isPlainObject(v)) return false;
  const kind = own(v, 'kind');
  const keys = Object.keys(v).length;
  switch (kind) {
    case 'vm':
      return !strict || keys === 1;
    case 'vcpu':
      return isInt(own(v, 'id'), 0, 0xffffffff) && (!strict || keys === 2);
    case 'device':
      return isInt(own(v, 'handle'), 0, 0xffffffff) && (!strict || keys === 2);
    default:
      return false;
  }
}

/** Whether a value is acceptable for a field type. `strict` (reader) refuses extra keys and Buffer subclasses we did not write. */
function fieldOk(type: FieldType, v: unknown, strict: boolean): boolean {
  switch (type) {
    case 'u32':
      return isInt(v, 0, 0xffffffff);
    case 'i32m1':
      return isInt(v, -1, 0x7fffffff);
    case 'addr':
      return isCount(v);
    case 'errno':
      return isInt(v, 0, 4095);
    case 'bool':
      return typeof v === 'boolean';
    case 'big':
      return isBigint64(v);
    case 'bigs':
      return Array.isArray(v) && v.every(isBigint64);
    case 'bytes':
      return v instanceof Uint8Array && (v.constructor === Uint8Array || Buffer.isBuffer(v));
    case 'arch':
      return typeof v === 'string' && (ARCHES as readonly string[]).includes(v);
    case 'ipaBits':
      return isInt(v, 1, 64);
    case 'len':
      return v === 1 || v === 2 || v === 4 || v === 8;
    case 'u16':
      return isInt(v, 0, 0xffff);
    case 'len124':
      return v === 1 || v === 2 || v === 4;
    case 'target':
      return checkTarget(v, strict);
  }
}

function canonicalTarget(v: Record<string, unknown>): Record<string, unknown> {
  switch (v['kind']) {
    case 'vcpu':
      return { kind: 'vcpu', id: v['id'] };
    case 'device':
      return { kind: 'device', handle: v['handle'] };
    default:
      return { kind: 'vm' };
  }
}

/** The size limits of FORMAT.md's *Limits* that concern one event; the problem, or undefined. */
function checkLimits(decl: EventKindDecl | undefined, kind: string, o: Record<string, unknown>): string | undefined {
  const bad = decl?.limits?.(o);
  if (bad !== undefined) return bad;
  if (o['note'] !== undefined) {
    const bytes = encodeValue(o['note'], false).length;
    if (bytes > MAX_NOTE_BYTES) return `(${kind}) note of ${bytes} bytes is over the ${MAX_NOTE_BYTES}-byte limit`;
  }
  return undefined;
}

/** A kind that is not one, for a message: JSON where it can be, else its type (a bigint, bytes). */
function describeKind(kind: unknown): string {
  if (typeof kind === 'bigint') return `${kind} (an integer)`;
  if (kind instanceof Uint8Array) return `(${kind.length} bytes)`;
  try {
    return JSON.stringify(kind) ?? String(kind);
  } catch {
    return `(a ${typeof kind})`;
  }
}

/**
 * Which kinds a chunk may hold, from its file's header (FORMAT.md, *Kinds*):
 * `version` is the file's format version; `kinds` the header's kinds map
 * (name -> flags) from format 1.2 on, undefined before, when every kind of
 * formats 1.0 and 1.1 may appear. A kind the map declares that this devrr
 * does not know is read as an opaque shape.
 */
export interface ChunkContext {
  readonly version: FormatVersion;
  readonly kinds?: ReadonlyMap<string, number>;
}

/** The chunk context of a file with this header. */
export function chunkContext(h: { readonly formatVersion: FormatVersion; readonly kinds?: Readonly<Record<string, number>> }): ChunkContext {
  return { version: h.formatVersion, ...(h.kinds && { kinds: new Map(Object.entries(h.kinds)) }) };
}

/** The kinds a file's header declares that this devrr does not know, with whether replay needs them. */
export function unknownKinds(h: { readonly kinds?: Readonly<Record<string, number>> }): { readonly name: string; readonly needed: boolean }[] {
  return Object.entries(h.kinds ?? {})
    .filter(([name]) => kindDecl(name) === undefined)
    .map(([name, flags]) => ({ name, needed: (flags & KIND_NEEDED) !== 0 }));
}

/** What decodeChunk assumes without a context: this devrr's format, every kind it knows. */
const CURRENT: ChunkContext = { version: [1, 2] };

/** The declaration a shape's kind has in this context, 'opaque' for a declared kind this devrr does not know, or the problem. */
function kindIn(kind: unknown, ctx: ChunkContext): EventKindDecl | 'opaque' | { problem: string } {
  if (typeof kind !== 'string') return { problem: `has unknown kind ${describeKind(kind)}` };
  const decl = kindDecl(kind);
  if (ctx.kinds === undefined) {
    // Before 1.2 a file has no kinds map: the kinds of formats 1.0 and 1.1, no others.
    if (decl && (compareVersion(ctx.version, [1, 2]) >= 0 || compareVersion(decl.since, [1, 1]) <= 0)) return decl;
    return { problem: `has unknown kind ${describeKind(kind)}` };
  }
  if (!ctx.kinds.has(kind)) return { problem: `has kind ${describeKind(kind)}, which the header's kinds do not declare` };
  return decl ?? 'opaque';
}

/**
 * Check a decoded shape from a file: a kind the context allows, exactly the
 * fields of its declaration (optional ones absent, never present as
 * undefined), each of its type, and the column value 0n. A kind the header
 * declares but this devrr does not know only has to be a map with a u32 vm.
 * Returns the declaration ('opaque' for such a kind) or the problem.
 */
export function checkShape(raw: unknown, ctx: ChunkContext = CURRENT): { decl: EventKindDecl | 'opaque' } | { problem: string } {
  if (!isPlainObject(raw)) return { problem: 'is not a map' };
  const kind = own(raw, 'kind');
  const decl = kindIn(kind, ctx);
  if (typeof decl === 'object' && 'problem' in decl) return decl;
  if (decl === 'opaque') {
    if (!fieldOk('u32', own(raw, 'vm'), true)) return { problem: `(${kind as string}) field vm is not ${TYPE_TEXT.u32}` };
    const bad = checkLimits(undefined, kind as string, raw);
    return bad === undefined ? { decl } : { problem: bad };
  }
  const problem = checkDeclared(decl, raw);
  return problem === undefined ? { decl } : { problem };
}

const fieldNameSets = new WeakMap<EventKindDecl, ReadonlySet<string>>();
/** The keys a shape of this kind may have: kind, vm, note and its fields. */
function fieldNames(decl: EventKindDecl): ReadonlySet<string> {
  let names = fieldNameSets.get(decl);
  if (!names) fieldNameSets.set(decl, (names = new Set(['kind', 'vm', 'note', ...decl.fields.map((f) => f.name)])));
  return names;
}

function checkDeclared(decl: EventKindDecl, raw: Record<string, unknown>): string | undefined {
  const kind = decl.name;
  const fields = decl.fields;
  const names = fieldNames(decl);
  for (const key of Object.keys(raw)) {
    if (!names.has(key)) return `(${kind}) has unknown field ${JSON.stringify(key)}`;
  }
  if (!fieldOk('u32', own(raw, 'vm'), true)) return `(${kind}) field vm is not ${TYPE_TEXT.u32}`;
  for (const f of fields) {
    const v = own(raw, f.name);
    if (v === undefined) {
      if (f.optional && !hasOwn(raw, f.name)) continue;
      return `(${kind}) field ${f.name} is ${hasOwn(raw, f.name) ? 'undefined' : 'missing'}`;
    }
    if (!fieldOk(f.type, v, true)) return `(${kind}) field ${f.name} is not ${TYPE_TEXT[f.type]}`;
  }
  if (hasOwn(raw, 'note')) {
    if (raw['note'] === undefined) return `(${kind}) field note is undefined`;
    const bad = checkPlainData(raw['note'], 'note');
    if (bad !== undefined) return `(${kind}) ${bad}`;
  }
  if (decl.column && raw[decl.column.value] !== 0n) return `(${kind}) ${decl.column.value} is not 0n in the shape`;
  return checkLimits(decl, kind, raw);
}

/**
 * Check an event a caller wants to record. Extra fields are allowed (they
 * are not stored); undefined optional fields count as absent. Returns the
 * problem, or undefined.
 */
export function checkEvent(ev: unknown): string | undefined {
  if (ev === null || typeof ev !== 'object') return 'is not an object';
  const o = ev as Record<string, unknown>;
  const kind = o['kind'];
  const decl = typeof kind === 'string' ? kindDecl(kind) : undefined;
  if (!decl) return `has unknown kind ${describeKind(kind)}`;
  if (!fieldOk('u32', o['vm'], false)) return `(${decl.name}) field vm is not ${TYPE_TEXT.u32}`;
  for (const f of decl.fields) {
    const v = o[f.name];
    if (v === undefined) {
      if (f.optional) continue;
      return `(${decl.name}) field ${f.name} is missing`;
    }
    if (!fieldOk(f.type, v, false)) return `(${decl.name}) field ${f.name} is not ${TYPE_TEXT[f.type]}`;
  }
  if (o['note'] !== undefined) {
    const bad = checkPlainData(o['note'], 'note');
    if (bad !== undefined) return `(${decl.name}) ${bad}`;
  }
  if (decl.column) {
    const len = o[decl.column.len] as number;
    const value = o[decl.column.value] as bigint;
    if (value < 0n || value >= 1n << BigInt(8 * len)) return `(${decl.name}) ${decl.column.value} ${value} does not fit in len ${len}`;
  }
  return checkLimits(decl, decl.name, o);
}

/** The canonical shape of a checked event: fields in declaration order, the column value 0n, absent optionals omitted. */
function shapeOf(ev: TraceEvent, decl: EventKindDecl): TraceEvent {
  const o = ev as unknown as Record<string, unknown>;
  const shape: Record<string, unknown> = { kind: ev.kind, vm: ev.vm };
  for (const f of decl.fields) {
    const v = o[f.name];
    if (v === undefined) continue;
    shape[f.name] = f.type === 'target' ? canonicalTarget(v as Record<string, unknown>) : v;
  }
  if (ev.note !== undefined) shape['note'] = ev.note;
  if (decl.column) shape[decl.column.value] = 0n;
  return shape as unknown as TraceEvent;
}

/**
 * An unambiguous string for plain data, used as the shape deduplication key.
 * Strings are JSON-quoted, containers bracketed, typed arrays tagged with
 * their class (a Buffer and a Uint8Array with equal bytes differ), bigints
 * and numbers tagged (1n and 1 differ). Key order counts.
 */
export function canonicalKey(v: unknown): string {
  switch (typeof v) {
    case 'undefined':
      return 'u';
    case 'boolean':
      return v ? 'T' : 'F';
    case 'number':
      return `n${v}`;
    case 'bigint':
      return `b${v}`;
    case 'string':
      return JSON.stringify(v);
    case 'object': {
      if (v === null) return 'z';
      if (ArrayBuffer.isView(v)) {
        const bytes = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
        return `${Buffer.isBuffer(v) ? 'Buffer' : v.constructor.name}<${bytes.toString('hex')}>`;
      }
      if (Array.isArray(v)) return `[${v.map(canonicalKey).join(',')}]`;
      const o = v as Record<string, unknown>;
      return `{${Object.keys(o)
        .map((k) => `${JSON.stringify(k)}:${canonicalKey(o[k])}`)
        .join(',')}}`;
    }
    default:
      return `?${String(v)}`;
  }
}

// ---------------------------------------------------------------------------
// Encoding

// Split a u64 bigint into two u32 words without BigInt arithmetic.
const split64 = new BigUint64Array(1);
const split32 = new Uint32Array(split64.buffer);
const LO = HOST_BIG_ENDIAN ? 1 : 0;
const HI = 1 - LO;

/**
 * zlib's deflate level for the columns. The bytes depend on it (and on
 * zlib's deflate itself, which the golden test pins); a reader accepts any
 * raw DEFLATE stream.
 */
export const DEFLATE_LEVEL = 6;

/**
 * Accumulates events for one chunk record. The writer owns one and calls
 * encode() + reset() when it is full. Memory: 2 bytes of index and up to 8
 * bytes of values per event slot, plus the chunk's distinct shapes.
 */
export class ChunkBuilder {
  /** Index of the chunk's first event in the trace. */
  first = 0;
  /** Events added since the last reset. */
  count = 0;
  /** Rough size of the distinct shapes held (canonical key length), for the byte limit. */
  shapeBytes = 0;
  readonly capacity: number;
  private readonly shapes: TraceEvent[] = [];
  /** Value words per event of each shape (0, 1 or 2). */
  private readonly shapeWords: number[] = [];
  /** The kind of each shape whose value travels in the column (other than mmio's fast path), else undefined. */
  private readonly columnKinds: (EventKindDecl | undefined)[] = [];
  /** Shape ids by canonicalKey(shape): the authority on deduplication. */
  private readonly shapeIds = new Map<string, number>();
  /** Shape ids of mmio events by addr, then packed fields (see add). */
  private readonly mmioIds = new Map<number, Map<number, number>>();
  /** Shape ids of irq_line events by irq, then packed fields (see add). */
  private readonly irqIds = new Map<number, Map<number, number>>();
  private readonly index: Uint16Array;
  private readonly values: Uint32Array;
  private words = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CHUNK_EVENTS) {
      throw new RangeError(`devrr: chunk size ${capacity} is not an integer in 1..${MAX_CHUNK_EVENTS}`);
    }
    this.capacity = capacity;
    this.index = new Uint16Array(capacity);
    this.values = new Uint32Array(capacity * 2);
  }

  get full(): boolean {
    return this.count >= this.capacity;
  }

  /** Start an empty chunk whose first event is trace event `first`. */
  reset(first: number): void {
    this.first = first;
    this.count = 0;
    this.words = 0;
    this.shapeBytes = 0;
    this.shapes.length = 0;
    this.shapeWords.length = 0;
    this.columnKinds.length = 0;
    this.shapeIds.clear();
    this.mmioIds.clear();
    this.irqIds.clear();
  }

  /**
   * Add one event. Throws TypeError, before changing anything, when the event
   * does not match events.ts (the chunk stays as it was).
   */
  add(ev: TraceEvent): void {
    if (this.full) throw new RangeError('devrr: chunk is full');
    // Fast path for the two hot kinds: a numeric two-level key (address or
    // IRQ, then the other fields packed into one safe integer). The range
    // checks make the packing injective, and an entry is only made after
    // checkEvent passed, so a hit means "same fields as a checked event".
    let fast: Map<number, number> | undefined;
    let inner = -1;
    if (ev.kind === 'mmio') {
      const { vm, vcpu, errno, len } = ev;
      const lenCode = len === 4 ? 2 : len === 8 ? 3 : len === 2 ? 1 : len === 1 ? 0 : -1;
      if (
        ev.note === undefined &&
        lenCode >= 0 &&
        (vm & 0xff) === vm &&
        (vcpu & 0xfff) === vcpu &&
        (errno & 0xfff) === errno &&
        typeof ev.write === 'boolean' &&
        typeof ev.exit === 'boolean' &&
        typeof ev.value === 'bigint' &&
        isCount(ev.addr)
      ) {
        inner = ((((vm << 12) | vcpu) * 4096 + errno) * 4 + lenCode) * 4 + (ev.write ? 2 : 0) + (ev.exit ? 1 : 0);
        fast = this.mmioIds.get(ev.addr);
        if (fast === undefined) this.mmioIds.set(ev.addr, (fast = new Map()));
      }
    } else if (ev.kind === 'irq_line') {
      const { vm, irq, level, errno } = ev;
      if (
        ev.note === undefined &&
        (vm & 0xff) === vm &&
        (errno & 0xfff) === errno &&
        level >>> 0 === level &&
        typeof irq === 'number' &&
        irq >>> 0 === irq
      ) {
        inner = ((vm << 12) | errno) * 0x100000000 + level;
        fast = this.irqIds.get(irq);
        if (fast === undefined) this.irqIds.set(irq, (fast = new Map()));
      }
    }
    let id = fast === undefined ? undefined : fast.get(inner);
    if (id === undefined) {
      const bad = checkEvent(ev);
      if (bad !== undefined) throw new TypeError(`devrr: cannot record event ${this.first + this.count}: ${bad}`);
      const decl = kindDecl(ev.kind)!;
      const shape = shapeOf(ev, decl);
      const key = canonicalKey(shape);
      id = this.shapeIds.get(key);
      if (id === undefined) {
        id = this.shapes.length;
        this.shapes.push(clonePlain(shape));
        this.shapeWords.push(columnWords(decl, shape as unknown as Record<string, unknown>));
        this.columnKinds.push(decl.column && decl.name !== 'mmio' ? decl : undefined);
        this.shapeIds.set(key, id);
        this.shapeBytes += key.length;
      }
      fast?.set(inner, id);
    }
    if (ev.kind === 'mmio') {
      const value = ev.value;
      const len = ev.len;
      if (len === 8) {
        if (value < 0n || value > 0xffffffffffffffffn) throw new TypeError(`devrr: cannot record event ${this.first + this.count}: (mmio) value ${value} does not fit in len 8`);
        split64[0] = value;
        this.values[this.words++] = split32[LO]!;
        this.values[this.words++] = split32[HI]!;
      } else {
        if (value < 0n || value >= (len === 4 ? 0x100000000n : len === 2 ? 0x10000n : 0x100n)) {
          throw new TypeError(`devrr: cannot record event ${this.first + this.count}: (mmio) value ${value} does not fit in len ${len}`);
        }
        this.values[this.words++] = Number(value);
      }
    } else {
      const col = this.columnKinds[id];
      if (col !== undefined) {
        // checkEvent held the value to its len (a kind without mmio's fast path always runs it).
        const value = (ev as unknown as Record<string, unknown>)[col.column!.value] as bigint;
        if ((ev as unknown as Record<string, unknown>)[col.column!.len] === 8) {
          split64[0] = value;
          this.values[this.words++] = split32[LO]!;
          this.values[this.words++] = split32[HI]!;
        } else this.values[this.words++] = Number(value);
      }
    }
    this.index[this.count++] = id;
  }

  /**
   * The chunk record payload (format 1.2): a msgpack map {f, n, s, w, m, z},
   * where z is the raw DEFLATE of the value words (u32 LE) followed by the
   * shape index (u8, or u16 LE past 256 shapes).
   */
  encode(): Buffer {
    const n = this.count;
    const words = this.words;
    const width = this.shapes.length <= 256 ? 1 : 2;
    const raw = Buffer.allocUnsafe(4 * words + n * width);
    const vals = this.values.slice(0, words);
    if (HOST_BIG_ENDIAN) byteSwapInPlace(vals);
    raw.set(new Uint8Array(vals.buffer, 0, 4 * words), 0);
    if (width === 1) {
      for (let e = 0, at = 4 * words; e < n; e++) raw[at + e] = this.index[e]!;
    } else {
      const copy = this.index.slice(0, n);
      if (HOST_BIG_ENDIAN) byteSwapInPlace(copy);
      raw.set(new Uint8Array(copy.buffer, 0, 2 * n), 4 * words);
    }
    const z = deflateRawSync(raw, { level: DEFLATE_LEVEL });
    // Bins must be Buffers: msgpackr writes Buffer as bin, other Uint8Arrays as ext 't'.
    return encodeValue({ f: this.first, n, s: this.shapes, w: Buffer.from(this.shapeWords), m: words, z });
  }
}

// ---------------------------------------------------------------------------
// Decoding

/**
 * One decoded chunk, laid out for a replay loop with no per-event allocation:
 *
 * ```ts
 * for (let e = 0; e < c.count; e++) {
 *   const shape = c.shapes[c.index[e]!]!;
 *   if (shape.kind === 'mmio') { const lo = c.values[c.valueStart[e]!]!; ... }
 * }
 * ```
 *
 * Shapes are shared by every event that uses them: frozen (shallowly), never
 * mutate them. Arrays are aligned, host-endian and owned by this object.
 */
export interface DecodedChunk {
  /** Trace index of event 0 of this chunk. */
  readonly first: number;
  /** Events in the chunk (1..65536). */
  readonly count: number;
  /** Distinct events of the chunk; mmio shapes hold value 0n. */
  readonly shapes: readonly TraceEvent[];
  /** Shape index of each event (Uint16Array when there are more than 256 shapes). */
  readonly index: Uint8Array | Uint16Array;
  /** Value words: mmio low 32 bits, then high 32 bits when len is 8. */
  readonly values: Uint32Array;
  /** values[valueStart[e]] is event e's first word (meaningful only for mmio events). */
  readonly valueStart: Uint32Array;
  /**
   * Words each shape's events own (0, 1 or 2): the cheaper alternative to
   * valueStart for a loop that walks events in order with a running cursor.
   */
  readonly shapeWords: Uint8Array;
  /** Rebuild full event `i` (0-based within the chunk) as a new object. */
  event(i: number): TraceEvent;
}

class Chunk implements DecodedChunk {
  constructor(
    readonly first: number,
    readonly count: number,
    readonly shapes: readonly TraceEvent[],
    readonly index: Uint8Array | Uint16Array,
    readonly values: Uint32Array,
    readonly shapeWords: Uint8Array,
    /** The value field of each shape whose kind this devrr knows and stores in the column, else undefined. */
    private readonly columnField: readonly (string | undefined)[],
  ) {}

  private starts: Uint32Array | undefined;
  /**
   * Built on first use: a replay that walks the chunk from its first event
   * keeps a running cursor instead (apply.ts), so most chunks never need
   * the 4 bytes per event (decodeChunk has already checked the words add up).
   */
  get valueStart(): Uint32Array {
    if (this.starts) return this.starts;
    const n = this.count;
    const starts = new Uint32Array(n);
    for (let e = 0, w = 0; e < n; e++) {
      starts[e] = w;
      w += this.shapeWords[this.index[e]!]!;
    }
    return (this.starts = starts);
  }

  event(i: number): TraceEvent {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) {
      throw new RangeError(`devrr: event ${i} is outside chunk of ${this.count} events`);
    }
    const k = this.index[i]!;
    const shape = this.shapes[k]!;
    const field = this.columnField[k];
    if (field === undefined) return { ...shape };
    const w = this.valueStart[i]!;
    let value = BigInt(this.values[w]!);
    if (this.shapeWords[k] === 2) value |= BigInt(this.values[w + 1]!) << 32n;
    return { ...shape, [field]: value } as TraceEvent;
  }
}

function freezeShape(shape: TraceEvent): TraceEvent {
  const o = shape as unknown as Record<string, unknown>;
  for (const k of ['target', 'args']) if (typeof o[k] === 'object' && o[k] !== null) Object.freeze(o[k]);
  return Object.freeze(shape);
}

/** A VM as the `create_vm` event that made it describes it. */
export interface StreamVm {
  readonly arch: Arch;
  readonly ipaBits: number;
}

/**
 * What the events before a point of a trace created, for the event-stream
 * rules (FORMAT.md, *Event stream*): the VMs in creation order and the
 * `create_device` events of each so far. decodeChunk checks a chunk's events
 * against it and, when they pass, advances it past the chunk.
 */
export interface StreamState {
  readonly vms: StreamVm[];
  /** create_device events so far, by VM. */
  readonly creates: number[];
}

/** Gate value of a shape whose every event goes through the slow stream check. */
const GATE_ALWAYS = 0xffffffff;

/** Most bytes the DEFLATEd columns of one chunk may inflate to: 2 words and 2 index bytes per event. */
const MAX_COLUMN_BYTES = MAX_CHUNK_EVENTS * 10;

/**
 * Decode and fully validate a chunk record payload. `file` and `offset` (the
 * record's byte offset) only label errors: every problem is a TraceError
 * with code `malformed`. With `stream` (what the events before the chunk
 * created), the events must also follow the event-stream rules, and `stream`
 * is advanced past the chunk when they do. `ctx` says which format and kinds
 * the file has (its header); without it, the current format's layout when
 * the payload has `z`, else 1.1's, and every kind this devrr knows.
 */
export function decodeChunk(payload: Uint8Array, file: string, offset: number, stream?: StreamState, ctx?: ChunkContext): DecodedChunk {
  const fail = (what: string): TraceError => new TraceError('malformed', file, offset, `event chunk: ${what}`);
  let raw: unknown;
  try {
    raw = decodeValue(payload);
  } catch (e) {
    throw new TraceError('malformed', file, offset, `event chunk: payload is not valid msgpack (${describeThrown(e)})`);
  }
  if (!isPlainObject(raw)) throw fail('payload is not a map');
  const columnar = ctx ? compareVersion(ctx.version, [1, 2]) >= 0 : own(raw, 'z') !== undefined;
  const context = ctx ?? (columnar ? CURRENT : { version: [1, 1] as const });
  const f = own(raw, 'f');
  const n = own(raw, 'n');
  const s = own(raw, 's');
  if (!isCount(f)) throw fail('f (first event) is not a non-negative integer');
  if (!isCount(n) || n < 1 || n > MAX_CHUNK_EVENTS) throw fail(`n (event count) is not an integer in 1..${MAX_CHUNK_EVENTS}`);
  if (!Number.isSafeInteger(f + n)) throw fail('f + n is too large');
  if (!Array.isArray(s) || s.length < 1 || s.length > n) throw fail(`s (shapes) is not an array of 1..${n} shapes`);
  const nShapes = s.length;
  const width = nShapes <= 256 ? 1 : 2;

  const shapeWords = new Uint8Array(nShapes);
  const limit = new Uint32Array(nShapes);
  const columnField: (string | undefined)[] = new Array(nShapes).fill(undefined);
  // Stream rules: an event of shape k needs more than gate[k] - 1 VMs to exist
  // (its vm index); create_vm and create_device always take the slow path.
  const gate = new Uint32Array(nShapes);
  const declaredWords = columnar ? own(raw, 'w') : undefined;
  if (columnar && (!(declaredWords instanceof Uint8Array) || declaredWords.length !== nShapes)) throw fail(`w (words per shape) is not a bin of ${nShapes} bytes`);
  for (let k = 0; k < nShapes; k++) {
    const checked = checkShape(s[k], context);
    if ('problem' in checked) throw fail(`shape ${k} ${checked.problem}`);
    const shape = freezeShape(s[k] as TraceEvent);
    s[k] = shape;
    const o = shape as unknown as Record<string, unknown>;
    if (checked.decl === 'opaque') {
      // A kind this devrr does not know: its events own the words the chunk says.
      const words = (declaredWords as Uint8Array)[k]!;
      if (words > 2) throw fail(`w: shape ${k} (${shape.kind}) owns ${words} value words; at most 2`);
      shapeWords[k] = words;
      limit[k] = 0xffffffff;
    } else {
      const decl = checked.decl;
      shapeWords[k] = columnWords(decl, o);
      if (columnar && (declaredWords as Uint8Array)[k] !== shapeWords[k]) throw fail(`w: shape ${k} (${shape.kind}) owns ${(declaredWords as Uint8Array)[k]} value words, but its kind has ${shapeWords[k]}`);
      if (decl.column) {
        const len = o[decl.column.len] as number;
        limit[k] = len === 1 ? 0xff : len === 2 ? 0xffff : 0xffffffff;
        columnField[k] = decl.column.value;
      }
    }
    if (stream) gate[k] = shape.kind === 'create_vm' || shape.kind === 'create_device' ? GATE_ALWAYS : Math.min(shape.vm + 1, GATE_ALWAYS); // vm 2^32-1 must not wrap the gate to 0 (fuzz: events seed 20250901 input 1127)
  }
  let vms = stream ? stream.vms.length : 0;
  const newVms: StreamVm[] = [];
  const creates = stream ? stream.creates.slice() : [];

  // The columns, once, as aligned host-endian typed arrays.
  let index: Uint8Array | Uint16Array;
  let values: Uint32Array;
  if (columnar) {
    const m = own(raw, 'm');
    const z = own(raw, 'z');
    if (!isCount(m) || m > 2 * n) throw fail(`m (value words) is not an integer in 0..${2 * n}`);
    if (!(z instanceof Uint8Array)) throw fail('z (columns) is not a bin');
    const want = 4 * m + n * width;
    let cols: Buffer;
    try {
      // Bounded before inflating: at most MAX_COLUMN_BYTES (640 KiB), and a stream that would give more is refused.
      cols = inflateRawSync(z, { maxOutputLength: Math.max(1, Math.min(want, MAX_COLUMN_BYTES)) });
    } catch (e) {
      if ((e as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw fail(`z inflates to more than the ${want} bytes ${m} value words and ${n} ${width}-byte index entries take`);
      throw fail(`z is not a raw DEFLATE stream of ${want} bytes (${describeThrown(e)})`);
    }
    if (cols.length !== want) throw fail(`z inflates to ${cols.length} bytes, but ${m} value words and ${n} ${width}-byte index entries take ${want}`);
    if (cols.byteOffset % 4 === 0 && !HOST_BIG_ENDIAN) {
      values = new Uint32Array(cols.buffer, cols.byteOffset, m);
    } else {
      values = new Uint32Array(m);
      new Uint8Array(values.buffer).set(cols.subarray(0, 4 * m));
      if (HOST_BIG_ENDIAN) byteSwapInPlace(values);
    }
    if (width === 1) index = cols.subarray(4 * m, 4 * m + n);
    else {
      index = new Uint16Array(n);
      new Uint8Array(index.buffer).set(cols.subarray(4 * m));
      if (HOST_BIG_ENDIAN) byteSwapInPlace(index);
    }
  } else {
    const i = own(raw, 'i');
    const v = own(raw, 'v');
    if (!(i instanceof Uint8Array) || i.length !== n * width) {
      throw fail(`i (shape index) is not a bin of ${n * width} bytes (${n} events, ${width}-byte entries for ${nShapes} shapes)`);
    }
    if (!(v instanceof Uint8Array) || v.length % 4 !== 0) throw fail('v (values) is not a bin of whole u32 words');
    if (width === 1) {
      index = new Uint8Array(n);
      index.set(i);
    } else {
      index = new Uint16Array(n);
      new Uint8Array(index.buffer).set(i);
      if (HOST_BIG_ENDIAN) byteSwapInPlace(index);
    }
    values = new Uint32Array(v.length / 4);
    new Uint8Array(values.buffer).set(v);
    if (HOST_BIG_ENDIAN) byteSwapInPlace(values);
  }
  const nWords = values.length;

  let w = 0;
  for (let e = 0; e < n; e++) {
    const k = index[e]!;
    if (k >= nShapes) throw fail(`event ${e} refers to shape ${k} but the chunk has ${nShapes} shapes`);
    if (gate[k]! > vms) {
      const shape = s[k] as TraceEvent;
      const at = `event ${f + e} (${shape.kind})`;
      if (shape.kind === 'create_vm') {
        if (shape.vm !== vms) throw fail(`${at} names its new VM ${shape.vm}, but it is VM ${vms} of the trace (VMs are numbered in creation order)`);
        if (vms >= MAX_VMS) throw fail(`${at} creates VM ${vms}: a trace holds at most ${MAX_VMS} VMs`);
        newVms.push({ arch: shape.arch, ipaBits: shape.ipaBits });
        creates[vms] = 0;
        vms++;
      } else if (shape.vm >= vms) {
        throw fail(`${at} is for VM ${shape.vm}, which no earlier create_vm created (${vms === 0 ? 'none did' : `VMs 0..${vms - 1} exist`})`);
      } else if (shape.kind === 'create_device') {
        const n = (creates[shape.vm] ?? 0) + 1;
        if (n > MAX_DEVICE_CREATES_PER_VM) throw fail(`${at} is VM ${shape.vm}'s create_device number ${n}: a VM may have at most ${MAX_DEVICE_CREATES_PER_VM}`);
        creates[shape.vm] = n;
      }
    }
    const words = shapeWords[k]!;
    if (words !== 0) {
      if (w + words > nWords) throw fail(`value column too short: ${nWords} words, event ${e} needs word ${w + words - 1}`);
      if (values[w]! > limit[k]!) throw fail(`event ${e}: value 0x${values[w]!.toString(16)} does not fit ${(s[k] as { kind: string }).kind} len ${(s[k] as { len: number }).len}`);
      w += words;
    }
  }
  if (w !== nWords) throw fail(`value column has ${nWords} words but the events use ${w}`);
  if (stream) {
    stream.vms.push(...newVms);
    for (let v = 0; v < creates.length; v++) stream.creates[v] = creates[v]!;
  }
  return new Chunk(f, n, s as TraceEvent[], index, values, shapeWords, columnField);
}
