/**
 * Conformance: the s390 VM attributes on the VM fd (kvm_arch_vm_ioctl ->
 * kvm_s390_vm_set_attr / kvm_s390_vm_get_attr / kvm_s390_vm_has_attr,
 * arch/s390/kvm/kvm-s390.c), one test per rule, named after the kernel
 * function it follows. Struct payloads are big-endian, as on s390.
 */
import { describe, expect, test } from 'vitest';
import type { UserBuf } from '../../devices/core/device.js';
import { ERRNO } from '../../devices/core/uapi.js';
import type { Vm } from '../../devices/core/vm.js';
import { createVm } from '../../devices/registry.js';
import { CPU_FEAT_BYTES, FAC_LIST_BYTES, HOST_CPU_FEAT, HOST_CPUID, HOST_SUBFUNC, INITIAL_GUEST_CPUID, SCLP_IBC, SUBFUNC_BYTES } from '../../devices/arch/s390x/host.js';
import { S390_VM_CPU as CPU, S390_VM_CRYPTO as CRYPTO, S390_VM_GRP as GRP, S390_VM_MEM as MEM, S390_VM_MIGRATION as MIG, S390_VM_TOD as TOD } from '../../devices/arch/s390x/names.js';
import { CPU_MACHINE_BYTES, CPU_PROCESSOR_BYTES } from '../../devices/arch/s390x/attrs.js';
import { s390Of } from '../../devices/arch/s390x/state.js';

const VM = { kind: 'vm' } as const;
const NONE: UserBuf = { nullPtr: false, value: 0n };
const NULL: UserBuf = { nullPtr: true, value: 0n };
const value = (v: bigint): UserBuf => ({ nullPtr: false, value: v });
const data = (d: Uint8Array): UserBuf => ({ nullPtr: false, value: 0n, data: d });
const A = (n: number) => BigInt(n);

const set = (vm: Vm, g: number, a: number, b: UserBuf = NONE) => vm.setAttr(VM, g, A(a), b);
const get = (vm: Vm, g: number, a: number, b: UserBuf = NONE) => vm.getAttr(VM, g, A(a), b);
const has = (vm: Vm, g: number, a: number) => vm.hasAttr(VM, g, A(a));

/** struct kvm_s390_vm_cpu_processor with these facilities. */
function processor(cpuid: bigint, ibc: number, facilities: number[]): Uint8Array {
  const b = new Uint8Array(CPU_PROCESSOR_BYTES);
  const d = new DataView(b.buffer);
  d.setBigUint64(0, cpuid, false);
  d.setUint16(8, ibc, false);
  for (const f of facilities) b[16 + (f >> 3)]! |= 0x80 >> (f & 7);
  return b;
}

function todExt(idx: number, tod: bigint): Uint8Array {
  const b = new Uint8Array(16);
  b[0] = idx;
  new DataView(b.buffer).setBigUint64(8, tod, false);
  return b;
}

describe('groups on the VM fd (kvm_s390_vm_set_attr, kvm_s390_vm_get_attr, kvm_s390_vm_has_attr)', () => {
  test('an unknown group is ENXIO from SET, GET and HAS; the CPU_TOPOLOGY group (5) of later kernels is unknown here (kvm_s390_vm_*_attr default, arch/s390/kvm/kvm-s390.c)', () => {
    const vm = createVm('s390x');
    for (const g of [5, 6, 99]) expect([set(vm, g, 0), get(vm, g, 0).errno, has(vm, g, 0)]).toEqual([ERRNO.ENXIO, ERRNO.ENXIO, ERRNO.ENXIO]);
  });

  test('an unknown attribute of a known group is ENXIO from each switch (kvm_s390_set_mem_control, kvm_s390_set_tod, kvm_s390_set_cpu_model, kvm_s390_vm_set_crypto, kvm_s390_vm_set_migration defaults)', () => {
    const vm = createVm('s390x');
    for (const g of [0, 1, 2, 3, 4]) expect(set(vm, g, 9)).toBe(ERRNO.ENXIO);
    for (const g of [0, 1, 3, 4]) expect(get(vm, g, 9).errno).toBe(ERRNO.ENXIO);
    for (const g of [0, 1, 2, 3]) expect(has(vm, g, 9)).toBe(ERRNO.ENXIO);
  });

  test('HAS on MIGRATION answers 0 for any attribute (kvm_s390_vm_has_attr: case KVM_S390_VM_MIGRATION: ret = 0)', () => {
    const vm = createVm('s390x');
    for (const a of [0, 1, 2, 3, 77]) expect(has(vm, GRP.KVM_S390_VM_MIGRATION, a)).toBe(0);
  });

  test('CRYPTO has no GET: ENXIO (kvm_s390_vm_get_attr has no CRYPTO case)', () => {
    expect(get(createVm('s390x'), GRP.KVM_S390_VM_CRYPTO, CRYPTO.KVM_S390_VM_CRYPTO_ENABLE_AES_KW).errno).toBe(ERRNO.ENXIO);
  });
});

