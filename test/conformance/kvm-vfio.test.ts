/**
 * Conformance: KVM_DEV_TYPE_VFIO, the VFIO-KVM bridge pseudo device
 * (virt/kvm/vfio.c), through the Vm, and the file table it takes fds from
 * (devices/core/files.ts). Each test names the kernel function it follows.
 * The real host's answers (test/recorder/fixtures/kvm-x86-capture/
 * device_api_probe.json, an x86-64 Linux 6.18 host) are replayed call by
 * call at the end.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { UserBuf } from '../../devices/core/device.js';
import { FILE_FD_BASE } from '../../devices/core/files.js';
import { deviceNames } from '../../devices/core/names.js';
import { ARCHES, DEV_TYPE, ERRNO, errnoByName, errnoName } from '../../devices/core/uapi.js';
import type { Vm } from '../../devices/core/vm.js';
import { createVm } from '../../devices/registry.js';
import { kvmVfio, type KvmVfioState } from '../../devices/vfio/kvm-vfio.js';

const VFIO = DEV_TYPE.KVM_DEV_TYPE_VFIO;
const FILE = 1;
const ADD = 1n;
const DEL = 2n;
const SPAPR = 3n;
const fdBuf = (fd: number): UserBuf => ({ nullPtr: false, value: BigInt.asUintN(32, BigInt(fd)) });
const NULL: UserBuf = { nullPtr: true, value: 0n };

function withVfio(arch: (typeof ARCHES)[number] = 'x86_64'): { vm: Vm; dev: { kind: 'device'; handle: number }; state: () => KvmVfioState } {
  const vm = createVm(arch);
  const r = vm.createDevice(VFIO, 0);
  expect(r.errno).toBe(0);
  return { vm, dev: { kind: 'device', handle: r.handle }, state: () => vm.state.devices[r.handle]!.state as KvmVfioState };
}

const open = (vm: Vm, spec: Parameters<Vm['openFile']>[0]): number => {
  const r = vm.openFile(spec);
  expect(r.errno).toBe(0);
  return r.fd;
};

describe('registration (kvm_vfio_ops_init from kvm_init; virt/kvm/vfio.c)', () => {
  test.each(ARCHES)('%s registers KVM_DEV_TYPE_VFIO: KVM_CREATE_DEVICE with TEST succeeds (kvm_ioctl_create_device)', (arch) => {
    expect(createVm(arch).createDevice(VFIO, 1).errno).toBe(0);
  });

  test('the anon inode is kvm-vfio (kvm_vfio_ops.name)', () => {
    expect(kvmVfio.inodeName).toBe('kvm-vfio');
  });
});

describe('one per VM (kvm_vfio_create, virt/kvm/vfio.c)', () => {
  test.each(ARCHES)('%s: a second KVM-VFIO device while the first exists is EBUSY; TEST still succeeds (it does not call ops->create)', (arch) => {
    const { vm } = withVfio(arch);
    expect(vm.createDevice(VFIO, 0).errno).toBe(ERRNO.EBUSY);
    expect(vm.createDevice(VFIO, 1).errno).toBe(0);
    // Unknown flag bits are ignored: flags 2 is a real creation, so EBUSY again (kvm_ioctl_create_device looks at bit 0 only).
    expect(vm.createDevice(VFIO, 2).errno).toBe(ERRNO.EBUSY);
  });

  test('closing the first device fd releases it (kvm_device_release -> kvm_vfio_release), so a new one may be created', () => {
    const { vm, dev } = withVfio();
    expect(vm.closeDevice(dev.handle)).toBe(0);
    expect(vm.createDevice(VFIO, 0).errno).toBe(0);
    // The closed fd is gone: every call on it is EBADF, and closing it again too.
    expect(vm.hasAttr(dev, FILE, ADD)).toBe(ERRNO.EBADF);
    expect(vm.closeDevice(dev.handle)).toBe(ERRNO.EBADF);
  });

  test('the rule is per VM: another VM gets its own (kvm->devices is per VM)', () => {
    withVfio();
    expect(withVfio().vm.createDevice(VFIO, 0).errno).toBe(ERRNO.EBUSY);
  });
});

describe('HAS_DEVICE_ATTR (kvm_vfio_has_attr)', () => {
  test('FILE ADD and DEL exist on every arch; attr.addr is not read (NULL and fd -1 are fine)', () => {
    for (const arch of ARCHES) {
      const { vm, dev } = withVfio(arch);
      expect(vm.hasAttr(dev, FILE, ADD)).toBe(0);
      expect(vm.hasAttr(dev, FILE, DEL)).toBe(0);
    }
  });

  test('SET_SPAPR_TCE exists only with CONFIG_SPAPR_TCE_IOMMU: ppc64 yes, the others ENXIO like an unknown attr', () => {
    expect(withVfio('ppc64').vm.hasAttr(withVfio('ppc64').dev, FILE, SPAPR)).toBe(0);
    for (const arch of ['x86_64', 'arm64', 's390x'] as const) {
      const { vm, dev } = withVfio(arch);
      expect(vm.hasAttr(dev, FILE, SPAPR)).toBe(ERRNO.ENXIO);
    }
  });

  test('an unknown attr of FILE, and any other group, is ENXIO', () => {
    const { vm, dev } = withVfio();
    expect(vm.hasAttr(dev, FILE, 99n)).toBe(ERRNO.ENXIO);
    expect(vm.hasAttr(dev, 0, 0n)).toBe(ERRNO.ENXIO);
    expect(vm.hasAttr(dev, 7, 1n)).toBe(ERRNO.ENXIO);
  });
});

describe('GET_DEVICE_ATTR (kvm_device_ioctl_attr: no get_attr in kvm_vfio_ops)', () => {
  test('every GET is EPERM, whatever group, attr or pointer', () => {
    const { vm, dev } = withVfio();
    for (const [g, a] of [[1, 1n], [1, 99n], [0, 0n], [7, 1n]] as const) {
      expect(vm.getAttr(dev, g, a, fdBuf(-1)).errno).toBe(ERRNO.EPERM);
      expect(vm.getAttr(dev, g, a, NULL).errno).toBe(ERRNO.EPERM);
    }
  });
});

describe('SET_DEVICE_ATTR FILE_ADD (kvm_vfio_set_file -> kvm_vfio_file_add)', () => {
  test('a NULL pointer is EFAULT before the fd is looked at (get_user)', () => {
    const { vm, dev } = withVfio();
    expect(vm.setAttr(dev, FILE, ADD, NULL)).toBe(ERRNO.EFAULT);
  });

  test('fd -1, a closed fd or a number that is no fd is EBADF (fget)', () => {
    const { vm, dev } = withVfio();
    expect(vm.setAttr(dev, FILE, ADD, fdBuf(-1))).toBe(ERRNO.EBADF);
    const g = open(vm, { kind: 'vfio_group', group: 3 });
    expect(vm.closeFile(g)).toBe(0);
    expect(vm.setAttr(dev, FILE, ADD, fdBuf(g))).toBe(ERRNO.EBADF);
    expect(vm.setAttr(dev, FILE, ADD, fdBuf(FILE_FD_BASE + 40))).toBe(ERRNO.EBADF);
  });

  test('a file that is not VFIO\'s (a plain file, an eventfd) is EINVAL (vfio_file_is_valid)', () => {
    const { vm, dev } = withVfio();
    expect(vm.setAttr(dev, FILE, ADD, fdBuf(open(vm, { kind: 'plain' })))).toBe(ERRNO.EINVAL);
    expect(vm.setAttr(dev, FILE, ADD, fdBuf(open(vm, { kind: 'eventfd' })))).toBe(ERRNO.EINVAL);
  });

  test('a VFIO group and a VFIO device file are both valid; a second ADD of the same file is EEXIST; the file learns its VM (vfio_file_set_kvm)', () => {
    const { vm, dev, state } = withVfio();
    const g = open(vm, { kind: 'vfio_group', group: 12 });
    const d = open(vm, { kind: 'vfio_device', profile: 'nic' });
    expect(vm.setAttr(dev, FILE, ADD, fdBuf(g))).toBe(0);
    expect(vm.setAttr(dev, FILE, ADD, fdBuf(d))).toBe(0);
    expect(vm.setAttr(dev, FILE, ADD, fdBuf(g))).toBe(ERRNO.EEXIST);
    expect(state().files).toEqual([g - FILE_FD_BASE, d - FILE_FD_BASE]);
    expect(vm.state.files!.map((f) => f.kind !== 'plain' && f.kind !== 'eventfd' && f.kvm)).toEqual([true, true]);
  });

  test('only the low 32 bits of the user word are the fd (an int32_t)', () => {
    const { vm, dev } = withVfio();
    const g = open(vm, { kind: 'vfio_group', group: 1 });
    expect(vm.setAttr(dev, FILE, ADD, { nullPtr: false, value: (0xabcdn << 32n) | BigInt(g) })).toBe(0);
  });

  test('a non-coherent file makes the VM register non-coherent DMA until it is deleted (kvm_vfio_update_coherency)', () => {
    const { vm, dev, state } = withVfio();
    const a = open(vm, { kind: 'vfio_group', group: 1 });
    const b = open(vm, { kind: 'vfio_group', group: 2, coherent: false });
    vm.setAttr(dev, FILE, ADD, fdBuf(a));
    expect(state().noncoherent).toBe(false);
    vm.setAttr(dev, FILE, ADD, fdBuf(b));
    expect(state().noncoherent).toBe(true);
    expect(vm.setAttr(dev, FILE, DEL, fdBuf(b))).toBe(0);
    expect(state().noncoherent).toBe(false);
  });
});

describe('SET_DEVICE_ATTR FILE_DEL (kvm_vfio_file_del)', () => {
  test('NULL is EFAULT (get_user), fd -1 EBADF (fdget)', () => {
    const { vm, dev } = withVfio();
    expect(vm.setAttr(dev, FILE, DEL, NULL)).toBe(ERRNO.EFAULT);
    expect(vm.setAttr(dev, FILE, DEL, fdBuf(-1))).toBe(ERRNO.EBADF);
  });

  test('a file not added is ENOENT, a plain file included (no vfio_file_is_valid in DEL)', () => {
    const { vm, dev } = withVfio();
    expect(vm.setAttr(dev, FILE, DEL, fdBuf(open(vm, { kind: 'plain' })))).toBe(ERRNO.ENOENT);
    expect(vm.setAttr(dev, FILE, DEL, fdBuf(open(vm, { kind: 'vfio_group', group: 5 })))).toBe(ERRNO.ENOENT);
  });

  test('an added file is deleted once: the second DEL is ENOENT, and the file forgets its VM', () => {
    const { vm, dev, state } = withVfio();
    const g = open(vm, { kind: 'vfio_group', group: 5 });
    vm.setAttr(dev, FILE, ADD, fdBuf(g));
    expect(vm.setAttr(dev, FILE, DEL, fdBuf(g))).toBe(0);
    expect(vm.setAttr(dev, FILE, DEL, fdBuf(g))).toBe(ERRNO.ENOENT);
    expect(state().files).toEqual([]);
    expect(vm.state.files![0]).toMatchObject({ kind: 'vfio_group', kvm: false });
  });

  test('KVM holds the file it listed (get_file): closing the fd keeps it listed, but DEL by that fd is EBADF; closing KVM-VFIO drops it (kvm_vfio_release)', () => {
    const { vm, dev, state } = withVfio();
    const d = open(vm, { kind: 'vfio_device', profile: 'nic' });
    const ev = open(vm, { kind: 'eventfd' });
    vm.setAttr(dev, FILE, ADD, fdBuf(d));
    // The device has MSI-X set up; closing its fd does not release it while KVM holds it.
    const hdr = { argsz: 24, flags: 4 | 32, index: 2, start: 0, count: 1 };
    expect(vm.vfioIoctl(d, { op: 'set_irqs', hdr, data: [ev] }).errno).toBe(0);
    expect(vm.closeFile(d)).toBe(0);
    expect(state().files).toEqual([d - FILE_FD_BASE]);
    const f = vm.state.files![d - FILE_FD_BASE]!;
    expect(f.kind === 'vfio_device' && f.pci.irqType).toBe(2);
    expect(vm.setAttr(dev, FILE, DEL, fdBuf(d))).toBe(ERRNO.EBADF);
    expect(vm.closeDevice(dev.handle)).toBe(0);
    // The last reference went: vfio_pci_core_close_device tore the interrupts down.
    expect(f.kind === 'vfio_device' && f.pci.irqType).toBe(5);
  });
});

describe('SET_SPAPR_TCE (kvm_vfio_file_set_spapr_tce, ppc64 only)', () => {
  const tce = (groupfd: number, tablefd: number): UserBuf => {
    const data = new Uint8Array(8);
    new DataView(data.buffer).setInt32(0, groupfd, false);
    new DataView(data.buffer).setInt32(4, tablefd, false);
    return { nullPtr: false, value: 0n, data };
  };

  test('x86_64, arm64, s390x: ENXIO, like an unknown attr (no CONFIG_SPAPR_TCE_IOMMU)', () => {
    for (const arch of ['x86_64', 'arm64', 's390x'] as const) {
      const { vm, dev } = withVfio(arch);
      expect(vm.setAttr(dev, FILE, SPAPR, tce(-1, -1))).toBe(ERRNO.ENXIO);
      expect(vm.setAttr(dev, FILE, SPAPR, NULL)).toBe(ERRNO.ENXIO);
    }
  });

  test('ppc64: EFAULT (copy_from_user), EBADF (group fd), ENOENT (not added), EIO (a device file has no IOMMU group), EBADF (table fd), EINVAL (no such TCE table)', () => {
    const { vm, dev } = withVfio('ppc64');
    const g = open(vm, { kind: 'vfio_group', group: 1 });
    const d = open(vm, { kind: 'vfio_device', profile: 'nic' });
    const table = open(vm, { kind: 'plain' });
    expect(vm.setAttr(dev, FILE, SPAPR, NULL)).toBe(ERRNO.EFAULT);
    expect(vm.setAttr(dev, FILE, SPAPR, tce(-1, table))).toBe(ERRNO.EBADF);
    expect(vm.setAttr(dev, FILE, SPAPR, tce(g, table))).toBe(ERRNO.ENOENT);
    vm.setAttr(dev, FILE, ADD, fdBuf(g));
    vm.setAttr(dev, FILE, ADD, fdBuf(d));
    expect(vm.setAttr(dev, FILE, SPAPR, tce(d, table))).toBe(ERRNO.EIO);
    expect(vm.setAttr(dev, FILE, SPAPR, tce(g, -1))).toBe(ERRNO.EBADF);
    expect(vm.setAttr(dev, FILE, SPAPR, tce(g, table))).toBe(ERRNO.EINVAL);
  });
});

describe('the file table (devices/core/files.ts)', () => {
  test('fds are FILE_FD_BASE + slot, never reused; close of a closed fd is EBADF', () => {
    const vm = createVm('x86_64');
    const a = open(vm, { kind: 'plain' });
    expect(a).toBe(FILE_FD_BASE);
    expect(vm.closeFile(a)).toBe(0);
    expect(vm.closeFile(a)).toBe(ERRNO.EBADF);
    expect(open(vm, { kind: 'plain' })).toBe(FILE_FD_BASE + 1);
  });

  test('a VFIO group is opened once at a time: a second open is EBUSY until the first is closed (vfio_group_fops_open)', () => {
    const vm = createVm('x86_64');
    const g = open(vm, { kind: 'vfio_group', group: 7 });
    expect(vm.openFile({ kind: 'vfio_group', group: 7 }).errno).toBe(ERRNO.EBUSY);
    vm.closeFile(g);
    expect(vm.openFile({ kind: 'vfio_group', group: 7 }).errno).toBe(0);
  });

  test('the table is bounded: past MAX_FILES an open is EMFILE', () => {
    const vm = createVm('x86_64');
    for (let i = 0; i < 64; i++) open(vm, { kind: 'plain' });
    expect(vm.openFile({ kind: 'plain' }).errno).toBe(ERRNO.EMFILE);
  });

  test('a VM without files digests as before files existed; one with files snapshots and restores them', () => {
    const vm = createVm('x86_64');
    const before = vm.digest();
    expect(vm.state.files).toBeUndefined();
    open(vm, { kind: 'vfio_device', profile: 'gpu' });
    const snap = vm.snapshot();
    expect(vm.digest()).not.toBe(before);
    const other = createVm('x86_64');
    other.restore(snap);
    expect(other.digest()).toBe(vm.digest());
  });
});

describe('names (docs/architecture.md, Names: per device)', () => {
  test('group 1 is KVM_DEV_VFIO_FILE, and its older name KVM_DEV_VFIO_GROUP resolves to it', () => {
    const n = deviceNames(kvmVfio);
    expect(n.byId.get(1)?.name).toBe('KVM_DEV_VFIO_FILE');
    expect(n.groups.get('KVM_DEV_VFIO_GROUP')?.id).toBe(1);
    expect(n.groups.get('KVM_DEV_VFIO_FILE')?.attrNames?.().get('KVM_DEV_VFIO_FILE_DEL')).toBe(2);
    expect(n.anyGroupAttrs.get('KVM_DEV_VFIO_GROUP_ADD')).toBe(1);
    expect(kvmVfio.kernel.groups[0]!.describe(3n)).toBe('KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE');
  });
});

// ---------------------------------------------------------------------------
interface ProbeCall {
  readonly call: string;
  readonly args: Record<string, unknown> & { fd_kind: string };
  readonly ret: number;
  readonly errno_name: string | null;
}

const PROBE: ProbeCall[] = JSON.parse(readFileSync(new URL('../recorder/fixtures/kvm-x86-capture/device_api_probe.json', import.meta.url), 'utf8'));

/**
 * The calls no VM answers: the /dev/kvm fd's own (kvm_dev_ioctl: capability
 * checks, VM creation, and device ioctls issued there by mistake). Every
 * other call of the probe is answered by the model.
 */
