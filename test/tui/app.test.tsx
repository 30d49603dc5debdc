/**
 * The TUI driven by keys on the bundled example traces: the real session
 * and components, jobs run inline; frames asserted on what a user sees.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { writeWorkloadTrace } from '../../replay/bench.js';
import App from '../../tui/components/App.js';
import { InlineRunner } from '../../tui/jobs/runner.js';
import { DebugSession } from '../../tui/session.js';
import { tempDir } from '../tmp.js';
import { BRINGUP, example, KEY, lineWith, MIGRATION_BAD, MIGRATION_GOOD, openApp, RUN_A, RUN_B, SGI } from './helpers.js';

const dir = tempDir();
let open: Awaited<ReturnType<typeof openApp>>[] = [];
async function app(...args: Parameters<typeof openApp>) {
  const t = await openApp(...args);
  open.push(t);
  return t;
}
afterEach(() => {
  for (const t of open) t.close();
  open = [];
});

/** The state pane's column: everything right of the left column's border. */
const right = (screen: string, columns: number) =>
  screen
    .split('\n')
    .map((l) => l.slice(Math.floor(columns / 2) + 1))
    .join('\n');

describe('layout', () => {
  test('at 80x24: 23 lines of at most 80 columns, every pane and the status line', async () => {
    const t = await app(RUN_B, { columns: 80, rows: 24 });
    const lines = t.screen().split('\n');
    expect(lines).toHaveLength(23);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(lines[0]).toMatch(/^events 0-10 of 264 · run-b\.devrr/);
    expect(t.screen()).toContain('the start: no event has run yet');
    expect(t.screen()).toContain('state at the start');
    expect(lines[22]).toMatch(/^start \(0-263\) │ step/);
  });

  test('at 120x40 more rows fit, and the screen follows a resize', async () => {
    const t = await app(RUN_B, { columns: 120, rows: 40 });
    expect(t.screen().split('\n')).toHaveLength(39);
    expect(t.screen().split('\n')[0]).toMatch(/^events 0-19 of 264/);
    t.app.rerender(<App session={t.session} size={{ columns: 100, rows: 30 }} />);
    await t.press();
    const lines = t.screen().split('\n');
    expect(lines).toHaveLength(29);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(100);
  });
});

