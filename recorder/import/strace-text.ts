/**
 * Reading an strace log of a VMM's ioctls, as
 * `strace -f -ttt -T -y -v -X verbose --kvm=vcpu -e trace=ioctl` writes it:
 *
 *     13801 1795315138.481172 ioctl(4<anon_inode:kvm-vm>, 0xc00caee0 /* KVM_CREATE_DEVICE *\/, 0x7f6b610129b0) = -1 ENODEV (No such device) <0.000010>
 *     13801 1795315138.482787 ioctl(6<anon_inode:kvm-vcpu:0>, 0xae80 /* KVM_RUN *\/, 0) = 0 (KVM_EXIT_MMIO) <0.000137>
 *     13801 1795315138.498290 ioctl(6<anon_inode:kvm-vcpu:0>, 0xae80 /* KVM_RUN *\/ <unfinished ...>
 *     13801 1795315138.648876 <... ioctl resumed>, 0) = 0 (KVM_EXIT_IO) <0.150555>
 *
 * Each call gives the thread, the time (seconds since the epoch), the fd
 * with the path `-y` printed for it (anon_inode:kvm-vm, kvm-vcpu:N, a
 * device's inode name), the request by number and name, the remaining
 * arguments as strace printed them (a pointer, a number, or a decoded
 * struct: kept as text, never decoded further here), the result, the errno
 * name, KVM_RUN's exit reason (--kvm=vcpu) and the time spent. A call split
 * by another thread (`<unfinished ...>` ... `<... ioctl resumed>`) is
 * joined, at the time it started. Signals and exits are not calls; other
 * lines are counted as skipped.
 */

/** One ioctl call. */
export interface StraceCall {
  /** 1-based line of the call's start. */
  readonly line: number;
  /** The thread (strace -f's first column). */
  readonly tid: number;
  /** The start time as printed ("1795315138.481172"), seconds. */
  readonly timestamp: string;
  /** The start time in microseconds since the epoch. */
  readonly us: number;
  readonly fd: number;
  /** What `-y` printed for the fd ("anon_inode:kvm-vm", "/dev/kvm"), if anything. */
  readonly path?: string;
  /** The request number, when printed. */
  readonly request?: number;
  /** The request's name ("KVM_CREATE_DEVICE"), when strace knew it. */
  readonly requestName?: string;
  /** The arguments after the request, as printed. */
  readonly args: readonly string[];
  /** The return value; undefined for a call that never returned in the log ("?"). */
  readonly ret?: number;
  /** The path `-y` printed for a returned fd ("anon_inode:kvm-vm"). */
  readonly retPath?: string;
  /** The errno's name for a failed call ("ENODEV"). */
  readonly errno?: string;
  /** KVM_RUN's exit reason as --kvm=vcpu printed it ("KVM_EXIT_MMIO"). */
  readonly exitReason?: string;
  /** Time spent in the call, seconds, as printed. */
  readonly duration?: string;
}

export interface StraceText {
  readonly calls: StraceCall[];
  /** Lines that are not ioctl calls (other syscalls, junk), by reason, with the first few. */
  readonly skipped: Record<string, { count: number; first: { line: number; text: string }[] }>;
  /** Calls left unfinished at the end of the log (the thread was killed). */
  readonly unfinished: number;
}

export const MAX_STRACE_LINE = 256 * 1024;
export const MAX_CALLS = 50_000_000;

const HEAD = /^(\d+)\s+(\d+\.\d+)\s+(.*)$/;
const START = /^ioctl\((\d+)(?:<([^>]*)>)?,\s*(.*)$/;
const RESUMED = /^<\.\.\. ioctl resumed>(.*)$/;
const RESULT = /^\)\s+=\s+(-?\d+|\?)(?:<([^>]*)>)?(?:\s+([A-Z][A-Z0-9_]+)\s+\([^)]*\))?(?:\s+\(([A-Z0-9_]+)\))?(?:\s+<([\d.]+)>)?\s*$/;

/** Microseconds of a "SECONDS.FRACTION" time, exact to 6 decimals. */
function usOf(ts: string): number {
  const [sec, frac = ''] = ts.split('.');
  return Number(sec) * 1_000_000 + Number((frac + '000000').slice(0, 6));
}

/** Splits strace's argument text at top-level commas (outside braces, brackets, parentheses, strings and comments). */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
      cur += s.slice(i, j + 1);
      i = j;
      continue;
    }
    if (c === '/' && s[i + 1] === '*') {
      const j = s.indexOf('*/', i + 2);
      const end = j < 0 ? s.length : j + 2;
      cur += s.slice(i, end);
      i = end - 1;
      continue;
    }
    if (c === '{' || c === '[' || c === '(') depth++;
    else if (c === '}' || c === ']' || c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** The index of the `)` that closes the argument list, or -1 (a top-level ')' outside strings and comments). */
function closingParen(s: string): number {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
      i = j;
    } else if (c === '/' && s[i + 1] === '*') {
      const j = s.indexOf('*/', i + 2);
      i = j < 0 ? s.length : j + 1;
    } else if (c === '{' || c === '[' || c === '(') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === ')') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

