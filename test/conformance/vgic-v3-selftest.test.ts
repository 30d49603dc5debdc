/**
 * Conformance: the GICv3 cases of the kernel's KVM selftest
 * tools/testing/selftests/kvm/arm64/vgic_init.c (v6.17: run_tests(V3) and
 * test_kvm_device(V3)), step for step as scenarios. MAXPA is 1 << 40 (the
 * scenarios' ipa_bits). Every TEST_ASSERT becomes an `expect` on the same
 * ioctl; helpers that assert success become `expect: 0`. Each selftest
 * function runs on a fresh VM, so each is its own scenario.
 */
import { describe, test } from 'vitest';
import { createDevice, createVcpu, expectFlipMisses, expectHolds, getAttr, GRP, hasAttr, hex, INIT, run, scenario, setAttr, type Step, vcpus } from './builders.js';
import { ADDR3, GRP3, ITS, regionWord, regOffset, V3 } from './builders-v3.js';

const NR_VCPUS = 4;
const MAXPA = 1n << 40n;
const GICR_TYPER = 0x8;
const GICD_TYPER2 = 0xc;
const nASSGIcap = 1 << 8;

const addr = (attr: string, a: bigint | number, exp: 0 | string, note?: string, dev = 'gic'): Step => setAttr(GRP.ADDR, attr, hex(a), exp, { dev, ...(note && { note }) });
const region = (count: number, base: bigint | number, flags: number, index: number, exp: 0 | string, note?: string): Step =>
  setAttr(GRP.ADDR, ADDR3.REGION, regionWord(count, base, flags, index), exp, note ? { note } : {});
const typer = (vcpu: number, want: number | string, note?: string): Step => getAttr(GRP3.REDIST, regOffset(vcpu, GICR_TYPER), typeof want === 'string' ? want : 0, typeof want === 'number' ? hex(want) : undefined, note ? { note } : {});
const init = (exp: 0 | string = 0): Step => setAttr(GRP.CTRL, INIT, undefined, exp);
const gic = (): Step => createDevice(V3, 0, 'gic');

/** subtest_dist_rdist() for v3: the DIST and legacy REDIST attributes, errors, and an overlap left for the first run. */
function subtestDistRdist(): Step[] {
  const dist = { attr: ADDR3.DIST, alignment: 0x10000n };
  const rdist = { attr: ADDR3.REDIST, size: BigInt(NR_VCPUS) * 0x20000n, alignment: 0x10000n };
  return [
    hasAttr(GRP.ADDR, dist.attr, 0),
    hasAttr(GRP.ADDR, rdist.attr, 0),
    hasAttr(GRP.ADDR, '0xffffffffffffffff', 'ENXIO'),
    addr(dist.attr, dist.alignment / 0x10n, 'EINVAL', 'GIC dist base not aligned'),
    addr(rdist.attr, rdist.alignment / 0x10n, 'EINVAL', 'GIC redist/cpu base not aligned'),
    addr(dist.attr, MAXPA, 'E2BIG', 'dist address beyond IPA limit'),
    addr(rdist.attr, MAXPA, 'E2BIG', 'redist address beyond IPA limit'),
    addr(rdist.attr, MAXPA - dist.alignment, 'E2BIG', 'half of the redist is beyond IPA limit'),
    addr(rdist.attr, 0n, 0, 'set REDIST base address @0x0'),
    addr(rdist.attr, 0xe0000n, 'EEXIST', 'GIC redist base set again'),
    hasAttr(GRP.ADDR, ADDR3.REDIST, 0),
    region(NR_VCPUS, 0x100000, 0, 0, 'EINVAL', 'attempt to mix GICv3 REDIST and REDIST_REGION'),
    addr(dist.attr, rdist.size - rdist.alignment, 0, 'overlapping DIST / REDIST, cannot be detected here'),
  ];
}

