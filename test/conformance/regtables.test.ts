/**
 * Conformance: the declarative register tables (devices/core/regtable.ts).
 * Every RegTable exported anywhere under devices/ is found by importing the
 * modules, so a new table is checked without touching this file. The v2
 * tables are also compared with the kernel's own region arrays
 * (vgic_v2_dist_registers[] and vgic_v2_cpu_registers[] in
 * arch/arm64/kvm/vgic/vgic-mmio-v2.c) and the GICv2 CPU interface map
 * (reference 4.2).
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { checkGicRows, findRegion, type GicRow, type GicTable } from '../../devices/arm-vgic/regions.js';
import { ACC16, ACC32, ACC64, ACC8, elementIndex, RegTable, type RegRow } from '../../devices/core/regtable.js';

const DEVICES = fileURLToPath(new URL('../../devices/', import.meta.url));

/** Every `.ts` module under devices/, recursively. */
function modulesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return modulesUnder(p);
    return e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** name of the export ("arm-vgic/v2/dist.ts V2_DIST") -> table */
const TABLES = new Map<string, GicTable<unknown>>();

beforeAll(async () => {
  for (const file of modulesUnder(DEVICES)) {
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod)) {
      if (value instanceof RegTable) TABLES.set(`${relative(DEVICES, file)} ${name}`, value as GicTable<unknown>);
    }
  }
});

/** The GIC family's tables (the GIC-specific rules apply to them). */
function gicTables(): [string, GicTable<unknown>][] {
  return [...TABLES].filter(([k]) => k.startsWith('arm-vgic/'));
}

function table(exportName: string): GicTable<unknown> {
  const hit = [...TABLES].find(([k]) => k.endsWith(` ${exportName}`));
  if (!hit) throw new Error(`no RegTable exported as ${exportName} under devices/ (found: ${[...TABLES.keys()].join(', ')})`);
  return hit[1];
}

describe('every RegTable exported under devices/', () => {
  test('the three GICv2 tables are found: V2_DIST, V2_GICC, V2_CPU_REGS', () => {
    const names = [...TABLES.keys()].map((k) => k.split(' ')[1]).sort();
    expect(names).toEqual(expect.arrayContaining(['V2_CPU_REGS', 'V2_DIST', 'V2_GICC']));
  });

  test('checkInvariants() is empty for each: sorted, no byte claimed twice, unique names, inside the frame, a width no wider than the register, aligned to it', () => {
    expect(TABLES.size).toBeGreaterThanOrEqual(3);
    for (const [name, t] of TABLES) expect({ name, problems: t.checkInvariants() }).toEqual({ name, problems: [] });
  });

  test('checkGicRows() is empty for each GIC table (arm-vgic/): a per-IRQ row covers bitsPerIrq * 1024 / 8 bytes (REGISTER_DESC_WITH_BITS_PER_IRQ, vgic-mmio.h), 64-bit rows have whole-register handlers', () => {
    for (const [name, t] of gicTables()) expect({ name, problems: checkGicRows(t) }).toEqual({ name, problems: [] });
  });

  test('every row name of a GIC table (arm-vgic/) is a GIC register name: GICD_*, GICC_* (IHI 0048B), GICR_* or GITS_* (IHI 0069)', () => {
    for (const [name, t] of gicTables()) {
      const bad = t.rows.map((r) => r.name).filter((n) => !/^GIC[DCR]_[A-Z0-9]+$|^GITS_[A-Z0-9]+$/.test(n));
      expect({ name, bad }).toEqual({ name, bad: [] });
    }
  });
  test('every row name of an x86 irqchip table is an 8259, IOAPIC or xAPIC register name', () => {
    for (const [name, t] of [...TABLES].filter(([k]) => k.startsWith('x86-irqchip/'))) {
      const bad = t.rows.map((r) => r.name).filter((n) => !/^PIC_(CMD|DATA)$|^ELCR$|^IOREGSEL$|^IOWIN$|^IOAPIC(ID|VER|ARB)$|^IOREDTBL$|^APIC_[A-Z0-9]+$/.test(n));
      expect({ name, bad }).toEqual({ name, bad: [] });
    }
  });

  test('the FSL MPIC table is found (fsl-mpic/regs.ts MPIC_REGS) and its names are Freescale register names: upper case, per-CPU ones NAME_CPU<n>', () => {
    const t = table('MPIC_REGS');
    expect(t.rows.map((r) => r.name).filter((n) => !/^[A-Z][A-Z0-9]*(_CPU)?$/.test(n))).toEqual([]);
    expect(t.rows.filter((r) => r.name.endsWith('_CPU')).every((r) => r.count === 32 && r.stride === 0x1000)).toBe(true);
  });

  test('the GICv3 and ITS tables are found too: V3_DIST, V3_REDIST, ITS_REGS', () => {
    const names = [...TABLES.keys()].map((k) => k.split(' ')[1]).sort();
    expect(names).toEqual(expect.arrayContaining(['ITS_REGS', 'V3_DIST', 'V3_REDIST']));
  });

  test('each table is one kind: distributor rows are all GICD_, CPU interface rows all GICC_, redistributor rows GICR_, ITS rows GITS_', () => {
    expect(new Set(table('V2_DIST').rows.map((r) => r.name.slice(0, 5)))).toEqual(new Set(['GICD_']));
    expect(new Set(table('V2_GICC').rows.map((r) => r.name.slice(0, 5)))).toEqual(new Set(['GICC_']));
    expect(new Set(table('V2_CPU_REGS').rows.map((r) => r.name.slice(0, 5)))).toEqual(new Set(['GICC_']));
    expect(new Set(table('V3_DIST').rows.map((r) => r.name.slice(0, 5)))).toEqual(new Set(['GICD_']));
    expect(new Set(table('V3_REDIST').rows.map((r) => r.name.slice(0, 5)))).toEqual(new Set(['GICR_']));
    expect(new Set(table('ITS_REGS').rows.map((r) => r.name.slice(0, 5)))).toEqual(new Set(['GITS_']));
  });

  test('rows accessible with 64 bits have whole-register handlers (read64, write64): an 8-byte access is one operation, as update_64bit_reg sees it', () => {
    for (const [name, t] of TABLES) {
      const bad = t.rows.filter((r) => r.widths & ACC64 && !(r.read64 && r.write64)).map((r) => r.name);
      expect({ name, bad }).toEqual({ name, bad: [] });
    }
  });
});

