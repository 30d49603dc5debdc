/**
 * TraceWriter: streams events and checkpoints into a trace file (format v1,
 * FORMAT.md) with bounded memory.
 *
 * The file is written as `<path>.incomplete` and renamed to `<path>` only by
 * close(), after the footer and trailer are written and fsynced, so a crashed
 * recording is visible by name and still readable (TraceReader recovers every
 * complete record). Each record goes to the kernel with one positioned
 * writeSync as soon as it is complete: a crash of the process loses at most
 * the events of the chunk being filled. Records are not fsynced one by one,
 * so a crash of the machine may lose more.
 *
 * Before writing, create() applies the output rules of output-file.ts: only
 * a regular file is replaced (a symlink is written through), `<path>.lock`
 * keeps a second writer out, and an earlier recording's leftover
 * `<path>.incomplete` is kept under a `crashed-N` name, not truncated.
 */
import { kindDecl } from './kinds.js';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ChunkBuilder } from './chunk.js';
import { TraceError, describeThrown } from './errors.js';
import { checkStillReplaceable, keepCrashed, OutputLock, resolveOutput } from './output-file.js';
import type { TraceEvent } from './events.js';
import {
  type CheckpointEntry,
  type ChunkEntry,
  DEFAULT_CHUNK_EVENTS,
  END_MAGIC,
  RecordType,
  TRAILER_BYTES,
  type TraceHeader,
  type TraceHeaderInit,
  checkHeaderInit,
  checkPlainData,
  encodeHeaderBytes,
  encodeValue,
  frameRecord,
  headerMap,
  isCount,
} from './format.js';

/** Options for TraceWriter.create. */
export interface TraceWriterOptions {
  /**
   * Events per chunk record, 1..65536. Bigger chunks compress repetition
   * better and cost 10 bytes of writer memory per event slot.
   * @default 16384
   */
  readonly chunkSize?: number;
  /**
   * Write a chunk early once its distinct events reach roughly this many
   * bytes, so events carrying large attribute data keep memory bounded.
   * @default 8 MiB
   */
  readonly chunkShapeBytes?: number;
}

const DEFAULT_CHUNK_SHAPE_BYTES = 8 << 20;

/**
 * Writes one trace file.
 *
 * @example
 * const w = TraceWriter.create('run.devrr', { devrrVersion: '0.1.0', arch: 'arm64', ipaBits: 40, models: { 'arm-vgic-v3': 1 }, checkpointEvery: 100000 });
 * for (const ev of events) w.append(ev);
 * w.checkpoint(w.eventCount, state, digest);
 * w.close(); // run.devrr.incomplete -> run.devrr
 */
export class TraceWriter {
  /**
   * The name the file gets on close(): the path given, or for a symlink the
   * regular file it names (the trace is written through the symlink).
   */
  readonly path: string;
  /** The name the file has until close(). */
  readonly incompletePath: string;
  /** The header written (versions filled in). */
  readonly header: TraceHeader;
  /** The kinds the header declares: append refuses others. */
  private readonly kinds: ReadonlySet<string>;
  /**
   * What create() did besides creating the file, one line each, for the
   * user: a stale lock taken over, an earlier crashed recording kept aside.
   */
  readonly notes: readonly string[];

  private fd: number;
  private pos = 0;
  private readonly builder: ChunkBuilder;
  private readonly chunkShapeBytes: number;
  private readonly chunks: ChunkEntry[] = [];
  private readonly checkpoints: CheckpointEntry[] = [];
  private state: 'open' | 'closed' | 'aborted' = 'open';
  private failure: TraceError | undefined;
  private readonly lock: OutputLock;

  private constructor(path: string, header: TraceHeader, fd: number, builder: ChunkBuilder, chunkShapeBytes: number, lock: OutputLock, notes: string[]) {
    this.path = path;
    this.incompletePath = `${path}.incomplete`;
    this.header = header;
    this.kinds = new Set(Object.keys(header.kinds ?? {}));
    this.fd = fd;
    this.builder = builder;
    this.chunkShapeBytes = chunkShapeBytes;
    this.lock = lock;
    this.notes = notes;
  }

