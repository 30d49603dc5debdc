/**
 * The named view of a VFIO-PCI device file (diff, watchpoints, the TUI's
 * state pane): the vfio interrupt setup by name, with eventfds named by the
 * fd the VMM passed, the command register's bits, and the register files.
 */
import { VFIO_PCI_IRQ } from '../uapi.js';
import { IRQ_NONE, type VfioPciState } from './state.js';

const IRQ_NAMES = ['INTx', 'MSI', 'MSI-X', 'ERR', 'REQ'];

/** `fdOf(slot)`: the fd of a file-table slot; -1 stays -1 (no eventfd). */
export function pciView(s: VfioPciState, fdOf: (slot: number) => number): Record<string, unknown> {
  const fd = (slot: number) => (slot < 0 ? -1 : fdOf(slot));
  const cmd = s.config[0x04]! | (s.config[0x05]! << 8);
  return {
    profile: s.profile,
    irq_type: s.irqType === IRQ_NONE ? 'none' : IRQ_NAMES[s.irqType],
    vectors: s.triggers.map((t, i) => ({ vector: i, trigger_fd: fd(t) })),
    intx: { masked: s.intxMasked, line: s.intxLine, unmask_fd: fd(s.intxUnmask) },
    err_fd: fd(s.errTrigger),
    req_fd: fd(s.reqTrigger),
    command: { io: (cmd & 1) !== 0, memory: (cmd & 2) !== 0, bus_master: (cmd & 4) !== 0, intx_disable: (cmd & 0x400) !== 0 },
    resets: s.resets,
    config: s.config,
    bars: s.bars,
  };
}

export const MSIX_INDEX = VFIO_PCI_IRQ.VFIO_PCI_MSIX_IRQ_INDEX;
