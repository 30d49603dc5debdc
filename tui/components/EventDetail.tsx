/** The current event decoded: device, group/attribute or register by kernel name, value and fields, result and errno. */
import { Box, Text } from 'ink';
import type { EventDetail as Detail } from '../frame.js';
import { clip } from '../layout.js';
import { toneStyle } from '../styles.js';
import Pane from './Pane.js';

export type EventDetailProps = Readonly<{
  detail: Detail;
  width: number;
  /** Lines, title included. */
  height: number;
}>;

/** Splits "label: text" into lines of at most `width` columns, continuing under the text. */
function wrapLine(label: string, text: string, width: number): string[] {
  const pad = label ? 9 : 0;
  const first = label ? `${label.padEnd(8)} ` : '';
  const room = Math.max(8, width - pad);
  const out: string[] = [];
  let rest = text;
  while (rest.length > room) {
    let cut = rest.lastIndexOf(' ', room);
    if (cut <= room / 2) cut = room;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut).trimStart();
  }
  out.push(rest);
  return out.map((l, i) => (i === 0 ? first : ' '.repeat(pad)) + l);
}

export default function EventDetail({ detail, width, height }: EventDetailProps) {
  const lines: { text: string; tone: Detail['lines'][number]['tone'] }[] = [];
  for (const l of detail.lines) for (const t of wrapLine(l.label, l.text, width)) lines.push({ text: t, tone: l.tone });
  const room = height - 1;
  const shown = lines.length > room ? [...lines.slice(0, room - 1), { text: `… ${lines.length - room + 1} more line(s)`, tone: 'dim' as const }] : lines;
  return (
    <Pane title={detail.title} width={width} height={height}>
      {shown.map((l, i) => (
        <Box key={i} width={width}>
          <Text {...toneStyle(l.tone)} wrap="truncate-end">
            {clip(l.text, width)}
          </Text>
        </Box>
      ))}
    </Pane>
  );
}