  /**
   * Create `<path>.incomplete` and write the header. Before that, with
   * nothing touched on failure: follows a symlink `path` to the file it
   * names (which may not exist yet); refuses a `path` that is, or names, a
   * FIFO, device, socket or directory; takes `<path>.lock` (refusing while
   * another live process holds it, taking over a dead one's); and keeps an
   * earlier `<path>.incomplete` as `crashed-N` (see `notes`).
   * Throws TypeError for a bad header or options, TraceError `io` when the
   * path is refused or the file cannot be created or written.
   */
  static create(path: string, header: TraceHeaderInit, opts: TraceWriterOptions = {}): TraceWriter {
    const full = checkHeaderInit(header);
    const builder = new ChunkBuilder(opts.chunkSize ?? DEFAULT_CHUNK_EVENTS);
    const shapeBytes = opts.chunkShapeBytes ?? DEFAULT_CHUNK_SHAPE_BYTES;
    if (!isCount(shapeBytes) || shapeBytes < 1) throw new RangeError(`devrr: chunkShapeBytes ${shapeBytes} is not a positive integer`);
    const target = resolveOutput(path);
    const notes: string[] = [];
    const lock = OutputLock.acquire(target, path, notes);
    const incomplete = `${target}.incomplete`;
    let fd: number;
    try {
      keepCrashed(target, path, notes);
      // 'wx' (O_EXCL): a name planted since the check is refused, never followed.
      fd = openSync(incomplete, 'wx');
    } catch (e) {
      lock.release();
      if (e instanceof TraceError) throw e;
      throw new TraceError('io', incomplete, 0, `cannot create trace file: ${describeThrown(e)}`, { cause: e });
    }
    const w = new TraceWriter(target, full, fd, builder, shapeBytes, lock, notes);
    try {
      w.write(encodeHeaderBytes(headerMap(full)));
    } catch (e) {
      w.discard();
      throw e;
    }
    return w;
  }

  /** Events appended so far (written or pending). */
  get eventCount(): number {
    return this.builder.first + this.builder.count;
  }

  /** Bytes handed to the kernel so far. */
  get bytesWritten(): number {
    return this.pos;
  }

  /**
   * Add one event. Throws TypeError, without recording it, when the event
   * does not match events.ts (unknown kind, missing field, mmio value wider
   * than len...). The writer keeps no reference to the event.
   */
  append(ev: TraceEvent): void {
    this.checkOpen();
    if (!this.kinds.has(ev?.kind) && typeof ev?.kind === 'string' && kindDecl(ev.kind) !== undefined) throw new TypeError(`devrr: cannot record event ${this.eventCount}: kind ${JSON.stringify(ev?.kind)} is not one of the header's kinds (${[...this.kinds].join(', ')})`);
    this.builder.add(ev);
    if (this.builder.full || this.builder.shapeBytes >= this.chunkShapeBytes) this.flush();
  }

  /**
   * Write the pending events, then a checkpoint record: `state` is the device
   * state after events [0, event). `event` may not exceed eventCount nor go
   * below an earlier checkpoint's; `state` must be plain data (numbers,
   * strings, booleans, null, undefined, bigint, arrays, plain objects, typed
   * arrays). Throws TypeError/RangeError for bad arguments.
   */
  checkpoint(event: number, state: unknown, digest: string): void {
    this.checkOpen();
    if (!isCount(event) || event > this.eventCount) {
      throw new RangeError(`devrr: checkpoint event ${event} is not an integer in 0..${this.eventCount} (events appended)`);
    }
    const last = this.checkpoints[this.checkpoints.length - 1];
    if (last !== undefined && event < last.event) {
      throw new RangeError(`devrr: checkpoint event ${event} is before the previous checkpoint's ${last.event}`);
    }
    if (typeof digest !== 'string') throw new TypeError('devrr: checkpoint digest is not a string');
    const bad = checkPlainData(state, 'state');
    if (bad !== undefined) throw new TypeError(`devrr: checkpoint state is not plain data: ${bad}`);
    this.flush();
    const offset = this.pos;
    this.write(frameRecord(RecordType.Checkpoint, encodeValue({ event, digest, state })));
    this.checkpoints.push({ offset, event, digest });
  }

