/**
 * The TUI's components, rendered from hand-written plain data (no trace, no
 * device models), asserted on the text a user sees.
 */
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, test } from 'vitest';
import DiffPane from '../../tui/components/DiffPane.js';
import EventDetail from '../../tui/components/EventDetail.js';
import EventList from '../../tui/components/EventList.js';
import HelpOverlay from '../../tui/components/HelpOverlay.js';
import Overview from '../../tui/components/Overview.js';
import StateTree from '../../tui/components/StateTree.js';
import StatusBar from '../../tui/components/StatusBar.js';
import type { EventRow, StatusInfo, TreeLine } from '../../tui/frame.js';
import { helpSections } from '../../tui/keymap.js';
import { plain } from './helpers.js';

const mounted: { unmount(): void }[] = [];
function show(node: React.ReactElement): string {
  const r = render(node);
  mounted.push(r);
  return plain(r.lastFrame() ?? '');
}
afterEach(() => {
  for (const m of mounted.splice(0)) m.unmount();
});

const row = (index: number, text: string, flags: Partial<EventRow> = {}): EventRow => ({
  index,
  text,
  current: false,
  breakpoint: false,
  divergence: false,
  mark: false,
  checkpoint: false,
  failed: false,
  ...flags,
});

const overview = { length: 264, position: 172, mark: 101, divergence: 171, checkpoints: [0] };

describe('EventList', () => {
  const rows = [
    row(169, 'v0 W GICC_EOIR <- 0x20'),
    row(170, 'irq_line SPI 32 level=0', { mark: true }),
    row(171, 'v0 W GICD_IPRIORITYR8 <- 0xa0a0f8a0', { current: true, divergence: true }),
    row(172, 'irq_line SPI 33 level=1', { breakpoint: true }),
    row(173, 'set GRP_ADDR KVM_VGIC_V2_ADDR_TYPE_DIST = 0x9000000 -> EEXIST (the distributor base is already set)', { failed: true }),
  ];
  const frame = () => show(<EventList rows={rows} overview={overview} file="run-b.devrr" against="run-a.devrr" breakpoints={1} watches={2} width={80} height={8} focused />);

  test('the title names the rows shown, the trace, the other trace and the breakpoints', () => {
    const first = frame().split('\n')[0]!;
    expect(first).toContain('events 169-173 of 264 · run-b.devrr vs run-a.devrr');
    expect(first).toContain('bp 1 watch 2');
  });

  test('the current event is marked ▶, the divergence ◆, a breakpoint ●, point A with A', () => {
    const lines = frame().split('\n');
    expect(lines.find((l) => l.includes('171 v0 W GICD_IPRIORITYR8'))).toMatch(/^▶◆171 /);
    expect(lines.find((l) => l.includes('172 irq_line'))).toMatch(/^ ●172 /);
    expect(lines.find((l) => l.includes('170 irq_line'))).toMatch(/^ A170 /);
    expect(lines.find((l) => l.includes('169 v0'))).toMatch(/^  169 /);
  });

  test('rows are cut to the pane, never wrapped', () => {
    const lines = frame().split('\n');
    expect(lines).toHaveLength(8);
    const failed = lines.find((l) => l.includes('173 set'))!;
    expect(failed.length).toBeLessThanOrEqual(80);
    expect(failed.endsWith('…')).toBe(true);
  });
});

describe('Overview', () => {
  test('one line: the built stretch, point A, the divergence and the position', () => {
    const line = show(<Overview overview={{ length: 100, position: 50, mark: 10, divergence: 90, checkpoints: [0, 20, 40] }} width={22} />);
    expect(line.split('\n')).toHaveLength(1);
    // 20 cells of 5 events: built to 40 (cell 8), A at 10 (cell 2), here at 50 (cell 10), ◆ at 90 (cell 18).
    expect(line).toBe('├━━A━━━━━━─█───────◆─┤');
  });
});

describe('EventDetail', () => {
  const detail = {
    title: 'event 171 · mmio write · vcpu 0',
    lines: [
      { label: 'device', text: 'dev 0 kvm-arm-vgic-v2 (GICD)' },
      { label: 'register', text: 'GICD_IPRIORITYR8 @0x8000420/4', tone: 'accent' as const },
      { label: 'wrote', text: '0xa0a0f8a0' },
      { label: 'fields', text: 'Priority0=0xa0 Priority1=0xf8 Priority2=0xa0 Priority3=0xa0' },
      { label: 'result', text: '0 (success)', tone: 'good' as const },
    ],
  };

  test('labels and values, long values continued under the value', () => {
    const f = show(<EventDetail detail={detail} width={40} height={8} />).split('\n');
    expect(f[0]).toContain('event 171 · mmio write · vcpu 0');
    expect(f).toContain('register GICD_IPRIORITYR8 @0x8000420/4');
    const i = f.findIndex((l) => l.startsWith('fields'));
    expect(f[i]).toBe('fields   Priority0=0xa0 Priority1=0xf8');
    expect(f[i + 1]).toBe('         Priority2=0xa0 Priority3=0xa0');
    expect(f).toContain('result   0 (success)');
  });

  test('when the pane is too short, says how many lines it left out', () => {
    const f = show(<EventDetail detail={detail} width={40} height={4} />).split('\n');
    expect(f).toHaveLength(4);
    expect(f[3]).toMatch(/… 4 more line\(s\)/);
  });
});

