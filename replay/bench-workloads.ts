/**
 * The bench's workloads: deterministic event streams (no clock, no
 * randomness but a seeded PRNG), recorded against the models into traces.
 *
 * - `gicv2`: a 4-vcpu GICv2 guest taking interrupts: a device raises an SPI
 *   (KVM_IRQ_LINE), the target vcpu acknowledges it (GICC_IAR) and ends it
 *   (GICC_EOIR), vcpus exchange SGIs (GICD_SGIR), and the guest driver pokes
 *   distributor registers (enables, priorities) in between: the MMIO/IRQ mix
 *   that dominates real traces.
 * - `gicv3`: the same on a GICv3, where the CPU interface is system
 *   registers (ICC_IAR1_EL1, ICC_EOIR1_EL1, ICC_SGI1R_EL1), routing is
 *   GICD_IROUTER (8-byte accesses) and each vcpu has a redistributor.
 * - `attrs`: a VMM's save/restore loop on a GICv2: every distributor
 *   register read with KVM_GET_DEVICE_ATTR and written back with
 *   KVM_SET_DEVICE_ATTR, and the CPU interface registers of each vcpu, over
 *   and over (the device-control path, no fast path).
 */
import { digestState } from '../devices/core/state.js';
import type { BackendFactory, StateCapability } from '../recorder/backend.js';
import { MODELS } from '../recorder/execute.js';
import { traceHeader } from '../recorder/trace-file.js';
import type { TraceEvent } from '../traces/events.js';
import { TraceWriter } from '../traces/writer.js';

const DIST = 0x8000000;
const CPU = 0x8010000;
const REDIST = 0x80a0000;
const VCPUS = 4;
const spi = (n: number) => (1 << 24) | n;
const dev = { kind: 'device', handle: 0 } as const;
const rd = (vcpu: number, addr: number, len: 4 | 8 = 4): TraceEvent => ({ kind: 'mmio', vm: 0, vcpu, write: false, addr, len, value: 0n, exit: false, errno: 0 });
const wr = (vcpu: number, addr: number, value: number | bigint, len: 1 | 4 | 8 = 4): TraceEvent => ({ kind: 'mmio', vm: 0, vcpu, write: true, addr, len, value: BigInt(typeof value === 'number' ? value >>> 0 : value), exit: false, errno: 0 });
const sys = (vcpu: number, reg: number, write: boolean, value: number | bigint = 0): TraceEvent => ({ kind: 'sysreg', vm: 0, vcpu, write, reg, value: BigInt(value), errno: 0 });

/** The GICv2 set-up: VM, vcpus, a VGIC v2 with its frames, enables, targets and priorities. */
function* setupV2(): Generator<TraceEvent> {
  yield { kind: 'create_vm', vm: 0, arch: 'arm64', ipaBits: 40 };
  for (let id = 0; id < VCPUS; id++) yield { kind: 'create_vcpu', vm: 0, id, errno: 0 };
  yield { kind: 'create_device', vm: 0, type: 5, flags: 0, errno: 0, handle: -1 };
  yield { kind: 'set_attr', vm: 0, target: dev, group: 3, attr: 0n, value: 128n, errno: 0 };
  yield { kind: 'set_attr', vm: 0, target: dev, group: 0, attr: 0n, value: BigInt(DIST), errno: 0 };
  yield { kind: 'set_attr', vm: 0, target: dev, group: 0, attr: 1n, value: BigInt(CPU), errno: 0 };
  yield { kind: 'set_attr', vm: 0, target: dev, group: 4, attr: 0n, errno: 0 };
  yield wr(0, DIST, 1); // GICD_CTLR.Enable
  yield wr(0, DIST + 0x104, 0xffffffff); // enable SPIs 32-63
  yield wr(0, DIST + 0x108, 0xffffffff); // enable SPIs 64-95
  for (let n = 32; n < 96; n += 4) yield wr(0, DIST + 0x800 + n, 0x08040201); // spread targets over the 4 vcpus
  for (let v = 0; v < VCPUS; v++) {
    yield wr(v, CPU + 0x4, 0xf0); // GICC_PMR
    yield wr(v, CPU, 1); // GICC_CTLR.EnableGrp0
  }
}

