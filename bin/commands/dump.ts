import { pointIn } from '../../recorder/backend.js';
import { MODELS } from '../../recorder/execute.js';
import { applyEvents } from '../../replay/apply.js';
import { ChunkCache } from '../../replay/trace-source.js';
import { describeEvent, eventToJson } from '../../replay/decode.js';
import type { TraceEvent } from '../../traces/events.js';
import type { IndexedEvent } from '../../traces/reader.js';
import { type Command, intOption, toJson, UsageError } from '../cli.js';
import { openTrace, traceWarnings } from '../open-trace.js';

export const dumpCommand: Command = {
  name: 'dump',
  usage: 'devrr dump TRACE.devrr [--json] [--from N] [--to N]',
  help: `Lists the events of TRACE with the kernel's names: device types, attribute
groups and attributes, registers by spec name with their bit fields, IRQs
and errnos. Events [from, to) are listed (to is exclusive).

Options:
  --json        one JSON object per line, with at least "i" (the event index)
                and "kind"; values, attributes and guest addresses as hex
                strings, errno_name only for a failed call
  --from N      first event to list (default 0)
  --to N        list up to, not including, event N (default: all)`,
  options: { json: { type: 'boolean' }, from: { type: 'string' }, to: { type: 'string' } },
  run({ values, positionals }, io) {
    if (positionals.length !== 1) throw new UsageError('devrr dump: give one TRACE (see devrr dump --help)');
    const t = openTrace(positionals[0]!);
    try {
      const damaged = traceWarnings(t, io);
      const from = intOption('dump', values, 'from', 0)!;
      const to = Math.min(intOption('dump', values, 'to', t.eventCount)!, t.eventCount);
      // Names of registers and devices depend on the VM's layout at each
      // event, so the models run alongside: each event is decoded against the
      // state just before it.
      const backend = MODELS.create();
      const at = () => pointIn(MODELS, backend);
      // The events before `from` only make the state the listed ones are named with: replayed on the fast paths, not listed.
      const start = Math.min(from, to);
      if (start > 0) applyEvents(backend, new ChunkCache(t), 0, start, false);
      for (const ev of t.events(start, to)) {
        if (ev.i >= from) io.out(values.json ? toJson(eventToJson(stripIndex(ev), ev.i, at())) : `${String(ev.i).padStart(7)}  ${describeEvent(stripIndex(ev), at())}`);
        backend.execute(stripIndex(ev));
      }
      return damaged ? 2 : 0;
    } finally {
      t.close();
    }
  },
};

function stripIndex(ev: IndexedEvent): TraceEvent {
  const { i: _i, ...rest } = ev;
  return rest as TraceEvent;
}
