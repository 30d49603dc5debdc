/**
 * Conformance: the s390 FLIC (KVM_DEV_TYPE_FLIC, kvm_flic_ops in
 * arch/s390/kvm/interrupt.c), one test per rule, named after the kernel
 * function it follows. Struct payloads are built here byte by byte in
 * s390's big-endian layout, as a VMM on s390 lays them out.
 */
import { describe, expect, test } from 'vitest';
import type { UserBuf } from '../../devices/core/device.js';
import { DEV_TYPE, ERRNO } from '../../devices/core/uapi.js';
import type { Vm } from '../../devices/core/vm.js';
import { createVm } from '../../devices/registry.js';
import { S390_VM_CPU, S390_VM_GRP } from '../../devices/arch/s390x/names.js';
import { FAC_LIST_BYTES } from '../../devices/arch/s390x/host.js';
import type { FlicState } from '../../devices/s390-flic/state.js';
import { saveBufferLength } from '../../devices/s390-flic/migration.js';
import { FLIC_GRP as G, IRQ_SIZE, KVM_S390_FLIC_MAX_BUFFER, KVM_S390_MAX_FLOAT_IRQS, KVM_S390_MAX_PFAULT_IRQS, S390_INT, s390IoType } from '../../devices/s390-flic/uapi.js';

const FLIC = DEV_TYPE.KVM_DEV_TYPE_FLIC;

function setup(): { vm: Vm; dev: { kind: 'device'; handle: number }; st: () => FlicState } {
  const vm = createVm('s390x');
  const r = vm.createDevice(FLIC, 0);
  expect(r.errno).toBe(0);
  return { vm, dev: { kind: 'device', handle: r.handle }, st: () => vm.state.devices[r.handle]!.state as FlicState };
}

const data = (d: Uint8Array): UserBuf => ({ nullPtr: false, value: 0n, data: d });
const value = (v: bigint): UserBuf => ({ nullPtr: false, value: v });
const NULL: UserBuf = { nullPtr: true, value: 0n };
const NONE: UserBuf = { nullPtr: false, value: 0n };

/** struct kvm_s390_irq for an I/O interrupt. */
function ioRec(o: { ai?: number; schid?: number; ssid?: number; cssid?: number; parm?: number; word: number }): Uint8Array {
  const b = new Uint8Array(IRQ_SIZE);
  const d = new DataView(b.buffer);
  d.setBigUint64(0, BigInt(s390IoType(o.ai ?? 0, o.cssid ?? 0, o.ssid ?? 0, o.schid ?? 1)), false);
  d.setUint16(8, ((o.cssid ?? 0) << 8) | ((o.ssid ?? 0) << 1) | 1, false);
  d.setUint16(10, o.schid ?? 1, false);
  d.setUint32(12, o.parm ?? 0, false);
  d.setUint32(16, o.word, false);
  return b;
}

/** struct kvm_s390_irq with the ext union (service, virtio, pfault). */
function extRec(type: number | bigint, params: number, params2 = 0n): Uint8Array {
  const b = new Uint8Array(IRQ_SIZE);
  const d = new DataView(b.buffer);
  d.setBigUint64(0, BigInt(type), false);
  d.setUint32(8, params, false);
  d.setBigUint64(16, params2, false);
  return b;
}

function mchkRec(cr14: bigint, mcic: bigint): Uint8Array {
  const b = new Uint8Array(IRQ_SIZE);
  const d = new DataView(b.buffer);
  d.setBigUint64(0, BigInt(S390_INT.KVM_S390_MCHK), false);
  d.setBigUint64(8, cr14, false);
  d.setBigUint64(16, mcic, false);
  return b;
}

const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
};

const ISC = (isc: number) => (isc << 27) >>> 0;

function enqueue(vm: Vm, dev: { kind: 'device'; handle: number }, ...recs: Uint8Array[]) {
  const d = cat(...recs);
  return vm.setAttr(dev, G.KVM_DEV_FLIC_ENQUEUE, BigInt(d.length), data(d));
}

