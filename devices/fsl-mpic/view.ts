/**
 * The MPIC as an engineer reads it: `mpic.src[42].priority`,
 * `mpic.src[42].pending`, `mpic.cpu[0].ctpr`, `mpic.cpu[0].servicing`,
 * `mpic.cpu[1].int_out`. The per-source and per-CPU fields are tables that
 * feed both the whole view (diff, TUI) and the single-field resolver
 * (watchpoints, explain).
 */
import type { DeviceView, PathStep } from '../core/view.js';
import type { VmState } from '../core/vm-state.js';
import { priorityOf, qTest } from './openpic.js';
import { sourceName } from './interrupts.js';
import type { MpicState } from './state.js';
import { IVPR, MAX_CPU, MAX_IRQ, MAX_MSI, MAX_TMR, NUM_OUTPUTS, VECTOR_MASK } from './uapi.js';

const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;

type SrcField = (s: MpicState, n: number) => unknown;

/** Per-source fields, in display order. */
export const SRC_FIELDS: Readonly<Record<string, SrcField>> = {
  name: (_s, n) => sourceName(n),
  pending: (s, n) => s.pending[n],
  active: (s, n) => (s.ivpr[n]! & IVPR.ACTIVITY) !== 0,
  masked: (s, n) => (s.ivpr[n]! & IVPR.MASK) !== 0,
  priority: (s, n) => priorityOf(s.ivpr[n]!),
  vector: (s, n) => s.ivpr[n]! & VECTOR_MASK,
  trigger: (s, n) => (s.level[n] ? 'level' : 'edge'),
  polarity: (s, n) => ((s.ivpr[n]! & IVPR.POLARITY) !== 0 ? 1 : 0),
  idr: (s, n) => hex(s.idr[n]!),
  destmask: (s, n) => hex(s.destmask[n]!),
  output: (s, n) => s.output[n],
  nomask: (s, n) => s.nomask[n] === 1,
};

/** The members of a CPU's queue, by source number. */
function members(q: Uint32Array, cpu: number): number[] {
  const out: number[] = [];
  for (let n = 0; n < MAX_IRQ; n++) if (qTest(q, cpu, n)) out.push(n);
  return out;
}

type CpuField = (s: MpicState, c: number, vm: VmState) => unknown;

export const CPU_FIELDS: Readonly<Record<string, CpuField>> = {
  vcpu: (s, c, vm) => (s.cpuVcpu[c]! >= 0 ? (vm.vcpus[s.cpuVcpu[c]!]?.id ?? -1) : -1),
  ctpr: (s, c) => s.ctpr[c],
  int_out: (s, c) => s.intOut[c] === 1,
  raised: (s, c) => members(s.raised, c),
  raised_next: (s, c) => s.raisedNext[c],
  raised_priority: (s, c) => s.raisedPrio[c],
  servicing: (s, c) => members(s.servicing, c),
  servicing_next: (s, c) => s.servicingNext[c],
  servicing_priority: (s, c) => s.servicingPrio[c],
  outputs_active: (s, c) => Array.from(s.outputsActive.subarray(c * NUM_OUTPUTS, (c + 1) * NUM_OUTPUTS)),
};

function srcView(s: MpicState, n: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(SRC_FIELDS)) o[k] = f(s, n);
  return o;
}

function cpuView(s: MpicState, c: number, vm: VmState): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(CPU_FIELDS)) o[k] = f(s, c, vm);
  return o;
}

const GLOBAL: Readonly<Record<string, (s: MpicState) => unknown>> = {
  base: (s) => `0x${s.regBase.toString(16)}`,
  gcr: (s) => hex(s.gcr),
  frr: (s) => hex(s.frr),
  spve: (s) => hex(s.spve),
  tfrr: (s) => hex(s.tfrr),
  nb_cpus: (s) => s.nbCpus,
};

export const mpicView: DeviceView<MpicState> = {
  root: 'mpic',
  build(vm, s) {
    const o: Record<string, unknown> = {};
    for (const [k, f] of Object.entries(GLOBAL)) o[k] = f(s);
    o.src = Array.from({ length: MAX_IRQ }, (_, n) => srcView(s, n));
    o.cpu = Array.from({ length: MAX_CPU }, (_, c) => cpuView(s, c, vm));
    o.timer = Array.from({ length: MAX_TMR }, (_, i) => ({ tccr: hex(s.tccr[i]!), tbcr: hex(s.tbcr[i]!) }));
    o.msir = Array.from({ length: MAX_MSI }, (_, i) => hex(s.msir[i]!));
    o.vcpu_cpu = [...s.vcpuCpu];
    return o;
  },
  resolve(vm, s, steps: readonly PathStep[]) {
    const [a, b, c] = steps;
    if (typeof a === 'string' && steps.length === 1 && GLOBAL[a]) return GLOBAL[a](s);
    if (a === 'src' && typeof b === 'number' && b >= 0 && b < MAX_IRQ) {
      if (steps.length === 2) return srcView(s, b);
      if (steps.length === 3 && typeof c === 'string' && SRC_FIELDS[c]) return SRC_FIELDS[c](s, b);
    }
    if (a === 'cpu' && typeof b === 'number' && b >= 0 && b < MAX_CPU) {
      if (steps.length === 2) return cpuView(s, b, vm);
      if (steps.length === 3 && typeof c === 'string' && CPU_FIELDS[c]) return CPU_FIELDS[c](s, b, vm);
    }
    return undefined;
  },
};
