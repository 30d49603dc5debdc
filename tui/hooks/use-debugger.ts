/** The current frame of a debugger session, re-rendered whenever the session changes. */
import { useMemo, useSyncExternalStore } from 'react';
import type { Debugger, Frame, PaneSizes } from '../frame.js';

export function useDebugger(session: Debugger, sizes: PaneSizes): Frame {
  const version = useSyncExternalStore(
    (l) => session.subscribe(l),
    () => session.version(),
  );
  return useMemo(() => session.frame(sizes), [session, version, sizes.listRows, sizes.detailRows, sizes.treeRows, sizes.diffRows, sizes.diffColumns]);
}
