/**
 * Conformance: the per-architecture rules (devices/arch/*.ts) through the
 * Vm, each test named after the kernel function it follows: vcpu ids,
 * KVM_IRQ_LINE's encoding and its answer without an in-kernel irqchip,
 * KVM_CREATE_IRQCHIP, KVM_ARM_SET_DEVICE_ADDR, and the attribute ioctls on
 * the VM fd and a vcpu fd.
 */
import { describe, expect, test } from 'vitest';
import { ARCH_RULES } from '../../devices/arch/index.js';
import { X86_KERNEL_IRQCHIP } from '../../devices/arch/x86_64.js';
import type { DeviceModel } from '../../devices/core/device.js';
import { Vm } from '../../devices/core/vm.js';
import { ARCHES, CAP, DEV_TYPE, ERRNO, errnoName } from '../../devices/core/uapi.js';
import { createVm, DEVICE_MODELS } from '../../devices/registry.js';

const buf = { nullPtr: false, value: 0n };
const SPI = (n: number) => (1 << 24) | n;
const PPI = (n: number, vcpu: number) => (2 << 24) | (vcpu << 16) | n;
const CPU = (line: number, vcpu: number) => (vcpu << 16) | line;

describe('every architecture has its rules, and the Vm takes them from there', () => {
  test('one ArchRules per architecture devrr knows, named after it', () => {
    expect(Object.keys(ARCH_RULES).sort()).toEqual([...ARCHES].sort());
    for (const a of ARCHES) expect(ARCH_RULES[a].arch).toBe(a);
  });

  test('a new VM gets its arch default kvm->max_vcpus and IPA size', () => {
    expect(createVm('arm64').state).toMatchObject({ maxVcpus: 512, ipaBits: 40 });
    expect(createVm('x86_64').state).toMatchObject({ maxVcpus: 1024, ipaBits: 52 });
    expect(createVm('s390x').state.maxVcpus).toBe(255);
  });
});

describe('vcpu ids (kvm_vm_ioctl_create_vcpu, kvm_arch_vcpu_precreate)', () => {
  test('an id at or above KVM_MAX_VCPU_IDS is EINVAL on every arch (kvm_vm_ioctl_create_vcpu)', () => {
    expect(createVm('arm64').createVcpu(512)).toBe(ERRNO.EINVAL);
    expect(createVm('x86_64').createVcpu(4096)).toBe(ERRNO.EINVAL);
    expect(createVm('x86_64').createVcpu(4095)).toBe(0);
    expect(createVm('ppc64').createVcpu(2048)).toBe(ERRNO.EINVAL);
    expect(createVm('s390x').createVcpu(255)).toBe(ERRNO.EINVAL);
  });

  test('arm64: an id at or above kvm->arch.max_vcpus is EINVAL, so a GICv2 (max_vcpus 8) refuses id 8 (kvm_arch_vcpu_precreate, arch/arm64/kvm/arm.c)', () => {
    const vm = createVm('arm64');
    expect(vm.createDevice(DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_V2, 0).errno).toBe(0);
    expect(vm.createVcpu(8)).toBe(ERRNO.EINVAL);
    expect(vm.createVcpu(7)).toBe(0);
    // x86 has no such rule: ids above the vcpu count are fine.
    expect(createVm('x86_64').createVcpu(2000)).toBe(0);
  });

  test('s390x: an id must fit the extended SCA, below KVM_S390_ESCA_CPU_SLOTS = 248 (kvm_arch_vcpu_precreate -> sca_can_add_vcpu, arch/s390/kvm/kvm-s390.c)', () => {
    expect(createVm('s390x').createVcpu(248)).toBe(ERRNO.EINVAL);
    expect(createVm('s390x').createVcpu(247)).toBe(0);
  });
});

