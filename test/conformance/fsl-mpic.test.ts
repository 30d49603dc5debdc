/**
 * Conformance: the FSL MPIC 2.0 and 4.2 (arch/powerpc/kvm/mpic.c), one test
 * per rule, each named after the kernel function (and file) it comes from:
 * the attribute groups' errnos and their order, the vcpu connection through
 * KVM_ENABLE_CAP (powerpc.c kvm_vcpu_ioctl_enable_cap ->
 * kvmppc_mpic_connect_vcpu), the guest frame's access rules
 * (kvm_mpic_read/write), the register map by region, and the interrupt
 * path (openpic_set_irq, IRQ_local_pipe, openpic_iack, EOI).
 */
import { describe, expect, test } from 'vitest';
import { CAP, DEV_TYPE, ERRNO } from '../../devices/core/uapi.js';
import type { Vm } from '../../devices/core/vm.js';
import { createVm } from '../../devices/registry.js';
import type { MpicState } from '../../devices/fsl-mpic/state.js';
import { MPIC_GRP } from '../../devices/fsl-mpic/uapi.js';
import { MPIC_REGS } from '../../devices/fsl-mpic/regs.js';
import { Session } from '../../recorder/execute.js';

const MISC = MPIC_GRP.KVM_DEV_MPIC_GRP_MISC;
const REG = MPIC_GRP.KVM_DEV_MPIC_GRP_REGISTER;
const ACTIVE = MPIC_GRP.KVM_DEV_MPIC_GRP_IRQ_ACTIVE;
const MPIC20 = DEV_TYPE.KVM_DEV_TYPE_FSL_MPIC_20;
const MPIC42 = DEV_TYPE.KVM_DEV_TYPE_FSL_MPIC_42;
const BASE = 0xfe0040000;
const buf = (value: bigint | number, nullPtr = false) => ({ nullPtr, value: BigInt(value) });

/** A ppc64 VM with `vcpus` vcpus (ids 0..n-1), an MPIC of `type` at BASE, vcpu i connected as CPU i for i < `connect`. */
function setup(type: number = MPIC42, vcpus = 1, connect = vcpus): { vm: Vm; h: number; s: MpicState } {
  const vm = createVm('ppc64');
  for (let i = 0; i < vcpus; i++) expect(vm.createVcpu(i)).toBe(0);
  const r = vm.createDevice(type, 0);
  expect(r.errno).toBe(0);
  expect(vm.setAttr({ kind: 'device', handle: r.handle }, MISC, 0n, buf(BASE))).toBe(0);
  for (let i = 0; i < connect; i++) expect(vm.enableCap(i, CAP.KVM_CAP_IRQ_MPIC, [BigInt(r.handle), BigInt(i)])).toBe(0);
  return { vm, h: r.handle, s: vm.state.devices[r.handle]!.state as MpicState };
}
const dev = (h: number) => ({ kind: 'device' as const, handle: h });
const rd = (vm: Vm, off: number, len = 4, vcpu = 0) => vm.mmio(vcpu, false, BASE + off, len, 0n);
const wr = (vm: Vm, off: number, value: number, len = 4, vcpu = 0) => vm.mmio(vcpu, true, BASE + off, len, BigInt(value));
const regGet = (vm: Vm, h: number, off: number) => vm.getAttr(dev(h), REG, BigInt(off), buf(0));
const regSet = (vm: Vm, h: number, off: number, v: number) => vm.setAttr(dev(h), REG, BigInt(off), buf(v));
const ivpr = (n: number) => 0x10000 + n * 0x20;
const idr = (n: number) => 0x10010 + n * 0x20;
const ilr = (n: number) => 0x10018 + n * 0x20;

