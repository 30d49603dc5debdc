/**
 * GICD_SGIR writes (vgic_mmio_write_sgir, vgic-mmio-v2.c): the target list
 * filter picks the vcpus, and each target's SGI becomes pending with the
 * sender's bit in its source mask. The kernel mixes vcpu ids (source bit,
 * "self") with vcpu indexes (the target list); so does this model.
 */
import type { VmCtx } from '../../core/device.js';
import type { VgicState } from '../state.js';

/**
 * The vcpu indexes a GICD_SGIR write from vcpu index `sourceIndex` targets,
 * as vgic_mmio_write_sgir picks them: the target list, all but self, self,
 * or none for the reserved filter; only vcpus that exist (c < nr_vcpus).
 */
export function sgiTargets(vcpuIds: readonly number[], sourceIndex: number, val: number): number[] {
  const nrVcpus = vcpuIds.length;
  const sourceId = vcpuIds[sourceIndex]!;
  let targets = (val >>> 16) & 0xff;
  switch ((val >>> 24) & 3) {
    case 0: // as specified by the target list
      break;
    case 1: // all but self
      targets = ((1 << nrVcpus) - 1) & ~(1 << sourceId);
      break;
    case 2: // self only
      targets = 1 << sourceId;
      break;
    case 3: // reserved: ignored
      return [];
  }
  const out: number[] = [];
  for (let c = 0; c < nrVcpus; c++) if (targets & (1 << c)) out.push(c);
  return out;
}

export function sendSgis(vm: VmCtx, s: VgicState, sourceIndex: number, val: number): void {
  const sourceId = vm.state.vcpus[sourceIndex]!.id;
  const intid = val & 0xf;
  for (const c of sgiTargets(vm.state.vcpus.map((v) => v.id), sourceIndex, val)) {
    const cpu = s.cpus[c]!;
    cpu.priv.latch[0] = cpu.priv.latch[0]! | (1 << intid);
    cpu.sgiSource[intid] = (cpu.sgiSource[intid]! | (1 << sourceId)) & 0xff;
  }
}
