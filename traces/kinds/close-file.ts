/**
 * `close_file`: the VMM closes a file of the table (close(2)). A file a
 * KVM device still holds (KVM-VFIO listed it: get_file) lives on until
 * that device lets go; a VFIO device released for good tears its
 * interrupts down (vfio_pci_core_close_device). EBADF for an fd not open.
 */
import type { DeclaredEvent, EventKindDecl } from '../kinds.js';
import { err, fdOf } from './vfio-names.js';

export const CLOSE_FILE: EventKindDecl = {
  name: 'close_file',
  since: [1, 3],
  needed: true,
  description: 'the VMM closes a file of the table',
  fields: [
    { name: 'fd', type: 'u32' },
    { name: 'errno', type: 'errno' },
  ],
  results: ['errno'],
  scenario: {
    op: 'close_file',
    fields: ['fd', 'expect'],
    parse: (p) => ({ fd: p.value('fd') }),
    request: (f, val) => ({ fd: Number(BigInt.asUintN(32, val(f['fd'] as Parameters<typeof val>[0]))), errno: 0 }),
  },
  execute: (vm, ev) => ({ errno: vm.closeFile(fdOf(BigInt(ev['fd'] as number))) }),
  describe: (ev: DeclaredEvent) => `close_file fd ${fdOf(BigInt(ev['fd'] as number))}${err(ev['errno'])}`,
};
