/**
 * Issue 11 items 3 and 4, property tests: random programs of FLIC and s390
 * VM-attribute calls (valid and garbage payloads) never throw and answer an
 * errno; and save -> restore -> save through the attributes is a fixed
 * point: the FLIC's save list (APF_DISABLE_WAIT, GET_ALL_IRQS, AISM_ALL) and
 * the VM fd's (CPU model, TOD), read on the source, restored into a fresh VM
 * by replay/migrate.ts (ENQUEUE, AISM_ALL, APF_ENABLE; the CPU model before
 * the vcpus, then the TOD), read again, give the same bytes. As
 * devices.test.ts does for the GIC, with a fixed seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ARCH_RULES } from '../../devices/arch/index.js';
import { CPU_FEAT_BYTES, HOST_CPU_FEAT, SUBFUNC_BYTES } from '../../devices/arch/s390x/host.js';
import { S390_VM_GRP as VG } from '../../devices/arch/s390x/names.js';
import { CPU_PROCESSOR_BYTES } from '../../devices/arch/s390x/attrs.js';
import type { UserBuf } from '../../devices/core/device.js';
import { DEV_TYPE, errnoName } from '../../devices/core/uapi.js';
import type { Vm } from '../../devices/core/vm.js';
import type { VmState } from '../../devices/core/vm-state.js';
import { createVm, DEVICE_MODELS } from '../../devices/registry.js';
import type { FlicState } from '../../devices/s390-flic/state.js';
import { FLIC_GRP as G, IRQ_SIZE, S390_INT } from '../../devices/s390-flic/uapi.js';
import { migrateVm } from '../../replay/migrate.js';

const SEED = 11;
const RUNS = 120;
const VM_FD = { kind: 'vm' } as const;

const be = (n: number, v: bigint) => {
  const b = new Uint8Array(n);
  for (let i = n - 1; i >= 0; i--, v >>= 8n) b[i] = Number(v & 0xffn);
  return b;
};

/** A kvm_s390_irq record, mostly floating types, sometimes anything. */
const recordArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.record({ isc: fc.nat(7), ai: fc.boolean(), nr: fc.nat(0xffff), id: fc.nat(0xffff), parm: fc.nat(0xffffffff), low: fc.nat(0x7ffffff) }).map((r) => {
    const b = new Uint8Array(IRQ_SIZE);
    const d = new DataView(b.buffer);
    d.setBigUint64(0, BigInt(((r.ai ? 1 << 26 : 0) | r.nr) >>> 0), false);
    d.setUint16(8, r.id, false);
    d.setUint16(10, r.nr, false);
    d.setUint32(12, r.parm, false);
    d.setUint32(16, ((r.isc << 27) | r.low) >>> 0, false);
    return b;
  }),
  fc.record({ t: fc.constantFrom(S390_INT.KVM_S390_INT_VIRTIO, S390_INT.KVM_S390_INT_PFAULT_DONE, S390_INT.KVM_S390_INT_SERVICE, S390_INT.KVM_S390_INT_PFAULT_INIT), p: fc.nat(0xffffffff), p2: fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }) }).map((r) => {
    const b = new Uint8Array(IRQ_SIZE);
    const d = new DataView(b.buffer);
    d.setBigUint64(0, BigInt(r.t), false);
    d.setUint32(8, r.p, false);
    d.setBigUint64(16, r.p2, false);
    return b;
  }),
  fc.record({ cr14: fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }), mcic: fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }) }).map((r) => {
    const b = new Uint8Array(IRQ_SIZE);
    b.set(be(8, BigInt(S390_INT.KVM_S390_MCHK)), 0);
    b.set(be(8, r.cr14), 8);
    b.set(be(8, r.mcic), 16);
    return b;
  }),
  fc.uint8Array({ minLength: IRQ_SIZE, maxLength: IRQ_SIZE }),
);

type Call = { fd: 'flic' | 'vm'; op: 'set' | 'get' | 'has'; group: number; attr: bigint; buf: UserBuf };
const buf = (data?: Uint8Array, value = 0n, nullPtr = false): UserBuf => ({ nullPtr, value, ...(data && { data }) });

