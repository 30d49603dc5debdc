/**
 * The presentation side of the emulated XICS (arch/powerpc/kvm/book3s_xics.c,
 * "ICP routines, including hcalls"): delivery of a source to its server's
 * ICP with rejects and resends, and the PAPR hypercalls a connected vcpu
 * makes (virtual mode: kvmppc_xics_hcall; HV KVM's real-mode handlers give
 * the same results or fall back here with H_TOO_HARD).
 *
 * The kernel updates an ICP with compare-and-swap loops and takes an ICS
 * lock per delivery; devrr runs one event at a time, so each loop runs once
 * and the races the comments there discuss (need_resend cleared between
 * the transaction and setting the resend bit) cannot happen.
 */
import { findIcs, findServer, resendBit, setResendBit, SRC, type XicsIcp, type XicsState } from './state.js';
import { H_CALL, H_RC, KVMPPC_XICS_ICS_SHIFT, MASKED, PQ_PRESENTED, XICS_IPI } from './uapi.js';

/**
 * icp_try_update's one rule: the output to the vcpu (out_ee) is
 * recomputed from the new state, xisr && pending_pri < cppr.
 */
function update(icp: XicsIcp): void {
  icp.outEe = icp.xisr !== 0 && icp.pendingPri < icp.cppr;
}

/**
 * icp_try_to_deliver: present `irq` at `priority` if it is more favoured
 * than CPPR, MFRR and what is pending; the interrupt it displaces is
 * returned to be rejected (0 none). Otherwise need_resend is set.
 */
function tryToDeliver(icp: XicsIcp, irq: number, priority: number): { ok: boolean; reject: number } {
  const ok = icp.cppr > priority && icp.mfrr > priority && icp.pendingPri > priority;
  let reject = 0;
  if (ok) {
    reject = icp.xisr;
    icp.xisr = irq;
    icp.pendingPri = priority;
  } else icp.needResend = true;
  update(icp);
  return { ok, reject };
}

/**
 * icp_deliver_irq: deliver source `irq` to the ICP of its server (`icp`, a
 * vcpu index, is a hint redone when the source names another server). A
 * masked source latches masked_pending; a failed delivery sets the
 * source's resend bit and its ICS's bit in the ICP's resend map; a delivery
 * that displaced another source starts over for that one (an IPI displaced
 * is not rejected: MFRR still holds it). With `checkResend` only a source
 * whose resend bit is still set is delivered.
 */
export function icpDeliverIrq(s: XicsState, icp: number, irq: number, checkResend: boolean): void {
  for (;;) {
    const at = findIcs(s, irq);
    if (!at) return;
    const { ics, src } = at;
    if (icp < 0 || ics.server[src] !== s.icp[icp]!.server) {
      icp = findServer(s, ics.server[src]!);
      // pr_warn("icp_deliver_irq: IRQ ... server ... not found"): the interrupt stays as it is.
      if (icp < 0) return;
    }
    if (checkResend && !(ics.flags[src]! & SRC.RESEND)) return;
    ics.flags[src]! &= ~SRC.RESEND;
    if (ics.priority[src] === MASKED) {
      ics.flags[src]! |= SRC.MASKED_PENDING;
      return;
    }
    const c = s.icp[icp]!;
    const r = tryToDeliver(c, irq, ics.priority[src]!);
    if (r.ok) {
      if (r.reject && r.reject !== XICS_IPI) {
        irq = r.reject;
        checkResend = false;
        continue;
      }
      return;
    }
    ics.flags[src]! |= SRC.RESEND;
    setResendBit(c, ics.icsid, true);
    // The kernel retries when need_resend was cleared meanwhile; one event at a time, it never is.
    return;
  }
}

/** icp_check_resend: every ICS whose bit is set in the ICP's resend map (ascending, bits read as they change) resends its sources marked resend. */
export function checkResend(s: XicsState, icp: number): void {
  const c = s.icp[icp]!;
  for (let icsid = 0; icsid <= s.maxIcsid; icsid++) {
    if (!resendBit(c, icsid)) continue;
    setResendBit(c, icsid, false);
    const ics = s.ics.find((x) => x.icsid === icsid);
    if (!ics) continue;
    // ics_check_resend: each source whose resend bit is set, in source order.
    for (let i = 0; i < ics.flags.length; i++) if (ics.flags[i]! & SRC.RESEND) icpDeliverIrq(s, icp, (icsid << KVMPPC_XICS_ICS_SHIFT) | i, true);
  }
}