describe('KVM_IRQ_LINE (kvm_vm_ioctl_irq_line)', () => {
  test('arm64 decodes vcpu2[31:28] type[27:24] vcpu[23:16] num[15:0] into readable lines, and encodes them back', () => {
    const l = ARCH_RULES.arm64.irqLine;
    expect(l.describe(SPI(42))).toBe('SPI 42');
    expect(l.describe(PPI(27, 1))).toBe('PPI 27 vcpu 1');
    expect(l.describe(CPU(0, 0))).toBe('CPU IRQ vcpu 0');
    expect(l.describe(CPU(1, 3))).toBe('CPU FIQ vcpu 3');
    expect(l.describe((3 << 24) | 5)).toBe('irq 0x3000005 (type 3)');
    expect(l.decode((1 << 28) | PPI(20, 2))).toEqual({ type: 'PPI', num: 20, vcpu: 258 });
    for (const irq of [SPI(42), PPI(27, 1), CPU(1, 3), (1 << 28) | PPI(20, 2), (3 << 24) | 5]) {
      expect(l.encode(l.decode(irq))).toBe(irq >>> 0);
      expect(l.parse(l.describe(irq))).toBe(irq >>> 0);
    }
    expect(l.parse('SPI x')).toBeUndefined();
    expect(l.encode({ type: 'SPI', num: 0x10000 })).toBeUndefined();
  });

  test('x86_64 and ppc64: the irq is a GSI; s390x names it plainly', () => {
    for (const a of ['x86_64', 'ppc64'] as const) {
      const l = ARCH_RULES[a].irqLine;
      expect(l.describe(4)).toBe('GSI 4');
      expect(l.decode(4)).toEqual({ type: 'GSI', num: 4 });
      expect(l.parse('GSI 4')).toBe(4);
      expect(l.encode({ type: 'GSI', num: 9 })).toBe(9);
    }
    expect(ARCH_RULES.s390x.irqLine.describe(3)).toBe('irq 3');
  });

  test('arm64 without a VGIC: a CPU line drives a vcpu input (0), a missing vcpu or a line above FIQ is EINVAL, SPI and PPI are ENXIO, another type EINVAL (kvm_vm_ioctl_irq_line, arch/arm64/kvm/arm.c)', () => {
    const vm = createVm('arm64');
    vm.createVcpu(0);
    expect(vm.irqLine(CPU(1, 0), 1)).toBe(0);
    expect(vm.irqLine(CPU(0, 1), 1)).toBe(ERRNO.EINVAL);
    expect(vm.irqLine(CPU(2, 0), 1)).toBe(ERRNO.EINVAL);
    expect(vm.irqLine(SPI(40), 1)).toBe(ERRNO.ENXIO);
    expect(vm.irqLine(PPI(20, 0), 1)).toBe(ERRNO.ENXIO);
    expect(vm.irqLine((3 << 24) | 5, 1)).toBe(ERRNO.EINVAL);
  });

  test('x86_64 and ppc64 without an in-kernel irqchip: ENXIO (kvm_vm_ioctl_irq_line, arch/x86/kvm/irq.c, arch/powerpc/kvm/powerpc.c)', () => {
    expect(createVm('x86_64').irqLine(4, 1)).toBe(ERRNO.ENXIO);
    expect(createVm('ppc64').irqLine(4, 1)).toBe(ERRNO.ENXIO);
  });

  test('s390x has no KVM_IRQ_LINE (no __KVM_HAVE_IRQ_LINE): kvm_arch_vm_ioctl\'s default, ENOTTY (arch/s390/kvm/kvm-s390.c)', () => {
    expect(createVm('s390x').irqLine(4, 1)).toBe(ERRNO.ENOTTY);
  });
});

