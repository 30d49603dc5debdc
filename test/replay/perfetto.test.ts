/**
 * `devrr export perfetto`: the JSON must load in the Perfetto UI and
 * chrome://tracing (the Chrome trace event format: a `traceEvents` array of
 * events with `ph`, `pid`, `tid`, `ts`), with a track per vcpu and per
 * device, a counter per interrupt line, and flow arrows that follow an
 * interrupt from its raise to the guest's acknowledge and EOI.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { devrr } from '../cli/run.js';
import { tempDir } from '../tmp.js';

interface Ev {
  name: string;
  ph: string;
  pid: number;
  tid?: number;
  ts?: number;
  dur?: number;
  id?: number;
  cat?: string;
  args?: Record<string, unknown>;
}

const dir = tempDir();
const EXAMPLE = 'traces/examples/vgic-v2-level-spi-storm/vgic-v2-level-spi-storm.devrr';
const SGI = 'traces/examples/sgi-never-arrives';

async function exported(trace: string, name: string): Promise<{ code: number; err: string; doc: { traceEvents: Ev[]; displayTimeUnit?: string } }> {
  const out = join(dir, name);
  const r = await devrr('export', 'perfetto', trace, '-o', out);
  return { code: r.code, err: r.err, doc: JSON.parse(readFileSync(out, 'utf8')) };
}

/** The slice a flow event at (pid, tid, ts) binds to (an enclosing "X" slice on that track). */
function enclosing(evs: readonly Ev[], f: Ev): Ev | undefined {
  return evs.find((e) => e.ph === 'X' && e.pid === f.pid && e.tid === f.tid && e.ts! <= f.ts! && f.ts! < e.ts! + e.dur!);
}

