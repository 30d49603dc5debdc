/**
 * How a VMM migrates a VGIC v3 through its attributes: the save action
 * (SAVE_PENDING_TABLES), what it reads (the save list) and what it writes
 * into a fresh device, in which order and why (the restore order). Sources:
 * Documentation/virt/kvm/devices/arm-vgic-v3.rst, reference section 3.3
 * ("Userspace register semantics", "Migration order"), and the order QEMU's
 * hw/intc/arm_gicv3_kvm.c restores in (its code is not used here).
 */
import { FIRST_RUN_NOT_CARRIED } from '../not-carried.js';
import type { Migration, SavedAttr } from '../../core/device.js';
import type { VmState } from '../../core/vm-state.js';
import { ICC_SYSREG, VGIC, VGIC_ADDR_TYPE, VGIC_ADDR_UNDEF, VGIC_CTRL, VGIC_GRP } from '../../core/uapi.js';
import { maxAprIndex } from './icc.js';
import { maxLpis, pendbaseAddress } from './lpi.js';
import { SGI_BASE } from './redist.js';
import { mpidrAff, type Vgic3State } from './state.js';

const G = VGIC_GRP;
type Saved = SavedAttr & { value: bigint };
type Write = Saved & { why: string };

/** attr of a REDIST_REGS / LEVEL_INFO / CPU_SYSREGS access: the vcpu's VGIC MPIDR in bits 63:32. */
const at = (mpidr: number, low: number) => (BigInt(mpidr >>> 0) << 32n) | BigInt(low >>> 0);

/** Per-IRQ DIST registers a VMM saves for the SPIs (the words for INTIDs 0-31 are RAZ/WI: the redistributors hold them). */
const DIST_PER_IRQ = [
  { name: 'GICD_IGROUPR', set: 0x080, bits: 1 },
  { name: 'GICD_ISENABLER', set: 0x100, bits: 1 },
  { name: 'GICD_ISPENDR', set: 0x200, bits: 1 },
  { name: 'GICD_ISACTIVER', set: 0x300, bits: 1 },
  { name: 'GICD_IPRIORITYR', set: 0x400, bits: 8 },
  { name: 'GICD_ICFGR', set: 0xc00, bits: 2 },
] as const;

/** The private (SGI_base frame) registers of one redistributor. */
const REDIST_PRIV: readonly { name: string; off: number }[] = [
  { name: 'GICR_IGROUPR0', off: SGI_BASE + 0x080 },
  { name: 'GICR_ISENABLER0', off: SGI_BASE + 0x100 },
  { name: 'GICR_ISPENDR0', off: SGI_BASE + 0x200 },
  { name: 'GICR_ISACTIVER0', off: SGI_BASE + 0x300 },
  ...Array.from({ length: 8 }, (_, i) => ({ name: 'GICR_IPRIORITYR', off: SGI_BASE + 0x400 + 4 * i })),
  { name: 'GICR_ICFGR1', off: SGI_BASE + 0xc04 },
];

/** The ICC registers in restore order (see restore()). */
const ICC = ICC_SYSREG;
const ICC_REGS: readonly { name: string; reg: number }[] = [
  { name: 'ICC_SRE_EL1', reg: ICC.ICC_SRE_EL1 },
  { name: 'ICC_PMR_EL1', reg: ICC.ICC_PMR_EL1 },
  { name: 'ICC_BPR0_EL1', reg: ICC.ICC_BPR0_EL1 },
  { name: 'ICC_BPR1_EL1', reg: ICC.ICC_BPR1_EL1 },
  { name: 'ICC_CTLR_EL1', reg: ICC.ICC_CTLR_EL1 },
  { name: 'ICC_IGRPEN0_EL1', reg: ICC.ICC_IGRPEN0_EL1 },
  { name: 'ICC_IGRPEN1_EL1', reg: ICC.ICC_IGRPEN1_EL1 },
];
const AP0R = [ICC.ICC_AP0R0_EL1, ICC.ICC_AP0R1_EL1, ICC.ICC_AP0R2_EL1, ICC.ICC_AP0R3_EL1];
const AP1R = [ICC.ICC_AP1R0_EL1, ICC.ICC_AP1R1_EL1, ICC.ICC_AP1R2_EL1, ICC.ICC_AP1R3_EL1];