describe('stepping', () => {
  test('n / ↓ / → step forward, p / ↑ / ← step back; the current event is decoded', async () => {
    const t = await app(RUN_B, { columns: 120, rows: 40 });
    await t.press('n');
    expect(t.screen()).toContain('event 0 (0-263)');
    expect(lineWith(t.screen(), '▶')).toMatch(/▶. +0 create_vm arm64/);
    expect(t.screen()).toContain('event 0 · create_vm');
    await t.press(KEY.down, KEY.right);
    expect(t.screen()).toContain('event 2 (0-263)');
    expect(t.screen()).toContain('event 2 · create_vcpu');
    await t.press('p', KEY.up, KEY.left);
    expect(t.screen()).toContain('start (0-263)');
  });

  test('by 10, 100, 1000, and to the first and last event, clamped to the trace', async () => {
    const t = await app(RUN_B);
    await t.press(']');
    expect(t.screen()).toContain('event 9 (0-263)');
    await t.press('}');
    expect(t.screen()).toContain('event 109 (0-263)');
    await t.press('[');
    expect(t.screen()).toContain('event 99 (0-263)');
    await t.press('{', '{');
    expect(t.screen()).toContain('start (0-263)');
    await t.press(KEY.pageDown);
    expect(t.screen()).toContain('event 263 (0-263)');
    expect(lineWith(t.screen(), '▶')).toMatch(/▶ +263 /);
    await t.press(KEY.pageUp);
    expect(t.screen()).toContain('start (0-263)');
    await t.press(KEY.end);
    expect(t.screen()).toContain('event 263 (0-263)');
    await t.press(KEY.home);
    expect(t.screen()).toContain('start (0-263)');
    await t.press('>');
    expect(t.screen()).toContain('event 263 (0-263)');
    await t.press('<');
    expect(t.screen()).toContain('start (0-263)');
  });

  test('g goes to an event: the register by kernel name, its fields, the state it changed highlighted', async () => {
    const t = await app(RUN_B, { columns: 120, rows: 40 });
    await t.press('g');
    expect(t.screen()).toContain('go to event (0-263, +N, -N):');
    await t.type('171');
    await t.press(KEY.enter);
    const s = t.screen();
    expect(s).toContain('event 171 (0-263)');
    expect(lineWith(s, '▶')).toMatch(/▶ +171 v0 W GICD_IPRIORITYR8 <- 0xa0a0f8a0/);
    expect(s).toContain('event 171 · mmio write · vcpu 0');
    expect(s).toContain('device   dev 0 kvm-arm-vgic-v2 (GICD)');
    expect(s).toContain('register GICD_IPRIORITYR8 @0x8000420/4');
    expect(s).toContain('wrote    0xa0a0f8a0');
    expect(s).toContain('result   0 (success)');
    // The state pane opens down to the fields the write changed, marked *, with their old values.
    const state = right(s, 120);
    expect(state).toContain('* priority: 0xf8 (248)  (was 0)');
    expect(state.match(/\* priority: 0xa0 \(160\) {2}\(was 0\)/g)).toHaveLength(3);
    expect(s).toContain('event 171 changed 4 field(s)');
    expect(s).toContain('gic.dist.irq[33].priority: 0 -> 0xf8');
  });

  test("a vcpu's first guest access (its first run maps the frames) names the device that claims it: the destination VM's spurious GICC_IAR read", async () => {
    const t = await app(MIGRATION_BAD, { columns: 120, rows: 40, against: MIGRATION_GOOD });
    await t.press('g');
    await t.type('131');
    await t.press(KEY.enter);
    let s = t.screen();
    expect(s).toContain('event 131 · mmio read · vcpu 0 · vm 1');
    expect(s).toContain('register GICC_IAR @0x801000c/4');
    expect(s).toContain('device   dev 0 kvm-arm-vgic-v2 (GICC)');
    expect(s).not.toContain('none claims it');
    await t.press('n');
    s = t.screen();
    expect(s).toContain('event 132 · mmio read · vcpu 0 · vm 1');
    expect(s).toContain('device   dev 0 kvm-arm-vgic-v2 (GICC)');
  });

  test('an ICC system-register access is decoded like a GICC one: register, value, named fields', async () => {
    const t = await app(example('vgic-v3-bringup/vgic-v3-bringup.devrr'), { columns: 120, rows: 40 });
    await t.press('g', ...'39', KEY.enter);
    const s = t.screen();
    expect(lineWith(s, '▶')).toMatch(/▶ +39 v3 R ICC_IAR1_EL1 -> 0x1\b/);
    expect(s).toContain('event 39 · sysreg read · vcpu 3');
    expect(s).toContain('register ICC_IAR1_EL1 (encoding 0xc660)');
    expect(s).toContain('fields   INTID=1');
    await t.press('g', ...'37', KEY.enter);
    expect(t.screen()).toContain('fields   TargetList=8 Aff1=0 INTID=1 Aff2=0 RS=0 Aff3=0');
  });

  test('g takes +N and -N relative to the current event, and refuses what is not an event', async () => {
    const t = await app(RUN_B);
    await t.press('g', '5', '0', KEY.enter);
    expect(t.screen()).toContain('event 50 (0-263)');
    await t.press('g', '+', '9', KEY.enter);
    expect(t.screen()).toContain('event 59 (0-263)');
    await t.press('g', '-', '2', '0', KEY.enter);
    expect(t.screen()).toContain('event 39 (0-263)');
    await t.press('g', '9', '9', '9', KEY.enter);
    expect(t.screen()).toContain('event 39 (0-263)');
    expect(t.screen()).toContain('no event 999: the trace has events 0-263');
    await t.press('g', 'x', KEY.backspace, '7', KEY.enter);
    expect(t.screen()).toContain('event 7 (0-263)');
    await t.press('g', '1', KEY.escape);
    expect(t.screen()).toContain('event 7 (0-263)');
    expect(t.screen()).not.toContain('go to event');
  });

  test('the status bar shows how long the last step took', async () => {
    const t = await app(RUN_B);
    await t.press('n');
    expect(lineWith(t.screen(), 'event 0 (0-263)')).toMatch(/│ \d+(\.\d)? ms/);
  });
});

