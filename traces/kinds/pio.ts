/**
 * `pio`: a guest port access (IN/OUT) inside KVM_RUN, the first kind
 * declared purely as data (traces/kinds.ts). The x86 emulator's
 * kernel_pio (arch/x86/kvm/x86.c) offers it to the devices on KVM_PIO_BUS
 * (kvm_io_bus_read/write); one no device claims exits to the VMM
 * (KVM_EXIT_IO), and an IN is then answered by the VMM: the value recorded,
 * as an unclaimed `mmio` read is.
 */
import { errnoName } from '../../devices/core/uapi.js';
import type { DeclaredEvent, EventKindDecl } from '../kinds.js';

/** A `pio` event. */
export interface PioEvent extends DeclaredEvent {
  readonly kind: 'pio';
  readonly vcpu: number;
  /** OUT (true) or IN. */
  readonly write: boolean;
  readonly port: number;
  readonly len: 1 | 2 | 4;
  /** Written value, or the value an IN returned (the VMM's answer on an exit). */
  readonly value: bigint;
  /** No device claimed the port: the kernel exited to the VMM (KVM_EXIT_IO). */
  readonly exit: boolean;
  /** KVM_RUN's errno when this access was the vcpu's first run and it failed. */
  readonly errno: number;
}

const hex = (v: bigint | number) => `0x${v.toString(16)}`;

export const PIO: EventKindDecl = {
  name: 'pio',
  since: [1, 2],
  needed: true,
  description: 'a guest port access (IN/OUT) inside KVM_RUN',
  fields: [
    { name: 'vcpu', type: 'u32' },
    { name: 'write', type: 'bool' },
    { name: 'port', type: 'u16' },
    { name: 'len', type: 'len124' },
    { name: 'value', type: 'big' },
    { name: 'exit', type: 'bool' },
    { name: 'errno', type: 'errno' },
  ],
  results: ['errno', 'exit', 'value'],
  column: { value: 'value', len: 'len' },
  scenario: {
    op: 'pio',
    fields: ['vcpu', 'dir', 'port', 'len', 'value', 'expect_value', 'expect'],
    parse(p) {
      const dir = p.oneOf('dir', ['in', 'out'] as const);
      const len = p.uint('len', 0xffffffff);
      if (len !== 1 && len !== 2 && len !== 4) p.fail('len', 'must be 1, 2 or 4');
      if (dir === 'out' && !p.has('value')) p.fail('value', 'missing: an OUT needs the value written');
      if (dir === 'out' && p.has('expect_value')) p.fail('expect_value', 'only an IN returns a value');
      return { vcpu: p.uint('vcpu', 0xffffffff), write: dir === 'out', port: p.uint('port', 0xffff), len, ...(p.has('value') && { value: p.value('value') }) };
    },
    request(f, val) {
      const len = f['len'] as number;
      const value = f['value'] !== undefined ? BigInt.asUintN(len * 8, val(f['value'] as Parameters<typeof val>[0])) : 0n;
      return { vcpu: f['vcpu'], write: f['write'], port: f['port'], len, value, exit: false, errno: 0 };
    },
    readValue: (ev) => (ev['write'] ? undefined : (ev['value'] as bigint)),
  },
  execute(vm, e) {
    const ev = e as PioEvent;
    const r = vm.pio(ev.vcpu, ev.write, ev.port, ev.len, ev.value);
    // An exit to the VMM: an IN returns what the VMM answered (the recorded value).
    const value = r.exit ? ev.value : r.errno ? (ev.write ? ev.value : 0n) : r.value;
    return { errno: r.errno, exit: r.exit, value };
  },
  describe(e, names) {
    const ev = e as PioEvent;
    // The register by the family's describePio, from the device whose port range holds the access.
    const reg = ev.exit ? undefined : names?.port(ev.vm, ev.port, ev.len);
    return `pio vcpu ${ev.vcpu} ${ev.write ? 'out' : 'in '}${reg ? ` ${reg}` : ''} port ${hex(ev.port)}/${ev.len} ${ev.write ? '<-' : '->'} ${hex(ev.value)}${ev.exit ? ' (exit)' : ''}${ev.errno ? ` -> ${errnoName(ev.errno)}` : ''}`;
  },
  jsonNames(e, names) {
    const ev = e as PioEvent;
    const reg = ev.exit ? undefined : names.port(ev.vm, ev.port, ev.len);
    return reg ? { reg } : ({} as Record<string, string>);
  },
};
