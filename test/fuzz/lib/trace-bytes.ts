/**
 * A trace file taken apart into what its bytes mean (header map, records,
 * footer) and put back together, so the fuzzer can change a record's
 * payload and still give it a valid CRC, or rebuild the footer and trailer
 * so that the mutated records are reached through the index and not only
 * by the scan. Only for seeds, which are valid traces: parse() trusts them.
 */
import { Unpackr } from 'msgpackr';
import { ChunkBuilder } from '../../../traces/chunk.js';
import type { TraceEvent } from '../../../traces/events.js';
import {
  type TraceHeader,
  END_MAGIC,
  FORMAT_VERSION,
  HEADER_CRC_BYTES,
  HEADER_PREFIX_BYTES,
  RECORD_HEADER_BYTES,
  RECORD_OVERHEAD,
  REQUIRED_READER,
  RecordType,
  MAGIC,
  TRAILER_BYTES,
  crc32,
  decodeValue,
  encodeValue,
  frameRecord,
  headerMap,
} from '../../../traces/format.js';

export interface RecordBytes {
  readonly type: number;
  readonly payload: Buffer;
}

/** A trace as its parts. `records` excludes the footer. */
export interface TraceParts {
  /** The decoded header map (plain data). */
  readonly header: unknown;
  readonly records: RecordBytes[];
  /** The decoded footer map, when the file was closed. */
  readonly footer: unknown;
}

/** Splits a valid, closed trace into header map, records and footer. */
export function parseTrace(bytes: Buffer): TraceParts {
  const n = bytes.readUInt32LE(8);
  const header = decodeValue(bytes.subarray(HEADER_PREFIX_BYTES, HEADER_PREFIX_BYTES + n));
  let pos = HEADER_PREFIX_BYTES + n + HEADER_CRC_BYTES;
  const footerAt = bytes.length >= TRAILER_BYTES && bytes.subarray(bytes.length - 8).equals(END_MAGIC) ? Number(bytes.readBigUInt64LE(bytes.length - TRAILER_BYTES)) : bytes.length;
  const records: RecordBytes[] = [];
  let footer: unknown;
  while (pos + RECORD_OVERHEAD <= bytes.length) {
    const type = bytes[pos]!;
    const len = bytes.readUInt32LE(pos + 1);
    const payload = Buffer.from(bytes.subarray(pos + RECORD_HEADER_BYTES, pos + RECORD_HEADER_BYTES + len));
    if (pos === footerAt && type === RecordType.Footer) {
      footer = decodeValue(payload);
      break;
    }
    records.push({ type, payload });
    pos += RECORD_OVERHEAD + len;
  }
  return { header, records, footer };
}

/** How the end of the file is written. */
export type Ending =
  /** A footer indexing the records as they are now (what each chunk and checkpoint payload says it holds), then the trailer. */
  | { readonly kind: 'rebuild'; readonly mutateFooter?: (footer: Record<string, unknown>) => unknown; readonly mutateFooterBytes?: (payload: Buffer) => Buffer }
  /** The seed's own footer (stale when records changed size), then a trailer pointing at it. */
  | { readonly kind: 'stale'; readonly footer: unknown }
  /** No footer and no trailer: a recording that crashed. */
  | { readonly kind: 'none' };

/** Header bytes (magic, length, body, CRC) around a header map's raw msgpack bytes, which may be anything. */
export function headerBytesOf(body: Buffer): Buffer {
  const out = Buffer.alloc(HEADER_PREFIX_BYTES + body.length + HEADER_CRC_BYTES);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(body.length, 8);
  body.copy(out, HEADER_PREFIX_BYTES);
  out.writeUInt32LE(crc32(out.subarray(0, HEADER_PREFIX_BYTES + body.length)), HEADER_PREFIX_BYTES + body.length);
  return out;
}

