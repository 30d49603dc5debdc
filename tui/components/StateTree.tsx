/**
 * Device state as a collapsible tree (only the visible lines come in).
 * A field the current event changed is marked * in yellow with its old
 * value; a closed branch says how many changed fields it holds; a watched
 * field is marked ◉.
 */
import { Box, Text } from 'ink';
import type { TreeLine } from '../frame.js';
import { clip } from '../layout.js';
import Pane from './Pane.js';

export type StateTreeProps = Readonly<{
  lines: readonly TreeLine[];
  top: number;
  total: number;
  width: number;
  /** Lines, title included. */
  height: number;
  focused: boolean;
  position: number;
}>;

function lineText(l: TreeLine): string {
  const indent = '  '.repeat(l.depth);
  if (l.kind === 'more') return `${indent}  ${l.label}`;
  const mark = l.changed ? '*' : l.watched ? '◉' : ' ';
  if (l.kind === 'branch') {
    const twisty = l.expanded ? '▾' : '▸';
    const inside = l.changedInside ? ` *${l.changedInside}` : '';
    return `${indent}${mark}${twisty} ${l.label}${l.expanded ? '' : ` ${l.value}`}${inside}${l.watched && l.changed ? ' ◉' : ''}`;
  }
  const was = l.was !== undefined ? `  (was ${l.was})` : '';
  return `${indent}${mark} ${l.label}: ${l.value}${was}${l.watched && l.changed ? ' ◉' : ''}`;
}

export default function StateTree({ lines, top, total, width, height, focused, position }: StateTreeProps) {
  const info = total > height - 1 ? `${top + 1}-${Math.min(total, top + height - 1)}/${total}` : '';
  return (
    <Pane title={position > 0 ? `state after event ${position - 1}` : 'state at the start'} info={info} focused={focused} width={width} height={height}>
      {lines.map((l) => (
        <Box key={l.path} width={width}>
          <Text
            inverse={l.selected}
            color={l.changed ? 'yellow' : l.kind === 'more' ? undefined : l.changedInside ? 'yellow' : undefined}
            bold={l.changed}
            dimColor={l.kind === 'more'}
            wrap="truncate-end"
          >
            {clip(lineText(l), width)}
          </Text>
        </Box>
      ))}
      {lines.length === 0 ? <Text dimColor>(no VM exists yet at this point)</Text> : null}
    </Pane>
  );
}
