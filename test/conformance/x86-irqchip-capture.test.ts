/**
 * The sample replay: every call of the capture program's VM A
 * (userspace_log.json) is driven through the Vm in order: KVM_CREATE_IRQCHIP,
 * KVM_CREATE_VCPU, KVM_IRQ_LINE(_STATUS), KVM_SET_IRQCHIP, KVM_SET_LAPIC,
 * KVM_SIGNAL_MSI and each KVM_RUN with the exit it ended in. Inside each
 * KVM_RUN the guest did things the kernel handled without an exit (the
 * 8259 programming, interrupts taken, EOIs): those come from the guest's
 * own code (guest_code.json), one listing line per access, and from the
 * log's isr_entry events for the interrupts taken. Every KVM_GET_IRQCHIP
 * and KVM_GET_LAPIC answer must match the capture field for field, and
 * raw byte for raw byte where it gives them; so must each snapshot of
 * irqchip_states.json. VM B (no irqchip) checks the refusals.
 */
import { describe, expect, test } from 'vitest';
import { ERRNO, errnoName } from '../../devices/core/uapi.js';
import type { Vm } from '../../devices/core/vm.js';
import { createVm } from '../../devices/registry.js';
import { applyChange, captureAvailable, comparableIoapic, decodeIoapic, decodeLapic, decodePic, hex, IN_KERNEL, loadListing, loadLog, loadStates, type LogEntry } from './x86-capture.js';

interface Replayed {
  /** Every GET answer by the log's seq: what devrr returned, decoded as the capture decodes it. */
  gets: Map<number, { kind: 'pic' | 'ioapic' | 'lapic'; bytes: Uint8Array }>;
  checked: string[];
  mismatches: string[];
}

