/**
 * `vfio_irq`: the assigned device itself raises an interrupt (hardware,
 * not an ioctl): vfio_intx_handler automasks INTx and signals its eventfd;
 * vfio_msihandler signals the vector's eventfd; an irqfd on that eventfd
 * injects its MSI (kvm_set_msi, to the irqchip), otherwise the count grows
 * for the VMM to read. The outcome says where it stopped: not enabled by
 * vfio, no eventfd, bus mastering off, INTx masked.
 */
import type { DeclaredEvent, EventKindDecl } from '../kinds.js';
import { fdOfSlot } from '../../devices/core/files.js';
import { err, fdOf, hex, IRQ_INDEX_NAMES, irqName, OUTCOMES } from './vfio-names.js';

export interface VfioIrqEvent extends DeclaredEvent {
  readonly kind: 'vfio_irq';
  readonly fd: number;
  readonly index: number;
  readonly vector: number;
  /** INTx: 1 asserts the line, 0 deasserts it; 1 for an MSI. */
  readonly level: number;
  readonly errno: number;
  /** OUTCOMES index. */
  readonly outcome: number;
  /** The eventfd signalled, -1 for none. */
  readonly eventfd: number;
  /** Its count after the signal (0 when an irqfd consumed it). */
  readonly count: number;
  /** The MSI its irqfd injected: sent, the irqchip's errno and result, and the message. */
  readonly msi: boolean;
  readonly msiErrno: number;
  readonly msiRet: number;
  readonly msiAddress: bigint;
  readonly msiData: number;
  readonly msiDevid: number;
}

export const VFIO_IRQ: EventKindDecl = {
  name: 'vfio_irq',
  since: [1, 3],
  needed: true,
  description: 'an assigned VFIO device raises an interrupt: its eventfd, and the MSI an irqfd injects',
  fields: [
    { name: 'fd', type: 'u32' },
    { name: 'index', type: 'u32' },
    { name: 'vector', type: 'u32' },
    { name: 'level', type: 'u32' },
    { name: 'errno', type: 'errno' },
    { name: 'outcome', type: 'u32' },
    { name: 'eventfd', type: 'i32m1' },
    { name: 'count', type: 'addr' },
    { name: 'msi', type: 'bool' },
    { name: 'msiErrno', type: 'errno' },
    { name: 'msiRet', type: 'u32' },
    { name: 'msiAddress', type: 'big' },
    { name: 'msiData', type: 'u32' },
    { name: 'msiDevid', type: 'u32' },
  ],
  results: ['errno', 'outcome', 'eventfd', 'count', 'msi', 'msiErrno', 'msiRet', 'msiAddress', 'msiData', 'msiDevid'],
  scenario: {
    op: 'vfio_irq',
    fields: ['fd', 'index', 'vector', 'level', 'expect', 'expect_value'],
    parse: (p) => ({
      fd: p.value('fd'),
      index: p.nameOrUint('index', IRQ_INDEX_NAMES, 0xffffffff),
      vector: p.has('vector') ? p.u32('vector') : 0,
      level: p.has('level') ? p.uint('level', 1) : 1,
    }),
    request: (f, val) => ({
      fd: Number(BigInt.asUintN(32, val(f['fd'] as Parameters<typeof val>[0]))),
      index: f['index'],
      vector: f['vector'],
      level: f['level'],
      errno: 0,
      outcome: 0,
      eventfd: -1,
      count: 0,
      msi: false,
      msiErrno: 0,
      msiRet: 0,
      msiAddress: 0n,
      msiData: 0,
      msiDevid: 0,
    }),
    // expect_value: what the irqchip answered the MSI (1 delivered, 0 blocked); no value when none was sent.
    readValue: (ev) => (ev['msi'] ? BigInt(ev['msiRet'] as number) : undefined),
  },
  execute(vm, e) {
    const ev = e as VfioIrqEvent;
    const r = vm.vfioRaise(fdOf(BigInt(ev.fd)), ev.index, ev.vector, ev.level);
    const s = r.signal;
    const m = s?.msi;
    return {
      errno: r.errno,
      outcome: OUTCOMES.indexOf(r.outcome),
      eventfd: s ? fdOfSlot(s.slot) : -1,
      count: s?.count ?? 0,
      msi: m !== undefined,
      msiErrno: m?.errno ?? 0,
      msiRet: m?.ret ?? 0,
      msiAddress: m?.address ?? 0n,
      msiData: m?.data ?? 0,
      msiDevid: m?.devid ?? 0,
    };
  },
  injectedMsi(e) {
    const ev = e as VfioIrqEvent;
    return ev.msi ? { address: ev.msiAddress, data: ev.msiData, devid: ev.msiDevid, errno: ev.msiErrno, ret: ev.msiRet } : undefined;
  },
  describe(e) {
    const ev = e as VfioIrqEvent;
    const what = `${irqName(ev.index)}${ev.index === 0 ? (ev.level ? ' assert' : ' deassert') : ` vector ${ev.vector}`}`;
    const head = `vfio_irq fd ${fdOf(BigInt(ev.fd))} ${what}`;
    if (ev.errno) return head + err(ev.errno);
    const outcome = OUTCOMES[ev.outcome] ?? `outcome ${ev.outcome}`;
    if (outcome !== 'signalled') return `${head}: ${outcome}`;
    if (!ev.msi) return `${head}: eventfd fd ${ev.eventfd} (count ${ev.count}, no irqfd: the guest is not told)`;
    const to = ev.msiErrno ? err(ev.msiErrno).slice(4) : ev.msiRet ? 'delivered' : 'blocked';
    return `${head}: eventfd fd ${ev.eventfd} -> irqfd MSI ${hex(ev.msiAddress)} data ${ev.msiData} devid ${ev.msiDevid}: ${to}`;
  },
};

export { IRQ_INDEX_NAMES };
