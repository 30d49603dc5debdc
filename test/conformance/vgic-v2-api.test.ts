/**
 * Conformance: the errno rules of the generic device-control API and of the
 * VGIC v2 device, one test per rule. Each test names the rule and where it
 * comes from (kernel function, and the section of
 * shared/reference/kvm-device-api.md). Rules that matter most also check the
 * opposite expectation, so that the test is seen to be able to fail.
 */
import { describe, test } from 'vitest';
import {
  createDevice,
  createGic,
  createVcpu,
  ctrlInit,
  expectFlipMisses,
  expectHolds,
  getAttr,
  GRP,
  hasAttr,
  hex,
  INIT,
  irqLine,
  irqWord,
  IRQ_TYPE,
  last,
  legacyAddr,
  mmioRead,
  ppi,
  regAttr,
  run,
  scenario,
  setAttr,
  setCpu,
  setDist,
  setNrIrqs,
  spi,
  type Step,
  V2,
  vcpus,
} from './builders.js';

const MAXPA_40 = hex(1n << 40n);
/** A v2 VGIC with both frames placed apart, ready for a first KVM_RUN. */
const placed = (): Step[] => [setDist('0x8000000'), setCpu('0x8010000')];
/** One vcpu and a v2 VGIC, the smallest setup most rules need. */
const gic1 = (): Step[] => [createVcpu(0), createGic()];