describe('KVM_CREATE_IRQCHIP (kvm_arch_vm_ioctl)', () => {
  test('arm64 creates a GICv2 with no fd (kvm_vgic_create(kvm, KVM_DEV_TYPE_ARM_VGIC_V2)): max_vcpus becomes 8, KVM_CREATE_DEVICE of a VGIC is then EEXIST, as is a second KVM_CREATE_IRQCHIP', () => {
    const vm = createVm('arm64');
    expect(vm.createIrqchip()).toBe(0);
    expect(vm.state.irqchip).toBe(0);
    expect(vm.state.devices[0]!.type).toBe(DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_V2);
    expect(vm.state.maxVcpus).toBe(8);
    expect(vm.createDevice(DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_V3, 0).errno).toBe(ERRNO.EEXIST);
    expect(vm.createIrqchip()).toBe(ERRNO.EEXIST);
  });

  test('arm64 after a vcpu has run: kvm_vgic_create\'s EBUSY', () => {
    const vm = createVm('arm64');
    vm.createVcpu(0);
    expect(vm.runVcpu(0)).toBe(0);
    expect(vm.createIrqchip()).toBe(ERRNO.EBUSY);
  });

  test('x86_64: EINVAL once a vcpu exists; else the PIC and IOAPIC through the X86_KERNEL_IRQCHIP hook (ENODEV in a registry without that model) (kvm_arch_vm_ioctl KVM_CREATE_IRQCHIP, arch/x86/kvm/x86.c)', () => {
    const withVcpu = createVm('x86_64');
    withVcpu.createVcpu(0);
    expect(withVcpu.createIrqchip()).toBe(ERRNO.EINVAL);
    const vm = createVm('x86_64');
    expect(vm.createIrqchip()).toBe(0);
    expect(vm.state.devices[vm.state.irqchip]!.type).toBe(X86_KERNEL_IRQCHIP);
    expect(vm.createIrqchip()).toBe(ERRNO.EEXIST);
    const without = new Vm(new Map([...DEVICE_MODELS].filter(([t]) => t !== X86_KERNEL_IRQCHIP)), 'x86_64', 52);
    expect(without.createIrqchip()).toBe(ERRNO.ENODEV);
  });

  test('x86_64: a model registered under X86_KERNEL_IRQCHIP is what KVM_CREATE_IRQCHIP creates; a second is EEXIST; KVM_CREATE_DEVICE cannot reach it', () => {
    const toy: DeviceModel<{ made: boolean }> = {
      type: X86_KERNEL_IRQCHIP,
      typeName: 'x86 in-kernel irqchip (toy)',
      inodeName: 'toy-x86-irqchip',
      arches: ['x86_64'],
      modelVersion: 1,
      isIrqchip: true,
      kernel: { ops: { get: false, set: false, has: false }, groups: [], create: () => ({ errno: 0, state: { made: true } }) },
    };
    const vm = new Vm(new Map([...DEVICE_MODELS, [X86_KERNEL_IRQCHIP, toy]]), 'x86_64', 52);
    expect(vm.createDevice(X86_KERNEL_IRQCHIP, 0).errno).toBe(ERRNO.ENODEV);
    expect(vm.createIrqchip()).toBe(0);
    expect(vm.state.devices[vm.state.irqchip]!.state).toEqual({ made: true });
    expect(vm.createIrqchip()).toBe(ERRNO.EEXIST);
  });

  test('irqchipStateIoctls: KVM_GET/SET_IRQCHIP and KVM_GET/SET_LAPIC exist on x86_64 only (arch/x86/kvm/x86.c kvm_arch_vm_ioctl, kvm_arch_vcpu_ioctl); elsewhere the arch defaults answer', () => {
    const answers = (['arm64', 'x86_64', 'ppc64', 's390x'] as const).map((arch) => {
      const vm = createVm(arch);
      vm.createVcpu(0);
      return [arch, errnoName(vm.getIrqchip(0).errno), errnoName(vm.getLapic(0).errno)];
    });
    // x86_64 without KVM_CREATE_IRQCHIP: ENXIO (!irqchip_kernel) and EINVAL (!lapic_in_kernel).
    expect(answers).toEqual([
      ['arm64', 'EINVAL', 'EINVAL'],
      ['x86_64', 'ENXIO', 'EINVAL'],
      ['ppc64', 'ENOTTY', 'EINVAL'],
      ['s390x', 'ENOTTY', 'ENOTTY'],
    ]);
  });

  test('ppc64 has no KVM_CREATE_IRQCHIP (its irqchips are KVM_CREATE_DEVICE devices): ENOTTY; s390x: EINVAL without KVM_CAP_S390_IRQCHIP', () => {
    expect(createVm('ppc64').createIrqchip()).toBe(ERRNO.ENOTTY);
    expect(createVm('s390x').createIrqchip()).toBe(ERRNO.EINVAL);
  });
});

