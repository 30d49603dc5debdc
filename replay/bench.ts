/**
 * The benchmark suite behind `devrr bench`: every speed figure is measured
 * beside its baseline in the same run, on the same events, on this machine.
 *
 * Workload: a 4-vcpu GICv2 guest taking interrupts: a device raises an SPI
 * (KVM_IRQ_LINE), the target vcpu acknowledges it (GICC_IAR) and ends it
 * (GICC_EOIR), vcpus exchange SGIs (GICD_SGIR), and the guest driver pokes
 * distributor registers (enables, priorities) in between: the MMIO/IRQ mix
 * that dominates real traces.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { digestState } from '../devices/core/state.js';
import { packageFile } from '../package-root.js';
import { type BackendFactory, sameResult, type StateCapability } from '../recorder/backend.js';
import { MODELS } from '../recorder/execute.js';
import { traceHeader } from '../recorder/trace-file.js';
import type { TraceEvent } from '../traces/events.js';
import { eventFromJsonLine, eventToJsonLine } from '../traces/jsonl.js';
import { TraceReader } from '../traces/reader.js';
import { TraceWriter } from '../traces/writer.js';
import { bisectTrace } from './bisect.js';
import { replay } from './engine.js';
import { Timeline } from './timeline.js';

const DIST = 0x8000000;
const CPU = 0x8010000;
const VCPUS = 4;
const spi = (n: number) => (1 << 24) | n;

/** The set-up prefix: VM, vcpus, a VGIC v2 with its frames, enables and priorities. */
function* setup(): Generator<TraceEvent> {
  yield { kind: 'create_vm', vm: 0, arch: 'arm64', ipaBits: 40 };
  for (let id = 0; id < VCPUS; id++) yield { kind: 'create_vcpu', vm: 0, id, errno: 0 };
  yield { kind: 'create_device', vm: 0, type: 5, flags: 0, errno: 0, handle: -1 };
  const dev = { kind: 'device', handle: 0 } as const;
  yield { kind: 'set_attr', vm: 0, target: dev, group: 3, attr: 0n, value: 128n, errno: 0 };
  yield { kind: 'set_attr', vm: 0, target: dev, group: 0, attr: 0n, value: BigInt(DIST), errno: 0 };
  yield { kind: 'set_attr', vm: 0, target: dev, group: 0, attr: 1n, value: BigInt(CPU), errno: 0 };
  yield { kind: 'set_attr', vm: 0, target: dev, group: 4, attr: 0n, errno: 0 };
  const w = (vcpu: number, addr: number, value: number): TraceEvent => ({ kind: 'mmio', vm: 0, vcpu, write: true, addr, len: 4, value: BigInt(value >>> 0), exit: false, errno: 0 });
  yield w(0, DIST, 1); // GICD_CTLR.Enable
  yield w(0, DIST + 0x104, 0xffffffff); // enable SPIs 32-63
  yield w(0, DIST + 0x108, 0xffffffff); // enable SPIs 64-95
  for (let n = 32; n < 96; n += 4) yield w(0, DIST + 0x800 + n, 0x08040201); // spread targets over the 4 vcpus
  for (let v = 0; v < VCPUS; v++) {
    yield w(v, CPU + 0x4, 0xf0); // GICC_PMR
    yield w(v, CPU, 1); // GICC_CTLR.EnableGrp0
  }
}

/** One round of guest activity: about 12 events. */
function* round(k: number): Generator<TraceEvent> {
  const n = 32 + (k % 64);
  const target = (n - 32) % VCPUS; // ITARGETSR byte i targets vcpu i
  const r = (vcpu: number, addr: number): TraceEvent => ({ kind: 'mmio', vm: 0, vcpu, write: false, addr, len: 4, value: 0n, exit: false, errno: 0 });
  const w = (vcpu: number, addr: number, value: number): TraceEvent => ({ kind: 'mmio', vm: 0, vcpu, write: true, addr, len: 4, value: BigInt(value >>> 0), exit: false, errno: 0 });
  yield { kind: 'irq_line', vm: 0, irq: spi(n), level: 1, errno: 0 };
  yield r(target, CPU + 0xc); // GICC_IAR
  yield w(target, CPU + 0x10, n); // GICC_EOIR
  yield { kind: 'irq_line', vm: 0, irq: spi(n), level: 0, errno: 0 };
  const from = k % VCPUS;
  const to = (from + 1) % VCPUS;
  yield w(from, DIST + 0xf00, ((1 << to) << 16) | (k & 15)); // GICD_SGIR
  yield r(to, CPU + 0xc);
  yield w(to, CPU + 0x10, (k & 15) | (from << 10));
  yield r(from, DIST + 0x104); // GICD_ISENABLER1
  yield w(from, DIST + 0x400 + (n & ~3), 0xa0a0a0a0); // GICD_IPRIORITYR
  yield r(from, CPU + 0x14); // GICC_RPR
  yield r(to, DIST + 0x4); // GICD_TYPER
  yield r(from, CPU + 0x18); // GICC_HPPIR
}

