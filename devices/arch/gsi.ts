/**
 * The KVM_IRQ_LINE encoding of the architectures whose `irq` is a GSI, an
 * input of the in-kernel irqchip's routing table (kvm_set_irq): x86_64
 * (the PIC/IOAPIC pins) and ppc64 (MPIC or XICS sources).
 */
import type { IrqLine, IrqLineRules } from '../core/arch.js';
import { ERRNO } from '../core/uapi.js';

export const GSI_LINES: Omit<IrqLineRules, 'ioctl'> = {
  decode: (irq: number): IrqLine => ({ type: 'GSI', num: irq >>> 0 }),
  encode: (line: IrqLine) => (line.type === 'GSI' && Number.isInteger(line.num) && line.num >= 0 && line.num <= 0xffffffff ? line.num : undefined),
  describe: (irq: number) => `GSI ${irq >>> 0}`,
  parse(text: string) {
    const m = /^GSI (\d+)$/.exec(text);
    const n = m ? Number(m[1]) : -1;
    return n >= 0 && n <= 0xffffffff ? n : undefined;
  },
  // kvm_vm_ioctl_irq_line (x86 irq.c, powerpc.c): no in-kernel irqchip, ENXIO.
  withoutIrqchip: () => ERRNO.ENXIO,
};
