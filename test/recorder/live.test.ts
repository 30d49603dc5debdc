/**
 * `devrr record --live` on this machine's /dev/kvm. Where there is none (or
 * it cannot be opened), the tests that need it skip, saying why in their
 * name; the refusals run everywhere.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { hostDevrrArch } from '../../recorder/live/backend.js';
import { liveUnavailable } from '../../recorder/live/host.js';
import { TraceReader } from '../../traces/reader.js';
import { devrr } from '../cli/run.js';
import { tempDir } from '../tmp.js';

const dir = tempDir();
const unavailable = liveUnavailable();
const onX86 = !unavailable && hostDevrrArch() === 'x86_64';
const why = unavailable ?? (hostDevrrArch() !== 'x86_64' ? `this host is ${hostDevrrArch()}, the probe is x86_64's` : '');

function scenario(name: string, body: unknown): string {
  const f = join(dir, name);
  writeFileSync(f, JSON.stringify(body));
  return f;
}

/** The KVM-VFIO facts of the real capture (../shared/samples/kvm-x86-capture/README.md), as steps. */
const VFIO_PROBE = {
  arch: 'x86_64',
  steps: [
    { op: 'create_vcpu', id: 0 },
    { op: 'create_device', type: 4, as: 'vfio' },
    { op: 'create_device', type: 4, expect: 'EBUSY' },
    { op: 'create_device', type: 5, flags: 1, expect: 'ENODEV' },
    { op: 'create_device', type: 4, flags: 0x100 | 1 },
    { op: 'get_attr', dev: 'vfio', group: 1, attr: 1, expect: 'EPERM' },
    { op: 'set_attr', dev: 'vfio', group: 1, attr: 1, value: 0xffffffff, expect: 'EBADF' },
    { op: 'has_attr', dev: 'vfio', group: 1, attr: 1 },
    { op: 'has_attr', dev: 'vfio', group: 9, attr: 1, expect: 'ENXIO' },
    { op: 'set_attr', dev: 'vfio', group: 1, attr: 1, expect: 'EFAULT', null_pointer: true },
  ],
};

describe(onX86 ? 'record --live on this host\'s /dev/kvm' : `record --live on /dev/kvm: skipped, ${why}`, () => {
  test.skipIf(!onX86)('the KVM-VFIO probe: every answer is the kernel\'s, as the real capture saw them', async () => {
    const out = join(dir, 'probe.devrr');
    const r = await devrr('record', scenario('probe.json', VFIO_PROBE), '-o', out, '--live');
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
    const t = TraceReader.open(out);
    const evs = [...t.events()];
    expect(evs.map((e) => ('errno' in e ? e.errno : 0))).toEqual([0, 0, 0, 16, 19, 0, 1, 9, 0, 6, 14]);
    expect(t.checkpoints).toHaveLength(0);
    t.close();
    // The header says where the answers came from: this kernel.
    const info = JSON.parse((await devrr('info', out, '--json')).out) as { origin: Record<string, string> };
    expect(info.origin).toEqual({ by: 'live', kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(), host: 'x86_64' });
    // The models answer every call as this kernel did (the KVM-VFIO model, devices/vfio/kvm-vfio.ts).
    const replay = await devrr('replay', out);
    expect(replay.out).toMatch(/no divergence/);
    expect(replay.code).toBe(0);
  });

  test.skipIf(!onX86)('KVM_CREATE_DEVICE with the TEST flag for every type 0-15: the models answer as this kernel does (ENODEV for all but KVM-VFIO on x86)', async () => {
    const out = join(dir, 'types.devrr');
    const steps = Array.from({ length: 16 }, (_, type) => ({ op: 'create_device', type, flags: 1, expect: type === 4 ? undefined : 'ENODEV' })).map((s) => (s.expect ? s : { op: s.op, type: s.type, flags: s.flags }));
    const r = await devrr('record', scenario('types.json', { arch: 'x86_64', steps }), '-o', out, '--live');
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
    expect((await devrr('replay', out)).code).toBe(0);
  });
});

