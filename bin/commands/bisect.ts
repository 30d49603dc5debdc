import { basename } from 'node:path';
import { bisectAgainst, bisectTrace } from '../../replay/bisect.js';
import { EventDescriber } from '../../replay/describe-at.js';
import { bisectReport } from '../../replay/report.js';
import type { TraceEvent } from '../../traces/events.js';
import type { TraceReader } from '../../traces/reader.js';
import { type Command, toJson, UsageError } from '../cli.js';
import { openTrace, traceWarnings } from '../open-trace.js';

export const bisectCommand: Command = {
  name: 'bisect',
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

Reports the divergent event (decoded, on both sides), why it diverges, the
fields that differ after it, and the event that wrote each of them (the
divergent event itself, or an earlier one). Events are numbered from 0, as
devrr dump lists them; "after event N" is the device state once event N has
run.

Options:
  --against OTHER   bisect TRACE against another trace
  --json            {"first_divergence": null | {"event": I, "reason": "result" |
                    "state" | "input", "fields": [{"path", "a", "b"}, ...],
                    "last_writers": [{"path", "event", "trace"?, "text"}], ...}}

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
            last_writers: d.lastWriters.map((w) => ({ ...w, text: w.event === null ? null : w.trace === 'against' && db ? db.text(w.event) : da.text(w.event) })),
            ...(d.recorded && { recorded: da.json(d.event, d.recorded) }),
            ...(d.replayed && { replayed: da.json(d.event, d.replayed) }),
            ...(d.other && db && { other: db.json(d.event, d.other) }),
          },
          probes: r.probes,
          events: r.events,
        }));
      } else {
        const rep = bisectReport(r, {
          trace: basename(positionals[0]!),
          ...(b && { against: basename(values.against as string) }),
          describe: (i, ev) => da.text(i, ev),
          ...(db && { describeAgainst: (i: number, ev?: TraceEvent) => db.text(i, ev) }),
        });
        io.out(d ? [`${rep.title}: ${rep.lines[0]!.text}`, ...rep.lines.slice(1).map((l) => `  ${l.text}`)].join('\n') : `no divergence: ${rep.lines[0]!.text}`);
      }
      return d ? 1 : 0;
    } finally {
      for (const t of opened) t.close();
    }
  },
};