/** subtest_v3_redist_regions(): the REDIST_REGION rules, reading regions back, and a collision with the distributor. */
function subtestV3RedistRegions(): Step[] {
  return [
    hasAttr(GRP.ADDR, ADDR3.REDIST, 0), // "Multiple redist regions advertised"
    region(NR_VCPUS, 0x100000, 2, 0, 'EINVAL', 'redist region attr value with flags != 0'),
    region(0, 0x100000, 0, 0, 'EINVAL', 'redist region attr value with count== 0'),
    region(2, 0x200000, 0, 1, 'EINVAL', 'attempt to register the first rdist region with index != 0'),
    region(2, 0x201000, 0, 1, 'EINVAL', 'rdist region with misaligned address'),
    region(2, 0x200000, 0, 0, 0),
    region(2, 0x200000, 0, 1, 'EINVAL', 'register an rdist region with already used index'),
    region(1, 0x210000, 0, 2, 'EINVAL', 'register an rdist region overlapping with another one'),
    region(1, 0x240000, 0, 2, 'EINVAL', 'register redist region with index not +1'),
    region(1, 0x240000, 0, 1, 0),
    region(1, MAXPA, 0, 2, 'E2BIG', 'register redist region with base address beyond IPA range'),
    region(2, MAXPA - 0x30000n, 0, 2, 'E2BIG', 'register redist region with top address beyond IPA range'),
    addr(ADDR3.REDIST, 0x260000, 'EINVAL', 'Mix KVM_VGIC_V3_ADDR_TYPE_REDIST and REDIST_REGION'),
    getAttr(GRP.ADDR, ADDR3.REGION, 0, regionWord(2, 0x200000, 0, 0), { value: regionWord(0, 0, 0, 0), note: 'read characteristics of region #0' }),
    getAttr(GRP.ADDR, ADDR3.REGION, 0, regionWord(1, 0x240000, 0, 1), { value: regionWord(0, 0, 0, 1), note: 'read characteristics of region #1' }),
    getAttr(GRP.ADDR, ADDR3.REGION, 'ENOENT', undefined, { value: regionWord(0, 0, 0, 2), note: 'read characteristics of non existing region' }),
    addr(ADDR3.DIST, 0x260000, 0),
    region(2, 0x260000, 0, 2, 'EINVAL', 'register redist region colliding with dist'),
  ];
}