describe('MEM_CTRL (kvm_s390_set_mem_control, kvm_s390_get_mem_control)', () => {
  test('HAS: ENABLE_CMMA and CLR_CMMA with sclp.has_cmma (the model host has it), LIMIT_SIZE always (kvm_s390_vm_has_attr)', () => {
    const vm = createVm('s390x');
    expect([0, 1, 2].map((a) => has(vm, GRP.KVM_S390_VM_MEM_CTRL, a))).toEqual([0, 0, 0]);
  });

  test('ENABLE_CMMA is EBUSY once a vcpu exists (kvm_s390_set_mem_control: kvm->created_vcpus)', () => {
    const vm = createVm('s390x');
    expect(vm.createVcpu(0)).toBe(0);
    expect(set(vm, GRP.KVM_S390_VM_MEM_CTRL, MEM.KVM_S390_VM_MEM_ENABLE_CMMA)).toBe(ERRNO.EBUSY);
    expect(s390Of(vm.state).useCmma).toBe(false);
  });

  test('CLR_CMMA is EINVAL until CMMA is enabled, then 0 (kvm_s390_set_mem_control: !kvm->arch.use_cmma)', () => {
    const vm = createVm('s390x');
    expect(set(vm, GRP.KVM_S390_VM_MEM_CTRL, MEM.KVM_S390_VM_MEM_CLR_CMMA)).toBe(ERRNO.EINVAL);
    expect(set(vm, GRP.KVM_S390_VM_MEM_CTRL, MEM.KVM_S390_VM_MEM_ENABLE_CMMA)).toBe(0);
    expect(set(vm, GRP.KVM_S390_VM_MEM_CTRL, MEM.KVM_S390_VM_MEM_CLR_CMMA)).toBe(0);
  });

  test('LIMIT_SIZE SET checks EFAULT, E2BIG above mem_limit, EINVAL for 0, then EBUSY once vcpus exist (kvm_s390_set_mem_control)', () => {
    const vm = createVm('s390x', 40);
    const L = GRP.KVM_S390_VM_MEM_CTRL;
    const a = MEM.KVM_S390_VM_MEM_LIMIT_SIZE;
    expect(set(vm, L, a, NULL)).toBe(ERRNO.EFAULT);
    expect(set(vm, L, a, value((1n << 40n) + 1n))).toBe(ERRNO.E2BIG);
    expect(set(vm, L, a, value(0n))).toBe(ERRNO.EINVAL);
    expect(set(vm, L, a, value(1n << 30n))).toBe(0);
    expect(s390Of(vm.state).gmapLimit).toBe((1n << 31n) - 1n);
    vm.createVcpu(0);
    expect(set(vm, L, a, value(0n))).toBe(ERRNO.EINVAL);
    expect(set(vm, L, a, value(1n << 30n))).toBe(ERRNO.EBUSY);
  });

  test('LIMIT_SIZE GET returns kvm->arch.mem_limit, which SET does not change (kvm_s390_get_mem_control; the SET builds a new gmap only)', () => {
    const vm = createVm('s390x', 40);
    expect(get(vm, GRP.KVM_S390_VM_MEM_CTRL, MEM.KVM_S390_VM_MEM_LIMIT_SIZE)).toEqual({ errno: 0, value: 1n << 40n });
    expect(set(vm, GRP.KVM_S390_VM_MEM_CTRL, MEM.KVM_S390_VM_MEM_LIMIT_SIZE, value(1n << 32n))).toBe(0);
    expect(get(vm, GRP.KVM_S390_VM_MEM_CTRL, MEM.KVM_S390_VM_MEM_LIMIT_SIZE).value).toBe(1n << 40n);
    expect(get(vm, GRP.KVM_S390_VM_MEM_CTRL, MEM.KVM_S390_VM_MEM_LIMIT_SIZE, NULL).errno).toBe(ERRNO.EFAULT);
    // ENABLE_CMMA and CLR_CMMA have no GET case.
    expect(get(vm, GRP.KVM_S390_VM_MEM_CTRL, MEM.KVM_S390_VM_MEM_ENABLE_CMMA).errno).toBe(ERRNO.ENXIO);
  });
});

