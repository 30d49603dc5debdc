/**
 * The GICv3 CPU interface: the ICC_*_EL1 system registers.
 *
 * Guest side: on a GICv3 host the guest's ICC_* accesses go to the
 * hardware's virtual CPU interface (ICV_*), fed from KVM's list registers;
 * only the SGI registers trap (vgic_v3_dispatch_sgi). This model implements
 * that interface architecturally (IHI 0069, 12.2 and 4.8): acknowledge
 * (IAR0/IAR1, each for its own group), priority drop and deactivation
 * (EOIR0/EOIR1, DIR with EOImode), priority mask, binary points, running
 * priority, group enables, with 5 priority bits and the active priorities
 * in AP0R0/AP1R0. LPIs have no active state: acknowledging one only clears
 * its pending state.
 *
 * Userspace side: KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS reaches the registers of
 * gic_v3_icc_reg_descs[] (arch/arm64/kvm/vgic-sys-reg-v3.c) in KVM's formats.
 */
import type { VmCtx } from '../../core/device.js';
import { type BitField, field } from '../../core/regtable.js';
import { ERRNO, type Errno, ICC_SYSREG as R, VGIC } from '../../core/uapi.js';
import { type IrqBank, lowestBit, pendingWord } from '../irq.js';
import { V3_HOST, vcpuByAff, type V3Cpu, type Vgic3State } from './state.js';

/** ICC_CTLR_EL1 fields. */
export const ICC_CTLR = { CBPR: 1 << 0, EOImode: 1 << 1, PRIbitsShift: 8, IDbitsShift: 11, SEIS: 1 << 14, A3V: 1 << 15 } as const;

const INTID_FIELDS = [field('INTID', 0, 24)];
const PRIORITY_FIELDS = [field('Priority', 0, 8)];
const BPR_FIELDS = [field('BinaryPoint', 0, 3)];
const SGIR_FIELDS = [field('TargetList', 0, 16), field('Aff1', 16, 8), field('INTID', 24, 4), field('Aff2', 32, 8), field('IRM', 40), field('RS', 44, 4), field('Aff3', 48, 8)];
const ENABLE_FIELDS = [field('Enable', 0)];

/**
 * The named bit fields of each ICC register (IHI 0069, 12.2; the kernel's
 * ICC_CTLR_EL1_*, ICC_SRE_EL1_* and ICC_SGI1R_* in
 * include/linux/irqchip/arm-gic-v3.h), for decoding values as the GICC_*
 * registers are decoded. The active-priority registers (AP0Rn, AP1Rn) are
 * bitmaps with no named fields.
 */
export const ICC_FIELDS: ReadonlyMap<number, readonly BitField[]> = new Map<number, readonly BitField[]>([
  [R.ICC_IAR0_EL1, INTID_FIELDS],
  [R.ICC_IAR1_EL1, INTID_FIELDS],
  [R.ICC_EOIR0_EL1, INTID_FIELDS],
  [R.ICC_EOIR1_EL1, INTID_FIELDS],
  [R.ICC_HPPIR0_EL1, INTID_FIELDS],
  [R.ICC_HPPIR1_EL1, INTID_FIELDS],
  [R.ICC_DIR_EL1, INTID_FIELDS],
  [R.ICC_PMR_EL1, PRIORITY_FIELDS],
  [R.ICC_RPR_EL1, PRIORITY_FIELDS],
  [R.ICC_BPR0_EL1, BPR_FIELDS],
  [R.ICC_BPR1_EL1, BPR_FIELDS],
  [R.ICC_CTLR_EL1, [field('CBPR', 0), field('EOImode', 1), field('PMHE', 6), field('PRIbits', 8, 3), field('IDbits', 11, 3), field('SEIS', 14), field('A3V', 15), field('RSS', 18), field('ExtRange', 19)]],
  [R.ICC_SRE_EL1, [field('SRE', 0), field('DFB', 1), field('DIB', 2)]],
  [R.ICC_IGRPEN0_EL1, ENABLE_FIELDS],
  [R.ICC_IGRPEN1_EL1, ENABLE_FIELDS],
  [R.ICC_SGI1R_EL1, SGIR_FIELDS],
  [R.ICC_ASGI1R_EL1, SGIR_FIELDS],
  [R.ICC_SGI0R_EL1, SGIR_FIELDS],
]);
/** The implemented priority bits (5): the low 3 bits of a priority are RAZ. */
const PRI_MASK = 0xf8;

