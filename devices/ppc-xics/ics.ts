/**
 * The source side of the emulated XICS (arch/powerpc/kvm/book3s_xics.c):
 * the 64-bit source word of KVM_DEV_XICS_GRP_SOURCES as xics_get_source
 * and xics_set_source read and write it, KVM_IRQ_LINE (ics_deliver_irq),
 * connecting a vcpu (kvmppc_xics_connect_vcpu) and the per-vcpu one-reg
 * KVM_REG_PPC_ICP_STATE (kvmppc_xics_get_icp / kvmppc_xics_set_icp).
 */
import type { AttrOutcome, UserBuf } from '../core/device.js';
import { ERRNO, type Errno } from '../core/uapi.js';
import { checkResend, icpDeliverIrq } from './icp.js';
import { findIcs, findServer, newIcs, SRC, type XicsState } from './state.js';
import {
  KVM_INTERRUPT_SET,
  KVM_INTERRUPT_SET_LEVEL,
  KVM_INTERRUPT_UNSET,
  KVM_REG_PPC_ICP_CPPR_SHIFT,
  KVM_REG_PPC_ICP_MFRR_SHIFT,
  KVM_REG_PPC_ICP_PPRI_SHIFT,
  KVM_REG_PPC_ICP_XISR_MASK,
  KVM_REG_PPC_ICP_XISR_SHIFT,
  KVM_XICS_DESTINATION_MASK,
  KVM_XICS_LEVEL_SENSITIVE,
  KVM_XICS_MASKED,
  KVM_XICS_PENDING,
  KVM_XICS_PRESENTED,
  KVM_XICS_PRIORITY_MASK,
  KVM_XICS_PRIORITY_SHIFT,
  KVM_XICS_QUEUED,
  KVMPPC_XICS_FIRST_IRQ,
  KVMPPC_XICS_ICS_SHIFT,
  KVMPPC_XICS_NR_IRQS,
  MASKED,
  PQ_PRESENTED,
  PQ_QUEUED,
  XICS_IPI,
} from './uapi.js';

/**
 * xics_get_source: the word of source `attr`. The number reaches
 * kvmppc_xics_find_ics as a u32 (bits 63:32 of the attr are dropped) with
 * no range check: ENOENT when its ICS was never created or the source
 * never written (exists). A masked source reports MASKED with its saved
 * priority; PENDING is P for an LSI, masked_pending or resend for an MSI;
 * PRESENTED and QUEUED are the P and Q bits.
 */
export function getSource(s: XicsState, attr: bigint): AttrOutcome {
  const at = findIcs(s, Number(attr & 0xffffffffn));
  if (!at) return { errno: ERRNO.ENOENT };
  const { ics, src } = at;
  const flags = ics.flags[src]!;
  if (!(flags & SRC.EXISTS)) return { errno: ERRNO.ENOENT };
  let val = BigInt(ics.server[src]!);
  let prio = ics.priority[src]!;
  if (prio === MASKED) {
    val |= KVM_XICS_MASKED;
    prio = ics.savedPriority[src]!;
  }
  val |= BigInt(prio) << KVM_XICS_PRIORITY_SHIFT;
  const pq = ics.pq[src]!;
  if (flags & SRC.LSI) {
    val |= KVM_XICS_LEVEL_SENSITIVE;
    if (pq & PQ_PRESENTED) val |= KVM_XICS_PENDING;
  } else if (flags & (SRC.MASKED_PENDING | SRC.RESEND)) val |= KVM_XICS_PENDING;
  if (pq & PQ_PRESENTED) val |= KVM_XICS_PRESENTED;
  if (pq & PQ_QUEUED) val |= KVM_XICS_QUEUED;
  return { errno: 0, value: val };
}

