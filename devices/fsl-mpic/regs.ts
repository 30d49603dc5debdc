/**
 * The MPIC's register frame: the kernel's region list (struct mem_reg:
 * openpic_gbl/tmr/msi/summary/src/cpu_mmio, kvm_mpic_read/write_internal),
 * which serves both guest accesses and KVM_DEV_MPIC_GRP_REGISTER, and the
 * register table (MPIC_REGS) that names every register of it for dump,
 * the TUI, scenarios and HAS-free decoding. The table's handlers go through
 * the regions, so a row answers exactly as the kernel's dispatch does.
 */
import { ACC32, ACC8, field, RegTable, type BitField, type RegRow } from '../core/regtable.js';
import type { VmCtx } from '../core/device.js';
import { ERRNO, type Errno } from '../core/uapi.js';
import {
  cpuRead,
  cpuWrite,
  msiiWrite,
  openpicSetIrq,
  readIlr,
  writeGcr,
  writeIdr,
  writeIlr,
  writeIvpr,
  writeTbcr,
} from './openpic.js';
import { infoOf, type MpicState } from './state.js';
import { IRQ_IPI0, IRQ_MSI, IRQ_TIM0, MAX_CPU, MAX_MSI, MAX_SRC, MSIIR_OFFSET, OPENPIC_REG_SIZE } from './uapi.js';

/**
 * The current CPU of an access (get_current_cpu): a guest access runs on its
 * vcpu, whose irq_cpu_id is its MPIC CPU number once connected and 0 before;
 * a DEVICE_ATTR access runs on no vcpu (-1).
 */
export type CurrentCpu = number;

/** One region: [start, start + size) of the frame, its read and write (the mem_reg callbacks: an errno, the value in `out`). */
interface MemReg {
  readonly name: string;
  readonly start: number;
  readonly size: number;
  read(s: MpicState, addr: number, cpu: CurrentCpu): { errno: Errno; value: number };
  write(s: MpicState, addr: number, val: number, cpu: CurrentCpu): Errno;
}

const ok = (value: number) => ({ errno: 0, value: value >>> 0 });

/** openpic_gbl_read/_write (0x0-0x10F0): BRR1, the current CPU's alias of its per-CPU registers, FRR, GCR, VIR, PIR, IPI vector/priority, SPVE. */
const GLB: MemReg = {
  name: 'global',
  start: 0x0,
  size: 0x10f0,
  read(s, addr, cpu) {
    if (addr & 0xf) return ok(0xffffffff);
    if (addr >= 0x40 && addr <= 0xb0) return ok(cpuRead(s, addr, cpu));
    switch (addr) {
      case 0x0:
        return ok(infoOf(s).brr1);
      case 0x1000:
        // FRR: NCPU is nb_cpus - 1 as a u32: with no vcpu connected the field is all ones.
        return ok(s.frr | (((s.nbCpus - 1) << 8) >>> 0));
      case 0x1020:
        return ok(s.gcr);
      case 0x1080:
        return ok(0); // VIR_GENERIC
      case 0x1090:
        return ok(0); // PIR
      case 0x10a0:
      case 0x10b0:
      case 0x10c0:
      case 0x10d0:
        return ok(s.ivpr[IRQ_IPI0 + ((addr - 0x10a0) >> 4)]!);
      case 0x10e0:
        return ok(s.spve);
      default:
        return ok(0xffffffff);
    }
  },
  write(s, addr, val, cpu) {
    if (addr & 0xf) return 0;
    if (addr >= 0x40 && addr <= 0xb0) {
      cpuWrite(s, addr, val, cpu);
      return 0;
    }
    switch (addr) {
      case 0x1020:
        writeGcr(s, val);
        return 0;
      case 0x1090:
        // PIR resets a CPU core: "let userspace handle it".
        return ERRNO.ENXIO;
      case 0x10a0:
      case 0x10b0:
      case 0x10c0:
      case 0x10d0:
        writeIvpr(s, IRQ_IPI0 + ((addr - 0x10a0) >> 4), val);
        return 0;
      case 0x10e0:
        s.spve = val & 0xffff;
        return 0;
      default:
        return 0; // BRR1, FRR, VIR: read-only
    }
  },
};

