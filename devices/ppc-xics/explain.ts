/**
 * Why is XICS interrupt N (not) taken by a vcpu? Every condition
 * book3s_xics.c checks between a source being triggered and H_XIRR
 * returning it: the source exists and is triggered (P set, ics_deliver_irq),
 * it is not masked (else masked_pending, icp_deliver_irq), its server has an
 * ICP, and there (icp_try_to_deliver) its priority beats CPPR, MFRR and the
 * pending priority, or it already sits in XISR with the external-interrupt
 * output raised. For the IPI (2): MFRR below CPPR makes it pending.
 */
import type { IrqCondition } from '../core/device.js';
import type { VmState } from '../core/vm-state.js';
import { sourceName } from './names.js';
import { findIcs, findServer, SRC, type XicsState } from './state.js';
import { MASKED, PQ_PRESENTED, PQ_QUEUED, XICS_IPI } from './uapi.js';

const hx = (n: number) => `0x${n.toString(16)}`;

export function explainXicsIrq(vm: VmState, s: XicsState, irq: number, root: string): IrqCondition[] {
  const out: IrqCondition[] = [];
  if (irq === XICS_IPI) {
    s.icp.forEach((c, v) => {
      const p = `${root}.icp[${v}]`;
      if (!c.connected) return out.push({ vcpu: v, name: 'vcpu connected to the XICS (KVM_CAP_IRQ_XICS)', ok: false, value: 'no ICP', paths: [`${p}.connected`] });
      out.push({ vcpu: v, name: 'IPI requested (MFRR below 0xff, H_IPI)', ok: c.mfrr < MASKED, value: `MFRR ${hx(c.mfrr)}`, paths: [`${p}.mfrr`] });
      out.push({ vcpu: v, name: 'MFRR more favoured than CPPR', ok: c.mfrr < c.cppr, value: `MFRR ${hx(c.mfrr)} < CPPR ${hx(c.cppr)}`, paths: [`${p}.mfrr`, `${p}.cppr`] });
      out.push({ vcpu: v, name: 'IPI presented (XISR 2, external interrupt raised)', ok: c.xisr === XICS_IPI && c.outEe, value: `XISR ${sourceName(c.xisr)} out_ee=${c.outEe}`, paths: [`${p}.xisr`, `${p}.out_ee`] });
    });
    return out;
  }
  const at = findIcs(s, irq);
  const src = `${root}.source[${irq}]`;
  const exists = at !== undefined && (at.ics.flags[at.src]! & SRC.EXISTS) !== 0;
  out.push({ vcpu: -1, name: 'source exists (written through KVM_DEV_XICS_GRP_SOURCES)', ok: exists, value: at ? `ICS ${at.ics.icsid} exists=${exists}` : `no ICS ${irq >>> 10}`, paths: [`${src}.exists`, `${root}.ics_ids`] });
  if (!at || !exists) return out;
  const { ics, src: i } = at;
  const pq = ics.pq[i]!;
  const lsi = (ics.flags[i]! & SRC.LSI) !== 0;
  out.push({ vcpu: -1, name: `triggered: P set (${lsi ? 'LSI: line asserted' : 'MSI: KVM_IRQ_LINE 1'})`, ok: (pq & PQ_PRESENTED) !== 0, value: `P=${pq & PQ_PRESENTED ? 1 : 0} Q=${pq & PQ_QUEUED ? 1 : 0}`, paths: [`${src}.presented`, `${src}.queued`] });
  const prio = ics.priority[i]!;
  const masked = prio === MASKED;
  out.push({ vcpu: -1, name: 'not masked (priority 0xff)', ok: !masked, value: `priority ${hx(prio)} saved ${hx(ics.savedPriority[i]!)} masked_pending=${(ics.flags[i]! & SRC.MASKED_PENDING) !== 0}`, paths: [`${src}.priority`, `${src}.masked_pending`] });
  const server = ics.server[i]!;
  const target = findServer(s, server);
  out.push({ vcpu: -1, name: 'its server has an ICP (a vcpu connected with that server number)', ok: target >= 0, value: `server ${hx(server)} -> ${target >= 0 ? `vcpu index ${target}` : 'none'}`, paths: [`${src}.server`] });
  if (target < 0) return out;
  const c = s.icp[target]!;
  const p = `${root}.icp[${target}]`;
  const here = c.xisr === irq;
  const add = (name: string, ok: boolean, value: string, paths: string[]) => out.push({ vcpu: target, name, ok, value, paths });
  if (here) {
    add('presented: in XISR', true, `XISR ${sourceName(c.xisr)} pending_pri ${hx(c.pendingPri)}`, [`${p}.xisr`]);
    add('external interrupt raised (pending_pri < CPPR): H_XIRR returns it', c.outEe, `out_ee=${c.outEe} CPPR ${hx(c.cppr)}`, [`${p}.out_ee`, `${p}.cppr`]);
    return out;
  }
  add('priority more favoured than CPPR', prio < c.cppr, `priority ${hx(prio)} < CPPR ${hx(c.cppr)}`, [`${src}.priority`, `${p}.cppr`]);
  add('priority more favoured than MFRR (the IPI)', prio < c.mfrr, `priority ${hx(prio)} < MFRR ${hx(c.mfrr)}`, [`${src}.priority`, `${p}.mfrr`]);
  add('priority more favoured than what is pending (XISR)', prio < c.pendingPri, `priority ${hx(prio)} < pending_pri ${hx(c.pendingPri)} (XISR ${sourceName(c.xisr)})`, [`${src}.priority`, `${p}.pending_pri`, `${p}.xisr`]);
  add('not awaiting a resend (a CPPR or MFRR change retries it)', (ics.flags[i]! & SRC.RESEND) === 0, `resend=${(ics.flags[i]! & SRC.RESEND) !== 0} need_resend=${c.needResend}`, [`${src}.resend`, `${p}.need_resend`]);
  return out;
}
