/**
 * The oracle every fuzz target shares: run a devrr command in-process (bin/main.ts's
 * `main(argv, io)` with an Io that counts what is printed) and judge what it did.
 *
 * A run is fine when no exception escapes main, the exit status is 0, 1 or 2, and
 * an exit 2 printed one line on stderr (notes and warnings aside: a damaged trace
 * may first say what was recovered) and no stack trace. Anything else is a crash,
 * with a one-line `reason` that names the command and what went wrong, stable
 * enough to group the crashes of one bug (numbers and paths are blanked).
 */
import { main } from '../../../bin/main.js';
import type { Io } from '../../../bin/cli.js';
import { TraceError } from '../../../traces/errors.js';
import { InlineRunner } from '../../../tui/jobs/runner.js';
import { charKey, namedKey } from '../../../tui/keys.js';
import { DebugSession } from '../../../tui/session.js';

export type Verdict = 'ok' | 'rejected' | 'crash';

export interface RunOutcome {
  /** The command (argv[0], or "tui-loader"). */
  readonly cmd: string;
  readonly argv: readonly string[];
  readonly code: number | null;
  readonly verdict: Verdict;
  /** For a crash: what went wrong, one line, numbers and paths blanked (a bug's signature). */
  readonly reason?: string;
  /** For a crash: the full detail (stderr lines, the exception's stack). */
  readonly detail?: string;
  /** What the command printed on stderr (the first 50 lines). */
  readonly stderr?: readonly string[];
  readonly ms: number;
}

/** Keeps stderr (bounded) and only counts stdout: a dump of a big trace must not fill the fuzzer's memory. */
export class CountingIo implements Io {
  outLines = 0;
  outBytes = 0;
  readonly errLines: string[] = [];
  errBytes = 0;
  out(line: string): void {
    this.outLines++;
    this.outBytes += line.length;
    if (typeof line !== 'string') throw new TypeError(`Io.out given a ${typeof line}`);
  }
  err(line: string): void {
    this.errBytes += line.length;
    if (this.errLines.length < 50) this.errLines.push(line.length > 4000 ? line.slice(0, 4000) + '…' : line);
  }
}

const STACK_LINE = /^\s+at .+(:\d+:\d+\)?|\(native\)|<anonymous>\)?)$/m;
const NOTE = /^(note|warning):/;

