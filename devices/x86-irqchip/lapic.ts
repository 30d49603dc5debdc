/**
 * Each vcpu's local APIC (arch/x86/kvm/lapic.c), as far as interrupt
 * acceptance goes: the register page KVM_GET/SET_LAPIC carry, software
 * enable (SPIV), IRR/ISR/TMR, PPR, EOI and the guest's xAPIC MMIO at
 * 0xfee00000, and the IPIs an ICR write sends (kvm_apic_send_ipi). The APIC
 * timer, the NMI/INIT/SIPI/SMI state an IPI or MSI leaves, x2APIC mode and the APIC base MSR are not modelled: the APIC stays
 * hardware-enabled in xAPIC mode at the default base, as kvm_lapic_reset
 * leaves it.
 */
import { ACC16, ACC32, ACC8, RegTable, type RegRow } from '../core/regtable.js';
import { APIC_REG_SIZE } from './state.js';

/** Register offsets in the APIC page (arch/x86/include/asm/apicdef.h). */
export const APIC = {
  ID: 0x20,
  LVR: 0x30,
  TASKPRI: 0x80,
  ARBPRI: 0x90,
  PROCPRI: 0xa0,
  EOI: 0xb0,
  LDR: 0xd0,
  DFR: 0xe0,
  SPIV: 0xf0,
  ISR: 0x100,
  TMR: 0x180,
  IRR: 0x200,
  ESR: 0x280,
  ICR: 0x300,
  ICR2: 0x310,
  LVTT: 0x320,
  LVTTHMR: 0x330,
  LVTPC: 0x340,
  LVT0: 0x350,
  LVT1: 0x360,
  LVTERR: 0x370,
  TMICT: 0x380,
  TMCCT: 0x390,
  TDCR: 0x3e0,
} as const;

/** APIC_DEFAULT_PHYS_BASE and LAPIC_MMIO_LENGTH. */
export const APIC_DEFAULT_PHYS_BASE = 0xfee00000;
export const LAPIC_MMIO_LENGTH = 0x1000;

export const APIC_SPIV_APIC_ENABLED = 0x100;
export const APIC_SPIV_DIRECTED_EOI = 0x1000;
export const APIC_LVT_MASKED = 0x10000;
/** APIC_VERSION (0x14) | (nr_lvt_entries - 1) << 16: six LVTs (no CMCI without MCG_CMCI_P), kvm_apic_set_version. */
export const APIC_LVR_VALUE = 0x14 | (5 << 16);

/** Delivery modes as kvm_lapic_irq.delivery_mode holds them (APIC_DM_*, apicdef.h). */
export const APIC_DM = { FIXED: 0x000, LOWEST: 0x100, SMI: 0x200, REMRD: 0x300, NMI: 0x400, INIT: 0x500, STARTUP: 0x600, EXTINT: 0x700 } as const;

/** The six LVT registers and the bits apic_lvt_mask lets a guest write (LVT_MASK, LINT_MASK, APIC_MODE_MASK). */
const LVT_MASK = 0x10000 | 0x1000 | 0xff; // APIC_LVT_MASKED | APIC_SEND_PENDING | APIC_VECTOR_MASK
const LINT_MASK = LVT_MASK | 0x700 | 0x2000 | 0x4000 | 0x8000; // | APIC_MODE_MASK | APIC_INPUT_POLARITY | APIC_LVT_REMOTE_IRR | APIC_LVT_LEVEL_TRIGGER
const LVTS: readonly [number, number][] = [
  // Timer: apic_lvt_mask | timer_mode_mask, which KVM_SET_CPUID2 sets (1 << 17, or 3 << 17 with TSC deadline);
  // devrr models no CPUID, so it stays 0 as kzalloc left it and a guest cannot select a timer mode.
  [APIC.LVTT, LVT_MASK],
  [APIC.LVTTHMR, LVT_MASK | 0x700],
  [APIC.LVTPC, LVT_MASK | 0x700],
  [APIC.LVT0, LINT_MASK],
  [APIC.LVT1, LINT_MASK],
  [APIC.LVTERR, LVT_MASK],
];