/**
 * openpic_tmr_read/_write (0x10F0-0x1310). The write adds the region's start
 * back before decoding (timer n at 0x1100 + 0x40n: GTCCR, GTBCR, GTVPR, GTDR);
 * the read does not, so it decodes 0x10F0 bytes early: reading GTCCRn
 * answers GTBCRn, GTBCRn answers GTVPRn, GTVPRn answers GTDRn, GTDRn answers
 * GTCCR(n+1), and timer 0's count cannot be read at all (its slot decodes
 * as TFRR's).
 */
const TMR: MemReg = {
  name: 'timers',
  start: 0x10f0,
  size: 0x220,
  read(s, addr) {
    if (addr & 0xf) return ok(0xffffffff);
    const idx = (addr >> 6) & 3;
    if (addr === 0) return ok(s.tfrr);
    switch (addr & 0x30) {
      case 0x00:
        return ok(s.tccr[idx]!);
      case 0x10:
        return ok(s.tbcr[idx]!);
      case 0x20:
        return ok(s.ivpr[IRQ_TIM0 + idx]!);
      default:
        return ok(s.idr[IRQ_TIM0 + idx]!);
    }
  },
  write(s, rel, val) {
    const addr = rel + 0x10f0;
    if (addr & 0xf) return 0;
    if (addr === 0x10f0) {
      s.tfrr = val >>> 0;
      return 0;
    }
    const idx = (addr >> 6) & 3;
    switch (addr & 0x30) {
      case 0x00:
        return 0; // TCCR: read-only
      case 0x10:
        writeTbcr(s, idx, val);
        return 0;
      case 0x20:
        writeIvpr(s, IRQ_TIM0 + idx, val);
        return 0;
      default:
        writeIdr(s, IRQ_TIM0 + idx, val);
        return 0;
    }
  },
};

/** openpic_msi_read/_write (0x1600-0x1800): MSIR0-7 clear on read (and lower their source), MSISR summarises them, MSIIR raises. */
const MSI: MemReg = {
  name: 'MSI',
  start: 0x1600,
  size: 0x200,
  read(s, addr) {
    if (addr & 0xf) return { errno: ERRNO.ENXIO, value: 0 };
    if (addr <= 0x70) {
      const srs = addr >> 4;
      const r = s.msir[srs]!;
      s.msir[srs] = 0;
      openpicSetIrq(s, IRQ_MSI + srs, 0);
      return ok(r);
    }
    if (addr === 0x120) {
      let r = 0;
      for (let i = 0; i < MAX_MSI; i++) if (s.msir[i]) r |= 1 << i;
      return ok(r);
    }
    return ok(0);
  },
  write(s, addr, val) {
    if (!(addr & 0xf) && addr === MSIIR_OFFSET) msiiWrite(s, val);
    return 0; // most registers are read-only
  },
};

/** openpic_summary_read/_write (0x3800-0x4000): EISR/EIMR are a TODO in the kernel: reads 0, writes ignored. */
const SUMMARY: MemReg = { name: 'summary', start: 0x3800, size: 0x800, read: () => ok(0), write: () => 0 };

/** openpic_src_read/_write (0x10000-0x12000): per source n at 0x20n: IVPR (+0x0), IDR (+0x10), ILR (+0x18); other words read all ones. */
const SRC: MemReg = {
  name: 'sources',
  start: 0x10000,
  size: MAX_SRC * 0x20,
  read(s, addr) {
    const a = addr & 0xffff;
    const n = a >> 5;
    switch (a & 0x1f) {
      case 0x00:
        return ok(s.ivpr[n]!);
      case 0x10:
        return ok(s.idr[n]!);
      case 0x18:
        return ok(readIlr(s, n));
      default:
        return ok(0xffffffff);
    }
  },
  write(s, addr, val) {
    const a = addr & 0xffff;
    const n = a >> 5;
    switch (a & 0x1f) {
      case 0x00:
        writeIvpr(s, n, val);
        break;
      case 0x10:
        writeIdr(s, n, val);
        break;
      case 0x18:
        writeIlr(s, n, val);
        break;
    }
    return 0;
  },
};

