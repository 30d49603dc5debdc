/**
 * A corpus run: `devrr replay` and `devrr migrate-check` given several
 * traces or a directory. The traces are checked on `--jobs N` threads, one
 * per core by default: this one and N - 1 worker threads, each taking the
 * next trace as it finishes one (this thread works while the workers load
 * devrr's code, so no core waits for them). Results are reported in the
 * order of the list (sorted within a directory), whatever order they
 * finish in: a progress
 * line on stderr (on a terminal, or with --progress), then a table with
 * each trace's events, result and time and a summary line; or with --json
 * one line per trace and a summary line. The exit status is the worst of
 * the traces': 2 if any is unreadable, else 1 if any diverged or failed.
 */
import { availableParallelism } from 'node:os';


import { Worker } from 'node:worker_threads';
import { COMPILED, compiledWorker, packageFile } from '../package-root.js';
import { type Io, stdio, UsageError } from './cli.js';
import { checkTrace, type CorpusTask, type TraceOutcome } from './corpus-check.js';
import type { TraceList } from './corpus-list.js';

export type { CorpusTask, TraceOutcome };

/**
 * A corpus thread, started the way the TUI's job threads are (newWorker in
 * tui/jobs/runner.ts): compiled, its own .js directly; from the sources,
 * through tui/jobs/boot.mjs, which registers tsx first (boot.mjs is not
 * compiled, so the compiled build must not go through it).
 */
function newCorpusWorker(): Worker {
  if (COMPILED) return new Worker(compiledWorker('corpus-worker', './corpus-worker.js', import.meta.url));
  return new Worker(packageFile('tui/jobs/boot.mjs'), { workerData: { entry: packageFile('bin/corpus-worker.ts').href } });
}

export interface CorpusOptions {
  /** Threads, this one included (default: one per core). 1 checks every trace on this thread. */
  readonly jobs?: number;
  readonly json?: boolean;
  /** A progress line on stderr even when it is not a terminal. */
  readonly progress?: boolean;
}

/** Traces sent ahead to a worker thread, so that it never waits for this thread between two. */
const AHEAD = 4;

/**
 * Checks every trace of `files` on `jobs` threads, calling `onOutcome` as
 * each finishes (in any order: `index` is its place in `files`). The
 * threads are this one and jobs - 1 workers; each takes the next trace of
 * the list as it finishes one (the workers a few ahead), so a slow trace
 * holds up no one. Resolves with the outcomes in the order of `files`.
 */
export async function checkAll(
  task: CorpusTask,
  files: readonly string[],
  jobs: number,
  onOutcome: (index: number, o: TraceOutcome) => void = () => {},
  /** false: this thread only hands out traces, `jobs` workers check them (tests). */
  opts: { readonly here?: boolean } = {},
): Promise<TraceOutcome[]> {
  const out: TraceOutcome[] = new Array(files.length);
  let next = 0;
  /** Traces a lost worker had been sent but not started: checked again first. */
  const retry: number[] = [];
  const take = (): number | undefined => retry.shift() ?? (next < files.length ? next++ : undefined);
  let pending = files.length;
  let allDone!: () => void;
  const finished = new Promise<void>((r) => (allDone = r));
  const settle = (i: number, o: TraceOutcome) => {
    out[i] = o;
    onOutcome(i, o);
    if (--pending === 0) allDone();
  };
  if (pending === 0) return out;
  const workers = new Set<Worker>();
  // A worker that dies is replaced a few times (a thread that cannot start at all is not retried forever).
  let respawns = Math.max(4, 2 * jobs);
  const spawn = () => {
    const w = newCorpusWorker();
    workers.add(w);
    const sent: number[] = [];
    let ready = false;
    const feed = () => {
      while (ready && sent.length < AHEAD) {
        const i = take();
        if (i === undefined) break;
        sent.push(i);
        w.postMessage({ id: i, task, file: files[i] });
      }
    };
    w.on('message', (m: { type: 'ready' } | { id: number; outcome: TraceOutcome }) => {
      if ('type' in m) ready = true;
      else if (sent[0] === m.id) {
        sent.shift();
        settle(m.id, m.outcome);
      }
      feed();
    });
    let gone = false;
    const lost = (why: string) => {
      // 'error' and then 'exit': one loss.
      if (gone) return;
      gone = true;
      workers.delete(w);
      // The trace it was on is the bug's; the ones queued behind it go to the others.
      const i = sent.shift();
      retry.push(...sent.splice(0));
      if (i !== undefined) settle(i, { file: files[i]!, status: 70, events: null, result: `internal error (a bug in devrr, please report it): ${why}`, ms: 0, notes: [], thread: w.threadId, json: JSON.stringify({ file: files[i], status: 70, error: why }), error: `devrr: ${files[i]}: internal error (a bug in devrr, please report it): ${why}` });
      if (pending > 0 && respawns-- > 0) spawn();
      // No thread left to take them: this one does.
      else if (workers.size === 0) setImmediate(() => {
        for (let j = take(); j !== undefined; j = take()) settle(j, checkTrace(task, files[j]!));
      });
    };
    w.on('error', (e) => lost(`a worker thread failed: ${e.message}`));
    w.on('exit', () => lost('a worker thread stopped without a result'));
  };
  const here = opts.here ?? true;
  for (let k = here ? 1 : 0; k < Math.min(jobs, files.length); k++) spawn();
  // This thread is one of the `jobs`: it checks traces too, between which the workers' messages are handled.
  for (let i = here ? take() : undefined; i !== undefined; i = take()) {
    settle(i, checkTrace(task, files[i]!));
    await new Promise<void>((r) => setImmediate(r));
  }
  await finished;
  for (const w of workers) {
    w.removeAllListeners('exit');
    void w.terminate();
  }
  return out;
}

