/** Temporary directories for tests, removed when the test file ends. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'devrr-test-'));
  afterAll(() => rmSync(d, { recursive: true, force: true }));
  return d;
}
