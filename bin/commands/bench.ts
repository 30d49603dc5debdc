import { availableParallelism } from 'node:os';
import { benchCommandMemory, benchStartup, FULL, QUICK, runBench } from '../../replay/bench.js';
import { benchKeys } from '../../tui/bench.js';
import { type Command, intOption, toJson, UsageError } from '../cli.js';
import { checkAll } from '../corpus.js';

export const benchCommand: Command = {
  name: 'bench',
  usage: 'devrr bench [--json] [--quick] [--events N] [--timeline-events M] [--corpus K]',
  help: `Measures, in one run on this machine, with deterministic workloads:
record, replay (every result checked) and decode-only rates and bytes/event
of a VGIC v2 MMIO/IRQ workload of N events, beside the baselines replaying
the same events (the first 500,000) from per-event msgpack and JSON lines; the GICv3
MMIO/sysreg/IRQ mix and a VMM's attribute save/restore loop; time travel on
a trace of M events with a planted divergence (the timeline's first pass,
200 random seeks and steps back, bisect, a text search through all of it,
the TUI's key-to-frame latency, and the peak memory of devrr info, replay,
bisect and migrate-check spawned on it); a corpus of K small traces replayed on 1
thread and on 2; the command line's start-up (the median wall time of devrr
--version and of devrr info on a small bundled trace, each spawned 11 times,
3 with --quick); and the run's peak memory as the OS counts it. Progress
goes to stderr; figures carry their unit in their name.

Options:
  --json                one JSON object whose keys are the figures
  --quick               small sizes, for CI (a few seconds)
  --events N            the record/replay workload (default 2000000; --quick 200000)
  --timeline-events M   the time-travel trace (default 10000000; --quick 1000000)
  --corpus K            traces in the corpus (default 1000; --quick 100)

Exit status: 0; 1 a replay diverged or bisect missed the planted event;
2 bad options.`,
  options: { json: { type: 'boolean' }, quick: { type: 'boolean' }, events: { type: 'string' }, 'timeline-events': { type: 'string' }, corpus: { type: 'string' } },
  async run({ values, positionals }, io) {
    if (positionals.length) throw new UsageError('devrr bench: takes no arguments (see devrr bench --help)');
    const base = values.quick ? QUICK : FULL;
    const events = intOption('bench', values, 'events', base.events)!;
    if (events < 100) throw new UsageError('devrr bench: --events must be at least 100');
    const timelineEvents = intOption('bench', values, 'timeline-events', base.timelineEvents)!;
    if (timelineEvents < 1000) throw new UsageError('devrr bench: --timeline-events must be at least 1000');
    const corpusTraces = intOption('bench', values, 'corpus', base.corpusTraces)!;
    if (corpusTraces < 2) throw new UsageError('devrr bench: --corpus must be at least 2');
    const sizes = { ...base, events, timelineEvents, corpusTraces, baselineEvents: Math.min(base.baselineEvents, events), workloadEvents: Math.min(base.workloadEvents, events) };
    // First, while this process is small (see benchStartup).
    io.err('start-up: devrr --version and devrr info...');
    const startup = await benchStartup(values.quick ? 3 : 11);
    const r0 = await runBench(sizes, (l) => io.err(l), {
      timeline: async (path) => ({
        ...(await benchKeys(path, values.quick ? { points: 5, stepsPerPoint: 3, warmup: 2 } : { points: 15, stepsPerPoint: 6 })),
        // Each command's peak memory on the long trace, spawned as a user runs it.
        ...benchCommandMemory(path, (l) => io.err(l)),
      }),
      corpus: async (files) => {
        // The same traces on 1 thread, then on 2 (this one and a worker, which loads the code first).
        // CPU times (the process's, all threads) say what the run cost when others share the cores.
        const c1 = process.cpuUsage();
        const t1 = performance.now();
        const one = await checkAll({ kind: 'replay' }, files, 1);
        const t2 = performance.now();
        const c2 = process.cpuUsage();
        const two = await checkAll({ kind: 'replay' }, files, 2);
        const t3 = performance.now();
        const c3 = process.cpuUsage();
        const cpu = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage) => +((b.user - a.user + b.system - a.system) / 1e6).toFixed(3);
        const bad = [...one, ...two].filter((o) => o.status !== 0).length;
        return {
          corpus_traces: files.length,
          corpus_diverged: bad,
          corpus_1_thread_s: +((t2 - t1) / 1000).toFixed(3),
          corpus_2_threads_s: +((t3 - t2) / 1000).toFixed(3),
          corpus_speedup_2_cores: +((t2 - t1) / (t3 - t2)).toFixed(2),
          corpus_1_thread_cpu_s: cpu(c1, c2),
          corpus_2_threads_cpu_s: cpu(c2, c3),
          cores: availableParallelism(),
        };
      },
    });
    const r: typeof r0 & typeof startup & Record<string, number> = { ...r0, ...startup };
    if (values.json) io.out(toJson(r));
    else for (const [k, v] of Object.entries(r)) io.out(`${k.padEnd(30)} ${v}`);
    return r.diverged || !r.bisect_found_planted || r['corpus_diverged'] ? 1 : 0;
  },
};
