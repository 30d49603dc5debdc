import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ARCHES, type Arch } from '../../devices/core/uapi.js';
import { type EventFormat, FormatError, parseFormatFile } from '../../recorder/import/ftrace-format.js';
import { readFtraceText } from '../../recorder/import/ftrace-text.js';
import { type ImportedEvent, type ImportReport, importFtrace } from '../../recorder/import/ftrace.js';
import { importStrace } from '../../recorder/import/strace.js';
import { readStraceText } from '../../recorder/import/strace-text.js';
import { traceHeader } from '../../recorder/trace-file.js';
import type { TraceEvent } from '../../traces/events.js';
import { kindFlags } from '../../traces/format.js';
import { TraceWriter } from '../../traces/writer.js';
import { type Command, type Io, UsageError } from '../cli.js';

/** Largest host log read: 1 GiB (a day of kvm events is far less; the trace bounds each event anyway). */
const MAX_INPUT_BYTES = 1 << 30;
/** Format files read from --formats DIR, at most. */
const MAX_FORMAT_FILES = 4096;

export const importCommand: Command = {
  name: 'import',
  usage: 'devrr import ftrace|strace FILE -o TRACE.devrr [--formats DIR] [--ftrace FILE] [--arch ARCH]',
  help: `Builds a trace from what a host already emits, so that the models can be
checked against it: every event or call becomes one trace event, with its
time, thread and line kept in the event's note.

  devrr import ftrace FILE -o TRACE   tracefs "trace" / "trace_pipe" text or
                                      "trace-cmd report" output with kvm events
  devrr import strace FILE -o TRACE   "strace -f -ttt -T -y -v -X verbose
                                      --kvm=vcpu -e trace=ioctl" of a VMM

ftrace: kvm_mmio becomes mmio (an unsatisfied read and its completion one
read that exited to the VMM), kvm_pio pio, the VMM's kvm_set_irq (source 0)
irq_line on x86; every other kvm event and each tracing_mark_write marker is
kept as a "host" event (its text and fields in the note) that replay does not
run. The VM, its vcpus (one per thread that ran the guest) and, on x86, the
in-kernel irqchip the PIC and IOAPIC events show are added at the start,
marked "synthesized" in their notes. Lines that are no event are counted.

strace: KVM_CREATE_VM, KVM_CREATE_VCPU and KVM_CREATE_IRQCHIP become the
events that run; a call whose struct strace printed only as a pointer (the
device-control API: KVM_CREATE_DEVICE, KVM_*_DEVICE_ATTR, KVM_IRQ_LINE,
KVM_SIGNAL_MSI, ...) is kept as a "host" event with its request, fd, result
and errno, never given invented values. Calls on other fds are left out.

Options:
  -o, --output TRACE     the trace to write (required); written as "record"
                         writes, never over anything but a regular file
  --formats DIR          (ftrace) the capture's tracefs format files (DIR/NAME
                         or DIR/NAME.format, or the events/ tree): they read
                         each event's text instead of devrr's built-in formats
  --ftrace FILE          (strace) the ftrace capture of the same run: the two
                         are interleaved by thread and time (the clocks are
                         lined up on KVM_RUN's returns), guest accesses come
                         from ftrace, and a KVM_IRQ_LINE call takes its GSI
                         and level from the kvm_set_irq inside it
  --arch ARCH            the VM's architecture when the log does not say
                         (${ARCHES.join(', ')}; strace's default x86_64)

The report (stderr) gives the events by kind, the vcpus and how their ids
were found, what was added, and what was skipped or not read.

Exit status: 0 written; 2 unreadable input, a bad option, or an output that
cannot be written.`,
  options: { output: { type: 'string', short: 'o' }, formats: { type: 'string' }, ftrace: { type: 'string' }, arch: { type: 'string' } },
  run({ values, positionals }, io) {
    const [what, file, ...extra] = positionals;
    if ((what !== 'ftrace' && what !== 'strace') || file === undefined || extra.length) throw new UsageError('devrr import: give what and one FILE: devrr import ftrace|strace FILE -o TRACE.devrr (see devrr import --help)');
    const out = values.output as string | undefined;
    if (!out) throw new UsageError('devrr import: -o TRACE.devrr is required (see devrr import --help)');
    const archOpt = values.arch as string | undefined;
    if (archOpt !== undefined && !(ARCHES as readonly string[]).includes(archOpt)) throw new UsageError(`devrr import: --arch must be one of ${ARCHES.join(', ')}, not "${archOpt}"`);
    const arch = archOpt as Arch | undefined;
    if (what === 'ftrace' && values.ftrace !== undefined) throw new UsageError('devrr import ftrace: --ftrace belongs to "import strace" (it names the ftrace capture of the same run)');
    if (what === 'strace' && values.formats !== undefined) throw new UsageError('devrr import strace: --formats belongs to "import ftrace"');
    const formats = values.formats !== undefined ? readFormats(values.formats as string) : undefined;
    let r: { arch: Arch; events: ImportedEvent[]; report: ImportReport & { notKvm?: number; offset?: { us: number; pairs: number; spreadUs: number } } };
    try {
      if (what === 'ftrace') r = importFtrace(readFtraceText(lines(file), formats && { formats }), arch ? { arch } : {});
      else {
        const ft = values.ftrace as string | undefined;
        r = importStrace(readStraceText(lines(file)), { ...(arch && { arch }), ...(ft && { ftrace: readFtraceText(lines(ft)) }) });
      }
    } catch (e) {
      if (e instanceof RangeError) throw new UsageError(`devrr import ${what}: ${file}: ${e.message}`);
      throw e;
    }
    const kinds = [...new Set(r.events.map((e) => e.kind))];
    const origin = { by: `${what} import`, file: basename(file).slice(0, 200), ...(what === 'strace' && values.ftrace !== undefined && { ftrace: basename(values.ftrace as string).slice(0, 200) }) };
    const header = { ...traceHeader({ arch: r.arch, ipaBits: r.arch === 'x86_64' ? 52 : 40 }, 0, {}), kinds: kindFlags(kinds), origin };
    const w = TraceWriter.create(out, header);
    try {
      for (const n of w.notes) io.err(n);
      for (const ev of r.events) w.append(ev as unknown as TraceEvent);
      w.close();
    } catch (e) {
      if (w.eventCount === 0) w.discard();
      else w.abort();
      throw e;
    }
    report(io, what, file, out, r.events.length, r.report);
    return 0;
  },
};

