/**
 * The ITS command queue and its commands (vgic-its.c, v6.17):
 * vgic_its_process_commands and the vgic_its_cmd_handle_* functions, and
 * MSI translation (vgic_its_trigger_msi). Commands run when CWRITER moves
 * (or the ITS is enabled with commands queued), each read as 32 bytes from
 * guest RAM at CBASER + CREADR; a command that cannot be read is skipped.
 * A command's error is an ITS error code (E_ITS_*), which the kernel drops:
 * only its effect on the tables is visible.
 *
 * KVM does not model the translation cache here: every MSI is translated
 * through the tables (the kernel's cache is invalidated by every command
 * that could make a cached translation stale, so the results agree).
 */
import type { VmCtx } from '../../core/device.js';
import { inGuestRam, readGuest, writeGuestU64 } from '../../core/guest-mem.js';
import { ERRNO, GITS_CMD } from '../../core/uapi.js';
import {
  addLpi,
  invalidateAllLpis,
  invalidateLpi,
  lpiHost,
  type LpiHost,
  lpiInRange,
  lpisEnabled,
  moveAllLpis,
  putLpi,
  retargetLpi,
  setLpiPending,
} from '../v3/lpi.js';
import { baserAddress, baserTableSize, cbaserAddress, cmdQueueSize, COLLECTION_NOT_MAPPED, GITS_BASER, type ItsDevice, type ItsIte, type ItsState, ITS_ESZ } from './state.js';

/** ITS command errors (include/linux/irqchip/arm-gic-v3.h). */
export const E_ITS = {
  MOVI_UNMAPPED_INTERRUPT: 0x010107,
  MOVI_UNMAPPED_COLLECTION: 0x010109,
  INT_UNMAPPED_INTERRUPT: 0x010307,
  CLEAR_UNMAPPED_INTERRUPT: 0x010507,
  MAPD_DEVICE_OOR: 0x010801,
  MAPD_ITTSIZE_OOR: 0x010802,
  MAPC_PROCNUM_OOR: 0x010902,
  MAPC_COLLECTION_OOR: 0x010903,
  MAPTI_UNMAPPED_DEVICE: 0x010a04,
  MAPTI_ID_OOR: 0x010a05,
  MAPTI_PHYSICALID_OOR: 0x010a06,
  INV_UNMAPPED_INTERRUPT: 0x010c07,
  INVALL_UNMAPPED_COLLECTION: 0x010d09,
  MOVALL_PROCNUM_OOR: 0x010e01,
  DISCARD_UNMAPPED_INTERRUPT: 0x010f07,
} as const;

/** VITS_TYPER_DEVBITS / VITS_TYPER_IDBITS: 16-bit device and event IDs. */
export const VITS_DEVBITS = 16;
export const VITS_IDBITS = 16;

export function findDevice(its: ItsState, id: number): ItsDevice | undefined {
  return its.devices.find((d) => d.id === id);
}

export function findIte(its: ItsState, devid: number, eventId: number): ItsIte | undefined {
  return findDevice(its, devid)?.ites.find((e) => e.eventId === eventId);
}

function findCollection(its: ItsState, id: number) {
  return its.collections.find((c) => c.id === id);
}

/** its_is_collection_mapped: the ITE's collection exists and has a target. */
function collectionMapped(its: ItsState, id: number): boolean {
  const c = id < 0 ? undefined : findCollection(its, id);
  return c !== undefined && c.target !== COLLECTION_NOT_MAPPED;
}

/** collection_to_vcpu: the vcpu (index) whose id is the collection's target, -1 if none. */
function collectionVcpu(vm: VmCtx, its: ItsState, id: number): number {
  const c = findCollection(its, id);
  return c && c.target !== COLLECTION_NOT_MAPPED ? vm.vcpuIndexById(c.target) : -1;
}

/**
 * vgic_its_check_id: whether `id` has an entry in the table BASER
 * describes, and its guest address. Device IDs and collection IDs are 16
 * bits; a flat table must be big enough; a two-level table needs a valid
 * level-1 entry (read from guest RAM). The entry must be in guest RAM.
 */
