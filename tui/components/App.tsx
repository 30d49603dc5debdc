/**
 * The TUI's one container: lays the panes out for the terminal's size,
 * takes the session's frame for that layout and hands each pane its plain
 * part; key presses go to the session as key records. Quits when the
 * session says so.
 */
import { Box, useApp } from 'ink';
import { useCallback, useEffect, useMemo } from 'react';
import type { Debugger } from '../frame.js';
import { useDebugger } from '../hooks/use-debugger.js';
import { useKeyInput } from '../hooks/use-key-input.js';
import { useTerminalSize } from '../hooks/use-terminal-size.js';
import { helpSections } from '../keymap.js';
import type { KeyRecord } from '../keys.js';
import { layoutFor } from '../layout.js';
import DiffPane from './DiffPane.js';
import EventDetail from './EventDetail.js';
import EventList from './EventList.js';
import HelpOverlay from './HelpOverlay.js';
import StateTree from './StateTree.js';
import StatusBar from './StatusBar.js';

export type AppProps = Readonly<{
  session: Debugger & { start?(): void };
  /** A fixed terminal size (tests); by default the terminal's, following resizes. */
  size?: Readonly<{ columns: number; rows: number }>;
  onQuit?: () => void;
}>;

export default function App({ session, size, onQuit }: AppProps) {
  const { exit } = useApp();
  const term = useTerminalSize(size);
  const layout = useMemo(() => layoutFor(term.columns, term.rows), [term.columns, term.rows]);
  const frame = useDebugger(session, layout.sizes);
  const onKey = useCallback((k: KeyRecord) => session.key(k), [session]);
  useKeyInput(onKey);
  useEffect(() => session.start?.(), [session]);
  useEffect(() => {
    if (!frame.quit) return;
    onQuit?.();
    exit();
  }, [frame.quit]);
  const s = frame.status;
  const rightInner = layout.rightWidth - 1;
  const body = frame.help ? (
    <HelpOverlay sections={helpSections()} width={layout.width} height={layout.height - 1} />
  ) : (
    <Box flexDirection="row" height={layout.height - 1}>
      <Box flexDirection="column" width={layout.leftWidth}>
        <EventList
          rows={frame.rows}
          overview={frame.overview}
          file={frame.file}
          against={frame.against}
          breakpoints={s.breakpoints}
          watches={s.watches}
          width={layout.leftWidth}
          height={layout.eventsHeight}
          focused={s.focus === 'events'}
        />
        <DiffPane diff={frame.diff} width={layout.leftWidth} height={layout.diffHeight} focused={s.focus === 'diff'} />
      </Box>
      <Box flexDirection="column" width={layout.rightWidth} borderStyle="single" borderTop={false} borderRight={false} borderBottom={false} borderDimColor>
        <EventDetail detail={frame.detail} width={rightInner} height={layout.detailHeight} />
        <StateTree lines={frame.tree} top={frame.treeTop} total={frame.treeTotal} width={rightInner} height={layout.treeHeight} focused={s.focus === 'state'} position={s.position} />
      </Box>
    </Box>
  );
  return (
    <Box flexDirection="column" width={layout.width} height={layout.height}>
      {body}
      <StatusBar status={s} prompt={frame.prompt} width={layout.width} />
    </Box>
  );
}