// ---------------------------------------------------------------------------
/** A kernel region: REGISTER_DESC_WITH_LENGTH / _WITH_BITS_PER_IRQ (len = bpi * 1024 / 8). */
interface KRegion {
  readonly name: string;
  readonly offset: number;
  readonly len: number;
  readonly bpi: number;
  readonly access: number;
}
const bpiRegion = (name: string, offset: number, bpi: number, access: number): KRegion => ({ name, offset, len: (bpi * 1024) / 8, bpi, access });
const lenRegion = (name: string, offset: number, len: number, access: number): KRegion => ({ name, offset, len, bpi: 0, access });

/** vgic_v2_dist_registers[] (vgic-mmio-v2.c). GIC_DIST_CTRL's 12 bytes cover CTLR, TYPER and IIDR. */
const KERNEL_V2_DIST: KRegion[] = [
  lenRegion('GICD_CTLR/TYPER/IIDR', 0x000, 12, ACC32),
  bpiRegion('GICD_IGROUPR', 0x080, 1, ACC32),
  bpiRegion('GICD_ISENABLER', 0x100, 1, ACC32),
  bpiRegion('GICD_ICENABLER', 0x180, 1, ACC32),
  bpiRegion('GICD_ISPENDR', 0x200, 1, ACC32),
  bpiRegion('GICD_ICPENDR', 0x280, 1, ACC32),
  bpiRegion('GICD_ISACTIVER', 0x300, 1, ACC32),
  bpiRegion('GICD_ICACTIVER', 0x380, 1, ACC32),
  bpiRegion('GICD_IPRIORITYR', 0x400, 8, ACC32 | ACC8),
  bpiRegion('GICD_ITARGETSR', 0x800, 8, ACC32 | ACC8),
  bpiRegion('GICD_ICFGR', 0xc00, 2, ACC32),
  lenRegion('GICD_SGIR', 0xf00, 4, ACC32),
  lenRegion('GICD_CPENDSGIR', 0xf10, 16, ACC32 | ACC8),
  lenRegion('GICD_SPENDSGIR', 0xf20, 16, ACC32 | ACC8),
];

