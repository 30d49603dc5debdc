/**
 * KVM's OpenPIC emulation (arch/powerpc/kvm/mpic.c), function by function:
 * the raised/servicing queues (IRQ_check), delivery to a CPU
 * (IRQ_local_pipe), a source's state change (openpic_update_irq), a line
 * (openpic_set_irq), reset (openpic_reset), the per-source registers
 * (read/write_IRQreg_*), acknowledge (openpic_iack), the per-CPU registers
 * (openpic_cpu_read/write_internal) and the MSI bank (openpic_msi_*).
 * Each function keeps the kernel's quirks; the comments name them.
 */
import {
  GCR_RESET,
  IDR_CI0_SHIFT,
  IDR_EP,
  ILR_INTTGT_INT,
  ILR_INTTGT_CINT,
  IRQ_IPI0,
  IRQ_MSI,
  IRQ_TYPE,
  irqType,
  IVPR,
  MAX_CPU,
  MAX_IPI,
  MAX_IRQ,
  NUM_OUTPUTS,
  QUEUE_WORDS,
  TBCR_CI,
  VECTOR_MASK,
  VID,
} from './uapi.js';
import { infoOf, type MpicState } from './state.js';

/** IVPR_PRIORITY. */
export const priorityOf = (ivpr: number): number => (ivpr >>> 16) & 0xf;

// ---- struct irq_queue ----------------------------------------------------------

export const qTest = (q: Uint32Array, cpu: number, n: number): boolean => ((q[cpu * QUEUE_WORDS + (n >>> 5)]! >>> (n & 31)) & 1) === 1;
const qSet = (q: Uint32Array, cpu: number, n: number): void => {
  q[cpu * QUEUE_WORDS + (n >>> 5)]! |= 1 << (n & 31);
};
const qReset = (q: Uint32Array, cpu: number, n: number): void => {
  q[cpu * QUEUE_WORDS + (n >>> 5)]! &= ~(1 << (n & 31));
};

type Queue = 'raised' | 'servicing';

/**
 * IRQ_check: the queue's highest-priority member (the lowest number on a
 * tie: only a strictly higher priority replaces it), cached in next/priority.
 * An empty queue caches next -1, priority -1.
 */
export function irqCheck(s: MpicState, cpu: number, which: Queue): number {
  const q = s[which];
  let next = -1;
  let priority = -1;
  for (let w = 0; w < QUEUE_WORDS; w++) {
    let bits = q[cpu * QUEUE_WORDS + w]!;
    while (bits) {
      const b = 31 - Math.clz32(bits & -bits);
      bits &= bits - 1;
      const irq = w * 32 + b;
      if (irq >= MAX_IRQ) break;
      const p = priorityOf(s.ivpr[irq]!);
      if (p > priority) {
        next = irq;
        priority = p;
      }
    }
  }
  if (which === 'raised') {
    s.raisedNext[cpu] = next;
    s.raisedPrio[cpu] = priority;
  } else {
    s.servicingNext[cpu] = next;
    s.servicingPrio[cpu] = priority;
  }
  return next;
}

/** IRQ_get_next: IRQ_check, then the cached next. */
export const irqGetNext = irqCheck;

// ---- the outputs to the vcpus -------------------------------------------------------

/** mpic_irq_raise: only the INT output of a CPU with a vcpu does anything (kvm_vcpu_ioctl_interrupt, KVM_INTERRUPT_SET_LEVEL). */
function mpicIrqRaise(s: MpicState, cpu: number, output: number): void {
  if (s.cpuVcpu[cpu]! < 0 || output !== ILR_INTTGT_INT) return;
  s.intOut[cpu] = 1;
}

/** mpic_irq_lower: kvmppc_core_dequeue_external on the CPU's vcpu, INT output only. */
function mpicIrqLower(s: MpicState, cpu: number, output: number): void {
  if (s.cpuVcpu[cpu]! < 0 || output !== ILR_INTTGT_INT) return;
  s.intOut[cpu] = 0;
}