describe(onX86 ? 'record --live: the real-mode guest on this host' : `record --live guest: skipped, ${why}`, () => {
  test.skipIf(!onX86)('MMIO to an address no device claims exits to the VMM, which answers reads with the scenario\'s value (as in the capture: 0xe0000, 0xd0000004)', async () => {
    const out = join(dir, 'guest.devrr');
    const r = await devrr('record', scenario('mmio.json', { arch: 'x86_64', steps: [
      { op: 'create_vcpu', id: 0 },
      { op: 'run_vcpu', vcpu: 0 },
      { op: 'mmio', vcpu: 0, dir: 'write', addr: 0xe0000, len: 4, value: 0x11223344 },
      { op: 'mmio', vcpu: 0, dir: 'read', addr: 0xe0000, len: 4, value: 0xc0de0000, expect_value: 0xc0de0000 },
      { op: 'mmio', vcpu: 0, dir: 'read', addr: 0xd0000004, len: 2, value: 0xc0de0004, expect_value: 4 },
    ] }), '-o', out, '--live');
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
    const t = TraceReader.open(out);
    const mmio = [...t.events()].filter((e) => e.kind === 'mmio');
    expect(mmio.map((e) => [e.exit, e.value, e.errno])).toEqual([[true, 0x11223344n, 0], [true, 0xc0de0000n, 0], [true, 4n, 0]]);
    t.close();
    // The models agree with the kernel on all of it.
    expect((await devrr('replay', out)).code).toBe(0);
  });

  test.skipIf(!onX86)('an 8-byte access or one inside the guest\'s own RAM is refused with the step, before /dev/kvm is opened', async () => {
    const r = await devrr('record', scenario('wide.json', { arch: 'x86_64', steps: [{ op: 'create_vcpu', id: 0 }, { op: 'mmio', vcpu: 0, dir: 'read', addr: 0xe0000, len: 8 }] }), '-o', join(dir, 'w.devrr'), '--live');
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/step 1 cannot run on this host: an 8-byte access: the live guest runs in real mode/)]);
    const low = await devrr('record', scenario('low.json', { arch: 'x86_64', steps: [{ op: 'create_vcpu', id: 0 }, { op: 'mmio', vcpu: 0, dir: 'read', addr: 0x2000, len: 4 }] }), '-o', join(dir, 'l.devrr'), '--live');
    expect(low.err).toMatch(/step 1 cannot run on this host: address 0x2000 is in the live guest's own RAM/);
  });
});

/**
 * The x86 in-kernel irqchip on a real kernel: KVM_CREATE_IRQCHIP, each chip's
 * KVM_GET_IRQCHIP, KVM_IRQ_LINE_STATUS and the guest programming the master
 * 8259 through its ports, recorded live and replayed against the models:
 * no divergence means the kernel and the models agree on every byte and status.
 */
