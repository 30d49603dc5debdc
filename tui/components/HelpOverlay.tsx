/** The key help (`?`), in two columns, generated from the key map. */
import { Box, Text } from 'ink';
import { clip } from '../layout.js';

export type HelpSection = Readonly<{ group: string; rows: readonly Readonly<{ keys: string; help: string }>[] }>;

export type HelpOverlayProps = Readonly<{
  sections: readonly HelpSection[];
  width: number;
  height: number;
}>;

function Column({ sections, width }: { readonly sections: readonly HelpSection[]; readonly width: number }) {
  const keyWidth = Math.max(...sections.flatMap((s) => s.rows.map((r) => r.keys.length))) + 1;
  return (
    <Box flexDirection="column" width={width}>
      {sections.map((s) => (
        <Box key={s.group} flexDirection="column">
          <Text bold color="cyan">
            {s.group}
          </Text>
          {s.rows.map((r) => (
            <Text key={r.keys + r.help} wrap="truncate-end">
              <Text bold>{r.keys.padEnd(keyWidth)}</Text>
              <Text>{clip(r.help, Math.max(1, width - keyWidth))}</Text>
            </Text>
          ))}
        </Box>
      ))}
    </Box>
  );
}

export default function HelpOverlay({ sections, width, height }: HelpOverlayProps) {
  // Split the sections into two columns, the longer one as short as possible.
  const len = (ss: readonly HelpSection[]) => ss.reduce((n, s) => n + s.rows.length + 1, 0);
  let split = 1;
  for (let k = 1; k < sections.length; k++) {
    if (Math.max(len(sections.slice(0, k)), len(sections.slice(k))) < Math.max(len(sections.slice(0, split)), len(sections.slice(split)))) split = k;
  }
  const left = sections.slice(0, split);
  const right = sections.slice(split);
  const col = Math.floor((width - 1) / 2);
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text inverse wrap="truncate-end">
        {clip(' devrr keys · on event N the state shown is after event N · any key closes', width).padEnd(width)}
      </Text>
      <Box flexDirection="row">
        <Column sections={left} width={col} />
        <Box width={1} />
        <Column sections={right} width={width - col - 1} />
      </Box>
    </Box>
  );
}