/**
 * IRQ_local_pipe: a source's activity reaches one CPU. Non-INT outputs
 * (critical, machine check) count their asserting sources and ignore
 * priority; the kernel indexes outputs_active[] with the raw ILR output
 * (0-255 on 4.2), writing past its three entries for an output above 2:
 * devrr does not count those (a raise or lower of them does nothing either).
 * On INT: the source joins or leaves the raised queue even when its
 * priority is not above CTPR ("in case ctpr is lowered later"), and the
 * INT output follows raised/servicing/CTPR.
 */
function irqLocalPipe(s: MpicState, cpu: number, n: number, active: boolean, wasActive: boolean): void {
  const out = s.output[n]!;
  if (out !== ILR_INTTGT_INT) {
    const i = cpu * NUM_OUTPUTS + out;
    if (active) {
      if (!wasActive && (out >= NUM_OUTPUTS || s.outputsActive[i]!++ === 0)) mpicIrqRaise(s, cpu, out);
    } else if (wasActive && (out >= NUM_OUTPUTS || --s.outputsActive[i]! === 0)) mpicIrqLower(s, cpu, out);
    return;
  }
  const priority = priorityOf(s.ivpr[n]!);
  if (active) qSet(s.raised, cpu, n);
  else qReset(s.raised, cpu, n);
  irqCheck(s, cpu, 'raised');
  if (active && priority <= s.ctpr[cpu]!) active = false;
  if (active) {
    // Hidden by a servicing interrupt of the same or higher priority: no raise.
    if (irqGetNext(s, cpu, 'servicing') >= 0 && priority <= s.servicingPrio[cpu]!) return;
    mpicIrqRaise(s, cpu, ILR_INTTGT_INT);
  } else {
    irqGetNext(s, cpu, 'servicing');
    // Another raised interrupt still beats CTPR and the servicing one: the line stays asserted.
    if (s.raisedPrio[cpu]! > s.ctpr[cpu]! && s.raisedPrio[cpu]! > s.servicingPrio[cpu]!) return;
    mpicIrqLower(s, cpu, ILR_INTTGT_INT);
  }
}

/**
 * openpic_update_irq: the source's activity is pending and not masked (a
 * critical source on 2.0 ignores the mask: nomask); IVPR.A follows it; then
 * delivery to its destination: the single CPU of last_cpu, every CPU of the
 * mask below nb_cpus (directed), or the next one round-robin (distributed,
 * IVPR.MODE, which no IVPR write can set).
 */
export function openpicUpdateIrq(s: MpicState, n: number): void {
  let active = s.pending[n]! !== 0;
  if (s.ivpr[n]! & IVPR.MASK && !s.nomask[n]) active = false;
  const wasActive = (s.ivpr[n]! & IVPR.ACTIVITY) !== 0;
  // No early return for "already active": CTPR may have changed and the interrupt be withdrawn.
  if (!active && !wasActive) return;
  if (active) s.ivpr[n] = (s.ivpr[n]! | IVPR.ACTIVITY) >>> 0;
  else s.ivpr[n] = (s.ivpr[n]! & ~IVPR.ACTIVITY) >>> 0;
  const dm = s.destmask[n]!;
  if (dm === 0) return;
  if (dm === (1 << s.lastCpu[n]!) >>> 0) {
    irqLocalPipe(s, s.lastCpu[n]!, n, active, wasActive);
  } else if (!(s.ivpr[n]! & IVPR.MODE)) {
    for (let i = 0; i < s.nbCpus; i++) if (dm & (1 << i)) irqLocalPipe(s, i, n, active, wasActive);
  } else {
    // Distributed delivery. No guest or VMM write can set IVPR.MODE (write_IRQreg_ivpr's mask leaves
    // it out, and the schema refuses it in a checkpoint); the kernel's loop, which never ends when
    // last_cpu is at or above nb_cpus, is bounded here all the same.
    for (let i = s.lastCpu[n]! + 1, k = 0; i !== s.lastCpu[n] && k <= MAX_CPU; i++, k++) {
      if (i >= s.nbCpus) i = 0;
      if (dm & (1 << i)) {
        irqLocalPipe(s, i, n, active, wasActive);
        s.lastCpu[n] = i;
        break;
      }
    }
  }
}