describe('TOD (kvm_s390_set_tod, kvm_s390_get_tod)', () => {
  test('HAS lists LOW and HIGH only: EXT is ENXIO although SET and GET serve it (kvm_s390_vm_has_attr)', () => {
    const vm = createVm('s390x');
    expect([TOD.KVM_S390_VM_TOD_LOW, TOD.KVM_S390_VM_TOD_HIGH, TOD.KVM_S390_VM_TOD_EXT].map((a) => has(vm, GRP.KVM_S390_VM_TOD, a))).toEqual([0, 0, ERRNO.ENXIO]);
    expect(set(vm, GRP.KVM_S390_VM_TOD, TOD.KVM_S390_VM_TOD_EXT, data(todExt(0, 5n)))).toBe(0);
    expect(get(vm, GRP.KVM_S390_VM_TOD, TOD.KVM_S390_VM_TOD_EXT).errno).toBe(0);
  });

  test('HIGH accepts only 0 and always reads 0, whatever EXT set (kvm_s390_set_tod_high, kvm_s390_get_tod_high)', () => {
    const vm = createVm('s390x');
    expect(set(vm, GRP.KVM_S390_VM_TOD, TOD.KVM_S390_VM_TOD_HIGH, value(1n))).toBe(ERRNO.EINVAL);
    expect(set(vm, GRP.KVM_S390_VM_TOD, TOD.KVM_S390_VM_TOD_HIGH, value(0n))).toBe(0);
    expect(set(vm, GRP.KVM_S390_VM_TOD, TOD.KVM_S390_VM_TOD_HIGH, NULL)).toBe(ERRNO.EFAULT);
    expect(set(vm, GRP.KVM_S390_VM_TOD, TOD.KVM_S390_VM_TOD_EXT, data(todExt(3, 0x1234n)))).toBe(0);
    expect(get(vm, GRP.KVM_S390_VM_TOD, TOD.KVM_S390_VM_TOD_HIGH).value).toBe(0n);
  });

  test('EXT sets the epoch index and clock, LOW the clock with epoch index 0; GET reads them back as plain state (kvm_s390_set_tod_ext, kvm_s390_set_tod_low, kvm_s390_get_tod_clock)', () => {
    const vm = createVm('s390x');
    expect(set(vm, GRP.KVM_S390_VM_TOD, TOD.KVM_S390_VM_TOD_EXT, data(todExt(3, 0xabcdn)))).toBe(0);
    expect(get(vm, GRP.KVM_S390_VM_TOD, TOD.KVM_S390_VM_TOD_EXT).data).toEqual(todExt(3, 0xabcdn));
    expect(get(vm, GRP.KVM_S390_VM_TOD, TOD.KVM_S390_VM_TOD_LOW).value).toBe(0xabcdn);
    expect(set(vm, GRP.KVM_S390_VM_TOD, TOD.KVM_S390_VM_TOD_LOW, value(0x99n))).toBe(0);
    expect(get(vm, GRP.KVM_S390_VM_TOD, TOD.KVM_S390_VM_TOD_EXT).data).toEqual(todExt(0, 0x99n));
    expect(set(vm, GRP.KVM_S390_VM_TOD, TOD.KVM_S390_VM_TOD_EXT, data(todExt(3, 1n).subarray(0, 15)))).toBe(ERRNO.EFAULT);
  });

  test('EXT with a non-zero epoch index needs facility 139 in the guest\'s model: EINVAL without it, and GET then reads index 0 (kvm_s390_set_tod_ext, kvm_s390_get_tod_clock)', () => {
    const vm = createVm('s390x');
    const proc = get(vm, GRP.KVM_S390_VM_CPU_MODEL, CPU.KVM_S390_VM_CPU_PROCESSOR).data!.slice();
    proc[16 + (139 >> 3)]! &= ~(0x80 >> (139 & 7));
    expect(set(vm, GRP.KVM_S390_VM_CPU_MODEL, CPU.KVM_S390_VM_CPU_PROCESSOR, data(proc))).toBe(0);
    expect(set(vm, GRP.KVM_S390_VM_TOD, TOD.KVM_S390_VM_TOD_EXT, data(todExt(1, 7n)))).toBe(ERRNO.EINVAL);
    expect(set(vm, GRP.KVM_S390_VM_TOD, TOD.KVM_S390_VM_TOD_EXT, data(todExt(0, 7n)))).toBe(0);
    expect(get(vm, GRP.KVM_S390_VM_TOD, TOD.KVM_S390_VM_TOD_EXT).data).toEqual(todExt(0, 7n));
  });
});

