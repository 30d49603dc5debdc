import { formatReport } from '../../replay/report.js';
import { replay, type ReplayReport } from '../../replay/engine.js';
import type { TraceReader } from '../../traces/reader.js';
import { type Command, intOption, toJson, UsageError } from '../cli.js';
import { runCorpus } from '../corpus.js';
import { listTraces } from '../corpus-list.js';
import { openTrace, traceWarnings } from '../open-trace.js';
import { replayProblem } from '../../replay/open-trace.js';

/** What `replay --json` prints for one trace (the keys scripts rely on: docs/cli.md). */
export function replayJson(r: ReplayReport, t: TraceReader): Record<string, unknown> {
  return { events: r.events, checkpoints: r.checkpoints, complete: t.complete, divergence: r.divergence && { ...r.divergence, fields: r.divergence.fields } };
}

export const replayCommand: Command = {
  name: 'replay',
  usage: 'devrr replay TRACE.devrr [--json]\n       devrr replay TRACE|DIR... [--jobs N] [--progress] [--json]',
  help: `Re-executes TRACE against fresh device models and checks every recorded
result and every checkpoint digest. At the first divergence it reports the
event, decoded with the kernel's names, the recorded and replayed results,
and the named-field diff of device state around that event.

With several traces or a directory (every .devrr file under it, sorted), it
replays them all, spread over worker threads (one per core), and prints a
table: events, result and time per trace, then a summary.

Options:
  --json        one JSON object: {"events": N, "divergence": null | {"event": I, ...}};
                for several traces one object per trace per line ({"file", "status",
                "ms", and the keys above, or "error"}), then {"summary": {...}}
  --jobs N      several traces: how many threads (default: one per core)
  --progress    several traces: a progress line on stderr even when it is not a terminal

Exit status: 0 nothing diverged; 1 a divergence; 2 the trace is unreadable or
corrupt (the message names the byte offset). Several traces: the worst of
them (2 if any is unreadable, else 1 if any diverged).`,
  options: { json: { type: 'boolean' }, jobs: { type: 'string' }, progress: { type: 'boolean' } },
  async run({ values, positionals }, io) {
    if (positionals.length === 0) throw new UsageError('devrr replay: give a TRACE, or several, or a directory (see devrr replay --help)');
    const jobs = intOption('replay', values, 'jobs', undefined);
    if (jobs === 0) throw new UsageError('devrr replay: --jobs must be at least 1');
    const list = listTraces('replay', positionals);
    if (list.files.length !== 1 || list.sawDirectory) {
      return runCorpus({ kind: 'replay' }, list, { json: values.json === true, progress: values.progress === true, ...(jobs !== undefined && { jobs }) }, io);
    }
    const t = openTrace(list.files[0]!);
    try {
      const damaged = traceWarnings(t, io);
      const cannot = replayProblem(t.header);
      if (cannot !== undefined) {
        io.err(`${positionals[0]!}: ${cannot}`);
        return 2;
      }
      const r = replay(t);
      if (values.json) io.out(toJson(replayJson(r, t)));
      else io.out(formatReport(r, t, list.files[0]!));
      if (r.divergence) return 1;
      return damaged ? 2 : 0;
    } finally {
      t.close();
    }
  },
};
