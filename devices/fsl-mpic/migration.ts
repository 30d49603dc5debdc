/**
 * How a VMM migrates an FSL MPIC through its attributes (mpic.c's groups;
 * Documentation/virt/kvm/devices/mpic.rst: "the REGISTER group ... for
 * migration", IRQ_ACTIVE "to save and restore the state of the interrupt
 * lines"): what it reads and what it writes into a fresh device, in which
 * order and why. Registers are read through KVM_DEV_MPIC_GRP_REGISTER,
 * whose reads run the guest's read handlers: the save list reads no
 * register with a read side effect (IACK acknowledges, MSIR clears), and
 * reads the timers where openpic_tmr_read decodes them (0x10 bytes early).
 */
import type { Migration, SavedAttr, SavedValue } from '../core/device.js';
import type { VmState } from '../core/vm-state.js';
import { CAP } from '../core/uapi.js';
import { infoOf, type MpicState } from './state.js';
import { IVPR, MAX_CPU, MAX_SRC, MAX_TMR, MPIC_GRP, MPIC_MISC } from './uapi.js';

const REG = MPIC_GRP.KVM_DEV_MPIC_GRP_REGISTER;
const ACTIVE = MPIC_GRP.KVM_DEV_MPIC_GRP_IRQ_ACTIVE;
const reg = (off: number, name: string): SavedAttr => ({ group: REG, attr: BigInt(off), name });

/** Timer n's registers: where a read answers them and where a write sets them. */
const TIMER_REGS = [
  { name: 'GTBCR', read: 0x1100, write: 0x1110 },
  { name: 'GTDR', read: 0x1120, write: 0x1130 },
  { name: 'GTVPR', read: 0x1110, write: 0x1120 },
] as const;

function saveList(_vm: VmState, s: MpicState): SavedAttr[] {
  const out: SavedAttr[] = [{ group: MPIC_GRP.KVM_DEV_MPIC_GRP_MISC, attr: BigInt(MPIC_MISC.KVM_DEV_MPIC_BASE_ADDR), name: 'KVM_DEV_MPIC_BASE_ADDR' }];
  out.push(reg(0x1020, 'GCR'), reg(0x10e0, 'SPVR'), reg(0x10f0, 'TFRR'));
  for (let c = 0; c < MAX_CPU; c++) out.push(reg(0x20080 + c * 0x1000, `CTPR_CPU${c}`));
  for (let i = 0; i < 4; i++) out.push(reg(0x10a0 + i * 0x10, `IPIVPR${i}`));
  for (let t = 0; t < MAX_TMR; t++) for (const r of TIMER_REGS) out.push(reg(r.read + t * 0x40, `${r.name}${t}`));
  const ilr = infoOf(s).ilr;
  for (let n = 0; n < MAX_SRC; n++) {
    out.push(reg(0x10010 + n * 0x20, `IDR${n}`));
    if (ilr) out.push(reg(0x10018 + n * 0x20, `ILR${n}`));
    out.push(reg(0x10000 + n * 0x20, `IVPR${n}`));
  }
  // IRQ_ACTIVE reaches sources 0-256 (attr > MAX_SRC is refused: 256, the first IPI, slips through).
  for (let n = 0; n <= MAX_SRC; n++) out.push({ group: ACTIVE, attr: BigInt(n), name: `IRQ_ACTIVE ${n}` });
  return out;
}

/** The vcpus' connections: KVM_ENABLE_CAP(KVM_CAP_IRQ_MPIC, fd, cpu) for each CPU with a vcpu (the args after the fd). */
function vcpuConnects(vm: VmState, s: MpicState): { vcpu: number; cap: number; args: bigint[] }[] {
  const out: { vcpu: number; cap: number; args: bigint[] }[] = [];
  for (let c = 0; c < MAX_CPU; c++) {
    const v = s.cpuVcpu[c]!;
    if (v >= 0 && vm.vcpus[v]) out.push({ vcpu: vm.vcpus[v]!.id, cap: CAP.KVM_CAP_IRQ_MPIC, args: [BigInt(c)] });
  }
  return out;
}

type Saved = SavedAttr & SavedValue;

/**
 * The restore sequence. The vcpus are connected first (migrate's `vcpuConnects`):
 * write_IRQreg_idr keeps only destination bits below nb_cpus, so an IDR
 * written before the CPUs exist loses them. Then:
 * 1. The base (maps the frame; any time before the guest runs).
 * 2. GCR, SPVR, TFRR; each CPU's CTPR (before any source is re-evaluated,
 *    so delivery is decided against the restored task priorities).
 * 3. Per source IDR and ILR (destination and output) before IVPR: an IVPR
 *    write re-evaluates the source against them.
 * 4. Timers: destination before vector/priority, then the base count.
 * 5. IRQ_ACTIVE last: each pending source is re-asserted against the
 *    restored configuration (only 0 or 1 is accepted: a level KVM_IRQ_LINE
 *    held at another non-zero value crosses as 1).
 * 6. A pending edge source's output (4.2 ILR, 2.0 IDR critical bits) after
 *    IRQ_ACTIVE: openpic_set_irq keeps an edge pending only on the INT
 *    output, so one that is pending latched before its output changed.
 */