describe('mpic_create (mpic.c)', () => {
  test('one MPIC per VM: a second create of either type is EINVAL (kvm->arch.mpic is set)', () => {
    const { vm } = setup(MPIC20);
    expect(vm.createDevice(MPIC42, 0).errno).toBe(ERRNO.EINVAL);
    expect(vm.createDevice(MPIC20, 0).errno).toBe(ERRNO.EINVAL);
  });

  test('ppc64 only: on arm64 and x86_64 the types have no ops, ENODEV (kvm_ioctl_create_device)', () => {
    for (const arch of ['arm64', 'x86_64', 's390x'] as const) expect(createVm(arch).createDevice(MPIC42, 0).errno).toBe(ERRNO.ENODEV);
  });

  test('openpic_reset after create: GCR 0, SPVR 0xffff, every IVPR masked (internal sources with polarity), IDR 1, CTPR 15, timers inhibited', () => {
    const { vm, h } = setup(MPIC42, 1, 0);
    expect(regGet(vm, h, 0x1020).value).toBe(0n);
    expect(regGet(vm, h, 0x10e0).value).toBe(0xffffn);
    expect(regGet(vm, h, ivpr(3)).value).toBe(0x80000000n);
    expect(regGet(vm, h, ivpr(40)).value).toBe(0x80800000n);
    expect(regGet(vm, h, idr(3)).value).toBe(1n);
    expect(regGet(vm, h, 0x20080).value).toBe(15n);
    expect(regGet(vm, h, 0x1100).value).toBe(0x80000000n); // GTBCR0, read at GTCCR0's offset (openpic_tmr_read)
  });
});

describe('mpic_set_attr / mpic_get_attr / mpic_has_attr (mpic.c)', () => {
  test('MISC: only KVM_DEV_MPIC_BASE_ADDR exists; another attr is ENXIO for HAS, GET and SET (before the user buffer is read)', () => {
    const { vm, h } = setup();
    expect(vm.hasAttr(dev(h), MISC, 0n)).toBe(0);
    expect(vm.hasAttr(dev(h), MISC, 1n)).toBe(ERRNO.ENXIO);
    expect(vm.getAttr(dev(h), MISC, 1n, buf(0)).errno).toBe(ERRNO.ENXIO);
    expect(vm.setAttr(dev(h), MISC, 1n, buf(0, true))).toBe(ERRNO.ENXIO);
  });

  test('set_base_addr: a NULL buffer is EFAULT before the alignment check; a base not 256 KiB aligned is EINVAL; GET reads it back as a u64', () => {
    const { vm, h } = setup();
    expect(vm.setAttr(dev(h), MISC, 0n, buf(0x123, true))).toBe(ERRNO.EFAULT);
    expect(vm.setAttr(dev(h), MISC, 0n, buf(BASE + 0x1000))).toBe(ERRNO.EINVAL);
    expect(vm.getAttr(dev(h), MISC, 0n, buf(0)).value).toBe(BigInt(BASE));
    expect(vm.getAttr(dev(h), MISC, 0n, buf(0, true)).errno).toBe(ERRNO.EFAULT);
  });

  test('set_base_addr relocates the guest frame (unmap_mmio, map_mmio); base 0 leaves it unmapped: accesses exit to the VMM', () => {
    const { vm, h } = setup();
    expect(rd(vm, 0x1000).exit).toBe(false);
    expect(vm.setAttr(dev(h), MISC, 0n, buf(0x80000000))).toBe(0);
    expect(rd(vm, 0x1000).exit).toBe(true);
    expect(vm.mmio(0, false, 0x80001000, 4, 0n)).toMatchObject({ exit: false, value: 0xc30002n });
    expect(vm.setAttr(dev(h), MISC, 0n, buf(0))).toBe(0);
    expect(vm.mmio(0, false, 0x80001000, 4, 0n).exit).toBe(true);
  });

  test('REGISTER: HAS is 0 for any attr, even one with no register', () => {
    const { vm, h } = setup();
    expect(vm.hasAttr(dev(h), REG, 0x5000n)).toBe(0);
    expect(vm.hasAttr(dev(h), REG, 3n)).toBe(0);
  });

  test('access_reg: a misaligned offset is ENXIO; an offset in no region ENXIO (kvm_mpic_read_internal); SET reads the user word first (EFAULT)', () => {
    const { vm, h } = setup();
    expect(regGet(vm, h, 0x1022).errno).toBe(ERRNO.ENXIO);
    expect(regGet(vm, h, 0x5000).errno).toBe(ERRNO.ENXIO);
    expect(regGet(vm, h, 0x1_0000_0000_0000).errno).toBe(ERRNO.ENXIO);
    expect(vm.setAttr(dev(h), REG, 0x1022n, buf(0, true))).toBe(ERRNO.EFAULT);
    expect(regSet(vm, h, 0x1022, 0)).toBe(ERRNO.ENXIO);
  });

  test('openpic_gbl_write: PIR is for userspace, ENXIO; openpic_gbl_read: PIR reads 0', () => {
    const { vm, h } = setup();
    expect(regSet(vm, h, 0x1090, 1)).toBe(ERRNO.ENXIO);
    expect(regGet(vm, h, 0x1090)).toEqual({ errno: 0, value: 0n });
  });

  test('openpic_msi_read: an offset not 16-byte aligned in the MSI region is ENXIO (the other regions read all ones there)', () => {
    const { vm, h } = setup();
    expect(regGet(vm, h, 0x1604).errno).toBe(ERRNO.ENXIO);
    expect(regGet(vm, h, 0x1024)).toEqual({ errno: 0, value: 0xffffffffn });
  });

  test('get_current_cpu is -1 in an ioctl: the global page\'s current-CPU registers read all ones and ignore writes through REGISTER', () => {
    const { vm, h, s } = setup();
    expect(regGet(vm, h, 0x80).value).toBe(0xffffffffn);
    expect(regSet(vm, h, 0x80, 3)).toBe(0);
    expect(s.ctpr[0]).toBe(15);
    expect(regSet(vm, h, 0x20080, 3)).toBe(0); // CPU 0's own page
    expect(s.ctpr[0]).toBe(3);
  });

  test('IRQ_ACTIVE: attr > MAX_SRC is EINVAL (GET, SET) and ENXIO (HAS); attr 256 (IPI 0) passes the off-by-one check', () => {
    const { vm, h } = setup();
    expect(vm.hasAttr(dev(h), ACTIVE, 256n)).toBe(0);
    expect(vm.hasAttr(dev(h), ACTIVE, 257n)).toBe(ERRNO.ENXIO);
    expect(vm.getAttr(dev(h), ACTIVE, 257n, buf(0)).errno).toBe(ERRNO.EINVAL);
    expect(vm.setAttr(dev(h), ACTIVE, 257n, buf(1, true))).toBe(ERRNO.EINVAL);
    expect(vm.getAttr(dev(h), ACTIVE, 256n, buf(0))).toEqual({ errno: 0, value: 0n });
  });

  test('IRQ_ACTIVE SET: the range, then get_user (EFAULT), then only 0 or 1 (EINVAL)', () => {
    const { vm, h } = setup();
    expect(vm.setAttr(dev(h), ACTIVE, 5n, buf(1, true))).toBe(ERRNO.EFAULT);
    expect(vm.setAttr(dev(h), ACTIVE, 5n, buf(2))).toBe(ERRNO.EINVAL);
    expect(vm.setAttr(dev(h), ACTIVE, 5n, buf(1))).toBe(0);
    expect(vm.getAttr(dev(h), ACTIVE, 5n, buf(0)).value).toBe(1n);
  });

  test('an unknown group is ENXIO for all three (mpic_*_attr fall through)', () => {
    const { vm, h } = setup();
    expect(vm.hasAttr(dev(h), 4, 0n)).toBe(ERRNO.ENXIO);
    expect(vm.getAttr(dev(h), 0, 0n, buf(0)).errno).toBe(ERRNO.ENXIO);
    expect(vm.setAttr(dev(h), 9, 0n, buf(0))).toBe(ERRNO.ENXIO);
  });
});