describe('CPU_MODEL (kvm_s390_set_cpu_model, kvm_s390_get_cpu_model)', () => {
  test('HAS: PROCESSOR, MACHINE, the FEAT and SUBFUNC pairs (0-5); nothing else (kvm_s390_vm_has_attr)', () => {
    const vm = createVm('s390x');
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((a) => has(vm, GRP.KVM_S390_VM_CPU_MODEL, a))).toEqual([0, 0, 0, 0, 0, 0, ERRNO.ENXIO, ERRNO.ENXIO]);
  });

  test('the MACHINE attributes are read-only: SET is ENXIO (kvm_s390_set_cpu_model has no case for them)', () => {
    const vm = createVm('s390x');
    for (const a of [CPU.KVM_S390_VM_CPU_MACHINE, CPU.KVM_S390_VM_CPU_MACHINE_FEAT, CPU.KVM_S390_VM_CPU_MACHINE_SUBFUNC]) expect(set(vm, GRP.KVM_S390_VM_CPU_MODEL, a, data(new Uint8Array(CPU_MACHINE_BYTES)))).toBe(ERRNO.ENXIO);
  });

  test('a new VM\'s PROCESSOR is the host cpuid with version 0xff, sclp.ibc & 0xfff, the base facilities (kvm_arch_init_vm, kvm_s390_get_processor)', () => {
    const r = get(createVm('s390x'), GRP.KVM_S390_VM_CPU_MODEL, CPU.KVM_S390_VM_CPU_PROCESSOR);
    const d = new DataView(r.data!.buffer, r.data!.byteOffset);
    expect(r.data!.length).toBe(CPU_PROCESSOR_BYTES);
    expect(d.getBigUint64(0, false)).toBe(INITIAL_GUEST_CPUID);
    expect(d.getUint16(8, false)).toBe(SCLP_IBC & 0xfff);
    // facilities 74 (STHYI) and 138 (czam) are always set
    expect(r.data![16 + (74 >> 3)]! & (0x80 >> (74 & 7))).not.toBe(0);
    expect(r.data![16 + (138 >> 3)]! & (0x80 >> (138 & 7))).not.toBe(0);
  });

  test('MACHINE: the host cpuid, sclp.ibc (u32), fac_mask then the host STFLE (kvm_s390_get_machine)', () => {
    const r = get(createVm('s390x'), GRP.KVM_S390_VM_CPU_MODEL, CPU.KVM_S390_VM_CPU_MACHINE);
    const d = new DataView(r.data!.buffer, r.data!.byteOffset);
    expect(r.data!.length).toBe(16 + 2 * FAC_LIST_BYTES);
    expect(d.getBigUint64(0, false)).toBe(HOST_CPUID);
    expect(d.getUint32(8, false)).toBe(SCLP_IBC);
  });

  test('PROCESSOR SET: EBUSY once vcpus exist (checked before the copy), EFAULT; the IBC is clamped to [lowest, unblocked], 0 keeps the old one (kvm_s390_set_processor)', () => {
    const vm = createVm('s390x');
    const P = CPU.KVM_S390_VM_CPU_PROCESSOR;
    expect(set(vm, GRP.KVM_S390_VM_CPU_MODEL, P, NULL)).toBe(ERRNO.EFAULT);
    expect(set(vm, GRP.KVM_S390_VM_CPU_MODEL, P, data(processor(0x42n, 0xfff, [72])))).toBe(0);
    expect(s390Of(vm.state)).toMatchObject({ cpuid: 0x42n, ibc: SCLP_IBC & 0xfff });
    expect(set(vm, GRP.KVM_S390_VM_CPU_MODEL, P, data(processor(0x42n, 0x001, [72])))).toBe(0);
    expect(s390Of(vm.state).ibc).toBe((SCLP_IBC >>> 16) & 0xfff);
    expect(set(vm, GRP.KVM_S390_VM_CPU_MODEL, P, data(processor(0x42n, 0x100, [72])))).toBe(0);
    expect(set(vm, GRP.KVM_S390_VM_CPU_MODEL, P, data(processor(0x42n, 0, [72])))).toBe(0);
    expect(s390Of(vm.state).ibc).toBe(0x100);
    vm.createVcpu(0);
    expect(set(vm, GRP.KVM_S390_VM_CPU_MODEL, P, NULL)).toBe(ERRNO.EBUSY);
  });

  test('PROCESSOR_FEAT SET: EFAULT, EINVAL unless a subset of MACHINE_FEAT, then EBUSY (kvm_s390_set_processor_feat)', () => {
    const vm = createVm('s390x');
    const F = CPU.KVM_S390_VM_CPU_PROCESSOR_FEAT;
    expect(set(vm, GRP.KVM_S390_VM_CPU_MODEL, F, data(new Uint8Array(CPU_FEAT_BYTES - 1)))).toBe(ERRNO.EFAULT);
    const tooMuch = HOST_CPU_FEAT.slice();
    tooMuch[1]! |= 0x80; // feature 8 (IBS): not the model host's
    expect(set(vm, GRP.KVM_S390_VM_CPU_MODEL, F, data(tooMuch))).toBe(ERRNO.EINVAL);
    expect(set(vm, GRP.KVM_S390_VM_CPU_MODEL, F, data(HOST_CPU_FEAT))).toBe(0);
    expect(get(vm, GRP.KVM_S390_VM_CPU_MODEL, F).data).toEqual(HOST_CPU_FEAT);
    expect(get(vm, GRP.KVM_S390_VM_CPU_MODEL, CPU.KVM_S390_VM_CPU_MACHINE_FEAT).data).toEqual(HOST_CPU_FEAT);
    vm.createVcpu(0);
    expect(set(vm, GRP.KVM_S390_VM_CPU_MODEL, F, data(tooMuch))).toBe(ERRNO.EINVAL);
    expect(set(vm, GRP.KVM_S390_VM_CPU_MODEL, F, data(HOST_CPU_FEAT))).toBe(ERRNO.EBUSY);
  });

  test('PROCESSOR_SUBFUNC SET: EBUSY before the copy, then EFAULT; any bits are taken (kvm_s390_set_processor_subfunc); a new VM has the machine\'s (kvm_arch_init_vm)', () => {
    const vm = createVm('s390x');
    const S = CPU.KVM_S390_VM_CPU_PROCESSOR_SUBFUNC;
    expect(get(vm, GRP.KVM_S390_VM_CPU_MODEL, S).data).toEqual(HOST_SUBFUNC);
    expect(set(vm, GRP.KVM_S390_VM_CPU_MODEL, S, NULL)).toBe(ERRNO.EFAULT);
    const all = new Uint8Array(SUBFUNC_BYTES).fill(0xff);
    expect(set(vm, GRP.KVM_S390_VM_CPU_MODEL, S, data(all))).toBe(0);
    expect(get(vm, GRP.KVM_S390_VM_CPU_MODEL, S).data).toEqual(all);
    expect(get(vm, GRP.KVM_S390_VM_CPU_MODEL, CPU.KVM_S390_VM_CPU_MACHINE_SUBFUNC).data).toEqual(HOST_SUBFUNC);
    vm.createVcpu(0);
    expect(set(vm, GRP.KVM_S390_VM_CPU_MODEL, S, NULL)).toBe(ERRNO.EBUSY);
  });
});