/**
 * icp_down_cppr (Down_CPPR, Resend, Check_IPI): load the less favoured
 * CPPR; an MFRR now more favoured than it and than what is pending
 * becomes the pending IPI; a latched need_resend is cleared and the
 * resends run.
 */
function downCppr(s: XicsState, icp: number, newCppr: number): void {
  const c = s.icp[icp]!;
  c.cppr = newCppr;
  if (c.mfrr < newCppr && c.mfrr <= c.pendingPri) {
    // The kernel WARNs if xisr held a source here; it is overwritten all the same.
    c.pendingPri = c.mfrr;
    c.xisr = XICS_IPI;
  }
  const resend = c.needResend;
  c.needResend = false;
  update(c);
  if (resend) checkResend(s, icp);
}

/** kvmppc_h_xirr (Accept_Interrupt): return XISR with CPPR in bits 31:24; a pending interrupt is accepted: CPPR takes its priority, XISR clears. */
function hXirr(c: XicsIcp): bigint {
  const xirr = BigInt(((c.cppr << 24) | c.xisr) >>> 0);
  if (!c.xisr) return xirr;
  c.cppr = c.pendingPri;
  c.pendingPri = 0xff;
  c.xisr = 0;
  update(c);
  return xirr;
}

/**
 * kvmppc_h_ipi (Set_MFRR, Check_IPI): set the MFRR of `server`'s ICP
 * (H_PARAMETER if no vcpu has that server; the lookup compares the low 32
 * bits, "local" the whole register). The comparisons use the whole
 * 64-bit `mfrr`; the ICP keeps its low byte. An MFRR more favoured than
 * CPPR and than what is pending becomes the pending IPI and rejects what
 * was there; an MFRR made less favoured runs the resends.
 */
function hIpi(s: XicsState, self: number, server: bigint, mfrr: bigint): number {
  let icp = self;
  const local = BigInt(s.icp[self]!.server) === server;
  if (!local) {
    icp = findServer(s, Number(server & 0xffffffffn));
    if (icp < 0) return H_RC.H_PARAMETER;
  }
  const c = s.icp[icp]!;
  const oldMfrr = c.mfrr;
  c.mfrr = Number(mfrr & 0xffn);
  let reject = 0;
  let resend = false;
  if (mfrr < BigInt(c.cppr) && mfrr <= BigInt(c.pendingPri)) {
    reject = c.xisr;
    c.pendingPri = c.mfrr;
    c.xisr = XICS_IPI;
  }
  if (mfrr > BigInt(oldMfrr)) {
    resend = c.needResend;
    c.needResend = false;
  }
  update(c);
  if (reject && reject !== XICS_IPI) icpDeliverIrq(s, icp, reject, false);
  if (resend) checkResend(s, icp);
  return H_RC.H_SUCCESS;
}

/** kvmppc_h_ipoll: another (or this) server's XIRR without accepting it, and its MFRR; H_PARAMETER for a server no vcpu has. */
function hIpoll(s: XicsState, self: number, server: bigint): { rc: number; xirr: number; mfrr: number } {
  let icp = self;
  if (BigInt(s.icp[self]!.server) !== server) {
    icp = findServer(s, Number(server & 0xffffffffn));
    if (icp < 0) return { rc: H_RC.H_PARAMETER, xirr: 0, mfrr: 0 };
  }
  const c = s.icp[icp]!;
  return { rc: H_RC.H_SUCCESS, xirr: ((c.cppr << 24) | c.xisr) >>> 0, mfrr: c.mfrr };
}

/**
 * kvmppc_h_cppr (Set_CPPR): a less favoured CPPR (compared as 64 bits)
 * goes through Down_CPPR; an equal one does nothing; then, in both other
 * cases, Up_CPPR runs: CPPR takes the low byte and a pending interrupt no
 * longer more favoured than it is rejected (redelivered elsewhere or
 * marked for resend), as the kernel's code falls through.
 */
