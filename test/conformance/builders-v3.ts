/**
 * Scenario builders for the GICv3 and ITS conformance tests, beside
 * builders.ts (which they reuse): attr encodings (MPIDR-keyed registers,
 * redistributor region words, sysreg encodings, LEVEL_INFO), the guest ops
 * devrr adds (sysreg, mem_write, mem_read, signal_msi), ITS commands as the
 * bytes a guest writes into its command queue, and the usual bring-up.
 */
import { getAttr, GRP, hex, setAttr, type Step, type Expect, vcpus } from './builders.js';

export const V3 = 'KVM_DEV_TYPE_ARM_VGIC_V3';
export const ITS = 'KVM_DEV_TYPE_ARM_VGIC_ITS';

export const GRP3 = {
  ...GRP,
  REDIST: 'KVM_DEV_ARM_VGIC_GRP_REDIST_REGS',
  SYSREGS: 'KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS',
  LEVEL: 'KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO',
  ITS_REGS: 'KVM_DEV_ARM_VGIC_GRP_ITS_REGS',
  MAINT: 'KVM_DEV_ARM_VGIC_GRP_MAINT_IRQ',
} as const;

export const ADDR3 = {
  DIST: 'KVM_VGIC_V3_ADDR_TYPE_DIST',
  REDIST: 'KVM_VGIC_V3_ADDR_TYPE_REDIST',
  REGION: 'KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION',
  ITS: 'KVM_VGIC_ITS_ADDR_TYPE',
} as const;

/** REDIST_REGION_ATTR_ADDR(count, base, flags, index) of the kernel selftests. */
export function regionWord(count: number, base: bigint | number, flags: number, index: number): string {
  return hex((BigInt(count) << 52n) | BigInt(base) | (BigInt(flags) << 12n) | BigInt(index));
}

/** The affinity KVM gives vcpu `id` (Aff2.Aff1.Aff0). */
export function aff(id: number): number {
  return (id & 0xf) | (((id >> 4) & 0xff) << 8) | (((id >> 12) & 0xff) << 16);
}

/** REDIST_REGS / CPU_SYSREGS / LEVEL_INFO attr: the vcpu's MPIDR in bits 63:32. */
export function mpidrAttr(vcpuId: number, low: number | bigint): string {
  return hex((BigInt(aff(vcpuId)) << 32n) | BigInt(low));
}

/** The selftest's REG_OFFSET(vcpu, offset): the raw number in bits 63:32 (Aff0 only for ids < 16). */
export const regOffset = (vcpu: number, offset: number): string => hex((BigInt(vcpu) << 32n) | BigInt(offset));

export const ICC = {
  PMR: 0xc230,
  IAR0: 0xc640,
  EOIR0: 0xc641,
  HPPIR0: 0xc642,
  BPR0: 0xc643,
  AP0R0: 0xc644,
  AP0R1: 0xc645,
  AP1R0: 0xc648,
  AP1R3: 0xc64b,
  DIR: 0xc659,
  RPR: 0xc65b,
  SGI1R: 0xc65d,
  ASGI1R: 0xc65e,
  SGI0R: 0xc65f,
  IAR1: 0xc660,
  EOIR1: 0xc661,
  HPPIR1: 0xc662,
  BPR1: 0xc663,
  CTLR: 0xc664,
  SRE: 0xc665,
  IGRPEN0: 0xc666,
  IGRPEN1: 0xc667,
} as const;

type Val = number | string | bigint;
const v = (x: Val) => (typeof x === 'bigint' ? hex(x) : typeof x === 'number' ? hex(x) : x);

export function sysregRead(vcpu: number, reg: string | number, expectValue?: Val, note?: string): Step {
  return { op: 'sysreg', vcpu, dir: 'read', reg, ...(expectValue !== undefined && { expect_value: v(expectValue) }), ...(note && { note }) };
}

