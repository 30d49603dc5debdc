/**
 * The human replay report: a one-line verdict, or the first divergence with
 * the event decoded in the kernel's names, recorded vs replayed results (a
 * word diff where they differ) and the state fields around it.
 */
import { createRequire } from 'node:module';
import type { FieldDiff } from '../devices/core/state.js';
import type { BackendFactory } from '../recorder/backend.js';
import { MODELS } from '../recorder/execute.js';
import type { TraceEvent } from '../traces/events.js';
import type { BisectResult } from './bisect.js';
import { describeEvent } from './decode.js';
import { type ReplayReport, stateBefore } from './engine.js';
import type { TraceSource } from './trace-source.js';

/**
 * A point of a trace in words. Points are positions: position p is the
 * device state once events 0 to p-1 have run, "after event p-1" (position
 * 0: "at the start", before event 0). Events are numbered from 0, as
 * devrr dump lists them. With `events` (the trace's length) the end is
 * marked as such.
 */
export function afterEvents(p: number, events?: number): string {
  if (p <= 0) return 'at the start, before event 0';
  return `after event ${p - 1}${events !== undefined && p === events ? ', the last' : ''}`;
}

function fmt(v: unknown): string {
  if (typeof v === 'number') return v > 9 || v < 0 ? `0x${(v >>> 0).toString(16)}` : String(v);
  if (typeof v === 'bigint') return `0x${v.toString(16)}`;
  if (v === undefined) return '(none)';
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `0x${x.toString(16)}` : x));
}

/** "0x0 -> 0x400 (set bit 10)": for integer words, which bits moved. */
export function formatField(f: FieldDiff): string {
  let bits = '';
  if (typeof f.a === 'number' && typeof f.b === 'number' && Number.isInteger(f.a) && Number.isInteger(f.b)) {
    const set: number[] = [];
    const cleared: number[] = [];
    const x = (f.a ^ f.b) >>> 0;
    for (let i = 0; i < 32; i++) if ((x >>> i) & 1) ((f.b >>> i) & 1 ? set : cleared).push(i);
    if (set.length + cleared.length <= 4 && Math.max(Math.abs(f.a), Math.abs(f.b)) > 1) {
      const parts = [set.length ? `set bit ${set.join(',')}` : '', cleared.length ? `cleared bit ${cleared.join(',')}` : ''].filter(Boolean);
      bits = ` (${parts.join('; ')})`;
    }
  }
  return `${f.path}: ${fmt(f.a)} -> ${fmt(f.b)}${bits}`;
}

/**
 * The word diff, loaded on first use: only a report of a divergence needs it,
 * and most commands that import this module (explain, diff, a replay that
 * does not diverge) never print one (docs/architecture.md, start-up).
 */
let diffWords: typeof import('diff').diffWords | undefined;

/** Marks what changed between two lines: [-old-]{+new+}. */
export function wordDiff(a: string, b: string): string {
  diffWords ??= (createRequire(import.meta.url)('diff/lib/diff/word.js') as typeof import('diff')).diffWords;
  return diffWords(a, b)
    .map((p) => (p.added ? `{+${p.value}+}` : p.removed ? `[-${p.value}-]` : p.value))
    .join('');
}

export function formatReport(r: ReplayReport, src: TraceSource, file: string, maxFields = 40, backends: BackendFactory = MODELS): string {
  const d = r.divergence;
  if (!d) return `replayed ${r.events} events of ${file}, ${r.checkpoints} checkpoint digest(s) checked: no divergence`;
  const lines: string[] = [];
  // The events are decoded with the state just before the divergent one.
  const session = backends.create().state ? { inspector: backends.inspector, state: stateBefore(src, d.event, backends) } : undefined;
  if (d.reason === 'result') {
    const rec = describeEvent(d.recorded!, session);
    const rep = describeEvent(d.replayed!, session);
    lines.push(`DIVERGENCE at event ${d.event}: the replayed result differs from the recorded one`);
    lines.push(`  recorded: ${rec}`);
    lines.push(`  replayed: ${rep}`);
    lines.push(`  diff:     ${wordDiff(rec, rep)}`);
    lines.push(`  device state changed by this event on replay (before -> after):`);
  } else {
    // A digest is checked at a checkpoint: the state after the event before it.
    lines.push(`DIVERGENCE ${afterEvents(d.event)}: the replayed device state differs from the checkpoint recorded there (digest ${d.replayedDigest} != ${d.recordedDigest})`);
    if (d.recorded) lines.push(`  next event, ${d.event}: ${describeEvent(d.recorded, session)}`);
    lines.push(`  fields (recorded checkpoint -> replayed):`);
  }
  if (d.fields.length === 0) lines.push('    (none)');
  for (const f of d.fields.slice(0, maxFields)) lines.push(`    ${formatField(f)}`);
  if (d.fields.length > maxFields) lines.push(`    ... ${d.fields.length - maxFields} more (use --json for all)`);
  lines.push(`replayed ${r.events} events before the divergence, ${r.checkpoints} checkpoint digest(s) checked`);
  return lines.join('\n');
}

/** A line of a report, with how to show it. */
export interface ReportLine {
  readonly text: string;
  readonly tone?: 'head' | 'bad' | 'good' | 'dim';
}