function getAll(vm: Vm, dev: { kind: 'device'; handle: number }, len = 4096) {
  return vm.getAttr(dev, G.KVM_DEV_FLIC_GET_ALL_IRQS, BigInt(len), NONE);
}

const adapter = (id: number, isc: number, maskable = 1, swap = 0, flags = 0) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setUint32(0, id, false);
  b.set([isc, maskable, swap, flags], 4);
  return b;
};
const adapterReq = (id: number, type: number, mask: number) => {
  const b = new Uint8Array(16);
  new DataView(b.buffer).setUint32(0, id, false);
  b[4] = type;
  b[5] = mask;
  return b;
};
const aisReq = (isc: number, mode: number) => Uint8Array.of(isc, 0, mode >> 8, mode & 0xff);

describe('creating the FLIC (flic_create, kvm_flic_ops)', () => {
  test('one per VM: a second KVM_CREATE_DEVICE of a FLIC is EINVAL (flic_create: kvm->arch.flic, arch/s390/kvm/interrupt.c)', () => {
    const { vm } = setup();
    expect(vm.createDevice(FLIC, 0).errno).toBe(ERRNO.EINVAL);
  });

  test('only s390x has it: another arch answers ENODEV (kvm_flic_ops is registered by kvm-s390.c)', () => {
    for (const a of ['arm64', 'x86_64', 'ppc64'] as const) expect(createVm(a).createDevice(FLIC, 0).errno).toBe(ERRNO.ENODEV);
  });
});

describe('groups and the unknown group (flic_set_attr, flic_get_attr, flic_has_attr)', () => {
  test('HAS answers 0 for groups 1-11 and ENXIO for any other (flic_has_attr, arch/s390/kvm/interrupt.c)', () => {
    const { vm, dev } = setup();
    for (let g = 1; g <= 11; g++) expect(vm.hasAttr(dev, g, 0n)).toBe(0);
    for (const g of [0, 12, 99]) expect(vm.hasAttr(dev, g, 0n)).toBe(ERRNO.ENXIO);
  });

  test('an unknown group is EINVAL from SET and GET, not ENXIO (flic_set_attr / flic_get_attr default, arch/s390/kvm/interrupt.c)', () => {
    const { vm, dev } = setup();
    expect(vm.setAttr(dev, 12, 0n, NONE)).toBe(ERRNO.EINVAL);
    expect(vm.getAttr(dev, 12, 0n, NONE).errno).toBe(ERRNO.EINVAL);
    expect(vm.setAttr(dev, 0, 0n, NONE)).toBe(ERRNO.EINVAL);
  });

  test('GET serves only GET_ALL_IRQS and AISM_ALL: ENQUEUE and the others are EINVAL there; SET of GET_ALL_IRQS is EINVAL (flic_get_attr, flic_set_attr switches)', () => {
    const { vm, dev } = setup();
    for (const g of [2, 3, 4, 5, 6, 7, 8, 9, 10]) expect(vm.getAttr(dev, g, 72n, NONE).errno).toBe(ERRNO.EINVAL);
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_GET_ALL_IRQS, 4096n, NONE)).toBe(ERRNO.EINVAL);
  });
});

