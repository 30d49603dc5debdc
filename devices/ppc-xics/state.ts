/**
 * The emulated XICS's state as plain data (struct kvmppc_xics, its ICSes
 * and each vcpu's struct kvmppc_icp, book3s_xics.h), and the two lookups
 * every routine makes: kvmppc_xics_find_ics and kvmppc_xics_find_server.
 */
import { type Infer, S, sameType, U8, U32 } from '../core/state.js';
import type { VmState } from '../core/vm-state.js';
import { KVMPPC_XICS_ICS_SHIFT, KVMPPC_XICS_IRQ_PER_ICS, KVMPPC_XICS_MAX_ICS_ID, KVMPPC_XICS_SRC_MASK, MASKED } from './uapi.js';

/** struct ics_irq_state's one-bit fields, packed in XicsIcs.flags. */
export const SRC = { EXISTS: 1, LSI: 2, RESEND: 4, MASKED_PENDING: 8 } as const;

/** One ICS: 1024 sources, created on the first GRP_SOURCES write in its range (kvmppc_xics_create_ics). */
export interface XicsIcs {
  /** irq >> KVMPPC_XICS_ICS_SHIFT. */
  readonly icsid: number;
  /** Per source (irq & KVMPPC_XICS_SRC_MASK): the server number it is routed to. */
  readonly server: Uint32Array;
  /** The current priority; MASKED (0xff) when disabled. */
  readonly priority: Uint8Array;
  /** The priority to return to when unmasked (ibm,int-on) and what GRP_SOURCES reports while masked. */
  readonly savedPriority: Uint8Array;
  /** SRC bits: exists, lsi, resend, masked_pending. */
  readonly flags: Uint8Array;
  /** pq_state: PQ_PRESENTED (bit 0), PQ_QUEUED (bit 1). */
  readonly pq: Uint8Array;
}

/** A vcpu's presentation controller (struct kvmppc_icp with its union kvmppc_icp_state). */
export interface XicsIcp {
  /** The vcpu is connected (KVM_CAP_IRQ_XICS; vcpu->arch.irq_type == KVMPPC_IRQ_XICS): it has an ICP. */
  connected: boolean;
  /** server_num, given at connect time. */
  server: number;
  /** Current processor priority: interrupts must be more favoured (lower) to be presented. */
  cppr: number;
  /** Most favoured request register: the IPI's priority, MASKED when none. */
  mfrr: number;
  /** Priority of the interrupt in xisr, 0xff when none. */
  pendingPri: number;
  /** The interrupt presented and not yet accepted (0 none, 2 the IPI, else a source number). */
  xisr: number;
  /** A delivery failed at this ICP: a CPPR or MFRR change must check the ICSes' resend bits. */
  needResend: boolean;
  /** The external-interrupt output to the vcpu: xisr && pending_pri < cppr. */
  outEe: boolean;
  /** resend_map: one bit per ICS id (1024 bits) whose sources await a resend to this ICP. */
  readonly resendMap: Uint8Array;
}

export interface XicsState {
  /** The ICSes created so far, sorted by icsid. */
  ics: XicsIcs[];
  /** max_icsid: the highest ICS id created (0 before any). */
  maxIcsid: number;
  /** One ICP slot per vcpu, by vcpu index. */
  icp: XicsIcp[];
}

const N = KVMPPC_XICS_IRQ_PER_ICS;
const RESEND_MAP_BYTES = (KVMPPC_XICS_MAX_ICS_ID + 1) / 8;

/** A fresh ICS (kvmppc_xics_create_ics): every source MASKED, saved priority MASKED, nothing else set. */
export function newIcs(icsid: number): XicsIcs {
  return { icsid, server: new Uint32Array(N), priority: new Uint8Array(N).fill(MASKED), savedPriority: new Uint8Array(N).fill(MASKED), flags: new Uint8Array(N), pq: new Uint8Array(N) };
}

/** A vcpu with no ICP yet (irq_type KVMPPC_IRQ_DEFAULT). */
export function newIcpSlot(): XicsIcp {
  return { connected: false, server: 0, cppr: 0, mfrr: 0, pendingPri: 0, xisr: 0, needResend: false, outEe: false, resendMap: new Uint8Array(RESEND_MAP_BYTES) };
}

/** kvmppc_xics_find_ics: the ICS holding source `irq` (a u32) and its index there, if that ICS exists. */
export function findIcs(s: XicsState, irq: number): { ics: XicsIcs; src: number } | undefined {
  const icsid = irq >>> KVMPPC_XICS_ICS_SHIFT;
  if (icsid > KVMPPC_XICS_MAX_ICS_ID) return undefined;
  const ics = s.ics.find((x) => x.icsid === icsid);
  return ics && { ics, src: irq & KVMPPC_XICS_SRC_MASK };
}

/** kvmppc_xics_find_server: the first vcpu (kvm_for_each_vcpu order) whose ICP has server number `nr` (a u32), or -1. */
export function findServer(s: XicsState, nr: number): number {
  return s.icp.findIndex((c) => c.connected && c.server === nr);
}

export function resendBit(icp: XicsIcp, icsid: number): boolean {
  return (icp.resendMap[icsid >> 3]! & (1 << (icsid & 7))) !== 0;
}

export function setResendBit(icp: XicsIcp, icsid: number, on: boolean): void {
  if (on) icp.resendMap[icsid >> 3]! |= 1 << (icsid & 7);
  else icp.resendMap[icsid >> 3]! &= ~(1 << (icsid & 7));
}

const icsSchema = S.obj({
  icsid: S.int(0, KVMPPC_XICS_MAX_ICS_ID),
  server: S.typed(Uint32Array, N),
  priority: S.typed(Uint8Array, N),
  savedPriority: S.typed(Uint8Array, N),
  flags: S.typed(Uint8Array, N),
  pq: S.typed(Uint8Array, N),
});

const icpSchema = S.obj({
  connected: S.bool,
  server: U32,
  cppr: U8,
  mfrr: U8,
  pendingPri: U8,
  xisr: S.int(0, 0xffffff),
  needResend: S.bool,
  outEe: S.bool,
  resendMap: S.typed(Uint8Array, RESEND_MAP_BYTES),
});

const baseSchema = S.obj({
  ics: S.list(icsSchema, KVMPPC_XICS_MAX_ICS_ID + 1),
  maxIcsid: S.int(0, KVMPPC_XICS_MAX_ICS_ID),
  icp: S.list(icpSchema, 1 << 16),
});

const _same: true = sameType<Infer<typeof baseSchema>, XicsState>();

/** The XICS state of a VM: one ICP slot per vcpu, ICSes sorted by id with unique ids, and flags and pq within their bits. */
export const xicsSchema = (vm: VmState) =>
  S.where(baseSchema, (s, p) => {
    if (s.icp.length !== vm.vcpus.length) return `${p}.icp has ${s.icp.length} slots for ${vm.vcpus.length} vcpus`;
    for (let i = 1; i < s.ics.length; i++) if (s.ics[i]!.icsid <= s.ics[i - 1]!.icsid) return `${p}.ics[${i}] is out of icsid order`;
    for (const x of s.ics) if (x.icsid > s.maxIcsid) return `${p}.ics icsid ${x.icsid} is above maxIcsid ${s.maxIcsid}`;
    for (const x of s.ics) if (x.flags.some((f) => f > 15) || x.pq.some((q) => q > 3)) return `${p}.ics[${x.icsid}] has flag or pq bits that do not exist`;
    return undefined;
  });