export function checkId(vm: VmCtx, baser: bigint, id: number): number | undefined {
  const type = (baser >> GITS_BASER.TYPE_SHIFT) & 7n;
  if (type !== GITS_BASER.TYPE_DEVICE && type !== GITS_BASER.TYPE_COLLECTION) return undefined;
  if (id >= 2 ** 16) return undefined;
  const l1Size = baserTableSize(baser);
  const base = baserAddress(baser);
  const esz = Number((baser >> GITS_BASER.ENTRY_SIZE_SHIFT) & 0x1fn) + 1;
  let addr: number;
  if (!(baser & GITS_BASER.INDIRECT)) {
    if (id >= Math.floor(l1Size / esz)) return undefined;
    addr = base + id * esz;
  } else {
    const perPage = Math.floor(0x10000 / esz);
    const index = Math.floor(id / perPage);
    if (index >= l1Size / 8) return undefined;
    const b = new Uint8Array(8);
    if (!readGuest(vm.state, base + index * 8, b)) return undefined;
    const l1 = new DataView(b.buffer).getBigUint64(0, true);
    if (!(l1 & (1n << 63n))) return undefined;
    addr = Number(l1 & 0x000fffffffff0000n) + (id % perPage) * esz;
  }
  return addr + esz <= 2 ** vm.state.ipaBits ? addr : undefined;
}

/**
 * kvm_is_visible_gfn for the page holding `gpa`: devrr has no memslots, guest
 * RAM is the whole IPA space (guest-mem.ts), so a frame is visible when it
 * lies below 1 << ipa_bits.
 */
function visibleGpa(vm: VmCtx, gpa: number): boolean {
  return inGuestRam(vm.state, gpa, 1);
}

/**
 * vgic_its_check_event_id: the event ID fits the device's ITT
 * (num_eventid_bits) and its ITT entry (itt_addr + event_id * ite_esz) is in
 * a visible guest frame.
 */
export function checkEventId(vm: VmCtx, dev: ItsDevice, eventId: number): boolean {
  if (eventId >= 2 ** dev.eventBits) return false;
  return visibleGpa(vm, dev.ittAddr + eventId * ITS_ESZ);
}

/** its_free_ite: drops the ITE and its reference on the LPI. */
export function freeIte(s3: LpiHost | undefined, dev: ItsDevice, ite: ItsIte): void {
  dev.ites.splice(dev.ites.indexOf(ite), 1);
  if (s3) putLpi(s3, ite.intid);
}

/** vgic_its_free_device: every ITE goes, then the device. */
export function freeDevice(vm: VmCtx, its: ItsState, dev: ItsDevice): void {
  const s3 = lpiHost(vm);
  while (dev.ites.length) freeIte(s3, dev, dev.ites[0]!);
  its.devices.splice(its.devices.indexOf(dev), 1);
}

/** vgic_its_free_collection: ITEs in it lose their collection, then it goes. */
export function freeCollection(its: ItsState, id: number): void {
  const c = findCollection(its, id);
  if (!c) return;
  for (const d of its.devices) for (const e of d.ites) if (e.collection === id) e.collection = -1;
  its.collections.splice(its.collections.indexOf(c), 1);
}

/** vgic_its_free_device_list: every device of the ITS goes (with its ITEs). */
export function freeDeviceList(vm: VmCtx, its: ItsState): void {
  while (its.devices.length) freeDevice(vm, its, its.devices[0]!);
}

/** vgic_its_free_collection_list: every collection of the ITS goes. */
export function freeCollectionList(its: ItsState): void {
  while (its.collections.length) freeCollection(its, its.collections[0]!.id);
}

/** vgic_its_alloc_collection: the ID must fit the collection table; starts unmapped. */
function allocCollection(vm: VmCtx, its: ItsState, id: number): number {
  if (checkId(vm, its.baserColl, id) === undefined) return E_ITS.MAPC_COLLECTION_OOR;
  its.collections.push({ id, target: COLLECTION_NOT_MAPPED });
  return 0;
}

/** update_affinity_collection: every LPI of the collection's ITEs follows it. */
function updateAffinityCollection(vm: VmCtx, its: ItsState, id: number): void {
  const s3 = lpiHost(vm);
  if (!s3 || !collectionMapped(its, id)) return;
  const v = collectionVcpu(vm, its, id);
  for (const d of its.devices) for (const e of d.ites) if (e.collection === id) retargetLpi(s3, e.intid, v);
}

