/**
 * Interrupt state of the VGIC, as plain data: one bank per vcpu for the
 * private INTIDs 0-31 and one shared bank for the SPIs. Each per-IRQ flag of
 * `struct vgic_irq` (include/kvm/arm_vgic.h) is a bitmap of 32-bit words, the
 * same layout as the GICD_I[SC]*R registers, so register accesses are word
 * operations and finding a pending interrupt skips 32 at a time.
 */
import { type Infer, S, type Schema, sameType } from '../core/state.js';

export interface IrqBank {
  /** Number of INTIDs the bank covers (32 for private banks, nr_irqs for the SPI bank). */
  count: number;
  enabled: Uint32Array;
  /** pending_latch */
  latch: Uint32Array;
  /** line_level: the input line as last driven by KVM_IRQ_LINE (level-triggered semantics). */
  level: Uint32Array;
  active: Uint32Array;
  /** 1 = group 1. */
  group: Uint32Array;
  /** config: 1 = edge (VGIC_CONFIG_EDGE), 0 = level. */
  edge: Uint32Array;
  /** Owned by an in-kernel subsystem (the arch timer PPIs): userspace injection is ignored. */
  owned: Uint32Array;
  /** Priority, already narrowed to the 5 implemented bits (& 0xF8). */
  priority: Uint8Array;
  /** GICv2 ITARGETSR byte (SPIs), or 1 << vcpu_idx for private IRQs. */
  targets: Uint8Array;
}

export function newBank(count: number): IrqBank {
  const words = Math.ceil(count / 32);
  return {
    count,
    enabled: new Uint32Array(words),
    latch: new Uint32Array(words),
    level: new Uint32Array(words),
    active: new Uint32Array(words),
    group: new Uint32Array(words),
    edge: new Uint32Array(words),
    owned: new Uint32Array(words),
    priority: new Uint8Array(count),
    targets: new Uint8Array(count),
  };
}

export function bit(map: Uint32Array, n: number): boolean {
  return ((map[n >>> 5]! >>> (n & 31)) & 1) === 1;
}

export function setBit(map: Uint32Array, n: number, on: boolean): void {
  const w = n >>> 5;
  const m = 1 << (n & 31);
  map[w] = on ? map[w]! | m : map[w]! & ~m;
}

/**
 * irq_is_pending(): an edge IRQ is pending when its latch is set; a level IRQ
 * when its latch is set or its line is high. Word-wide.
 */
export function pendingWord(b: IrqBank, w: number): number {
  return (b.latch[w]! | (b.level[w]! & ~b.edge[w]!)) >>> 0;
}

export function isPending(b: IrqBank, n: number): boolean {
  return ((pendingWord(b, n >>> 5) >>> (n & 31)) & 1) === 1;
}

/** Index of the lowest set bit of a non-zero 32-bit word. */
export function lowestBit(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** Most INTIDs a bank covers: nr_irqs is at most 992 (NR_IRQS accepts up to 1023 in steps of 32). */
const MAX_BANK_IRQS = 1024;

const bankFields = S.obj({
  count: S.int(0, MAX_BANK_IRQS),
  enabled: S.typed(Uint32Array),
  latch: S.typed(Uint32Array),
  level: S.typed(Uint32Array),
  active: S.typed(Uint32Array),
  group: S.typed(Uint32Array),
  edge: S.typed(Uint32Array),
  owned: S.typed(Uint32Array),
  priority: S.typed(Uint8Array),
  targets: S.typed(Uint8Array),
});

/** Compile-time: bankFields describes IrqBank. */
export const BANK_SCHEMA_MATCHES: true = sameType<Infer<typeof bankFields>, IrqBank>();

/** An IrqBank as newBank(count) lays it out: a bitmap word per 32 INTIDs, a byte per INTID. `count` when given is required. */
export function bankSchema(count?: number): Schema<IrqBank> {
  return S.where(bankFields, (b, p) => {
    if (count !== undefined && b.count !== count) return `${p}.count is ${b.count}, not ${count}`;
    const words = Math.ceil(b.count / 32);
    for (const k of ['enabled', 'latch', 'level', 'active', 'group', 'edge', 'owned'] as const) {
      if (b[k].length !== words) return `${p}.${k} has ${b[k].length} words, not ${words} for ${b.count} INTIDs`;
    }
    if (b.priority.length !== b.count || b.targets.length !== b.count) return `${p}.priority and ${p}.targets must have ${b.count} entries`;
    return undefined;
  });
}
