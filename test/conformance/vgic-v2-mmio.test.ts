/**
 * Conformance: guest-visible GICv2 semantics (reference section 4) with a
 * realistic setup: 2 vcpus, the distributor at 0x8000000, the CPU interface
 * at 0x8010000, GICD_CTLR = 1 and, on each vcpu, GICC_CTLR = 1 (EnableGrp0)
 * and GICC_PMR = 0xF0. The distributor follows vgic-mmio-v2.c/vgic-mmio.c;
 * the CPU interface follows the GICv2 virtual CPU interface (IHI 0048B)
 * that KVM maps at the CPU base, fed from KVM's list registers.
 */
import { describe, test } from 'vitest';
import {
  createGic,
  createVcpu,
  ctrlInit,
  type Doc,
  expectFlipMisses,
  expectHolds,
  getAttr,
  GRP,
  hex,
  mmioRead,
  mmioWrite,
  ppi,
  regAttr,
  scenario,
  setAttr,
  setCpu,
  setDist,
  setNrIrqs,
  spi,
  type Step,
  vcpus,
} from './builders.js';

const D = 0x8000000;
const C = 0x8010000;

const GICD = {
  CTLR: 0x000, TYPER: 0x004, IIDR: 0x008, IGROUPR: 0x080, ISENABLER: 0x100, ICENABLER: 0x180,
  ISPENDR: 0x200, ICPENDR: 0x280, ISACTIVER: 0x300, ICACTIVER: 0x380, IPRIORITYR: 0x400,
  ITARGETSR: 0x800, ICFGR: 0xc00, SGIR: 0xf00, CPENDSGIR: 0xf10, SPENDSGIR: 0xf20,
} as const;
const GICC = {
  CTLR: 0x00, PMR: 0x04, BPR: 0x08, IAR: 0x0c, EOIR: 0x10, RPR: 0x14, HPPIR: 0x18,
  AIAR: 0x20, AEOIR: 0x24, AHPPIR: 0x28, IIDR: 0xfc, DIR: 0x1000,
} as const;

const SPURIOUS = 0x3ff;
const GROUP1_NOT_ACKED = 0x3fe;

// ---- guest access shorthands ----------------------------------------------
const dr = (vcpu: number, off: number, v?: number, len = 4, note?: string): Step => mmioRead(vcpu, D + off, v, len, note);
const dw = (vcpu: number, off: number, v: number, len = 4, note?: string): Step => mmioWrite(vcpu, D + off, v, len, note);
const cr = (vcpu: number, off: number, v?: number, note?: string): Step => mmioRead(vcpu, C + off, v, 4, note);
const cw = (vcpu: number, off: number, v: number, note?: string): Step => mmioWrite(vcpu, C + off, v, 4, note);
const iar = (vcpu: number, v: number, note?: string): Step => cr(vcpu, GICC.IAR, v, note);
const eoi = (vcpu: number, v: number): Step => cw(vcpu, GICC.EOIR, v);
const rpr = (vcpu: number, v: number): Step => cr(vcpu, GICC.RPR, v);
/** GICD_SGIR: SGI `intid`, target list, filter (0 list, 1 all but self, 2 self, 3 reserved). */
const sgir = (from: number, intid: number, targets: number, filter = 0): Step => dw(from, GICD.SGIR, ((filter << 24) | (targets << 16) | intid) >>> 0);
/** A per-IRQ 1-bit register's word and bit for INTID n. */
const word = (base: number, n: number) => base + 4 * (n >> 5);
const bit = (n: number) => (1 << (n & 31)) >>> 0;

/** The VMM and firmware bring-up every test starts from (2 vcpus, steps 0-10). */
function setup2vcpus(): Step[] {
  return [
    ...vcpus(2),
    createGic(),
    setDist(hex(D)),
    setCpu(hex(C)),
    ctrlInit(),
    { ...dw(0, GICD.CTLR, 1, 4, 'GICD_CTLR: enable'), expect: 0 },
    cw(0, GICC.CTLR, 1, 'GICC_CTLR: EnableGrp0'),
    cw(0, GICC.PMR, 0xf0, 'GICC_PMR'),
    { ...cw(1, GICC.CTLR, 1, 'GICC_CTLR: EnableGrp0'), expect: 0 },
    cw(1, GICC.PMR, 0xf0, 'GICC_PMR'),
  ];
}
const SETUP_LEN = setup2vcpus().length;

/** Priority, target and enable of SPI n, written by vcpu 0 as a driver would (byte accesses). */
function spiOn(n: number, prio: number, target = 0x1): Step[] {
  return [dw(0, GICD.IPRIORITYR + n, prio, 1), dw(0, GICD.ITARGETSR + n, target, 1), dw(0, word(GICD.ISENABLER, n), bit(n))];
}

