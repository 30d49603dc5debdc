/**
 * TraceReader: opens a trace file (format v1, FORMAT.md) and reads its
 * chunks and checkpoints on demand, one record at a time, with positioned
 * reads. Memory stays bounded by the largest record: nothing is cached.
 *
 * A cleanly closed file is indexed by its footer. A file without a valid
 * footer (a crash, a truncated upload, a flipped bit in the footer) is
 * scanned from the start: every complete, CRC-valid record before the first
 * damage is recovered, and `damage` says where and what the damage is.
 *
 * Every problem with the file's bytes is a TraceError naming the byte offset.
 * Chunks are also checked against the events before them (the event-stream
 * rules of FORMAT.md: VMs exist before their events, at most 16 of them,
 * 256 create_device each); verify() reads every record once, against the
 * footer's index, so a caller can refuse a damaged file before acting on it.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { type ChunkContext, type DecodedChunk, type StreamState, type StreamVm, chunkContext, decodeChunk } from './chunk.js';
import { TraceError, describeThrown } from './errors.js';
import type { TraceEvent } from './events.js';
import {
  type Checkpoint,
  type CheckpointEntry,
  type ChunkEntry,
  END_MAGIC,
  FIRST_OPTIONAL_RECORD_TYPE,
  HEADER_CRC_BYTES,
  HEADER_PREFIX_BYTES,
  MAGIC,
  MAX_CHUNK_EVENTS,
  MAX_HEADER_BYTES,
  MAX_VMS,
  MAX_RECORD_PAYLOAD,
  RECORD_HEADER_BYTES,
  RECORD_OVERHEAD,
  RecordType,
  TRAILER_BYTES,
  type TraceHeader,
  checkPlainData,
  crc32,
  decodeValue,
  isCount,
  isPlainObject,
  own,
  parseHeaderMap,
  recordTypeName,
} from './format.js';

/** A trace event with its index in the trace. */
export type IndexedEvent = TraceEvent & { readonly i: number };

/**
 * A check of a checkpoint's content beyond the format (devrr's commands check
 * the state against the models' schema and its digest): the problem, or
 * undefined. `vms` are the VMs the events before the checkpoint created.
 */
export type CheckpointCheck = (cp: Checkpoint, vms: readonly StreamVm[]) => string | undefined;

export interface TraceReaderOptions {
  /** Run on every checkpoint read (readCheckpoint, verify); a problem becomes a `malformed` TraceError at the record. */
  readonly checkCheckpoint?: CheckpointCheck;
}

/** What the index of a file is, however it was obtained. */
interface Index {
  complete: boolean;
  eventCount: number;
  chunks: ChunkEntry[];
  checkpoints: CheckpointEntry[];
  /** Records live in [dataStart, recordsEnd). */
  recordsEnd: number;
  recoveredUpTo: number;
  damage: TraceError | undefined;
  /** The scan stopped at a record boundary: the end of the file, or a footer whose trailer is cut. */
  unclosed: boolean;
  /** Events the footer of an unclosed file says the recording holds, when it says so. */
  footerEvents: number | undefined;
  /** The stream state at the start of each chunk the scan decoded (chunks.length + 1 entries). */
  stream: StreamState[] | undefined;
}

/** Positioned reads on one open file, with errors located in it. */
class Source {
  constructor(
    readonly file: string,
    readonly fd: number,
    readonly size: number,
  ) {}

  /** Exactly `len` bytes at `pos`; a short read (the file shrank) is `truncated`. */
  read(pos: number, len: number): Buffer {
    const buf = Buffer.allocUnsafeSlow(len);
    let done = 0;
    try {
      while (done < len) {
        const n = readSync(this.fd, buf, done, len - done, pos + done);
        if (n === 0) break;
        done += n;
      }
    } catch (e) {
      throw new TraceError('io', this.file, pos + done, `read failed: ${describeThrown(e)}`, { cause: e });
    }
    if (done < len) throw new TraceError('truncated', this.file, pos + done, `file ended while reading ${len} bytes at byte ${pos}`);
    return buf;
  }

