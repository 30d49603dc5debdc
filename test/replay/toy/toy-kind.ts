/**
 * Two event kinds that live in the test tree alone, declared as data
 * (traces/kinds.ts) and registered at run time, to show that a new kind
 * plugs into every layer (the trace format, scenarios, recording,
 * execution, replay's result check, dump, the TUI, breakpoints) with no
 * file outside test/ knowing it:
 *
 * - `toy_doorbell` (op `toy_doorbell`, field `line`): a guest rings the toy
 *   PIC's doorbell, which raises `line` on the VM's irqchip (the Vm's
 *   KVM_IRQ_LINE path). It changes device state: replay needs it.
 * - `toy_marker` (op `toy_marker`, field `tag`): a mark the VMM leaves in
 *   the trace; it changes nothing, so a reader that does not know it skips it.
 */
import { errnoName } from '../../../devices/core/uapi.js';
import { type DeclaredEvent, type EventKindDecl, kindDecl, registerEventKind } from '../../../traces/kinds.js';

export const TOY_DOORBELL: EventKindDecl = {
  name: 'toy_doorbell',
  since: [1, 2],
  needed: true,
  description: 'a guest rings the toy doorbell, raising a line',
  fields: [
    { name: 'line', type: 'u32' },
    { name: 'errno', type: 'errno' },
  ],
  results: ['errno'],
  scenario: {
    op: 'toy_doorbell',
    fields: ['line', 'expect'],
    parse: (p) => ({ line: p.uint('line', 0xffff) }),
    request: (f) => ({ line: f['line'], errno: 0 }),
  },
  execute: (vm, ev) => ({ errno: vm.irqLine(ev['line'] as number, 1) }),
  describe: (ev: DeclaredEvent) => `toy_doorbell line ${ev['line'] as number}${ev['errno'] ? ` -> ${errnoName(ev['errno'] as number)}` : ''}`,
};

export const TOY_MARKER: EventKindDecl = {
  name: 'toy_marker',
  since: [1, 2],
  needed: false,
  description: 'a mark the VMM leaves in the trace',
  fields: [{ name: 'tag', type: 'u32' }],
  results: [],
  scenario: { op: 'toy_marker', fields: ['tag'], parse: (p) => ({ tag: p.u32('tag') }), request: (f) => ({ tag: f['tag'] }) },
  execute: () => ({}),
};

/** Register both (once per test file's module graph). */
export function registerToyKinds(): void {
  for (const d of [TOY_DOORBELL, TOY_MARKER]) if (!kindDecl(d.name)) registerEventKind(d);
}