/**
 * vgic_its_trigger_msi / vgic_its_resolve_lpi: -EBUSY (as a negative
 * errno) if the ITS is disabled or the target's LPIs are off; an ITS error
 * if the event is not mapped to a mapped collection on an existing vcpu;
 * else the LPI becomes pending and 0 is returned.
 */
export function triggerMsi(vm: VmCtx, its: ItsState, devid: number, eventId: number): number {
  if (!its.enabled) return -ERRNO.EBUSY;
  const ite = findIte(its, devid, eventId);
  if (!ite || !collectionMapped(its, ite.collection)) return E_ITS.INT_UNMAPPED_INTERRUPT;
  const v = collectionVcpu(vm, its, ite.collection);
  if (v < 0) return E_ITS.INT_UNMAPPED_INTERRUPT;
  const s3 = lpiHost(vm);
  if (!s3 || !lpisEnabled(s3, v)) return -ERRNO.EBUSY;
  setLpiPending(s3, ite.intid, true);
  return 0;
}

/** An ITS command: four little-endian 64-bit words. */
type Cmd = readonly [bigint, bigint, bigint, bigint];
const bits = (w: bigint, shift: number, size: number) => Number((w >> BigInt(shift)) & ((1n << BigInt(size)) - 1n));

/** The fields the handlers use (its_cmd_get_*). */
const f = {
  command: (c: Cmd) => bits(c[0], 0, 8),
  deviceId: (c: Cmd) => bits(c[0], 32, 32),
  size: (c: Cmd) => bits(c[1], 0, 5) + 1,
  id: (c: Cmd) => bits(c[1], 0, 32),
  physicalId: (c: Cmd) => bits(c[1], 32, 32),
  collection: (c: Cmd) => bits(c[2], 0, 16),
  ittAddr: (c: Cmd) => bits(c[2], 8, 44) * 256,
  targetAddr: (c: Cmd) => bits(c[2], 16, 32),
  valid: (c: Cmd) => bits(c[2], 63, 1) === 1,
  target2: (c: Cmd) => bits(c[3], 16, 32),
};

/** MAPD: (re)maps or unmaps a device; an unmapped device's DTE is cleared in guest RAM (v6.13+). */
function mapd(vm: VmCtx, its: ItsState, c: Cmd): number {
  const devid = f.deviceId(c);
  const gpa = checkId(vm, its.baserDevice, devid);
  if (gpa === undefined) return E_ITS.MAPD_DEVICE_OOR;
  if (f.valid(c) && f.size(c) > VITS_IDBITS) return E_ITS.MAPD_ITTSIZE_OOR;
  const dev = findDevice(its, devid);
  if (dev) freeDevice(vm, its, dev);
  if (!f.valid(c)) return writeGuestU64(vm.state, gpa, 0n) ? 0 : -ERRNO.EFAULT;
  its.devices.push({ id: devid, ittAddr: f.ittAddr(c), eventBits: f.size(c), ites: [] });
  return 0;
}

/** MAPC: V=1 maps a collection to the vcpu whose id is RDbase (PTA = 0); V=0 unmaps it. */
function mapc(vm: VmCtx, its: ItsState, c: Cmd): number {
  const id = f.collection(c);
  if (!f.valid(c)) {
    freeCollection(its, id);
    return 0;
  }
  const v = vm.vcpuIndexById(f.targetAddr(c));
  if (v < 0) return E_ITS.MAPC_PROCNUM_OOR;
  const target = vm.state.vcpus[v]!.id;
  const col = findCollection(its, id);
  if (!col) {
    const e = allocCollection(vm, its, id);
    if (e) return e;
    findCollection(its, id)!.target = target;
  } else {
    col.target = target;
    updateAffinityCollection(vm, its, id);
  }
  return 0;
}

/**
 * MAPTI / MAPI: maps an event to an LPI (MAPI: the event ID) in a
 * collection, creating the collection unmapped if needed. The device must
 * be mapped, then the event's ITT entry must be inside the ITT and in guest
 * RAM (E_ITS_MAPTI_ID_OOR), then the LPI in range. An existing
 * mapping is left as it is (UNPREDICTABLE). The LPI is created with its
 * config and pending state read from guest RAM; if that fails nothing is made.
 */
