/**
 * The benchmark suite behind `devrr bench`: every speed figure is measured
 * beside its baseline in the same run, on the same events, on this machine.
 * The workloads are deterministic (bench-workloads.ts); progress goes to the
 * `log` callback (the CLI prints it on stderr), one line per phase.
 *
 * Phases: record a GICv2 MMIO/IRQ workload; replay it (every result
 * checked) and decode it; the baselines on the same events (per-event
 * msgpack, JSON lines: written, then read and replayed); the GICv3 mix and a
 * VMM's attribute save/restore loop, recorded and replayed; time travel on
 * a long trace (first pass, seeks, steps back, bisect to a planted
 * divergence, a text search over all of it); then what the CLI adds through
 * hooks (the TUI's key latency, the corpus on 1 and 2 threads, start-up);
 * and the peak memory of the whole run.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Packr } from 'msgpackr/pack';
import { digestState } from '../devices/core/state.js';
import { packageFile } from '../package-root.js';
import { type BackendFactory, sameResult, type StateCapability } from '../recorder/backend.js';
import { MODELS } from '../recorder/execute.js';
import type { TraceEvent } from '../traces/events.js';
import { eventFromJsonLine, eventToJsonLine } from '../traces/jsonl.js';
import { TraceReader } from '../traces/reader.js';
import { workload, type WorkloadName, writeWorkloadTrace } from './bench-workloads.js';
import { bisectTrace } from './bisect.js';
import { replay } from './engine.js';
import { searchEvents } from './search.js';
import { Timeline } from './timeline.js';

export { workload, writeWorkloadTrace } from './bench-workloads.js';

/** How big each phase is. */
export interface BenchSizes {
  /** The GICv2 record/replay/decode workload; the baselines replay its first `baselineEvents` (rates compare the same events). */
  readonly events: number;
  readonly baselineEvents: number;
  /** The GICv3 and attribute save/restore workloads, each. */
  readonly workloadEvents: number;
  /** The time-travel trace (seeks, step back, bisect, search). */
  readonly timelineEvents: number;
  /** Traces in the corpus, and events in each. */
  readonly corpusTraces: number;
  readonly corpusEvents: number;
}

/** The default run: under a minute on a quiet 2-core machine. */
export const FULL: BenchSizes = { events: 2_000_000, baselineEvents: 500_000, workloadEvents: 200_000, timelineEvents: 10_000_000, corpusTraces: 1000, corpusEvents: 1000 };
/** `--quick`: a few seconds, for CI. */
export const QUICK: BenchSizes = { events: 200_000, baselineEvents: 100_000, workloadEvents: 50_000, timelineEvents: 1_000_000, corpusTraces: 100, corpusEvents: 1000 };

/** Figures the CLI adds from the layers above replay/ (each hook gets what it measures on). */
export interface BenchHooks {
  /** The TUI's key-to-frame latency on the time-travel trace. */
  readonly timeline?: (path: string) => Promise<Record<string, number>>;
  /** The corpus on 1 and on 2 threads (`corpus_speedup_2_cores`, ...), on these trace files. */
  readonly corpus?: (files: readonly string[]) => Promise<Record<string, number>>;
  /** `startup_ms`: how long the CLI takes to start (child processes: report their peak with noteChildPeak). */
  readonly startup?: () => Promise<Record<string, number>>;
}