describe('KVM_ARM_SET_DEVICE_ADDR (kvm_vm_ioctl_set_device_addr)', () => {
  test('arm64 without a GICv2: ENODEV; with one it sets the base; other arches: their kvm_arch_vm_ioctl default, ENOTTY', () => {
    expect(createVm('arm64').armSetDeviceAddr(0n, 0x8000000n)).toBe(ERRNO.ENODEV);
    const vm = createVm('arm64');
    vm.createIrqchip();
    expect(vm.armSetDeviceAddr(0n, 0x8000000n)).toBe(0);
    for (const a of ['x86_64', 'ppc64', 's390x'] as const) expect(createVm(a).armSetDeviceAddr(0n, 0x8000000n)).toBe(ERRNO.ENOTTY);
  });
});

describe('attribute ioctls on the VM fd and a vcpu fd', () => {
  const vm = { kind: 'vm' } as const;
  const vcpu0 = { kind: 'vcpu', id: 0 } as const;
  const answers = (arch: (typeof ARCHES)[number], fd: typeof vm | typeof vcpu0) => {
    const v = createVm(arch);
    v.createVcpu(0);
    return [v.setAttr(fd, 99, 0n, buf), v.getAttr(fd, 99, 0n, buf).errno, v.hasAttr(fd, 99, 0n)];
  };

  test('arm64 VM fd: SET and HAS reach kvm_vm_set_attr/kvm_vm_has_attr (ENXIO for an unknown group), GET does not exist (EINVAL, kvm_arch_vm_ioctl default)', () => {
    expect(answers('arm64', vm)).toEqual([ERRNO.ENXIO, ERRNO.EINVAL, ERRNO.ENXIO]);
  });

  test('arm64 vcpu fd: kvm_arm_vcpu_arch_{set,get,has}_attr, ENXIO for an unknown group (arch/arm64/kvm/guest.c)', () => {
    expect(answers('arm64', vcpu0)).toEqual([ERRNO.ENXIO, ERRNO.ENXIO, ERRNO.ENXIO]);
  });

  test('x86_64: no attribute ioctls on the VM fd (ENOTTY, kvm_arch_vm_ioctl default); a vcpu fd reaches kvm_vcpu_ioctl_device_attr (ENXIO)', () => {
    expect(answers('x86_64', vm)).toEqual([ERRNO.ENOTTY, ERRNO.ENOTTY, ERRNO.ENOTTY]);
    expect(answers('x86_64', vcpu0)).toEqual([ERRNO.ENXIO, ERRNO.ENXIO, ERRNO.ENXIO]);
  });

  test('ppc64: neither fd has them (VM: ENOTTY, kvm_arch_vm_ioctl_hv/_pr default; vcpu: EINVAL, kvm_arch_vcpu_ioctl default)', () => {
    expect(answers('ppc64', vm)).toEqual([ERRNO.ENOTTY, ERRNO.ENOTTY, ERRNO.ENOTTY]);
    expect(answers('ppc64', vcpu0)).toEqual([ERRNO.EINVAL, ERRNO.EINVAL, ERRNO.EINVAL]);
  });

  test('s390x: the VM fd reaches kvm_s390_vm_{set,get,has}_attr (ENXIO for an unknown group); a vcpu fd has none (ENOTTY, kvm_arch_vcpu_ioctl default)', () => {
    expect(answers('s390x', vm)).toEqual([ERRNO.ENXIO, ERRNO.ENXIO, ERRNO.ENXIO]);
    expect(answers('s390x', vcpu0)).toEqual([ERRNO.ENOTTY, ERRNO.ENOTTY, ERRNO.ENOTTY]);
  });

  test('a vcpu fd of a vcpu that does not exist is EBADF on every arch, before the arch is asked', () => {
    for (const a of ARCHES) expect(createVm(a).hasAttr({ kind: 'vcpu', id: 3 }, 99, 0n)).toBe(ERRNO.EBADF);
  });
});