/** vgic_v2_cpu_registers[] (vgic-mmio-v2.c): what CPU_REGS reaches. */
const KERNEL_V2_CPU: KRegion[] = [
  lenRegion('GICC_CTLR', 0x00, 4, ACC32),
  lenRegion('GICC_PMR', 0x04, 4, ACC32),
  lenRegion('GICC_BPR', 0x08, 4, ACC32),
  lenRegion('GICC_ABPR', 0x1c, 4, ACC32),
  lenRegion('GICC_APR', 0xd0, 16, ACC32),
  lenRegion('GICC_IIDR', 0xfc, 4, ACC32),
];

/** The GICv2 (virtual) CPU interface map the guest sees (IHI 0048B 4.3; reference 4.2). */
const GICV2_CPU_INTERFACE: KRegion[] = [
  lenRegion('GICC_CTLR', 0x00, 4, ACC32),
  lenRegion('GICC_PMR', 0x04, 4, ACC32),
  lenRegion('GICC_BPR', 0x08, 4, ACC32),
  lenRegion('GICC_IAR', 0x0c, 4, ACC32),
  lenRegion('GICC_EOIR', 0x10, 4, ACC32),
  lenRegion('GICC_RPR', 0x14, 4, ACC32),
  lenRegion('GICC_HPPIR', 0x18, 4, ACC32),
  lenRegion('GICC_ABPR', 0x1c, 4, ACC32),
  lenRegion('GICC_AIAR', 0x20, 4, ACC32),
  lenRegion('GICC_AEOIR', 0x24, 4, ACC32),
  lenRegion('GICC_AHPPIR', 0x28, 4, ACC32),
  lenRegion('GICC_APR', 0xd0, 16, ACC32),
  lenRegion('GICC_NSAPR', 0xe0, 16, ACC32),
  lenRegion('GICC_IIDR', 0xfc, 4, ACC32),
  lenRegion('GICC_DIR', 0x1000, 4, ACC32),
];

/** vgic_v3_dist_registers[] (vgic-mmio-v3.c). The SHARED per-IRQ rows are two kernel regions (INTIDs 0-31 RAZ/WI, then the SPIs) with the same widths. */
const KERNEL_V3_DIST: KRegion[] = [
  lenRegion('GICD_CTLR/TYPER/IIDR/TYPER2', 0x0, 16, ACC32),
  lenRegion('GICD_STATUSR', 0x10, 4, ACC32),
  bpiRegion('GICD_IGROUPR', 0x080, 1, ACC32),
  bpiRegion('GICD_ISENABLER', 0x100, 1, ACC32),
  bpiRegion('GICD_ICENABLER', 0x180, 1, ACC32),
  bpiRegion('GICD_ISPENDR', 0x200, 1, ACC32),
  bpiRegion('GICD_ICPENDR', 0x280, 1, ACC32),
  bpiRegion('GICD_ISACTIVER', 0x300, 1, ACC32),
  bpiRegion('GICD_ICACTIVER', 0x380, 1, ACC32),
  bpiRegion('GICD_IPRIORITYR', 0x400, 8, ACC32 | ACC8),
  bpiRegion('GICD_ITARGETSR', 0x800, 8, ACC32 | ACC8),
  bpiRegion('GICD_ICFGR', 0xc00, 2, ACC32),
  bpiRegion('GICD_IGRPMODR', 0xd00, 1, ACC32),
  bpiRegion('GICD_IROUTER', 0x6000, 64, ACC64 | ACC32),
  lenRegion('GICD_IDREGS', 0xffd0, 48, ACC32),
];

