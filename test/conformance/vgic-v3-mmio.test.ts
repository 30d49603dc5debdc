/**
 * Conformance: what a guest sees of a GICv3 VGIC. The distributor and
 * redistributor registers follow vgic_v3_dist_registers[] and
 * vgic_v3_rd_registers[] (arch/arm64/kvm/vgic/vgic-mmio-v3.c, v6.17); the
 * CPU interface (ICC_*_EL1, the `sysreg` op) is the hardware's virtual
 * interface, modelled architecturally (IHI 0069 chapters 4 and 12) with 5
 * priority bits; ICC_SGI*R follow vgic_v3_dispatch_sgi.
 */
import { describe, expect, test } from 'vitest';
import { parseScenario } from '../../recorder/scenario.js';
import { createVcpu, expectFlipMisses, expectHolds, GRP, hex, irqLine, irqWord, IRQ_TYPE, last, mmioRead, mmioWrite, scenario, setAttr, type Step } from './builders.js';
import { aff, GRP3, gicrBase, itsBringup, MAP, mpidrAttr, sysregRead, sysregWrite, V3, v3Bringup } from './builders-v3.js';

const D = MAP.DIST;
const R = (v: number) => gicrBase(v);
const SGI = 0x10000;
const spi = (n: number, level: number): Step => irqLine(irqWord(IRQ_TYPE.SPI, 0, n), level);
const ppi = (v: number, n: number, level: number): Step => irqLine(irqWord(IRQ_TYPE.PPI, v, n), level);
/** Enable the distributor (Group 1) and open vcpu v's CPU interface for group 1 at PMR 0xf0. */
const open = (...vs: number[]): Step[] => [mmioWrite(vs[0] ?? 0, D, 0x12), ...vs.flatMap((v) => [sysregWrite(v, 'ICC_PMR_EL1', 0xf0), sysregWrite(v, 'ICC_IGRPEN1_EL1', 1)])];
const route = (n: number, vcpuId: number, by = 0): Step => ({ op: 'mmio', vcpu: by, dir: 'write', addr: hex(D + 0x6000 + 8 * n), len: 8, value: hex(aff(vcpuId)) });
const enableSpi = (n: number): Step => mmioWrite(0, D + 0x100 + 4 * (n >> 5), 1 << (n & 31));