/** openpic_cpu_read/_write (0x20000-0x3F100): CPU n's page at 0x1000n; the CPU is the page's, not the accessing vcpu's. */
const CPU: MemReg = {
  name: 'CPUs',
  start: 0x20000,
  size: 0x100 + (MAX_CPU - 1) * 0x1000,
  read: (s, addr) => ok(cpuRead(s, addr, (addr & 0x1f000) >> 12)),
  write(s, addr, val) {
    cpuWrite(s, addr, val, (addr & 0x1f000) >> 12);
    return 0;
  },
};

/** The regions in the kernel's list order (mpic_create, fsl_common_init); they do not overlap. */
export const REGIONS: readonly MemReg[] = [GLB, TMR, MSI, SUMMARY, SRC, CPU];

function regionAt(addr: number): MemReg | undefined {
  for (const r of REGIONS) if (addr >= r.start && addr < r.start + r.size) return r;
  return undefined;
}

/** kvm_mpic_read_internal: the region's read, or ENXIO where no region is. `addr` is an offset from the frame's base (any u64 as a number). */
export function mpicReadInternal(s: MpicState, addr: number, cpu: CurrentCpu): { errno: Errno; value: number } {
  const r = regionAt(addr);
  return r ? r.read(s, addr - r.start, cpu) : { errno: ERRNO.ENXIO, value: 0 };
}

/** kvm_mpic_write_internal: the region's write, or ENXIO where no region is. */
export function mpicWriteInternal(s: MpicState, addr: number, val: number, cpu: CurrentCpu): Errno {
  const r = regionAt(addr);
  return r ? r.write(s, addr - r.start, val >>> 0, cpu) : ERRNO.ENXIO;
}

// ---- the named register table -----------------------------------------------------------

const IVPR_FIELDS: readonly BitField[] = [field('MSK', 31), field('A', 30), field('M', 29), field('P', 23), field('S', 22), field('PRIORITY', 16, 4), field('VECTOR', 0, 16)];
const GCR_FIELDS: readonly BitField[] = [field('RST', 31), field('M', 29, 2)];
const FRR_FIELDS: readonly BitField[] = [field('NIRQ', 16, 11), field('NCPU', 8, 5), field('VID', 0, 8)];
const MSIIR_FIELDS: readonly BitField[] = [field('SRS', 29, 3), field('IBS', 24, 5)];

type Row = RegRow<MpicState>;

/** A row whose handlers go through the region dispatch (guest side: the vcpu's MPIC CPU). */
function row(name: string, offset: number, extra: Partial<Row> = {}): Row {
  return {
    name,
    offset,
    size: 4,
    widths: ACC32 | ACC8,
    read: (_vm: VmCtx, s: MpicState, vcpu: number, off: number) => mpicReadInternal(s, off & ~3, guestCpu(s, vcpu)).value,
    write: (_vm: VmCtx, s: MpicState, vcpu: number, off: number, _len: number, val: number) => void mpicWriteInternal(s, off, val, guestCpu(s, vcpu)),
    ...extra,
  };
}

/** get_current_cpu for a guest access on vcpu `index`: its irq_cpu_id (0 until connected). */
export function guestCpu(s: MpicState, index: number): CurrentCpu {
  const c = s.vcpuCpu[index];
  return c !== undefined && c >= 0 ? c : 0;
}

const perCpu = (name: string, off: number, extra: Partial<Row> = {}): Row => row(name, 0x20000 + off, { count: MAX_CPU, stride: 0x1000, ...extra });

