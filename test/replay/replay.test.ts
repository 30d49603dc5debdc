import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseScenario } from '../../recorder/scenario.js';
import { recordToFile } from '../../recorder/trace-file.js';
import { replay } from '../../replay/engine.js';
import { TraceReader } from '../../traces/reader.js';
import { TraceWriter } from '../../traces/writer.js';
import type { TraceEvent } from '../../traces/events.js';
import { tempDir } from '../tmp.js';

const dir = tempDir();
const EXAMPLES = ['vgic-v2-bringup', 'vgic-v2-level-spi-storm', 'vgic-v2-eoi-out-of-order'];

function record(name: string, every = 8): string {
  const file = `traces/examples/${name}/${name}.json`;
  const out = join(dir, `${name}-${every}.devrr`);
  const r = recordToFile(parseScenario(readFileSync(file, 'utf8'), file), out, every);
  expect(r.misses).toEqual([]);
  return out;
}

/** Copies a trace, passing every event through `edit`. */
function rewrite(src: string, dst: string, edit: (ev: TraceEvent, i: number) => TraceEvent): void {
  const r = TraceReader.open(src);
  const w = TraceWriter.create(dst, r.header);
  for (const ev of r.events()) {
    const { i, ...plain } = ev;
    w.append(edit(plain as TraceEvent, i));
  }
  w.close();
  r.close();
}

describe('record -> replay reproduces every example bit for bit', () => {
  for (const name of EXAMPLES) {
    test(name, () => {
      const t = TraceReader.open(record(name));
      const r = replay(t);
      expect(r.divergence).toBeNull();
      expect(r.events).toBe(t.eventCount);
      // Checkpoints every 8 events plus the final state: all digests checked and equal.
      expect(r.checkpoints).toBe(t.checkpoints.length);
      expect(r.checkpoints).toBeGreaterThan(2);
      t.close();
    });
  }
});

test('an altered read result is reported as a divergence at exactly that event', () => {
  const src = record('vgic-v2-bringup', 0);
  const t0 = TraceReader.open(src);
  // The first GICC_IAR read (0x801000c) in the trace: claim it returned 0x3ff.
  const iar = [...t0.events()].find((e) => e.kind === 'mmio' && !e.write && e.addr === 0x801000c)!;
  t0.close();
  const bad = join(dir, 'altered.devrr');
  rewrite(src, bad, (ev, i) => (i === iar.i ? { ...(ev as Extract<TraceEvent, { kind: 'mmio' }>), value: 0x3ffn } : ev));
  const t = TraceReader.open(bad);
  const r = replay(t);
  expect(r.divergence?.event).toBe(iar.i);
  expect(r.divergence?.reason).toBe('result');
  // The replayed IAR acknowledged SGI 1: the state diff shows it becoming active on vcpu 1.
  expect(r.divergence?.fields.some((f) => f.path.includes('cpus[1].priv.active'))).toBe(true);
  t.close();
});

test('an altered errno is a divergence at that event, and nothing earlier diverges', () => {
  const src = record('vgic-v2-level-spi-storm', 0);
  const bad = join(dir, 'errno.devrr');
  rewrite(src, bad, (ev, i) => (i === 5 && 'errno' in ev ? ({ ...ev, errno: 22 } as TraceEvent) : ev));
  const t = TraceReader.open(bad);
  expect(replay(t).divergence?.event).toBe(5);
  t.close();
});