function saveList(vm: VmState, s: Vgic3State): SavedAttr[] {
  const nrIrqs = s.nrSpis + VGIC.NR_PRIVATE_IRQS;
  const out: SavedAttr[] = [{ group: G.KVM_DEV_ARM_VGIC_GRP_NR_IRQS, attr: 0n, name: 'nr_irqs' }];
  const addr = (type: number, name: string, input?: bigint) => out.push({ group: G.KVM_DEV_ARM_VGIC_GRP_ADDR, attr: BigInt(type), name, ...(input !== undefined && { input }) });
  // The VMM knows how it laid the frames out: the distributor, then the legacy REDIST or its regions.
  if (s.distBase !== VGIC_ADDR_UNDEF) addr(VGIC_ADDR_TYPE.KVM_VGIC_V3_ADDR_TYPE_DIST, 'DIST base');
  if (s.regions.length === 1 && s.regions[0]!.count === 0) addr(VGIC_ADDR_TYPE.KVM_VGIC_V3_ADDR_TYPE_REDIST, 'REDIST base');
  else for (const r of s.regions) addr(VGIC_ADDR_TYPE.KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, `REDIST_REGION ${r.index}`, BigInt(r.index));
  if (s.miIntid) out.push({ group: G.KVM_DEV_ARM_VGIC_GRP_MAINT_IRQ, attr: 0n, name: 'MAINT_IRQ' });
  const dist = (off: number, name: string) => out.push({ group: G.KVM_DEV_ARM_VGIC_GRP_DIST_REGS, attr: BigInt(off), name });
  dist(0x8, 'GICD_IIDR');
  dist(0xc, 'GICD_TYPER2');
  dist(0x0, 'GICD_CTLR');
  for (const r of DIST_PER_IRQ) for (let n = VGIC.NR_PRIVATE_IRQS; n < nrIrqs; n += 32 / r.bits) dist(r.set + (n * r.bits) / 8, r.name);
  // GICD_IROUTER<n>: 64-bit, accessed as two 32-bit halves.
  for (let n = VGIC.NR_PRIVATE_IRQS; n < nrIrqs; n++) for (const half of [0, 4]) dist(0x6000 + 8 * n + half, 'GICD_IROUTER');
  vm.vcpus.forEach((v) => {
    const m = mpidrAff(v.id);
    const rd = (off: number, name: string) => out.push({ group: G.KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, attr: at(m, off), name: `${name} (vcpu ${v.id})` });
    for (const [off, name] of [[0x70, 'GICR_PROPBASER'], [0x74, 'GICR_PROPBASER'], [0x78, 'GICR_PENDBASER'], [0x7c, 'GICR_PENDBASER']] as const) rd(off, name);
    for (const r of REDIST_PRIV) rd(r.off, r.name);
    rd(0x0, 'GICR_CTLR');
  });
  // Line levels: each vcpu's PPIs, then the SPIs (which ignore the MPIDR) through vcpu 0.
  const level = (m: number, intid: number, who: string) => out.push({ group: G.KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, attr: at(m, intid), name: `LEVEL_INFO ${intid} (${who})` });
  for (const v of vm.vcpus) level(mpidrAff(v.id), 0, `vcpu ${v.id}`);
  const m0 = vm.vcpus[0] ? mpidrAff(vm.vcpus[0].id) : 0;
  for (let n = VGIC.NR_PRIVATE_IRQS; n < nrIrqs; n += 32) level(m0, n, 'SPIs');
  vm.vcpus.forEach((v, i) => {
    const m = mpidrAff(v.id);
    const icc = (reg: number, name: string) => out.push({ group: G.KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, attr: at(m, reg), name: `${name} (vcpu ${v.id})` });
    for (const r of ICC_REGS) icc(r.reg, r.name);
    // APnR<n> beyond what the vcpu's priority bits implement do not exist (EINVAL).
    const c = s.cpus[i];
    const last = c ? maxAprIndex(c) : 0;
    for (let n = 0; n <= last; n++) icc(AP0R[n]!, `ICC_AP0R${n}_EL1`);
    for (let n = 0; n <= last; n++) icc(AP1R[n]!, `ICC_AP1R${n}_EL1`);
  });
  return out;
}

const ALL = 0xffffffffn;

