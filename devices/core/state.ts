/**
 * Snapshot, digest and structural diff of plain-data state. These work on any
 * device's state because every state is plain data (see device.ts), so no
 * device writes its own.
 */
import { createHash } from 'node:crypto';

export type TypedArray = Uint8Array | Uint16Array | Uint32Array | Int32Array;

export function isTypedArray(v: unknown): v is TypedArray {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

/** A deep copy of plain data (typed arrays, bigint and nested objects included). */
export function cloneState<T>(s: T): T {
  return structuredClone(s);
}

const TAG = { undef: 0, null: 1, false: 2, true: 3, num: 4, str: 5, big: 6, arr: 7, obj: 8, typed: 9 } as const;

/**
 * A stable digest of plain data: object keys are visited in sorted order,
 * numbers as float64, typed arrays as their little-endian bytes with their
 * class name. The same state gives the same digest on every machine.
 */
export function digestState(s: unknown): string {
  const h = createHash('sha256');
  const num = Buffer.alloc(9);
  const walk = (v: unknown): void => {
    if (v === undefined) h.update(Uint8Array.of(TAG.undef));
    else if (v === null) h.update(Uint8Array.of(TAG.null));
    else if (typeof v === 'boolean') h.update(Uint8Array.of(v ? TAG.true : TAG.false));
    else if (typeof v === 'number') {
      num[0] = TAG.num;
      num.writeDoubleLE(v, 1);
      h.update(num);
    } else if (typeof v === 'string') {
      h.update(Uint8Array.of(TAG.str));
      h.update(`${v.length}:${v}`);
    } else if (typeof v === 'bigint') {
      h.update(Uint8Array.of(TAG.big));
      h.update(`${v};`);
    } else if (isTypedArray(v)) {
      h.update(Uint8Array.of(TAG.typed));
      h.update(`${v.constructor.name}:${v.length}:`);
      h.update(littleEndianBytes(v));
    } else if (Array.isArray(v)) {
      h.update(Uint8Array.of(TAG.arr));
      h.update(`${v.length}:`);
      for (const x of v) walk(x);
    } else if (typeof v === 'object') {
      const keys = Object.keys(v as object).sort();
      h.update(Uint8Array.of(TAG.obj));
      h.update(`${keys.length}:`);
      for (const k of keys) {
        h.update(`${k.length}:${k}`);
        walk((v as Record<string, unknown>)[k]);
      }
    } else throw new Error(`devrr bug: state holds a ${typeof v}, which is not plain data`);
  };
  walk(s);
  return h.digest('hex').slice(0, 32);
}

const BIG_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 0;

function littleEndianBytes(v: TypedArray): Uint8Array {
  const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (!BIG_ENDIAN_HOST || v.BYTES_PER_ELEMENT === 1) return bytes;
  const out = new Uint8Array(bytes.length);
  const w = v.BYTES_PER_ELEMENT;
  for (let i = 0; i < bytes.length; i += w) for (let j = 0; j < w; j++) out[i + j] = bytes[i + w - 1 - j]!;
  return out;
}

/** One differing leaf of two states. */
export interface FieldDiff {
  readonly path: string;
  readonly a: unknown;
  readonly b: unknown;
}

/**
 * Structural, named-field diff: every leaf (scalar or typed-array element)
 * whose value differs, with its path (`devices[0].dist.enabled[1]`).
 */
export function diffState(a: unknown, b: unknown, path = '', out: FieldDiff[] = []): FieldDiff[] {
  if (a === b) return out;
  if (isTypedArray(a) && isTypedArray(b) && a.constructor === b.constructor) {
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) out.push({ path: `${path}[${i}]`, a: a[i], b: b[i] });
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) diffState(a[i], b[i], `${path}[${i}]`, out);
    return out;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) diffState(a[k], b[k], path ? `${path}.${k}` : k, out);
    return out;
  }
  out.push({ path: path || '(root)', a, b });
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !isTypedArray(v);
}

// ---------------------------------------------------------------------------
// State schemas: what a checkpoint's state must look like before a restore.

/**
 * A description of plain-data state that can check a value from outside
 * (a trace's checkpoint) before the models are given it. `check` returns
 * the first problem as "<path> <what is wrong>", or undefined. The type
 * parameter is the TypeScript type the schema describes: `Infer` gives it
 * back, and `sameType` lets a state module assert at compile time that its
 * schema and its interface describe the same thing, so neither can change
 * without the other.
 */
