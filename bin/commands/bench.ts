import { benchStartup, runBench } from '../../replay/bench.js';
import { benchKeys } from '../../tui/bench.js';
import { type Command, intOption, toJson, UsageError } from '../cli.js';

export const benchCommand: Command = {
  name: 'bench',
  usage: 'devrr bench [--json] [--events N] [--timeline-events N]',
  help: `Records a VGIC v2 MMIO/IRQ workload of N events (default 5,000,000) to a
trace, then measures in the same run: record events/s, replay events/s,
decode-only events/s, bytes/event, and the baseline: replaying the same events
from JSON lines. Then time travel on a trace of M events (default 10,000,000)
with a planted divergence: the timeline's first pass, 200 random seeks
(median and worst), bisect to the planted event, the TUI's key-to-frame
latency for step, step back and goto on that trace, and peak memory. And
the command line's start-up: the median wall time of devrr --version and of
devrr info on a small bundled trace, each spawned 11 times (3 times when N
is under 1,000,000). Figures carry their unit in their name.

Options:
  --json                one JSON object whose keys are the figures
  --events N            record/replay workload size (default 5000000)
  --timeline-events M   time-travel trace size (default 10000000)`,
  options: { json: { type: 'boolean' }, events: { type: 'string' }, 'timeline-events': { type: 'string' } },
  async run({ values, positionals }, io) {
    if (positionals.length) throw new UsageError('devrr bench: takes no arguments (see devrr bench --help)');
    const n = intOption('bench', values, 'events', 5_000_000)!;
    if (n < 100) throw new UsageError('devrr bench: --events must be at least 100');
    const m = intOption('bench', values, 'timeline-events', 10_000_000)!;
    if (m < 1000) throw new UsageError('devrr bench: --timeline-events must be at least 1000');
    const log = values.json ? () => {} : (l: string) => io.err(l);
    // First, while this process is small (see benchStartup); a tiny run spawns fewer.
    log('start-up: devrr --version and devrr info...');
    const startup = await benchStartup(n < 1_000_000 ? 3 : 11);
    const r = {
      ...(await runBench(n, log, m, async (path) => {
        log('TUI: key-to-frame latency...');
        return { ...(await benchKeys(path)) };
      })),
      ...startup,
    };
    if (values.json) io.out(toJson(r));
    else for (const [k, v] of Object.entries(r)) io.out(`${k.padEnd(28)} ${v}`);
    return r.diverged || !r.bisect_found_planted ? 1 : 0;
  },
};