describe('KVM_ENABLE_CAP(KVM_CAP_IRQ_MPIC) (powerpc.c kvm_vcpu_ioctl_enable_cap -> mpic.c kvmppc_mpic_connect_vcpu)', () => {
  test('args[0] that is no fd: EBADF (fdget); a vcpu that does not exist: EBADF', () => {
    const { vm } = setup(MPIC42, 1, 0);
    expect(vm.enableCap(0, CAP.KVM_CAP_IRQ_MPIC, [0xffffffffn, 0n])).toBe(ERRNO.EBADF);
    expect(vm.enableCap(7, CAP.KVM_CAP_IRQ_MPIC, [0n, 0n])).toBe(ERRNO.EBADF);
  });

  test('a CPU number at or above MAX_CPU (32, args[1] as a u32) is EPERM', () => {
    const { vm, h } = setup(MPIC42, 1, 0);
    expect(vm.enableCap(0, CAP.KVM_CAP_IRQ_MPIC, [BigInt(h), 32n])).toBe(ERRNO.EPERM);
    expect(vm.enableCap(0, CAP.KVM_CAP_IRQ_MPIC, [BigInt(h), 0x1_0000_0001n])).toBe(0); // truncated to CPU 1
  });

  test('a CPU already connected: EEXIST (before the vcpu check); a vcpu already connected: EBUSY (irq_type)', () => {
    const { vm, h } = setup(MPIC42, 2, 1);
    expect(vm.enableCap(1, CAP.KVM_CAP_IRQ_MPIC, [BigInt(h), 0n])).toBe(ERRNO.EEXIST);
    expect(vm.enableCap(0, CAP.KVM_CAP_IRQ_MPIC, [BigInt(h), 0n])).toBe(ERRNO.EEXIST);
    expect(vm.enableCap(0, CAP.KVM_CAP_IRQ_MPIC, [BigInt(h), 1n])).toBe(ERRNO.EBUSY);
    expect(vm.enableCap(1, CAP.KVM_CAP_IRQ_MPIC, [BigInt(h), 5n])).toBe(0);
  });

  test('nb_cpus is one past the highest CPU connected: FRR.NCPU, and with none connected NCPU is all ones ((nb_cpus - 1) << 8 as a u32)', () => {
    const { vm, h } = setup(MPIC20, 2, 0);
    expect(regGet(vm, h, 0x1000).value).toBe(0xffffff02n | (79n << 16n));
    expect(vm.enableCap(1, CAP.KVM_CAP_IRQ_MPIC, [BigInt(h), 3n])).toBe(0);
    expect(regGet(vm, h, 0x1000).value).toBe((79n << 16n) | (3n << 8n) | 2n);
  });

  test('on the VM fd, and any capability but the claimed one, KVM_ENABLE_CAP is EINVAL (the switches\' default)', () => {
    const { vm, h } = setup(MPIC42, 1, 0);
    expect(vm.enableCap(-1, CAP.KVM_CAP_IRQ_MPIC, [BigInt(h), 0n])).toBe(ERRNO.EINVAL);
    expect(vm.enableCap(0, CAP.KVM_CAP_IRQCHIP, [BigInt(h), 0n])).toBe(ERRNO.EINVAL);
  });

  test('on arm64 no device claims it: EINVAL (the arch has no such vcpu capability)', () => {
    const vm = createVm('arm64');
    expect(vm.createVcpu(0)).toBe(0);
    expect(vm.enableCap(0, CAP.KVM_CAP_IRQ_MPIC, [0n, 0n])).toBe(ERRNO.EINVAL);
  });

  test('recorder/execute.ts routes the enable_cap event to the Vm: the trace\'s errno is the model\'s', () => {
    const se = new Session();
    se.execute({ kind: 'create_vm', vm: 0, arch: 'ppc64', ipaBits: 52 });
    se.execute({ kind: 'create_vcpu', vm: 0, id: 0, errno: 0 });
    se.execute({ kind: 'create_device', vm: 0, type: MPIC42, flags: 0, errno: 0, handle: -1 });
    const ok = se.execute({ kind: 'enable_cap', vm: 0, vcpu: 0, cap: CAP.KVM_CAP_IRQ_MPIC, args: [0n, 0n], errno: 0 });
    const again = se.execute({ kind: 'enable_cap', vm: 0, vcpu: 0, cap: CAP.KVM_CAP_IRQ_MPIC, args: [0n, 1n], errno: 0 });
    expect([(ok as { errno: number }).errno, (again as { errno: number }).errno]).toEqual([0, ERRNO.EBUSY]);
  });
});