/**
 * Every register of the frame by the Freescale names (the MPIC's reference
 * manual; the kernel's comments name most of them). Per-CPU registers are
 * `NAME_CPU<n>`, the global page's current-CPU aliases the plain name;
 * per-source ones `IVPR<n>`, `IDR<n>`, `ILR<n>`.
 */
export const MPIC_REGS = new RegTable<MpicState>('MPIC', OPENPIC_REG_SIZE, [
  row('BRR1', 0x0),
  row('IPIDR', 0x40, { count: 4, stride: 0x10 }),
  row('CTPR', 0x80),
  row('WHOAMI', 0x90),
  row('IACK', 0xa0),
  row('EOI', 0xb0),
  row('FRR', 0x1000, { fields: FRR_FIELDS }),
  row('GCR', 0x1020, { fields: GCR_FIELDS }),
  row('VIR', 0x1080),
  row('PIR', 0x1090),
  row('IPIVPR', 0x10a0, { count: 4, stride: 0x10, fields: IVPR_FIELDS }),
  row('SPVR', 0x10e0),
  row('TFRR', 0x10f0),
  row('GTCCR', 0x1100, { count: 4, stride: 0x40 }),
  row('GTBCR', 0x1110, { count: 4, stride: 0x40 }),
  // No bit fields on the timer rows: a read at each answers another register (timerReadAlias).
  row('GTVPR', 0x1120, { count: 4, stride: 0x40 }),
  row('GTDR', 0x1130, { count: 4, stride: 0x40 }),
  row('MSIR', 0x1600, { count: MAX_MSI, stride: 0x10 }),
  row('MSISR', 0x1720),
  row('MSIIR', 0x1740, { fields: MSIIR_FIELDS }),
  row('SUMMARY', 0x3800, { count: 0x200 }),
  row('IVPR', 0x10000, { count: MAX_SRC, stride: 0x20, fields: IVPR_FIELDS }),
  row('IDR', 0x10010, { count: MAX_SRC, stride: 0x20 }),
  row('ILR', 0x10018, { count: MAX_SRC, stride: 0x20 }),
  perCpu('IPIDR0_CPU', 0x40),
  perCpu('IPIDR1_CPU', 0x50),
  perCpu('IPIDR2_CPU', 0x60),
  perCpu('IPIDR3_CPU', 0x70),
  perCpu('CTPR_CPU', 0x80),
  perCpu('WHOAMI_CPU', 0x90),
  perCpu('IACK_CPU', 0xa0),
  perCpu('EOI_CPU', 0xb0),
]);

/**
 * The timer register a read at frame offset `off` answers (openpic_tmr_read
 * decodes 0x10 bytes early), when it is not the one written there.
 */
export function timerReadAlias(off: number): string | undefined {
  if (off < TMR.start || off >= TMR.start + TMR.size || off & 0xf) return undefined;
  const rel = off - TMR.start;
  if (rel === 0) return undefined; // TFRR both ways
  const t = (rel >> 6) & 3;
  return ['GTCCR', 'GTBCR', 'GTVPR', 'GTDR'][(rel & 0x30) >> 4]! + t;
}

/** A frame offset's name for decoding: the register (with what a read there answers, for the timers), or the region it falls in, or that no region is there. */
export function mpicRegName(off: number): string {
  if (MPIC_REGS.find(off)) {
    const name = MPIC_REGS.nameAt(off);
    const alias = timerReadAlias(off);
    return alias && alias !== name ? `${name} (a read answers ${alias})` : name;
  }
  const r = regionAt(off);
  return r ? `${r.name}+0x${(off - r.start).toString(16)}` : `+0x${off.toString(16)} (no region: ENXIO)`;
}

/** Bit fields of the register at a frame offset. */
export function mpicRegFields(off: number): readonly BitField[] | undefined {
  return MPIC_REGS.find(off)?.fields;
}