/** The bytes of a trace made of `header` (a header map, CRC computed), `records` (CRCs computed) and `ending`. */
export function buildTrace(header: unknown, records: readonly RecordBytes[], ending: Ending, headerBody?: Buffer): Buffer {
  const parts: Buffer[] = [headerBody ? headerBytesOf(headerBody) : headerBytesOf(encodeValue(header, false))];
  let pos = parts[0]!.length;
  const chunks: { offset: number; first: unknown; count: unknown }[] = [];
  const checkpoints: { offset: number; event: unknown; digest: unknown }[] = [];
  for (const r of records) {
    const framed = frameRecord(r.type, r.payload);
    if (r.type === RecordType.Chunk) {
      const p = peek(r.payload);
      chunks.push({ offset: pos, first: p?.['f'], count: p?.['n'] });
    } else if (r.type === RecordType.Checkpoint) {
      const p = peek(r.payload);
      checkpoints.push({ offset: pos, event: p?.['event'], digest: p?.['digest'] });
    }
    parts.push(framed);
    pos += framed.length;
  }
  if (ending.kind !== 'none') {
    let footer: unknown;
    if (ending.kind === 'stale') footer = ending.footer;
    else {
      const last = chunks[chunks.length - 1];
      const events = last && typeof last.first === 'number' && typeof last.count === 'number' ? last.first + last.count : 0;
      const f: Record<string, unknown> = { events, chunks, checkpoints };
      footer = ending.mutateFooter ? ending.mutateFooter(f) : f;
    }
    let payload = encodeValue(footer);
    if (ending.kind === 'rebuild' && ending.mutateFooterBytes) payload = ending.mutateFooterBytes(payload);
    const framed = frameRecord(RecordType.Footer, payload);
    const trailer = Buffer.alloc(TRAILER_BYTES);
    trailer.writeBigUInt64LE(BigInt(pos), 0);
    END_MAGIC.copy(trailer, 8);
    parts.push(framed, trailer);
  }
  return Buffer.concat(parts);
}

/**
 * The harness's own msgpack decoder, for reading back what a mutated payload says (`f`, `n`, `event`,
 * `digest`): devrr's decodeValue applies the reader's limits, and the bytes the fuzzer builds must not
 * depend on them.
 */
const peeker = new Unpackr({ useRecords: false, mapsAsObjects: true, moreTypes: true, int64AsType: 'bigint' });

/** The payload map of a record, or undefined when it does not decode to a map. */
function peek(payload: Buffer): Record<string, unknown> | undefined {
  try {
    const v: unknown = peeker.unpack(payload);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A header map as devrr writes it. */
export function defaultHeader(over: Partial<TraceHeader> = {}): Record<string, unknown> {
  return headerMap({
    formatVersion: FORMAT_VERSION,
    requiredReader: REQUIRED_READER,
    devrrVersion: '0.1.0',
    arch: 'arm64',
    ipaBits: 40,
    models: { 'kvm-arm-vgic-its': 1, 'kvm-arm-vgic-v2': 1, 'kvm-arm-vgic-v3': 1 },
    checkpointEvery: 0,
    ...over,
  });
}

/**
 * Chunk and checkpoint records for a list of events (checked by the chunk
 * builder as the writer would), with a chunk every `chunkSize` events and a
 * checkpoint record wherever `checkpoints` has an entry: without fsync or a
 * file, so that building thousands of traces is cheap.
 */
export function eventRecords(events: readonly TraceEvent[], chunkSize: number, checkpoints: ReadonlyMap<number, { state: unknown; digest: string }> = new Map()): RecordBytes[] {
  const out: RecordBytes[] = [];
  const b = new ChunkBuilder(chunkSize);
  const flush = () => {
    if (b.count === 0) return;
    out.push({ type: RecordType.Chunk, payload: b.encode() });
    b.reset(b.first + b.count);
  };
  for (let i = 0; i <= events.length; i++) {
    const cp = checkpoints.get(i);
    if (cp) {
      flush();
      out.push({ type: RecordType.Checkpoint, payload: encodeValue({ event: i, digest: cp.digest, state: cp.state }) });
    }
    if (i === events.length) break;
    b.add(events[i]!);
    if (b.full) flush();
  }
  flush();
  return out;
}
