/**
 * `devrr import ftrace`: a host's kvm trace events (ftrace-text.ts) as
 * devrr trace events. Each event line that carries one becomes one event,
 * with its task, pid, cpu, timestamp and line kept in the note (`ts_us`
 * places it in time for `export perfetto`):
 *
 * | ftrace event | devrr event |
 * | --- | --- |
 * | kvm_mmio write / read | `mmio` (`exit` when the thread's next event is kvm_userspace_exit KVM_EXIT_MMIO) |
 * | kvm_mmio unsatisfied-read, then read of the same address | one `mmio` read that exited to the VMM, with the value the read line gives |
 * | kvm_pio (count 1) | `pio` (`exit` when followed by kvm_userspace_exit KVM_EXIT_IO) |
 * | kvm_set_irq, source 0 (the VMM's KVM_IRQ_LINE), x86 | `irq_line` with the GSI and level (x86's KVM_IRQ_LINE returns 0 once it reached kvm_set_irq) |
 * | everything else (kvm_pic_set_irq, kvm_ioapic_set_irq, kvm_msi_set_irq, kvm_userspace_exit, kvm_exit, kvm_entry, the arm64 vgic and timer events, string I/O, another source's kvm_set_irq) | `host` (traces/kinds/host.ts): the event's name, text and fields in its note, not run on replay |
 * | tracing_mark_write | `host` named `marker`, its text in the note |
 *
 * Nothing is invented: a value the text does not give is not made up.
 * Alone, the trace starts the way the capture's VM must have: `create_vm`
 * with the architecture the events belong to, one `create_vcpu` per vcpu
 * thread (its id from kvm_exit / kvm_entry where they print it, else the
 * order the threads first appear in, said in the report), and on x86 the
 * in-kernel irqchip when the PIC or IOAPIC events show one. Those events
 * carry `"synthesized": true` in their note. With an strace log of the same
 * run (strace.ts), the calls come from there instead.
 */
import type { Arch } from '../../devices/core/uapi.js';
import { kindDecl } from '../../traces/kinds.js';
import type { FtraceRecord, FtraceText } from './ftrace-text.js';
import { EVENT_ARCH } from './kvm-formats.js';

/** One imported event: a trace event's fields (its kind's), before the writer checks them. */
export type ImportedEvent = { readonly kind: string; readonly vm: number; readonly note?: unknown } & Record<string, unknown>;

export interface ImportReport {
  /** Event lines read. */
  readonly lines: number;
  /** Lines by ftrace event name / calls by request. */
  readonly byEvent: Record<string, number>;
  /** Events written by devrr kind. */
  readonly byKind: Record<string, number>;
  readonly vcpus: readonly { readonly thread: number; readonly task: string; readonly id: number; readonly from: string }[];
  /** Lines that were no event (and why, with the first few). */
  readonly skipped: number;
  /** Event lines whose text no format read (kept as host events with their text). */
  readonly unparsed: Record<string, number>;
  /** Events devrr added that the capture implies (create_vm, create_vcpu, create_irqchip), with why. */
  readonly synthesized: readonly string[];
}

export interface FtraceImport {
  readonly arch: Arch;
  readonly events: ImportedEvent[];
  readonly report: ImportReport;
}

/** Events a vcpu thread makes (guest accesses and exits): their thread is a vcpu. */
const VCPU_EVENTS = new Set(['kvm_mmio', 'kvm_pio', 'kvm_exit', 'kvm_entry', 'kvm_userspace_exit']);

const KVM_EXIT_IO = 2n;
const KVM_EXIT_MMIO = 6n;

/** The architecture the capture's events belong to, or undefined when nothing says. */
export function ftraceArch(t: FtraceText): Arch | undefined {
  for (const r of t.records) if (Object.hasOwn(EVENT_ARCH, r.event)) return EVENT_ARCH[r.event];
  return undefined;
}

/** The exit reason a kvm_userspace_exit line gives (its number), if it parsed. */
export function exitReason(r: FtraceRecord): bigint | undefined {
  if (r.event !== 'kvm_userspace_exit' || !r.parsed) return undefined;
  const v = Object.values(r.parsed.derived).find((x) => typeof x === 'bigint');
  return typeof v === 'bigint' ? v : undefined;
}