describe('CRYPTO (kvm_s390_vm_set_crypto)', () => {
  test('key wrapping needs facility 76 in the guest\'s model: EINVAL without it; APIE needs AP instructions (the model host has them) (kvm_s390_vm_set_crypto)', () => {
    const vm = createVm('s390x');
    const C = GRP.KVM_S390_VM_CRYPTO;
    expect(set(vm, C, CRYPTO.KVM_S390_VM_CRYPTO_DISABLE_AES_KW)).toBe(0);
    expect(s390Of(vm.state).aesKw).toBe(false);
    expect(set(vm, C, CRYPTO.KVM_S390_VM_CRYPTO_ENABLE_APIE)).toBe(0);
    expect(s390Of(vm.state).apie).toBe(true);
    expect(set(vm, GRP.KVM_S390_VM_CPU_MODEL, CPU.KVM_S390_VM_CPU_PROCESSOR, data(processor(1n, 0, [72])))).toBe(0);
    for (const a of [0, 1, 2, 3]) expect(set(vm, C, a)).toBe(ERRNO.EINVAL);
    expect(set(vm, C, CRYPTO.KVM_S390_VM_CRYPTO_DISABLE_APIE)).toBe(0);
    // Crypto changes stay allowed with vcpus (they are reset, kvm_s390_vcpu_crypto_reset_all).
    vm.createVcpu(0);
    expect(set(vm, C, CRYPTO.KVM_S390_VM_CRYPTO_ENABLE_APIE)).toBe(0);
  });

  test('a new VM has AES and DEA key wrapping on with facility 76 (kvm_s390_crypto_init)', () => {
    expect(s390Of(createVm('s390x').state)).toMatchObject({ aesKw: true, deaKw: true, apie: false });
  });
});

