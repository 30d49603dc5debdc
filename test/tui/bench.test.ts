/** The key-latency benchmark runs the real app and reports every figure, in milliseconds. */
import { expect, test } from 'vitest';
import { benchKeys } from '../../tui/bench.js';
import { RUN_B } from './helpers.js';

test('benchKeys: step, step back and goto latencies on a trace', async () => {
  const r = await benchKeys(RUN_B, { points: 3, stepsPerPoint: 3 });
  expect(r.tui_events).toBe(264);
  for (const k of ['tui_load_ms', 'step_key_ms_median', 'step_key_ms_worst', 'step_back_key_ms_median', 'step_back_key_ms_worst', 'goto_key_ms_median', 'goto_key_ms_worst'] as const) {
    expect(Number.isFinite(r[k]), k).toBe(true);
    expect(r[k], k).toBeGreaterThan(0);
  }
  expect(r.step_key_ms_worst).toBeGreaterThanOrEqual(r.step_key_ms_median);
});