export function getReg(regs: Uint8Array, off: number): number {
  return (regs[off]! | (regs[off + 1]! << 8) | (regs[off + 2]! << 16) | (regs[off + 3]! << 24)) >>> 0;
}

export function setReg(regs: Uint8Array, off: number, v: number): void {
  regs[off] = v & 0xff;
  regs[off + 1] = (v >>> 8) & 0xff;
  regs[off + 2] = (v >>> 16) & 0xff;
  regs[off + 3] = (v >>> 24) & 0xff;
}

/** VEC_POS/REG_POS: a vector's bit in one of the 256-bit registers (ISR, TMR, IRR: eight words 0x10 apart). */
export function testVector(regs: Uint8Array, base: number, vec: number): boolean {
  return ((getReg(regs, base + (vec >> 5) * 0x10) >>> (vec & 31)) & 1) === 1;
}

function setVector(regs: Uint8Array, base: number, vec: number, on: boolean): void {
  const off = base + (vec >> 5) * 0x10;
  const w = getReg(regs, off);
  setReg(regs, off, on ? w | (1 << (vec & 31)) : w & ~(1 << (vec & 31)));
}

/** find_highest_vector: the highest vector set in a 256-bit register, or -1. */
export function highestVector(regs: Uint8Array, base: number): number {
  for (let w = 7; w >= 0; w--) {
    const v = getReg(regs, base + w * 0x10);
    if (v) return w * 32 + 31 - Math.clz32(v);
  }
  return -1;
}

/** The vectors set in a 256-bit register, ascending. */
export function vectorsIn(regs: Uint8Array, base: number): number[] {
  const out: number[] = [];
  for (let v = 0; v < 256; v++) if (testVector(regs, base, v)) out.push(v);
  return out;
}

/** kvm_apic_sw_enabled: SPIV's APIC-enable bit. */
export function swEnabled(regs: Uint8Array): boolean {
  return (getReg(regs, APIC.SPIV) & APIC_SPIV_APIC_ENABLED) !== 0;
}

/** kvm_xapic_id: APIC_ID >> 24. */
export function xapicId(regs: Uint8Array): number {
  return getReg(regs, APIC.ID) >>> 24;
}

/** kvm_lapic_reset (power-on, not INIT): ID = vcpu id, every LVT masked, LINT0 ExtINT on the BSP (vcpu 0), DFR flat, SPIV 0xff (software-disabled). */
export function lapicReset(vcpuId: number): Uint8Array {
  const regs = new Uint8Array(APIC_REG_SIZE);
  setReg(regs, APIC.ID, (vcpuId & 0xff) << 24); // kvm_apic_set_xapic_id takes a u8
  setReg(regs, APIC.LVR, APIC_LVR_VALUE);
  for (const [off] of LVTS) setReg(regs, off, APIC_LVT_MASKED);
  // kvm_vcpu_is_reset_bsp (bsp_vcpu_id 0) with KVM_X86_QUIRK_LINT0_REENABLED: LVT0 = SET_APIC_DELIVERY_MODE(0, APIC_MODE_EXTINT).
  if (vcpuId === 0) setReg(regs, APIC.LVT0, APIC_DM.EXTINT);
  setReg(regs, APIC.DFR, 0xffffffff);
  setReg(regs, APIC.SPIV, 0xff);
  return regs;
}

/** __apic_update_ppr: PPR is TPR, or the in-service class when that is higher. */
export function updatePpr(regs: Uint8Array): number {
  const tpr = getReg(regs, APIC.TASKPRI);
  const isr = highestVector(regs, APIC.ISR);
  const isrv = isr !== -1 ? isr : 0;
  const ppr = (tpr & 0xf0) >= (isrv & 0xf0) ? tpr & 0xff : isrv & 0xf0;
  setReg(regs, APIC.PROCPRI, ppr);
  return ppr;
}

/** kvm_apic_accept_pic_intr: the vcpu takes PIC (ExtINT) interrupts when LVT0 is unmasked ExtINT (the APIC is hardware-enabled here). */
export function acceptPicIntr(regs: Uint8Array): boolean {
  const lvt0 = getReg(regs, APIC.LVT0);
  return (lvt0 & APIC_LVT_MASKED) === 0 && (lvt0 & 0x700) === APIC_DM.EXTINT;
}