describe('vgic_init.c run_tests(V3)', () => {
  test('test_vgic_then_vcpus(V3): the VGIC made with one vcpu, three added after; the dist/redist overlap is found at the first run: EINVAL (vgic_v3_map_resources -> vgic_v3_check_base)', () => {
    const doc = scenario([createVcpu(0), gic(), ...subtestDistRdist(), createVcpu(1), createVcpu(2), createVcpu(3), run(3, 'EINVAL')]);
    expectHolds(doc);
    expectFlipMisses(doc, doc.steps.length - 1, { expect: 0 }, `step ${doc.steps.length - 1} run_vcpu: expected 0, got EINVAL`);
  });

  test('test_vcpus_then_vgic(V3): all vcpus first; the overlap is found at the first run: EINVAL', () => {
    const doc = scenario([...vcpus(NR_VCPUS), gic(), ...subtestDistRdist(), run(3, 'EINVAL')]);
    expectHolds(doc);
    expectFlipMisses(doc, 5, { expect: 'EINVAL' }, 'step 5 has_attr KVM_DEV_ARM_VGIC_GRP_ADDR: expected EINVAL, got 0');
  });

  test('test_v3_new_redist_regions step 1: INIT with 3 redistributors for 4 vcpus, the first run is ENXIO (a vcpu without redistributor)', () => {
    const doc = scenario([...vcpus(NR_VCPUS), gic(), ...subtestV3RedistRegions(), init(), run(3, 'ENXIO')]);
    expectHolds(doc);
    expectFlipMisses(doc, doc.steps.length - 1, { expect: 0 }, `step ${doc.steps.length - 1} run_vcpu: expected 0, got ENXIO`);
  });

  test('test_v3_new_redist_regions step 2: enough redistributors but no INIT, the first run is EBUSY (v3 does not initialise lazily)', () => {
    const doc = scenario([...vcpus(NR_VCPUS), gic(), ...subtestV3RedistRegions(), region(1, 0x280000, 0, 2, 0), run(3, 'EBUSY')]);
    expectHolds(doc);
    expectFlipMisses(doc, doc.steps.length - 1, { expect: 0 }, `step ${doc.steps.length - 1} run_vcpu: expected 0, got EBUSY`);
  });

  test('test_v3_new_redist_regions step 3: a NULL region word is EFAULT; a third region and INIT, then the vcpu runs', () => {
    const doc = scenario([
      ...vcpus(NR_VCPUS),
      gic(),
      ...subtestV3RedistRegions(),
      setAttr(GRP.ADDR, ADDR3.REGION, undefined, 'EFAULT', { null_pointer: true, note: 'register a third region allowing to cover the 4 vcpus' }),
      region(1, 0x280000, 0, 2, 0),
      init(),
      run(3, 0),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, doc.steps.length - 1, { expect: 'EBUSY' }, `step ${doc.steps.length - 1} run_vcpu: expected EBUSY, got 0`);
  });

  test('test_v3_typer_accesses: GICR_TYPER of a vcpu that does not exist is EINVAL, before INIT EBUSY; Processor_Number is the vcpu id; Last follows the region layout (vgic_mmio_vcpu_rdist_is_last)', () => {
    const doc = scenario([
      createVcpu(0),
      gic(),
      createVcpu(3),
      typer(1, 'EINVAL', 'attempting to read GICR_TYPER of non created vcpu'),
      createVcpu(1),
      typer(1, 'EBUSY', 'read GICR_TYPER before GIC initialized'),
      createVcpu(2),
      init(),
      ...[0, 1, 2, 3].map((i) => typer(i, i * 0x100, 'read GICR_TYPER before rdist region setting')),
      region(2, 0x200000, 0, 0, 0),
      typer(0, 0x0, 'read typer of rdist #0'),
      typer(3, 0x310, 'read typer of rdist #1'),
      region(10, 0x100000, 0, 1, 'EINVAL', 'collision with previous rdist region'),
      typer(1, 0x100, 'no redist region attached to vcpu #1 yet, last cannot be returned'),
      typer(2, 0x200, 'no redist region attached to vcpu #2, last cannot be returned'),
      region(10, 0x20000, 0, 1, 0),
      typer(1, 0x100, 'read typer of rdist #1'),
      typer(2, 0x210, 'read typer of rdist #1, last properly returned'),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, doc.steps.length - 1, { expect_value: '0x200' }, `step ${doc.steps.length - 1} get_attr KVM_DEV_ARM_VGIC_GRP_REDIST_REGS: expected value 0x200, got 0x210`);
  });

  const ids = [0, 3, 5, 4, 1, 2];

  test('test_v3_last_bit_redist_regions: three regions, #1 and #2 contiguous; Last on 3 and 4, not on 2 (the next region follows on)', () => {
    const doc = scenario([
      ...ids.map((id) => createVcpu(id)),
      gic(),
      init(),
      region(2, 0x100000, 0, 0, 0),
      region(2, 0x240000, 0, 1, 0),
      region(2, 0x200000, 0, 2, 0),
      typer(0, 0x000),
      typer(1, 0x100),
      typer(2, 0x200),
      typer(3, 0x310),
      typer(5, 0x500),
      typer(4, 0x410),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 13, { expect_value: '0x210' }, 'step 13 get_attr KVM_DEV_ARM_VGIC_GRP_REDIST_REGS: expected value 0x210, got 0x200');
  });

  test('test_v3_last_bit_single_rdist: the legacy region; only the last vcpu created is Last', () => {
    const doc = scenario([...ids.map((id) => createVcpu(id)), gic(), init(), addr(ADDR3.REDIST, 0x10000, 0), typer(0, 0x000), typer(3, 0x300), typer(5, 0x500), typer(1, 0x100), typer(2, 0x210)]);
    expectHolds(doc);
    expectFlipMisses(doc, doc.steps.length - 1, { expect_value: '0x200' }, `step ${doc.steps.length - 1} get_attr KVM_DEV_ARM_VGIC_GRP_REDIST_REGS: expected value 0x200, got 0x210`);
  });

  test('test_v3_redist_ipa_range_check_at_vcpu_run: a legacy region that fits 3 redistributors, 4 vcpus: the first run is EINVAL (the region grows with the vcpus)', () => {
    const doc = scenario([createVcpu(0), gic(), addr(ADDR3.REDIST, MAXPA - 3n * 0x20000n, 0), addr(ADDR3.DIST, 0, 0), createVcpu(1), createVcpu(2), createVcpu(3), init(), run(2, 'EINVAL')]);
    expectHolds(doc);
    expectFlipMisses(doc, doc.steps.length - 1, { expect: 0 }, `step ${doc.steps.length - 1} run_vcpu: expected 0, got EINVAL`);
  });

  test('test_v3_its_region: ITS base misaligned EINVAL, beyond the IPA E2BIG, half beyond E2BIG (the 128 KiB frame), set once, again EEXIST (vgic_check_iorange)', () => {
    const doc = scenario([
      ...vcpus(NR_VCPUS),
      gic(),
      createDevice(ITS, 0, 'its'),
      addr(ADDR3.ITS, 0x401000, 'EINVAL', 'ITS region with misaligned address', 'its'),
      addr(ADDR3.ITS, MAXPA, 'E2BIG', 'register ITS region with base address beyond IPA range', 'its'),
      addr(ADDR3.ITS, MAXPA - 0x10000n, 'E2BIG', 'Half of ITS region is beyond IPA range', 'its'),
      addr(ADDR3.ITS, 0x400000, 0, undefined, 'its'),
      addr(ADDR3.ITS, 0x300000, 'EEXIST', 'ITS base set again', 'its'),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 9, { expect: 'E2BIG' }, 'step 9 set_attr KVM_DEV_ARM_VGIC_GRP_ADDR: expected E2BIG, got 0');
  });

  test('test_v3_nassgicap: GICD_TYPER2 reads before INIT; setting nASSGIcap without GICv4.1 vSGIs is EINVAL, the same value is accepted, any change after INIT is EBUSY', () => {
    const doc = scenario([
      ...vcpus(NR_VCPUS),
      gic(),
      getAttr(GRP.DIST, GICD_TYPER2, 0, '0x0'),
      setAttr(GRP.DIST, GICD_TYPER2, hex(nASSGIcap), 'EINVAL', { note: "Enabled nASSGIcap even though it's unavailable" }),
      setAttr(GRP.DIST, GICD_TYPER2, 0, 0),
      init(),
      setAttr(GRP.DIST, GICD_TYPER2, hex(nASSGIcap), 'EBUSY', { note: 'Changed nASSGIcap after initializing the VGIC' }),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 6, { expect: 0 }, 'step 6 set_attr KVM_DEV_ARM_VGIC_GRP_DIST_REGS: expected 0, got EINVAL');
  });
});

describe('vgic_init.c test_kvm_device(V3)', () => {
  test('TEST of type 0 is ENODEV, TEST of v3 is 0, v3 is created once (EEXIST), and v2 next to it is EEXIST (kvm_vgic_create)', () => {
    const doc = scenario([
      ...vcpus(NR_VCPUS),
      createDevice(0, 'ENODEV', '', 'KVM_CREATE_DEVICE_TEST'),
      createDevice(V3, 0, '', 'KVM_CREATE_DEVICE_TEST'),
      createDevice(V3, 0, 'gic'),
      createDevice(V3, 'EEXIST', 'gic2'),
      createDevice('KVM_DEV_TYPE_ARM_VGIC_V2', 0, '', 'KVM_CREATE_DEVICE_TEST'),
      createDevice('KVM_DEV_TYPE_ARM_VGIC_V2', ['EINVAL', 'EEXIST'], 'gic3'),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 7, { expect: 0 }, 'step 7 create_device KVM_DEV_TYPE_ARM_VGIC_V3: expected 0, got EEXIST');
  });
});