describe('ENQUEUE (enqueue_floating_irq, copy_irq_from_user, __inject_vm)', () => {
  test('the length must be a multiple of sizeof(struct kvm_s390_irq) = 72 and at most KVM_S390_FLIC_MAX_BUFFER: EINVAL (enqueue_floating_irq)', () => {
    const { vm, dev } = setup();
    const rec = ioRec({ word: ISC(3) });
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_ENQUEUE, 71n, data(rec))).toBe(ERRNO.EINVAL);
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_ENQUEUE, BigInt(KVM_S390_FLIC_MAX_BUFFER + 72 - (KVM_S390_FLIC_MAX_BUFFER % 72)), data(rec))).toBe(ERRNO.EINVAL);
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_ENQUEUE, 0n, NONE)).toBe(0);
  });

  test('`int len = attr->attr`: only the low 32 bits count, so 2^32 + 72 enqueues one record (enqueue_floating_irq)', () => {
    const { vm, dev, st } = setup();
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_ENQUEUE, (1n << 32n) + 72n, data(ioRec({ word: ISC(2) })))).toBe(0);
    expect(st().io[2]!.length).toBe(1);
  });

  test('a record the buffer does not hold faults: a NULL pointer or short data is EFAULT (copy_irq_from_user)', () => {
    const { vm, dev } = setup();
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_ENQUEUE, 72n, NULL)).toBe(ERRNO.EFAULT);
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_ENQUEUE, 144n, data(ioRec({ word: ISC(1) })))).toBe(ERRNO.EFAULT);
  });

  test('I/O records queue per ISC (the word\'s bits 29-27), oldest first; GET_ALL_IRQS lists ISC 0 first (__inject_io, get_all_floating_irqs)', () => {
    const { vm, dev, st } = setup();
    const a = ioRec({ schid: 1, word: ISC(5), parm: 0xa });
    const b = ioRec({ schid: 2, word: ISC(1), parm: 0xb });
    const c = ioRec({ schid: 3, word: ISC(5), parm: 0xc });
    expect(enqueue(vm, dev, a, b, c)).toBe(0);
    expect(st().io[5]!.map((x) => x.ioIntParm)).toEqual([0xa, 0xc]);
    expect(st().io[1]!.map((x) => x.ioIntParm)).toEqual([0xb]);
    const r = getAll(vm, dev);
    expect(r.errno).toBe(0);
    expect(Buffer.from(r.data!).equals(Buffer.from(cat(b, a, c)))).toBe(true);
  });

  test('PFAULT_INIT is not floating: EINVAL; records before a bad one stay queued (__inject_vm default, enqueue_floating_irq returns at the first error)', () => {
    const { vm, dev, st } = setup();
    expect(enqueue(vm, dev, ioRec({ word: ISC(0) }), extRec(S390_INT.KVM_S390_INT_PFAULT_INIT, 0, 0x1000n), ioRec({ word: ISC(0) }))).toBe(ERRNO.EINVAL);
    expect(st().io[0]!.length).toBe(1);
  });

  test('vcpu-only types (PROGRAM_INT, SIGP_STOP, EMERGENCY, ...) and a type with bits above 32 are EINVAL (copy_irq_from_user default)', () => {
    const { vm, dev } = setup();
    for (const t of [S390_INT.KVM_S390_PROGRAM_INT, S390_INT.KVM_S390_SIGP_STOP, S390_INT.KVM_S390_INT_EMERGENCY, S390_INT.KVM_S390_INT_CLOCK_COMP, S390_INT.KVM_S390_RESTART])
      expect(enqueue(vm, dev, extRec(t, 0))).toBe(ERRNO.EINVAL);
    expect(enqueue(vm, dev, extRec(1n << 32n, 0))).toBe(ERRNO.EINVAL);
    // KVM_S390_INT_IO_MAX (0xfffdffff) is the last I/O type; 0xfffe0006 is nothing.
    expect(enqueue(vm, dev, extRec(0xfffe0006n, 0))).toBe(ERRNO.EINVAL);
    const last = ioRec({ word: ISC(0) });
    new DataView(last.buffer).setBigUint64(0, 0xfffdffffn, false);
    expect(enqueue(vm, dev, last)).toBe(0);
  });

  test('the I/O queue holds KVM_S390_MAX_FLOAT_IRQS = 266250 records over all ISCs: the next is EBUSY (__inject_io, FIRQ_CNTR_IO)', () => {
    const { vm, dev, st } = setup();
    const one = ioRec({ word: ISC(6) });
    // One ENQUEUE of up to KVM_S390_FLIC_MAX_BUFFER / 72 records at a time, as a VMM would.
    const per = Math.floor(KVM_S390_FLIC_MAX_BUFFER / IRQ_SIZE);
    let left = KVM_S390_MAX_FLOAT_IRQS;
    while (left > 0) {
      const n = Math.min(per, left);
      const buf = new Uint8Array(n * IRQ_SIZE);
      for (let i = 0; i < n; i++) buf.set(one, i * IRQ_SIZE);
      expect(vm.setAttr(dev, G.KVM_DEV_FLIC_ENQUEUE, BigInt(buf.length), data(buf))).toBe(0);
      left -= n;
    }
    expect(enqueue(vm, dev, ioRec({ word: ISC(0) }))).toBe(ERRNO.EBUSY);
    expect(st().io[0]!.length).toBe(0);
    // Other queues have their own limits.
    expect(enqueue(vm, dev, extRec(S390_INT.KVM_S390_INT_VIRTIO, 1))).toBe(0);
  });

  test('the pfault-done queue holds ASYNC_PF_PER_VCPU * KVM_MAX_VCPUS = 16320: the next is EBUSY (__inject_pfault_done)', () => {
    const { vm, dev, st } = setup();
    const recs = Array.from({ length: KVM_S390_MAX_PFAULT_IRQS }, (_, i) => extRec(S390_INT.KVM_S390_INT_PFAULT_DONE, 0, BigInt(i)));
    expect(enqueue(vm, dev, ...recs)).toBe(0);
    expect(enqueue(vm, dev, extRec(S390_INT.KVM_S390_INT_PFAULT_DONE, 0, 1n))).toBe(ERRNO.EBUSY);
    expect(st().pfault.length).toBe(KVM_S390_MAX_PFAULT_IRQS);
  });

  test('service signals merge into one record: event bits accumulate, a second SCCB while one is pending is dropped (__inject_service)', () => {
    const { vm, dev, st } = setup();
    expect(enqueue(vm, dev, extRec(S390_INT.KVM_S390_INT_SERVICE, 0x1000), extRec(S390_INT.KVM_S390_INT_SERVICE, 0x2001), extRec(S390_INT.KVM_S390_INT_SERVICE, 0x6))).toBe(0);
    expect(st().service).toBe(0x1003);
    const r = getAll(vm, dev);
    expect(r.data!.length).toBe(72);
  });

  test('a floating machine check keeps only cr14\'s pending-subclass bit and ORs mcic (__inject_float_mchk)', () => {
    const { vm, dev, st } = setup();
    expect(enqueue(vm, dev, mchkRec(0xffffffffn, 0x100n), mchkRec(0n, 0x2n))).toBe(0);
    expect(st().mchk).toEqual({ pending: true, cr14: 1n << 28n, mcic: 0x102n });
  });
});