describe('KVM_ENABLE_CAP on a vcpu fd (kvm_arch_vcpu_ioctl)', () => {
  test('ppc64: a capability a device family claims reaches it (kvm_vcpu_ioctl_enable_cap, arch/powerpc/kvm/powerpc.c: KVM_CAP_IRQ_MPIC -> kvmppc_mpic_connect_vcpu); args[0] that is no fd is EBADF; another capability EINVAL', () => {
    const vm = createVm('ppc64');
    expect(vm.createVcpu(0)).toBe(0);
    expect(vm.enableCap(0, CAP.KVM_CAP_IRQ_MPIC, [0n, 0n])).toBe(ERRNO.EBADF);
    const h = vm.createDevice(DEV_TYPE.KVM_DEV_TYPE_FSL_MPIC_42, 0).handle;
    expect(vm.enableCap(0, CAP.KVM_CAP_IRQ_MPIC, [BigInt(h), 0n])).toBe(0);
    expect(vm.enableCap(0, CAP.KVM_CAP_PPC_RTAS, [0n])).toBe(ERRNO.EINVAL);
  });

  test('arm64, x86_64, s390x: no device claims a vcpu capability there: EINVAL (their switches\' default); the VM fd: EINVAL (kvm_vm_ioctl_enable_cap); a vcpu that does not exist: EBADF', () => {
    for (const arch of ['arm64', 'x86_64', 's390x'] as const) {
      const vm = createVm(arch);
      expect(vm.createVcpu(0)).toBe(0);
      expect({ arch, e: vm.enableCap(0, CAP.KVM_CAP_IRQ_MPIC, [0n, 0n]) }).toEqual({ arch, e: ERRNO.EINVAL });
      expect(vm.enableCap(-1, CAP.KVM_CAP_IRQ_MPIC, [0n, 0n])).toBe(ERRNO.EINVAL);
      expect(vm.enableCap(9, CAP.KVM_CAP_IRQ_MPIC, [0n, 0n])).toBe(ERRNO.EBADF);
    }
  });

  test('the capability picks the family: only a ppc64 model that lists it in kernel.vcpuCaps claims it (kvm_vcpu_ioctl_enable_cap, powerpc.c)', () => {
    const claims = (arch: string, cap: number) => [...DEVICE_MODELS.values()].filter((m) => m.arches.includes(arch as never) && m.kernel.vcpuCaps?.includes(cap)).map((m) => m.typeName);
    expect(claims('ppc64', CAP.KVM_CAP_IRQ_MPIC)).toEqual(['KVM_DEV_TYPE_FSL_MPIC_20', 'KVM_DEV_TYPE_FSL_MPIC_42']);
    expect(claims('ppc64', CAP.KVM_CAP_IRQ_XICS)).toEqual(['KVM_DEV_TYPE_XICS']);
    expect(claims('arm64', CAP.KVM_CAP_IRQ_MPIC)).toEqual([]);
  });
});

