/**
 * devrr bisect's text says which trace is which by file name, explains why
 * the event diverges, and names the divergent event as the writer of the
 * fields it wrote; --json keeps first_divergence.event and .fields.
 */
import { expect, test } from 'vitest';
import { devrr } from './run.js';

const E = 'traces/examples/two-runs-one-event';

test('bisect run-b --against run-a: the runs named by file, the reason in words, event 171 the writer', async () => {
  const r = await devrr('bisect', `${E}/run-b.devrr`, '--against', `${E}/run-a.devrr`);
  expect(r.code).toBe(1);
  const lines = r.out.split('\n');
  expect(lines[0]).toBe('first divergence at event 171: the two traces record different events here');
  expect(r.out).toMatch(/\n +run-b\.devrr \(this trace\): +mmio vcpu 0 write GICD_IPRIORITYR8 @0x8000420\/4 <- 0xa0a0f8a0/);
  expect(r.out).toMatch(/\n +run-a\.devrr \(--against\): +mmio vcpu 0 write GICD_IPRIORITYR8 @0x8000420\/4 <- 0xa0a0a0a0/);
  expect(r.out).toContain('device state after event 171 (run-b.devrr -> run-a.devrr):');
  expect(r.out).toContain('gic.dist.irq[33].priority: 0xf8 -> 0xa0');
  expect(r.out).toContain('gic.dist.irq[33].priority: event 171, the divergent event');
  // No run B labelled "A:", no unexplained search jargon, no older write named as the writer.
  expect(r.out).not.toMatch(/^\s+[AB]: /m);
  expect(r.out).not.toMatch(/\(input|narrowed|probe/);
  expect(r.out).not.toContain('CTRL_INIT');
});

test('bisect --json: first_divergence.event and fields, and the divergent event as the last writer', async () => {
  const r = await devrr('bisect', `${E}/run-b.devrr`, '--against', `${E}/run-a.devrr`, '--json');
  const d = JSON.parse(r.out).first_divergence;
  expect(d.event).toBe(171);
  expect(d.fields).toEqual([{ path: 'gic.dist.irq[33].priority', a: 248, b: 160 }]);
  expect(d.last_writers).toEqual([expect.objectContaining({ path: 'gic.dist.irq[33].priority', event: 171 })]);
});

test('bisect with no divergence says what agrees', async () => {
  const r = await devrr('bisect', `${E}/run-a.devrr`, '--against', `${E}/run-a.devrr`);
  expect(r.code).toBe(0);
  expect(r.out).toBe('no divergence: this trace and --against record the same events and reach the same device state after each (264 events)');
});