/** How a bisect report names things: the trace (and --against), and decoders of their events (by index, optionally a given event). */
export interface BisectNaming {
  /** The trace's file name. */
  readonly trace: string;
  /** The --against trace's file name. */
  readonly against?: string;
  readonly describe: (i: number, ev?: TraceEvent) => string;
  readonly describeAgainst?: (i: number, ev?: TraceEvent) => string;
}

/** "events 0-263", "event 5" */
function eventRange(from: number, to: number): string {
  return to - 1 <= from ? `event ${from}` : `events ${from}-${to - 1}`;
}

/**
 * The human bisect report (devrr bisect, the TUI's B): the divergent event
 * and why it diverges, both sides decoded, the fields that differ after it,
 * the event that wrote each field (the divergent event where it did), and
 * how the search found it. The two traces are named by their file names.
 */
export function bisectReport(r: BisectResult, n: BisectNaming, maxFields = 40): { title: string; lines: ReportLine[] } {
  const d = r.first_divergence;
  const against = n.against !== undefined;
  if (!d) {
    const what = against ? `${n.trace === n.against ? 'this trace and --against' : `${n.trace} and ${n.against}`} record the same events and reach the same device state after each (${r.events} events)` : `the models reproduce every result and checkpoint of ${n.trace} (${r.events} events)`;
    return { title: 'no divergence', lines: [{ text: what, tone: 'good' }] };
  }
  // Both files may have one name (a/run.devrr, b/run.devrr): then say which is which only.
  const same = n.trace === n.against;
  const thisName = same ? 'this trace' : `${n.trace} (this trace)`;
  const otherName = same ? '--against' : `${n.against} (--against)`;
  const short = { a: same ? 'this trace' : n.trace, b: same ? '--against' : n.against };
  const w = Math.max(thisName.length, otherName.length, 'replayed now'.length) + 1;
  const side = (label: string, text: string, tone?: ReportLine['tone']): ReportLine => ({ text: `  ${`${label}:`.padEnd(w + 1)} ${text}`, ...(tone && { tone }) });
  const checkpointOnly = d.reason === 'state' && !d.recorded && !d.other;
  let why: string;
  if (against) {
    if (d.reason === 'input') why = d.recorded && d.other ? 'the two traces record different events here' : `${d.recorded ? short.b : short.a} ends before event ${d.event}`;
    else if (checkpointOnly) why = `both traces replay alike, but the device state they recorded after event ${d.event} differs (the models that recorded them differed)`;
    else why = 'the same event leaves different device state in the two traces';
  } else if (d.reason === 'result') why = 'its replayed result differs from the recorded one';
  else why = `every result replays as recorded, but the device state recorded after event ${d.interval[1] - 1} differs from the replay's; event ${d.event} is the first event before it that wrote a differing field`;
  const lines: ReportLine[] = [{ text: why, tone: 'bad' }];
  if (against) {
    if (d.recorded) lines.push(side(thisName, n.describe(d.event, d.recorded)));
    if (d.other && n.describeAgainst) lines.push(side(otherName, n.describeAgainst(d.event, d.other), 'bad'));
  } else {
    if (d.recorded) lines.push(side('recorded', n.describe(d.event, d.recorded)));
    if (d.replayed) lines.push(side('replayed now', n.describe(d.event, d.replayed), 'bad'));
  }
  const fieldsHead = against
    ? `device state after event ${d.event} (${short.a} -> ${short.b}):`
    : d.reason === 'result'
      ? `device state event ${d.event} changes on replay (before -> after):`
      : `device state after event ${d.interval[1] - 1} (recorded -> replayed):`;
  lines.push({ text: fieldsHead, tone: 'head' });
  if (!d.fields.length) lines.push({ text: '  (none)', tone: 'dim' });
  for (const f of d.fields.slice(0, maxFields)) lines.push({ text: `  ${formatField(f)}` });
  if (d.fields.length > maxFields) lines.push({ text: `  ... ${d.fields.length - maxFields} more (--json lists all)`, tone: 'dim' });
  const writers = d.lastWriters.filter((x) => x.event !== null);
  if (writers.length) {
    lines.push({ text: 'written by:', tone: 'head' });
    for (const x of writers.slice(0, 20)) {
      const e = x.event!;
      const where = x.trace === 'against' ? ` in ${short.b}` : '';
      if (e === d.event) lines.push({ text: `  ${x.path}: event ${e}${where}, the divergent event` });
      else {
        const text = x.trace === 'against' && n.describeAgainst ? n.describeAgainst(e) : n.describe(e);
        lines.push({ text: `  ${x.path}: event ${e}${where}: ${text}` });
      }
    }
  }
  const how = against
    ? `found by comparing the two traces' recorded checkpoints, which narrow it to ${eventRange(d.interval[0], d.interval[1])}, then replaying both side by side through those events`
    : `found by replaying from checkpoint to checkpoint (${r.probes} replay(s) of a stretch) down to ${eventRange(d.interval[0], d.interval[1])}, then stepping through them`;
  lines.push({ text: how, tone: 'dim' });
  return { title: `first divergence at event ${d.event}`, lines };
}
