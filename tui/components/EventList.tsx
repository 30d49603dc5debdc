/**
 * The event timeline: the visible rows only (the session decodes no more),
 * the current event inverted with ▶, and in the marker column ◆ for the
 * divergence, ● for a breakpoint match, A for point A, · for a checkpoint.
 */
import { Box, Text } from 'ink';
import type { EventRow, Overview as OverviewData } from '../frame.js';
import { clip } from '../layout.js';
import OverviewBar from './Overview.js';
import Pane from './Pane.js';

export type EventListProps = Readonly<{
  rows: readonly EventRow[];
  overview: OverviewData;
  file: string;
  against: string | null;
  breakpoints: number;
  watches: number;
  width: number;
  /** Lines, title and overview included. */
  height: number;
  focused: boolean;
}>;

function marker(r: EventRow): { ch: string; color?: string; dim?: boolean } {
  if (r.divergence) return { ch: '◆', color: 'magenta' };
  if (r.breakpoint) return { ch: '●', color: 'red' };
  if (r.mark) return { ch: 'A', color: 'cyan' };
  if (r.checkpoint) return { ch: '·', dim: true };
  return { ch: ' ' };
}

export default function EventList({ rows, overview, file, against, breakpoints, watches, width, height, focused }: EventListProps) {
  const n = overview.length;
  const digits = String(Math.max(0, n - 1)).length;
  const first = rows[0]?.index ?? 0;
  const last = rows[rows.length - 1]?.index ?? 0;
  const bp = breakpoints || watches ? `bp ${breakpoints} watch ${watches}` : '';
  const title = `events ${rows.length ? `${first}-${last}` : '-'} of ${n} · ${file}${against ? ` vs ${against}` : ''}`;
  const textWidth = Math.max(1, width - digits - 3);
  return (
    <Pane title={title} info={bp} focused={focused} width={width} height={height}>
      <OverviewBar overview={overview} width={width} />
      {rows.map((r) => {
        const m = marker(r);
        const text = clip(r.text, textWidth);
        return (
          <Box key={r.index} width={width}>
            <Text color="cyan" bold>
              {r.current ? '▶' : ' '}
            </Text>
            <Text color={m.color} dimColor={m.dim}>
              {m.ch}
            </Text>
            <Text inverse={r.current} color={r.failed ? 'red' : undefined} wrap="truncate-end">
              {`${String(r.index).padStart(digits)} ${text}`}
            </Text>
          </Box>
        );
      })}
      {rows.length === 0 ? <Text dimColor>(no events)</Text> : null}
    </Pane>
  );
}