describe('breakpoints and watchpoints', () => {
  test("b breaks on the current event's register; c and C run to it; b again clears it", async () => {
    const t = await app(RUN_B, { columns: 120, rows: 40 });
    await t.press('g', ...'171', KEY.enter, 'b');
    expect(t.screen()).toContain('breakpoint set: mmio GICD_IPRIORITYR8');
    expect(lineWith(t.screen(), '171 v0 W GICD_IPRIORITYR8')).toMatch(/▶● ?171/);
    expect(t.screen()).toContain('bp 1 watch 0');
    await t.press('<', 'c');
    expect(t.screen()).toContain('event 171 (0-263)');
    expect(t.screen()).toContain('breakpoint (mmio GICD_IPRIORITYR8) at event 171');
    await t.press('c');
    expect(t.screen()).toContain('event 263 (0-263)');
    expect(t.screen()).toContain('no breakpoint hit: ran to the end of the trace');
    await t.press('C');
    expect(t.screen()).toContain('event 171 (0-263)');
    await t.press('b');
    expect(t.screen()).toContain('breakpoint cleared: mmio GICD_IPRIORITYR8');
    await t.press('c');
    expect(t.screen()).toContain("no breakpoints: b breaks on the current event's kind");
  });

  test('w watches the selected state field; C runs back to the event that last changed it (the lost SGI)', async () => {
    const t = await app(SGI, { columns: 120, rows: 40 });
    // Event 18 is the GICD_ICENABLER0 <- 0xffffffff that disables vcpu 1's SGIs.
    await t.press('g', ...'18', KEY.enter, KEY.tab);
    const state = right(t.screen(), 120);
    expect(state).toContain('* enabled: false  (was true)');
    // In the state pane the arrows select fields: irq[0].enabled is selected first; irq[3].enabled is 9 lines down.
    await t.press(...Array<string>(9).fill(KEY.down), 'w');
    expect(t.screen()).toContain('watching gic.cpu[1].irq[3].enabled');
    await t.press(KEY.end);
    expect(t.screen()).toContain('event 23 (0-23)');
    await t.press('C');
    expect(t.screen()).toContain('event 18 (0-23)');
    expect(t.screen()).toContain('watch gic.cpu[1].irq[3].enabled: true -> false at event 18');
    expect(t.screen()).toContain('GICD_ICENABLER0');
    await t.press('x');
    expect(t.screen()).toContain('cleared 1 breakpoint(s) and watchpoint(s)');
  });

  test('w with nothing selected says how to select a field', async () => {
    const t = await app(SGI);
    await t.press('w');
    expect(t.screen()).toContain('select a state field first');
  });
});