describe('distributor (vgic_v3_dist_registers[])', () => {
  test('GICD_CTLR: affinity routing and DS always read as 1, EnableGrp1NS is the only enable, EnableGrp0 and nASSGIreq read 0 (vgic_mmio_read/write_v3_misc)', () => {
    const doc = scenario([...v3Bringup(1), mmioRead(0, D, 0x50), mmioWrite(0, D, 0x1ff), mmioRead(0, D, 0x52)]);
    expectHolds(doc);
    expectFlipMisses(doc, last(doc), { expect_value: '0x153' }, `step ${last(doc)} mmio: expected value 0x153, got 0x52`);
  });

  test('GICD_TYPER: ITLinesNumber from nr_irqs, IDbits 10 without an ITS, 16 and LPIS with one; GICD_IIDR is KVM revision 3; GICD_PIDR2 is 0x3b (vgic_mmio_read_v3_misc, vgic_mmio_read_v3_idregs)', () => {
    expectHolds(scenario([...v3Bringup(1, { nrIrqs: 128 }), mmioRead(0, D + 4, (9 << 19) | 3), mmioRead(0, D + 8, 0x4b00343b), mmioRead(0, D + 0xffe8, 0x3b), mmioRead(0, D + 0xc, 0)]));
    expectHolds(scenario([...v3Bringup(1, { nrIrqs: 128 }), { op: 'create_device', type: 'KVM_DEV_TYPE_ARM_VGIC_ITS', as: 'its' }, mmioRead(0, D + 4, (15 << 19) | (1 << 17) | 3)]));
  });

  test('the GICD per-IRQ words of INTIDs 0-31 are RAZ/WI: SGIs and PPIs live in the redistributors (REGISTER_DESC_WITH_BITS_PER_IRQ_SHARED)', () => {
    const doc = scenario([...v3Bringup(1), mmioRead(0, D + 0x100, 0), mmioWrite(0, D + 0x180, 0xffffffff), mmioRead(0, R(0) + SGI + 0x100, 0xffff), mmioWrite(0, D + 0x400, 0xffffffff), mmioRead(0, R(0) + SGI + 0x400, 0)]);
    expectHolds(doc);
    expectFlipMisses(doc, 7, { expect_value: '0x0' }, 'step 7 mmio: expected value 0x0, got 0xffff');
  });

  test('GICD_IROUTER<n>: 8- and 4-byte accesses, Aff2.Aff1.Aff0 kept, the upper word and Interrupt_Routing_Mode dropped; the SPI goes to the vcpu with that affinity (vgic_mmio_read/write_irouter)', () => {
    const doc = scenario([
      ...v3Bringup(2),
      { op: 'mmio', vcpu: 0, dir: 'write', addr: hex(D + 0x6000 + 8 * 40), len: 8, value: '0xff800000ffff0001' },
      { op: 'mmio', vcpu: 0, dir: 'read', addr: hex(D + 0x6000 + 8 * 40), len: 8, expect_value: '0xff0001' },
      mmioRead(0, D + 0x6000 + 8 * 40 + 4, 0),
      mmioWrite(0, D + 0x6000 + 8 * 40, 1),
      ...open(0, 1),
      enableSpi(40),
      spi(40, 1),
      sysregRead(0, 'ICC_IAR1_EL1', 1023),
      sysregRead(1, 'ICC_IAR1_EL1', 40),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, last(doc), { expect_value: 1023 }, `step ${last(doc)} sysreg: expected value 0x3ff, got 0x28`);
  });

  test('an SPI routed to an affinity no vcpu has is delivered to nobody (kvm_mpidr_to_vcpu gives NULL)', () => {
    expectHolds(scenario([...v3Bringup(2), route(40, 5), ...open(0, 1), enableSpi(40), spi(40, 1), sysregRead(0, 'ICC_IAR1_EL1', 1023), sysregRead(1, 'ICC_IAR1_EL1', 1023), route(40, 0), sysregRead(0, 'ICC_IAR1_EL1', 40)]));
  });

  test('SPIs start in group 1, edge, routed to affinity 0 (vcpu 0) (kvm_vgic_dist_init)', () => {
    expectHolds(scenario([...v3Bringup(1), mmioRead(0, D + 0x84, 0xffffffff), mmioRead(0, D + 0xc08, 0xaaaaaaaa), mmioRead(0, D + 0x6000 + 8 * 40, 0)]));
  });

  test('a width a register does not allow is RAZ/WI: an 8-byte GICD_CTLR access, a byte GICD_ISENABLER access (vgic-mmio.c check_region)', () => {
    expectHolds(scenario([...v3Bringup(1), { op: 'mmio', vcpu: 0, dir: 'read', addr: hex(D), len: 8, expect_value: 0 }, { op: 'mmio', vcpu: 0, dir: 'write', addr: hex(D + 0x104), len: 1, value: '0xff' }, mmioRead(0, D + 0x104, 0)]));
  });
});

describe('redistributors (vgic_v3_rd_registers[])', () => {
  test('each vcpu has RD_base and SGI_base frames; a vcpu reaching another vcpu\'s redistributor acts on that vcpu (rd_dev->redist_vcpu)', () => {
    const doc = scenario([...v3Bringup(2), mmioWrite(0, R(1) + SGI + 0x180, 0x1), mmioRead(1, R(1) + SGI + 0x100, 0xfffe), mmioRead(0, R(0) + SGI + 0x100, 0xffff)]);
    expectHolds(doc);
    expectFlipMisses(doc, 7, { expect_value: '0xffff' }, 'step 7 mmio: expected value 0xffff, got 0xfffe');
  });

  test('GICR_TYPER: affinity in the upper word, Processor_Number = vcpu id, Last on the last redistributor; GICR_IIDR; GICR_CTLR reads IR|CES (revision 3); GICR_WAKER, GICR_SYNCR RAZ/WI (vgic_mmio_read_v3r_typer/ctlr/iidr)', () => {
    expectHolds(
      scenario([
        createVcpu(0),
        createVcpu(0x12),
        { op: 'create_device', type: V3, as: 'gic' },
        setAttr(GRP.ADDR, 'KVM_VGIC_V3_ADDR_TYPE_DIST', hex(D)),
        setAttr(GRP.ADDR, 'KVM_VGIC_V3_ADDR_TYPE_REDIST', hex(MAP.REDIST)),
        setAttr(GRP.CTRL, 'KVM_DEV_ARM_VGIC_CTRL_INIT', undefined),
        { op: 'mmio', vcpu: 0, dir: 'read', addr: hex(R(1) + 8), len: 8, expect_value: hex((BigInt(aff(0x12)) << 32n) | 0x1210n) },
        mmioRead(0, R(0) + 8, 0x0),
        mmioRead(0, R(1) + 4, 0x4b00043b),
        mmioRead(0, R(0), 0x6),
        mmioWrite(0, R(0) + 0x14, 0x2),
        mmioRead(0, R(0) + 0x14, 0),
        mmioRead(0, R(0) + 0xc0, 0),
        mmioRead(0, R(1) + 0xffe8, 0x3b),
      ]),
    );
  });

  test('SGIs are enabled and edge, PPIs level, both group 1 at reset; SGI/PPI configuration is read-only; priorities keep their top 5 bits, byte accesses included (vgic_allocate_private_irqs, vgic_mmio_write_config/priority)', () => {
    const doc = scenario([
      ...v3Bringup(1),
      mmioRead(0, R(0) + SGI + 0x100, 0xffff),
      mmioRead(0, R(0) + SGI + 0xc00, 0xaaaaaaaa),
      mmioRead(0, R(0) + SGI + 0xc04, 0),
      mmioWrite(0, R(0) + SGI + 0xc04, 0xffffffff),
      mmioRead(0, R(0) + SGI + 0xc04, 0),
      mmioRead(0, R(0) + SGI + 0x80, 0xffffffff),
      { op: 'mmio', vcpu: 0, dir: 'write', addr: hex(R(0) + SGI + 0x401), len: 1, value: '0xff' },
      mmioRead(0, R(0) + SGI + 0x400, 0xf800),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, last(doc), { expect_value: '0xff00' }, `step ${last(doc)} mmio: expected value 0xff00, got 0xf800`);
  });

  test('GICR_ISPENDR0 / ICPENDR0 from the guest: a 1 latches or clears, a level PPI with its line high stays pending (vgic_mmio_write_spending/cpending)', () => {
    expectHolds(scenario([...v3Bringup(1), mmioWrite(0, R(0) + SGI + 0x200, 0x3), mmioRead(0, R(0) + SGI + 0x200, 0x3), ppi(0, 20, 1), mmioRead(0, R(0) + SGI + 0x200, 0x100003), mmioWrite(0, R(0) + SGI + 0x280, 0xffffffff), mmioRead(0, R(0) + SGI + 0x200, 0x100000)]));
  });
});

describe('the ICC system registers as the guest uses them (IHI 0069 ICV_*, vgic_v3_dispatch_sgi)', () => {
  test('ICC_IAR1 acknowledges: the SGI goes active, RPR becomes its priority; EOIR1 drops the priority and (EOImode 0) deactivates', () => {
    const doc = scenario([
      ...v3Bringup(1),
      ...open(0),
      mmioWrite(0, R(0) + SGI + 0x404, 0x8000), // SGI 5 at priority 0x80
      sysregWrite(0, 'ICC_SGI1R_EL1', (5n << 24n) | 1n),
      sysregRead(0, 'ICC_HPPIR1_EL1', 5),
      sysregRead(0, 'ICC_IAR1_EL1', 5),
      mmioRead(0, R(0) + SGI + 0x300, 1 << 5),
      sysregRead(0, 'ICC_RPR_EL1', 0x80),
      sysregRead(0, 'ICC_AP1R0_EL1', 1 << 16),
      sysregWrite(0, 'ICC_EOIR1_EL1', 5),
      sysregRead(0, 'ICC_RPR_EL1', 0xff),
      mmioRead(0, R(0) + SGI + 0x300, 0),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 11, { expect_value: '0x3ff' }, 'step 11 sysreg: expected value 0x3ff, got 0x5');
  });

  test('EOImode 1: EOIR1 only drops the priority, ICC_DIR_EL1 deactivates', () => {
    expectHolds(
      scenario([
        ...v3Bringup(1),
        ...open(0),
        sysregWrite(0, 'ICC_CTLR_EL1', 2),
        sysregRead(0, 'ICC_CTLR_EL1', 0x8402),
        sysregWrite(0, 'ICC_SGI1R_EL1', (3n << 24n) | 1n),
        sysregRead(0, 'ICC_IAR1_EL1', 3),
        sysregWrite(0, 'ICC_EOIR1_EL1', 3),
        sysregRead(0, 'ICC_RPR_EL1', 0xff),
        mmioRead(0, R(0) + SGI + 0x300, 1 << 3),
        sysregWrite(0, 'ICC_DIR_EL1', 3),
        mmioRead(0, R(0) + SGI + 0x300, 0),
      ]),
    );
  });

  test('the priority mask: an interrupt at or above PMR is not acknowledged (1023) until PMR is raised; PMR keeps 5 bits', () => {
    const doc = scenario([
      ...v3Bringup(1),
      ...open(0),
      sysregWrite(0, 'ICC_PMR_EL1', 0x87),
      sysregRead(0, 'ICC_PMR_EL1', 0x80),
      mmioWrite(0, R(0) + SGI + 0x400, 0x80),
      sysregWrite(0, 'ICC_SGI1R_EL1', 1n),
      sysregRead(0, 'ICC_IAR1_EL1', 1023),
      sysregWrite(0, 'ICC_PMR_EL1', 0x88),
      sysregRead(0, 'ICC_IAR1_EL1', 0),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 12, { expect_value: 0 }, 'step 12 sysreg: expected value 0x0, got 0x3ff');
  });

  test('preemption: while priority 0x80 runs, a 0x80 interrupt waits and a 0x40 one preempts (group priority vs running priority)', () => {
    expectHolds(
      scenario([
        ...v3Bringup(1),
        ...open(0),
        mmioWrite(0, R(0) + SGI + 0x400, 0x00408080), // SGI0 0x80, SGI1 0x80, SGI2 0x40
        sysregWrite(0, 'ICC_SGI1R_EL1', 1n),
        sysregRead(0, 'ICC_IAR1_EL1', 0),
        sysregWrite(0, 'ICC_SGI1R_EL1', (1n << 24n) | 1n),
        sysregRead(0, 'ICC_IAR1_EL1', 1023),
        sysregWrite(0, 'ICC_SGI1R_EL1', (2n << 24n) | 1n),
        sysregRead(0, 'ICC_IAR1_EL1', 2),
        sysregRead(0, 'ICC_RPR_EL1', 0x40),
        sysregWrite(0, 'ICC_EOIR1_EL1', 2),
        sysregWrite(0, 'ICC_EOIR1_EL1', 0),
        sysregRead(0, 'ICC_IAR1_EL1', 1),
      ]),
    );
  });

  test('groups: a group-0 SGI is taken by ICC_IAR0_EL1 with IGRPEN0, never by IAR1; ICC_SGI0R makes only group-0 SGIs pending, SGI1R both (vgic_v3_queue_sgi allow_group1)', () => {
    const doc = scenario([
      ...v3Bringup(1),
      ...open(0),
      sysregWrite(0, 'ICC_IGRPEN0_EL1', 1),
      mmioWrite(0, R(0) + SGI + 0x80, 0xfffffffe), // SGI 0 in group 0
      sysregWrite(0, 'ICC_SGI0R_EL1', (1n << 24n) | 1n), // SGI 1 is group 1: not made pending
      mmioRead(0, R(0) + SGI + 0x200, 0),
      sysregWrite(0, 'ICC_SGI0R_EL1', 1n),
      sysregRead(0, 'ICC_IAR1_EL1', 1023),
      sysregRead(0, 'ICC_HPPIR0_EL1', 0),
      sysregRead(0, 'ICC_IAR0_EL1', 0),
      sysregWrite(0, 'ICC_EOIR0_EL1', 0),
      sysregWrite(0, 'ICC_ASGI1R_EL1', (1n << 24n) | 1n),
      mmioRead(0, R(0) + SGI + 0x200, 0),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 11, { expect_value: '0x2' }, 'step 11 mmio: expected value 0x2, got 0x0');
  });

  test('ICC_SGI1R targets by affinity (Aff1 in bits 23:16 picks vcpus 16-31), IRM sends to all but the sender', () => {
    const doc = scenario([
      createVcpu(0),
      createVcpu(1),
      createVcpu(17),
      { op: 'create_device', type: V3, as: 'gic' },
      setAttr(GRP.ADDR, 'KVM_VGIC_V3_ADDR_TYPE_DIST', hex(D)),
      setAttr(GRP.ADDR, 'KVM_VGIC_V3_ADDR_TYPE_REDIST', hex(MAP.REDIST)),
      setAttr(GRP.CTRL, 'KVM_DEV_ARM_VGIC_CTRL_INIT', undefined),
      sysregWrite(0, 'ICC_SGI1R_EL1', (4n << 24n) | (1n << 16n) | 0x2n),
      mmioRead(0, R(2) + SGI + 0x200, 1 << 4),
      mmioRead(0, R(1) + SGI + 0x200, 0),
      sysregWrite(1, 'ICC_SGI1R_EL1', (6n << 24n) | (1n << 40n)),
      mmioRead(0, R(0) + SGI + 0x200, 1 << 6),
      mmioRead(0, R(1) + SGI + 0x200, 0),
      mmioRead(0, R(2) + SGI + 0x200, (1 << 6) | (1 << 4)),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 9, { expect_value: '0x10' }, 'step 9 mmio: expected value 0x10, got 0x0');
  });

  test('a level SPI whose line stays high is pending and active after the acknowledge; lowering the line leaves it active only', () => {
    expectHolds(
      scenario([
        ...v3Bringup(1),
        ...open(0),
        mmioWrite(0, D + 0xc08, 0),
        enableSpi(33),
        spi(33, 1),
        sysregRead(0, 'ICC_IAR1_EL1', 33),
        mmioRead(0, D + 0x204, 0x2),
        mmioRead(0, D + 0x304, 0x2),
        spi(33, 0),
        mmioRead(0, D + 0x204, 0),
      ]),
    );
  });

  test('ICC_BPR0/BPR1 keep their minimums (2 and 3 with 5 priority bits); ICC_SRE reads 0x7 and ignores writes; APnR beyond the implemented priorities are RAZ/WI', () => {
    expectHolds(
      scenario([
        ...v3Bringup(1),
        ...open(0),
        sysregWrite(0, 'ICC_BPR0_EL1', 0),
        sysregRead(0, 'ICC_BPR0_EL1', 2),
        sysregWrite(0, 'ICC_BPR1_EL1', 1),
        sysregRead(0, 'ICC_BPR1_EL1', 3),
        sysregWrite(0, 'ICC_SRE_EL1', 0),
        sysregRead(0, 'ICC_SRE_EL1', 7),
        sysregWrite(0, 'ICC_AP0R1_EL1', 0xffffffff),
        sysregRead(0, 'ICC_AP0R1_EL1', 0),
      ]),
    );
  });

  test('the guest\'s ICC state is what CPU_SYSREGS reads: PMR, IGRPEN1, AP1R0 (the same ICH_VMCR and APRs)', () => {
    expectHolds(
      scenario([
        ...v3Bringup(1),
        ...open(0),
        sysregWrite(0, 'ICC_SGI1R_EL1', 1n),
        sysregRead(0, 'ICC_IAR1_EL1', 0),
        { op: 'get_attr', dev: 'gic', group: GRP3.SYSREGS, attr: mpidrAttr(0, 0xc230), expect: 0, expect_value: '0xf0' },
        { op: 'get_attr', dev: 'gic', group: GRP3.SYSREGS, attr: mpidrAttr(0, 0xc667), expect: 0, expect_value: 1 },
        { op: 'get_attr', dev: 'gic', group: GRP3.SYSREGS, attr: mpidrAttr(0, 0xc648), expect: 0, expect_value: 1 },
      ]),
    );
  });

  test('without a GICv3 irqchip the ICC registers are RAZ/WI (the guest would take an UNDEF): v2, or no irqchip', () => {
    expectHolds(scenario([createVcpu(0), { op: 'create_device', type: 'KVM_DEV_TYPE_ARM_VGIC_V2', as: 'gic' }, setAttr(GRP.ADDR, 'KVM_VGIC_V2_ADDR_TYPE_DIST', '0x8000000'), setAttr(GRP.ADDR, 'KVM_VGIC_V2_ADDR_TYPE_CPU', '0x8010000'), sysregRead(0, 'ICC_IAR1_EL1', 0)]));
    expectHolds(scenario([createVcpu(0), sysregRead(0, 'ICC_IAR1_EL1', 0), sysregWrite(0, 'ICC_PMR_EL1', 1)]));
  });

  test('a first guest access that is a sysreg access is the vcpu\'s first run: its KVM_RUN error is the step\'s (EBUSY without INIT)', () => {
    expectHolds(scenario([...v3Bringup(1, { init: false }), { ...sysregRead(0, 'ICC_IAR1_EL1'), expect: 'EBUSY' }]));
  });
});

describe('LPIs reach the CPU interface through the redistributor', () => {
  test('an LPI is delivered only while its redistributor has EnableLPIs set', () => {
    expectHolds(scenario([...v3Bringup(1), ...itsBringup(1), mmioWrite(0, R(0), 0), sysregRead(0, 'ICC_IAR1_EL1', 1023)]));
  });
});

describe('the guest ops devrr adds (scenario parsing)', () => {
  const parse = (steps: unknown[]) => () => parseScenario(JSON.stringify({ arch: 'arm64', steps }), 't.json');
  test('sysreg takes ICC names or 16-bit encodings; a write needs a value; reads may save and expect', () => {
    expect(parse([{ op: 'sysreg', vcpu: 0, dir: 'read', reg: 'ICC_IAR1_EL1', save_as: 'x' }])).not.toThrow();
    expect(parse([{ op: 'sysreg', vcpu: 0, dir: 'read', reg: 0xc660 }])).not.toThrow();
    expect(parse([{ op: 'sysreg', vcpu: 0, dir: 'read', reg: 'ICC_NOPE_EL1' }])).toThrow(/step 0: field "reg": unknown name/);
    expect(parse([{ op: 'sysreg', vcpu: 0, dir: 'read', reg: 0x10000 }])).toThrow(/field "reg"/);
    expect(parse([{ op: 'sysreg', vcpu: 0, dir: 'write', reg: 'ICC_PMR_EL1' }])).toThrow(/field "value": missing/);
  });

  test('mem_write needs bytes; mem_read takes len or expect_data, and they must agree; signal_msi needs address and data', () => {
    expect(parse([{ op: 'mem_write', addr: 0x1000, data: '' }])).toThrow(/field "data"/);
    expect(parse([{ op: 'mem_read', addr: 0x1000 }])).toThrow(/field "len": missing/);
    expect(parse([{ op: 'mem_read', addr: 0x1000, len: 2, expect_data: 'aa' }])).toThrow(/field "expect_data"/);
    expect(parse([{ op: 'mem_read', addr: 0x1000, expect_data: 'aabb' }])).not.toThrow();
    expect(parse([{ op: 'signal_msi', address: 0x8090040, devid: 1 }])).toThrow(/field "data": missing/);
    expect(parse([{ op: 'signal_msi', address: 0x8090040, data: 1, devid: 1, flags: 'KVM_MSI_VALID_DEVID' }])).not.toThrow();
  });

  test('guest RAM: beyond the IPA space mem_write and mem_read are EFAULT; bytes never written read as zero', () => {
    const doc = scenario([
      { op: 'mem_write', addr: hex((1n << 40n) - 2n), data: 'aabbcc', expect: 'EFAULT' },
      { op: 'mem_read', addr: hex((1n << 40n) - 2n), len: 2, expect_data: '0000', expect: 0 },
      { op: 'mem_write', addr: '0xffe', data: 'aabbcc', expect: 0 },
      { op: 'mem_read', addr: '0xffc', expect_data: '0000aabbcc00', expect: 0 },
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 0, { expect: 0 }, 'step 0 mem_write: expected 0, got EFAULT');
  });
});
