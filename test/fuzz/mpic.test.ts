/**
 * The FSL MPIC (arch/powerpc/kvm/mpic.c) under random guest and VMM
 * activity: register writes through the guest frame and through
 * KVM_DEV_MPIC_GRP_REGISTER, KVM_IRQ_LINE, KVM_SIGNAL_MSI, IRQ_ACTIVE,
 * IACK and EOI, on a 2.0 or a 4.2 with random vcpu connections
 * (kvmppc_mpic_connect_vcpu). Nothing throws; every result is an errno;
 * and save -> restore -> save through the attributes (the save list and
 * restore order of devices/fsl-mpic/migration.ts, with the vcpus connected
 * first) is a fixed point: every saved attribute reads back the same.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAP, DEV_TYPE } from '../../devices/core/uapi.js';
import type { Vm } from '../../devices/core/vm.js';
import { createVm } from '../../devices/registry.js';
import type { MpicState } from '../../devices/fsl-mpic/state.js';
import { MPIC_GRP } from '../../devices/fsl-mpic/uapi.js';
import { fixedPointDiffs, migrateModelVm, saveAttrs } from './lib/devices.js';

const BASE = 0xfe0040000;

/** Offsets worth writing: global registers, timers, MSIIR, sources' IVPR/IDR/ILR, per-CPU pages. */
const offsetArb = fc.oneof(
  // IPIDR1-3 (0x50-0x70) are left out: IPIs 1-3 pending is state IRQ_ACTIVE cannot carry (the test below).
  fc.constantFrom(0x40, 0x80, 0xb0, 0x1020, 0x10a0, 0x10b0, 0x10e0, 0x10f0, 0x1110, 0x1120, 0x1130, 0x1150, 0x1160, 0x1740),
  fc.nat(7).chain((n) => fc.constantFrom(0x10000 + n * 0x20, 0x10010 + n * 0x20, 0x10018 + n * 0x20)),
  fc.nat(3).chain((c) => fc.constantFrom(0x20040 + c * 0x1000, 0x20080 + c * 0x1000, 0x200b0 + c * 0x1000)),
  fc.nat(3).map((k) => 0x10000 + (224 + k) * 0x20),
);
/** Values with the interesting bits: unmasked, priorities, sense, CI/EP, GCR mode and reset (rarely). */
const valueArb = fc.oneof(
  fc.record({ p: fc.nat(15), v: fc.nat(0xff), s: fc.boolean(), m: fc.boolean() }).map(({ p, v, s, m }) => ((m ? 0x80000000 : 0) | (s ? 0x400000 : 0) | (p << 16) | v) >>> 0),
  fc.nat(15),
  fc.constantFrom(1, 2, 3, 0x40000001, 0x80000000, 0x20000000, 0x60000000),
  fc.nat(7).chain((srs) => fc.nat(31).map((ibs) => ((srs << 29) | (ibs << 24)) >>> 0)),
  fc.nat({ max: 0xffffffff }),
);

type Action =
  | { a: 'write'; vcpu: number; off: number; value: number }
  | { a: 'reg'; off: number; value: number }
  | { a: 'iack'; vcpu: number; cpuPage: boolean }
  | { a: 'eoi'; vcpu: number }
  | { a: 'line'; gsi: number; level: number }
  | { a: 'msi'; data: number }
  | { a: 'active'; n: number; v: number }
  | { a: 'arm'; vcpu: number; n: number; p: number; level: boolean };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ a: fc.constant('write' as const), vcpu: fc.nat(3), off: offsetArb, value: valueArb }) },
  { weight: 2, arbitrary: fc.record({ a: fc.constant('reg' as const), off: offsetArb, value: valueArb }) },
  { weight: 3, arbitrary: fc.record({ a: fc.constant('iack' as const), vcpu: fc.nat(3), cpuPage: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ a: fc.constant('eoi' as const), vcpu: fc.nat(3) }) },
  { weight: 4, arbitrary: fc.record({ a: fc.constant('line' as const), gsi: fc.oneof(fc.nat(7), fc.nat(255)), level: fc.constantFrom(0, 1) }) },
  { weight: 1, arbitrary: fc.record({ a: fc.constant('msi' as const), data: valueArb }) },
  { weight: 1, arbitrary: fc.record({ a: fc.constant('active' as const), n: fc.nat(256), v: fc.nat(1) }) },
  // A source made deliverable to the vcpu's CPU, the way a guest driver sets one up: IDR, IVPR unmasked, CTPR 0.
  { weight: 3, arbitrary: fc.record({ a: fc.constant('arm' as const), vcpu: fc.nat(3), n: fc.oneof(fc.nat(7), fc.constantFrom(20, 224, 225)), p: fc.integer({ min: 1, max: 15 }), level: fc.boolean() }) },
);

