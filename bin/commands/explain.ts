import { EventDescriber } from '../../replay/describe-at.js';
import { explain, ExplainError, formatExplanation } from '../../replay/explain.js';
import { type Command, intOption, toJson, UsageError } from '../cli.js';
import { openTrace, traceWarnings } from '../open-trace.js';

export const explainCommand: Command = {
  name: 'explain',
  summary: 'why interrupt N is or is not delivered, with the event that last changed each condition',
  usage: 'devrr explain TRACE --irq N [--at EVENT] [--vm V] [--json]',
  help: `For interrupt N (an INTID: SGI 0-15, PPI 16-31, SPI 32-1019) at a point of
TRACE, lists every condition for its delivery to each vcpu: line level or
latch, pending, active, enabled, group and its enable, priority against the
priority mask and the running priority, the target, the distributor enable.
Each with its value, whether it holds, and the event that last changed it.

Options:
  --irq N     the INTID (required)
  --at EVENT  the point: the state after events [0, EVENT) (default: the end)
  --vm V      which VM of the trace (default 0)
  --json      {"irq", "at", "deliverable_to": [...], "conditions": [...], "blocking": [...]}`,
  options: { irq: { type: 'string' }, at: { type: 'string' }, vm: { type: 'string' }, json: { type: 'boolean' } },
  run({ values, positionals }, io) {
    if (positionals.length !== 1) throw new UsageError('devrr explain: give one TRACE (see devrr explain --help)');
    const irq = intOption('explain', values, 'irq', undefined);
    if (irq === undefined) throw new UsageError('devrr explain: --irq N is required');
    const t = openTrace(positionals[0]!);
    try {
      traceWarnings(t, io);
      const at = intOption('explain', values, 'at', t.eventCount)!;
      if (at > t.eventCount) throw new UsageError(`devrr explain: --at ${at}: the trace has only ${t.eventCount} events`);
      let e;
      try {
        e = explain(t, irq, at, intOption('explain', values, 'vm', 0)!);
      } catch (err) {
        if (err instanceof ExplainError) throw new UsageError(`devrr explain: ${err.message}`);
        throw err;
      }
      const desc = new EventDescriber(t);
      if (values.json) {
        const conds = e.conditions.map((c) => ({ vcpu: c.vcpu, name: c.name, ok: c.ok, value: c.value, changed_by: c.changedBy.map((x) => ({ ...x, text: x.event === null ? null : desc.text(x.event) })) }));
        io.out(toJson({ irq: e.irq, at: e.at, deliverable_to: e.deliverableTo, conditions: conds, blocking: conds.filter((c) => !c.ok) }));
      } else io.out(formatExplanation(e, (i) => desc.text(i)));
      return 0;
    } finally {
      t.close();
    }
  },
};