describe('GET_ALL_IRQS (get_all_floating_irqs)', () => {
  test('a length of 0 or above KVM_S390_FLIC_MAX_BUFFER is EINVAL (get_all_floating_irqs)', () => {
    const { vm, dev } = setup();
    expect(getAll(vm, dev, 0).errno).toBe(ERRNO.EINVAL);
    expect(getAll(vm, dev, KVM_S390_FLIC_MAX_BUFFER + 1).errno).toBe(ERRNO.EINVAL);
    expect(getAll(vm, dev, KVM_S390_FLIC_MAX_BUFFER).errno).toBe(0);
  });

  test('with nothing pending any length in range succeeds and copies nothing, even into NULL (get_all_floating_irqs: copy_to_user only when n > 0)', () => {
    const { vm, dev } = setup();
    expect(getAll(vm, dev, 1)).toEqual({ errno: 0 });
    expect(vm.getAttr(dev, G.KVM_DEV_FLIC_GET_ALL_IRQS, 72n, NULL)).toEqual({ errno: 0 });
  });

  test('a buffer too small for the pending records is ENOMEM ("retry with a bigger one"), and a record is 72 bytes: 143 holds one (get_all_floating_irqs)', () => {
    const { vm, dev } = setup();
    expect(enqueue(vm, dev, ioRec({ word: ISC(1) }), ioRec({ word: ISC(2) }))).toBe(0);
    expect(getAll(vm, dev, 143).errno).toBe(ERRNO.ENOMEM);
    expect(getAll(vm, dev, 144).data!.length).toBe(144);
    expect(vm.getAttr(dev, G.KVM_DEV_FLIC_GET_ALL_IRQS, 144n, NULL).errno).toBe(ERRNO.EFAULT);
  });

  test('order: ISC 0-7, pfault, virtio, then service, then machine check; reading leaves them queued (get_all_floating_irqs)', () => {
    const { vm, dev, st } = setup();
    const m = mchkRec(1n << 28n, 5n);
    const s = extRec(S390_INT.KVM_S390_INT_SERVICE, 0x8000);
    const v = extRec(S390_INT.KVM_S390_INT_VIRTIO, 0x11, 0x22n);
    const p = extRec(S390_INT.KVM_S390_INT_PFAULT_DONE, 0, 0x33n);
    const io = ioRec({ word: ISC(7) });
    expect(enqueue(vm, dev, m, s, v, p, io)).toBe(0);
    const r = getAll(vm, dev);
    expect(Buffer.from(r.data!).equals(Buffer.from(cat(io, p, v, s, m)))).toBe(true);
    expect(getAll(vm, dev).data).toEqual(r.data);
    expect(st().io[7]!.length).toBe(1);
  });

  test('GET_ALL_IRQS -> ENQUEUE into a fresh FLIC reproduces the same records (the save/restore pair of s390_flic.rst)', () => {
    const a = setup();
    expect(enqueue(a.vm, a.dev, ioRec({ word: ISC(4), schid: 9, parm: 0x77 }), ioRec({ word: ISC(4), schid: 8 }), extRec(S390_INT.KVM_S390_INT_SERVICE, 0x10003), mchkRec(1n << 28n, 1n << 62n))).toBe(0);
    const saved = getAll(a.vm, a.dev).data!;
    const b = setup();
    expect(b.vm.setAttr(b.dev, G.KVM_DEV_FLIC_ENQUEUE, BigInt(saved.length), data(saved))).toBe(0);
    expect(getAll(b.vm, b.dev).data).toEqual(saved);
    expect(b.st()).toEqual(a.st());
  });
});

