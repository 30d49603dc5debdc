/**
 * KVM_DEV_ARM_ITS_SAVE_TABLES / RESTORE_TABLES with table ABI 0
 * (vgic_its_save_tables_v0 / vgic_its_restore_tables_v0, vgic-its.c;
 * Documentation/virt/kvm/devices/arm-vgic-its.rst). Every entry is 8 bytes,
 * little-endian, in guest RAM:
 *
 * - device table entry (at the device ID's slot, flat or two-level):
 *   Valid[63] | Next[62:49] (device ID gap to the next valid entry, 0 =
 *   last) | ITT_addr[48:5] (bits 52:8 of the address) | Size[4:0] (event
 *   ID bits - 1);
 * - ITT entry (at ITT + event ID * 8): Next[63:48] | pINTID[47:16] (0 =
 *   invalid) | ICID[15:0];
 * - collection table entry (in list order, then one invalid entry if the
 *   table has room): Valid[63] | RDbase[51:16] (the target vcpu id) | ICID[15:0].
 *
 * Restoring walks the collection table, then the device table (following
 * Next from entry to entry) and each device's ITT, creating the same
 * collections, devices, ITEs and LPIs; each LPI takes its pending state from
 * its target's pending table, which must therefore be restored first. A
 * restore that fails leaves the ITS with no devices and no collections.
 */
import type { VmCtx } from '../../core/device.js';
import { readGuestU64, writeGuestU64 } from '../../core/guest-mem.js';
import { ERRNO, type Errno, VGIC } from '../../core/uapi.js';
import { addLpi, lpiHost } from '../v3/lpi.js';
import { checkEventId, checkId, freeCollectionList, freeDevice, freeDeviceList } from './cmd.js';
import { baserAddress, baserTableSize, COLLECTION_NOT_MAPPED, GITS_BASER, type ItsDevice, type ItsState, ITS_ESZ } from './state.js';

/** VITS_DTE_MAX_DEVID_OFFSET / VITS_ITE_MAX_EVENTID_OFFSET: the Next fields saturate. */
const MAX_DEVID_OFFSET = 2 ** 14 - 1;
const MAX_EVENTID_OFFSET = 2 ** 16 - 1;

const write = (vm: VmCtx, gpa: number, val: bigint): Errno => (writeGuestU64(vm.state, gpa, val) ? 0 : ERRNO.EFAULT);

/**
 * vgic_its_save_device_tables (devices and ITEs sorted by ID first) then
 * vgic_its_save_collection_table. A table whose BASER is not valid is
 * skipped. An ITE whose collection was unmapped (the kernel would
 * dereference a NULL collection here) fails with EINVAL in this model.
 */
export function saveTables(vm: VmCtx, its: ItsState): Errno {
  if (its.baserDevice & GITS_BASER.VALID) {
    its.devices.sort((a, b) => a.id - b.id);
    for (let i = 0; i < its.devices.length; i++) {
      const dev = its.devices[i]!;
      const eaddr = checkId(vm, its.baserDevice, dev.id);
      if (eaddr === undefined) return ERRNO.EINVAL;
      dev.ites.sort((a, b) => a.eventId - b.eventId);
      for (let k = 0; k < dev.ites.length; k++) {
        const ite = dev.ites[k]!;
        if (ite.collection < 0) return ERRNO.EINVAL;
        const next = k + 1 < dev.ites.length ? Math.min(dev.ites[k + 1]!.eventId - ite.eventId, MAX_EVENTID_OFFSET) : 0;
        const e = write(vm, dev.ittAddr + ite.eventId * ITS_ESZ, (BigInt(next) << 48n) | (BigInt(ite.intid) << 16n) | BigInt(ite.collection));
        if (e) return e;
      }
      const next = i + 1 < its.devices.length ? Math.min(its.devices[i + 1]!.id - dev.id, MAX_DEVID_OFFSET) : 0;
      const dte = (1n << 63n) | (BigInt(next) << 49n) | (BigInt(Math.floor(dev.ittAddr / 256)) << 5n) | BigInt(dev.eventBits - 1);
      const e = write(vm, eaddr, dte);
      if (e) return e;
    }
  }
  if (!(its.baserColl & GITS_BASER.VALID)) return 0;
  let gpa = baserAddress(its.baserColl);
  const max = baserTableSize(its.baserColl);
  let filled = 0;
  for (const c of its.collections) {
    const e = write(vm, gpa, (1n << 63n) | (BigInt(c.target) << 16n) | BigInt(c.id));
    if (e) return e;
    gpa += ITS_ESZ;
    filled += ITS_ESZ;
  }
  return filled === max ? 0 : write(vm, gpa, 0n);
}

/**
 * scan_its_table: calls `fn` on each entry from `base`, stepping by the
 * offset it returns (<0 error, 0 last entry found, >0 IDs to the next
 * entry). Returns 1 when the table ended without a last entry.
 */
function scan(vm: VmCtx, base: number, size: number, startId: number, fn: (id: number, entry: bigint) => number): number {
  let len = size;
  let id = startId;
  let gpa = base;
  while (len > 0) {
    const entry = readGuestU64(vm.state, gpa);
    if (entry === undefined) return -ERRNO.EFAULT;
    const next = fn(id, entry);
    if (next <= 0) return next;
    id += next;
    gpa += next * ITS_ESZ;
    len -= next * ITS_ESZ;
  }
  return 1;
}

