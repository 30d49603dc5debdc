/**
 * The real x86 capture (/work/shared/samples/kvm-x86-capture/) as the
 * irqchip tests read it, and decoders that turn the bytes devrr returns
 * into the capture program's own decoded form (field names and number
 * formats of userspace_log.json and irqchip_states.json), reading the
 * bytes at the uapi offsets directly (not through the model's encoders).
 */
import { existsSync, readFileSync } from 'node:fs';

export const CAPTURE_DIR = '/work/shared/samples/kvm-x86-capture';
export const captureAvailable = existsSync(`${CAPTURE_DIR}/userspace_log.json`);

export interface LogEntry {
  seq: number;
  kind: string;
  phase?: string;
  name?: string;
  fd?: number;
  args?: any;
  ret?: number;
  errno_name?: string | null;
  out?: any;
  response?: any;
  t_start_ns?: number;
  event?: string;
  vector?: string;
}

export function loadLog(): LogEntry[] {
  return (JSON.parse(readFileSync(`${CAPTURE_DIR}/userspace_log.json`, 'utf8')) as { entries: LogEntry[] }).entries;
}

export function loadStates(): any[] {
  return JSON.parse(readFileSync(`${CAPTURE_DIR}/irqchip_states.json`, 'utf8')) as any[];
}

export function loadListing(vm: 'vmA' | 'vmB'): { addr: string; bytes: string; asm: string }[] {
  return (JSON.parse(readFileSync(`${CAPTURE_DIR}/guest_code.json`, 'utf8')) as Record<string, { listing: { addr: string; bytes: string; asm: string }[] }>)[vm]!.listing;
}

export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
export const fromHex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const h8 = (v: number) => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

const PIC_NAMES = ['last_irr', 'irr', 'imr', 'isr', 'priority_add', 'irq_base', 'read_reg_select', 'poll', 'special_mask', 'init_state', 'auto_eoi', 'rotate_on_auto_eoi', 'special_fully_nested_mode', 'init4', 'elcr', 'elcr_mask'];

/** struct kvm_pic_state's bytes as the capture decodes them. */
export function decodePic(b: Uint8Array): Record<string, number> {
  return Object.fromEntries(PIC_NAMES.map((n, i) => [n, b[i]!]));
}

const DM_NAMES = ['Fixed', 'LowestPriority', 'SMI', 'Reserved', 'NMI', 'INIT', 'Reserved', 'ExtINT'];

/** struct kvm_ioapic_state's bytes as the capture decodes them (delivery_mode_name only where the capture shows it: Fixed). */
export function decodeIoapic(b: Uint8Array): Record<string, unknown> {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const redirtbl = [];
  for (let pin = 0; pin < 24; pin++) {
    const bits = dv.getBigUint64(24 + 8 * pin, true);
    const byte = (k: number) => Number((bits >> BigInt(8 * k)) & 0xffn);
    redirtbl.push({
      pin,
      bits: `0x${bits.toString(16).padStart(16, '0')}`,
      vector: byte(0),
      delivery_mode: byte(1) & 7,
      delivery_mode_name: DM_NAMES[byte(1) & 7],
      dest_mode: (byte(1) >> 3) & 1,
      delivery_status: (byte(1) >> 4) & 1,
      polarity: (byte(1) >> 5) & 1,
      remote_irr: (byte(1) >> 6) & 1,
      trig_mode: (byte(1) >> 7) & 1,
      mask: byte(2) & 1,
      reserve: byte(2) >> 1,
      reserved: h8(dv.getUint32(24 + 8 * pin + 3, true)),
      dest_id: byte(7),
    });
  }
  return {
    base_address: `0x${dv.getBigUint64(0, true).toString(16)}`,
    ioregsel: dv.getUint32(8, true),
    id: dv.getUint32(12, true),
    irr: h8(dv.getUint32(16, true)),
    pad: dv.getUint32(20, true),
    redirtbl,
  };
}

/** The vectors set in a 256-bit APIC register (eight 32-bit words 0x10 apart). */
function vectors(dv: DataView, base: number): number[] {
  const out: number[] = [];
  for (let v = 0; v < 256; v++) if ((dv.getUint32(base + (v >> 5) * 0x10, true) >>> (v & 31)) & 1) out.push(v);
  return out;
}