/**
 * openpic_set_irq: a level-sensitive source's pending is the level as given
 * (KVM_IRQ_LINE's level, any u32: pending keeps it and IRQ_ACTIVE reads it
 * back); an edge source latches on a non-zero level, and on a non-INT output
 * drops it again at once.
 */
export function openpicSetIrq(s: MpicState, n: number, level: number): void {
  if (n >= MAX_IRQ) return; // WARN_ONCE: out of range
  if (s.level[n]) {
    s.pending[n] = level >>> 0;
    openpicUpdateIrq(s, n);
    return;
  }
  if (level) {
    s.pending[n] = 1;
    openpicUpdateIrq(s, n);
  }
  if (s.output[n] !== ILR_INTTGT_INT) {
    s.pending[n] = 0;
    openpicUpdateIrq(s, n);
  }
}

/**
 * openpic_reset: GCR, FRR, SPVE, TFRR, every source's IVPR and IDR (internal
 * sources with the polarity bit set), every CPU's CTPR (15) and queues
 * (next -1, priority 0: the memset's), the timers. Not touched: pending,
 * the destination masks, outputs, the MSI registers, the vcpus' INT lines.
 */
export function openpicReset(s: MpicState): void {
  s.gcr = GCR_RESET;
  s.frr = (((infoOf(s).nbIrqs - 1) << 16) | VID) >>> 0;
  s.spve = -1 & VECTOR_MASK;
  s.tfrr = 0;
  for (let i = 0; i < MAX_IRQ; i++) {
    s.ivpr[i] = IVPR.MASK;
    s.idr[i] = 1;
    const t = irqType(i);
    if (t === IRQ_TYPE.NORMAL) s.level[i] = 0; // ivpr_reset has no SENSE
    else if (t === IRQ_TYPE.FSLINT) s.ivpr[i] = (s.ivpr[i]! | IVPR.POLARITY) >>> 0;
  }
  s.ctpr.fill(15);
  s.raised.fill(0);
  s.servicing.fill(0);
  s.raisedNext.fill(-1);
  s.raisedPrio.fill(0);
  s.servicingNext.fill(-1);
  s.servicingPrio.fill(0);
  s.tccr.fill(0);
  s.tbcr.fill(TBCR_CI);
  s.gcr = 0;
}

// ---- per-source registers ------------------------------------------------------------

/** read_IRQreg_ilr: the output on 4.2 (OPENPIC_FLAG_ILR), all ones on 2.0. */
export function readIlr(s: MpicState, n: number): number {
  return infoOf(s).ilr ? s.output[n]! : 0xffffffff;
}

/** crit_mask = mask << crit_shift, as a ppc64 shift of a negative or >= 32 amount gives: 0. */
function shl32(v: number, by: number): number {
  return by < 0 || by >= 32 ? 0 : (v << by) >>> 0;
}

/**
 * write_IRQreg_idr: the destination bits kept are those of connected CPU
 * numbers (below nb_cpus: with no vcpu connected, none); on 2.0 also the
 * CI bits (critical, from bit 30 down) and EP. A critical destination makes
 * the source critical (output CINT, ignores the mask); the destination mask
 * is derived here and nowhere else.
 */