/** The setup plus `steps`; `at(k)` of the result is the index of steps[k]. */
function withSetup(steps: Step[]): Doc {
  return scenario([...setup2vcpus(), ...steps]);
}
const at = (k: number) => SETUP_LEN + k;

// ---------------------------------------------------------------------------
describe('distributor reset values (vgic-mmio-v2.c, vgic-init.c; reference 4.1)', () => {
  test('the setup itself holds: GICD_CTLR reads back 1, GICC_CTLR 1, GICC_PMR 0xF0', () => {
    expectHolds(withSetup([dr(0, GICD.CTLR, 1), cr(0, GICC.CTLR, 1), cr(1, GICC.PMR, 0xf0)]));
  });

  test('GICD_TYPER = (nr_irqs/32 - 1) | (online vcpus - 1) << 5: 0x27 for 256 IRQs and 2 vcpus, 0x63 for 128 and 4, 0x1E for 992 and 1 (vgic_mmio_read_v2_misc)', () => {
    const doc = withSetup([dr(0, GICD.TYPER, 0x27), dr(1, GICD.TYPER, 0x27)]);
    expectHolds(doc);
    expectFlipMisses(doc, at(0), { expect_value: '0x7' }, `step ${at(0)} mmio: expected value 0x7, got 0x27`);
    expectHolds(scenario([...vcpus(4), createGic(), setNrIrqs(128), setDist(hex(D)), setCpu(hex(C)), dr(3, GICD.TYPER, 0x63)]));
    expectHolds(scenario([...vcpus(1), createGic(), setNrIrqs(992), setDist(hex(D)), setCpu(hex(C)), dr(0, GICD.TYPER, 0x1e)]));
  });

  test('GICD_IIDR reads 0x4B00343B and ignores guest writes (vgic_mmio_read_v2_misc; implementation_rev 3)', () => {
    expectHolds(withSetup([dr(0, GICD.IIDR, 0x4b00343b), dw(0, GICD.IIDR, 0), dr(1, GICD.IIDR, 0x4b00343b), dw(0, GICD.TYPER, 0), dr(0, GICD.TYPER, 0x27)]));
  });

  test('GICD_CTLR keeps only bit 0 (vgic_mmio_write_v2_misc GICD_ENABLE)', () => {
    expectHolds(withSetup([dw(0, GICD.CTLR, 0xffffffff), dr(0, GICD.CTLR, 1), dw(1, GICD.CTLR, 0), dr(0, GICD.CTLR, 0)]));
  });

  test('GICD_ICFGR resets SGIs edge (0xAAAAAAAA), PPIs level (0), SPIs edge; SGI/PPI config ignores writes, SPI config takes them (vgic_mmio_read/write_config)', () => {
    const doc = withSetup([
      dr(0, GICD.ICFGR + 0x0, 0xaaaaaaaa),
      dr(1, GICD.ICFGR + 0x4, 0),
      dr(0, GICD.ICFGR + 0x8, 0xaaaaaaaa),
      dr(0, GICD.ICFGR + 0x3c, 0xaaaaaaaa),
      dw(0, GICD.ICFGR + 0x0, 0),
      dw(0, GICD.ICFGR + 0x4, 0xffffffff),
      dr(0, GICD.ICFGR + 0x0, 0xaaaaaaaa),
      dr(0, GICD.ICFGR + 0x4, 0),
      dw(0, GICD.ICFGR + 0x8, 0x5555000f),
      dr(1, GICD.ICFGR + 0x8, 0x0000000a, 4, 'only bit 2n+1 is kept; SPIs are shared'),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, at(1), { expect_value: '0xaaaaaaaa' }, `step ${at(1)} mmio: expected value 0xaaaaaaaa, got 0x0`);
  });

  test('GICD_ITARGETSR0-7 read BIT(vcpu id) in every byte, by byte and by word, and ignore writes (vgic_mmio_read/write_target)', () => {
    const doc = withSetup([
      ...[0, 4, 8, 0xc, 0x10, 0x14, 0x18, 0x1c].map((o) => dr(0, GICD.ITARGETSR + o, 0x01010101)),
      ...[0, 4, 8, 0xc, 0x10, 0x14, 0x18, 0x1c].map((o) => dr(1, GICD.ITARGETSR + o, 0x02020202)),
      dr(1, GICD.ITARGETSR + 0x1b, 0x02, 1),
      dw(0, GICD.ITARGETSR, 0xffffffff),
      dw(1, GICD.ITARGETSR + 0x1f, 0x01, 1),
      dr(0, GICD.ITARGETSR, 0x01010101),
      dr(1, GICD.ITARGETSR + 0x1c, 0x02020202),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, at(8), { expect_value: '0x1010101' }, `step ${at(8)} mmio: expected value 0x1010101, got 0x2020202`);
  });

  test('GICD_IPRIORITYR keeps priority & 0xF8, with 8-bit and 32-bit accesses; private priorities are banked (vgic_mmio_write_priority VGIC_PRI_BITS)', () => {
    const doc = withSetup([
      dw(0, GICD.IPRIORITYR + 40, 0xff, 1),
      dr(0, GICD.IPRIORITYR + 40, 0xf8, 1),
      dr(1, GICD.IPRIORITYR + 40, 0x000000f8, 4, 'SPI 40 is byte 0 of IPRIORITYR10'),
      dw(0, GICD.IPRIORITYR + 44, 0x12345678),
      dr(0, GICD.IPRIORITYR + 44, 0x10305078),
      dr(0, GICD.IPRIORITYR + 46, 0x30, 1),
      dw(0, GICD.IPRIORITYR + 45, 0xff, 1),
      dr(0, GICD.IPRIORITYR + 44, 0x1030f878),
      dw(0, GICD.IPRIORITYR + 0, 0x80, 1, 'SGI 0 of vcpu 0'),
      dr(0, GICD.IPRIORITYR + 0, 0x80),
      dr(1, GICD.IPRIORITYR + 0, 0),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, at(1), { expect_value: '0xff' }, `step ${at(1)} mmio: expected value 0xff, got 0xf8`);
  });

  test('private enables are banked: SGIs of each vcpu read enabled, a PPI enabled by vcpu 0 is not enabled on vcpu 1 (vgic_get_irq with the accessing vcpu)', () => {
    expectHolds(withSetup([dr(0, GICD.ISENABLER, 0xffff), dw(0, GICD.ISENABLER, bit(20)), dr(0, GICD.ISENABLER, 0x10ffff), dr(1, GICD.ISENABLER, 0xffff), dw(1, GICD.ICENABLER, bit(3)), dr(1, GICD.ICENABLER, 0xfff7), dr(0, GICD.ICENABLER, 0x10ffff)]));
  });
});

// ---------------------------------------------------------------------------
describe('SGIs through GICD_SGIR (vgic_mmio_write_sgir; reference 4.1)', () => {
  test('filter 0 sends to the target list; IAR gives the SGI with the source vcpu in bits 12:10', () => {
    const doc = withSetup([sgir(0, 3, 0b10), iar(0, SPURIOUS), iar(1, 0x003), eoi(1, 0x003), sgir(1, 4, 0b01), iar(0, 0x404), eoi(0, 0x404), iar(0, SPURIOUS)]);
    expectHolds(doc);
    expectFlipMisses(doc, at(5), { expect_value: '0x4' }, `step ${at(5)} mmio: expected value 0x4, got 0x404`);
  });

  test('filter 1 sends to all but self, whatever the target list says', () => {
    expectHolds(withSetup([sgir(1, 5, 0xff, 1), iar(1, SPURIOUS), iar(0, 0x405), eoi(0, 0x405)]));
  });

  test('filter 2 sends to self only, whatever the target list says', () => {
    const doc = withSetup([sgir(1, 6, 0x01, 2), iar(0, SPURIOUS), iar(1, 0x406), eoi(1, 0x406)]);
    expectHolds(doc);
    expectFlipMisses(doc, at(1), { expect_value: '0x406' }, `step ${at(1)} mmio: expected value 0x406, got 0x3ff`);
  });

  test('filter 3 is reserved: the write is ignored', () => {
    expectHolds(withSetup([sgir(0, 7, 0xff, 3), iar(0, SPURIOUS), iar(1, SPURIOUS), dr(0, GICD.ISPENDR, 0), dr(1, GICD.ISPENDR, 0)]));
  });

  test('GICD_SGIR reads as zero; a target bit with no vcpu is ignored', () => {
    expectHolds(withSetup([dr(0, GICD.SGIR, 0), sgir(0, 2, 0b11111100), iar(0, SPURIOUS), iar(1, SPURIOUS)]));
  });

  test('an SGI with two sources is delivered once per source, lowest source first, the next one after EOI; GICD_SPENDSGIR shows the sources (vgic_v2_populate_lr)', () => {
    const doc = withSetup([
      sgir(0, 1, 0, 2),
      sgir(1, 1, 0b01),
      dr(0, GICD.SPENDSGIR, 0x0300, 4, 'SGI 1 byte: sources 0 and 1'),
      dr(0, GICD.ISPENDR, bit(1)),
      iar(0, 0x001),
      dr(0, GICD.SPENDSGIR, 0x0200),
      iar(0, SPURIOUS, 'the same SGI is not signalled again while active'),
      eoi(0, 0x001),
      iar(0, 0x401),
      eoi(0, 0x401),
      iar(0, SPURIOUS),
      dr(0, GICD.ISPENDR, 0),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, at(8), { expect_value: '0x1' }, `step ${at(8)} mmio: expected value 0x1, got 0x401`);
  });

  test('with vcpu ids 0 and 5, the target list and the "all" mask count vcpu indexes while the source and "self" use vcpu ids, as vgic_mmio_write_sgir does', () => {
    const doc = scenario([
      createVcpu(0),
      createVcpu(5),
      createGic(),
      setDist(hex(D)),
      setCpu(hex(C)),
      { ...dw(0, GICD.CTLR, 1), expect: 0 },
      cw(0, GICC.CTLR, 1),
      cw(0, GICC.PMR, 0xf0),
      cw(5, GICC.CTLR, 1),
      cw(5, GICC.PMR, 0xf0),
      dr(5, GICD.ITARGETSR, 0x20202020, 4, 'private targets are BIT(vcpu_id)'),
      sgir(5, 1, 0b01, 0),
      iar(0, 0x1401, 'source field = vcpu id 5'),
      eoi(0, 0x1401),
      sgir(5, 2, 0, 1),
      iar(0, 0x1402, '"all but self" = indexes 0-1 minus BIT(5): both'),
      eoi(0, 0x1402),
      iar(5, 0x1402, 'so the sender gets its own SGI too'),
      eoi(5, 0x1402),
      sgir(0, 3, 0b10, 0),
      iar(5, 0x003, 'target list bit 1 = index 1 = vcpu id 5'),
      eoi(5, 0x003),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, 17, { expect_value: '0x3ff' }, 'step 17 mmio: expected value 0x3ff, got 0x1402');
  });

  test('GICD_SPENDSGIR/CPENDSGIR: byte writes add and remove sources; no source left clears pending (vgic_mmio_write_sgipends/sgipendc)', () => {
    expectHolds(
      withSetup([
        dw(1, GICD.SPENDSGIR + 9, 0b01, 1, 'SGI 9 of vcpu 1 from vcpu 0'),
        dr(1, GICD.SPENDSGIR + 8, 0x0100),
        dr(0, GICD.SPENDSGIR + 8, 0),
        dw(1, GICD.SPENDSGIR + 9, 0b10, 1),
        dw(1, GICD.CPENDSGIR + 8, 0x0100),
        dr(1, GICD.CPENDSGIR + 8, 0x0200),
        dr(1, GICD.ISPENDR, bit(9)),
        dw(1, GICD.CPENDSGIR + 9, 0xff, 1),
        dr(1, GICD.ISPENDR, 0),
        iar(1, SPURIOUS),
      ]),
    );
  });
});

// ---------------------------------------------------------------------------
describe('the CPU interface: acknowledge, priority, EOI (GICv2 virtual CPU interface, IHI 0048B 4.4 and 5.3; reference 4.2, 4.3)', () => {
  test('an SPI goes pending -> active on IAR and inactive on EOIR; HPPIR peeks without acknowledging; RPR follows', () => {
    const doc = withSetup([
      ...spiOn(40, 0xa0),
      spi(40, 1),
      cr(0, GICC.HPPIR, 40),
      dr(0, word(GICD.ISPENDR, 40), bit(40)),
      rpr(0, 0xff),
      iar(0, 40),
      dr(0, word(GICD.ISPENDR, 40), 0),
      dr(0, word(GICD.ISACTIVER, 40), bit(40)),
      rpr(0, 0xa0),
      iar(0, SPURIOUS),
      cr(0, GICC.HPPIR, SPURIOUS),
      eoi(0, 40),
      dr(0, word(GICD.ISACTIVER, 40), 0),
      rpr(0, 0xff),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, at(7), { expect_value: '0x3ff' }, `step ${at(7)} mmio: expected value 0x3ff, got 0x28`);
  });

  test('GICC_PMR masks every interrupt whose priority is not below it: IAR gives 1023; PMR keeps its top 5 bits', () => {
    const doc = withSetup([
      ...spiOn(40, 0xa0),
      cw(0, GICC.PMR, 0),
      spi(40, 1),
      iar(0, SPURIOUS, 'PMR 0 masks everything'),
      cw(0, GICC.PMR, 0xa0),
      iar(0, SPURIOUS, 'equal priority is masked too'),
      cw(0, GICC.PMR, 0xa7),
      cr(0, GICC.PMR, 0xa0),
      iar(0, SPURIOUS, '0xa7 keeps 0xa0'),
      cw(0, GICC.PMR, 0xa8),
      iar(0, 40),
      eoi(0, 40),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, at(5), { expect_value: '0x28' }, `step ${at(5)} mmio: expected value 0x28, got 0x3ff`);
  });

  test('only a higher (lower-valued) priority preempts the running priority; RPR steps back on each EOI', () => {
    const doc = withSetup([
      ...spiOn(40, 0xa0),
      ...spiOn(41, 0x40),
      ...spiOn(42, 0xc0),
      ...spiOn(43, 0xa0),
      spi(40, 1),
      iar(0, 40),
      rpr(0, 0xa0),
      spi(42, 1),
      spi(43, 1),
      iar(0, SPURIOUS, '0xc0 and an equal 0xa0 do not preempt 0xa0'),
      spi(41, 1),
      iar(0, 41, '0x40 preempts'),
      rpr(0, 0x40),
      eoi(0, 41),
      rpr(0, 0xa0),
      eoi(0, 40),
      rpr(0, 0xff),
      iar(0, 43, 'then 0xa0 before 0xc0'),
      eoi(0, 43),
      iar(0, 42),
      eoi(0, 42),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, at(27), { expect_value: '0x3ff' }, `step ${at(27)} mmio: expected value 0x3ff, got 0x2a`);
  });

  test('an out-of-order EOI drops the highest active priority and deactivates the INTID it names: a stale running priority blocks lower interrupts until the last EOI', () => {
    const doc = withSetup([
      ...spiOn(40, 0xa0),
      ...spiOn(41, 0x40),
      ...spiOn(42, 0xc0),
      spi(40, 1),
      iar(0, 40),
      spi(41, 1),
      iar(0, 41),
      eoi(0, 40),
      rpr(0, 0xa0),
      dr(0, word(GICD.ISACTIVER, 40), bit(41)),
      spi(42, 1),
      iar(0, SPURIOUS, 'blocked by the stale 0xa0'),
      eoi(0, 41),
      rpr(0, 0xff),
      dr(0, word(GICD.ISACTIVER, 40), 0),
      iar(0, 42),
      eoi(0, 42),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, at(14), { expect_value: '0xff' }, `step ${at(14)} mmio: expected value 0xff, got 0xa0`);
  });

  test('with EOImode = 1, EOIR only drops the priority and GICC_DIR deactivates', () => {
    expectHolds(
      withSetup([
        ...spiOn(40, 0xa0),
        cw(0, GICC.CTLR, 0x201),
        spi(40, 1),
        iar(0, 40),
        eoi(0, 40),
        rpr(0, 0xff),
        dr(0, word(GICD.ISACTIVER, 40), bit(40)),
        spi(40, 1),
        iar(0, SPURIOUS, 'still active'),
        cw(0, GICC.DIR, 40),
        dr(0, word(GICD.ISACTIVER, 40), 0),
        iar(0, 40),
      ]),
    );
  });

  test('a group 1 interrupt gives 1022 on IAR and HPPIR while AckCtl is 0 and stays pending; AIAR takes it; with AckCtl IAR takes it (IHI 0048B 4.4.4)', () => {
    const doc = withSetup([
      ...spiOn(40, 0xa0),
      dw(0, word(GICD.IGROUPR, 40), bit(40), 4, 'SPI 40 in group 1'),
      cw(0, GICC.CTLR, 0x3),
      spi(40, 1),
      cr(0, GICC.HPPIR, GROUP1_NOT_ACKED),
      iar(0, GROUP1_NOT_ACKED),
      dr(0, word(GICD.ISPENDR, 40), bit(40)),
      dr(0, word(GICD.ISACTIVER, 40), 0),
      cr(0, GICC.AHPPIR, 40),
      cr(0, GICC.AIAR, 40),
      cw(0, GICC.AEOIR, 40),
      spi(40, 1),
      cw(0, GICC.CTLR, 0x7, 'EnableGrp0 | EnableGrp1 | AckCtl'),
      iar(0, 40),
      eoi(0, 40),
      spi(40, 1),
      cw(0, GICC.CTLR, 0x1, 'group 1 disabled'),
      iar(0, SPURIOUS),
      cr(0, GICC.AIAR, SPURIOUS),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, at(7), { expect_value: '0x28' }, `step ${at(7)} mmio: expected value 0x28, got 0x3fe`);
  });

  test('GICD_CTLR = 0 holds pending interrupts back; enabling the distributor delivers them (vgic_target_oracle)', () => {
    const doc = withSetup([dw(0, GICD.CTLR, 0), sgir(0, 2, 0, 2), iar(0, SPURIOUS), dr(0, GICD.ISPENDR, bit(2)), dw(0, GICD.CTLR, 1), iar(0, 0x002), eoi(0, 0x002)]);
    expectHolds(doc);
    expectFlipMisses(doc, at(2), { expect_value: '0x2' }, `step ${at(2)} mmio: expected value 0x2, got 0x3ff`);
  });
});

// ---------------------------------------------------------------------------
describe('SPI triggering and routing (vgic.c, vgic-mmio.c; reference 4.3)', () => {
  test('a level SPI stays pending while its line is high and is presented again after EOI; low line + EOI ends it', () => {
    const doc = withSetup([
      dw(0, GICD.ICFGR + 0x8, 0, 4, 'SPIs 32-47 level'),
      ...spiOn(40, 0xa0),
      spi(40, 1),
      iar(0, 40),
      dr(0, word(GICD.ISPENDR, 40), bit(40), 4, 'pending and active'),
      dr(0, word(GICD.ISACTIVER, 40), bit(40)),
      eoi(0, 40),
      iar(0, 40, 'presented again: the line is still high'),
      dw(0, word(GICD.ICPENDR, 40), bit(40), 4, 'ICPENDR cannot clear a high line'),
      dr(0, word(GICD.ISPENDR, 40), bit(40)),
      spi(40, 0),
      dr(0, word(GICD.ISPENDR, 40), 0),
      eoi(0, 40),
      iar(0, SPURIOUS),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, at(9), { expect_value: '0x3ff' }, `step ${at(9)} mmio: expected value 0x3ff, got 0x28`);
  });

  test('a level SPI lowered before it is acknowledged is no longer pending', () => {
    expectHolds(withSetup([dw(0, GICD.ICFGR + 0x8, 0), ...spiOn(41, 0xa0), spi(41, 1), spi(41, 0), dr(0, word(GICD.ISPENDR, 41), 0), iar(0, SPURIOUS)]));
  });

  test('an edge SPI latches: level 0 does not clear it, IAR clears the latch, a new edge while active makes it active+pending and it comes back after EOI', () => {
    const doc = withSetup([
      ...spiOn(41, 0xa0),
      spi(41, 0),
      dr(0, word(GICD.ISPENDR, 41), 0),
      spi(41, 1),
      spi(41, 0),
      spi(41, 1),
      dr(0, word(GICD.ISPENDR, 41), bit(41)),
      iar(0, 41),
      dr(0, word(GICD.ISPENDR, 41), 0, 4, 'two edges before the ack are one interrupt'),
      spi(41, 1),
      dr(0, word(GICD.ISPENDR, 41), bit(41)),
      dr(0, word(GICD.ISACTIVER, 41), bit(41)),
      iar(0, SPURIOUS),
      eoi(0, 41),
      iar(0, 41),
      eoi(0, 41),
      iar(0, SPURIOUS),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, at(12), { expect_value: '0x0' }, `step ${at(12)} mmio: expected value 0x0, got 0x200`);
  });

  test('GICD_ITARGETSR writes are masked to the online vcpus and an SPI goes to the lowest set target (vcpu 0 when none) (vgic_mmio_write_target)', () => {
    const doc = withSetup([
      ...spiOn(40, 0xa0, 0xff),
      dr(0, GICD.ITARGETSR + 40, 0x03, 1),
      spi(40, 1),
      iar(1, SPURIOUS),
      iar(0, 40),
      eoi(0, 40),
      dw(0, GICD.ITARGETSR + 40, 0x02, 1),
      spi(40, 1),
      iar(0, SPURIOUS),
      iar(1, 40),
      eoi(1, 40),
      dw(1, GICD.ITARGETSR + 40, 0xfc, 1),
      dr(1, GICD.ITARGETSR + 40, 0, 1),
      spi(40, 1),
      iar(1, SPURIOUS),
      iar(0, 40),
      eoi(0, 40),
      dw(0, GICD.ITARGETSR + 44, 0x02ff0201),
      dr(1, GICD.ITARGETSR + 44, 0x02030201),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, at(3), { expect_value: '0xff' }, `step ${at(3)} mmio: expected value 0xff, got 0x3`);
  });

  test('GICD_ISPENDR0/ICPENDR0 SGI bits are WI for the guest; PPI bits work (vgic_mmio_write_spending/cpending)', () => {
    const doc = withSetup([
      dw(0, GICD.ISPENDR, 0x0001ffff),
      dr(0, GICD.ISPENDR, bit(16)),
      dr(0, GICD.SPENDSGIR, 0),
      sgir(0, 2, 0, 2),
      dw(0, GICD.ICPENDR, 0xffff),
      dr(0, GICD.ISPENDR, bit(16) | bit(2)),
      iar(0, 0x002),
      eoi(0, 0x002),
      dw(0, GICD.ICPENDR, bit(16)),
      dr(0, GICD.ISPENDR, 0),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, at(1), { expect_value: '0x1ffff' }, `step ${at(1)} mmio: expected value 0x1ffff, got 0x10000`);
  });
});

// ---------------------------------------------------------------------------
describe('RAZ/WI accesses (vgic-mmio.c dispatch_mmio_read/write, check_region; reference 4)', () => {
  test('a 2-byte access is RAZ/WI: GICD_CTLR reads 0 and keeps its value', () => {
    const doc = withSetup([dr(0, GICD.CTLR, 0, 2), dw(0, GICD.CTLR, 0, 2), dr(0, GICD.CTLR, 1), cr(0, GICC.PMR, 0xf0), mmioRead(0, C + GICC.PMR, 0, 2)]);
    expectHolds(doc);
    expectFlipMisses(doc, at(0), { expect_value: '0x1' }, `step ${at(0)} mmio: expected value 0x1, got 0x0`);
  });

  test('a width the register does not allow or a misaligned access is RAZ/WI: byte GICD_CTLR, 8-byte GICD_IIDR, word at IPRIORITYR+2, byte GICC_IAR acknowledges nothing', () => {
    expectHolds(
      withSetup([
        ...spiOn(40, 0xa0),
        dr(0, GICD.CTLR, 0, 1),
        dr(0, GICD.IIDR, 0, 8),
        dr(0, GICD.IPRIORITYR + 42, 0, 4),
        dw(0, GICD.IPRIORITYR + 42, 0, 4),
        dr(0, GICD.IPRIORITYR + 40, 0xa0, 1),
        spi(40, 1),
        mmioRead(0, C + GICC.IAR, 0, 1),
        iar(0, 40),
        eoi(0, 40),
      ]),
    );
  });

  test('an offset with no register is RAZ/WI: GICD 0x00C, ICPIDR2 at 0xFE8, GICC 0x40', () => {
    expectHolds(withSetup([dr(0, 0x00c, 0), dw(0, 0x00c, 0xffffffff), dr(0, 0x00c, 0), dr(1, 0xfe8, 0), cr(0, 0x40, 0), cw(0, 0x40, 0xffffffff), cr(0, 0x40, 0)]));
  });

  test('a per-IRQ offset whose INTID is >= nr_irqs is RAZ/WI: ISENABLER8 and IPRIORITYR for INTID 256 with the default 256 IRQs', () => {
    const doc = withSetup([
      dw(0, GICD.ISENABLER + 0x20, 0xffffffff),
      dr(0, GICD.ISENABLER + 0x20, 0),
      dw(0, GICD.IPRIORITYR + 256, 0xff, 1),
      dr(0, GICD.IPRIORITYR + 256, 0, 1),
      dw(0, GICD.ISENABLER + 0x1c, 0xffffffff),
      dr(0, GICD.ISENABLER + 0x1c, 0xffffffff, 4, 'INTIDs 224-255 exist'),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, at(1), { expect_value: '0xffffffff' }, `step ${at(1)} mmio: expected value 0xffffffff, got 0x0`);
  });
});

// ---------------------------------------------------------------------------
describe('userspace view of the same state (vgic-mmio.c uaccess handlers, vgic-mmio-v2.c; reference 3.2)', () => {
  test('userspace ISPENDR on an SGI adds the named vcpu as its source; ICPENDR clears every source (vgic_uaccess_write_spending/cpending)', () => {
    const doc = withSetup([
      setAttr(GRP.DIST, regAttr(1, GICD.ISPENDR), bit(2), 0, { note: 'SGI 2 of vcpu 1' }),
      getAttr(GRP.DIST, regAttr(1, GICD.SPENDSGIR), 0, hex(0x020000), { note: 'source: vcpu 1 itself' }),
      iar(1, 0x402),
      eoi(1, 0x402),
      sgir(0, 3, 0b10),
      sgir(1, 3, 0, 2),
      getAttr(GRP.DIST, regAttr(1, GICD.SPENDSGIR), 0, hex(0x03000000)),
      setAttr(GRP.DIST, regAttr(1, GICD.ICPENDR), bit(3), 0),
      getAttr(GRP.DIST, regAttr(1, GICD.SPENDSGIR), 0, 0),
      getAttr(GRP.DIST, regAttr(1, GICD.ISPENDR), 0, 0),
      iar(1, SPURIOUS),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, at(2), { expect_value: '0x2' }, `step ${at(2)} mmio: expected value 0x2, got 0x402`);
  });

  test('userspace IGROUPR writes are ignored until userspace writes GICD_IIDR; guest writes always work (vgic_mmio_uaccess_write_v2_group)', () => {
    const doc = withSetup([
      setAttr(GRP.DIST, regAttr(0, GICD.IGROUPR + 4), '0xffffffff', 0),
      getAttr(GRP.DIST, regAttr(0, GICD.IGROUPR + 4), 0, 0),
      setAttr(GRP.DIST, regAttr(0, GICD.IIDR), '0x4b00343b', 0),
      setAttr(GRP.DIST, regAttr(0, GICD.IGROUPR + 4), '0xffffffff', 0),
      getAttr(GRP.DIST, regAttr(0, GICD.IGROUPR + 4), 0, '0xffffffff'),
      dr(1, GICD.IGROUPR + 4, 0xffffffff),
      dw(1, GICD.IGROUPR + 4, 0),
      getAttr(GRP.DIST, regAttr(1, GICD.IGROUPR + 4), 0, 0),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, at(1), { expect_value: '0xffffffff' }, `step ${at(1)} get_attr KVM_DEV_ARM_VGIC_GRP_DIST_REGS: expected value 0xffffffff, got 0x0`);
    // A guest write needs no IIDR write.
    expectHolds(withSetup([dw(0, GICD.IGROUPR + 4, bit(40)), getAttr(GRP.DIST, regAttr(0, GICD.IGROUPR + 4), 0, hex(bit(40)))]));
  });

  test('CPU_REGS GICC_PMR is the 5-bit VMPriMask: userspace 0x1E is guest 0xF0, guest 0xFF is userspace 0x1F (vgic_mmio_read/write_vcpuif GIC_CPU_PRIMASK)', () => {
    const doc = withSetup([
      getAttr(GRP.CPU, regAttr(0, GICC.PMR), 0, 0x1e),
      cw(1, GICC.PMR, 0xff),
      getAttr(GRP.CPU, regAttr(1, GICC.PMR), 0, 0x1f),
      setAttr(GRP.CPU, regAttr(0, GICC.PMR), 0x14, 0),
      cr(0, GICC.PMR, 0xa0),
      setAttr(GRP.CPU, regAttr(0, GICC.PMR), 0x3f, 0),
      getAttr(GRP.CPU, regAttr(0, GICC.PMR), 0, 0x1f),
      cr(0, GICC.PMR, 0xf8),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, at(0), { expect_value: '0xf0' }, `step ${at(0)} get_attr KVM_DEV_ARM_VGIC_GRP_CPU_REGS: expected value 0xf0, got 0x1e`);
  });

  test('CPU_REGS GICC_CTLR is the guest GICC_CTLR: EnableGrp0/1, AckCtl, FIQEn, CBPR, EOImode (vgic_mmio_read/write_vcpuif GIC_CPU_CTRL)', () => {
    expectHolds(withSetup([getAttr(GRP.CPU, regAttr(1, GICC.CTLR), 0, 1), setAttr(GRP.CPU, regAttr(1, GICC.CTLR), '0xffffffff', 0), cr(1, GICC.CTLR, 0x21f), getAttr(GRP.CPU, regAttr(1, GICC.CTLR), 0, '0x21f')]));
  });
});

// ---------------------------------------------------------------------------
describe('timer PPIs (arch_timer.c kvm_timer_enable, vgic.c vgic_validate_injection; reference 4.3 ownership)', () => {
  test('once vcpu 0 ran, KVM_IRQ_LINE on its PPI 27 returns 0 and delivers nothing; PPI 20 still works', () => {
    const doc = withSetup([
      dw(0, GICD.ISENABLER, bit(27) | bit(20)),
      ppi(0, 27, 1, 0),
      iar(0, SPURIOUS),
      dr(0, GICD.ISPENDR, 0),
      ppi(0, 20, 1, 0),
      iar(0, 20),
      eoi(0, 20),
      ppi(0, 20, 0, 0),
    ]);
    expectHolds(doc);
    expectFlipMisses(doc, at(2), { expect_value: '0x1b' }, `step ${at(2)} mmio: expected value 0x1b, got 0x3ff`);
  });

  test('before a vcpu has run, its PPI 27 is an ordinary level PPI', () => {
    expectHolds(
      scenario([
        ...vcpus(2),
        createGic(),
        setDist(hex(D)),
        setCpu(hex(C)),
        ppi(1, 27, 1, 0),
        getAttr(GRP.DIST, regAttr(1, GICD.ISPENDR), 0, hex(bit(27))),
        { ...dw(0, GICD.CTLR, 1), expect: 0 },
        ppi(0, 27, 1, 0),
        getAttr(GRP.DIST, regAttr(0, GICD.ISPENDR), 0, 0),
      ]),
    );
  });
});