function hCppr(s: XicsState, icp: number, cppr: bigint): void {
  const c = s.icp[icp]!;
  if (cppr > BigInt(c.cppr)) downCppr(s, icp, Number(cppr & 0xffn));
  else if (cppr === BigInt(c.cppr)) return;
  let reject = 0;
  c.cppr = Number(cppr & 0xffn);
  if (cppr <= BigInt(c.pendingPri)) {
    reject = c.xisr;
    c.xisr = 0;
    c.pendingPri = 0xff;
  }
  update(c);
  if (reject && reject !== XICS_IPI) icpDeliverIrq(s, icp, reject, false);
}

/**
 * ics_eoi: the source side of an EOI. An LSI keeps P (the line is still
 * asserted: presented again); an MSI shifts Q into P. P still set means a
 * new delivery. H_PARAMETER when no ICS holds the number (the source need
 * not exist: only its ICS).
 */
function icsEoi(s: XicsState, icp: number, irq: number): number {
  const at = findIcs(s, irq);
  if (!at) return H_RC.H_PARAMETER;
  const { ics, src } = at;
  let pq = ics.pq[src]!;
  if (!(ics.flags[src]! & SRC.LSI)) {
    pq >>= 1;
    ics.pq[src] = pq;
  }
  if (pq & PQ_PRESENTED) icpDeliverIrq(s, icp, irq, false);
  return H_RC.H_SUCCESS;
}

/** kvmppc_h_eoi: Down_CPPR to bits 31:24 of the XIRR written, then the ICS EOI of bits 23:0 (an IPI has none). */
function hEoi(s: XicsState, icp: number, xirr: bigint): number {
  const irq = Number(xirr & 0xffffffn);
  downCppr(s, icp, Number((xirr >> 24n) & 0xffn));
  if (irq === XICS_IPI) return H_RC.H_SUCCESS;
  return icsEoi(s, icp, irq);
}

/** The hypercalls kvmppc_pseries_do_hcall (book3s_hv.c) and kvmppc_h_pr (book3s_pr_papr.c) hand to the XICS. */
export const XICS_HCALLS: readonly number[] = Object.values(H_CALL);

/** A return code as the 64-bit r3 the guest reads. */
const rc64 = (rc: number) => BigInt.asUintN(64, BigInt(rc));

/**
 * kvmppc_xics_hcall for a vcpu whose ICP exists (its callers hand the call
 * on only when kvmppc_xics_enabled; otherwise KVM_RUN exits to the VMM).
 * The result is what the trace keeps in `ret`: the value register for the
 * calls that return one on success (H_XIRR, H_XIRR_X: the XIRR in r4;
 * H_IPOLL: r4's XIRR with r5's MFRR in bits 39:32), else r3 (H_SUCCESS 0,
 * or a negative H_* code as 64 bits). H_XIRR_X's timebase (r5) is not kept.
 */
export function xicsHcall(s: XicsState, icp: number, nr: number, args: readonly bigint[]): bigint {
  const arg = (i: number) => BigInt.asUintN(64, args[i] ?? 0n);
  const c = s.icp[icp]!;
  switch (nr) {
    case H_CALL.H_XIRR:
    case H_CALL.H_XIRR_X:
      return hXirr(c);
    case H_CALL.H_IPOLL: {
      const r = hIpoll(s, icp, arg(0));
      return r.rc ? rc64(r.rc) : (BigInt(r.mfrr) << 32n) | BigInt(r.xirr);
    }
    case H_CALL.H_CPPR:
      hCppr(s, icp, arg(0));
      return rc64(H_RC.H_SUCCESS);
    case H_CALL.H_EOI:
      return rc64(hEoi(s, icp, arg(0)));
    case H_CALL.H_IPI:
      return rc64(hIpi(s, icp, arg(0), arg(1)));
    default:
      // kvmppc_xics_hcall's switch has no default: rc stays H_SUCCESS (never reached: only XICS_HCALLS come here).
      return rc64(H_RC.H_SUCCESS);
  }
}
