/**
 * The TUI's one input adapter: Ink's useInput, turned into key records
 * (keys.ts). Every component that reacts to keys goes through this hook.
 */
import { useInput } from 'ink';
import { useCallback } from 'react';
import { type KeyRecord, toKeyRecords } from '../keys.js';

export function useKeyInput(handler: (k: KeyRecord) => void, active = true): void {
  const onInput = useCallback(
    (input: string, key: Parameters<Parameters<typeof useInput>[0]>[1]) => {
      for (const k of toKeyRecords(input, key)) handler(k);
    },
    [handler],
  );
  useInput(onInput, { isActive: active });
}