export interface BenchResult {
  events: number;
  record_events_per_s: number;
  replay_events_per_s: number;
  decode_events_per_s: number;
  /** replay_events_per_s / decode_events_per_s on the same file: how close replay comes to reading. */
  replay_vs_decode_ratio: number;
  bytes_per_event: number;
  /** Baseline: one msgpack value per event, read back and replayed. */
  msgpack_replay_events_per_s: number;
  msgpack_bytes_per_event: number;
  /** Baseline: JSON lines, read back and replayed. */
  jsonl_replay_events_per_s: number;
  jsonl_bytes_per_event: number;
  replay_speedup_vs_jsonl: number;
  replay_speedup_vs_msgpack: number;
  gicv3_record_events_per_s: number;
  gicv3_replay_events_per_s: number;
  attrs_record_events_per_s: number;
  attrs_replay_events_per_s: number;
  /**
   * Peak resident memory of the whole run as the OS counts it (what
   * /usr/bin/time reports): this process's lifetime peak (worker threads
   * included) or a child process's, whichever is larger. See peakRssMb.
   */
  peak_rss_mb: number;
  /** Results that replayed differently from the recording, over every replay here (0). */
  diverged: number;
  timeline_events: number;
  /** The first pass over the trace, which also builds the timeline's checkpoints. */
  timeline_first_pass_ms: number;
  seek_ms_median: number;
  seek_ms_worst: number;
  step_back_ms_median: number;
  step_back_ms_worst: number;
  bisect_ms: number;
  bisect_s: number;
  bisect_probes: number;
  /** 1 when bisect named exactly the planted divergent event. */
  bisect_found_planted: number;
  /** A text search through the whole time-travel trace (nothing matches), scaled to 10M events when the trace is shorter. */
  search_10m_s: number;
  /** The same search's CPU time (this process, all threads): what it costs on a machine others are using too. */
  search_10m_cpu_s: number;
  search_events_per_s: number;
}

/** The lines of a text file, read in 16 MiB blocks (bounded memory). */
function* readLines(path: string): Generator<string> {
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(16 << 20);
  let rest = '';
  try {
    for (;;) {
      const got = readSync(fd, buf, 0, buf.length, null);
      if (got === 0) break;
      const text = rest + buf.toString('utf8', 0, got);
      const lines = text.split('\n');
      rest = lines.pop()!;
      yield* lines;
    }
    if (rest) yield rest;
  } finally {
    closeSync(fd);
  }
}

/** The per-event msgpack baseline's codec: plain maps, bigints as 64-bit integers. */
const baselinePackr = new Packr({ useRecords: false, int64AsType: 'bigint', variableMapSize: true });

/** The records of a length-prefixed msgpack file (u32 LE length, then the value), read in 16 MiB blocks. */
function* readMsgpack(path: string): Generator<TraceEvent> {
  const fd = openSync(path, 'r');
  let buf = Buffer.alloc(16 << 20);
  let have = 0;
  try {
    for (;;) {
      const got = readSync(fd, buf, have, buf.length - have, null);
      have += got;
      let at = 0;
      while (at + 4 <= have) {
        const n = buf.readUInt32LE(at);
        if (at + 4 + n > have) break;
        yield baselinePackr.unpack(buf.subarray(at + 4, at + 4 + n)) as TraceEvent;
        at += 4 + n;
      }
      buf.copy(buf, 0, at, have);
      have -= at;
      if (got === 0) break;
      if (have === buf.length) buf = Buffer.concat([buf, Buffer.alloc(buf.length)]);
    }
  } finally {
    closeSync(fd);
  }
}

/** The largest peak RSS of a child process this run started, in KiB (noteChildPeak). */
let childPeakKib = 0;

/**
 * Records a child process's peak RSS (KiB), for peak_rss_mb: a phase that
 * starts processes (startup_ms) reports each one's, from its own
 * process.resourceUsage().maxRSS or /proc/PID/status VmHWM. Node gives no
 * getrusage(RUSAGE_CHILDREN).
 */
export function noteChildPeak(kib: number): void {
  childPeakKib = Math.max(childPeakKib, kib);
}

/**
 * The run's peak resident set size so far, in MiB (rounded up), as the OS
 * counts it: the largest of getrusage(RUSAGE_SELF).ru_maxrss
 * (process.resourceUsage().maxRSS, KiB), on Linux VmHWM in /proc/self/status
 * (kB), and the children's peaks (noteChildPeak). The first two are lifetime
 * peaks of the whole process, worker threads included; /usr/bin/time reports
 * the largest of a process tree's ru_maxrss the same way.
 */
