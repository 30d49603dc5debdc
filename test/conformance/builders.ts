/**
 * Small scenario builders for the conformance tests. Each returns one
 * scenario step (shared/spec/scenario.md) as a plain object, so a test reads
 * like the VMM's ioctl sequence it models. Nothing here runs anything: the
 * tests hand the finished document to `missesOf` / `runScenario`.
 */
import { expect } from 'vitest';
import { missesOf } from '../helpers.js';

export type Step = Record<string, unknown>;
export type Expect = 0 | string | string[];

export interface Doc {
  arch: string;
  ipa_bits?: number;
  steps: Step[];
}

export const V2 = 'KVM_DEV_TYPE_ARM_VGIC_V2';
export const V3 = 'KVM_DEV_TYPE_ARM_VGIC_V3';

export const GRP = {
  ADDR: 'KVM_DEV_ARM_VGIC_GRP_ADDR',
  DIST: 'KVM_DEV_ARM_VGIC_GRP_DIST_REGS',
  CPU: 'KVM_DEV_ARM_VGIC_GRP_CPU_REGS',
  NR_IRQS: 'KVM_DEV_ARM_VGIC_GRP_NR_IRQS',
  CTRL: 'KVM_DEV_ARM_VGIC_GRP_CTRL',
} as const;

export const DIST_ADDR = 'KVM_VGIC_V2_ADDR_TYPE_DIST';
export const CPU_ADDR = 'KVM_VGIC_V2_ADDR_TYPE_CPU';
export const INIT = 'KVM_DEV_ARM_VGIC_CTRL_INIT';

/** A scenario document; arm64 with a 40-bit IPA unless told otherwise. */
export function scenario(steps: Step[], opts: { arch?: string; ipa_bits?: number } = {}): Doc {
  const arch = opts.arch ?? 'arm64';
  return { arch, ...(arch === 'arm64' || opts.ipa_bits !== undefined ? { ipa_bits: opts.ipa_bits ?? 40 } : {}), steps };
}

/** 0x-prefixed hex string of a non-negative bigint or number (scenario values above 2^53 must be strings). */
export function hex(v: bigint | number): string {
  return `0x${BigInt(v).toString(16)}`;
}

// ---- ioctls ----------------------------------------------------------------

export const createVcpu = (id: number, exp: Expect = 0): Step => ({ op: 'create_vcpu', id, expect: exp });

/** `count` vcpus with ids 0..count-1, as vm_create_with_vcpus does. */
export const vcpus = (count: number, from = 0): Step[] => Array.from({ length: count }, (_, i) => createVcpu(from + i));

export const createDevice = (type: string | number, exp: Expect = 0, as = 'gic', flags?: string | number): Step => ({
  op: 'create_device',
  type,
  ...(flags !== undefined && { flags }),
  ...(as && { as }),
  expect: exp,
});

export const createGic = (exp: Expect = 0, as = 'gic'): Step => createDevice(V2, exp, as);

type AttrOpts = { dev?: string; value?: string | number; expect_value?: string | number; null_pointer?: boolean; note?: string };

export function setAttr(group: string | number, attr: string | number, value: string | number | undefined, exp: Expect = 0, o: AttrOpts = {}): Step {
  return { op: 'set_attr', dev: o.dev ?? 'gic', group, attr, ...(value !== undefined && { value }), ...(o.null_pointer && { null_pointer: true }), expect: exp, ...(o.note && { note: o.note }) };
}

export function getAttr(group: string | number, attr: string | number, exp: Expect = 0, expectValue?: string | number, o: AttrOpts = {}): Step {
  return {
    op: 'get_attr',
    dev: o.dev ?? 'gic',
    group,
    attr,
    ...(o.value !== undefined && { value: o.value }),
    ...(o.null_pointer && { null_pointer: true }),
    expect: exp,
    ...(expectValue !== undefined && { expect_value: expectValue }),
    ...(o.note && { note: o.note }),
  };
}