/** Group priority of `prio` in `group`, per the binary points (BPR1 follows BPR0 + 1 under CBPR). */
function groupPriority(c: V3Cpu, group: number, prio: number): number {
  const bpr0 = Math.max(c.bpr, 2);
  if (group === 0) return prio & ((0xff << (bpr0 + 1)) & 0xff);
  const bpr1 = c.ctlr & ICC_CTLR.CBPR ? Math.min(bpr0 + 1, 7) : Math.max(c.abpr, 3);
  return prio & ((0xff << bpr1) & 0xff);
}

/** Running priority: the highest active priority of either group, 0xFF when none is active. */
export function runningPriority(c: V3Cpu): number {
  const a = (c.ap0r[0]! | c.ap1r[0]!) >>> 0;
  return a ? lowestBit(a) << 3 : 0xff;
}

/** Effective priority mask (the byte KVM keeps, with the unimplemented bits masked). */
export function priorityMask(c: V3Cpu): number {
  return c.pmr & PRI_MASK;
}

const groupOf = (b: IrqBank, n: number) => (b.group[n >>> 5]! >>> (n & 31)) & 1;

/**
 * The highest-priority interrupt of `group` that could be signalled to vcpu
 * `v`: distributor enabled; pending, enabled and not active; its group
 * enabled at the CPU interface; routed to this vcpu (SPIs by IROUTER, LPIs
 * by their collection, with LPIs enabled at the redistributor). Lowest
 * priority value wins, then lowest INTID. PMR and running priority are not
 * applied here. Returns the INTID or -1.
 */
export function highestPending(s: Vgic3State, v: number, group: number): number {
  if (!s.enabled) return -1;
  const c = s.cpus[v]!;
  if (!(group ? c.grpen1 : c.grpen0)) return -1;
  let best = -1;
  let bestPrio = 0x100;
  const consider = (n: number, prio: number) => {
    if (prio < bestPrio || (prio === bestPrio && n < best)) {
      best = n;
      bestPrio = prio;
    }
  };
  const scan = (b: IrqBank, w: number, spis: boolean) => {
    for (let m = pendingWord(b, w) & b.enabled[w]! & ~b.active[w]!; m; m &= m - 1) {
      const n = w * 32 + lowestBit(m);
      if (groupOf(b, n) !== group) continue;
      if (spis && s.spiTarget[n] !== v) continue;
      consider(n, b.priority[n]!);
    }
  };
  scan(c.priv, 0, false);
  for (let w = 1; w < s.spi.enabled.length; w++) scan(s.spi, w, true);
  if (group === 1 && c.lpisEnabled) {
    for (const l of s.lpis) if (l.target === v && l.pending && l.enabled) consider(l.intid, l.priority & PRI_MASK);
  }
  return best;
}

function prioOf(s: Vgic3State, v: number, n: number): number {
  if (n >= VGIC.MIN_LPI) return (s.lpis.find((l) => l.intid === n)?.priority ?? 0) & PRI_MASK;
  return (n < VGIC.NR_PRIVATE_IRQS ? s.cpus[v]!.priv : s.spi).priority[n]!;
}

/**
 * ICC_IAR0/1_EL1: acknowledges the highest-priority pending interrupt of the
 * register's group if its priority is below the priority mask and its group
 * priority preempts the running priority, else reads 1023. The interrupt
 * goes pending -> active (a level interrupt whose line is high stays pending
 * too; an LPI only loses its pending state), and its group priority becomes
 * active in AP0R0/AP1R0.
 */
export function acknowledge(s: Vgic3State, v: number, group: number): number {
  const n = highestPending(s, v, group);
  if (n < 0) return VGIC.SPURIOUS;
  const c = s.cpus[v]!;
  const prio = prioOf(s, v, n);
  if (!(prio < priorityMask(c))) return VGIC.SPURIOUS;
  const gp = groupPriority(c, group, prio);
  if (!(gp < runningPriority(c))) return VGIC.SPURIOUS;
  if (n >= VGIC.MIN_LPI) {
    s.lpis.find((l) => l.intid === n)!.pending = false;
  } else {
    const b = n < VGIC.NR_PRIVATE_IRQS ? c.priv : s.spi;
    const w = n >>> 5;
    const m = 1 << (n & 31);
    b.latch[w] = b.latch[w]! & ~m;
    b.active[w] = b.active[w]! | m;
  }
  const ap = group ? c.ap1r : c.ap0r;
  ap[0] = (ap[0]! | (1 << (gp >>> 3))) >>> 0;
  return n;
}