  /**
   * Read and check the record at `offset`, which must end by `end`. Returns
   * its type and payload. Errors: truncated, bad-record, bad-crc.
   */
  record(offset: number, end: number): { type: number; payload: Buffer; next: number } {
    if (end - offset < RECORD_HEADER_BYTES) {
      throw new TraceError('truncated', this.file, offset, `record header cut short: ${Math.max(0, end - offset)} of ${RECORD_HEADER_BYTES} bytes before byte ${end}`);
    }
    const head = this.read(offset, RECORD_HEADER_BYTES);
    const type = head[0]!;
    const len = head.readUInt32LE(1);
    if (type === 0 || (type > RecordType.Footer && type < FIRST_OPTIONAL_RECORD_TYPE)) {
      throw new TraceError('bad-record', this.file, offset, `${recordTypeName(type)} (payload length field ${len})`);
    }
    if (len > MAX_RECORD_PAYLOAD) {
      throw new TraceError('bad-record', this.file, offset, `${recordTypeName(type)} claims ${len} payload bytes, more than the ${MAX_RECORD_PAYLOAD}-byte limit`);
    }
    const next = offset + RECORD_OVERHEAD + len;
    if (next > end) {
      throw new TraceError(
        'truncated',
        this.file,
        offset,
        `${recordTypeName(type)} record needs ${RECORD_OVERHEAD + len} bytes but only ${end - offset} remain before byte ${end}`,
      );
    }
    const rec = this.read(offset, RECORD_OVERHEAD + len);
    const stored = rec.readUInt32LE(RECORD_HEADER_BYTES + len);
    const actual = crc32(rec.subarray(0, RECORD_HEADER_BYTES + len));
    if (stored !== actual) {
      throw new TraceError('bad-crc', this.file, offset, `${recordTypeName(type)} record CRC mismatch (stored ${hex32(stored)}, computed ${hex32(actual)})`);
    }
    return { type, payload: rec.subarray(RECORD_HEADER_BYTES, RECORD_HEADER_BYTES + len), next };
  }
}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/** Run `f`; anything thrown that is not already a TraceError becomes a `malformed` one at `offset`. */
function located<T>(file: string, offset: number, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof TraceError) throw e;
    throw new TraceError('malformed', file, offset, `unexpected error while decoding: ${describeThrown(e)}`, { cause: e });
  }
}

/** Decode and check a checkpoint record payload. */
function decodeCheckpoint(payload: Uint8Array, file: string, offset: number): Checkpoint {
  const fail = (what: string): TraceError => new TraceError('malformed', file, offset, `checkpoint: ${what}`);
  let raw: unknown;
  try {
    raw = decodeValue(payload);
  } catch (e) {
    throw fail(`payload is not valid msgpack (${describeThrown(e)})`);
  }
  if (!isPlainObject(raw)) throw fail('payload is not a map');
  const event = own(raw, 'event');
  const digest = own(raw, 'digest');
  if (!isCount(event)) throw fail('event is not a non-negative integer');
  if (typeof digest !== 'string') throw fail('digest is not a string');
  if (!Object.prototype.hasOwnProperty.call(raw, 'state')) throw fail('state is missing');
  const state = raw['state'];
  const bad = checkPlainData(state, 'state');
  if (bad !== undefined) throw fail(bad);
  return { event, digest, state };
}

/**
 * Reads one trace file.
 *
 * @example
 * const r = TraceReader.open('run.devrr');
 * if (!r.complete) console.warn(`recovered ${r.eventCount} events; ${r.damage?.message}`);
 * for (const ev of r.events()) console.log(ev.i, ev.kind);
 * r.close();
 */
