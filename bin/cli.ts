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

export const stdio: Io = {
  out: (l) => void process.stdout.write(l + '\n'),
  err: (l) => void process.stderr.write(l + '\n'),
};

export interface Command {
  readonly name: string;
  readonly summary: string;
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