export function peakRssMb(): number {
  let kib = process.resourceUsage().maxRSS;
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) kib = Math.max(kib, Number(m[1]));
  } catch {
    // not Linux: ru_maxrss alone
  }
  return Math.ceil(Math.max(kib, childPeakKib) / 1024);
}

function rate(n: number, ms: number): number {
  return Math.round(n / (ms / 1000));
}

/** A small deterministic PRNG (mulberry32): the same seek positions on every run. */
export function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const ms = (x: number) => +x.toFixed(2);

/** Times `f` in ms. */
function time(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

/** Record and replay one workload: its rates. */
function recordAndReplay(path: string, events: number, name: WorkloadName): { record: number; replay: number; diverged: number } {
  const recordMs = time(() => writeWorkloadTrace(path, events, { checkpointEvery: 1 << 16, workload: name }));
  const reader = TraceReader.open(path);
  try {
    replay(reader, { to: Math.min(events, 50_000) }); // the JIT's first pass, untimed
    let rep!: ReturnType<typeof replay>;
    const replayMs = time(() => (rep = replay(reader)));
    return { record: rate(events, recordMs), replay: rate(rep.events, replayMs), diverged: rep.divergence ? 1 : 0 };
  } finally {
    reader.close();
  }
}

/** Time travel on a long trace: first pass, seeks, steps back, bisect to a planted divergence, search. */
function benchTimeTravel(path: string, events: number, log: (line: string) => void) {
  log(`writing a ${events}-event trace with a planted divergence...`);
  const planted = writeWorkloadTrace(path, events, { checkpointEvery: 1 << 16, plantAt: Math.floor(events * 0.73) });
  const reader = TraceReader.open(path);
  try {
    log('timeline: first pass...');
    const tl = new Timeline(reader);
    const firstPass = time(() => tl.seek(events));
    log('timeline: random seeks and steps back...');
    const rnd = prng(7);
    const seeks: number[] = [];
    const backs: number[] = [];
    for (let k = 0; k < 200; k++) {
      const p = 1 + Math.floor(rnd() * events);
      seeks.push(time(() => tl.seek(p)));
      backs.push(time(() => tl.seek(p - 1)));
    }
    log('bisect...');
    let b!: ReturnType<typeof bisectTrace>;
    const bisectMs = time(() => (b = bisectTrace(reader)));
    log('search: a text no event has, through the whole trace...');
    let found: unknown = null;
    const cpu0 = process.cpuUsage();
    const searchMs = time(() => (found = searchEvents(reader, 'no event says this', 0, 1)));
    const cpu = process.cpuUsage(cpu0);
    if (found) throw new Error('devrr bug: the bench search matched an event');
    return {
      timeline_events: events,
      timeline_first_pass_ms: ms(firstPass),
      seek_ms_median: ms(median(seeks)),
      seek_ms_worst: ms(Math.max(...seeks)),
      step_back_ms_median: ms(median(backs)),
      step_back_ms_worst: ms(Math.max(...backs)),
      bisect_ms: ms(bisectMs),
      bisect_s: +(bisectMs / 1000).toFixed(3),
      bisect_probes: b.probes,
      bisect_found_planted: b.first_divergence?.event === planted ? 1 : 0,
      search_10m_s: +((searchMs / 1000) * (10_000_000 / events)).toFixed(3),
      search_10m_cpu_s: +(((cpu.user + cpu.system) / 1e6) * (10_000_000 / events)).toFixed(3),
      search_events_per_s: rate(events, searchMs),
    };
  } finally {
    reader.close();
  }
}

/** Runs the suite with `sizes`; `log` gets progress lines; `hooks` add the CLI's figures. */
export async function runBench(sizes: BenchSizes, log: (line: string) => void = () => {}, hooks: BenchHooks = {}): Promise<BenchResult & Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'devrr-bench-'));
  let r: BenchResult & Record<string, number>;
  try {
    r = await phases(dir, sizes, log, hooks);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // Last, so that the peak covers every phase of the run, the clean-up included.
  r.peak_rss_mb = peakRssMb();
  return r;
}

