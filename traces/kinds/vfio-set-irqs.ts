/**
 * `vfio_set_irqs`: VFIO_DEVICE_SET_IRQS (vfio_pci_ioctl_set_irqs):
 * vfio_set_irqs_validate_and_prepare's checks (vfio_main.c), then the
 * index's handler by action (vfio_pci_intrs.c): eventfds set up per vector
 * (DATA_EVENTFD, fd -1 for none), masking and unmasking INTx, loopback
 * triggers (DATA_NONE / DATA_BOOL) that signal the eventfds. The eventfds
 * a loopback signalled, and how many of their MSIs reached the guest, are
 * the event's results.
 */
import type { DeclaredEvent, EventKindDecl, StepValue } from '../kinds.js';
import { VFIO_IRQ_SET_FLAG as F } from '../../devices/vfio/uapi.js';
import { err, fdOf, IRQ_INDEX_NAMES, irqName } from './vfio-names.js';

/** The most elements of data[] one event carries (an MSI-X table's most vectors). */
export const MAX_SET_IRQS_DATA = 2048;

const DATA_TYPES = { none: F.VFIO_IRQ_SET_DATA_NONE, bool: F.VFIO_IRQ_SET_DATA_BOOL, eventfd: F.VFIO_IRQ_SET_DATA_EVENTFD } as const;
const ACTIONS = { mask: F.VFIO_IRQ_SET_ACTION_MASK, unmask: F.VFIO_IRQ_SET_ACTION_UNMASK, trigger: F.VFIO_IRQ_SET_ACTION_TRIGGER } as const;

/** "DATA_EVENTFD|ACTION_TRIGGER" for a flags word. */
export function irqSetFlags(flags: number): string {
  const names = Object.entries(F)
    .filter(([, bit]) => flags & bit)
    .map(([n]) => n.replace('VFIO_IRQ_SET_', ''));
  const rest = flags & ~0x3f;
  return [...names, ...(rest ? [`0x${rest.toString(16)}`] : [])].join('|') || '0';
}

export const VFIO_SET_IRQS: EventKindDecl = {
  name: 'vfio_set_irqs',
  since: [1, 3],
  needed: true,
  description: 'VFIO_DEVICE_SET_IRQS on a VFIO device fd',
  fields: [
    { name: 'fd', type: 'u32' },
    { name: 'argsz', type: 'u32' },
    { name: 'flags', type: 'u32' },
    { name: 'index', type: 'u32' },
    { name: 'start', type: 'u32' },
    { name: 'count', type: 'u32' },
    { name: 'data', type: 'bigs' },
    { name: 'errno', type: 'errno' },
    { name: 'signalled', type: 'u32' },
    { name: 'delivered', type: 'u32' },
  ],
  results: ['errno', 'signalled', 'delivered'],
  limits: (ev) => ((ev['data'] as unknown[]).length > MAX_SET_IRQS_DATA ? `(vfio_set_irqs) data holds ${(ev['data'] as unknown[]).length} elements, over the ${MAX_SET_IRQS_DATA} limit` : undefined),
  scenario: {
    op: 'vfio_set_irqs',
    fields: ['fd', 'index', 'start', 'count', 'data_type', 'action', 'flags', 'data', 'argsz', 'expect'],
    parse(p) {
      if (p.has('flags') && (p.has('data_type') || p.has('action'))) p.fail('flags', 'give flags or data_type and action, not both');
      const flags = p.has('flags') ? p.u32('flags') : DATA_TYPES[p.oneOf('data_type', ['none', 'bool', 'eventfd'] as const)] | ACTIONS[p.oneOf('action', ['mask', 'unmask', 'trigger'] as const)];
      const data = p.has('data') ? p.list('data', MAX_SET_IRQS_DATA).map((_, i, l) => p.valueAt(l, i, 'data')) : [];
      const count = p.has('count') ? p.u32('count') : data.length;
      const size = flags & F.VFIO_IRQ_SET_DATA_EVENTFD ? 4 : flags & F.VFIO_IRQ_SET_DATA_BOOL ? 1 : 0;
      return {
        fd: p.value('fd'),
        index: p.nameOrUint('index', IRQ_INDEX_NAMES, 0xffffffff),
        start: p.has('start') ? p.u32('start') : 0,
        count,
        flags,
        data,
        // By default argsz covers the header and count elements, as a VMM sizes it.
        argsz: p.has('argsz') ? p.u32('argsz') : 20 + count * size,
      };
    },
    request: (f, val) => ({
      fd: Number(BigInt.asUintN(32, val(f['fd'] as StepValue))),
      argsz: f['argsz'],
      flags: f['flags'],
      index: f['index'],
      start: f['start'],
      count: f['count'],
      data: (f['data'] as StepValue[]).map((v) => BigInt.asUintN(32, val(v))),
      errno: 0,
      signalled: 0,
      delivered: 0,
    }),
  },
  execute(vm, ev) {
    const data = (ev['data'] as bigint[]).map((v) => Number(BigInt.asUintN(32, v)));
    const r = vm.vfioIoctl(fdOf(BigInt(ev['fd'] as number)), {
      op: 'set_irqs',
      hdr: { argsz: ev['argsz'] as number, flags: ev['flags'] as number, index: ev['index'] as number, start: ev['start'] as number, count: ev['count'] as number },
      data,
    });
    const signals = r.signals ?? [];
    return { errno: r.errno, signalled: signals.length, delivered: signals.filter((s) => s.msi && !s.msi.errno && s.msi.ret === 1).length };
  },
  describe(ev: DeclaredEvent) {
    const flags = ev['flags'] as number;
    const data = (ev['data'] as bigint[]).map((v) => (flags & F.VFIO_IRQ_SET_DATA_EVENTFD ? String(fdOf(v)) : String(v)));
    const range = `${ev['start'] as number}+${ev['count'] as number}`;
    const loop = (ev['signalled'] as number) ? `; signalled ${ev['signalled'] as number} eventfd(s), ${ev['delivered'] as number} MSI(s) delivered` : '';
    return `vfio_set_irqs fd ${fdOf(BigInt(ev['fd'] as number))} ${irqName(ev['index'] as number)} ${range} ${irqSetFlags(flags)}${data.length ? ` [${data.join(', ')}]` : ''}${err(ev['errno'])}${loop}`;
  },
};
