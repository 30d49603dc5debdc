/**
 * The VGIC is the template the next device families copy, so its layout is
 * checked: which module may import which, and that register handlers get
 * their device's state instead of looking it up again.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const DEVICES = fileURLToPath(new URL('../../devices/', import.meta.url));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return filesUnder(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Every module under devices/ with the devices/-relative paths it imports. */
const MODULES = filesUnder(DEVICES).map((file) => {
  const text = readFileSync(file, 'utf8');
  const imports = [...text.matchAll(/from '(\.[^']+)'/g)].map((m) => relative(DEVICES, join(file, '..', m[1]!)).replace(/\.js$/, '.ts'));
  return { path: relative(DEVICES, file), text, imports };
});

const under = (dir: string) => MODULES.filter((m) => m.path.startsWith(dir));

describe('the VGIC family layout', () => {
  test('v3/ imports nothing from its/: KVM_SIGNAL_MSI reaches the ITS through its device model (kvm_set_msi -> vgic_its_inject_msi)', () => {
    const bad = under('arm-vgic/v3/').flatMap((m) => m.imports.filter((i) => i.startsWith('arm-vgic/its/')).map((i) => `${m.path} -> ${i}`));
    expect(bad).toEqual([]);
  });

  test('its/ reaches the GICv3 VGIC only through the LPI module (v3/lpi.ts)', () => {
    const bad = under('arm-vgic/its/').flatMap((m) => m.imports.filter((i) => i.startsWith('arm-vgic/v3/') && i !== 'arm-vgic/v3/lpi.ts').map((i) => `${m.path} -> ${i}`));
    expect(bad).toEqual([]);
    expect(under('arm-vgic/its/').some((m) => m.imports.includes('arm-vgic/v3/lpi.ts'))).toBe(true);
  });

  test('no module under devices/ but the Vm and the LPI module reads vm.state.devices[vm.state.irqchip]: handlers get their device state', () => {
    const bad = MODULES.filter((m) => /devices\[\s*vm\.state\.irqchip\s*\]/.test(m.text) && m.path !== 'core/vm.ts').map((m) => m.path);
    expect(bad).toEqual([]);
  });

  test('GICv2-only modules live under v2/: nothing at the family level imports v2/ (the view and explain are v2/view.ts, v2/explain.ts)', () => {
    const family = MODULES.filter((m) => /^arm-vgic\/[^/]+\.ts$/.test(m.path));
    const bad = family.flatMap((m) => m.imports.filter((i) => i.startsWith('arm-vgic/v2/')).map((i) => `${m.path} -> ${i}`));
    expect(bad).toEqual([]);
    expect(MODULES.map((m) => m.path)).toEqual(expect.arrayContaining(['arm-vgic/v2/view.ts', 'arm-vgic/v2/explain.ts']));
  });

  test('the per-IRQ register handlers are one set shared by v2 and v3 (arm-vgic/mmio.ts, as vgic-mmio.c): every distributor and redistributor table imports it', () => {
    for (const p of ['arm-vgic/v2/dist.ts', 'arm-vgic/v3/dist.ts', 'arm-vgic/v3/redist.ts']) {
      expect({ p, shared: MODULES.find((m) => m.path === p)!.imports.includes('arm-vgic/mmio.ts') }).toEqual({ p, shared: true });
    }
  });
});