export function writeIdr(s: MpicState, n: number, val: number): void {
  const normal = s.nbCpus >= 32 ? 0xffffffff : ((1 << s.nbCpus) - 1) >>> 0;
  let mask = normal;
  let crit = 0;
  const idrCrit = infoOf(s).idrCrit;
  if (idrCrit) {
    crit = shl32(mask, 31 - s.nbCpus);
    mask = (mask | crit | IDR_EP) >>> 0;
  }
  s.idr[n] = (val & mask) >>> 0;
  if (!idrCrit) {
    s.destmask[n] = s.idr[n]!;
    return;
  }
  if (s.idr[n]! & crit) {
    s.output[n] = ILR_INTTGT_CINT;
    s.nomask[n] = 1;
    let dm = 0;
    for (let i = 0; i < s.nbCpus; i++) if (s.idr[n]! & shl32(1, IDR_CI0_SHIFT - i)) dm |= 1 << i;
    s.destmask[n] = dm >>> 0;
  } else {
    s.output[n] = ILR_INTTGT_INT;
    s.nomask[n] = 0;
    s.destmask[n] = (s.idr[n]! & normal) >>> 0;
  }
}

/** write_IRQreg_ilr: 4.2 only, the output is the low byte as written. */
export function writeIlr(s: MpicState, n: number, val: number): void {
  if (infoOf(s).ilr) s.output[n] = val & 0xff;
}

/**
 * write_IRQreg_ivpr: mask, priority, sense, polarity and vector are
 * writable, ACTIVITY is kept (read-only), MODE is not writable. Internal
 * sources clear SENSE (always level); timers and IPIs clear SENSE and
 * POLARITY (always edge); a normal source's sense bit sets its trigger.
 * Then the source is re-evaluated.
 */
export function writeIvpr(s: MpicState, n: number, val: number): void {
  const mask = IVPR.MASK | IVPR.PRIORITY | IVPR.SENSE | IVPR.POLARITY | VECTOR_MASK;
  let v = ((s.ivpr[n]! & IVPR.ACTIVITY) | (val & mask)) >>> 0;
  const t = irqType(n);
  if (t === IRQ_TYPE.NORMAL) s.level[n] = v & IVPR.SENSE ? 1 : 0;
  else if (t === IRQ_TYPE.FSLINT) v = (v & ~IVPR.SENSE) >>> 0;
  else v = (v & ~(IVPR.POLARITY | IVPR.SENSE)) >>> 0;
  s.ivpr[n] = v;
  openpicUpdateIrq(s, n);
}

/** openpic_gcr_write: RESET resets the whole controller; otherwise only the model's mode bits change. */
export function writeGcr(s: MpicState, val: number): void {
  if (val & GCR_RESET) {
    openpicReset(s);
    return;
  }
  const m = infoOf(s).modeMask;
  s.gcr = ((s.gcr & ~m) | (val & m)) >>> 0;
}

// ---- per-CPU registers ---------------------------------------------------------------

/**
 * openpic_iack: lower the CPU's INT output; take the highest raised
 * source. None: SPVE. One that is no longer active or not above CTPR
 * ("bad raised IRQ"): re-evaluate it and answer SPVE. Otherwise it enters
 * servicing and its vector is the answer. An edge source stops pending and
 * leaves the raised queue either way. An IPI forgets this CPU, and while
 * other CPUs of its mask have not taken it, it is raised again for them and
 * stays active.
 */
export function openpicIack(s: MpicState, cpu: number): number {
  mpicIrqLower(s, cpu, ILR_INTTGT_INT);
  const irq = irqGetNext(s, cpu, 'raised');
  if (irq === -1) return s.spve;
  let ret: number;
  if (!(s.ivpr[irq]! & IVPR.ACTIVITY) || !(priorityOf(s.ivpr[irq]!) > s.ctpr[cpu]!)) {
    openpicUpdateIrq(s, irq);
    ret = s.spve;
  } else {
    qSet(s.servicing, cpu, irq);
    ret = s.ivpr[irq]! & VECTOR_MASK;
  }
  if (!s.level[irq]) {
    s.ivpr[irq] = (s.ivpr[irq]! & ~IVPR.ACTIVITY) >>> 0;
    s.pending[irq] = 0;
    qReset(s.raised, cpu, irq);
  }
  if (irq >= IRQ_IPI0 && irq < IRQ_IPI0 + MAX_IPI) {
    s.destmask[irq] = (s.destmask[irq]! & ~(1 << cpu)) >>> 0;
    if (s.destmask[irq] && !s.level[irq]) {
      openpicSetIrq(s, irq, 1);
      openpicSetIrq(s, irq, 0);
      s.ivpr[irq] = (s.ivpr[irq]! | IVPR.ACTIVITY) >>> 0;
    }
  }
  return ret;
}