async function phases(dir: string, sizes: BenchSizes, log: (line: string) => void, hooks: BenchHooks): Promise<BenchResult & Record<string, number>> {
  const t0 = performance.now();
  const say = (l: string) => log(`[${((performance.now() - t0) / 1000).toFixed(1)} s] ${l}`);
  const { events } = sizes;
  const trace = join(dir, 'bench.devrr');
  const jsonl = join(dir, 'bench.jsonl');
  const mpk = join(dir, 'bench.msgpack');

  // Record: execute each event against the models and write it to the trace.
  say(`recording ${events} GICv2 MMIO/IRQ events...`);
  const recordMs = time(() => writeWorkloadTrace(trace, events, { checkpointEvery: 1 << 20 }));

  // The baselines' input: the same recorded events (not timed).
  const baseN = Math.min(events, sizes.baselineEvents);
  say(`writing the baselines (JSON lines, per-event msgpack) of the first ${baseN} events...`);
  const reader = TraceReader.open(trace);
  const jfd = openSync(jsonl, 'w');
  const mfd = openSync(mpk, 'w');
  let jbuf: string[] = [];
  let mbuf: Buffer[] = [];
  const flush = () => {
    if (jbuf.length) writeSync(jfd, jbuf.join('\n') + '\n');
    if (mbuf.length) writeSync(mfd, Buffer.concat(mbuf));
    jbuf = [];
    mbuf = [];
  };
  for (const ev of reader.events()) {
    if (ev.i >= baseN) break;
    const { i: _i, ...plain } = ev;
    jbuf.push(eventToJsonLine(plain as TraceEvent));
    const packed = baselinePackr.pack(plain);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(packed.length);
    mbuf.push(len, packed);
    if (jbuf.length >= 65536) flush();
  }
  flush();
  closeSync(jfd);
  closeSync(mfd);

  // Every side gets the same untimed warm-up (the JIT's first pass) before it is timed.
  const warm = Math.min(events, 200_000);
  const baseWarm = Math.min(baseN, 50_000);
  say('replaying the trace (every result checked)...');
  replay(reader, { to: warm });
  let rep!: ReturnType<typeof replay>;
  const replayMs = time(() => (rep = replay(reader)));
  let diverged = rep.divergence ? 1 : 0;

  say('decoding only...');
  let touched = 0;
  const decodeMs = time(() => {
    for (let k = 0; k < reader.chunks.length; k++) {
      const c = reader.readChunk(k);
      let acc = 0;
      for (let j = 0; j < c.count; j++) acc += c.index[j]!;
      for (let j = 0; j < c.values.length; j++) acc ^= c.values[j]!;
      touched += c.count + (acc & 0);
    }
  });
  reader.close();

  /** Replays a baseline's events against fresh models, checking each result. */
  const baseline = (read: () => Iterable<TraceEvent>): { ms: number; n: number } => {
    const warmSession = MODELS.create();
    let w = 0;
    for (const ev of read()) {
      sameResult(ev, warmSession.execute(ev));
      if (++w >= baseWarm) break;
    }
    let n = 0;
    const t = time(() => {
      const s = MODELS.create();
      for (const ev of read()) {
        if (!sameResult(ev, s.execute(ev))) diverged++;
        n++;
      }
    });
    return { ms: t, n };
  };
  say('replaying the per-event msgpack baseline...');
  const mp = baseline(() => readMsgpack(mpk));
  say('replaying the JSON-lines baseline...');
  const jl = baseline(() => (function* () {
    for (const line of readLines(jsonl)) yield eventFromJsonLine(line);
  })());

  say(`recording and replaying ${sizes.workloadEvents} GICv3 MMIO/sysreg/IRQ events...`);
  const v3 = recordAndReplay(join(dir, 'gicv3.devrr'), sizes.workloadEvents, 'gicv3');
  say(`recording and replaying ${sizes.workloadEvents} events of attribute save/restore...`);
  const attrs = recordAndReplay(join(dir, 'attrs.devrr'), sizes.workloadEvents, 'attrs');
  diverged += v3.diverged + attrs.diverged;

  const timelinePath = join(dir, 'timeline.devrr');
  const travel = benchTimeTravel(timelinePath, sizes.timelineEvents, say);
  let extra: Record<string, number> = {};
  if (hooks.timeline) {
    say("TUI: key-to-frame latency, then each command's peak memory...");
    extra = { ...extra, ...(await hooks.timeline(timelinePath)) };
  }
  rmSync(timelinePath, { force: true });
  if (hooks.corpus) {
    say(`corpus: ${sizes.corpusTraces} traces of ${sizes.corpusEvents} events or a few hundred more...`);
    // Seven distinct traces (checkpoints as `devrr record` writes them), copied: each copy is replayed in full.
    const kinds: string[] = [];
    for (let k = 0; k < 7; k++) {
      const f = join(dir, `corpus-kind-${k}.devrr`);
      writeWorkloadTrace(f, sizes.corpusEvents + k * 100, { checkpointEvery: 4096 });
      kinds.push(f);
    }
    const files: string[] = [];
    for (let k = 0; k < sizes.corpusTraces; k++) {
      const f = join(dir, `corpus-${String(k).padStart(5, '0')}.devrr`);
      copyFileSync(kinds[k % 7]!, f);
      files.push(f);
    }
    say('corpus: replaying it on 1 thread, then on 2...');
    extra = { ...extra, ...(await hooks.corpus(files)) };
  }
  if (hooks.startup) {
    say('start-up...');
    extra = { ...extra, ...(await hooks.startup()) };
  }

  const bytes = statSync(trace).size;
  const replayRate = rate(rep.events, replayMs);
  const decodeRate = rate(touched, decodeMs);
  say('done');
  return {
    events,
    record_events_per_s: rate(events, recordMs),
    replay_events_per_s: replayRate,
    decode_events_per_s: decodeRate,
    replay_vs_decode_ratio: +(replayRate / decodeRate).toFixed(3),
    bytes_per_event: +(bytes / events).toFixed(2),
    msgpack_replay_events_per_s: rate(mp.n, mp.ms),
    msgpack_bytes_per_event: +(statSync(mpk).size / baseN).toFixed(2),
    jsonl_replay_events_per_s: rate(jl.n, jl.ms),
    jsonl_bytes_per_event: +(statSync(jsonl).size / baseN).toFixed(2),
    replay_speedup_vs_jsonl: +(replayRate / rate(jl.n, jl.ms)).toFixed(2),
    replay_speedup_vs_msgpack: +(replayRate / rate(mp.n, mp.ms)).toFixed(2),
    gicv3_record_events_per_s: v3.record,
    gicv3_replay_events_per_s: v3.replay,
    attrs_record_events_per_s: attrs.record,
    attrs_replay_events_per_s: attrs.replay,
    peak_rss_mb: 0, // runBench fills it in at the very end
    diverged,
    ...travel,
    ...extra,
  };
}

