import { bisectAgainst, bisectTrace, type BisectFinding } from '../../replay/bisect.js';
import { EventDescriber } from '../../replay/describe-at.js';
import { formatField } from '../../replay/report.js';
import type { TraceReader } from '../../traces/reader.js';
import { type Command, toJson, UsageError } from '../cli.js';
import { openTrace, traceWarnings } from '../open-trace.js';

export const bisectCommand: Command = {
  name: 'bisect',
  summary: 'the first event at which device state diverges (trace vs models, or two traces)',
  usage: 'devrr bisect TRACE [--against OTHER] [--json]',
  help: `Finds the first event at which device state diverges.

  devrr bisect TRACE
      TRACE replayed against the current models: a binary search over its
      recorded checkpoint digests finds the first checkpoint the models no
      longer reproduce, then the replay steps event by event to the exact
      event. Needs a trace recorded with checkpoints (devrr record writes them).
  devrr bisect A --against B
      Two traces of one workload (two kernels, the two sides of a migration,
      before and after a change): their digests are compared at common
      checkpoints, then both are replayed in lockstep to the first event
      after which their device state (or the events themselves) differ.

Reports the event (decoded), the differing fields, and the earlier event
that last wrote each of them.

Options:
  --against OTHER   bisect TRACE against another trace
  --json            {"first_divergence": null | {"event": I, "fields": [...], ...}}

Exit status: 0 no divergence; 1 a divergence was found; 2 bad input.`,
  options: { against: { type: 'string' }, json: { type: 'boolean' } },
  run({ values, positionals }, io) {
    if (positionals.length !== 1) throw new UsageError('devrr bisect: give one TRACE (see devrr bisect --help)');
    const opened: TraceReader[] = [];
    try {
      const a = openTrace(positionals[0]!);
      opened.push(a);
      traceWarnings(a, io);
      let b: TraceReader | undefined;
      if (values.against) {
        b = openTrace(values.against as string);
        opened.push(b);
        traceWarnings(b, io);
      } else if (!a.checkpoints.length) throw new UsageError(`devrr bisect: ${positionals[0]} has no checkpoints to bisect over; record it again (devrr record writes checkpoints) or use devrr replay`);
      const r = b ? bisectAgainst(a, b) : bisectTrace(a);
      const da = new EventDescriber(a);
      const db = b && new EventDescriber(b);
      const d = r.first_divergence;
      if (values.json) {
        io.out(toJson({
          first_divergence: d && {
            event: d.event,
            reason: d.reason,
            interval: d.interval,
            fields: d.fields,
            last_writers: d.lastWriters.map((w) => ({ ...w, text: w.event === null ? null : da.text(w.event) })),
            ...(d.recorded && { recorded: da.json(d.event, d.recorded) }),
            ...(d.replayed && { replayed: da.json(d.event, d.replayed) }),
            ...(d.other && db && { other: db.json(d.event, d.other) }),
          },
          probes: r.probes,
          events: r.events,
        }));
      } else io.out(formatFinding(d, r.probes, da, db));
      return d ? 1 : 0;
    } finally {
      for (const t of opened) t.close();
    }
  },
};

function formatFinding(d: BisectFinding | null, probes: number, da: EventDescriber, db: EventDescriber | undefined): string {
  if (!d) return `no divergence (${probes} probe replay(s))`;
  const lines = [`first divergence at event ${d.event} (${d.reason}; narrowed to events ${d.interval[0]}..${d.interval[1]} in ${probes} probe replay(s))`];
  if (d.recorded) lines.push(`  ${db ? 'A' : 'recorded'}: ${da.text(d.event, d.recorded)}`);
  if (d.replayed) lines.push(`  replayed: ${da.text(d.event, d.replayed)}`);
  if (d.other && db) lines.push(`  B:        ${db.text(d.event, d.other)}`);
  lines.push(`  fields (${db ? 'A -> B' : 'before -> after, or recorded -> replayed'}):`);
  for (const f of d.fields.slice(0, 40)) lines.push(`    ${formatField(f)}`);
  if (d.fields.length > 40) lines.push(`    ... ${d.fields.length - 40} more (--json lists all)`);
  const writers = d.lastWriters.filter((w) => w.event !== null);
  if (writers.length) {
    lines.push('  last written by:');
    for (const w of writers.slice(0, 20)) lines.push(`    ${w.path}: event ${w.event}: ${da.text(w.event!)}`);
  }
  return lines.join('\n');
}