describe('the guest frame (mpic.c kvm_mpic_read, kvm_mpic_write)', () => {
  test('reads of 4 and 1 bytes answer; a byte read runs the region read at its own offset, so only the byte at a register\'s offset (its most significant, big-endian) is the register\'s: the others read all ones; a misaligned read or a 2-byte read exits to the VMM', () => {
    const { vm } = setup();
    expect(rd(vm, 0x1000).value).toBe(0xc30002n);
    expect(rd(vm, 0x1000, 1).value).toBe(0x00n);
    expect(rd(vm, 0x1001, 1).value).toBe(0xffn);
    expect(rd(vm, 0x1003, 1).value).toBe(0xffn);
    expect(rd(vm, 0x10e0, 1).value).toBe(0x00n); // SPVR 0xffff: its top byte
    expect(rd(vm, 0x1002, 2).exit).toBe(true);
    expect(rd(vm, 0x1001, 4).exit).toBe(true);
  });

  test('a 2-byte IACK read acknowledges (the region read runs) before failing on the length', () => {
    const { vm, s } = setup();
    wr(vm, ivpr(1), 0x00050041);
    wr(vm, idr(1), 1);
    wr(vm, 0x80, 0);
    expect(vm.irqLine(1, 1)).toBe(0);
    expect(rd(vm, 0xa0, 2).exit).toBe(true);
    expect(s.pending[1]).toBe(0); // the edge source was taken
    wr(vm, 0xb0, 0);
    expect(s.servicingNext[0]).toBe(-1); // and the EOI found it in service
  });

  test('writes: only aligned 4-byte writes reach the registers (EOPNOTSUPP otherwise: an exit)', () => {
    const { vm, s } = setup();
    expect(wr(vm, 0x80, 3, 1).exit).toBe(true);
    expect(wr(vm, 0x80, 3, 2).exit).toBe(true);
    expect(s.ctpr[0]).toBe(15);
    expect(wr(vm, 0x80, 3).exit).toBe(false);
    expect(s.ctpr[0]).toBe(3);
  });

  test('an 8-byte access exits; an aligned 8-byte read runs the 4-byte read first', () => {
    const { vm } = setup();
    expect(vm.mmio(0, false, BASE + 0x1000, 8, 0n).exit).toBe(true);
    expect(vm.mmio(0, true, BASE + 0x1000, 8, 0n).exit).toBe(true);
  });

  test('offsets between regions (0x1310-0x15ff, 0x1800-0x37ff, 0x4000-0xffff, 0x12000-0x1ffff) exit: kvm_mpic_*_internal find no region (ENXIO)', () => {
    const { vm } = setup();
    for (const off of [0x1400, 0x2000, 0x8000, 0x12000, 0x3f100]) expect({ off, exit: rd(vm, off).exit }).toEqual({ off, exit: true });
    expect(rd(vm, 0x3800).exit).toBe(false); // the summary region: reads 0
  });

  test('openpic_gbl_write: a PIR write exits to the VMM (ENXIO: "let userspace handle it")', () => {
    const { vm } = setup();
    expect(wr(vm, 0x1090, 1).exit).toBe(true);
  });

  test('get_current_cpu: the global page\'s CTPR/WHOAMI/IACK/EOI are the accessing vcpu\'s MPIC CPU (irq_cpu_id; 0 before it is connected)', () => {
    const { vm } = setup(MPIC42, 3, 0);
    const h = 0;
    expect(vm.enableCap(1, CAP.KVM_CAP_IRQ_MPIC, [BigInt(h), 7n])).toBe(0);
    expect(rd(vm, 0x90, 4, 1).value).toBe(7n);
    expect(rd(vm, 0x90, 4, 2).value).toBe(0n);
    expect(rd(vm, 0x27090).value).toBe(7n);
  });
});