/** vgic_v3_rd_registers[] (vgic-mmio-v3.c): RD_base, then SGI_base at SZ_64K. */
const KERNEL_V3_RD: KRegion[] = [
  lenRegion('GICR_CTLR', 0x0, 4, ACC32),
  lenRegion('GICR_IIDR', 0x4, 4, ACC32),
  lenRegion('GICR_TYPER', 0x8, 8, ACC64 | ACC32),
  lenRegion('GICR_STATUSR', 0x10, 4, ACC32),
  lenRegion('GICR_WAKER', 0x14, 4, ACC32),
  lenRegion('GICR_PROPBASER', 0x70, 8, ACC64 | ACC32),
  lenRegion('GICR_PENDBASER', 0x78, 8, ACC64 | ACC32),
  lenRegion('GICR_INVLPIR', 0xa0, 8, ACC64 | ACC32),
  lenRegion('GICR_INVALLR', 0xb0, 8, ACC64 | ACC32),
  lenRegion('GICR_SYNCR', 0xc0, 4, ACC32),
  lenRegion('GICR_IDREGS', 0xffd0, 48, ACC32),
  lenRegion('GICR_IGROUPR0', 0x10080, 4, ACC32),
  lenRegion('GICR_ISENABLER0', 0x10100, 4, ACC32),
  lenRegion('GICR_ICENABLER0', 0x10180, 4, ACC32),
  lenRegion('GICR_ISPENDR0', 0x10200, 4, ACC32),
  lenRegion('GICR_ICPENDR0', 0x10280, 4, ACC32),
  lenRegion('GICR_ISACTIVER0', 0x10300, 4, ACC32),
  lenRegion('GICR_ICACTIVER0', 0x10380, 4, ACC32),
  lenRegion('GICR_IPRIORITYR0', 0x10400, 32, ACC32 | ACC8),
  lenRegion('GICR_ICFGR0', 0x10c00, 8, ACC32),
  lenRegion('GICR_IGRPMODR0', 0x10d00, 4, ACC32),
  lenRegion('GICR_NSACR', 0x10e00, 4, ACC32),
];

/** its_registers[] (vgic-its.c). */
const KERNEL_ITS: KRegion[] = [
  lenRegion('GITS_CTLR', 0x0, 4, ACC32),
  lenRegion('GITS_IIDR', 0x4, 4, ACC32),
  lenRegion('GITS_TYPER', 0x8, 8, ACC64 | ACC32),
  lenRegion('GITS_CBASER', 0x80, 8, ACC64 | ACC32),
  lenRegion('GITS_CWRITER', 0x88, 8, ACC64 | ACC32),
  lenRegion('GITS_CREADR', 0x90, 8, ACC64 | ACC32),
  lenRegion('GITS_BASER', 0x100, 0x40, ACC64 | ACC32),
  lenRegion('GITS_IDREGS', 0xffd0, 0x30, ACC32),
];

/**
 * Word by word over the frame: a word the reference covers must be found
 * with the same access widths and bits per IRQ, a word it does not cover
 * must find nothing. Returns the differences.
 */
function compareWithReference(t: GicTable<unknown>, ref: KRegion[]): string[] {
  const diffs: string[] = [];
  for (let off = 0; off < t.frameSize; off += 4) {
    const k = ref.find((r) => off >= r.offset && off < r.offset + r.len);
    const row = t.find(off);
    const at = `0x${off.toString(16)}`;
    if (!k) {
      if (row) diffs.push(`${at}: ${row.name} has no kernel region`);
      continue;
    }
    if (!row) diffs.push(`${at}: ${k.name} missing`);
    else if (row.widths !== k.access || (row.bitsPerIrq ?? 0) !== k.bpi) diffs.push(`${at}: ${row.name} widths ${row.widths}/bpi ${row.bitsPerIrq ?? 0}, kernel ${k.access}/${k.bpi}`);
  }
  return diffs;
}

