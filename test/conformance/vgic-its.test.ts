/**
 * Conformance: the GICv3 ITS device (KVM_DEV_TYPE_ARM_VGIC_ITS) and the
 * LPIs it feeds: its attribute groups and their errno rules, its registers,
 * the command queue and every command, MSI translation through
 * KVM_SIGNAL_MSI, and the table ABI 0 that SAVE_TABLES / RESTORE_TABLES use.
 * Sources: arch/arm64/kvm/vgic/vgic-its.c (v6.17), vgic-mmio-v3.c, vgic-v3.c,
 * virt/kvm/kvm_main.c kvm_send_userspace_msi, arch/arm64/kvm/vgic/vgic-irqfd.c
 * kvm_set_msi, Documentation/virt/kvm/devices/arm-vgic-its.rst, and
 * shared/reference/kvm-device-api.md section 3.4.
 */
import { describe, test } from 'vitest';
import { createDevice, createVcpu, expectFlipMisses, expectHolds, getAttr, GRP, hasAttr, hex, IRQ_TYPE, irqLine, irqWord, last, mmioRead, mmioWrite, scenario, setAttr, type Step } from './builders.js';
import { ADDR3, CMD, gicrBase, GRP3, ITS, itsBringup, itsCtrl, itsGet, itsSet, le64, MAP, memRead, memWrite, msi, queue, sysregRead, V3, v3Bringup } from './builders-v3.js';

const TRANSLATER = MAP.ITS + 0x10040;
const DEV = 0x10;
const itt = (d: number) => MAP.ITT + d * 0x1000;
/** n vcpus, the VGIC, the ITS enabled; device DEV with 4 event bits; collection 1 on vcpu id 1 (or 0 with one vcpu). */
function lpiSetup(n = 2): { steps: Step[]; at: number } {
  const q = queue(0, CMD.MAPD(DEV, itt(DEV), 4), CMD.MAPC(1, n > 1 ? 1 : 0));
  return { steps: [...v3Bringup(n), ...itsBringup(n), ...q.steps], at: q.at };
}
const its = (): Step => createDevice(ITS, 0, 'its');
const itsAddr = (a: number | bigint, exp: 0 | string = 0): Step => setAttr(GRP.ADDR, ADDR3.ITS, hex(a), exp, { dev: 'its' });

