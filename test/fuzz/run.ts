/**
 * `npm run fuzz`: the long fuzz run. For each target (lib/targets.ts) it
 * runs --runs inputs (default 100,000), in batches, each batch in a child
 * process that runs the inputs in-process (bin/main.ts's main with a
 * counting Io) and reports each one back. The parent bounds every input:
 *
 * - time: an input that has used more than --timeout-ms of CPU (default
 *   20,000; /proc/PID/stat, so that other work on the machine does not
 *   turn a slow input into a hang), or has run past --wall-ms of wall time
 *   (default 5 x --timeout-ms: an input blocked without using CPU), is a
 *   hang: the child is killed and a new one starts at the next input;
 * - memory: the child's V8 heap is capped with --max-old-space-size
 *   (--heap-mb, default 1024: V8 aborts the child past it), and the parent
 *   reads the child's resident set (/proc/PID/status VmRSS) every 100 ms
 *   and kills it past --rss-mb (default 2048), which also bounds Buffers
 *   and typed arrays outside the V8 heap. Either way the input is a
 *   memory finding.
 *
 * Input k of a target is generated from its own seed (hash of --seed, the
 * target and k), so any input can be replayed alone: --target T --only K.
 * The first time a crash is seen (by its signature: the command and the
 * error, numbers and paths blanked), the child shrinks it with fast-check
 * (at most --shrink-ms) and writes the smallest failing input and its
 * report to --out (default $TMPDIR/devrr-fuzz-findings).
 *
 * Prints, per target: inputs, command runs, ok (exit 0/1), rejected
 * (exit 2 with one line), crashes, hangs, memory, seconds; then every
 * distinct finding with its count and file.
 *
 *   npm run fuzz                                  # every target, 100k inputs each
 *   npm run fuzz -- --runs 2000 --targets chunk,checkpoint
 *   npm run fuzz -- --target footer --only 95     # replay one input, print what each command did
 */
