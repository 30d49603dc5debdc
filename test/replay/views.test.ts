/**
 * The named views answer one field (resolveSessionPath: watchpoints, explain,
 * migrate-check) exactly as the whole built view (sessionView: diff, the TUI)
 * does: for every leaf of every example's final state.
 */
import { readdirSync } from 'node:fs';
import { expect, test } from 'vitest';
import { formatPath, type PathStep } from '../../devices/core/view.js';
import { resolveSessionPath, sessionView } from '../../devices/core/vm-view.js';
import { DEVICE_MODELS } from '../../devices/registry.js';
import { Timeline } from '../../replay/timeline.js';
import { TraceReader } from '../../traces/reader.js';

/** Every leaf (a value that is not a plain object or array) with its path. */
function leaves(v: unknown, path: PathStep[] = [], out: [PathStep[], unknown][] = []): [PathStep[], unknown][] {
  if (Array.isArray(v)) v.forEach((x, i) => leaves(x, [...path, i], out));
  else if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype)
    for (const [k, x] of Object.entries(v)) leaves(x, [...path, /^\d+$/.test(k) ? Number(k) : k], out);
  else out.push([path, v]);
  return out;
}

const traces = readdirSync('traces/examples', { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(`traces/examples/${d.name}`).filter((f) => f.endsWith('.devrr')).map((f) => `traces/examples/${d.name}/${f}`));

test.each(traces)('%s: every leaf of the built view resolves to the same value alone', (path) => {
  const r = TraceReader.open(path);
  const tl = new Timeline(r);
  tl.seek(r.eventCount);
  const vms = tl.snapshot().vms;
  const all = leaves(sessionView(vms, DEVICE_MODELS));
  expect(all.length).toBeGreaterThan(10);
  for (const [p, v] of all) expect(resolveSessionPath(vms, DEVICE_MODELS, p), formatPath(p)).toEqual(v);
  r.close();
});