function runVmA(log: LogEntry[]): Replayed {
  const listing = loadListing('vmA');
  const vm: Vm = createVm('x86_64');
  const gets: Replayed['gets'] = new Map();
  const mismatches: string[] = [];
  const checked: string[] = [];
  const last: Record<string, Uint8Array> = {};
  const expectRet = (e: LogEntry, errno: number) => {
    const want = e.errno_name ?? 0;
    const got = errno ? errnoName(errno) : 0;
    if (want !== got) mismatches.push(`seq ${e.seq} ${e.name}: expected ${want}, got ${got}`);
  };
  for (const e of log) {
    if (!e.phase?.startsWith('vmA') || e.kind !== 'ioctl') continue;
    switch (e.name) {
      case 'KVM_CREATE_IRQCHIP':
        expectRet(e, vm.createIrqchip());
        break;
      case 'KVM_CREATE_VCPU':
        expectRet(e, vm.createVcpu(e.args.vcpu_id));
        break;
      case 'KVM_GET_IRQCHIP': {
        const chip = e.args.chip_id as number;
        const r = vm.getIrqchip(chip);
        expectRet(e, r.errno);
        gets.set(e.seq, { kind: chip === 2 ? 'ioapic' : 'pic', bytes: r.data });
        last[`chip${chip}`] = r.data;
        break;
      }
      case 'KVM_SET_IRQCHIP': {
        const chip = e.args.chip_id as number;
        const data = applyChange(last[`chip${chip}`]!, e.args.change);
        // The bytes sent hold what the log says was sent.
        const sent = (decodeIoapic(data).redirtbl as any[])[4];
        if (JSON.stringify(sent.bits) !== JSON.stringify(e.args.redirtbl4.bits)) mismatches.push(`seq ${e.seq}: SET_IRQCHIP bytes differ from the log`);
        expectRet(e, vm.setIrqchip(chip, data));
        break;
      }
      case 'KVM_GET_LAPIC': {
        const r = vm.getLapic(0);
        expectRet(e, r.errno);
        gets.set(e.seq, { kind: 'lapic', bytes: r.data });
        last.lapic = r.data;
        break;
      }
      case 'KVM_SET_LAPIC': {
        const data = applyChange(last.lapic!, e.args.change);
        if (JSON.stringify(decodeLapic(data)) !== JSON.stringify(e.args.state)) mismatches.push(`seq ${e.seq}: SET_LAPIC bytes differ from the log's state`);
        expectRet(e, vm.setLapic(0, data));
        break;
      }
      case 'KVM_IRQ_LINE':
        expectRet(e, vm.irqLine(e.args.irq, e.args.level));
        checked.push(`IRQ_LINE ${e.args.irq}=${e.args.level}`);
        break;
      case 'KVM_IRQ_LINE_STATUS': {
        const r = vm.irqLineStatus(e.args.irq, e.args.level);
        expectRet(e, r.errno);
        if (r.status !== e.out.status) mismatches.push(`seq ${e.seq} IRQ_LINE_STATUS gsi ${e.args.irq} level ${e.args.level}: status ${e.out.status} expected, got ${r.status}`);
        checked.push(`IRQ_LINE_STATUS ${e.args.irq}=${e.args.level} -> ${r.status}`);
        break;
      }
      case 'KVM_SIGNAL_MSI': {
        const r = vm.signalMsi({ address: (BigInt(e.args.address_hi) << 32n) | BigInt(e.args.address_lo), data: Number(e.args.data), flags: e.args.flags, devid: e.args.devid });
        expectRet(e, r.errno);
        if (r.ret !== e.ret) mismatches.push(`seq ${e.seq} SIGNAL_MSI: ret ${e.ret} expected, got ${r.ret}`);
        checked.push(`SIGNAL_MSI -> ${r.ret}`);
        break;
      }
      case 'KVM_RUN': {
        for (const a of IN_KERNEL[e.seq] ?? []) {
          if ('take' in a) {
            const r = vm.takeInterrupt(0);
            if (r.vector !== a.take) mismatches.push(`seq ${e.seq}: the vcpu took vector ${r.vector}, the guest's ISR entry says 0x${a.take.toString(16)}`);
            continue;
          }
          const line = listing.find((l) => l.addr === a.at);
          if (!line) throw new Error(`no listing line at ${a.at}`);
          if ('out' in a) {
            // "out 0x20,al" in the listing: the port is the immediate.
            expect(line.asm, `listing ${a.at}`).toMatch(new RegExp(`^out 0x${a.out.toString(16)},al`));
            const r = vm.pio(0, true, a.out, 1, BigInt(a.value));
            if (r.exit || r.errno) mismatches.push(`seq ${e.seq}: in-kernel OUT 0x${a.out.toString(16)} was not taken by the PIC`);
          } else {
            expect(line.asm, `listing ${a.at}`).toContain(`[fs:0xfee000${a.apicWrite.toString(16)}]`);
            const r = vm.mmio(0, true, 0xfee00000 + a.apicWrite, 4, BigInt(a.value));
            if (r.exit || r.errno) mismatches.push(`seq ${e.seq}: in-kernel APIC write was not taken`);
          }
        }
        const x = e.out;
        if (x.exit_name === 'KVM_EXIT_MMIO') {
          const write = x.mmio.is_write === 1;
          const value = write ? BigInt(x.mmio.value) : 0n;
          const r = vm.mmio(0, write, Number(x.mmio.phys_addr), x.mmio.len, value);
          if (!r.exit) mismatches.push(`seq ${e.seq}: MMIO at ${x.mmio.phys_addr} should exit to the VMM`);
        } else if (x.exit_name === 'KVM_EXIT_IO') {
          const write = x.io.direction === 'out';
          const value = write ? BigInt(x.io.value) : 0n;
          const r = vm.pio(0, write, Number(x.io.port), x.io.size, value);
          if (!r.exit) mismatches.push(`seq ${e.seq}: port ${x.io.port} should exit to the VMM`);
        } else if (x.exit_name !== 'KVM_EXIT_INTR') mismatches.push(`seq ${e.seq}: exit ${x.exit_name} not replayed`);
        break;
      }
      default:
        break; // KVM_CREATE_VM, memory, registers: nothing of the irqchip's
    }
  }
  return { gets, checked, mismatches };
}

