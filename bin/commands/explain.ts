import { EventDescriber } from '../../replay/describe-at.js';
import { explain, ExplainError, formatExplanation } from '../../replay/explain.js';
import { type Command, intOption, toJson, UsageError } from '../cli.js';
import { openTrace, traceWarnings } from '../open-trace.js';

export const explainCommand: Command = {
  name: 'explain',
  usage: 'devrr explain TRACE --irq N [--at P] [--vm V] [--json]',
  help: `For interrupt N (in the irqchip's numbering: on a GIC an INTID, SGI 0-15,
PPI 16-31, SPI 32-1019; on the ppc64 XICS a source 16-1048575, or 2 for the
IPI; on the s390 FLIC a floating queue, 0-7 I/O ISC n, 8 pfault done, 9
virtio, 10 service signal, 11 machine check) at a point of TRACE, lists
every condition for its delivery to each vcpu: on a GIC line level or latch,
pending, active, enabled, group and its enable, priority against the
priority mask and the running priority, the target, the distributor enable;
on the XICS the source's P/Q bits, its mask and server, and the server's
CPPR, MFRR and pending interrupt; on the FLIC queued, AIS suppression, the
running vcpus. Each with its value, whether it holds, and the event that
last changed it.

Events are numbered from 0, as devrr dump lists them. A point is given as a
position: --at P is the state once events 0 to P-1 have run, "after event
P-1" (the state event P finds); --at 0 is the start, before event 0.

Options:
  --irq N     the interrupt number (required)
  --at P      the point: after event P-1 (default: after the last event)
  --vm V      which VM of the trace (default 0)
  --json      {"irq", "at", "after_event", "deliverable_to": [...], "conditions": [...],
              "blocking": [...]}; at is P, after_event is P-1 (null at the start)`,
  options: { irq: { type: 'string' }, at: { type: 'string' }, vm: { type: 'string' }, json: { type: 'boolean' } },
  run({ values, positionals }, io) {
    if (positionals.length !== 1) throw new UsageError('devrr explain: give one TRACE (see devrr explain --help)');
    const irq = intOption('explain', values, 'irq', undefined);
    if (irq === undefined) throw new UsageError('devrr explain: --irq N is required');
    const t = openTrace(positionals[0]!);
    try {
      traceWarnings(t, io);
      const at = intOption('explain', values, 'at', t.eventCount)!;
      if (at > t.eventCount) throw new UsageError(`devrr explain: --at ${at}: the trace has only ${t.eventCount} events (0-${t.eventCount - 1}); --at ${t.eventCount} is after the last`);
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
        io.out(toJson({ irq: e.irq, at: e.at, after_event: e.at > 0 ? e.at - 1 : null, deliverable_to: e.deliverableTo, conditions: conds, blocking: conds.filter((c) => !c.ok) }));
      } else io.out(formatExplanation(e, (i) => desc.text(i), t.eventCount));
      return 0;
    } finally {
      t.close();
    }
  },
};