// ---------------------------------------------------------------------------
describe('KVM_CREATE_DEVICE (kvm_main.c kvm_ioctl_create_device; reference 1.5, 2)', () => {
  test('type 0 is unused: ENODEV (kvm_ioctl_create_device finds no ops; reference 2)', () => {
    const doc = scenario([createDevice(0, 'ENODEV', '')]);
    expectHolds(doc);
    expectFlipMisses(doc, 0, { expect: 0 }, 'step 0 create_device type 0: expected 0, got ENODEV');
  });

  test('type 10 KVM_DEV_TYPE_ARM_PV_TIME was never implemented: ENODEV (reference 1.4, 2)', () => {
    expectHolds(scenario([createDevice('KVM_DEV_TYPE_ARM_PV_TIME', 'ENODEV', ''), createDevice(10, 'ENODEV', '')]));
  });

  test('type 15 (KVM_DEV_TYPE_MAX in v6.15) is out of range: ENODEV (kvm_ioctl_create_device type >= KVM_DEV_TYPE_MAX; reference 1.5)', () => {
    expectHolds(scenario([createDevice(15, 'ENODEV', '')]));
  });

  test('type 99 is out of range: ENODEV (kvm_ioctl_create_device; reference 1.5)', () => {
    const doc = scenario([createDevice(99, 'ENODEV', '')]);
    expectHolds(doc);
    expectFlipMisses(doc, 0, { expect: 'EEXIST' }, 'step 0 create_device type 99: expected EEXIST, got ENODEV');
  });

  for (const arch of ['x86_64', 'ppc64', 's390x']) {
    test(`VGIC_V2 on ${arch}: the arch registers no such ops, ENODEV (kvm_register_vgic_device is arm64-only; reference 1.5 step 2, 2)`, () => {
      const doc = scenario([createDevice(V2, 'ENODEV', '')], { arch });
      expectHolds(doc);
      if (arch === 'x86_64') expectFlipMisses(doc, 0, { expect: 0 }, 'step 0 create_device KVM_DEV_TYPE_ARM_VGIC_V2: expected 0, got ENODEV');
    });
  }

  test('types of other architectures are ENODEV on arm64: MPIC, XICS, FLIC, XIVE, RISC-V AIA, LoongArch (reference 2 registration sites)', () => {
    const types = [1, 2, 3, 6, 9, 11, 12, 13, 14];
    expectHolds(scenario(types.map((t) => createDevice(t, 'ENODEV', ''))));
  });

  test('KVM_CREATE_DEVICE_TEST still checks the type first: type 0 and VGIC_V2 on x86_64 are ENODEV (reference 1.5 steps 2-3)', () => {
    expectHolds(scenario([createDevice(0, 'ENODEV', '', 'KVM_CREATE_DEVICE_TEST')]));
    expectHolds(scenario([createDevice(V2, 'ENODEV', '', 'KVM_CREATE_DEVICE_TEST')], { arch: 'x86_64' }));
  });

  test('KVM_CREATE_DEVICE_TEST returns 0 and creates nothing: no fd (EBADF) and a real create still succeeds (reference 1.1, 1.5 step 3)', () => {
    const doc = scenario([
      createVcpu(0),
      createDevice(V2, 0, 'probe', 'KVM_CREATE_DEVICE_TEST'),
      hasAttr(GRP.NR_IRQS, 0, 'EBADF', { dev: 'probe' }),
      createGic(0),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 3, { expect: 'EEXIST' }, 'step 3 create_device KVM_DEV_TYPE_ARM_VGIC_V2: expected EEXIST, got 0');
  });

  test('only flag bit 0 is looked at: 0xffffffff is a TEST, 2 is a real create (kvm_main.c ignores other bits; reference 1.1)', () => {
    expectHolds(scenario([createVcpu(0), createDevice(V2, 0, 'probe', 0xffffffff), createGic(0)]));
    const doc = scenario([createVcpu(0), createDevice(V2, 0, 'gic', 2), createDevice(V2, 'EEXIST', 'again')]);
    expectHolds(doc);
    expectFlipMisses(doc, 2, { expect: 0 }, 'step 2 create_device KVM_DEV_TYPE_ARM_VGIC_V2: expected 0, got EEXIST');
  });
});

// ---------------------------------------------------------------------------
describe('KVM_SET/GET/HAS_DEVICE_ATTR dispatch (kvm_main.c kvm_device_ioctl; reference 1.4, 1.6)', () => {
  test('an fd whose create failed is no fd: SET/GET/HAS give EBADF (fdget fails; reference 1.6)', () => {
    // Type 99 has no model, so no group names: group 3 is given, and reported, as a number.
    const doc = scenario([
      createDevice(99, 'ENODEV', 'bad'),
      setAttr(3, 0, 64, 'EBADF', { dev: 'bad' }),
      getAttr(3, 0, 'EBADF', undefined, { dev: 'bad' }),
      hasAttr(3, 0, 'EBADF', { dev: 'bad' }),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 1, { expect: 'ENXIO' }, 'step 1 set_attr group 3: expected ENXIO, got EBADF');
    // A VGIC whose create failed: its family's names still name the group.
    const named = scenario([createVcpu(0), createDevice(V2, 0, 'gic'), createDevice(V2, 'EEXIST', 'bad'), setAttr(GRP.NR_IRQS, 0, 64, 'EBADF', { dev: 'bad' })]);
    expectHolds(named);
    expectFlipMisses(named, 3, { expect: 'ENXIO' }, 'step 3 set_attr KVM_DEV_ARM_VGIC_GRP_NR_IRQS: expected ENXIO, got EBADF');
  });

  test('the vm fd: group 1 is no arm64 vm group (only KVM_ARM_VM_SMCCC_CTRL = 0 exists, not modelled), so SET and HAS are ENXIO (kvm_vm_set_attr / kvm_vm_has_attr default); there is no vm-fd GET on arm64, EINVAL (kvm_arch_vm_ioctl default, arch/arm64/kvm/arm.c)', () => {
    expectHolds(
      scenario([
        createVcpu(0),
        setAttr(1, 0, 0, 'ENXIO', { dev: 'vm' }),
        getAttr(1, 0, 'EINVAL', undefined, { dev: 'vm' }),
        hasAttr(1, 0, 'ENXIO', { dev: 'vm' }),
      ]),
    );
  });

  test('a vcpu fd answers ENXIO for an unknown group, EBADF when that vcpu does not exist (kvm_arm_vcpu_arch_*_attr default; reference 1.4)', () => {
    expectHolds(
      scenario([
        createVcpu(0),
        hasAttr(99, 0, 'ENXIO', { dev: 'vcpu:0' }),
        getAttr(99, 0, 'ENXIO', undefined, { dev: 'vcpu:0' }),
        hasAttr(99, 0, 'EBADF', { dev: 'vcpu:3' }),
      ]),
    );
  });

  test('a group VGIC v2 does not have is ENXIO for SET, GET and HAS: REDIST_REGS, CPU_SYSREGS, LEVEL_INFO, ITS_REGS, MAINT_IRQ, 99 (vgic_v2_*_attr default; reference 3.1, 3.2 HAS)', () => {
    const steps: Step[] = [...gic1()];
    for (const g of [5, 6, 7, 8, 9, 99]) {
      steps.push(setAttr(g, 0, 0, 'ENXIO'), getAttr(g, 0, 'ENXIO'), hasAttr(g, 0, 'ENXIO'));
    }
    const doc = scenario(steps);
    expectHolds(doc);
    expectFlipMisses(doc, 2, { expect: 0 }, 'step 2 set_attr KVM_DEV_ARM_VGIC_GRP_REDIST_REGS: expected 0, got ENXIO');
  });

  test('HAS ignores attr.addr: a NULL pointer still answers 0 (api.rst 4.81; reference 1.6)', () => {
    expectHolds(scenario([...gic1(), hasAttr(GRP.ADDR, 'KVM_VGIC_V2_ADDR_TYPE_DIST', 0, { null_pointer: true }), hasAttr(GRP.NR_IRQS, 0, 0, { null_pointer: true })]));
  });
});

// ---------------------------------------------------------------------------
describe('VGIC v2 creation and vcpus (vgic-init.c kvm_vgic_create, arm.c kvm_arch_vcpu_precreate, kvm_main.c kvm_vm_ioctl_create_vcpu; reference 3.2)', () => {
  test('a second VGIC is EEXIST: one irqchip per VM (kvm_vgic_create irqchip_in_kernel; reference 3.2)', () => {
    const doc = scenario([...gic1(), createGic('EEXIST', 'gic2')]);
    expectHolds(doc);
    expectFlipMisses(doc, 2, { expect: 0 }, 'step 2 create_device KVM_DEV_TYPE_ARM_VGIC_V2: expected 0, got EEXIST');
  });

  test('creating a VGIC after a vcpu ran is EBUSY (kvm_vgic_create vcpu_has_run_once; reference 3.2)', () => {
    const doc = scenario([createVcpu(0), run(0), createGic('EBUSY')]);
    expectHolds(doc);
    expectFlipMisses(doc, 2, { expect: 0 }, 'step 2 create_device KVM_DEV_TYPE_ARM_VGIC_V2: expected 0, got EBUSY');
  });

  test('EEXIST is checked before EBUSY: a second VGIC after a run is EEXIST (kvm_vgic_create order)', () => {
    expectHolds(scenario([...gic1(), ...placed(), run(0), createGic('EEXIST', 'gic2')]));
  });

  test('9 online vcpus: creating v2 is E2BIG, and max_vcpus stays 8 so a 10th vcpu is EINVAL (kvm_vgic_create sets max_vcpus before the E2BIG check)', () => {
    const doc = scenario([...vcpus(9), createGic('E2BIG'), createVcpu(9, 'EINVAL'), createGic('E2BIG', 'again')]);
    expectHolds(doc);
    expectFlipMisses(doc, 9, { expect: 0 }, 'step 9 create_device KVM_DEV_TYPE_ARM_VGIC_V2: expected 0, got E2BIG');
  });

  test('exactly 8 online vcpus is allowed for v2 (VGIC_V2_MAX_CPUS = 8; reference 3.1)', () => {
    expectHolds(scenario([...vcpus(8), createGic(0)]));
  });

  test('after creating v2, a vcpu id >= 8 is EINVAL and id 7 is fine (max_vcpus = 8; reference 3.2)', () => {
    const doc = scenario([...gic1(), createVcpu(8, 'EINVAL'), createVcpu(7, 0)]);
    expectHolds(doc);
    expectFlipMisses(doc, 2, { expect: 0 }, 'step 2 create_vcpu: expected 0, got EINVAL');
  });

  test('vcpu ids above 7 are fine before any VGIC: the limit is arm64 KVM_MAX_VCPU_IDS = 512 (kvm_vm_ioctl_create_vcpu)', () => {
    expectHolds(scenario([createVcpu(511), createVcpu(512, 'EINVAL'), createVcpu(100)]));
  });

  test('a vcpu created after CTRL_INIT is EBUSY (kvm_arch_vcpu_precreate vgic_initialized; reference 3.2)', () => {
    const doc = scenario([...gic1(), ctrlInit(), createVcpu(1, 'EBUSY')]);
    expectHolds(doc);
    expectFlipMisses(doc, 3, { expect: 0 }, 'step 3 create_vcpu: expected 0, got EBUSY');
  });

  test('a vcpu created after a lazy init by a DIST_REGS access is EBUSY (vgic_v2_attr_regs_access runs vgic_init; reference 3.2)', () => {
    expectHolds(scenario([...gic1(), getAttr(GRP.DIST, regAttr(0, 0x8), 0), createVcpu(1, 'EBUSY')]));
  });

  test('KVM_CREATE_VCPU order: id >= 512 EINVAL, then created >= max_vcpus EINVAL, then EBUSY, then id >= max_vcpus EINVAL, then duplicate EEXIST (kvm_vm_ioctl_create_vcpu, kvm_arch_vcpu_precreate)', () => {
    // created (8) >= max_vcpus (8) wins over the initialised VGIC's EBUSY.
    expectHolds(scenario([...vcpus(8), createGic(), ctrlInit(), createVcpu(8, 'EINVAL'), createVcpu(600, 'EINVAL')]));
    // EBUSY wins over id >= max_vcpus and over a duplicate id.
    expectHolds(scenario([...gic1(), ctrlInit(), createVcpu(9, 'EBUSY'), createVcpu(0, 'EBUSY'), createVcpu(512, 'EINVAL')]));
    // Without init: id >= max_vcpus is EINVAL, a duplicate id EEXIST.
    const doc = scenario([...gic1(), createVcpu(9, 'EINVAL'), createVcpu(0, 'EEXIST')]);
    expectHolds(doc);
    expectFlipMisses(doc, 3, { expect: 'EBUSY' }, 'step 3 create_vcpu: expected EBUSY, got EEXIST');
  });

  test('GICD_IIDR reads revision 3 from creation on: 0x4B00343B (kvm_vgic_create implementation_rev = KVM_VGIC_IMP_REV_LATEST)', () => {
    const doc = scenario([...gic1(), getAttr(GRP.DIST, regAttr(0, 0x8), 0, '0x4b00343b')]);
    expectHolds(doc);
    expectFlipMisses(doc, 2, { expect_value: '0x4b00243b' }, 'step 2 get_attr KVM_DEV_ARM_VGIC_GRP_DIST_REGS: expected value 0x4b00243b, got 0x4b00343b');
  });

  test('private IRQs of vcpus made before and after the VGIC: SGIs enabled+edge, PPIs disabled+level, group 0, priority 0, ITARGETSR BIT(vcpu_id) (vgic_allocate_private_irqs_locked)', () => {
    const regs = (id: number): Step[] => [
      getAttr(GRP.DIST, regAttr(id, 0x100), 0, '0xffff', { note: 'GICD_ISENABLER0' }),
      getAttr(GRP.DIST, regAttr(id, 0xc00), 0, '0xaaaaaaaa', { note: 'GICD_ICFGR0: SGIs edge' }),
      getAttr(GRP.DIST, regAttr(id, 0xc04), 0, '0x0', { note: 'GICD_ICFGR1: PPIs level' }),
      getAttr(GRP.DIST, regAttr(id, 0x080), 0, '0x0', { note: 'GICD_IGROUPR0' }),
      getAttr(GRP.DIST, regAttr(id, 0x400), 0, '0x0', { note: 'GICD_IPRIORITYR0' }),
      getAttr(GRP.DIST, regAttr(id, 0x41c), 0, '0x0', { note: 'GICD_IPRIORITYR7' }),
      getAttr(GRP.DIST, regAttr(id, 0x800), 0, hex(0x01010101 * (1 << id)), { note: 'GICD_ITARGETSR0' }),
      getAttr(GRP.DIST, regAttr(id, 0x81c), 0, hex(0x01010101 * (1 << id)), { note: 'GICD_ITARGETSR7' }),
    ];
    expectHolds(scenario([createVcpu(0), createVcpu(3), createGic(), createVcpu(5), ...regs(0), ...regs(3), ...regs(5)]));
  });

  test('private ITARGETSR of a vcpu made before v2 with an id of 8 or more reads 0: BIT(vcpu_id) kept in the u8 irq->targets (vgic_allocate_private_irqs_locked)', () => {
    const doc = scenario([
      createVcpu(7),
      createVcpu(8),
      createVcpu(32),
      createVcpu(33),
      createGic(),
      getAttr(GRP.DIST, regAttr(7, 0x800), 0, '0x80808080'),
      getAttr(GRP.DIST, regAttr(8, 0x800), 0, '0x0'),
      getAttr(GRP.DIST, regAttr(32, 0x800), 0, '0x0'),
      getAttr(GRP.DIST, regAttr(33, 0x81c), 0, '0x0'),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 7, { expect_value: '0x1010101' }, 'step 7 get_attr KVM_DEV_ARM_VGIC_GRP_DIST_REGS: expected value 0x1010101, got 0x0');
  });

  test('vgic_init succeeds with no vcpu at all (vgic-init.c vgic_init, v6.17)', () => {
    expectHolds(scenario([createGic(), ctrlInit(0), getAttr(GRP.NR_IRQS, 0, 0, 256)]));
  });

  test('SPIs reset disabled, edge, group 0, priority 0, targets 0; nr_irqs defaults to 256 (kvm_vgic_dist_init; reference 4.1 reset)', () => {
    expectHolds(
      scenario([
        ...vcpus(2),
        createGic(),
        ctrlInit(),
        getAttr(GRP.NR_IRQS, 0, 0, 256),
        getAttr(GRP.DIST, regAttr(0, 0x004), 0, '0x27', { note: 'GICD_TYPER: 256 IRQs, 2 vcpus' }),
        getAttr(GRP.DIST, regAttr(0, 0x104), 0, '0x0', { note: 'GICD_ISENABLER1' }),
        getAttr(GRP.DIST, regAttr(0, 0x11c), 0, '0x0', { note: 'GICD_ISENABLER7' }),
        getAttr(GRP.DIST, regAttr(0, 0xc08), 0, '0xaaaaaaaa', { note: 'GICD_ICFGR2' }),
        getAttr(GRP.DIST, regAttr(0, 0xc3c), 0, '0xaaaaaaaa', { note: 'GICD_ICFGR15' }),
        getAttr(GRP.DIST, regAttr(0, 0x084), 0, '0x0', { note: 'GICD_IGROUPR1' }),
        getAttr(GRP.DIST, regAttr(0, 0x420), 0, '0x0', { note: 'GICD_IPRIORITYR8' }),
        getAttr(GRP.DIST, regAttr(1, 0x820), 0, '0x0', { note: 'GICD_ITARGETSR8' }),
      ]),
    );
  });
});

// ---------------------------------------------------------------------------
describe('GRP_ADDR (vgic-kvm-device.c kvm_vgic_addr, vgic_check_iorange; reference 3.1, 3.2)', () => {
  test('a base that is not 4 KiB aligned is EINVAL, for DIST and CPU (vgic_check_iorange IS_ALIGNED)', () => {
    const doc = scenario([...gic1(), setDist('0x800', 'EINVAL'), setCpu('0x8010100', 'EINVAL'), setDist('0x1000', 0)]);
    expectHolds(doc);
    expectFlipMisses(doc, 2, { expect: 0 }, 'step 2 set_attr KVM_DEV_ARM_VGIC_GRP_ADDR: expected 0, got EINVAL');
  });

  test('a failed set leaves the base unset: the next aligned set succeeds (vgic_check_iorange stores only on success)', () => {
    expectHolds(scenario([...gic1(), setCpu('0x10', 'EINVAL'), getAttr(GRP.ADDR, 'KVM_VGIC_V2_ADDR_TYPE_CPU', 0, '0xffffffffffffffff'), setCpu('0x10000', 0)]));
  });

  test('a frame that ends beyond 1 << ipa_bits is E2BIG: DIST at MAXPA, CPU at MAXPA - 4 KiB; DIST at MAXPA - 4 KiB fits exactly (vgic_check_iorange kvm_phys_size)', () => {
    const doc = scenario([...gic1(), setDist(MAXPA_40, 'E2BIG'), setCpu(hex((1n << 40n) - 0x1000n), 'E2BIG'), setDist(hex((1n << 40n) - 0x1000n), 0), setCpu(hex((1n << 40n) - 0x3000n), 0)]);
    expectHolds(doc);
    expectFlipMisses(doc, 2, { expect: 0 }, 'step 2 set_attr KVM_DEV_ARM_VGIC_GRP_ADDR: expected 0, got E2BIG');
  });

  test('the IPA limit follows ipa_bits: with 32 bits, 4 GiB is E2BIG and 4 GiB - 4 KiB fits (vgic_check_iorange kvm_phys_mask)', () => {
    expectHolds(scenario([...gic1(), setDist('0x100000000', 'E2BIG'), setDist('0xfffff000', 0)], { ipa_bits: 32 }));
  });

  test('a frame that wraps past 2^64 is EINVAL, not E2BIG; one that only passes the IPA limit is E2BIG (vgic_check_iorange addr + size < addr)', () => {
    expectHolds(
      scenario([
        ...gic1(),
        setDist('0xfffffffffffff000', 'EINVAL'),
        setDist('0xffffffffffffe000', 'E2BIG'),
        setCpu('0xffffffffffffe000', 'EINVAL'),
        setCpu('0xffffffffffffd000', 'E2BIG'),
      ]),
    );
  });

  test('GRP_ADDR: a second set of the DIST base is EEXIST, even with the same value (vgic-kvm-device.c vgic_check_iorange; reference 3.2)', () => {
    const doc = scenario([...gic1(), setDist('0x8000000'), setDist('0x8000000', 'EEXIST'), setDist('0x9000000', 'EEXIST')]);
    expectHolds(doc);
    expectFlipMisses(doc, 3, { expect: 0 }, 'step 3 set_attr KVM_DEV_ARM_VGIC_GRP_ADDR: expected 0, got EEXIST');
  });

  test('EEXIST is checked before alignment and range: a misaligned or too-high second set is EEXIST (vgic_check_iorange order)', () => {
    expectHolds(scenario([...gic1(), setCpu('0x8010000'), setCpu('0x8010800', 'EEXIST'), setCpu(MAXPA_40, 'EEXIST')]));
  });

  test('DIST and CPU are separate slots: setting one does not make the other EEXIST (kvm_vgic_addr addr_ptr per type)', () => {
    expectHolds(scenario([...gic1(), setDist('0x8000000'), setCpu('0x8010000', 0)]));
  });

  test('GET of an unset base reads VGIC_ADDR_UNDEF, after SET the base (kvm_vgic_addr read path; reference 3.1)', () => {
    const doc = scenario([
      ...gic1(),
      getAttr(GRP.ADDR, 'KVM_VGIC_V2_ADDR_TYPE_DIST', 0, '0xffffffffffffffff'),
      setDist('0x8000000'),
      getAttr(GRP.ADDR, 'KVM_VGIC_V2_ADDR_TYPE_DIST', 0, '0x8000000'),
      getAttr(GRP.ADDR, 'KVM_VGIC_V2_ADDR_TYPE_CPU', 0, '0xffffffffffffffff'),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 4, { expect_value: '0x0' }, 'step 4 get_attr KVM_DEV_ARM_VGIC_GRP_ADDR: expected value 0x0, got 0x8000000');
  });

  test('v3 and unknown address types on a v2 VGIC are ENXIO for SET and GET (vgic_check_type ENODEV, turned into ENXIO by vgic_set/get_common_attr)', () => {
    const steps: Step[] = [...gic1()];
    for (const t of [2, 3, 4, 5, 6, '0x100000000']) steps.push(setAttr(GRP.ADDR, t, '0x8000000', 'ENXIO'), getAttr(GRP.ADDR, t, 'ENXIO'));
    const doc = scenario(steps);
    expectHolds(doc);
    expectFlipMisses(doc, 2, { expect: 0 }, 'step 2 set_attr KVM_DEV_ARM_VGIC_GRP_ADDR: expected 0, got ENXIO');
  });

  test('SET with a NULL pointer is EFAULT, before the type is even looked at, and sets nothing (kvm_vgic_addr get_user first)', () => {
    expectHolds(
      scenario([
        ...gic1(),
        setAttr(GRP.ADDR, 'KVM_VGIC_V2_ADDR_TYPE_DIST', undefined, 'EFAULT', { null_pointer: true }),
        setAttr(GRP.ADDR, 5, undefined, 'EFAULT', { null_pointer: true }),
        setDist('0x8000000', 0),
      ]),
    );
  });

  test('GET with a NULL pointer is EFAULT for a known type, ENXIO for an unknown one (kvm_vgic_addr put_user after the lookup)', () => {
    expectHolds(
      scenario([
        ...gic1(),
        getAttr(GRP.ADDR, 'KVM_VGIC_V2_ADDR_TYPE_DIST', 'EFAULT', undefined, { null_pointer: true }),
        getAttr(GRP.ADDR, 2, 'ENXIO', undefined, { null_pointer: true }),
      ]),
    );
  });

  test('GET of KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION reads the user word before the type check: a NULL pointer is EFAULT on a v2 VGIC too, a valid one ENXIO (kvm_vgic_addr: get_user when write || REDIST_REGION, then vgic_check_type)', () => {
    const doc = scenario([
      ...gic1(),
      getAttr(GRP.ADDR, 'KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION', 'EFAULT', undefined, { null_pointer: true }),
      getAttr(GRP.ADDR, 'KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION', 'ENXIO'),
      getAttr(GRP.ADDR, 'KVM_VGIC_V3_ADDR_TYPE_REDIST', 'ENXIO', undefined, { null_pointer: true }),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 2, { expect: 'ENXIO' }, 'step 2 get_attr KVM_DEV_ARM_VGIC_GRP_ADDR: expected ENXIO, got EFAULT');
  });
});

// ---------------------------------------------------------------------------
describe('legacy KVM_ARM_SET_DEVICE_ADDR (arm.c kvm_vm_ioctl_set_device_addr, vgic-kvm-device.c kvm_set_legacy_vgic_v2_addr; reference 3.1 legacy path)', () => {
  test('the same range rules as GRP_ADDR: alignment EINVAL, IPA E2BIG, wrap EINVAL, then 0, then EEXIST (vgic_check_iorange)', () => {
    const doc = scenario([
      ...gic1(),
      legacyAddr(0, '0x8000800', 'EINVAL'),
      legacyAddr(0, MAXPA_40, 'E2BIG'),
      legacyAddr(1, '0xfffffffffffff000', 'EINVAL'),
      legacyAddr(0, '0x8000000', 0),
      legacyAddr(1, '0x8010000', 0),
      legacyAddr(0, '0x8000000', 'EEXIST'),
      legacyAddr(1, '0x8020000', 'EEXIST'),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 7, { expect: 0 }, 'step 7 arm_set_device_addr: expected 0, got EEXIST');
  });

  test('the legacy path and GRP_ADDR share the bases: GRP_ADDR sees the legacy base and a second set is EEXIST either way (kvm_set_legacy_vgic_v2_addr writes vgic_dist_base)', () => {
    expectHolds(
      scenario([
        ...gic1(),
        legacyAddr(0, '0x8000000'),
        getAttr(GRP.ADDR, 'KVM_VGIC_V2_ADDR_TYPE_DIST', 0, '0x8000000'),
        setDist('0x9000000', 'EEXIST'),
        setCpu('0x8010000'),
        legacyAddr(1, '0x9010000', 'EEXIST'),
      ]),
    );
  });

  test('a device id in bits 31:16 other than KVM_ARM_DEVICE_VGIC_V2 (0) is ENODEV (kvm_vm_ioctl_set_device_addr default)', () => {
    const doc = scenario([...gic1(), legacyAddr('0x10000', '0x8000000', 'ENODEV'), legacyAddr(0, '0x8000000', 0)]);
    expectHolds(doc);
    expectFlipMisses(doc, 2, { expect: 0 }, 'step 2 arm_set_device_addr: expected 0, got ENODEV');
  });

  test('an address type other than DIST (0) or CPU (1) is ENODEV (kvm_set_legacy_vgic_v2_addr default)', () => {
    expectHolds(scenario([...gic1(), legacyAddr(2, '0x8000000', 'ENODEV'), legacyAddr(0xffff, '0x8000000', 'ENODEV')]));
  });

  test('bits 63:32 of the id are not checked: 0x1_0000_0000 sets the DIST base (FIELD_GET of the 16-bit fields only)', () => {
    expectHolds(scenario([...gic1(), legacyAddr('0x100000000', '0x8000000', 0), getAttr(GRP.ADDR, 'KVM_VGIC_V2_ADDR_TYPE_DIST', 0, '0x8000000')]));
  });

  test('with no VGIC the model check fails: ENODEV (vgic_check_type: vgic_model is 0, not v2)', () => {
    const doc = scenario([createVcpu(0), legacyAddr(0, '0x8000000', 'ENODEV'), createDevice(99, 'ENODEV', ''), legacyAddr(1, '0x8010000', 'ENODEV')]);
    expectHolds(doc);
    expectFlipMisses(doc, 1, { expect: 0 }, 'step 1 arm_set_device_addr: expected 0, got ENODEV');
  });

  test('on x86_64 the ioctl does not exist: ENOTTY (x86.c kvm_arch_vm_ioctl default)', () => {
    expectHolds(scenario([legacyAddr(0, '0x8000000', 'ENOTTY')], { arch: 'x86_64' }));
  });
});

// ---------------------------------------------------------------------------
describe('GRP_NR_IRQS (vgic-kvm-device.c vgic_set/get_common_attr; reference 3.2)', () => {
  test('GET before any SET reads 32: nr_spis (0) + 32 (vgic_get_common_attr)', () => {
    const doc = scenario([...gic1(), getAttr(GRP.NR_IRQS, 0, 0, 32)]);
    expectHolds(doc);
    expectFlipMisses(doc, 2, { expect_value: 256 }, 'step 2 get_attr KVM_DEV_ARM_VGIC_GRP_NR_IRQS: expected value 0x100, got 0x20');
  });

  test('the limits: < 64 EINVAL, > 1023 EINVAL, not a multiple of 32 EINVAL; 64 and 992 are accepted (vgic_set_common_attr)', () => {
    const bad = [0, 32, 63, 1023, 1024, 112, '0xffffffff'];
    const doc = scenario([...gic1(), ...bad.map((n) => setNrIrqs(n, 'EINVAL')), setNrIrqs(64, 0), getAttr(GRP.NR_IRQS, 0, 0, 64)]);
    expectHolds(doc);
    expectFlipMisses(doc, 5, { expect: 0 }, 'step 5 set_attr KVM_DEV_ARM_VGIC_GRP_NR_IRQS: expected 0, got EINVAL');
    expectHolds(scenario([...gic1(), setNrIrqs(992, 0), getAttr(GRP.NR_IRQS, 0, 0, 992)]));
  });

  test('a second SET is EBUSY, even with the same value, while an invalid value is still EINVAL (vgic_set_common_attr checks the value first)', () => {
    const doc = scenario([...gic1(), setNrIrqs(128), setNrIrqs(128, 'EBUSY'), setNrIrqs(100, 'EINVAL'), getAttr(GRP.NR_IRQS, 0, 0, 128)]);
    expectHolds(doc);
    expectFlipMisses(doc, 3, { expect: 0 }, 'step 3 set_attr KVM_DEV_ARM_VGIC_GRP_NR_IRQS: expected 0, got EBUSY');
  });

  test('SET after init is EBUSY: init picked the default 256 (vgic_init sets nr_spis; reference 3.2)', () => {
    const doc = scenario([...gic1(), ctrlInit(), setNrIrqs(128, 'EBUSY'), getAttr(GRP.NR_IRQS, 0, 0, 256)]);
    expectHolds(doc);
    expectFlipMisses(doc, 3, { expect: 0 }, 'step 3 set_attr KVM_DEV_ARM_VGIC_GRP_NR_IRQS: expected 0, got EBUSY');
  });

  test('SET with a NULL pointer is EFAULT and sets nothing; GET with a NULL pointer is EFAULT (get_user/put_user)', () => {
    expectHolds(
      scenario([
        ...gic1(),
        setAttr(GRP.NR_IRQS, 0, undefined, 'EFAULT', { null_pointer: true }),
        getAttr(GRP.NR_IRQS, 0, 'EFAULT', undefined, { null_pointer: true }),
        setNrIrqs(96, 0),
      ]),
    );
  });

  test('NR_IRQS sets nr_irqs: with 128, SPI 127 can be injected and SPI 128 is EINVAL (vgic_get_irq finds no IRQ)', () => {
    expectHolds(scenario([...gic1(), setNrIrqs(128), ctrlInit(), spi(127, 1, 0), spi(128, 1, 'EINVAL')]));
  });
});

// ---------------------------------------------------------------------------
describe('GRP_CTRL (vgic-kvm-device.c vgic_set_common_attr; reference 3.1, 3.2)', () => {
  test('CTRL_INIT can be repeated: a no-op once initialised (vgic_init returns 0 if initialised)', () => {
    const doc = scenario([...gic1(), ctrlInit(0), ctrlInit(0), ctrlInit(0)]);
    expectHolds(doc);
    expectFlipMisses(doc, 3, { expect: 'EBUSY' }, 'step 3 set_attr KVM_DEV_ARM_VGIC_GRP_CTRL: expected EBUSY, got 0');
  });

  test('SAVE_PENDING_TABLES is v3-only: ENXIO on v2 (vgic_check_type(V3) fails)', () => {
    const doc = scenario([...gic1(), setAttr(GRP.CTRL, 'KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES', undefined, 'ENXIO')]);
    expectHolds(doc);
    expectFlipMisses(doc, 2, { expect: 0 }, 'step 2 set_attr KVM_DEV_ARM_VGIC_GRP_CTRL: expected 0, got ENXIO');
  });

  test('the ITS control attributes and unknown ones are ENXIO on v2 (vgic_set_common_attr falls through)', () => {
    expectHolds(
      scenario([
        ...gic1(),
        setAttr(GRP.CTRL, 'KVM_DEV_ARM_ITS_SAVE_TABLES', undefined, 'ENXIO'),
        setAttr(GRP.CTRL, 'KVM_DEV_ARM_ITS_RESTORE_TABLES', undefined, 'ENXIO'),
        setAttr(GRP.CTRL, 'KVM_DEV_ARM_ITS_CTRL_RESET', undefined, 'ENXIO'),
        setAttr(GRP.CTRL, 99, undefined, 'ENXIO'),
      ]),
    );
  });

  test('GET of CTRL is ENXIO: vgic_get_common_attr has no CTRL case', () => {
    expectHolds(scenario([...gic1(), getAttr(GRP.CTRL, INIT, 'ENXIO')]));
  });
});

// ---------------------------------------------------------------------------
describe('HAS_DEVICE_ATTR (vgic-kvm-device.c vgic_v2_has_attr, vgic-mmio-v2.c vgic_v2_has_attr_regs; reference 3.2 HAS)', () => {
  test('GRP_ADDR: DIST and CPU are 0; v3 types, 5 and -1 are ENXIO', () => {
    const doc = scenario([
      ...gic1(),
      hasAttr(GRP.ADDR, 0, 0),
      hasAttr(GRP.ADDR, 1, 0),
      ...[2, 3, 4, 5, '0xffffffffffffffff'].map((a) => hasAttr(GRP.ADDR, a, 'ENXIO')),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 4, { expect: 0 }, 'step 4 has_attr KVM_DEV_ARM_VGIC_GRP_ADDR: expected 0, got ENXIO');
  });

  test('DIST_REGS: every register of vgic_v2_dist_registers[] is 0 (per-IRQ ones up to nr_irqs = 256); holes, ICPIDR2, per-IRQ offsets past 256 and unaligned offsets are ENXIO', () => {
    const present = [0x000, 0x004, 0x008, 0x080, 0x100, 0x180, 0x200, 0x280, 0x300, 0x380, 0x400, 0x4fc, 0x800, 0x8fc, 0xc00, 0xc3c, 0xf00, 0xf10, 0xf1c, 0xf20, 0xf2c];
    const absent = [0x00c, 0x010, 0x07c, 0x500, 0x900, 0xc40, 0xd00, 0xf04, 0xf30, 0xfe8, 0xffc, 0x1000, 0x101, 0x002];
    const doc = scenario([...gic1(), ctrlInit(), ...present.map((o) => hasAttr(GRP.DIST, regAttr(0, o), 0)), ...absent.map((o) => hasAttr(GRP.DIST, regAttr(0, o), 'ENXIO'))]);
    expectHolds(doc);
    expectFlipMisses(doc, 3 + present.length + 6, { expect: 0 }, `step ${3 + present.length + 6} has_attr KVM_DEV_ARM_VGIC_GRP_DIST_REGS: expected 0, got ENXIO`);
  });

  test('DIST_REGS: a per-IRQ offset is ENXIO once its first INTID is >= nr_irqs (32 before NR_IRQS is set or init) (check_region)', () => {
    expectHolds(
      scenario([
        ...gic1(),
        hasAttr(GRP.DIST, regAttr(0, 0x100), 0),
        hasAttr(GRP.DIST, regAttr(0, 0x104), 'ENXIO'),
        hasAttr(GRP.DIST, regAttr(0, 0x420), 'ENXIO'),
        setNrIrqs(128),
        hasAttr(GRP.DIST, regAttr(0, 0x10c), 0),
        hasAttr(GRP.DIST, regAttr(0, 0x110), 'ENXIO'),
        hasAttr(GRP.DIST, regAttr(0, 0x47c), 0),
        hasAttr(GRP.DIST, regAttr(0, 0x480), 'ENXIO'),
        hasAttr(GRP.DIST, regAttr(0, 0xc1c), 0),
        hasAttr(GRP.DIST, regAttr(0, 0xc20), 'ENXIO'),
      ]),
    );
  });

  test('CPU_REGS: CTLR, PMR, BPR, ABPR, APR0-3 and IIDR are 0; IAR, EOIR, RPR, HPPIR, AIAR and DIR are ENXIO (vgic_v2_cpu_registers[])', () => {
    const present = [0x00, 0x04, 0x08, 0x1c, 0xd0, 0xd4, 0xd8, 0xdc, 0xfc];
    const absent = [0x0c, 0x10, 0x14, 0x18, 0x20, 0x24, 0x28, 0xe0, 0x1000, 0x06];
    const doc = scenario([...gic1(), ...present.map((o) => hasAttr(GRP.CPU, regAttr(0, o), 0)), ...absent.map((o) => hasAttr(GRP.CPU, regAttr(0, o), 'ENXIO'))]);
    expectHolds(doc);
    const iar = 2 + present.length;
    expectFlipMisses(doc, iar, { expect: 0 }, `step ${iar} has_attr KVM_DEV_ARM_VGIC_GRP_CPU_REGS: expected 0, got ENXIO`);
  });

  test('NR_IRQS is 0 whatever attr; CTRL_INIT is 0, SAVE_PENDING_TABLES ENXIO on v2', () => {
    expectHolds(
      scenario([
        ...gic1(),
        hasAttr(GRP.NR_IRQS, 0, 0),
        hasAttr(GRP.NR_IRQS, '0xffffffffffffffff', 0),
        hasAttr(GRP.CTRL, INIT, 0),
        hasAttr(GRP.CTRL, 'KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES', 'ENXIO'),
        hasAttr(GRP.CTRL, 1, 'ENXIO'),
      ]),
    );
  });

  test('DIST_REGS/CPU_REGS HAS for a vcpu id that does not exist is EINVAL (vgic_v2_parse_attr)', () => {
    const doc = scenario([...gic1(), hasAttr(GRP.DIST, regAttr(1, 0), 'EINVAL'), hasAttr(GRP.CPU, regAttr(7, 0), 'EINVAL')]);
    expectHolds(doc);
    expectFlipMisses(doc, 2, { expect: 0 }, 'step 2 has_attr KVM_DEV_ARM_VGIC_GRP_DIST_REGS: expected 0, got EINVAL');
  });

  test('HAS does not initialise the VGIC: NR_IRQS can still be set and vcpus created (vgic_v2_has_attr_regs has no vgic_init)', () => {
    expectHolds(scenario([...gic1(), hasAttr(GRP.DIST, regAttr(0, 0x8), 0), hasAttr(GRP.CPU, regAttr(0, 0), 0), setNrIrqs(64, 0), createVcpu(1, 0)]));
  });
});

// ---------------------------------------------------------------------------
describe('DIST_REGS / CPU_REGS access (vgic-kvm-device.c vgic_v2_attr_regs_access, vgic-mmio.c vgic_uaccess; reference 3.2)', () => {
  test('a vcpu id with no vcpu is EINVAL for GET and SET of both groups (vgic_v2_parse_attr kvm_get_vcpu_by_id)', () => {
    const doc = scenario([
      ...gic1(),
      getAttr(GRP.DIST, regAttr(1, 0x8), 'EINVAL'),
      setAttr(GRP.DIST, regAttr(1, 0x100), 1, 'EINVAL'),
      getAttr(GRP.CPU, regAttr(2, 0x4), 'EINVAL'),
      setAttr(GRP.CPU, regAttr(2, 0x4), 1, 'EINVAL'),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 2, { expect: 0 }, 'step 2 get_attr KVM_DEV_ARM_VGIC_GRP_DIST_REGS: expected 0, got EINVAL');
  });

  test('bits 39:32 name the vcpu by id, not by creation index (kvm_get_vcpu_by_id since v6.9)', () => {
    expectHolds(
      scenario([
        createVcpu(0),
        createVcpu(5),
        createGic(),
        getAttr(GRP.DIST, regAttr(5, 0x800), 0, '0x20202020', { note: 'ITARGETSR0 of vcpu id 5' }),
        getAttr(GRP.DIST, regAttr(1, 0x800), 'EINVAL', undefined, { note: 'index 1 is not an id' }),
      ]),
    );
  });

  test('bits 63:40 of the attr are ignored (vgic_v2_parse_attr FIELD_GET of CPUID_MASK)', () => {
    expectHolds(scenario([...gic1(), getAttr(GRP.DIST, hex((1n << 40n) | 0x8n), 0, '0x4b00343b'), getAttr(GRP.DIST, hex((0xffffffn << 40n) | 0x8n), 0, '0x4b00343b')]));
  });

  test('SET with a NULL pointer is EFAULT before any init, but a missing vcpu is EINVAL first (vgic_v2_attr_regs_access order)', () => {
    const doc = scenario([
      ...gic1(),
      setAttr(GRP.DIST, regAttr(1, 0x100), undefined, 'EINVAL', { null_pointer: true }),
      setAttr(GRP.DIST, regAttr(0, 0x100), undefined, 'EFAULT', { null_pointer: true }),
      setAttr(GRP.CPU, regAttr(0, 0x4), undefined, 'EFAULT', { null_pointer: true }),
      setNrIrqs(64, 0),
      createVcpu(1, 0),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 3, { expect: 0 }, 'step 3 set_attr KVM_DEV_ARM_VGIC_GRP_DIST_REGS: expected 0, got EFAULT');
  });

  test('GET with a NULL pointer is EFAULT after the access: the lazy init happened (put_user after vgic_init)', () => {
    const doc = scenario([...gic1(), getAttr(GRP.DIST, regAttr(0, 0x8), 'EFAULT', undefined, { null_pointer: true }), setNrIrqs(64, 'EBUSY'), createVcpu(1, 'EBUSY')]);
    expectHolds(doc);
    expectFlipMisses(doc, 3, { expect: 0 }, 'step 3 set_attr KVM_DEV_ARM_VGIC_GRP_NR_IRQS: expected 0, got EBUSY');
  });

  test('a CPU_REGS access also initialises lazily (vgic_v2_attr_regs_access vgic_init)', () => {
    expectHolds(scenario([...gic1(), setAttr(GRP.CPU, regAttr(0, 0x4), 0x1e, 0), getAttr(GRP.NR_IRQS, 0, 0, 256), createVcpu(1, 'EBUSY')]));
  });

  test('an offset with no register reads 0 and ignores writes with 0, only HAS says ENXIO (vgic_uaccess_read/write find no region)', () => {
    const doc = scenario([
      ...gic1(),
      getAttr(GRP.DIST, regAttr(0, 0xfe8), 0, 0),
      setAttr(GRP.DIST, regAttr(0, 0xfe8), '0xffffffff', 0),
      getAttr(GRP.DIST, regAttr(0, 0x101), 0, 0, { note: 'unaligned offset' }),
      getAttr(GRP.CPU, regAttr(0, 0x0c), 0, 0, { note: 'GICC_IAR is not in vgic_v2_cpu_registers' }),
      setAttr(GRP.CPU, regAttr(0, 0x10), 0x1, 0, { note: 'GICC_EOIR neither' }),
      hasAttr(GRP.DIST, regAttr(0, 0xfe8), 'ENXIO'),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 2, { expect: 'ENXIO' }, 'step 2 get_attr KVM_DEV_ARM_VGIC_GRP_DIST_REGS: expected ENXIO, got 0');
  });

  test('a per-IRQ offset at or beyond nr_irqs reads 0 and ignores writes (check_region in vgic_uaccess)', () => {
    expectHolds(
      scenario([
        ...gic1(),
        setNrIrqs(64),
        setAttr(GRP.DIST, regAttr(0, 0x108), '0xffffffff', 0, { note: 'GICD_ISENABLER2: INTIDs 64-95 do not exist' }),
        getAttr(GRP.DIST, regAttr(0, 0x108), 0, 0),
        setAttr(GRP.DIST, regAttr(0, 0x104), '0xffffffff', 0, { note: 'GICD_ISENABLER1: INTIDs 32-63 exist' }),
        getAttr(GRP.DIST, regAttr(0, 0x104), 0, '0xffffffff'),
      ]),
    );
  });

  test('GICD_IIDR write: only Revision may differ (else EINVAL); the recorded revision stays the current one (vgic_mmio_uaccess_write_v2_misc)', () => {
    const doc = scenario([
      ...gic1(),
      setAttr(GRP.DIST, regAttr(0, 0x8), '0x4b00343b', 0),
      setAttr(GRP.DIST, regAttr(0, 0x8), '0x4b00243b', 0),
      getAttr(GRP.DIST, regAttr(0, 0x8), 0, '0x4b00343b'),
      setAttr(GRP.DIST, regAttr(0, 0x8), '0x4b00343c', 'EINVAL'),
      setAttr(GRP.DIST, regAttr(0, 0x8), '0x4c00343b', 'EINVAL'),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 5, { expect: 0 }, 'step 5 set_attr KVM_DEV_ARM_VGIC_GRP_DIST_REGS: expected 0, got EINVAL');
  });

  test('GICD_TYPER and GICD_IIDR are read-only for userspace: writes are ignored (vgic_mmio_uaccess_write_v2_misc / write_v2_misc)', () => {
    expectHolds(scenario([...gic1(), setAttr(GRP.DIST, regAttr(0, 0x4), '0xffffffff', 0), getAttr(GRP.DIST, regAttr(0, 0x4), 0, '0x7')]));
  });

  test('CPU_REGS GICC_IIDR reads 0x0002043B | 0x4B << 20 = 0x04B2043B (vgic_mmio_read_vcpuif GIC_CPU_IDENT)', () => {
    expectHolds(scenario([...gic1(), getAttr(GRP.CPU, regAttr(0, 0xfc), 0, '0x4b2043b')]));
  });
});

// ---------------------------------------------------------------------------
describe('first KVM_RUN (vgic-init.c kvm_vgic_map_resources, vgic-v2.c vgic_v2_map_resources; reference 3.2)', () => {
  test('first run with the DIST base unset is ENXIO', () => {
    const doc = scenario([...gic1(), setCpu('0x8010000'), run(0, 'ENXIO')]);
    expectHolds(doc);
    expectFlipMisses(doc, 3, { expect: 0 }, 'step 3 run_vcpu: expected 0, got ENXIO');
  });

  test('first run with the CPU base unset is ENXIO, as with neither set', () => {
    expectHolds(scenario([...gic1(), setDist('0x8000000'), run(0, 'ENXIO')]));
    expectHolds(scenario([...gic1(), run(0, 'ENXIO')]));
  });

  test('first run with overlapping frames is EINVAL: CPU at 0 spans 8 KiB so DIST at 0x1000 overlaps (vgic_v2_check_base)', () => {
    const doc = scenario([...gic1(), setCpu(0), setDist('0x1000'), run(0, 'EINVAL')]);
    expectHolds(doc);
    expectFlipMisses(doc, 4, { expect: 0 }, 'step 4 run_vcpu: expected 0, got EINVAL');
    expectHolds(scenario([...gic1(), setDist('0x10000'), setCpu('0xf000'), run(0, 'EINVAL')]));
  });

  test('adjacent frames do not overlap: CPU 0 + DIST 0x2000, DIST 0 + CPU 0x1000 both run (vgic_v2_check_base uses <=)', () => {
    expectHolds(scenario([...gic1(), setCpu(0), setDist('0x2000'), run(0, 0)]));
    expectHolds(scenario([...gic1(), setDist(0), setCpu('0x1000'), run(0, 0)]));
  });

  test('the first run initialises the VGIC: NR_IRQS and new vcpus are EBUSY afterwards, a second run is 0 (kvm_vgic_map_resources)', () => {
    expectHolds(scenario([...gic1(), ...placed(), run(0), setNrIrqs(128, 'EBUSY'), createVcpu(1, 'EBUSY'), run(0, 0)]));
  });

  test('a failed first run marks the VM dead: every later ioctl is EIO (kvm_vgic_map_resources kvm_vm_dead; reference 1.6 step 1)', () => {
    const doc = scenario([
      ...vcpus(2),
      createGic(),
      setCpu('0x8010000'),
      run(0, 'ENXIO'),
      run(0, 'EIO'),
      run(1, 'EIO'),
      createVcpu(2, 'EIO'),
      createDevice(V2, 'EIO', 'other'),
      setDist('0x8000000', 'EIO'),
      getAttr(GRP.NR_IRQS, 0, 'EIO'),
      hasAttr(GRP.NR_IRQS, 0, 'EIO'),
      hasAttr(1, 0, 'EIO', { dev: 'vm' }),
      legacyAddr(0, '0x8000000', 'EIO'),
      spi(40, 1, 'EIO'),
      { op: 'mmio', vcpu: 1, dir: 'read', addr: '0x8010000', len: 4, expect: 'EIO' },
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 5, { expect: 0 }, 'step 5 run_vcpu: expected 0, got EIO');
  });

  test('a first guest MMIO access is the first run: it fails the same way (scenario.md "guest step")', () => {
    expectHolds(scenario([...gic1(), setCpu('0x8010000'), { op: 'mmio', vcpu: 0, dir: 'read', addr: '0x8000000', len: 4, expect: 'ENXIO' }, run(0, 'EIO')]));
    expectHolds(scenario([...gic1(), ...placed(), { ...mmioRead(0, 0x8000008, 0x4b00343b), expect: 0 }, createGic('EEXIST', 'late'), setNrIrqs(64, 'EBUSY')]));
  });
});

// ---------------------------------------------------------------------------
describe('KVM_IRQ_LINE on arm64 (arm.c kvm_vm_ioctl_irq_line, vgic.c kvm_vgic_inject_irq; reference 5.1)', () => {
  test('without an irqchip: TYPE_CPU drives IRQ/FIQ of an existing vcpu (0), EINVAL for irq_id > 1 or no such vcpu; SPI and PPI are ENXIO; an unknown type EINVAL', () => {
    const doc = scenario([
      createVcpu(0),
      irqLine(irqWord(IRQ_TYPE.CPU, 0, 0), 1, 0),
      irqLine(irqWord(IRQ_TYPE.CPU, 0, 1), 1, 0),
      irqLine(irqWord(IRQ_TYPE.CPU, 0, 2), 1, 'EINVAL'),
      irqLine(irqWord(IRQ_TYPE.CPU, 4, 0), 1, 'EINVAL'),
      spi(40, 1, 'ENXIO'),
      ppi(0, 20, 1, 'ENXIO'),
      ppi(9, 20, 1, 'ENXIO'),
      irqLine(irqWord(3, 0, 0), 1, 'EINVAL'),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 5, { expect: 'EINVAL' }, 'step 5 irq_line: expected EINVAL, got ENXIO');
  });

  test('on x86_64 without an irqchip KVM_IRQ_LINE is ENXIO (kvm_vm_ioctl_irq_line irqchip_in_kernel)', () => {
    expectHolds(scenario([irqLine(4, 1, 'ENXIO')], { arch: 'x86_64' }));
  });

  test('with a VGIC, TYPE_CPU is ENXIO (kvm_vm_ioctl_irq_line: irqchip_in_kernel)', () => {
    const doc = scenario([...gic1(), irqLine(irqWord(IRQ_TYPE.CPU, 0, 0), 1, 'ENXIO')]);
    expectHolds(doc);
    expectFlipMisses(doc, 2, { expect: 0 }, 'step 2 irq_line: expected 0, got ENXIO');
  });

  test('PPI: a vcpu id with no vcpu is EINVAL, also through vcpu2_index (vcpu id 256); irq_id outside 16..31 is EINVAL', () => {
    const doc = scenario([...gic1(), ppi(1, 20, 1, 'EINVAL'), ppi(256, 20, 1, 'EINVAL'), ppi(0, 15, 1, 'EINVAL'), ppi(0, 32, 1, 'EINVAL'), ppi(0, 16, 1, 0), ppi(0, 31, 1, 0)]);
    expectHolds(doc);
    expectFlipMisses(doc, 4, { expect: 0 }, 'step 4 irq_line: expected 0, got EINVAL');
  });

  test('SPI: irq_id < 32 is EINVAL and does not initialise the VGIC (checked before kvm_vgic_inject_irq)', () => {
    expectHolds(scenario([...gic1(), spi(31, 1, 'EINVAL'), spi(0, 1, 'EINVAL'), createVcpu(1, 0), setNrIrqs(64, 0)]));
  });

  test('SPI: v2 initialises lazily before the range check, so irq_id >= nr_irqs is EINVAL after init and a new vcpu is then EBUSY (vgic_lazy_init, vgic_get_irq)', () => {
    const doc = scenario([...gic1(), spi(256, 1, 'EINVAL'), createVcpu(1, 'EBUSY'), spi(255, 1, 0), spi(1019, 1, 'EINVAL'), spi(1020, 1, 'EINVAL')]);
    expectHolds(doc);
    expectFlipMisses(doc, 3, { expect: 0 }, 'step 3 create_vcpu: expected 0, got EBUSY');
  });

  test('a PPI injection also initialises lazily (kvm_vgic_inject_irq vgic_lazy_init)', () => {
    expectHolds(scenario([...gic1(), ppi(0, 20, 1, 0), createVcpu(1, 'EBUSY'), getAttr(GRP.NR_IRQS, 0, 0, 256)]));
  });

  test('an unknown irq_type is EINVAL with a VGIC too (kvm_vm_ioctl_irq_line default)', () => {
    expectHolds(scenario([...gic1(), irqLine(irqWord(3, 0, 40), 1, 'EINVAL'), irqLine(irqWord(15, 0, 40), 1, 'EINVAL')]));
  });

  test('an edge SPI acts only at level 1: level 0 leaves it idle, level 1 latches it pending, a later level 0 keeps the latch (vgic_validate_injection)', () => {
    const ispendr1 = (v: string): Step => getAttr(GRP.DIST, regAttr(0, 0x204), 0, v, { note: 'GICD_ISPENDR1' });
    const doc = scenario([...gic1(), ctrlInit(), spi(40, 0), ispendr1('0x0'), spi(40, 1), ispendr1('0x100'), spi(40, 0), ispendr1('0x100')]);
    expectHolds(doc);
    expectFlipMisses(doc, 4, { expect_value: '0x100' }, 'step 4 get_attr KVM_DEV_ARM_VGIC_GRP_DIST_REGS: expected value 0x100, got 0x0');
  });

  test('a level SPI follows the line: pending while high, not pending once low (vgic_validate_injection, irq_is_pending)', () => {
    const ispendr1 = (v: string): Step => getAttr(GRP.DIST, regAttr(0, 0x204), 0, v);
    expectHolds(
      scenario([
        ...gic1(),
        ctrlInit(),
        setAttr(GRP.DIST, regAttr(0, 0xc08), 0, 0, { note: 'GICD_ICFGR2: SPIs 32-47 level' }),
        spi(40, 1),
        ispendr1('0x100'),
        spi(40, 1),
        ispendr1('0x100'),
        spi(40, 0),
        ispendr1('0x0'),
      ]),
    );
  });

  test('after a vcpu ran, its timer PPIs 27 and 30 belong to the timer: injections return 0 and change nothing; other PPIs and other vcpus are unaffected (kvm_timer_enable kvm_vgic_set_owner)', () => {
    const ispendr0 = (id: number, v: string): Step => getAttr(GRP.DIST, regAttr(id, 0x200), 0, v, { note: `GICD_ISPENDR0 of vcpu ${id}` });
    const doc = scenario([
      ...vcpus(2),
      createGic(),
      ...placed(),
      run(0),
      ppi(0, 27, 1, 0),
      ppi(0, 30, 1, 0),
      ppi(0, 20, 1, 0),
      ispendr0(0, hex(1 << 20)),
      ppi(1, 27, 1, 0),
      ispendr0(1, hex(1 << 27)),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 9, { expect_value: hex((1 << 20) | (1 << 27) | (1 << 30)) }, `step 9 get_attr KVM_DEV_ARM_VGIC_GRP_DIST_REGS: expected value 0x48100000, got 0x100000`);
  });
});
