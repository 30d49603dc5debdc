/**
 * The real capture's VM A (userspace_log.json) as a devrr scenario: the
 * same calls as x86-irqchip-capture.test.ts drives through the Vm, written
 * as scenario ops (create_irqchip, get/set_irqchip, get/set_lapic,
 * irq_line with "status", signal_msi, and inside each KVM_RUN the guest's
 * pio and mmio accesses and take_interrupt), with every result the
 * capture shows as an expectation: expect_data on each KVM_GET_IRQCHIP
 * (the capture's raw bytes), on each KVM_GET_LAPIC (the registers the
 * capture decodes, xx elsewhere), expect_value on each status, MSI result
 * and vector taken. test/conformance/scenarios/x86-capture-irqchip.json is
 * this function's output; the test regenerates it and compares.
 */
import { parseScenario } from '../../recorder/scenario.js';
import { recordScenario } from '../../recorder/record.js';
import type { TraceEvent } from '../../traces/events.js';
import { applyChange, decodeLapic, fromHex, hex, IN_KERNEL, type LogEntry } from './x86-capture.js';

type Step = Record<string, unknown>;

const h = (v: number | bigint) => `0x${v.toString(16)}`;

/** The APIC registers the capture decodes (decodeLapic), as byte ranges of the page: what expect_data compares. */
function lapicPattern(out: Record<string, any>): string {
  const page = new Uint8Array(1024);
  const known = new Uint8Array(1024);
  const dv = new DataView(page.buffer);
  const reg = (off: number, v: number) => {
    dv.setUint32(off, v >>> 0, true);
    known.fill(1, off, off + 4);
  };
  const num = (v: string | number) => (typeof v === 'number' ? v : Number(v));
  const regs: [string, number][] = [['id', 0x20], ['version', 0x30], ['tpr', 0x80], ['ppr', 0xa0], ['ldr', 0xd0], ['dfr', 0xe0], ['svr', 0xf0], ['esr', 0x280], ['icr_lo', 0x300], ['icr_hi', 0x310], ['lvt_timer', 0x320], ['lvt_thermal', 0x330], ['lvt_perf', 0x340], ['lvt_lint0', 0x350], ['lvt_lint1', 0x360], ['lvt_error', 0x370], ['tmict', 0x380], ['tmcct', 0x390], ['tdcr', 0x3e0]];
  for (const [name, off] of regs) reg(off, num(out[name]));
  for (const [name, base] of [['isr_vectors', 0x100], ['tmr_vectors', 0x180], ['irr_vectors', 0x200]] as const) {
    const words = new Array<number>(8).fill(0);
    for (const v of out[name] as number[]) words[v >> 5]! |= 1 << (v & 31);
    words.forEach((w, k) => reg(base + 0x10 * k, w));
  }
  // Up to the last compared byte; xx for the bytes the capture does not show.
  const last = known.lastIndexOf(1);
  let s = '';
  for (let i = 0; i <= last; i++) s += known[i] ? page[i]!.toString(16).padStart(2, '0') : 'xx';
  return s;
}