describe('the v2 tables match the kernel region arrays word for word', () => {
  test('V2_DIST covers exactly vgic_v2_dist_registers[] with the same access widths and bits per IRQ (vgic-mmio-v2.c)', () => {
    expect(table('V2_DIST').frameSize).toBe(0x1000);
    expect(compareWithReference(table('V2_DIST'), KERNEL_V2_DIST)).toEqual([]);
  });

  test('V2_CPU_REGS covers exactly vgic_v2_cpu_registers[] (vgic-mmio-v2.c): no IAR, EOIR, RPR, HPPIR or DIR for userspace', () => {
    expect(compareWithReference(table('V2_CPU_REGS'), KERNEL_V2_CPU)).toEqual([]);
  });

  test('V2_GICC covers the GICv2 CPU interface map, GICC_DIR at 0x1000 in an 8 KiB frame (IHI 0048B; reference 4.2)', () => {
    expect(table('V2_GICC').frameSize).toBe(0x2000);
    expect(compareWithReference(table('V2_GICC'), GICV2_CPU_INTERFACE)).toEqual([]);
  });

  test('V3_DIST covers exactly vgic_v3_dist_registers[] in a 64 KiB frame (vgic-mmio-v3.c)', () => {
    expect(table('V3_DIST').frameSize).toBe(0x10000);
    expect(compareWithReference(table('V3_DIST'), KERNEL_V3_DIST)).toEqual([]);
  });

  test('V3_REDIST covers exactly vgic_v3_rd_registers[]: RD_base and SGI_base, 128 KiB (vgic-mmio-v3.c)', () => {
    expect(table('V3_REDIST').frameSize).toBe(0x20000);
    expect(compareWithReference(table('V3_REDIST'), KERNEL_V3_RD)).toEqual([]);
  });

  test('ITS_REGS covers exactly its_registers[]; nothing in the translation frame (vgic-its.c)', () => {
    expect(table('ITS_REGS').frameSize).toBe(0x20000);
    expect(compareWithReference(table('ITS_REGS'), KERNEL_ITS)).toEqual([]);
  });

  test('register names count 64-bit registers as one: GITS_BASER1, GICD_IROUTER40 (+4 for its upper word), GICR_TYPER; 32-bit arrays by word: GICR_ICFGR1', () => {
    expect(table('ITS_REGS').nameAt(0x108)).toBe('GITS_BASER1');
    expect(table('V3_DIST').nameAt(0x6000 + 8 * 40)).toBe('GICD_IROUTER40');
    expect(table('V3_DIST').nameAt(0x6000 + 8 * 40 + 4)).toBe('GICD_IROUTER40+4');
    expect(table('V3_REDIST').nameAt(0xc)).toBe('GICR_TYPER+4');
    expect(table('V3_REDIST').nameAt(0x10c04)).toBe('GICR_ICFGR1');
    expect(table('V2_DIST').nameAt(0x104)).toBe('GICD_ISENABLER1');
  });

  test('the comparison can fail: a table missing GICD_SGIR and with a byte-accessible ICFGR is reported', () => {
    const rows = table('V2_DIST').rows.filter((r) => r.name !== 'GICD_SGIR').map((r) => (r.name === 'GICD_ICFGR' ? { ...r, widths: ACC8 | ACC32 } : r));
    const broken = new RegTable('broken dist', 0x1000, rows);
    const diffs = compareWithReference(broken, KERNEL_V2_DIST);
    expect(diffs).toContain('0xf00: GICD_SGIR missing');
    expect(diffs).toContain('0xc00: GICD_ICFGR widths 5/bpi 2, kernel 4/2');
  });
});

// ---------------------------------------------------------------------------
/** A GIC row with no behaviour, for building tables that are wrong on purpose: `len` bytes of 4-byte registers, or a per-IRQ array. */
function row(name: string, offset: number, len: number, bitsPerIrq: GicRow<null>['bitsPerIrq'] = undefined, widths = ACC32): GicRow<null> {
  return { name, offset, size: 4, ...(len > 4 && { count: len / 4 }), ...(bitsPerIrq && { bitsPerIrq }), widths, read: () => 0, write: () => {} };
}
const broken = (rows: GicRow<null>[]) => new RegTable<null, GicRow<null>>('t', 0x1000, rows);
const problems = (t: GicTable<null>) => [...t.checkInvariants(), ...checkGicRows(t)];