describe('the state tree', () => {
  test('→ opens, ← closes, Enter toggles, ↑ ↓ select', async () => {
    const t = await app(BRINGUP, { columns: 120, rows: 40 });
    // The last event changes nothing: the first line is selected; the top level starts open.
    await t.press('>', KEY.tab);
    let state = right(t.screen(), 120);
    expect(state).toMatch(/▾ vcpus\n +▸ \[0\] ran\n +▸ \[1\] ran/);
    await t.press(KEY.enter);
    expect(right(t.screen(), 120)).toMatch(/▸ vcpus \[2\]\n +max_vcpus: 8/);
    await t.press(KEY.right, KEY.right);
    // Open already: → moves into it.
    await t.press(KEY.right);
    state = right(t.screen(), 120);
    expect(state).toMatch(/▾ \[0\]\n +id: 0\n +ran: true\n +▸ \[1\] ran/);
    await t.press(KEY.down, KEY.left, KEY.left);
    // ← on a field selects its branch; ← on an open branch closes it.
    expect(right(t.screen(), 120)).toMatch(/▸ \[0\] ran\n +▸ \[1\] ran/);
  });

  test('a branch closed by the user stays closed, and counts the changes inside', async () => {
    const t = await app(RUN_B, { columns: 120, rows: 40 });
    await t.press('g', ...'170', KEY.enter, KEY.tab);
    // Event 170 changes nothing: vcpus is selected; gic is 7 lines down (vcpus, its 4 entries, max_vcpus, dead).
    await t.press(...Array<string>(7).fill(KEY.down), KEY.left);
    expect(right(t.screen(), 120)).toMatch(/▸ gic initialized ready/);
    await t.press('n');
    const state = right(t.screen(), 120);
    expect(state).toMatch(/▸ gic .*\*4/);
    expect(state).not.toContain('* priority');
  });
});

describe('diffs', () => {
  test('m marks A; the diff pane shows A against here; a goes back to A', async () => {
    const t = await app(RUN_B, { columns: 120, rows: 40 });
    await t.press('g', ...'170', KEY.enter, 'm');
    expect(t.screen()).toContain('marked A after event 170');
    await t.press('n', 'n');
    const s = t.screen();
    expect(s).toContain('A (after event 170) -> here (after event 172)');
    expect(s).toContain('gic.dist.irq[33].priority: 0 -> 0xf8');
    expect(s).toContain('gic.dist.irq[33].pending: false -> true');
    expect(lineWith(s, '170 irq_line SPI 32')).toMatch(/A ?170/);
    await t.press('a');
    expect(t.screen()).toContain('event 170 (0-263)');
  });

  test('d cycles: this event, A vs here, the other trace (--against)', async () => {
    const t = await app(RUN_B, { against: RUN_A, columns: 120, rows: 40 });
    await t.press('g', ...'171', KEY.enter);
    expect(t.screen()).toContain('event 171 changed 4 field(s)');
    await t.press('d');
    expect(t.screen()).toContain('this -> run-a.devrr, both after event 171: 1 field(s)');
    expect(t.screen()).toContain('gic.dist.irq[33].priority: 0xf8 -> 0xa0');
    await t.press('m', 'd');
    expect(t.screen()).toContain('this -> run-a.devrr, both after event 171');
    await t.press('d');
    expect(t.screen()).toContain('event 171 changed 4 field(s)');
  });

  test('with one trace and no mark, d says how to get more diffs', async () => {
    const t = await app(RUN_B);
    await t.press('d');
    expect(t.screen()).toContain('diff: this event only');
  });

  test('Tab to the diff pane; the arrows scroll it', async () => {
    const t = await app(SGI, { columns: 80, rows: 24 });
    await t.press(KEY.end, 'e', '3', KEY.enter);
    const title = () => lineWith(t.screen(), 'interrupt 3 after event 23')!;
    expect(title()).toMatch(/1-8\/\d+/);
    await t.press(KEY.tab, KEY.tab, KEY.down);
    expect(title()).toMatch(/2-9\/\d+/);
    await t.press(KEY.pageDown);
    expect(title()).toMatch(/12-19\/\d+/);
  });
});

