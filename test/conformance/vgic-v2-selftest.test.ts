/**
 * Conformance: the GICv2 cases of the kernel's KVM selftest
 * tools/testing/selftests/kvm/arm64/vgic_init.c, step for step as scenarios.
 * The selftest's max_phys_size is 1 << pa_bits of the default guest mode;
 * here ipa_bits is 40, so MAXPA = 1 << 40. Every TEST_ASSERT of the C file
 * becomes an `expect` on the same ioctl; helpers that assert success
 * (kvm_has_device_attr, kvm_device_attr_set, kvm_create_device,
 * vm_vcpu_add) become `expect: 0`.
 */
import { describe, test } from 'vitest';
import {
  CPU_ADDR,
  createDevice,
  DIST_ADDR,
  expectFlipMisses,
  expectHolds,
  getAttr,
  GRP,
  hasAttr,
  hex,
  regAttr,
  run,
  scenario,
  setAttr,
  type Step,
  V2,
  V3,
  vcpus,
} from './builders.js';

const NR_VCPUS = 4;
const MAXPA = 1n << 40n;

/** gic_v2_dist_region / gic_v2_cpu_region of the selftest. */
const dist = { attr: DIST_ADDR, size: 0x1000n, alignment: 0x1000n };
const rdist = { attr: CPU_ADDR, size: 0x2000n, alignment: 0x1000n }; // "CPU interface in GICv2"

const setAddr = (attr: string, addr: bigint, exp: 0 | string, note: string): Step => setAttr(GRP.ADDR, attr, hex(addr), exp, { note });

/**
 * subtest_dist_rdist() for v2: existing and missing attributes, misaligned
 * and out-of-range bases, the CPU interface at 0, a second set, and a DIST
 * base that overlaps the CPU interface (only detected at the first run).
 */
function subtestDistRdist(): Step[] {
  return [
    hasAttr(GRP.ADDR, dist.attr, 0),
    hasAttr(GRP.ADDR, rdist.attr, 0),
    hasAttr(GRP.ADDR, '0xffffffffffffffff', 'ENXIO'), // "attribute not supported"
    setAddr(dist.attr, dist.alignment / 0x10n, 'EINVAL', 'GIC dist base not aligned'),
    setAddr(rdist.attr, rdist.alignment / 0x10n, 'EINVAL', 'GIC redist/cpu base not aligned'),
    setAddr(dist.attr, MAXPA, 'E2BIG', 'dist address beyond IPA limit'),
    setAddr(rdist.attr, MAXPA, 'E2BIG', 'redist address beyond IPA limit'),
    setAddr(rdist.attr, MAXPA - dist.alignment, 'E2BIG', 'half of the redist is beyond IPA limit'),
    setAddr(rdist.attr, 0n, 0, 'set REDIST base address @0x0'),
    setAddr(rdist.attr, 0xe0000n, 'EEXIST', 'GIC redist base set again'),
    // __kvm_has_device_attr(KVM_VGIC_V3_ADDR_TYPE_REDIST) fails on v2, so the
    // selftest skips its REDIST_REGION mixing check.
    hasAttr(GRP.ADDR, 'KVM_VGIC_V3_ADDR_TYPE_REDIST', 'ENXIO'),
    setAddr(dist.attr, rdist.size - rdist.alignment, 0, 'overlapping DIST / CPU, cannot be detected here'),
  ];
}

/** The subtest's own steps hold on their own and could fail: flipping its EEXIST step is reported. */
describe('subtest_dist_rdist (v2)', () => {
  test('every address check of subtest_dist_rdist holds on a fresh v2 device (vgic_check_iorange, vgic_v2_has_attr)', () => {
    const doc = scenario([...vcpus(NR_VCPUS), createDevice(V2), ...subtestDistRdist()]);
    expectHolds(doc);
    const eexist = NR_VCPUS + 1 + 9;
    expectFlipMisses(doc, eexist, { expect: 0 }, `step ${eexist} set_attr KVM_DEV_ARM_VGIC_GRP_ADDR: expected 0, got EEXIST`);
    const e2big = NR_VCPUS + 1 + 7;
    expectFlipMisses(doc, e2big, { expect: 'EINVAL' }, `step ${e2big} set_attr KVM_DEV_ARM_VGIC_GRP_ADDR: expected EINVAL, got E2BIG`);
  });
});