export function hasAttr(group: string | number, attr: string | number, exp: Expect = 0, o: AttrOpts = {}): Step {
  return { op: 'has_attr', dev: o.dev ?? 'gic', group, attr, ...(o.null_pointer && { null_pointer: true }), expect: exp };
}

export const setDist = (addr: string | number, exp: Expect = 0): Step => setAttr(GRP.ADDR, DIST_ADDR, addr, exp);
export const setCpu = (addr: string | number, exp: Expect = 0): Step => setAttr(GRP.ADDR, CPU_ADDR, addr, exp);
export const ctrlInit = (exp: Expect = 0): Step => setAttr(GRP.CTRL, INIT, undefined, exp);
export const setNrIrqs = (n: number | string, exp: Expect = 0): Step => setAttr(GRP.NR_IRQS, 0, n, exp);

/** DIST_REGS / CPU_REGS attr: vcpu id in bits 39:32, register offset in bits 31:0. */
export function regAttr(vcpuId: number, offset: number): string {
  return hex((BigInt(vcpuId) << 32n) | BigInt(offset));
}

export const legacyAddr = (id: string | number, addr: string | number, exp: Expect = 0): Step => ({ op: 'arm_set_device_addr', id, addr, expect: exp });

export const run = (vcpu: number, exp: Expect = 0): Step => ({ op: 'run_vcpu', vcpu, expect: exp });

/** KVM_IRQ_LINE's arm64 `irq` word (reference 5.1). */
export function irqWord(type: number, vcpu: number, num: number): string {
  const vcpu2 = (vcpu >> 8) & 0xf;
  return hex((((vcpu2 << 28) | (type << 24) | ((vcpu & 0xff) << 16) | num) >>> 0));
}

export const IRQ_TYPE = { CPU: 0, SPI: 1, PPI: 2 } as const;
export const irqLine = (irq: string | number, level: number, exp: Expect = 0): Step => ({ op: 'irq_line', irq, level, expect: exp });
export const spi = (num: number, level: number, exp: Expect = 0): Step => irqLine(irqWord(IRQ_TYPE.SPI, 0, num), level, exp);
export const ppi = (vcpu: number, num: number, level: number, exp: Expect = 0): Step => irqLine(irqWord(IRQ_TYPE.PPI, vcpu, num), level, exp);

// ---- guest accesses --------------------------------------------------------

export function mmioRead(vcpu: number, addr: number, expectValue?: number | string, len = 4, note?: string): Step {
  return { op: 'mmio', vcpu, dir: 'read', addr: hex(addr), len, ...(expectValue !== undefined && { expect_value: typeof expectValue === 'number' ? hex(expectValue >>> 0) : expectValue }), ...(note && { note }) };
}

export function mmioWrite(vcpu: number, addr: number, value: number | string, len = 4, note?: string): Step {
  return { op: 'mmio', vcpu, dir: 'write', addr: hex(addr), len, value: typeof value === 'number' ? hex(value >>> 0) : value, ...(note && { note }) };
}

// ---- checking --------------------------------------------------------------

/** Every expectation of the scenario holds. */
export function expectHolds(doc: Doc): void {
  expect(missesOf(doc)).toEqual([]);
}

/**
 * The same scenario with step `index` changed by `patch` (an opposite
 * expectation, say): returns the changed copy. The original is untouched.
 */
export function patched(doc: Doc, index: number, patch: Step): Doc {
  const steps = doc.steps.map((s, i) => (i === index ? { ...s, ...patch } : s));
  return { ...doc, steps };
}

/**
 * Shows the scenario can fail: with step `index` patched to the opposite
 * expectation, the run reports exactly `line` and nothing else.
 */
export function expectFlipMisses(doc: Doc, index: number, patch: Step, line: string): void {
  expect(index).toBeGreaterThanOrEqual(0);
  expect(index).toBeLessThan(doc.steps.length);
  expect(missesOf(patched(doc, index, patch))).toEqual([line]);
}

/** Index of the last step, for flipping the step a test is about. */
export function last(doc: Doc): number {
  return doc.steps.length - 1;
}