describe('checkInvariants() and checkGicRows() report each kind of broken table', () => {
  test('an overlap', () => {
    expect(problems(broken([row('GICD_A', 0x0, 8), row('GICD_B', 0x4, 4)]))).toEqual(['t: GICD_B at 0x4 overlaps GICD_A']);
  });

  test('a duplicate name given out of order: the rows are sorted first and the duplicate still found', () => {
    const t = broken([row('GICD_A', 0x100, 4), row('GICD_C', 0x0, 4), row('GICD_A', 0x8, 4)]);
    expect(t.rows.map((r) => r.offset)).toEqual([0x0, 0x8, 0x100]);
    expect(problems(t)).toEqual(['t: duplicate name GICD_A']);
  });

  test('a per-IRQ row whose length is not bitsPerIrq * 1024 / 8 (REGISTER_DESC_WITH_BITS_PER_IRQ)', () => {
    expect(problems(broken([row('GICD_X', 0x100, 0x40, 1)]))).toEqual(['t: GICD_X length 64 != bitsPerIrq*128']);
    expect(problems(broken([row('GICD_P', 0x400, 0x400, 8), row('GICD_Q', 0xc00, 0x80, 2)]))).toEqual(['t: GICD_Q length 128 != bitsPerIrq*128']);
  });

  test('a row past the frame, one with no access width, one not aligned to its widest access', () => {
    expect(problems(broken([row('GICD_Y', 0xffc, 8)]))).toEqual(['t: GICD_Y runs past the frame']);
    expect(problems(broken([row('GICD_Z', 0x0, 4, undefined, 0)]))).toEqual(['t: GICD_Z allows no access width']);
    expect(problems(broken([row('GICD_W', 0x2, 4)]))).toEqual(['t: GICD_W at 0x2 is not aligned to its widest access (4 bytes)']);
  });

  test('all problems at once are all reported', () => {
    const t = broken([row('GICD_A', 0x100, 4), row('GICD_A', 0x0, 8), row('GICD_B', 0x4, 4), row('GICD_X', 0x200, 0x40, 1), row('GICD_Z', 0x300, 4, undefined, 0), row('GICD_Y', 0xffc, 8)]);
    const found = problems(t);
    expect(found).toHaveLength(5);
    expect(found).toEqual(
      expect.arrayContaining([
        't: GICD_B at 0x4 overlaps GICD_A',
        't: duplicate name GICD_A',
        't: GICD_X length 64 != bitsPerIrq*128',
        't: GICD_Z allows no access width',
        't: GICD_Y runs past the frame',
      ]),
    );
  });
});

// ---------------------------------------------------------------------------
/** A register of a toy table: reads give back what the test says, writes are recorded. */
type Log = string[];
function reg(name: string, offset: number, size: number, widths: number, more: Partial<RegRow<Log>> = {}): RegRow<Log> {
  return {
    name,
    offset,
    size,
    widths,
    read: (_vm, _log, _v, off, len) => (off << 8) | len,
    write: (_vm, log, _v, off, len, val) => void log.push(`${name}@0x${off.toString(16)}/${len}=0x${val.toString(16)}`),
    ...more,
  };
}