import fc from 'fast-check';
import { type ChildProcess, fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { inputJson, inputOf, inputSeed, scratchDir } from './lib/inputs.js';
import type { RunOutcome } from './lib/oracle.js';
import { type Ctx, TARGETS, type Target, targetNamed } from './lib/targets.js';

// ---------------------------------------------------------------------------
// The child

interface Batch {
  readonly target: string;
  readonly seed: number;
  readonly from: number;
  readonly to: number;
  readonly out: string;
  readonly allCommands: boolean;
  readonly heavySpread: number;
  readonly shrinkMs: number;
  readonly known: readonly string[];
}

type ToParent =
  | { type: 'begin'; k: number }
  | { type: 'end'; k: number; outcomes: { cmd: string; code: number | null; verdict: string; reason?: string; ms: number }[]; ms: number }
  | { type: 'shrinking'; k: number }
  | { type: 'finding'; k: number; reason: string; file: string }
  | { type: 'done' };

async function child(): Promise<void> {
  const send = (m: ToParent) => new Promise<void>((r) => process.send!(m, () => r()));
  const batch = await new Promise<Batch>((r) => process.once('message', (m) => r(m as Batch)));
  const t = targetNamed(batch.target);
  const dir = scratchDir();
  const ctx: Ctx = { dir, allCommands: batch.allCommands, heavySpread: batch.heavySpread };
  const known = new Set(batch.known);
  try {
    for (let k = batch.from; k < batch.to; k++) {
      await send({ type: 'begin', k });
      const x = inputOf(t, batch.seed, k);
      const t0 = performance.now();
      let outcomes: RunOutcome[];
      try {
        outcomes = await t.run(x, ctx);
      } catch (e) {
        // A bug of the harness, not of devrr: reported like a crash so that the batch goes on.
        outcomes = [{ cmd: '(harness)', argv: [], code: null, verdict: 'crash', reason: `(harness) ${t.name}: ${(e as Error)?.message?.split('\n')[0]}`, detail: (e as Error)?.stack ?? String(e), ms: 0 }];
      }
      const ms = performance.now() - t0;
      await send({ type: 'end', k, ms, outcomes: outcomes.map((o) => ({ cmd: o.cmd, code: o.code, verdict: o.verdict, ...(o.reason && { reason: o.reason }), ms: o.ms })) });
      for (const o of outcomes) {
        if (o.verdict !== 'crash' || known.has(o.reason!)) continue;
        known.add(o.reason!);
        await send({ type: 'shrinking', k });
        const file = await shrinkAndSave(t, batch, k, x, o, ctx);
        await send({ type: 'finding', k, reason: o.reason!, file });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await send({ type: 'done' });
  process.exit(0);
}

/** Shrinks a crashing input (keeping the same crash) and writes it and its report; returns the report's path. */
async function shrinkAndSave<I>(t: Target<I>, batch: Batch, k: number, x: I, o: RunOutcome, ctx: Ctx): Promise<string> {
  let smallest = x;
  let outcome = o;
  if (batch.shrinkMs > 0) {
    const r = await fc.check(
      fc.asyncProperty(t.arb, async (y) => {
        const got = (await t.run(y, ctx)).find((z) => z.reason === o.reason);
        if (got) outcome = got;
        return !got;
      }),
      { seed: inputSeed(batch.seed, t.name, k), numRuns: 1, interruptAfterTimeLimit: batch.shrinkMs, markInterruptAsFailure: false },
    );
    if (r.failed && r.counterexample) smallest = r.counterexample[0] as I;
  }
  return saveFinding(batch.out, t, batch.seed, k, smallest, outcome.reason!, `${outcome.argv.join(' ')}\n\n${outcome.detail ?? ''}`);
}

function saveFinding<I>(out: string, t: Target<I>, seed: number, k: number, x: I, reason: string, detail: string): string {
  mkdirSync(out, { recursive: true });
  const id = createHash('sha256').update(reason).digest('hex').slice(0, 10);
  const base = join(out, `${t.name}-${id}`);
  let file = '';
  try {
    const f = t.file(x);
    file = `${base}.${f.ext}`;
    writeFileSync(file, f.bytes);
  } catch (e) {
    file = `(could not write the input: ${(e as Error).message})`;
  }
  writeFileSync(
    `${base}.txt`,
    [`target: ${t.name}`, `finding: ${reason}`, `input: --target ${t.name} --seed ${seed} --only ${k} (shrunk below)`, `file: ${file}`, '', detail, '', 'input (after shrinking):', inputJson(x)].join('\n'),
  );
  return `${base}.txt`;
}

// ---------------------------------------------------------------------------
// The parent

interface Counts {
  inputs: number;
  runs: number;
  ok: number;
  rejected: number;
  crashes: number;
  hangs: number;
  memory: number;
  ms: number;
  slowestMs: number;
  perCommand: Map<string, { runs: number; ok: number; rejected: number; crashes: number }>;
}

interface Finding {
  target: string;
  reason: string;
  count: number;
  first: number;
  file: string;
}

/**
 * CPU time the process has used, user and system, in ms (/proc/PID/stat
 * fields 14 and 15, in USER_HZ ticks: 100 a second on Linux), or -1.
 */
function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return -1;
  }
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

const SELF = fileURLToPath(import.meta.url);

/** Runs inputs [from, to) of a target in children, restarting after a hang or a memory kill. */
async function runTarget(t: Target<any>, opts: Opts, counts: Counts, findings: Map<string, Finding>, from: number, to: number): Promise<void> {
  let next = from;
  while (next < to) {
    const end = Math.min(to, next + opts.batch);
    next = await new Promise<number>((resolve) => {
      const c: ChildProcess = fork(SELF, ['--child'], {
        execArgv: ['--import', 'tsx', `--max-old-space-size=${opts.heapMb}`],
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      let stderr = '';
      c.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      let current = -1;
      let began = 0;
      let beganCpu = -1;
      let last = next - 1;
      let killed: 'hang' | 'memory' | null = null;
      let shrinkingSince = 0;
      let done = false;
      let peak = 0;
      /**
       * Whether input `current` has used more than --timeout-ms of CPU (so a
       * machine busy with other work does not make a slow input a hang), or,
       * for an input blocked without using CPU, more than --wall-ms of wall
       * time: which bound it crossed, or null.
       */
      const ranPast = (pid: number): 'cpu' | 'wall' | null => {
        const cpu = cpuMs(pid);
        if (cpu >= 0 && beganCpu >= 0 && cpu - beganCpu > opts.timeoutMs) return (hangBound = 'cpu');
        if (performance.now() - began > opts.wallMs) return (hangBound = 'wall');
        return null;
      };
      let hangBound: 'cpu' | 'wall' = 'cpu';
      const timer = setInterval(() => {
        if (!c.pid) return;
        if (shrinkingSince && performance.now() - shrinkingSince > opts.shrinkMs + opts.timeoutMs) {
          c.kill('SIGKILL'); // a shrink step that hangs: keep the unshrunk finding and go on
          return;
        }
        if (current < 0) return;
        const rss = rssMb(c.pid);
        peak = Math.max(peak, rss);
        if (rss > opts.rssMb) killed = 'memory';
        else if (ranPast(c.pid) !== null) killed = 'hang';
        if (killed) c.kill('SIGKILL');
      }, 100);
      c.on('message', (m: ToParent) => {
        if (m.type === 'done') done = true;
        else if (m.type === 'shrinking') shrinkingSince = performance.now();
        else if (m.type === 'begin') {
          shrinkingSince = 0;
          current = m.k;
          began = performance.now();
          beganCpu = c.pid ? cpuMs(c.pid) : -1;
        } else if (m.type === 'end') {
          current = -1;
          last = m.k;
          counts.inputs++;
          counts.ms += m.ms;
          counts.slowestMs = Math.max(counts.slowestMs, m.ms);
          for (const o of m.outcomes) {
            counts.runs++;
            const pc = counts.perCommand.get(o.cmd) ?? { runs: 0, ok: 0, rejected: 0, crashes: 0 };
            pc.runs++;
            if (o.verdict === 'ok') counts.ok++, pc.ok++;
            else if (o.verdict === 'rejected') counts.rejected++, pc.rejected++;
            else {
              counts.crashes++;
              pc.crashes++;
              const key = `${t.name}\u0000${o.reason}`;
              const f = findings.get(key) ?? { target: t.name, reason: o.reason!, count: 0, first: m.k, file: '' };
              f.count++;
              findings.set(key, f);
            }
            counts.perCommand.set(o.cmd, pc);
          }
        } else if (m.type === 'finding') {
          shrinkingSince = 0;
          const f = findings.get(`${t.name}\u0000${m.reason}`);
          if (f && !f.file) f.file = m.file;
        }
      });
      c.on('exit', (code, signal) => {
        clearInterval(timer);
        if (current >= 0) {
          // The child died (killed by us, or V8's heap limit) during input `current`.
          const kind = killed ?? 'memory';
          counts.inputs++;
          if (kind === 'hang') counts.hangs++;
          else counts.memory++;
          const reason =
            killed === 'hang'
              ? hangBound === 'cpu'
                ? `${t.name}: an input used more than ${opts.timeoutMs} ms of CPU (killed)`
                : `${t.name}: an input ran past ${opts.wallMs} ms of wall time (killed)`
              : killed === 'memory'
                ? `${t.name}: an input took the process past ${opts.rssMb} MB resident (killed)`
                : `${t.name}: the process died (exit ${code}, signal ${signal}): ${/FATAL ERROR[^\n]*|heap limit[^\n]*/.exec(stderr)?.[0] ?? stderr.split('\n').filter(Boolean).pop() ?? ''}`;
          const key = `${t.name}\u0000${reason}`;
          const f = findings.get(key) ?? { target: t.name, reason, count: 0, first: current, file: '' };
          f.count++;
          if (!f.file) f.file = saveFinding(opts.out, t, opts.seed, current, inputOf(t, opts.seed, current), reason, `peak resident ${peak.toFixed(0)} MB\n${stderr}`);
          findings.set(key, f);
          resolve(current + 1);
        } else {
          if (!done && last < next) throw new Error(`devrr fuzz: the child for ${t.name} stopped before its first input (exit ${code}, signal ${signal}):\n${stderr}`);
          resolve(done ? end : last + 1);
        }
      });
      c.send({ target: t.name, seed: opts.seed, from: next, to: end, out: opts.out, allCommands: opts.allCommands, heavySpread: opts.heavySpread, shrinkMs: opts.shrinkMs, known: [...findings.values()].filter((f) => f.target === t.name).map((f) => f.reason) } satisfies Batch);
    });
  }
}

interface Opts {
  runs: number;
  targets: string[];
  seed: number;
  batch: number;
  jobs: number;
  /** The first input's number (the run is inputs first .. first + runs - 1). */
  first: number;
  timeoutMs: number;
  /** Wall-time bound per input (an input blocked without using CPU). */
  wallMs: number;
  heapMb: number;
  rssMb: number;
  out: string;
  allCommands: boolean;
  heavySpread: number;
  shrinkMs: number;
  keep: boolean;
}

function table(rows: string[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join('  ')).join('\n');
}

async function parent(opts: Opts): Promise<number> {
  const findings = new Map<string, Finding>();
  const results: [string, Counts][] = [];
  const t0 = performance.now();
  console.log(`devrr fuzz: ${opts.runs} inputs per target${opts.first ? ` (inputs ${opts.first}..${opts.first + opts.runs - 1})` : ''}, seed ${opts.seed}, ${opts.jobs} job(s), ${opts.timeoutMs} ms of CPU (${opts.wallMs} ms of wall time) and ${opts.heapMb} MB heap / ${opts.rssMb} MB resident per input; findings in ${opts.out}`);
  for (const name of opts.targets) {
    const t = targetNamed(name);
    const counts: Counts = { inputs: 0, runs: 0, ok: 0, rejected: 0, crashes: 0, hangs: 0, memory: 0, ms: 0, slowestMs: 0, perCommand: new Map() };
    const started = performance.now();
    // Split the inputs between the jobs.
    const per = Math.ceil(opts.runs / opts.jobs);
    // Progress on stderr every 15 s: a target takes a quarter of an hour at 100k inputs.
    const progress = setInterval(() => {
      const secs = (performance.now() - started) / 1000;
      const eta = counts.inputs ? (secs * (opts.runs - counts.inputs)) / counts.inputs : 0;
      const found = counts.crashes + counts.hangs + counts.memory;
      process.stderr.write(`[${name}] ${counts.inputs}/${opts.runs} inputs, ${found} finding(s), ${secs.toFixed(0)} s, about ${eta.toFixed(0)} s to go\n`);
    }, 15_000);
    progress.unref();
    await Promise.all(Array.from({ length: opts.jobs }, (_, j) => runTarget(t, opts, counts, findings, opts.first + j * per, opts.first + Math.min(opts.runs, (j + 1) * per))));
    clearInterval(progress);
    const secs = (performance.now() - started) / 1000;
    results.push([name, counts]);
    console.log(
      `${name.padEnd(10)} inputs ${counts.inputs}  runs ${counts.runs}  ok ${counts.ok}  exit-2 ${counts.rejected}  crashes ${counts.crashes}  hangs ${counts.hangs}  memory ${counts.memory}  ${secs.toFixed(0)} s (slowest input ${(counts.slowestMs / 1000).toFixed(1)} s)`,
    );
    console.log(`           ${[...counts.perCommand].map(([c, p]) => `${c} ${p.runs}/${p.ok}/${p.rejected}/${p.crashes}`).join('  ')}   (command runs/ok/exit-2/crashes)`);
  }
  console.log('');
  console.log(
    table([
      ['target', 'inputs', 'command runs', 'ok (0/1)', 'exit 2', 'crashes', 'hangs', 'memory', 'input-seconds'],
      ...results.map(([n, c]) => [n, String(c.inputs), String(c.runs), String(c.ok), String(c.rejected), String(c.crashes), String(c.hangs), String(c.memory), (c.ms / 1000).toFixed(0)]),
    ]),
  );
  console.log(`total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  if (findings.size) {
    console.log(`\n${findings.size} distinct finding(s):`);
    for (const f of [...findings.values()].sort((a, b) => a.target.localeCompare(b.target) || b.count - a.count)) console.log(`  [${f.target}] ${f.count}x (first input ${f.first}) ${f.reason}\n      ${f.file}`);
  }
  return findings.size ? 1 : 0;
}

/** --only K: one input, in this process, every command's outcome printed. */
async function only(opts: Opts, name: string, k: number): Promise<number> {
  const t = targetNamed(name);
  const x = inputOf(t, opts.seed, k);
  const dir = scratchDir();
  try {
    console.log(inputJson(x));
    const outcomes = await t.run(x, { dir, allCommands: true });
    for (const o of outcomes) console.log(`${o.verdict.padEnd(8)} exit ${o.code}  ${o.argv.join(' ')}  ${o.ms.toFixed(0)} ms${o.reason ? `\n   ${o.reason}\n   ${(o.detail ?? '').split('\n').slice(0, 8).join('\n   ')}` : ''}`);
    return outcomes.some((o) => o.verdict === 'crash') ? 1 : 0;
  } finally {
    if (opts.keep) console.log(`kept the input and its seeds in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

async function cli(): Promise<number> {
  const { values } = parseArgs({
    options: {
      child: { type: 'boolean' },
      runs: { type: 'string', default: '100000' },
      targets: { type: 'string', default: TARGETS.map((t) => t.name).join(',') },
      target: { type: 'string' },
      only: { type: 'string' },
      seed: { type: 'string', default: '20250901' },
      batch: { type: 'string', default: '500' },
      jobs: { type: 'string', default: '1' },
      first: { type: 'string', default: '0' },
      'timeout-ms': { type: 'string', default: '20000' },
      'wall-ms': { type: 'string' },
      'heap-mb': { type: 'string', default: '1024' },
      'rss-mb': { type: 'string', default: '2048' },
      out: { type: 'string', default: join(tmpdir(), 'devrr-fuzz-findings') },
      'all-commands': { type: 'boolean', default: false },
      'heavy-spread': { type: 'string', default: '9' },
      'shrink-ms': { type: 'string', default: '20000' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(`npm run fuzz -- [options]   (test/fuzz/README.md)

  --runs N            inputs per target (default 100000)
  --first K           start at input K (default 0): inputs K .. K + N - 1, the same inputs as in a run from 0
  --targets A,B       targets to run (default all: ${TARGETS.map((t) => t.name).join(', ')})
  --target T --only K run input K of target T alone and print every command's outcome
  --keep              with --only: keep the input's files (the trace or scenario and its seeds) and print where
  --seed S            the run's seed (default 20250901; the quick subset in npm test uses 9)
  --jobs J            children per target at once (default 1)
  --batch B           inputs per child process (default 500: a fresh process bounds what one input can leave behind for the next)
  --timeout-ms T      CPU-time bound per input (default 20000)
  --wall-ms W         wall-time bound per input, for an input blocked without using CPU (default 5 x T)
  --heap-mb M         the children's V8 heap (--max-old-space-size, default 1024)
  --rss-mb M          resident-memory bound per child, polled every 100 ms (default 2048)
  --all-commands      migrate-check, explain and the TUI's loader on every trace input
  --heavy-spread N    else each of them on one trace input in N (default 9)
  --shrink-ms T       time to shrink each new finding (default 20000; 0: none)
  --out DIR           where findings go (default $TMPDIR/devrr-fuzz-findings)`);
    return 0;
  }
  if (values.child) {
    await child();
    return 0;
  }
  const opts: Opts = {
    runs: Number(values.runs),
    targets: (values.target ?? values.targets!).split(',').filter(Boolean),
    seed: Number(values.seed),
    batch: Number(values.batch),
    jobs: Number(values.jobs),
    first: Number(values.first),
    timeoutMs: Number(values['timeout-ms']),
    wallMs: values['wall-ms'] !== undefined ? Number(values['wall-ms']) : 5 * Number(values['timeout-ms']),
    heapMb: Number(values['heap-mb']),
    rssMb: Number(values['rss-mb']),
    out: values.out!,
    allCommands: values['all-commands']!,
    heavySpread: Number(values['heavy-spread']),
    shrinkMs: Number(values['shrink-ms']),
    keep: values.keep!,
  };
  for (const n of opts.targets) targetNamed(n);
  if (values.only !== undefined) return only(opts, opts.targets[0]!, Number(values.only));
  return parent(opts);
}

process.exitCode = await cli();
