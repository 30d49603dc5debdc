/**
 * The GICv2 CPU interface.
 *
 * Guest side: KVM maps the host's GICV frame at the CPU-interface address,
 * so the guest's GICC accesses are served by the GICv2 *virtual* CPU
 * interface in hardware, fed from KVM's list registers (reference 4.2). This
 * model implements that interface architecturally (IHI 0048B, chapter 4 and
 * 5.3): acknowledge, priority drop, deactivation, priority mask, binary point
 * and running priority, with 5 priority bits (VGIC_PRI_BITS) and the active
 * priorities held as in GICH_APR.
 *
 * Userspace side: KVM_DEV_ARM_VGIC_GRP_CPU_REGS reaches the few registers of
 * vgic_v2_cpu_registers[] (vgic-mmio-v2.c), in KVM's own formats.
 */
import type { VmCtx } from '../../core/device.js';
import { ACC32, field } from '../../core/regtable.js';
import { type GicRow, GicTable } from '../regions.js';
import { VGIC } from '../../core/uapi.js';
import { type IrqBank, lowestBit, pendingWord } from '../irq.js';
import type { VgicCpu, VgicState } from '../state.js';

/** GICC_CTLR bits that the virtual interface keeps (GICH_VMCR's control fields). */
export const CTLR = { EnableGrp0: 1 << 0, EnableGrp1: 1 << 1, AckCtl: 1 << 2, FIQEn: 1 << 3, CBPR: 1 << 4, EOImodeNS: 1 << 9 } as const;
const CTLR_MASK = 0x21f;
const CTLR_FIELDS = [field('EnableGrp0', 0), field('EnableGrp1', 1), field('AckCtl', 2), field('FIQEn', 3), field('CBPR', 4), field('EOImodeNS', 9)];
const IAR_FIELDS = [field('InterruptID', 0, 10), field('CPUID', 10, 3)];

/** GICC_IIDR as KVM's userspace view reports it: (0x4B << 20) | (2 << 16) | 0x43B. */
export const GICC_IIDR_VALUE = ((VGIC.PRODUCT_ID_KVM << 20) | (2 << 16) | VGIC.IMPLEMENTER_ARM) >>> 0;

/** INTID 1022: the highest pending interrupt is group 1 and IAR may not acknowledge it (AckCtl = 0). */
const GROUP1_NOT_ACKED = 1022;

/** The vcpu index an SPI is delivered to: the lowest set ITARGETSR bit, vcpu 0 if none. */
export function spiTargetIndex(spi: IrqBank, n: number): number {
  const t = spi.targets[n]!;
  return t ? lowestBit(t) : 0;
}

/** Group priority of `prio` for an interrupt of `group`, per the binary points. */
function groupPriority(cpu: VgicCpu, group: number, prio: number): number {
  if (group === 0 || cpu.ctlr & CTLR.CBPR) return prio & ((0xff << (Math.max(cpu.bpr, 2) + 1)) & 0xff);
  return prio & ((0xff << Math.max(cpu.abpr, 3)) & 0xff);
}

/** Running priority: the highest active group priority, 0xFF when nothing is active. */
export function runningPriority(cpu: VgicCpu): number {
  return cpu.apr ? lowestBit(cpu.apr) << 3 : 0xff;
}

function bankOf(s: VgicState, vcpu: number, n: number): IrqBank {
  return n < VGIC.NR_PRIVATE_IRQS ? s.cpus[vcpu]!.priv : s.spi;
}

function groupOf(b: IrqBank, n: number): number {
  return (b.group[n >>> 5]! >>> (n & 31)) & 1;
}

/**
 * The highest-priority interrupt this vcpu could be signalled: pending,
 * enabled, not active, its group enabled in GICC_CTLR, the distributor
 * enabled, and (for SPIs) targeted at this vcpu. Lowest priority value wins,
 * then lowest INTID. `onlyGroup` restricts to one group (the aliased
 * registers). Returns the INTID or -1. Priority mask and running priority are
 * not applied here.
 */
export function highestPending(s: VgicState, vcpu: number, onlyGroup = -1): number {
  if (!s.enabled) return -1;
  const cpu = s.cpus[vcpu]!;
  const priv = cpu.priv;
  let best = NONE;
  best = considerWord(cpu, priv, 0, pendingWord(priv, 0) & priv.enabled[0]! & ~priv.active[0]!, vcpu, onlyGroup, best);
  const spi = s.spi;
  for (let w = 1; w < spi.enabled.length; w++) {
    const cand = pendingWord(spi, w) & spi.enabled[w]! & ~spi.active[w]!;
    if (cand) best = considerWord(cpu, spi, w, cand, vcpu, onlyGroup, best);
  }
  return best === NONE ? -1 : best & 0x7ff;
}

/** A candidate packed as priority * 2048 + INTID, so "better" is "smaller"; NONE beats nothing. */
const NONE = 0x100 * 2048;

