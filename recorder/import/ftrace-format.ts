/**
 * tracefs event formats (`/sys/kernel/tracing/events/kvm/NAME/format`):
 * the fields of an event and the `print fmt` that turns them into the text
 * of a `trace` line. An importer reads a line back by running the print
 * format in reverse: each conversion (%u, %llx, %s...) becomes a capture,
 * and the argument expression behind it says what the capture is:
 *
 * - `REC->gsi`: the field itself;
 * - `__print_symbolic(REC->type, { 0, "unsatisfied-read" }, ...)`: the
 *   field, by looking the printed name up in the table;
 * - `REC->rw ? "write" : "read"`: the field's truth (1 or 0);
 * - anything else (`(u8)(REC->e >> 56)`, a ternary on a mask): a derived
 *   value, kept under its expression's text, with the literal strings the
 *   expression can print as the only texts a %s may match.
 *
 * Formats come from the capture's own format files when given; the
 * built-in ones (kvm-formats.ts) are the kernel's TP_printk strings.
 */

/** One field of an event's record, as its format file declares it. */
export interface FormatField {
  readonly type: string;
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly signed: boolean;
}

export interface EventFormat {
  readonly name: string;
  readonly id?: number;
  readonly fields: readonly FormatField[];
  /** The printf-style format string, unquoted. */
  readonly fmt: string;
  /** The argument expressions, one per conversion, as written. */
  readonly args: readonly string[];
}

/** What reading a line's text back through a format gave: fields by name, derived values by expression. */
export interface ParsedFields {
  /** Fields recovered exactly (REC->x, a symbolic name, a ternary's truth). */
  readonly fields: Record<string, bigint>;
  /** Values printed from an expression over fields, keyed by the expression ("(u8)REC->e"); numbers as bigint, %s as text. */
  readonly derived: Record<string, bigint | string>;
}

export class FormatError extends Error {
  override name = 'FormatError';
}

/** Longest format file or print fmt accepted (the kernel's are a few KiB; kvm_exit's is the longest, about 5 KiB). */
const MAX_FORMAT_BYTES = 256 * 1024;

/** Parses a tracefs `format` file. Throws FormatError naming the line at fault. */
export function parseFormatFile(text: string): EventFormat {
  if (text.length > MAX_FORMAT_BYTES) throw new FormatError(`format file is ${text.length} bytes, more than ${MAX_FORMAT_BYTES}`);
  let name: string | undefined;
  let id: number | undefined;
  const fields: FormatField[] = [];
  let print: string | undefined;
  for (const [n, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line) continue;
    let m: RegExpExecArray | null;
    if ((m = /^name:\s*(\S+)$/.exec(line))) name = m[1];
    else if ((m = /^ID:\s*(\d+)$/.exec(line))) id = Number(m[1]);
    else if ((m = /^field:(.+?);\s*offset:(\d+);\s*size:(\d+);\s*signed:([01]);$/.exec(line))) {
      const decl = m[1]!.trim();
      const fm = /^(.*?)\s*\b(\w+)(\[[^\]]*\])?$/.exec(decl);
      if (!fm) throw new FormatError(`line ${n + 1}: cannot read the field declaration "${decl}"`);
      fields.push({ type: `${fm[1]}${fm[3] ?? ''}`.trim(), name: fm[2]!, offset: Number(m[2]), size: Number(m[3]), signed: m[4] === '1' });
    } else if ((m = /^print fmt:\s*(.*)$/.exec(line))) print = m[1];
    else if (line !== 'format:') throw new FormatError(`line ${n + 1}: not a line of a tracefs format file: "${line.slice(0, 80)}"`);
  }
  if (!name) throw new FormatError('no "name:" line');
  if (print === undefined) throw new FormatError(`${name}: no "print fmt:" line`);
  const [fmtLit, ...args] = splitTopLevel(print);
  const fmt = stringLiteral(fmtLit ?? '');
  if (fmt === undefined) throw new FormatError(`${name}: print fmt does not start with a string`);
  return { name, ...(id !== undefined && { id }), fields, fmt, args };
}

