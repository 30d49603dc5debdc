/**
 * A failing call without `expect` is recorded as it is (the exit status
 * stays 0: exit 1 is for missed expectations only) but no longer silently:
 * `record` warns on stderr, one line per step (the first ten, then a count),
 * so a guessed field or a wrong number does not pass unnoticed (issue 8,
 * friction 3). A read whose value was expected but that failed is a miss.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { tempDir } from '../tmp.js';
import { devrr } from './run.js';

const root = tempDir();
let n = 0;

async function record(steps: unknown[]) {
  const dir = join(root, `w${n++}`);
  mkdirSync(dir);
  const file = join(dir, 's.json');
  writeFileSync(file, JSON.stringify({ arch: 'arm64', steps }));
  const trace = join(dir, 't.devrr');
  return { ...(await devrr('record', file, '-o', trace)), trace };
}

/** A GICv2 VM, initialised and run: 8 steps (events 1-8 after the VM's own create_vm, event 0). */
const GIC: unknown[] = [
  { op: 'create_vcpu', id: 0, expect: 0 },
  { op: 'create_vcpu', id: 1, expect: 0 },
  { op: 'create_device', type: 'KVM_DEV_TYPE_ARM_VGIC_V2', as: 'gic', expect: 0 },
  { op: 'set_attr', dev: 'gic', group: 'KVM_DEV_ARM_VGIC_GRP_ADDR', attr: 'KVM_VGIC_V2_ADDR_TYPE_DIST', value: '0x8000000', expect: 0 },
  { op: 'set_attr', dev: 'gic', group: 'KVM_DEV_ARM_VGIC_GRP_ADDR', attr: 'KVM_VGIC_V2_ADDR_TYPE_CPU', value: '0x8010000', expect: 0 },
  { op: 'set_attr', dev: 'gic', group: 'KVM_DEV_ARM_VGIC_GRP_CTRL', attr: 'KVM_DEV_ARM_VGIC_CTRL_INIT', expect: 0 },
  { op: 'run_vcpu', vcpu: 0, expect: 0 },
  { op: 'run_vcpu', vcpu: 1, expect: 0 },
];

test('{"op":"irq_line","irq":40,"level":1} without expect: recorded (-> ENXIO, a CPU-type line with an in-kernel irqchip), exit 0, and a warning that names the step', async () => {
  const r = await record([...GIC, { op: 'irq_line', irq: 40, level: 1 }]);
  expect(r.code).toBe(0);
  expect(r.out).toBe('');
  const lines = r.err.split('\n');
  expect(lines).toEqual([
    'warning: step 8 irq_line: failed with ENXIO, and the step has no "expect" (add "expect": "ENXIO" if that is what it should do)',
    `recorded 10 events to ${r.trace}; 1 step(s) failed with no "expect"`,
  ]);
  expect((await devrr('dump', r.trace, '--from', '9')).out).toMatch(/irq_line CPU 40 vcpu 0 level=1 -> ENXIO/);
});

test('the readable form of the line the user meant records without a warning', async () => {
  const r = await record([...GIC, { op: 'irq_line', spi: 40, level: 1 }]);
  expect(r.code).toBe(0);
  expect(r.err).not.toMatch(/warning/);
});

test('a failure the step expects is no warning; one it does not expect is a miss, as before', async () => {
  const r = await record([...GIC, { op: 'irq_line', irq: 40, level: 1, expect: 'ENXIO' }, { op: 'irq_line', irq: 40, level: 1, expect: 0 }]);
  expect(r.code).toBe(1);
  expect(r.out).toBe('step 9 irq_line: expected 0, got ENXIO');
  expect(r.err).not.toMatch(/warning/);
});

test('many failures: the first ten, then a count, and the exit status stays 0', async () => {
  const bad = Array.from({ length: 12 }, () => ({ op: 'has_attr', dev: 'gic', group: 99, attr: 0 }));
  const r = await record([...GIC, ...bad]);
  expect(r.code).toBe(0);
  const lines = r.err.split('\n');
  expect(lines.filter((l) => /^warning: step \d+ has_attr group 99: failed with ENXIO/.test(l))).toHaveLength(10);
  expect(lines).toContain('warning: and 2 more step(s) failed with no "expect"');
  expect(lines[lines.length - 1]).toMatch(/^recorded 21 events to .*; 12 step\(s\) failed with no "expect"$/);
});

test('a read whose value is expected but that fails is a missed expectation (exit 1), not a warning', async () => {
  const r = await record([
    { op: 'create_device', type: 'KVM_DEV_TYPE_ARM_VGIC_V2', as: 'gic', expect: 0 },
    { op: 'get_attr', dev: 'gic', group: 'KVM_DEV_ARM_VGIC_GRP_DIST_REGS', attr: 'GICD_TYPER', expect_value: '0x0' },
    { op: 'get_attr', dev: 'gic', group: 'KVM_DEV_ARM_VGIC_GRP_DIST_REGS', attr: 'GICD_TYPER', expect: 'EINVAL', expect_value: '0x0' },
  ]);
  expect(r.code).toBe(1);
  expect(r.out).toBe('step 1 get_attr KVM_DEV_ARM_VGIC_GRP_DIST_REGS: expected value 0x0, got EINVAL');
  expect(r.err).not.toMatch(/warning/);
});