function restore(saved: readonly Saved[]): { writes: (Saved & { why: string })[]; redrive: number[] } {
  const out: (Saved & { why: string })[] = [];
  const byName = new Map(saved.map((x) => [x.name, x]));
  const push = (name: string, why: string, edit?: (x: Saved) => Saved) => {
    const x = byName.get(name);
    if (x) out.push({ ...(edit ? edit(x) : x), why });
  };
  push('KVM_DEV_MPIC_BASE_ADDR', 'map the frame');
  push('GCR', 'mode bits (RESET is never saved set)');
  push('SPVR', 'spurious vector');
  push('TFRR', 'timer frequency');
  for (let c = 0; c < MAX_CPU; c++) push(`CTPR_CPU${c}`, 'task priority before any source is re-evaluated');
  for (let i = 0; i < 4; i++) push(`IPIVPR${i}`, 'IPI vector and priority');
  // An edge source latches pending only while it drives INT (openpic_set_irq drops it at once on
  // another output): where one is pending, its output goes in after IRQ_ACTIVE.
  const late: string[] = [];
  for (let n = 0; n < MAX_SRC; n++) {
    const iv = byName.get(`IVPR${n}`)?.value ?? 0n;
    const edgePending = n < 16 && !(iv & BigInt(IVPR.SENSE)) && (byName.get(`IRQ_ACTIVE ${n}`)?.value ?? 0n) !== 0n;
    if (edgePending) {
      push(`IDR${n}`, 'destination without the 2.0 critical bits (output INT) until IRQ_ACTIVE has latched the edge', (x) => ({ ...x, value: x.value & ~0x7fff0000n }));
      late.push(`IDR${n}`, `ILR${n}`);
    } else {
      push(`IDR${n}`, 'destination before IVPR (needs the vcpus connected: bits above nb_cpus are dropped)');
      push(`ILR${n}`, 'output before IVPR (4.2)');
    }
    push(`IVPR${n}`, 'vector, priority, sense, polarity, mask (A is read-only: recomputed)');
  }
  for (let t = 0; t < MAX_TMR; t++) {
    for (const r of [TIMER_REGS[1], TIMER_REGS[2], TIMER_REGS[0]]) {
      push(`${r.name}${t}`, `timer ${t}: written at ${r.name}${t} (0x${(r.write + t * 0x40).toString(16)}), read 0x10 bytes earlier`, (x) => ({ ...x, attr: BigInt(r.write + t * 0x40) }));
    }
  }
  for (let n = 0; n <= MAX_SRC; n++) {
    push(`IRQ_ACTIVE ${n}`, 'pending last, against the restored configuration (0 or 1 only)', (x) => ({ ...x, value: x.value ? 1n : 0n }));
  }
  for (const name of late) push(name, 'a pending edge source\'s output last: it latched while driving INT, as on the source');
  return { writes: out, redrive: [] };
}

export const mpicMigration: Migration<MpicState> = {
  saveList,
  vcpuConnects,
  restore: (saved) => restore(saved),
  notCarried: [
    {
      fields: ['mpic.cpu[*].servicing', 'mpic.cpu[*].servicing[*]', 'mpic.cpu[*].servicing_next', 'mpic.cpu[*].servicing_priority'],
      what: 'the interrupts each CPU has acknowledged and not yet ended (the servicing queue)',
      why: 'no register or attribute reads or writes it: an interrupt in service on the source is not in service on the destination, and the guest\'s EOI there ends nothing (or another one)',
    },
    {
      fields: ['mpic.cpu[*].raised', 'mpic.cpu[*].raised[*]', 'mpic.cpu[*].raised_next', 'mpic.cpu[*].raised_priority', 'mpic.cpu[*].int_out', 'mpic.cpu[*].outputs_active', 'mpic.cpu[*].outputs_active[*]'],
      what: 'the raised queues, their cached next/priority, and the outputs to the vcpus',
      why: 'derived state: rebuilt on the destination from pending, IVPR, IDR and CTPR when IRQ_ACTIVE re-asserts each source; the cached priorities of IRQ_check are only as fresh as the last evaluation',
    },
    {
      fields: ['mpic.msir[*]'],
      what: 'the MSI bank registers MSIR0-7 (which MSIs of a bank are pending)',
      why: 'reading MSIR clears it and lowers the bank\'s source, and MSIR is not writable: the bank\'s source crosses pending through IRQ_ACTIVE, but which of its 32 interrupts fired does not',
    },
    {
      fields: ['mpic.src[*].destmask'],
      what: 'the destination mask write_IRQreg_idr derives from IDR',
      why: 'openpic_reset sets IDR without deriving the mask: a source whose IDR was never written reads IDR 1 but delivers nowhere, and writing that IDR on the destination makes it deliver to CPU 0; an IPI\'s mask is extended by IPIDR writes and shrunk by IACK, with no register for it',
    },
    {
      fields: ['mpic.src[257].pending', 'mpic.src[258].pending', 'mpic.src[259].pending', 'mpic.src[260].pending', 'mpic.src[261].pending', 'mpic.src[262].pending', 'mpic.src[263].pending'],
      what: 'whether IPIs 1-3 and the timers are pending',
      why: 'IRQ_ACTIVE stops at attr 256 (IPI 0, by the off-by-one of its range check)',
    },
    {
      fields: ['mpic.src[*].active'],
      what: 'IVPR.A, the activity bit',
      why: 'read-only: the destination recomputes it from pending and the mask when the source is re-evaluated',
    },
  ],
};
