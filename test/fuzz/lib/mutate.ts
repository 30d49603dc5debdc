/**
 * Mutations, as plain data (so that fast-check can generate and shrink
 * them, and a finding can be printed and replayed):
 *
 * - byte operations on a buffer (a whole file, or one record's payload
 *   before its CRC is recomputed);
 * - structure operations on a decoded msgpack or JSON value: a node is
 *   chosen by its position in a pre-order walk (modulo the node count), then
 *   replaced by an interesting value, nudged, deleted, given a new key,
 *   repeated, nested deeper, or replaced by a node of another seed (splice).
 *
 * Nothing here mutates its input: decoded bins may share memory with a
 * seed's bytes, so every change builds new containers and new arrays.
 */
import fc from 'fast-check';

/** A position: small ones often (the start of a file, the first keys), any one as often. */
const pos = fc.oneof(fc.nat(), fc.noBias(fc.nat()));

// ---------------------------------------------------------------------------
// Bytes

export type ByteOp =
  | { readonly op: 'flip'; readonly at: number; readonly bit: number }
  | { readonly op: 'set'; readonly at: number; readonly byte: number }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'insert'; readonly at: number; readonly bytes: readonly number[] }
  | { readonly op: 'delete'; readonly at: number; readonly len: number }
  | { readonly op: 'u32'; readonly at: number; readonly value: number }
  | { readonly op: 'repeat'; readonly at: number; readonly len: number; readonly times: number };

/** u32 values that sit on the edges of the format's limits. */
export const EDGE_U32 = [0, 1, 2, 3, 4, 5, 8, 9, 16, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 512 << 20, (512 << 20) + 1, 1 << 20, (1 << 20) + 1, 65536, 65537];

export const byteOpArb: fc.Arbitrary<ByteOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('flip' as const), at: pos, bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('set' as const), at: pos, byte: fc.oneof(fc.constantFrom(0, 0xff, 0x7f, 0x80, 0xc0, 0xc1, 0xcf, 0xd3, 0xd4, 0xc7, 0xdc, 0xdd, 0xde, 0xdf, 0x90, 0x9f, 0x80, 0x8f), fc.integer({ min: 0, max: 255 })) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: pos }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('insert' as const), at: pos, bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 9 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), at: pos, len: fc.integer({ min: 1, max: 16 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('u32' as const), at: pos, value: fc.oneof(fc.constantFrom(...EDGE_U32), fc.nat()) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('repeat' as const), at: pos, len: fc.integer({ min: 1, max: 64 }), times: fc.integer({ min: 1, max: 8 }) }) },
);

/** Applies byte operations in order (positions taken modulo the current length). */
export function applyByteOps(input: Buffer, ops: readonly ByteOp[]): Buffer {
  let b = input;
  for (const o of ops) {
    const n = b.length;
    const at = n === 0 ? 0 : o.at % (n + (o.op === 'insert' ? 1 : 0));
    switch (o.op) {
      case 'flip':
        if (n) (b = Buffer.from(b))[at] = b[at]! ^ (1 << o.bit);
        break;
      case 'set':
        if (n) (b = Buffer.from(b))[at] = o.byte;
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), Buffer.from(o.bytes), b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + o.len)]);
        break;
      case 'u32':
        if (n >= 4) {
          b = Buffer.from(b);
          b.writeUInt32LE(o.value >>> 0, Math.min(at, n - 4));
        }
        break;
      case 'repeat': {
        const piece = b.subarray(at, at + o.len);
        b = Buffer.concat([b.subarray(0, at), ...Array.from({ length: o.times + 1 }, () => piece), b.subarray(at + o.len)]);
        break;
      }
    }
  }
  return b;
}

// ---------------------------------------------------------------------------
// Values

