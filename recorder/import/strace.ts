/**
 * `devrr import strace`: a VMM's KVM ioctls (strace-text.ts) as devrr
 * trace events, with the results and errnos the kernel gave.
 *
 * strace prints the structs of the device-control API (kvm_create_device,
 * kvm_device_attr, kvm_irq_level, kvm_irqchip, kvm_msi) only as pointers,
 * so a call whose arguments are not in the text is kept as a `host` event:
 * its request, fd, the argument text and its result in the note, never
 * run (replay checks only what is known). The calls whose arguments strace
 * does print become the events that run:
 *
 * | call | event |
 * | --- | --- |
 * | KVM_CREATE_VM on /dev/kvm that returned a VM fd | `create_vm` (the next VM; the fd it returned names it from then on) |
 * | KVM_CREATE_VCPU on a VM fd, the id printed | `create_vcpu` with its errno |
 * | KVM_CREATE_IRQCHIP on a VM fd | `create_irqchip` with its errno (when this devrr declares the kind) |
 *
 * Only calls on KVM fds count (`-y` paths /dev/kvm and anon_inode:kvm-*);
 * the rest (the terminal, files) are counted and left out.
 *
 * With the ftrace capture of the same run (`--ftrace`), the two are
 * interleaved: the logs use different clocks (strace -ttt the wall clock,
 * ftrace its trace_clock), so the offset between them comes from the
 * KVM_RUN calls that returned to the VMM, paired in order on each thread
 * with that thread's kvm_userspace_exit (the median of the differences).
 * Each ftrace event then takes its place by time, its vcpu from the
 * KVM_RUN of its thread that holds it. An ftrace kvm_set_irq inside a
 * KVM_IRQ_LINE call of its thread gives that call its arguments: the call
 * becomes an `irq_line` with the GSI and level from ftrace and the errno
 * from strace.
 */
import type { Arch } from '../../devices/core/uapi.js';
import { ERRNO } from '../../devices/core/uapi.js';
import { createIrqchipEvent, exitReason, type ImportedEvent, type ImportReport, mapFtrace, type MappedRecord } from './ftrace.js';
import type { FtraceText } from './ftrace-text.js';
import type { StraceCall, StraceText } from './strace-text.js';

export interface StraceImport {
  readonly arch: Arch;
  readonly events: ImportedEvent[];
  readonly report: ImportReport & {
    /** Calls on fds that are no KVM fd. */
    readonly notKvm: number;
    /** With --ftrace: the offset added to ftrace times to reach strace's clock, in µs, and how many pairs gave it. */
    readonly offset?: { readonly us: number; readonly pairs: number; readonly spreadUs: number };
  };
}

const isKvmFd = (path: string | undefined) => path === '/dev/kvm' || (path?.startsWith('anon_inode:kvm') ?? false);

/** An errno name's number (ENODEV -> 19), or 0 for a call that succeeded. */
function errnoNumber(c: StraceCall): number {
  if (c.ret === undefined || c.ret >= 0) return 0;
  const n = c.errno ? (ERRNO as Record<string, number>)[c.errno] : undefined;
  return n ?? 0;
}

function hostFromCall(c: StraceCall, vm: number): ImportedEvent {
  return {
    kind: 'host',
    vm,
    note: {
      source: 'strace',
      name: c.requestName ?? (c.request !== undefined ? `0x${c.request.toString(16)}` : '?'),
      fd: c.path ?? String(c.fd),
      text: c.args.join(', '),
      ...(c.ret !== undefined && { ret: c.ret }),
      ...(c.errno && { errno: c.errno }),
      ...(c.exitReason && { exit_reason: c.exitReason }),
      ts_us: c.us,
      tid: c.tid,
      line: c.line,
      ...(c.duration && { duration_s: c.duration }),
    },
  };
}

/** The end of a call, in µs. */
const endUs = (c: StraceCall) => c.us + Math.round(Number(c.duration ?? '0') * 1e6);