describe('CLEAR_IRQS, APF_ENABLE, APF_DISABLE_WAIT (flic_set_attr)', () => {
  test('CLEAR_IRQS empties every queue, the service signal and the machine check, but keeps adapters and AIS modes (kvm_s390_clear_float_irqs)', () => {
    const { vm, dev, st } = setup();
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_ADAPTER_REGISTER, 0n, data(adapter(3, 2)))).toBe(0);
    expect(enqueue(vm, dev, ioRec({ word: ISC(1) }), extRec(S390_INT.KVM_S390_INT_SERVICE, 0x1000), mchkRec(0n, 1n), extRec(S390_INT.KVM_S390_INT_VIRTIO, 1))).toBe(0);
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_CLEAR_IRQS, 0n, NONE)).toBe(0);
    expect(getAll(vm, dev)).toEqual({ errno: 0 });
    expect(st().adapters.length).toBe(1);
  });

  test('APF_ENABLE sets gmap->pfault_enabled, APF_DISABLE_WAIT clears it; neither checks anything (flic_set_attr)', () => {
    const { vm, dev, st } = setup();
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_APF_ENABLE, 0n, NULL)).toBe(0);
    expect(st().pfaultEnabled).toBe(true);
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_APF_DISABLE_WAIT, 5n, NULL)).toBe(0);
    expect(st().pfaultEnabled).toBe(false);
  });
});

