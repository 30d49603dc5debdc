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
  const mask = sgiTargetMask(vcpuIds.length, vcpuIds[sourceIndex]!, val);
  const out: number[] = [];
  for (let c = 0; c < vcpuIds.length; c++) if (mask & (1 << c)) out.push(c);
  return out;
}

/** sgiTargets as a mask of vcpu indexes (bit c: vcpu index c), with no array: the guest's SGIR write path. */
function sgiTargetMask(nrVcpus: number, sourceId: number, val: number): number {
  // Only vcpus that exist count (c < nr_vcpus).
  const exist = nrVcpus >= 32 ? -1 : (1 << nrVcpus) - 1;
  switch ((val >>> 24) & 3) {
    case 0: // as specified by the target list
      return (val >>> 16) & 0xff & exist;
    case 1: // all but self
      return ((1 << nrVcpus) - 1) & ~(1 << sourceId) & exist;
    case 2: // self only
      return (1 << sourceId) & exist;
    default: // 3, reserved: ignored
      return 0;
  }
}

export function sendSgis(vm: VmCtx, s: VgicState, sourceIndex: number, val: number): void {
  const vcpus = vm.state.vcpus;
  const sourceId = vcpus[sourceIndex]!.id;
  const intid = val & 0xf;
  for (let m = sgiTargetMask(vcpus.length, sourceId, val); m; m &= m - 1) {
    const cpu = s.cpus[31 - Math.clz32(m & -m)]!;
    cpu.priv.latch[0] = cpu.priv.latch[0]! | (1 << intid);
    cpu.sgiSource[intid] = (cpu.sgiSource[intid]! | (1 << sourceId)) & 0xff;
  }
}