/** Deactivates INTID n (nothing for an LPI or a special INTID). */
function deactivate(s: Vgic3State, v: number, n: number): void {
  if (n >= VGIC.MIN_LPI || n > VGIC.MAX_SPI) return;
  const b = n < VGIC.NR_PRIVATE_IRQS ? s.cpus[v]!.priv : s.spi;
  if (n >= b.count) return;
  b.active[n >>> 5] = b.active[n >>> 5]! & ~(1 << (n & 31));
}

/**
 * ICC_EOIR0/1_EL1: priority drop of the highest active priority (the lowest
 * set bit of AP0R0 | AP1R0; at a tie group 0's), then, with EOImode 0,
 * deactivation of the named INTID. INTIDs 1020-1023 are ignored.
 */
export function endOfInterrupt(s: Vgic3State, v: number, val: number): void {
  const n = val & 0xffffff;
  if (n >= 1020 && n <= 1023) return;
  const c = s.cpus[v]!;
  const a = (c.ap0r[0]! | c.ap1r[0]!) >>> 0;
  if (a) {
    const bit = 1 << lowestBit(a);
    if (c.ap0r[0]! & bit) c.ap0r[0] = (c.ap0r[0]! & ~bit) >>> 0;
    else c.ap1r[0] = (c.ap1r[0]! & ~bit) >>> 0;
  }
  if (!(c.ctlr & ICC_CTLR.EOImode)) deactivate(s, v, n);
}

/**
 * vgic_v3_dispatch_sgi for ICC_SGI1R_EL1 (allow group 1), ICC_ASGI1R_EL1 and
 * ICC_SGI0R_EL1 (group 0 only): IRM (bit 40) sends to every vcpu but the
 * sender; else the target list (bits 15:0, Aff0) with Aff1 (23:16), Aff2
 * (39:32) and Aff3 (55:48) picks vcpus by affinity. An SGI of group 1 is
 * only made pending by a register that allows group 1.
 */
export function dispatchSgi(vm: VmCtx, s: Vgic3State, v: number, val: bigint, allowGroup1: boolean): void {
  const sgi = Number((val >> 24n) & 0xfn);
  for (const t of sgiTargets(vm.state.vcpus, v, val)) {
    const b = s.cpus[t]!.priv;
    if (!groupOf(b, sgi) || allowGroup1) b.latch[0] = b.latch[0]! | (1 << sgi);
  }
}

/**
 * The vcpu indexes an ICC_SGI*R_EL1 write of `val` by vcpu index `v`
 * targets (vgic_v3_dispatch_sgi): every vcpu but the sender under IRM, else
 * the vcpus whose affinity the target list and Aff1-3 name.
 */
export function sgiTargets(vcpus: readonly { id: number }[], v: number, val: bigint): number[] {
  const out: number[] = [];
  if ((val >> 40n) & 1n) {
    for (let t = 0; t < vcpus.length; t++) if (t !== v) out.push(t);
    return out;
  }
  const aff3 = Number((val >> 48n) & 0xffn);
  const aff2 = Number((val >> 32n) & 0xffn);
  const aff1 = Number((val >> 16n) & 0xffn);
  const list = Number(val & 0xffffn);
  for (let m = list; m; m &= m - 1) {
    const t = vcpuByAff(vcpus, ((aff3 << 24) | (aff2 << 16) | (aff1 << 8) | lowestBit(m)) >>> 0);
    if (t >= 0) out.push(t);
  }
  return out;
}

/** Whether an SGI write through `reg` makes SGI `sgi` pending on the vcpu with bank `b` (group 1 needs SGI1R/ASGI1R). */
export function sgiAccepted(b: IrqBank, sgi: number, reg: number): boolean {
  return !groupOf(b, sgi) || reg !== R.ICC_SGI0R_EL1;
}

/** ICC_CTLR_EL1 as both sides read it: RO ID fields from the vcpu's sizing, CBPR and EOImode from VMCR. */
function readCtlr(c: V3Cpu): number {
  return ((c.numPriBits - 1) << ICC_CTLR.PRIbitsShift) | (c.numIdBits << ICC_CTLR.IDbitsShift) | (V3_HOST.seis ? ICC_CTLR.SEIS : 0) | (V3_HOST.a3v ? ICC_CTLR.A3V : 0) | (c.ctlr & 3);
}

