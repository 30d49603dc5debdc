import { formatReport } from '../../replay/report.js';
import { replay } from '../../replay/engine.js';
import { type Command, toJson, UsageError } from '../cli.js';
import { openTrace, traceWarnings } from '../open-trace.js';
import { replayProblem } from '../../replay/open-trace.js';

export const replayCommand: Command = {
  name: 'replay',
  usage: 'devrr replay TRACE.devrr [--json]',
  help: `Re-executes TRACE against fresh device models and checks every recorded
result and every checkpoint digest. At the first divergence it reports the
event, decoded with the kernel's names, the recorded and replayed results,
and the named-field diff of device state around that event.

Options:
  --json    one JSON object: {"events": N, "divergence": null | {"event": I, ...}}

Exit status: 0 nothing diverged; 1 a divergence; 2 the trace is unreadable or
corrupt (the message names the byte offset).`,
  options: { json: { type: 'boolean' } },
  run({ values, positionals }, io) {
    if (positionals.length !== 1) throw new UsageError('devrr replay: give one TRACE (see devrr replay --help)');
    const t = openTrace(positionals[0]!);
    try {
      const damaged = traceWarnings(t, io);
      const cannot = replayProblem(t.header);
      if (cannot !== undefined) {
        io.err(`${positionals[0]!}: ${cannot}`);
        return 2;
      }
      const r = replay(t);
      if (values.json) io.out(toJson({ events: r.events, checkpoints: r.checkpoints, complete: t.complete, divergence: r.divergence && { ...r.divergence, fields: r.divergence.fields } }));
      else io.out(formatReport(r, t, positionals[0]!));
      if (r.divergence) return 1;
      return damaged ? 2 : 0;
    } finally {
      t.close();
    }
  },
};
