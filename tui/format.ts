/**
 * Text for the TUI's panes, from plain data: decoded events as
 * `eventToJson` gives them (kernel names beside the numbers), and values
 * of the named state view. Presentation only; decoding is the replay
 * library's.
 */
import type { DetailLine, EventDetail } from './frame.js';

/** A decoded event: eventToJson's output. */
export type DecodedEvent = Readonly<Record<string, unknown>>;

/** What the session knows about the device an MMIO access hits, if any. */
export interface MmioTarget {
  readonly handle: number;
  readonly device: string;
  readonly frame: string;
}

const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));

/** "KVM_DEV_ARM_VGIC_GRP_DIST_REGS" -> "GRP_DIST_REGS" (the row is narrow; the detail pane has the full name). */
export function shortGroup(name: string): string {
  const i = name.indexOf('_GRP_');
  return i >= 0 ? name.slice(i + 1) : name;
}

/** "0" -> "", "EEXIST" -> " -> EEXIST" */
function failure(ev: DecodedEvent): string {
  const n = str(ev.errno_name);
  return n && n !== '0' ? ` -> ${n}` : '';
}

function targetText(t: unknown): string {
  const target = t as { kind: string; handle?: number; id?: number } | undefined;
  if (!target) return '';
  if (target.kind === 'device') return `dev ${target.handle}`;
  if (target.kind === 'vcpu') return `vcpu ${target.id}`;
  return 'vm';
}

/** A compact one-line form of an event, for the event list. */
export function rowText(ev: DecodedEvent): string {
  const vm = Number(ev.vm ?? 0) ? `[vm ${str(ev.vm)}] ` : '';
  switch (ev.kind) {
    case 'mmio': {
      const arrow = ev.write ? '<-' : '->';
      return `${vm}v${str(ev.vcpu)} ${ev.write ? 'W' : 'R'} ${str(ev.reg)} ${arrow} ${str(ev.value)}${ev.exit ? ' (exit)' : ''}${failure(ev)}`;
    }
    case 'set_attr':
    case 'get_attr':
    case 'has_attr': {
      const verb = str(ev.kind).slice(0, 3);
      const value = ev.kind === 'set_attr' && ev.value !== undefined ? ` = ${str(ev.value)}` : '';
      const out = ev.kind === 'get_attr' && !failure(ev) ? ` -> ${str(ev.outValue ?? ev.outData ?? '0')}` : '';
      return `${vm}${verb} ${shortGroup(str(ev.group_name))} ${str(ev.attr_name)}${value}${out}${failure(ev)}`;
    }
    case 'irq_line':
      return `${vm}irq_line ${str(ev.irq_name)} level=${str(ev.level)}${failure(ev)}`;
    case 'sysreg': {
      const arrow = ev.write ? '<-' : '->';
      return `${vm}v${str(ev.vcpu)} ${ev.write ? 'W' : 'R'} ${str(ev.reg_name)} ${arrow} ${str(ev.value)}${failure(ev)}`;
    }
    default:
      return str(ev.text);
  }
}

function result(ev: DecodedEvent): DetailLine {
  const n = str(ev.errno_name);
  if (!('errno' in ev)) return { label: 'result', text: 'ok', tone: 'good' };
  if (!n || n === '0') return { label: 'result', text: '0 (success)', tone: 'good' };
  return { label: 'result', text: `-${n} (errno ${str(ev.errno)})`, tone: 'bad' };
}