export interface Schema<T> {
  readonly check: (v: unknown, path: string) => string | undefined;
  /** Marks an object field that may be absent (never present as undefined). */
  readonly optional?: true;
  /** Phantom: the described type. */
  readonly __type?: T;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

type OptionalKeys<F> = { [K in keyof F]: F[K] extends { readonly optional: true } ? K : never }[keyof F];
type ObjectOf<F> = { [K in Exclude<keyof F, OptionalKeys<F>>]: Infer<F[K]> } & { [K in OptionalKeys<F>]?: Infer<F[K]> };

/** True exactly when A and B are mutually assignable (readonly aside). */
export type SameType<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** `const _: true = sameType<Infer<typeof schema>, State>()` fails to compile when they differ. */
export function sameType<A, B>(): SameType<A, B> {
  return true as SameType<A, B>;
}

type TypedCtor = Uint8ArrayConstructor | Uint16ArrayConstructor | Uint32ArrayConstructor | Int16ArrayConstructor | Int32ArrayConstructor;
/** The array type a constructor makes, as state interfaces spell it (no buffer type argument). */
type TypedOf<C> = C extends Uint8ArrayConstructor
  ? Uint8Array
  : C extends Uint16ArrayConstructor
    ? Uint16Array
    : C extends Uint32ArrayConstructor
      ? Uint32Array
      : C extends Int16ArrayConstructor
        ? Int16Array
        : Int32Array;

const at = (path: string): string => path || 'state';

function isPlainRecord(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function schema<T>(check: (v: unknown, path: string) => string | undefined): Schema<T> {
  return { check };
}

/** The schema combinators. Integers are checked for range, lists and typed arrays for length, objects for exact keys. */
export const S = {
  bool: schema<boolean>((v, p) => (typeof v === 'boolean' ? undefined : `${at(p)} is not a boolean`)),

  /** Anything: for a part checked elsewhere (a device slot's state, by the device's own schema). */
  any: schema<unknown>(() => undefined),

  /** An integer in [min, max]. */
  int: (min: number, max: number): Schema<number> =>
    schema((v, p) => (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? undefined : `${at(p)} is not an integer in ${min}..${max}`)),

  /** A bigint in [min, max]. */
  big: (min: bigint, max: bigint): Schema<bigint> =>
    schema((v, p) => (typeof v === 'bigint' && v >= min && v <= max ? undefined : `${at(p)} is not a bigint in ${min}..${max}`)),

  /** One of the given strings or numbers. */
  oneOf: <T extends string | number>(values: readonly T[]): Schema<T> =>
    schema((v, p) => ((values as readonly unknown[]).includes(v) ? undefined : `${at(p)} is not one of ${values.join(', ')}`)),

  /** A typed array of exactly this class (a Buffer is not a Uint8Array here), of `len` elements when given. */
  typed: <C extends TypedCtor>(ctor: C, len?: number): Schema<TypedOf<C>> =>
    schema((v, p) => {
      if (!ArrayBuffer.isView(v) || Object.getPrototypeOf(v) !== ctor.prototype) return `${at(p)} is not a ${ctor.name}`;
      const n = (v as unknown as ArrayLike<number>).length;
      return len === undefined || n === len ? undefined : `${at(p)} has ${n} elements, not ${len}`;
    }),

  /** A plain object with exactly these fields (optional ones may be absent). */
  obj: <F extends Record<string, Schema<unknown>>>(fields: F): Schema<ObjectOf<F>> =>
    schema((v, p) => {
      if (!isPlainRecord(v)) return `${at(p)} is not an object`;
      for (const k of Object.keys(v)) if (!Object.prototype.hasOwnProperty.call(fields, k)) return `${at(p)} has unknown field ${JSON.stringify(k)}`;
      for (const [k, f] of Object.entries(fields)) {
        const path = p ? `${p}.${k}` : k;
        if (!Object.prototype.hasOwnProperty.call(v, k)) {
          if (f.optional) continue;
          return `${path} is missing`;
        }
        const bad = f.check(v[k], path);
        if (bad !== undefined) return bad;
      }
      return undefined;
    }),

  /** An object field that may be absent. */
  optional: <T>(s: Schema<T>): Schema<T> & { readonly optional: true } => ({ check: s.check, optional: true }),

  /** An array of at most `max` elements (exactly `max` with `exact`), each matching `of`. */
  list: <T>(of: Schema<T>, max: number, exact = false): Schema<T[]> =>
    schema((v, p) => {
      if (!Array.isArray(v) || Object.getPrototypeOf(v) !== Array.prototype) return `${at(p)} is not an array`;
      if (exact ? v.length !== max : v.length > max) return `${at(p)} has ${v.length} elements, ${exact ? 'not' : 'more than'} ${max}`;
      for (let i = 0; i < v.length; i++) {
        const bad = of.check(v[i], `${p}[${i}]`);
        if (bad !== undefined) return bad;
      }
      return undefined;
    }),

  /** A plain object used as a map: keys matching `key`, at most `max` of them, values matching `of`. */
  dict: <T>(key: RegExp, of: Schema<T>, max: number): Schema<Record<string, T>> =>
    schema((v, p) => {
      if (!isPlainRecord(v)) return `${at(p)} is not an object`;
      const keys = Object.keys(v);
      if (keys.length > max) return `${at(p)} has ${keys.length} entries, more than ${max}`;
      for (const k of keys) {
        if (!key.test(k)) return `${at(p)} has key ${JSON.stringify(k)}, which is not ${key}`;
        const bad = of.check(v[k], `${p}[${k}]`);
        if (bad !== undefined) return bad;
      }
      return undefined;
    }),

  /** `base`, then a rule on the whole value (relations between its fields). */
  where: <T>(base: Schema<T>, rule: (v: T, path: string) => string | undefined): Schema<T> =>
    schema((v, p) => base.check(v, p) ?? rule(v as T, at(p))),
};

/** Common integer ranges. */
export const U8 = S.int(0, 0xff);
export const U32 = S.int(0, 0xffffffff);
export const U64 = S.big(0n, 0xffffffffffffffffn);

/**
 * Roughly how many bytes of memory plain-data state takes: its typed arrays'
 * bytes, plus 64 for each object or array and 16 for each other value. For
 * memory budgets (the timeline's checkpoints), not for exact accounting.
 */
export function stateBytes(v: unknown): number {
  if (v === null || typeof v !== 'object') return 16;
  if (ArrayBuffer.isView(v)) return 64 + v.byteLength;
  let n = 64;
  if (Array.isArray(v)) for (const x of v) n += stateBytes(x);
  else for (const k of Object.keys(v)) n += 16 + stateBytes((v as Record<string, unknown>)[k]);
  return n;
}
