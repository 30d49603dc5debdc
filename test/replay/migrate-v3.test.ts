/**
 * migrate-check on GICv3 and ITS VMs: the v3 and ITS migration specs carry
 * every example's state through the attributes (SAVE_PENDING_TABLES and
 * ITS_SAVE_TABLES on the source, guest RAM copied, the documented restore
 * order), and a save list that leaves something out is named by field path.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { Migration } from '../../devices/core/device.js';
import { VGIC_CTRL, VGIC_GRP } from '../../devices/core/uapi.js';
import { vgicIts } from '../../devices/arm-vgic/its/device.js';
import type { ItsState } from '../../devices/arm-vgic/its/state.js';
import { vgicV3 } from '../../devices/arm-vgic/v3/device.js';
import type { Vgic3State } from '../../devices/arm-vgic/v3/state.js';
import { DEVICE_MODELS } from '../../devices/registry.js';
import { recordScenario } from '../../recorder/record.js';
import { parseScenario } from '../../recorder/scenario.js';
import { traceHeader } from '../../recorder/trace-file.js';
import { migrateCheck, migrateCheckPoints } from '../../replay/migrate.js';
import { TraceReader } from '../../traces/reader.js';
import { TraceWriter } from '../../traces/writer.js';
import { tempDir } from '../tmp.js';

const E = 'traces/examples';
const traces = ['vgic-v3-bringup', 'vgic-v3-its-msi', 'vgic-v3-its-migration'].flatMap((d) =>
  readdirSync(join(E, d))
    .filter((n) => n.endsWith('.devrr'))
    .map((n) => join(E, d, n)),
);

const v3Spec = vgicV3.inspect!.migration!;
const itsSpec = vgicIts.inspect!.migration!;
afterEach(() => {
  (vgicV3.inspect as { migration?: Migration<Vgic3State> }).migration = v3Spec;
  (vgicIts.inspect as { migration?: Migration<ItsState> }).migration = itsSpec;
});

test('the registry serves the v3 and ITS models with their migration specs', () => {
  expect(DEVICE_MODELS.get(vgicV3.type)?.inspect?.migration).toBe(v3Spec);
  expect(DEVICE_MODELS.get(vgicIts.type)?.inspect?.migration).toBe(itsSpec);
});

describe.each(traces)('%s', (p) => {
  test('migrate-check passes', () => {
    const t = TraceReader.open(p);
    const r = migrateCheck(t);
    t.close();
    expect(r.checks).toBeGreaterThan(0);
    expect(r.failures).toEqual([]);
  });
});

test('the v3 restore follows the documented order', () => {
  const names = (w: { name: string }[]) => w.map((x) => x.name);
  const saved = [
    { group: VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, attr: 0x0n, name: 'GICR_CTLR (vcpu 0)', value: 1n },
    { group: VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_DIST_REGS, attr: 0x8n, name: 'GICD_IIDR', value: 0x4301043bn },
    { group: VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, attr: 0x78n, name: 'GICR_PENDBASER (vcpu 0)', value: 0x40110000n },
    { group: VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_NR_IRQS, attr: 0n, name: 'nr_irqs', value: 64n },
    { group: VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_DIST_REGS, attr: 0x100n + 4n, name: 'GICD_ISENABLER', value: 2n },
  ];
  const plan = v3Spec.restore(saved, new Map());
  expect(names(plan.writes)).toEqual(['nr_irqs', 'GICD_IIDR', 'CTRL_INIT', 'GICD_ICENABLER', 'GICD_ISENABLER', 'GICR_PENDBASER (vcpu 0)', 'GICR_CTLR (vcpu 0)']);
  expect(plan.redrive).toEqual([]);
  const its = itsSpec.restore(
    ['GITS_CTLR', 'GITS_CWRITER', 'GITS_CREADR', 'GITS_CBASER', 'GITS_BASER1', 'GITS_BASER0', 'GITS_IIDR', 'ITS base'].map((name) => ({ group: 0, attr: 0n, name, value: 1n })),
    new Map(),
  );
  expect(names(its.writes)).toEqual(['ITS base', 'GITS_IIDR', 'GITS_BASER0', 'GITS_BASER1', 'GITS_CBASER', 'GITS_CREADR', 'GITS_CWRITER', 'ITS_RESTORE_TABLES', 'GITS_CTLR']);
  expect(itsSpec.saveActions?.map((a) => a.attr)).toEqual([BigInt(VGIC_CTRL.KVM_DEV_ARM_ITS_SAVE_TABLES)]);
  expect(v3Spec.saveActions?.map((a) => a.attr)).toEqual([BigInt(VGIC_CTRL.KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES)]);
});

test('a save list missing the CPU_SYSREGS group: migrate-check names the ICC state that did not cross', () => {
  (vgicV3.inspect as { migration?: Migration<Vgic3State> }).migration = {
    ...v3Spec,
    saveList: (vm, s) => v3Spec.saveList(vm, s).filter((a) => a.group !== VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS),
  };
  const t = TraceReader.open(join(E, 'vgic-v3-bringup/vgic-v3-bringup.devrr'));
  const r = migrateCheckPoints(t, [28]);
  t.close();
  expect(r.points).toEqual([28]);
  expect(r.failures).toEqual([
    {
      event: 28,
      kind: 'restore',
      fields: [
        { path: 'gic.cpu[0].icc.igrpen1', a: true, b: false },
        { path: 'gic.cpu[0].icc.pmr', a: 0xf0, b: 0 },
        { path: 'gic.cpu[1].icc.igrpen1', a: true, b: false },
        { path: 'gic.cpu[1].icc.pmr', a: 0xf0, b: 0 },
      ],
    },
  ]);
});

test('an ITS migration without ITS_SAVE_TABLES loses the device, its event and the LPI it feeds', () => {
  (vgicIts.inspect as { migration?: Migration<ItsState> }).migration = { ...itsSpec, saveActions: [] };
  const t = TraceReader.open(join(E, 'vgic-v3-its-msi/vgic-v3-its-msi.devrr'));
  const r = migrateCheckPoints(t, [35]);
  t.close();
  expect(r.failures).toHaveLength(1);
  expect(r.failures[0]!.kind).toBe('restore');
  expect(r.failures[0]!.fields.map((f) => f.path)).toEqual(['gic.lpi.8192', 'its.collection.1', 'its.device.16']);
});

test('migrate-check at every event of the ITS example: the two-sided replay after a restore finds the behaviour difference at event 41 from points 40 and 41 (each side first replayed on the fast paths against the recording, then compared event by event)', () => {
  const t = TraceReader.open(join(E, 'vgic-v3-its-msi/vgic-v3-its-msi.devrr'));
  const r = migrateCheck(t, 1);
  t.close();
  const behaviour = r.failures.filter((f) => f.kind === 'behaviour');
  expect(behaviour.map((f) => [f.event, f.divergence?.event])).toEqual([
    [40, 41],
    [41, 41],
  ]);
  // Every other point replays to the end of the trace with both sides giving the same results.
  expect(r.failures.filter((f) => f.kind !== 'behaviour' && f.kind !== 'recorded').every((f) => f.kind === 'restore')).toBe(true);
});

test('an ITS created before the VGIC is still restored after it (the irqchip restores first)', () => {
  const name = 'vgic-v3-its-msi/vgic-v3-its-msi.json';
  const sc = JSON.parse(readFileSync(join(E, name), 'utf8')) as { steps: { op: string; type?: string }[] };
  const at = (type: string) => sc.steps.findIndex((x) => x.op === 'create_device' && x.type === type);
  const [its] = sc.steps.splice(at('KVM_DEV_TYPE_ARM_VGIC_ITS'), 1);
  sc.steps.splice(at('KVM_DEV_TYPE_ARM_VGIC_V3'), 0, its!);
  const parsed = parseScenario(JSON.stringify(sc), name);
  const out = join(tempDir(), 'its-first.devrr');
  const w = TraceWriter.create(out, traceHeader(parsed, 16));
  const rec = recordScenario(parsed, { append: (ev) => w.append(ev), checkpoint: (e, st, d) => w.checkpoint(e, st, d) }, { checkpointEvery: 16, finalCheckpoint: true });
  w.close();
  expect(rec.misses).toEqual([]);
  const t = TraceReader.open(out);
  expect([...t.events(0, t.eventCount)].filter((e) => e.kind === 'create_device').map((e) => (e as { type: number }).type)).toEqual([vgicIts.type, vgicV3.type]);
  const r = migrateCheck(t, 1);
  t.close();
  expect(r.checks).toBeGreaterThan(10);
  // Dense points include the window where the guest changed LPI 8193's property byte without INV (see the limits in migration.ts).
  expect(r.failures.filter((f) => f.kind === 'restore')).toEqual([]);
});