describe('vgic_init.c run_tests(KVM_DEV_TYPE_ARM_VGIC_V2)', () => {
  test('test_vcpus_then_vgic: 4 vcpus, then the device; the DIST/CPU overlap is EINVAL at the first run of vcpu 3 (vgic_v2_check_base)', () => {
    const doc = scenario([...vcpus(NR_VCPUS), createDevice(V2), ...subtestDistRdist(), run(3, 'EINVAL')]);
    expectHolds(doc);
    expectFlipMisses(doc, doc.steps.length - 1, { expect: 0 }, `step ${doc.steps.length - 1} run_vcpu: expected 0, got EINVAL`);
  });

  test('test_vgic_then_vcpus: vcpu 0, the device, then vcpus 1-3; the overlap is EINVAL at the first run of vcpu 3', () => {
    const doc = scenario([...vcpus(1), createDevice(V2), ...subtestDistRdist(), ...vcpus(NR_VCPUS - 1, 1), run(3, 'EINVAL')]);
    expectHolds(doc);
    expectFlipMisses(doc, doc.steps.length - 1, { expect: 'ENXIO' }, `step ${doc.steps.length - 1} run_vcpu: expected ENXIO, got EINVAL`);
  });

  test('test_v2_uaccess_cpuif_no_vcpus: with no vcpu, HAS/GET/SET of CPU_REGS GICC_CTLR for vcpu 0 are EINVAL (vgic_v2_parse_attr)', () => {
    const attr = regAttr(0, 0x00); // KVM_VGIC_V2_ATTR(GIC_CPU_CTRL, 0)
    const doc = scenario([
      createDevice(V2), // vm_gic_create_barebones
      ...subtestDistRdist(),
      hasAttr(GRP.CPU, attr, 'EINVAL'),
      getAttr(GRP.CPU, attr, 'EINVAL'),
      setAttr(GRP.CPU, attr, 0, 'EINVAL'),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, doc.steps.length - 2, { expect: 0 }, `step ${doc.steps.length - 2} get_attr KVM_DEV_ARM_VGIC_GRP_CPU_REGS: expected 0, got EINVAL`);
  });
});

describe('vgic_init.c test_kvm_device', () => {
  test('test_kvm_device(V2): TEST of type 0 is ENODEV, TEST of v2 is 0, v2 is created once, a second v2 is EEXIST; the TEST create of v3 succeeds, so the real v3 create is tried and fails with EEXIST (kvm_ioctl_create_device, kvm_vgic_create)', () => {
    const doc = scenario([
      ...vcpus(NR_VCPUS),
      createDevice(0, 'ENODEV', '', 'KVM_CREATE_DEVICE_TEST'), // "unsupported device"
      createDevice(V2, 0, '', 'KVM_CREATE_DEVICE_TEST'), // trial mode
      createDevice(V2, 0, 'gic'),
      createDevice(V2, 'EEXIST', 'gic2'), // "create GIC device twice"
      // The selftest tries the other version only if a TEST create of it
      // succeeds; then the create must fail with EEXIST (the irqchip slot is
      // taken) or EINVAL, as the selftest accepts either.
      createDevice(V3, 0, '', 'KVM_CREATE_DEVICE_TEST'),
      createDevice(V3, ['EINVAL', 'EEXIST'], 'gic3'),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 7, { expect: 0 }, 'step 7 create_device KVM_DEV_TYPE_ARM_VGIC_V2: expected 0, got EEXIST');
    expectFlipMisses(doc, 9, { expect: 0 }, 'step 9 create_device KVM_DEV_TYPE_ARM_VGIC_V3: expected 0, got EEXIST');
  });

  test('test_kvm_device(V3) as main() probes it first: the TEST create of v3 succeeds on this GICv3 host model, so run_tests(V3) applies (see vgic-v3-selftest.test.ts)', () => {
    expectHolds(scenario([...vcpus(NR_VCPUS), createDevice(0, 'ENODEV', '', 'KVM_CREATE_DEVICE_TEST'), createDevice(V3, 0, '', 'KVM_CREATE_DEVICE_TEST')]));
  });
});