/** kvm_apic_has_interrupt / apic_has_interrupt_for_ppr: the highest IRR vector whose class is above PPR, or -1. */
export function apicHasInterrupt(regs: Uint8Array): number {
  const ppr = updatePpr(regs);
  const irr = highestVector(regs, APIC.IRR);
  return irr === -1 || (irr & 0xf0) <= ppr ? -1 : irr;
}

/** kvm_apic_ack_interrupt: the vector moves from IRR to ISR; PPR follows. */
export function apicAckInterrupt(regs: Uint8Array, vector: number): void {
  setVector(regs, APIC.IRR, vector, false);
  setVector(regs, APIC.ISR, vector, true);
  updatePpr(regs);
}

/** kvm_apic_pending_eoi: the vector is in ISR or IRR. */
export function pendingEoi(regs: Uint8Array, vector: number): boolean {
  return testVector(regs, APIC.ISR, vector) || testVector(regs, APIC.IRR, vector);
}

/**
 * __apic_accept_irq: 1 if the APIC took the interrupt. Fixed and
 * lowest-priority interrupts need the APIC enabled (software-disabled:
 * dropped, 0) and a level-triggered one an asserting level; the TMR bit
 * follows the trigger mode and the vector goes into IRR. NMI, INIT,
 * STARTUP, SMI and remote-read are accepted (1) without register state
 * here; ExtINT is the PIC's path (0).
 */
export function acceptIrq(regs: Uint8Array, deliveryMode: number, vector: number, level: number, trigMode: number): number {
  switch (deliveryMode) {
    case APIC_DM.LOWEST:
    case APIC_DM.FIXED:
      if (trigMode && !level) return 0;
      if (!swEnabled(regs)) return 0;
      if (testVector(regs, APIC.TMR, vector) !== !!trigMode) setVector(regs, APIC.TMR, vector, !!trigMode);
      setVector(regs, APIC.IRR, vector, true);
      return 1;
    case APIC_DM.REMRD:
    case APIC_DM.SMI:
    case APIC_DM.NMI:
    case APIC_DM.STARTUP:
      return 1;
    case APIC_DM.INIT:
      return !trigMode || level ? 1 : 0;
    default:
      return 0;
  }
}

/**
 * apic_set_eoi's part in the APIC: the highest in-service vector leaves ISR
 * and PPR follows. Returns the vector and whether TMR marks it
 * level-triggered (kvm_ioapic_send_eoi's trigger mode), or -1 when
 * nothing was in service.
 */
export function apicEoi(regs: Uint8Array): { vector: number; level: boolean } {
  const vector = highestVector(regs, APIC.ISR);
  if (vector === -1) return { vector, level: false };
  setVector(regs, APIC.ISR, vector, false);
  updatePpr(regs);
  return { vector, level: testVector(regs, APIC.TMR, vector) };
}

/** apic_set_spiv for a guest write: clearing the enable bit masks every LVT (kvm_lapic_reg_write APIC_SPIV). */
function writeSpiv(regs: Uint8Array, val: number): void {
  let mask = 0x3ff;
  if (getReg(regs, APIC.LVR) & (1 << 24)) mask |= APIC_SPIV_DIRECTED_EOI; // APIC_LVR_DIRECTED_EOI
  setReg(regs, APIC.SPIV, val & mask);
  if (!(val & APIC_SPIV_APIC_ENABLED)) for (const [off] of LVTS) setReg(regs, off, getReg(regs, off) | APIC_LVT_MASKED);
}

/** What a guest register write asks of the rest of the irqchip: an EOI to broadcast to the IOAPIC, an IPI to send. */
export interface LapicWriteEffect {
  eoi?: { vector: number; level: boolean };
  /** ICR low and high as kvm_apic_send_ipi takes them. */
  ipi?: { low: number; high: number };
}

