/**
 * Conformance: the errno rules of the VGIC v3 device, one test per rule,
 * each naming the rule and where it comes from (kernel function, v6.17, and
 * the section of shared/reference/kvm-device-api.md). Where the reference
 * and the code disagree the test follows the code and says so. The rules
 * that matter most also check the opposite expectation (expectFlipMisses).
 */
import { describe, test } from 'vitest';
import { createDevice, createVcpu, expectFlipMisses, expectHolds, getAttr, GRP, hasAttr, hex, INIT, irqLine, irqWord, IRQ_TYPE, last, run, scenario, setAttr, type Step, vcpus } from './builders.js';
import { ADDR3, aff, GRP3, ICC, ITS, MAP, mpidrAttr, regionWord, V3, v3Bringup } from './builders-v3.js';

const MAXPA = 1n << 40n;
const init = (exp: 0 | string = 0): Step => setAttr(GRP.CTRL, INIT, undefined, exp);
const gic = (exp: 0 | string = 0): Step => createDevice(V3, exp, 'gic');
const addr = (attr: string, a: bigint | number | string, exp: 0 | string | string[] = 0): Step => setAttr(GRP.ADDR, attr, typeof a === 'string' ? a : hex(a), exp);
const region = (count: number, base: bigint | number, flags: number, index: number, exp: 0 | string = 0): Step => addr(ADDR3.REGION, regionWord(count, base, flags, index), exp);
const sysAttr = (vcpuId: number, reg: number) => mpidrAttr(vcpuId, reg);

// ---------------------------------------------------------------------------
describe('creating a VGIC v3 (kvm_vgic_create, kvm_arch_vcpu_precreate; reference 3.3 creation)', () => {
  test('v3 exists only on arm64: ENODEV elsewhere, even as a TEST (kvm_register_vgic_device; reference 2)', () => {
    for (const arch of ['x86_64', 'ppc64', 's390x']) expectHolds(scenario([createDevice(V3, 'ENODEV', ''), createDevice(V3, 'ENODEV', '', 'KVM_CREATE_DEVICE_TEST')], { arch }));
  });

  test('a second VGIC of either version is EEXIST: v3 then v3, v3 then v2, v2 then v3 (kvm_vgic_create irqchip_in_kernel)', () => {
    const doc = scenario([createVcpu(0), gic(), createDevice(V3, 'EEXIST', 'b'), createDevice('KVM_DEV_TYPE_ARM_VGIC_V2', 'EEXIST', 'c')]);
    expectHolds(doc);
    expectFlipMisses(doc, 2, { expect: 0 }, 'step 2 create_device KVM_DEV_TYPE_ARM_VGIC_V3: expected 0, got EEXIST');
    expectHolds(scenario([createDevice('KVM_DEV_TYPE_ARM_VGIC_V2', 0, 'a'), createDevice(V3, 'EEXIST', 'b')]));
  });

  test('after a vcpu has run, creating the VGIC is EBUSY (kvm_vgic_create vcpu_has_run_once)', () => {
    const doc = scenario([createVcpu(0), run(0), gic('EBUSY')]);
    expectHolds(doc);
    expectFlipMisses(doc, 2, { expect: 0 }, 'step 2 create_device KVM_DEV_TYPE_ARM_VGIC_V3: expected 0, got EBUSY');
  });

  test('max_vcpus stays 512 with v3 (unlike v2\'s 8): vcpu ids 8..511 are accepted, 512 is EINVAL (kvm_vgic_create VGIC_V3_MAX_CPUS)', () => {
    expectHolds(scenario([createVcpu(0), gic(), createVcpu(8), createVcpu(511), createVcpu(512, 'EINVAL')]));
  });

  test('once initialised, creating a vcpu is EBUSY (kvm_arch_vcpu_precreate)', () => {
    const doc = scenario([createVcpu(0), gic(), init(), createVcpu(1, 'EBUSY')]);
    expectHolds(doc);
    expectFlipMisses(doc, 3, { expect: 0 }, 'step 3 create_vcpu: expected 0, got EBUSY');
  });

  test('a vcpu whose redistributor would make the legacy region overlap the distributor cannot be created: EINVAL (kvm_vgic_vcpu_init -> vgic_register_redist_iodev -> vgic_v3_check_base)', () => {
    // Legacy region at 0: two vcpus need 0x40000, which reaches the distributor at 0x20000
    // only when the second vcpu is being created... the check runs with the vcpus online
    // before it (one), so the second is fine and the third fails.
    const doc = scenario([createVcpu(0), gic(), addr(ADDR3.REDIST, 0), createVcpu(1), addr(ADDR3.DIST, 0x40000), createVcpu(2), createVcpu(3, 'EINVAL')]);
    expectHolds(doc);
    expectFlipMisses(doc, last(doc), { expect: 0 }, `step ${last(doc)} create_vcpu: expected 0, got EINVAL`);
  });
});