describe('devrr export perfetto', () => {
  test('the JSON is a Chrome trace: every event has a known phase, a pid, and slices a ts and a duration', async () => {
    const { code, err, doc } = await exported(EXAMPLE, 'storm.json');
    expect(code).toBe(0);
    expect(err).toMatch(/wrote .*storm\.json: \d+ events, \d+ tracks/);
    expect(Array.isArray(doc.traceEvents)).toBe(true);
    for (const e of doc.traceEvents) {
      expect(['X', 'C', 'M', 's', 't', 'f']).toContain(e.ph);
      expect(Number.isInteger(e.pid)).toBe(true);
      if (e.ph === 'X') {
        expect(typeof e.name).toBe('string');
        expect(e.ts).toBeGreaterThanOrEqual(0);
        expect(e.dur).toBeGreaterThan(0);
      }
    }
    // One slice per event of the trace, in order, numbered by event.
    const slices = doc.traceEvents.filter((e) => e.ph === 'X');
    const info = JSON.parse((await devrr('info', EXAMPLE, '--json')).out) as { events: number };
    expect(slices.map((s) => s.args!.event)).toEqual([...Array(info.events).keys()]);
  });

  test('a process per VM and a named track per vcpu, per device fd and for the VMM', async () => {
    const { doc } = await exported(EXAMPLE, 'tracks.json');
    const names = doc.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args!.name);
    expect(names).toContain('VMM (VM fd)');
    expect(names).toContain('vcpu 0');
    expect(names).toContain('device fd 0 (kvm-arm-vgic-v2)');
    expect(doc.traceEvents.find((e) => e.ph === 'M' && e.name === 'process_name')!.args!.name).toBe('VM 0 (arm64)');
    // Attribute calls sit on their device's track, guest accesses on their vcpu's, with dump's names.
    const tid = (n: string) => doc.traceEvents.find((e) => e.ph === 'M' && e.args?.name === n)!.tid;
    const attr = doc.traceEvents.find((e) => e.ph === 'X' && e.cat === 'set_attr')!;
    expect(attr.tid).toBe(tid('device fd 0 (kvm-arm-vgic-v2)'));
    expect(attr.name).toMatch(/KVM_DEV_ARM_VGIC_GRP_/);
    const mmio = doc.traceEvents.find((e) => e.ph === 'X' && e.cat === 'mmio')!;
    expect(mmio.tid).toBe(tid('vcpu 0'));
    expect(mmio.name).toMatch(/GIC[DC]_/);
  });

  test('a counter per interrupt line follows its level (irq_line raises and lowers SPI 42)', async () => {
    const { doc } = await exported(EXAMPLE, 'counter.json');
    const levels = doc.traceEvents.filter((e) => e.ph === 'C' && e.name === 'line SPI 42').map((e) => e.args!.level);
    expect(levels.length).toBeGreaterThanOrEqual(2);
    expect(levels[0]).toBe(1);
    expect(levels.at(-1)).toBe(0);
  });

  test('each interrupt flow starts at its raise, steps at the acknowledge, ends at the EOI, each bound to a slice', async () => {
    const { doc } = await exported(EXAMPLE, 'flows.json');
    const flows = doc.traceEvents.filter((e) => e.ph === 's' || e.ph === 't' || e.ph === 'f');
    const ids = [...new Set(flows.map((f) => f.id))];
    expect(ids.length).toBeGreaterThanOrEqual(1);
    for (const id of ids) {
      const f = flows.filter((x) => x.id === id);
      expect(f[0]!.ph).toBe('s');
      expect(f.filter((x) => x.ph === 's')).toHaveLength(1);
      for (const x of f) expect(x.cat).toBe('interrupt');
      for (let k = 1; k < f.length; k++) expect(f[k]!.ts).toBeGreaterThan(f[k - 1]!.ts!);
      // Each arrow end lands on the slice of the event that did it.
      const kinds = f.map((x) => enclosing(doc.traceEvents, x)?.cat);
      expect(kinds[0]).toMatch(/^(irq_line|signal_msi|mmio|sysreg)$/);
      if (f.at(-1)!.ph === 'f') expect(kinds.at(-1)).toMatch(/^(mmio|sysreg)$/);
    }
    const first = flows.filter((x) => x.id === ids[0]);
    expect(first.map((x) => x.ph)).toEqual(['s', 't', 'f']);
    expect(enclosing(doc.traceEvents, first[1]!)!.name).toMatch(/GICC_IAR/);
    expect(enclosing(doc.traceEvents, first[2]!)!.name).toMatch(/GICC_EOIR/);
  });

  test('an SGI flows from the sender\'s GICD_SGIR write to the target\'s acknowledge; the lost one never arrives', async () => {
    const { code, doc } = await exported(join(SGI, 'sgi-never-arrives.devrr'), 'sgi.json');
    expect(code).toBe(0);
    const flows = doc.traceEvents.filter((e) => e.ph === 's' || e.ph === 't' || e.ph === 'f');
    const ids = [...new Set(flows.map((f) => f.id))];
    const byId = ids.map((id) => flows.filter((f) => f.id === id));
    const sgi3 = byId.filter((f) => f[0]!.name === 'SGI 3');
    expect(sgi3.length).toBeGreaterThanOrEqual(2);
    // The first IPI: sent by vcpu 0 (its GICD_SGIR write), taken by vcpu 1 (GICC_IAR).
    const [first] = sgi3;
    const start = enclosing(doc.traceEvents, first![0]!)!;
    expect(start.name).toMatch(/GICD_SGIR/);
    expect(first![1]!.ph).toBe('t');
    expect(enclosing(doc.traceEvents, first![1]!)!.name).toMatch(/mmio vcpu 1 read\s+GICC_IAR/);
    // The IPI sent after vcpu 1 masked its SGIs: an arrow that starts and goes nowhere.
    expect(sgi3.at(-1)!.map((f) => f.ph)).toEqual(['s']);
  });

  test('host timestamps kept in notes ({"ts_us": N}) place the events at their real time', async () => {
    const scenario = join(dir, 'timed.json');
    writeFileSync(scenario, JSON.stringify({
      arch: 'arm64',
      steps: [
        { op: 'create_vcpu', id: 0, note: { ts_us: 1000.5 } },
        { op: 'create_device', type: 'KVM_DEV_TYPE_ARM_VGIC_V2', as: 'gic', note: { ts_us: 1002 } },
        { op: 'has_attr', dev: 'gic', group: 'KVM_DEV_ARM_VGIC_GRP_CTRL', attr: 'KVM_DEV_ARM_VGIC_CTRL_INIT', note: { ts_us: 1010.25 } },
      ],
    }));
    const trace = join(dir, 'timed.devrr');
    expect((await devrr('record', scenario, '-o', trace)).code).toBe(0);
    const { err, doc } = await exported(trace, 'timed.out.json');
    expect(err).toMatch(/host timestamps/);
    const ts = doc.traceEvents.filter((e) => e.ph === 'X').map((e) => e.ts);
    expect(ts.slice(1)).toEqual([1000.5, 1002, 1010.25]);
  });

  test('refuses a missing -o, an unknown format and a directory as the output, exit 2 with one line', async () => {
    const noOut = await devrr('export', 'perfetto', EXAMPLE);
    expect(noOut.code).toBe(2);
    expect(noOut.err).toMatch(/-o OUT\.json is required/);
    const fmt = await devrr('export', 'speedscope', EXAMPLE, '-o', join(dir, 'a.json'));
    expect(fmt.code).toBe(2);
    expect(fmt.err).toMatch(/unknown format "speedscope" \(formats: perfetto\)/);
    const d = join(dir, 'adir');
    mkdirSync(d);
    const r = await devrr('export', 'perfetto', EXAMPLE, '-o', d);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/it is a directory/);
  });

  test('writes through a symlink to a regular file and leaves no temporary file behind', async () => {
    const real = join(dir, 'real.json');
    writeFileSync(real, 'old');
    const link = join(dir, 'link.json');
    symlinkSync(real, link);
    expect((await devrr('export', 'perfetto', EXAMPLE, '-o', link)).code).toBe(0);
    expect(JSON.parse(readFileSync(real, 'utf8')).traceEvents.length).toBeGreaterThan(10);
    expect(readFileSync(join(dir, 'link.json'), 'utf8')).toBe(readFileSync(real, 'utf8'));
  });
});
