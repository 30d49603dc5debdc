/**
 * The XICS's names, declared as data next to its tables: the attribute
 * groups and attributes (the group rows in device.ts carry them for
 * scenarios and dump: devices/core/names.ts), the hypercalls it serves
 * and their return codes, and how an attr and a source word read in words
 * (the group table's describe/describeValue).
 */
import { H_CALL, H_RC, KVM_REG_PPC_ICP_CPPR_SHIFT, KVM_REG_PPC_ICP_MFRR_SHIFT, KVM_REG_PPC_ICP_PPRI_SHIFT, KVM_REG_PPC_ICP_XISR_MASK, KVM_REG_PPC_ICP_XISR_SHIFT, KVM_XICS_LEVEL_SENSITIVE, KVM_XICS_MASKED, KVM_XICS_PENDING, KVM_XICS_PRESENTED, KVM_XICS_QUEUED, XICS_CTRL, XICS_GRP, XICS_IPI } from './uapi.js';

export const XICS_NAMES = {
  /** Attribute groups (KVM_DEV_XICS_GRP_*): the `group` of a scenario's attribute step. */
  group: XICS_GRP as Record<string, number>,
  /** Attributes with a name (GRP_CTRL's, XICS-on-XIVE only); a GRP_SOURCES attr is the source number. */
  attr: XICS_CTRL as Record<string, number>,
  /** Hypercalls the XICS serves, by PAPR name. */
  hcall: H_CALL as Record<string, number>,
  /** hvcall.h return codes. */
  hcallReturn: H_RC as Record<string, number>,
} as const;

const nameIn = (table: Record<string, number>, v: number) => Object.entries(table).find(([, x]) => x === v)?.[0];

/** "H_XIRR", if `nr` is a hypercall the XICS serves. */
export const hcallName = (nr: number) => nameIn(XICS_NAMES.hcall, nr);

/** "H_PARAMETER": a 64-bit r3 as its hvcall.h name, if it has one. */
export const hcallReturnName = (r3: bigint) => nameIn(XICS_NAMES.hcallReturn, Number(BigInt.asIntN(64, r3)));

/** "source 4096 (0x1000)", "IPI", "none": an XISR or source number in words. */
export function sourceName(n: number): string {
  if (n === 0) return 'none';
  if (n === XICS_IPI) return 'IPI';
  return `source ${n} (0x${n.toString(16)})`;
}

/** The GRP_SOURCES word in words: "server 0x0 priority 0x5 masked lsi pending presented queued". */
export function describeSourceWord(v: bigint): string {
  const parts = [`server 0x${(v & 0xffffffffn).toString(16)}`, `priority 0x${((v >> 32n) & 0xffn).toString(16)}`];
  const bits: [bigint, string][] = [
    [KVM_XICS_LEVEL_SENSITIVE, 'LEVEL_SENSITIVE'],
    [KVM_XICS_MASKED, 'MASKED'],
    [KVM_XICS_PENDING, 'PENDING'],
    [KVM_XICS_PRESENTED, 'PRESENTED'],
    [KVM_XICS_QUEUED, 'QUEUED'],
  ];
  for (const [b, n] of bits) if (v & b) parts.push(n);
  return parts.join(' ');
}

/** An XIRR (CPPR in bits 31:24, XISR in 23:0) in words. */
export function describeXirr(xirr: bigint): string {
  return `CPPR 0x${((xirr >> 24n) & 0xffn).toString(16)} XISR ${sourceName(Number(xirr & 0xffffffn))}`;
}

/** KVM_REG_PPC_ICP_STATE in words: CPPR 63:56, XISR 55:32, MFRR 31:24, pending priority 23:16 (kvmppc_xics_get_icp). */
export function describeIcpState(v: bigint): string {
  const b = (shift: bigint, mask: bigint) => (v >> shift) & mask;
  return `CPPR 0x${b(KVM_REG_PPC_ICP_CPPR_SHIFT, 0xffn).toString(16)} XISR ${sourceName(Number(b(KVM_REG_PPC_ICP_XISR_SHIFT, KVM_REG_PPC_ICP_XISR_MASK)))} MFRR 0x${b(KVM_REG_PPC_ICP_MFRR_SHIFT, 0xffn).toString(16)} pending priority 0x${b(KVM_REG_PPC_ICP_PPRI_SHIFT, 0xffn).toString(16)}`;
}

/** A hypercall's arguments and result in words, for dump and the TUI. */
export function describeXicsHcall(nr: number, args: readonly bigint[], ret: bigint): { name: string; detail: string } | undefined {
  const name = hcallName(nr);
  if (!name) return undefined;
  const a = (i: number) => BigInt.asUintN(64, args[i] ?? 0n);
  const rc = () => hcallReturnName(ret) ?? `0x${ret.toString(16)}`;
  const failed = BigInt.asIntN(64, ret) < 0n;
  switch (nr) {
    case H_CALL.H_XIRR:
    case H_CALL.H_XIRR_X:
      return { name, detail: `accept: ${describeXirr(ret)}` };
    case H_CALL.H_IPOLL:
      return { name, detail: `server 0x${a(0).toString(16)}: ${failed ? rc() : `${describeXirr(ret & 0xffffffffn)} MFRR 0x${((ret >> 32n) & 0xffn).toString(16)}`}` };
    case H_CALL.H_CPPR:
      return { name, detail: `CPPR 0x${(a(0) & 0xffn).toString(16)}: ${rc()}` };
    case H_CALL.H_EOI:
      return { name, detail: `${describeXirr(a(0))}: ${rc()}` };
    case H_CALL.H_IPI:
      return { name, detail: `server 0x${a(0).toString(16)} MFRR 0x${(a(1) & 0xffn).toString(16)}: ${rc()}` };
    default:
      return { name, detail: rc() };
  }
}
