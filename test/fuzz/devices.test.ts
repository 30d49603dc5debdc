/**
 * Issue 9 item 13: random sequences of device-control calls and guest
 * events on every device model (VGIC v2, v3, the ITS), through the library
 * (recorder/execute.ts Session over devices/core/vm.ts), never throw: each
 * call returns an errno or a guest-visible result ("errors are data at the
 * API", kvm_device_ioctl_attr and the ioctls it stands for return -errno).
 * And save -> restore -> save through the device attributes, with the save
 * lists and restore orders replay/migrate.ts takes from
 * Documentation/virt/kvm/devices/arm-vgic-v3.rst and arm-vgic-its.rst, is
 * a fixed point. fast-check drives it with a fixed seed and shrinks a
 * failure to its shortest program; `npm run fuzz -- --target devices` runs
 * it at length.
 */
import fc from 'fast-check';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEV_TYPE, VGIC_GRP } from '../../devices/core/uapi.js';
import { Session } from '../../recorder/execute.js';
import { eventsOf, EXAMPLES } from './lib/corpus.js';
import { deviceProgramArb, fixedPointDiffs, migrateModelVm, runDeviceProgram, saveAttrs } from './lib/devices.js';

const SEED = 13;
const RUNS = 80;

describe('device models under random device-control calls and guest events (VGIC v2, v3, ITS)', () => {
  it('never throw: every call gives an errno in 0..4095 and results that fit (mmio value in len bytes, a u64 sysreg, mem_read bytes = len, MSI 0 or 1); snapshot -> restore keeps the digest; save -> restore -> save through the attributes is a fixed point (every save-list attribute reads back the same)', () => {
    fc.assert(
      fc.property(deviceProgramArb(60), (p) => {
        expect(runDeviceProgram(p).failures).toEqual([]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('the random states are deep: initialised v2 and v3 VGICs, enabled ITSes with mapped devices and events, pending LPIs, and many programs reach the migration check', () => {
    const seen = { v2: 0, v3: 0, its: 0, ites: 0, lpiPending: 0, migrated: 0 };
    for (const p of fc.sample(deviceProgramArb(60), { seed: SEED, numRuns: RUNS })) {
      const o = runDeviceProgram(p, { migrate: false });
      for (const d of o.session.vms[0]!.state.devices) {
        const st = d.state as { initialized?: boolean; enabled?: boolean; devices?: { ites: unknown[] }[]; lpis?: { pending: boolean }[] };
        if (d.type === DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_V2 && st.initialized) seen.v2++;
        if (d.type === DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_V3 && st.initialized) seen.v3++;
        if (d.type === DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_ITS && st.enabled) seen.its++;
        if (st.devices?.some((x) => x.ites.length)) seen.ites++;
        if (st.lpis?.some((l) => l.pending)) seen.lpiPending++;
      }
      const vm = o.session.vms[0]!;
      if (vm.state.irqchip >= 0 && vm.anyVcpuRan()) seen.migrated++;
    }
    expect(Math.min(seen.v2, seen.v3, seen.its, seen.ites, seen.lpiPending)).toBeGreaterThan(3);
    expect(seen.migrated).toBeGreaterThan(RUNS / 3);
  });

  it('the fixed-point check can fail: a destination whose GICD_ISENABLER1 changed after the restore is caught', () => {
    const s = new Session();
    for (const ev of eventsOf(join(EXAMPLES, 'vgic-v3-its-msi/vgic-v3-its-msi.devrr'))) s.execute(ev);
    const src = s.vms[0]!;
    const first = saveAttrs(src);
    const { dest, errors } = migrateModelVm(src, new Map());
    expect(errors).toEqual([]);
    expect(fixedPointDiffs(first, saveAttrs(dest))).toEqual([]);
    // GICD_ISENABLER1 (offset 0x104): enable SPI 33 on the destination only.
    const gic = dest.state.irqchip;
    expect(dest.setAttr({ kind: 'device', handle: gic }, VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x104n, { nullPtr: false, value: 2n })).toBe(0);
    expect(fixedPointDiffs(first, saveAttrs(dest)).join('\n')).toMatch(/GICD_ISENABLER.*0x0 -> 0x2|0x2 -> /);
  });
});
