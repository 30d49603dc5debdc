/**
 * The debugger on the XICS (ppc64) as on the GIC, on the bundled story
 * traces/examples/xics-queued-across-migration: dump names every group,
 * attribute and hypercall with its kernel name; a watchpoint on a P/Q bit
 * and an interrupt breakpoint on source 4096 stop where they should (raise
 * at KVM_IRQ_LINE, acknowledge at H_XIRR, complete at H_EOI); diff, explain,
 * migrate-check and bisect --against name the dropped P/Q bits.
 */
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { bisectAgainst } from '../../replay/bisect.js';
import { describeEvent, eventToJson } from '../../replay/decode.js';
import { diffStates, stateAt } from '../../replay/diff.js';
import { explain } from '../../replay/explain.js';
import { migrateCheck } from '../../replay/migrate.js';
import { Timeline } from '../../replay/timeline.js';
import { TraceReader } from '../../traces/reader.js';

const E = 'traces/examples/xics-queued-across-migration';
const open = (p: string) => TraceReader.open(join(E, p));

test('dump: the group, the source, its word, each hypercall and its result by their kernel names', () => {
  const t = open('xics-pq-bad.devrr');
  const tl = new Timeline(t);
  const lines: string[] = [];
  for (let i = 0; i < t.eventCount; i++) {
    tl.seek(i);
    lines.push(describeEvent(tl.event(i), tl.point()));
  }
  const text = lines.join('\n');
  expect(text).toContain('create_device KVM_DEV_TYPE_XICS');
  expect(text).toContain('enable_cap KVM_CAP_IRQ_XICS vcpu 1');
  expect(text).toMatch(/get_attr dev 0 \(kvm-xics\) KVM_DEV_XICS_GRP_SOURCES source 4096 \(0x1000\) -> 0x180500000000 \[server 0x0 priority 0x5 PRESENTED QUEUED\]/);
  expect(text).toMatch(/hcall vcpu 0 H_CPPR args=\[0xff\] -> 0x0 \[CPPR 0xff: H_SUCCESS\]/);
  expect(text).toMatch(/hcall vcpu 0 H_XIRR args=\[\] -> 0xff001000 \[accept: CPPR 0xff XISR source 4096 \(0x1000\)\]/);
  expect(text).toMatch(/hcall vcpu 0 H_EOI args=\[0xff001000\] -> 0x0 \[CPPR 0xff XISR source 4096 \(0x1000\): H_SUCCESS\]/);
  // KVM_DEV_XICS_GRP_CTRL (2) on the XICS is named as the XICS's group, not as the VGIC's group 2.
  const ctrl = { kind: 'get_attr' as const, vm: 0, target: { kind: 'device' as const, handle: 0 }, group: 2, attr: 1n, errno: 6 };
  tl.seek(5);
  expect(describeEvent(ctrl, tl.point())).toMatch(/KVM_DEV_XICS_GRP_CTRL KVM_DEV_XICS_NR_SERVERS -> ENXIO/);
  tl.seek(9);
  expect(eventToJson(tl.event(9), 9, tl.point())).toMatchObject({ kind: 'hcall', hcall_name: 'H_XIRR', ret: '0xff001000', decoded: 'accept: CPPR 0xff XISR source 4096 (0x1000)' });
});

test('a watchpoint on xics.source[4096].queued stops where the source comes to exist (event 6, the GRP_SOURCES write) and at the second MSI (event 10); an interrupt breakpoint on 4096 stops at its raise, acknowledge and complete', () => {
  const tl = new Timeline(open('xics-pq-good.devrr'));
  const watch = [{ kind: 'watch' as const, path: 'xics.source[4096].queued' }];
  expect(tl.runForward(watch)).toMatchObject({ event: 6, before: undefined, after: false });
  expect(tl.runForward(watch)).toMatchObject({ event: 10, before: false, after: true });
  tl.seek(0);
  const stops: number[] = [];
  for (let h = tl.runForward([{ kind: 'event', match: { irq: 4096 } }]); h; h = tl.runForward([{ kind: 'event', match: { irq: 4096 } }])) stops.push(h.event);
  // 8 raise, 9 H_XIRR acknowledge, 10 raise, 24 H_EOI complete, 25 H_XIRR acknowledge, 26 H_EOI complete.
  expect(stops).toEqual([8, 9, 10, 24, 25, 26]);
  tl.seek(9);
  const at = tl.point()!;
  expect(at.inspector.interruptEffects(at.state, tl.event(9))).toEqual([{ action: 'acknowledge', irq: 4096, vcpu: 0 }]);
});

