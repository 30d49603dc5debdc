/**
 * The real capture's irqchip sequence as a scenario
 * (scenarios/x86-capture-irqchip.json, made by x86-capture-scenario.ts):
 * recorded through the ops, every expectation holds (each KVM_GET_IRQCHIP
 * answer is the capture's raw bytes, irqchip_states.json's snapshots among
 * them), and the trace replays with no divergence and passes migrate-check.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { devrr } from '../cli/run.js';
import { tempDir } from '../tmp.js';
import { captureScenario } from './x86-capture-scenario.js';
import { captureAvailable, loadListing, loadLog, loadStates } from './x86-capture.js';

const FILE = 'test/conformance/scenarios/x86-capture-irqchip.json';
const dir = tempDir();
const scenario = JSON.parse(readFileSync(FILE, 'utf8')) as { steps: Record<string, any>[] };

describe.skipIf(!captureAvailable)('the scenario is the capture, op for op', () => {
  test('regenerating it from userspace_log.json and guest_code.json gives the file', () => {
    const listing = loadListing('vmA');
    const made = captureScenario(loadLog(), (at) => listing.find((l) => l.addr === at)?.asm);
    expect(JSON.parse(JSON.stringify(made))).toEqual(scenario);
  });

  test("its get_irqchip steps expect every snapshot of irqchip_states.json, raw byte for raw byte (kvm_vm_ioctl_get_irqchip)", () => {
    const wanted = new Set(scenario.steps.filter((s) => s.op === 'get_irqchip').map((s) => s.expect_data as string));
    let n = 0;
    for (const snap of loadStates()) {
      for (const key of ['PIC_MASTER', 'PIC_SLAVE', 'IOAPIC']) {
        expect(wanted.has(snap[key].raw_hex), `${snap.label} ${key}`).toBe(true);
        n++;
      }
    }
    expect(n).toBe(30);
  });
});

describe('recorded through the ops (create_irqchip, get/set_irqchip, get/set_lapic, irq_line status, take_interrupt, pio)', () => {
  const out = join(dir, 'capture.devrr');

  test('every expectation holds: 31 KVM_GET_IRQCHIP answers are the capture\'s bytes, the statuses 1 1 1 2, the vectors taken 0x2a 0x24 0x41 0x34 0x2a', async () => {
    const kinds = scenario.steps.map((s) => s.op);
    expect(kinds.filter((k) => k === 'get_irqchip')).toHaveLength(31);
    expect(scenario.steps.filter((s) => s.status).map((s) => s.expect_value)).toEqual([1, 1, 1, 2]);
    expect(scenario.steps.filter((s) => s.op === 'take_interrupt').map((s) => s.expect_value)).toEqual(['0x2a', '0x24', '0x41', '0x34', '0x2a']);
    const r = await devrr('record', FILE, '-o', out, '--checkpoint-every', '64');
    expect(`${r.out}\n${r.err}`).not.toMatch(/expected .*, got /);
    expect(r.code).toBe(0);
  });

  test('the trace replays with no divergence', async () => {
    const r = await devrr('replay', out);
    expect([r.code, r.out]).toEqual([0, expect.stringMatching(/no divergence/)]);
  });

  test('migrate-check passes at every point: KVM_CREATE_IRQCHIP before the vcpus, the chips and the LAPIC by get/set', async () => {
    const r = await devrr('migrate-check', out, '--every', '16');
    expect(r.out).toMatch(/all passed/);
    expect(r.code).toBe(0);
  });
});
