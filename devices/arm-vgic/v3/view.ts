/**
 * The GICv3 VGIC as a KVM engineer reads it, in the shape of the v2 view:
 * `gic.dist.irq[40].pending`, `gic.dist.irq[40].irouter`,
 * `gic.cpu[1].icc.pmr`, `gic.cpu[1].icc.ctlr.EOImode`,
 * `gic.cpu[1].redist.lpis_enabled`, `gic.cpu[0].irq[27].line_level`,
 * `gic.lpi[8192].pending`, `gic.redist_regions[0].base`.
 */
import type { DeviceView, PathStep } from '../../core/view.js';
import { VGIC, VGIC_ADDR_UNDEF } from '../../core/uapi.js';
import type { VmState } from '../../core/vm-state.js';
import { bit, isPending, type IrqBank } from '../irq.js';
import { ICC_CTLR, priorityMask, runningPriority } from './icc.js';
import type { Lpi, V3Cpu, Vgic3State } from './state.js';

const addr = (a: bigint) => (a === VGIC_ADDR_UNDEF ? null : a);

function irqView(s: Vgic3State, b: IrqBank, n: number, spi: boolean): Record<string, unknown> {
  const o: Record<string, unknown> = {
    enabled: bit(b.enabled, n),
    pending: isPending(b, n),
    latch: bit(b.latch, n),
    line_level: bit(b.level, n),
    active: bit(b.active, n),
    group: bit(b.group, n) ? 1 : 0,
    priority: b.priority[n],
    config: bit(b.edge, n) ? 'edge' : 'level',
    owned: bit(b.owned, n),
  };
  if (spi) {
    o.irouter = s.irouter[n] ?? 0;
    o.target_vcpu = s.spiTarget[n] ?? -1;
  }
  return o;
}

function iccView(c: V3Cpu): Record<string, unknown> {
  return {
    ctlr: { CBPR: (c.ctlr & ICC_CTLR.CBPR) !== 0, EOImode: (c.ctlr & ICC_CTLR.EOImode) !== 0 },
    pmr: priorityMask(c),
    bpr0: c.bpr,
    bpr1: c.abpr,
    igrpen0: c.grpen0,
    igrpen1: c.grpen1,
    ap0r: Array.from(c.ap0r),
    ap1r: Array.from(c.ap1r),
    rpr: runningPriority(c),
    sre: c.sre,
    pri_bits: c.numPriBits,
    id_bits: c.numIdBits,
  };
}

function redistView(c: V3Cpu): Record<string, unknown> {
  return {
    rd_base: addr(c.rdBase),
    region: c.rdRegion < 0 ? null : c.rdRegion,
    slot: c.rdRegion < 0 ? null : c.rdIndex,
    mapped: c.rdMapped,
    lpis_enabled: c.lpisEnabled,
    pendbaser: c.pendbaser,
  };
}

const lpiView = (l: Lpi) => ({ enabled: l.enabled, pending: l.pending, priority: l.priority, target_vcpu: l.target, refs: l.refs });

function build(vm: VmState, s: Vgic3State): Record<string, unknown> {
  const irq: (Record<string, unknown> | null)[] = [];
  for (let n = 0; n < s.spi.count; n++) irq.push(n < VGIC.NR_PRIVATE_IRQS ? null : irqView(s, s.spi, n, true));
  const lpi: Record<number, unknown> = {};
  for (const l of s.lpis) lpi[l.intid] = lpiView(l);
  return {
    model: 'v3',
    initialized: s.initialized,
    ready: s.ready,
    nr_irqs: s.nrSpis + VGIC.NR_PRIVATE_IRQS,
    dist_base: addr(s.distBase),
    redist_regions: s.regions.map((r) => ({ index: r.index, base: r.base, count: r.count, used: r.freeIndex })),
    implementation_rev: s.implementationRev,
    propbaser: s.propbaser,
    maint_irq: s.miIntid,
    dist: { enabled: s.enabled, irq },
    lpi,
    cpu: s.cpus.map((c, i) => ({
      vcpu_id: vm.vcpus[i]?.id ?? null,
      icc: iccView(c),
      redist: redistView(c),
      irq: Array.from({ length: VGIC.NR_PRIVATE_IRQS }, (_, n) => irqView(s, c.priv, n, false)),
    })),
  };
}

/** One field without building the whole view where that is cheap (per-IRQ and per-LPI paths). */
function resolve(vm: VmState, s: Vgic3State, p: readonly PathStep[]): unknown {
  const pick = (o: unknown, rest: readonly PathStep[]) => {
    let v = o;
    for (const k of rest) {
      if (v === null || typeof v !== 'object') return undefined;
      v = (v as Record<string | number, unknown>)[k];
    }
    return v;
  };
  // The device-wide scalars the delivery conditions read (explain asks for them once per event).
  if (p.length === 1 && (p[0] === 'initialized' || p[0] === 'ready')) return s[p[0]];
  if (p[0] === 'dist' && p[1] === 'enabled') return p.length === 2 ? s.enabled : undefined;
  if (p[0] === 'dist' && p[1] === 'irq' && typeof p[2] === 'number') {
    const n = p[2];
    if (n < VGIC.NR_PRIVATE_IRQS || n >= s.spi.count) return p.length === 3 ? null : undefined;
    return pick(irqView(s, s.spi, n, true), p.slice(3));
  }
  if (p[0] === 'lpi' && typeof p[1] === 'number') {
    const l = s.lpis.find((x) => x.intid === p[1]);
    return l ? pick(lpiView(l), p.slice(2)) : undefined;
  }
  if (p[0] === 'cpu' && typeof p[1] === 'number') {
    const c = s.cpus[p[1]];
    if (!c) return undefined;
    if (p[2] === 'irq' && typeof p[3] === 'number' && p[3] < VGIC.NR_PRIVATE_IRQS) return pick(irqView(s, c.priv, p[3], false), p.slice(4));
    if (p[2] === 'icc') return pick(iccView(c), p.slice(3));
    if (p[2] === 'redist') return pick(redistView(c), p.slice(3));
  }
  return pick(build(vm, s), p);
}

export const vgic3View: DeviceView<Vgic3State> = { root: 'gic', build, resolve };