describe('adapters (register_io_adapter, modify_io_adapter, kvm_s390_mask_adapter)', () => {
  test('REGISTER: EFAULT, EINVAL for id >= MAX_S390_IO_ADAPTERS (64) or an id already registered (register_io_adapter)', () => {
    const { vm, dev, st } = setup();
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_ADAPTER_REGISTER, 0n, NULL)).toBe(ERRNO.EFAULT);
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_ADAPTER_REGISTER, 0n, data(adapter(1, 3).subarray(0, 7)))).toBe(ERRNO.EFAULT);
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_ADAPTER_REGISTER, 0n, data(adapter(64, 3)))).toBe(ERRNO.EINVAL);
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_ADAPTER_REGISTER, 0n, data(adapter(63, 3, 1, 1, 1)))).toBe(0);
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_ADAPTER_REGISTER, 0n, data(adapter(63, 4)))).toBe(ERRNO.EINVAL);
    expect(st().adapters).toEqual([{ id: 63, isc: 3, maskable: true, masked: false, swap: true, suppressible: true }]);
  });

  test('MODIFY: EINVAL for an unknown adapter or type; MASK needs a maskable adapter; MAP and UNMAP are no-ops (modify_io_adapter)', () => {
    const { vm, dev, st } = setup();
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_ADAPTER_MODIFY, 0n, NULL)).toBe(ERRNO.EFAULT);
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_ADAPTER_MODIFY, 0n, data(adapterReq(5, 1, 1)))).toBe(ERRNO.EINVAL);
    vm.setAttr(dev, G.KVM_DEV_FLIC_ADAPTER_REGISTER, 0n, data(adapter(5, 1, 1)));
    vm.setAttr(dev, G.KVM_DEV_FLIC_ADAPTER_REGISTER, 0n, data(adapter(6, 1, 0)));
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_ADAPTER_MODIFY, 0n, data(adapterReq(5, 1, 1)))).toBe(0);
    expect(st().adapters[0]!.masked).toBe(true);
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_ADAPTER_MODIFY, 0n, data(adapterReq(6, 1, 1)))).toBe(ERRNO.EINVAL);
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_ADAPTER_MODIFY, 0n, data(adapterReq(6, 2, 0)))).toBe(0);
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_ADAPTER_MODIFY, 0n, data(adapterReq(6, 3, 0)))).toBe(0);
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_ADAPTER_MODIFY, 0n, data(adapterReq(6, 4, 0)))).toBe(ERRNO.EINVAL);
  });
});

describe('CLEAR_IO_IRQ (clear_io_irq, kvm_s390_get_io_int)', () => {
  test('attr must be 4 (sizeof u32), then EFAULT, then EINVAL for subchannel id 0 (clear_io_irq)', () => {
    const { vm, dev } = setup();
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_CLEAR_IO_IRQ, 8n, value(0x10001n))).toBe(ERRNO.EINVAL);
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_CLEAR_IO_IRQ, 4n, NULL)).toBe(ERRNO.EFAULT);
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_CLEAR_IO_IRQ, 4n, value(0n))).toBe(ERRNO.EINVAL);
  });

  test('removes the first pending I/O interrupt of that subchannel, lowest ISC first; no match is still 0 (get_top_io_int, get_io_int)', () => {
    const { vm, dev, st } = setup();
    expect(enqueue(vm, dev, ioRec({ schid: 7, word: ISC(4), parm: 1 }), ioRec({ schid: 7, word: ISC(2), parm: 2 }), ioRec({ schid: 8, word: ISC(2), parm: 3 }))).toBe(0);
    // subchannel_id 0x0001 (cssid 0, ssid 0, the "one" bit), nr 7.
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_CLEAR_IO_IRQ, 4n, value(0x00010007n))).toBe(0);
    expect(st().io[2]!.map((x) => x.ioIntParm)).toEqual([3]);
    expect(st().io[4]!.map((x) => x.ioIntParm)).toEqual([1]);
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_CLEAR_IO_IRQ, 4n, value(0x00010099n))).toBe(0);
  });
});

/** Clears facility 72 (AIS) from the guest's CPU model, before any vcpu. */
function withoutAis(vm: Vm) {
  const proc = vm.getAttr({ kind: 'vm' }, S390_VM_GRP.KVM_S390_VM_CPU_MODEL, BigInt(S390_VM_CPU.KVM_S390_VM_CPU_PROCESSOR), NONE).data!.slice();
  proc[16 + (72 >> 3)]! &= ~(0x80 >> (72 & 7));
  expect(proc.length).toBe(16 + FAC_LIST_BYTES);
  expect(vm.setAttr({ kind: 'vm' }, S390_VM_GRP.KVM_S390_VM_CPU_MODEL, BigInt(S390_VM_CPU.KVM_S390_VM_CPU_PROCESSOR), data(proc))).toBe(0);
}