/** One round of GICv2 guest activity: 12 events. */
function* roundV2(k: number): Generator<TraceEvent> {
  const n = 32 + (k % 64);
  const target = (n - 32) % VCPUS; // ITARGETSR byte i targets vcpu i
  yield { kind: 'irq_line', vm: 0, irq: spi(n), level: 1, errno: 0 };
  yield rd(target, CPU + 0xc); // GICC_IAR
  yield wr(target, CPU + 0x10, n); // GICC_EOIR
  yield { kind: 'irq_line', vm: 0, irq: spi(n), level: 0, errno: 0 };
  const from = k % VCPUS;
  const to = (from + 1) % VCPUS;
  yield wr(from, DIST + 0xf00, ((1 << to) << 16) | (k & 15)); // GICD_SGIR
  yield rd(to, CPU + 0xc);
  yield wr(to, CPU + 0x10, (k & 15) | (from << 10));
  yield rd(from, DIST + 0x104); // GICD_ISENABLER1
  yield wr(from, DIST + 0x400 + (n & ~3), 0xa0a0a0a0); // GICD_IPRIORITYR
  yield rd(from, CPU + 0x14); // GICC_RPR
  yield rd(to, DIST + 0x4); // GICD_TYPER
  yield rd(from, CPU + 0x18); // GICC_HPPIR
}

// GICv3 CPU interface system registers (encodings as KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS and the sysreg event carry them).
const ICC_PMR_EL1 = 49712;
const ICC_IGRPEN1_EL1 = 50791;
const ICC_IAR1_EL1 = 50784;
const ICC_EOIR1_EL1 = 50785;
const ICC_SGI1R_EL1 = 50781;
const ICC_RPR_EL1 = 50779;
const ICC_HPPIR1_EL1 = 50786;

/** The GICv3 set-up: 4 vcpus, one redistributor region for all four, Group 1 on, SPIs routed and enabled. */
function* setupV3(): Generator<TraceEvent> {
  yield { kind: 'create_vm', vm: 0, arch: 'arm64', ipaBits: 40 };
  for (let id = 0; id < VCPUS; id++) yield { kind: 'create_vcpu', vm: 0, id, errno: 0 };
  yield { kind: 'create_device', vm: 0, type: 7, flags: 0, errno: 0, handle: -1 };
  yield { kind: 'set_attr', vm: 0, target: dev, group: 3, attr: 0n, value: 128n, errno: 0 };
  yield { kind: 'set_attr', vm: 0, target: dev, group: 0, attr: 2n, value: BigInt(DIST), errno: 0 };
  // KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION: count << 52 | base | index.
  yield { kind: 'set_attr', vm: 0, target: dev, group: 0, attr: 5n, value: (BigInt(VCPUS) << 52n) | BigInt(REDIST), errno: 0 };
  yield { kind: 'set_attr', vm: 0, target: dev, group: 4, attr: 0n, errno: 0 };
  yield wr(0, DIST, 0x12); // GICD_CTLR: EnableGrp1NS, ARE_NS
  for (let v = 0; v < VCPUS; v++) {
    yield sys(v, ICC_PMR_EL1, true, 0xf0);
    yield sys(v, ICC_IGRPEN1_EL1, true, 1);
    yield rd(v, REDIST + v * 0x20000 + 0x8, 8); // GICR_TYPER
  }
  for (let n = 32; n < 96; n++) yield wr(0, DIST + 0x6000 + n * 8, n % VCPUS, 8); // GICD_IROUTER<n>: affinity 0.0.0.(n % 4)
  yield wr(0, DIST + 0x104, 0xffffffff);
  yield wr(0, DIST + 0x108, 0xffffffff);
}

/** One round of GICv3 guest activity: 12 events. */
function* roundV3(k: number): Generator<TraceEvent> {
  const n = 32 + (k % 64);
  const target = n % VCPUS;
  yield { kind: 'irq_line', vm: 0, irq: spi(n), level: 1, errno: 0 };
  yield sys(target, ICC_IAR1_EL1, false);
  yield sys(target, ICC_EOIR1_EL1, true, n);
  yield { kind: 'irq_line', vm: 0, irq: spi(n), level: 0, errno: 0 };
  const from = k % VCPUS;
  const to = (from + 1) % VCPUS;
  const sgi = k & 15;
  yield sys(from, ICC_SGI1R_EL1, true, (BigInt(sgi) << 24n) | BigInt(1 << to));
  yield rd(to, REDIST + to * 0x20000 + 0x10200); // GICR_ISPENDR0 (SGI frame)
  yield sys(to, ICC_IAR1_EL1, false);
  yield sys(to, ICC_EOIR1_EL1, true, sgi);
  yield rd(from, DIST + 0x104); // GICD_ISENABLER1
  yield wr(from, DIST + 0x400 + (n & ~3), 0xa0a0a0a0); // GICD_IPRIORITYR
  yield sys(from, ICC_RPR_EL1, false);
  yield sys(to, ICC_HPPIR1_EL1, false);
}

