/**
 * The VGIC as a KVM engineer reads it: `gic.dist.irq[42].pending`,
 * `gic.cpu[1].pmr`, `gic.cpu[0].ctlr.EnableGrp0`. One table of per-IRQ
 * fields and one of CPU-interface fields feed both the whole view (diff,
 * TUI) and the single-field resolver (watchpoints, explain).
 */
import type { VmState } from '../core/vm-state.js';
import type { DeviceView, PathStep } from '../core/view.js';
import { VGIC, VGIC_ADDR_UNDEF } from '../core/uapi.js';
import { bit, isPending, type IrqBank } from './irq.js';
import type { VgicCpu, VgicState } from './state.js';
import { runningPriority, spiTargetIndex, CTLR } from './v2/cpuif.js';

type IrqField = (b: IrqBank, n: number, cpu: VgicCpu | undefined) => unknown;

/** Per-IRQ fields, in display order. `cpu` is the owning vcpu for private IRQs. */
export const IRQ_FIELDS: Readonly<Record<string, IrqField>> = {
  enabled: (b, n) => bit(b.enabled, n),
  pending: (b, n) => isPending(b, n),
  latch: (b, n) => bit(b.latch, n),
  line_level: (b, n) => bit(b.level, n),
  active: (b, n) => bit(b.active, n),
  group: (b, n) => (bit(b.group, n) ? 1 : 0),
  priority: (b, n) => b.priority[n],
  config: (b, n) => (bit(b.edge, n) ? 'edge' : 'level'),
  targets: (b, n) => b.targets[n],
  sources: (_b, n, cpu) => (cpu && n < VGIC.NR_SGIS ? cpu.sgiSource[n] : undefined),
  owned: (b, n) => bit(b.owned, n),
};

type CpuField = (c: VgicCpu) => unknown;

const ctlrFields = (c: VgicCpu) => ({
  EnableGrp0: (c.ctlr & CTLR.EnableGrp0) !== 0,
  EnableGrp1: (c.ctlr & CTLR.EnableGrp1) !== 0,
  AckCtl: (c.ctlr & CTLR.AckCtl) !== 0,
  FIQEn: (c.ctlr & CTLR.FIQEn) !== 0,
  CBPR: (c.ctlr & CTLR.CBPR) !== 0,
  EOImodeNS: (c.ctlr & CTLR.EOImodeNS) !== 0,
});

/** CPU-interface fields of one vcpu. */
export const CPU_FIELDS: Readonly<Record<string, CpuField>> = {
  ctlr: ctlrFields,
  pmr: (c) => c.pmr,
  bpr: (c) => c.bpr,
  abpr: (c) => c.abpr,
  apr: (c) => c.apr,
  rpr: (c) => runningPriority(c),
};

function irqView(b: IrqBank, n: number, cpu: VgicCpu | undefined, spi: boolean): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(IRQ_FIELDS)) {
    if (k === 'sources' && (!cpu || n >= VGIC.NR_SGIS)) continue;
    if (k === 'targets' && !spi) continue;
    o[k] = f(b, n, cpu);
  }
  if (spi) o.target_vcpu = spiTargetIndex(b, n);
  return o;
}

const addr = (a: bigint) => (a === VGIC_ADDR_UNDEF ? null : a);

/** The device-wide fields, in display order: built into the view and read alone by resolve. */
const TOP_FIELDS: Readonly<Record<string, (s: VgicState) => unknown>> = {
  initialized: (s) => s.initialized,
  ready: (s) => s.ready,
  nr_irqs: (s) => s.nrSpis + VGIC.NR_PRIVATE_IRQS,
  dist_base: (s) => addr(s.distBase),
  cpu_base: (s) => addr(s.cpuBase),
  implementation_rev: (s) => s.implementationRev,
  groups_user_writable: (s) => s.v2GroupsUserWritable,
};

function build(vm: VmState, s: VgicState): Record<string, unknown> {
  const irq: (Record<string, unknown> | null)[] = [];
  for (let n = 0; n < s.spi.count; n++) irq.push(n < VGIC.NR_PRIVATE_IRQS ? null : irqView(s.spi, n, undefined, true));
  const top = Object.fromEntries(Object.entries(TOP_FIELDS).map(([k, f]) => [k, f(s)]));
  return {
    ...top,
    dist: { enabled: s.enabled, irq },
    cpu: s.cpus.map((c, i) => {
      const o: Record<string, unknown> = { vcpu_id: vm.vcpus[i]?.id ?? null };
      for (const [k, f] of Object.entries(CPU_FIELDS)) o[k] = f(c);
      o.irq = Array.from({ length: VGIC.NR_PRIVATE_IRQS }, (_, n) => irqView(c.priv, n, c, false));
      return o;
    }),
  };
}

/** Reads one field without building the view; undefined if the path names nothing. */
function resolve(vm: VmState, s: VgicState, p: readonly PathStep[]): unknown {
  const top = p.length === 1 ? TOP_FIELDS[p[0] as string] : undefined;
  if (top) return top(s);
  if (p[0] === 'dist' && p[1] === 'enabled') return p.length === 2 ? s.enabled : undefined;
  if (p[0] === 'dist' && p[1] === 'irq' && typeof p[2] === 'number') {
    const n = p[2];
    if (n < VGIC.NR_PRIVATE_IRQS || n >= s.spi.count) return p.length === 3 ? null : undefined;
    if (p.length === 3) return irqView(s.spi, n, undefined, true);
    if (p[3] === 'target_vcpu') return spiTargetIndex(s.spi, n);
    const f = IRQ_FIELDS[p[3] as string];
    return p.length === 4 && f ? f(s.spi, n, undefined) : undefined;
  }
  if (p[0] === 'cpu' && typeof p[1] === 'number') {
    const c = s.cpus[p[1]];
    if (!c) return undefined;
    if (p[2] === 'irq' && typeof p[3] === 'number' && p[3] < VGIC.NR_PRIVATE_IRQS) {
      if (p.length === 4) return irqView(c.priv, p[3], c, false);
      const f = IRQ_FIELDS[p[4] as string];
      return p.length === 5 && f ? f(c.priv, p[3], c) : undefined;
    }
    const f = CPU_FIELDS[p[2] as string];
    if (!f) return undefined;
    const v = f(c);
    return p.length === 3 ? v : p.length === 4 && v && typeof v === 'object' ? (v as Record<string, unknown>)[p[3] as string] : undefined;
  }
  return undefined;
}

export const vgicView: DeviceView<VgicState> = { root: 'gic', build, resolve };