// ENQUEUE some records, the length mostly right.
const enqueueArb: fc.Arbitrary<Call> = fc
  .record({ recs: fc.array(recordArb, { minLength: 1, maxLength: 6 }), skew: fc.oneof({ arbitrary: fc.constant(0), weight: 6 }, { arbitrary: fc.integer({ min: -80, max: 80 }), weight: 1 }) })
  .map(({ recs, skew }) => {
    const d = new Uint8Array(recs.length * IRQ_SIZE);
    recs.forEach((r, i) => d.set(r, i * IRQ_SIZE));
    return { fd: 'flic', op: 'set', group: G.KVM_DEV_FLIC_ENQUEUE, attr: BigInt.asUintN(64, BigInt(d.length + skew)), buf: buf(d) } as Call;
  });

const callArb: fc.Arbitrary<Call> = fc.oneof(
  { arbitrary: enqueueArb, weight: 10 },
  fc.record({ id: fc.nat(70), isc: fc.nat(9), m: fc.nat(1), s: fc.nat(1), f: fc.nat(3) }).map((a) => ({ fd: 'flic', op: 'set', group: G.KVM_DEV_FLIC_ADAPTER_REGISTER, attr: 0n, buf: buf(Uint8Array.of(0, 0, 0, a.id, a.isc, a.m, a.s, a.f)) }) as Call),
  fc.record({ id: fc.nat(70), t: fc.nat(4), m: fc.nat(1) }).map((a) => ({ fd: 'flic', op: 'set', group: G.KVM_DEV_FLIC_ADAPTER_MODIFY, attr: 0n, buf: buf(Uint8Array.of(0, 0, 0, a.id, a.t, a.m, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)) }) as Call),
  fc.nat(70).map((id) => ({ fd: 'flic', op: 'set', group: G.KVM_DEV_FLIC_AIRQ_INJECT, attr: BigInt(id), buf: buf() }) as Call),
  fc.record({ isc: fc.nat(9), mode: fc.nat(2) }).map((a) => ({ fd: 'flic', op: 'set', group: G.KVM_DEV_FLIC_AISM, attr: 0n, buf: buf(Uint8Array.of(a.isc, 0, 0, a.mode)) }) as Call),
  fc.record({ simm: fc.nat(255), nimm: fc.nat(255) }).map((a) => ({ fd: 'flic', op: 'set', group: G.KVM_DEV_FLIC_AISM_ALL, attr: 2n, buf: buf(Uint8Array.of(a.simm, a.nimm)) }) as Call),
  fc.record({ schid: fc.nat(0x1ffff), attr: fc.constantFrom(4n, 4n, 8n) }).map((a) => ({ fd: 'flic', op: 'set', group: G.KVM_DEV_FLIC_CLEAR_IO_IRQ, attr: a.attr, buf: buf(undefined, BigInt(a.schid)) }) as Call),
  fc.constantFrom(G.KVM_DEV_FLIC_CLEAR_IRQS, G.KVM_DEV_FLIC_APF_ENABLE, G.KVM_DEV_FLIC_APF_DISABLE_WAIT).map((g) => ({ fd: 'flic', op: 'set', group: g, attr: 0n, buf: buf() }) as Call),
  fc.record({ len: fc.nat(800), nul: fc.boolean() }).map((a) => ({ fd: 'flic', op: 'get', group: G.KVM_DEV_FLIC_GET_ALL_IRQS, attr: BigInt(a.len), buf: buf(undefined, 0n, a.nul) }) as Call),
  // Anything on either fd.
  fc.record({ fd: fc.constantFrom('flic', 'vm'), op: fc.constantFrom('set', 'get', 'has'), group: fc.nat(14), attr: fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }), data: fc.option(fc.uint8Array({ maxLength: 40 })), value: fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }), nul: fc.boolean() }).map(
    (a) => ({ fd: a.fd, op: a.op, group: a.group, attr: a.attr, buf: buf(a.data ?? undefined, a.value, a.nul) }) as Call,
  ),
  // The VM attributes with meaningful payloads.
  fc.record({ tod: fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }), idx: fc.nat(3), ext: fc.boolean() }).map(
    (a) => (a.ext ? { fd: 'vm', op: 'set', group: VG.KVM_S390_VM_TOD, attr: 2n, buf: buf(Uint8Array.from([a.idx, 0, 0, 0, 0, 0, 0, 0, ...be(8, a.tod)])) } : { fd: 'vm', op: 'set', group: VG.KVM_S390_VM_TOD, attr: 0n, buf: buf(undefined, a.tod) }) as Call,
  ),
  fc.record({ cpuid: fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }), ibc: fc.nat(0xfff), facs: fc.array(fc.nat(200), { maxLength: 20 }) }).map((a) => {
    const b = new Uint8Array(CPU_PROCESSOR_BYTES);
    b.set(be(8, a.cpuid), 0);
    b.set(be(2, BigInt(a.ibc)), 8);
    for (const f of [...a.facs, 72, 76, 139].slice(0, a.facs.length % 2 ? undefined : a.facs.length)) b[16 + (f >> 3)]! |= 0x80 >> (f & 7);
    return { fd: 'vm', op: 'set', group: VG.KVM_S390_VM_CPU_MODEL, attr: 0n, buf: buf(b) } as Call;
  }),
  fc.uint8Array({ minLength: CPU_FEAT_BYTES, maxLength: CPU_FEAT_BYTES }).map((r) => ({ fd: 'vm', op: 'set', group: VG.KVM_S390_VM_CPU_MODEL, attr: 2n, buf: buf(r.map((x, i) => x & HOST_CPU_FEAT[i]!)) }) as Call),
  fc.uint8Array({ minLength: 8, maxLength: 8 }).map((r) => {
    const b = new Uint8Array(SUBFUNC_BYTES);
    b.set(r, 0);
    return { fd: 'vm', op: 'set', group: VG.KVM_S390_VM_CPU_MODEL, attr: 4n, buf: buf(b) } as Call;
  }),
  fc.constantFrom(0n, 1n).map((a) => ({ fd: 'vm', op: 'set', group: VG.KVM_S390_VM_MIGRATION, attr: a, buf: buf() }) as Call),
);