/**
 * The restore sequence, from the saved values. Order and reasons:
 * 1. NR_IRQS, the frame addresses (as the source laid them out: DIST, then
 *    the legacy REDIST or the REDIST_REGIONs in index order) and MAINT_IRQ
 *    before INIT: INIT freezes nr_spis and MAINT_IRQ is EBUSY after it.
 * 2. GICD_IIDR (the implementation revision) and GICD_TYPER2 before INIT,
 *    as the doc asks (TYPER2 can only change before INIT).
 * 3. CTRL_INIT: every other register needs it (EBUSY before).
 * 4. The distributor: configuration (groups, trigger modes, priorities,
 *    routing) before enable, pending and active state. Userspace
 *    ISENABLER/ISACTIVER writes only set bits: clear with IC* first.
 *    ISPENDR from userspace *replaces* the latch (and ICPENDR is RAZ/WI), so
 *    it is written as is. GICD_CTLR last of the distributor.
 * 5. Each redistributor, by MPIDR: PROPBASER and PENDBASER before GICR_CTLR
 *    (they are ignored once EnableLPIs is set), the SGI/PPI registers as for
 *    the distributor, then GICR_CTLR.
 * 6. LEVEL_INFO: v3 carries the line levels, so no line is re-driven.
 * 7. The CPU interfaces: ICC_BPR1 before ICC_CTLR (a BPR1 write is ignored
 *    under CBPR), ICC_CTLR before the active priorities (it sets the
 *    priority bits, which decide which APnR exist).
 * LPI pending state is not in any register: SAVE_PENDING_TABLES wrote it to
 * guest RAM, which crosses with the VM; the ITS restore re-creates the LPIs.
 */
