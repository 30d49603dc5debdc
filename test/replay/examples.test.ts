import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseScenario } from '../../recorder/scenario.js';
import { recordToFile } from '../../recorder/trace-file.js';
import { replay } from '../../replay/engine.js';
import { TraceReader } from '../../traces/reader.js';
import { tempDir } from '../tmp.js';

const ROOT = 'traces/examples';
const dir = tempDir();
const examples = readdirSync(ROOT, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);

test('there are at least three bundled examples', () => {
  expect(examples.length).toBeGreaterThanOrEqual(3);
});

describe.each(examples)('example %s', (name) => {
  const scenario = join(ROOT, name, 'scenario.json');
  const committed = join(ROOT, name, `${name}.devrr`);

  test('its README exists', () => {
    expect(readFileSync(join(ROOT, name, 'README.md'), 'utf8')).toMatch(/^# /);
  });

  test('the committed trace replays with no divergence', () => {
    const t = TraceReader.open(committed);
    const r = replay(t);
    expect(r.divergence).toBeNull();
    expect(r.events).toBe(t.eventCount);
    expect(t.complete).toBe(true);
    t.close();
  });

  test('recording the scenario again gives the committed trace byte for byte (else: npm run examples)', () => {
    const out = join(dir, `${name}.devrr`);
    const r = recordToFile(parseScenario(readFileSync(scenario, 'utf8'), scenario), out);
    expect(r.misses).toEqual([]);
    expect(Buffer.compare(readFileSync(out), readFileSync(committed))).toBe(0);
  });
});
