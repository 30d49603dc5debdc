/**
 * Why is interrupt N (not) delivered to each vcpu of a GICv3 VGIC? Every
 * condition between a pending interrupt and ICC_IAR0/1_EL1 returning it
 * (IHI 0069 4.8, KVM's vgic_target_oracle and the virtual CPU interface),
 * each with the view paths it depends on. LPIs add their mapping (an ITS
 * made the LPI exist), their property-table enable and the
 * redistributor's EnableLPIs.
 */
import type { IrqCondition } from '../../core/device.js';
import { VGIC } from '../../core/uapi.js';
import type { VmState } from '../../core/vm-state.js';
import { bit, isPending } from '../irq.js';
import { priorityMask, runningPriority } from './icc.js';
import type { Vgic3State } from './state.js';

const hex = (n: number) => `0x${n.toString(16)}`;

export function explainVgic3Irq(vm: VmState, s: Vgic3State, irq: number, root: string): IrqCondition[] {
  const out: IrqCondition[] = [];
  const lpi = irq >= VGIC.MIN_LPI;
  const spi = !lpi && irq >= VGIC.NR_PRIVATE_IRQS;
  const l = lpi ? s.lpis.find((x) => x.intid === irq) : undefined;
  if (lpi ? !l : irq < 0 || irq > VGIC.MAX_SPI || (spi && irq >= s.spi.count)) {
    out.push({
      vcpu: -1,
      name: 'exists',
      ok: false,
      value: lpi ? `LPI ${irq} is not mapped by any ITS (no MAPTI/MAPI made it)` : `INTID ${irq} is not implemented (nr_irqs ${s.nrSpis + 32}${s.initialized ? '' : ', VGIC not initialised'})`,
      paths: lpi ? [`${root}.lpi[${irq}]`] : [`${root}.nr_irqs`, `${root}.initialized`],
    });
    return out;
  }
  out.push({ vcpu: -1, name: 'distributor enabled (GICD_CTLR.EnableGrp1NS)', ok: s.enabled, value: String(s.enabled), paths: [`${root}.dist.enabled`] });
  s.cpus.forEach((c, v) => {
    const add = (name: string, ok: boolean, value: string, paths: string[]) => out.push({ vcpu: v, name, ok, value, paths });
    const cp = `${root}.cpu[${v}]`;
    add('vcpu has run (VGIC mapped)', vm.vcpus[v]?.ran === true && s.ready, `ran=${vm.vcpus[v]?.ran} ready=${s.ready}`, [`vcpus[${v}].ran`, `${root}.ready`]);
    let group = 1;
    let prio: number;
    if (l) {
      const p = `${root}.lpi[${irq}]`;
      add('targets this vcpu (ITS collection)', l.target === v, `target_vcpu=${l.target}`, [`${p}.target_vcpu`]);
      add('LPIs enabled at the redistributor (GICR_CTLR.EnableLPIs)', c.lpisEnabled, String(c.lpisEnabled), [`${cp}.redist.lpis_enabled`]);
      add('enabled (property table)', l.enabled, String(l.enabled), [`${p}.enabled`]);
      add('pending', l.pending, String(l.pending), [`${p}.pending`]);
      prio = l.priority & 0xf8;
    } else {
      const b = spi ? s.spi : c.priv;
      const p = spi ? `${root}.dist.irq[${irq}]` : `${cp}.irq[${irq}]`;
      if (spi) add('routed to this vcpu (GICD_IROUTER)', s.spiTarget[irq] === v, `irouter=${hex(s.irouter[irq]!)} -> vcpu ${s.spiTarget[irq]}`, [`${p}.irouter`, `${p}.target_vcpu`]);
      add(`enabled (${spi ? 'GICD' : 'GICR'}_ISENABLER)`, bit(b.enabled, irq), String(bit(b.enabled, irq)), [`${p}.enabled`]);
      const edge = bit(b.edge, irq);
      add(`pending (${edge ? 'edge: latch' : 'level: latch or line'})`, isPending(b, irq), `latch=${bit(b.latch, irq)} line_level=${bit(b.level, irq)} config=${edge ? 'edge' : 'level'}`, [`${p}.latch`, `${p}.line_level`, `${p}.config`]);
      add('not already active', !bit(b.active, irq), `active=${bit(b.active, irq)}`, [`${p}.active`]);
      group = bit(b.group, irq) ? 1 : 0;
      prio = b.priority[irq]!;
    }
    const en = group ? c.grpen1 : c.grpen0;
    // Each IAR takes only its own group: a group-0 interrupt needs ICC_IAR0_EL1.
    add(`group ${group} enabled at the CPU interface (ICC_IGRPEN${group}_EL1; read ICC_IAR${group}_EL1)`, en, `group=${group} IGRPEN${group}=${en}`, [`${cp}.icc.igrpen${group}`]);
    add('priority below the priority mask (ICC_PMR_EL1)', prio < priorityMask(c), `priority ${hex(prio)} < PMR ${hex(priorityMask(c))}`, [`${cp}.icc.pmr`]);
    const rpr = runningPriority(c);
    add('preempts the running priority (ICC_RPR_EL1)', prio < rpr, `priority ${hex(prio)} < RPR ${hex(rpr)}`, [`${cp}.icc.ap0r`, `${cp}.icc.ap1r`]);
  });
  return out;
}
