/**
 * The fuzz harness itself: the oracle can fail, a seed taken apart and put
 * back is byte-identical, payload mutations keep valid CRCs and reach the
 * decoders behind them, and mutating never changes a seed.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TraceError } from '../../traces/errors.js';
import { TraceReader } from '../../traces/reader.js';
import { exampleTraces, EXAMPLES } from './lib/corpus.js';
import { inputOf, scratchDir } from './lib/inputs.js';
import { applyValueOps } from './lib/mutate.js';
import { CountingIo, judge } from './lib/oracle.js';
import { targetNamed, traceBytes, type TraceInput } from './lib/targets.js';
import { buildTrace, parseTrace } from './lib/trace-bytes.js';

const io = (...err: string[]) => {
  const x = new CountingIo();
  for (const l of err) x.err(l);
  return x;
};

describe('the oracle', () => {
  it('passes exit 0 and 1, and exit 2 with one line (notes aside)', () => {
    expect(judge('replay', [], 0, io(), 1).verdict).toBe('ok');
    expect(judge('replay', [], 1, io('note: t.devrr was not closed cleanly'), 1).verdict).toBe('ok');
    expect(judge('replay', [], 2, io('t.devrr: byte 16: bad CRC'), 1).verdict).toBe('rejected');
    expect(judge('replay', [], 2, io('note: t.devrr was not closed cleanly', 't.devrr: byte 99: truncated'), 1).verdict).toBe('rejected');
  });

  it('fails an internal error, an exit status outside 0/1/2, a silent or two-line exit 2, and a stack trace', () => {
    expect(judge('replay', [], 70, io('devrr: internal error (a bug in devrr, please report it): TypeError: x\n    at f (/r/replay/engine.ts:12:3)'), 1)).toMatchObject({ verdict: 'crash', reason: expect.stringMatching(/^replay: exit 70: TypeError: x @ replay\/engine\.ts:12$/) });
    expect(judge('dump', [], 3, io(), 1).verdict).toBe('crash');
    expect(judge('dump', [], 2, io(), 1).verdict).toBe('crash');
    expect(judge('dump', [], 2, io('a: byte 1: one', 'a: byte 2: two'), 1).verdict).toBe('crash');
    expect(judge('dump', [], 2, io('Error: boom\n    at x (/r/bin/main.ts:1:1)'), 1).verdict).toBe('crash');
    expect(judge('dump', [], 1, io('    at Object.run (/r/bin/commands/dump.ts:33:12)'), 1).verdict).toBe('crash');
  });
});

describe('seeds and mutations', () => {
  it('every example trace taken apart (header map, records, footer) and rebuilt is byte-identical', () => {
    for (const s of exampleTraces()) expect(buildTrace(s.parts.header, s.parts.records, { kind: 'rebuild' }).equals(s.bytes), s.name).toBe(true);
  });

  it('mutations never change the value they are given (decoded bins share memory with the seed)', () => {
    const chunk = exampleTraces()[0]!.parts.records[0]!.payload;
    const before = Buffer.from(chunk);
    const seedFile = readFileSync(join(EXAMPLES, exampleTraces()[0]!.name));
    const t = targetNamed('chunk');
    for (let k = 0; k < 40; k++) traceBytes('chunk', inputOf<TraceInput>(t, 1, k));
    const tree = { a: [1, 2, { b: new Uint8Array([1, 2, 3]) }] };
    const copy = structuredClone(tree);
    for (let n = 0; n < 30; n++) applyValueOps(tree, [{ op: 'nudge', node: n, how: n }, { op: 'grow', node: n, times: 3 }, { op: 'delete', node: n + 1 }]);
    expect(tree).toEqual(copy);
    expect(chunk.equals(before)).toBe(true);
    expect(readFileSync(join(EXAMPLES, exampleTraces()[0]!.name)).equals(seedFile)).toBe(true);
  });

  it('chunk and checkpoint mutations keep every CRC valid and reach the payload decoders: most inputs open as cleanly closed traces, and the errors found are the decoders\' (malformed), not the CRC\'s', () => {
    for (const kind of ['chunk', 'checkpoint'] as const) {
      const t = targetNamed(kind);
      const dir = scratchDir();
      let opened = 0;
      let malformed = 0;
      let crc = 0;
      const n = 60;
      for (let k = 0; k < n; k++) {
        const x = inputOf<TraceInput>(t, 3, k);
        if (x.ending !== 'rebuild') continue;
        const path = join(dir, `${k}.devrr`);
        writeFileSync(path, traceBytes(kind, x));
        try {
          const r = TraceReader.open(path);
          if (r.complete) opened++;
          if (r.damage?.code === 'malformed') malformed++;
          if (r.damage?.code === 'bad-crc') crc++;
          try {
            for (let c = 0; c < r.chunks.length; c++) r.readChunk(c);
            for (let c = 0; c < r.checkpoints.length; c++) r.readCheckpoint(c);
          } catch (e) {
            if (e instanceof TraceError && e.code === 'malformed') malformed++;
            if (e instanceof TraceError && e.code === 'bad-crc') crc++;
          } finally {
            r.close();
          }
        } catch (e) {
          if (e instanceof TraceError && e.code === 'bad-crc') crc++;
        }
      }
      rmSync(dir, { recursive: true, force: true });
      expect(opened, kind).toBeGreaterThan(n / 2);
      expect(malformed, kind).toBeGreaterThan(0);
      expect(crc, kind).toBe(0);
    }
  });
});