describe('AIS (modify_ais_mode, flic_ais_mode_get_all, flic_ais_mode_set_all, kvm_s390_inject_airq)', () => {
  test('AISM: EOPNOTSUPP without facility 72 in the guest\'s CPU model, then EFAULT, EINVAL for isc > 7 or an unknown mode (modify_ais_mode)', () => {
    const { vm, dev, st } = setup();
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_AISM, 0n, NULL)).toBe(ERRNO.EFAULT);
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_AISM, 0n, data(aisReq(8, 1)))).toBe(ERRNO.EINVAL);
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_AISM, 0n, data(aisReq(2, 2)))).toBe(ERRNO.EINVAL);
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_AISM, 0n, data(aisReq(2, 1)))).toBe(0);
    expect([st().simm, st().nimm]).toEqual([0x20, 0]);
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_AISM, 0n, data(aisReq(2, 0)))).toBe(0);
    expect([st().simm, st().nimm]).toEqual([0, 0]);
    withoutAis(vm);
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_AISM, 0n, data(aisReq(2, 1)))).toBe(ERRNO.EOPNOTSUPP);
  });

  test('AISM_ALL GET: EINVAL for attr < 2 before the facility check, then EOPNOTSUPP; SET ignores attr (flic_ais_mode_get_all, flic_ais_mode_set_all)', () => {
    const { vm, dev } = setup();
    expect(vm.getAttr(dev, G.KVM_DEV_FLIC_AISM_ALL, 1n, NONE).errno).toBe(ERRNO.EINVAL);
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_AISM_ALL, 0n, data(Uint8Array.of(0x81, 0x01)))).toBe(0);
    expect(vm.getAttr(dev, G.KVM_DEV_FLIC_AISM_ALL, 2n, NONE).data).toEqual(Uint8Array.of(0x81, 0x01));
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_AISM_ALL, 2n, data(Uint8Array.of(1)))).toBe(ERRNO.EFAULT);
    withoutAis(vm);
    expect(vm.getAttr(dev, G.KVM_DEV_FLIC_AISM_ALL, 1n, NONE).errno).toBe(ERRNO.EINVAL);
    expect(vm.getAttr(dev, G.KVM_DEV_FLIC_AISM_ALL, 2n, NONE).errno).toBe(ERRNO.EOPNOTSUPP);
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_AISM_ALL, 2n, data(Uint8Array.of(0, 0)))).toBe(ERRNO.EOPNOTSUPP);
  });

  test('AIRQ_INJECT: EINVAL for an unknown adapter; queues KVM_S390_INT_IO(1,0,0,0) with isc_to_int_word (flic_inject_airq, kvm_s390_inject_airq)', () => {
    const { vm, dev, st } = setup();
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_AIRQ_INJECT, 3n, NONE)).toBe(ERRNO.EINVAL);
    vm.setAttr(dev, G.KVM_DEV_FLIC_ADAPTER_REGISTER, 0n, data(adapter(3, 5)));
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_AIRQ_INJECT, 3n, NONE)).toBe(0);
    // `unsigned int id = attr->attr`: the low 32 bits.
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_AIRQ_INJECT, (1n << 32n) | 3n, NONE)).toBe(0);
    expect(st().io[5]).toEqual([
      { type: 0x04000000, subchannelId: 0, subchannelNr: 0, ioIntParm: 0, ioIntWord: 0xa8000000 },
      { type: 0x04000000, subchannelId: 0, subchannelNr: 0, ioIntParm: 0, ioIntWord: 0xa8000000 },
    ]);
  });

  test('a suppressible adapter in single-interruption mode injects once, then its ISC is in no-interruption mode and injects nothing (kvm_s390_inject_airq)', () => {
    const { vm, dev, st } = setup();
    vm.setAttr(dev, G.KVM_DEV_FLIC_ADAPTER_REGISTER, 0n, data(adapter(1, 3, 1, 0, 1)));
    vm.setAttr(dev, G.KVM_DEV_FLIC_ADAPTER_REGISTER, 0n, data(adapter(2, 3, 1, 0, 0)));
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_AISM, 0n, data(aisReq(3, 1)))).toBe(0);
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_AIRQ_INJECT, 1n, NONE)).toBe(0);
    expect(st().nimm).toBe(0x10);
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_AIRQ_INJECT, 1n, NONE)).toBe(0);
    expect(st().io[3]!.length).toBe(1);
    // A non-suppressible adapter on the same ISC is not held back.
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_AIRQ_INJECT, 2n, NONE)).toBe(0);
    expect(st().io[3]!.length).toBe(2);
    // Back to ALL mode: injections flow again.
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_AISM, 0n, data(aisReq(3, 0)))).toBe(0);
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_AIRQ_INJECT, 1n, NONE)).toBe(0);
    expect(st().io[3]!.length).toBe(3);
  });

  test('without facility 72 AIS is not applied: a suppressible adapter injects every time (kvm_s390_inject_airq: !test_kvm_facility(kvm, 72))', () => {
    const { vm, dev, st } = setup();
    vm.setAttr(dev, G.KVM_DEV_FLIC_ADAPTER_REGISTER, 0n, data(adapter(1, 3, 1, 0, 1)));
    vm.setAttr(dev, G.KVM_DEV_FLIC_AISM_ALL, 2n, data(Uint8Array.of(0x10, 0x10)));
    withoutAis(vm);
    expect(vm.setAttr(dev, G.KVM_DEV_FLIC_AIRQ_INJECT, 1n, NONE)).toBe(0);
    expect(st().io[3]!.length).toBe(1);
  });
});

