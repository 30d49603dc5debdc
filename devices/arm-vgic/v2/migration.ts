/**
 * How a VMM migrates a VGIC v2 through its attributes: what it reads (the
 * save list) and what it writes into a fresh device, in which order and
 * why (the restore order). Sources: Documentation/virt/kvm/devices/arm-vgic.rst,
 * reference section 3.2 "Migration state for v2" and "Restore order", and
 * QEMU's kvm_arm_gic_get/put (hw/intc/arm_gic_kvm.c) for the clear-then-set
 * and SGI handling.
 */
import { FIRST_RUN_NOT_CARRIED } from '../not-carried.js';
import type { Migration, SavedAttr } from '../../core/device.js';
import type { VmState } from '../../core/vm-state.js';
import { VGIC_ADDR_TYPE, VGIC_CTRL, VGIC_GRP } from '../../core/uapi.js';
import type { VgicState } from '../state.js';

const G = VGIC_GRP;
const reg = (vcpuId: number, off: number) => (BigInt(vcpuId) << 32n) | BigInt(off);

/** Per-IRQ DIST registers a VMM saves, with their bits per IRQ. */
const PER_IRQ = [
  { name: 'GICD_IGROUPR', set: 0x080, bits: 1 },
  { name: 'GICD_ISENABLER', set: 0x100, bits: 1 },
  { name: 'GICD_ISPENDR', set: 0x200, bits: 1 },
  { name: 'GICD_ISACTIVER', set: 0x300, bits: 1 },
  { name: 'GICD_IPRIORITYR', set: 0x400, bits: 8 },
  { name: 'GICD_ITARGETSR', set: 0x800, bits: 8 },
  { name: 'GICD_ICFGR', set: 0xc00, bits: 2 },
] as const;

/** The word offsets of a per-IRQ register covering INTIDs [from, to). */
function words(set: number, bits: number, from: number, to: number): number[] {
  const out: number[] = [];
  for (let n = from; n < to; n += 32 / bits) out.push(set + (n * bits) / 8);
  return out;
}

function saveList(vm: VmState, s: VgicState): SavedAttr[] {
  const nrIrqs = s.nrSpis + 32;
  const out: SavedAttr[] = [
    { group: G.KVM_DEV_ARM_VGIC_GRP_NR_IRQS, attr: 0n, name: 'nr_irqs' },
    { group: G.KVM_DEV_ARM_VGIC_GRP_ADDR, attr: BigInt(VGIC_ADDR_TYPE.KVM_VGIC_V2_ADDR_TYPE_DIST), name: 'DIST base' },
    { group: G.KVM_DEV_ARM_VGIC_GRP_ADDR, attr: BigInt(VGIC_ADDR_TYPE.KVM_VGIC_V2_ADDR_TYPE_CPU), name: 'CPU base' },
  ];
  const id0 = vm.vcpus[0]?.id ?? 0;
  out.push({ group: G.KVM_DEV_ARM_VGIC_GRP_DIST_REGS, attr: reg(id0, 0x8), name: 'GICD_IIDR' });
  out.push({ group: G.KVM_DEV_ARM_VGIC_GRP_DIST_REGS, attr: reg(id0, 0x0), name: 'GICD_CTLR' });
  // Banked INTIDs 0-31 through each vcpu, then the SPIs through vcpu 0.
  for (const v of vm.vcpus) {
    for (const r of PER_IRQ) for (const off of words(r.set, r.bits, 0, 32)) out.push({ group: G.KVM_DEV_ARM_VGIC_GRP_DIST_REGS, attr: reg(v.id, off), name: `${r.name} (vcpu ${v.id})` });
    for (let off = 0xf20; off < 0xf30; off += 4) out.push({ group: G.KVM_DEV_ARM_VGIC_GRP_DIST_REGS, attr: reg(v.id, off), name: `GICD_SPENDSGIR (vcpu ${v.id})` });
  }
  for (const r of PER_IRQ) for (const off of words(r.set, r.bits, 32, nrIrqs)) out.push({ group: G.KVM_DEV_ARM_VGIC_GRP_DIST_REGS, attr: reg(id0, off), name: r.name });
  for (const v of vm.vcpus)
    for (const [off, name] of [[0x00, 'GICC_CTLR'], [0x04, 'GICC_PMR'], [0x08, 'GICC_BPR'], [0x1c, 'GICC_ABPR'], [0xd0, 'GICC_APR0']] as const)
      out.push({ group: G.KVM_DEV_ARM_VGIC_GRP_CPU_REGS, attr: reg(v.id, off), name: `${name} (vcpu ${v.id})` });
  return out;
}

