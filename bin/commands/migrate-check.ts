import { EventDescriber } from '../../replay/describe-at.js';
import { migrateCheck, type MigrateCheckResult } from '../../replay/migrate.js';
import { formatField } from '../../replay/report.js';
import type { TraceSource } from '../../replay/trace-source.js';
import { type Command, intOption, toJson, UsageError } from '../cli.js';
import { runCorpus } from '../corpus.js';
import { listTraces } from '../corpus-list.js';
import { openTrace, traceWarnings } from '../open-trace.js';

/** What `migrate-check --json` prints for one trace (the keys scripts rely on: docs/cli.md). */
export function migrateJson(r: MigrateCheckResult, t: TraceSource): Record<string, unknown> {
  const desc = new EventDescriber(t);
  return {
    checks: r.checks,
    points: r.points,
    recorded: r.recorded,
    failures: r.failures.map((f) => ({
      ...f,
      ...(f.divergence && { divergence: { event: f.divergence.event, source: desc.json(f.divergence.event, f.divergence.source), destination: desc.json(f.divergence.event, f.divergence.destination) } }),
    })),
    not_compared: r.notComparedRules,
  };
}

/** Where the checks ran, one item per check: " at events 17, 34 and on the recorded migration (...)". */
function checkedWhere(r: MigrateCheckResult): string {
  const items: string[] = [];
  if (r.points.length) items.push(`at event${r.points.length > 1 ? 's' : ''} ${r.points.join(', ')}`);
  if (r.recorded) items.push(`on the recorded migration (source saved by event ${r.recorded.save}, destination restored by event ${r.recorded.restore})`);
  return items.length ? ` ${items.join(' and ')}` : ' (none: no vcpu ever ran)';
}

export const migrateCheckCommand: Command = {
  name: 'migrate-check',
  usage: 'devrr migrate-check TRACE [--every K] [--json]\n       devrr migrate-check TRACE|DIR... [--every K] [--jobs N] [--progress] [--json]',
  help: `At points of TRACE where the VM is running, saves every device through
GET_DEVICE_ATTR exactly as a VMM would (each device's save list; a device's
per-vcpu one-reg registers, the XICS's ICP, through KVM_GET_ONE_REG), restores
it into a fresh VM with SET_DEVICE_ATTR (KVM_SET_ONE_REG) in the device's
restore order, re-drives the level-triggered lines the VMM holds high, and
compares: first the state field by field, then the rest of the trace
replayed on both VMs. A trace that records a migration itself (a create_vm
destination restored with set_attr, and one_reg sets) is also checked as
recorded: the source's state at its last save against the destination's
after its last restore.

Options:
  --every K   check every K events (default: 8 points spread over the trace)
  --json      {"checks": N, "points": [...], "recorded": {"save": S, "restore": R} | null,
               "failures": [{"event": I, "fields": [...]}, ...],
               "not_compared": [{"fields": [...], "what": "...", "why": "..."}, ...]}

"checks" counts the points listed plus the recorded migration, if any.
"not_compared" is the state left out of the comparison, each with its reason:
what the device ABIs do not carry by design (a line held high on GICv2, a
gate on what userspace may write), which a correct migration may lose.

With several traces or a directory (every .devrr file under it, sorted), it
checks them all, spread over worker threads (one per core), and prints a
table: events, result and time per trace, then a summary.

Options for several traces:
  --json        one object per trace per line ({"file", "status", "ms", and the
                keys above, or "error"}), then {"summary": {...}}
  --jobs N      how many threads (default: one per core)
  --progress    a progress line on stderr even when it is not a terminal

Exit status: 0 every check passed; 1 some state did not survive; 2 bad input.
Several traces: the worst of them (2 if any is unreadable, else 1 if any failed).`,
  options: { every: { type: 'string' }, json: { type: 'boolean' }, jobs: { type: 'string' }, progress: { type: 'boolean' } },
  async run({ values, positionals }, io) {
    if (positionals.length === 0) throw new UsageError('devrr migrate-check: give a TRACE, or several, or a directory (see devrr migrate-check --help)');
    const every = intOption('migrate-check', values, 'every', undefined);
    if (every === 0) throw new UsageError('devrr migrate-check: --every must be at least 1');
    const jobs = intOption('migrate-check', values, 'jobs', undefined);
    if (jobs === 0) throw new UsageError('devrr migrate-check: --jobs must be at least 1');
    const list = listTraces('migrate-check', positionals);
    if (list.files.length !== 1 || list.sawDirectory) {
      return runCorpus({ kind: 'migrate-check', ...(every !== undefined && { every }) }, list, { json: values.json === true, progress: values.progress === true, ...(jobs !== undefined && { jobs }) }, io);
    }
    const t = openTrace(list.files[0]!);
    try {
      traceWarnings(t, io);
      const r = migrateCheck(t, every);
      const desc = new EventDescriber(t);
      if (values.json) {
        io.out(toJson(migrateJson(r, t)));
      } else {
        io.out(`${r.checks} migration check(s)${checkedWhere(r)}: ${r.failures.length ? `${r.failures.length} failed` : 'all passed'}`);
        for (const f of r.failures) {
          io.out(`FAIL at event ${f.event} (${f.kind === 'recorded' ? 'the recorded migration' : f.kind === 'restore' ? 'state after restore' : 'behaviour after restore'}):`);
          for (const e of f.errors ?? []) io.out(`  error: ${e}`);
          if (f.divergence) {
            io.out(`  event ${f.divergence.event} source:      ${desc.text(f.divergence.event, f.divergence.source)}`);
            io.out(`  event ${f.divergence.event} destination: ${desc.text(f.divergence.event, f.divergence.destination)}`);
          }
          if (f.fields.length) io.out(`  state that did not cross (source -> destination):`);
          for (const x of f.fields.slice(0, 30)) io.out(`    ${formatField(x)}`);
        }
        if (r.notCompared.length) {
          io.out('not compared (the device ABIs do not carry it, by design):');
          for (const n of r.notCompared) io.out(`  - ${n}`);
        }
      }
      return r.failures.length ? 1 : 0;
    } finally {
      t.close();
    }
  },
};