/** Names that devrr's readers look up: keys of events, payloads, footers, headers, state, scenarios. */
export const KEYS = [
  'kind', 'vm', 'vcpu', 'id', 'errno', 'handle', 'type', 'flags', 'target', 'group', 'attr', 'value', 'data', 'nullPtr', 'outValue', 'outData',
  'addr', 'len', 'exit', 'irq', 'level', 'cap', 'args', 'nr', 'ret', 'reg', 'address', 'devid', 'note', 'arch', 'ipaBits', 'write',
  'f', 'n', 's', 'i', 'v', 'w', 'm', 'z', 'kinds', 'port', 'event', 'digest', 'state', 'vms', 'devices', 'vcpus', 'irqchip', 'mem', 'dead', 'maxVcpus', 'ran',
  'events', 'chunks', 'checkpoints', 'offset', 'first', 'count', 'formatVersion', 'requiredReader', 'models', 'checkpointEvery', 'devrrVersion',
  'op', 'steps', 'dev', 'as', 'expect', 'expect_value', 'expect_mask', 'save_as', 'null_pointer', 'dir', 'expect_data', 'ipa_bits',
  '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'length',
] as const;

/** Strings a reader compares against: event kinds, scenario ops, arches, uapi names. */
export const STRINGS = [
  'create_vm', 'create_vcpu', 'create_device', 'set_attr', 'get_attr', 'has_attr', 'arm_set_device_addr', 'run_vcpu', 'mmio', 'irq_line',
  'enable_cap', 'hcall', 'sysreg', 'mem_write', 'mem_read', 'signal_msi', 'vm', 'vcpu', 'device', 'arm64', 'x86_64', 'ppc64', 's390x',
  'read', 'write', 'KVM_DEV_TYPE_ARM_VGIC_V2', 'KVM_DEV_TYPE_ARM_VGIC_V3', 'KVM_DEV_TYPE_ARM_VGIC_ITS', 'KVM_DEV_ARM_VGIC_GRP_ADDR',
  'KVM_DEV_ARM_VGIC_GRP_CTRL', 'KVM_DEV_ARM_VGIC_CTRL_INIT', 'EINVAL', 'EEXIST', 'ENXIO', 'error', 'ok', '$x', '0x', '0x1', '-1', '1e3',
  '0xffffffffffffffff', '0x10000000000000000', '-0x8000000000000001', 'ICC_IAR1_EL1', '3:0:12:12:0', '',
  'toString', 'constructor', '__proto__', 'hasOwnProperty', 'kvm-arm-vgic-v2', 'kvm-arm-vgic-v3', 'kvm-arm-vgic-its',
] as const;

/** The interesting values a node can be replaced by; index into this list. */
export function interesting(k: number): unknown {
  const list = INTERESTING;
  return list[k % list.length]!();
}

const INTERESTING: readonly (() => unknown)[] = [
  () => null,
  () => undefined,
  () => true,
  () => false,
  () => 0,
  () => 1,
  () => -1,
  () => 2,
  () => 8,
  () => 255,
  () => 256,
  () => 4095,
  () => 4096,
  () => 65535,
  () => 65536,
  () => 65537,
  () => 0x7fffffff,
  () => 0x80000000,
  () => 0xffffffff,
  () => 2 ** 32,
  () => 2 ** 30,
  () => 2 ** 53 - 1,
  () => 2 ** 53,
  () => -(2 ** 31),
  () => 1.5,
  () => NaN,
  () => Infinity,
  () => -0,
  () => 0n,
  () => 1n,
  () => -1n,
  () => 2n ** 32n,
  () => 2n ** 63n - 1n,
  () => 2n ** 63n,
  () => 2n ** 64n - 1n,
  () => -(2n ** 63n),
  () => '',
  () => 'x',
  () => 'A'.repeat(1000),
  () => [],
  () => {},
  () => [0],
  () => ({ kind: 'vm' }),
  () => ({ kind: 'device', handle: 0 }),
  () => new Uint8Array(0),
  () => new Uint8Array(16),
  () => Buffer.alloc(3),
  () => new Uint16Array(4),
  () => new Uint32Array(3),
  () => new Int32Array(2),
  () => new Float64Array(2),
  () => new BigUint64Array(1),
  () => nest(300),
  () => Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i])),
];