// ---------------------------------------------------------------------------
describe('creating an ITS and KVM_DEV_ARM_VGIC_GRP_ADDR (vgic_its_create, vgic_its_set/get_attr; reference 3.4)', () => {
  test('an ITS needs no VGIC, and several may exist (vgic_its_create checks neither)', () => {
    const doc = scenario([createDevice(ITS, 0, 'a'), createDevice(ITS, 0, 'b'), createVcpu(0), createDevice(V3, 0, 'gic')]);
    expectHolds(doc);
    expectFlipMisses(doc, 1, { expect: 'EEXIST' }, 'step 1 create_device KVM_DEV_TYPE_ARM_VGIC_ITS: expected EEXIST, got 0');
  });

  test('GRP_ADDR: a type other than KVM_VGIC_ITS_ADDR_TYPE is ENODEV for SET and GET (not translated to ENXIO here) and ENXIO for HAS', () => {
    const doc = scenario([
      its(),
      setAttr(GRP.ADDR, ADDR3.DIST, '0x8080000', 'ENODEV', { dev: 'its' }),
      getAttr(GRP.ADDR, ADDR3.DIST, 'ENODEV', undefined, { dev: 'its' }),
      hasAttr(GRP.ADDR, ADDR3.DIST, 'ENXIO', { dev: 'its' }),
      hasAttr(GRP.ADDR, ADDR3.ITS, 0, { dev: 'its' }),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 1, { expect: 'ENXIO' }, 'step 1 set_attr KVM_DEV_ARM_VGIC_GRP_ADDR: expected ENXIO, got ENODEV');
  });

  test('GRP_ADDR: EFAULT for a NULL value, all ones before it is set, the base after (vgic_its_set_attr copy_from_user, vgic_its_get_attr)', () => {
    expectHolds(scenario([its(), getAttr(GRP.ADDR, ADDR3.ITS, 0, '0xffffffffffffffff', { dev: 'its' }), setAttr(GRP.ADDR, ADDR3.ITS, undefined, 'EFAULT', { dev: 'its', null_pointer: true }), itsAddr(MAP.ITS), getAttr(GRP.ADDR, ADDR3.ITS, 0, hex(MAP.ITS), { dev: 'its' })]));
  });

  test('CTRL: INIT does nothing (0), an unknown attribute is 0, GET is ENXIO; HAS knows INIT, RESET, SAVE_TABLES and RESTORE_TABLES only (vgic_its_ctrl, vgic_its_has_attr)', () => {
    const doc = scenario([
      its(),
      itsCtrl('KVM_DEV_ARM_VGIC_CTRL_INIT'),
      itsCtrl('KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES'),
      setAttr(GRP.CTRL, 99, undefined, 0, { dev: 'its' }),
      getAttr(GRP.CTRL, 'KVM_DEV_ARM_VGIC_CTRL_INIT', 'ENXIO', undefined, { dev: 'its' }),
      ...['KVM_DEV_ARM_VGIC_CTRL_INIT', 'KVM_DEV_ARM_ITS_CTRL_RESET', 'KVM_DEV_ARM_ITS_SAVE_TABLES', 'KVM_DEV_ARM_ITS_RESTORE_TABLES'].map((a) => hasAttr(GRP.CTRL, a, 0, { dev: 'its' })),
      hasAttr(GRP.CTRL, 'KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES', 'ENXIO', { dev: 'its' }),
      hasAttr(GRP3.REDIST, 0, 'ENXIO', { dev: 'its' }),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 3, { expect: 'ENXIO' }, 'step 3 set_attr KVM_DEV_ARM_VGIC_GRP_CTRL: expected ENXIO, got 0');
  });
});

// ---------------------------------------------------------------------------
describe('KVM_DEV_ARM_VGIC_GRP_ITS_REGS (vgic_its_attr_regs_access, vgic_its_has_attr_regs; reference 3.4)', () => {
  test('SET reads the user word first (EFAULT), then alignment: 4 bytes below GITS_TYPER and from GITS_PIDR4, 8 elsewhere (EINVAL); then ENXIO without a base or a register', () => {
    const doc = scenario([
      its(),
      { ...itsSet(0x80, undefined, 'EFAULT'), null_pointer: true },
      itsGet(0x84, 'EINVAL'),
      itsGet(0x2, 'EINVAL'),
      itsGet(0xffd2, 'EINVAL'),
      itsGet(0x0, 'ENXIO'),
      itsAddr(MAP.ITS),
      itsGet(0x0, 0, '0x80000000'),
      itsGet(0x20, 'ENXIO'),
      itsGet(0x10040, 'ENXIO'),
      itsGet(0xffe8, 0, '0x3b'),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 5, { expect: 0 }, 'step 5 get_attr KVM_DEV_ARM_VGIC_GRP_ITS_REGS: expected 0, got ENXIO');
  });

  test('HAS checks alignment (EINVAL) and the register (ENXIO) but not the base', () => {
    expectHolds(scenario([its(), hasAttr(GRP3.ITS_REGS, 0x88, 0, { dev: 'its' }), hasAttr(GRP3.ITS_REGS, 0x8c, 'EINVAL', { dev: 'its' }), hasAttr(GRP3.ITS_REGS, 0x98, 'ENXIO', { dev: 'its' }), hasAttr(GRP3.ITS_REGS, 0x138, 0, { dev: 'its' })]));
  });

  test('GITS_IIDR reads KVM/ARM with ABI revision 0; a write with revision 1 or more is EINVAL (NR_ITS_ABIS), 0 is accepted (vgic_mmio_uaccess_write_its_iidr)', () => {
    const doc = scenario([its(), itsAddr(MAP.ITS), itsGet(0x4, 0, '0x4b00043b'), itsSet(0x4, '0x4b00143b', 'EINVAL'), itsSet(0x4, '0x4b00043b', 0)]);
    expectHolds(doc);
    expectFlipMisses(doc, 3, { expect: 0 }, 'step 3 set_attr KVM_DEV_ARM_VGIC_GRP_ITS_REGS: expected 0, got EINVAL');
  });

  test('GITS_TYPER: physical LPIs, 8-byte ITT entries, 16 event ID and 16 device ID bits; read-only (vgic_mmio_read_its_typer)', () => {
    expectHolds(scenario([its(), itsAddr(MAP.ITS), itsGet(0x8, 0, '0x1ef71'), itsSet(0x8, 0, 0), itsGet(0x8, 0, '0x1ef71')]));
  });

  test('GITS_CREADR: userspace may write it while the ITS is disabled (else EBUSY), within the queue (else EINVAL); a CBASER write empties the queue (vgic_mmio_uaccess_write_its_creadr, vgic_mmio_write_its_cbaser)', () => {
    const doc = scenario([
      its(),
      itsAddr(MAP.ITS),
      itsSet(0x80, hex((1n << 63n) | BigInt(MAP.CMDQ)), 0),
      itsSet(0x90, '0x1000', 'EINVAL'),
      itsSet(0x90, '0xfe0', 0),
      itsSet(0x88, '0xfe0', 0),
      itsGet(0x90, 0, '0xfe0'),
      itsSet(0x80, hex((1n << 63n) | BigInt(MAP.CMDQ) | 1n), 0),
      itsGet(0x90, 0, 0),
      itsGet(0x88, 0, 0),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 3, { expect: 0 }, 'step 3 set_attr KVM_DEV_ARM_VGIC_GRP_ITS_REGS: expected 0, got EINVAL');
    const { steps } = lpiSetup(1);
    expectHolds(scenario([...steps, itsSet(0x90, 0, 'EBUSY')]));
  });

  test('GITS_BASER<n>: type and entry size are forced, BASER1 cannot be indirect, BASER2-7 are RAZ/WI, the page size is 64K (vgic_mmio_write_its_baser, vgic_sanitise_its_baser)', () => {
    expectHolds(
      scenario([
        its(),
        itsAddr(MAP.ITS),
        itsGet(0x100, 0, hex((1n << 56n) | (7n << 48n) | (3n << 59n) | (1n << 10n) | (2n << 8n))),
        itsSet(0x108, hex((3n << 62n) | BigInt(MAP.COLLT) | (0x1fn << 48n)), 0),
        // Shareability 0 (non-shareable) is kept; inner non-cacheable becomes RaWb.
        itsGet(0x108, 0, hex((1n << 63n) | (4n << 56n) | (7n << 48n) | (3n << 59n) | BigInt(MAP.COLLT) | (2n << 8n))),
        itsSet(0x110, '0xffff', 0),
        itsGet(0x110, 0, 0),
      ]),
    );
  });

  test('GITS_CTLR: Enabled is refused unless CBASER, BASER0 and BASER1 are valid; Quiescent while CREADR == CWRITER (vgic_mmio_write/read_its_ctlr)', () => {
    const doc = scenario([its(), itsAddr(MAP.ITS), itsSet(0x0, 1, 0), itsGet(0x0, 0, '0x80000000'), itsSet(0x80, hex((1n << 63n) | BigInt(MAP.CMDQ)), 0), itsSet(0x100, hex(1n << 63n), 0), itsSet(0x108, hex((1n << 63n) | 0x10000n), 0), itsSet(0x0, 1, 0), itsGet(0x0, 0, '0x80000001')]);
    expectHolds(doc);
    expectFlipMisses(doc, 3, { expect_value: '0x80000001' }, 'step 3 get_attr KVM_DEV_ARM_VGIC_GRP_ITS_REGS: expected value 0x80000001, got 0x80000000');
  });

  test('ITS_CTRL_RESET: disabled, BASER Valid bits cleared (the ABI fields kept), CBASER/CREADR/CWRITER zero, devices and collections gone (vgic_its_reset)', () => {
    const { steps, at } = lpiSetup(2);
    const q = queue(at, CMD.MAPTI(DEV, 1, 8200, 1));
    expectHolds(
      scenario([
        ...steps,
        ...q.steps,
        msi(TRANSLATER, DEV, 1, 1),
        itsCtrl('KVM_DEV_ARM_ITS_CTRL_RESET'),
        itsGet(0x0, 0, '0x80000000'),
        itsGet(0x80, 0, 0),
        itsGet(0x100, 0, hex((1n << 56n) | (7n << 48n) | (3n << 59n) | BigInt(MAP.DEVT) | (2n << 8n))),
        msi(TRANSLATER, DEV, 1, undefined, 'EBUSY'),
      ]),
    );
  });
});

// ---------------------------------------------------------------------------
describe('KVM_SIGNAL_MSI (kvm_send_userspace_msi, kvm_set_msi, vgic_its_inject_msi, vgic_its_resolve_lpi)', () => {
  test('no in-kernel irqchip, or a flag other than KVM_MSI_VALID_DEVID: EINVAL (kvm_send_userspace_msi)', () => {
    const doc = scenario([createVcpu(0), msi(TRANSLATER, 1, 0, undefined, 'EINVAL'), createDevice(V3, 0, 'gic'), its(), msi(TRANSLATER, 1, 0, undefined, 'EINVAL', 3)]);
    expectHolds(doc);
    expectFlipMisses(doc, 1, { expect: 'ENODEV' }, 'step 1 signal_msi: expected ENODEV, got EINVAL');
  });

  test('a v2 VGIC, or a v3 VGIC without an ITS: ENODEV (kvm_set_msi: !vgic_has_its)', () => {
    expectHolds(scenario([createVcpu(0), createDevice('KVM_DEV_TYPE_ARM_VGIC_V2', 0, 'gic'), msi(TRANSLATER, 1, 0, undefined, 'ENODEV')]));
    expectHolds(scenario([createVcpu(0), createDevice(V3, 0, 'gic'), msi(TRANSLATER, 1, 0, undefined, 'ENODEV')]));
  });

  test('without KVM_MSI_VALID_DEVID, or at an address no ITS frame covers: EINVAL (vgic_msi_to_its)', () => {
    const doc = scenario([...lpiSetup(2).steps, msi(TRANSLATER, DEV, 0, undefined, 'EINVAL', 0), msi(MAP.DIST + 0x40, DEV, 0, undefined, 'EINVAL'), msi(MAP.ITS + 0x20000, DEV, 0, undefined, 'EINVAL'), msi(MAP.ITS + 0x1fffc, DEV, 0, 0)]);
    expectHolds(doc);
    expectFlipMisses(doc, last(doc) - 1, { expect: 0 }, `step ${last(doc) - 1} signal_msi: expected 0, got EINVAL`);
  });

  test('an ITS that is disabled: EBUSY; an event not mapped: 0 (the guest blocked it); mapped: 1, and the LPI is pending (vgic_its_trigger_msi)', () => {
    const { steps, at } = lpiSetup(2);
    const q = queue(at, CMD.MAPTI(DEV, 3, 8192, 1));
    const doc = scenario([...steps, msi(TRANSLATER, DEV, 3, 0), ...q.steps, msi(TRANSLATER, DEV, 3, 1), msi(TRANSLATER, DEV + 1, 3, 0), sysregRead(1, 'ICC_IAR1_EL1', 8192), mmioWrite(0, MAP.ITS, 0), msi(TRANSLATER, DEV, 3, undefined, 'EBUSY')]);
    expectHolds(doc);
    expectFlipMisses(doc, last(doc) - 4, { expect_value: 0 }, `step ${last(doc) - 4} signal_msi: expected value 0x0, got 0x1`);
  });

  test('the target redistributor\'s LPIs disabled: EBUSY (vgic_its_resolve_lpi !vgic_lpis_enabled)', () => {
    const { steps, at } = lpiSetup(2);
    const q = queue(at, CMD.MAPTI(DEV, 3, 8192, 1));
    expectHolds(scenario([...steps, ...q.steps, mmioWrite(1, gicrBase(1), 0), msi(TRANSLATER, DEV, 3, undefined, 'EBUSY'), mmioWrite(1, gicrBase(1), 1), msi(TRANSLATER, DEV, 3, 1)]));
  });
});

// ---------------------------------------------------------------------------
describe('KVM_IRQ_LINE naming an LPI (arm.c kvm_vm_ioctl_irq_line KVM_ARM_IRQ_TYPE_SPI, vgic.c kvm_vgic_inject_irq -> vgic_get_irq)', () => {
  const lpiLine = (n: number, level: number, exp: 0 | string = 0) => irqLine(irqWord(IRQ_TYPE.SPI, 0, n), level, exp);

  test('an SPI-type line with an LPI number injects that LPI when an ITS maps it (edge: 1 latches it pending, 0 changes nothing); one nothing maps is EINVAL (vgic_get_irq -> vgic_get_lpi, vgic_validate_injection)', () => {
    const { steps, at } = lpiSetup(2);
    const q = queue(at, CMD.MAPTI(DEV, 1, 8192, 1));
    const doc = scenario([
      ...steps,
      lpiLine(8192, 1, 'EINVAL'),
      ...q.steps,
      lpiLine(8193, 1, 'EINVAL'),
      lpiLine(8192, 0),
      sysregRead(1, 'ICC_HPPIR1_EL1', 1023),
      lpiLine(8192, 1),
      lpiLine(8192, 0),
      sysregRead(1, 'ICC_HPPIR1_EL1', 8192),
      sysregRead(1, 'ICC_IAR1_EL1', 8192),
      sysregRead(0, 'ICC_IAR1_EL1', 1023),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, last(doc) - 4, { expect: 'EINVAL' }, `step ${last(doc) - 4} irq_line: expected EINVAL, got 0`);
  });

  test('the checks before the lookup stand: a number below 32 is EINVAL, a v3 VGIC not yet initialised is EBUSY, and numbers between the SPIs and 8192 name nothing (EINVAL) (kvm_vm_ioctl_irq_line, vgic_lazy_init, vgic_get_irq)', () => {
    expectHolds(scenario([...v3Bringup(1, { init: false }), lpiLine(31, 1, 'EINVAL'), lpiLine(8192, 1, 'EBUSY'), setAttr(GRP.CTRL, 'KVM_DEV_ARM_VGIC_CTRL_INIT', undefined), lpiLine(1020, 1, 'EINVAL'), lpiLine(8191, 1, 'EINVAL'), lpiLine(8192, 1, 'EINVAL'), lpiLine(0xffff, 1, 'EINVAL')]));
  });
});

// ---------------------------------------------------------------------------
describe('the command queue and the commands (vgic_its_process_commands, vgic_its_cmd_handle_*)', () => {
  test('commands run when CWRITER moves: CREADR follows, GITS_CTLR reads Quiescent; an offset beyond the queue is ignored', () => {
    const { steps } = lpiSetup(2);
    expectHolds(scenario([...steps, { op: 'mmio', vcpu: 0, dir: 'read', addr: hex(MAP.ITS + 0x90), len: 8, expect_value: '0x40' }, mmioRead(0, MAP.ITS, 0x80000001), mmioWrite(0, MAP.ITS + 0x88, 0x1000), mmioRead(0, MAP.ITS + 0x88, 0x40)]));
  });

  test('a disabled ITS queues commands and runs them when enabled (vgic_mmio_write_its_ctlr)', () => {
    const { steps, at } = lpiSetup(2);
    expectHolds(scenario([...steps, mmioWrite(0, MAP.ITS, 0), ...queue(at, CMD.MAPTI(DEV, 2, 8193, 1)).steps, mmioRead(0, MAP.ITS + 0x90, 0x40), mmioWrite(0, MAP.ITS, 1), mmioRead(0, MAP.ITS + 0x90, 0x60), msi(TRANSLATER, DEV, 2, 1)]));
  });

  test('the queue wraps at its end; a command that cannot be read from guest RAM is skipped (vgic_its_process_commands)', () => {
    const { steps } = lpiSetup(2);
    // Move the queue to the last 64 bytes of a one-page queue: two commands there, one at the start.
    const doc = scenario([
      ...steps,
      mmioWrite(0, MAP.ITS, 0),
      itsSet(0x90, '0xfc0', 0),
      itsSet(0x88, '0xfc0', 0),
      mmioWrite(0, MAP.ITS, 1),
      memWrite(MAP.CMDQ + 0xfc0, CMD.MAPTI(DEV, 1, 8200, 1) + CMD.MAPTI(DEV, 2, 8201, 1)),
      memWrite(MAP.CMDQ, CMD.MAPTI(DEV, 3, 8202, 1)),
      mmioWrite(0, MAP.ITS + 0x88, 0x20),
      mmioRead(0, MAP.ITS + 0x90, 0x20),
      msi(TRANSLATER, DEV, 1, 1),
      msi(TRANSLATER, DEV, 3, 1),
    ]);
    expectHolds(doc);
  });

  test('MAPTI needs a mapped device and an event ID within its size; the LPI must be >= 8192 and below PROPBASER.IDbits (E_ITS_MAPTI_*: nothing is mapped)', () => {
    const { steps, at } = lpiSetup(2);
    const q = queue(at, CMD.MAPTI(DEV + 1, 1, 8192, 1), CMD.MAPTI(DEV, 16, 8192, 1), CMD.MAPTI(DEV, 2, 8191, 1), CMD.MAPTI(DEV, 3, 65536, 1), CMD.MAPTI(DEV, 4, 65535, 1));
    const doc = scenario([...steps, ...q.steps, msi(TRANSLATER, DEV + 1, 1, 0), msi(TRANSLATER, DEV, 16, 0), msi(TRANSLATER, DEV, 2, 0), msi(TRANSLATER, DEV, 3, 0), msi(TRANSLATER, DEV, 4, 1)]);
    expectHolds(doc);
    expectFlipMisses(doc, last(doc) - 2, { expect_value: 1 }, `step ${last(doc) - 2} signal_msi: expected value 0x1, got 0x0`);
  });

  test('MAPTI / MAPI refuse an event whose ITT entry lies outside guest RAM (the IPA space here): E_ITS_MAPTI_ID_OOR, nothing is mapped (vgic_its_cmd_handle_mapi -> vgic_its_check_event_id, kvm_is_visible_gfn; vgic-its.c)', () => {
    const { steps, at } = lpiSetup(2);
    // Guest RAM ends at 1 << 40. DEV's ITT starts 256 bytes below it: event 31 is its last entry in RAM. DEV + 1's
    // starts 64 KiB + 256 bytes below: event 8223 (MAPI maps LPI 8223) is the last.
    const q = queue(at, CMD.MAPD(DEV, 2 ** 40 - 0x100, 16), CMD.MAPD(DEV + 1, 2 ** 40 - 0x10100, 16), CMD.MAPTI(DEV, 31, 8192, 1), CMD.MAPTI(DEV, 32, 8193, 1), CMD.MAPI(DEV + 1, 8223, 1), CMD.MAPI(DEV + 1, 8224, 1));
    const doc = scenario([...steps, ...q.steps, msi(TRANSLATER, DEV, 31, 1), msi(TRANSLATER, DEV, 32, 0), msi(TRANSLATER, DEV + 1, 8223, 1), msi(TRANSLATER, DEV + 1, 8224, 0)]);
    expectHolds(doc);
    expectFlipMisses(doc, last(doc) - 2, { expect_value: 1 }, `step ${last(doc) - 2} signal_msi: expected value 0x1, got 0x0`);
  });

  test('MAPI maps the event ID itself as the LPI; a second MAPTI of a mapped event changes nothing (UNPREDICTABLE: kept)', () => {
    const { steps, at } = lpiSetup(2);
    const q = queue(at, CMD.MAPD(DEV, itt(DEV), 16), CMD.MAPI(DEV, 8300, 1), CMD.MAPTI(DEV, 8300, 9000, 1));
    expectHolds(scenario([...steps, memWrite(MAP.PROP + 8300 - 8192, 'a1'), ...q.steps, msi(TRANSLATER, DEV, 8300, 1), sysregRead(1, 'ICC_IAR1_EL1', 8300)]));
  });

  test('MAPC to a vcpu id that does not exist is refused (E_ITS_MAPC_PROCNUM_OOR): the collection stays unmapped and MSIs through it are blocked (v6.17: target is a vcpu id)', () => {
    const { steps, at } = lpiSetup(2);
    const q = queue(at, CMD.MAPC(2, 7), CMD.MAPTI(DEV, 1, 8192, 2));
    expectHolds(scenario([...steps, ...q.steps, msi(TRANSLATER, DEV, 1, 0)]));
  });

  test('MAPC V=0 unmaps: events in it are blocked; mapping the collection again does not bring them back (ite->collection = NULL)', () => {
    const { steps, at } = lpiSetup(2);
    const q1 = queue(at, CMD.MAPTI(DEV, 1, 8192, 1), CMD.MAPC(1, 0, false));
    const q2 = queue(q1.at, CMD.MAPC(1, 1));
    const doc = scenario([...steps, ...q1.steps, msi(TRANSLATER, DEV, 1, 0), ...q2.steps, msi(TRANSLATER, DEV, 1, 0)]);
    expectHolds(doc);
    expectFlipMisses(doc, last(doc), { expect_value: 1 }, `step ${last(doc)} signal_msi: expected value 0x1, got 0x0`);
  });

  test('MOVI moves an event to another collection and its LPI to that vcpu; MOVALL moves every LPI of one vcpu id to another', () => {
    const { steps, at } = lpiSetup(2);
    const q1 = queue(at, CMD.MAPC(0, 0), CMD.MAPTI(DEV, 1, 8192, 1), CMD.MOVI(DEV, 1, 0));
    const q2 = queue(q1.at, CMD.MOVALL(0, 1));
    expectHolds(scenario([...steps, ...q1.steps, msi(TRANSLATER, DEV, 1, 1), sysregRead(1, 'ICC_IAR1_EL1', 1023), sysregRead(0, 'ICC_IAR1_EL1', 8192), msi(TRANSLATER, DEV, 1, 1), ...q2.steps, sysregRead(0, 'ICC_IAR1_EL1', 1023), sysregRead(1, 'ICC_IAR1_EL1', 8192)]));
  });

  test('DISCARD frees the event (later MSIs blocked) and clears its ITT entry in guest RAM (v6.13+); CLEAR drops the pending state; INT makes it pending like an MSI', () => {
    const { steps, at } = lpiSetup(2);
    const q1 = queue(at, CMD.MAPTI(DEV, 1, 8192, 1), CMD.INT(DEV, 1), CMD.CLEAR(DEV, 1));
    const q2 = queue(q1.at, CMD.INT(DEV, 1));
    const q3 = queue(q2.at, CMD.DISCARD(DEV, 1));
    expectHolds(
      scenario([
        ...steps,
        memWrite(itt(DEV) + 8, 'ffffffffffffffff'),
        ...q1.steps,
        sysregRead(1, 'ICC_IAR1_EL1', 1023),
        ...q2.steps,
        sysregRead(1, 'ICC_HPPIR1_EL1', 8192),
        ...q3.steps,
        memRead(itt(DEV) + 8, '0000000000000000'),
        msi(TRANSLATER, DEV, 1, 0),
        sysregRead(1, 'ICC_IAR1_EL1', 1023),
      ]),
    );
  });

  test('an LPI mapped by two events survives DISCARD of one (vgic_add_lpi takes a reference, vgic_put_irq drops it)', () => {
    const { steps, at } = lpiSetup(2);
    const q = queue(at, CMD.MAPTI(DEV, 1, 8192, 1), CMD.MAPTI(DEV, 2, 8192, 1), CMD.DISCARD(DEV, 1));
    expectHolds(scenario([...steps, ...q.steps, msi(TRANSLATER, DEV, 2, 1), sysregRead(1, 'ICC_IAR1_EL1', 8192)]));
  });

  test('MAPD V=0 frees the device (its events are gone) and clears its DTE in guest RAM (v6.13+); MAPD again remaps it empty', () => {
    const { steps, at } = lpiSetup(2);
    const q = queue(at, CMD.MAPTI(DEV, 1, 8192, 1), CMD.MAPD(DEV, itt(DEV), 4, false));
    const q2 = queue(q.at, CMD.MAPD(DEV, itt(DEV), 4));
    expectHolds(scenario([...steps, memWrite(MAP.DEVT + DEV * 8, 'ffffffffffffffff'), ...q.steps, memRead(MAP.DEVT + DEV * 8, '0000000000000000'), msi(TRANSLATER, DEV, 1, 0), ...q2.steps, msi(TRANSLATER, DEV, 1, 0)]));
  });

  test('MAPD refuses a device ID beyond the device table (E_ITS_MAPD_DEVICE_OOR) and more than 16 event ID bits (E_ITS_MAPD_ITTSIZE_OOR)', () => {
    const { steps, at } = lpiSetup(2);
    // BASER0 holds one 64K page of 8-byte entries: device IDs up to 8191.
    const q = queue(at, CMD.MAPD(8192, itt(1), 4), CMD.MAPTI(8192, 1, 8192, 1), CMD.MAPD(5, itt(5), 17), CMD.MAPTI(5, 1, 8193, 1));
    expectHolds(scenario([...steps, ...q.steps, msi(TRANSLATER, 8192, 1, 0), msi(TRANSLATER, 5, 1, 0)]));
  });

  test('INV and INVALL re-read the property table; so does a GICR_INVLPIR write; without them a changed property byte has no effect (update_lpi_config)', () => {
    const { steps, at } = lpiSetup(2);
    const q = queue(at, CMD.MAPTI(DEV, 1, 8192, 1), CMD.MAPTI(DEV, 2, 8193, 1));
    const doc = scenario([
      ...steps,
      ...q.steps,
      memWrite(MAP.PROP, 'a0a0'), // both LPIs disabled in memory
      msi(TRANSLATER, DEV, 1, 1),
      sysregRead(1, 'ICC_HPPIR1_EL1', 8192),
      ...queue(q.at, CMD.INV(DEV, 1)).steps,
      sysregRead(1, 'ICC_HPPIR1_EL1', 1023),
      msi(TRANSLATER, DEV, 2, 1),
      sysregRead(1, 'ICC_HPPIR1_EL1', 8193),
      ...queue(q.at + 1, CMD.INVALL(1)).steps,
      sysregRead(1, 'ICC_HPPIR1_EL1', 1023),
      memWrite(MAP.PROP, 'a1'),
      { op: 'mmio', vcpu: 1, dir: 'write', addr: hex(gicrBase(1) + 0xa0), len: 8, value: '0x2000' },
      sysregRead(1, 'ICC_HPPIR1_EL1', 8192),
    ]);
    expectHolds(doc);
  });
});

// ---------------------------------------------------------------------------
describe('LPI pending tables (vgic_v3_lpi_sync_pending_status, its_sync_lpi_pending_table, vgic_v3_save_pending_tables)', () => {
  test('an LPI created while its bit is set in the target\'s pending table starts pending, and the bit is consumed (cleared in guest RAM)', () => {
    const { steps, at } = lpiSetup(2);
    const q = queue(at, CMD.MAPTI(DEV, 1, 8195, 1));
    const doc = scenario([...steps, memWrite(MAP.PEND + 0x10000 + 1024, '08'), ...q.steps, memRead(MAP.PEND + 0x10000 + 1024, '00'), sysregRead(1, 'ICC_IAR1_EL1', 8195)]);
    expectHolds(doc);
    expectFlipMisses(doc, last(doc) - 1, { expect_data: '08' }, `step ${last(doc) - 1} mem_read: expected data 08, got 00`);
  });

  test('setting GICR_CTLR.EnableLPIs syncs every LPI of the vcpu from its pending table, without clearing it; with PENDBASER.PTZ nothing is read', () => {
    const { steps, at } = lpiSetup(2);
    const q = queue(at, CMD.MAPTI(DEV, 1, 8192, 1));
    expectHolds(
      scenario([
        ...steps,
        ...q.steps,
        mmioWrite(1, gicrBase(1), 0),
        memWrite(MAP.PEND + 0x10000 + 1024, '01'),
        mmioWrite(1, gicrBase(1), 1),
        memRead(MAP.PEND + 0x10000 + 1024, '01'),
        sysregRead(1, 'ICC_HPPIR1_EL1', 8192),
        mmioWrite(1, gicrBase(1), 0),
        { op: 'mmio', vcpu: 1, dir: 'write', addr: hex(gicrBase(1) + 0x78), len: 8, value: hex((1n << 62n) | BigInt(MAP.PEND + 0x20000)) },
        mmioWrite(1, gicrBase(1), 1),
        sysregRead(1, 'ICC_HPPIR1_EL1', 8192),
      ]),
    );
  });

  test('SAVE_PENDING_TABLES writes each targeted LPI\'s pending state into its target\'s table, setting and clearing bits; the LPIs stay pending', () => {
    const { steps, at } = lpiSetup(2);
    const q = queue(at, CMD.MAPTI(DEV, 1, 8192, 1), CMD.MAPTI(DEV, 2, 8201, 1));
    const doc = scenario([
      ...steps,
      ...q.steps,
      msi(TRANSLATER, DEV, 1, 1),
      memWrite(MAP.PEND + 0x10000 + 1025, '02'),
      setAttr(GRP.CTRL, 'KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES', undefined, 0),
      memRead(MAP.PEND + 0x10000 + 1024, '0100'),
      sysregRead(1, 'ICC_IAR1_EL1', 8192),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, last(doc) - 1, { expect_data: '0102' }, `step ${last(doc) - 1} mem_read: expected data 0102, got 0100`);
  });

  test('SAVE_PENDING_TABLES with a pending table outside guest RAM: EFAULT (kvm_read_guest_lock)', () => {
    const { steps, at } = lpiSetup(2);
    const q = queue(at, CMD.MAPTI(DEV, 1, 8192, 1));
    expectHolds(
      scenario([
        ...steps,
        ...q.steps,
        mmioWrite(1, gicrBase(1), 0),
        { op: 'mmio', vcpu: 1, dir: 'write', addr: hex(gicrBase(1) + 0x78), len: 8, value: hex((1n << 40n) - 0x10000n) },
        setAttr(GRP.CTRL, 'KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES', undefined, 0),
        { op: 'mmio', vcpu: 1, dir: 'write', addr: hex(gicrBase(1) + 0x78), len: 8, value: hex(1n << 41n) },
        setAttr(GRP.CTRL, 'KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES', undefined, 'EFAULT'),
      ]),
    );
  });
});

// ---------------------------------------------------------------------------
describe('SAVE_TABLES / RESTORE_TABLES, table ABI 0 (vgic_its_save_tables_v0, vgic_its_restore_tables_v0; arm-vgic-its.rst)', () => {
  const V = 1n << 63n;
  test('SAVE_TABLES writes the DTE (Valid | Next | ITT_addr >> 8 | Size - 1), each ITE (Next | pINTID | ICID) and the collections in list order with an invalid terminator', () => {
    const { steps, at } = lpiSetup(2);
    const q = queue(at, CMD.MAPD(0x14, itt(0x14), 2), CMD.MAPC(0, 0), CMD.MAPTI(DEV, 5, 8200, 1), CMD.MAPTI(DEV, 2, 8192, 0), CMD.MAPTI(0x14, 0, 8300, 0));
    const doc = scenario([
      ...steps,
      ...q.steps,
      itsCtrl('KVM_DEV_ARM_ITS_SAVE_TABLES'),
      memRead(MAP.DEVT + DEV * 8, le64(V | (4n << 49n) | (BigInt(itt(DEV)) >> 8n << 5n) | 3n)),
      memRead(MAP.DEVT + 0x14 * 8, le64(V | (BigInt(itt(0x14)) >> 8n << 5n) | 1n)),
      memRead(itt(DEV) + 2 * 8, le64((3n << 48n) | (8192n << 16n) | 0n)),
      memRead(itt(DEV) + 5 * 8, le64((8200n << 16n) | 1n)),
      memRead(itt(0x14), le64(8300n << 16n)),
      memRead(MAP.COLLT, le64(V | (1n << 16n) | 1n, V | 0n, 0n)),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, last(doc), { expect_data: le64(V | 0n, V | (1n << 16n) | 1n, 0n) }, `step ${last(doc)} mem_read: expected data ${le64(V | 0n, V | (1n << 16n) | 1n, 0n)}, got ${le64(V | (1n << 16n) | 1n, V | 0n, 0n)}`);
  });

  /** A fresh VM restored from guest RAM holding the given tables. */
  function restoreWith(tables: Step[], exp: 0 | string): Step[] {
    return [
      ...v3Bringup(2),
      its(),
      itsAddr(MAP.ITS),
      ...tables,
      itsSet(0x100, hex(V | BigInt(MAP.DEVT)), 0),
      itsSet(0x108, hex(V | BigInt(MAP.COLLT)), 0),
      itsCtrl('KVM_DEV_ARM_ITS_RESTORE_TABLES', exp),
    ];
  }

  test('RESTORE_TABLES rebuilds collections, devices, events and LPIs: an MSI is delivered after GITS_CTLR is enabled', () => {
    const doc = scenario([
      ...restoreWith([memWrite(MAP.COLLT, le64(V | (1n << 16n) | 1n, 0n)), memWrite(MAP.DEVT + DEV * 8, le64(V | (BigInt(itt(DEV)) >> 8n << 5n) | 3n)), memWrite(itt(DEV) + 8, le64((8192n << 16n) | 1n))], 0),
      memWrite(MAP.PROP, 'a1'),
      { op: 'mmio', vcpu: 0, dir: 'write', addr: hex(MAP.DIST), len: 4, value: '0x12' },
      { op: 'mmio', vcpu: 1, dir: 'write', addr: hex(gicrBase(0) + 0x70), len: 8, value: hex(BigInt(MAP.PROP) | 0xfn) },
      { op: 'mmio', vcpu: 1, dir: 'write', addr: hex(gicrBase(1) + 0x78), len: 8, value: hex(MAP.PEND + 0x10000) },
      mmioWrite(1, gicrBase(1), 1),
      itsSet(0x80, hex(V | BigInt(MAP.CMDQ)), 0),
      itsSet(0x0, 1, 0),
      msi(TRANSLATER, DEV, 1, 1),
    ]);
    expectHolds(doc);
  });

  test('RESTORE_TABLES errors: a collection naming a vcpu id that does not exist EINVAL, a collection twice EEXIST, an ITE with pINTID below 8192 EINVAL, a Next beyond the ITT EINVAL', () => {
    expectHolds(scenario(restoreWith([memWrite(MAP.COLLT, le64(V | (9n << 16n) | 1n, 0n))], 'EINVAL')));
    expectHolds(scenario(restoreWith([memWrite(MAP.COLLT, le64(V | 1n, V | (1n << 16n) | 1n, 0n))], 'EEXIST')));
    expectHolds(scenario(restoreWith([memWrite(MAP.COLLT, le64(V | 1n, 0n)), memWrite(MAP.DEVT, le64(V | (BigInt(itt(0)) >> 8n << 5n) | 3n)), memWrite(itt(0), le64((100n << 16n) | 1n))], 'EINVAL')));
    expectHolds(scenario(restoreWith([memWrite(MAP.COLLT, le64(V | 1n, 0n)), memWrite(MAP.DEVT, le64(V | (BigInt(itt(0)) >> 8n << 5n) | 3n)), memWrite(itt(0), le64((16n << 48n) | (8192n << 16n) | 1n))], 'EINVAL')));
    const ok = scenario(restoreWith([memWrite(MAP.COLLT, le64(V | (1n << 16n) | 1n, 0n))], 0));
    expectHolds(ok);
    expectFlipMisses(ok, last(ok), { expect: 'EINVAL' }, `step ${last(ok)} set_attr KVM_DEV_ARM_VGIC_GRP_CTRL: expected EINVAL, got 0`);
  });

  test('RESTORE_TABLES: a collection entry whose ID lies beyond the collection table is EINVAL, checked after the EEXIST of a collection that already exists (vgic_its_restore_cte: find_collection, then vgic_its_check_id; vgic-its.c)', () => {
    // BASER1 holds one 64K page of 8-byte entries: collection IDs 0-8191.
    const beyond = scenario(restoreWith([memWrite(MAP.COLLT, le64(V | (1n << 16n) | 1n, V | 8192n, 0n))], 'EINVAL'));
    expectHolds(beyond);
    expectFlipMisses(beyond, last(beyond), { expect: 0 }, `step ${last(beyond)} set_attr KVM_DEV_ARM_VGIC_GRP_CTRL: expected 0, got EINVAL`);
    // A collection 9000 mapped while BASER1 had two pages survives the shrink to one page (Valid stays set):
    // its entry in the table is then EEXIST, not EINVAL.
    const { steps, at } = lpiSetup(2);
    const coll2 = hex(V | BigInt(MAP.COLLT) | 1n);
    const coll1 = hex(V | BigInt(MAP.COLLT));
    const q = queue(at, CMD.MAPC(9000, 0));
    expectHolds(
      scenario([
        ...steps,
        mmioWrite(0, MAP.ITS, 0),
        { op: 'mmio', vcpu: 0, dir: 'write', addr: hex(MAP.ITS + 0x108), len: 8, value: coll2 },
        mmioWrite(0, MAP.ITS, 1),
        ...q.steps,
        mmioWrite(0, MAP.ITS, 0),
        { op: 'mmio', vcpu: 0, dir: 'write', addr: hex(MAP.ITS + 0x108), len: 8, value: coll1 },
        memWrite(MAP.COLLT, le64(V | 9000n, 0n)),
        itsCtrl('KVM_DEV_ARM_ITS_RESTORE_TABLES', 'EEXIST'),
      ]),
    );
  });

  test('a failed RESTORE_TABLES leaves no collection behind: the collection list is freed when the collection table fails (vgic_its_restore_collection_table -> vgic_its_free_collection_list; vgic-its.c)', () => {
    // Collection 1 is restored, then an entry naming vcpu id 9 fails: collection 1 goes too, so SAVE_TABLES writes an empty table.
    const doc = scenario([...restoreWith([memWrite(MAP.COLLT, le64(V | (1n << 16n) | 1n, V | (9n << 16n) | 2n, 0n))], 'EINVAL'), itsCtrl('KVM_DEV_ARM_ITS_SAVE_TABLES'), memRead(MAP.COLLT, le64(0n))]);
    expectHolds(doc);
    expectFlipMisses(doc, last(doc), { expect_data: le64(V | (1n << 16n) | 1n) }, `step ${last(doc)} mem_read: expected data ${le64(V | (1n << 16n) | 1n)}, got ${le64(0n)}`);
  });

  test('a failed RESTORE_TABLES leaves no device behind: the devices restored before the failing one are freed, and so are the collections (vgic_its_restore_device_tables -> vgic_its_free_device_list, vgic_its_restore_tables_v0 -> vgic_its_free_collection_list; vgic-its.c)', () => {
    // Device DEV restores with event 1 -> LPI 8192 in collection 1; device DEV + 1 then fails (pINTID 100 < 8192).
    const tables = [
      memWrite(MAP.COLLT, le64(V | (1n << 16n) | 1n, 0n)),
      memWrite(MAP.DEVT + DEV * 8, le64(V | (1n << 49n) | (BigInt(itt(DEV)) >> 8n << 5n) | 3n, V | (BigInt(itt(DEV + 1)) >> 8n << 5n) | 3n)),
      memWrite(itt(DEV) + 8, le64((8192n << 16n) | 1n)),
      memWrite(itt(DEV + 1), le64((100n << 16n) | 1n)),
    ];
    const doc = scenario([
      ...restoreWith(tables, 'EINVAL'),
      memWrite(MAP.PROP, 'a1'),
      { op: 'mmio', vcpu: 0, dir: 'write', addr: hex(MAP.DIST), len: 4, value: '0x12' },
      { op: 'mmio', vcpu: 1, dir: 'write', addr: hex(gicrBase(0) + 0x70), len: 8, value: hex(BigInt(MAP.PROP) | 0xfn) },
      { op: 'mmio', vcpu: 1, dir: 'write', addr: hex(gicrBase(1) + 0x78), len: 8, value: hex(MAP.PEND + 0x10000) },
      mmioWrite(1, gicrBase(1), 1),
      itsSet(0x80, hex(V | BigInt(MAP.CMDQ)), 0),
      itsSet(0x0, 1, 0),
      msi(TRANSLATER, DEV, 1, 0),
      itsCtrl('KVM_DEV_ARM_ITS_SAVE_TABLES'),
      memRead(MAP.COLLT, le64(0n)),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, last(doc) - 2, { expect_value: 1 }, `step ${last(doc) - 2} signal_msi: expected value 0x1, got 0x0`);
  });

  test('RESTORE_TABLES: a valid device table entry whose device ID is beyond 16 bits is EINVAL (vgic_its_restore_dte -> vgic_its_check_id VITS_TYPER_DEVBITS; vgic-its.c)', () => {
    // A flat device table of 9 pages has room for IDs up to 0x11fff; the scan steps over invalid entries one by one.
    const doc = scenario([
      ...v3Bringup(2),
      its(),
      itsAddr(MAP.ITS),
      memWrite(MAP.COLLT, le64(V | (1n << 16n) | 1n, 0n)),
      memWrite(0x40400000 + 0x10000 * 8, le64(V | (BigInt(itt(0)) >> 8n << 5n) | 3n)),
      itsSet(0x100, hex(V | BigInt(0x40400000) | 8n), 0),
      itsSet(0x108, hex(V | BigInt(MAP.COLLT)), 0),
      itsCtrl('KVM_DEV_ARM_ITS_RESTORE_TABLES', 'EINVAL'),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, last(doc), { expect: 0 }, `step ${last(doc)} set_attr KVM_DEV_ARM_VGIC_GRP_CTRL: expected 0, got EINVAL`);
  });

  test('a two-level device table: MAPD finds the entry through a valid level-1 entry (or refuses the ID), SAVE/RESTORE walk it (vgic_its_check_id, handle_l1_dte)', () => {
    const L2 = 0x40400000;
    const indirect = V | (1n << 62n) | BigInt(MAP.DEVT);
    const { steps } = lpiSetup(2);
    const q = queue(2, CMD.MAPD(0x2005, itt(5), 4), CMD.MAPTI(0x2005, 1, 8192, 1), CMD.MAPD(0x5000, itt(6), 4), CMD.MAPTI(0x5000, 1, 8193, 1));
    expectHolds(
      scenario([
        ...steps,
        mmioWrite(0, MAP.ITS, 0),
        { op: 'mmio', vcpu: 0, dir: 'write', addr: hex(MAP.ITS + 0x100), len: 8, value: hex(indirect) },
        memWrite(MAP.DEVT, le64(V | BigInt(L2 + 0x10000), V | BigInt(L2))),
        mmioWrite(0, MAP.ITS, 1),
        ...q.steps,
        msi(TRANSLATER, 0x2005, 1, 1),
        msi(TRANSLATER, 0x5000, 1, 0),
        itsCtrl('KVM_DEV_ARM_ITS_SAVE_TABLES'),
        memRead(L2 + 5 * 8, le64(V | (BigInt(itt(5)) >> 8n << 5n) | 3n)),
      ]),
    );
  });

  test('SAVE_TABLES is refused (EINVAL in this model) when an event\'s collection was unmapped: the kernel would dereference a NULL collection (vgic_its_save_ite)', () => {
    const { steps, at } = lpiSetup(2);
    const q = queue(at, CMD.MAPTI(DEV, 1, 8192, 1), CMD.MAPC(1, 0, false));
    expectHolds(scenario([...steps, ...q.steps, itsCtrl('KVM_DEV_ARM_ITS_SAVE_TABLES', 'EINVAL')]));
  });
});

// ---------------------------------------------------------------------------
describe('the ITS frame as the guest sees it (its_registers[])', () => {
  test('guest GITS_CREADR writes are ignored; GITS_TRANSLATER (the second frame) is RAZ/WI, MSIs come through KVM_SIGNAL_MSI', () => {
    const { steps } = lpiSetup(2);
    expectHolds(scenario([...steps, mmioWrite(0, MAP.ITS + 0x90, 0), mmioRead(0, MAP.ITS + 0x90, 0x40), mmioWrite(0, TRANSLATER, 1), mmioRead(0, TRANSLATER, 0), sysregRead(1, 'ICC_IAR1_EL1', 1023)]));
  });

  test('GITS_BASER and GITS_CBASER writes are ignored while the ITS is enabled', () => {
    const { steps } = lpiSetup(2);
    expectHolds(scenario([...steps, mmioWrite(0, MAP.ITS + 0x80, 0), { op: 'mmio', vcpu: 0, dir: 'read', addr: hex(MAP.ITS + 0x80), len: 8, expect_value: hex((1n << 63n) | BigInt(MAP.CMDQ) | (3n << 59n)) }, mmioWrite(0, MAP.ITS + 0x104, 0), { op: 'mmio', vcpu: 0, dir: 'read', addr: hex(MAP.ITS + 0x104), len: 4, expect_value: hex(Number((((1n << 63n) | (1n << 56n) | (7n << 48n) | (3n << 59n)) >> 32n))) }]));
  });

  test('clearing BASER0.Valid (ITS disabled) frees every device; BASER1 every collection (vgic_mmio_write_its_baser)', () => {
    const { steps, at } = lpiSetup(2);
    const q = queue(at, CMD.MAPTI(DEV, 1, 8192, 1));
    expectHolds(scenario([...steps, ...q.steps, mmioWrite(0, MAP.ITS, 0), { op: 'mmio', vcpu: 0, dir: 'write', addr: hex(MAP.ITS + 0x100), len: 8, value: hex(MAP.DEVT) }, { op: 'mmio', vcpu: 0, dir: 'write', addr: hex(MAP.ITS + 0x100), len: 8, value: hex((1n << 63n) | BigInt(MAP.DEVT)) }, mmioWrite(0, MAP.ITS, 1), msi(TRANSLATER, DEV, 1, 0)]));
  });
});
