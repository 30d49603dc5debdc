/**
 * docs/cli.md documents every command in bin/main.ts's COMMANDS, each in its
 * own section, with every option the command's own option table declares.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { COMMANDS } from '../../bin/main.js';

const doc = readFileSync(new URL('../../docs/cli.md', import.meta.url), 'utf8');

/** The text of the `## devrr NAME` section, up to the next `## `. */
function section(name: string): string | undefined {
  const start = doc.indexOf(`\n## devrr ${name}\n`);
  if (start < 0) return undefined;
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

test('every command in COMMANDS has a section in docs/cli.md with its options and exit status', async () => {
  expect(COMMANDS.length).toBeGreaterThanOrEqual(11);
  for (const entry of COMMANDS) {
    const c = await entry.load();
    expect(c.name, 'the name COMMANDS lists it by').toBe(entry.name);
    const s = section(c.name);
    expect(s, `devrr ${c.name} has no section`).toBeDefined();
    expect(s, c.name).toMatch(/exit status/i);
    for (const [opt, spec] of Object.entries(c.options)) {
      expect(s, `devrr ${c.name} --${opt}`).toContain(`--${opt}`);
      if (spec.short) expect(s, `devrr ${c.name} -${spec.short}`).toContain(`\`-${spec.short}\``);
    }
    // And the command table at the top links it.
    expect(doc).toContain(`(#devrr-${c.name})`);
  }
});