export function sysregWrite(vcpu: number, reg: string | number, value: Val, note?: string): Step {
  return { op: 'sysreg', vcpu, dir: 'write', reg, value: v(value), ...(note && { note }) };
}

export const memWrite = (addr: Val, data: string, exp: Expect = 0): Step => ({ op: 'mem_write', addr: v(addr), data, expect: exp });
export const memRead = (addr: Val, expectData: string, exp: Expect = 0): Step => ({ op: 'mem_read', addr: v(addr), len: expectData.length / 2, expect_data: expectData, expect: exp });

export function msi(address: Val, devid: number, eventid: number, expectValue?: 0 | 1, exp: Expect = 0, flags?: string | number): Step {
  return { op: 'signal_msi', address: v(address), data: eventid, devid, ...(flags !== undefined && { flags }), expect: exp, ...(expectValue !== undefined && { expect_value: expectValue }) };
}

/** Little-endian hex of 64-bit words. */
export function le64(...words: bigint[]): string {
  return words
    .map((w) => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt.asUintN(64, w));
      return b.toString('hex');
    })
    .join('');
}

const cmd = (op: number, devid: number, w1: bigint, w2: bigint, w3 = 0n) => le64(BigInt(op) | (BigInt(devid) << 32n), w1, w2, w3);
const V = 1n << 63n;

/** ITS commands (IHI 0069 5.3) as the 32 bytes a guest queues. */
export const CMD = {
  MAPD: (dev: number, itt: number, eventBits: number, valid = true) => cmd(0x08, dev, BigInt(eventBits - 1), (valid ? V : 0n) | BigInt(itt)),
  MAPC: (icid: number, rdbase: number, valid = true) => cmd(0x09, 0, 0n, (valid ? V : 0n) | (BigInt(rdbase) << 16n) | BigInt(icid)),
  MAPTI: (dev: number, ev: number, lpi: number, icid: number) => cmd(0x0a, dev, BigInt(ev) | (BigInt(lpi) << 32n), BigInt(icid)),
  MAPI: (dev: number, ev: number, icid: number) => cmd(0x0b, dev, BigInt(ev), BigInt(icid)),
  MOVI: (dev: number, ev: number, icid: number) => cmd(0x01, dev, BigInt(ev), BigInt(icid)),
  DISCARD: (dev: number, ev: number) => cmd(0x0f, dev, BigInt(ev), 0n),
  INV: (dev: number, ev: number) => cmd(0x0c, dev, BigInt(ev), 0n),
  INVALL: (icid: number) => cmd(0x0d, 0, 0n, BigInt(icid)),
  INT: (dev: number, ev: number) => cmd(0x03, dev, BigInt(ev), 0n),
  CLEAR: (dev: number, ev: number) => cmd(0x04, dev, BigInt(ev), 0n),
  SYNC: (rdbase: number) => cmd(0x05, 0, 0n, BigInt(rdbase) << 16n),
  MOVALL: (from: number, to: number) => cmd(0x0e, 0, 0n, BigInt(from) << 16n, BigInt(to) << 16n),
};

/** The guest physical map the tests use. */
export const MAP = {
  DIST: 0x8000000,
  REDIST: 0x80a0000,
  ITS: 0x8080000,
  PROP: 0x40000000,
  PEND: 0x40100000, // vcpu i's pending table at PEND + i * 0x10000
  DEVT: 0x40200000,
  COLLT: 0x40210000,
  CMDQ: 0x40220000,
  ITT: 0x40230000, // device d's ITT at ITT + d * 0x1000
} as const;

export const gicrBase = (vcpuIndex: number) => MAP.REDIST + vcpuIndex * 0x20000;

