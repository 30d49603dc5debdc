/**
 * `benchKeys`: key-to-frame latency of the TUI (step, step back, goto) on a
 * trace, for `devrr bench`. React is loaded here, on first use, and in its
 * production build unless NODE_ENV says otherwise: the development build
 * roughly doubles the cost of a frame, and the terminal UI runs in
 * production mode too (bin/commands/tui.ts).
 */
import type { KeyBenchOptions, KeyBenchResult } from './bench-run.js';

export type { KeyBenchOptions, KeyBenchResult };

export async function benchKeys(tracePath: string, opts: KeyBenchOptions = {}): Promise<KeyBenchResult> {
  process.env.NODE_ENV ??= 'production';
  const { benchKeys: run } = await import('./bench-run.js');
  return run(tracePath, opts);
}
