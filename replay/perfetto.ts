/**
 * A trace as Chrome trace event JSON, the format the Perfetto UI
 * (ui.perfetto.dev) and chrome://tracing load
 * (https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU).
 *
 * - One process per VM ("VM 0 (arm64)"), and in it one thread track per
 *   vcpu, one per device fd and one for the VMM's VM-fd ioctls.
 * - Every event is a slice (`ph: "X"`) on the track of whoever made the
 *   call: guest accesses (MMIO, port I/O, system registers, hypercalls) on
 *   their vcpu, attribute calls on the device (or vcpu, or VM fd) they
 *   address, the rest on the VMM track; named as `dump` names them, with
 *   the decoded fields in `args`.
 * - A counter per interrupt line (`ph: "C"`), from the irqchip's interrupts
 *   facet: 1 while the line is high.
 * - Flow arrows (`ph: "s"`, `"t"`, `"f"`) that follow one interrupt from
 *   the line raise or MSI that made it pending to the guest's acknowledge
 *   and its end of interrupt, again from the interrupts facet.
 *
 * Time: an event whose note holds a host timestamp (`{ "ts_us": N }`,
 * microseconds; importers of host traces keep the real time there) is
 * placed at it; otherwise event i sits at i microseconds, so the UI shows
 * event order. Slices last one unit (1 µs, or a tenth of the gap to the
 * next timestamped event's time where that is shorter) so that flow
 * arrows bind to them.
 */
import type { InterruptEffect } from '../devices/core/device.js';
import { errnoName } from '../devices/core/uapi.js';
import type { Backend, BackendFactory } from '../recorder/backend.js';
import { pointIn } from '../recorder/backend.js';
import type { Point } from '../recorder/inspect.js';
import type { TraceEvent } from '../traces/events.js';
import { describeEvent, eventToJson } from './decode.js';

/** One Chrome trace event. */
export interface ChromeEvent {
  readonly name: string;
  readonly ph: 'X' | 'C' | 'M' | 's' | 't' | 'f';
  readonly pid: number;
  readonly tid?: number;
  readonly ts?: number;
  readonly dur?: number;
  readonly cat?: string;
  readonly id?: number;
  readonly bp?: 'e';
  readonly args?: Record<string, unknown>;
}

/** Track ids inside a VM's process. vcpus are 1 + id (ids are below 2^32 / 2). */
const VMM_TID = 0;
const DEVICE_TID_BASE = 0x4000_0000;

export interface PerfettoOptions {
  /** Called every few thousand events with the count done (progress). */
  readonly progress?: (done: number) => void;
}

/** What an exporter learnt, for the command's summary line. */
export interface PerfettoSummary {
  readonly events: number;
  readonly tracks: number;
  readonly flows: number;
  readonly counters: number;
  /** Whether host timestamps were used (an imported trace). */
  readonly hostTime: boolean;
}

/** The host timestamp an importer kept in an event's note, in microseconds. */
export function hostTimeUs(ev: TraceEvent): number | undefined {
  const n = ev.note as { ts_us?: unknown } | undefined;
  if (n === null || typeof n !== 'object' || Array.isArray(n)) return undefined;
  const t = n.ts_us;
  return typeof t === 'number' && Number.isFinite(t) && t >= 0 ? t : undefined;
}

function vcpuOf(ev: TraceEvent): number | undefined {
  const v = (ev as { vcpu?: unknown }).vcpu;
  return typeof v === 'number' ? v : undefined;
}

/** An open interrupt's flow: keyed by VM, number and (once known) vcpu. */
interface Flow {
  readonly id: number;
  vcpu: number | undefined;
}

/**
 * Streams `events` (in trace order) through a fresh backend of `backends`
 * and calls `emit` with each Chrome event, metadata first for every track
 * as it appears. Returns the summary.
 */
