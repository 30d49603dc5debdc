/**
 * Issue 9 item 14: `devrr bench`'s peak_rss_mb is the peak of the whole
 * run as the OS sees it (what /usr/bin/time reports), not a reading taken
 * part way: it reported 245 MB for a run whose real peak was 603 MB,
 * because it was read before the TUI's key latency and the JSON-lines
 * baseline ran. The bench runs in a fresh process here, so that its own
 * phases make the peak.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { peakRssMb } from '../../replay/bench.js';

const CHILD = fileURLToPath(new URL('./bench-peak-child.ts', import.meta.url));

test.runIf(existsSync('/proc/self/status'))('peak_rss_mb is at least the process\'s own VmHWM (/proc/self/status) at the end of a quick bench', () => {
  const out = execFileSync(process.execPath, ['--import', 'tsx', CHILD], { encoding: 'utf8', cwd: fileURLToPath(new URL('../..', import.meta.url)) });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { peak_rss_mb: number; vmhwm_kb: number };
  expect(r.peak_rss_mb).toBeGreaterThanOrEqual(r.vmhwm_kb / 1024);
});

test('peakRssMb is a lifetime peak: it never goes down, also after a 64 MiB buffer is freed', () => {
  const before = peakRssMb();
  let big: Buffer | null = Buffer.alloc(64 << 20, 1);
  const during = peakRssMb();
  big = null;
  void big;
  expect(during).toBeGreaterThanOrEqual(before);
  expect(peakRssMb()).toBeGreaterThanOrEqual(during);
});