const SYSTEM_FD_CALLS = (c: ProbeCall) => c.args.fd_kind === '/dev/kvm' || c.call === 'KVM_CHECK_EXTENSION';

describe('the real host\'s answers (device_api_probe.json, x86-64 Linux 6.18)', () => {
  test('every call on a VM or device fd gets the errno the host gave', () => {
    const vms = new Map<string, { vm: Vm; devNull: number; handles: Map<number, number> }>();
    let current: { vm: Vm; devNull: number; handles: Map<number, number> } | undefined;
    const vmFor = (name: unknown) => {
      const key = typeof name === 'string' ? name : '';
      let v = vms.get(key);
      if (!v) {
        const vm = createVm('x86_64');
        // The probe passed fd 6, /dev/null: a plain file of the model's table.
        v = { vm, devNull: open(vm, { kind: 'plain' }), handles: new Map() };
        vms.set(key, v);
      }
      return v;
    };
    const answered: string[] = [];
    const mismatches: string[] = [];
    let replayed = 0;
    for (const [i, c] of PROBE.entries()) {
      if (SYSTEM_FD_CALLS(c)) continue;
      const want = c.errno_name ? errnoByName(c.errno_name)! : 0;
      let got: number;
      const a = c.args;
      if (c.call === 'KVM_CREATE_DEVICE') {
        current = vmFor(a.vm);
        const r = current.vm.createDevice(a.type as number, a.flags as number);
        got = r.errno;
        const out = (a.out_struct_after_call as { fd: number }).fd;
        if (r.errno === 0 && r.handle >= 0) current.handles.set(out, r.handle);
      } else {
        const v = current!;
        const userFd = (): UserBuf => {
          if (a.addr_kind === 'NULL') return NULL;
          const n = a.int_value as number;
          return fdBuf(n === 6 ? v.devNull : n);
        };
        const target = a.fd_kind === 'vm' ? ({ kind: 'vm' } as const) : ({ kind: 'device', handle: v.handles.get(a.fd as number)! } as const);
        const group = (a.group as number | undefined) ?? 0;
        const attr = BigInt((a.attr as number | undefined) ?? 0);
        if (c.call === 'KVM_HAS_DEVICE_ATTR') got = v.vm.hasAttr(target, group, attr);
        else if (c.call === 'KVM_SET_DEVICE_ATTR') got = v.vm.setAttr(target, group, attr, userFd());
        else if (c.call === 'KVM_GET_DEVICE_ATTR') got = v.vm.getAttr(target, group, attr, userFd()).errno;
        else if (c.call === 'close') got = v.vm.closeDevice(v.handles.get(a.fd as number)!);
        else if (c.call === 'KVM_RUN') got = v.vm.deviceOtherIoctl(v.handles.get(a.fd as number)!);
        else throw new Error(`probe call ${i} ${c.call}: not replayed`);
      }
      replayed++;
      answered.push(c.call);
      if (got !== want) mismatches.push(`call ${i} ${c.call} ${JSON.stringify(a).slice(0, 160)}: host ${errnoName(want)}, model ${errnoName(got)}`);
    }
    expect(mismatches).toEqual([]);
    // Everything but the /dev/kvm fd's own calls was replayed: 7 of 99 are those.
    expect(replayed).toBe(PROBE.length - PROBE.filter(SYSTEM_FD_CALLS).length);
    expect(PROBE.filter(SYSTEM_FD_CALLS).length).toBe(7);
    expect(new Set(answered)).toEqual(new Set(['KVM_CREATE_DEVICE', 'KVM_HAS_DEVICE_ATTR', 'KVM_SET_DEVICE_ATTR', 'KVM_GET_DEVICE_ATTR', 'KVM_RUN', 'close']));
  });

  test('the host accepted exactly FILE_ADD and FILE_DEL in HAS_DEVICE_ATTR, as the model does on x86_64', () => {
    const accepted = PROBE.filter((c) => c.call === 'KVM_HAS_DEVICE_ATTR' && c.args.fd_kind === 'vfio_device' && c.ret === 0).map((c) => `${c.args.group}/${c.args.attr}`);
    expect(new Set(accepted)).toEqual(new Set(['1/1', '1/2']));
    const { vm, dev } = withVfio();
    const modelAccepts = [0, 1, 7].flatMap((g) => [0n, 1n, 2n, 3n, 99n].filter((a) => vm.hasAttr(dev, g, a) === 0).map((a) => `${g}/${a}`));
    expect(modelAccepts).toEqual(['1/1', '1/2']);
  });
});

describe('migration (replay/migrate.ts)', () => {
  test('KVM-VFIO saves nothing (no get_attr); the VMM\'s files cross at the same fds, not yet handed to KVM; a device still listing them is recreated', async () => {
    const { migrateVm } = await import('../../replay/migrate.js');
    const { vm, dev } = withVfio('arm64');
    const g = open(vm, { kind: 'vfio_group', group: 4 });
    vm.setAttr(dev, FILE, ADD, fdBuf(g));
    const { dest, errors } = migrateVm(vm.snapshot(), new Map());
    expect(errors).toEqual([]);
    expect(dest.devices.map((d) => d.type)).toEqual([VFIO]);
    expect(dest.files).toEqual([{ kind: 'vfio_group', open: true, group: 4, coherent: true, kvm: false }]);
    expect((dest.devices[0]!.state as KvmVfioState).files).toEqual([]);
  });
});
