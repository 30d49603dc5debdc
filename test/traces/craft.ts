/**
 * Hand-made trace files for hostile-input tests: records framed with valid
 * CRCs around whatever content a test wants, including content the writer
 * refuses (a mem_read of 1 GiB, a footer index of 100k entries), with a
 * correct footer and trailer unless told otherwise.
 */
import { writeFileSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import { join } from 'node:path';
import { canonicalKey } from '../../traces/chunk.js';
import { columnWords, kindDecl } from '../../traces/kinds.js';
import type { TraceEvent } from '../../traces/events.js';
import {
  END_MAGIC,
  FORMAT_VERSION,
  REQUIRED_READER,
  RecordType,
  type TraceHeaderInit,
  encodeHeaderBytes,
  encodeValue,
  frameRecord,
  headerMap,
} from '../../traces/format.js';
import { digestState } from '../../devices/core/state.js';
import { modelVersions } from '../../devices/registry.js';

export const HEADER: TraceHeaderInit = { devrrVersion: '0.1.0', arch: 'arm64', ipaBits: 40, models: modelVersions(), checkpointEvery: 0 };

export function headerBytes(h: Partial<TraceHeaderInit> = {}): Buffer {
  return encodeHeaderBytes(headerMap({ ...HEADER, ...h, formatVersion: FORMAT_VERSION, requiredReader: REQUIRED_READER }));
}

/** One record of a crafted file, with what the footer's index says of it. */
export interface Part {
  readonly bytes: Buffer;
  readonly chunk?: { readonly first: number; readonly count: number };
  readonly checkpoint?: { readonly event: number; readonly digest: string };
}

/** The payload map of a chunk holding `events` (shapes deduplicated as the writer does). */
export function chunkMap(first: number, events: readonly TraceEvent[]): Record<string, unknown> {
  const shapes: Record<string, unknown>[] = [];
  const ids = new Map<string, number>();
  const index: number[] = [];
  const words: number[] = [];
  for (const ev of events) {
    const shape: Record<string, unknown> = { ...ev };
    const col = kindDecl(ev.kind)?.column;
    if (col) {
      const value = shape[col.value] as bigint;
      shape[col.value] = 0n;
      words.push(Number(value & 0xffffffffn));
      if (shape[col.len] === 8) words.push(Number(value >> 32n));
    }
    const key = canonicalKey(shape);
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = shapes.push(shape) - 1));
    index.push(id);
  }
  const i = shapes.length <= 256 ? Buffer.from(index) : Buffer.from(new Uint16Array(index).buffer);
  return columnarMap({ f: first, n: events.length, s: shapes, i, v: Buffer.from(new Uint32Array(words).buffer) });
}

/**
 * A chunk map in format 1.1's layout ({i, v}: raw index and value columns)
 * in 1.2's ({w, m, z}): words per shape from each known kind's declaration
 * (0 for others), the whole words of v, and the raw DEFLATE of v then i.
 * Whatever is wrong with i or v stays wrong inside z.
 */
export function columnarMap(map: Record<string, unknown>): Record<string, unknown> {
  const { i, v, ...rest } = map as { i: Buffer; v: Buffer } & Record<string, unknown>;
  const s = map['s'];
  const w = Array.isArray(s) ? Buffer.from(s.map((shape: Record<string, unknown>) => {
    const d = typeof shape?.['kind'] === 'string' ? kindDecl(shape['kind'] as string) : undefined;
    return d ? columnWords(d, shape) : 0;
  })) : Buffer.alloc(0);
  return { f: rest['f'], n: rest['n'], s, w, m: Math.floor(v.length / 4), z: deflateRawSync(Buffer.concat([v, i])), ...rest };
}

/** A chunk record of `events` (at most 65536), or of a payload map given outright. */
export function chunk(first: number, events: readonly TraceEvent[], map: Record<string, unknown> = chunkMap(first, events)): Part {
  return { bytes: frameRecord(RecordType.Chunk, encodeValue(map, false)), chunk: { first, count: map['n'] as number } };
}

/** Chunk records of up to 65536 events each, for `events` starting at `first`. */
export function chunks(first: number, events: readonly TraceEvent[]): Part[] {
  const out: Part[] = [];
  for (let at = 0; at < events.length; at += 65536) out.push(chunk(first + at, events.slice(at, at + 65536)));
  return out;
}

/** A checkpoint record; the digest is the state's own unless given. */
export function checkpoint(event: number, state: unknown, digest = digestState(state)): Part {
  return { bytes: frameRecord(RecordType.Checkpoint, encodeValue({ event, digest, state }, false)), checkpoint: { event, digest } };
}

export interface TraceOptions {
  readonly header?: Partial<TraceHeaderInit>;
  /** false: no footer or trailer (an unclosed recording). A function: change the footer map before it is written. */
  readonly footer?: false | ((map: Record<string, unknown>) => Record<string, unknown>);
}

/** The bytes of a trace holding `parts` in order, with a footer indexing them. */
export function traceBytes(parts: readonly Part[], opts: TraceOptions = {}): Buffer {
  const head = headerBytes(opts.header);
  const out: Buffer[] = [head];
  let at = head.length;
  let events = 0;
  const index = { chunks: [] as unknown[], checkpoints: [] as unknown[] };
  for (const p of parts) {
    if (p.chunk) {
      index.chunks.push({ offset: at, first: p.chunk.first, count: p.chunk.count });
      events = p.chunk.first + p.chunk.count;
    }
    if (p.checkpoint) index.checkpoints.push({ offset: at, event: p.checkpoint.event, digest: p.checkpoint.digest });
    out.push(p.bytes);
    at += p.bytes.length;
  }
  if (opts.footer !== false) {
    const map = { events, chunks: index.chunks, checkpoints: index.checkpoints };
    out.push(frameRecord(RecordType.Footer, encodeValue(opts.footer ? opts.footer(map) : map, false)));
    const trailer = Buffer.alloc(16);
    trailer.writeBigUInt64LE(BigInt(at));
    END_MAGIC.copy(trailer, 8);
    out.push(trailer);
  }
  return Buffer.concat(out);
}

let seq = 0;

/** Write `bytes` to a new file in `dir`; returns its path. */
export function fileIn(dir: string, name: string, bytes: Uint8Array): string {
  const path = join(dir, `${seq++}-${name}.devrr`);
  writeFileSync(path, bytes);
  return path;
}

/** The first event of every trace. */
export const CREATE_VM: TraceEvent = { kind: 'create_vm', vm: 0, arch: 'arm64', ipaBits: 40 };