function mapti(vm: VmCtx, its: ItsState, c: Cmd): number {
  const dev = findDevice(its, f.deviceId(c));
  if (!dev) return E_ITS.MAPTI_UNMAPPED_DEVICE;
  const eventId = f.id(c);
  if (!checkEventId(vm, dev, eventId)) return E_ITS.MAPTI_ID_OOR;
  const s3 = lpiHost(vm);
  const lpi = f.command(c) === GITS_CMD.MAPTI ? f.physicalId(c) : eventId;
  if (!s3 || !lpiInRange(s3, lpi)) return E_ITS.MAPTI_PHYSICALID_OOR;
  if (dev.ites.some((e) => e.eventId === eventId)) return 0;
  const collId = f.collection(c);
  let newColl = false;
  if (!findCollection(its, collId)) {
    const e = allocCollection(vm, its, collId);
    if (e) return e;
    newColl = true;
  }
  const target = collectionMapped(its, collId) ? collectionVcpu(vm, its, collId) : -1;
  const r = addLpi(vm, s3, lpi, target);
  if (typeof r === 'number') {
    if (newColl) freeCollection(its, collId);
    return -r;
  }
  dev.ites.push({ eventId, intid: lpi, collection: collId });
  return 0;
}

/** MOVI: moves an event to another mapped collection; its LPI follows. */
function movi(vm: VmCtx, its: ItsState, c: Cmd): number {
  const ite = findIte(its, f.deviceId(c), f.id(c));
  if (!ite) return E_ITS.MOVI_UNMAPPED_INTERRUPT;
  if (!collectionMapped(its, ite.collection)) return E_ITS.MOVI_UNMAPPED_COLLECTION;
  const id = f.collection(c);
  if (!collectionMapped(its, id)) return E_ITS.MOVI_UNMAPPED_COLLECTION;
  ite.collection = id;
  const s3 = lpiHost(vm);
  if (s3) retargetLpi(s3, ite.intid, collectionVcpu(vm, its, id));
  return 0;
}

/** DISCARD: frees a mapped event's ITE (and clears it in the ITT in guest RAM, v6.13+). */
function discard(vm: VmCtx, its: ItsState, c: Cmd): number {
  const dev = findDevice(its, f.deviceId(c));
  const ite = dev?.ites.find((e) => e.eventId === f.id(c));
  if (!dev || !ite || !collectionMapped(its, ite.collection)) return E_ITS.DISCARD_UNMAPPED_INTERRUPT;
  const gpa = dev.ittAddr + ite.eventId * ITS_ESZ;
  freeIte(lpiHost(vm), dev, ite);
  return writeGuestU64(vm.state, gpa, 0n) ? 0 : -ERRNO.EFAULT;
}

/** CLEAR: the event's LPI stops being pending. */
function clear(vm: VmCtx, its: ItsState, c: Cmd): number {
  const ite = findIte(its, f.deviceId(c), f.id(c));
  if (!ite) return E_ITS.CLEAR_UNMAPPED_INTERRUPT;
  const s3 = lpiHost(vm);
  if (s3) setLpiPending(s3, ite.intid, false);
  return 0;
}

/** INV: the event's LPI re-reads its property byte. */
function inv(vm: VmCtx, its: ItsState, c: Cmd): number {
  const ite = findIte(its, f.deviceId(c), f.id(c));
  if (!ite) return E_ITS.INV_UNMAPPED_INTERRUPT;
  const s3 = lpiHost(vm);
  const e = s3 ? invalidateLpi(vm, s3, ite.intid) : 0;
  return e ? -e : 0;
}

/** INVALL: every LPI targeting the collection's vcpu re-reads its property byte. */
function invall(vm: VmCtx, its: ItsState, c: Cmd): number {
  const id = f.collection(c);
  if (!collectionMapped(its, id)) return E_ITS.INVALL_UNMAPPED_COLLECTION;
  const v = collectionVcpu(vm, its, id);
  const s3 = lpiHost(vm);
  if (s3) invalidateAllLpis(vm, s3, v);
  return 0;
}

/** MOVALL: every LPI targeting the first vcpu (by id) now targets the second. */
function movall(vm: VmCtx, _its: ItsState, c: Cmd): number {
  const v1 = vm.vcpuIndexById(f.targetAddr(c));
  const v2 = vm.vcpuIndexById(f.target2(c));
  if (v1 < 0 || v2 < 0) return E_ITS.MOVALL_PROCNUM_OOR;
  if (v1 === v2) return 0;
  const s3 = lpiHost(vm);
  if (s3) moveAllLpis(s3, v1, v2);
  return 0;
}

