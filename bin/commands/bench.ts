import { runBench } from '../../replay/bench.js';
import { type Command, intOption, toJson, UsageError } from '../cli.js';

export const benchCommand: Command = {
  name: 'bench',
  summary: 'the benchmark suite: record, replay and decode speed beside a baseline',
  usage: 'devrr bench [--json] [--events N]',
  help: `Records a VGIC v2 MMIO/IRQ workload of N events (default 5,000,000) to a
trace, then measures in the same run: record events/s, replay events/s,
decode-only events/s, bytes/event, and the baseline: replaying the same events
from JSON lines. Figures carry their unit in their name.

Options:
  --json        one JSON object whose keys are the figures
  --events N    workload size (default 5000000)`,
  options: { json: { type: 'boolean' }, events: { type: 'string' } },
  run({ values, positionals }, io) {
    if (positionals.length) throw new UsageError('devrr bench: takes no arguments (see devrr bench --help)');
    const n = intOption('bench', values, 'events', 5_000_000)!;
    if (n < 100) throw new UsageError('devrr bench: --events must be at least 100');
    const r = runBench(n, values.json ? () => {} : (l) => io.err(l));
    if (values.json) io.out(toJson(r));
    else for (const [k, v] of Object.entries(r)) io.out(`${k.padEnd(28)} ${v}`);
    return r.diverged ? 1 : 0;
  },
};