interface Pending {
  readonly line: number;
  readonly tid: number;
  readonly timestamp: string;
  readonly fd: number;
  readonly path?: string;
  readonly argText: string;
}

function finish(p: Pending, argText: string, tail: string): StraceCall | string {
  const r = RESULT.exec(tail);
  if (!r) return 'an ioctl whose result strace did not print as "= N ..."';
  const [reqText = '', ...args] = splitArgs(argText);
  const req = /^(0x[0-9a-fA-F]+|\d+)(?:\s*\/\*\s*([A-Z0-9_]+)\s*\*\/)?$/.exec(reqText) ?? /^()([A-Z][A-Z0-9_]*)$/.exec(reqText);
  return {
    line: p.line,
    tid: p.tid,
    timestamp: p.timestamp,
    us: usOf(p.timestamp),
    fd: p.fd,
    ...(p.path !== undefined && { path: p.path }),
    ...(req?.[1] && { request: Number(req[1]) }),
    ...(req?.[2] && { requestName: req[2] }),
    args,
    ...(r[1] !== '?' && { ret: Number(r[1]) }),
    ...(r[2] !== undefined && { retPath: r[2] }),
    ...(r[3] !== undefined && { errno: r[3] }),
    ...(r[4] !== undefined && { exitReason: r[4] }),
    ...(r[5] !== undefined && { duration: r[5] }),
  };
}

/** Reads an strace log. Throws a RangeError naming the line when a bound is passed. */
export function readStraceText(lines: Iterable<string>): StraceText {
  const calls: StraceCall[] = [];
  const skipped: StraceText['skipped'] = {};
  const pending = new Map<number, Pending>();
  const skip = (reason: string, line: number, text: string) => {
    const r = (skipped[reason] ??= { count: 0, first: [] });
    r.count++;
    if (r.first.length < 5) r.first.push({ line, text: text.slice(0, 200) });
  };
  let n = 0;
  for (const raw of lines) {
    n++;
    if (raw.length > MAX_STRACE_LINE) throw new RangeError(`line ${n} is ${raw.length} characters long, more than the ${MAX_STRACE_LINE} an strace line may have`);
    const s = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!s.trim()) continue;
    const h = HEAD.exec(s);
    if (!h) {
      skip('not an "strace -f -ttt" line (TID SECONDS.USEC CALL)', n, s);
      continue;
    }
    const tid = Number(h[1]);
    const rest = h[3]!;
    if (rest.startsWith('+++') || rest.startsWith('---')) continue; // exits and signals
    let call: StraceCall | string;
    const res = RESUMED.exec(rest);
    if (res) {
      const p = pending.get(tid);
      if (!p) {
        skip('a resumed ioctl whose start is not in the log', n, s);
        continue;
      }
      pending.delete(tid);
      const tail = res[1]!;
      const close = closingParen(tail);
      if (close < 0) {
        skip('a resumed ioctl with no closing parenthesis', n, s);
        continue;
      }
      call = finish(p, `${p.argText}${tail.slice(0, close)}`, tail.slice(close));
    } else {
      const st = START.exec(rest);
      if (!st) {
        skip(/^\w+\(/.test(rest) ? 'another system call than ioctl' : 'not a system call', n, s);
        continue;
      }
      const p: Pending = { line: n, tid, timestamp: h[2]!, fd: Number(st[1]), ...(st[2] !== undefined && { path: st[2] }), argText: '' };
      const body = st[3]!;
      const unfinished = body.match(/\s*<unfinished \.\.\.>\s*$/);
      if (unfinished) {
        pending.set(tid, { ...p, argText: body.slice(0, unfinished.index) });
        continue;
      }
      const close = closingParen(body);
      if (close < 0) {
        skip('an ioctl with no closing parenthesis', n, s);
        continue;
      }
      call = finish(p, body.slice(0, close), body.slice(close));
    }
    if (typeof call === 'string') {
      skip(call, n, s);
      continue;
    }
    if (calls.length >= MAX_CALLS) throw new RangeError(`line ${n}: more than ${MAX_CALLS} ioctl calls`);
    calls.push(call);
  }
  calls.sort((a, b) => a.us - b.us || a.line - b.line);
  return { calls, skipped, unfinished: pending.size };
}
