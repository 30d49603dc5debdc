/**
 * One wording for events and points everywhere: an event is named by its
 * index (0 to N-1, as devrr dump lists them); the device state at a point
 * is "after event N" ("at the start" before event 0). Where a command takes
 * a point (explain --at P, diff TRACE@P), its help says how P maps to events.
 */
import { expect, test } from 'vitest';
import { devrr } from './run.js';

const E = 'traces/examples';
const SGI = `${E}/sgi-never-arrives/sgi-never-arrives.devrr`;
const EOI = `${E}/vgic-v2-eoi-out-of-order/vgic-v2-eoi-out-of-order.devrr`;

test('explain at the end of a 24-event trace speaks of event 23, the last, not of an event 24', async () => {
  const r = await devrr('explain', SGI, '--irq', '3');
  expect(r.out.split('\n')[0]).toBe('interrupt 3 after event 23, the last: not deliverable to any vcpu');
  expect(r.out).not.toContain('event 24');
  const j = JSON.parse((await devrr('explain', SGI, '--irq', '3', '--json')).out);
  expect(j.at).toBe(24);
  expect(j.after_event).toBe(23);
});

test('explain --at P is the state after event P-1; --at 0 the start; past the end names the events', async () => {
  expect((await devrr('explain', SGI, '--irq', '3', '--at', '19')).out.split('\n')[0]).toBe('interrupt 3 after event 18: not deliverable to any vcpu');
  const start = await devrr('explain', SGI, '--irq', '3', '--at', '0');
  expect(start.code).toBe(2);
  expect(start.err).toBe('devrr explain: there is no VM 0 at the start, before event 0');
  const past = await devrr('explain', SGI, '--irq', '3', '--at', '25');
  expect(past.err).toBe('devrr explain: --at 25: the trace has only 24 events (0-23); --at 24 is after the last');
});

test('diff TRACE@P names each point as "after event P-1"', async () => {
  const r = await devrr('diff', `${EOI}@20`, `${EOI}@25`);
  expect(r.out.split('\n')[0]).toBe(`5 field(s) differ between ${EOI}@20 (after event 19) and ${EOI}@25 (after event 24):`);
  const ends = await devrr('diff', `${EOI}@0`, EOI);
  expect(ends.out.split('\n')[0]).toContain(`${EOI}@0 (the start, before event 0) and ${EOI}@32 (after event 31, the last)`);
  // --json keeps the points as given.
  expect(JSON.parse((await devrr('diff', `${EOI}@20`, `${EOI}@25`, '--json')).out)).toMatchObject({ a: `${EOI}@20`, b: `${EOI}@25` });
  const cp = await devrr('diff', `${EOI}@20`);
  expect(cp.err).toBe(`devrr diff: ${EOI} has no checkpoint recorded at @20; its checkpoints: @32`);
});

test('the help of every command that takes a point says how it maps to events', async () => {
  for (const cmd of ['explain', 'diff']) {
    const h = (await devrr(cmd, '--help')).out;
    expect(h, cmd).toContain('Events are numbered from 0, as devrr dump lists them');
    expect(h, cmd).toMatch(/after event P-1/);
  }
  expect((await devrr('bisect', '--help')).out).toContain('"after event N" is the device state once event N has');
});