const programArb = fc.record({
  type: fc.constantFrom(DEV_TYPE.KVM_DEV_TYPE_FSL_MPIC_20, DEV_TYPE.KVM_DEV_TYPE_FSL_MPIC_42),
  vcpus: fc.integer({ min: 1, max: 4 }),
  /**
   * The CPU number each vcpu connects as (-1: not connected); vcpu 0 always
   * connects: with no CPU connected the save is not a fixed point (the
   * known case tested below).
   */
  cpus: fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: -1, max: 5 }), fc.integer({ min: -1, max: 5 }), fc.integer({ min: -1, max: 5 })),
  actions: fc.array(actionArb, { minLength: 5, maxLength: 60, size: 'max' }),
});

function run(p: { type: number; vcpus: number; cpus: number[]; actions: Action[] }): Vm {
  const vm = createVm('ppc64');
  for (let i = 0; i < p.vcpus; i++) expect(vm.createVcpu(i)).toBe(0);
  const h = vm.createDevice(p.type, 0).handle;
  expect(vm.setAttr({ kind: 'device', handle: h }, MPIC_GRP.KVM_DEV_MPIC_GRP_MISC, 0n, { nullPtr: false, value: BigInt(BASE) })).toBe(0);
  for (let i = 0; i < p.vcpus; i++) if (p.cpus[i]! >= 0) vm.enableCap(i, CAP.KVM_CAP_IRQ_MPIC, [BigInt(h), BigInt(p.cpus[i]!)]);
  const dev = { kind: 'device' as const, handle: h };
  for (const a of p.actions) {
    const vcpu = 'vcpu' in a ? a.vcpu % p.vcpus : 0;
    let e = 0;
    switch (a.a) {
      case 'write':
        e = vm.mmio(vcpu, true, BASE + a.off, 4, BigInt(a.value)).errno;
        break;
      case 'reg':
        e = vm.setAttr(dev, MPIC_GRP.KVM_DEV_MPIC_GRP_REGISTER, BigInt(a.off), { nullPtr: false, value: BigInt(a.value) });
        break;
      case 'iack': {
        const cpu = (vm.state.devices[h]!.state as MpicState).vcpuCpu[vcpu]!;
        e = vm.mmio(vcpu, false, BASE + (a.cpuPage && cpu >= 0 ? 0x200a0 + cpu * 0x1000 : 0xa0), 4, 0n).errno;
        break;
      }
      case 'eoi':
        e = vm.mmio(vcpu, true, BASE + 0xb0, 4, 0n).errno;
        break;
      case 'line':
        e = vm.irqLine(a.gsi, a.level);
        break;
      case 'msi':
        e = vm.signalMsi({ address: 0n, data: a.data, flags: 0, devid: 0 }).errno;
        break;
      case 'arm': {
        const cpu = (vm.state.devices[h]!.state as MpicState).vcpuCpu[vcpu]!;
        if (cpu < 0) break;
        vm.mmio(vcpu, true, BASE + 0x10010 + a.n * 0x20, 4, BigInt(1 << cpu));
        vm.mmio(vcpu, true, BASE + 0x10000 + a.n * 0x20, 4, BigInt((a.level ? 0x400000 : 0) | (a.p << 16) | a.n));
        e = vm.mmio(vcpu, true, BASE + 0x80, 4, 0n).errno;
        break;
      }
      case 'active':
        e = vm.setAttr(dev, MPIC_GRP.KVM_DEV_MPIC_GRP_IRQ_ACTIVE, BigInt(a.n), { nullPtr: false, value: BigInt(a.v) });
        break;
    }
    expect(Number.isInteger(e) && e >= 0 && e < 4096).toBe(true);
  }
  return vm;
}