/** What a VMM saves through the attributes (the FLIC's save actions first), as hex per attribute. */
function saveAll(state: VmState): { values: Map<string, string>; errors: string[] } {
  const vm = createVm(state.arch, state.ipaBits);
  vm.restore(state);
  const values = new Map<string, string>();
  const errors: string[] = [];
  const show = (r: { value?: bigint; data?: Uint8Array }) => (r.data ? Buffer.from(r.data).toString('hex') : `0x${(r.value ?? 0n).toString(16)}`);
  for (const a of ARCH_RULES.s390x.archState!.migration!.saveList(vm.state)) {
    const r = vm.getAttr(VM_FD, a.group, a.attr, buf(a.inputData, a.input ?? 0n));
    if (r.errno) errors.push(`${a.name}: ${errnoName(r.errno)}`);
    values.set(`vm ${a.name}`, show(r));
  }
  vm.state.devices.forEach((d, handle) => {
    const m = DEVICE_MODELS.get(d.type)!.inspect!.migration!;
    for (const a of m.saveActions ?? []) vm.setAttr({ kind: 'device', handle }, a.group, a.attr, buf(undefined, a.input ?? 0n));
    for (const a of m.saveList(vm.state, vm.state.devices[handle]!.state)) {
      const r = vm.getAttr({ kind: 'device', handle }, a.group, a.attr, buf(a.inputData, a.input ?? 0n));
      if (r.errno) errors.push(`${a.name}: ${errnoName(r.errno)}`);
      values.set(`dev ${handle} ${a.name}`, show(r));
    }
  });
  return { values, errors };
}

function run(calls: readonly Call[], vcpus: number): { vm: Vm; failures: string[] } {
  const vm = createVm('s390x');
  const failures: string[] = [];
  expect(vm.createDevice(DEV_TYPE.KVM_DEV_TYPE_FLIC, 0).errno).toBe(0);
  calls.forEach((c, i) => {
    // Vcpus come part way through, so some CPU-model and MEM_CTRL calls meet EBUSY.
    if (i === Math.floor(calls.length / 2)) for (let v = 0; v < vcpus; v++) (vm.createVcpu(v), vm.runVcpu(v));
    const fd = c.fd === 'vm' ? VM_FD : ({ kind: 'device', handle: 0 } as const);
    try {
      const e = c.op === 'set' ? vm.setAttr(fd, c.group, c.attr, c.buf) : c.op === 'get' ? vm.getAttr(fd, c.group, c.attr, c.buf).errno : vm.hasAttr(fd, c.group, c.attr);
      if (!Number.isInteger(e) || e < 0 || e > 4095) failures.push(`call ${i}: ${e} is not an errno`);
    } catch (e) {
      failures.push(`call ${i} (${c.fd} ${c.op} group ${c.group}) threw ${(e as Error).message}`);
    }
  });
  return { vm, failures };
}

