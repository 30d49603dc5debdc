/**
 * migrate-check on GICv2 VMs: what the v2 ABI does not carry by design is
 * left out of the comparison with its reason (a VMM that never wrote
 * GICD_IIDR on the source migrates correctly), lost pending and CPU-interface
 * state is still named, and the report lists exactly the checks it counts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { vgicIts } from '../../devices/arm-vgic/its/device.js';
import { vgicV2 } from '../../devices/arm-vgic/v2/device.js';
import { vgicV3 } from '../../devices/arm-vgic/v3/device.js';
import { diffState } from '../../devices/core/state.js';
import { vmView } from '../../devices/core/vm-view.js';
import { DEVICE_MODELS } from '../../devices/registry.js';
import { parseScenario } from '../../recorder/scenario.js';
import { recordToFile } from '../../recorder/trace-file.js';
import { fieldCovers, migrateCheck } from '../../replay/migrate.js';
import { Timeline } from '../../replay/timeline.js';
import { TraceReader } from '../../traces/reader.js';
import { devrr } from '../cli/run.js';
import { tempDir } from '../tmp.js';

const E = 'traces/examples';
const GOOD = join(E, 'migration-missing-cpu-regs/migration-good.json');
const dir = tempDir();

type Step = Record<string, unknown>;

/** migration-good.json edited by `edit`, recorded; returns the trace path. */
function recordGood(name: string, edit: (steps: Step[]) => Step[]): string {
  const doc = JSON.parse(readFileSync(GOOD, 'utf8')) as { steps: Step[] };
  doc.steps = edit(doc.steps);
  const out = join(dir, `${name}.devrr`);
  recordToFile(parseScenario(JSON.stringify(doc), `${name}.json`), out);
  return out;
}

const isIidrWrite = (s: Step) => s.op === 'set_attr' && s.vm === undefined && s.group === 'KVM_DEV_ARM_VGIC_GRP_DIST_REGS' && s.attr === 8;
/** The source never writes GICD_IIDR (a VMM that does not know about it); the destination's restore still does. */
const noSourceIidr = (steps: Step[]) => {
  expect(steps.filter(isIidrWrite)).toHaveLength(1);
  return steps.filter((s) => !isIidrWrite(s));
};

function check(path: string, every?: number) {
  const t = TraceReader.open(path);
  try {
    return migrateCheck(t, every);
  } finally {
    t.close();
  }
}

test('a GICv2 VMM whose source never wrote GICD_IIDR migrates correctly: every check passes, at every point and on the recorded migration (v2_groups_user_writable gates userspace writes only: vgic_mmio_uaccess_write_v2_misc, vgic_mmio_uaccess_write_v2_group)', () => {
  const r = check(recordGood('no-iidr', noSourceIidr), 4);
  expect(r.recorded).not.toBeNull();
  expect(r.points.length).toBeGreaterThan(10);
  expect(r.checks).toBe(r.points.length + 1);
  expect(r.failures).toEqual([]);
  const gate = r.notComparedRules.find((n) => n.fields.includes('gic.groups_user_writable'));
  expect(gate?.why).toMatch(/not state the guest can see/);
});

test('the same VMM restoring no pending state: migrate-check names SPI 48\'s lost pending state', () => {
  const isSpiPendingRestore = (s: Step) => s.vm === 'dst' && s.op === 'set_attr' && (s.attr === '0x204' || s.attr === '0x284');
  const p = recordGood('no-iidr-no-pending', (steps) => noSourceIidr(steps).filter((s) => !isSpiPendingRestore(s)).map(({ expect_value: _, ...s }) => s));
  const r = check(p);
  expect(r.failures).toEqual([{ event: r.recorded!.restore, kind: 'recorded', fields: [{ path: 'gic.dist.irq[48].pending', a: true, b: false }] }]);
});

test('the bad VMM of the example (no GRP_CPU_REGS in its save list) still fails, naming the CPU-interface fields it lost', () => {
  const r = check(join(E, 'migration-missing-cpu-regs/migration-bad.devrr'));
  expect(r.failures.map((f) => [f.kind, f.fields.map((x) => x.path)])).toEqual([['recorded', ['gic.cpu[0].ctlr.EnableGrp0', 'gic.cpu[0].pmr']]]);
});

test('every field a device declares not carried names state its view has, and says what it is and why', () => {
  const leaves = (trace: string) => {
    const t = TraceReader.open(trace);
    const tl = new Timeline(t);
    tl.seek(t.eventCount);
    const view = vmView(tl.snapshot().vms[0]!, DEVICE_MODELS);
    t.close();
    // Every leaf's path, in the diff's own format: compare the view with a copy whose leaves all differ.
    const mark = (v: unknown): unknown => (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v) ? (Array.isArray(v) ? v.map(mark) : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mark(x)]))) : Symbol());
    return diffState(view, mark(view)).map((d) => d.path);
  };
  const paths = [...leaves(join(E, 'vgic-v2-level-spi-storm/vgic-v2-level-spi-storm.devrr')), ...leaves(join(E, 'vgic-v3-its-migration/vgic-v3-its-migration.devrr'))];
  for (const model of [vgicV2, vgicV3, vgicIts]) {
    for (const n of model.inspect!.migration!.notCarried) {
      expect(n.what.length, model.typeName).toBeGreaterThan(10);
      expect(n.why.length, model.typeName).toBeGreaterThan(10);
      for (const f of n.fields) expect(paths.some((p) => fieldCovers(f, p)), `${model.typeName}: ${f}`).toBe(true);
    }
  }
  expect(fieldCovers('gic.cpu[*].irq[*].owned', 'gic.cpu[1].irq[27].owned')).toBe(true);
  expect(fieldCovers('gic.cpu[*].irq[*].owned', 'gic.cpu[1].irq[27].enabled')).toBe(false);
  expect(fieldCovers('gic.lpi.*.enabled', 'gic.lpi.8192.enabled')).toBe(true);
  expect(fieldCovers('gic.ready', 'vm1.gic.ready')).toBe(false);
});

test('devrr migrate-check lists every check it counts, and says in words what it does not compare (text and --json)', async () => {
  const bad = join(E, 'migration-missing-cpu-regs/migration-bad.devrr');
  const text = await devrr('migrate-check', bad);
  expect(text.code).toBe(1);
  const head = text.out.split('\n')[0]!;
  const m = /^(\d+) migration check\(s\) at events ([\d, ]+) and on the recorded migration \(source saved by event (\d+), destination restored by event (\d+)\): 1 failed$/.exec(head);
  expect(m, head).not.toBeNull();
  expect(m![2]!.split(', ').length + 1).toBe(Number(m![1]));
  expect(text.out).toContain('  - gic.groups_user_writable: whether userspace may write GICD_IGROUPR');
  expect(text.out).not.toMatch(/\\\.|\$:|\^/); // no regular expressions
  const j = JSON.parse((await devrr('migrate-check', bad, '--json')).out);
  expect(j.checks).toBe(j.points.length + 1);
  expect(j.recorded).toEqual({ save: Number(m![3]), restore: Number(m![4]) });
  expect(j.failures[0].event).toBe(j.recorded.restore);
  expect(j.failures[0].fields.map((f: { path: string }) => f.path)).toEqual(['gic.cpu[0].ctlr.EnableGrp0', 'gic.cpu[0].pmr']);
  expect(j.not_compared).toContainEqual({ fields: ['gic.groups_user_writable'], what: expect.stringContaining('GICD_IGROUPR'), why: expect.stringContaining('GICD_IIDR') });
  for (const n of j.not_compared) expect(Object.keys(n).sort()).toEqual(['fields', 'what', 'why']);
});