describe('FSL MPIC under random activity (mpic.c; migration through mpic_get_attr / mpic_set_attr)', () => {
  it('never throws, and save -> restore -> save through MISC, REGISTER and IRQ_ACTIVE (vcpus connected first) is a fixed point', () => {
    fc.assert(
      fc.property(programArb, (p) => {
        const vm = run(p);
        const first = saveAttrs(vm);
        expect(first.errors).toEqual([]);
        const { dest, errors } = migrateModelVm(vm, new Map());
        expect(errors).toEqual([]);
        expect(fixedPointDiffs(first, saveAttrs(dest))).toEqual([]);
      }),
      { seed: 11, numRuns: 100 },
    );
  });

  it('raw calls never throw: any group, any u64 attr and value, NULL buffers, guest accesses of 1, 2, 4 and 8 bytes anywhere in the frame, any vcpu capability arguments', () => {
    const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    const rawArb = fc.oneof(
      fc.record({ k: fc.constant('attr' as const), verb: fc.constantFrom('set', 'get', 'has'), group: fc.nat(4), attr: fc.oneof(u64, fc.bigInt({ min: 0n, max: 0x40000n })), value: u64, nullPtr: fc.boolean() }),
      fc.record({ k: fc.constant('mmio' as const), vcpu: fc.nat(3), off: fc.nat(0x3ffff), len: fc.constantFrom(1, 2, 4, 8), write: fc.boolean(), value: u64 }),
      fc.record({ k: fc.constant('cap' as const), vcpu: fc.integer({ min: -1, max: 4 }), a0: u64, a1: u64 }),
      fc.record({ k: fc.constant('line' as const), irq: fc.nat({ max: 0xffffffff }), level: fc.nat({ max: 0xffffffff }) }),
    );
    fc.assert(
      fc.property(fc.constantFrom(DEV_TYPE.KVM_DEV_TYPE_FSL_MPIC_20, DEV_TYPE.KVM_DEV_TYPE_FSL_MPIC_42), fc.array(rawArb, { maxLength: 80 }), (type, calls) => {
        const vm = run({ type, vcpus: 2, cpus: [0, -1, -1, -1], actions: [] });
        const dev = { kind: 'device' as const, handle: 0 };
        for (const c of calls) {
          let e: number;
          if (c.k === 'attr') {
            const b = { nullPtr: c.nullPtr, value: c.value };
            e = c.verb === 'set' ? vm.setAttr(dev, c.group, c.attr, b) : c.verb === 'get' ? vm.getAttr(dev, c.group, c.attr, b).errno : vm.hasAttr(dev, c.group, c.attr);
          } else if (c.k === 'mmio') {
            const r = vm.mmio(c.vcpu % 2, c.write, BASE + c.off - (c.off % c.len), c.len, c.value);
            e = r.errno;
            expect(r.value < 1n << BigInt(8 * c.len) || c.write).toBe(true);
          } else if (c.k === 'cap') e = vm.enableCap(c.vcpu, CAP.KVM_CAP_IRQ_MPIC, [c.a0, c.a1]);
          else e = vm.irqLine(c.irq, c.level);
          expect(Number.isInteger(e) && e >= 0 && e < 4096).toBe(true);
        }
      }),
      { seed: 12, numRuns: 60 },
    );
  });

  it('the random states are deep: sources pending, interrupts in service, INT raised, critical sources on 2.0', () => {
    const seen = { pending: 0, servicing: 0, intOut: 0, critical: 0 };
    for (const p of fc.sample(programArb, { seed: 11, numRuns: 100 })) {
      const s = run(p).state.devices[0]!.state as MpicState;
      if (s.pending.some((x) => x !== 0)) seen.pending++;
      if (s.servicing.some((x) => x !== 0)) seen.servicing++;
      if (s.intOut.some((x) => x !== 0)) seen.intOut++;
      if (s.nomask.some((x) => x !== 0)) seen.critical++;
    }
    expect(seen).toEqual({ pending: expect.any(Number), servicing: expect.any(Number), intOut: expect.any(Number), critical: expect.any(Number) });
    expect(Math.min(seen.pending, seen.servicing, seen.intOut, seen.critical), JSON.stringify(seen)).toBeGreaterThan(3);
  });

  it('write_IRQreg_idr with no CPU connected (nb_cpus 0) keeps no destination bit: IDR reads 1 after openpic_reset, but 1 written back reads 0 (a kernel ABI that is no fixed point there)', () => {
    const vm = run({ type: DEV_TYPE.KVM_DEV_TYPE_FSL_MPIC_42, vcpus: 1, cpus: [-1, -1, -1, -1], actions: [] });
    const first = saveAttrs(vm);
    const { dest, errors } = migrateModelVm(vm, new Map());
    expect(errors).toEqual([]);
    expect(fixedPointDiffs(first, saveAttrs(dest))).toContain('dev 0 IDR5 (group 2 attr 0x100b0): 0x1 -> 0x0');
  });

  it('IRQ_ACTIVE stops at attr 256 (mpic_set_attr: attr > MAX_SRC): a pending IPI 1 shows in IPIVPR1.A on the source and crosses as not pending', () => {
    const vm = run({
      type: DEV_TYPE.KVM_DEV_TYPE_FSL_MPIC_42,
      vcpus: 1,
      cpus: [0, -1, -1, -1],
      actions: [
        { a: 'write', vcpu: 0, off: 0x50, value: 0 },
        { a: 'write', vcpu: 0, off: 0x10b0, value: 1 },
      ],
    });
    const first = saveAttrs(vm);
    const { dest } = migrateModelVm(vm, new Map());
    expect(fixedPointDiffs(first, saveAttrs(dest))).toEqual(['dev 0 IPIVPR1 (group 2 attr 0x10b0): 0x40000001 -> 0x1']);
  });

  it('the fixed-point check can fail: a destination whose IVPR5 changed after the restore is caught', () => {
    const vm = run({ type: DEV_TYPE.KVM_DEV_TYPE_FSL_MPIC_42, vcpus: 1, cpus: [0, -1, -1, -1], actions: [] });
    const first = saveAttrs(vm);
    const { dest } = migrateModelVm(vm, new Map());
    expect(dest.setAttr({ kind: 'device', handle: 0 }, MPIC_GRP.KVM_DEV_MPIC_GRP_REGISTER, 0x100a0n, { nullPtr: false, value: 0x50005n })).toBe(0);
    expect(fixedPointDiffs(first, saveAttrs(dest)).join('\n')).toMatch(/IVPR5.*0x80000000 -> 0x50005/);
  });
});
