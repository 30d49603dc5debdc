/**
 * Run by bench-peak.test.ts in a fresh process: a quick `devrr bench` run
 * (the suite with the TUI's key latency, as the CLI runs it), then the
 * process's own VmHWM read from /proc/self/status, both printed as JSON.
 */
import { readFileSync } from 'node:fs';
import { runBench } from '../../replay/bench.js';
import { benchKeys } from '../../tui/bench.js';

const r = await runBench({ events: 500, baselineEvents: 500, workloadEvents: 500, timelineEvents: 1000, corpusTraces: 2, corpusEvents: 100 }, () => {}, {
  timeline: async (path) => ({ ...(await benchKeys(path, { points: 1, stepsPerPoint: 1, warmup: 1 })) }),
});
const hwmKb = Number(/^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
process.stdout.write(JSON.stringify({ peak_rss_mb: r.peak_rss_mb, vmhwm_kb: hwmKb }) + '\n');