describe('search', () => {
  test('/ finds the next event whose decoded text matches; . and , repeat it', async () => {
    const t = await app(RUN_B, { columns: 120, rows: 40 });
    await t.press('/');
    await t.type('gicc_iar @0x801000c/4 -> 0x3ff');
    await t.press(KEY.enter);
    expect(t.screen()).toContain('"gicc_iar @0x801000c/4 -> 0x3ff" at event 173');
    expect(t.screen()).toContain('event 173 (0-263)');
    expect(lineWith(t.screen(), '▶')).toMatch(/173 v1 R GICC_IAR -> 0x3ff/);
    await t.press('.');
    expect(t.screen()).toContain('at event 189');
    await t.press(',');
    expect(t.screen()).toContain('at event 173');
    await t.press(',');
    expect(t.screen()).toContain('no match at or before event 172');
    expect(t.screen()).toContain('event 173 (0-263)');
  });

  test('search by event number', async () => {
    const t = await app(RUN_B);
    await t.press('/', '#', '4', '2', KEY.enter);
    expect(t.screen()).toContain('event 42 (0-263)');
  });
});

describe('long work', () => {
  test('B bisects against --against and lands on the divergent event, marked ◆', async () => {
    const t = await app(RUN_B, { against: RUN_A, columns: 120, rows: 40 });
    await t.press('B');
    const s = t.screen();
    expect(s).toContain('event 171 (0-263)');
    expect(s).toContain('bisect: first divergence at event 171: the traces record different events');
    expect(s).toContain('run-b.devrr (this trace):');
    expect(s).toContain('gic.dist.irq[33].priority: event 171, the divergent event');
    expect(lineWith(s, '171 v0 W GICD_IPRIORITYR8')).toMatch(/▶◆ ?171/);
    expect(s).toContain('gic.dist.irq[33].priority: 0xf8 -> 0xa0');
    await t.press(KEY.escape, '<', 'D');
    expect(t.screen()).toContain('event 171 (0-263)');
    expect(t.screen()).toContain('divergence at event 171: the traces record different events (found by bisect)');
  });

  test('B against the models, on a trace they reproduce: no divergence; D says none is known', async () => {
    const t = await app(RUN_B);
    await t.press('B');
    expect(t.screen()).toContain('bisect: no divergence');
    await t.press(KEY.escape, 'D');
    expect(t.screen()).toContain('no divergence known');
  });

  test('the replay check places the divergence marker; D jumps there', async () => {
    const trace = `${dir}/planted.devrr`;
    const planted = writeWorkloadTrace(trace, 3000, { checkpointEvery: 512, plantAt: 2000 });
    const t = await app(trace, { check: true, columns: 160, rows: 40 });
    expect(t.screen()).toContain(`the replay diverges at event ${planted}: its replayed result differs from the recorded one (D jumps there)`);
    expect(t.screen()).toContain(`replay diverges at event ${planted}`);
    await t.press('D');
    expect(t.screen()).toContain(`event ${planted} (0-2999)`);
    expect(lineWith(t.screen(), `${planted} v`)).toMatch(new RegExp(`▶◆ ?${planted}`));
    await t.press('<', 'B');
    expect(t.screen()).toContain(`bisect: first divergence at event ${planted}`);
  });

  test('M runs migrate-check from here: a missing CPU interface save list', async () => {
    const t = await app(MIGRATION_BAD, { columns: 120, rows: 40 });
    await t.press('g', ...'72', KEY.enter, 'M');
    const s = t.screen();
    expect(s).toMatch(/migrate-check after event 72: 2 check\(s\), 1 failure\(s\)/);
    expect(s).toContain('state lost in the recorded migration');
    expect(s).toContain('gic.cpu[0].pmr: 0xf0 -> 0');
  });

  test('e explains the selected interrupt here: why SGI 3 never reaches vcpu 1', async () => {
    const t = await app(SGI, { columns: 160, rows: 40 });
    await t.press(KEY.end, 'e');
    expect(t.screen()).toContain('explain interrupt:');
    await t.press('3', KEY.enter);
    const s = t.screen();
    expect(s).toContain('interrupt 3 after event 23, the last: not deliverable to any vcpu');
    // The answer comes first: for vcpu 1 (the target) the SGI's enable bit, cleared by event 18.
    expect(s).toContain('BLOCKS vcpu 1: enabled (GICD_ISENABLER) = false (last changed by event 18)');
    expect(s).toContain('irq 3 is not deliverable: vcpu 0: pending (edge: latch); vcpu 1: enabled (GICD_ISENABLER)');
  });

  test('e on event 171 explains the state after event 171 and says so (events, not positions, everywhere)', async () => {
    const t = await app(RUN_B, { columns: 120, rows: 40 });
    await t.press('g', ...'171', KEY.enter);
    const s0 = t.screen();
    expect(s0).toContain('event 171 (0-263)');
    expect(s0).toContain('state after event 171');
    await t.press('e', KEY.backspace, KEY.backspace, KEY.backspace, KEY.backspace, ...'33', KEY.enter);
    const s = t.screen();
    expect(s).toContain('interrupt 33 after event 171:');
    expect(s).not.toMatch(/event 172|position/);
  });

  test('e proposes the interrupt of the current event', async () => {
    const t = await app(SGI);
    await t.press('g', ...'16', KEY.enter, 'e');
    expect(t.screen()).toContain('explain interrupt: 3');
  });

  test('Esc closes a report and the diff comes back', async () => {
    const t = await app(RUN_B, { against: RUN_A });
    await t.press('B');
    expect(t.screen()).toContain('bisect: first divergence at event 171');
    await t.press(KEY.escape);
    expect(t.screen()).toContain('event 171 changed 4 field(s)');
  });
});