/** The ICS of source `irq`, created if needed (kvmppc_xics_create_ics, under kvm->lock): sorted by id, max_icsid raised. */
function createIcs(s: XicsState, irq: number) {
  const icsid = irq >>> KVMPPC_XICS_ICS_SHIFT;
  const ics = newIcs(icsid);
  const at = s.ics.findIndex((x) => x.icsid > icsid);
  s.ics.splice(at < 0 ? s.ics.length : at, 0, ics);
  if (icsid > s.maxIcsid) s.maxIcsid = icsid;
}

/**
 * xics_set_source, in the kernel's order: ENOENT outside 16..2^20-1 (the
 * attr as a signed long); the ICS is created before the user word is read
 * (so a faulting write leaves it, EFAULT); EINVAL when the priority is not
 * MASKED and no vcpu has the server. Then the whole source is rewritten:
 * resend and masked_pending cleared, P from PRESENTED or PENDING (old
 * VMMs saved no P), Q from QUEUED; PENDING redelivers it.
 */
export function setSource(s: XicsState, attr: bigint, buf: UserBuf): Errno {
  const irq = BigInt.asIntN(64, attr);
  if (irq < BigInt(KVMPPC_XICS_FIRST_IRQ) || irq >= BigInt(KVMPPC_XICS_NR_IRQS)) return ERRNO.ENOENT;
  const n = Number(irq);
  if (!findIcs(s, n)) createIcs(s, n);
  const { ics, src } = findIcs(s, n)!;
  if (buf.nullPtr) return ERRNO.EFAULT;
  const val = BigInt.asUintN(64, buf.value);
  const server = Number(val & KVM_XICS_DESTINATION_MASK);
  let prio = Number((val >> KVM_XICS_PRIORITY_SHIFT) & KVM_XICS_PRIORITY_MASK);
  if (prio !== MASKED && findServer(s, server) < 0) return ERRNO.EINVAL;
  ics.server[src] = server;
  ics.savedPriority[src] = prio;
  if (val & KVM_XICS_MASKED) prio = MASKED;
  ics.priority[src] = prio;
  let flags = SRC.EXISTS;
  if (val & KVM_XICS_LEVEL_SENSITIVE) flags |= SRC.LSI;
  ics.flags[src] = flags;
  let pq = 0;
  if (val & (KVM_XICS_PRESENTED | KVM_XICS_PENDING)) pq |= PQ_PRESENTED;
  if (val & KVM_XICS_QUEUED) pq |= PQ_QUEUED;
  ics.pq[src] = pq;
  if (val & KVM_XICS_PENDING) icpDeliverIrq(s, -1, n, false);
  return 0;
}

/**
 * ics_deliver_irq, through KVM_IRQ_LINE (kvm_set_irq -> kvmppc_book3s_set_irq
 * -> kvmppc_xics_set_irq). SET and SET_LEVEL count as 1, UNSET as 0, any
 * other non-zero level as 1. An MSI ignores 0; a 1 shifts P into Q and sets
 * P. An LSI at 1 sets P (nothing if P is already set), at 0 clears P and Q.
 * Only P=1,Q=0 presents. Unknown or never-written sources are refused
 * (EINVAL), but kvm_vm_ioctl_irq_line (powerpc.c) returns 0 regardless.
 */
export function icsDeliverIrq(s: XicsState, irq: number, level: number): void {
  const at = findIcs(s, irq);
  if (!at) return;
  const { ics, src } = at;
  if (!(ics.flags[src]! & SRC.EXISTS)) return;
  const lvl = level === KVM_INTERRUPT_SET_LEVEL || level === KVM_INTERRUPT_SET ? 1 : level === KVM_INTERRUPT_UNSET ? 0 : level;
  const lsi = (ics.flags[src]! & SRC.LSI) !== 0;
  if (!lsi && lvl === 0) return;
  const old = ics.pq[src]!;
  let pq: number;
  if (lsi) {
    if (lvl) {
      if (old & PQ_PRESENTED) return;
      pq = PQ_PRESENTED;
    } else pq = 0;
  } else pq = ((old << 1) & 3) | PQ_PRESENTED;
  ics.pq[src] = pq;
  if (pq === PQ_PRESENTED) icpDeliverIrq(s, -1, irq, false);
}

