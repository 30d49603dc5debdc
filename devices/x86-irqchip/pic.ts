/**
 * The dual 8259 (arch/x86/kvm/i8259.c): KVM_PIO_BUS ports 0x20-0x21
 * (master), 0xa0-0xa1 (slave) and the ELCRs at 0x4d0-0x4d1 (kvm_pic_init),
 * the IRQ pins the routing table drives (kvm_pic_set_irq), and the
 * interrupt acknowledge a vcpu does when it takes an ExtINT
 * (kvm_pic_read_irq). Every function follows the kernel function named.
 */
import type { VmCtx } from '../core/device.js';
import { ACC8, RegTable } from '../core/regtable.js';
import { acceptPicIntr } from './lapic.js';
import type { Kpic, X86IrqchipState } from './state.js';

/** Port ranges (PortRange.kind) the PIC registers on KVM_PIO_BUS. */
export const PORT = { MASTER: 0, SLAVE: 1, ELCR: 2 } as const;

/** pic_set_irq1: drive pin `irq` of one chip; 1 if a new request was latched, 0 if coalesced, -1 if masked. */
export function picSetIrq1(s: Kpic, irq: number, level: number): number {
  const mask = 1 << irq;
  let ret = 1;
  if (s.elcr & mask) {
    // level triggered
    if (level) {
      ret = s.irr & mask ? 0 : 1;
      s.irr |= mask;
      s.last_irr |= mask;
    } else {
      s.irr &= ~mask;
      s.last_irr &= ~mask;
    }
  } else if (level) {
    // edge triggered: only a rising edge latches
    if ((s.last_irr & mask) === 0) {
      ret = s.irr & mask ? 0 : 1;
      s.irr |= mask;
    }
    s.last_irr |= mask;
  } else s.last_irr &= ~mask;
  return s.imr & mask ? -1 : ret;
}

/** get_priority: the highest priority in `mask` (0 highest) relative to priority_add; 8 if none. */
function getPriority(s: Kpic, mask: number): number {
  if (mask === 0) return 8;
  let priority = 0;
  while ((mask & (1 << ((priority + s.priority_add) & 7))) === 0) priority++;
  return priority;
}

/** pic_get_irq: the IRQ this chip wants to raise, or -1. `master` selects the special fully nested rule. */
export function picGetIrq(s: Kpic, master: boolean): number {
  const priority = getPriority(s, s.irr & ~s.imr);
  if (priority === 8) return -1;
  // Special fully nested mode on the master: the slave's IR2 is not counted as in service.
  let mask = s.isr;
  if (s.special_fully_nested_mode && master) mask &= ~(1 << 2);
  const cur = getPriority(s, mask);
  return priority < cur ? (priority + s.priority_add) & 7 : -1;
}

/** pic_update_irq: cascade the slave's request into master IR2 as an edge, then drive the INTR output (pic_irq_request). */
export function picUpdateIrq(s: X86IrqchipState): void {
  if (picGetIrq(s.pics[1]!, false) >= 0) {
    picSetIrq1(s.pics[0]!, 2, 1);
    picSetIrq1(s.pics[0]!, 2, 0);
  }
  s.pic_output = picGetIrq(s.pics[0]!, true) >= 0 ? 1 : 0;
}

/** kvm_pic_set_irq: pin 0-15 of the pair (the routing entry's pin + 8 for the slave). */
export function kvmPicSetIrq(s: X86IrqchipState, irq: number, level: number): number {
  const ret = picSetIrq1(s.pics[irq >> 3]!, irq & 7, level ? 1 : 0);
  picUpdateIrq(s);
  return ret;
}

/** pic_clear_isr: end of service for `irq` (the ack notifiers it calls have no listener here). */
function picClearIsr(p: Kpic, irq: number): void {
  p.isr &= ~(1 << irq);
}

/** pic_intack: IRR -> ISR (a level-triggered request stays in IRR); auto-EOI clears ISR at once. */
function picIntack(p: Kpic, irq: number): void {
  p.isr |= 1 << irq;
  if (!(p.elcr & (1 << irq))) p.irr &= ~(1 << irq);
  if (p.auto_eoi) {
    if (p.rotate_on_auto_eoi) p.priority_add = (irq + 1) & 7;
    picClearIsr(p, irq);
  }
}

