/**
 * LPIs (INTID 8192 and up) as the VGIC keeps them: a struct vgic_irq per
 * mapped LPI, created by the ITS (vgic_add_lpi) and freed with its last
 * reference; configuration cached from the property table (PROPBASER) and
 * pending state synced with the per-redistributor pending tables
 * (PENDBASER). Sources: arch/arm64/kvm/vgic/vgic-its.c (vgic_add_lpi,
 * update_lpi_config, its_sync_lpi_pending_table), vgic-v3.c
 * (vgic_v3_lpi_sync_pending_status, vgic_v3_save_pending_tables).
 *
 * This module is the one seam between the GICv3 VGIC and the ITS: the ITS
 * (its/) reaches the VGIC's LPIs only through the functions here, and the
 * VGIC never imports the ITS (KVM_SIGNAL_MSI reaches an ITS through its
 * device model's signalMsi, v3/device.ts).
 */
import type { VmCtx } from '../../core/device.js';
import { readGuestByte, writeGuestByte } from '../../core/guest-mem.js';
import { DEV_TYPE, ERRNO, type Errno, VGIC } from '../../core/uapi.js';
import { INITIAL_PROPBASER, type Lpi, type Vgic3State } from './state.js';

/** The VGIC state that holds the LPIs, as the ITS sees it: a handle for the functions below. */
export type LpiHost = Vgic3State;

/**
 * The GICv3 VGIC whose LPIs an ITS feeds (kvm->arch.vgic), if the VM's
 * irqchip is one; an ITS may exist before the VGIC or beside a GICv2.
 */
export function lpiHost(vm: VmCtx): LpiHost | undefined {
  const ic = vm.state.irqchip;
  const d = ic >= 0 ? vm.state.devices[ic] : undefined;
  return d && d.type === DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_V3 ? (d.state as Vgic3State) : undefined;
}

/** vgic_its_create's part on the VGIC: PROPBASER resets to INITIAL_PROPBASER_VALUE. */
export function itsCreated(vm: VmCtx): void {
  const s3 = lpiHost(vm);
  if (s3) s3.propbaser = INITIAL_PROPBASER;
}

/** MAPTI's range check: an LPI INTID from 8192 up to what PROPBASER.IDbits allows. */
export function lpiInRange(s: Vgic3State, intid: number): boolean {
  return intid >= VGIC.MIN_LPI && intid < maxLpis(s.propbaser);
}

/** GICR_CTLR.EnableLPIs of vcpu index v (vgic_lpis_enabled). */
export function lpisEnabled(s: Vgic3State, v: number): boolean {
  return s.cpus[v]!.lpisEnabled;
}

/** irq->target_vcpu of a mapped LPI becomes vcpu index v (-1: none); MAPC, MOVI. */
export function retargetLpi(s: Vgic3State, intid: number, v: number): void {
  const l = findLpi(s, intid);
  if (l) l.target = v;
}

/** pending_latch of a mapped LPI (INT and an MSI set it, CLEAR clears it). */
export function setLpiPending(s: Vgic3State, intid: number, pending: boolean): void {
  const l = findLpi(s, intid);
  if (l) l.pending = pending;
}

/** INV: a mapped LPI re-reads its property byte (update_lpi_config). */
export function invalidateLpi(vm: VmCtx, s: Vgic3State, intid: number): Errno {
  const l = findLpi(s, intid);
  return l ? updateLpiConfig(vm, s, l) : 0;
}

/** INVALL (vgic_its_invall): every LPI targeting vcpu index v re-reads its property byte. */
export function invalidateAllLpis(vm: VmCtx, s: Vgic3State, v: number): void {
  for (const l of s.lpis) updateLpiConfig(vm, s, l, v);
}

/** MOVALL: every LPI targeting vcpu index `from` now targets `to`. */
export function moveAllLpis(s: Vgic3State, from: number, to: number): void {
  for (const l of s.lpis) if (l.target === from) l.target = to;
}

/** INTERRUPT_ID_BITS_ITS: the VGIC supports 16-bit INTIDs with an ITS. */
export const INTERRUPT_ID_BITS_ITS = 16;
const LPI_PROP_ENABLED = 1;

/** GICR_PROPBASER_ADDRESS: bits 51:12. */
export function propbaseAddress(propbaser: bigint): number {
  return Number(propbaser & 0x000ffffffffff000n);
}

/** GICR_PENDBASER_ADDRESS: bits 51:16. */
export function pendbaseAddress(pendbaser: bigint): number {
  return Number(pendbaser & 0x000fffffffff0000n);
}

/** GICR_PENDBASER.PTZ: the pending table is zero, nothing to read when LPIs are enabled. */
export const GICR_PENDBASER_PTZ = 1n << 62n;

/** max_lpis_propbaser: 1 << min(PROPBASER.IDbits + 1, 16). */
export function maxLpis(propbaser: bigint): number {
  return 2 ** Math.min(Number(propbaser & 0x1fn) + 1, INTERRUPT_ID_BITS_ITS);
}

