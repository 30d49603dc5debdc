/**
 * The terminal UI on an FSL MPIC trace, as on the GIC's
 * (test/tui/session.test.ts): the event rows decode MPIC events by
 * register name, the changes pane of an EOI names the `mpic` view's fields
 * it changed, and the state tree holds the `mpic` view.
 */
import { expect, test } from 'vitest';
import { InlineRunner } from '../../tui/jobs/runner.js';
import { charKey, namedKey } from '../../tui/keys.js';
import { DebugSession } from '../../tui/session.js';

const TRACE = 'traces/examples/mpic-eoi-wrong-source/mpic-eoi-wrong-source.devrr';

test('the TUI on the MPIC example: rows by register name, the EOI at event 24 changes mpic.cpu[0].servicing, the tree shows mpic', async () => {
  const session = new DebugSession(TRACE, { runner: new InlineRunner(), check: false, checkpointEvery: 8 });
  const sizes = { listRows: 40, detailRows: 12, treeRows: 60, diffRows: 40 };
  session.frame(sizes);
  session.start();
  await session.idle();
  for (const c of 'g24') session.key(charKey(c));
  session.key(namedKey('return'));
  const f = session.frame(sizes);
  expect(f.status.position).toBe(25);
  expect(f.rows.map((r) => r.text).join('\n')).toContain('v0 R IACK -> 0x32');
  expect(f.detail.title).toMatch(/^event 24 /);
  expect(f.diff.lines.map((l) => l.text).join('\n')).toContain('mpic.cpu[0].servicing');
  expect(JSON.stringify(f.tree)).toContain('mpic');
  session.close();
});
