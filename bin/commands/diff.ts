import { digestState } from '../../devices/core/state.js';
import type { SessionState } from '../../recorder/execute.js';
import { diffStates, parsePoint, renderDiff, stateAt } from '../../replay/diff.js';
import type { TraceReader } from '../../traces/reader.js';
import { type Command, toJson, UsageError } from '../cli.js';
import { openTrace, traceWarnings } from '../open-trace.js';

export const diffCommand: Command = {
  name: 'diff',
  summary: 'device state at two points (TRACE@N) or of two traces, field by field',
  usage: 'devrr diff A [B] [--json]',
  help: `Compares device state field by field, with the devices' own names
(gic.dist.irq[42].pending, gic.cpu[1].ctlr.EnableGrp0).

  A, B      TRACE or TRACE@N: the state the models replay after events [0, N)
            of TRACE (no @N: its end).
  A alone   TRACE@N: the trace's recorded checkpoint at event N against what
            the current models replay there.

Options:
  --json    {"a": ..., "b": ..., "fields": [{"path", "a", "b"}]}

Exit status: 0 the states are equal; 1 they differ; 2 bad input.`,
  options: { json: { type: 'boolean' } },
  run({ values, positionals }, io) {
    if (positionals.length < 1 || positionals.length > 2) throw new UsageError('devrr diff: give A and B (TRACE or TRACE@N), or one TRACE@N (see devrr diff --help)');
    const opened: TraceReader[] = [];
    try {
      const load = (spec: string): { state: SessionState; name: string } => {
        const p = parsePoint(spec);
        const t = openTrace(p.file);
        opened.push(t);
        traceWarnings(t, io);
        if (p.at !== 'end' && p.at > t.eventCount) throw new UsageError(`devrr diff: ${spec}: the trace has only ${t.eventCount} events`);
        return { state: stateAt(t, p.at), name: p.at === 'end' ? `${p.file}@${t.eventCount}` : spec };
      };
      let a: { state: SessionState; name: string };
      let b: { state: SessionState; name: string };
      if (positionals.length === 2) {
        a = load(positionals[0]!);
        b = load(positionals[1]!);
      } else {
        const p = parsePoint(positionals[0]!);
        if (p.at === 'end') throw new UsageError('devrr diff: with one argument, give TRACE@N: a checkpoint of the trace to compare with the models');
        b = load(positionals[0]!);
        const t = opened[0]!;
        const k = t.checkpoints.findIndex((c) => c.event === p.at);
        if (k < 0) throw new UsageError(`devrr diff: ${p.file} has no checkpoint at event ${p.at} (checkpoints: ${t.checkpoints.map((c) => c.event).slice(0, 12).join(', ')}${t.checkpoints.length > 12 ? ', ...' : ''})`);
        a = { state: t.readCheckpoint(k).state as SessionState, name: `${positionals[0]} (recorded)` };
        b = { ...b, name: `${positionals[0]} (replayed)` };
      }
      const fields = diffStates(a.state, b.state);
      if (values.json) io.out(toJson({ a: a.name, b: b.name, equal: fields.length === 0, fields }));
      else if (!fields.length) io.out(`${a.name} and ${b.name}: device state is equal (digest ${digestState(a.state)})`);
      else {
        io.out(`${fields.length} field(s) differ between ${a.name} and ${b.name}:`);
        io.out(renderDiff(a.state, b.state, a.name, b.name));
      }
      return fields.length ? 1 : 0;
    } finally {
      for (const t of opened) t.close();
    }
  },
};
