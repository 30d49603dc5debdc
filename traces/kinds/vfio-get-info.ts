/**
 * `vfio_get_info`: VFIO_DEVICE_GET_INFO on a VFIO device fd
 * (vfio_pci_ioctl_get_info): argsz below offsetofend(num_irqs) is EINVAL;
 * flags, regions and irqs of the device. ENOTTY on a file that is not a
 * VFIO device, EBADF on no fd.
 */
import type { DeclaredEvent, EventKindDecl } from '../kinds.js';
import { err, fdOf } from './vfio-names.js';

export const VFIO_GET_INFO: EventKindDecl = {
  name: 'vfio_get_info',
  since: [1, 3],
  needed: false,
  description: 'VFIO_DEVICE_GET_INFO on a VFIO device fd',
  fields: [
    { name: 'fd', type: 'u32' },
    { name: 'argsz', type: 'u32' },
    { name: 'errno', type: 'errno' },
    { name: 'flags', type: 'u32' },
    { name: 'numRegions', type: 'u32' },
    { name: 'numIrqs', type: 'u32' },
  ],
  results: ['errno', 'flags', 'numRegions', 'numIrqs'],
  scenario: {
    op: 'vfio_get_info',
    fields: ['fd', 'argsz', 'expect', 'expect_value'],
    parse: (p) => ({ fd: p.value('fd'), argsz: p.has('argsz') ? p.u32('argsz') : 24 }),
    request: (f, val) => ({ fd: Number(BigInt.asUintN(32, val(f['fd'] as Parameters<typeof val>[0]))), argsz: f['argsz'], errno: 0, flags: 0, numRegions: 0, numIrqs: 0 }),
    readValue: (ev) => (ev['errno'] ? undefined : BigInt(ev['flags'] as number)),
  },
  execute(vm, ev) {
    const r = vm.vfioIoctl(fdOf(BigInt(ev['fd'] as number)), { op: 'get_info', argsz: ev['argsz'] as number });
    const i = r.deviceInfo;
    return { errno: r.errno, flags: i?.flags ?? 0, numRegions: i?.numRegions ?? 0, numIrqs: i?.numIrqs ?? 0 };
  },
  describe: (ev: DeclaredEvent) =>
    `vfio_get_info fd ${fdOf(BigInt(ev['fd'] as number))}${ev['errno'] ? err(ev['errno']) : ` -> flags 0x${(ev['flags'] as number).toString(16)} (PCI${(ev['flags'] as number) & 1 ? ', RESET' : ''}), ${ev['numRegions'] as number} regions, ${ev['numIrqs'] as number} irqs`}`,
};
