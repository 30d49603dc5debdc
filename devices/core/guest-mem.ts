/**
 * Guest RAM as plain data: sparse, deterministic, zero-filled.
 *
 * The model has no memslots: every guest physical address below the VM's IPA
 * size is RAM that reads as zero until written (kvm_read_guest and
 * kvm_write_guest succeed), and any access that reaches beyond it faults
 * (the kernel's -EFAULT). Only the 4 KiB pages something wrote exist, keyed
 * by page number, so snapshots, digests and diffs carry the bytes that
 * changed and never whole RAM. A write of zeros to a page that does not
 * exist creates nothing, so the same contents always have the same form.
 *
 * Plain data only (an object of Uint8Arrays): it is cloned, digested and
 * diffed with the rest of the VM state. Changing this layout changes trace
 * checkpoints: bump the model versions.
 */
import type { VmState } from './vm-state.js';

export const GUEST_PAGE = 4096;

/**
 * The most 4 KiB pages of guest RAM one VM may hold written (64 MiB). A devrr
 * limit, not a kernel rule: it bounds every state, checkpoint and digest
 * whatever a trace asks for. A write that would make a page past it writes
 * nothing and fails (the VMM's write: ENOMEM; a device's own write to guest
 * RAM: as a failed kvm_write_guest, EFAULT).
 */
export const MAX_GUEST_PAGES = 16384;

/** Touched pages by page number (decimal string keys, as plain objects have). */
export interface GuestMem {
  pages: Record<string, Uint8Array>;
}

/** Whether [addr, addr + len) lies inside guest RAM (the IPA space). */
export function inGuestRam(vm: VmState, addr: number, len: number): boolean {
  return Number.isSafeInteger(addr) && addr >= 0 && len >= 0 && addr + len <= 2 ** vm.ipaBits;
}

/** kvm_read_guest: fills `out` from guest RAM; false (nothing read) when out of range. */
export function readGuest(vm: VmState, addr: number, out: Uint8Array): boolean {
  if (!inGuestRam(vm, addr, out.length)) return false;
  const pages = vm.mem?.pages;
  let done = 0;
  while (done < out.length) {
    const a = addr + done;
    const page = Math.floor(a / GUEST_PAGE);
    const off = a - page * GUEST_PAGE;
    const n = Math.min(out.length - done, GUEST_PAGE - off);
    const p = pages?.[page];
    if (p) out.set(p.subarray(off, off + n), done);
    else out.fill(0, done, done + n);
    done += n;
  }
  return true;
}

/** kvm_write_guest: copies `data` into guest RAM; false (nothing written) when out of range. */
export function writeGuest(vm: VmState, addr: number, data: Uint8Array): boolean {
  if (!inGuestRam(vm, addr, data.length) || !roomFor(vm, addr, data)) return false;
  let done = 0;
  while (done < data.length) {
    const a = addr + done;
    const page = Math.floor(a / GUEST_PAGE);
    const off = a - page * GUEST_PAGE;
    const n = Math.min(data.length - done, GUEST_PAGE - off);
    const chunk = data.subarray(done, done + n);
    let p = vm.mem?.pages[page];
    if (!p && chunk.some((b) => b !== 0)) {
      vm.mem ??= { pages: {} };
      p = vm.mem.pages[page] = new Uint8Array(GUEST_PAGE);
    }
    if (p) p.set(chunk, off);
    done += n;
  }
  return true;
}

/** Whether writing `data` at `addr` keeps the VM within MAX_GUEST_PAGES written pages. */
export function roomFor(vm: VmState, addr: number, data: Uint8Array): boolean {
  const pages = vm.mem?.pages;
  let added = 0;
  for (let done = 0; done < data.length; ) {
    const a = addr + done;
    const page = Math.floor(a / GUEST_PAGE);
    const n = Math.min(data.length - done, GUEST_PAGE - (a - page * GUEST_PAGE));
    if (!pages?.[page] && data.subarray(done, done + n).some((b) => b !== 0)) added++;
    done += n;
  }
  // Counting the pages held is a walk of their keys: done only when a write makes new ones.
  return added === 0 || (pages ? Object.keys(pages).length : 0) + added <= MAX_GUEST_PAGES;
}

/** Little-endian u64 at `addr`, or undefined when it is not in guest RAM. */
export function readGuestU64(vm: VmState, addr: number): bigint | undefined {
  const b = new Uint8Array(8);
  if (!readGuest(vm, addr, b)) return undefined;
  return new DataView(b.buffer).getBigUint64(0, true);
}

/** Writes a little-endian u64 at `addr`; false when it is not in guest RAM. */
export function writeGuestU64(vm: VmState, addr: number, value: bigint): boolean {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
  return writeGuest(vm, addr, b);
}

/** One byte at `addr`, or -1 when it is not in guest RAM. */
export function readGuestByte(vm: VmState, addr: number): number {
  if (!inGuestRam(vm, addr, 1)) return -1;
  const page = Math.floor(addr / GUEST_PAGE);
  return vm.mem?.pages[page]?.[addr - page * GUEST_PAGE] ?? 0;
}

/** Writes one byte at `addr`; false when it is not in guest RAM. */
export function writeGuestByte(vm: VmState, addr: number, value: number): boolean {
  return writeGuest(vm, addr, Uint8Array.of(value & 0xff));
}
