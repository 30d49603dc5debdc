/**
 * Key-to-frame latency of the TUI on a trace: the real App and session,
 * rendered by Ink into an in-memory terminal; each measurement runs from
 * writing a key to the terminal's input until Ink has written the frame
 * that shows its result (position and all). Ink renders every commit here
 * (no frame-rate cap), so the figures are the work a key costs: the
 * timeline step or seek, decoding what is on screen, React and Ink.
 * After loading, a few points are visited uncounted while the JIT warms up;
 * the very first goto is reported on its own.
 */
import { render } from 'ink';
import { EventEmitter } from 'node:events';
import App from './components/App.js';
import { whereText } from './format.js';
import { InlineRunner } from './jobs/runner.js';
import { DebugSession } from './session.js';

export interface KeyBenchOptions {
  /** Terminal size (default 120x40). */
  readonly columns?: number;
  readonly rows?: number;
  /** Random points visited with `g` (default 30). */
  readonly points?: number;
  /** Steps forward and back at each point (default 10). */
  readonly stepsPerPoint?: number;
  /** PRNG seed for the points (default 7). */
  readonly seed?: number;
  /** Points visited first and not counted, while the JIT compiles the paths (default 3; the first goto is reported apart). */
  readonly warmup?: number;
}

export interface KeyBenchResult {
  readonly tui_events: number;
  /** Building the timeline (every checkpoint) when the TUI opens. */
  readonly tui_load_ms: number;
  readonly step_key_ms_median: number;
  readonly step_key_ms_worst: number;
  readonly step_back_key_ms_median: number;
  readonly step_back_key_ms_worst: number;
  readonly goto_key_ms_median: number;
  readonly goto_key_ms_worst: number;
  /** The very first goto after opening, before the JIT has warmed up. */
  readonly first_goto_key_ms: number;
}

/** An in-memory terminal output: Ink writes frames here. */
class FakeStdout extends EventEmitter {
  frames = 0;
  last = '';
  private waiter: { text: string; resolve: () => void } | null = null;
  constructor(readonly columns: number, readonly rows: number) {
    super();
  }
  write = (frame: string): boolean => {
    this.frames++;
    this.last = frame;
    if (this.waiter && frame.includes(this.waiter.text)) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve();
    }
    return true;
  };
  /** Resolves when a frame containing `text` is written. */
  next(text: string): Promise<void> {
    return new Promise((resolve) => (this.waiter = { text, resolve }));
  }
}

/** An in-memory terminal input: what Ink reads keys from. */
class FakeStdin extends EventEmitter {
  isTTY = true;
  private data: string | null = null;
  write(data: string): void {
    this.data = data;
    this.emit('readable');
  }
  read = (): string | null => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const worst = (xs: number[]) => Math.max(0, ...xs);
const ms = (x: number) => +x.toFixed(2);

/** Measures step, step back and goto key latency on the trace at `tracePath`. */
export async function benchKeys(tracePath: string, opts: KeyBenchOptions = {}): Promise<KeyBenchResult> {
  const stdout = new FakeStdout(opts.columns ?? 120, opts.rows ?? 40);
  const stdin = new FakeStdin();
  const session = new DebugSession(tracePath, { runner: new InlineRunner(), check: false });
  const n = session.length;
  const app = render(<App session={session} />, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    stderr: new FakeStdout(80, 24) as unknown as NodeJS.WriteStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  try {
    const t0 = performance.now();
    await new Promise<void>((r) => setImmediate(r));
    await session.idle();
    const loadMs = performance.now() - t0;
    // One key, timed until the frame showing position `pos` is out.
    const press = async (key: string, pos: number): Promise<number> => {
      const shown = stdout.next(whereText(pos, n));
      const start = performance.now();
      stdin.write(key);
      await shown;
      return performance.now() - start;
    };
    const step: number[] = [];
    const back: number[] = [];
    const go: number[] = [];
    const rnd = prng(opts.seed ?? 7);
    const points = opts.points ?? 30;
    const steps = opts.stepsPerPoint ?? 10;
    const warmup = opts.warmup ?? 3;
    let pos = session.position;
    let first = -1;
    for (let k = 0; k < warmup + points; k++) {
      const counted = k >= warmup;
      const event = Math.floor(rnd() * Math.max(1, n - steps - 1));
      // Typing the number draws the prompt; the measured key is Enter.
      for (const c of `g${event}`) {
        stdin.write(c);
        await new Promise<void>((r) => setImmediate(r));
      }
      pos = event + 1;
      const g = await press('\r', pos);
      if (first < 0) first = g;
      if (counted) go.push(g);
      for (let s = 0; s < steps && pos < n; s++) {
        const t = await press('n', ++pos);
        if (counted) step.push(t);
      }
      for (let s = 0; s < steps && pos > 1; s++) {
        const t = await press('p', --pos);
        if (counted) back.push(t);
      }
    }
    return {
      tui_events: n,
      tui_load_ms: ms(loadMs),
      step_key_ms_median: ms(median(step)),
      step_key_ms_worst: ms(worst(step)),
      step_back_key_ms_median: ms(median(back)),
      step_back_key_ms_worst: ms(worst(back)),
      goto_key_ms_median: ms(median(go)),
      goto_key_ms_worst: ms(worst(go)),
      first_goto_key_ms: ms(first),
    };
  } finally {
    app.unmount();
    session.close();
  }
}
