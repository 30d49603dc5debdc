/**
 * The FLIC's state: the VM's floating interrupts (kvm->arch.float_int) and
 * its I/O adapters (kvm->arch.adapters), which the kernel keeps on the VM and
 * reaches only through the FLIC device here (KVM_S390_INTERRUPT is not
 * modelled), so devrr keeps them in the FLIC's slot.
 *
 * The floating queues as arch/s390/include/asm/kvm_host.h lays them out:
 * FIRQ_LIST_IO_ISC_0..7 (one list per interruption subclass), FIRQ_LIST_PFAULT
 * and FIRQ_LIST_VIRTIO, in injection order; the service signal and the
 * floating machine check are one accumulated record each. The counters
 * (FIRQ_CNTR_*) and the pending bits are the lists' lengths and the records'
 * presence, so they are derived, not kept.
 */
import { S, type Infer, sameType, U32, U64 } from '../core/state.js';
import { KVM_S390_MAX_FLOAT_IRQS, KVM_S390_MAX_PFAULT_IRQS, KVM_S390_MAX_VIRTIO_IRQS, MAX_ISC, MAX_S390_IO_ADAPTERS } from './uapi.js';

/** One queued I/O interrupt: its type word (KVM_S390_INT_IO(ai, cssid, ssid, schid)) and struct kvm_s390_io_info. */
export interface IoIrq {
  type: number;
  subchannelId: number;
  subchannelNr: number;
  ioIntParm: number;
  ioIntWord: number;
}

/** struct kvm_s390_ext_info of a queued pfault-done or virtio interrupt. */
export interface ExtIrq {
  extParams: number;
  extParams2: bigint;
}

/** struct s390_io_adapter. */
export interface Adapter {
  id: number;
  isc: number;
  maskable: boolean;
  masked: boolean;
  swap: boolean;
  suppressible: boolean;
}

export interface FlicState {
  /** FIRQ_LIST_IO_ISC_0..7: I/O interrupts per ISC, oldest first. Their total is FIRQ_CNTR_IO. */
  io: IoIrq[][];
  /** FIRQ_LIST_PFAULT: KVM_S390_INT_PFAULT_DONE records. */
  pfault: ExtIrq[];
  /** FIRQ_LIST_VIRTIO: KVM_S390_INT_VIRTIO records. */
  virtio: ExtIrq[];
  /** fi->srv_signal.ext_params: the SCCB address and event bits; non-zero is IRQ_PEND_EXT_SERVICE(_EV). */
  service: number;
  /** IRQ_PEND_MCHK_REP with fi->mchk's cr14 and mcic (accumulated). */
  mchk: { pending: boolean; cr14: bigint; mcic: bigint };
  /** kvm->arch.adapters, by id. */
  adapters: Adapter[];
  /** fi->simm, fi->nimm: the AIS single-interruption and no-interruption mode bits per ISC. */
  simm: number;
  nimm: number;
  /** kvm->arch.gmap->pfault_enabled (APF_ENABLE / APF_DISABLE_WAIT). */
  pfaultEnabled: boolean;
}

export function newFlicState(): FlicState {
  return {
    io: Array.from({ length: MAX_ISC + 1 }, () => []),
    pfault: [],
    virtio: [],
    service: 0,
    mchk: { pending: false, cr14: 0n, mcic: 0n },
    adapters: [],
    simm: 0,
    nimm: 0,
    pfaultEnabled: false,
  };
}

const U16 = S.int(0, 0xffff);
const ext = S.obj({ extParams: U32, extParams2: U64 });

export const flicSchema = S.where(
  S.obj({
    io: S.list(S.list(S.obj({ type: S.int(0, 0xfffdffff), subchannelId: U16, subchannelNr: U16, ioIntParm: U32, ioIntWord: U32 }), KVM_S390_MAX_FLOAT_IRQS), MAX_ISC + 1, true),
    pfault: S.list(ext, KVM_S390_MAX_PFAULT_IRQS),
    virtio: S.list(ext, KVM_S390_MAX_VIRTIO_IRQS),
    service: U32,
    mchk: S.obj({ pending: S.bool, cr14: U64, mcic: U64 }),
    adapters: S.list(S.obj({ id: S.int(0, MAX_S390_IO_ADAPTERS - 1), isc: S.int(0, 0xff), maskable: S.bool, masked: S.bool, swap: S.bool, suppressible: S.bool }), MAX_S390_IO_ADAPTERS),
    simm: S.int(0, 0xff),
    nimm: S.int(0, 0xff),
    pfaultEnabled: S.bool,
  }),
  (s, p) => {
    const total = s.io.reduce((n, l) => n + l.length, 0);
    if (total > KVM_S390_MAX_FLOAT_IRQS) return `${p}.io holds ${total} I/O interrupts, more than KVM_S390_MAX_FLOAT_IRQS ${KVM_S390_MAX_FLOAT_IRQS}`;
    for (let isc = 0; isc <= MAX_ISC; isc++)
      for (const [i, irq] of s.io[isc]!.entries()) if (((irq.ioIntWord >>> 27) & 7) !== isc) return `${p}.io[${isc}][${i}] has an interruption word of ISC ${(irq.ioIntWord >>> 27) & 7}`;
    for (let i = 1; i < s.adapters.length; i++) if (s.adapters[i]!.id <= s.adapters[i - 1]!.id) return `${p}.adapters is not sorted by unique id`;
    // __inject_service keeps only the SCCB and event-pending bits.
    if (s.service & 0x4) return `${p}.service has bit 0x4, which no injection sets`;
    return undefined;
  },
);

export const FLIC_SCHEMA_MATCHES: true = sameType<Infer<typeof flicSchema>, FlicState>();