  /** Write the pending events as a chunk record now (a no-op when there are none). */
  flush(): void {
    this.checkOpen();
    const b = this.builder;
    if (b.count === 0) return;
    const offset = this.pos;
    this.write(frameRecord(RecordType.Chunk, b.encode()));
    this.chunks.push({ offset, first: b.first, count: b.count });
    b.reset(b.first + b.count);
  }

  /**
   * Write pending events, the footer and the trailer, fsync, close and
   * rename `<path>.incomplete` to `<path>`, then release the lock. A second
   * call does nothing. If `<path>` became something other than a regular
   * file meanwhile, it is left alone and the trace stays `<path>.incomplete`
   * (whole, with its footer): TraceError `io`.
   */
  close(): void {
    if (this.state === 'closed') return;
    this.flush();
    const footerOffset = this.pos;
    const footer = {
      events: this.eventCount,
      chunks: this.chunks.map((c) => ({ offset: c.offset, first: c.first, count: c.count })),
      checkpoints: this.checkpoints.map((c) => ({ offset: c.offset, event: c.event, digest: c.digest })),
    };
    this.write(frameRecord(RecordType.Footer, encodeValue(footer)));
    const trailer = Buffer.alloc(TRAILER_BYTES);
    trailer.writeBigUInt64LE(BigInt(footerOffset), 0);
    END_MAGIC.copy(trailer, 8);
    this.write(trailer);
    this.io('fsync', () => fsyncSync(this.fd));
    this.io('close', () => closeSync(this.fd));
    this.state = 'closed';
    try {
      checkStillReplaceable(this.path, this.incompletePath);
      this.io('rename', () => renameSync(this.incompletePath, this.path));
      syncDirectory(dirname(this.path));
    } finally {
      this.lock.release();
    }
  }

  /**
   * Stop without a footer: close the file descriptor, release the lock and
   * leave `<path>.incomplete` as a crash would (readable, with complete =
   * false). The next writer to `<path>` keeps it as `crashed-N`.
   */
  abort(): void {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    try {
      closeSync(this.fd);
    } catch {
      // The descriptor is gone either way; nothing useful to report.
    }
    this.lock.release();
  }

  /**
   * Stop and remove `<path>.incomplete`: for a recording that must leave no
   * file (its input turned out invalid). `<path>` itself is never touched.
   */
  discard(): void {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    if (wasOpen) {
      this.state = 'aborted';
      try {
        closeSync(this.fd);
      } catch {
        // Gone either way.
      }
    }
    try {
      unlinkSync(this.incompletePath);
    } catch {
      // Already gone: nothing to remove.
    }
    this.lock.release();
  }

  private checkOpen(): void {
    if (this.failure) throw this.failure;
    if (this.state !== 'open') throw new Error(`devrr: trace writer for ${this.path} is ${this.state}`);
  }

  private io(what: string, f: () => void): void {
    try {
      f();
    } catch (e) {
      this.failure = new TraceError('io', this.incompletePath, this.pos, `${what} failed: ${describeThrown(e)}`, { cause: e });
      throw this.failure;
    }
  }

  private write(buf: Buffer): void {
    if (this.failure) throw this.failure;
    let done = 0;
    this.io('write', () => {
      while (done < buf.length) done += writeSync(this.fd, buf, done, buf.length - done, this.pos + done);
    });
    this.pos += buf.length;
  }
}

/** fsync a directory so a rename in it is durable; some platforms cannot, which is fine. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Not supported here (e.g. Windows); the rename itself has happened.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