function restore(saved: readonly Saved[]): { writes: Write[]; redrive: number[] } {
  const get = (name: string) => saved.filter((x) => x.name === name || x.name.startsWith(`${name} (`));
  const starts = (prefix: string) => saved.filter((x) => x.name.startsWith(prefix));
  const out: Write[] = [];
  const push = (x: Saved, why: string) => out.push({ ...x, why });
  /** A set-only register: clear every bit with its IC* twin (0x80 above) first. */
  const clearThenSet = (x: Saved, from: string, to: string, what: string) => {
    push({ ...x, name: x.name.replace(from, to), attr: x.attr + 0x80n, value: ALL }, `userspace ${from} only sets bits: clear first`);
    push(x, what);
  };
  for (const x of get('nr_irqs')) push(x, 'NR_IRQS before INIT: init freezes nr_spis');
  for (const x of [...get('DIST base'), ...get('REDIST base'), ...starts('REDIST_REGION ')]) push(x, 'frame addresses as the source laid them out, before the first run');
  for (const x of get('MAINT_IRQ')) push(x, 'MAINT_IRQ before INIT (EBUSY after)');
  for (const x of get('GICD_IIDR')) push(x, 'GICD_IIDR before INIT: the implementation revision');
  for (const x of get('GICD_TYPER2')) push(x, 'GICD_TYPER2 before INIT (a change is EBUSY after)');
  push({ group: G.KVM_DEV_ARM_VGIC_GRP_CTRL, attr: BigInt(VGIC_CTRL.KVM_DEV_ARM_VGIC_CTRL_INIT), name: 'CTRL_INIT', value: 0n }, 'initialise before touching registers');
  for (const x of get('GICD_IGROUPR')) push(x, 'SPI groups');
  for (const x of get('GICD_ICFGR')) push(x, 'SPI trigger modes');
  for (const x of get('GICD_IPRIORITYR')) push(x, 'SPI priorities');
  for (const x of get('GICD_IROUTER')) push(x, 'SPI routing');
  for (const x of get('GICD_ISENABLER')) clearThenSet(x, 'ISENABLER', 'ICENABLER', 'SPI enables');
  for (const x of get('GICD_ISPENDR')) push(x, 'SPI pending latches (a userspace ISPENDR write replaces the latch)');
  for (const x of get('GICD_ISACTIVER')) clearThenSet(x, 'ISACTIVER', 'ICACTIVER', 'SPI active state');
  for (const x of get('GICD_CTLR')) push(x, 'distributor enable last of the distributor');
  // Redistributors in the saved (vcpu) order; each one's registers are keyed by the MPIDR in the attr.
  const mpidrs = [...new Set(saved.filter((x) => x.group === G.KVM_DEV_ARM_VGIC_GRP_REDIST_REGS).map((x) => x.attr >> 32n))];
  for (const m of mpidrs) {
    const rd = (name: string) => get(name).filter((x) => x.group === G.KVM_DEV_ARM_VGIC_GRP_REDIST_REGS && x.attr >> 32n === m);
    for (const name of ['GICR_PROPBASER', 'GICR_PENDBASER']) {
      const halves = rd(name);
      // A zero base is the fresh device's value; writing it would store the sanitised (non-zero) cacheability fields.
      if (halves.every((x) => x.value === 0n)) continue;
      for (const x of halves) push(x, 'PROPBASER/PENDBASER before GICR_CTLR (ignored once LPIs are enabled)');
    }
    for (const x of rd('GICR_IGROUPR0')) push(x, 'SGI/PPI groups');
    for (const x of rd('GICR_ICFGR1')) push(x, 'PPI trigger modes');
    for (const x of rd('GICR_IPRIORITYR')) push(x, 'SGI/PPI priorities');
    for (const x of rd('GICR_ISENABLER0')) clearThenSet(x, 'ISENABLER0', 'ICENABLER0', 'SGI/PPI enables');
    for (const x of rd('GICR_ISPENDR0')) push(x, 'SGI/PPI pending latches (a userspace ISPENDR0 write replaces the latch)');
    for (const x of rd('GICR_ISACTIVER0')) clearThenSet(x, 'ISACTIVER0', 'ICACTIVER0', 'SGI/PPI active state');
    for (const x of rd('GICR_CTLR')) push(x, 'GICR_CTLR (EnableLPIs) after the LPI tables\' bases');
  }
  for (const x of starts('LEVEL_INFO ')) push(x, 'line levels (v3 carries them: nothing is re-driven)');
  for (const n of ['ICC_SRE_EL1', 'ICC_PMR_EL1', 'ICC_BPR0_EL1']) for (const x of get(n)) push(x, 'CPU interface');
  for (const x of get('ICC_BPR1_EL1')) push(x, 'BPR1 before ICC_CTLR (ignored under CBPR)');
  for (const x of get('ICC_CTLR_EL1')) push(x, 'ICC_CTLR before the APnRs (priority bits decide which exist)');
  for (const n of ['ICC_IGRPEN0_EL1', 'ICC_IGRPEN1_EL1']) for (const x of get(n)) push(x, 'group enables');
  for (const x of saved.filter((a) => /^ICC_AP[01]R\d_EL1 /.test(a.name))) push(x, 'active priorities');
  return { writes: out, redrive: [] };
}

export const vgicV3Migration: Migration<Vgic3State> = {
  // Stopped vcpus: the LPIs' pending state goes to the pending tables in guest RAM.
  saveActions: [{ group: G.KVM_DEV_ARM_VGIC_GRP_CTRL, attr: BigInt(VGIC_CTRL.KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES), name: 'SAVE_PENDING_TABLES' }],
  saveList,
  restore,
  // State the v3 ABI does not carry, with why (the check compares everything else). v3 has no
  // userspace gate like v2's groups_user_writable: a userspace GICD_IIDR write only keeps the
  // implementation revision (vgic_mmio_uaccess_write_v3_misc), which GICD_IIDR itself carries.
  notCarried: [
    ...FIRST_RUN_NOT_CARRIED,
    {
      fields: ['gic.lpi.*.enabled', 'gic.lpi.*.priority'],
      what: 'each LPI\'s cached configuration (enable bit and priority)',
      why: 'the ITS restore re-creates each LPI and re-reads its configuration from the property table in guest RAM: a configuration the guest changed in RAM without INV/INVALL does not cross',
    },
  ],
  ownedMemory: {
    why: 'LPI pending tables (GICR_PENDBASER): re-creating an LPI at restore consumes its set pending bit (vgic_add_lpi), and the table belongs to the redistributor while LPIs are enabled',
    ranges: (vm, s) => s.cpus.filter((c) => c.pendbaser !== 0n).map((c) => ({ addr: pendbaseAddress(c.pendbaser), len: maxLpis(s.propbaser) / 8 })),
  },
};
