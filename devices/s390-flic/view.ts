/**
 * The FLIC as an s390 engineer reads it: `flic.io[3][0].schid`, `flic.io_count`,
 * `flic.service.sccb`, `flic.mchk.mcic`, `flic.adapter[5].masked`,
 * `flic.ais.nimm`, `flic.pfault_enabled`. I/O lists are per ISC, oldest
 * first; adapters are keyed by id.
 */
import type { DeviceView, PathStep } from '../core/view.js';
import type { VmState } from '../core/vm-state.js';
import { ioCount } from './irq.js';
import type { FlicState } from './state.js';
import { KVM_S390_INT_IO_AI_MASK, SCCB_EVENT_PENDING, SCCB_MASK } from './uapi.js';

function build(_vm: VmState, s: FlicState): Record<string, unknown> {
  const adapter: Record<number, unknown> = {};
  for (const a of s.adapters) adapter[a.id] = { isc: a.isc, maskable: a.maskable, masked: a.masked, swap: a.swap, suppressible: a.suppressible };
  return {
    io: s.io.map((list) =>
      list.map((x) => ({
        type: x.type,
        adapter: (x.type & KVM_S390_INT_IO_AI_MASK) !== 0,
        schid: ((x.subchannelId << 16) | x.subchannelNr) >>> 0,
        io_int_parm: x.ioIntParm,
        io_int_word: x.ioIntWord,
      })),
    ),
    io_count: ioCount(s),
    pfault_done: s.pfault.map((e) => ({ ext_params: e.extParams, ext_params2: e.extParams2 })),
    virtio: s.virtio.map((e) => ({ ext_params: e.extParams, ext_params2: e.extParams2 })),
    service: { pending: s.service !== 0, sccb: (s.service & SCCB_MASK) >>> 0, event_pending: (s.service & SCCB_EVENT_PENDING) !== 0 },
    mchk: { pending: s.mchk.pending, cr14: s.mchk.cr14, mcic: s.mchk.mcic },
    adapter,
    ais: { simm: s.simm, nimm: s.nimm },
    pfault_enabled: s.pfaultEnabled,
  };
}

function resolve(vm: VmState, s: FlicState, p: readonly PathStep[]): unknown {
  // The scalars watchpoints read most, without building the lists.
  if (p.length === 1 && p[0] === 'io_count') return ioCount(s);
  if (p.length === 1 && p[0] === 'pfault_enabled') return s.pfaultEnabled;
  let v: unknown = build(vm, s);
  for (const step of p) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[step];
  }
  return v;
}

export const flicView: DeviceView<FlicState> = { root: 'flic', build, resolve };
