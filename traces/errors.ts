/**
 * The one error type the trace reader and writer throw for anything wrong
 * with a trace file's bytes or with the I/O on it.
 *
 * Traces arrive attached to bug reports, so the reader treats them as
 * untrusted: every malformed input becomes a TraceError that names the file
 * and the byte offset where the problem was found, never a raw exception from
 * msgpackr, zlib or a typed-array constructor.
 */

/**
 * What kind of problem a TraceError reports.
 *
 * - `bad-magic`: the file does not start with "DEVRRTRC".
 * - `bad-header`: the header's CRC is fine but its contents are not a valid header.
 * - `unsupported-version`: the header asks for a newer reader than this one.
 * - `bad-crc`: a header or record's bytes do not match its CRC32.
 * - `truncated`: the file ends inside the header, a record or the trailer.
 * - `bad-record`: a record's type byte is unknown or its length field is out of bounds.
 * - `malformed`: a record's CRC is fine but its payload is not what the format says.
 * - `io`: the operating system refused a read, write, rename or fsync.
 */
export type TraceErrorCode =
  | 'bad-magic'
  | 'bad-header'
  | 'unsupported-version'
  | 'bad-crc'
  | 'truncated'
  | 'bad-record'
  | 'malformed'
  | 'io';

/**
 * A problem with a trace file, located to a byte.
 *
 * The message is one line: `${file}: byte ${offset}: ${what}`, so callers can
 * print `err.message` as it is.
 *
 * @example
 * try { TraceReader.open(path); }
 * catch (e) { if (e instanceof TraceError) { console.error(e.message); process.exitCode = 2; } else throw e; }
 */
export class TraceError extends Error {
  override readonly name = 'TraceError';
  readonly code: TraceErrorCode;
  readonly file: string;
  /** Byte offset in the file of the header, record or field that is wrong. */
  readonly offset: number;
  /** The description without the file and offset prefix. */
  readonly what: string;

  constructor(code: TraceErrorCode, file: string, offset: number, what: string, options?: { cause?: unknown }) {
    super(`${file}: byte ${offset}: ${what}`, options);
    this.code = code;
    this.file = file;
    this.offset = offset;
    this.what = what;
  }
}

/** The message of any thrown value, for wrapping foreign exceptions in a TraceError. */
export function describeThrown(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