/** Index of LPI `intid` in the sorted list, or -(insertion point) - 1. */
function search(lpis: readonly Lpi[], intid: number): number {
  let lo = 0;
  let hi = lpis.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = lpis[mid]!.intid;
    if (v === intid) return mid;
    if (v < intid) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}

/** vgic_get_irq for an LPI: the LPI, or undefined when nothing maps it. */
export function findLpi(s: Vgic3State, intid: number): Lpi | undefined {
  const i = search(s.lpis, intid);
  return i >= 0 ? s.lpis[i] : undefined;
}

/**
 * update_lpi_config: reads the LPI's property byte from guest RAM and takes
 * its priority (& 0xfc) and enable bit, unless `filter` names a vcpu the
 * LPI does not target. A byte outside guest RAM fails (-EFAULT).
 */
export function updateLpiConfig(vm: VmCtx, s: Vgic3State, lpi: Lpi, filter = -1): Errno {
  const prop = readGuestByte(vm.state, propbaseAddress(s.propbaser) + lpi.intid - VGIC.MIN_LPI);
  if (prop < 0) return ERRNO.EFAULT;
  if (filter < 0 || filter === lpi.target) {
    lpi.priority = prop & 0xfc;
    lpi.enabled = (prop & LPI_PROP_ENABLED) !== 0;
  }
  return 0;
}

/**
 * vgic_v3_lpi_sync_pending_status: the LPI's bit in its target's pending
 * table becomes pending_latch, and a set bit is consumed (cleared in guest
 * RAM). Nothing happens for an LPI without a target.
 */
function syncPendingStatus(vm: VmCtx, s: Vgic3State, lpi: Lpi): Errno {
  if (lpi.target < 0) return 0;
  const ptr = pendbaseAddress(s.cpus[lpi.target]!.pendbaser) + Math.floor(lpi.intid / 8);
  const val = readGuestByte(vm.state, ptr);
  if (val < 0) return ERRNO.EFAULT;
  const bit = 1 << (lpi.intid % 8);
  lpi.pending = (val & bit) !== 0;
  if (lpi.pending && !writeGuestByte(vm.state, ptr, val & ~bit)) return ERRNO.EFAULT;
  return 0;
}

/**
 * vgic_add_lpi: an LPI that exists gains a reference and is returned as it
 * is; a new one is edge, group 1, targeting `target`, with its config read
 * from the property table and its pending state from the pending table. If
 * either read fails the LPI is not created and the error is returned.
 */
export function addLpi(vm: VmCtx, s: Vgic3State, intid: number, target: number): Lpi | Errno {
  const i = search(s.lpis, intid);
  if (i >= 0) {
    s.lpis[i]!.refs++;
    return s.lpis[i]!;
  }
  const lpi: Lpi = { intid, enabled: false, priority: 0, pending: false, target, refs: 1 };
  let e = updateLpiConfig(vm, s, lpi);
  if (!e) e = syncPendingStatus(vm, s, lpi);
  if (e) return e;
  s.lpis.splice(-i - 1, 0, lpi);
  return lpi;
}

/** vgic_put_irq for an LPI: the last reference frees it (with its pending state). */
export function putLpi(s: Vgic3State, intid: number): void {
  const i = search(s.lpis, intid);
  if (i < 0) return;
  if (--s.lpis[i]!.refs <= 0) s.lpis.splice(i, 1);
}

/**
 * its_sync_lpi_pending_table (on GICR_CTLR.EnableLPIs 0 -> 1, unless
 * PENDBASER.PTZ): every LPI targeting the vcpu takes its pending bit from
 * the vcpu's pending table. Unlike vgic_add_lpi's sync, nothing is cleared.
 */
export function syncPendingTable(vm: VmCtx, s: Vgic3State, vcpu: number): Errno {
  const base = pendbaseAddress(s.cpus[vcpu]!.pendbaser);
  for (const lpi of s.lpis) {
    if (lpi.target !== vcpu) continue;
    const val = readGuestByte(vm.state, base + Math.floor(lpi.intid / 8));
    if (val < 0) return ERRNO.EFAULT;
    lpi.pending = (val & (1 << (lpi.intid % 8))) !== 0;
  }
  return 0;
}

/**
 * vgic_v3_save_pending_tables (KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES): for
 * every LPI with a target, its pending_latch is written to its bit in the
 * target's pending table (only bytes whose bit differs are written). The
 * pending state itself stays. A byte outside guest RAM fails (-EFAULT).
 */
export function savePendingTables(vm: VmCtx, s: Vgic3State): Errno {
  for (const lpi of s.lpis) {
    if (lpi.target < 0) continue;
    const ptr = pendbaseAddress(s.cpus[lpi.target]!.pendbaser) + Math.floor(lpi.intid / 8);
    const val = readGuestByte(vm.state, ptr);
    if (val < 0) return ERRNO.EFAULT;
    const bit = 1 << (lpi.intid % 8);
    if (((val & bit) !== 0) === lpi.pending) continue;
    if (!writeGuestByte(vm.state, ptr, lpi.pending ? val | bit : val & ~bit)) return ERRNO.EFAULT;
  }
  return 0;
}