/** kvm_lapic_reg_write for the xAPIC registers (a 32-bit write at a 16-byte aligned offset). */
export function lapicRegWrite(regs: Uint8Array, reg: number, val: number): LapicWriteEffect {
  switch (reg) {
    case APIC.ID:
      setReg(regs, APIC.ID, (val >>> 24) << 24); // kvm_apic_set_xapic_id(apic, val >> 24)
      return {};
    case APIC.TASKPRI:
      setReg(regs, APIC.TASKPRI, val & 0xff); // apic_set_tpr
      updatePpr(regs);
      return {};
    case APIC.EOI:
      return { eoi: apicEoi(regs) };
    case APIC.LDR:
      setReg(regs, APIC.LDR, val & 0xff000000); // APIC_LDR_MASK
      return {};
    case APIC.DFR:
      setReg(regs, APIC.DFR, (val | 0x0fffffff) >>> 0);
      return {};
    case APIC.SPIV:
      writeSpiv(regs, val);
      return {};
    case APIC.ICR: {
      // APIC_ICR_BUSY is cleared (KVM has no delay), the IPI sent, then the value stored.
      const low = val & ~(1 << 12);
      setReg(regs, APIC.ICR, low);
      return { ipi: { low: low >>> 0, high: getReg(regs, APIC.ICR2) } };
    }
    case APIC.ICR2:
      setReg(regs, APIC.ICR2, val & 0xff000000);
      return {};
    case APIC.LVTT:
    case APIC.LVTTHMR:
    case APIC.LVTPC:
    case APIC.LVT0:
    case APIC.LVT1:
    case APIC.LVTERR: {
      const mask = LVTS.find(([o]) => o === reg)![1];
      let v = val;
      if (!swEnabled(regs)) v |= APIC_LVT_MASKED;
      setReg(regs, reg, v & mask);
      return {};
    }
    case APIC.TMICT:
      setReg(regs, APIC.TMICT, val); // the timer itself is not modelled
      return {};
    case APIC.TDCR:
      setReg(regs, APIC.TDCR, val & 0xb);
      return {};
    default:
      // ESR writes and read-only registers: nothing is stored.
      return {};
  }
}

/** __apic_read: ARBPRI reads 0, TMCCT 0 (no timer), PPR recomputed; the rest straight from the page. */
export function apicRead(regs: Uint8Array, reg: number): number {
  switch (reg) {
    case APIC.ARBPRI:
      return 0;
    case APIC.TMCCT:
      return 0;
    case APIC.PROCPRI:
      return updatePpr(regs);
    default:
      return getReg(regs, reg);
  }
}

type LapicRow = RegRow<Uint8Array>;
const r = (name: string, offset: number, count?: number): LapicRow => ({
  name,
  offset,
  size: 4,
  ...(count && { count, stride: 0x10 }),
  widths: ACC8 | ACC16 | ACC32,
  read: (_vm, regs, _v, off) => apicRead(regs, off & ~0xf),
  write: (_vm, regs, _v, off, _l, val) => void lapicRegWrite(regs, off & ~0xf, val),
});

/**
 * The xAPIC registers a guest can read (kvm_lapic_readable_reg_mask in
 * xAPIC mode, six LVTs), 0x10 apart. EOI (0xb0) is written only; it is a
 * row so its writes have a name, and reads of it give 0 as the kernel's
 * refusal does.
 */
export const LAPIC_MMIO = new RegTable<Uint8Array>('local APIC (0xfee00000)', LAPIC_MMIO_LENGTH, [
  r('APIC_ID', APIC.ID),
  r('APIC_LVR', APIC.LVR),
  r('APIC_TASKPRI', APIC.TASKPRI),
  r('APIC_ARBPRI', APIC.ARBPRI),
  r('APIC_PROCPRI', APIC.PROCPRI),
  r('APIC_EOI', APIC.EOI),
  r('APIC_LDR', APIC.LDR),
  r('APIC_DFR', APIC.DFR),
  r('APIC_SPIV', APIC.SPIV),
  r('APIC_ISR', APIC.ISR, 8),
  r('APIC_TMR', APIC.TMR, 8),
  r('APIC_IRR', APIC.IRR, 8),
  r('APIC_ESR', APIC.ESR),
  r('APIC_ICR', APIC.ICR),
  r('APIC_ICR2', APIC.ICR2),
  r('APIC_LVTT', APIC.LVTT),
  r('APIC_LVTTHMR', APIC.LVTTHMR),
  r('APIC_LVTPC', APIC.LVTPC),
  r('APIC_LVT0', APIC.LVT0),
  r('APIC_LVT1', APIC.LVT1),
  r('APIC_LVTERR', APIC.LVTERR),
  r('APIC_TMICT', APIC.TMICT),
  r('APIC_TMCCT', APIC.TMCCT),
  r('APIC_TDCR', APIC.TDCR),
]);