describe('MIGRATION (kvm_s390_vm_set_migration, kvm_s390_vm_get_migration)', () => {
  test('START and STOP set and clear migration mode, twice is 0; STATUS reads it as a u64; STATUS is not settable (ENXIO) (kvm_s390_vm_start_migration, kvm_s390_vm_stop_migration)', () => {
    const vm = createVm('s390x');
    const M = GRP.KVM_S390_VM_MIGRATION;
    expect(get(vm, M, MIG.KVM_S390_VM_MIGRATION_STATUS).value).toBe(0n);
    expect(set(vm, M, MIG.KVM_S390_VM_MIGRATION_START)).toBe(0);
    expect(set(vm, M, MIG.KVM_S390_VM_MIGRATION_START)).toBe(0);
    expect(get(vm, M, MIG.KVM_S390_VM_MIGRATION_STATUS).value).toBe(1n);
    expect(set(vm, M, MIG.KVM_S390_VM_MIGRATION_STOP)).toBe(0);
    expect(get(vm, M, MIG.KVM_S390_VM_MIGRATION_STATUS).value).toBe(0n);
    expect(set(vm, M, MIG.KVM_S390_VM_MIGRATION_STATUS)).toBe(ERRNO.ENXIO);
    expect(get(vm, M, MIG.KVM_S390_VM_MIGRATION_START).errno).toBe(ERRNO.ENXIO);
    expect(get(vm, M, MIG.KVM_S390_VM_MIGRATION_STATUS, NULL).errno).toBe(ERRNO.EFAULT);
  });
});

describe('VM state outside s390', () => {
  test('only s390x keeps arch state; a checkpoint with it on another arch, or without it on s390x, is refused (checkVmState)', async () => {
    const { checkVmState } = await import('../../devices/core/vm-state.js');
    const { DEVICE_MODELS } = await import('../../devices/registry.js');
    expect(createVm('arm64').state.archState).toBeUndefined();
    const s = structuredClone(createVm('s390x').state);
    expect(checkVmState(s, DEVICE_MODELS)).toBeUndefined();
    expect(checkVmState({ ...s, archState: undefined }, DEVICE_MODELS)).toMatch(/archState is missing/);
    expect(checkVmState({ ...createVm('arm64').state, archState: s.archState }, DEVICE_MODELS)).toMatch(/keeps no arch state/);
  });
});
