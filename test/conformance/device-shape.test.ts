/**
 * The device-model shape (devices/core/device.ts): identity, `kernel`
 * behaviour and `inspect` introspection kept apart; the port-I/O facet
 * beside MMIO (KVM_PIO_BUS); migration carrying struct payloads. Toy
 * families in this file stand for the ones to come (an 8259-like port
 * device, a FLIC-like device whose state is a struct).
 */
import { afterEach, describe, expect, test } from 'vitest';
import type { DeviceModel, UserBuf } from '../../devices/core/device.js';
import { ACC8, RegTable } from '../../devices/core/regtable.js';
import { CAP, DEV_TYPE, ERRNO } from '../../devices/core/uapi.js';
import { H_CALL } from '../../devices/ppc-xics/uapi.js';
import { Vm } from '../../devices/core/vm.js';
import { createVm, DEVICE_MODELS } from '../../devices/registry.js';
import { migrateVm } from '../../replay/migrate.js';

/** Hooks that compute results, and hooks that only describe: no model may mix them up. */
const KERNEL_KEYS = ['ops', 'groups', 'unknownGroupErrno', 'create', 'release', 'vcpuPrecreate', 'vcpuCreated', 'firstRun', 'frames', 'mmio', 'mmioHandler', 'mmio64', 'ports', 'pio', 'legacySetAddr', 'irqLine', 'signalMsi', 'sysreg', 'vcpuCaps', 'connectVcpu', 'vcpuConnected', 'hcalls', 'hcall', 'irqLineStatus', 'getIrqchip', 'setIrqchip', 'getLapic', 'setLapic', 'takeInterrupt', 'oneRegs', 'oneReg'];
const INSPECT_KEYS = ['describeMmio', 'describePio', 'registerFields', 'describeSysreg', 'sysregFields', 'describeMemWrite', 'describeHcall', 'view', 'migration', 'explainIrq', 'interrupts', 'describePayload'];

describe('every registered model keeps kernel behaviour and introspection apart', () => {
  test('identity at the top; kernel hooks only under `kernel`, introspection only under `inspect`', () => {
    for (const m of DEVICE_MODELS.values()) {
      // `names`: the family's uapi names (its header's groups and attr constants), identity like typeName.
      const top = Object.keys(m).filter((k) => !['type', 'typeName', 'inodeName', 'arches', 'modelVersion', 'isIrqchip', 'stateSchema', 'names', 'kernel', 'inspect'].includes(k));
      expect({ model: m.typeName, top }).toEqual({ model: m.typeName, top: [] });
      expect({ model: m.typeName, kernel: Object.keys(m.kernel).filter((k) => !KERNEL_KEYS.includes(k)) }).toEqual({ model: m.typeName, kernel: [] });
      expect({ model: m.typeName, inspect: Object.keys(m.inspect ?? {}).filter((k) => !INSPECT_KEYS.includes(k)) }).toEqual({ model: m.typeName, inspect: [] });
    }
  });

  test('the irqchips declare their interrupts; the ITS translates MSIs into the VGIC\'s LPIs', () => {
    for (const m of DEVICE_MODELS.values()) expect({ model: m.typeName, facet: m.inspect?.interrupts !== undefined }).toEqual({ model: m.typeName, facet: true });
  });
});

// ---------------------------------------------------------------------------
/** A toy 8259-like device on ports 0x20-0x21 (arch/x86/kvm/i8259.c's picdev ports): a command and a data byte register. */
interface Pic {
  imr: number;
  cmds: number[];
}
const PIC_PORTS = new RegTable<Pic>('toy PIC ports', 2, [
  { name: 'PIC_CMD', offset: 0, size: 1, widths: ACC8, read: () => 0, write: (_vm, s, _v, _o, _l, val) => void s.cmds.push(val) },
  { name: 'PIC_DATA', offset: 1, size: 1, widths: ACC8, read: (_vm, s) => s.imr, write: (_vm, s, _v, _o, _l, val) => void (s.imr = val & 0xff) },
]);
const TOY_PIC = 0x2000;
const toyPic: DeviceModel<Pic> = {
  type: TOY_PIC,
  typeName: 'toy PIC',
  inodeName: 'toy-pic',
  arches: ['x86_64'],
  modelVersion: 1,
  kernel: {
    ops: { get: false, set: false, has: false },
    groups: [],
    create: () => ({ errno: 0, state: { imr: 0, cmds: [] } }),
    ports: () => [{ base: 0x20, size: 2, kind: 0, name: 'PIC' }],
    // A width a port register does not allow is ignored (reads 0), as picdev_read refuses len != 1.
    pio(vm, s, vcpu, _range, off, len, write, value) {
      const row = PIC_PORTS.lookup(off, len);
      if (!row) return 0;
      if (write) {
        row.write(vm, s, vcpu, off, len, value);
        return 0;
      }
      return row.read(vm, s, vcpu, off, len);
    },
  },
  inspect: { describePio: (_s, _r, off) => PIC_PORTS.nameAt(off) },
};