export class TraceReader {
  readonly path: string;
  readonly header: TraceHeader;
  /** The format and kinds the header gives chunk decoding. */
  private readonly ctx: ChunkContext;
  /** The footer and trailer are valid: the recording was closed cleanly. */
  readonly complete: boolean;
  /** Events in the file (recovered events when incomplete). */
  readonly eventCount: number;
  /** Every chunk record, in event order; their events are contiguous from 0. */
  readonly chunks: readonly ChunkEntry[];
  /** Every checkpoint record, in non-decreasing event order. */
  readonly checkpoints: readonly CheckpointEntry[];
  /** File size when complete; else the byte offset where recovery stopped. */
  readonly recoveredUpTo: number;
  /** Set exactly when incomplete: the first damage found (its offset is the bad record's). */
  readonly damage: TraceError | undefined;
  /**
   * Incomplete, and every record was read whole: the file ends at a record
   * boundary (or inside the end trailer), which is what a recorder that
   * crashed or is still running leaves. False when the scan stopped at damage.
   */
  readonly unclosed: boolean;
  /**
   * For an unclosed file whose footer record survived (the file ends inside
   * the trailer): the events the footer says the recording holds.
   */
  readonly footerEvents: number | undefined;
  /** Size of the file in bytes. */
  readonly size: number;

  private readonly src: Source;
  private readonly recordsEnd: number;
  private readonly dataStart: number;
  private readonly checkCheckpoint: CheckpointCheck | undefined;
  /**
   * The event-stream state at the start of chunk k (k = chunks.length: the
   * end), as an index into `streams`, or -1 until the chunks before it were
   * read. `streams` holds only the distinct states: they change at
   * create_vm and create_device events, of which a trace has a bounded number.
   */
  private readonly streamAt: Int32Array;
  private readonly streams: StreamState[] = [{ vms: [], creates: [] }];
  private closed = false;

  private constructor(src: Source, header: TraceHeader, dataStart: number, index: Index, opts: TraceReaderOptions) {
    this.src = src;
    this.path = src.file;
    this.size = src.size;
    this.header = header;
    this.ctx = chunkContext(header);
    this.dataStart = dataStart;
    this.complete = index.complete;
    this.eventCount = index.eventCount;
    this.chunks = Object.freeze(index.chunks.map((c) => Object.freeze(c)));
    this.checkpoints = Object.freeze(index.checkpoints.map((c) => Object.freeze(c)));
    this.recordsEnd = index.recordsEnd;
    this.recoveredUpTo = index.recoveredUpTo;
    this.damage = index.damage;
    this.unclosed = index.unclosed;
    this.footerEvents = index.footerEvents;
    this.checkCheckpoint = opts.checkCheckpoint;
    this.streamAt = new Int32Array(this.chunks.length + 1).fill(-1);
    this.streamAt[0] = 0;
    if (index.stream) {
      let last = this.streams[0]!;
      index.stream.forEach((st, k) => {
        if (!sameStream(st, last)) this.streams.push((last = st));
        this.streamAt[k] = this.streams.length - 1;
      });
    }
  }

