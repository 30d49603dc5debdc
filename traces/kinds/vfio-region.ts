/**
 * `vfio_region`: the VMM reads or writes a region of a VFIO device fd
 * (pread/pwrite at the region's offset: vfio_pci_rw): config space
 * (vfio_pci_config_rw), a BAR (vfio_pci_bar_rw: EIO with memory decode
 * off, the MSI-X table not the user's), the ROM (read-only), VGA. `done`
 * is the byte count the call returned (short at a region's end).
 */
import type { DeclaredEvent, EventKindDecl, StepValue } from '../kinds.js';
import { err, fdOf, hex, REGION_NAMES, regionName } from './vfio-names.js';

export interface VfioRegionEvent extends DeclaredEvent {
  readonly kind: 'vfio_region';
  readonly fd: number;
  readonly region: number;
  readonly offset: number;
  readonly len: 1 | 2 | 4 | 8;
  readonly write: boolean;
  readonly value: bigint;
  readonly done: number;
  readonly errno: number;
}

export const VFIO_REGION: EventKindDecl = {
  name: 'vfio_region',
  since: [1, 3],
  needed: true,
  description: 'a read or write of a VFIO device region (config space, a BAR, the ROM, VGA)',
  fields: [
    { name: 'fd', type: 'u32' },
    { name: 'region', type: 'u32' },
    { name: 'offset', type: 'addr' },
    { name: 'len', type: 'len' },
    { name: 'write', type: 'bool' },
    { name: 'value', type: 'big' },
    { name: 'done', type: 'u32' },
    { name: 'errno', type: 'errno' },
  ],
  results: ['errno', 'done', 'value'],
  column: { value: 'value', len: 'len' },
  scenario: {
    op: 'vfio_region',
    fields: ['fd', 'region', 'offset', 'dir', 'len', 'value', 'expect_value', 'expect_mask', 'save_as', 'expect'],
    parse(p) {
      const dir = p.oneOf('dir', ['read', 'write'] as const);
      const len = p.uint('len', 8);
      if (len !== 1 && len !== 2 && len !== 4 && len !== 8) p.fail('len', 'must be 1, 2, 4 or 8');
      if (dir === 'write' && !p.has('value')) p.fail('value', 'missing: a write needs the value written');
      if (dir === 'write' && (p.has('expect_value') || p.has('save_as'))) p.fail(p.has('save_as') ? 'save_as' : 'expect_value', 'only a read returns a value');
      return { fd: p.value('fd'), region: p.nameOrUint('region', REGION_NAMES, 0xffffffff), offset: p.uint('offset', 0xffffffffff), len, write: dir === 'write', ...(p.has('value') && { value: p.value('value') }) };
    },
    request(f, val) {
      const len = f['len'] as number;
      const value = f['value'] !== undefined ? BigInt.asUintN(len * 8, val(f['value'] as StepValue)) : 0n;
      return { fd: Number(BigInt.asUintN(32, val(f['fd'] as StepValue))), region: f['region'], offset: f['offset'], len, write: f['write'], value, done: 0, errno: 0 };
    },
    readValue: (ev) => (ev['write'] ? undefined : (ev['value'] as bigint)),
  },
  execute(vm, e) {
    const ev = e as VfioRegionEvent;
    const r = vm.vfioRegionRw(fdOf(BigInt(ev.fd)), ev.region, ev.offset, ev.len, ev.write, ev.value);
    return { errno: r.errno, done: r.done, value: ev.write ? ev.value : r.value };
  },
  describe(e) {
    const ev = e as VfioRegionEvent;
    const arrow = ev.write ? '<-' : '->';
    const short = !ev.errno && ev.done !== ev.len ? ` (${ev.done} of ${ev.len} bytes)` : '';
    return `vfio_region fd ${fdOf(BigInt(ev.fd))} ${regionName(ev.region)}+${hex(ev.offset)}/${ev.len} ${ev.write ? 'write' : 'read'}${ev.errno ? err(ev.errno) : ` ${arrow} ${hex(ev.value)}${short}`}`;
  },
};