describe('loading', () => {
  test('the timeline is built with progress; Esc stops it; far seeks then build the rest in slices', async () => {
    const trace = `${dir}/long.devrr`;
    writeWorkloadTrace(trace, 300_000);
    const session = new DebugSession(trace, { runner: new InlineRunner(), check: false, checkpointEvery: 1024 });
    const sizes = { listRows: 10, detailRows: 5, treeRows: 10, diffRows: 5 };
    session.frame(sizes);
    session.start();
    // The first slice has run: the status shows loading progress.
    const loading = session.frame(sizes).status;
    expect(loading.mode).toBe('loading');
    expect(loading.job?.fraction).toBeGreaterThan(0);
    expect(loading.job?.fraction).toBeLessThan(1);
    expect(loading.job?.cancellable).toBe(true);
    // Keys other than Esc are refused while the timeline is busy.
    session.key({ name: 'char', char: 'n', ctrl: false, shift: false, meta: false });
    expect(session.frame(sizes).status.message).toBe('busy: loading (Esc stops it)');
    session.key({ name: 'escape', char: '', ctrl: false, shift: false, meta: false });
    await session.idle();
    const after = session.frame(sizes).status;
    expect(after.job).toBeNull();
    expect(after.message).toContain('loading stopped');
    expect(after.position).toBe(0);
    // Going to the end replays the rest in slices, then lands there.
    session.key({ name: 'end', char: '', ctrl: false, shift: false, meta: false });
    expect(session.frame(sizes).status.mode).toBe('seeking to event 299999');
    await session.idle();
    expect(session.frame(sizes).status.position).toBe(300_000);
    session.close();
  });
});