/**
 * The commands whose peak memory on a long trace has a target (issue 13:
 * 200 MB on 10M events), each spawned as a user runs it; the key prefix of
 * its figure and its arguments after the trace.
 */
const MEMORY_COMMANDS: readonly (readonly [key: string, args: readonly string[]])[] = [
  ['info', ['info']],
  ['replay', ['replay']],
  ['bisect', ['bisect']],
  ['migrate_check', ['migrate-check']],
];

/**
 * Spawns `devrr info`, `replay`, `bisect` and `migrate-check` on `trace`
 * (the time-travel trace) and gives each one's peak resident set as the OS
 * counts it, in MiB (`replay_peak_rss_mb`, ...), and its wall time
 * (`replay_cmd_s`, ...). Node gives no getrusage(RUSAGE_CHILDREN): each
 * child reports its own ru_maxrss (process.resourceUsage().maxRSS) on
 * stderr as it exits, through a one-line module preloaded with --import.
 * Exit status 1 (the planted divergence) is expected; anything else is a
 * bug of the bench.
 */
export function benchCommandMemory(trace: string, log: (line: string) => void = () => {}): Record<string, number> {
  const bin = fileURLToPath(packageFile('bin/devrr.js'));
  const MARK = 'devrr-bench-maxrss-kib=';
  const preload = `data:text/javascript,process.on('exit',()=>process.stderr.write('\\n${MARK}'+process.resourceUsage().maxRSS+'\\n'))`;
  const out: Record<string, number> = {};
  for (const [key, args] of MEMORY_COMMANDS) {
    log(`memory: devrr ${args[0]} on the time-travel trace...`);
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [`--import=${preload}`, bin, ...args, trace], { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 << 20 });
    const took = performance.now() - t0;
    const m = new RegExp(`${MARK}(\\d+)`).exec(r.stderr?.toString() ?? '');
    if ((r.status !== 0 && r.status !== 1) || !m) throw new Error(`devrr bug: devrr ${args[0]} ended with ${r.status ?? r.signal} in the memory benchmark: ${r.stderr?.toString().trim().split('\n').pop() ?? ''}`);
    const kib = Number(m[1]);
    noteChildPeak(kib);
    out[`${key}_peak_rss_mb`] = Math.ceil(kib / 1024);
    out[`${key}_cmd_s`] = +(took / 1000).toFixed(3);
  }
  return out;
}