/** Runs the corpus and reports it; returns the exit status. */
export async function runCorpus(task: CorpusTask, list: TraceList, opts: CorpusOptions, io: Io): Promise<number> {
  const cmd = task.kind;
  const { files } = list;
  if (files.length === 0) throw new UsageError(`devrr ${cmd}: no .devrr traces found${list.skipped ? ` (${list.skipped} other entr${list.skipped === 1 ? 'y' : 'ies'} skipped)` : ''}`);
  const jobs = opts.jobs ?? availableParallelism();
  const bad = cmd === 'replay' ? 'diverged' : 'failed';
  const t0 = performance.now();
  const progress = progressLine(io, opts.progress === true);
  const counts = { ok: 0, bad: 0, unreadable: 0, errors: 0 };
  // Outcomes are written in the list's order: each as soon as all before it are in.
  const got: (TraceOutcome | undefined)[] = new Array(files.length);
  let written = 0;
  let finished = 0;
  const outcomes = await checkAll(task, files, jobs, (i, o) => {
    got[i] = o;
    finished++;
    if (o.status === 0) counts.ok++;
    else if (o.status === 1) counts.bad++;
    else if (o.status === 2) counts.unreadable++;
    else counts.errors++;
    while (written < files.length && got[written]) {
      const w = got[written++]!;
      for (const n of w.notes) progress.around(() => io.err(n));
      if (opts.json) progress.around(() => io.out(w.json));
    }
    progress.show(`${cmd}: ${finished}/${files.length} traces · ${counts.ok} ok · ${counts.bad} ${bad} · ${counts.unreadable} unreadable · ${seconds(performance.now() - t0)}`);
  });
  progress.clear();
  // Exit status 2 (or a bug) comes with one line on stderr, as for a single trace: the first
  // such trace's own message (the file and the byte offset), and how many more there are.
  const status = outcomes.reduce((s, o) => Math.max(s, o.status), 0);
  const failed = outcomes.filter((o) => o.error !== undefined && o.status === status);
  const ms = performance.now() - t0;
  const events = outcomes.reduce((n, o) => n + (o.events ?? 0), 0);
  const threads = Math.min(jobs, files.length);
  const sayFailed = () => {
    if (failed.length) io.err(`${failed[0]!.error}${failed.length > 1 ? ` (and ${failed.length - 1} more trace(s) like it: see the ${opts.json ? 'JSON lines' : 'table'})` : ''}`);
  };
  if (opts.json) {
    sayFailed();
    io.out(JSON.stringify({ summary: { traces: files.length, ok: counts.ok, [bad]: counts.bad, unreadable: counts.unreadable, errors: counts.errors, skipped: list.skipped, events, ms: +ms.toFixed(1), jobs: threads, status } }));
    return status;
  }
  // The result comes last: it is the one column of any length.
  const rows = outcomes.map((o) => [o.file, o.events === null ? '-' : String(o.events), `${o.ms < 100 ? o.ms.toFixed(1) : Math.round(o.ms)} ms`, o.result]);
  const head = ['TRACE', 'EVENTS', 'TIME', 'RESULT'];
  const w = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => `${r[0]!.padEnd(w[0]!)}  ${r[1]!.padStart(w[1]!)}  ${r[2]!.padStart(w[2]!)}  ${r[3]!}`;
  io.out(line(head));
  for (const r of rows) io.out(line(r));
  const parts = [`${counts.ok} ok`, `${counts.bad} ${bad}`, `${counts.unreadable} unreadable`, ...(counts.errors ? [`${counts.errors} internal error(s)`] : [])];
  const skipped = list.skipped ? ` (${list.skipped} non-.devrr entr${list.skipped === 1 ? 'y' : 'ies'} skipped)` : '';
  io.out(`${files.length} trace(s)${skipped}: ${parts.join(', ')}; ${events} events in ${seconds(ms)} on ${threads} thread(s)`);
  sayFailed();
  return status;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * The progress line: redrawn in place on a terminal (standard error must be
 * one, and the real one); with --progress elsewhere, a line at most once a
 * second. `around` writes something else without mixing it into the line.
 */
function progressLine(io: Io, forced: boolean): { show(text: string): void; around(write: () => void): void; clear(): void } {
  const tty = io === stdio && process.stderr.isTTY === true;
  let last = 0;
  let shown = '';
  if (tty) {
    return {
      show(text) {
        const now = performance.now();
        if (now - last < 100) return;
        last = now;
        shown = text.slice(0, Math.max(10, (process.stderr.columns ?? 80) - 1));
        process.stderr.write(`\r\x1b[K${shown}`);
      },
      around(write) {
        if (shown) process.stderr.write('\r\x1b[K');
        write();
        if (shown) process.stderr.write(shown);
      },
      clear() {
        if (shown) process.stderr.write('\r\x1b[K');
        shown = '';
      },
    };
  }
  let pending = '';
  return {
    show(text) {
      if (!forced) return;
      pending = text;
      const now = performance.now();
      if (now - last < 1000) return;
      last = now;
      io.err(text);
      pending = '';
    },
    around: (write) => write(),
    clear() {
      if (pending) io.err(pending);
      pending = '';
    },
  };
}
