/**
 * The live path without /dev/kvm: the struct layouts and request numbers
 * devrr hands the kernel, checked against the values the kernel headers
 * give (include/uapi/linux/kvm.h, arch/x86/include/uapi/asm/kvm.h) and the
 * request numbers strace printed on a real host (the x86 capture), and the
 * plan a scenario turns into, with the steps a host cannot run refused.
 */
import { describe, expect, test } from 'vitest';
import {
  KVM,
  KVM_ARM_DEVICE_ADDR_T,
  KVM_CREATE_DEVICE_T,
  KVM_DEVICE_ATTR_T,
  KVM_ENABLE_CAP_T,
  KVM_IRQCHIP_T,
  KVM_IRQ_LEVEL_T,
  KVM_LAPIC_STATE_T,
  KVM_MSI_T,
  type StructLayout,
} from '../../recorder/live/abi.js';
import { hostDevrrArch, liveRefusal } from '../../recorder/live/backend.js';
import { planLive } from '../../recorder/live/plan.js';
import { parseScenario } from '../../recorder/scenario.js';

const offsets = (t: StructLayout) => Object.fromEntries([...t.fields.values()].map((f) => [f.name, f.offset]));

describe('struct layouts (include/uapi/linux/kvm.h)', () => {
  test('struct kvm_create_device: type, fd, flags; 12 bytes', () => {
    expect([KVM_CREATE_DEVICE_T.size, offsets(KVM_CREATE_DEVICE_T)]).toEqual([12, { type: 0, fd: 4, flags: 8 }]);
  });
  test('struct kvm_device_attr: flags, group, attr at 8, addr at 16; 24 bytes', () => {
    expect([KVM_DEVICE_ATTR_T.size, offsets(KVM_DEVICE_ATTR_T)]).toEqual([24, { flags: 0, group: 4, attr: 8, addr: 16 }]);
  });
  test('struct kvm_irq_level 8 bytes; struct kvm_msi 32 (pad[12]); struct kvm_enable_cap 104 (args[4] at 8, pad[64])', () => {
    expect(KVM_IRQ_LEVEL_T.size).toBe(8);
    expect([KVM_MSI_T.size, offsets(KVM_MSI_T)]).toEqual([32, { address_lo: 0, address_hi: 4, data: 8, flags: 12, devid: 16, pad: 20 }]);
    expect([KVM_ENABLE_CAP_T.size, offsets(KVM_ENABLE_CAP_T)]).toEqual([104, { cap: 0, flags: 4, args: 8, pad: 40 }]);
  });
  test('struct kvm_irqchip 520 bytes (the 512-byte chip union at 8); kvm_lapic_state 1024; kvm_arm_device_addr 16', () => {
    expect([KVM_IRQCHIP_T.size, offsets(KVM_IRQCHIP_T)]).toEqual([520, { chip_id: 0, pad: 4, chip: 8 }]);
    expect(KVM_LAPIC_STATE_T.size).toBe(1024);
    expect(KVM_ARM_DEVICE_ADDR_T.size).toBe(16);
  });
});

describe('request numbers (_IO/_IOR/_IOW/_IOWR with KVMIO 0xae): each as strace printed it on a real host (the x86 capture), KVM_ENABLE_CAP (not in it) from kvm.h', () => {
  test.each([
    ['GET_API_VERSION', 0xae00],
    ['CREATE_VM', 0xae01],
    ['CHECK_EXTENSION', 0xae03],
    ['CREATE_VCPU', 0xae41],
    ['CREATE_IRQCHIP', 0xae60],
    ['IRQ_LINE', 0x4008ae61],
    ['GET_IRQCHIP', 0xc208ae62],
    ['SET_IRQCHIP', 0x8208ae63],
    ['IRQ_LINE_STATUS', 0xc008ae67],
    ['SIGNAL_MSI', 0x4020aea5],
    ['ENABLE_CAP', 0x4068aea3],
    ['RUN', 0xae80],
    ['GET_LAPIC', 0x8400ae8e],
    ['SET_LAPIC', 0x4400ae8f],
    ['CREATE_DEVICE', 0xc00caee0],
    ['SET_DEVICE_ATTR', 0x4018aee1],
    ['GET_DEVICE_ATTR', 0x4018aee2],
    ['HAS_DEVICE_ATTR', 0x4018aee3],
  ] as const)('KVM_%s = %s', (name, n) => {
    expect(KVM[name]).toBe(n);
  });
});

describe('the live plan: what a scenario issues, and what a host refuses before any ioctl', () => {
  const x86 = parseScenario(JSON.stringify({ arch: 'x86_64', steps: [
    { op: 'create_vcpu', id: 0 },
    { op: 'create_device', type: 4, as: 'vfio' },
    { op: 'has_attr', dev: 'vfio', group: 1, attr: 1 },
    { op: 'irq_line', irq: 4, level: 1, expect: 'ENXIO' },
  ] }), 'x86.json');

  test('every device-control step maps to its ioctl', () => {
    const p = planLive(x86);
    expect(p.steps.map((s) => s.request)).toEqual(['KVM_CREATE_VM on /dev/kvm', 'KVM_CREATE_VCPU on the VM fd', 'KVM_CREATE_DEVICE on the VM fd', 'KVM_HAS_DEVICE_ATTR on the device, vcpu or VM fd', 'KVM_IRQ_LINE on the VM fd']);
    expect(p.refusals).toEqual(hostDevrrArch() === 'x86_64' ? [] : [expect.objectContaining({ event: 0, step: -1 })]);
  });

  test('a guest event is refused with its step (no guest runs yet); a VM of another architecture is refused', () => {
    const sc = parseScenario(JSON.stringify({ arch: 'arm64', steps: [{ op: 'create_vcpu', id: 0 }, { op: 'sysreg', vcpu: 0, dir: 'read', reg: 'ICC_IAR1_EL1' }] }), 'g.json');
    const p = planLive(sc);
    expect(p.refusals.find((r) => r.step === 1)!.why).toMatch(/sysreg is a guest event the live guest does not make/);
    if (hostDevrrArch() !== 'arm64') expect(p.refusals[0]!.why).toMatch(/the VM is arm64 but this host is/);
    expect(liveRefusal({ kind: 'mmio', vm: 0, vcpu: 0, write: false, addr: 0xe0000, len: 8, value: 0n, errno: 0 } as never)).toMatch(hostDevrrArch() === 'x86_64' ? /an 8-byte access/ : /the live guest runs on x86_64 hosts only/);
  });
});