/** The detail pane for event `index`. */
export function detailOf(index: number, ev: DecodedEvent, mmio?: MmioTarget): EventDetail {
  const vm = Number(ev.vm ?? 0) ? ` · vm ${str(ev.vm)}` : '';
  const lines: DetailLine[] = [];
  let title: string;
  switch (ev.kind) {
    case 'mmio': {
      title = `event ${index} · mmio ${ev.write ? 'write' : 'read'} · vcpu ${str(ev.vcpu)}${vm}`;
      lines.push({ label: 'device', text: mmio ? `dev ${mmio.handle} ${mmio.device} (${mmio.frame})` : ev.exit ? 'none: exit to the VMM' : 'none claims it', tone: mmio ? 'normal' : 'dim' });
      lines.push({ label: 'register', text: `${str(ev.reg)} @${str(ev.addr)}/${str(ev.len)}`, tone: 'accent' });
      lines.push({ label: ev.write ? 'wrote' : 'read', text: str(ev.value), tone: 'accent' });
      if (ev.fields) lines.push({ label: 'fields', text: str(ev.fields) });
      break;
    }
    case 'set_attr':
    case 'get_attr':
    case 'has_attr': {
      title = `event ${index} · ${str(ev.kind)} · ${targetText(ev.target)}${vm}`;
      lines.push({ label: 'group', text: str(ev.group_name), tone: 'accent' });
      lines.push({ label: 'attr', text: str(ev.attr_name), tone: 'accent' });
      if (ev.nullPtr) lines.push({ label: 'addr', text: 'NULL' });
      else if (ev.value !== undefined) lines.push({ label: 'value', text: str(ev.value) });
      else if (ev.data !== undefined) lines.push({ label: 'data', text: str(ev.data) });
      if (ev.kind === 'get_attr' && (ev.outValue !== undefined || ev.outData !== undefined)) lines.push({ label: 'out', text: str(ev.outValue ?? ev.outData), tone: 'accent' });
      break;
    }
    case 'sysreg':
      title = `event ${index} · sysreg ${ev.write ? 'write' : 'read'} · vcpu ${str(ev.vcpu)}${vm}`;
      lines.push({ label: 'register', text: `${str(ev.reg_name)} (encoding 0x${Number(ev.reg).toString(16)})`, tone: 'accent' });
      lines.push({ label: ev.write ? 'wrote' : 'read', text: str(ev.value), tone: 'accent' });
      if (ev.fields) lines.push({ label: 'fields', text: str(ev.fields) });
      break;
    case 'irq_line':
      title = `event ${index} · KVM_IRQ_LINE${vm}`;
      lines.push({ label: 'line', text: `${str(ev.irq_name)} (irq 0x${Number(ev.irq).toString(16)})`, tone: 'accent' });
      lines.push({ label: 'level', text: str(ev.level), tone: 'accent' });
      break;
    case 'create_device':
      title = `event ${index} · KVM_CREATE_DEVICE${vm}`;
      lines.push({ label: 'type', text: str(ev.type_name || ev.type), tone: 'accent' });
      if (Number(ev.handle) >= 0) lines.push({ label: 'handle', text: `dev ${str(ev.handle)}` });
      break;
    default:
      title = `event ${index} · ${str(ev.kind)}${vm}`;
      lines.push({ label: 'call', text: str(ev.text), tone: 'accent' });
  }
  if (ev.kind !== 'create_vm') lines.push(result(ev));
  if (ev.note) lines.push({ label: 'note', text: str(ev.note), tone: 'dim' });
  return { title, lines };
}

/** A view value as the state tree shows it. */
export function formatValue(v: unknown): string {
  if (typeof v === 'bigint') return `0x${v.toString(16)}`;
  if (typeof v === 'number') return Number.isInteger(v) && v > 9 ? `0x${v.toString(16)} (${v})` : String(v);
  if (typeof v === 'string') return v;
  if (v === undefined) return '(none)';
  if (ArrayBuffer.isView(v)) return `[${Array.from(v as Uint8Array).join(',')}]`;
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `0x${x.toString(16)}` : x)) ?? String(v);
}

/**
 * The ancestors of a view path, outermost first:
 * "gic.dist.irq[33].priority" -> ["gic", "gic.dist", "gic.dist.irq", "gic.dist.irq[33]"].
 */
export function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let i = 1; i < path.length; i++) if (path[i] === '.' || path[i] === '[') out.push(path.slice(0, i));
  return out;
}

/**
 * Where the session is, for the status line: "event 171 (0-263)" (the
 * current event, the state is after it), or "start (0-263)" before event 0.
 */
export function whereText(position: number, length: number): string {
  if (length === 0) return 'no events';
  return `${position > 0 ? `event ${position - 1}` : 'start'} (0-${length - 1})`;
}

/** "1,234,567" */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * Splits a line into lines of at most `width` columns, at spaces where it
 * can; continuation lines are indented like the first line's text, plus two.
 */
export function wrapLine(text: string, width: number): string[] {
  if (width < 8 || text.length <= width) return [text];
  const indent = ' '.repeat(Math.min(width / 2, (/^ */.exec(text)?.[0].length ?? 0) + 2));
  const out: string[] = [];
  let rest = text;
  let room = width;
  while (rest.length > room) {
    let cut = rest.lastIndexOf(' ', room);
    if (cut <= room / 2) cut = room;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut).trimStart();
    room = width - indent.length;
  }
  if (rest) out.push(rest);
  return out.map((l, i) => (i === 0 ? l : indent + l));
}