function nest(depth: number): unknown {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

export type ValueOp =
  /** Replace the node by interesting(k). */
  | { readonly op: 'replace'; readonly node: number; readonly k: number }
  /** A number or bigint: + delta, * 2, negated, as the other numeric type; a string: another string. */
  | { readonly op: 'nudge'; readonly node: number; readonly how: number }
  /** Remove the node from its map or array. */
  | { readonly op: 'delete'; readonly node: number }
  /** A map: add key KEYS[k] with interesting(v); an array: insert interesting(v). */
  | { readonly op: 'add'; readonly node: number; readonly k: number; readonly v: number }
  /** An array or typed array: repeat an element (or byte) `times` times; a string: repeat it. */
  | { readonly op: 'grow'; readonly node: number; readonly times: number }
  /** An array or typed array: keep the first `len` elements. */
  | { readonly op: 'shrink'; readonly node: number; readonly len: number }
  /** Wrap the node in `depth` arrays. */
  | { readonly op: 'wrap'; readonly node: number; readonly depth: number }
  /** Swap the node with another node of the same container. */
  | { readonly op: 'swap'; readonly node: number; readonly other: number }
  /** Replace the node by node `from` of donor `donor` (another seed's payload). */
  | { readonly op: 'splice'; readonly node: number; readonly donor: number; readonly from: number };

export const valueOpArb: fc.Arbitrary<ValueOp> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('replace' as const), node: pos, k: fc.nat() }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('nudge' as const), node: pos, how: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), node: pos }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('add' as const), node: pos, k: fc.nat(), v: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('grow' as const), node: pos, times: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 40 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 100_000 }) }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('shrink' as const), node: pos, len: fc.nat({ max: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('wrap' as const), node: pos, depth: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constant(300)) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('swap' as const), node: pos, other: pos }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('splice' as const), node: pos, donor: fc.nat(), from: pos }) },
);

interface Node {
  readonly value: unknown;
  /** Path of keys (string) or indexes (number) from the root. */
  readonly path: readonly (string | number)[];
}

const MAX_NODES = 50_000;

/** Every node of a value in pre-order (maps, arrays; typed arrays are leaves), at most MAX_NODES. */
export function nodesOf(root: unknown): Node[] {
  const out: Node[] = [];
  const walk = (v: unknown, path: (string | number)[], depth: number): void => {
    if (out.length >= MAX_NODES) return;
    out.push({ value: v, path });
    if (depth > 400 || v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return;
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i], depth + 1));
    else for (const k of Object.keys(v)) walk((v as Record<string, unknown>)[k], [...path, k], depth + 1);
  };
  walk(root, [], 0);
  return out;
}

/** `root` with the node at `path` replaced by what `f` returns (DELETE removes it); containers on the path are copied. */
const DELETE = Symbol('delete');
function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  // defineProperty, so that a key named __proto__ stays a plain own key.
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}
function update(root: unknown, path: readonly (string | number)[], f: (old: unknown) => unknown): unknown {
  if (path.length === 0) {
    const r = f(root);
    return r === DELETE ? undefined : r;
  }
  const [head, ...rest] = path;
  if (Array.isArray(root)) {
    const i = head as number;
    const copy = root.slice();
    if (rest.length) copy[i] = update(root[i], rest, f);
    else {
      const r = f(root[i]);
      if (r === DELETE) copy.splice(i, 1);
      else copy[i] = r;
    }
    return copy;
  }
  if (root !== null && typeof root === 'object' && !ArrayBuffer.isView(root)) {
    const k = head as string;
    const src = root as Record<string, unknown>;
    const copy: Record<string, unknown> = Object.create(Object.getPrototypeOf(root) as object | null);
    for (const key of Object.keys(src)) setOwn(copy, key, src[key]);
    if (rest.length) setOwn(copy, k, update(src[k], rest, f));
    else {
      const r = f(src[k]);
      if (r === DELETE) delete copy[k];
      else setOwn(copy, k, r);
    }
    return copy;
  }
  return root;
}
const deleter = (): typeof DELETE => DELETE;