/**
 * apic_mmio_read -> kvm_lapic_reg_read: an access that runs past the
 * register's first 4 bytes, or a register not readable, is refused
 * (reads 0 here); otherwise the bytes of the 32-bit value at the offset.
 */
export function lapicMmioRead(regs: Uint8Array, off: number, len: number): number {
  const alignment = off & 0xf;
  if (alignment + len > 4 || len > 4) return 0;
  const reg = off & ~0xf;
  const row = LAPIC_MMIO.find(reg);
  if (!row || reg > 0x3f0 || reg === APIC.EOI) return 0;
  const v = apicRead(regs, reg);
  const shifted = v >>> (alignment * 8);
  return len === 4 ? shifted >>> 0 : shifted & ((1 << (len * 8)) - 1);
}

/** apic_mmio_write: only a 4-byte write at a 16-byte aligned offset reaches kvm_lapic_reg_write; others are dropped. */
export function lapicMmioWrite(regs: Uint8Array, off: number, len: number, val: number): LapicWriteEffect {
  if (len !== 4 || off & 0xf) return {};
  return lapicRegWrite(regs, off & 0xff0, val >>> 0);
}

/**
 * kvm_apic_set_state (KVM_SET_LAPIC): the page is copied whole, then the
 * version is set again (kvm_apic_set_version), PPR recomputed, and the
 * current count reads 0 (no timer runs here).
 */
export function lapicSetState(regs: Uint8Array, data: Uint8Array): void {
  regs.set(data.subarray(0, APIC_REG_SIZE));
  if (data.length < APIC_REG_SIZE) regs.fill(0, data.length);
  setReg(regs, APIC.LVR, APIC_LVR_VALUE);
  updatePpr(regs);
  setReg(regs, APIC.TMCCT, 0);
}

/** kvm_apic_get_state (KVM_GET_LAPIC): the page, with TMCCT as __apic_read gives it. */
export function lapicGetState(regs: Uint8Array): Uint8Array {
  const out = regs.slice();
  setReg(out, APIC.TMCCT, apicRead(regs, APIC.TMCCT));
  return out;
}

/** kvm_apic_match_dest with no shorthand: physical or logical (flat/cluster) xAPIC destination. */
export function matchDest(regs: Uint8Array, dest: number, logical: boolean): boolean {
  if (dest === 0xff) return true; // kvm_apic_broadcast (xAPIC)
  if (!logical) return dest === xapicId(regs); // kvm_apic_match_physical_addr
  // kvm_apic_match_logical_addr: GET_APIC_LOGICAL_ID(LDR) against the 8-bit destination.
  const logicalId = getReg(regs, APIC.LDR) >>> 24;
  switch (getReg(regs, APIC.DFR)) {
    case 0xffffffff: // APIC_DFR_FLAT
      return (logicalId & dest) !== 0;
    case 0x0fffffff: // APIC_DFR_CLUSTER
      return logicalId >> 4 === dest >> 4 && (logicalId & dest & 0xf) !== 0;
    default:
      return false;
  }
}

/** A KVM_GET/SET_LAPIC page in words: ID, SVR, TPR/PPR, the vectors in IRR, ISR and TMR, LINT0. */
export function describeLapicPayload(data: Uint8Array): string {
  const regs = new Uint8Array(APIC_REG_SIZE);
  regs.set(data.subarray(0, APIC_REG_SIZE));
  const vecs = (base: number) => `[${vectorsIn(regs, base).map((v) => `0x${v.toString(16)}`).join(',')}]`;
  const h = (off: number) => `0x${getReg(regs, off).toString(16)}`;
  return `id=${xapicId(regs)} svr=${h(APIC.SPIV)} tpr=${h(APIC.TASKPRI)} ppr=${h(APIC.PROCPRI)} irr=${vecs(APIC.IRR)} isr=${vecs(APIC.ISR)} tmr=${vecs(APIC.TMR)} lint0=${h(APIC.LVT0)}`;
}