describe('s390 FLIC and VM attributes under random calls', () => {
  it('never throw; every call answers an errno; save -> restore -> save through the attributes is a fixed point (GET_ALL_IRQS -> ENQUEUE, AISM_ALL, CPU model, TOD)', () => {
    fc.assert(
      fc.property(fc.array(callArb, { maxLength: 50 }), fc.nat(3), (calls, vcpus) => {
        const { vm, failures } = run(calls, vcpus);
        expect(failures).toEqual([]);
        const first = saveAll(vm.state);
        expect(first.errors).toEqual([]);
        const { dest, errors } = migrateVm(vm.state, new Map());
        expect(errors).toEqual([]);
        const second = saveAll(dest);
        expect(second.errors).toEqual([]);
        expect(Object.fromEntries(second.values)).toEqual(Object.fromEntries(first.values));
        // The FLIC's queues themselves crossed (the save list covers them), and its adapters (the VMM's own knowledge, vmmConfig).
        const [a, b] = [vm.state, dest].map((s) => s.devices[0]!.state as FlicState);
        expect({ io: b!.io, pfault: b!.pfault, virtio: b!.virtio, service: b!.service, mchk: b!.mchk, adapters: b!.adapters }).toEqual({ io: a!.io, pfault: a!.pfault, virtio: a!.virtio, service: a!.service, mchk: a!.mchk, adapters: a!.adapters });
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('the random states are deep: queued I/O on several ISCs, service and machine checks, adapters, AIS modes, changed CPU models and clocks', () => {
    const seen = { io: 0, iscs: 0, service: 0, mchk: 0, virtio: 0, adapters: 0, ais: 0, tod: 0, model: 0 };
    for (const [calls, vcpus] of fc.sample(fc.tuple(fc.array(callArb, { maxLength: 50 }), fc.nat(3)), { seed: SEED, numRuns: RUNS })) {
      const { vm } = run(calls, vcpus);
      const s = vm.state.devices[0]!.state as FlicState;
      const a = vm.state.archState as { tod: bigint; cpuid: bigint };
      if (s.io.some((l) => l.length)) seen.io++;
      if (s.io.filter((l) => l.length).length > 1) seen.iscs++;
      if (s.service) seen.service++;
      if (s.mchk.pending) seen.mchk++;
      if (s.virtio.length) seen.virtio++;
      if (s.adapters.length) seen.adapters++;
      if (s.simm || s.nimm) seen.ais++;
      if (a.tod) seen.tod++;
      if (a.cpuid !== 0xff01234585618000n) seen.model++;
    }
    expect(seen).toEqual(Object.fromEntries(Object.keys(seen).map((k) => [k, expect.toSatisfy((n: number) => n > 3)])));
  });

  it('the fixed-point check can fail: a destination that lost one queued record is caught', () => {
    const { vm } = run([], 0);
    const rec = new Uint8Array(IRQ_SIZE);
    rec.set(be(4, 0x18000000n), 16);
    rec.set(be(8, 2n), 0);
    expect(vm.setAttr({ kind: 'device', handle: 0 }, G.KVM_DEV_FLIC_ENQUEUE, 72n, buf(rec))).toBe(0);
    const first = saveAll(vm.state);
    const { dest } = migrateVm(vm.state, new Map());
    const d = createVm('s390x');
    d.restore(dest);
    expect(d.setAttr({ kind: 'device', handle: 0 }, G.KVM_DEV_FLIC_CLEAR_IRQS, 0n, buf())).toBe(0);
    expect(Object.fromEntries(saveAll(d.state).values)).not.toEqual(Object.fromEntries(first.values));
  });
});
