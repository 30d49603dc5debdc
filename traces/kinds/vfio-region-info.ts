/**
 * `vfio_region_info`: VFIO_DEVICE_GET_REGION_INFO (vfio_pci_ioctl_get_region_info):
 * a region's size, its offset in the device fd (index << 40) and its
 * flags (READ, WRITE, MMAP, CAPS); EINVAL for argsz below
 * offsetofend(offset), VGA on a device without it, or an index past the
 * regions. A capability chain that does not fit in argsz makes the answer
 * ask for more (argsz out, cap_offset 0).
 */
import type { DeclaredEvent, EventKindDecl } from '../kinds.js';
import { err, fdOf, hex, REGION_NAMES, regionName } from './vfio-names.js';

const FLAG_NAMES = ['READ', 'WRITE', 'MMAP', 'CAPS'];

export function regionFlags(flags: number): string {
  const names = FLAG_NAMES.filter((_, i) => flags & (1 << i));
  return names.length ? names.join('|') : '0';
}

export const VFIO_REGION_INFO: EventKindDecl = {
  name: 'vfio_region_info',
  since: [1, 3],
  needed: false,
  description: 'VFIO_DEVICE_GET_REGION_INFO on a VFIO device fd',
  fields: [
    { name: 'fd', type: 'u32' },
    { name: 'index', type: 'u32' },
    { name: 'argsz', type: 'u32' },
    { name: 'errno', type: 'errno' },
    { name: 'outArgsz', type: 'u32' },
    { name: 'flags', type: 'u32' },
    { name: 'capOffset', type: 'u32' },
    { name: 'size', type: 'big' },
    { name: 'offset', type: 'big' },
  ],
  results: ['errno', 'outArgsz', 'flags', 'capOffset', 'size', 'offset'],
  scenario: {
    op: 'vfio_region_info',
    fields: ['fd', 'index', 'argsz', 'expect', 'expect_value', 'save_as'],
    parse: (p) => ({ fd: p.value('fd'), index: p.nameOrUint('index', REGION_NAMES, 0xffffffff), argsz: p.has('argsz') ? p.u32('argsz') : 32 }),
    request: (f, val) => ({ fd: Number(BigInt.asUintN(32, val(f['fd'] as Parameters<typeof val>[0]))), index: f['index'], argsz: f['argsz'], errno: 0, outArgsz: 0, flags: 0, capOffset: 0, size: 0n, offset: 0n }),
    readValue: (ev) => (ev['errno'] ? undefined : (ev['size'] as bigint)),
  },
  execute(vm, ev) {
    const r = vm.vfioIoctl(fdOf(BigInt(ev['fd'] as number)), { op: 'get_region_info', index: ev['index'] as number, argsz: ev['argsz'] as number });
    const i = r.regionInfo;
    return { errno: r.errno, outArgsz: i?.argsz ?? 0, flags: i?.flags ?? 0, capOffset: i?.capOffset ?? 0, size: i?.size ?? 0n, offset: i?.offset ?? 0n };
  },
  describe(ev: DeclaredEvent) {
    const head = `vfio_region_info fd ${fdOf(BigInt(ev['fd'] as number))} ${regionName(ev['index'] as number)}`;
    if (ev['errno']) return head + err(ev['errno']);
    const caps = (ev['flags'] as number) & 8 ? ((ev['capOffset'] as number) ? `, caps at ${ev['capOffset'] as number}` : `, caps need argsz ${ev['outArgsz'] as number}`) : '';
    return `${head} -> size ${hex(ev['size'] as bigint)} at ${hex(ev['offset'] as bigint)}, ${regionFlags(ev['flags'] as number)}${caps}`;
  },
};
