import { digestState } from '../../devices/core/state.js';
import type { SessionState } from '../../recorder/execute.js';
import { diffStates, parsePoint, renderDiff, stateAt } from '../../replay/diff.js';
import { afterEvents } from '../../replay/report.js';
import type { TraceReader } from '../../traces/reader.js';
import { type Command, toJson, UsageError } from '../cli.js';
import { openTrace, traceWarnings } from '../open-trace.js';

export const diffCommand: Command = {
  name: 'diff',
  usage: 'devrr diff A [B] [--json]   (A, B: TRACE or TRACE@P)',
  help: `Compares device state field by field, with the devices' own names
(gic.dist.irq[42].pending, gic.cpu[1].ctlr.EnableGrp0).

  A, B      TRACE or TRACE@P: the state the models replay once events 0 to
            P-1 of TRACE have run, "after event P-1" (@0: the start, before
            event 0; no @P: after the last event).
  A alone   TRACE@P: the trace's checkpoint recorded at P (after event P-1)
            against what the current models replay there; devrr info lists
            the checkpoints.

Events are numbered from 0, as devrr dump lists them; a point is a position P,
the state event P finds.

Options:
  --json    {"a": ..., "b": ..., "fields": [{"path", "a", "b"}]}

Exit status: 0 the states are equal; 1 they differ; 2 bad input.`,
  options: { json: { type: 'boolean' } },
  run({ values, positionals }, io) {
    if (positionals.length < 1 || positionals.length > 2) throw new UsageError('devrr diff: give A and B (TRACE or TRACE@P), or one TRACE@P (see devrr diff --help)');
    const opened: TraceReader[] = [];
    try {
      const load = (spec: string): { state: SessionState; name: string; text: string } => {
        const p = parsePoint(spec);
        const t = openTrace(p.file);
        opened.push(t);
        traceWarnings(t, io);
        if (p.at !== 'end' && p.at > t.eventCount) throw new UsageError(`devrr diff: ${spec}: the trace has only ${t.eventCount} events`);
        const at = p.at === 'end' ? t.eventCount : p.at;
        return { state: stateAt(t, at), name: `${p.file}@${at}`, text: `${p.file}@${at} (${afterEvents(at, t.eventCount).replace(/^at /, '')})` };
      };
      let a: { state: SessionState; name: string; text: string };
      let b: { state: SessionState; name: string; text: string };
      if (positionals.length === 2) {
        a = load(positionals[0]!);
        b = load(positionals[1]!);
      } else {
        const p = parsePoint(positionals[0]!);
        if (p.at === 'end') throw new UsageError('devrr diff: with one argument, give TRACE@P: a checkpoint of the trace to compare with the models');
        b = load(positionals[0]!);
        const t = opened[0]!;
        const k = t.checkpoints.findIndex((c) => c.event === p.at);
        if (k < 0) throw new UsageError(`devrr diff: ${p.file} has no checkpoint recorded at @${p.at}; its checkpoints: ${t.checkpoints.map((c) => `@${c.event}`).slice(0, 12).join(', ')}${t.checkpoints.length > 12 ? ', ...' : ''}`);
        a = { state: t.readCheckpoint(k).state as SessionState, name: `${b.name} (recorded)`, text: `${b.text}, recorded` };
        b = { ...b, name: `${b.name} (replayed)`, text: `${b.text}, replayed` };
      }
      const fields = diffStates(a.state, b.state);
      if (values.json) io.out(toJson({ a: a.name, b: b.name, equal: fields.length === 0, fields }));
      else if (!fields.length) io.out(`${a.text} and ${b.text}: device state is equal (digest ${digestState(a.state)})`);
      else {
        io.out(`${fields.length} field(s) differ between ${a.text} and ${b.text}:`);
        io.out(renderDiff(a.state, b.state, a.text, b.text));
      }
      return fields.length ? 1 : 0;
    } finally {
      for (const t of opened) t.close();
    }
  },
};
