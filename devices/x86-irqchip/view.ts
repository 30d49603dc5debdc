/**
 * The x86 irqchip as a KVM engineer reads it: `irqchip.pic[0].irr`,
 * `irqchip.ioapic.redir[4].remote_irr`, `irqchip.lapic[0].irr` (the vectors
 * set). The PIC fields are kvm_pic_state's, the redirection fields
 * union kvm_ioapic_redirect_entry's, the APIC fields the xAPIC registers.
 */
import type { DeviceView, PathStep } from '../core/view.js';
import type { VmState } from '../core/vm-state.js';
import { walk } from '../core/view.js';
import { APIC, getReg, swEnabled, vectorsIn } from './lapic.js';
import { REDIR, redirGet, type RedirField } from './structs.js';
import { PIC_FIELDS, type X86IrqchipState } from './state.js';

/** The local APIC's named fields, in display order. */
export const LAPIC_FIELDS: Readonly<Record<string, (regs: Uint8Array) => unknown>> = {
  id: (r) => getReg(r, APIC.ID) >>> 24,
  version: (r) => getReg(r, APIC.LVR),
  tpr: (r) => getReg(r, APIC.TASKPRI),
  ppr: (r) => getReg(r, APIC.PROCPRI),
  ldr: (r) => getReg(r, APIC.LDR),
  dfr: (r) => getReg(r, APIC.DFR),
  svr: (r) => getReg(r, APIC.SPIV),
  sw_enabled: (r) => swEnabled(r),
  isr: (r) => vectorsIn(r, APIC.ISR),
  tmr: (r) => vectorsIn(r, APIC.TMR),
  irr: (r) => vectorsIn(r, APIC.IRR),
  esr: (r) => getReg(r, APIC.ESR),
  icr: (r) => getReg(r, APIC.ICR),
  icr2: (r) => getReg(r, APIC.ICR2),
  lvt_timer: (r) => getReg(r, APIC.LVTT),
  lvt_thermal: (r) => getReg(r, APIC.LVTTHMR),
  lvt_perf: (r) => getReg(r, APIC.LVTPC),
  lvt_lint0: (r) => getReg(r, APIC.LVT0),
  lvt_lint1: (r) => getReg(r, APIC.LVT1),
  lvt_error: (r) => getReg(r, APIC.LVTERR),
  tmict: (r) => getReg(r, APIC.TMICT),
  tdcr: (r) => getReg(r, APIC.TDCR),
};

function redirView(bits: bigint): Record<string, number> {
  const o: Record<string, number> = {};
  for (const f of Object.keys(REDIR) as RedirField[]) o[f] = redirGet(bits, f);
  return o;
}

function build(vm: VmState, s: X86IrqchipState): Record<string, unknown> {
  const io = s.ioapic;
  return {
    pic: s.pics.map((p) => Object.fromEntries(PIC_FIELDS.map((f) => [f, p[f]]))),
    pic_output: s.pic_output,
    ioapic: {
      base_address: io.base_address,
      ioregsel: io.ioregsel,
      id: io.id,
      // What KVM_GET_IRQCHIP reports (kvm_get_ioapic masks the delivered edges).
      irr: (io.irr & ~io.irr_delivered) >>> 0,
      irr_delivered: io.irr_delivered,
      pad: io.pad,
      redir: io.redirtbl.map(redirView),
      irq_eoi: io.irq_eoi.slice(),
      rtc_pending_eoi: io.rtc_pending_eoi,
    },
    lapic: s.lapics.map((regs, i) => {
      const o: Record<string, unknown> = { vcpu_id: vm.vcpus[i]?.id ?? null };
      for (const [k, f] of Object.entries(LAPIC_FIELDS)) o[k] = f(regs);
      return o;
    }),
  };
}

function resolve(vm: VmState, s: X86IrqchipState, p: readonly PathStep[]): unknown {
  if (p[0] === 'lapic' && typeof p[1] === 'number') {
    const regs = s.lapics[p[1]];
    if (!regs) return undefined;
    if (p.length === 3 && typeof p[2] === 'string' && LAPIC_FIELDS[p[2]]) return LAPIC_FIELDS[p[2]]!(regs);
  }
  return walk(build(vm, s), p);
}

export const view: DeviceView<X86IrqchipState> = { root: 'irqchip', build, resolve };
