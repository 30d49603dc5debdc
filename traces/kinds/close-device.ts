/**
 * `close_device`: the VMM closes a device fd (kvm_device_release). A
 * device with ops->release (KVM-VFIO) leaves the VM then, so a new one may
 * be created; one without stays on the VM. Every later call on the fd is
 * EBADF, and so is closing it again.
 */
import type { DeclaredEvent, EventKindDecl } from '../kinds.js';
import { err } from './vfio-names.js';

export const CLOSE_DEVICE: EventKindDecl = {
  name: 'close_device',
  since: [1, 3],
  needed: true,
  description: 'the VMM closes a device fd (kvm_device_release)',
  fields: [
    { name: 'handle', type: 'i32m1' },
    { name: 'errno', type: 'errno' },
  ],
  results: ['errno'],
  scenario: {
    op: 'close_device',
    fields: ['dev', 'expect'],
    parse: (p) => ({ dev: p.devName('dev') }),
    request: (f, _val, ctx) => ({ handle: ctx.dev(f['dev'] as string), errno: 0 }),
  },
  execute: (vm, ev) => ({ errno: vm.closeDevice(ev['handle'] as number) }),
  describe: (ev: DeclaredEvent) => `close_device dev ${ev['handle'] as number}${err(ev['errno'])}`,
};