describe('migration (the FLIC save list, s390_flic.rst and QEMU\'s kvm_flic_save order)', () => {
  test('the save buffer starts at a page and doubles until every record fits (FLIC_SAVE_INITIAL_SIZE; get_all_floating_irqs ENOMEM)', () => {
    expect(saveBufferLength(0)).toBe(4096);
    expect(saveBufferLength(56)).toBe(4096);
    expect(saveBufferLength(57)).toBe(8192);
    expect(saveBufferLength(KVM_S390_MAX_FLOAT_IRQS + 3)).toBe(KVM_S390_FLIC_MAX_BUFFER);
  });
});

describe('the interrupts facet (which events raise which FLIC queue)', () => {
  test('ENQUEUE raises each record\'s queue; AIRQ_INJECT raises the adapter\'s ISC unless AIS suppresses it (enqueue_floating_irq, kvm_s390_inject_airq)', async () => {
    const { flicInterrupts } = await import('../../devices/s390-flic/interrupts.js');
    const { vm, dev, st } = setup();
    const d = cat(ioRec({ word: ISC(6) }), extRec(S390_INT.KVM_S390_INT_SERVICE, 0x1000), mchkRec(0n, 1n), ioRec({ word: ISC(1) }));
    const ev = { kind: 'set_attr', group: G.KVM_DEV_FLIC_ENQUEUE, attr: BigInt(d.length), value: 0n, data: d, errno: 0 } as const;
    expect(flicInterrupts.effects(vm.state, st(), ev).map((e) => `${e.action} ${e.irq}`)).toEqual(['raise 1', 'raise 6', 'raise 10', 'raise 11']);
    expect(flicInterrupts.effects(vm.state, st(), { ...ev, errno: ERRNO.EINVAL })).toEqual([]);
    vm.setAttr(dev, G.KVM_DEV_FLIC_ADAPTER_REGISTER, 0n, data(adapter(1, 2, 1, 0, 1)));
    const inject = { kind: 'set_attr', group: G.KVM_DEV_FLIC_AIRQ_INJECT, attr: 1n, value: 0n, errno: 0 } as const;
    expect(flicInterrupts.effects(vm.state, st(), inject)).toEqual([{ action: 'raise', irq: 2 }]);
    vm.setAttr(dev, G.KVM_DEV_FLIC_AISM_ALL, 2n, data(Uint8Array.of(0x20, 0x20)));
    expect(flicInterrupts.effects(vm.state, st(), inject)).toEqual([]);
    expect(flicInterrupts.name!(3)).toBe('I/O ISC 3');
    expect(flicInterrupts.name!(10)).toBe('service signal');
  });
});