/** vgic_v3_max_apr_idx: APnR<n> beyond it do not exist (7 bits: 3, 6 bits: 1, else 0). */
export function maxAprIndex(c: V3Cpu): number {
  return c.numPriBits === 7 ? 3 : c.numPriBits === 6 ? 1 : 0;
}

const APR = (reg: number) => (reg >= R.ICC_AP0R0_EL1 && reg <= R.ICC_AP0R3_EL1 ? { g: 0, n: reg - R.ICC_AP0R0_EL1 } : reg >= R.ICC_AP1R0_EL1 && reg <= R.ICC_AP1R3_EL1 ? { g: 1, n: reg - R.ICC_AP1R0_EL1 } : undefined);

/** A register of gic_v3_icc_reg_descs[]: KVM's get_user / set_user. */
interface UserReg {
  get(c: V3Cpu): bigint | Errno;
  set(c: V3Cpu, v: bigint): Errno;
}

const lo = (v: bigint) => Number(BigInt.asUintN(32, v));
const HOST_SEIS: boolean = Number(V3_HOST.seis) !== 0;
const HOST_A3V: boolean = Number(V3_HOST.a3v) !== 0;

/**
 * gic_v3_icc_reg_descs[] (vgic-sys-reg-v3.c, v6.17). The ICH_*_EL2 rows are
 * hidden without nested virtualisation (el2_visibility), which is not
 * modelled, so they do not exist here.
 */
export const ICC_USER_REGS: ReadonlyMap<number, UserReg> = new Map<number, UserReg>([
  [R.ICC_PMR_EL1, { get: (c) => BigInt(c.pmr), set: (c, v) => ((c.pmr = lo(v) & 0xff), 0) }],
  [R.ICC_BPR0_EL1, { get: (c) => BigInt(c.bpr), set: (c, v) => ((c.bpr = lo(v) & 7), 0) }],
  ...[R.ICC_AP0R0_EL1, R.ICC_AP0R1_EL1, R.ICC_AP0R2_EL1, R.ICC_AP0R3_EL1, R.ICC_AP1R0_EL1, R.ICC_AP1R1_EL1, R.ICC_AP1R2_EL1, R.ICC_AP1R3_EL1].map(
    (reg): [number, UserReg] => {
      const { g, n } = APR(reg)!;
      // set/get_gic_ap0r/ap1r: an index beyond vgic_v3_max_apr_idx is EINVAL.
      return [
        reg,
        {
          get: (c) => (n > maxAprIndex(c) ? ERRNO.EINVAL : BigInt((g ? c.ap1r : c.ap0r)[n]!)),
          set: (c, v) => (n > maxAprIndex(c) ? ERRNO.EINVAL : (((g ? c.ap1r : c.ap0r)[n] = lo(v)), 0)),
        },
      ];
    },
  ),
  // set/get_gic_bpr1: under CBPR a write is ignored and a read gives min(BPR0 + 1, 7).
  [R.ICC_BPR1_EL1, { get: (c) => BigInt(c.ctlr & ICC_CTLR.CBPR ? Math.min(c.bpr + 1, 7) : c.abpr), set: (c, v) => ((c.ctlr & ICC_CTLR.CBPR ? 0 : (c.abpr = lo(v) & 7)), 0) }],
  [
    R.ICC_CTLR_EL1,
    {
      get: (c) => BigInt(readCtlr(c)),
      // set_gic_ctlr: PRIbits and IDbits may not exceed the vcpu's (and lower
      // them); SEIS and A3V must equal the host's; then CBPR and EOImode.
      set(c, v) {
        const val = lo(v);
        const pri = ((val >>> ICC_CTLR.PRIbitsShift) & 7) + 1;
        if (pri > c.numPriBits) return ERRNO.EINVAL;
        c.numPriBits = pri;
        const id = (val >>> ICC_CTLR.IDbitsShift) & 7;
        if (id > c.numIdBits) return ERRNO.EINVAL;
        c.numIdBits = id;
        if (((val & ICC_CTLR.SEIS) !== 0) !== HOST_SEIS) return ERRNO.EINVAL;
        if (((val & ICC_CTLR.A3V) !== 0) !== HOST_A3V) return ERRNO.EINVAL;
        c.ctlr = val & 3;
        return 0;
      },
    },
  ],
  // set_gic_sre: SRE must stay 1; nothing is stored.
  [R.ICC_SRE_EL1, { get: (c) => BigInt(c.sre), set: (_c, v) => (v & 1n ? 0 : ERRNO.EINVAL) }],
  [R.ICC_IGRPEN0_EL1, { get: (c) => (c.grpen0 ? 1n : 0n), set: (c, v) => ((c.grpen0 = (v & 1n) === 1n), 0) }],
  [R.ICC_IGRPEN1_EL1, { get: (c) => (c.grpen1 ? 1n : 0n), set: (c, v) => ((c.grpen1 = (v & 1n) === 1n), 0) }],
]);