/** The trace `startup_info_ms` runs `devrr info` on: the smallest bundled example (4 KB). */
const STARTUP_TRACE = 'traces/examples/sgi-never-arrives/sgi-never-arrives.devrr';

export interface StartupResult {
  /** Median wall time of `node bin/devrr.js --version`, Node's own start-up included. */
  startup_version_ms: number;
  /** Median wall time of `node bin/devrr.js info` on a small bundled trace. */
  startup_info_ms: number;
  /** The larger of the two. */
  startup_ms: number;
  /** 1 when bin/devrr.js ran the compiled build (dist/ as new as the sources: bin/compiled.js), 0 when it ran the sources through tsx. */
  startup_compiled: number;
}

/**
 * The command line's start-up as a user meets it: `runs` spawns each of
 * `devrr --version` and `devrr info` on a small trace, timed from spawn to
 * exit. Run it before the suite's big allocations: spawning from a process
 * with a large heap costs the parent more, and would be counted.
 */
export async function benchStartup(runs: number): Promise<StartupResult> {
  const bin = fileURLToPath(packageFile('bin/devrr.js'));
  const time = (...args: string[]) => {
    const took: number[] = [];
    for (let k = 0; k < runs; k++) {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [bin, ...args], { stdio: 'ignore' });
      took.push(performance.now() - t0);
      if (r.status !== 0) throw new Error(`devrr bug: devrr ${args[0]} ended with ${r.status ?? r.signal} in the start-up benchmark`);
    }
    return ms(median(took));
  };
  const version = time('--version');
  const info = time('info', fileURLToPath(packageFile(STARTUP_TRACE)));
  // Not compiled (bin/devrr.js runs it before choosing): imported from the package root, whichever code this is.
  const { buildIsFresh } = (await import(packageFile('bin/compiled.js').href)) as typeof import('../bin/compiled.js');
  return { startup_version_ms: version, startup_info_ms: info, startup_ms: Math.max(version, info), startup_compiled: buildIsFresh() ? 1 : 0 };
}
