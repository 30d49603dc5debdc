/**
 * Shared CLI plumbing: option parsing that reports a bad command line as
 * exit status 2 with one clear line, and the error types every command maps
 * to exit statuses (docs/cli.md).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A bad command line or input: exit status 2, one line, no stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/**
 * Standard output or error cannot be written (ENOSPC on a full disk, EIO,
 * `> /dev/full`): one line and exit status 2, like any other unusable
 * output (a UsageError, so main reports it).
 */
export class OutputError extends UsageError {
  override name = 'OutputError';
}

let outputErrorRaised = false;

/**
 * Whether a failed write to stdout/stderr was already thrown as an
 * OutputError, which main reports (bin/devrr.js: then the stream's own
 * error event has nothing to add).
 */
export function stdioFailureRaised(): boolean {
  return outputErrorRaised;
}

/**
 * The error for a failed write to standard output or error. A reader that
 * closed the pipe early (EPIPE: `devrr dump t.devrr | head`) ends devrr
 * quietly right here, as Unix tools do.
 */
export function stdioWriteError(e: NodeJS.ErrnoException, stream: 'standard output' | 'standard error'): OutputError {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  outputErrorRaised = true;
  return new OutputError(`devrr: cannot write to ${stream}: ${e.message.split('\n')[0]}`);
}

/**
 * One line to a standard stream. A failed write (which Node reports on the
 * stream, after the fact) throws OutputError at once, so a command stops
 * at its first lost line instead of computing output nobody can read.
 */
function lineWriter(stream: NodeJS.WriteStream, name: 'standard output' | 'standard error'): (line: string) => void {
  return (l) => {
    stream.write(l + '\n');
    const e = stream.errored as NodeJS.ErrnoException | null;
    if (e) throw stdioWriteError(e, name);
  };
}

export const stdio: Io = {
  out: lineWriter(process.stdout, 'standard output'),
  err: lineWriter(process.stderr, 'standard error'),
};

/**
 * A command's module (bin/commands/NAME.ts) exports one Command. Its
 * one-line summary is in bin/main.ts's COMMANDS, which lists the commands
 * without loading their modules.
 */
export interface Command {
  readonly name: string;
  readonly usage: string;
  /** Longer help text shown by `devrr CMD --help`. */
  readonly help: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  run(args: { values: Record<string, unknown>; positionals: string[] }, io: Io): Promise<number> | number;
}

/** Parses a command's arguments; unknown options and missing values are UsageErrors. */
export function parseCommandArgs(cmd: Command, argv: string[]): { values: Record<string, unknown>; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options: { ...cmd.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    return { values: r.values as Record<string, unknown>, positionals: r.positionals };
  } catch (e) {
    throw new UsageError(`devrr ${cmd.name}: ${(e as Error).message.split('\n')[0]} (see devrr ${cmd.name} --help)`);
  }
}

/**
 * An error message as the one line exit status 2 promises: line breaks and
 * other control characters (from a file name, or quoted from the input by a
 * parser) are written as escapes.
 */
export function oneLine(message: string): string {
  return message.replace(/\r?\n/g, '\\n').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A whole-number option, or the default. */
export function intOption(cmd: string, values: Record<string, unknown>, name: string, dflt: number | undefined): number | undefined {
  const v = values[name];
  if (v === undefined) return dflt;
  const n = Number(v);
  if (typeof v !== 'string' || !/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw new UsageError(`devrr ${cmd}: --${name} takes a whole number, not "${String(v)}"`);
  return n;
}

/** JSON.stringify that writes bigints as hex strings. */
export function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `0x${x.toString(16)}` : x instanceof Uint8Array ? Buffer.from(x).toString('hex') : x));
}
