/**
 * The TUI's long operations, each one call into the replay library: the
 * replay check that places the divergence marker, bisect, migrate-check at
 * a point, explain an interrupt, and text search. A job opens its trace(s)
 * by path, so it can run in a worker thread (jobs/runner.ts) that the TUI
 * terminates to cancel it; its result is plain data with the report lines
 * already written.
 *
 * Progress is measured without changing the library: the trace source the
 * operation gets counts the chunks it decodes, which for all of them is
 * roughly proportional to the work (each replays about the trace once).
 */
import { basename } from 'node:path';
import { bisectAgainst, bisectTrace } from '../../replay/bisect.js';
import { EventDescriber } from '../../replay/describe-at.js';
import type { BackendFactory } from '../../recorder/backend.js';
import { MODELS } from '../../recorder/execute.js';
import { replay } from '../../replay/engine.js';
import type { ChunkView, TraceSource } from '../../replay/trace-source.js';
import { explain, formatExplanation } from '../../replay/explain.js';
import { migrateCheckPoints } from '../../replay/migrate.js';
import { afterEvents, bisectReport, formatField } from '../../replay/report.js';
import { searchEvents } from '../../replay/search.js';
import type { TraceEvent } from '../../traces/events.js';
import { openTrace } from '../../replay/open-trace.js';
import type { TraceReader } from '../../traces/reader.js';
import type { TextLine } from '../frame.js';

export type JobSpec =
  | { readonly kind: 'check'; readonly path: string }
  | { readonly kind: 'bisect'; readonly path: string; readonly against?: string }
  | { readonly kind: 'migrate'; readonly path: string; readonly at: number }
  | { readonly kind: 'explain'; readonly path: string; readonly irq: number; readonly at: number }
  | { readonly kind: 'search'; readonly path: string; readonly query: string; readonly from: number; readonly direction: 1 | -1 };

export interface Report {
  readonly title: string;
  readonly lines: readonly TextLine[];
}

export type JobResult =
  | { readonly kind: 'check'; readonly events: number; readonly divergence: { readonly event: number; readonly reason: string } | null; readonly report: Report | null }
  | { readonly kind: 'bisect'; readonly event: number | null; readonly reason: string | null; readonly report: Report }
  | { readonly kind: 'migrate'; readonly at: number; readonly checks: number; readonly failures: number; readonly report: Report }
  | { readonly kind: 'explain'; readonly irq: number; readonly at: number; readonly deliverableTo: readonly number[]; readonly blocking: readonly string[]; readonly report: Report }
  | { readonly kind: 'search'; readonly query: string; readonly direction: 1 | -1; readonly from: number; readonly match: { readonly event: number; readonly text: string } | null };

export interface JobProgress {
  readonly done: number;
  readonly total: number;
  readonly phase: string;
}

/** A job's failure that is the input's fault (a bad trace, no irqchip): shown as a message. */
export class JobError extends Error {}

/** A trace source that reports how many chunks have been decoded. */
function counting(src: TraceReader, onRead: () => void): TraceSource {
  return {
    get eventCount() {
      return src.eventCount;
    },
    get chunks() {
      return src.chunks;
    },
    get checkpoints() {
      return src.checkpoints;
    },
    readChunk(k: number): ChunkView {
      onRead();
      return src.readChunk(k);
    },
    readCheckpoint: (k: number) => src.readCheckpoint(k),
  };
}

