/**
 * A replay that diverges prints the recorded and replayed results with a
 * word diff between them (README: "A replay that diverges..."); the diff is
 * loaded only when such a report is printed (replay/report.ts).
 */
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { writeWorkloadTrace } from '../../replay/bench.js';
import { tempDir } from '../tmp.js';
import { devrr } from './run.js';

test('devrr replay on a trace with a wrong recorded result: exit 1, the event, and recorded vs replayed with the differing words marked', async () => {
  const trace = join(tempDir(), 'planted.devrr');
  const at = writeWorkloadTrace(trace, 3000, { checkpointEvery: 1024, plantAt: 2000 });
  const r = await devrr('replay', trace);
  expect(r.code).toBe(1);
  expect(r.out).toContain(`DIVERGENCE at event ${at}`);
  const recorded = r.out.split('\n').find((l) => l.trimStart().startsWith('recorded:'));
  const replayed = r.out.split('\n').find((l) => l.trimStart().startsWith('replayed:'));
  expect(recorded).toBeDefined();
  expect(replayed).toBeDefined();
  expect(r.out).toMatch(/^ {2}diff: +mmio vcpu \d read {2}GICC_IAR .*-> \[-0x[0-9a-f]+-\]\{\+0x[0-9a-f]+\+\}/m);
});
