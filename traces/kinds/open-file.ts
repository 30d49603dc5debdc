/**
 * `open_file`: the VMM opens a file that KVM calls later take by number
 * (devices/core/files.ts): a plain file (/dev/null), an eventfd
 * (eventfd(2)), a VFIO group (/dev/vfio/N: vfio_group_fops_open, EBUSY while
 * another opener holds it) or a model VFIO-PCI device's fd. Its result is
 * the fd, which `save_as` keeps for later steps (`"value": "$nic"`).
 */
import type { DeclaredEvent, EventKindDecl } from '../kinds.js';
import { err, FILE_KINDS, type FileKind, PROFILE_NAMES } from './vfio-names.js';

export interface OpenFileEvent extends DeclaredEvent {
  readonly kind: 'open_file';
  /** FILE_KINDS index: plain, eventfd, vfio_group, vfio_device. */
  readonly file: number;
  /** The VFIO group number (vfio_group). */
  readonly group: number;
  /** PROFILE_NAMES index (vfio_device). */
  readonly profile: number;
  /** The file's DMA is cache-coherent (vfio_file_enforced_coherent). */
  readonly coherent: boolean;
  readonly fd: number;
  readonly errno: number;
}

export const OPEN_FILE: EventKindDecl = {
  name: 'open_file',
  since: [1, 3],
  needed: true,
  description: 'the VMM opens a file KVM calls take by fd: a plain file, an eventfd, a VFIO group or device',
  fields: [
    { name: 'file', type: 'u32' },
    { name: 'group', type: 'u32' },
    { name: 'profile', type: 'u32' },
    { name: 'coherent', type: 'bool' },
    { name: 'fd', type: 'i32m1' },
    { name: 'errno', type: 'errno' },
  ],
  results: ['fd', 'errno'],
  scenario: {
    op: 'open_file',
    fields: ['file', 'group', 'profile', 'dma', 'save_as', 'expect', 'expect_value'],
    parse(p) {
      const file = p.oneOf('file', FILE_KINDS);
      if (file === 'vfio_group' && !p.has('group')) p.fail('group', 'missing: a VFIO group is /dev/vfio/<group>');
      if (file !== 'vfio_group' && p.has('group')) p.fail('group', 'only a vfio_group has a group number');
      if (file === 'vfio_device' && !p.has('profile')) p.fail('profile', `missing: one of ${PROFILE_NAMES.join(', ')}`);
      if (file !== 'vfio_device' && p.has('profile')) p.fail('profile', 'only a vfio_device has a profile');
      if (p.has('dma') && file !== 'vfio_group' && file !== 'vfio_device') p.fail('dma', 'only a VFIO file does DMA');
      return {
        file: FILE_KINDS.indexOf(file),
        group: p.has('group') ? p.uint('group', 0xffff) : 0,
        profile: p.has('profile') ? PROFILE_NAMES.indexOf(p.oneOf('profile', PROFILE_NAMES)) : 0,
        coherent: p.has('dma') ? p.oneOf('dma', ['coherent', 'noncoherent'] as const) === 'coherent' : true,
      };
    },
    request: (f) => ({ file: f['file'], group: f['group'], profile: f['profile'], coherent: f['coherent'], fd: -1, errno: 0 }),
    readValue: (ev) => BigInt.asUintN(32, BigInt(ev['fd'] as number)),
  },
  limits: (ev) =>
    (ev['file'] as number) >= FILE_KINDS.length ? `(open_file) file ${ev['file'] as number} is not a file kind` : (ev['profile'] as number) >= PROFILE_NAMES.length ? `(open_file) profile ${ev['profile'] as number} is not a device profile` : undefined,
  execute(vm, e) {
    const ev = e as OpenFileEvent;
    const kind = FILE_KINDS[ev.file] as FileKind;
    const r =
      kind === 'vfio_group'
        ? vm.openFile({ kind, group: ev.group, coherent: ev.coherent })
        : kind === 'vfio_device'
          ? vm.openFile({ kind, profile: PROFILE_NAMES[ev.profile]!, coherent: ev.coherent })
          : vm.openFile({ kind });
    return { fd: r.fd, errno: r.errno };
  },
  describe(e) {
    const ev = e as OpenFileEvent;
    const kind = FILE_KINDS[ev.file] ?? `file kind ${ev.file}`;
    const what = kind === 'vfio_group' ? `vfio_group /dev/vfio/${ev.group}` : kind === 'vfio_device' ? `vfio_device ${PROFILE_NAMES[ev.profile] ?? ev.profile}` : kind;
    return `open_file ${what}${ev.coherent || (kind !== 'vfio_group' && kind !== 'vfio_device') ? '' : ' (non-coherent DMA)'}${ev.errno ? err(ev.errno) : ` -> fd ${ev.fd}`}`;
  },
};
