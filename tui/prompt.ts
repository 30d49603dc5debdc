/**
 * The status line's one-line prompts (go to, search, explain): the text
 * being typed, how keys edit it, and what a submitted text means.
 */
import type { PromptState } from './frame.js';
import type { KeyRecord } from './keys.js';

export type PromptKind = 'goto' | 'search' | 'explain';

/** What a key did to the prompt. */
export type PromptOutcome = { readonly type: 'edited' } | { readonly type: 'closed' } | { readonly type: 'submit'; readonly kind: PromptKind; readonly text: string };

export class Prompt {
  private open_: { kind: PromptKind; label: string; text: string } | null = null;

  get isOpen(): boolean {
    return this.open_ !== null;
  }

  open(kind: PromptKind, label: string, text: string): void {
    this.open_ = { kind, label, text };
  }

  /** The prompt as the frame shows it, or null. */
  state(): PromptState | null {
    return this.open_ && { label: this.open_.label, text: this.open_.text };
  }

  /** Edits the text; Esc closes the prompt, Enter closes it and submits the trimmed text. */
  key(k: KeyRecord): PromptOutcome {
    const p = this.open_!;
    if (k.name === 'escape') {
      this.open_ = null;
      return { type: 'closed' };
    }
    if (k.name === 'backspace') p.text = p.text.slice(0, -1);
    else if (k.name === 'char' && !k.ctrl && !k.meta) p.text += k.char;
    else if (k.name === 'return') {
      this.open_ = null;
      return { type: 'submit', kind: p.kind, text: p.text.trim() };
    }
    return { type: 'edited' };
  }
}

/**
 * The event a go-to prompt names: "N", or "+N" / "-N" from the current
 * event `cur`; "#", "_" and "," are ignored ("#1_000"). An error message
 * for anything else or an event outside [0, length).
 */
export function parseGoto(text: string, cur: number, length: number): { readonly event: number } | { readonly error: string } {
  const m = /^([+-]?)(\d+)$/.exec(text.replace(/[#_,]/g, ''));
  if (!m) return { error: `not an event number: "${text}"` };
  const n = Number(m[2]);
  const event = m[1] === '+' ? cur + n : m[1] === '-' ? cur - n : n;
  if (event < 0 || event >= length) return { error: `no event ${event}: the trace has events 0-${length - 1}` };
  return { event };
}