export function importStrace(s: StraceText, opts: { arch?: Arch; ftrace?: FtraceText } = {}): StraceImport {
  const arch: Arch = opts.arch ?? 'x86_64';
  const calls = s.calls.filter((c) => isKvmFd(c.path));
  const notKvm = s.calls.length - calls.length;
  const events: ImportedEvent[] = [];
  const timed: { us: number; order: number; event: ImportedEvent }[] = [];
  const vmOfFd = new Map<number, number>();
  /** vcpu fd -> (vm, id) */
  const vcpuOfFd = new Map<number, { vm: number; id: number }>();
  let vms = 0;
  const byEvent: Record<string, number> = {};
  const synthesized: string[] = [];
  let order = 0;
  const push = (us: number, ev: ImportedEvent) => timed.push({ us, order: order++, event: ev });

  // ftrace, lined up on strace's clock.
  let offset: StraceImport['report']['offset'];
  let mapped: MappedRecord[] = [];
  /** The ftrace irq_line events of each thread, in time order, and how far the calls of that thread have looked. */
  const irqLineFromFtrace = new Map<number, { list: MappedRecord[]; next: number }>();
  if (opts.ftrace) {
    const runs = new Map<number, StraceCall[]>();
    for (const c of calls) if (c.requestName === 'KVM_RUN' && c.ret === 0 && c.exitReason) (runs.get(c.tid) ?? runs.set(c.tid, []).get(c.tid)!).push(c);
    const exits = new Map<number, number[]>();
    for (const r of opts.ftrace.records) if (r.event === 'kvm_userspace_exit' && exitReason(r) !== undefined) (exits.get(r.pid) ?? exits.set(r.pid, []).get(r.pid)!).push(r.us);
    const diffs: number[] = [];
    for (const [tid, rs] of runs) {
      const ex = exits.get(tid) ?? [];
      for (let k = 0; k < Math.min(rs.length, ex.length); k++) diffs.push(endUs(rs[k]!) - ex[k]!);
    }
    if (!diffs.length) throw new RangeError('cannot line up the strace log with the ftrace capture: no thread has both a KVM_RUN that returned to the VMM (strace) and a kvm_userspace_exit (ftrace); are they of the same run?');
    diffs.sort((a, b) => a - b);
    const us = diffs[diffs.length >> 1]!;
    offset = { us, pairs: diffs.length, spreadUs: diffs[diffs.length - 1]! - diffs[0]! };
    // The vcpu an ftrace record belongs to: the KVM_RUN of its thread that holds its time, on the vcpu
    // fd a KVM_CREATE_VCPU returned before it (which also says the VM).
    const runsOf = new Map<number, { call: StraceCall; at: { vm: number; vcpu: number } }[]>();
    const vmFd = new Map<number, number>();
    const vcpuFd = new Map<number, { vm: number; vcpu: number }>();
    let n = 0;
    for (const c of calls) {
      if (c.requestName === 'KVM_CREATE_VM' && c.path === '/dev/kvm' && c.ret !== undefined && c.ret >= 0) vmFd.set(c.ret, n++);
      else if (c.requestName === 'KVM_CREATE_VCPU' && vmFd.has(c.fd) && c.ret !== undefined && c.ret >= 0 && /^\d+$/.test(c.args[0] ?? '')) vcpuFd.set(c.ret, { vm: vmFd.get(c.fd)!, vcpu: Number(c.args[0]) });
      else if (c.requestName === 'KVM_RUN' && vcpuFd.has(c.fd)) (runsOf.get(c.tid) ?? runsOf.set(c.tid, []).get(c.tid)!).push({ call: c, at: vcpuFd.get(c.fd)! });
    }
    const vcpuFor = (r: { pid: number; us: number }) => {
      const t = r.us + us;
      return runsOf.get(r.pid)?.find((x) => x.call.us <= t && t <= endUs(x.call) + 50)?.at;
    };
    mapped = mapFtrace(opts.ftrace, arch, 0, vcpuFor, (t) => t + us);
    for (const m of mapped) {
      if (m.event.kind !== 'irq_line') continue;
      const pid = opts.ftrace.records[m.index]!.pid;
      (irqLineFromFtrace.get(pid) ?? irqLineFromFtrace.set(pid, { list: [], next: 0 }).get(pid)!).list.push(m);
    }
  }
  const usedFtrace = new Set<number>();

  for (const c of calls) {
    const name = c.requestName ?? '?';
    byEvent[name] = (byEvent[name] ?? 0) + 1;
    const errno = errnoNumber(c);
    if (name === 'KVM_CREATE_VM' && c.path === '/dev/kvm' && c.ret !== undefined && c.ret >= 0) {
      vmOfFd.set(c.ret, vms);
      push(c.us, { kind: 'create_vm', vm: vms, arch, ipaBits: arch === 'x86_64' ? 52 : 40, note: { source: 'strace', ts_us: c.us, tid: c.tid, line: c.line, fd: c.ret } });
      vms++;
      continue;
    }
    const vm = vmOfFd.get(c.fd);
    if (vm !== undefined && name === 'KVM_CREATE_VCPU' && /^\d+$/.test(c.args[0] ?? '')) {
      const id = Number(c.args[0]);
      if (c.ret !== undefined && c.ret >= 0) vcpuOfFd.set(c.ret, { vm, id });
      push(c.us, { kind: 'create_vcpu', vm, id, errno, note: { source: 'strace', ts_us: c.us, tid: c.tid, line: c.line } });
      continue;
    }
    if (vm !== undefined && name === 'KVM_CREATE_IRQCHIP') {
      const ev = createIrqchipEvent(vm, errno, { source: 'strace', ts_us: c.us, tid: c.tid, line: c.line });
      if (ev) {
        push(c.us, ev);
        continue;
      }
    }
    if (vm !== undefined && name === 'KVM_IRQ_LINE') {
      // Its arguments from the ftrace kvm_set_irq of this thread inside the call, if any; its errno from strace.
      // A thread's calls come in time order: one pass over its kvm_set_irq events (those before this call held by none).
      const q = irqLineFromFtrace.get(c.tid);
      while (q && q.next < q.list.length && q.list[q.next]!.us < c.us) q.next++;
      const m = q && q.next < q.list.length && q.list[q.next]!.us <= endUs(c) + 50 ? q.list[q.next++] : undefined;
      if (m) {
        usedFtrace.add(m.index);
        push(c.us, { ...m.event, vm, errno, note: { ...(m.event.note as object), source: 'strace+ftrace', strace_line: c.line } });
        continue;
      }
    }
    push(c.us, hostFromCall(c, vm ?? vcpuOfFd.get(c.fd)?.vm ?? 0));
  }
  // ftrace events by time among the calls (after a call that started at the same µs).
  for (const m of mapped) {
    if (usedFtrace.has(m.index)) continue;
    if (m.event.kind === 'irq_line') {
      // A kvm_set_irq no KVM_IRQ_LINE call holds (KVM_IRQ_LINE_STATUS, or another path): kept, not run.
      push(m.us, { kind: 'host', vm: 0, note: { ...(m.event.note as object), source: 'ftrace', name: 'kvm_set_irq', fields: { gsi: BigInt(m.event['irq'] as number), level: BigInt(m.event['level'] as number) } } });
      continue;
    }
    push(m.us, m.event);
  }
  timed.sort((a, b) => a.us - b.us || a.order - b.order);
  // Nothing may come before the first VM exists.
  const firstVm = timed.findIndex((t) => t.event.kind === 'create_vm');
  if (firstVm < 0) {
    events.push({ kind: 'create_vm', vm: 0, arch, ipaBits: arch === 'x86_64' ? 52 : 40, note: { synthesized: true, why: 'the log has no KVM_CREATE_VM: its calls are kept on a VM devrr adds' } });
    synthesized.push('create_vm: the log has no KVM_CREATE_VM');
  } else if (firstVm > 0) timed.unshift(timed.splice(firstVm, 1)[0]!);
  for (const t of timed) events.push(t.event);
  const byKind: Record<string, number> = {};
  for (const e of events) byKind[e.kind] = (byKind[e.kind] ?? 0) + 1;
  const vcpus = [...vcpuOfFd.values()].map((v) => ({ thread: -1, task: '', id: v.id, from: 'KVM_CREATE_VCPU' }));
  return {
    arch,
    events,
    report: {
      lines: s.calls.length,
      byEvent,
      byKind,
      vcpus,
      skipped: Object.values(s.skipped).reduce((n, x) => n + x.count, 0),
      unparsed: {},
      synthesized,
      notKvm,
      ...(offset && { offset }),
    },
  };
}