describe('the register map (openpic_*_read/write)', () => {
  test('BRR1 and the 2.0/4.2 differences: BRR1 0x00400200 vs 0x00400402, FRR.NIRQ 79 vs 195, ILR reads all ones on 2.0 and the output on 4.2', () => {
    const a = setup(MPIC20);
    const b = setup(MPIC42);
    expect(rd(a.vm, 0x0).value).toBe(0x00400200n);
    expect(rd(b.vm, 0x0).value).toBe(0x00400402n);
    expect((rd(a.vm, 0x1000).value >> 16n) & 0x7ffn).toBe(79n);
    expect((rd(b.vm, 0x1000).value >> 16n) & 0x7ffn).toBe(195n);
    wr(a.vm, ilr(4), 2);
    wr(b.vm, ilr(4), 0x102);
    expect(rd(a.vm, ilr(4)).value).toBe(0xffffffffn);
    expect(rd(b.vm, ilr(4)).value).toBe(2n);
  });

  test('openpic_gcr_write: only the model\'s mode bits stick (2.0 MIXED 0x20000000, 4.2 PROXY 0x60000000); RESET resets and reads back 0', () => {
    const a = setup(MPIC20);
    const b = setup(MPIC42);
    wr(a.vm, 0x1020, 0x60000000);
    wr(b.vm, 0x1020, 0x60000000);
    expect(rd(a.vm, 0x1020).value).toBe(0x20000000n);
    expect(rd(b.vm, 0x1020).value).toBe(0x60000000n);
    wr(b.vm, 0x80, 4);
    wr(b.vm, ivpr(2), 0x00030022);
    wr(b.vm, 0x1020, 0x80000000);
    expect(rd(b.vm, 0x1020).value).toBe(0n);
    expect(rd(b.vm, 0x80).value).toBe(15n);
    expect(rd(b.vm, ivpr(2)).value).toBe(0x80000000n);
  });

  test('write_IRQreg_ivpr: ACTIVITY and MODE are read-only; internal sources drop SENSE, IPIs and timers drop SENSE and POLARITY; a normal source\'s SENSE makes it level', () => {
    const { vm, s } = setup();
    wr(vm, ivpr(3), 0xffffffff);
    expect(rd(vm, ivpr(3)).value).toBe(0x80cfffffn);
    expect(s.level[3]).toBe(1);
    wr(vm, ivpr(40), 0xffffffff);
    expect(rd(vm, ivpr(40)).value).toBe(0x808fffffn);
    wr(vm, 0x10a0, 0xffffffff);
    expect(rd(vm, 0x10a0).value).toBe(0x800fffffn);
  });

  test('write_IRQreg_idr: destination bits are kept below nb_cpus only (none before a vcpu is connected); 2.0 keeps EP and the CI bits and a CI bit makes the source critical', () => {
    const a = setup(MPIC20, 2, 0);
    regSet(a.vm, 0, idr(5), 0xffffffff);
    expect(regGet(a.vm, 0, idr(5)).value).toBe(0x80000000n);
    expect(a.vm.enableCap(0, CAP.KVM_CAP_IRQ_MPIC, [0n, 0n])).toBe(0);
    expect(a.vm.enableCap(1, CAP.KVM_CAP_IRQ_MPIC, [0n, 1n])).toBe(0);
    regSet(a.vm, 0, idr(5), 0xffffffff);
    expect(regGet(a.vm, 0, idr(5)).value).toBe(0xe0000003n);
    expect([a.s.output[5], a.s.nomask[5], a.s.destmask[5]]).toEqual([1, 1, 3]);
    regSet(a.vm, 0, idr(5), 0x2);
    expect([a.s.output[5], a.s.nomask[5], a.s.destmask[5]]).toEqual([0, 0, 2]);
    const b = setup(MPIC42, 2);
    regSet(b.vm, 0, idr(5), 0xffffffff);
    expect(regGet(b.vm, 0, idr(5)).value).toBe(3n);
  });

  test('openpic_tmr_write decodes from 0x1100 (GTCCR, GTBCR, GTVPR, GTDR every 0x40); openpic_tmr_read 0x10 bytes earlier: GTCCRn reads GTBCRn, GTBCRn reads GTVPRn, GTVPRn reads GTDRn', () => {
    const { vm } = setup();
    wr(vm, 0x1150, 0x1234); // GTBCR1
    wr(vm, 0x1160, 0x00070045); // GTVPR1
    wr(vm, 0x1170, 1); // GTDR1
    expect(rd(vm, 0x1140).value).toBe(0x1234n);
    expect(rd(vm, 0x1150).value).toBe(0x00070045n);
    expect(rd(vm, 0x1160).value).toBe(1n);
    expect(rd(vm, 0x1170).value).toBe(0n); // GTDR1's offset reads timer 2's count (TCCR2)
    expect(rd(vm, 0x10f0).value).toBe(0n); // TFRR: timer 0's count has no readable offset
  });

  test('MSIR: reading clears it and lowers the bank source; MSISR shows which banks are non-zero; MSIIR (SRS, IBS) sets a bit and raises source 224 + SRS', () => {
    const { vm, s } = setup();
    wr(vm, 0x1740, (2 << 29) | (5 << 24));
    expect(s.pending[226]).toBe(1);
    expect(rd(vm, 0x1720).value).toBe(4n);
    expect(rd(vm, 0x1620).value).toBe(32n);
    expect(s.pending[226]).toBe(0);
    expect(rd(vm, 0x1620).value).toBe(0n);
  });

  test('kvm_set_msi: KVM_SIGNAL_MSI writes its data to MSIIR whatever the address, and returns 0', () => {
    const { vm, s } = setup();
    expect(vm.signalMsi({ address: 0xdeadn, data: (7 << 29) | (31 << 24), flags: 0, devid: 0 })).toEqual({ errno: 0, ret: 0 });
    expect(s.msir[7]).toBe(0x80000000);
    expect(s.pending[231]).toBe(1);
  });
});

