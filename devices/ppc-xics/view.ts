/**
 * The XICS as a PAPR engineer reads it: `xics.source[4096].presented`,
 * `xics.source[4096].word` (what GRP_SOURCES reads now), `xics.icp[0].xisr`,
 * `xics.icp[0].icp_state` (what the one-reg KVM_REG_PPC_ICP_STATE reads now).
 * Sources appear at their number (a sparse list: the ones written through
 * GRP_SOURCES, or holding state); ICPs by vcpu index.
 */
import type { DeviceView, PathStep } from '../core/view.js';
import type { VmState } from '../core/vm-state.js';
import { getIcp, getSource } from './ics.js';
import { resendBit, SRC, type XicsIcp, type XicsIcs, type XicsState } from './state.js';
import { KVMPPC_XICS_ICS_SHIFT, MASKED, PQ_PRESENTED, PQ_QUEUED } from './uapi.js';

type SourceField = (ics: XicsIcs, src: number, s: XicsState) => unknown;

/** Per-source fields, in display order. */
export const SOURCE_FIELDS: Readonly<Record<string, SourceField>> = {
  exists: (x, i) => (x.flags[i]! & SRC.EXISTS) !== 0,
  server: (x, i) => x.server[i],
  priority: (x, i) => x.priority[i],
  saved_priority: (x, i) => x.savedPriority[i],
  masked: (x, i) => x.priority[i] === MASKED,
  lsi: (x, i) => (x.flags[i]! & SRC.LSI) !== 0,
  presented: (x, i) => (x.pq[i]! & PQ_PRESENTED) !== 0,
  queued: (x, i) => (x.pq[i]! & PQ_QUEUED) !== 0,
  resend: (x, i) => (x.flags[i]! & SRC.RESEND) !== 0,
  masked_pending: (x, i) => (x.flags[i]! & SRC.MASKED_PENDING) !== 0,
  word: (x, i, s) => getSource(s, BigInt((x.icsid << KVMPPC_XICS_ICS_SHIFT) | i)).value ?? null,
};

type IcpField = (c: XicsIcp, s: XicsState) => unknown;

/** Per-vcpu ICP fields, in display order (only `connected` for a vcpu without an ICP). */
export const ICP_FIELDS: Readonly<Record<string, IcpField>> = {
  connected: (c) => c.connected,
  server: (c) => c.server,
  cppr: (c) => c.cppr,
  mfrr: (c) => c.mfrr,
  pending_pri: (c) => c.pendingPri,
  xisr: (c) => c.xisr,
  out_ee: (c) => c.outEe,
  need_resend: (c) => c.needResend,
  resend_ics: (c, s) => s.ics.filter((x) => resendBit(c, x.icsid)).map((x) => x.icsid),
};

/** What KVM_GET_ONE_REG KVM_REG_PPC_ICP_STATE reads for vcpu `i` now (kvmppc_xics_get_icp): the word a VMM saves. */
const icpStateWord = (s: XicsState, i: number) => getIcp(s, i);

/** Whether a source shows in the view: written, or holding state a guest could see. */
function shown(x: XicsIcs, i: number): boolean {
  return x.flags[i] !== 0 || x.pq[i] !== 0;
}

function sourceView(s: XicsState, x: XicsIcs, i: number): Record<string, unknown> {
  return Object.fromEntries(Object.entries(SOURCE_FIELDS).map(([k, f]) => [k, f(x, i, s)]));
}

function icpView(vm: VmState, s: XicsState, i: number): Record<string, unknown> {
  const c = s.icp[i]!;
  const o: Record<string, unknown> = { vcpu_id: vm.vcpus[i]?.id ?? null };
  if (!c.connected) return { ...o, connected: false };
  for (const [k, f] of Object.entries(ICP_FIELDS)) o[k] = f(c, s);
  o.icp_state = icpStateWord(s, i);
  return o;
}

function build(vm: VmState, s: XicsState): Record<string, unknown> {
  const source: Record<string, unknown>[] = [];
  for (const x of s.ics) for (let i = 0; i < x.flags.length; i++) if (shown(x, i)) source[(x.icsid << KVMPPC_XICS_ICS_SHIFT) | i] = sourceView(s, x, i);
  return {
    max_icsid: s.maxIcsid,
    ics_ids: s.ics.map((x) => x.icsid),
    source,
    icp: s.icp.map((_, i) => icpView(vm, s, i)),
  };
}

/** One field without building the view; undefined if the path names nothing. */
function resolve(vm: VmState, s: XicsState, p: readonly PathStep[]): unknown {
  if (p.length === 1 && p[0] === 'max_icsid') return s.maxIcsid;
  if (p.length === 1 && p[0] === 'ics_ids') return s.ics.map((x) => x.icsid);
  if (p[0] === 'source' && typeof p[1] === 'number') {
    const n = p[1];
    const x = s.ics.find((c) => c.icsid === n >>> KVMPPC_XICS_ICS_SHIFT);
    const i = n & ((1 << KVMPPC_XICS_ICS_SHIFT) - 1);
    if (!x || !shown(x, i)) return undefined;
    if (p.length === 2) return sourceView(s, x, i);
    const f = SOURCE_FIELDS[p[2] as string];
    return p.length === 3 && f ? f(x, i, s) : undefined;
  }
  if (p[0] === 'icp' && typeof p[1] === 'number' && s.icp[p[1]]) {
    const v = icpView(vm, s, p[1]);
    if (p.length === 2) return v;
    return p.length === 3 ? v[p[2] as string] : undefined;
  }
  return undefined;
}

export const xicsView: DeviceView<XicsState> = { root: 'xics', build, resolve };