/** vgic_its_restore_ite: an ITE with pINTID 0 is skipped; a bad pINTID, Next, ICID or event ID is EINVAL. */
function restoreIte(vm: VmCtx, its: ItsState, dev: ItsDevice, eventId: number, val: bigint): number {
  const s3 = lpiHost(vm);
  const collId = Number(val & 0xffffn);
  const lpiId = Number((val >> 16n) & 0xffffffffn);
  if (!lpiId) return 1;
  if (lpiId < VGIC.MIN_LPI) return -ERRNO.EINVAL;
  const offset = Number(val >> 48n);
  if (eventId + offset >= 2 ** dev.eventBits) return -ERRNO.EINVAL;
  const col = its.collections.find((c) => c.id === collId);
  if (!col) return -ERRNO.EINVAL;
  // vgic_its_check_event_id: cannot fail here (the entry was just read from guest RAM, the Next check bounds the ID), kept for the kernel's order.
  if (!checkEventId(vm, dev, eventId)) return -ERRNO.EINVAL;
  if (!s3) return -ERRNO.ENODEV;
  const target = col.target !== COLLECTION_NOT_MAPPED ? vm.vcpuIndexById(col.target) : -1;
  dev.ites.push({ eventId, intid: lpiId, collection: collId });
  const r = addLpi(vm, s3, lpiId, target);
  if (typeof r === 'number') {
    dev.ites.pop();
    return -r;
  }
  return offset;
}

/**
 * vgic_its_restore_dte: a valid entry whose device ID has no entry in the
 * device table (vgic_its_check_id: beyond 16 bits, say) is EINVAL; else it
 * makes a device and restores its ITT (a failure frees the device).
 */
function restoreDte(vm: VmCtx, its: ItsState, id: number, entry: bigint): number {
  if (!(entry >> 63n)) return 1;
  const offset = Number((entry >> 49n) & 0x3fffn);
  if (checkId(vm, its.baserDevice, id) === undefined) return -ERRNO.EINVAL;
  const dev: ItsDevice = { id, ittAddr: Number((entry >> 5n) & ((1n << 44n) - 1n)) * 256, eventBits: Number(entry & 0x1fn) + 1, ites: [] };
  its.devices.push(dev);
  const r = scan(vm, dev.ittAddr, 2 ** dev.eventBits * ITS_ESZ, 0, (ev, val) => restoreIte(vm, its, dev, ev, val));
  if (r < 0) {
    freeDevice(vm, its, dev);
    return r;
  }
  return offset;
}

/**
 * vgic_its_restore_cte, one collection table entry: 0 for an invalid entry
 * (the end of the table), 1 for a restored collection, or a negative errno.
 * In the kernel's order: a target that names no vcpu id (and is not
 * COLLECTION_NOT_MAPPED) EINVAL, a collection ID that exists EEXIST, an ID
 * with no entry in the collection table (vgic_its_check_id) EINVAL.
 */
function restoreCte(vm: VmCtx, its: ItsState, gpa: number): number {
  const val = readGuestU64(vm.state, gpa);
  if (val === undefined) return -ERRNO.EFAULT;
  if (!(val >> 63n)) return 0;
  const target = Number((val >> 16n) & 0xffffffffn);
  const id = Number(val & 0xffffn);
  if (target !== COLLECTION_NOT_MAPPED && vm.vcpuIndexById(target) < 0) return -ERRNO.EINVAL;
  if (its.collections.some((c) => c.id === id)) return -ERRNO.EEXIST;
  if (checkId(vm, its.baserColl, id) === undefined) return -ERRNO.EINVAL;
  its.collections.push({ id, target });
  return 1;
}

/**
 * vgic_its_restore_collection_table: entries in order until an invalid one
 * or the end of the table. On an error the whole collection list is freed
 * (vgic_its_free_collection_list), the collections that existed before the
 * restore included.
 */
function restoreCollectionTable(vm: VmCtx, its: ItsState): Errno {
  if (!(its.baserColl & GITS_BASER.VALID)) return 0;
  const base = baserAddress(its.baserColl);
  const max = baserTableSize(its.baserColl);
  for (let read = 0; read < max; read += ITS_ESZ) {
    const r = restoreCte(vm, its, base + read);
    if (r === 0) break;
    if (r < 0) {
      freeCollectionList(its);
      return -r;
    }
  }
  return 0;
}

/**
 * vgic_its_restore_device_tables: the flat table, or each valid level-1
 * entry's 64 KiB level-2 table, scanned from device ID 0. On an error the
 * whole device list is freed (vgic_its_free_device_list), the devices made
 * before the failing one and those that existed before the restore included.
 */
function restoreDeviceTables(vm: VmCtx, its: ItsState): Errno {
  const baser = its.baserDevice;
  if (!(baser & GITS_BASER.VALID)) return 0;
  const l1 = baserAddress(baser);
  const size = baserTableSize(baser);
  let r: number;
  if (baser & GITS_BASER.INDIRECT) {
    const perPage = 0x10000 / ITS_ESZ;
    r = scan(vm, l1, size, 0, (index, entry) => {
      if (!(entry & (1n << 63n))) return 1;
      return scan(vm, Number(entry & 0x000fffffffff0000n), 0x10000, index * perPage, (id, e) => restoreDte(vm, its, id, e));
    });
  } else {
    r = scan(vm, l1, size, 0, (id, e) => restoreDte(vm, its, id, e));
  }
  if (r >= 0) return 0;
  freeDeviceList(vm, its);
  return -r;
}

/**
 * vgic_its_restore_tables_v0: the collection table, then the device tables.
 * A failure leaves nothing restored: when the device tables fail, the
 * collection list is freed as well.
 */
export function restoreTables(vm: VmCtx, its: ItsState): Errno {
  const e = restoreCollectionTable(vm, its);
  if (e) return e;
  const d = restoreDeviceTables(vm, its);
  if (d) freeCollectionList(its);
  return d;
}