/** One pass of a VMM's save/restore of a GICv2 (KVM_DEV_ARM_VGIC_GRP_DIST_REGS, _CPU_REGS): 2 events per register. */
function* roundAttrs(k: number): Generator<TraceEvent> {
  const regs: number[] = [0x0, 0x100, 0x104, 0x108, 0x180, 0x184, 0x188, 0x200, 0x204, 0x208, 0x300, 0x304, 0x308];
  for (let o = 0x400; o < 0x460; o += 4) regs.push(o); // IPRIORITYR
  for (let o = 0x800; o < 0x860; o += 4) regs.push(o); // ITARGETSR
  for (let o = 0xc00; o < 0xc18; o += 4) regs.push(o); // ICFGR
  const vcpu = k % VCPUS;
  for (const off of regs) {
    const attr = (BigInt(vcpu) << 32n) | BigInt(off);
    yield { kind: 'get_attr', vm: 0, target: dev, group: 1, attr, errno: 0 };
    yield { kind: 'set_attr', vm: 0, target: dev, group: 1, attr, value: off >= 0x400 && off < 0x460 ? 0xa0a0a0a0n : off === 0 ? 1n : 0n, errno: 0 };
  }
  for (const off of [0x0, 0x4, 0x8, 0x1c]) {
    // KVM_DEV_ARM_VGIC_GRP_CPU_REGS: GICC_CTLR, PMR, BPR, ABPR of one vcpu.
    const attr = (BigInt(vcpu) << 32n) | BigInt(off);
    yield { kind: 'get_attr', vm: 0, target: dev, group: 2, attr, errno: 0 };
    yield { kind: 'set_attr', vm: 0, target: dev, group: 2, attr, value: off === 0x4 ? 0xf0n : off === 0 ? 1n : 0n, errno: 0 };
  }
}

export type WorkloadName = 'gicv2' | 'gicv3' | 'attrs';

const WORKLOADS: Record<WorkloadName, { setup: () => Generator<TraceEvent>; round: (k: number) => Generator<TraceEvent> }> = {
  gicv2: { setup: setupV2, round: roundV2 },
  gicv3: { setup: setupV3, round: roundV3 },
  attrs: { setup: setupV2, round: roundAttrs },
};

/** Exactly `total` events of a workload (set-up first, then rounds). */
export function* workload(total: number, name: WorkloadName = 'gicv2'): Generator<TraceEvent> {
  const w = WORKLOADS[name];
  let n = 0;
  for (const ev of w.setup()) {
    if (n++ >= total) return;
    yield ev;
  }
  for (let k = 0; ; k++) {
    for (const ev of w.round(k)) {
      if (n++ >= total) return;
      yield ev;
    }
  }
}

export interface WorkloadTraceOptions {
  /** A state checkpoint every this many events, and one at the end (0: none). */
  readonly checkpointEvery?: number;
  /**
   * Records event `plantAt` (a GICC_IAR read, or the next one after it) with a
   * wrong result, as if the models had changed since: a divergence to find.
   */
  readonly plantAt?: number;
  readonly backends?: BackendFactory;
  readonly workload?: WorkloadName;
}

/**
 * Records a workload into a trace at `path`, without a scenario (tests,
 * benchmarks). Returns the index of the planted event, or -1.
 */
export function writeWorkloadTrace(path: string, events: number, opts: WorkloadTraceOptions = {}): number {
  const every = opts.checkpointEvery ?? 0;
  const session = (opts.backends ?? MODELS).create();
  const state = every > 0 ? stateOf(session.state) : undefined;
  const w = TraceWriter.create(path, traceHeader({ arch: 'arm64', ipaBits: 40 }, every));
  let i = 0;
  let planted = -1;
  for (const req of workload(events, opts.workload)) {
    if (state && i > 0 && i % every === 0) {
      const st = state.snapshot();
      w.checkpoint(i, st, digestState(st));
    }
    let ev = session.execute(req);
    if (opts.plantAt !== undefined && planted < 0 && i >= opts.plantAt && ev.kind === 'mmio' && !ev.write && ev.addr === CPU + 0xc) {
      ev = { ...ev, value: ev.value ^ 0x3n };
      planted = i;
    }
    w.append(ev);
    i++;
  }
  if (state) {
    const st = state.snapshot();
    w.checkpoint(i, st, digestState(st));
  }
  w.close();
  return planted;
}

/** The state capability checkpoints need. */
export function stateOf(st: StateCapability | undefined): StateCapability {
  if (!st) throw new Error('devrr bug: the bench writes checkpoints, which need a backend with the state capability');
  return st;
}