test('diff: between the two MSIs the source gains Q and the ICP hands the interrupt to the guest', () => {
  const t = open('xics-pq-good.devrr');
  const f = diffStates(stateAt(t, 9), stateAt(t, 11));
  expect(f).toContainEqual({ path: 'xics.source[4096].queued', a: false, b: true });
  expect(f).toContainEqual({ path: 'xics.icp[0].xisr', a: 4096, b: 0 });
  expect(f).toContainEqual({ path: 'xics.icp[0].cppr', a: 0xff, b: 5 });
  // The one-reg word a VMM would save (kvmppc_xics_get_icp): CPPR 63:56, XISR 55:32, MFRR 31:24, pending priority 23:16.
  expect(f).toContainEqual({ path: 'xics.icp[0].icp_state', a: 0xff00_1000_ff05_0000n, b: 0x0500_0000_ffff_0000n });
});

test('explain: on the bad destination source 4096 is blocked only by "triggered: P set", last changed by event 20 (the restore write); on the good one it is presented', () => {
  const bad = explain(open('xics-pq-bad.devrr'), 4096, undefined, 1);
  expect(bad.deliverableTo).toEqual([]);
  expect(bad.blocking.map((c) => c.name)).toEqual(['triggered: P set (MSI: KVM_IRQ_LINE 1)']);
  expect(bad.blocking[0]!.changedBy.map((c) => c.event)).toContain(20);
  const good = explain(open('xics-pq-good.devrr'), 4096, 25, 1);
  expect(good.deliverableTo).toEqual([0]);
});

test('migrate-check: the recorded migration of the bad VMM lost P and Q; the good one carried them', () => {
  const bad = migrateCheck(open('xics-pq-bad.devrr'));
  const rec = bad.failures.find((f) => f.kind === 'recorded')!;
  expect(rec.fields).toEqual([
    { path: 'xics.source[4096].presented', a: true, b: false },
    { path: 'xics.source[4096].queued', a: true, b: false },
    { path: 'xics.source[4096].word', a: 0x180500000000n, b: 0x500000000n },
  ]);
  // The ICPs cross too (KVM_GET/SET_ONE_REG KVM_REG_PPC_ICP_STATE): the bad VMM differs in P and Q only.
  expect(rec.fields.some((f) => f.path.startsWith('xics.icp'))).toBe(false);
  const good = migrateCheck(open('xics-pq-good.devrr'));
  expect(good.failures).toEqual([]);
  expect(good.recorded).toEqual({ save: 13, restore: 22 });
  expect(good.notCompared.join('\n')).not.toMatch(/xics\.icp\[\*\]\.cppr/);
});

test('migrate-check round trips through the models connect the vcpus first, restore the sources, then each ICP (KVM_SET_ONE_REG): every point passes, event 9 (source 0x1000 in server 0\'s XISR) included', () => {
  const r = migrateCheck(open('xics-pq-good.devrr'), 1);
  expect(r.points).toContain(9);
  expect(r.failures).toEqual([]);
});

test('dump and dump --json: one_reg events name KVM_REG_PPC_ICP_STATE and decode the ICP word', () => {
  const t = open('xics-pq-good.devrr');
  const tl = new Timeline(t);
  tl.seek(12);
  expect(describeEvent(tl.event(12), tl.point())).toMatch(/^one_reg vcpu 0 get KVM_REG_PPC_ICP_STATE -> 0x5000000ffff0000 \[CPPR 0x5 XISR none MFRR 0xff pending priority 0xff\]/);
  tl.seek(21);
  expect(eventToJson(tl.event(21), 21, tl.point())).toMatchObject({ kind: 'one_reg', vm: 1, vcpu: 0, write: true, id: '0x103000000000008c', reg_name: 'KVM_REG_PPC_ICP_STATE', decoded: 'CPPR 0x5 XISR none MFRR 0xff pending priority 0xff' });
});

test('bisect --against: the two VMMs differ first at event 20, the restore write of source 4096', () => {
  const r = bisectAgainst(open('xics-pq-bad.devrr'), open('xics-pq-good.devrr'));
  expect(r.first_divergence?.event).toBe(20);
  expect(r.first_divergence?.fields).toContainEqual({ path: 'vm1.xics.source[4096].queued', a: false, b: true });
});
