import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FORMAT_VERSION } from '../../traces/format.js';
import { describe, expect, test } from 'vitest';
import { parseScenario } from '../../recorder/scenario.js';
import { recordToFile } from '../../recorder/trace-file.js';
import { replay } from '../../replay/engine.js';
import { TraceReader } from '../../traces/reader.js';
import { tempDir } from '../tmp.js';

const ROOT = 'traces/examples';
const dir = tempDir();
const folders = readdirSync(ROOT, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
/** Every NAME.json in an example folder is a scenario whose recorded trace is NAME.devrr beside it. */
const scenarios = folders.flatMap((f) => readdirSync(join(ROOT, f)).filter((n) => n.endsWith('.json')).map((n) => join(ROOT, f, n)));

test('there are at least three bundled examples, each with a README', () => {
  expect(folders.length).toBeGreaterThanOrEqual(3);
  for (const f of folders) expect(readFileSync(join(ROOT, f, 'README.md'), 'utf8')).toMatch(/^# /);
});

describe.each(scenarios)('%s', (scenario) => {
  const committed = scenario.replace(/\.json$/, '.devrr');

  test('the committed trace replays with no divergence', () => {
    const t = TraceReader.open(committed);
    const r = replay(t);
    expect(r.divergence).toBeNull();
    expect(r.events).toBe(t.eventCount);
    expect(t.complete).toBe(true);
    t.close();
  });

  test('recording the scenario again gives the committed trace byte for byte (else: npm run examples)', () => {
    const out = join(dir, scenario.replace(/[/\\]/g, '_') + '.devrr');
    const r = recordToFile(parseScenario(readFileSync(scenario, 'utf8'), scenario), out);
    expect(r.misses).toEqual([]);
    expect(Buffer.compare(readFileSync(out), readFileSync(committed))).toBe(0);
  });
});

test('a trace of an older format (vgic-v2-bringup as the 1.1 writer recorded it) still replays, checkpoints and all, and holds the same events as its 1.2 recording', () => {
  const old = TraceReader.open('test/traces/fixtures/vgic-v2-bringup-1.1.devrr');
  expect(old.header.formatVersion).toEqual([1, 1]);
  const r = replay(old);
  expect(r.divergence).toBeNull();
  expect(r.events).toBe(old.eventCount);
  expect(r.checkpoints).toBe(old.checkpoints.length);
  const now = TraceReader.open(join(ROOT, 'vgic-v2-bringup', 'vgic-v2-bringup.devrr'));
  expect(now.header.formatVersion).toEqual(FORMAT_VERSION);
  expect([...old.events()]).toStrictEqual([...now.events()]);
  old.close();
  now.close();
});