/** The scenario of the capture's VM A. `listingAt` checks that an in-kernel access is at the listing's address (throws otherwise). */
export function captureScenario(log: readonly LogEntry[], listingAt: (addr: string) => string | undefined): { arch: string; description: string; steps: Step[] } {
  const steps: Step[] = [];
  const lastChip: Record<number, string> = {};
  for (const e of log) {
    if (!e.phase?.startsWith('vmA') || e.kind !== 'ioctl') continue;
    const expect = e.errno_name ? { expect: e.errno_name } : {};
    const note = `seq ${e.seq} ${e.name}`;
    switch (e.name) {
      case 'KVM_CREATE_IRQCHIP':
        steps.push({ op: 'create_irqchip', ...expect, note });
        break;
      case 'KVM_CREATE_VCPU':
        steps.push({ op: 'create_vcpu', id: e.args.vcpu_id, ...expect, note });
        break;
      case 'KVM_GET_IRQCHIP':
        lastChip[e.args.chip_id] = e.out.raw_hex;
        steps.push({ op: 'get_irqchip', chip: e.args.chip_id, expect_data: e.out.raw_hex, ...expect, note });
        break;
      case 'KVM_SET_IRQCHIP': {
        // The capture program changed one field of the bytes it last read.
        const data = applyChange(fromHex(lastChip[e.args.chip_id]!), e.args.change);
        steps.push({ op: 'set_irqchip', chip: e.args.chip_id, data: hex(data), ...expect, note: `${note}: ${e.args.change}` });
        break;
      }
      case 'KVM_GET_LAPIC':
        steps.push({ op: 'get_lapic', vcpu: 0, expect_data: lapicPattern(e.out), save_as: `LAPIC_${e.seq}`, ...expect, note });
        break;
      case 'KVM_SET_LAPIC': {
        // The page the last get returned (as the models return it: the capture decodes its registers, not its raw bytes), with the change.
        const sc = parseScenario(JSON.stringify({ arch: 'x86_64', steps }), 'capture.json');
        const evs: TraceEvent[] = [];
        recordScenario(sc, { append: (ev) => void evs.push(ev), checkpoint: () => {} });
        const got = evs.filter((x) => x.kind === ('get_lapic' as string)).at(-1) as unknown as { data: Uint8Array };
        const data = applyChange(got.data, e.args.change);
        if (JSON.stringify(decodeLapic(data)) !== JSON.stringify(e.args.state)) throw new Error(`seq ${e.seq}: the page sent differs from the log's state`);
        steps.push({ op: 'set_lapic', vcpu: 0, data: hex(data), ...expect, note: `${note}: ${e.args.change}` });
        break;
      }
      case 'KVM_IRQ_LINE':
        steps.push({ op: 'irq_line', irq: e.args.irq, level: e.args.level, ...expect, note });
        break;
      case 'KVM_IRQ_LINE_STATUS':
        steps.push({ op: 'irq_line', irq: e.args.irq, level: e.args.level, status: true, expect_value: e.out.status, ...expect, note });
        break;
      case 'KVM_SIGNAL_MSI': {
        const address = (BigInt(e.args.address_hi) << 32n) | BigInt(e.args.address_lo);
        steps.push({ op: 'signal_msi', address: h(address), data: h(Number(e.args.data)), flags: e.args.flags, ...(e.args.devid && { devid: e.args.devid }), ...expect, ...(!e.errno_name && { expect_value: e.ret }), note });
        break;
      }
      case 'KVM_RUN': {
        for (const a of IN_KERNEL[e.seq] ?? []) {
          if ('take' in a) {
            steps.push({ op: 'take_interrupt', vcpu: 0, expect_value: h(a.take), note: `seq ${e.seq} KVM_RUN: the guest's ISR for vector ${h(a.take)} runs` });
            continue;
          }
          const asm = listingAt(a.at);
          if (!asm) throw new Error(`no listing line at ${a.at}`);
          if ('out' in a) steps.push({ op: 'pio', vcpu: 0, dir: 'out', port: h(a.out), len: 1, value: h(a.value), note: `seq ${e.seq} KVM_RUN: ${a.at} ${asm}` });
          else steps.push({ op: 'mmio', vcpu: 0, dir: 'write', addr: h(0xfee00000 + a.apicWrite), len: 4, value: h(a.value), note: `seq ${e.seq} KVM_RUN: ${a.at} ${asm}` });
        }
        const x = e.out;
        const exit = `seq ${e.seq} KVM_RUN: ${x.exit_name}`;
        if (x.exit_name === 'KVM_EXIT_MMIO') {
          const write = x.mmio.is_write === 1;
          // A read that exits is answered by the VMM: the capture's response.
          const value = write ? x.mmio.value : e.response?.value ?? '0x0';
          steps.push({ op: 'mmio', vcpu: 0, dir: write ? 'write' : 'read', addr: x.mmio.phys_addr, len: x.mmio.len, value, ...(!write && { expect_value: value }), note: exit });
        } else if (x.exit_name === 'KVM_EXIT_IO') {
          const write = x.io.direction === 'out';
          const value = write ? `0x${Buffer.from(x.io.data_hex, 'hex').reverse().toString('hex')}` : `0x${Buffer.from(e.response?.io_in_data_hex ?? '00', 'hex').reverse().toString('hex')}`;
          steps.push({ op: 'pio', vcpu: 0, dir: write ? 'out' : 'in', port: x.io.port, len: x.io.size, value, ...(!write && { expect_value: value }), note: exit });
        }
        break;
      }
      default:
        break; // KVM_CREATE_VM, memory, registers, MP state: nothing of the irqchip's
    }
  }
  return {
    arch: 'x86_64',
    description:
      "The real x86 capture's VM A (/work/shared/samples/kvm-x86-capture, userspace_log.json) as scenario ops, made by test/conformance/x86-capture-scenario.ts: every KVM_GET_IRQCHIP must return the capture's raw bytes, every KVM_GET_LAPIC the registers the capture decodes, every KVM_IRQ_LINE_STATUS and KVM_SIGNAL_MSI its result; inside each KVM_RUN the guest's in-kernel port and APIC writes (guest_code.json) and the interrupts it took (isr_entry events), then the exit.",
    steps,
  };
}