/**
 * openpic_cpu_write_internal for CPU `cpu` (-1: no current CPU, ignored),
 * `off` inside the CPU's page: IPIDR0-3 add CPUs to the IPI's destination
 * mask (unmasked by nb_cpus) and pulse it; CTPR sets the task priority and
 * moves the INT output by the cached queue priorities; EOI ends the
 * highest-priority servicing source and raises INT for the next raised
 * one if it beats the remaining servicing priority (CTPR is not consulted).
 */
export function cpuWrite(s: MpicState, off: number, val: number, cpu: number): void {
  if (cpu < 0 || off & 0xf) return;
  const a = off & 0xff0;
  if (a >= 0x40 && a <= 0x70) {
    const ipi = IRQ_IPI0 + ((a - 0x40) >> 4);
    s.destmask[ipi] = (s.destmask[ipi]! | val) >>> 0;
    openpicSetIrq(s, ipi, 1);
    openpicSetIrq(s, ipi, 0);
  } else if (a === 0x80) {
    s.ctpr[cpu] = val & 0xf;
    if (s.raisedPrio[cpu]! <= s.ctpr[cpu]!) mpicIrqLower(s, cpu, ILR_INTTGT_INT);
    else if (s.raisedPrio[cpu]! > s.servicingPrio[cpu]!) mpicIrqRaise(s, cpu, ILR_INTTGT_INT);
  } else if (a === 0xb0) {
    const done = irqGetNext(s, cpu, 'servicing');
    if (done < 0) return; // EOI with no interrupt in service
    qReset(s.servicing, cpu, done);
    const sIrq = irqGetNext(s, cpu, 'servicing');
    const nIrq = irqGetNext(s, cpu, 'raised');
    if (nIrq !== -1 && (sIrq === -1 || priorityOf(s.ivpr[nIrq]!) > s.servicingPrio[cpu]!)) mpicIrqRaise(s, cpu, ILR_INTTGT_INT);
    // kvm_notify_acked_irq(kvm, 0, done): irqfd resamplers, none modelled.
  }
  // WHOAMI and IACK are read-only.
}

/** openpic_cpu_read_internal: CTPR, WHOAMI (the CPU number), IACK (acknowledges), EOI reads 0; all ones elsewhere and without a current CPU. */
export function cpuRead(s: MpicState, off: number, cpu: number): number {
  if (cpu < 0 || off & 0xf) return 0xffffffff;
  switch (off & 0xff0) {
    case 0x80:
      return s.ctpr[cpu]!;
    case 0x90:
      return cpu;
    case 0xa0:
      return openpicIack(s, cpu);
    case 0xb0:
      return 0;
    default:
      return 0xffffffff;
  }
}

// ---- MSI ---------------------------------------------------------------------------------

/** openpic_msi_write at MSIIR: SRS picks the bank, IBS the bit; the bank's source (224 + SRS) is raised. */
export function msiiWrite(s: MpicState, val: number): void {
  const srs = val >>> 29;
  const ibs = (val >>> 24) & 0x1f;
  s.msir[srs] = (s.msir[srs]! | (1 << ibs)) >>> 0;
  openpicSetIrq(s, IRQ_MSI + srs, 1);
}

/** Timer `idx`'s TBCR write (openpic_tmr_write): clearing CI while TOG is set clears TOG. */
export function writeTbcr(s: MpicState, idx: number, val: number): void {
  if (s.tccr[idx]! & 0x80000000 && !(val & TBCR_CI) && s.tbcr[idx]! & TBCR_CI) s.tccr[idx] = (s.tccr[idx]! & ~0x80000000) >>> 0;
  s.tbcr[idx] = val >>> 0;
}