const IRQCHIP_LIVE = {
  arch: 'x86_64',
  steps: [
    { op: 'create_irqchip' },
    { op: 'create_vcpu', id: 0 },
    { op: 'create_irqchip', expect: 'EEXIST' },
    { op: 'get_irqchip', chip: 0 },
    { op: 'get_irqchip', chip: 1 },
    { op: 'get_irqchip', chip: 2, expect_data: '0000c0fe00000000' },
    { op: 'get_irqchip', chip: 3, expect: 'EINVAL' },
    { op: 'irq_line', irq: 4, level: 1, status: true },
    { op: 'irq_line', irq: 4, level: 0, status: true },
    // ICW1-ICW4 to the master (vectors from 0x20), then OCW1 masking all but IR2 and IR4, as the capture's guest does.
    { op: 'pio', vcpu: 0, dir: 'out', port: 0x20, len: 1, value: 0x11 },
    { op: 'pio', vcpu: 0, dir: 'out', port: 0x21, len: 1, value: 0x20 },
    { op: 'pio', vcpu: 0, dir: 'out', port: 0x21, len: 1, value: 0x04 },
    { op: 'pio', vcpu: 0, dir: 'out', port: 0x21, len: 1, value: 0x01 },
    { op: 'pio', vcpu: 0, dir: 'out', port: 0x21, len: 1, value: 0xeb },
    { op: 'pio', vcpu: 0, dir: 'in', port: 0x21, len: 1, expect_value: 0xeb },
    { op: 'irq_line', irq: 4, level: 1, status: true },
    { op: 'irq_line', irq: 4, level: 1, status: true },
    { op: 'irq_line', irq: 0, level: 1, status: true },
    { op: 'get_irqchip', chip: 0, save_as: 'MASTER' },
    { op: 'get_irqchip', chip: 2 },
    { op: 'get_lapic', vcpu: 0, save_as: 'LAPIC' },
    { op: 'set_lapic', vcpu: 0, data: '$LAPIC' },
    { op: 'set_irqchip', chip: 0, data: '$MASTER' },
    { op: 'get_irqchip', chip: 0 },
  ],
};

describe(onX86 ? 'record --live: the x86 in-kernel irqchip on this host' : `record --live irqchip: skipped, ${why}`, () => {
  test.skipIf(!onX86)('the real kernel agrees with the models: a live irqchip recording replays with no divergence (kvm_vm_ioctl_get_irqchip, kvm_set_irq, kernel_pio)', async () => {
    const out = join(dir, 'irqchip.devrr');
    const r = await devrr('record', scenario('irqchip.json', IRQCHIP_LIVE), '-o', out, '--live');
    expect([r.code, r.out, r.err.trim()]).toEqual([0, '', expect.stringMatching(/^recorded 25 events to /)]);
    const t = TraceReader.open(out);
    const evs = [...t.events()] as unknown as Record<string, unknown>[];
    t.close();
    // What the kernel answered: the chips' struct sizes, and kvm_set_irq's statuses (the non-negative answers of the PIC and the
    // IOAPIC summed; -1 when both said masked: GSI 0 once OCW1 masks IR0, the IOAPIC's pins masked since reset). The replay below
    // checks that the models give each of these too.
    expect(evs.filter((e) => e.kind === 'get_irqchip' && !e.errno).map((e) => (e.data as Uint8Array).length)).toEqual([16, 16, 216, 16, 216, 16]);
    expect(evs.filter((e) => e.kind === 'irq_line_status').map((e) => e.status)).toEqual([1n, 2n, 1n, 1n, -1n]);
    expect(evs.find((e) => e.kind === 'pio' && !e.write)!.value).toBe(0xebn);
    const replay = await devrr('replay', out);
    expect([replay.code, replay.out]).toEqual([0, expect.stringMatching(/no divergence/)]);
  });

  test.skipIf(!onX86)('KVM_IRQ_LINE (no status) and KVM_SIGNAL_MSI on a real kernel: the models give the same errno and delivery count (kvm_vm_ioctl_irq_line, kvm_send_userspace_msi)', async () => {
    const out = join(dir, 'msi.devrr');
    const r = await devrr('record', scenario('msi.json', { arch: 'x86_64', steps: [
      { op: 'irq_line', irq: 4, level: 1, expect: 'ENXIO' },
      { op: 'signal_msi', address: 0xfee00000, data: 0x41, expect: 'EINVAL' },
      { op: 'create_irqchip' },
      { op: 'create_vcpu', id: 0 },
      { op: 'irq_line', irq: 4, level: 1 },
      { op: 'irq_line', irq: 4, level: 0 },
      // The local APIC is software-disabled after reset: the MSI is not delivered (0), as the capture's first MSI.
      { op: 'signal_msi', address: 0xfee00000, data: 0x41 },
      { op: 'signal_msi', address: 0xfee00000, data: 0x41, flags: 2, expect: 'EINVAL' },
    ] }), '-o', out, '--live');
    expect([r.code, r.out]).toEqual([0, '']);
    const t = TraceReader.open(out);
    const msi = [...t.events()].filter((e) => e.kind === 'signal_msi') as unknown as { errno: number; ret: number }[];
    t.close();
    expect(msi.map((m) => [m.errno, m.ret])).toEqual([[22, 0], [0, 0], [22, 0]]);
    expect((await devrr('replay', out)).code).toBe(0);
  });

  test.skipIf(!onX86)("the x86-ioapic-remote-irr example without its take_interrupt steps: the guest programs the IOAPIC by MMIO, remote_irr refuses the second raise (-1), and the models agree byte for byte (ioapic_service, ioapic_mmio_write)", async () => {
    const example = JSON.parse(readFileSync('traces/examples/x86-ioapic-remote-irr/x86-ioapic-remote-irr.json', 'utf8')) as { steps: Record<string, unknown>[] };
    // Without the vcpu taking 0x35 it stays in IRR, not ISR: the ISR expectation is the example's own, left out here.
    const steps = example.steps
      .filter((st) => st.op !== 'take_interrupt')
      .map((st) => {
        if (st.op !== 'get_lapic') return st;
        const { expect_data: _isr, ...rest } = st;
        return rest;
      });
    const out = join(dir, 'remote-irr.devrr');
    const r = await devrr('record', scenario('remote-irr.json', { arch: 'x86_64', steps: [...steps, { op: 'get_irqchip', chip: 2, expect_data: `${'xx'.repeat(24 + 8 * 17)}35c0` }] }), '-o', out, '--live');
    expect([r.code, r.out]).toEqual([0, '']);
    const t = TraceReader.open(out);
    const statuses = [...t.events()].filter((e) => (e.kind as string) === 'irq_line_status').map((e) => (e as unknown as { status: bigint }).status);
    t.close();
    expect(statuses).toEqual([1n, 1n, -1n]);
    const replay = await devrr('replay', out);
    expect([replay.code, replay.out]).toEqual([0, expect.stringMatching(/no divergence/)]);
  });

  test.skipIf(!onX86)('take_interrupt is refused live with the step: the kernel injects on its own', async () => {
    const r = await devrr('record', scenario('take.json', { arch: 'x86_64', steps: [{ op: 'create_irqchip' }, { op: 'create_vcpu', id: 0 }, { op: 'take_interrupt', vcpu: 0 }] }), '-o', join(dir, 't.devrr'), '--live');
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/step 2 cannot run on this host: take_interrupt/)]);
  });
});

