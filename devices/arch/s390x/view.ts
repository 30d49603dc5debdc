/**
 * The s390 VM state as an s390 engineer reads it, under `s390` beside the
 * devices: `s390.tod.clock`, `s390.cpu.facilities` (the facility numbers the
 * guest's STFLE shows), `s390.cpu.features`, `s390.cmma`,
 * `s390.migration_mode`, `s390.crypto.aes_kw`.
 */
import type { VmState } from '../../core/vm-state.js';
import { s390Of } from './state.js';

function bitsSet(b: Uint8Array): number[] {
  const out: number[] = [];
  for (let n = 0; n < b.length * 8; n++) if (b[n >> 3]! & (0x80 >> (n & 7))) out.push(n);
  return out;
}

export function s390View(vm: VmState): Record<string, unknown> {
  const a = s390Of(vm);
  return {
    cmma: a.useCmma,
    mem_limit: a.memLimit,
    gmap_limit: a.gmapLimit,
    tod: { clock: a.tod, epoch_idx: a.epochIdx },
    cpu: { cpuid: a.cpuid, ibc: a.ibc, facilities: bitsSet(a.facList), features: bitsSet(a.cpuFeat), subfuncs: Buffer.from(a.subfuncs.subarray(0, 320)).toString('hex') },
    crypto: { aes_kw: a.aesKw, dea_kw: a.deaKw, apie: a.apie },
    migration_mode: a.migrationMode,
  };
}