describe('delivery (openpic_set_irq, openpic_update_irq, IRQ_local_pipe, openpic_iack, EOI)', () => {
  /** Source n: priority p, vector v, edge, unmasked, to CPU 0; CTPR 0. */
  const arm = (vm: Vm, n: number, p: number, v: number) => {
    wr(vm, idr(n), 1);
    wr(vm, ivpr(n), (p << 16) | v);
    wr(vm, 0x80, 0);
  };

  test('KVM_IRQ_LINE: GSI n below 256 is source n (the VMM\'s identity routing); the ioctl answers 0 for any GSI', () => {
    const { vm, s } = setup();
    arm(vm, 4, 5, 0x44);
    expect(vm.irqLine(4, 1)).toBe(0);
    expect(s.intOut[0]).toBe(1);
    expect(rd(vm, 0xa0).value).toBe(0x44n);
    expect(vm.irqLine(300, 1)).toBe(0);
  });

  test('openpic_set_irq: a level source\'s pending is the raw level (IRQ_ACTIVE reads 5 back)', () => {
    const { vm, h } = setup();
    wr(vm, ivpr(20), 0x00050020);
    expect(vm.irqLine(20, 5)).toBe(0);
    expect(vm.getAttr(dev(h), ACTIVE, 20n, buf(0)).value).toBe(5n);
  });

  test('IRQ_local_pipe: a priority not above CTPR is queued but does not raise INT; lowering CTPR raises it', () => {
    const { vm, s } = setup();
    arm(vm, 4, 5, 0x44);
    wr(vm, 0x80, 5);
    vm.irqLine(4, 1);
    expect(s.intOut[0]).toBe(0);
    wr(vm, 0x80, 4);
    expect(s.intOut[0]).toBe(1);
  });

  test('openpic_iack: nothing raised answers SPVR; an edge source stops pending; CTPR is checked, the servicing priority is not', () => {
    const { vm, s } = setup();
    expect(rd(vm, 0xa0).value).toBe(0xffffn);
    arm(vm, 1, 3, 0x31);
    arm(vm, 2, 2, 0x32);
    vm.irqLine(1, 1);
    expect(rd(vm, 0xa0).value).toBe(0x31n);
    expect(s.pending[1]).toBe(0);
    vm.irqLine(2, 1);
    expect(s.intOut[0]).toBe(0); // hidden by source 1 in service
    expect(rd(vm, 0xa0).value).toBe(0x32n); // IACK takes it anyway
  });

  test('EOI ends the highest-priority interrupt in service, not the oldest; an EOI with nothing in service does nothing', () => {
    const { vm, s } = setup();
    wr(vm, 0xb0, 0);
    arm(vm, 1, 3, 0x31);
    arm(vm, 2, 8, 0x32);
    vm.irqLine(1, 1);
    rd(vm, 0xa0);
    vm.irqLine(2, 1);
    rd(vm, 0xa0);
    wr(vm, 0xb0, 0);
    expect(s.servicingNext[0]).toBe(1);
  });

  test('IPIDR: the IPI\'s destination mask gains the written CPUs, it is raised on each; IACK drops the CPU from the mask', () => {
    const { vm, s } = setup(MPIC42, 2);
    wr(vm, 0x10a0, 0x00040050);
    wr(vm, 0x80, 0, 4, 0);
    wr(vm, 0x80, 0, 4, 1);
    wr(vm, 0x40, 3);
    expect([s.intOut[0], s.intOut[1], s.destmask[256]]).toEqual([1, 1, 3]);
    expect(rd(vm, 0xa0, 4, 1).value).toBe(0x50n);
    expect(s.destmask[256]).toBe(1);
  });

  test('masking an active source withdraws it (openpic_update_irq with was_active)', () => {
    const { vm, s } = setup();
    arm(vm, 4, 5, 0x44);
    vm.irqLine(4, 1);
    expect(s.intOut[0]).toBe(1);
    wr(vm, ivpr(4), 0x80050044);
    expect(s.intOut[0]).toBe(0);
    expect(rd(vm, 0xa0).value).toBe(0xffffn);
  });
});