  /**
   * Open a trace: check the header, then load the footer index or, when
   * there is no valid footer, recover by scanning. Throws TraceError when
   * the header is unusable (bad-magic, truncated, bad-crc, bad-header,
   * unsupported-version) or the file cannot be read (io).
   */
  static open(path: string, opts: TraceReaderOptions = {}): TraceReader {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw new TraceError('io', path, 0, `cannot open trace file: ${describeThrown(e)}`, { cause: e });
    }
    try {
      let size: number;
      try {
        size = fstatSync(fd).size;
      } catch (e) {
        throw new TraceError('io', path, 0, `cannot stat trace file: ${describeThrown(e)}`, { cause: e });
      }
      const src = new Source(path, fd, size);
      return located(path, 0, () => {
        const { header, dataStart } = readHeader(src);
        return new TraceReader(src, header, dataStart, readIndex(src, dataStart, chunkContext(header)), opts);
      });
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /** Index in `chunks` of the chunk holding event `event`, or -1. */
  chunkIndexOf(event: number): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.chunks[mid]!;
      if (event < c.first) hi = mid - 1;
      else if (event >= c.first + c.count) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  /**
   * Read, check and decode chunk `k`, including the event-stream rules (the
   * chunks before it are read first if they have not been yet). Throws
   * TraceError when its record is damaged (bad-crc, truncated, bad-record)
   * or its contents are invalid (malformed), RangeError when k is out of range.
   */
  readChunk(k: number): DecodedChunk {
    this.entry(this.chunks, k, 'chunk');
    return this.chunkAt(k).chunk;
  }

  /** Chunk k and the offset just past its record. */
  private chunkAt(k: number): { chunk: DecodedChunk; next: number } {
    let j = k;
    while (this.streamAt[j]! < 0) j--;
    for (; j < k; j++) this.decodeChunkRecord(j);
    return this.decodeChunkRecord(k);
  }

  private decodeChunkRecord(k: number): { chunk: DecodedChunk; next: number } {
    const entry = this.chunks[k]!;
    return located(this.path, entry.offset, () => {
      const rec = this.src.record(entry.offset, this.recordsEnd);
      if (rec.type !== RecordType.Chunk) {
        throw new TraceError('malformed', this.path, entry.offset, `index says event chunk but the record is a ${recordTypeName(rec.type)}`);
      }
      const before = this.streams[this.streamAt[k]!]!;
      const stream: StreamState = { vms: before.vms.slice(), creates: before.creates.slice() };
      const c = decodeChunk(rec.payload, this.path, entry.offset, stream, this.ctx);
      if (c.first !== entry.first || c.count !== entry.count) {
        throw new TraceError(
          'malformed',
          this.path,
          entry.offset,
          `event chunk holds events ${c.first}..${c.first + c.count - 1} but the index says ${entry.first}..${entry.first + entry.count - 1}`,
        );
      }
      if (this.streamAt[k + 1]! < 0) {
        if (!sameStream(stream, before)) this.streams.push(stream);
        this.streamAt[k + 1] = sameStream(stream, before) ? this.streamAt[k]! : this.streams.length - 1;
      }
      return { chunk: c, next: rec.next };
    });
  }

  /** The VMs the events [0, event) created. */
  private vmsBefore(event: number): readonly StreamVm[] {
    if (event >= this.eventCount) {
      if (this.chunks.length) this.chunkAt(this.chunks.length - 1);
      return this.streams[this.streamAt[this.chunks.length]!]!.vms;
    }
    const k = this.chunkIndexOf(event);
    const c = this.chunkAt(k).chunk;
    const vms = this.streams[this.streamAt[k]!]!.vms.slice();
    for (let e = 0; e < event - c.first; e++) {
      const shape = c.shapes[c.index[e]!]!;
      if (shape.kind === 'create_vm') vms.push({ arch: shape.arch, ipaBits: shape.ipaBits });
    }
    return vms;
  }

  /**
   * Every event in [from, to), with its trace index, decoding one chunk at a
   * time (only the current chunk is held). Each yielded event is a new
   * object. Throws RangeError at once for a bad range; reading throws like
   * readChunk.
   */
  events(from = 0, to = this.eventCount): Generator<IndexedEvent, void, undefined> {
    if (!isCount(from) || !isCount(to) || from > to || to > this.eventCount) {
      throw new RangeError(`devrr: event range [${from}, ${to}) is not within [0, ${this.eventCount}]`);
    }
    return this.iterate(from, to);
  }

  private *iterate(from: number, to: number): Generator<IndexedEvent, void, undefined> {
    if (from === to) return;
    for (let k = this.chunkIndexOf(from); k < this.chunks.length && this.chunks[k]!.first < to; k++) {
      const c = this.readChunk(k);
      const start = Math.max(from, c.first) - c.first;
      const end = Math.min(to, c.first + c.count) - c.first;
      for (let e = start; e < end; e++) {
        const ev = c.event(e) as TraceEvent & { i: number };
        ev.i = c.first + e;
        yield ev;
      }
    }
  }

  /** Read, check and decode checkpoint `k` (and run the open options' checkCheckpoint). Throws like readChunk. */
  readCheckpoint(k: number): Checkpoint {
    this.entry(this.checkpoints, k, 'checkpoint');
    return this.checkpointAt(k).cp;
  }

  private checkpointAt(k: number): { cp: Checkpoint; next: number } {
    const entry = this.checkpoints[k]!;
    return located(this.path, entry.offset, () => {
      const rec = this.src.record(entry.offset, this.recordsEnd);
      if (rec.type !== RecordType.Checkpoint) {
        throw new TraceError('malformed', this.path, entry.offset, `index says checkpoint but the record is a ${recordTypeName(rec.type)}`);
      }
      const cp = decodeCheckpoint(rec.payload, this.path, entry.offset);
      if (cp.event !== entry.event || cp.digest !== entry.digest) {
        throw new TraceError('malformed', this.path, entry.offset, `checkpoint is for event ${cp.event} but the index says ${entry.event}`);
      }
      if (this.checkCheckpoint) {
        const vms = this.vmsBefore(cp.event);
        const bad = this.checkCheckpoint(cp, vms);
        if (bad !== undefined) throw new TraceError('malformed', this.path, entry.offset, `checkpoint for event ${cp.event}: ${bad}`);
      }
      return { cp, next: rec.next };
    });
  }

  /**
   * Read and check every record the reader knows of, in file order: each
   * chunk and checkpoint as readChunk and readCheckpoint do, and, for a
   * closed file, that the footer's index accounts for every record between
   * the header and the footer (optional records aside). Throws the first
   * problem as a TraceError. Holds one record at a time.
   */
  verify(): void {
    let c = 0;
    let p = 0;
    const nextChunk = (): number => (c < this.chunks.length ? this.chunks[c]!.offset : Infinity);
    const nextCheckpoint = (): number => (p < this.checkpoints.length ? this.checkpoints[p]!.offset : Infinity);
    if (!this.complete) {
      // Scanned: the index is exactly the records recovered (optional ones aside), in file order.
      while (c < this.chunks.length || p < this.checkpoints.length) {
        if (nextChunk() < nextCheckpoint()) this.chunkAt(c++);
        else this.checkpointAt(p++);
      }
      return;
    }
    let pos = this.dataStart;
    while (pos < this.recordsEnd) {
      if (nextChunk() === pos) pos = this.chunkAt(c++).next;
      else if (nextCheckpoint() === pos) pos = this.checkpointAt(p++).next;
      else {
        const at = pos;
        const rec = located(this.path, at, () => this.src.record(at, this.recordsEnd));
        if (rec.type < FIRST_OPTIONAL_RECORD_TYPE) throw new TraceError('malformed', this.path, at, `${recordTypeName(rec.type)} record is not in the footer's index`);
        pos = rec.next;
      }
    }
    const stray = Math.min(nextChunk(), nextCheckpoint());
    if (stray !== Infinity) {
      throw new TraceError('malformed', this.path, stray, `the footer's index names a ${stray === nextChunk() ? 'chunk' : 'checkpoint'} record at byte ${stray}, which is inside another record`);
    }
  }

  /** Index of the last checkpoint at or before event `event`, or -1. */
  checkpointBefore(event: number): number {
    let lo = 0;
    let hi = this.checkpoints.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.checkpoints[mid]!.event <= event) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best;
  }