/** Runs a job to completion on this thread, on backends of `backends` (default: the device models). */
export function runJob(spec: JobSpec, onProgress: (p: JobProgress) => void = () => {}, backends: BackendFactory = MODELS): JobResult {
  const opened: TraceReader[] = [];
  const open = (path: string) => {
    const r = openTrace(path, backends);
    opened.push(r);
    return r;
  };
  try {
    const reader = open(spec.path);
    let reads = 0;
    let phase = spec.kind as string;
    let last = 0;
    // About how many times each job reads the trace: a replay, plus the passes that
    // name the events and find last writers (migrate-check scans for a recorded migration twice more).
    const passes = { check: 1, bisect: 2, migrate: 4, explain: 2, search: 1 }[spec.kind];
    const total = () => Math.max(1, passes * opened.reduce((n, r) => n + r.chunks.length, 0));
    const tick = () => {
      reads++;
      const now = Date.now();
      if (now - last >= 100) {
        last = now;
        onProgress({ done: reads, total: total(), phase });
      }
    };
    const src = counting(reader, tick);
    switch (spec.kind) {
      case 'check':
        return check(src, reader, backends, (p) => (phase = p));
      case 'bisect': {
        const other = spec.against ? counting(open(spec.against), tick) : undefined;
        if (!other && reader.checkpoints.length === 0) throw new JobError(`${spec.path} has no checkpoints to bisect over; record it again (devrr record writes them) or bisect against another trace (--against)`);
        return bisect(src, other, { trace: basename(spec.path), ...(spec.against && { against: basename(spec.against) }) }, backends, (p) => (phase = p));
      }
      case 'migrate':
        return migrate(src, spec.at, backends, (p) => (phase = p));
      case 'explain':
        return explainIrq(src, spec.irq, spec.at, backends, (p) => (phase = p));
      case 'search': {
        const match = searchEvents(reader, spec.query, spec.from, spec.direction, {
          backends,
          onProgress: (done, all) => onProgress({ done, total: all, phase: 'search' }),
        });
        return { kind: 'search', query: spec.query, direction: spec.direction, from: spec.from, match };
      }
      default:
        throw new JobError(`unknown job ${(spec as { kind: string }).kind}`);
    }
  } finally {
    for (const r of opened) r.close();
  }
}

function fieldLines(fields: readonly { path: string; a: unknown; b: unknown }[], max = 40): TextLine[] {
  const out: TextLine[] = fields.slice(0, max).map((f) => ({ text: `  ${formatField(f)}` }));
  if (fields.length > max) out.push({ text: `  ... ${fields.length - max} more`, tone: 'dim' });
  return out;
}

function check(src: TraceSource, reader: TraceReader, backends: BackendFactory, setPhase: (p: string) => void): JobResult {
  setPhase('replay check');
  const r = replay(src, { backends });
  const d = r.divergence;
  if (!d) return { kind: 'check', events: r.events, divergence: null, report: null };
  setPhase('decoding');
  const describer = new EventDescriber(reader, backends);
  const lines: TextLine[] = [];
  // A digest divergence is found at a checkpoint: the state after the event before it.
  const event = d.reason === 'result' ? d.event : Math.max(0, d.event - 1);
  if (d.reason === 'result') {
    lines.push({ text: 'the replayed result differs from the recorded one', tone: 'bad' });
    lines.push({ text: `recorded: ${describer.text(d.event, d.recorded)}` });
    lines.push({ text: `replayed: ${describer.text(d.event, d.replayed)}`, tone: 'bad' });
    lines.push({ text: `device state event ${event} changes on replay (before -> after):`, tone: 'head' });
  } else {
    lines.push({ text: `the device state recorded after event ${event} (checkpoint digest ${d.recordedDigest}) differs from the replay's (${d.replayedDigest})`, tone: 'bad' });
    lines.push({ text: `device state after event ${event} (recorded -> replayed):`, tone: 'head' });
  }
  lines.push(...fieldLines(d.fields));
  return {
    kind: 'check',
    events: r.events,
    divergence: { event, reason: d.reason },
    report: { title: `replay diverges at event ${event}`, lines },
  };
}

function bisect(a: TraceSource, b: TraceSource | undefined, names: { trace: string; against?: string }, backends: BackendFactory, setPhase: (p: string) => void): JobResult {
  setPhase('bisect');
  const r = b ? bisectAgainst(a, b, { backends }) : bisectTrace(a, { backends });
  const d = r.first_divergence;
  if (d) setPhase('decoding');
  const da = new EventDescriber(a, backends);
  const db = b && new EventDescriber(b, backends);
  const rep = bisectReport(r, {
    ...names,
    describe: (i, ev) => da.text(i, ev),
    ...(db && { describeAgainst: (i: number, ev?: TraceEvent) => db.text(i, ev) }),
  });
  return { kind: 'bisect', event: d?.event ?? null, reason: d?.reason ?? null, report: { title: `bisect: ${rep.title}`, lines: rep.lines } };
}