export function exportPerfetto(events: Iterable<TraceEvent>, backends: BackendFactory, emit: (e: ChromeEvent) => void, opts: PerfettoOptions = {}): PerfettoSummary {
  const backend: Backend = backends.create();
  const tracks = new Set<string>();
  const counters = new Set<string>();
  const open = new Map<string, Flow>();
  let nextFlow = 1;
  let flows = 0;
  let hostTime = false;
  let lastTs = -1;
  let i = 0;

  const track = (pid: number, tid: number, name: () => string) => {
    const key = `${pid}/${tid}`;
    if (tracks.has(key)) return;
    tracks.add(key);
    emit({ name: 'thread_name', ph: 'M', pid, tid, args: { name: name() } });
    emit({ name: 'thread_sort_index', ph: 'M', pid, tid, args: { sort_index: tid } });
  };

  for (const ev of events) {
    const at = pointIn(backends, backend);
    const pid = ev.vm + 1;
    const host = hostTimeUs(ev);
    if (host !== undefined) hostTime = true;
    // Slices on one track must not go back in time; a host clock that does (two CPUs) is clamped.
    const ts = Math.max(host ?? i, lastTs + 0.001);
    lastTs = ts;
    if (ev.kind === 'create_vm') emit({ name: 'process_name', ph: 'M', pid, args: { name: `VM ${ev.vm} (${ev.arch})` } });
    const { tid, trackName } = trackOf(ev, at);
    track(pid, tid, trackName);
    const errno = (ev as { errno?: number }).errno ?? 0;
    emit({
      name: sliceName(ev, at),
      cat: ev.kind,
      ph: 'X',
      pid,
      tid,
      ts,
      dur: host !== undefined ? 0.001 : 0.5,
      args: { event: i, ...(errno ? { errno: errnoName(errno) } : {}), ...jsonArgs(ev, i, at) },
    });
    const effects = at ? at.inspector.interruptEffects(at.state, ev) : [];
    for (const e of effects) {
      const irqName = (at && at.inspector.interruptName(at.state, ev.vm, e.irq)) ?? `irq ${e.irq}`;
      if (e.action === 'raise' || e.action === 'lower') {
        const cname = `line ${irqName}${e.vcpu !== undefined ? ` (vcpu ${e.vcpu})` : ''}`;
        counters.add(`${pid}/${cname}`);
        emit({ name: cname, ph: 'C', pid, ts, args: { level: e.action === 'raise' ? 1 : 0 } });
      }
      const step = flowStep(open, ev.vm, e, () => nextFlow++);
      if (!step) continue;
      if (step.ph === 's') flows++;
      emit({ name: irqName, cat: 'interrupt', ph: step.ph, id: step.id, pid, tid, ts, bp: 'e' });
    }
    backend.execute(ev);
    i++;
    if (opts.progress && i % 4096 === 0) opts.progress(i);
  }
  return { events: i, tracks: tracks.size, flows, counters: counters.size, hostTime };
}

/**
 * The flow event an interrupt effect makes, if any: a raise opens a flow
 * for that interrupt unless one is open already (a level line raised
 * again before the guest took it is the same interrupt); an acknowledge
 * is a step; complete ends it. lower and deactivate draw no arrow.
 */
function flowStep(open: Map<string, Flow>, vm: number, e: InterruptEffect, newId: () => number): { ph: 's' | 't' | 'f'; id: number } | undefined {
  const exact = `${vm}/${e.irq}/${e.vcpu ?? ''}`;
  const any = `${vm}/${e.irq}/`;
  const find = () => open.get(exact) ?? open.get(any);
  switch (e.action) {
    case 'raise': {
      if (find()) return undefined;
      const f: Flow = { id: newId(), vcpu: e.vcpu };
      open.set(exact, f);
      return { ph: 's', id: f.id };
    }
    case 'acknowledge': {
      const f = find();
      if (!f) return undefined;
      // The interrupt is now that vcpu's: its EOI names the vcpu.
      if (e.vcpu !== undefined && f.vcpu === undefined) {
        open.delete(any);
        f.vcpu = e.vcpu;
        open.set(exact, f);
      }
      return { ph: 't', id: f.id };
    }
    case 'complete': {
      const f = find();
      if (!f) return undefined;
      open.delete(`${vm}/${e.irq}/${f.vcpu ?? ''}`);
      return { ph: 'f', id: f.id };
    }
    default:
      return undefined;
  }
}

/** The track an event belongs on: its vcpu, the device (or fd) it addresses, or the VMM. */
function trackOf(ev: TraceEvent, at: Point | undefined): { tid: number; trackName: () => string } {
  const target = (ev as { target?: { kind: string; id?: number; handle?: number } }).target;
  if (target?.kind === 'device' && target.handle !== undefined) {
    const h = target.handle;
    return { tid: DEVICE_TID_BASE + h, trackName: () => `device fd ${h} (${(at && at.inspector.deviceName(at.state, ev.vm, h)) ?? 'unknown'})` };
  }
  if (target?.kind === 'vcpu' && target.id !== undefined) {
    const id = target.id;
    return { tid: 1 + id, trackName: () => `vcpu ${id}` };
  }
  if (target?.kind === 'vm') return { tid: VMM_TID, trackName: () => 'VMM (VM fd)' };
  const vcpu = ev.kind === 'create_vcpu' ? undefined : vcpuOf(ev);
  if (vcpu !== undefined) return { tid: 1 + vcpu, trackName: () => `vcpu ${vcpu}` };
  return { tid: VMM_TID, trackName: () => 'VMM (VM fd)' };
}

/** A slice's name: dump's description without the note and the event's own result arrow. */
function sliceName(ev: TraceEvent, at: Point | undefined): string {
  const d = describeEvent(ev, at);
  const hash = d.indexOf('  # ');
  return hash >= 0 ? d.slice(0, hash) : d;
}

/** The event's fields as dump --json gives them, without the ones the slice already carries. */
function jsonArgs(ev: TraceEvent, i: number, at: Point | undefined): Record<string, unknown> {
  const { i: _i, kind: _k, vm: _vm, text: _t, ...rest } = eventToJson(ev, i, at) as Record<string, unknown>;
  return JSON.parse(JSON.stringify(rest, (_key, v: unknown) => (typeof v === "bigint" ? `0x${v.toString(16)}` : ArrayBuffer.isView(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("hex") : v))) as Record<string, unknown>;
}