function lines(file: string): string[] {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new UsageError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (size > MAX_INPUT_BYTES) throw new UsageError(`${file}: ${size} bytes, more than the ${MAX_INPUT_BYTES >> 20} MiB devrr imports`);
  return readFileSync(file, 'utf8').split('\n');
}

/** The capture's format files: DIR/NAME, DIR/NAME.format, or DIR/NAME/format (the events/kvm tree). */
function readFormats(dir: string): Map<string, EventFormat> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new UsageError(`devrr import: --formats ${dir}: cannot read the directory: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (names.length > MAX_FORMAT_FILES) throw new UsageError(`devrr import: --formats ${dir} holds ${names.length} entries, more than ${MAX_FORMAT_FILES}`);
  const out = new Map<string, EventFormat>();
  for (const n of names.sort()) {
    const p = join(dir, n);
    const st = statSync(p);
    const file = st.isDirectory() ? join(p, 'format') : p;
    let text: string;
    try {
      if (statSync(file).size > 1 << 20) continue;
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    try {
      const f = parseFormatFile(text);
      out.set(f.name, f);
    } catch (e) {
      if (e instanceof FormatError) throw new UsageError(`devrr import: ${file}: ${e.message}`);
      throw e;
    }
  }
  return out;
}

function report(io: Io, what: string, file: string, out: string, events: number, r: ImportReport & { notKvm?: number; offset?: { us: number; pairs: number; spreadUs: number } }): void {
  const kinds = Object.entries(r.byKind).sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(', ');
  io.err(`devrr import ${what}: wrote ${out}: ${events} events (${kinds}) from ${r.lines} ${what === 'ftrace' ? 'event lines' : 'ioctl calls'} of ${file}`);
  for (const s of r.synthesized) io.err(`  added: ${s}`);
  if (what === 'ftrace') for (const v of r.vcpus) io.err(`  vcpu ${v.id}: thread ${v.task}-${v.thread} (id from ${v.from})`);
  if (r.offset) io.err(`  clocks lined up: ftrace + ${(r.offset.us / 1e6).toFixed(6)} s = strace, from ${r.offset.pairs} KVM_RUN returns (spread ${r.offset.spreadUs} µs)`);
  if (r.notKvm) io.err(`  left out: ${r.notKvm} ioctl(s) on fds that are no KVM fd`);
  if (r.skipped) io.err(`  skipped: ${r.skipped} line(s) that are no event`);
  const unparsed = Object.entries(r.unparsed);
  if (unparsed.length) io.err(`  not read (kept as host events with their text): ${unparsed.map(([e, n]) => `${e} ${n}`).join(', ')}; give the capture's format files with --formats`);
}