/** Exactly `total` workload events (set-up first, then rounds). */
export function* workload(total: number): Generator<TraceEvent> {
  let n = 0;
  for (const ev of setup()) {
    if (n++ >= total) return;
    yield ev;
  }
  for (let k = 0; ; k++) for (const ev of round(k)) {
    if (n++ >= total) return;
    yield ev;
  }
}

export interface BenchResult {
  events: number;
  record_events_per_s: number;
  replay_events_per_s: number;
  decode_events_per_s: number;
  jsonl_replay_events_per_s: number;
  replay_speedup_vs_jsonl: number;
  bytes_per_event: number;
  jsonl_bytes_per_event: number;
  /**
   * Peak resident memory of the whole run as the OS counts it (what /usr/bin/time reports):
   * the process's lifetime peak, read after everything ran (record, replay, time travel, the
   * TUI's key latency, the JSON-lines baseline). See peakRssMb.
   */
  peak_rss_mb: number;
  diverged: number;
  timeline_events: number;
  /** The first pass over the trace, which also builds the timeline's checkpoints. */
  timeline_first_pass_ms: number;
  seek_ms_median: number;
  seek_ms_worst: number;
  bisect_ms: number;
  bisect_probes: number;
  /** 1 when bisect named exactly the planted divergent event. */
  bisect_found_planted: number;
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

/**
 * The process's peak resident set size so far, in MiB (rounded up), as the OS
 * counts it: the larger of getrusage(RUSAGE_SELF).ru_maxrss
 * (process.resourceUsage().maxRSS, KiB) and, on Linux, VmHWM in
 * /proc/self/status (kB). Both are lifetime peaks of the whole process, so
 * worker threads (the TUI's jobs) are in them. The bench starts no child
 * process; one that did would have to add the children's own peaks
 * (getrusage(RUSAGE_CHILDREN) is not exposed by Node).
 */
export function peakRssMb(): number {
  let kib = process.resourceUsage().maxRSS;
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) kib = Math.max(kib, Number(m[1]));
  } catch {
    // not Linux: ru_maxrss alone
  }
  return Math.ceil(kib / 1024);
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

/** Time travel on a long trace: first pass, random seeks, bisect to a planted divergence. */
function benchTimeTravel(dir: string, events: number, log: (line: string) => void) {
  const path = join(dir, 'timeline.devrr');
  log(`writing a ${events}-event trace with a planted divergence...`);
  const planted = writeWorkloadTrace(path, events, { checkpointEvery: 1 << 16, plantAt: Math.floor(events * 0.73) });
  const reader = TraceReader.open(path);
  try {
    log('timeline: first pass...');
    const tl = new Timeline(reader);
    let t0 = performance.now();
    tl.seek(events);
    const firstPass = performance.now() - t0;
    log('timeline: random seeks...');
    const rnd = prng(7);
    const seeks: number[] = [];
    for (let k = 0; k < 200; k++) {
      const p = Math.floor(rnd() * (events + 1));
      t0 = performance.now();
      tl.seek(p);
      seeks.push(performance.now() - t0);
    }
    log('bisect...');
    t0 = performance.now();
    const b = bisectTrace(reader);
    const bisectMs = performance.now() - t0;
    return {
      timeline_events: events,
      timeline_first_pass_ms: ms(firstPass),
      seek_ms_median: ms(median(seeks)),
      seek_ms_worst: ms(Math.max(...seeks)),
      bisect_ms: ms(bisectMs),
      bisect_probes: b.probes,
      bisect_found_planted: b.first_divergence?.event === planted ? 1 : 0,
    };
  } finally {
    reader.close();
  }
}

/**
 * Runs the suite: record/replay/decode on `events` events beside the
 * JSON-lines baseline, and time travel on `timelineEvents` events.
 * `log` gets progress lines.
 */