/** Blanks what varies between inputs of one bug: paths, numbers, quoted values. */
export function signature(text: string): string {
  return text
    .replace(/\/[^\s:'"`)]+/g, 'PATH')
    .replace(/0x[0-9a-f]+/gi, 'N')
    .replace(/\d+/g, 'N')
    .replace(/"[^"]*"/g, '"S"')
    .replace(/'[^']*'/g, "'S'")
    .slice(0, 240);
}

/** The frame of a stack that is ours (not node's), file:line, for a crash's signature. */
function topFrame(stack: string | undefined): string {
  const m = /\(?([^\s()]*\/(?:bin|traces|recorder|replay|devices|tui)\/[^\s():]+):(\d+):\d+\)?/.exec(stack ?? '');
  return m ? `${m[1]!.replace(/^.*\/(bin|traces|recorder|replay|devices|tui)\//, '$1/')}:${m[2]}` : '?';
}

/** Judges one finished command run (exit status and what it printed). */
export function judge(cmd: string, argv: readonly string[], code: number, io: CountingIo, ms: number): RunOutcome {
  const base = { cmd, argv, code, ms, stderr: io.errLines };
  const err = io.errLines;
  const detail = err.join('\n').slice(0, 8000);
  if (code === 70 || err.some((l) => l.includes('internal error'))) {
    const line = err.find((l) => l.includes('internal error')) ?? '';
    const msg = /internal error[^:]*: ([^\n]*)/.exec(line)?.[1] ?? line;
    return { ...base, verdict: 'crash', reason: `${cmd}: exit ${code}: ${signature(msg.split('\n')[0]!)} @ ${topFrame(line)}`, detail };
  }
  if (code !== 0 && code !== 1 && code !== 2) return { ...base, verdict: 'crash', reason: `${cmd}: exit status ${code} is not 0, 1 or 2`, detail };
  const multi = err.find((l) => l.includes('\n'));
  if (multi !== undefined || err.some((l) => STACK_LINE.test(l))) {
    // The signature keeps the message's start: what follows (a quoted snippet of the input) varies.
    const first = (multi ?? err[0] ?? '').split('\n')[0]!.split(/[,"'`]/)[0]!;
    return { ...base, verdict: 'crash', reason: `${cmd}: exit ${code}: stderr holds a multi-line message or a stack trace: ${signature(first)}`, detail };
  }
  if (code === 2) {
    const lines = err.filter((l) => !NOTE.test(l));
    if (err.length === 0) return { ...base, verdict: 'crash', reason: `${cmd}: exit 2 with nothing on stderr`, detail };
    if (lines.length > 1) return { ...base, verdict: 'crash', reason: `${cmd}: exit 2 with ${lines.length} error lines on stderr (one expected): ${signature(lines[0]!)}`, detail };
    return { ...base, verdict: 'rejected' };
  }
  return { ...base, verdict: 'ok' };
}

/** Runs `devrr ARGV` in-process and judges it. An exception escaping main is a crash. */
export async function runCli(argv: readonly string[]): Promise<RunOutcome> {
  // DEVRR_FUZZ_VERBOSE=1: say what runs before it runs (to see which command of an input hangs or dies).
  if (process.env['DEVRR_FUZZ_VERBOSE']) process.stderr.write(`devrr ${argv.map((a) => JSON.stringify(a)).join(' ')}\n`);
  const io = new CountingIo();
  const t0 = performance.now();
  let code: number;
  try {
    code = await main([...argv], io);
  } catch (e) {
    const ms = performance.now() - t0;
    const err = e as Error;
    return { cmd: argv[0] ?? '', argv, code: null, verdict: 'crash', reason: `${argv[0]}: exception escaped main: ${signature(`${err?.name}: ${err?.message}`.split('\n')[0]!)} @ ${topFrame(err?.stack)}`, detail: err?.stack ?? String(e), ms };
  }
  return judge(argv[0] ?? '', argv, code, io, performance.now() - t0);
}

const SIZES = { listRows: 10, detailRows: 6, treeRows: 12, diffRows: 8, diffColumns: 80 };

/**
 * What `devrr tui TRACE [--against OTHER]` does to open a trace, without Ink:
 * the DebugSession (jobs inline, not in worker threads), its first frame, the
 * load (the timeline's first pass) and the replay check, a frame at the end
 * and at the start. A TraceError from the constructor is the tui's exit 2;
 * any other exception, or a status message that reports an internal error,
 * is a crash.
 */
export async function runTuiLoader(path: string, against?: string): Promise<RunOutcome> {
  const argv = against ? ['tui', path, '--against', against] : ['tui', path];
  if (process.env['DEVRR_FUZZ_VERBOSE']) process.stderr.write(`tui loader: ${argv.join(' ')}\n`);
  const t0 = performance.now();
  const crash = (what: string, e?: unknown, where = true): RunOutcome => ({
    cmd: 'tui-loader',
    argv,
    code: null,
    verdict: 'crash',
    reason: `tui-loader: ${signature(what)}${e && where ? ` @ ${topFrame((e as Error).stack)}` : ''}`,
    detail: e ? ((e as Error).stack ?? String(e)) : what,
    ms: performance.now() - t0,
  });
  let session: DebugSession;
  try {
    session = new DebugSession(path, { runner: new InlineRunner(), checkpointEvery: 64, ...(against && { against }) });
  } catch (e) {
    if (e instanceof TraceError && !e.message.includes('\n')) return { cmd: 'tui-loader', argv, code: 2, verdict: 'rejected', ms: performance.now() - t0 };
    return crash(`opening threw ${(e as Error)?.name}: ${(e as Error)?.message?.split('\n')[0]}`, e);
  }
  const messages: string[] = [];
  // The screen draws a frame whenever the session says something changed (from job callbacks too):
  // what that frame throws is kept here and reported, as the screen would have died of it.
  let thrownInListener: unknown;
  try {
    const unsubscribe = session.subscribe(() => {
      try {
        const m = session.frame(SIZES).status.message;
        if (messages[messages.length - 1] !== m) messages.push(m);
      } catch (e) {
        thrownInListener ??= e;
      }
    });
    session.frame(SIZES);
    session.start();
    await session.idle();
    session.key(namedKey('end'));
    await session.idle();
    session.frame(SIZES);
    session.key(charKey('p'));
    session.key(namedKey('home'));
    await session.idle();
    session.frame(SIZES);
    unsubscribe();
    if (thrownInListener !== undefined) throw thrownInListener;
  } catch (e) {
    // A damaged record found after the trace opened (the index was fine): the screen has no way to show it.
    if (e instanceof TraceError) return crash(`a TraceError escaped the session after the trace opened (damage found while stepping or drawing: ${e.code})`, e, false);
    return crash(`threw ${(e as Error)?.name}: ${(e as Error)?.message?.split('\n')[0]}`, e);
  } finally {
    session.close();
  }
  const bad = messages.find((m) => /internal error|a bug in devrr/.test(m));
  if (bad) return crash(`status: ${bad.split('\n')[0]}`, { stack: bad });
  return { cmd: 'tui-loader', argv, code: 0, verdict: 'ok', ms: performance.now() - t0 };
}