describe('work that overlaps', () => {
  test('a bisect that finishes during a run to a breakpoint moves there once the run ends', async () => {
    const trace = `${dir}/overlap.devrr`;
    const planted = writeWorkloadTrace(trace, 200_000, { checkpointEvery: 8192, plantAt: 120_000 });
    const session = new DebugSession(trace, { runner: new InlineRunner(), check: false });
    const sizes = { listRows: 10, detailRows: 5, treeRows: 10, diffRows: 5 };
    const key = (k: Partial<Parameters<DebugSession['key']>[0]>) => session.key({ name: 'char', char: '', ctrl: false, shift: false, meta: false, ...k });
    session.frame(sizes);
    session.start();
    await session.idle();
    // A breakpoint that never hits again: the VGIC's KVM_DEV_ARM_VGIC_CTRL_INIT (event 9).
    for (const c of 'g9') key({ char: c });
    key({ name: 'return' });
    key({ char: 'b' });
    expect(session.frame(sizes).status.message).toContain('breakpoint set: set_attr KVM_DEV_ARM_VGIC_GRP_CTRL');
    key({ char: 'B' });
    key({ char: 'c' });
    expect(session.frame(sizes).status.mode).toBe('running forward');
    // The bisect job was queued first: it is done after one turn, the run is not; the move waits.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(session.frame(sizes).status.mode).toBe('running forward');
    expect(session.frame(sizes).status.position).toBe(10);
    await session.idle();
    const st = session.frame(sizes).status;
    expect(st.position).toBe(planted + 1);
    expect(st.message).toBe(`bisect: first divergence at event ${planted}: its replayed result differs from the recorded one`);
    session.close();
  });

  test('a trace whose recorder died is read up to its last complete record, and the TUI says so', async () => {
    const { readFileSync, writeFileSync } = await import('node:fs');
    const bytes = readFileSync(RUN_B);
    const cut = `${dir}/cut.devrr`;
    // A crashed recorder leaves whole records: cut where the last checkpoint record starts.
    const { TraceReader } = await import('../../traces/reader.js');
    const r = TraceReader.open(RUN_B);
    const at = r.checkpoints.at(-1)!.offset;
    r.close();
    writeFileSync(cut, bytes.subarray(0, at));
    const t = await app(cut);
    expect(t.screen()).toMatch(/note: cut\.devrr was not closed cleanly: read \d+ events/);
  });
});

describe('the other trace, when loading was stopped', () => {
  test('d against a trace not built that far builds it in slices first, then diffs', async () => {
    const a = `${dir}/a.devrr`;
    const b = `${dir}/b.devrr`;
    writeWorkloadTrace(a, 100_000);
    writeWorkloadTrace(b, 100_000, { plantAt: 50_000 });
    const session = new DebugSession(b, { against: a, runner: new InlineRunner(), check: false, checkpointEvery: 1024 });
    const sizes = { listRows: 10, detailRows: 5, treeRows: 10, diffRows: 5 };
    const key = (k: Partial<Parameters<DebugSession['key']>[0]>) => session.key({ name: 'char', char: '', ctrl: false, shift: false, meta: false, ...k });
    session.frame(sizes);
    session.start();
    key({ name: 'escape' });
    await session.idle();
    key({ name: 'end' });
    await session.idle();
    expect(session.frame(sizes).status.position).toBe(100_000);
    key({ char: 'd' });
    expect(session.frame(sizes).diff.lines[0]!.text).toBe('building a.devrr up to event 99999…');
    await new Promise((r) => setImmediate(r));
    await session.idle();
    const diff = session.frame(sizes).diff;
    expect(diff.title).toMatch(/^this -> a\.devrr, both after event 99999: \d+ field\(s\)$/);
    session.close();
  });
});

describe('help and quitting', () => {
  test('? shows the keys; any key closes the help', async () => {
    const t = await app(RUN_B, { columns: 80, rows: 24 });
    await t.press('?');
    expect(t.screen()).toContain('devrr keys');
    expect(t.screen()).toContain('go to event N (or +N, -N)');
    expect(t.screen()).toContain('bisect: first divergence');
    await t.press('n');
    expect(t.screen()).not.toContain('devrr keys');
    expect(t.screen()).toContain('start (0-263)');
  });

  test('q quits', async () => {
    let quit = false;
    const t = await app(RUN_B);
    t.app.rerender(<App session={t.session} size={{ columns: 120, rows: 40 }} onQuit={() => (quit = true)} />);
    await t.press('q');
    expect(quit).toBe(true);
  });
});
