/**
 * `host`: something a host trace showed that devrr keeps but does not run:
 * an ftrace event the models have no input for (kvm_exit, kvm_entry,
 * kvm_userspace_exit, the PIC's and IOAPIC's own kvm_pic_set_irq and
 * kvm_ioapic_set_irq, a string port access), a `tracing_mark_write`
 * marker, or an strace call whose arguments strace printed only as a
 * pointer (a struct devrr cannot see). The event has no fields of its own:
 * what it was lives in its note (`source`, `name`, `text`, `fields`, `ret`,
 * `errno`, `ts_us`, `tid`/`pid`...), so that nothing is invented, and a
 * replay skips it: it changes no model state (`needed` false: a reader that
 * does not know the kind may skip it too).
 */
import type { DeclaredEvent, EventKindDecl } from '../kinds.js';

/** What an importer writes in a host event's note. */
export interface HostNote {
  /** Where it came from. */
  readonly source: 'ftrace' | 'strace';
  /** The ftrace event or ioctl request name ("kvm_pic_set_irq", "KVM_CREATE_DEVICE"), or "marker". */
  readonly name: string;
  /** The line's text after the event name (ftrace), or the call's arguments as strace printed them. */
  readonly text?: string;
  /** Fields read back from the text (ftrace), by name. */
  readonly fields?: Readonly<Record<string, bigint>>;
  /** The fd the call was made on, as `strace -y` printed it. */
  readonly fd?: string;
  /** The call's return value and errno name (strace). */
  readonly ret?: number;
  readonly errno?: string;
  /** Host time in microseconds (`export perfetto` places the event there). */
  readonly ts_us?: number;
}

function noteOf(ev: DeclaredEvent): Partial<HostNote> {
  const n = ev.note;
  return n !== null && typeof n === 'object' && !Array.isArray(n) ? (n as Partial<HostNote>) : {};
}

export const HOST: EventKindDecl = {
  name: 'host',
  since: [1, 3],
  needed: false,
  description: 'what a host trace showed that devrr keeps without running it (an ftrace event, a marker, an strace call with unknown arguments); all of it in the note',
  fields: [],
  results: [],
  execute: () => ({}),
  describe(ev) {
    const n = noteOf(ev);
    const name = typeof n.name === 'string' ? n.name : '?';
    if (n.source === 'strace') {
      const res = typeof n.ret === 'number' ? (n.ret < 0 && n.errno ? ` -> ${n.errno}` : ` -> ${n.ret}`) : '';
      return `host strace ${name}${n.fd ? ` on ${n.fd}` : ''}${n.text ? ` (${n.text})` : ''}${res}`;
    }
    return `host ${n.source ?? '?'} ${name}${n.text ? `: ${n.text}` : ''}`;
  },
};