function considerWord(cpu: VgicCpu, b: IrqBank, w: number, cand: number, vcpu: number, onlyGroup: number, best: number): number {
  for (let m = cand; m; m &= m - 1) {
    const n = w * 32 + lowestBit(m);
    const g = groupOf(b, n);
    if (onlyGroup >= 0 && g !== onlyGroup) continue;
    if (!(cpu.ctlr & (g ? CTLR.EnableGrp1 : CTLR.EnableGrp0))) continue;
    if (n >= VGIC.NR_PRIVATE_IRQS && spiTargetIndex(b, n) !== vcpu) continue;
    const packed = b.priority[n]! * 2048 + n;
    if (packed < best) best = packed;
  }
  return best;
}

/**
 * GICC_IAR / GICC_AIAR read: acknowledge the highest-priority pending
 * interrupt if its priority passes the priority mask and preempts the
 * running priority; else 1023. The interrupt goes pending -> active (a level
 * interrupt whose line is still high stays pending too); a GICv2 SGI is
 * acknowledged for its lowest source CPU, whose id is returned in bits 12:10,
 * and stays pending while other sources remain.
 */
export function acknowledge(vm: VmCtx, s: VgicState, vcpu: number, aliased: boolean): number {
  const cpu = s.cpus[vcpu]!;
  const n = highestPending(s, vcpu, aliased ? 1 : -1);
  if (n < 0) return VGIC.SPURIOUS;
  const b = bankOf(s, vcpu, n);
  const prio = b.priority[n]!;
  const g = groupOf(b, n);
  if (!(prio < cpu.pmr)) return VGIC.SPURIOUS;
  const gp = groupPriority(cpu, g, prio);
  if (!(gp < runningPriority(cpu))) return VGIC.SPURIOUS;
  if (g === 1 && !aliased && !(cpu.ctlr & CTLR.AckCtl)) return GROUP1_NOT_ACKED;
  const w = n >>> 5;
  const m = 1 << (n & 31);
  let source = 0;
  if (n < VGIC.NR_SGIS) {
    const sources = cpu.sgiSource[n]!;
    source = sources ? lowestBit(sources) : 0;
    cpu.sgiSource[n] = sources & ~(1 << source);
    if (!cpu.sgiSource[n]) b.latch[w] = b.latch[w]! & ~m;
    cpu.activeSource[n] = source;
  } else {
    b.latch[w] = b.latch[w]! & ~m;
  }
  b.active[w] = b.active[w]! | m;
  cpu.apr = (cpu.apr | (1 << (gp >>> 3))) >>> 0;
  return (n | (source << 10)) >>> 0;
}

/** Deactivation (EOIR with EOImode 0, or DIR): the named interrupt stops being active. */
function deactivate(s: VgicState, vcpu: number, val: number): void {
  const n = val & 0x3ff;
  if (n >= VGIC.MAX_SPI + 1) return;
  const b = bankOf(s, vcpu, n);
  if (n >= b.count) return;
  b.active[n >>> 5] = b.active[n >>> 5]! & ~(1 << (n & 31));
}

/**
 * GICC_EOIR / GICC_AEOIR write: priority drop of the highest active priority
 * (the virtual interface drops GICH_APR's lowest set bit, whatever INTID is
 * named), then, with EOImode 0, deactivation of the named INTID. An EOI out of
 * acknowledge order therefore drops the wrong priority: what the guest
 * asked for on real hardware too. Spurious INTIDs (1020-1023) are ignored.
 */
export function endOfInterrupt(s: VgicState, vcpu: number, val: number): void {
  const cpu = s.cpus[vcpu]!;
  if ((val & 0x3ff) > VGIC.MAX_SPI) return;
  if (cpu.apr) cpu.apr = (cpu.apr & (cpu.apr - 1)) >>> 0;
  if (!(cpu.ctlr & CTLR.EOImodeNS)) deactivate(s, vcpu, val);
}

/** GICC_HPPIR / GICC_AHPPIR: the highest pending interrupt, not acknowledged (1022 for group 1 without AckCtl). */
function highestPendingId(vm: VmCtx, s: VgicState, vcpu: number, aliased: boolean): number {
  const n = highestPending(s, vcpu, aliased ? 1 : -1);
  if (n < 0) return VGIC.SPURIOUS;
  const cpu = s.cpus[vcpu]!;
  const b = bankOf(s, vcpu, n);
  if (!aliased && groupOf(b, n) === 1 && !(cpu.ctlr & CTLR.AckCtl)) return GROUP1_NOT_ACKED;
  const src = n < VGIC.NR_SGIS && cpu.sgiSource[n] ? lowestBit(cpu.sgiSource[n]!) : 0;
  return (n | (src << 10)) >>> 0;
}

type Row = GicRow<VgicState>;

/** A 32-bit CPU-interface register of the accessing vcpu (`len` bytes: GICC_APR and GICC_NSAPR are 4 words). */
function reg(name: string, offset: number, read: (vm: VmCtx, s: VgicState, vcpu: number, off: number) => number, write: (s: VgicState, vcpu: number, val: number, off: number) => void, fields?: Row['fields'], len = 4): Row {
  return {
    name,
    offset,
    size: 4,
    ...(len > 4 && { count: len / 4 }),
    widths: ACC32,
    ...(fields && { fields }),
    read: (vm, s, vcpu, off) => read(vm, s, vcpu, off) >>> 0,
    write: (_vm, s, vcpu, off, _len, val) => write(s, vcpu, val, off),
  };
}