/** kvm_pic_read_irq: the interrupt acknowledge cycle; the vector (irq_base + IRQ, IRQ 7 when spurious). */
export function kvmPicReadIrq(s: X86IrqchipState): number {
  s.pic_output = 0;
  const [m, sl] = [s.pics[0]!, s.pics[1]!];
  let irq = picGetIrq(m, true);
  let intno: number;
  if (irq >= 0) {
    picIntack(m, irq);
    if (irq === 2) {
      let irq2 = picGetIrq(sl, false);
      if (irq2 >= 0) picIntack(sl, irq2);
      else irq2 = 7; // spurious IRQ on the slave
      intno = sl.irq_base + irq2;
      irq = irq2 + 8;
    } else intno = m.irq_base + irq;
  } else {
    irq = 7; // spurious IRQ on the master
    intno = m.irq_base + irq;
  }
  picUpdateIrq(s);
  return intno & 0xff;
}

/** Whether any vcpu takes PIC interrupts (the loop in pic_unlock and kvm_pic_reset over kvm_apic_accept_pic_intr). */
function anyAcceptsPic(s: X86IrqchipState): boolean {
  return s.lapics.some((regs) => acceptPicIntr(regs));
}

/** kvm_pic_reset (ICW1): edge requests dropped, IMR cleared, init sequence started; edge IRQs' ISR bits cleared if a vcpu takes PIC interrupts. */
function kvmPicReset(s: X86IrqchipState, p: Kpic): void {
  const edgeIrr = p.irr & ~p.elcr;
  p.last_irr = 0;
  p.irr &= p.elcr;
  p.imr = 0;
  p.priority_add = 0;
  p.special_mask = 0;
  p.read_reg_select = 0;
  if (!p.init4) {
    p.special_fully_nested_mode = 0;
    p.auto_eoi = 0;
  }
  p.init_state = 1;
  if (!anyAcceptsPic(s)) return;
  for (let irq = 0; irq < 8; irq++) if (edgeIrr & (1 << irq)) picClearIsr(p, irq);
}

/** pic_ioport_write: `addr` bit 0 selects the command (ICW1, OCW2, OCW3) or data (ICW2-4, OCW1) port. */
export function picIoportWrite(s: X86IrqchipState, chip: number, addr: number, val: number): void {
  const p = s.pics[chip]!;
  if ((addr & 1) === 0) {
    if (val & 0x10) {
      // ICW1 (single mode and level-sensitive mode are refused with a log line only)
      p.init4 = val & 1;
      kvmPicReset(s, p);
    } else if (val & 0x08) {
      // OCW3
      if (val & 0x04) p.poll = 1;
      if (val & 0x02) p.read_reg_select = val & 1;
      if (val & 0x40) p.special_mask = (val >> 5) & 1;
    } else {
      // OCW2
      const cmd = val >> 5;
      switch (cmd) {
        case 0:
        case 4:
          p.rotate_on_auto_eoi = cmd >> 2;
          break;
        case 1: // non-specific EOI
        case 5: {
          const priority = getPriority(p, p.isr);
          if (priority !== 8) {
            const irq = (priority + p.priority_add) & 7;
            if (cmd === 5) p.priority_add = (irq + 1) & 7;
            picClearIsr(p, irq);
            picUpdateIrq(s);
          }
          break;
        }
        case 3: // specific EOI
          picClearIsr(p, val & 7);
          picUpdateIrq(s);
          break;
        case 6: // set priority
          p.priority_add = (val + 1) & 7;
          picUpdateIrq(s);
          break;
        case 7: {
          // rotate on specific EOI
          const irq = val & 7;
          p.priority_add = (irq + 1) & 7;
          picClearIsr(p, irq);
          picUpdateIrq(s);
          break;
        }
        default:
          break; // 2: no operation
      }
    }
    return;
  }
  switch (p.init_state) {
    case 0:
      // OCW1: the mask (kvm_fire_mask_notifiers has no listener here)
      p.imr = val & 0xff;
      picUpdateIrq(s);
      break;
    case 1:
      p.irq_base = val & 0xf8;
      p.init_state = 2;
      break;
    case 2:
      p.init_state = p.init4 ? 3 : 0;
      break;
    case 3:
      p.special_fully_nested_mode = (val >> 4) & 1;
      p.auto_eoi = (val >> 1) & 1;
      p.init_state = 0;
      break;
  }
}