export async function runBench(
  events: number,
  log: (line: string) => void = () => {},
  timelineEvents = 10_000_000,
  /** More figures measured on the time-travel trace (the CLI adds the TUI's key latency). */
  onTimelineTrace?: (path: string) => Promise<Record<string, number>>,
): Promise<BenchResult & Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'devrr-bench-'));
  try {
    const trace = join(dir, 'bench.devrr');
    const jsonl = join(dir, 'bench.jsonl');

    // Record: execute each event against the models and write it to the trace.
    log(`recording ${events} events...`);
    let t0 = performance.now();
    const session = MODELS.create();
    const state = stateOf(session.state);
    const w = TraceWriter.create(trace, traceHeader({ arch: 'arm64', ipaBits: 40 }, 1 << 20));
    let i = 0;
    for (const req of workload(events)) {
      if (i > 0 && i % (1 << 20) === 0) {
        const st = state.snapshot();
        w.checkpoint(i, st, digestState(st));
      }
      w.append(session.execute(req));
      i++;
    }
    w.close();
    const recordMs = performance.now() - t0;

    // The baseline's input: the same recorded events as JSON lines (not timed).
    log('writing the JSON-lines baseline...');
    const reader = TraceReader.open(trace);
    const fd = openSync(jsonl, 'w');
    let buf: string[] = [];
    for (const ev of reader.events()) {
      const { i: _i, ...plain } = ev;
      buf.push(eventToJsonLine(plain as TraceEvent));
      if (buf.length >= 65536) {
        writeSync(fd, buf.join('\n') + '\n');
        buf = [];
      }
    }
    if (buf.length) writeSync(fd, buf.join('\n') + '\n');
    closeSync(fd);

    // Both sides get the same untimed warm-up (the JIT's first pass) before they are timed.
    const warm = Math.min(events, 500_000);
    log('replaying the trace...');
    replay(reader, { to: warm });
    t0 = performance.now();
    const rep = replay(reader);
    const replayMs = performance.now() - t0;

    log('decoding only...');
    t0 = performance.now();
    let touched = 0;
    for (let k = 0; k < reader.chunks.length; k++) {
      const c = reader.readChunk(k);
      let acc = 0;
      for (let j = 0; j < c.count; j++) acc += c.index[j]!;
      for (let j = 0; j < c.values.length; j++) acc ^= c.values[j]!;
      touched += c.count + (acc & 0);
    }
    const decodeMs = performance.now() - t0;
    reader.close();

    const travel = benchTimeTravel(dir, timelineEvents, log);
    const extra = onTimelineTrace ? await onTimelineTrace(join(dir, 'timeline.devrr')) : {};

    log('replaying the JSON-lines baseline...');
    const warmSession = MODELS.create();
    let warmed = 0;
    for (const line of readLines(jsonl)) {
      const ev = eventFromJsonLine(line);
      sameResult(ev, warmSession.execute(ev));
      if (++warmed >= warm) break;
    }
    t0 = performance.now();
    const base = MODELS.create();
    let diverged = rep.divergence ? 1 : 0;
    let n = 0;
    for (const line of readLines(jsonl)) {
      const ev = eventFromJsonLine(line);
      if (!sameResult(ev, base.execute(ev))) diverged++;
      n++;
    }
    const jsonlMs = performance.now() - t0;

    const bytes = statSync(trace).size;
    // Last, so that the peak covers every phase of the run (the TUI and the baseline included).
    const peakRss = peakRssMb();
    return {
      events,
      record_events_per_s: rate(events, recordMs),
      replay_events_per_s: rate(rep.events, replayMs),
      decode_events_per_s: rate(touched, decodeMs),
      jsonl_replay_events_per_s: rate(n, jsonlMs),
      replay_speedup_vs_jsonl: +(jsonlMs / replayMs).toFixed(2),
      bytes_per_event: +(bytes / events).toFixed(2),
      jsonl_bytes_per_event: +(statSync(jsonl).size / events).toFixed(2),
      peak_rss_mb: peakRss,
      diverged,
      ...travel,
      ...extra,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A trace of the bench workload, without a scenario (tests, benchmarks).
 * `checkpointEvery` writes state checkpoints; `plantAt` records event
 * `plantAt` (a GICC_IAR read or the next one after it) with a wrong result,
 * as if the models had changed since the recording: a divergence to find.
 * Returns the index of the planted event, or -1.
 */
export function writeWorkloadTrace(path: string, events: number, opts: { checkpointEvery?: number; plantAt?: number; backends?: BackendFactory } = {}): number {
  const every = opts.checkpointEvery ?? 0;
  const session = (opts.backends ?? MODELS).create();
  const state = every > 0 ? stateOf(session.state) : undefined;
  const w = TraceWriter.create(path, traceHeader({ arch: 'arm64', ipaBits: 40 }, every));
  let i = 0;
  let planted = -1;
  for (const req of workload(events)) {
    if (state && i > 0 && i % every === 0) {
      const st = state.snapshot();
      w.checkpoint(i, st, digestState(st));
    }
    let ev = session.execute(req);
    if (opts.plantAt !== undefined && planted < 0 && i >= opts.plantAt && ev.kind === 'mmio' && !ev.write && ev.addr === CPU + 0xc) {
      ev = { ...ev, value: ev.value ^ 0x3n };
      planted = i;
    }
    w.append(ev);
    i++;
  }
  if (state) {
    const st = state.snapshot();
    w.checkpoint(i, st, digestState(st));
  }
  w.close();
  return planted;
}

/** The state capability the bench's checkpoints need. */
function stateOf(st: StateCapability | undefined): StateCapability {
  if (!st) throw new Error('devrr bug: the bench writes checkpoints, which need a backend with the state capability');
  return st;
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