/**
 * kvmppc_xics_connect_vcpu after the generic checks (the fd is a XICS:
 * else EPERM): EBUSY when the vcpu is already connected (irq_type is not
 * KVMPPC_IRQ_DEFAULT), then kvmppc_xics_create_icp: EEXIST when another
 * vcpu has the server number (args[1], as a u32). A new ICP has CPPR 0
 * (everything masked), MFRR and pending priority MASKED, nothing pending.
 */
export function connectVcpu(s: XicsState, vcpu: number, args: readonly bigint[], irqTypeSet: boolean): Errno {
  const c = s.icp[vcpu]!;
  // vcpu->arch.irq_type != KVMPPC_IRQ_DEFAULT: connected to this or another irqchip already.
  if (c.connected || irqTypeSet) return ERRNO.EBUSY;
  const server = Number((args[1] ?? 0n) & 0xffffffffn);
  if (findServer(s, server) >= 0) return ERRNO.EEXIST;
  Object.assign(c, { connected: true, server, cppr: 0, mfrr: MASKED, pendingPri: MASKED, xisr: 0, needResend: false, outEe: false });
  c.resendMap.fill(0);
  return 0;
}

/** kvmppc_xics_get_icp: KVM_REG_PPC_ICP_STATE of a vcpu (0 without an ICP). */
export function getIcp(s: XicsState, vcpu: number): bigint {
  const c = s.icp[vcpu];
  if (!c?.connected) return 0n;
  return (BigInt(c.cppr) << KVM_REG_PPC_ICP_CPPR_SHIFT) | (BigInt(c.xisr) << KVM_REG_PPC_ICP_XISR_SHIFT) | (BigInt(c.mfrr) << KVM_REG_PPC_ICP_MFRR_SHIFT) | (BigInt(c.pendingPri) << KVM_REG_PPC_ICP_PPRI_SHIFT);
}

/**
 * kvmppc_xics_set_icp: ENOENT without an ICP; EINVAL for an inconsistent
 * state (nothing pending needs pending priority 0xff; a pending IPI needs
 * pending priority = MFRR < CPPR; a pending source needs pending priority
 * below MFRR and CPPR and an existing ICS). The displaced interrupt is not
 * rejected (userspace restores the sources consistently); need_resend is
 * kept unless MFRR becomes less favoured, which runs the resends.
 */
export function setIcp(s: XicsState, vcpu: number, icpval: bigint): Errno {
  const c = s.icp[vcpu];
  if (!c?.connected) return ERRNO.ENOENT;
  const cppr = Number((icpval >> KVM_REG_PPC_ICP_CPPR_SHIFT) & 0xffn);
  const xisr = Number((icpval >> KVM_REG_PPC_ICP_XISR_SHIFT) & KVM_REG_PPC_ICP_XISR_MASK);
  const mfrr = Number((icpval >> KVM_REG_PPC_ICP_MFRR_SHIFT) & 0xffn);
  const pendingPri = Number((icpval >> KVM_REG_PPC_ICP_PPRI_SHIFT) & 0xffn);
  if (xisr === 0) {
    if (pendingPri !== 0xff) return ERRNO.EINVAL;
  } else if (xisr === XICS_IPI) {
    if (pendingPri !== mfrr || pendingPri >= cppr) return ERRNO.EINVAL;
  } else {
    if (pendingPri >= mfrr || pendingPri >= cppr) return ERRNO.EINVAL;
    if (!findIcs(s, xisr)) return ERRNO.EINVAL;
  }
  let resend = false;
  if (mfrr > c.mfrr) {
    resend = c.needResend;
    c.needResend = false;
  }
  c.cppr = cppr;
  c.xisr = xisr;
  c.mfrr = mfrr;
  c.pendingPri = pendingPri;
  c.outEe = xisr !== 0 && pendingPri < cppr;
  if (resend) checkResend(s, vcpu);
  return 0;
}

