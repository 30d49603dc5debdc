import { closeSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { MODELS } from '../../recorder/execute.js';
import { exportPerfetto } from '../../replay/perfetto.js';
import type { TraceEvent } from '../../traces/events.js';
import { checkStillReplaceable, OutputFileError, resolveOutput } from '../../traces/output-file.js';
import type { IndexedEvent } from '../../traces/reader.js';
import { type Command, OutputError, UsageError } from '../cli.js';
import { openTrace, traceWarnings } from '../open-trace.js';

const FORMATS = ['perfetto'] as const;

export const exportCommand: Command = {
  name: 'export',
  usage: 'devrr export perfetto TRACE.devrr -o OUT.json',
  help: `Writes TRACE as Chrome trace event JSON, which the Perfetto UI
(https://ui.perfetto.dev, "Open trace file") and chrome://tracing load:

  - a process per VM, and in it a track per vcpu, per device fd, and one for
    the VMM's VM-fd ioctls;
  - every event as a slice on its track, named as "devrr dump" names it, with
    the decoded fields as its arguments;
  - a counter per interrupt line (1 while the line is high);
  - flow arrows that follow each interrupt from the line raise or MSI that made
    it pending to the guest's acknowledge and its end of interrupt.

Time: events that carry a host timestamp (traces imported from a host) keep
it; otherwise event N is drawn at N microseconds, in trace order.

OUT.json is written whole or not at all (a temporary file renamed into
place); only a regular file is replaced (a symlink is written through).

Options:
  -o, --output OUT.json   the file to write (required)`,
  options: { output: { type: 'string', short: 'o' } },
  run({ values, positionals }, io) {
    const [format, file, ...extra] = positionals;
    if (format === undefined || file === undefined || extra.length) throw new UsageError('devrr export: give a format and one TRACE: devrr export perfetto TRACE.devrr -o OUT.json (see devrr export --help)');
    if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`devrr export: unknown format "${format}" (formats: ${FORMATS.join(', ')})`);
    const out = values.output as string | undefined;
    if (!out) throw new UsageError('devrr export: -o OUT.json is required (see devrr export --help)');
    const t = openTrace(file);
    try {
      const damaged = traceWarnings(t, io);
      const target = resolveOutput(out);
      const tmp = `${target}.tmp-${process.pid}`;
      const w = new JsonArrayFile(tmp);
      let summary;
      try {
        w.open('{"displayTimeUnit":"ns","otherData":' + JSON.stringify({ source: 'devrr', trace: file, format_version: t.header.formatVersion.join('.'), arch: t.header.arch }) + ',"traceEvents":[');
        summary = exportPerfetto(events(t.events()), MODELS, (e) => w.item(JSON.stringify(e)));
        w.close(']}\n');
        checkStillReplaceable(target, tmp);
        renameSync(tmp, target);
      } catch (e) {
        w.abandon();
        const err = e as NodeJS.ErrnoException;
        // A failed write or rename (ENOSPC, EIO...): fs errors carry the syscall. Anything else (the trace's own damage) goes on as it is.
        if (!(e instanceof OutputFileError) && err?.syscall) throw new OutputError(`devrr export: cannot write ${out}: ${err.message.split('\n')[0]}`);
        throw e;
      }
      io.err(`devrr export: wrote ${out}: ${summary.events} events, ${summary.tracks} tracks, ${summary.counters} interrupt-line counters, ${summary.flows} interrupt flows (${summary.hostTime ? 'host timestamps' : 'event order: event N at N µs'})`);
      return damaged ? 2 : 0;
    } finally {
      t.close();
    }
  },
};

function* events(it: Iterable<IndexedEvent>): Generator<TraceEvent> {
  for (const ev of it) {
    const { i: _i, ...rest } = ev;
    yield rest as TraceEvent;
  }
}

/** A JSON array written to a file as it is produced, in 1 MiB writes. */
class JsonArrayFile {
  private fd = -1;
  private buf: string[] = [];
  private size = 0;
  private first = true;
  constructor(private readonly path: string) {}
  open(prefix: string): void {
    this.fd = openSync(this.path, 'wx', 0o644);
    this.push(prefix);
  }
  item(json: string): void {
    this.push(this.first ? `\n${json}` : `,\n${json}`);
    this.first = false;
  }
  close(suffix: string): void {
    this.push(`\n${suffix}`);
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
  }
  abandon(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    try {
      unlinkSync(this.path);
    } catch {
      // never created
    }
  }
  private push(s: string): void {
    this.buf.push(s);
    this.size += s.length;
    if (this.size >= 1 << 20) this.flush();
  }
  private flush(): void {
    const data = this.buf.join('');
    this.buf = [];
    this.size = 0;
    let b = Buffer.from(data, 'utf8');
    while (b.length) {
      const n = writeSync(this.fd, b);
      b = b.subarray(n);
    }
  }
}
