/**
 * devrr explain for a FLIC queue: what stands between a floating interrupt
 * and a vcpu taking it, as far as the model reaches. Queued at all (the
 * list, or the service and machine-check records); per vcpu, whether it runs
 * (__floating_irq_kick picks an idle or the next running vcpu; with none the
 * interrupt waits); for I/O, whether the ISC's adapter interrupts are suppressed (AIS
 * no-interruption mode: kvm_s390_inject_airq queues nothing for
 * suppressible adapters). The guest's own masks (PSW, CR6 subclass mask,
 * CR0) live in vcpu registers devrr does not model.
 */
import type { IrqCondition } from '../core/device.js';
import type { VmState } from '../core/vm-state.js';
import { FLIC_IRQ, flicIrqName } from './interrupts.js';
import type { FlicState } from './state.js';
import { aisModeMask } from './uapi.js';

export function flicExplain(vm: VmState, s: FlicState, irq: number, root: string): IrqCondition[] {
  const out: IrqCondition[] = [];
  const name = flicIrqName(irq);
  if (irq >= 0 && irq <= 7) {
    const n = s.io[irq]!.length;
    out.push({ vcpu: -1, name: `${name} queued`, ok: n > 0, value: `${n} I/O interrupt${n === 1 ? '' : 's'}`, paths: [`${root}.io[${irq}]`] });
    const m = aisModeMask(irq);
    out.push({ vcpu: -1, name: `adapter interrupts on ISC ${irq} not suppressed (AIS)`, ok: (s.nimm & m) === 0, value: `simm 0x${s.simm.toString(16)} nimm 0x${s.nimm.toString(16)}`, paths: [`${root}.ais.nimm`, `${root}.ais.simm`] });
  } else if (irq === FLIC_IRQ.PFAULT_DONE || irq === FLIC_IRQ.VIRTIO) {
    const list = irq === FLIC_IRQ.VIRTIO ? s.virtio : s.pfault;
    const path = irq === FLIC_IRQ.VIRTIO ? 'virtio' : 'pfault_done';
    out.push({ vcpu: -1, name: `${name} queued`, ok: list.length > 0, value: `${list.length} queued`, paths: [`${root}.${path}`] });
  } else if (irq === FLIC_IRQ.SERVICE) {
    out.push({ vcpu: -1, name: 'service signal pending', ok: s.service !== 0, value: `ext_params 0x${s.service.toString(16)}`, paths: [`${root}.service.pending`] });
  } else if (irq === FLIC_IRQ.MCHK) {
    out.push({ vcpu: -1, name: 'floating machine check pending', ok: s.mchk.pending, value: `mcic 0x${s.mchk.mcic.toString(16)}`, paths: [`${root}.mchk.pending`] });
  } else {
    out.push({ vcpu: -1, name: `${name}: no such FLIC queue (0-7 I/O ISC, 8 pfault done, 9 virtio, 10 service, 11 machine check)`, ok: false, value: `${irq}`, paths: [] });
    return out;
  }
  // A floating interrupt goes to whichever vcpu takes it first: every running vcpu is a candidate.
  vm.vcpus.forEach((v, i) => out.push({ vcpu: i, name: 'running (a floating interrupt goes to any running vcpu)', ok: v.ran, value: v.ran ? 'has run' : 'never entered KVM_RUN', paths: [`vcpus[${i}].ran`] }));
  return out;
}
