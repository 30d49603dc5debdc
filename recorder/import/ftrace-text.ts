/**
 * Reading ftrace text: tracefs `trace` / `trace_pipe` output and
 * `trace-cmd report` output, one event per line:
 *
 *     python3-13791   [000] .....   839.405291: kvm_pio: pio_write at 0x20 size 1 count 1 val 0x11
 *     python3-13791 [000]   839.405291: kvm_pio:           pio_write at 0x20 ...   (trace-cmd report)
 *
 * Each line gives the task and pid, the CPU, the latency flags (tracefs
 * only), the timestamp, the event name and its text. The text is read back
 * into fields through the event's print format (ftrace-format.ts): the
 * capture's own format files when given, else devrr's built-in ones.
 * `tracing_mark_write` lines are markers (their text kept). Comment lines
 * (`#`), blank lines and trace-cmd's preamble (`cpus=2`, `version = 6`)
 * are not events; anything else that is not an event line is counted as
 * skipped, with the first few kept for the report.
 */
import { type EventFormat, type ParsedFields, compilePrintFmt, type TextReader } from './ftrace-format.js';
import { builtinReader } from './kvm-formats.js';

/** One event line. */
export interface FtraceRecord {
  /** 1-based line number in the file. */
  readonly line: number;
  readonly task: string;
  readonly pid: number;
  readonly cpu: number;
  /** The timestamp as printed ("839.405291"), in seconds. */
  readonly timestamp: string;
  /** The timestamp in microseconds (exact for the 6 decimals tracefs prints; more are rounded). */
  readonly us: number;
  readonly event: string;
  /** The event's text after "EVENT: ". */
  readonly text: string;
  /** The text read back through the event's format; undefined when no format is known or the text does not match it. */
  readonly parsed?: ParsedFields;
}

/** Why lines were not events, by reason, with the first examples. */
export interface SkippedLines {
  readonly count: number;
  readonly byReason: Record<string, { count: number; first: { line: number; text: string }[] }>;
}

export interface FtraceText {
  readonly records: FtraceRecord[];
  readonly skipped: SkippedLines;
  /** Event lines whose text no format read, by event name. */
  readonly unparsed: Record<string, number>;
}

/** Longest line read (a kvm event line is under 300 bytes; a marker may carry up to a page). */
export const MAX_LINE = 64 * 1024;
/** At most this many event lines are read from one file (each becomes a trace event). */
export const MAX_RECORDS = 50_000_000;

// TASK-PID, optional TGID column "(  123)", [CPU], optional flags, TIMESTAMP:, EVENT:, text.
const LINE = /^\s*(.+?)-(\d+)\s+(?:\(\s*[-\d]+\)\s+)?\[(\d+)\]\s+(?:([A-Za-z.0-9]{4,6})\s+)?(\d+\.\d+):\s+([\w:.-]+):\s?(.*)$/;

/** trace-cmd report's preamble lines and tracefs comments: not events, not skipped either. */
function isPreamble(s: string): boolean {
  return s.trim() === '' || s.startsWith('#') || /^\s*(cpus|version|CPU \d+ is empty|trace_clock)\b/.test(s) || /^\s*cpus=\d+\s*$/.test(s);
}

/** Microseconds of a "SECONDS.FRACTION" timestamp, exact to 6 decimals. */
export function timestampUs(ts: string): number {
  const [sec, frac = ''] = ts.split('.');
  const f = (frac + '000000').slice(0, 6);
  const rest = frac.length > 6 ? Number(`0.${frac.slice(6)}`) : 0;
  return Number(sec) * 1_000_000 + Number(f) + Math.round(rest);
}

export interface FtraceOptions {
  /** The capture's own event formats (from its format files), by event name: they win over the built-in ones. */
  readonly formats?: ReadonlyMap<string, EventFormat>;
}

/**
 * Reads ftrace text, line by line. Throws a RangeError naming the line when
 * a line or the number of event lines passes its bound.
 */
export function readFtraceText(lines: Iterable<string>, opts: FtraceOptions = {}): FtraceText {
  const own = new Map<string, TextReader>();
  for (const [name, f] of opts.formats ?? []) own.set(name, compilePrintFmt(f));
  const records: FtraceRecord[] = [];
  const byReason: SkippedLines['byReason'] = {};
  let skippedCount = 0;
  const unparsed: Record<string, number> = {};
  const skip = (reason: string, line: number, text: string) => {
    skippedCount++;
    const r = (byReason[reason] ??= { count: 0, first: [] });
    r.count++;
    if (r.first.length < 5) r.first.push({ line, text: text.slice(0, 200) });
  };
  let n = 0;
  for (const raw of lines) {
    n++;
    if (raw.length > MAX_LINE) throw new RangeError(`line ${n} is ${raw.length} characters long, more than the ${MAX_LINE} an ftrace line may have`);
    const s = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (isPreamble(s)) continue;
    const m = LINE.exec(s);
    if (!m) {
      skip('not an ftrace event line', n, s);
      continue;
    }
    if (records.length >= MAX_RECORDS) throw new RangeError(`line ${n}: more than ${MAX_RECORDS} event lines`);
    const [, task, pid, cpu, , timestamp, event, text] = m;
    const reader = own.get(event!) ?? (event === 'tracing_mark_write' ? undefined : builtinReader(event!));
    const parsed = reader?.read(text!.trim());
    if (!parsed && event !== 'tracing_mark_write') unparsed[event!] = (unparsed[event!] ?? 0) + 1;
    records.push({
      line: n,
      task: task!.trim(),
      pid: Number(pid),
      cpu: Number(cpu),
      timestamp: timestamp!,
      us: timestampUs(timestamp!),
      event: event!,
      text: text!.trimEnd(),
      ...(parsed && { parsed }),
    });
  }
  return { records, skipped: { count: skippedCount, byReason }, unparsed };
}