/** Where an ftrace record came from, for its event's note. */
export function ftraceWhere(r: FtraceRecord, tsUs = r.us): Record<string, unknown> {
  return { ts_us: tsUs, task: r.task, pid: r.pid, cpu: r.cpu, line: r.line };
}

/** An ftrace record as a `host` event: its name, text and fields in the note. */
export function hostFromFtrace(r: FtraceRecord, vm: number, tsUs = r.us, name = r.event): ImportedEvent {
  return { kind: 'host', vm, note: { source: 'ftrace', name, text: r.text, ...(r.parsed && Object.keys(r.parsed.fields).length && { fields: r.parsed.fields }), ...ftraceWhere(r, tsUs) } };
}

/** One mapped record: the event, the record's index, and its host time. */
export interface MappedRecord {
  readonly index: number;
  readonly us: number;
  readonly event: ImportedEvent;
}

/**
 * The devrr event each record of `t` becomes (the table above), in file
 * order. `vcpuFor` gives the vcpu id of a record's thread at that moment
 * (undefined: not a vcpu, and a guest access then stays a host event);
 * `shift` maps a record's time to the time its note keeps.
 */
export function mapFtrace(t: FtraceText, arch: Arch, defaultVm: number, vcpuFor: (r: FtraceRecord) => { vm: number; vcpu: number } | undefined, shift: (us: number) => number = (us) => us): MappedRecord[] {
  const recs = t.records;
  const used = new Set<number>();
  const nextOfThread = (i: number) => {
    for (let j = i + 1; j < recs.length; j++) if (recs[j]!.pid === recs[i]!.pid) return j;
    return -1;
  };
  const prevOfThread = (i: number) => {
    for (let j = i - 1; j >= 0; j--) if (recs[j]!.pid === recs[i]!.pid) return j;
    return -1;
  };
  const out: MappedRecord[] = [];
  recs.forEach((r, i) => {
    if (used.has(i)) return;
    const f = r.parsed?.fields;
    const us = shift(r.us);
    const where = ftraceWhere(r, us);
    const at = vcpuFor(r);
    const vm = at?.vm ?? defaultVm;
    let ev: ImportedEvent | undefined;
    if (r.event === 'tracing_mark_write') ev = hostFromFtrace(r, vm, us, 'marker');
    else if (r.event === 'kvm_mmio' && f?.type !== undefined && f.len !== undefined && f.gpa !== undefined && f.val !== undefined && at !== undefined) {
      const vcpu = at.vcpu;
      const len = Number(f.len);
      if (f.type === 0n) {
        // An unsatisfied read: the VMM's answer comes with the thread's next kvm_mmio read of the same address.
        let j = i + 1;
        for (; j < recs.length; j++) {
          const x = recs[j]!;
          if (x.pid === r.pid && x.event === 'kvm_mmio' && x.parsed?.fields.type === 1n && x.parsed.fields.gpa === f.gpa) break;
        }
        if (j < recs.length) {
          used.add(j);
          ev = { kind: 'mmio', vm, vcpu, write: false, addr: Number(f.gpa), len, value: recs[j]!.parsed!.fields.val!, exit: true, errno: 0, note: { ...where, completed_at_line: recs[j]!.line } };
        }
      } else {
        const n = nextOfThread(i);
        const exit = n >= 0 && exitReason(recs[n]!) === KVM_EXIT_MMIO;
        ev = { kind: 'mmio', vm, vcpu, write: f.type === 2n, addr: Number(f.gpa), len, value: f.val, exit, errno: 0, note: where };
      }
    } else if (r.event === 'kvm_pio' && f?.count === 1n && f.rw !== undefined && f.port !== undefined && f.size !== undefined && f.val !== undefined && at !== undefined) {
      // An OUT is traced as it happens, then exits (kvm_userspace_exit follows); an IN that exits is traced when
      // the VMM's answer completes it (complete_emulated_pio), so its kvm_userspace_exit comes before it.
      const n = f.rw === 1n ? nextOfThread(i) : prevOfThread(i);
      const exit = n >= 0 && exitReason(recs[n]!) === KVM_EXIT_IO;
      ev = { kind: 'pio', vm, vcpu: at.vcpu, write: f.rw === 1n, port: Number(f.port), len: Number(f.size), value: f.val, exit, errno: 0, note: where };
    } else if (r.event === 'kvm_set_irq' && arch === 'x86_64' && f?.irq_source_id === 0n && f.gsi !== undefined && f.level !== undefined) {
      ev = { kind: 'irq_line', vm, irq: Number(f.gsi), level: Number(f.level), errno: 0, note: where };
    }
    out.push({ index: i, us, event: ev ?? hostFromFtrace(r, vm, us) });
  });
  return out;
}