// ---------------------------------------------------------------------------
describe('KVM_DEV_ARM_VGIC_GRP_ADDR for v3 (kvm_vgic_addr, vgic_v3_alloc_redist_region; reference 3.1, 3.3)', () => {
  test('DIST: 64 KiB alignment (EINVAL), beyond the IPA (E2BIG), set once (EEXIST), reads back; unset reads all ones (vgic_check_iorange)', () => {
    const doc = scenario([
      createVcpu(0),
      gic(),
      getAttr(GRP.ADDR, ADDR3.DIST, 0, '0xffffffffffffffff'),
      addr(ADDR3.DIST, 0x8001000, 'EINVAL'),
      addr(ADDR3.DIST, MAXPA, 'E2BIG'),
      addr(ADDR3.DIST, MAXPA - 0x10000n, 0),
      addr(ADDR3.DIST, 0x8000000, 'EEXIST'),
      getAttr(GRP.ADDR, ADDR3.DIST, 0, hex(MAXPA - 0x10000n)),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 3, { expect: 0 }, 'step 3 set_attr KVM_DEV_ARM_VGIC_GRP_ADDR: expected 0, got EINVAL');
  });

  test('an address whose range wraps past 2^64 is EINVAL, not E2BIG (vgic_check_iorange addr + size < addr)', () => {
    expectHolds(scenario([createVcpu(0), gic(), addr(ADDR3.DIST, '0xffffffffffff0000', 'EINVAL'), addr(ADDR3.REDIST, '0xffffffffffff0000', 'EINVAL')]));
  });

  test('the v2 types and the ITS type are ENXIO on v3 for SET, GET and HAS (vgic_check_type -> ENODEV, translated to ENXIO)', () => {
    const doc = scenario([
      createVcpu(0),
      gic(),
      ...['KVM_VGIC_V2_ADDR_TYPE_DIST', 'KVM_VGIC_V2_ADDR_TYPE_CPU', ADDR3.ITS, 6].flatMap((t) => [addr(t as string, 0x1000000, 'ENXIO'), getAttr(GRP.ADDR, t, 'ENXIO'), hasAttr(GRP.ADDR, t, 'ENXIO')]),
      ...[ADDR3.DIST, ADDR3.REDIST, ADDR3.REGION].map((t) => hasAttr(GRP.ADDR, t, 0)),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 2, { expect: 'ENODEV' }, 'step 2 set_attr KVM_DEV_ARM_VGIC_GRP_ADDR: expected ENODEV, got ENXIO');
  });

  test('a NULL user pointer: SET of any type and GET of REDIST_REGION (which reads its index first) are EFAULT; GET of DIST faults at put_user (kvm_vgic_addr get_user/put_user)', () => {
    expectHolds(
      scenario([
        createVcpu(0),
        gic(),
        setAttr(GRP.ADDR, ADDR3.DIST, undefined, 'EFAULT', { null_pointer: true }),
        setAttr(GRP.ADDR, ADDR3.REDIST, undefined, 'EFAULT', { null_pointer: true }),
        getAttr(GRP.ADDR, ADDR3.REGION, 'EFAULT', undefined, { null_pointer: true }),
        getAttr(GRP.ADDR, ADDR3.DIST, 'EFAULT', undefined, { null_pointer: true }),
      ]),
    );
  });

  test('legacy REDIST: misaligned EINVAL, sized by the vcpus against the IPA (E2BIG), a second one EEXIST; GET gives its base (vgic_v3_set_redist_base(0, addr, 0))', () => {
    const doc = scenario([
      ...vcpus(2),
      gic(),
      getAttr(GRP.ADDR, ADDR3.REDIST, 0, '0xffffffffffffffff'),
      addr(ADDR3.REDIST, 0x8008000, 'EINVAL'),
      addr(ADDR3.REDIST, MAXPA - 0x20000n, 'E2BIG'),
      addr(ADDR3.REDIST, MAXPA - 0x40000n, 0),
      addr(ADDR3.REDIST, 0x100000, 'EEXIST'),
      getAttr(GRP.ADDR, ADDR3.REDIST, 0, hex(MAXPA - 0x40000n)),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 5, { expect: 0 }, 'step 5 set_attr KVM_DEV_ARM_VGIC_GRP_ADDR: expected 0, got E2BIG');
  });

  test('a legacy REDIST overlapping an already set distributor is EINVAL at once (vgic_v3_alloc_redist_region !count && vgic_dist_overlap)', () => {
    // Two vcpus: the legacy region is 0x40000 long; the distributor 0x10000.
    const doc = scenario([...vcpus(2), gic(), addr(ADDR3.DIST, 0x8000000), addr(ADDR3.REDIST, 0x7ff0000, 'EINVAL'), addr(ADDR3.REDIST, 0x7fd0000, 'EINVAL'), addr(ADDR3.REDIST, 0x8010000, 0)]);
    expectHolds(doc);
    expectFlipMisses(doc, 4, { expect: 0 }, 'step 4 set_attr KVM_DEV_ARM_VGIC_GRP_ADDR: expected 0, got EINVAL');
  });

  test('REDIST_REGION: flags != 0 and count == 0 are EINVAL before any region check (kvm_vgic_addr)', () => {
    const doc = scenario([createVcpu(0), gic(), region(1, 0x100000, 1, 0, 'EINVAL'), region(0, 0x100000, 0, 0, 'EINVAL'), region(1, 0x100000, 0, 0)]);
    expectHolds(doc);
    expectFlipMisses(doc, 2, { expect: 0 }, 'step 2 set_attr KVM_DEV_ARM_VGIC_GRP_ADDR: expected 0, got EINVAL');
  });

  test('REDIST_REGION ordering: the first index must be 0, each next one previous + 1, else EINVAL; the legacy region after REDIST_REGION is EINVAL (mixing) (vgic_v3_alloc_redist_region)', () => {
    const doc = scenario([createVcpu(0), gic(), region(1, 0x100000, 0, 1, 'EINVAL'), region(1, 0x100000, 0, 0), region(1, 0x200000, 0, 2, 'EINVAL'), region(1, 0x200000, 0, 1), addr(ADDR3.REDIST, 0x400000, 'EINVAL')]);
    expectHolds(doc);
    expectFlipMisses(doc, last(doc), { expect: 0 }, `step ${last(doc)} set_attr KVM_DEV_ARM_VGIC_GRP_ADDR: expected 0, got EINVAL`);
  });

  test('a REDIST_REGION after the legacy region: index 0 is EINVAL (the index check), but index 1 is accepted; the kernel refuses the mix only one way round (code: vgic_v3_alloc_redist_region; reference 3.3 says EINVAL whenever the legacy REDIST was used: the code wins)', () => {
    const doc = scenario([createVcpu(0), gic(), addr(ADDR3.REDIST, 0x400000), region(1, 0x100000, 0, 0, 'EINVAL'), region(1, 0x100000, 0, 1, 0), getAttr(GRP.ADDR, ADDR3.REGION, 0, regionWord(1, 0x100000, 0, 1), { value: regionWord(0, 0, 0, 1) })]);
    expectHolds(doc);
    expectFlipMisses(doc, 4, { expect: 'EINVAL' }, 'step 4 set_attr KVM_DEV_ARM_VGIC_GRP_ADDR: expected EINVAL, got 0');
  });

  test('REDIST_REGION overlapping another region is EINVAL; one overlapping only the distributor is refused when a vcpu is registered into it (vgic_v3_rdist_overlap; vgic_register_redist_iodev -> vgic_v3_check_base)', () => {
    const doc = scenario([
      createVcpu(0),
      createVcpu(1),
      gic(),
      addr(ADDR3.DIST, 0x300000),
      region(1, 0x100000, 0, 0),
      region(1, 0x110000, 0, 1, 'EINVAL'),
      region(1, 0x2f0000, 0, 1, 'EINVAL'),
      // Region 1 is full, so nothing needs registering: the overlap with the distributor is only found at the first run.
      region(1, 0x120000, 0, 1),
      region(1, 0x300000, 0, 2),
      init(),
      run(0, 'EINVAL'),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 6, { expect: 0 }, 'step 6 set_attr KVM_DEV_ARM_VGIC_GRP_ADDR: expected 0, got EINVAL');
  });

  test('REDIST_REGION beyond the IPA, or reaching past it, is E2BIG (vgic_check_iorange)', () => {
    expectHolds(scenario([createVcpu(0), gic(), region(1, MAXPA, 0, 0, 'E2BIG'), region(2, MAXPA - 0x20000n, 0, 0, 'E2BIG'), region(1, MAXPA - 0x20000n, 0, 0)]));
  });

  test('REDIST_REGION GET takes the index from the user word: ENOENT without such a region; the index is kept in a u8, so 256 reads region 0 (kvm_vgic_addr, vgic_v3_rdist_region_from_index)', () => {
    const doc = scenario([
      createVcpu(0),
      gic(),
      getAttr(GRP.ADDR, ADDR3.REGION, 'ENOENT', undefined, { value: regionWord(0, 0, 0, 0) }),
      region(3, 0x100000, 0, 0),
      getAttr(GRP.ADDR, ADDR3.REGION, 0, regionWord(3, 0x100000, 0, 0), { value: regionWord(0, 0, 0, 0) }),
      getAttr(GRP.ADDR, ADDR3.REGION, 0, regionWord(3, 0x100000, 0, 0), { value: regionWord(0, 0, 0, 256) }),
      getAttr(GRP.ADDR, ADDR3.REDIST, 0, '0x100000'),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 2, { expect: 0 }, 'step 2 get_attr KVM_DEV_ARM_VGIC_GRP_ADDR: expected 0, got ENOENT');
  });
});

// ---------------------------------------------------------------------------
describe('KVM_DEV_ARM_VGIC_GRP_DIST_REGS for v3 (vgic_v3_attr_regs_access, vgic-mmio-v3.c; reference 3.3)', () => {
  test('no vcpu 0 to act on: EINVAL for SET, GET and HAS (vgic_v3_parse_attr kvm_get_vcpu(kvm, 0))', () => {
    const doc = scenario([gic(), getAttr(GRP.DIST, 0x8, 'EINVAL'), setAttr(GRP.DIST, 0x8, 0, 'EINVAL'), hasAttr(GRP.DIST, 0x8, 'EINVAL')]);
    expectHolds(doc);
    expectFlipMisses(doc, 1, { expect: 0 }, 'step 1 get_attr KVM_DEV_ARM_VGIC_GRP_DIST_REGS: expected 0, got EINVAL');
  });

  test('before INIT: EBUSY, except GICD_IIDR and GICD_TYPER2 (v6.17 reg_allowed_pre_init; reference 3.3: doc and code agree)', () => {
    const doc = scenario([createVcpu(0), gic(), getAttr(GRP.DIST, 0x0, 'EBUSY'), setAttr(GRP.DIST, 0x100, 1, 'EBUSY'), getAttr(GRP.DIST, 0x8, 0, '0x4b00343b'), getAttr(GRP.DIST, 0xc, 0, 0)]);
    expectHolds(doc);
    expectFlipMisses(doc, 2, { expect: 0 }, 'step 2 get_attr KVM_DEV_ARM_VGIC_GRP_DIST_REGS: expected 0, got EBUSY');
  });

  test('the user word is read before the INIT check: a NULL SET is EFAULT even before INIT (vgic_v3_attr_regs_access get_user)', () => {
    expectHolds(scenario([createVcpu(0), gic(), setAttr(GRP.DIST, 0x0, undefined, 'EFAULT', { null_pointer: true }), init(), setAttr(GRP.DIST, 0x0, undefined, 'EFAULT', { null_pointer: true })]));
  });

  test('GICD_IIDR: only the Revision may differ (else EINVAL); the revision kept is the current one (vgic_mmio_uaccess_write_v3_misc; reference 6.2)', () => {
    const doc = scenario([createVcpu(0), gic(), setAttr(GRP.DIST, 0x8, '0x4b00343c', 'EINVAL'), setAttr(GRP.DIST, 0x8, '0x4b00243b', 0), getAttr(GRP.DIST, 0x8, 0, '0x4b00343b')]);
    expectHolds(doc);
    expectFlipMisses(doc, 2, { expect: 0 }, 'step 2 set_attr KVM_DEV_ARM_VGIC_GRP_DIST_REGS: expected 0, got EINVAL');
  });

  test('an offset with no register reads 0 and ignores writes; HAS says ENXIO, also for a misaligned offset and an SPI word beyond nr_irqs (vgic_uaccess, vgic_v3_has_attr_regs)', () => {
    const doc = scenario([
      createVcpu(0),
      gic(),
      setAttr(GRP.NR_IRQS, 0, 64),
      init(),
      getAttr(GRP.DIST, 0x40, 0, 0),
      setAttr(GRP.DIST, 0x40, 1, 0),
      hasAttr(GRP.DIST, 0x40, 'ENXIO'),
      hasAttr(GRP.DIST, 0x102, 'ENXIO'),
      hasAttr(GRP.DIST, 0x104, 0),
      hasAttr(GRP.DIST, 0x108, 'ENXIO'),
      hasAttr(GRP.DIST, 0x6000 + 8 * 63, 0),
      hasAttr(GRP.DIST, 0x6000 + 8 * 64, 'ENXIO'),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 6, { expect: 0 }, 'step 6 has_attr KVM_DEV_ARM_VGIC_GRP_DIST_REGS: expected 0, got ENXIO');
  });

  test('GICD_ISPENDR from userspace reads the latch only and a write replaces it; GICD_ICPENDR is RAZ/WI for userspace (vgic_uaccess_read_pending, vgic_v3_uaccess_write_pending; reference 3.3)', () => {
    const spi = (n: number, l: number) => irqLine(irqWord(IRQ_TYPE.SPI, 0, n), l);
    const doc = scenario([
      createVcpu(0),
      gic(),
      init(),
      // SPI 33 level-configured with its line high: pending to the guest, not latched; SPI 34 edge: latched.
      setAttr(GRP.DIST, 0xc08, '0xaaaaaaa2', 0),
      spi(33, 1),
      spi(34, 1),
      getAttr(GRP.DIST, 0x204, 0, '0x4'),
      setAttr(GRP.DIST, 0x204, '0x2', 0),
      getAttr(GRP.DIST, 0x204, 0, '0x2'),
      getAttr(GRP.DIST, 0x284, 0, '0x0'),
      setAttr(GRP.DIST, 0x284, '0xffffffff', 0),
      getAttr(GRP.DIST, 0x204, 0, '0x2'),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 6, { expect_value: '0x6' }, 'step 6 get_attr KVM_DEV_ARM_VGIC_GRP_DIST_REGS: expected value 0x6, got 0x4');
  });

  test('GICD_STATUSR reads all ones and ignores writes (code: vgic_mmio_read_rao; reference 3.3 says a userspace write is stored: the code wins)', () => {
    expectHolds(scenario([createVcpu(0), gic(), init(), setAttr(GRP.DIST, 0x10, 0x5, 0), getAttr(GRP.DIST, 0x10, 0, '0xffffffff')]));
  });
});

// ---------------------------------------------------------------------------
describe('KVM_DEV_ARM_VGIC_GRP_REDIST_REGS (vgic_v3_parse_attr, vgic_v3_rd_registers; reference 3.3)', () => {
  test('the vcpu is named by MPIDR in bits 63:32: no vcpu with it (or Aff3 != 0) is EINVAL, also for HAS (kvm_mpidr_to_vcpu)', () => {
    const doc = scenario([
      ...vcpus(2),
      createVcpu(17),
      gic(),
      init(),
      getAttr(GRP3.REDIST, mpidrAttr(1, 0x8), 0, '0x100'),
      getAttr(GRP3.REDIST, mpidrAttr(17, 0x8), 0, '0x1100'),
      getAttr(GRP3.REDIST, hex((17n << 32n) | 8n), 'EINVAL'),
      getAttr(GRP3.REDIST, hex((1n << 56n) | 8n), 'EINVAL'),
      hasAttr(GRP3.REDIST, mpidrAttr(2, 0x8), 'EINVAL'),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 7, { expect: 0 }, 'step 7 get_attr KVM_DEV_ARM_VGIC_GRP_REDIST_REGS: expected 0, got EINVAL');
  });

  test('before INIT: EBUSY (vgic_v3_attr_regs_access)', () => {
    const doc = scenario([createVcpu(0), gic(), getAttr(GRP3.REDIST, mpidrAttr(0, 0x8), 'EBUSY'), init(), getAttr(GRP3.REDIST, mpidrAttr(0, 0x8), 0)]);
    expectHolds(doc);
    expectFlipMisses(doc, 2, { expect: 0 }, 'step 2 get_attr KVM_DEV_ARM_VGIC_GRP_REDIST_REGS: expected 0, got EBUSY');
  });

  test('HAS: RD_base and SGI_base offsets that exist are 0, others and misaligned ones ENXIO (vgic_v3_has_attr_regs)', () => {
    const doc = scenario([
      createVcpu(0),
      gic(),
      ...[0x0, 0x4, 0x8, 0xc, 0x70, 0x78, 0xffe8, 0x10100, 0x10400, 0x1041c, 0x10c04].map((o) => hasAttr(GRP3.REDIST, mpidrAttr(0, o), 0)),
      ...[0x18, 0x2, 0x10104, 0x10420, 0x10c08, 0x20000].map((o) => hasAttr(GRP3.REDIST, mpidrAttr(0, o), 'ENXIO')),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 13, { expect: 0 }, 'step 13 has_attr KVM_DEV_ARM_VGIC_GRP_REDIST_REGS: expected 0, got ENXIO');
  });

  test('GICR_TYPER ignores userspace writes (vgic_mmio_uaccess_write_wi); GICR_CTLR.EnableLPIs cannot be set without an ITS (vgic_mmio_write_v3r_ctlr)', () => {
    expectHolds(scenario([createVcpu(0), gic(), init(), setAttr(GRP3.REDIST, mpidrAttr(0, 0x8), 0xffff, 0), getAttr(GRP3.REDIST, mpidrAttr(0, 0x8), 0, '0x0'), setAttr(GRP3.REDIST, mpidrAttr(0, 0), 1, 0), getAttr(GRP3.REDIST, mpidrAttr(0, 0), 0, '0x6')]));
  });

  test('GICR_PROPBASER / PENDBASER writes are ignored while EnableLPIs is set: restore them before GICR_CTLR; written values are sanitised (inner non-cacheable becomes RaWb) (vgic_mmio_write_propbase/pendbase, vgic_sanitise_pendbaser; reference 3.3)', () => {
    const doc = scenario([
      createVcpu(0),
      gic(),
      createDevice(ITS, 0, 'its'),
      init(),
      setAttr(GRP3.REDIST, mpidrAttr(0, 0x78), '0x40100000', 0),
      setAttr(GRP3.REDIST, mpidrAttr(0, 0x0), 1, 0),
      setAttr(GRP3.REDIST, mpidrAttr(0, 0x78), '0x40200000', 0),
      getAttr(GRP3.REDIST, mpidrAttr(0, 0x78), 0, '0x40100180'),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 7, { expect_value: '0x40200180' }, 'step 7 get_attr KVM_DEV_ARM_VGIC_GRP_REDIST_REGS: expected value 0x40200180, got 0x40100180');
  });
});

// ---------------------------------------------------------------------------
describe('KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS (vgic-sys-reg-v3.c gic_v3_icc_reg_descs, kvm_sys_reg_get/set_user; reference 3.3)', () => {
  test('an unknown register is ENOENT for SET and GET (code: kvm_sys_reg_set/get_user) and ENXIO for HAS (vgic_v3_has_cpu_sysregs_attr); reference 3.3 says ENXIO for all: the code wins', () => {
    const doc = scenario([
      createVcpu(0),
      gic(),
      init(),
      getAttr(GRP3.SYSREGS, sysAttr(0, ICC.IAR1), 'ENOENT'),
      setAttr(GRP3.SYSREGS, sysAttr(0, 0x1234), 0, 'ENOENT'),
      hasAttr(GRP3.SYSREGS, sysAttr(0, ICC.IAR1), 'ENXIO'),
      hasAttr(GRP3.SYSREGS, sysAttr(0, ICC.PMR), 0),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 3, { expect: 'ENXIO' }, 'step 3 get_attr KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS: expected ENXIO, got ENOENT');
  });

  test('the ICH_*_EL2 registers are hidden without nested virtualisation: HAS ENXIO, GET ENOENT (el2_visibility)', () => {
    const ICH_HCR_EL2 = (3 << 14) | (4 << 11) | (12 << 7) | (11 << 3);
    expectHolds(scenario([createVcpu(0), gic(), init(), hasAttr(GRP3.SYSREGS, sysAttr(0, ICH_HCR_EL2), 'ENXIO'), getAttr(GRP3.SYSREGS, sysAttr(0, ICH_HCR_EL2), 'ENOENT')]));
  });

  test('bad MPIDR EINVAL; before INIT EBUSY; the user word is read after the INIT check (NULL: EBUSY before INIT, EFAULT after) (vgic_v3_attr_regs_access: uaccess = false)', () => {
    const doc = scenario([
      createVcpu(0),
      gic(),
      getAttr(GRP3.SYSREGS, sysAttr(5, ICC.PMR), 'EINVAL'),
      getAttr(GRP3.SYSREGS, sysAttr(0, ICC.PMR), 'EBUSY'),
      setAttr(GRP3.SYSREGS, sysAttr(0, ICC.PMR), undefined, 'EBUSY', { null_pointer: true }),
      init(),
      setAttr(GRP3.SYSREGS, sysAttr(0, ICC.PMR), undefined, 'EFAULT', { null_pointer: true }),
      getAttr(GRP3.SYSREGS, sysAttr(0, ICC.PMR), 'EFAULT', undefined, { null_pointer: true }),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 4, { expect: 'EFAULT' }, 'step 4 set_attr KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS: expected EFAULT, got EBUSY');
  });

  test('ICC_SRE_EL1 reads SRE|DFB|DIB; writing SRE = 0 is EINVAL, SRE = 1 is accepted (set_gic_sre; reference 3.3, 6.6)', () => {
    const doc = scenario([createVcpu(0), gic(), init(), getAttr(GRP3.SYSREGS, sysAttr(0, ICC.SRE), 0, '0x7'), setAttr(GRP3.SYSREGS, sysAttr(0, ICC.SRE), 6, 'EINVAL'), setAttr(GRP3.SYSREGS, sysAttr(0, ICC.SRE), 1, 0)]);
    expectHolds(doc);
    expectFlipMisses(doc, 4, { expect: 0 }, 'step 4 set_attr KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS: expected 0, got EINVAL');
  });

  test('AP0R<n>/AP1R<n> beyond vgic_v3_max_apr_idx are EINVAL: with 5 priority bits only AP*R0 exist; HAS still says 0 for all eight (set/get_gic_ap0r/ap1r)', () => {
    const doc = scenario([
      createVcpu(0),
      gic(),
      init(),
      setAttr(GRP3.SYSREGS, sysAttr(0, ICC.AP0R0), '0x80000001', 0),
      getAttr(GRP3.SYSREGS, sysAttr(0, ICC.AP0R0), 0, '0x80000001'),
      getAttr(GRP3.SYSREGS, sysAttr(0, ICC.AP0R1), 'EINVAL'),
      setAttr(GRP3.SYSREGS, sysAttr(0, ICC.AP1R3), 1, 'EINVAL'),
      hasAttr(GRP3.SYSREGS, sysAttr(0, ICC.AP1R3), 0),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 5, { expect: 0 }, 'step 5 get_attr KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS: expected 0, got EINVAL');
  });

  test('ICC_CTLR_EL1: PRIbits or IDbits above the vcpu\'s, or SEIS / A3V unlike the host\'s, are EINVAL; a smaller PRIbits is accepted and kept; CBPR and EOImode are stored (set_gic_ctlr; reference 6.6)', () => {
    // Host: 5 priority bits (PRIbits 4), 16-bit IDs (IDbits 0), SEIS 0, A3V 1: reads 0x8400.
    const ctlr = (v: number, exp: 0 | string) => setAttr(GRP3.SYSREGS, sysAttr(0, ICC.CTLR), hex(v), exp);
    const doc = scenario([
      createVcpu(0),
      gic(),
      init(),
      getAttr(GRP3.SYSREGS, sysAttr(0, ICC.CTLR), 0, '0x8400'),
      ctlr(0x8500, 'EINVAL'),
      ctlr(0x8c00, 'EINVAL'),
      ctlr(0xc400, 'EINVAL'),
      ctlr(0x0400, 'EINVAL'),
      ctlr(0x8303, 0),
      getAttr(GRP3.SYSREGS, sysAttr(0, ICC.CTLR), 0, '0x8303'),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 4, { expect: 0 }, 'step 4 set_attr KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS: expected 0, got EINVAL');
  });

  test('ICC_BPR1_EL1 under CBPR: a write is ignored and a read gives min(BPR0 + 1, 7) (set/get_gic_bpr1)', () => {
    expectHolds(
      scenario([
        createVcpu(0),
        gic(),
        init(),
        setAttr(GRP3.SYSREGS, sysAttr(0, ICC.BPR0), 6, 0),
        setAttr(GRP3.SYSREGS, sysAttr(0, ICC.BPR1), 4, 0),
        getAttr(GRP3.SYSREGS, sysAttr(0, ICC.BPR1), 0, 4),
        setAttr(GRP3.SYSREGS, sysAttr(0, ICC.CTLR), '0x8401', 0),
        setAttr(GRP3.SYSREGS, sysAttr(0, ICC.BPR1), 2, 0),
        getAttr(GRP3.SYSREGS, sysAttr(0, ICC.BPR1), 0, 7),
      ]),
    );
  });
});

// ---------------------------------------------------------------------------
describe('NR_IRQS, CTRL, LEVEL_INFO and MAINT_IRQ on v3 (vgic_set_common_attr, vgic_v3_attr_regs_access, vgic_v3_set_attr; reference 3.3)', () => {
  test('NR_IRQS as for v2: 64..1023 in steps of 32 (992 the largest), once, not after INIT (EBUSY)', () => {
    const doc = scenario([createVcpu(0), gic(), setAttr(GRP.NR_IRQS, 0, 1024, 'EINVAL'), setAttr(GRP.NR_IRQS, 0, 992), setAttr(GRP.NR_IRQS, 0, 128, 'EBUSY'), getAttr(GRP.NR_IRQS, 0, 0, 992), init()]);
    expectHolds(doc);
    expectHolds(scenario([createVcpu(0), gic(), init(), setAttr(GRP.NR_IRQS, 0, 128, 'EBUSY'), getAttr(GRP.NR_IRQS, 0, 0, 256)]));
  });

  test('CTRL: INIT twice is 0; SAVE_PENDING_TABLES is 0 (even before INIT); the ITS attributes and others are ENXIO; GET is ENXIO; HAS knows INIT and SAVE_PENDING_TABLES only (vgic_set_common_attr, vgic_v3_has_attr)', () => {
    const doc = scenario([
      createVcpu(0),
      gic(),
      setAttr(GRP.CTRL, 'KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES', undefined, 0),
      init(),
      init(),
      ...['KVM_DEV_ARM_ITS_SAVE_TABLES', 'KVM_DEV_ARM_ITS_RESTORE_TABLES', 'KVM_DEV_ARM_ITS_CTRL_RESET', 99].map((a) => setAttr(GRP.CTRL, a, undefined, 'ENXIO')),
      getAttr(GRP.CTRL, INIT, 'ENXIO'),
      hasAttr(GRP.CTRL, INIT, 0),
      hasAttr(GRP.CTRL, 'KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES', 0),
      hasAttr(GRP.CTRL, 'KVM_DEV_ARM_ITS_SAVE_TABLES', 'ENXIO'),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 5, { expect: 0 }, 'step 5 set_attr KVM_DEV_ARM_VGIC_GRP_CTRL: expected 0, got ENXIO');
  });

  test('LEVEL_INFO: info != 0 is EINVAL (HAS: ENXIO), a vINTID not a multiple of 32 EINVAL, before INIT EBUSY, bad MPIDR EINVAL (vgic_v3_attr_regs_access, vgic_v3_line_level_info_uaccess)', () => {
    const lvl = (info: number, intid: number) => mpidrAttr(0, (info << 10) | intid);
    const doc = scenario([
      createVcpu(0),
      gic(),
      getAttr(GRP3.LEVEL, lvl(0, 32), 'EBUSY'),
      init(),
      getAttr(GRP3.LEVEL, lvl(1, 32), 'EINVAL'),
      hasAttr(GRP3.LEVEL, lvl(1, 32), 'ENXIO'),
      hasAttr(GRP3.LEVEL, lvl(0, 33), 0),
      getAttr(GRP3.LEVEL, lvl(0, 33), 'EINVAL'),
      getAttr(GRP3.LEVEL, mpidrAttr(7, 32), 'EINVAL'),
      getAttr(GRP3.LEVEL, lvl(0, 32), 0, 0),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 7, { expect: 0 }, 'step 7 get_attr KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO: expected 0, got EINVAL');
  });

  test('LEVEL_INFO reports line levels of level-configured IRQs only; SGIs and INTIDs beyond nr_irqs are RAZ/WI; a write sets the level whatever the config (vgic_read/write_irq_line_level_info)', () => {
    const lvl = (intid: number) => mpidrAttr(0, intid);
    const doc = scenario([
      createVcpu(0),
      gic(),
      setAttr(GRP.NR_IRQS, 0, 64),
      init(),
      setAttr(GRP.DIST, 0xc08, 0, 0), // SPIs 32-47 level
      irqLine(irqWord(IRQ_TYPE.SPI, 0, 33), 1),
      irqLine(irqWord(IRQ_TYPE.SPI, 0, 50), 1), // edge: latches, no level
      getAttr(GRP3.LEVEL, lvl(32), 0, '0x2'),
      setAttr(GRP3.LEVEL, lvl(0), '0xffffffff', 0),
      getAttr(GRP3.LEVEL, lvl(0), 0, '0xffff0000'),
      setAttr(GRP3.LEVEL, lvl(32), '0x10001', 0),
      getAttr(GRP3.LEVEL, lvl(32), 0, '0x1'),
      getAttr(GRP3.LEVEL, lvl(64), 0, '0x0'),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 9, { expect_value: '0xffffffff' }, 'step 9 get_attr KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO: expected value 0xffffffff, got 0xffff0000');
  });

  test('MAINT_IRQ: a PPI (16..31) only (EINVAL), NULL is EFAULT, not after INIT (EBUSY); GET returns it; HAS is 0 (v6.17 vgic_v3_set_attr; reference 3.3)', () => {
    const doc = scenario([
      createVcpu(0),
      gic(),
      hasAttr(GRP3.MAINT, 0, 0),
      setAttr(GRP3.MAINT, 0, 15, 'EINVAL'),
      setAttr(GRP3.MAINT, 0, 32, 'EINVAL'),
      setAttr(GRP3.MAINT, 0, undefined, 'EFAULT', { null_pointer: true }),
      setAttr(GRP3.MAINT, 0, 25, 0),
      getAttr(GRP3.MAINT, 0, 0, 25),
      init(),
      setAttr(GRP3.MAINT, 0, 26, 'EBUSY'),
      getAttr(GRP3.MAINT, 0, 0, 25),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 9, { expect: 0 }, 'step 9 set_attr KVM_DEV_ARM_VGIC_GRP_MAINT_IRQ: expected 0, got EBUSY');
  });
});

// ---------------------------------------------------------------------------
describe('the first KVM_RUN with a v3 VGIC (kvm_vgic_map_resources, vgic_v3_map_resources; reference 3.3)', () => {
  test('a vcpu without redistributor: ENXIO, then the VM is dead (EIO) (v6.17 kvm_vm_dead)', () => {
    const doc = scenario([...vcpus(2), gic(), addr(ADDR3.DIST, MAP.DIST), region(1, MAP.REDIST, 0, 0), init(), run(0, 'ENXIO'), run(1, 'EIO'), getAttr(GRP.NR_IRQS, 0, 'EIO')]);
    expectHolds(doc);
    expectFlipMisses(doc, 6, { expect: 0 }, 'step 6 run_vcpu: expected 0, got ENXIO');
  });

  test('no distributor address: ENXIO (vgic_v3_map_resources)', () => {
    expectHolds(scenario([createVcpu(0), gic(), addr(ADDR3.REDIST, MAP.REDIST), init(), run(0, 'ENXIO')]));
  });

  test('the distributor inside a region: EINVAL (vgic_v3_check_base)', () => {
    expectHolds(scenario([...vcpus(2), gic(), region(2, 0x100000, 0, 0), addr(ADDR3.DIST, 0x130000), init(), run(0, 'EINVAL')]));
  });

  test('all set but never initialised: EBUSY (v3 does not initialise lazily)', () => {
    const doc = scenario([...v3Bringup(1, { init: false }), run(0, 'EBUSY')]);
    expectHolds(doc);
    expectFlipMisses(doc, last(doc), { expect: 0 }, `step ${last(doc)} run_vcpu: expected 0, got EBUSY`);
  });

  test('KVM_IRQ_LINE before INIT is EBUSY, after it 0 (vgic_lazy_init is v2-only)', () => {
    const doc = scenario([...v3Bringup(1, { init: false }), irqLine(irqWord(IRQ_TYPE.SPI, 0, 40), 1, 'EBUSY'), init(), irqLine(irqWord(IRQ_TYPE.SPI, 0, 40), 1, 0), irqLine(irqWord(IRQ_TYPE.PPI, 0, 20), 1, 0)]);
    expectHolds(doc);
    expectFlipMisses(doc, 4, { expect: 0 }, 'step 4 irq_line: expected 0, got EBUSY');
  });

  test('a failed region add unregisters the earlier vcpus\' redistributor frames but keeps their bases: the run succeeds, their GICR accesses exit to the VMM (vgic_register_all_redist_iodevs unwind)', () => {
    // vcpu 0 gets region 0; region 1 collides with the distributor when vcpu 1 registers into it.
    const doc = scenario([
      ...vcpus(2),
      gic(),
      addr(ADDR3.DIST, 0x300000),
      region(1, 0x100000, 0, 0),
      region(1, 0x300000, 0, 1, 'EINVAL'),
      region(1, 0x120000, 0, 1),
      init(),
      run(0),
      { op: 'mmio', vcpu: 0, dir: 'read', addr: '0x100008', len: 4, value: '0x7', expect_value: '0x7', note: 'no device claims it: the VMM answers' },
      { op: 'mmio', vcpu: 1, dir: 'read', addr: '0x120008', len: 4, expect_value: '0x110' },
    ]);
    expectHolds(doc);
  });
});

// ---------------------------------------------------------------------------
describe('the MPIDR encoding of the attr (KVM_DEV_ARM_VGIC_V3_MPIDR_*; reference 3.1)', () => {
  test('vcpu ids map to Aff0 = id[3:0], Aff1 = id[11:4] (reset_mpidr): id 0x123 is 0.0.0x12.0x3', () => {
    expectHolds(scenario([createVcpu(0x123), gic(), init(), getAttr(GRP3.REDIST, mpidrAttr(0x123, 0xc), 0, hex(aff(0x123)))]));
  });
});
