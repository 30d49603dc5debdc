/**
 * The backend seam: what executes trace events. Recording, replay, the
 * timeline, bisect, migrate-check and the TUI are given a BackendFactory
 * and never name an implementation. The device models are one backend
 * (execute.ts); a live /dev/kvm backend is another that can plug in here.
 *
 * A backend must execute events. What else it can do is declared as
 * capabilities, each an optional member, and every caller has a path for a
 * backend without it:
 *
 * - `state`: the state as plain data (SessionState) — snapshot, restore,
 *   digest. Checkpoints, time travel by restoring, bisect's probes, digest
 *   checks and migrate-check need it. Without it the timeline seeks back by
 *   replaying from a fresh backend, replay checks results but no digest.
 * - `fast`: the replay hot paths (an MMIO access or an interrupt line
 *   straight from the trace's columns, no event object built). Without it
 *   every event goes through `execute`.
 *
 * How the debugger reads a state (names, frames, the state tree) is the
 * separate Inspector (inspect.ts) that comes with the factory.
 */
import { kindDecl } from '../traces/kinds.js';
import type { VmState } from '../devices/core/vm-state.js';
import type { IrqLineEvent, MmioEvent, TraceEvent } from '../traces/events.js';
import type { Inspector, Point } from './inspect.js';

/** The plain-data state of every VM of a backend, in creation order: what checkpoints store and digests cover. */
export interface SessionState {
  vms: VmState[];
}

export interface Backend {
  /** Runs `ev` (its recorded result fields are ignored) and returns it with this backend's results. */
  execute(ev: TraceEvent): TraceEvent;
  /** Capability: the state as plain data. */
  readonly state?: StateCapability;
  /** Capability: the replay fast paths. */
  readonly fast?: FastPaths;
}

export interface StateCapability {
  /** A copy of the whole state. */
  snapshot(): SessionState;
  /** Replaces the whole state with a copy of `state` (VMs included: a fresh backend can take any snapshot). */
  restore(state: SessionState): void;
  /** digestState(snapshot()), without the copy. */
  digest(): string;
  /** The state now, not copied: read it at once, never change or keep it. */
  peek(): SessionState;
}

/** fast.mmio: the event is not eligible, nothing ran (execute it). */
export const FAST_SKIP = -1;
/** fast.mmio: it ran and its result is the recorded one. */
export const FAST_OK = -2;

/**
 * The replay hot paths. A fast path only takes an access or a line on a VM
 * that already runs, to a frame already mapped: it never changes the VM's
 * layout (which device claims which frame, nr_irqs), the part of the state
 * events are named by. Search relies on it (replay/search.ts): it decodes
 * an access once and reuses the verdict until an event goes through execute.
 */
export interface FastPaths {
  /**
   * An MMIO access from a chunk's shape and its low value word: FAST_SKIP
   * (not eligible, nothing ran), FAST_OK (ran, same result), or the value a
   * read returned instead of the recorded one.
   */
  mmio(shape: MmioEvent, lo: number): number;
  /** KVM_IRQ_LINE: the errno it returned, or FAST_SKIP when not eligible (nothing ran). */
  irqLine(shape: IrqLineEvent): number;
  /**
   * Optional: mmio with a memo per chunk. mmioMemo(shapes) gives a table the
   * backend owns for one chunk's shapes (the replay loop asks once per
   * chunk); mmioAt(memo, k, shape, lo) is mmio(shape, lo) for shapes[k],
   * with what the backend resolved for that shape kept in the table.
   */
  mmioMemo?(shapes: readonly TraceEvent[]): MmioMemo;
  mmioAt?(memo: MmioMemo, k: number, shape: MmioEvent, lo: number): number;
}

/** A backend's per-chunk table for FastPaths.mmioAt (opaque to the replay loop). */
export type MmioMemo = unknown[];

/** How the layers above get backends: a fresh one (no VM yet) per call, and the inspector for their states. */
export interface BackendFactory {
  /** What it runs against, in words ("the device models"). */
  readonly name: string;
  create(): Backend;
  readonly inspector: Inspector;
  /** What is wrong with a plain-data state from outside (a trace's checkpoint) that its backends would restore, or undefined. */
  checkState?(state: unknown): string | undefined;
  /** What it runs, by name and version, as a trace header records them ("kvm-arm-vgic-v2": 2). */
  versions?(): Readonly<Record<string, number>>;
  /** Where its results come from when not from the models, for the trace header's `origin` (the live backend: the host's kernel). */
  origin?(): Readonly<Record<string, string>>;
}

/** The state a backend of `backends` holds now, with the inspector that reads it; undefined for a backend without state. */
export function pointIn(backends: BackendFactory, backend: Backend): Point | undefined {
  const st = backend.state;
  return st && { inspector: backends.inspector, state: st.peek() };
}

/** Do two executions of one event agree on every result field? */
export function sameResult(a: TraceEvent, b: TraceEvent): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'create_vm':
      return true;
    case 'create_device':
      return a.errno === (b as typeof a).errno && a.handle === (b as typeof a).handle;
    case 'get_attr': {
      const o = b as typeof a;
      return a.errno === o.errno && a.outValue === o.outValue && bytesEqual(a.outData, o.outData);
    }
    case 'mmio': {
      const o = b as typeof a;
      return a.errno === o.errno && a.exit === o.exit && a.value === o.value;
    }
    case 'hcall':
      return a.errno === (b as typeof a).errno && a.ret === (b as typeof a).ret;
    case 'sysreg':
      return a.errno === (b as typeof a).errno && a.value === (b as typeof a).value;
    case 'mem_read':
      return a.errno === (b as typeof a).errno && bytesEqual(a.data, (b as typeof a).data);
    case 'signal_msi':
      return a.errno === (b as typeof a).errno && a.ret === (b as typeof a).ret;
    default: {
      // Every other kind: the result fields its declaration names (traces/kinds.ts).
      const results = kindDecl(a.kind)?.results ?? ['errno'];
      const x = a as unknown as Record<string, unknown>;
      const y = b as unknown as Record<string, unknown>;
      return results.every((f) => (x[f] instanceof Uint8Array || y[f] instanceof Uint8Array ? bytesEqual(x[f] as Uint8Array | undefined, y[f] as Uint8Array | undefined) : x[f] === y[f]));
    }
  }
}

function bytesEqual(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (!a || !b) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
