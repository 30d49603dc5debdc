/**
 * Output details a user reads: info says whether the trace was closed
 * cleanly (as its --help promises), diff shows register values hex first,
 * dump --json writes addresses as hex strings like the values and leaves
 * errno_name out on success, and ICC system registers decode into named
 * fields as the GICC registers do.
 */
import { copyFileSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { tempDir } from '../tmp.js';
import { devrr } from './run.js';

const E = 'traces/examples';
const dir = tempDir();

test('info says whether the trace was closed cleanly, both ways', async () => {
  const ok = await devrr('info', `${E}/two-runs-one-event/run-a.devrr`);
  expect((await devrr('info', '--help')).out).toContain('whether it was closed cleanly');
  expect(ok.out.split('\n')[1]).toBe('  closed cleanly: yes (the recorder wrote its footer: every event and checkpoint is indexed)');
  const cut = join(dir, 'cut.devrr');
  copyFileSync(`${E}/two-runs-one-event/run-a.devrr`, cut);
  truncateSync(cut, statSync(cut).size - 10);
  const bad = await devrr('info', cut);
  expect(bad.out).toMatch(/\n {2}closed cleanly: no \(no footer: the recorder stopped early; \d+ events read from its complete records/);
});

test('diff shows register values in hex first, the decimal in brackets', async () => {
  const t = `${E}/vgic-v2-eoi-out-of-order/vgic-v2-eoi-out-of-order.devrr`;
  const r = await devrr('diff', `${t}@20`, `${t}@25`);
  expect(r.out).toContain('-gic.cpu[0].apr = 0x100100 (1048832)');
  expect(r.out).toContain('+gic.cpu[0].rpr = 0xa0 (160)');
  expect(r.out).toContain(' gic.cpu[0].pmr = 0xf0 (240)');
  expect(r.out).not.toMatch(/= \d+ \(0x/);
});

test('dump --json: addresses as hex strings like the values; errno_name only for a failure; i and kind kept', async () => {
  const lines = (await devrr('dump', `${E}/vgic-v3-its-msi/vgic-v3-its-msi.devrr`, '--json')).out.split('\n').map((l) => JSON.parse(l));
  for (const o of lines) {
    expect(typeof o.i).toBe('number');
    expect(typeof o.kind).toBe('string');
    for (const k of ['addr', 'address', 'value']) if (k in o) expect(o[k], `${k} of event ${o.i}`).toMatch(/^0x[0-9a-f]+$/);
    if (o.errno === 0) expect(o, `event ${o.i}`).not.toHaveProperty('errno_name');
  }
  expect(lines.find((o) => o.kind === 'mem_write')).toMatchObject({ addr: '0x40000000' });
  expect(lines.find((o) => o.kind === 'signal_msi' && o.errno !== 0)).toMatchObject({ errno_name: 'EBUSY', address: '0x8090040' });
  const mmio = (await devrr('dump', `${E}/two-runs-one-event/run-a.devrr`, '--json')).out.split('\n').map((l) => JSON.parse(l)).find((o) => o.kind === 'mmio');
  expect(mmio.addr).toMatch(/^0x80/);
});

test('ICC registers decode into named fields, as GICC_IAR does', async () => {
  const r = await devrr('dump', `${E}/vgic-v3-bringup/vgic-v3-bringup.devrr`);
  expect(r.out).toMatch(/sysreg vcpu 3 read {2}ICC_IAR1_EL1 -> 0x1 \[INTID=1\]/);
  expect(r.out).toContain('sysreg vcpu 0 write ICC_PMR_EL1 <- 0xf0 [Priority=0xf0]');
  expect(r.out).toContain('sysreg vcpu 0 write ICC_IGRPEN1_EL1 <- 0x1 [Enable]');
  expect(r.out).toContain('ICC_SGI1R_EL1 <- 0x1000008 [TargetList=8 Aff1=0 INTID=1 Aff2=0 RS=0 Aff3=0]');
  const j = (await devrr('dump', `${E}/vgic-v3-bringup/vgic-v3-bringup.devrr`, '--json')).out.split('\n').map((l) => JSON.parse(l));
  expect(j.find((o) => o.reg_name === 'ICC_IAR1_EL1')).toMatchObject({ fields: 'INTID=1' });
});