/** pic_poll_read: a read in poll mode acknowledges the highest request. `addr1` is the port (0x20/0x21, 0xa0/0xa1). */
function picPollRead(s: X86IrqchipState, chip: number, addr1: number): number {
  const p = s.pics[chip]!;
  let ret = picGetIrq(p, chip === 0);
  if (ret >= 0) {
    if (addr1 >> 7) {
      s.pics[0]!.isr &= ~(1 << 2);
      s.pics[0]!.irr &= ~(1 << 2);
    }
    p.irr &= ~(1 << ret);
    picClearIsr(p, ret);
    if (addr1 >> 7 || ret !== 2) picUpdateIrq(s);
  } else {
    ret = 0x07;
    picUpdateIrq(s);
  }
  return ret;
}

/** pic_ioport_read: poll mode, else IRR or ISR (OCW3's choice) at the command port and IMR at the data port. */
export function picIoportRead(s: X86IrqchipState, chip: number, addr1: number): number {
  const p = s.pics[chip]!;
  if (p.poll) {
    const ret = picPollRead(s, chip, addr1);
    p.poll = 0;
    return ret;
  }
  if ((addr1 & 1) === 0) return p.read_reg_select ? p.isr : p.irr;
  return p.imr;
}

const cmdRow = (chip: number, base: number) => ({
  name: 'PIC_CMD',
  offset: 0,
  size: 1,
  widths: ACC8,
  read: (_vm: VmCtx, s: X86IrqchipState) => picIoportRead(s, chip, base),
  write: (_vm: VmCtx, s: X86IrqchipState, _v: number, _o: number, _l: number, val: number) => picIoportWrite(s, chip, base, val & 0xff),
});
const dataRow = (chip: number, base: number) => ({
  name: 'PIC_DATA',
  offset: 1,
  size: 1,
  widths: ACC8,
  read: (_vm: VmCtx, s: X86IrqchipState) => picIoportRead(s, chip, base + 1),
  write: (_vm: VmCtx, s: X86IrqchipState, _v: number, _o: number, _l: number, val: number) => picIoportWrite(s, chip, base + 1, val & 0xff),
});

/** The master's ports 0x20 (command: ICW1/OCW2/OCW3; reads IRR/ISR) and 0x21 (data: ICW2-4/OCW1; reads IMR). */
export const PIC_MASTER_PORTS = new RegTable<X86IrqchipState>('8259 master (0x20)', 2, [cmdRow(0, 0x20), dataRow(0, 0x20)]);
/** The slave's ports 0xa0 and 0xa1. */
export const PIC_SLAVE_PORTS = new RegTable<X86IrqchipState>('8259 slave (0xa0)', 2, [cmdRow(1, 0xa0), dataRow(1, 0xa0)]);
/** ELCR0 (0x4d0, master) and ELCR1 (0x4d1, slave): elcr_ioport_write keeps only the bits elcr_mask allows. */
export const PIC_ELCR_PORTS = new RegTable<X86IrqchipState>('8259 ELCR (0x4d0)', 2, [
  {
    name: 'ELCR',
    offset: 0,
    size: 1,
    count: 2,
    widths: ACC8,
    read: (_vm, s, _v, off) => s.pics[off]!.elcr,
    write: (_vm, s, _v, off, _l, val) => {
      const p = s.pics[off]!;
      p.elcr = val & p.elcr_mask & 0xff;
    },
  },
]);

export const PORT_TABLES = [PIC_MASTER_PORTS, PIC_SLAVE_PORTS, PIC_ELCR_PORTS] as const;

/**
 * picdev_read/picdev_write: a port access inside one of the ranges. Only
 * byte accesses reach the chip; any other width is ignored and reads 0
 * (the "non byte read/write" refusals).
 */
export function picPio(vm: VmCtx, s: X86IrqchipState, vcpu: number, range: number, off: number, len: number, write: boolean, value: number): number {
  const row = PORT_TABLES[range]?.lookup(off, len);
  if (!row) return 0;
  if (write) {
    row.write(vm, s, vcpu, off, len, value & 0xff);
    return 0;
  }
  return row.read(vm, s, vcpu, off, len) & 0xff;
}
