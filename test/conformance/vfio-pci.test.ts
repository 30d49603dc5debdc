/**
 * Conformance: the VFIO device fd of a model VFIO-PCI device
 * (devices/vfio/pci/), through the Vm. Each test names its kernel source:
 * vfio_pci_core_ioctl and its helpers (drivers/vfio/pci/vfio_pci_core.c),
 * vfio_set_irqs_validate_and_prepare (drivers/vfio/vfio_main.c), the
 * SET_IRQS handlers (drivers/vfio/pci/vfio_pci_intrs.c) and the region
 * accesses (vfio_pci_rw, vfio_pci_rdwr.c). The last test follows one MSI
 * from the device through its eventfd's irqfd and the ITS to the guest's
 * acknowledge.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { FILE_FD_BASE } from '../../devices/core/files.js';
import { ERRNO, ICC_SYSREG, KVM_MSI_VALID_DEVID } from '../../devices/core/uapi.js';
import type { Vm } from '../../devices/core/vm.js';
import { createVm } from '../../devices/registry.js';
import { VFIO_IRQ_INFO_FLAG as IF, VFIO_IRQ_SET_FLAG as SF, VFIO_REGION_INFO_FLAG as RF } from '../../devices/vfio/uapi.js';
import type { VfioPciState } from '../../devices/vfio/pci/state.js';
import { recordScenario } from '../../recorder/record.js';
import { parseScenario } from '../../recorder/scenario.js';
import type { VmState } from '../../devices/core/vm-state.js';

const READ = RF.VFIO_REGION_INFO_FLAG_READ;
const WRITE = RF.VFIO_REGION_INFO_FLAG_WRITE;
const MMAP = RF.VFIO_REGION_INFO_FLAG_MMAP;
const CAPS = RF.VFIO_REGION_INFO_FLAG_CAPS;
const EVENTFD = SF.VFIO_IRQ_SET_DATA_EVENTFD;
const NONE = SF.VFIO_IRQ_SET_DATA_NONE;
const BOOL = SF.VFIO_IRQ_SET_DATA_BOOL;
const TRIGGER = SF.VFIO_IRQ_SET_ACTION_TRIGGER;
const MASK = SF.VFIO_IRQ_SET_ACTION_MASK;
const UNMASK = SF.VFIO_IRQ_SET_ACTION_UNMASK;
const INTX = 0;
const MSI = 1;
const MSIX = 2;
const ERR = 3;
const REQ = 4;
const CONFIG = 7;
const ROM = 6;
const VGA = 8;

function setup(profile = 'nic', arch: 'x86_64' | 'arm64' = 'x86_64') {
  const vm = createVm(arch);
  const dev = vm.openFile({ kind: 'vfio_device', profile }).fd;
  const pci = () => (vm.state.files![dev - FILE_FD_BASE] as { pci: VfioPciState }).pci;
  const eventfd = () => vm.openFile({ kind: 'eventfd' }).fd;
  const count = (fd: number) => (vm.state.files![fd - FILE_FD_BASE] as { count: number }).count;
  const setIrqs = (flags: number, index: number, start: number, cnt: number, data: number[] = [], argsz?: number) =>
    vm.vfioIoctl(dev, { op: 'set_irqs', hdr: { argsz: argsz ?? 20 + cnt * (flags & EVENTFD ? 4 : flags & BOOL ? 1 : 0), flags, index, start, count: cnt }, data });
  const cfg = (off: number, len: number, value?: number) => vm.vfioRegionRw(dev, CONFIG, off, len, value !== undefined, BigInt(value ?? 0));
  return { vm, dev, pci, eventfd, count, setIrqs, cfg };
}

describe('VFIO_DEVICE_GET_INFO (vfio_pci_ioctl_get_info)', () => {
  test('argsz below offsetofend(num_irqs) is EINVAL; a PCI device with reset, 9 regions, 5 irqs', () => {
    const { vm, dev } = setup();
    expect(vm.vfioIoctl(dev, { op: 'get_info', argsz: 23 }).errno).toBe(ERRNO.EINVAL);
    expect(vm.vfioIoctl(dev, { op: 'get_info', argsz: 24 }).deviceInfo).toEqual({ argsz: 24, flags: 3, numRegions: 9, numIrqs: 5 });
  });
});

describe('VFIO_DEVICE_GET_REGION_INFO (vfio_pci_ioctl_get_region_info)', () => {
  const info = (vm: Vm, dev: number, index: number, argsz = 32) => vm.vfioIoctl(dev, { op: 'get_region_info', index, argsz });

  test('argsz below offsetofend(offset) is EINVAL', () => {
    const { vm, dev } = setup();
    expect(info(vm, dev, 0, 31).errno).toBe(ERRNO.EINVAL);
  });

  test('each region sits at VFIO_PCI_INDEX_TO_OFFSET(index) = index << 40', () => {
    const { vm, dev } = setup();
    for (const i of [0, 2, 3, 6, 7]) expect(info(vm, dev, i).regionInfo!.offset).toBe(BigInt(i) << 40n);
  });

  test('config space: pdev->cfg_size (4096, PCI Express), read and write', () => {
    const { vm, dev } = setup();
    expect(info(vm, dev, CONFIG).regionInfo).toMatchObject({ size: 0x1000n, flags: READ | WRITE, capOffset: 0 });
  });

  test('BARs: the resource length; a memory BAR is mmap-able, an I/O BAR is not, an absent BAR (or a 64-bit BAR\'s upper half) has size and flags 0', () => {
    const nic = setup();
    expect(info(nic.vm, nic.dev, 0).regionInfo).toMatchObject({ size: 0x20000n, flags: READ | WRITE | MMAP });
    expect(info(nic.vm, nic.dev, 1).regionInfo).toMatchObject({ size: 0n, flags: 0 });
    expect(info(nic.vm, nic.dev, 2).regionInfo).toMatchObject({ size: 0x20n, flags: READ | WRITE });
    const gpu = setup('gpu');
    expect(info(gpu.vm, gpu.dev, 2).regionInfo).toMatchObject({ size: 0x10000000n, flags: READ | WRITE | MMAP });
    expect(info(gpu.vm, gpu.dev, 3).regionInfo).toMatchObject({ size: 0n, flags: 0 });
  });

  test('the MSI-X BAR carries the MSIX_MAPPABLE capability: with argsz 32 the answer asks for 40 (cap_offset 0), with 40 the chain is at 32 (msix_mmappable_cap)', () => {
    const { vm, dev } = setup();
    expect(info(vm, dev, 3, 32).regionInfo).toMatchObject({ argsz: 40, flags: READ | WRITE | MMAP | CAPS, capOffset: 0 });
    expect(info(vm, dev, 3, 40).regionInfo).toMatchObject({ argsz: 40, capOffset: 32 });
  });

  test('ROM: read-only with its size; VGA: 0xc0000 bytes read/write on a VGA device, EINVAL on another; index 9 and beyond EINVAL', () => {
    const nic = setup();
    expect(info(nic.vm, nic.dev, ROM).regionInfo).toMatchObject({ size: 0x10000n, flags: READ });
    expect(info(nic.vm, nic.dev, VGA).errno).toBe(ERRNO.EINVAL);
    expect(info(nic.vm, nic.dev, 9).errno).toBe(ERRNO.EINVAL);
    const gpu = setup('gpu');
    expect(info(gpu.vm, gpu.dev, VGA).regionInfo).toMatchObject({ size: 0xc0000n, flags: READ | WRITE, offset: 8n << 40n });
  });
});

describe('VFIO_DEVICE_GET_IRQ_INFO (vfio_pci_ioctl_get_irq_info, vfio_pci_get_irq_count)', () => {
  test('argsz below offsetofend(count) or an index past VFIO_PCI_NUM_IRQS is EINVAL', () => {
    const { vm, dev } = setup();
    expect(vm.vfioIoctl(dev, { op: 'get_irq_info', index: 0, argsz: 15 }).errno).toBe(ERRNO.EINVAL);
    expect(vm.vfioIoctl(dev, { op: 'get_irq_info', index: 5, argsz: 16 }).errno).toBe(ERRNO.EINVAL);
  });

  test('INTx: eventfd, maskable, automasked, 1; MSI, MSI-X, ERR, REQ: eventfd, noresize, with their counts', () => {
    const { vm, dev } = setup();
    const get = (index: number) => vm.vfioIoctl(dev, { op: 'get_irq_info', index, argsz: 16 }).irqInfo;
    const E = IF.VFIO_IRQ_INFO_EVENTFD;
    const N = IF.VFIO_IRQ_INFO_NORESIZE;
    expect(get(INTX)).toEqual({ argsz: 16, index: 0, flags: E | IF.VFIO_IRQ_INFO_MASKABLE | IF.VFIO_IRQ_INFO_AUTOMASKED, count: 1 });
    expect(get(MSI)).toMatchObject({ flags: E | N, count: 4 });
    expect(get(MSIX)).toMatchObject({ flags: E | N, count: 8 });
    expect(get(ERR)).toMatchObject({ flags: E | N, count: 1 });
    expect(get(REQ)).toMatchObject({ flags: E | N, count: 1 });
  });
});

describe('VFIO_DEVICE_SET_IRQS argument checks (vfio_set_irqs_validate_and_prepare, vfio_main.c)', () => {
  test('argsz below 20, index past VFIO_PCI_NUM_IRQS, an unknown flag bit: EINVAL', () => {
    const s = setup();
    expect(s.setIrqs(NONE | TRIGGER, MSIX, 0, 0, [], 19).errno).toBe(ERRNO.EINVAL);
    expect(s.setIrqs(NONE | TRIGGER, 5, 0, 0).errno).toBe(ERRNO.EINVAL);
    expect(s.setIrqs(NONE | TRIGGER | 0x40, MSIX, 0, 1).errno).toBe(ERRNO.EINVAL);
  });

  test('start at or past the index\'s count, or start + count past it: EINVAL', () => {
    const s = setup();
    expect(s.setIrqs(NONE | TRIGGER, MSIX, 8, 0).errno).toBe(ERRNO.EINVAL);
    expect(s.setIrqs(NONE | TRIGGER, MSIX, 4, 5).errno).toBe(ERRNO.EINVAL);
    expect(s.setIrqs(NONE | TRIGGER, INTX, 0, 2).errno).toBe(ERRNO.EINVAL);
  });

  test('a data type that is not exactly one of NONE, BOOL, EVENTFD: EINVAL', () => {
    const s = setup();
    expect(s.setIrqs(TRIGGER, MSIX, 0, 1).errno).toBe(ERRNO.EINVAL);
    expect(s.setIrqs(NONE | BOOL | TRIGGER, MSIX, 0, 1, [1], 21).errno).toBe(ERRNO.EINVAL);
  });

  test('argsz too small for count elements of data: EINVAL', () => {
    const s = setup();
    const ev = s.eventfd();
    expect(s.setIrqs(EVENTFD | TRIGGER, MSIX, 0, 2, [ev, ev], 27).errno).toBe(ERRNO.EINVAL);
  });

  test('no action, or an action the index has no handler for, is ENOTTY (vfio_pci_set_irqs_ioctl): MSI and MSI-X cannot be masked', () => {
    const s = setup();
    expect(s.setIrqs(NONE, MSIX, 0, 1).errno).toBe(ERRNO.ENOTTY);
    expect(s.setIrqs(NONE | MASK, MSIX, 0, 1).errno).toBe(ERRNO.ENOTTY);
    expect(s.setIrqs(NONE | UNMASK, MSI, 0, 1).errno).toBe(ERRNO.ENOTTY);
    expect(s.setIrqs(NONE | MASK, ERR, 0, 1).errno).toBe(ERRNO.ENOTTY);
    expect(s.setIrqs(NONE | MASK | UNMASK, INTX, 0, 1).errno).toBe(ERRNO.ENOTTY);
  });
});

describe('MSI and MSI-X triggers (vfio_pci_set_msi_trigger, vfio_msi_set_block, vfio_msi_set_vector_signal)', () => {
  test('EVENTFD enables start + count vectors with their eventfds; fd -1 leaves a vector without one; count 0 with NONE disables', () => {
    const s = setup();
    const a = s.eventfd();
    expect(s.setIrqs(EVENTFD | TRIGGER, MSIX, 0, 3, [a, -1, a]).errno).toBe(0);
    expect(s.pci()).toMatchObject({ irqType: MSIX, triggers: [a - FILE_FD_BASE, -1, a - FILE_FD_BASE] });
    expect(s.setIrqs(NONE | TRIGGER, MSIX, 0, 0).errno).toBe(0);
    expect(s.pci()).toMatchObject({ irqType: 5, triggers: [] });
  });

  test('with MSI-X enabled, MSI is EINVAL (one index at a time); and vice versa', () => {
    const s = setup();
    const a = s.eventfd();
    s.setIrqs(EVENTFD | TRIGGER, MSIX, 0, 1, [a]);
    expect(s.setIrqs(EVENTFD | TRIGGER, MSI, 0, 1, [a]).errno).toBe(ERRNO.EINVAL);
    expect(s.setIrqs(EVENTFD | TRIGGER, INTX, 0, 1, [a]).errno).toBe(ERRNO.EINVAL);
  });

  test('a bad fd is EBADF, another file EINVAL (eventfd_ctx_fdget); a newly enabled index is disabled again', () => {
    const s = setup();
    const a = s.eventfd();
    const plain = s.vm.openFile({ kind: 'plain' }).fd;
    expect(s.setIrqs(EVENTFD | TRIGGER, MSIX, 0, 2, [a, 999]).errno).toBe(ERRNO.EBADF);
    expect(s.pci().irqType).toBe(5);
    expect(s.setIrqs(EVENTFD | TRIGGER, MSIX, 0, 2, [a, plain]).errno).toBe(ERRNO.EINVAL);
    expect(s.pci().irqType).toBe(5);
  });

  test('on an enabled index, a failing vector tears down every vector of the block up to it; a vector past those enabled is EINVAL (no dynamic MSI-X)', () => {
    const s = setup();
    const a = s.eventfd();
    s.setIrqs(EVENTFD | TRIGGER, MSIX, 0, 4, [a, a, a, a]);
    expect(s.setIrqs(EVENTFD | TRIGGER, MSIX, 1, 2, [a, 999]).errno).toBe(ERRNO.EBADF);
    expect(s.pci().triggers).toEqual([a - FILE_FD_BASE, -1, -1, a - FILE_FD_BASE]);
    expect(s.setIrqs(EVENTFD | TRIGGER, MSIX, 4, 1, [a]).errno).toBe(ERRNO.EINVAL);
    expect(s.pci().irqType).toBe(MSIX);
  });

  test('EVENTFD with count 0 on nothing enabled asks pci_alloc_irq_vectors for 0 vectors: ERANGE', () => {
    const s = setup();
    expect(s.setIrqs(EVENTFD | TRIGGER, MSIX, 0, 0).errno).toBe(ERRNO.ERANGE);
  });

  test('NONE and BOOL signal the vectors\' eventfds (loopback) on the enabled index, else EINVAL; a vector without an eventfd is skipped', () => {
    const s = setup();
    const a = s.eventfd();
    expect(s.setIrqs(NONE | TRIGGER, MSIX, 0, 1).errno).toBe(ERRNO.EINVAL);
    s.setIrqs(EVENTFD | TRIGGER, MSIX, 0, 2, [a, -1]);
    expect(s.setIrqs(NONE | TRIGGER, MSIX, 0, 2).errno).toBe(0);
    expect(s.count(a)).toBe(1);
    expect(s.setIrqs(BOOL | TRIGGER, MSIX, 0, 1, [0]).errno).toBe(0);
    expect(s.count(a)).toBe(1);
    s.setIrqs(BOOL | TRIGGER, MSIX, 0, 1, [1]);
    expect(s.count(a)).toBe(2);
  });
});

describe('INTx (vfio_pci_set_intx_trigger, _mask, _unmask; vfio_intx_handler)', () => {
  test('mask and unmask need INTx enabled, start 0 and count 1: EINVAL otherwise; masking with an eventfd is ENOTTY', () => {
    const s = setup();
    expect(s.setIrqs(NONE | MASK, INTX, 0, 1).errno).toBe(ERRNO.EINVAL);
    s.setIrqs(EVENTFD | TRIGGER, INTX, 0, 1, [s.eventfd()]);
    expect(s.setIrqs(NONE | MASK, INTX, 0, 0).errno).toBe(ERRNO.EINVAL);
    expect(s.setIrqs(EVENTFD | MASK, INTX, 0, 1, [s.eventfd()]).errno).toBe(ERRNO.ENOTTY);
  });

  test('the device asserting INTx signals the trigger and automasks; while masked a new assertion waits; an unmask with the line still high signals again', () => {
    const s = setup();
    const ev = s.eventfd();
    s.setIrqs(EVENTFD | TRIGGER, INTX, 0, 1, [ev]);
    expect(s.vm.vfioRaise(s.dev, INTX, 0, 1).outcome).toBe('signalled');
    expect(s.count(ev)).toBe(1);
    expect(s.pci().intxMasked).toBe(true);
    // The line is still high: unmasking finds it asserted (pci_check_and_unmask_intx) and signals again, staying masked.
    expect(s.setIrqs(NONE | UNMASK, INTX, 0, 1).errno).toBe(0);
    expect(s.count(ev)).toBe(2);
    expect(s.pci().intxMasked).toBe(true);
    // The guest serviced the device: the line drops; now unmask really unmasks.
    expect(s.vm.vfioRaise(s.dev, INTX, 0, 0).outcome).toBe('lowered');
    s.setIrqs(BOOL | UNMASK, INTX, 0, 1, [1]);
    expect(s.pci().intxMasked).toBe(false);
    // Masked by the user: the next assertion waits.
    s.setIrqs(NONE | MASK, INTX, 0, 1);
    expect(s.vm.vfioRaise(s.dev, INTX, 0, 1).outcome).toBe('masked');
    expect(s.count(ev)).toBe(2);
  });

  test('an unmask eventfd (virqfd): EBADF or EINVAL for a bad fd, EBUSY while one is set, fd -1 clears it (vfio_virqfd_enable/disable)', () => {
    const s = setup();
    s.setIrqs(EVENTFD | TRIGGER, INTX, 0, 1, [s.eventfd()]);
    const plain = s.vm.openFile({ kind: 'plain' }).fd;
    expect(s.setIrqs(EVENTFD | UNMASK, INTX, 0, 1, [999]).errno).toBe(ERRNO.EBADF);
    expect(s.setIrqs(EVENTFD | UNMASK, INTX, 0, 1, [plain]).errno).toBe(ERRNO.EINVAL);
    const ev = s.eventfd();
    expect(s.setIrqs(EVENTFD | UNMASK, INTX, 0, 1, [ev]).errno).toBe(0);
    expect(s.setIrqs(EVENTFD | UNMASK, INTX, 0, 1, [ev]).errno).toBe(ERRNO.EBUSY);
    expect(s.setIrqs(EVENTFD | UNMASK, INTX, 0, 1, [-1]).errno).toBe(0);
    expect(s.pci().intxUnmask).toBe(-1);
  });

  test('count 0 with NONE disables INTx; INTx not enabled drops the assertion', () => {
    const s = setup();
    s.setIrqs(EVENTFD | TRIGGER, INTX, 0, 1, [-1]);
    expect(s.pci().irqType).toBe(INTX);
    expect(s.setIrqs(NONE | TRIGGER, INTX, 0, 0).errno).toBe(0);
    expect(s.pci().irqType).toBe(5);
    expect(s.vm.vfioRaise(s.dev, INTX, 0, 1).outcome).toBe('not-enabled');
  });
});

describe('ERR and REQ (vfio_pci_set_err_trigger, vfio_pci_set_req_trigger, vfio_pci_set_ctx_trigger_single)', () => {
  test('start 0 and count at most 1; NONE without an eventfd EINVAL; EVENTFD fd -1 clears, below -1 EINVAL; BOOL with count 0 EINVAL', () => {
    const s = setup();
    expect(s.setIrqs(NONE | TRIGGER, ERR, 0, 1).errno).toBe(ERRNO.EINVAL);
    const ev = s.eventfd();
    expect(s.setIrqs(EVENTFD | TRIGGER, REQ, 0, 1, [ev]).errno).toBe(0);
    expect(s.setIrqs(NONE | TRIGGER, REQ, 0, 1).errno).toBe(0);
    expect(s.count(ev)).toBe(1);
    expect(s.vm.vfioRaise(s.dev, REQ, 0, 1).outcome).toBe('signalled');
    expect(s.setIrqs(EVENTFD | TRIGGER, REQ, 0, 1, [-2]).errno).toBe(ERRNO.EINVAL);
    expect(s.setIrqs(BOOL | TRIGGER, REQ, 0, 0).errno).toBe(ERRNO.EINVAL);
    expect(s.setIrqs(EVENTFD | TRIGGER, REQ, 0, 1, [-1]).errno).toBe(0);
    expect(s.pci().reqTrigger).toBe(-1);
  });
});

describe('region reads and writes (vfio_pci_rw, vfio_pci_bar_rw, vfio_pci_config_rw)', () => {
  test('config: the IDs read back; a BAR written with all ones reads back its size (vfio_bar_fixup); the command register keeps only its writable bits', () => {
    const s = setup();
    expect(s.cfg(0, 4).value).toBe(0x00d01b36n);
    s.cfg(0x10, 4, 0xffffffff);
    expect(s.cfg(0x10, 4).value).toBe(BigInt(~(0x20000 - 1) >>> 0));
    s.cfg(0x18, 4, 0xffffffff);
    expect(s.cfg(0x18, 4).value).toBe(0xffffffe1n);
    s.cfg(0x04, 2, 0xffff);
    expect(s.cfg(0x04, 2).value).toBe(0x0407n);
    expect(s.cfg(0x1000, 4).errno).toBe(ERRNO.EINVAL);
    expect(s.cfg(0x800, 4)).toEqual({ errno: 0, done: 4, value: 0n });
  });

  test('a memory BAR with memory decode off is EIO (__vfio_pci_memory_enabled); on, its registers hold what was written; past the end EINVAL, across it short', () => {
    const s = setup();
    expect(s.vm.vfioRegionRw(s.dev, 0, 0x10, 4, true, 0x1234n).errno).toBe(ERRNO.EIO);
    s.cfg(0x04, 2, 0x0002);
    expect(s.vm.vfioRegionRw(s.dev, 0, 0x10, 4, true, 0x1234n)).toMatchObject({ errno: 0, done: 4 });
    expect(s.vm.vfioRegionRw(s.dev, 0, 0x10, 4, false, 0n).value).toBe(0x1234n);
    expect(s.vm.vfioRegionRw(s.dev, 0, 0x20000, 4, false, 0n).errno).toBe(ERRNO.EINVAL);
    expect(s.vm.vfioRegionRw(s.dev, 0, 0x1fffe, 4, false, 0n).done).toBe(2);
    // The I/O BAR needs no memory decode.
    s.cfg(0x04, 2, 0);
    expect(s.vm.vfioRegionRw(s.dev, 2, 0, 1, false, 0n).errno).toBe(0);
  });

  test('the MSI-X table is not the user\'s: reads fill 0xff, writes are dropped (vfio_pci_bar_rw excludes it)', () => {
    const s = setup();
    s.cfg(0x04, 2, 0x0002);
    s.vm.vfioRegionRw(s.dev, 3, 0x0c, 4, true, 0n);
    expect(s.vm.vfioRegionRw(s.dev, 3, 0x0c, 4, false, 0n).value).toBe(0xffffffffn);
    expect(s.vm.vfioRegionRw(s.dev, 3, 0x80, 4, false, 0n).value).toBe(0n);
  });

  test('ROM: read-only (a write is EINVAL), the 0x55 0xAA signature; VGA only in the legacy ranges', () => {
    const s = setup();
    expect(s.vm.vfioRegionRw(s.dev, ROM, 0, 2, false, 0n).value).toBe(0xaa55n);
    expect(s.vm.vfioRegionRw(s.dev, ROM, 0, 2, true, 0n).errno).toBe(ERRNO.EINVAL);
    expect(s.vm.vfioRegionRw(s.dev, VGA, 0xa0000, 1, false, 0n).errno).toBe(ERRNO.EINVAL);
    const g = setup('gpu');
    expect(g.vm.vfioRegionRw(g.dev, VGA, 0xa0000, 4, true, 1n).errno).toBe(0);
    expect(g.vm.vfioRegionRw(g.dev, VGA, 0x3c0, 1, false, 0n).errno).toBe(0);
    expect(g.vm.vfioRegionRw(g.dev, VGA, 0x400, 1, false, 0n).errno).toBe(ERRNO.EINVAL);
  });
});

describe('VFIO_DEVICE_RESET (vfio_pci_ioctl_reset)', () => {
  test('the function\'s registers reset; config space is restored (pci_try_reset_function saves and restores it); interrupts stay set up', () => {
    const s = setup();
    const ev = s.eventfd();
    s.cfg(0x04, 2, 0x0006);
    s.vm.vfioRegionRw(s.dev, 0, 0x10, 4, true, 0x55n);
    s.setIrqs(EVENTFD | TRIGGER, MSIX, 0, 1, [ev]);
    expect(s.vm.vfioIoctl(s.dev, { op: 'reset' }).errno).toBe(0);
    expect(s.vm.vfioRegionRw(s.dev, 0, 0x10, 4, false, 0n).value).toBe(0n);
    expect(s.cfg(0x04, 2).value).toBe(6n);
    expect(s.pci()).toMatchObject({ irqType: MSIX, resets: 1 });
  });
});

describe('the fd (vfio_device_fops)', () => {
  test('VFIO_DEVICE_* on a plain file, an eventfd or a group fd is ENOTTY; on a closed or unknown fd EBADF', () => {
    const vm = createVm('x86_64');
    for (const spec of [{ kind: 'plain' }, { kind: 'eventfd' }, { kind: 'vfio_group', group: 1 }] as const) {
      expect(vm.vfioIoctl(vm.openFile(spec).fd, { op: 'reset' }).errno).toBe(ERRNO.ENOTTY);
    }
    const d = vm.openFile({ kind: 'vfio_device', profile: 'nic' }).fd;
    vm.closeFile(d);
    expect(vm.vfioIoctl(d, { op: 'reset' }).errno).toBe(ERRNO.EBADF);
    expect(vm.vfioIoctl(999, { op: 'reset' }).errno).toBe(ERRNO.EBADF);
  });

  test('closing the device fd releases it: its interrupts are torn down (vfio_pci_core_close_device)', () => {
    const s = setup();
    s.setIrqs(EVENTFD | TRIGGER, MSIX, 0, 1, [s.eventfd()]);
    s.vm.closeFile(s.dev);
    expect(s.pci().irqType).toBe(5);
  });
});

describe('an MSI from the device to the guest (vfio_msihandler -> eventfd -> irqfd -> kvm_set_msi -> ITS -> LPI)', () => {
  /** The ITS bring-up of traces/examples/vgic-v3-its-msi up to its first delivered MSI (device 16, event 3 -> LPI 8192 on vcpu 1). */
  function itsVm(): Vm {
    const doc = JSON.parse(readFileSync(new URL('../../traces/examples/vgic-v3-its-msi/vgic-v3-its-msi.json', import.meta.url), 'utf8'));
    const upTo = doc.steps.findIndex((s: { op: string; data?: number }) => s.op === 'signal_msi' && s.data === 3);
    const sc = parseScenario(JSON.stringify({ ...doc, steps: doc.steps.slice(0, upTo) }), 'its.json');
    let final: unknown;
    recordScenario(sc, { append: () => {}, checkpoint: (_e, st) => void (final = st) }, { finalCheckpoint: true });
    const vm = createVm('arm64');
    vm.restore((final as { vms: VmState[] }).vms[0]!);
    return vm;
  }

  test('a masked path first: with bus mastering off nothing is sent; then vector 0 goes through its irqfd to LPI 8192, which vcpu 1 acknowledges', () => {
    const vm = itsVm();
    const dev = vm.openFile({ kind: 'vfio_device', profile: 'nic' }).fd;
    const ev = vm.openFile({ kind: 'eventfd' }).fd;
    expect(vm.irqfd(ev, { address: 0x8090040n, data: 3, flags: KVM_MSI_VALID_DEVID, devid: 16 }).errno).toBe(0);
    expect(vm.vfioIoctl(dev, { op: 'set_irqs', hdr: { argsz: 24, flags: EVENTFD | TRIGGER, index: MSIX, start: 0, count: 1 }, data: [ev] }).errno).toBe(0);
    expect(vm.vfioRaise(dev, MSIX, 0, 1).outcome).toBe('bus-master-off');
    vm.vfioRegionRw(dev, CONFIG, 0x04, 2, true, 0x6n);
    const r = vm.vfioRaise(dev, MSIX, 0, 1);
    expect(r).toMatchObject({ outcome: 'signalled', signal: { count: 0, msi: { address: 0x8090040n, data: 3, devid: 16, errno: 0, ret: 1 } } });
    expect(vm.sysreg(1, false, ICC_SYSREG.ICC_IAR1_EL1, 0n).value).toBe(8192n);
  });

  test('an eventfd without an irqfd keeps the count; assigning the irqfd later injects it at once (irqfd_assign polls the eventfd)', () => {
    const vm = itsVm();
    const dev = vm.openFile({ kind: 'vfio_device', profile: 'nic' }).fd;
    const ev = vm.openFile({ kind: 'eventfd' }).fd;
    vm.vfioRegionRw(dev, CONFIG, 0x04, 2, true, 0x6n);
    vm.vfioIoctl(dev, { op: 'set_irqs', hdr: { argsz: 24, flags: EVENTFD | TRIGGER, index: MSIX, start: 0, count: 1 }, data: [ev] });
    expect(vm.vfioRaise(dev, MSIX, 0, 1).signal).toEqual({ slot: ev - FILE_FD_BASE, count: 1 });
    expect(vm.sysreg(1, false, ICC_SYSREG.ICC_IAR1_EL1, 0n).value).toBe(1023n);
    const a = vm.irqfd(ev, { address: 0x8090040n, data: 3, flags: KVM_MSI_VALID_DEVID, devid: 16 });
    expect(a.signal?.msi).toMatchObject({ ret: 1 });
    expect(vm.irqfd(ev, { address: 0x8090040n, data: 3, flags: KVM_MSI_VALID_DEVID, devid: 16 }).errno).toBe(ERRNO.EBUSY);
    expect(vm.sysreg(1, false, ICC_SYSREG.ICC_IAR1_EL1, 0n).value).toBe(8192n);
  });
});