/** The set of small changes a number, bigint or string can get. */
function nudge(v: unknown, how: number): unknown {
  if (typeof v === 'number') {
    const deltas = [1, -1, 2, -2, 0x100, 0x10000, 2 ** 32, -(2 ** 32), 2 ** 31];
    switch (how % 6) {
      case 0:
      case 1:
        return v + deltas[Math.floor(how / 6) % deltas.length]!;
      case 2:
        return v * 2 + 1;
      case 3:
        return -v;
      case 4:
        return Number.isInteger(v) ? BigInt(v) : v; // a number field arriving as a bigint
      default:
        return v ^ (1 << (Math.floor(how / 6) % 31));
    }
  }
  if (typeof v === 'bigint') {
    switch (how % 5) {
      case 0:
        return v + 1n;
      case 1:
        return v - 1n;
      case 2:
        return -v;
      case 3:
        return Number(v); // a bigint field arriving as a number
      default:
        return v ^ (1n << BigInt(Math.floor(how / 5) % 64));
    }
  }
  if (typeof v === 'string') {
    switch (how % 4) {
      case 0:
        return STRINGS[Math.floor(how / 4) % STRINGS.length];
      case 1:
        return v.slice(0, -1);
      case 2:
        return v + v;
      default:
        return v.toUpperCase();
    }
  }
  if (typeof v === 'boolean') return !v;
  if (v instanceof Uint8Array) {
    if (v.length === 0) return new Uint8Array([how & 0xff]);
    const copy = new (v.constructor as Uint8ArrayConstructor)(v);
    copy[how % copy.length] = copy[how % copy.length]! ^ (1 << (Math.floor(how / copy.length) % 8));
    return copy;
  }
  if (ArrayBuffer.isView(v)) {
    // Another element type over the same bytes.
    const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    const kinds = [Uint8Array, Uint16Array, Uint32Array, Int32Array, Float64Array, BigUint64Array] as const;
    const K = kinds[how % kinds.length]!;
    const n = Math.floor(bytes.length / K.BYTES_PER_ELEMENT);
    const out = new K(n);
    new Uint8Array(out.buffer).set(bytes.subarray(0, n * K.BYTES_PER_ELEMENT));
    return out;
  }
  return v;
}

/**
 * What a repeated array element adds to a file, at most: a grown array stays
 * within GROW_BUDGET bytes of msgpack, so that an input stays a hostile
 * structure of a few MB and not a file whose reading costs in proportion to
 * its size (FORMAT.md's Limits bound that by the file's size: 100,000 copies
 * of an 8 KiB device state made a 432 MB trace, refused at 1 GB resident).
 */
const GROW_BUDGET = 8 << 20;

/** An estimate of `v`'s msgpack size, counted up to `limit`. */
function approxBytes(v: unknown, limit: number): number {
  let n = 0;
  const walk = (x: unknown): void => {
    if (n > limit) return;
    if (typeof x === 'string') n += x.length + 5;
    else if (ArrayBuffer.isView(x)) n += x.byteLength + 6;
    else if (Array.isArray(x)) {
      n += 5;
      for (const e of x) walk(e);
    } else if (x !== null && typeof x === 'object') {
      n += 5;
      for (const [k, e] of Object.entries(x)) {
        n += k.length + 1;
        walk(e);
      }
    } else n += 9;
  };
  walk(v);
  return n;
}

