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