const ignore = () => {};
const raz = () => 0;

/** The guest's GICC frame (8 KiB: GICC_DIR sits at 0x1000). Only 32-bit accesses are defined. */
export const V2_GICC = new GicTable<VgicState>('GICv2 CPU interface (guest)', 0x2000, [
  reg('GICC_CTLR', 0x00, (_vm, s, c) => s.cpus[c]!.ctlr, (s, c, v) => void (s.cpus[c]!.ctlr = v & CTLR_MASK), CTLR_FIELDS),
  reg('GICC_PMR', 0x04, (_vm, s, c) => s.cpus[c]!.pmr, (s, c, v) => void (s.cpus[c]!.pmr = v & 0xf8), [field('Priority', 0, 8)]),
  reg('GICC_BPR', 0x08, (_vm, s, c) => s.cpus[c]!.bpr, (s, c, v) => void (s.cpus[c]!.bpr = v & 7), [field('BinaryPoint', 0, 3)]),
  reg('GICC_IAR', 0x0c, (vm, s, c) => acknowledge(vm, s, c, false), ignore, IAR_FIELDS),
  reg('GICC_EOIR', 0x10, raz, (s, c, v) => endOfInterrupt(s, c, v), IAR_FIELDS),
  reg('GICC_RPR', 0x14, (_vm, s, c) => runningPriority(s.cpus[c]!), ignore, [field('Priority', 0, 8)]),
  reg('GICC_HPPIR', 0x18, (vm, s, c) => highestPendingId(vm, s, c, false), ignore, IAR_FIELDS),
  reg('GICC_ABPR', 0x1c, (_vm, s, c) => s.cpus[c]!.abpr, (s, c, v) => void (s.cpus[c]!.abpr = v & 7), [field('BinaryPoint', 0, 3)]),
  reg('GICC_AIAR', 0x20, (vm, s, c) => acknowledge(vm, s, c, true), ignore, IAR_FIELDS),
  reg('GICC_AEOIR', 0x24, raz, (s, c, v) => endOfInterrupt(s, c, v), IAR_FIELDS),
  reg('GICC_AHPPIR', 0x28, (vm, s, c) => highestPendingId(vm, s, c, true), ignore, IAR_FIELDS),
  reg('GICC_APR', 0xd0, (_vm, s, c, off) => (off === 0xd0 ? s.cpus[c]!.apr : 0), (s, c, v, off) => void (off === 0xd0 && (s.cpus[c]!.apr = v >>> 0)), undefined, 16),
  reg('GICC_NSAPR', 0xe0, raz, ignore, undefined, 16),
  reg('GICC_IIDR', 0xfc, () => GICC_IIDR_VALUE, ignore, [field('Implementer', 0, 12), field('Revision', 12, 4), field('ArchVersion', 16, 4), field('ProductID', 20, 12)]),
  reg('GICC_DIR', 0x1000, raz, (s, c, v) => {
    if (s.cpus[c]!.ctlr & CTLR.EOImodeNS) deactivate(s, c, v);
  }, IAR_FIELDS),
]);

/**
 * KVM_DEV_ARM_VGIC_GRP_CPU_REGS: vgic_v2_cpu_registers[] with
 * vgic_mmio_read/write_vcpuif and vgic_mmio_read/write_apr. PMR is exposed
 * as GICH_VMCR.VMPriMask (the 5 bits, shifted down by 3); BPR and ABPR hold
 * the 3 bits GICH_VMCR has room for; only APR0 holds state; IIDR is read-only.
 */
export const V2_CPU_REGS = new GicTable<VgicState>('GICv2 CPU interface (userspace)', 0x2000, [
  reg('GICC_CTLR', 0x00, (_vm, s, c) => s.cpus[c]!.ctlr, (s, c, v) => void (s.cpus[c]!.ctlr = v & CTLR_MASK), CTLR_FIELDS),
  reg('GICC_PMR', 0x04, (_vm, s, c) => s.cpus[c]!.pmr >>> 3, (s, c, v) => void (s.cpus[c]!.pmr = (v << 3) & 0xf8), [field('VMPriMask', 0, 5)]),
  reg('GICC_BPR', 0x08, (_vm, s, c) => s.cpus[c]!.bpr, (s, c, v) => void (s.cpus[c]!.bpr = v & 7), [field('BinaryPoint', 0, 3)]),
  reg('GICC_ABPR', 0x1c, (_vm, s, c) => s.cpus[c]!.abpr, (s, c, v) => void (s.cpus[c]!.abpr = v & 7), [field('BinaryPoint', 0, 3)]),
  reg('GICC_APR', 0xd0, (_vm, s, c, off) => (off === 0xd0 ? s.cpus[c]!.apr : 0), (s, c, v, off) => void (off === 0xd0 && (s.cpus[c]!.apr = v >>> 0)), undefined, 16),
  reg('GICC_IIDR', 0xfc, () => GICC_IIDR_VALUE, ignore),
]);
