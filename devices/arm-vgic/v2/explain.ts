/**
 * Why is interrupt N (not) delivered to each vcpu? Every condition the
 * GICv2 path checks between a pending interrupt and GICC_IAR returning it
 * (IHI 0048B 3.2 and 4.4; KVM's vgic_queue_irq_unlock and the virtual CPU
 * interface), each with the view paths it depends on.
 */
import type { VmState } from '../../core/vm-state.js';
import type { IrqCondition } from '../../core/device.js';
import { VGIC } from '../../core/uapi.js';
import { bit, isPending } from '../irq.js';
import type { VgicState } from '../state.js';
import { CTLR, runningPriority, spiTargetIndex } from './cpuif.js';

export function explainVgicIrq(vm: VmState, s: VgicState, irq: number, root: string): IrqCondition[] {
  const out: IrqCondition[] = [];
  const spi = irq >= VGIC.NR_PRIVATE_IRQS;
  if (irq < 0 || irq > VGIC.MAX_SPI || (spi && irq >= s.spi.count)) {
    out.push({ vcpu: -1, name: 'exists', ok: false, value: `INTID ${irq} is not implemented (nr_irqs ${s.nrSpis + 32}${s.initialized ? '' : ', VGIC not initialised'})`, paths: [`${root}.nr_irqs`, `${root}.initialized`] });
    return out;
  }
  out.push({ vcpu: -1, name: 'distributor enabled (GICD_CTLR)', ok: s.enabled, value: String(s.enabled), paths: [`${root}.dist.enabled`] });
  s.cpus.forEach((cpu, v) => {
    const b = spi ? s.spi : cpu.priv;
    const base = spi ? `${root}.dist.irq[${irq}]` : `${root}.cpu[${v}].irq[${irq}]`;
    const c = `${root}.cpu[${v}]`;
    const group = bit(b.group, irq) ? 1 : 0;
    const prio = b.priority[irq]!;
    const edge = bit(b.edge, irq);
    const add = (name: string, ok: boolean, value: string, paths: string[]) => out.push({ vcpu: v, name, ok, value, paths });
    add('vcpu has run (VGIC mapped)', vm.vcpus[v]?.ran === true && s.ready, `ran=${vm.vcpus[v]?.ran} ready=${s.ready}`, [`vcpus[${v}].ran`, `${root}.ready`]);
    if (spi) add('targets this vcpu (GICD_ITARGETSR, lowest set bit)', spiTargetIndex(b, irq) === v, `targets=0x${b.targets[irq]!.toString(16)} -> vcpu ${spiTargetIndex(b, irq)}`, [`${base}.targets`]);
    add('enabled (GICD_ISENABLER)', bit(b.enabled, irq), String(bit(b.enabled, irq)), [`${base}.enabled`]);
    add(
      `pending (${edge ? 'edge: latch' : 'level: latch or line'})`,
      isPending(b, irq),
      `latch=${bit(b.latch, irq)} line_level=${bit(b.level, irq)} config=${edge ? 'edge' : 'level'}${irq < VGIC.NR_SGIS ? ` sources=0x${cpu.sgiSource[irq]!.toString(16)}` : ''}`,
      [`${base}.latch`, `${base}.line_level`, `${base}.config`, ...(irq < VGIC.NR_SGIS ? [`${base}.sources`] : [])],
    );
    add('not already active', !bit(b.active, irq), `active=${bit(b.active, irq)}`, [`${base}.active`]);
    const grpOn = (cpu.ctlr & (group ? CTLR.EnableGrp1 : CTLR.EnableGrp0)) !== 0;
    add(`group ${group} enabled at the CPU interface (GICC_CTLR.EnableGrp${group})`, grpOn, `group=${group} EnableGrp${group}=${grpOn}`, [`${base}.group`, `${c}.ctlr.EnableGrp${group}`]);
    add('priority below the priority mask (GICC_PMR)', prio < cpu.pmr, `priority 0x${prio.toString(16)} < PMR 0x${cpu.pmr.toString(16)}`, [`${base}.priority`, `${c}.pmr`]);
    const rpr = runningPriority(cpu);
    add('preempts the running priority (GICC_RPR)', prio < rpr, `priority 0x${prio.toString(16)} < RPR 0x${rpr.toString(16)}`, [`${base}.priority`, `${c}.apr`]);
    if (group === 1) add('group 1 acknowledged by GICC_IAR needs AckCtl (else 1022; GICC_AIAR takes it)', (cpu.ctlr & CTLR.AckCtl) !== 0, `AckCtl=${(cpu.ctlr & CTLR.AckCtl) !== 0}`, [`${c}.ctlr.AckCtl`]);
  });
  return out;
}