describe('KVM_GET_ONE_REG / KVM_SET_ONE_REG on a vcpu fd (kvm_arch_vcpu_ioctl)', () => {
  const U64 = 0x0030_0000_0000_0000n;
  const ICP_STATE = 0x1030_0000_0000_008cn;
  const vmWithVcpu = (arch: (typeof ARCHES)[number]) => {
    const vm = createVm(arch);
    expect(vm.createVcpu(0)).toBe(0);
    return vm;
  };

  test('a vcpu that does not exist is EBADF on every arch, before the arch is asked (kvm_vcpu_ioctl)', () => {
    for (const a of ARCHES) expect(createVm(a).oneReg(0, false, ICP_STATE, 0n).errno, a).toBe(ERRNO.EBADF);
  });

  test('ppc64: a register no case takes is EINVAL, as is a size above union kvmppc_one_reg\'s 16 bytes before any lookup (kvm_vcpu_ioctl_get_one_reg / kvm_vcpu_ioctl_set_one_reg, arch/powerpc/kvm/powerpc.c; kvmppc_get_one_reg, book3s.c)', () => {
    const vm = vmWithVcpu('ppc64');
    expect(vm.oneReg(0, false, 0x1000_0000_0000_0000n | U64 | 0x12345n, 0n).errno).toBe(ERRNO.EINVAL);
    expect(vm.oneReg(0, true, 0x1000_0000_0000_0000n | U64 | 0x12345n, 5n)).toEqual({ errno: ERRNO.EINVAL, value: 5n });
    // KVM_REG_SIZE_U256 (32 bytes): refused by the size check even with the ICP's register number.
    expect(vm.oneReg(0, false, 0x1050_0000_0000_008cn, 0n).errno).toBe(ERRNO.EINVAL);
  });

  test('ppc64: KVM_REG_PPC_ICP_STATE without vcpu->arch.icp (no XICS, or the vcpu not connected) is ENXIO (kvmppc_get_one_reg / kvmppc_set_one_reg, arch/powerpc/kvm/book3s.c)', () => {
    const vm = vmWithVcpu('ppc64');
    expect(vm.oneReg(0, false, ICP_STATE, 0n)).toEqual({ errno: ERRNO.ENXIO, value: 0n });
    expect(vm.createDevice(DEV_TYPE.KVM_DEV_TYPE_XICS, 0).errno).toBe(0);
    expect(vm.oneReg(0, true, ICP_STATE, 0xffff0000n).errno).toBe(ERRNO.ENXIO);
  });

  test('arm64: ENOEXEC for a vcpu never through KVM_ARM_VCPU_INIT (kvm_arch_vcpu_ioctl KVM_GET/SET_ONE_REG, arch/arm64/kvm/arm.c: kvm_vcpu_initialized)', () => {
    expect(vmWithVcpu('arm64').oneReg(0, false, 0x6030_0000_0010_0000n, 0n).errno).toBe(ERRNO.ENOEXEC);
  });

  test('x86_64 has no KVM_GET/SET_ONE_REG: kvm_arch_vcpu_ioctl\'s default, EINVAL (arch/x86/kvm/x86.c)', () => {
    expect(vmWithVcpu('x86_64').oneReg(0, false, 0x2030_0000_0000_0000n, 0n).errno).toBe(ERRNO.EINVAL);
  });

  test('s390x: a register devrr does not model answers the switch\'s default, EINVAL (kvm_arch_vcpu_ioctl_get_one_reg, arch/s390/kvm/kvm-s390.c)', () => {
    expect(vmWithVcpu('s390x').oneReg(0, false, 0x5030_0000_0000_0001n, 0n).errno).toBe(ERRNO.EINVAL);
  });

  test('a family\'s register is reachable only on its own arches: KVM_REG_PPC_ICP_STATE on s390x is the arch\'s answer, not the XICS\'s', () => {
    expect(vmWithVcpu('s390x').oneReg(0, false, ICP_STATE, 0n).errno).toBe(ERRNO.EINVAL);
  });
});