describe('the general table: shapes other families need', () => {
  // The 8259 PIC's two ports (arch/x86/kvm/i8259.c, picdev_read/picdev_write:
  // 0x20 command/status, 0x21 data/IMR, 1-byte accesses) in one word, and the
  // ELCR pair at 0x4d0/0x4d1: byte registers side by side, each its own row.
  const pic = new RegTable<Log>('toy 8259', 0x500, [
    reg('PIC_CMD', 0x20, 1, ACC8),
    reg('PIC_DATA', 0x21, 1, ACC8),
    reg('ELCR0', 0x4d0, 1, ACC8),
    reg('ELCR1', 0x4d1, 1, ACC8),
  ]);

  test('byte registers sharing a word are separate rows: each byte finds its own, the rest of the word none (picdev_read)', () => {
    expect(pic.checkInvariants()).toEqual([]);
    expect(pic.find(0x20)?.name).toBe('PIC_CMD');
    expect(pic.find(0x21)?.name).toBe('PIC_DATA');
    expect(pic.find(0x22)).toBeUndefined();
    expect(pic.find(0x23)).toBeUndefined();
    expect(pic.lookup(0x21, 1)?.name).toBe('PIC_DATA');
    expect(pic.nameAt(0x21)).toBe('PIC_DATA');
    expect(pic.nameAt(0x22)).toBe('+0x22');
  });

  test('an access wider than a byte register, or spanning two of them, finds nothing', () => {
    expect(pic.lookup(0x20, 2)).toBeUndefined();
    expect(pic.lookup(0x20, 4)).toBeUndefined();
  });

  // The FSL MPIC's per-source registers (arch/powerpc/kvm/mpic.c,
  // openpic_src_read/write: sources from 0x10000, 0x20 bytes each, IVPR at
  // +0x00 and IDR at +0x10): two strided arrays interleaved, nothing between.
  const mpic = new RegTable<Log>('toy MPIC sources', 0x10000 + 4 * 0x20, [
    reg('IVPR', 0x10000, 4, ACC32, { count: 4, stride: 0x20 }),
    reg('IDR', 0x10010, 4, ACC32, { count: 4, stride: 0x20 }),
  ]);

  test('strided arrays: IVPR<n> every 0x20 bytes and IDR<n> 0x10 after each, interleaved; the bytes between are no row (openpic_src_read)', () => {
    expect(mpic.checkInvariants()).toEqual([]);
    expect(mpic.nameAt(0x10000)).toBe('IVPR0');
    expect(mpic.nameAt(0x10010)).toBe('IDR0');
    expect(mpic.nameAt(0x10060)).toBe('IVPR3');
    expect(mpic.nameAt(0x10070)).toBe('IDR3');
    expect(mpic.find(0x10004)).toBeUndefined();
    expect(mpic.find(0x10014)).toBeUndefined();
    expect(mpic.find(0x1007c)).toBeUndefined();
    const idr = mpic.lookup(0x10050, 4)!;
    expect(idr.name).toBe('IDR');
    expect(elementIndex(idr, 0x10050)).toBe(2);
  });

  test('an array that runs into its neighbour is reported: IDR every 0x10 claims IVPR1 byte 0x10020', () => {
    const t = new RegTable<Log>('bad MPIC', 0x10080, [reg('IVPR', 0x10000, 4, ACC32, { count: 4, stride: 0x20 }), reg('IDR', 0x10010, 4, ACC32, { count: 4, stride: 0x10 })]);
    expect(t.checkInvariants()).toEqual(['bad MPIC: IDR at 0x10020 overlaps IVPR']);
  });

  test("an element name that is another row's name is reported", () => {
    const t = new RegTable<Log>('t', 0x100, [reg('IVPR', 0x0, 4, ACC32, { count: 2 }), reg('IVPR1', 0x10, 4, ACC32)]);
    expect(t.checkInvariants()).toEqual(["t: IVPR's element 1 is named like the row IVPR1"]);
  });

  // 16-bit registers: a row that allows ACC16 is served for 2-byte accesses; one that does not is not.
  const half = new RegTable<Log>('toy 16-bit', 0x10, [reg('H0', 0x0, 2, ACC16), reg('H1', 0x2, 2, ACC16 | ACC8), reg('W', 0x4, 4, ACC32), reg('HW', 0x8, 4, ACC16 | ACC32)]);

  test('16-bit accesses are honoured where a row allows them, refused where it does not, and must be aligned', () => {
    expect(half.checkInvariants()).toEqual([]);
    expect(half.lookup(0x0, 2)?.name).toBe('H0');
    expect(half.lookup(0x2, 2)?.name).toBe('H1');
    expect(half.lookup(0x3, 1)?.name).toBe('H1');
    expect(half.lookup(0x1, 1)).toBeUndefined();
    expect(half.lookup(0x4, 2)).toBeUndefined();
    expect(half.lookup(0xa, 2)?.name).toBe('HW');
    expect(half.lookup(0x9, 2)).toBeUndefined();
    expect(half.nameAt(0xa)).toBe('HW');
  });

  test('a width wider than the register is reported (a 4-byte access to a 2-byte register)', () => {
    const t = new RegTable<Log>('t', 0x10, [reg('H', 0x0, 2, ACC16 | ACC32)]);
    expect(t.checkInvariants()).toEqual(['t: H allows 4-byte accesses to 2-byte registers']);
  });

  test("the GIC's bits per IRQ sit on top: a per-IRQ access is only served below nr_irqs (check_region, vgic-mmio.c)", () => {
    const dist = table('V2_DIST');
    expect(findRegion(dist, 0x104, 4, 64)?.name).toBe('GICD_ISENABLER');
    expect(findRegion(dist, 0x108, 4, 64)).toBeUndefined();
    expect(dist.lookup(0x108, 4)?.name).toBe('GICD_ISENABLER');
  });
});
