/**
 * docs/scenarios.md is the project's own scenario reference (a clone has no
 * other): every op the parser accepts, with every field it takes, and every
 * name and limit the parser knows, must be documented there. The lists come
 * from the parser's own tables, so a new op or field without its docs fails
 * here.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { ERRNO, NAMES } from '../../devices/core/uapi.js';
import { ARCH_RULES, archFdNames } from '../../devices/arch/index.js';
import { deviceNames } from '../../devices/core/names.js';
import { DEVICE_MODELS } from '../../devices/registry.js';
import { MAX_SCENARIO_BYTES, MAX_SCENARIO_CONTAINERS, MAX_SCENARIO_DEPTH, MAX_SCENARIO_VALUES } from '../../recorder/scenario-file.js';
import { runScenario } from '../helpers.js';
import { MAX_DEVICE_CREATES_PER_VM, MAX_VMS } from '../../devices/core/vm-state.js';
import { MAX_GUEST_PAGES } from '../../devices/core/guest-mem.js';
import { MAX_NOTE_BYTES } from '../../traces/format.js';
import { COMMON_FIELDS, MAX_READ_BYTES, MAX_STEP_BYTES, MAX_STEPS, MAX_WRITTEN_PAGES, OP_FIELDS, SCENARIO_OPS, TOP_FIELDS } from '../../recorder/scenario.js';

const doc = readFileSync(new URL('../../docs/scenarios.md', import.meta.url), 'utf8');
const lines = doc.split('\n');

/** The table row of the op table whose first cell names `op`. */
function opRow(op: string): string | undefined {
  return lines.find((l) => l.startsWith('| `') && (l.split('|')[1] ?? '').includes(`\`${op}\``) && l.split('|').length >= 5);
}

test('every op the parser accepts has a row in the op table of docs/scenarios.md, naming every field it takes', () => {
  expect(SCENARIO_OPS.length).toBeGreaterThanOrEqual(16);
  for (const op of SCENARIO_OPS) {
    const row = opRow(op);
    expect(row, `no row for op ${op}`).toBeDefined();
    for (const f of OP_FIELDS.get(op)!) expect(row!.includes(`\`${f}\``) || row!.includes(`\`${f}?\``), `op ${op}: field ${f} undocumented in ${row}`).toBe(true);
    // And the op has its own section or paragraph of details.
    expect(doc, `op ${op}: no details`).toMatch(new RegExp(`^### .*\\b${op}\\b`, 'm'));
  }
});

test('the fields every step takes and the top-level fields are documented', () => {
  for (const f of [...COMMON_FIELDS, ...TOP_FIELDS]) expect(lines.some((l) => l.startsWith(`| \`${f}\` |`)), f).toBe(true);
});

test('every name the parser accepts (types, groups, attrs, flags, caps, system registers, errnos) is listed', () => {
  for (const table of Object.values(NAMES)) for (const name of Object.keys(table)) expect(doc, name).toContain(`\`${name}\``);
  // Groups and attr constants are each device's (and each arch fd's) own: every registered table's names.
  const tables = [...[...DEVICE_MODELS.values()].map(deviceNames), ...Object.values(ARCH_RULES).flatMap((r) => [archFdNames(r.arch, 'vm'), archFdNames(r.arch, 'vcpu')])];
  for (const t of tables) for (const name of [...t.groups.keys(), ...t.anyGroupAttrs.keys()]) expect(doc, `${t.what}: ${name}`).toContain(`\`${name}\``);
  for (const name of Object.keys(ERRNO)) expect(doc, name).toContain(`\`${name}\``);
  // One-reg registers are the families' own (DeviceKernel.oneRegs): every one a `one_reg` step may name.
  for (const m of DEVICE_MODELS.values()) for (const r of m.kernel.oneRegs ?? []) expect(doc, r.name).toContain(`\`${r.name}\``);
});

test('the limits the parser enforces are the ones the docs state', () => {
  const n = (x: number) => x.toLocaleString('en-US');
  expect(doc).toContain(`${MAX_SCENARIO_BYTES >> 20} MiB (read no further`);
  expect(doc).toContain(`${MAX_SCENARIO_DEPTH} levels in the file`);
  expect(doc).toContain(n(MAX_SCENARIO_VALUES));
  expect(doc).toContain(n(MAX_SCENARIO_CONTAINERS));
  expect(doc).toContain(`| steps | ${n(MAX_STEPS)}`);
  expect(doc).toContain(`\`mem_read\` \`len\` | ${MAX_STEP_BYTES >> 20} MiB`);
  expect(doc).toContain(`${MAX_WRITTEN_PAGES} distinct 4 KiB pages`);
  expect(doc).toContain(`${MAX_READ_BYTES >> 20} MiB in all`);
  expect(doc).toContain(`| VMs | ${MAX_VMS}: the file's own and ${MAX_VMS - 1} \`create_vm\` steps |`);
  expect(doc).toContain(`| \`create_device\` steps | ${MAX_DEVICE_CREATES_PER_VM} per VM`);
  expect(doc).toContain(`| a \`note\` | ${MAX_NOTE_BYTES >> 10} KiB`);
  expect(doc).toContain(`at most ${MAX_GUEST_PAGES} written pages`);
});

test('the README points at docs/ and never at a ../shared tree a clone does not have', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  expect(readme).not.toMatch(/shared\/spec|\.\.\/shared/);
  expect(readme).toContain('(docs/scenarios.md)');
  expect(readme).toContain('(docs/cli.md)');
});

test('the scenarios shown in docs/scenarios.md and the README parse and record with every expectation met', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const blocks = [...`${doc}\n${readme}`.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => b.includes('"steps"'));
  expect(blocks.length).toBeGreaterThanOrEqual(2);
  for (const b of blocks) expect(runScenario(JSON.parse(b)).misses).toEqual([]);
});
