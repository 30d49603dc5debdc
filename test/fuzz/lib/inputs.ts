/**
 * Inputs by number: input k of a target comes from its own seed (a hash of
 * the run's seed, the target and k), so the quick subset in `npm test`, the
 * long run and a replay of one input (`npm run fuzz -- --target T --seed S
 * --only K`) all make the same input from the same three numbers.
 */
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Target } from './targets.js';

export function inputSeed(base: number, target: string, k: number): number {
  return createHash('sha256').update(`${base}/${target}/${k}`).digest().readUInt32LE(0) & 0x7fffffff;
}

export function inputOf<I>(t: Target<I>, base: number, k: number): I {
  return fc.sample(t.arb, { seed: inputSeed(base, t.name, k), numRuns: 1 })[0]!;
}

/** Plain-data JSON of an input (bigints and byte arrays written out). */
export function inputJson(x: unknown): string {
  return JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `hex:${Buffer.from(v).toString('hex')}` : v), 1);
}

/** A scratch directory for one process's input files: in memory when /dev/shm is there. */
export function scratchDir(): string {
  return mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'devrr-fuzz-'));
}