/** vgic_its_handle_command: one command; unknown commands (and the GICv4 ones) do nothing. */
export function handleCommand(vm: VmCtx, its: ItsState, c: Cmd): number {
  switch (f.command(c)) {
    case GITS_CMD.MAPD:
      return mapd(vm, its, c);
    case GITS_CMD.MAPC:
      return mapc(vm, its, c);
    case GITS_CMD.MAPI:
    case GITS_CMD.MAPTI:
      return mapti(vm, its, c);
    case GITS_CMD.MOVI:
      return movi(vm, its, c);
    case GITS_CMD.DISCARD:
      return discard(vm, its, c);
    case GITS_CMD.CLEAR:
      return clear(vm, its, c);
    case GITS_CMD.MOVALL:
      return movall(vm, its, c);
    case GITS_CMD.INT:
      return triggerMsi(vm, its, f.deviceId(c), f.id(c));
    case GITS_CMD.INV:
      return inv(vm, its, c);
    case GITS_CMD.INVALL:
      return invall(vm, its, c);
    case GITS_CMD.SYNC:
      return 0;
    default:
      return -ERRNO.ENODEV;
  }
}

/**
 * vgic_its_process_commands: while the ITS is enabled, runs the commands
 * between CREADR and CWRITER, advancing CREADR by 32 and wrapping at the
 * end of the queue.
 */
export function processCommands(vm: VmCtx, its: ItsState): void {
  if (!its.enabled) return;
  const base = cbaserAddress(its.cbaser);
  const size = cmdQueueSize(its.cbaser);
  const buf = new Uint8Array(32);
  const dv = new DataView(buf.buffer);
  for (let guard = size / 32; its.cwriter !== its.creadr && guard >= 0; guard--) {
    if (readGuest(vm.state, base + its.creadr, buf)) {
      handleCommand(vm, its, [dv.getBigUint64(0, true), dv.getBigUint64(8, true), dv.getBigUint64(16, true), dv.getBigUint64(24, true)]);
    }
    its.creadr += 32;
    if (its.creadr === size) its.creadr = 0;
  }
}

/** A command decoded for dump and the view: "MAPTI dev 0x10 event 3 -> LPI 8195 coll 1". */
export function describeCommand(words: readonly bigint[]): string {
  const c = words as unknown as Cmd;
  const name = Object.entries(GITS_CMD).find(([, v]) => v === f.command(c))?.[0] ?? `cmd 0x${f.command(c).toString(16)}`;
  switch (f.command(c)) {
    case GITS_CMD.MAPD:
      return `MAPD dev 0x${f.deviceId(c).toString(16)} ${f.valid(c) ? `itt 0x${f.ittAddr(c).toString(16)} eventbits ${f.size(c)}` : 'V=0 (unmap)'}`;
    case GITS_CMD.MAPC:
      return `MAPC coll ${f.collection(c)} ${f.valid(c) ? `-> vcpu id ${f.targetAddr(c)}` : 'V=0 (unmap)'}`;
    case GITS_CMD.MAPTI:
      return `MAPTI dev 0x${f.deviceId(c).toString(16)} event ${f.id(c)} -> LPI ${f.physicalId(c)} coll ${f.collection(c)}`;
    case GITS_CMD.MAPI:
      return `MAPI dev 0x${f.deviceId(c).toString(16)} event ${f.id(c)} coll ${f.collection(c)}`;
    case GITS_CMD.MOVI:
      return `MOVI dev 0x${f.deviceId(c).toString(16)} event ${f.id(c)} -> coll ${f.collection(c)}`;
    case GITS_CMD.DISCARD:
    case GITS_CMD.CLEAR:
    case GITS_CMD.INT:
    case GITS_CMD.INV:
      return `${name} dev 0x${f.deviceId(c).toString(16)} event ${f.id(c)}`;
    case GITS_CMD.INVALL:
      return `INVALL coll ${f.collection(c)}`;
    case GITS_CMD.MOVALL:
      return `MOVALL vcpu id ${f.targetAddr(c)} -> ${f.target2(c)}`;
    default:
      return name;
  }
}