describe('names (the register table)', () => {
  test('dump names every register by the Freescale name: per source IVPR<n>/IDR<n>/ILR<n>, per CPU NAME_CPU<n>, the global page\'s aliases plainly', () => {
    expect(MPIC_REGS.nameAt(ivpr(42))).toBe('IVPR42');
    expect(MPIC_REGS.nameAt(idr(255))).toBe('IDR255');
    expect(MPIC_REGS.nameAt(0x23080)).toBe('CTPR_CPU3');
    expect(MPIC_REGS.nameAt(0x2f0a0)).toBe('IACK_CPU15');
    expect(MPIC_REGS.nameAt(0xb0)).toBe('EOI');
    expect(MPIC_REGS.nameAt(0x1740)).toBe('MSIIR');
    expect(MPIC_REGS.checkInvariants()).toEqual([]);
  });
});

describe('checkpoints (the state schema, devices/fsl-mpic/state.ts)', () => {
  test('a real MPIC state passes; one with an unreachable IVPR.MODE, a CPU with a vcpu the VM lacks, or a vcpu list of the wrong length is refused with its path', async () => {
    const { checkVmState } = await import('../../devices/core/vm-state.js');
    const { DEVICE_MODELS } = await import('../../devices/registry.js');
    const { vm } = setup(MPIC20, 2);
    expect(checkVmState(vm.snapshot(), DEVICE_MODELS)).toBeUndefined();
    const bad = (edit: (s: MpicState) => void) => {
      const st = vm.snapshot();
      edit(st.devices[0]!.state as MpicState);
      return checkVmState(st, DEVICE_MODELS);
    };
    expect(bad((s) => (s.ivpr[7] = 0x20000000))).toMatch(/devices\[0\]\.state\.ivpr has MODE/);
    expect(bad((s) => (s.cpuVcpu[3] = 2))).toMatch(/cpuVcpu names no vcpu/);
    expect(bad((s) => s.vcpuCpu.push(-1))).toMatch(/vcpuCpu has 3 elements, not 2/);
  });
});

