/** A pane: a title line (inverted when the pane has the focus) over a fixed number of content lines. */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { clip } from '../layout.js';

export type PaneProps = Readonly<{
  title: string;
  /** Right-aligned part of the title line. */
  info?: string;
  focused?: boolean;
  width: number;
  /** Lines, title included. */
  height: number;
  children?: ReactNode;
}>;

export default function Pane({ title, info = '', focused = false, width, height, children }: PaneProps) {
  const room = Math.max(0, width - info.length - 1);
  const head = clip(title, room);
  const line = `${head}${' '.repeat(Math.max(1, width - head.length - info.length))}${info}`.slice(0, width);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text inverse={focused} bold={!focused} wrap="truncate-end">
        {line}
      </Text>
      <Box flexDirection="column" height={height - 1}>
        {children}
      </Box>
    </Box>
  );
}
