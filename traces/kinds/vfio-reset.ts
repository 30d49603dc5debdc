/**
 * `vfio_reset`: VFIO_DEVICE_RESET (vfio_pci_ioctl_reset): the function is
 * reset (pci_try_reset_function saves and restores its config space), so
 * its registers go back to their reset values; vfio's interrupt setup stays.
 */
import type { DeclaredEvent, EventKindDecl } from '../kinds.js';
import { err, fdOf } from './vfio-names.js';

export const VFIO_RESET: EventKindDecl = {
  name: 'vfio_reset',
  since: [1, 3],
  needed: true,
  description: 'VFIO_DEVICE_RESET on a VFIO device fd',
  fields: [
    { name: 'fd', type: 'u32' },
    { name: 'errno', type: 'errno' },
  ],
  results: ['errno'],
  scenario: {
    op: 'vfio_reset',
    fields: ['fd', 'expect'],
    parse: (p) => ({ fd: p.value('fd') }),
    request: (f, val) => ({ fd: Number(BigInt.asUintN(32, val(f['fd'] as Parameters<typeof val>[0]))), errno: 0 }),
  },
  execute: (vm, ev) => ({ errno: vm.vfioIoctl(fdOf(BigInt(ev['fd'] as number)), { op: 'reset' }).errno }),
  describe: (ev: DeclaredEvent) => `vfio_reset fd ${fdOf(BigInt(ev['fd'] as number))}${err(ev['errno'])}`,
};