/** struct kvm_lapic_state's register page as the capture decodes it. */
export function decodeLapic(b: Uint8Array): Record<string, unknown> {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const r = (off: number) => dv.getUint32(off, true);
  return {
    id: h8(r(0x20)),
    version: h8(r(0x30)),
    tpr: r(0x80),
    ppr: r(0xa0),
    ldr: h8(r(0xd0)),
    dfr: h8(r(0xe0)),
    svr: h8(r(0xf0)),
    isr_vectors: vectors(dv, 0x100),
    tmr_vectors: vectors(dv, 0x180),
    irr_vectors: vectors(dv, 0x200),
    esr: r(0x280),
    icr_lo: h8(r(0x300)),
    icr_hi: h8(r(0x310)),
    lvt_timer: h8(r(0x320)),
    lvt_thermal: h8(r(0x330)),
    lvt_perf: h8(r(0x340)),
    lvt_lint0: h8(r(0x350)),
    lvt_lint1: h8(r(0x360)),
    lvt_error: h8(r(0x370)),
    tmict: r(0x380),
    tmcct: r(0x390),
    tdcr: r(0x3e0),
  };
}

/** The capture's IOAPIC form without delivery_mode_name where it is not 'Fixed' (the only name the capture shows). */
export function comparableIoapic(io: any): any {
  return { ...io, redirtbl: io.redirtbl.map((e: any) => (e.delivery_mode === 0 ? e : { ...e, delivery_mode_name: undefined })) };
}

/** A guest action inside KVM_RUN that the kernel handled: a port write or an APIC write at a listing address, or an interrupt taken. */
export type InKernel = { at: string; out: number; value: number } | { at: string; apicWrite: number; value: number } | { take: number };

/**
 * What the guest did inside each KVM_RUN (by the log's seq) before the exit
 * the log shows, read off guest_code.json's listing: `at` is the
 * instruction's address, `value` what AL held (the mov before it).
 */
export const IN_KERNEL: Record<number, InKernel[]> = {
  // 0x050a..0x052c: ICW1-4 to both 8259s, then OCW1 masks (master 0xeb: IR2+IR4 open, slave 0xfb: IR2 open).
  134: [
    { at: '0x050c', out: 0x20, value: 0x11 },
    { at: '0x050e', out: 0xa0, value: 0x11 },
    { at: '0x0512', out: 0x21, value: 0x20 },
    { at: '0x0516', out: 0xa1, value: 0x28 },
    { at: '0x051a', out: 0x21, value: 0x04 },
    { at: '0x051e', out: 0xa1, value: 0x02 },
    { at: '0x0522', out: 0x21, value: 0x01 },
    { at: '0x0524', out: 0xa1, value: 0x01 },
    { at: '0x0528', out: 0x21, value: 0xeb },
    { at: '0x052c', out: 0xa1, value: 0xfb },
  ],
  // IF=1 after sync 1: the slave's IRQ10 (through master IR2) is taken first, its ISR reports at 0x0627.
  183: [{ take: 0x2a }],
  // ISR 0x2a: EOI slave, EOI master, iret; then IRQ4 (vector 0x24).
  186: [{ at: '0x062e', out: 0xa0, value: 0x20 }, { at: '0x0630', out: 0x20, value: 0x20 }, { take: 0x24 }],
  // ISR 0x24: EOI master, iret; counter reached 2: OCW1 masks IR4, then SYNC 2.
  189: [{ at: '0x060e', out: 0x20, value: 0x20 }, { at: '0x05b4', out: 0x21, value: 0xfb }],
  // The APIC, now enabled, holds 0x34 (IOAPIC pin 4) and 0x41 (MSI): the higher class first.
  217: [{ take: 0x41 }],
  // ISR 0x41: APIC EOI (in-kernel MMIO 0xfee000b0), iret; then 0x34.
  220: [{ at: '0x066c', apicWrite: 0xb0, value: 0 }, { take: 0x34 }],
  // ISR 0x34: APIC EOI of the level-triggered vector (the IOAPIC's remote_irr clears), iret; SYNC 3.
  223: [{ at: '0x064c', apicWrite: 0xb0, value: 0 }],
  // The helper thread's GSI 10 pulse wakes the halted guest: vector 0x2a again.
  234: [{ take: 0x2a }],
  237: [{ at: '0x062e', out: 0xa0, value: 0x20 }, { at: '0x0630', out: 0x20, value: 0x20 }],
};

/** Applies a "SVR(0xf0)=0x1ff" or "redirtbl[4]=0x0000000000008034" change, as the capture program made it, to bytes it last read. */
export function applyChange(bytes: Uint8Array, change: string): Uint8Array {
  const out = bytes.slice();
  const dv = new DataView(out.buffer);
  let m = /^\w+\((0x[0-9a-f]+)\)=(0x[0-9a-f]+)$/.exec(change);
  if (m) {
    dv.setUint32(Number(m[1]), Number(m[2]), true);
    return out;
  }
  m = /^redirtbl\[(\d+)\]=(0x[0-9a-f]+)$/.exec(change);
  if (!m) throw new Error(`unknown change ${change}`);
  dv.setBigUint64(24 + 8 * Number(m[1]), BigInt(m[2]!), true);
  return out;
}