describe('record --live refuses what the host cannot run, before touching /dev/kvm', () => {
  test.skipIf(!!unavailable)('a VM of another architecture: exit 2, one line, no file', async () => {
    const other = hostDevrrArch() === 'arm64' ? 'x86_64' : 'arm64';
    const out = join(dir, 'other.devrr');
    const r = await devrr('record', scenario('other.json', { arch: other, steps: [{ op: 'create_vcpu', id: 0 }] }), '-o', out, '--live');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`cannot run on this host: the VM is ${other} but this host is`));
    expect(r.err.split('\n')).toHaveLength(1);
  });

  test.skipIf(!!unavailable)('a guest event the live guest does not make: exit 2 naming the step', async () => {
    const r = await devrr('record', scenario('guest.json', { arch: hostDevrrArch(), steps: [{ op: 'create_vcpu', id: 0 }, { op: 'mem_write', addr: 0x1000, data: '00' }] }), '-o', join(dir, 'g.devrr'), '--live');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/step 1 cannot run on this host: mem_write is a guest event/);
  });

  test.skipIf(!unavailable)(`without a usable /dev/kvm the reason is given: ${unavailable ?? '(this host has one)'}`, async () => {
    const r = await devrr('record', scenario('any.json', { arch: 'x86_64', steps: [] }), '-o', join(dir, 'a.devrr'), '--live');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/devrr record --live: /);
  });
});
