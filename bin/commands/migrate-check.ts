import { EventDescriber } from '../../replay/describe-at.js';
import { migrateCheck, type MigrateCheckResult } from '../../replay/migrate.js';
import { formatField } from '../../replay/report.js';
import { type Command, intOption, toJson, UsageError } from '../cli.js';
import { openTrace, traceWarnings } from '../open-trace.js';

/** Where the checks ran, one item per check: " at events 17, 34 and on the recorded migration (...)". */
function checkedWhere(r: MigrateCheckResult): string {
  const items: string[] = [];
  if (r.points.length) items.push(`at event${r.points.length > 1 ? 's' : ''} ${r.points.join(', ')}`);
  if (r.recorded) items.push(`on the recorded migration (source saved by event ${r.recorded.save}, destination restored by event ${r.recorded.restore})`);
  return items.length ? ` ${items.join(' and ')}` : ' (none: no vcpu ever ran)';
}

export const migrateCheckCommand: Command = {
  name: 'migrate-check',
  usage: 'devrr migrate-check TRACE [--every K] [--json]',
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

Exit status: 0 every check passed; 1 some state did not survive; 2 bad input.`,
  options: { every: { type: 'string' }, json: { type: 'boolean' } },
  run({ values, positionals }, io) {
    if (positionals.length !== 1) throw new UsageError('devrr migrate-check: give one TRACE (see devrr migrate-check --help)');
    const every = intOption('migrate-check', values, 'every', undefined);
    if (every === 0) throw new UsageError('devrr migrate-check: --every must be at least 1');
    const t = openTrace(positionals[0]!);
    try {
      traceWarnings(t, io);
      const r = migrateCheck(t, every);
      const desc = new EventDescriber(t);
      if (values.json) {
        io.out(toJson({
          checks: r.checks,
          points: r.points,
          recorded: r.recorded,
          failures: r.failures.map((f) => ({
            ...f,
            ...(f.divergence && { divergence: { event: f.divergence.event, source: desc.json(f.divergence.event, f.divergence.source), destination: desc.json(f.divergence.event, f.divergence.destination) } }),
          })),
          not_compared: r.notComparedRules,
        }));
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