const ALL = 0xffffffffn;

/**
 * The restore sequence, from the saved values. Order and reasons:
 * 1. NR_IRQS before CTRL_INIT: init freezes nr_spis.
 * 2. Both base addresses (any time before the first KVM_RUN).
 * 3. CTRL_INIT, so register writes do not depend on lazy init.
 * 4. GICD_IIDR first of the registers: the write tells KVM this VMM handles
 *    groups, and only then does it accept GICD_IGROUPR writes.
 * 5. Configuration (groups, targets, ICFGR, priorities) before pending and
 *    active state, which it qualifies.
 * 6. Userspace writes to ISENABLER/ISPENDR/ISACTIVER only set bits: clear
 *    with the IC* register first. SGI pending bits go through SPENDSGIR with
 *    their sources (an ISPENDR write would make the vcpu its own source).
 * 7. GICD_CTLR last, so nothing is delivered from a half-restored state.
 * 8. The CPU interfaces.
 * Line levels are not part of the v2 ABI: the device models re-drive the
 * level-triggered lines they hold high, and those interrupts' pending bits
 * are not written as latches (a latch would outlive the line: a spurious
 * interrupt once the device lowers it). Edge lines are not re-driven: a new
 * edge would be a new interrupt.
 */
function restore(saved: readonly (SavedAttr & { value: bigint })[], lines: ReadonlyMap<number, number>): { writes: (SavedAttr & { value: bigint; why: string })[]; redrive: number[] } {
  const get = (name: string) => saved.filter((x) => x.name === name || x.name.startsWith(`${name} (`));
  // Trigger mode of each SPI from the saved ICFGR words (bit 2n+1 set = edge).
  const edge = (n: number) => {
    const w = saved.find((x) => x.name === 'GICD_ICFGR' && (x.attr & 0xffffffffn) === BigInt(0xc00 + Math.floor(n / 16) * 4));
    return w ? ((w.value >> BigInt(2 * (n % 16) + 1)) & 1n) === 1n : true;
  };
  const redrive: number[] = [];
  const heldHigh = new Set<number>();
  for (const [irq, level] of lines) {
    const type = (irq >>> 24) & 0xf;
    const n = irq & 0xffff;
    if (level && type === 1 && !edge(n)) {
      redrive.push(irq);
      heldHigh.add(n);
    }
  }
  const lineMask = (attr: bigint) => {
    const base = Number(attr & 0xffffffffn) - 0x200;
    let m = 0n;
    for (let b = 0; b < 32; b++) if (heldHigh.has(base * 8 + b)) m |= 1n << BigInt(b);
    return m;
  };
  const out: (SavedAttr & { value: bigint; why: string })[] = [];
  const push = (x: SavedAttr & { value: bigint }, why: string) => out.push({ ...x, why });
  for (const x of get('nr_irqs')) push(x, 'NR_IRQS before INIT: init freezes nr_spis');
  for (const x of [...get('DIST base'), ...get('CPU base')]) push(x, 'base addresses before the first run');
  push({ group: G.KVM_DEV_ARM_VGIC_GRP_CTRL, attr: BigInt(VGIC_CTRL.KVM_DEV_ARM_VGIC_CTRL_INIT), name: 'CTRL_INIT', value: 0n }, 'initialise before touching registers');
  for (const x of get('GICD_IIDR')) push(x, 'IIDR first: unlocks userspace IGROUPR writes');
  for (const x of get('GICD_IGROUPR')) push(x, 'groups');
  for (const x of get('GICD_ITARGETSR')) if ((x.attr & 0xffffffffn) >= 0x820n) push(x, 'SPI targets (0-31 are read-only)');
  for (const x of get('GICD_ICFGR')) if ((x.attr & 0xffffffffn) >= 0xc08n) push(x, 'SPI trigger modes (SGI/PPI modes are read-only)');
  for (const x of get('GICD_IPRIORITYR')) push(x, 'priorities');
  for (const x of get('GICD_ISENABLER')) {
    push({ ...x, name: x.name.replace('ISENABLER', 'ICENABLER'), attr: x.attr + 0x80n, value: ALL }, 'userspace ISENABLER only sets bits: clear first');
    push(x, 'enables');
  }
  for (const x of get('GICD_ISPENDR')) {
    const sgiWord = (x.attr & 0xffffffffn) === 0x200n;
    push({ ...x, name: x.name.replace('ISPENDR', 'ICPENDR'), attr: x.attr + 0x80n, value: sgiWord ? 0xffff0000n : ALL }, 'clear pending first (SGIs go through CPENDSGIR)');
    push({ ...x, value: (sgiWord ? x.value & 0xffff0000n : x.value) & ~lineMask(x.attr) }, 'pending latches (SGI bits: restored with their sources below; level lines held high: re-driven instead)');
  }
  for (const x of get('GICD_SPENDSGIR')) {
    push({ ...x, name: x.name.replace('SPENDSGIR', 'CPENDSGIR'), attr: x.attr - 0x10n, value: ALL }, 'clear SGI sources first');
    push(x, 'SGI pending sources');
  }
  for (const x of get('GICD_ISACTIVER')) {
    push({ ...x, name: x.name.replace('ISACTIVER', 'ICACTIVER'), attr: x.attr + 0x80n, value: ALL }, 'userspace ISACTIVER only sets bits: clear first');
    push(x, 'active state');
  }
  for (const x of get('GICD_CTLR')) push(x, 'distributor enable last');
  for (const n of ['GICC_CTLR', 'GICC_PMR', 'GICC_BPR', 'GICC_ABPR', 'GICC_APR0']) for (const x of get(n)) push(x, 'CPU interface');
  return { writes: out, redrive };
}

export const vgicV2Migration: Migration<VgicState> = {
  saveList,
  restore,
  // State the v2 ABI does not carry, with why (the check compares everything else).
  notCarried: [
    {
      fields: ['gic.dist.irq[*].line_level', 'gic.cpu[*].irq[*].line_level'],
      what: 'the level of each interrupt\'s input line',
      why: 'GICv2 has no LEVEL_INFO group: the VMM\'s device models re-drive the lines they hold high after the restore',
    },
    {
      fields: ['gic.dist.irq[*].latch', 'gic.cpu[*].irq[*].latch'],
      what: 'each interrupt\'s pending latch, apart from its line',
      why: 'pending state crosses as a pending latch (GICD_ISPENDR) whether it came from the latch or the line; the pending state itself is compared',
    },
    ...FIRST_RUN_NOT_CARRIED,
    {
      fields: ['gic.groups_user_writable'],
      what: 'whether userspace may write GICD_IGROUPR (v2_groups_user_writable, set by a userspace GICD_IIDR write)',
      why: 'a gate on what the VMM may write, not state the guest can see, and no save list carries it: the restore writes GICD_IIDR first (so that the group restore is accepted), which sets it on the destination whether or not the source\'s VMM ever wrote GICD_IIDR',
    },
  ],
};