describe('the files in the session view (diff, watchpoints)', () => {
  test('each file by its fd; an eventfd with its count and irqfd; a VFIO device\'s vectors by trigger fd; a path reads one field', async () => {
    const { sessionView, resolveSessionPath } = await import('../../devices/core/vm-view.js');
    const { DEVICE_MODELS } = await import('../../devices/registry.js');
    const { parsePath } = await import('../../devices/core/view.js');
    const s = setup();
    expect(sessionView([createVm('x86_64').state], DEVICE_MODELS)['files']).toBeUndefined();
    const ev = s.eventfd();
    s.setIrqs(EVENTFD | TRIGGER, MSIX, 0, 2, [-1, ev]);
    const v = sessionView([s.vm.state], DEVICE_MODELS) as { files: { fd: number; pci?: { irq_type: string; vectors: unknown[] } }[] };
    expect(v.files.map((f) => f.fd)).toEqual([s.dev, ev]);
    expect(v.files[0]!.pci).toMatchObject({ irq_type: 'MSI-X', vectors: [{ vector: 0, trigger_fd: -1 }, { vector: 1, trigger_fd: ev }] });
    expect(resolveSessionPath([s.vm.state], DEVICE_MODELS, parsePath('files[0].pci.vectors[1].trigger_fd')!)).toBe(ev);
    expect(resolveSessionPath([s.vm.state], DEVICE_MODELS, parsePath('files[1].irqfd')!)).toBe(null);
  });
});