describe('StateTree', () => {
  const base = { depth: 0, expanded: false, value: '', changed: false, changedInside: 0, selected: false, watched: false };
  const lines: TreeLine[] = [
    { ...base, path: 'gic', label: 'gic', kind: 'branch', expanded: true, changedInside: 1 },
    { ...base, path: 'gic.dist', label: 'dist', kind: 'branch', depth: 1, value: 'enabled' },
    { ...base, path: 'gic.cpu', label: 'cpu', kind: 'branch', depth: 1, expanded: true, changedInside: 1 },
    { ...base, path: 'gic.cpu[1].pmr', label: 'pmr', kind: 'leaf', depth: 2, value: '0xf0 (240)', changed: true, was: '0', selected: true },
    { ...base, path: 'gic.cpu[1].rpr', label: 'rpr', kind: 'leaf', depth: 2, value: '0xff (255)', watched: true },
    { ...base, path: 'gic.cpu#more', label: '… 3 unchanged', kind: 'more', depth: 2 },
  ];

  test('open and closed branches, a changed field with its old value, a watched field', () => {
    const f = show(<StateTree lines={lines} top={0} total={6} width={50} height={7} focused position={14} />).split('\n');
    expect(f[0]).toContain('state after event 13');
    expect(f[1]).toBe(' ▾ gic *1');
    expect(f[2]).toBe('   ▸ dist enabled');
    expect(f[4]).toBe('    * pmr: 0xf0 (240)  (was 0)');
    expect(f[5]).toBe('    ◉ rpr: 0xff (255)');
    expect(f[6]).toBe('      … 3 unchanged');
  });

  test('says where it is when the tree is longer than the pane', () => {
    const f = show(<StateTree lines={lines.slice(2, 5)} top={2} total={40} width={50} height={4} focused={false} position={14} />).split('\n');
    expect(f[0]).toMatch(/3-5\/40$/);
  });

  test('with no VM yet, says so', () => {
    expect(show(<StateTree lines={[]} top={0} total={0} width={50} height={4} focused={false} position={0} />)).toContain('(no VM exists yet at this point)');
  });
});

describe('DiffPane', () => {
  test('the title, the lines, and the scroll position when they do not fit', () => {
    const lines = Array.from({ length: 12 }, (_, i) => ({ text: `gic.dist.irq[${32 + i}].priority: 0 -> 0xa0` }));
    const f = show(<DiffPane diff={{ title: 'event 171 changed 12 field(s)', lines: lines.slice(3, 7), offset: 3, total: 12 }} width={60} height={5} focused />).split('\n');
    expect(f[0]).toMatch(/^event 171 changed 12 field\(s\) +4-7\/12$/);
    expect(f[1]).toBe('gic.dist.irq[35].priority: 0 -> 0xa0');
    expect(f).toHaveLength(5);
  });
});

describe('StatusBar', () => {
  const status: StatusInfo = {
    position: 172,
    length: 264,
    mode: 'step',
    focus: 'events',
    diffMode: 'this event',
    breakpoints: 0,
    watches: 0,
    lastOpMs: 1.234,
    message: 'bisect: first divergence at event 171 (state)',
    messageTone: 'bad',
    job: null,
    background: null,
  };

  test('the current event of the events, mode, time of the last step, last message', () => {
    expect(show(<StatusBar status={status} prompt={null} width={100} />)).toBe('event 171 (0-263) │ step │ 1.2 ms │ bisect: first divergence at event 171 (state)');
  });

  test('long work: a progress bar, its phase and time, and how to cancel', () => {
    const f = show(<StatusBar status={{ ...status, job: { label: 'bisect against a.devrr', fraction: 0.45, detail: 'bisect · 1.5 s', cancellable: true }, message: '' }} prompt={null} width={120} />);
    expect(f).toBe('event 171 (0-263) │ bisect against a.devrr ▕█████░░░░░▏ 45% bisect · 1.5 s · Esc cancels │ 1.2 ms');
  });

  test('work in the background is named', () => {
    expect(show(<StatusBar status={{ ...status, background: { label: 'replay check', fraction: null, detail: '', cancellable: false } }} prompt={null} width={200} />)).toContain('│ replay check…');
  });

  test('a prompt takes the line', () => {
    expect(show(<StatusBar status={status} prompt={{ label: 'go to event (0-263, +N, -N)', text: '171' }} width={100} />)).toBe('go to event (0-263, +N, -N): 171   Enter · Esc');
  });

  test('the message is cut to the line', () => {
    const f = show(<StatusBar status={{ ...status, message: 'x'.repeat(200) }} prompt={null} width={80} />);
    expect(f.length).toBeLessThanOrEqual(80);
    expect(f.endsWith('…')).toBe(true);
  });
});

describe('HelpOverlay', () => {
  test('every group and key, in two columns that fit 80x23', () => {
    const f = show(<HelpOverlay sections={helpSections()} width={80} height={22} />);
    const lines = f.split('\n');
    expect(lines.length).toBeLessThanOrEqual(22);
    for (const g of ['Move', 'Breakpoints', 'Inspect', 'Long work', 'General']) expect(f).toContain(g);
    for (const k of ['n  ↓  →', 'PgDn  PgUp', 'g ', 'c  C', 'b ', 'w ', '/ ', 'm  a', 'B ', 'M ', 'Esc', 'q  Ctrl+C']) expect(f).toContain(k);
    expect(f).toContain('bisect: first divergence');
    expect(f).not.toContain('…');
    expect(f).toContain('migrate-check from here');
  });
});
