/**
 * The XICS's interrupts facet. Numbering: the IPI is XISR 2 (asm/xics.h
 * XICS_IPI); sources are 16 to 2^20-1 (KVMPPC_XICS_FIRST_IRQ,
 * KVMPPC_XICS_NR_IRQS), 0 is "no interrupt". KVM_IRQ_LINE raises a source
 * (any non-zero level, KVM_INTERRUPT_SET, SET_LEVEL) or lowers it (0,
 * KVM_INTERRUPT_UNSET); the guest's hypercalls take them: H_XIRR and
 * H_XIRR_X acknowledge the XISR they return, H_EOI completes the XISR it
 * writes, H_IPI raises the target server's IPI (MFRR below 0xff) or
 * withdraws it (MFRR 0xff).
 */
import type { InterruptEffect, InterruptFacet } from '../core/device.js';
import { sourceName } from './names.js';
import { findServer, type XicsState } from './state.js';
import { H_CALL, KVM_INTERRUPT_UNSET, KVMPPC_XICS_FIRST_IRQ, KVMPPC_XICS_NR_IRQS, MASKED, XICS_IPI } from './uapi.js';

export const xicsInterrupts: InterruptFacet<XicsState> = {
  ranges: [
    { name: 'IPI', first: XICS_IPI, last: XICS_IPI },
    { name: 'source', first: KVMPPC_XICS_FIRST_IRQ, last: KVMPPC_XICS_NR_IRQS - 1 },
  ],
  name: sourceName,
  effects(vm, s, ev): readonly InterruptEffect[] {
    if (ev.kind === 'irq_line') {
      if (ev.errno || ev.irq < KVMPPC_XICS_FIRST_IRQ || ev.irq >= KVMPPC_XICS_NR_IRQS) return [];
      return [{ action: ev.level === 0 || ev.level === KVM_INTERRUPT_UNSET ? 'lower' : 'raise', irq: ev.irq }];
    }
    if (ev.kind !== 'hcall' || ev.errno) return [];
    const index = vm.vcpus.findIndex((v) => v.id === ev.vcpu);
    if (!s.icp[index]?.connected) return [];
    const arg = (i: number) => BigInt.asUintN(64, ev.args[i] ?? 0n);
    switch (ev.nr) {
      case H_CALL.H_XIRR:
      case H_CALL.H_XIRR_X: {
        const xisr = Number(ev.ret & 0xffffffn);
        return xisr ? [{ action: 'acknowledge', irq: xisr, vcpu: ev.vcpu }] : [];
      }
      case H_CALL.H_EOI: {
        const xisr = Number(arg(0) & 0xffffffn);
        return xisr ? [{ action: 'complete', irq: xisr, vcpu: ev.vcpu }] : [];
      }
      case H_CALL.H_IPI: {
        if (ev.ret !== 0n) return [];
        const server = arg(0);
        const target = BigInt(s.icp[index]!.server) === server ? index : findServer(s, Number(server & 0xffffffffn));
        const id = vm.vcpus[target]?.id;
        if (id === undefined) return [];
        return [{ action: (arg(1) & 0xffn) === BigInt(MASKED) ? 'lower' : 'raise', irq: XICS_IPI, vcpu: id }];
      }
      default:
        return [];
    }
  },
};
