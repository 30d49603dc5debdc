/**
 * Guest RAM's devrr limit (devices/core/guest-mem.ts MAX_GUEST_PAGES): a
 * trace's mem_write events cannot grow a VM's state without bound. Not a
 * kernel rule: the kernel bounds RAM by memslots, which devrr does not model.
 */
import { expect, test } from 'vitest';
import { GUEST_PAGE, MAX_GUEST_PAGES } from '../../devices/core/guest-mem.js';
import { ERRNO } from '../../devices/core/uapi.js';
import { createVm } from '../../devices/registry.js';

test('mem_write past MAX_GUEST_PAGES written pages is ENOMEM and writes nothing; rewrites, zero writes and reads still work', () => {
  const vm = createVm('arm64');
  const one = Uint8Array.of(1);
  for (let p = 0; p < MAX_GUEST_PAGES; p++) expect(vm.memWrite(p * GUEST_PAGE, one)).toBe(0);
  const next = MAX_GUEST_PAGES * GUEST_PAGE;
  expect(vm.memWrite(next, one)).toBe(ERRNO.ENOMEM);
  // A write spanning a held page and a new one is refused whole.
  expect(vm.memWrite(next - 1, Uint8Array.of(7, 7))).toBe(ERRNO.ENOMEM);
  expect(vm.memRead(next - 1, 2).data).toEqual(Uint8Array.of(0, 0));
  expect(vm.memWrite(5 * GUEST_PAGE + 9, Uint8Array.of(2, 3))).toBe(0);
  expect(vm.memWrite(next, Uint8Array.of(0, 0))).toBe(0); // zeros make no page
  expect(vm.memRead(5 * GUEST_PAGE + 8, 3).data).toEqual(Uint8Array.of(0, 2, 3));
  // Beyond the IPA space stays EFAULT, as kvm_write_guest's failure is.
  expect(vm.memWrite(2 ** 40, one)).toBe(ERRNO.EFAULT);
});
