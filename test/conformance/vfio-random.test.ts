/**
 * Untrusted input can reach no throw and no state the schema refuses:
 * seeded random sequences of the file, KVM-VFIO and VFIO device calls
 * (any fd, index, flag word, data), each followed by checkVmState, and
 * snapshot -> restore keeping the digest at the end; and a
 * checkpoint whose file table is inconsistent is refused by name.
 */
import { describe, expect, test } from 'vitest';
import { digestState } from '../../devices/core/state.js';
import { checkVmState } from '../../devices/core/vm-state.js';
import { DEV_TYPE } from '../../devices/core/uapi.js';
import { createVm, DEVICE_MODELS } from '../../devices/registry.js';
import { FILE_FD_BASE } from '../../devices/core/files.js';

/** A small deterministic generator (xorshift32). */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  return { int: (n: number) => next() % n, pick: <T>(a: readonly T[]) => a[next() % a.length]! };
}

describe('random call sequences keep the VM state valid', () => {
  test.each([1, 2, 3, 4, 5, 6, 7, 8])('seed %i: 400 calls, the state checks after each', (seed) => {
    const r = rng(seed * 2654435761);
    const vm = createVm(r.pick(['x86_64', 'arm64', 'ppc64', 's390x'] as const));
    const fd = () => (r.int(8) === 0 ? r.pick([-1, 0, 3, 999, 0x7fffffff]) : FILE_FD_BASE + r.int(12));
    const small = () => r.pick([0, 1, 2, 3, 4, 5, 7, 8, 9, 255, 0xffffffff]);
    for (let i = 0; i < 400; i++) {
      switch (r.int(10)) {
        case 0:
          vm.openFile(r.pick([{ kind: 'plain' }, { kind: 'eventfd' }, { kind: 'eventfd' }, { kind: 'vfio_group', group: r.int(4) }, { kind: 'vfio_device', profile: r.pick(['nic', 'gpu', 'nope']) }] as const));
          break;
        case 1:
          vm.closeFile(fd());
          break;
        case 2:
          vm.createDevice(DEV_TYPE.KVM_DEV_TYPE_VFIO, r.int(2));
          break;
        case 3:
          vm.closeDevice(r.int(3));
          break;
        case 4:
          vm.setAttr({ kind: 'device', handle: r.int(3) }, r.int(3), BigInt(r.int(5)), { nullPtr: r.int(10) === 0, value: BigInt.asUintN(32, BigInt(fd())) });
          break;
        case 5: {
          const count = r.int(5);
          vm.vfioIoctl(fd(), {
            op: 'set_irqs',
            hdr: { argsz: r.pick([0, 20, 24, 36, 1000]), flags: r.pick([0x21, 0x24, 0x22, 0x09, 0x11, 0x0c, r.int(256)]), index: r.int(6), start: r.pick([0, 1, 2, 7, 0xffffffff]), count: r.pick([count, 0xffffffff]) },
            data: Array.from({ length: r.int(6) }, () => r.pick([fd(), 0, 1, -1, -2])),
          });
          break;
        }
        case 6:
          vm.vfioIoctl(fd(), r.pick([{ op: 'reset' }, { op: 'get_region_info', index: small(), argsz: small() * 8 }, { op: 'get_irq_info', index: small(), argsz: small() * 4 }, { op: 'get_info', argsz: small() * 8 }] as const));
          break;
        case 7:
          vm.vfioRegionRw(fd(), r.int(10), r.pick([0, 4, 0x10, 0x3c, 0x72, 0xffc, 0x1000, 0x1fffe, 0xa0000, 0x3c0]), r.pick([1, 2, 4, 8]), r.int(2) === 0, BigInt(r.int(0xffff)) * 0x10001n);
          break;
        case 8:
          vm.vfioRaise(fd(), r.int(6), r.int(9), r.int(2));
          break;
        case 9:
          vm.irqfd(fd(), r.int(2) ? { address: 0x8090040n, data: r.int(8), flags: r.int(3), devid: r.int(32) } : undefined);
          break;
      }
      const bad = checkVmState(vm.snapshot(), DEVICE_MODELS);
      if (bad !== undefined) throw new Error(`seed ${seed}, call ${i}: ${bad}`);
    }
    // snapshot -> restore keeps the digest: the files, the KVM-VFIO table and the VFIO devices' state cross whole.
    const again = createVm(vm.state.arch, vm.state.ipaBits);
    again.restore(vm.snapshot());
    expect(digestState(again.snapshot())).toBe(digestState(vm.snapshot()));
  });
});

describe('checkpoints with files are checked before a model sees them (checkVmState)', () => {
  const base = () => {
    const vm = createVm('x86_64');
    vm.openFile({ kind: 'vfio_device', profile: 'nic' });
    vm.openFile({ kind: 'eventfd' });
    vm.vfioIoctl(FILE_FD_BASE, { op: 'set_irqs', hdr: { argsz: 24, flags: 0x24, index: 2, start: 0, count: 1 }, data: [FILE_FD_BASE + 1] });
    return vm.snapshot();
  };

  test('a consistent state passes', () => {
    expect(checkVmState(base(), DEVICE_MODELS)).toBeUndefined();
  });

  test('a vector naming a file that is not an eventfd, an unknown kind, a profile devrr lacks, a KVM-VFIO entry past the table: refused by path', () => {
    const a = base();
    (a.files![0] as { pci: { triggers: number[] } }).pci.triggers[0] = 0;
    expect(checkVmState(a, DEVICE_MODELS)).toMatch(/files\[0\]\.pci names file 0 as an eventfd/);
    const b = base();
    (b.files![1] as { kind: string }).kind = 'socket';
    expect(checkVmState(b, DEVICE_MODELS)).toMatch(/files\[1\]\.kind is not one of/);
    const c = base();
    (c.files![0] as { pci: { profile: string } }).pci.profile = 'fpga';
    expect(checkVmState(c, DEVICE_MODELS)).toMatch(/profile/);
    const vm = createVm('x86_64');
    vm.createDevice(DEV_TYPE.KVM_DEV_TYPE_VFIO, 0);
    const d = vm.snapshot();
    (d.devices[0]!.state as { files: number[] }).files.push(3);
    expect(checkVmState(d, DEVICE_MODELS)).toMatch(/names file 3, beyond the VM's 0 files/);
  });
});