/** `n` vcpus, a v3 VGIC with the distributor and a legacy redistributor region at MAP, initialised. */
export function v3Bringup(n: number, opts: { nrIrqs?: number; init?: boolean } = {}): Step[] {
  return [
    ...vcpus(n),
    { op: 'create_device', type: V3, as: 'gic', expect: 0 },
    ...(opts.nrIrqs ? [setAttr(GRP.NR_IRQS, 0, opts.nrIrqs)] : []),
    setAttr(GRP.ADDR, ADDR3.DIST, hex(MAP.DIST)),
    setAttr(GRP.ADDR, ADDR3.REDIST, hex(MAP.REDIST)),
    ...(opts.init === false ? [] : [setAttr(GRP.CTRL, 'KVM_DEV_ARM_VGIC_CTRL_INIT', undefined)]),
  ];
}

/**
 * An ITS at MAP.ITS with its tables, the LPI property table (all LPIs
 * enabled at priority 0xa0), each vcpu's pending table, LPIs enabled on
 * every redistributor, the ITS enabled, the distributor enabled and each
 * vcpu's CPU interface open for group 1. `n` is the vcpu count.
 */
export function itsBringup(n: number): Step[] {
  const steps: Step[] = [
    { op: 'create_device', type: ITS, as: 'its', expect: 0 },
    setAttr(GRP.ADDR, ADDR3.ITS, hex(MAP.ITS), 0, { dev: 'its' }),
    memWrite(MAP.PROP, 'a1'.repeat(64)),
    { op: 'mmio', vcpu: 0, dir: 'write', addr: hex(MAP.DIST), len: 4, value: '0x12' },
  ];
  for (let i = 0; i < n; i++) {
    if (i === 0) steps.push({ op: 'mmio', vcpu: 0, dir: 'write', addr: hex(gicrBase(0) + 0x70), len: 8, value: hex(BigInt(MAP.PROP) | 0xfn) });
    steps.push({ op: 'mmio', vcpu: i, dir: 'write', addr: hex(gicrBase(i) + 0x78), len: 8, value: hex(MAP.PEND + i * 0x10000) });
    steps.push({ op: 'mmio', vcpu: i, dir: 'write', addr: hex(gicrBase(i)), len: 4, value: '0x1' });
    steps.push(sysregWrite(i, 'ICC_PMR_EL1', 0xf0), sysregWrite(i, 'ICC_IGRPEN1_EL1', 1));
  }
  steps.push(
    { op: 'mmio', vcpu: 0, dir: 'write', addr: hex(MAP.ITS + 0x100), len: 8, value: hex((1n << 63n) | BigInt(MAP.DEVT)) },
    { op: 'mmio', vcpu: 0, dir: 'write', addr: hex(MAP.ITS + 0x108), len: 8, value: hex((1n << 63n) | BigInt(MAP.COLLT)) },
    { op: 'mmio', vcpu: 0, dir: 'write', addr: hex(MAP.ITS + 0x80), len: 8, value: hex((1n << 63n) | BigInt(MAP.CMDQ)) },
    { op: 'mmio', vcpu: 0, dir: 'write', addr: hex(MAP.ITS), len: 4, value: '0x1' },
  );
  return steps;
}

/**
 * Queues commands at CWRITER's current position `at` (in commands) and moves
 * CWRITER past them. Returns the steps and the new position.
 */
export function queue(at: number, ...cmds: string[]): { steps: Step[]; at: number } {
  const next = at + cmds.length;
  return {
    steps: [memWrite(MAP.CMDQ + at * 32, cmds.join('')), { op: 'mmio', vcpu: 0, dir: 'write', addr: hex(MAP.ITS + 0x88), len: 8, value: hex(next * 32) }],
    at: next,
  };
}

export const itsGet = (attr: number | string, exp: Expect = 0, expectValue?: string | number): Step => getAttr(GRP3.ITS_REGS, attr, exp, expectValue, { dev: 'its' });
export const itsSet = (attr: number | string, value: string | number | undefined, exp: Expect = 0): Step => setAttr(GRP3.ITS_REGS, attr, value, exp, { dev: 'its' });
export const itsCtrl = (attr: string, exp: Expect = 0): Step => setAttr(GRP.CTRL, attr, undefined, exp, { dev: 'its' });