function migrate(src: TraceSource, at: number, backends: BackendFactory, setPhase: (p: string) => void): JobResult {
  setPhase('migrate-check');
  const r = migrateCheckPoints(src, at > 0 && at < src.eventCount ? [at] : [], backends);
  setPhase('decoding');
  const describer = new EventDescriber(src, backends);
  const lines: TextLine[] = [];
  const here = r.points.includes(at);
  if (!here) lines.push({ text: `no round trip ${afterEvents(at)}: no vcpu of VM 0 has run yet, or it is the end of the trace (a VMM migrates a running VM)`, tone: 'dim' });
  for (const f of r.failures) {
    const where = f.kind === 'recorded' ? `in the recorded migration (its restore ends at event ${f.event})` : `in a save/restore ${afterEvents(f.event)}`;
    lines.push({ text: `${f.kind === 'behaviour' ? 'behaviour differs after' : 'state lost'} ${where}:`, tone: 'bad' });
    for (const e of f.errors ?? []) lines.push({ text: `  ${e}`, tone: 'bad' });
    lines.push(...fieldLines(f.fields, 20));
    if (f.divergence) {
      lines.push({ text: `  first differing event ${f.divergence.event}:` });
      lines.push({ text: `    source:      ${describer.text(f.divergence.event, f.divergence.source)}` });
      lines.push({ text: `    destination: ${describer.text(f.divergence.event, f.divergence.destination)}`, tone: 'bad' });
    }
  }
  if (here && !r.failures.some((f) => f.event === at)) lines.push({ text: `${afterEvents(at)}: device state survives the save/restore, and the rest of the trace replays the same on the destination`, tone: 'good' });
  if (r.notCompared.length) {
    lines.push({ text: 'not compared (not carried by the ABI):', tone: 'dim' });
    for (const n of r.notCompared) lines.push({ text: `  ${n}`, tone: 'dim' });
  }
  const title = `migrate-check ${afterEvents(at)}: ${r.checks} check(s), ${r.failures.length ? `${r.failures.length} failure(s)` : 'no failures'}`;
  return { kind: 'migrate', at, checks: r.checks, failures: r.failures.length, report: { title, lines } };
}

function explainIrq(src: TraceSource, irq: number, at: number, backends: BackendFactory, setPhase: (p: string) => void): JobResult {
  setPhase('explain');
  let e;
  try {
    e = explain(src, irq, at, 0, backends);
  } catch (err) {
    throw new JobError((err as Error).message);
  }
  setPhase('decoding');
  const describer = new EventDescriber(src, backends);
  const text = formatExplanation(e, (i) => describer.text(i), src.eventCount).split('\n');
  // What blocks it first (the answer), then every condition.
  const who = (vcpu: number) => (vcpu < 0 ? 'device' : `vcpu ${vcpu}`);
  const lines: TextLine[] = e.blocking.map((c) => {
    const last = c.changedBy.filter((x) => x.event !== null).sort((a, b) => b.event! - a.event!)[0];
    return { text: `BLOCKS ${who(c.vcpu)}: ${c.name} = ${c.value}${last ? ` (last changed by event ${last.event})` : ''}`, tone: 'bad' as const };
  });
  lines.push(...text.slice(1).map((l): TextLine => ({ text: l, tone: /^\s+BLOCKS/.test(l) ? 'bad' : /^\S/.test(l) ? 'head' : 'normal' })));
  return {
    kind: 'explain',
    irq,
    at: e.at,
    deliverableTo: e.deliverableTo,
    blocking: e.blocking.map((c) => `${who(c.vcpu)}: ${c.name}`),
    report: { title: text[0]!, lines },
  };
}