  /** Close the file. Further reads throw. A second call does nothing. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.src.fd);
  }

  private entry<T>(list: readonly T[], k: number, what: string): T {
    if (this.closed) throw new Error(`devrr: trace reader for ${this.path} is closed`);
    if (!Number.isInteger(k) || k < 0 || k >= list.length) {
      throw new RangeError(`devrr: ${what} ${k} does not exist (${list.length} ${what}s)`);
    }
    return list[k]!;
  }
}

function sameStream(a: StreamState, b: StreamState): boolean {
  return a.vms.length === b.vms.length && a.creates.length === b.creates.length && a.creates.every((n, v) => n === b.creates[v]);
}

// ---------------------------------------------------------------------------
// Opening

function readHeader(src: Source): { header: TraceHeader; dataStart: number } {
  const { file, size } = src;
  if (size === 0) throw new TraceError('truncated', file, 0, 'file is empty: not a devrr trace');
  const pre = src.read(0, Math.min(HEADER_PREFIX_BYTES, size));
  const magicPart = pre.subarray(0, Math.min(MAGIC.length, pre.length));
  if (!magicPart.equals(MAGIC.subarray(0, magicPart.length))) {
    throw new TraceError('bad-magic', file, 0, `not a devrr trace: starts with ${JSON.stringify(magicPart.toString('latin1'))}, expected "DEVRRTRC"`);
  }
  if (size < HEADER_PREFIX_BYTES) {
    throw new TraceError('truncated', file, size, `file ends inside the header prefix (${size} of ${HEADER_PREFIX_BYTES} bytes)`);
  }
  const len = pre.readUInt32LE(8);
  if (len > MAX_HEADER_BYTES) {
    throw new TraceError('bad-header', file, 8, `header length ${len} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  const dataStart = HEADER_PREFIX_BYTES + len + HEADER_CRC_BYTES;
  if (dataStart > size) {
    throw new TraceError('truncated', file, size, `file ends inside the header (header needs ${dataStart} bytes, file has ${size})`);
  }
  const all = src.read(0, dataStart);
  const stored = all.readUInt32LE(HEADER_PREFIX_BYTES + len);
  const actual = crc32(all.subarray(0, HEADER_PREFIX_BYTES + len));
  if (stored !== actual) {
    throw new TraceError('bad-crc', file, 0, `header CRC mismatch (stored ${hex32(stored)}, computed ${hex32(actual)})`);
  }
  let raw: unknown;
  try {
    raw = decodeValue(all.subarray(HEADER_PREFIX_BYTES, HEADER_PREFIX_BYTES + len));
  } catch (e) {
    throw new TraceError('bad-header', file, HEADER_PREFIX_BYTES, `header map is not valid msgpack (${describeThrown(e)})`);
  }
  return { header: parseHeaderMap(raw, file, HEADER_PREFIX_BYTES), dataStart };
}

function readIndex(src: Source, dataStart: number, ctx: ChunkContext): Index {
  let footerProblem: TraceError;
  try {
    return readFooter(src, dataStart);
  } catch (e) {
    if (!(e instanceof TraceError) || e.code === 'io') throw e;
    footerProblem = e;
  }
  return scan(src, dataStart, footerProblem, ctx);
}

/** The index from a valid trailer and footer; throws a TraceError describing why there is none. */
function readFooter(src: Source, dataStart: number): Index {
  const { file, size } = src;
  const notClosed = (): TraceError =>
    new TraceError('truncated', file, size, 'no end trailer: the recording was not closed (crashed, killed or still running)');
  if (size < dataStart + RECORD_OVERHEAD + TRAILER_BYTES) throw notClosed();
  const trailer = src.read(size - TRAILER_BYTES, TRAILER_BYTES);
  if (!trailer.subarray(8).equals(END_MAGIC)) throw notClosed();
  const trailerAt = size - TRAILER_BYTES;
  const footerAt64 = trailer.readBigUInt64LE(0);
  if (footerAt64 < BigInt(dataStart) || footerAt64 > BigInt(trailerAt - RECORD_OVERHEAD)) {
    throw new TraceError('bad-record', file, trailerAt, `trailer points to a footer at byte ${footerAt64}, outside the records [${dataStart}, ${trailerAt})`);
  }
  const footerAt = Number(footerAt64);
  const rec = src.record(footerAt, trailerAt);
  if (rec.type !== RecordType.Footer) {
    throw new TraceError('bad-record', file, footerAt, `trailer points to a ${recordTypeName(rec.type)} record, not the footer`);
  }
  if (rec.next !== trailerAt) {
    throw new TraceError('malformed', file, footerAt, `footer record ends at byte ${rec.next}, not at the trailer (byte ${trailerAt})`);
  }
  const fail = (what: string): TraceError => new TraceError('malformed', file, footerAt, `footer: ${what}`);
  let raw: unknown;
  try {
    raw = decodeValue(rec.payload);
  } catch (e) {
    throw fail(`payload is not valid msgpack (${describeThrown(e)})`);
  }
  if (!isPlainObject(raw)) throw fail('payload is not a map');
  const events = own(raw, 'events');
  const chunksRaw = own(raw, 'chunks');
  const checkpointsRaw = own(raw, 'checkpoints');
  if (!isCount(events)) throw fail('events is not a non-negative integer');
  if (!Array.isArray(chunksRaw)) throw fail('chunks is not an array');
  if (!Array.isArray(checkpointsRaw)) throw fail('checkpoints is not an array');
  // Each entry names its own record, of at least RECORD_OVERHEAD + 1 bytes, before the footer.
  const room = Math.floor((footerAt - dataStart) / (RECORD_OVERHEAD + 1));
  if (chunksRaw.length + checkpointsRaw.length > room) {
    throw fail(`${chunksRaw.length} chunk and ${checkpointsRaw.length} checkpoint entries, but the ${footerAt - dataStart} bytes of records hold at most ${room} records`);
  }
  const lastRecord = footerAt - RECORD_OVERHEAD; // the latest a record before the footer can start
  const chunks: ChunkEntry[] = [];
  let next = 0;
  let prevOffset = -1;
  for (let k = 0; k < chunksRaw.length; k++) {
    const c: unknown = chunksRaw[k];
    if (!isPlainObject(c)) throw fail(`chunk ${k} is not a map`);
    const offset = own(c, 'offset');
    const first = own(c, 'first');
    const count = own(c, 'count');
    if (!isCount(offset) || offset < dataStart || offset > lastRecord || offset <= prevOffset) {
      throw fail(`chunk ${k} offset is not an increasing byte offset in [${dataStart}, ${lastRecord}]`);
    }
    if (first !== next) throw fail(`chunk ${k} starts at event ${String(first)}, expected ${next}`);
    if (!isCount(count) || count < 1 || count > MAX_CHUNK_EVENTS) throw fail(`chunk ${k} count is not an integer in 1..${MAX_CHUNK_EVENTS}`);
    chunks.push({ offset, first: next, count });
    next += count;
    prevOffset = offset;
  }
  if (next !== events) throw fail(`chunks hold ${next} events but events says ${events}`);
  const checkpoints: CheckpointEntry[] = [];
  const chunkAt = new Set(chunks.map((c) => c.offset));
  let prevEvent = 0;
  prevOffset = -1;
  for (let k = 0; k < checkpointsRaw.length; k++) {
    const c: unknown = checkpointsRaw[k];
    if (!isPlainObject(c)) throw fail(`checkpoint ${k} is not a map`);
    const offset = own(c, 'offset');
    const event = own(c, 'event');
    const digest = own(c, 'digest');
    if (!isCount(offset) || offset < dataStart || offset > lastRecord || offset <= prevOffset || chunkAt.has(offset)) {
      throw fail(`checkpoint ${k} offset is not an increasing byte offset in [${dataStart}, ${lastRecord}] of a record that is not a chunk`);
    }
    prevOffset = offset;
    if (!isCount(event) || event < prevEvent || event > events) {
      throw fail(`checkpoint ${k} event is not a non-decreasing integer in [${prevEvent}, ${events}]`);
    }
    if (typeof digest !== 'string') throw fail(`checkpoint ${k} digest is not a string`);
    checkpoints.push({ offset, event, digest });
    prevEvent = event;
  }
  return { complete: true, eventCount: events, chunks, checkpoints, recordsEnd: footerAt, recoveredUpTo: size, damage: undefined, unclosed: false, footerEvents: undefined, stream: undefined };
}

/**
 * Recover every complete, valid record from `dataStart` until the first
 * damage, reading one record at a time. `footerProblem` is why readFooter
 * failed; it becomes the damage when the scan itself finds none before the
 * footer or the end of the file.
 */
function scan(src: Source, dataStart: number, footerProblem: TraceError, ctx: ChunkContext): Index {
  const { file, size } = src;
  const chunks: ChunkEntry[] = [];
  const checkpoints: CheckpointEntry[] = [];
  const stream: StreamState = { vms: [], creates: [] };
  const streamAt: StreamState[] = [{ vms: [], creates: [] }];
  let events = 0;
  let pos = dataStart;
  let damage: TraceError | undefined;
  let unclosed = false;
  let footerEvents: number | undefined;
  while (pos < size) {
    try {
      const rec = src.record(pos, size);
      if (rec.type === RecordType.Footer) {
        const trailerBytes = size - rec.next;
        if (trailerBytes < TRAILER_BYTES) {
          // Cut while closing: every record is whole, and the footer says how many events there were.
          unclosed = true;
          footerEvents = footerEventCount(rec.payload);
          damage = new TraceError('truncated', file, rec.next, `file ends inside the end trailer (${trailerBytes} of ${TRAILER_BYTES} bytes)`);
        } else damage = footerProblem;
        break;
      }
      if (rec.type === RecordType.Chunk) {
        const at = pos;
        const c = located(file, at, () => decodeChunk(rec.payload, file, at, stream, ctx));
        if (c.first !== events) {
          throw new TraceError('malformed', file, pos, `event chunk starts at event ${c.first}, expected ${events}`);
        }
        chunks.push({ offset: pos, first: c.first, count: c.count });
        events += c.count;
        const last = streamAt[streamAt.length - 1]!;
        streamAt.push(sameStream(stream, last) ? last : { vms: stream.vms.slice(), creates: stream.creates.slice() });
      } else if (rec.type === RecordType.Checkpoint) {
        const at = pos;
        const cp = located(file, at, () => decodeCheckpoint(rec.payload, file, at));
        const prev = checkpoints.length === 0 ? 0 : checkpoints[checkpoints.length - 1]!.event;
        if (cp.event > events || cp.event < prev) {
          throw new TraceError('malformed', file, pos, `checkpoint for event ${cp.event} is not in [${prev}, ${events}] (events so far)`);
        }
        checkpoints.push({ offset: pos, event: cp.event, digest: cp.digest });
      }
      // Optional record types (>= 128) are skipped: their CRC was checked.
      pos = rec.next;
    } catch (e) {
      if (!(e instanceof TraceError) || e.code === 'io') throw e;
      damage = e;
      break;
    }
  }
  if (damage === undefined) {
    unclosed = true;
    damage =
      footerProblem.code === 'truncated' && footerProblem.offset === size
        ? new TraceError('truncated', file, size, 'file ends after the last complete record, without footer or trailer: the recording was not closed')
        : footerProblem;
  }
  streamAt.length = chunks.length + 1;
  return { complete: false, eventCount: events, chunks, checkpoints, recordsEnd: pos, recoveredUpTo: pos, damage, unclosed, footerEvents, stream: streamAt };
}

/** The `events` of a footer payload, if it decodes to a map holding one. */
function footerEventCount(payload: Uint8Array): number | undefined {
  try {
    const raw = decodeValue(payload);
    const events = isPlainObject(raw) ? own(raw, 'events') : undefined;
    return isCount(events) ? events : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// Benchmark helper

/** What decodeAll saw. */
export interface DecodeStats {
  readonly events: number;
  readonly chunks: number;
  /** Events that carried value words (mmio). */
  readonly valued: number;
  /** A number depending on every shape index and value word, so the work cannot be skipped. */
  readonly checksum: number;
}

/**
 * Decode every chunk and touch every event's shape index and value words,
 * the way a replay loop would (running value cursor, no per-event
 * allocation). For `devrr bench`: events / elapsed time is the decode rate.
 */
export function decodeAll(reader: TraceReader): DecodeStats {
  let events = 0;
  let valued = 0;
  let checksum = 0;
  for (let k = 0; k < reader.chunks.length; k++) {
    const c = reader.readChunk(k);
    const { index, values, shapeWords, count } = c;
    let w = 0;
    for (let e = 0; e < count; e++) {
      const s = index[e]!;
      checksum = (Math.imul(checksum, 31) + s) | 0;
      const words = shapeWords[s]!;
      if (words !== 0) {
        checksum = (checksum ^ values[w]!) | 0;
        w += words;
        valued++;
      }
    }
    events += count;
  }
  return { events, chunks: reader.chunks.length, valued, checksum };
}
