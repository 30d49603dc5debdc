/**
 * The generic layers hold no device family's or architecture's knowledge
 * (issue 10: "no GIC or arm64 name, regular expression or mask remains in
 * replay/, recorder/, traces/ or tui/ outside family-provided data"). Every
 * line of code there (comments aside) is searched for the GIC's and arm64's
 * names, INTID limits and masks; what interrupts an event touches, how an
 * interrupt line is written and what a register is called come from the
 * families (their `inspect` facets) and the arch rules, through the
 * Inspector.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';

const FOLDERS = ['replay', 'recorder', 'traces', 'tui'];

/** The GIC's and arm64's names, and the masks and limits of their numbering. */
const FAMILY = [
  /\b(?:GIC\w*|GICD_\w+|GICC_\w+|GICR_\w+|GITS_\w+|ICC_\w+|ITS|VGIC\w*|[vV]gic\w*|arm64|aarch64|AArch64|KVM_ARM_\w+)\b/,
  /\b(?:INTID|InterruptID|SGIINTID|SGI|PPI|SPI|LPI|MPIDR|mpidr)\b/,
  /&\s*0x3ff\b|\birq\s*&\s*0xffff\b|0xffff\s*&\s*\w*irq/,
  /\b10(?:19|20|23)\b/,
];

/**
 * Files that are family data, each with its reason. Short on purpose: a
 * new entry needs one.
 */
const ALLOWED: Readonly<Record<string, string>> = {
  'recorder/scenario.ts': "the scenario format's arm64 line forms (spi, ppi, cpu) and its mpidr field (docs/scenarios.md, a contract); its group and attr names come from the addressed fd's model",
  'replay/bench.ts': "devrr bench's progress lines name the workloads it runs (a GICv2 guest, a GICv3 guest)",
  'replay/bench-workloads.ts': "devrr bench's workloads are GICv2 and GICv3 guests by definition (their registers and lines are the benchmark's data)",
  'recorder/import/kvm-formats.ts': "the kernel's own trace-event formats (TP_printk), arm64's vgic and irq-line events among them: what the importer reads, transcribed",
  'recorder/live/abi.ts': 'the KVM uapi as bytes for the host: every ioctl devrr issues, KVM_ARM_SET_DEVICE_ADDR among them (a header transcription)',
  'recorder/live/backend.ts': "the host's architecture by name, and the arm_set_device_addr kind's ioctl: the live backend issues what the trace holds",
  'recorder/live/plan.ts': 'the ioctl each live kind issues, by name (KVM_ARM_SET_DEVICE_ADDR for arm_set_device_addr)',
};

function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) yield* sources(p);
    else if (/\.(?:ts|tsx|mts|mjs)$/.test(e)) yield p;
  }
}

/** The lines of `text` whose code (comments removed) matches a family pattern, as "LINE: text". */
function familyLines(text: string): string[] {
  const out: string[] = [];
  let inComment = false;
  text.split('\n').forEach((line, i) => {
    let code = line;
    if (inComment) {
      const end = code.indexOf('*/');
      if (end < 0) return;
      code = code.slice(end + 2);
      inComment = false;
    }
    code = code.replace(/\/\*.*?\*\//g, '');
    const open = code.indexOf('/*');
    if (open >= 0) {
      inComment = true;
      code = code.slice(0, open);
    }
    code = code.replace(/(^|[^:'"`\\])\/\/.*$/, '$1');
    if (FAMILY.some((re) => re.test(code))) out.push(`${i + 1}: ${line.trim()}`);
  });
  return out;
}

test('the search finds what it looks for (the GIC code issue 10 names), and skips comments', () => {
  expect(familyLines("if (!/^GICC_(A?IAR|A?EOIR|DIR)$/.test(reg) || (Number(ev.value) & 0x3ff) !== m.irq) return false;")).toHaveLength(1);
  expect(familyLines('if ((ev.irq & 0xffff) !== m.irq) return false;')).toHaveLength(1);
  expect(familyLines("const f = /\\b(?:InterruptID|SGIINTID|INTID)=(0x[0-9a-f]+|\\d+)/.exec(s);")).toHaveLength(1);
  expect(familyLines('return n < 1020 ? n : null;')).toHaveLength(1);
  expect(familyLines("if (arch !== 'arm64') return `GSI ${irq}`;")).toHaveLength(1);
  expect(familyLines('/** GICC_IAR, arm64 */\nconst a = 1; // SPI 42\n/*\n * INTID 1020\n */')).toEqual([]);
});

test('replay/, recorder/, traces/ and tui/ name no GIC or arm64 register, line, INTID limit or mask outside family data', () => {
  const found: string[] = [];
  for (const f of FOLDERS.flatMap((d) => [...sources(d)])) {
    if (ALLOWED[f]) continue;
    for (const l of familyLines(readFileSync(f, 'utf8'))) found.push(`${f}:${l}`);
  }
  expect(found).toEqual([]);
});

test('every allowed file exists and still needs its entry', () => {
  for (const f of Object.keys(ALLOWED)) expect(familyLines(readFileSync(f, 'utf8')).length, f).toBeGreaterThan(0);
});
