/**
 * Opening a trace for any reader (a command, the TUI, a job): the one path every command takes, so every
 * command reports a damaged or inconsistent trace the same way (one line
 * naming the file and byte offset, exit status 2) before it does anything.
 *
 * - Every record is read and checked once (TraceReader.verify): CRCs, the
 *   footer's index against the records, the event-stream rules, and each
 *   checkpoint's state against the models' schema and its own digest. So no
 *   command acts on half a trace, or restores or shows a state the models
 *   could not have produced.
 * - The one incomplete trace a command reads is one cut at a record boundary
 *   (a recorder that crashed, was killed or is still running): its complete
 *   records are read, with a note saying so and how many events are missing
 *   when its footer survived to say.
 * - A trace recorded with other model versions than this devrr's is read,
 *   with a note naming them, before any divergence report.
 */
import type { VmState } from '../devices/core/vm-state.js';
import { digestState } from '../devices/core/state.js';
import type { BackendFactory } from '../recorder/backend.js';
import { MODELS } from '../recorder/execute.js';
import { type StreamVm, unknownKinds } from '../traces/chunk.js';
import type { Checkpoint, TraceHeader } from '../traces/format.js';
import { TraceReader } from '../traces/reader.js';

/**
 * devrr's check of a checkpoint beyond the format: its state is one the
 * backends could restore (the models' schema), holds the VMs the events
 * before it created (same architecture and IPA size), and hashes to its
 * digest. The problem, or undefined.
 */
export function checkCheckpoint(cp: Checkpoint, vms: readonly StreamVm[], backends: BackendFactory = MODELS): string | undefined {
  const bad = backends.checkState?.(cp.state);
  if (bad !== undefined) return `state does not fit ${backends.name === 'the device models' ? 'the models' : backends.name}: ${bad}`;
  const state = cp.state as { vms: VmState[] };
  if (state.vms.length !== vms.length) return `state holds ${state.vms.length} VM(s) but the events before it created ${vms.length}`;
  for (const [i, vm] of state.vms.entries()) {
    const made = vms[i]!;
    if (vm.arch !== made.arch || vm.ipaBits !== made.ipaBits) {
      return `state's VM ${i} is ${vm.arch} with ${vm.ipaBits} IPA bits but its create_vm made ${made.arch} with ${made.ipaBits}`;
    }
  }
  const digest = digestState(cp.state);
  if (digest !== cp.digest) return `state does not match its digest (it hashes to ${digest}, the record says ${shownDigest(cp.digest)})`;
  return undefined;
}

/**
 * Open and check the whole trace. Throws the first problem as a TraceError
 * (the command prints its one line and exits 2); a trace that is only cut
 * at a record boundary opens, with `unclosed` set (traceWarnings says so).
 */
export function openTrace(path: string, backends: BackendFactory = MODELS): TraceReader {
  const t = TraceReader.open(path, { checkCheckpoint: (cp, vms) => checkCheckpoint(cp, vms, backends) });
  try {
    if (!t.complete && !t.unclosed) throw t.damage!;
    t.verify();
    return t;
  } catch (e) {
    t.close();
    throw e;
  }
}

/** Models the header names with another version than this devrr runs: "kvm-arm-vgic-v2 v999 (this devrr: v1)". */
export function modelMismatches(header: TraceHeader, backends: BackendFactory = MODELS): string[] {
  const running = backends.versions?.() ?? {};
  const out: string[] = [];
  for (const [name, version] of Object.entries(header.models)) {
    const now = running[name];
    if (now === undefined) out.push(`${shownText(name)} v${version} (not modelled by this devrr)`);
    else if (now !== version) out.push(`${name} v${version} (this devrr: v${now})`);
  }
  return out;
}

/**
 * The event kinds the header declares that this devrr does not know (a newer
 * devrr's): each by name, with what replay does with it. Their events are
 * read, shown by name in dump and the TUI, and skipped by replay; a kind the
 * header flags as needed makes a replay meaningless. Empty when every kind is known.
 */
export function unknownKindNote(header: TraceHeader): string | undefined {
  const unknown = unknownKinds(header);
  if (unknown.length === 0) return undefined;
  return `holds event kinds this devrr does not know: ${unknown.map((k) => `${k.name} (${k.needed ? 'replay needs it' : 'replay skips it'})`).join(', ')}; dump shows their events by name`;
}

/** Why this trace cannot be replayed here: a kind replay needs that this devrr does not know; or undefined. */
export function replayProblem(header: TraceHeader): string | undefined {
  const needed = unknownKinds(header).filter((k) => k.needed);
  if (needed.length === 0) return undefined;
  return `cannot replay: its events of kind ${needed.map((k) => k.name).join(', ')} change device state, and this devrr does not know ${needed.length === 1 ? 'that kind' : 'those kinds'} (a newer devrr wrote the trace)`;
}

/**
 * A name or text from the file as a report quotes it: as it is when it is
 * printable ASCII of at most 128 characters, else JSON-escaped and cut. A
 * line break in it must not break the one line a note or an exit 2 prints
 * (fuzz: checkpoint, seed 20250901, input 52210, a digest; header, input
 * 12351, a model name).
 */
export function shownText(t: string): string {
  return /^[\x20-\x7e]{1,128}$/.test(t) ? t : JSON.stringify(t.length > 128 ? `${t.slice(0, 128)}...` : t);
}

/** A digest from the file as a message quotes it (shownText; an empty one as it is). */
function shownDigest(d: string): string {
  return d === '' ? d : shownText(d);
}