describe('decoding the timer skew (openpic_tmr_read vs openpic_tmr_write)', () => {
  test('dump names a timer offset by the register written there and the one a read answers', async () => {
    const { mpicRegName } = await import('../../devices/fsl-mpic/regs.js');
    expect(mpicRegName(0x1120)).toBe('GTVPR0 (a read answers GTDR0)');
    expect(mpicRegName(0x1130)).toBe('GTDR0 (a read answers GTCCR1)');
    expect(mpicRegName(0x10f0)).toBe('TFRR');
    expect(mpicRegName(0x1020)).toBe('GCR');
    expect(mpicRegName(0x5000)).toBe('+0x5000 (no region: ENXIO)');
  });
});

describe('the interrupts facet (devices/fsl-mpic/interrupts.ts) follows what the accesses do', () => {
  test('IACK by a 4-, 1- or 2-byte read acknowledges the source openpic_iack takes (the 2-byte one then exits); EOI completes the highest in service; a byte write does nothing', async () => {
    const { mpicInterrupts } = await import('../../devices/fsl-mpic/interrupts.js');
    const { vm, s } = setup();
    wr(vm, idr(4), 1);
    wr(vm, ivpr(4), 0x00050044);
    wr(vm, 0x80, 0);
    vm.irqLine(4, 1);
    const mmio = (offset: number, len: number, write: boolean) => ({ kind: 'mmio' as const, vcpu: 0, write, frame: 0, offset, len, value: 0n, errno: 0 });
    for (const len of [4, 1, 2]) expect(mpicInterrupts.effects(vm.state, s, mmio(0xa0, len, false))).toEqual([{ action: 'acknowledge', irq: 4, vcpu: 0 }]);
    expect(mpicInterrupts.effects(vm.state, s, mmio(0xa1, 1, false))).toEqual([]);
    rd(vm, 0xa0, 2);
    expect(mpicInterrupts.effects(vm.state, s, mmio(0xb0, 4, true))).toEqual([{ action: 'complete', irq: 4, vcpu: 0 }]);
    expect(mpicInterrupts.effects(vm.state, s, mmio(0xb0, 1, true))).toEqual([]);
    expect(mpicInterrupts.effects(vm.state, s, { kind: 'signal_msi', address: 0n, data: 3 << 29, devid: 0, errno: 0, ret: 0 })).toEqual([{ action: 'raise', irq: 227 }]);
  });
});