/** Splits a C argument list at top-level commas (outside parentheses, braces and strings). */
export function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  let inStr = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (inStr) {
      cur += c;
      if (c === '\\') cur += s[++i] ?? '';
      else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') inStr = true;
    else if (c === '(' || c === '{' || c === '[') depth++;
    else if (c === ')' || c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** The value of a C string literal (adjacent literals joined: "KVM_EXIT_" "IO"), or undefined if `s` is not one. */
export function stringLiteral(s: string): string | undefined {
  const parts = /^(?:\s*"(?:[^"\\]|\\.)*"\s*)+$/.test(s) ? [...s.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!) : undefined;
  return parts?.map(unescapeC).join('');
}

function unescapeC(s: string): string {
  return s.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
}

/** Every string an expression can print: its literals, adjacent ones joined. */
function literalsOf(expr: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"(?:\s*"((?:[^"\\]|\\.)*)")*/g;
  for (const m of expr.matchAll(re)) out.push(unescapeC([...m[0].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((x) => x[1]!).join('')));
  return out;
}

/** A small integer constant expression of a symbolic table ("0x040 + 13", "-1"). */
function constValue(expr: string): bigint | undefined {
  const terms = expr.split('+').map((t) => t.trim());
  let v = 0n;
  for (const t of terms) {
    if (!/^-?(0x[0-9a-fA-F]+|\d+)$/.test(t)) return undefined;
    v += t.startsWith('-') ? -BigInt(t.slice(1)) : BigInt(t);
  }
  return v;
}

/** What a conversion's argument is, for reading its capture back. */
type ArgMeaning =
  | { readonly kind: 'field'; readonly field: string }
  | { readonly kind: 'symbolic'; readonly field: string; readonly names: ReadonlyMap<string, bigint> }
  | { readonly kind: 'truth'; readonly field: string; readonly yes: string; readonly no: string }
  | { readonly kind: 'derived'; readonly expr: string; readonly texts?: readonly string[] };

function meaningOf(expr: string): ArgMeaning {
  let m: RegExpExecArray | null;
  if ((m = /^REC->(\w+)$/.exec(expr))) return { kind: 'field', field: m[1]! };
  if ((m = /^__print_symbolic\(\s*REC->(\w+)\s*,([\s\S]*)\)$/.exec(expr))) {
    const names = new Map<string, bigint>();
    for (const e of m[2]!.matchAll(/\{\s*([^,{}]+?)\s*,\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\}/g)) {
      const v = constValue(e[1]!);
      const s = stringLiteral(e[2]!);
      if (v !== undefined && s !== undefined) names.set(s, v);
    }
    return { kind: 'symbolic', field: m[1]!, names };
  }
  if ((m = /^REC->(\w+)\s*\?\s*("(?:[^"\\]|\\.)*")\s*:\s*("(?:[^"\\]|\\.)*")$/.exec(expr))) return { kind: 'truth', field: m[1]!, yes: stringLiteral(m[2]!)!, no: stringLiteral(m[3]!)! };
  const texts = literalsOf(expr);
  // The key a derived value is kept under: the expression, its symbolic tables elided.
  const key = expr.replace(/__print_symbolic\(([^,]+),(?:\s*\{[^{}]*\}\s*,?)*\s*\)/g, '__print_symbolic($1, ...)').replace(/\s+/g, ' ');
  return { kind: 'derived', expr: key, ...(texts.length && { texts }) };
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A compiled reader for one event format's printed text. */
export interface TextReader {
  /** The fields and derived values of `text`, or undefined when the text is not this format's output. */
  read(text: string): ParsedFields | undefined;
}

/**
 * Compiles a format's print fmt into a reader of its output. Conversions:
 * d i u (decimal), x X (hex, no prefix), c, s, with flags, width and the
 * h/l/ll/z length modifiers; %% is a percent sign.
 */
export function compilePrintFmt(f: Pick<EventFormat, 'name' | 'fmt' | 'args'>): TextReader {
  const conv = /%([-+ #0]*)(\d+|\*)?(?:\.(\d+))?(hh|h|ll|l|z|L)?([diuxXcsp%])/g;
  let re = '^';
  let last = 0;
  let argIndex = 0;
  const captures: { meaning: ArgMeaning; numeric: 'dec' | 'hex' | 'text' }[] = [];
  // Literal text, with runs of blanks matching any run (trace-cmd pads some fields).
  const literal = (t: string) => escapeRe(t).replace(/ +/g, ' +');
  for (const m of f.fmt.matchAll(conv)) {
    re += literal(f.fmt.slice(last, m.index));
    last = m.index! + m[0].length;
    const c = m[5]!;
    if (c === '%') {
      re += '%';
      continue;
    }
    const expr = f.args[argIndex++];
    if (expr === undefined) throw new FormatError(`${f.name}: print fmt has more conversions than arguments`);
    const meaning = meaningOf(expr);
    if (c === 's' || c === 'c' || c === 'p') {
      const texts = meaning.kind === 'symbolic' ? [...meaning.names.keys()] : meaning.kind === 'truth' ? [meaning.yes, meaning.no] : meaning.kind === 'derived' ? meaning.texts : undefined;
      // A %s that may print nothing: the blank before it may be gone too (a trimmed line end).
      if (!texts || texts.includes('')) re = re.replace(/ \+$/, ' *');
      re += texts ? `(${[...texts].sort((a, b) => b.length - a.length).map(escapeRe).join('|')})` : c === 'c' ? '(.)' : '(.*?)';
      captures.push({ meaning, numeric: 'text' });
    } else if (c === 'x' || c === 'X') {
      // "%#llx" prints a 0x prefix itself (none for 0).
      re += m[1]!.includes('#') ? '\\s*(?:0x)?([0-9a-fA-F]+)' : '\\s*([0-9a-fA-F]+)';
      captures.push({ meaning, numeric: 'hex' });
    } else {
      re += '\\s*(-?\\d+)';
      captures.push({ meaning, numeric: 'dec' });
    }
  }
  re += literal(f.fmt.slice(last));
  re = `${re.replace(/ [+*]$/, '')}\\s*$`;
  const rx = new RegExp(re);
  return {
    read(text) {
      const m = rx.exec(text);
      if (!m) return undefined;
      const fields: Record<string, bigint> = {};
      const derived: Record<string, bigint | string> = {};
      captures.forEach((cap, k) => {
        const s = m[k + 1]!;
        const num = cap.numeric === 'hex' ? BigInt(`0x${s}`) : cap.numeric === 'dec' ? BigInt(s) : undefined;
        const mean = cap.meaning;
        if (mean.kind === 'field') {
          if (num !== undefined) fields[mean.field] = num;
          else derived[`REC->${mean.field}`] = s;
        } else if (mean.kind === 'symbolic') {
          const v = mean.names.get(s);
          if (v !== undefined) fields[mean.field] = v;
          else derived[`REC->${mean.field}`] = s;
        } else if (mean.kind === 'truth') fields[mean.field] = s === mean.yes ? 1n : 0n;
        else derived[mean.expr] = num ?? s;
      });
      return { fields, derived };
    },
  };
}