function grow(v: unknown, times: number): unknown {
  if (Array.isArray(v)) {
    if (!v.length) return Array.from({ length: times }, () => 0);
    const last = v[v.length - 1];
    const n = Math.min(times, Math.floor(GROW_BUDGET / approxBytes(last, GROW_BUDGET)));
    return [...v, ...Array.from({ length: n }, () => last)];
  }
  if (typeof v === 'string') return v.repeat(Math.min(times + 1, Math.ceil(4_000_000 / Math.max(1, v.length))));
  if (v instanceof Uint8Array) {
    const out = new Uint8Array(v.length + times);
    out.set(v);
    out.fill(v.length ? v[v.length - 1]! : 0, v.length);
    return Buffer.isBuffer(v) ? Buffer.from(out) : out;
  }
  if (ArrayBuffer.isView(v)) {
    const C = v.constructor as new (n: number) => { set(a: ArrayLike<unknown>): void; length: number };
    const old = v as unknown as ArrayLike<unknown> & { length: number };
    const out = new C(old.length + times);
    out.set(old);
    return out;
  }
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) setOwn(out, k, (v as Record<string, unknown>)[k]);
    for (let i = 0; i < Math.min(times, 5000); i++) out[`x${i}`] = i;
    return out;
  }
  return v;
}

function shrink(v: unknown, len: number): unknown {
  if (Array.isArray(v)) return v.slice(0, len);
  if (typeof v === 'string') return v.slice(0, len);
  if (ArrayBuffer.isView(v)) return (v as unknown as { slice(a: number, b: number): unknown }).slice(0, len);
  return v;
}

/**
 * Applies value operations in order to `root`; `donors` are other decoded
 * payloads of the same kind, for splicing. Returns the new value.
 */
export function applyValueOps(root: unknown, ops: readonly ValueOp[], donors: readonly unknown[] = []): unknown {
  let v = root;
  for (const o of ops) {
    const nodes = nodesOf(v);
    const node = nodes[o.node % nodes.length]!;
    switch (o.op) {
      case 'replace':
        v = update(v, node.path, () => interesting(o.k));
        break;
      case 'nudge':
        v = update(v, node.path, (x) => nudge(x, o.how));
        break;
      case 'delete':
        if (node.path.length) v = update(v, node.path, deleter);
        break;
      case 'add':
        v = update(v, node.path, (x) => {
          if (Array.isArray(x)) {
            const c = x.slice();
            c.splice(o.k % (c.length + 1), 0, interesting(o.v));
            return c;
          }
          if (x !== null && typeof x === 'object' && !ArrayBuffer.isView(x)) {
            const key = KEYS[o.k % KEYS.length]!;
            const c: Record<string, unknown> = {};
            for (const kk of Object.keys(x)) setOwn(c, kk, (x as Record<string, unknown>)[kk]);
            // A literal __proto__ key stays an own key, as JSON.parse gives it.
            setOwn(c, key, interesting(o.v));
            return c;
          }
          return x;
        });
        break;
      case 'grow':
        v = update(v, node.path, (x) => grow(x, o.times));
        break;
      case 'shrink':
        v = update(v, node.path, (x) => shrink(x, o.len));
        break;
      case 'wrap':
        v = update(v, node.path, (x) => {
          let w = x;
          for (let i = 0; i < o.depth; i++) w = [w];
          return w;
        });
        break;
      case 'swap': {
        if (node.path.length === 0) break;
        const parentPath = node.path.slice(0, -1);
        const parent = nodes.find((n) => n.path.length === parentPath.length && n.path.every((p, i) => p === parentPath[i]))?.value;
        if (parent === null || typeof parent !== 'object' || ArrayBuffer.isView(parent)) break;
        const keys = Array.isArray(parent) ? parent.map((_, i) => i) : Object.keys(parent);
        const other = keys[o.other % keys.length]!;
        const a = node.value;
        const b = (parent as Record<string | number, unknown>)[other];
        v = update(v, node.path, () => b);
        v = update(v, [...parentPath, other], () => a);
        break;
      }
      case 'splice': {
        if (!donors.length) break;
        const dn = nodesOf(donors[o.donor % donors.length]);
        const from = dn[o.from % dn.length]!.value;
        v = update(v, node.path, () => from);
        break;
      }
    }
  }
  return v;
}
