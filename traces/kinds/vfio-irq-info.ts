/**
 * `vfio_irq_info`: VFIO_DEVICE_GET_IRQ_INFO (vfio_pci_ioctl_get_irq_info):
 * an irq index's count (vfio_pci_get_irq_count) and flags (EVENTFD; INTx
 * MASKABLE and AUTOMASKED; the others NORESIZE); EINVAL for argsz below
 * offsetofend(count) or an index past VFIO_PCI_NUM_IRQS.
 */
import type { DeclaredEvent, EventKindDecl } from '../kinds.js';
import { err, fdOf, IRQ_INDEX_NAMES, irqName } from './vfio-names.js';

const FLAG_NAMES = ['EVENTFD', 'MASKABLE', 'AUTOMASKED', 'NORESIZE'];

export const VFIO_IRQ_INFO: EventKindDecl = {
  name: 'vfio_irq_info',
  since: [1, 3],
  needed: false,
  description: 'VFIO_DEVICE_GET_IRQ_INFO on a VFIO device fd',
  fields: [
    { name: 'fd', type: 'u32' },
    { name: 'index', type: 'u32' },
    { name: 'argsz', type: 'u32' },
    { name: 'errno', type: 'errno' },
    { name: 'flags', type: 'u32' },
    { name: 'count', type: 'u32' },
  ],
  results: ['errno', 'flags', 'count'],
  scenario: {
    op: 'vfio_irq_info',
    fields: ['fd', 'index', 'argsz', 'expect', 'expect_value', 'save_as'],
    parse: (p) => ({ fd: p.value('fd'), index: p.nameOrUint('index', IRQ_INDEX_NAMES, 0xffffffff), argsz: p.has('argsz') ? p.u32('argsz') : 16 }),
    request: (f, val) => ({ fd: Number(BigInt.asUintN(32, val(f['fd'] as Parameters<typeof val>[0]))), index: f['index'], argsz: f['argsz'], errno: 0, flags: 0, count: 0 }),
    readValue: (ev) => (ev['errno'] ? undefined : BigInt(ev['count'] as number)),
  },
  execute(vm, ev) {
    const r = vm.vfioIoctl(fdOf(BigInt(ev['fd'] as number)), { op: 'get_irq_info', index: ev['index'] as number, argsz: ev['argsz'] as number });
    return { errno: r.errno, flags: r.irqInfo?.flags ?? 0, count: r.irqInfo?.count ?? 0 };
  },
  describe(ev: DeclaredEvent) {
    const head = `vfio_irq_info fd ${fdOf(BigInt(ev['fd'] as number))} ${irqName(ev['index'] as number)}`;
    if (ev['errno']) return head + err(ev['errno']);
    const flags = FLAG_NAMES.filter((_, i) => (ev['flags'] as number) & (1 << i)).join('|') || '0';
    return `${head} -> count ${ev['count'] as number}, ${flags}`;
  },
};
