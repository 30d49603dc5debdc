/** The diff pane: this event's before/after, point A against here, this trace against the other; or a report. */
import { Box, Text } from 'ink';
import type { DiffView } from '../frame.js';
import { clip } from '../layout.js';
import { toneStyle } from '../styles.js';
import Pane from './Pane.js';

export type DiffPaneProps = Readonly<{
  diff: DiffView;
  width: number;
  /** Lines, title included. */
  height: number;
  focused: boolean;
}>;

export default function DiffPane({ diff, width, height, focused }: DiffPaneProps) {
  const room = height - 1;
  const info = diff.total > room ? `${diff.offset + 1}-${Math.min(diff.total, diff.offset + room)}/${diff.total}` : '';
  return (
    <Pane title={diff.title} info={info} focused={focused} width={width} height={height}>
      {diff.lines.map((l, i) => (
        <Box key={i} width={width}>
          <Text {...toneStyle(l.tone)} wrap="truncate-end">
            {clip(l.text, width)}
          </Text>
        </Box>
      ))}
    </Pane>
  );
}