/** `create_irqchip` when this devrr declares the kind (KVM_CREATE_IRQCHIP), else undefined. */
export function createIrqchipEvent(vm: number, errno: number, note: unknown): ImportedEvent | undefined {
  const d = kindDecl('create_irqchip');
  if (!d) return undefined;
  return { kind: 'create_irqchip', vm, ...Object.fromEntries(d.fields.map((f) => [f.name, f.name === 'errno' ? errno : 0])), note } as ImportedEvent;
}

/** The trace of an ftrace capture alone (see the file comment). */
export function importFtrace(t: FtraceText, opts: { arch?: Arch } = {}): FtraceImport {
  const arch = opts.arch ?? ftraceArch(t);
  if (!arch) throw new RangeError("nothing in the capture says which architecture it is from (no architecture's own kvm event): give --arch");
  const recs = t.records;
  // vcpus: the threads that made guest events, with their ids where the text gives them.
  const vcpuOf = new Map<number, { thread: number; task: string; id: number; from: string }>();
  for (const r of recs) {
    if (!VCPU_EVENTS.has(r.event) || vcpuOf.has(r.pid)) continue;
    const printed = recs.find((x) => x.pid === r.pid && (x.event === 'kvm_exit' || x.event === 'kvm_entry') && x.parsed?.fields.vcpu_id !== undefined);
    vcpuOf.set(r.pid, printed ? { thread: r.pid, task: r.task, id: Number(printed.parsed!.fields.vcpu_id), from: printed.event } : { thread: r.pid, task: r.task, id: -1, from: 'order of appearance' });
  }
  const taken = new Set([...vcpuOf.values()].filter((v) => v.id >= 0).map((v) => v.id));
  let next = 0;
  for (const v of vcpuOf.values()) {
    if (v.id >= 0) continue;
    while (taken.has(next)) next++;
    v.id = next;
    taken.add(next);
  }

  const events: ImportedEvent[] = [];
  const synthesized: string[] = [];
  const firstUs = recs[0]?.us;
  const synth = (ev: ImportedEvent | undefined, why: string) => {
    if (!ev) return;
    events.push({ ...ev, note: { synthesized: true, why, ...(firstUs !== undefined && { ts_us: firstUs }) } });
    synthesized.push(`${ev.kind}: ${why}`);
  };
  synth({ kind: 'create_vm', vm: 0, arch, ipaBits: arch === 'x86_64' ? 52 : 40 }, `the capture's VM (${arch}, from its events)`);
  // On x86 the irqchip comes before the vcpus (KVM_CREATE_IRQCHIP is EINVAL once a vcpu exists).
  if (arch === 'x86_64' && recs.some((r) => r.event === 'kvm_pic_set_irq' || r.event === 'kvm_ioapic_set_irq')) synth(createIrqchipEvent(0, 0, undefined), 'the PIC and IOAPIC events show an in-kernel irqchip');
  for (const v of vcpuOf.values()) synth({ kind: 'create_vcpu', vm: 0, id: v.id, errno: 0 }, `vcpu thread ${v.task}-${v.thread} (id from ${v.from})`);

  const mapped = mapFtrace(t, arch, 0, (r) => {
    const v = vcpuOf.get(r.pid);
    return v && { vm: 0, vcpu: v.id };
  });
  const byEvent: Record<string, number> = {};
  for (const r of recs) byEvent[r.event] = (byEvent[r.event] ?? 0) + 1;
  const byKind: Record<string, number> = {};
  for (const m of mapped) {
    byKind[m.event.kind] = (byKind[m.event.kind] ?? 0) + 1;
    events.push(m.event);
  }
  return { arch, events, report: { lines: recs.length, byEvent, byKind, vcpus: [...vcpuOf.values()], skipped: t.skipped.count, unparsed: t.unparsed, synthesized } };
}
