/**
 * Why is MPIC source N (not) delivered? Every condition on the path
 * openpic_set_irq -> openpic_update_irq -> IRQ_local_pipe -> the vcpu's
 * external interrupt -> openpic_iack, each with the view paths it depends on.
 */
import type { IrqCondition } from '../core/device.js';
import type { VmState } from '../core/vm-state.js';
import { iackSource, queueTop, sourceName } from './interrupts.js';
import { priorityOf } from './openpic.js';
import type { MpicState } from './state.js';
import { ILR_INTTGT_INT, IVPR, MAX_CPU, MAX_IRQ } from './uapi.js';

export function explainMpicIrq(vm: VmState, s: MpicState, irq: number, root: string): IrqCondition[] {
  const out: IrqCondition[] = [];
  const add = (vcpu: number, name: string, ok: boolean, value: string, paths: string[]) => out.push({ vcpu, name, ok, value, paths });
  if (irq < 0 || irq >= MAX_IRQ) {
    add(-1, 'exists', false, `source ${irq} is not one of the MPIC's 0-${MAX_IRQ - 1}`, []);
    return out;
  }
  const src = `${root}.src[${irq}]`;
  const ivpr = s.ivpr[irq]!;
  const prio = priorityOf(ivpr);
  add(-1, `${sourceName(irq)} pending`, s.pending[irq] !== 0, `pending=${s.pending[irq]} (${s.level[irq] ? 'level' : 'edge'})`, [`${src}.pending`, `${src}.trigger`]);
  add(-1, 'not masked (IVPR.MSK; a 2.0 critical source ignores it)', !(ivpr & IVPR.MASK) || s.nomask[irq] === 1, `MSK=${(ivpr & IVPR.MASK) !== 0} nomask=${s.nomask[irq] === 1}`, [`${src}.masked`, `${src}.nomask`]);
  add(-1, 'active (IVPR.A)', (ivpr & IVPR.ACTIVITY) !== 0, `A=${(ivpr & IVPR.ACTIVITY) !== 0}`, [`${src}.active`]);
  add(-1, 'has a destination (the mask write_IRQreg_idr derived; IDR alone is not enough)', s.destmask[irq] !== 0, `idr=0x${s.idr[irq]!.toString(16)} destmask=0x${s.destmask[irq]!.toString(16)}`, [`${src}.idr`, `${src}.destmask`]);
  add(-1, 'drives the INT output (critical and machine-check outputs are not delivered by KVM)', s.output[irq] === ILR_INTTGT_INT, `output=${s.output[irq]}`, [`${src}.output`]);
  add(-1, 'the frame is mapped (KVM_DEV_MPIC_BASE_ADDR), so the guest can IACK', s.regBase !== 0n, `base=0x${s.regBase.toString(16)}`, [`${root}.base`]);
  for (let c = 0; c < Math.min(s.nbCpus, MAX_CPU); c++) {
    if (!(s.destmask[irq]! & (1 << c))) continue;
    const v = s.cpuVcpu[c]!;
    const cpu = `${root}.cpu[${c}]`;
    add(v, `CPU ${c} has a vcpu (KVM_ENABLE_CAP KVM_CAP_IRQ_MPIC)`, v >= 0, v >= 0 ? `vcpu ${vm.vcpus[v]?.id}` : 'none', [`${cpu}.vcpu`]);
    add(v, `priority above CPU ${c}'s task priority (CTPR)`, prio > s.ctpr[c]!, `priority ${prio} > CTPR ${s.ctpr[c]}`, [`${src}.priority`, `${cpu}.ctpr`]);
    const serv = queueTop(s, c, 'servicing');
    const servPrio = serv >= 0 ? priorityOf(s.ivpr[serv]!) : -1;
    add(v, 'not hidden by an interrupt in service (EOI not yet written)', prio > servPrio, serv >= 0 ? `in service: ${sourceName(serv)} priority ${servPrio}` : 'nothing in service', [`${cpu}.servicing`]);
    const top = queueTop(s, c, 'raised');
    add(v, 'the highest raised source of the CPU (what IACK returns)', top === irq, top >= 0 ? `top: ${sourceName(top)}` : 'raised queue empty', [`${cpu}.raised`]);
    add(v, 'external interrupt asserted to the vcpu', s.intOut[c] === 1, `int_out=${s.intOut[c] === 1}`, [`${cpu}.int_out`]);
    add(v, 'an IACK now takes it', iackSource(s, c) === irq, `IACK -> ${iackSource(s, c) >= 0 ? sourceName(iackSource(s, c)) : 'SPVE'}`, [`${cpu}.raised`, `${cpu}.ctpr`]);
  }
  return out;
}