/** Spec name of an ICC encoding, or undefined. */
export function iccName(reg: number): string | undefined {
  for (const [k, v] of Object.entries(R)) if (v === reg) return k;
  return undefined;
}

/**
 * A guest access to an ICC register. Registers the guest cannot write
 * (IAR, HPPIR, RPR) ignore writes; write-only ones (EOIR, DIR, SGI*R) read
 * 0; an encoding the interface does not have, or an APnR beyond the
 * implemented priority bits, is RAZ/WI (on hardware: an UNDEF exception).
 */
export function guestSysreg(vm: VmCtx, s: Vgic3State, v: number, reg: number, write: boolean, val: bigint): bigint {
  const c = s.cpus[v]!;
  const n = lo(val);
  switch (reg) {
    case R.ICC_IAR0_EL1:
      return write ? 0n : BigInt(acknowledge(s, v, 0));
    case R.ICC_IAR1_EL1:
      return write ? 0n : BigInt(acknowledge(s, v, 1));
    case R.ICC_EOIR0_EL1:
    case R.ICC_EOIR1_EL1:
      if (write) endOfInterrupt(s, v, n);
      return 0n;
    case R.ICC_DIR_EL1:
      if (write && c.ctlr & ICC_CTLR.EOImode) deactivate(s, v, n & 0xffffff);
      return 0n;
    case R.ICC_HPPIR0_EL1:
    case R.ICC_HPPIR1_EL1: {
      if (write) return 0n;
      const i = highestPending(s, v, reg === R.ICC_HPPIR1_EL1 ? 1 : 0);
      return BigInt(i < 0 ? VGIC.SPURIOUS : i);
    }
    case R.ICC_RPR_EL1:
      return write ? 0n : BigInt(runningPriority(c));
    case R.ICC_SGI1R_EL1:
    case R.ICC_ASGI1R_EL1:
    case R.ICC_SGI0R_EL1:
      if (write) dispatchSgi(vm, s, v, val, reg === R.ICC_SGI1R_EL1);
      return 0n;
    case R.ICC_PMR_EL1:
      if (write) c.pmr = n & PRI_MASK;
      return write ? 0n : BigInt(priorityMask(c));
    case R.ICC_BPR0_EL1:
      // The minimum binary point with 5 priority bits is 2 for group 0 and 3 for group 1.
      if (write) c.bpr = Math.max(n & 7, 2);
      return write ? 0n : BigInt(Math.max(c.bpr, 2));
    case R.ICC_BPR1_EL1:
      if (c.ctlr & ICC_CTLR.CBPR) return write ? 0n : BigInt(Math.min(Math.max(c.bpr, 2) + 1, 7));
      if (write) c.abpr = Math.max(n & 7, 3);
      return write ? 0n : BigInt(Math.max(c.abpr, 3));
    case R.ICC_CTLR_EL1:
      if (write) c.ctlr = n & (ICC_CTLR.CBPR | ICC_CTLR.EOImode);
      return write ? 0n : BigInt(readCtlr(c));
    case R.ICC_SRE_EL1:
      return write ? 0n : BigInt(c.sre);
    case R.ICC_IGRPEN0_EL1:
      if (write) c.grpen0 = (n & 1) === 1;
      return write ? 0n : BigInt(c.grpen0 ? 1 : 0);
    case R.ICC_IGRPEN1_EL1:
      if (write) c.grpen1 = (n & 1) === 1;
      return write ? 0n : BigInt(c.grpen1 ? 1 : 0);
    default: {
      const apr = APR(reg);
      if (!apr || apr.n > maxAprIndex(c)) return 0n;
      const a = apr.g ? c.ap1r : c.ap0r;
      if (write) a[apr.n] = n;
      return write ? 0n : BigInt(a[apr.n]!);
    }
  }
}
