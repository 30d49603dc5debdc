/**
 * The MPIC's interrupts facet: its source numbers (0-15 external, 16-255
 * internal with the MSI banks at 224-231, 256-259 IPIs, 260-263 timers),
 * and which events raise, lower, acknowledge and complete which source:
 * KVM_IRQ_LINE (a GSI below 256 is the pin of the same number), KVM_SIGNAL_MSI
 * and MSIIR (the bank's source), MSIR reads (clear and lower it), IPIDR
 * writes (the IPI), IACK reads (the source openpic_iack takes) and EOI writes
 * (the source openpic_cpu_write_internal ends), through the global page's
 * current-CPU aliases or a CPU's own page.
 */
import type { InterruptEffect, InterruptFacet, InterruptRange } from '../core/device.js';
import type { VmState } from '../core/vm-state.js';
import { priorityOf, qTest } from './openpic.js';
import { guestCpu } from './regs.js';
import type { MpicState } from './state.js';
import { IRQ_IPI0, IRQ_MSI, IRQ_TIM0, IVPR, MAX_IRQ, MAX_MSI, MAX_SRC, QUEUE_WORDS } from './uapi.js';

export const MPIC_RANGES: readonly InterruptRange[] = [
  { name: 'external', first: 0, last: 15 },
  { name: 'internal', first: 16, last: MAX_SRC - 1 },
  { name: 'IPI', first: IRQ_IPI0, last: IRQ_TIM0 - 1 },
  { name: 'timer', first: IRQ_TIM0, last: MAX_IRQ - 1 },
];

/** "EXT 3", "INT 40", "MSI 2 (INT 226)", "IPI 1", "timer 0". */
export function sourceName(n: number): string {
  if (n < 16) return `EXT ${n}`;
  if (n >= IRQ_MSI && n < IRQ_MSI + MAX_MSI) return `MSI ${n - IRQ_MSI} (INT ${n})`;
  if (n < MAX_SRC) return `INT ${n}`;
  if (n < IRQ_TIM0) return `IPI ${n - IRQ_IPI0}`;
  if (n < MAX_IRQ) return `timer ${n - IRQ_TIM0}`;
  return `source ${n}`;
}

/** IRQ_check without caching: the queue's highest-priority member, -1 when empty. */
export function queueTop(s: MpicState, cpu: number, which: 'raised' | 'servicing'): number {
  const q = s[which];
  let next = -1;
  let prio = -1;
  for (let n = 0; n < MAX_IRQ; n++) {
    if (!q[cpu * QUEUE_WORDS + (n >>> 5)]) {
      n |= 31;
      continue;
    }
    if (qTest(q, cpu, n) && priorityOf(s.ivpr[n]!) > prio) {
      next = n;
      prio = priorityOf(s.ivpr[n]!);
    }
  }
  return next;
}

/** The source an IACK on `cpu` takes into service now (openpic_iack's good path), or -1 (SPVE). */
export function iackSource(s: MpicState, cpu: number): number {
  const n = queueTop(s, cpu, 'raised');
  if (n < 0 || !(s.ivpr[n]! & IVPR.ACTIVITY) || !(priorityOf(s.ivpr[n]!) > s.ctpr[cpu]!)) return -1;
  return n;
}

/** A frame offset as a per-CPU register: the CPU (-2: the accessing vcpu's, through the global page) and the register offset in the page, or undefined. */
function cpuReg(off: number): { cpu: number; reg: number } | undefined {
  if (off >= 0x40 && off <= 0xb0 && !(off & 0xf)) return { cpu: -2, reg: off };
  if (off >= 0x20000 && off < 0x20000 + 0x100 + 31 * 0x1000 && !(off & 0xf)) return { cpu: (off & 0x1f000) >> 12, reg: off & 0xff0 };
  return undefined;
}

export const mpicInterrupts: InterruptFacet<MpicState> = {
  ranges: MPIC_RANGES,
  name: sourceName,
  effects(vm: VmState, s: MpicState, ev): readonly InterruptEffect[] {
    if (ev.errno) return [];
    if (ev.kind === 'irq_line') return ev.irq >>> 0 < MAX_SRC ? [{ action: ev.level ? 'raise' : 'lower', irq: ev.irq >>> 0 }] : [];
    if (ev.kind === 'signal_msi') return [{ action: 'raise', irq: IRQ_MSI + (ev.data >>> 29) }];
    if (ev.kind !== 'mmio') return [];
    // Writes reach the registers only as aligned 4-byte writes; a read runs the register's read at
    // its own offset for any aligned length (kvm_mpic_read), even one that then exits to the VMM.
    if (ev.write ? ev.len !== 4 || ev.offset & 3 : ev.offset & (ev.len - 1)) return [];
    const value = Number(BigInt.asUintN(32, ev.value));
    if (ev.write && ev.offset === 0x1740) return [{ action: 'raise', irq: IRQ_MSI + (value >>> 29) }];
    if (!ev.write && ev.offset >= 0x1600 && ev.offset <= 0x1670 && !(ev.offset & 0xf)) return [{ action: 'lower', irq: IRQ_MSI + ((ev.offset - 0x1600) >> 4) }];
    const r = cpuReg(ev.offset);
    if (!r) return [];
    const index = vm.vcpus.findIndex((v) => v.id === ev.vcpu);
    const cpu = r.cpu === -2 ? guestCpu(s, index) : r.cpu;
    const vcpuIdx = s.cpuVcpu[cpu] ?? -1;
    const who = vcpuIdx >= 0 && vm.vcpus[vcpuIdx] ? { vcpu: vm.vcpus[vcpuIdx]!.id } : {};
    if (!ev.write && r.reg === 0xa0) {
      const n = iackSource(s, cpu);
      return n >= 0 ? [{ action: 'acknowledge', irq: n, ...who }] : [];
    }
    if (ev.write && r.reg === 0xb0) {
      const n = queueTop(s, cpu, 'servicing');
      return n >= 0 ? [{ action: 'complete', irq: n, ...who }] : [];
    }
    if (ev.write && r.reg >= 0x40 && r.reg <= 0x70) return [{ action: 'raise', irq: IRQ_IPI0 + ((r.reg - 0x40) >> 4) }];
    return [];
  },
};