describe('port I/O beside MMIO (KVM_PIO_BUS, kernel_pio -> kvm_io_bus_read/write)', () => {
  const picVm = () => {
    const vm = new Vm(new Map([...DEVICE_MODELS, [TOY_PIC, toyPic]]), 'x86_64', 52);
    vm.createVcpu(0);
    expect(vm.addDevice(TOY_PIC).errno).toBe(0);
    return vm;
  };

  test("a device's ports take IN and OUT at byte registers sharing a word; the access is the vcpu's first run", () => {
    const vm = picVm();
    expect(vm.pio(0, true, 0x21, 1, 0xfbn)).toEqual({ errno: 0, exit: false, value: 0xfbn });
    expect(vm.state.vcpus[0]!.ran).toBe(true);
    expect(vm.pio(0, false, 0x21, 1, 0n)).toEqual({ errno: 0, exit: false, value: 0xfbn });
    expect(vm.pio(0, true, 0x20, 1, 0x11n).exit).toBe(false);
    expect(vm.state.devices[0]!.state).toEqual({ imr: 0xfb, cmds: [0x11] });
  });

  test('a port no device claims exits to the VMM (KVM_EXIT_IO): a read gives 0, a write keeps its value; so does an access running past the range', () => {
    const vm = picVm();
    expect(vm.pio(0, false, 0x60, 1, 0n)).toEqual({ errno: 0, exit: true, value: 0n });
    expect(vm.pio(0, true, 0x60, 1, 7n)).toEqual({ errno: 0, exit: true, value: 7n });
    expect(vm.pio(0, false, 0x21, 2, 0n).exit).toBe(true);
  });

  test('a width the device refuses is its own answer, not an exit (the 2-byte IN at 0x20 inside the range)', () => {
    expect(picVm().pio(0, false, 0x20, 2, 0n)).toEqual({ errno: 0, exit: false, value: 0n });
  });

  test('a vcpu that does not exist is EBADF; the port and its register are found for decoding', () => {
    const vm = picVm();
    expect(vm.pio(5, false, 0x21, 1, 0n).errno).toBe(ERRNO.EBADF);
    const at = vm.portAt(0x21, 1)!;
    expect({ handle: at.handle, range: at.range.name, offset: at.offset }).toEqual({ handle: 0, range: 'PIC', offset: 1 });
    expect(at.model.inspect!.describePio!(vm.state.devices[0]!.state as Pic, 0, at.offset, 1)).toBe('PIC_DATA');
    expect(vm.portAt(0x60, 1)).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------
/** A toy device whose whole state is a struct (as the FLIC's interrupt list is), saved and restored as bytes. */
interface Blob {
  bytes: Uint8Array;
}
const GRP_STATE = 1;
const toyFlic: DeviceModel<Blob> = {
  type: DEV_TYPE.KVM_DEV_TYPE_FLIC,
  typeName: 'toy FLIC',
  inodeName: 'toy-flic',
  arches: ['s390x'],
  modelVersion: 1,
  kernel: {
    ops: { get: true, set: true, has: true },
    groups: [
      {
        id: GRP_STATE,
        name: 'TOY_GRP_STATE',
        payload: 'struct',
        has: () => 0,
        get: (_vm, s) => ({ errno: 0, value: BigInt(s.bytes.length), data: s.bytes.slice() }),
        set(_vm, s, _attr, buf: UserBuf) {
          if (!buf.data) return ERRNO.EFAULT;
          s.bytes = buf.data.slice();
          return 0;
        },
        describe: () => 'state',
      },
    ],
    create: () => ({ errno: 0, state: { bytes: new Uint8Array(0) } }),
  },
  inspect: {
    migration: {
      saveList: () => [{ group: GRP_STATE, attr: 0n, name: 'state' }],
      restore: (saved) => ({ writes: saved.map((s) => ({ ...s, why: 'the whole state, as bytes' })), redrive: [] }),
      notCarried: [],
    },
  },
};

describe('migration carries struct payloads', () => {
  afterEach(() => void (DEVICE_MODELS as Map<number, DeviceModel<any>>).delete(toyFlic.type));

  test('a saved attribute whose value is a struct comes back as the same bytes in the destination (GET_DEVICE_ATTR data -> SET_DEVICE_ATTR data)', () => {
    (DEVICE_MODELS as Map<number, DeviceModel<any>>).set(toyFlic.type, toyFlic);
    const vm = createVm('s390x');
    const { handle } = vm.createDevice(toyFlic.type, 0);
    const payload = Uint8Array.from([1, 2, 3, 0xfe, 0, 9]);
    expect(vm.setAttr({ kind: 'device', handle }, GRP_STATE, 0n, { nullPtr: false, value: 0n, data: payload })).toBe(0);
    const { dest, errors } = migrateVm(vm.snapshot(), new Map());
    expect(errors).toEqual([]);
    expect((dest.devices[handle]!.state as Blob).bytes).toEqual(payload);
  });

  test('without the bytes the restore fails: the payload is what carries the state', () => {
    (DEVICE_MODELS as Map<number, DeviceModel<any>>).set(toyFlic.type, toyFlic);
    const vm = createVm('s390x');
    const { handle } = vm.createDevice(toyFlic.type, 0);
    const dest = createVm('s390x');
    const h = dest.createDevice(toyFlic.type, 0).handle;
    const r = vm.getAttr({ kind: 'device', handle }, GRP_STATE, 0n, { nullPtr: false, value: 0n });
    expect(r.data).toBeInstanceOf(Uint8Array);
    expect(dest.setAttr({ kind: 'device', handle: h }, GRP_STATE, 0n, { nullPtr: false, value: r.value! })).toBe(ERRNO.EFAULT);
  });
});

// ---------------------------------------------------------------------------
/** A toy MPIC-like family on ppc64: it claims KVM_CAP_IRQ_MPIC and serves H_XIRR for the vcpus it connected. */
interface ToyIc {
  connected: number[];
}
const TOY_IC = 0x2001;
const toyIc: DeviceModel<ToyIc> = {
  type: TOY_IC,
  typeName: 'toy irqchip',
  inodeName: 'toy-ic',
  arches: ['ppc64'],
  modelVersion: 1,
  kernel: {
    ops: { get: false, set: false, has: false },
    groups: [],
    create: () => ({ errno: 0, state: { connected: [] } }),
    vcpuCaps: [CAP.KVM_CAP_IRQ_MPIC],
    connectVcpu: (_vm, s, vcpu, _cap, args) => (args[1] === 7n ? ERRNO.EBUSY : (s.connected.push(vcpu), 0)),
    hcalls: [H_CALL.H_XIRR],
    hcall: (_vm, s, vcpu) => (s.connected.includes(vcpu) ? 0x1234n : undefined),
  },
};

describe('number-keyed hooks: KVM_ENABLE_CAP and hypercalls reach the family that claims the number', () => {
  const icVm = () => {
    const vm = new Vm(new Map([...DEVICE_MODELS, [TOY_IC, toyIc]]), 'ppc64', 52);
    vm.createVcpu(0);
    vm.createVcpu(1);
    expect(vm.addDevice(TOY_IC).handle).toBe(0);
    expect(vm.createDevice(DEV_TYPE.KVM_DEV_TYPE_XICS, 0).handle).toBe(1);
    return vm;
  };

  test('kvm_vcpu_ioctl_enable_cap (powerpc.c): the cap picks the family, args[0] the device; a device of the other family is EPERM (dev->ops compared), its own connect function answers the rest', () => {
    const vm = icVm();
    expect(vm.enableCap(0, CAP.KVM_CAP_IRQ_MPIC, [1n, 0n])).toBe(ERRNO.EPERM);
    expect(vm.enableCap(0, CAP.KVM_CAP_IRQ_XICS, [0n, 0n])).toBe(ERRNO.EPERM);
    expect(vm.enableCap(0, CAP.KVM_CAP_IRQ_MPIC, [0n, 7n])).toBe(ERRNO.EBUSY);
    expect(vm.enableCap(0, CAP.KVM_CAP_IRQ_MPIC, [0n, 0n])).toBe(0);
    expect(vm.enableCap(1, CAP.KVM_CAP_IRQ_XICS, [1n, 0n])).toBe(0);
    expect(vm.state.devices[0]!.state).toEqual({ connected: [0] });
  });

  test('a hypercall goes to the first device (creation order) that serves it for this vcpu; one no device serves exits to the VMM (ENOTTY)', () => {
    const vm = icVm();
    expect(vm.hcall(0, H_CALL.H_XIRR, [])).toEqual({ errno: ERRNO.ENOTTY, ret: 0n });
    vm.enableCap(0, CAP.KVM_CAP_IRQ_MPIC, [0n, 0n]);
    vm.enableCap(1, CAP.KVM_CAP_IRQ_XICS, [1n, 0n]);
    expect(vm.hcall(0, H_CALL.H_XIRR, [])).toEqual({ errno: 0, ret: 0x1234n });
    expect(vm.hcall(1, H_CALL.H_XIRR, [])).toEqual({ errno: 0, ret: 0n });
    expect(vm.hcall(1, 0x4, [])).toEqual({ errno: ERRNO.ENOTTY, ret: 0n });
  });
});