describe.skipIf(!captureAvailable)('the real x86 capture, replayed through the irqchip models', () => {
  const log = captureAvailable ? loadLog() : [];
  const run = () => runVmA(log);

  test('every call of VM A gives the ioctl result the kernel gave, and the in-kernel accesses are the PIC\'s and the APIC\'s (kvm_arch_vm_ioctl, kvm_set_irq, kvm_send_userspace_msi in x86.c/irq.c)', () => {
    const r = run();
    expect(r.mismatches).toEqual([]);
    // KVM_IRQ_LINE_STATUS: gsi4 with the PIC pin masked and the IOAPIC delivering (1), gsi10 PIC-only then both chips on the low edge (1, then 2).
    expect(r.checked).toEqual([
      'IRQ_LINE 4=1',
      'IRQ_LINE 4=0',
      'IRQ_LINE 10=1',
      'IRQ_LINE 10=0',
      'SIGNAL_MSI -> 0',
      'IRQ_LINE_STATUS 4=1 -> 1',
      'IRQ_LINE_STATUS 4=0 -> 1',
      'SIGNAL_MSI -> 1',
      'IRQ_LINE_STATUS 10=1 -> 1',
      'IRQ_LINE_STATUS 10=0 -> 2',
    ]);
  });

  test('each KVM_GET_IRQCHIP answer equals the capture\'s, raw bytes and every field (kvm_vm_ioctl_get_irqchip, kvm_get_ioapic)', () => {
    const { gets } = run();
    let n = 0;
    for (const e of log.filter((x) => x.phase?.startsWith('vmA') && x.name === 'KVM_GET_IRQCHIP')) {
      const got = gets.get(e.seq)!;
      expect({ seq: e.seq, raw: hex(got.bytes) }).toEqual({ seq: e.seq, raw: e.out.raw_hex });
      if (got.kind === 'pic') expect({ seq: e.seq, pic: decodePic(got.bytes) }).toEqual({ seq: e.seq, pic: e.out.pic });
      else expect({ seq: e.seq, ioapic: comparableIoapic(decodeIoapic(got.bytes)) }).toEqual({ seq: e.seq, ioapic: comparableIoapic(e.out.ioapic) });
      n++;
    }
    expect(n).toBe(31);
  });

  test('each KVM_GET_LAPIC answer equals the capture\'s decoded register page (kvm_apic_get_state)', () => {
    const { gets } = run();
    let n = 0;
    for (const e of log.filter((x) => x.phase?.startsWith('vmA') && x.name === 'KVM_GET_LAPIC')) {
      expect({ seq: e.seq, lapic: decodeLapic(gets.get(e.seq)!.bytes) }).toEqual({ seq: e.seq, lapic: e.out });
      n++;
    }
    expect(n).toBeGreaterThanOrEqual(8);
  });

  test('every snapshot of irqchip_states.json matches: PIC master, PIC slave, IOAPIC (raw bytes and fields) and the LAPIC', () => {
    const { gets } = run();
    const vmA = log.filter((x) => x.phase?.startsWith('vmA'));
    const labels: string[] = [];
    for (const snap of loadStates()) {
      // The snapshot is the GET group that starts right after its timestamp.
      const i = vmA.findIndex((x) => x.name === 'KVM_GET_IRQCHIP' && x.args.chip_id === 0 && x.t_start_ns! >= snap.t_ns);
      const group = vmA.slice(i, i + 4);
      const byChip = (chip: number) => gets.get(group.find((x) => x.name === 'KVM_GET_IRQCHIP' && x.args.chip_id === chip)!.seq)!.bytes;
      for (const [key, chip] of [['PIC_MASTER', 0], ['PIC_SLAVE', 1]] as const) {
        expect({ label: snap.label, key, raw: hex(byChip(chip)), pic: decodePic(byChip(chip)) }).toEqual({ label: snap.label, key, raw: snap[key].raw_hex, pic: snap[key].pic });
      }
      expect({ label: snap.label, raw: hex(byChip(2)), io: comparableIoapic(decodeIoapic(byChip(2))) }).toEqual({ label: snap.label, raw: snap.IOAPIC.raw_hex, io: comparableIoapic(snap.IOAPIC.ioapic) });
      if (snap.LAPIC) {
        const l = group.find((x) => x.name === 'KVM_GET_LAPIC')!;
        expect({ label: snap.label, lapic: decodeLapic(gets.get(l.seq)!.bytes) }).toEqual({ label: snap.label, lapic: snap.LAPIC });
      }
      labels.push(snap.label);
    }
    expect(labels).toHaveLength(10);
  });

  test('VM B has no irqchip: KVM_IRQ_LINE is ENXIO, KVM_SIGNAL_MSI EINVAL, its accesses exit, KVM_GET_IRQCHIP ENXIO and KVM_GET_LAPIC EINVAL (kvm_vm_ioctl_irq_line, kvm_send_userspace_msi, kvm_arch_vm_ioctl, kvm_arch_vcpu_ioctl)', () => {
    const vm = createVm('x86_64');
    for (const e of log.filter((x) => x.phase === 'vmB_no_irqchip' && x.kind === 'ioctl')) {
      if (e.name === 'KVM_CREATE_VCPU') expect(vm.createVcpu(e.args.vcpu_id)).toBe(0);
      if (e.name === 'KVM_IRQ_LINE') expect(errnoName(vm.irqLine(e.args.irq, e.args.level))).toBe(e.errno_name);
      if (e.name === 'KVM_SIGNAL_MSI') expect(errnoName(vm.signalMsi({ address: BigInt(e.args.address_lo), data: Number(e.args.data), flags: 0, devid: 0 }).errno)).toBe(e.errno_name);
      if (e.name === 'KVM_RUN' && e.out.exit_name === 'KVM_EXIT_IO') expect(vm.pio(0, true, Number(e.out.io.port), e.out.io.size, BigInt(e.out.io.value)).exit).toBe(true);
      if (e.name === 'KVM_RUN' && e.out.exit_name === 'KVM_EXIT_MMIO') expect(vm.mmio(0, true, Number(e.out.mmio.phys_addr), e.out.mmio.len, 1n).exit).toBe(true);
    }
    expect(vm.getIrqchip(0).errno).toBe(ERRNO.ENXIO);
    expect(vm.getLapic(0).errno).toBe(ERRNO.EINVAL);
  });
});

