/**
 * The whole trace on one line: built stretch (checkpoints exist, seeks are
 * quick) in heavy rule, the rest in light rule, the current position as █,
 * point A as A and the divergence as ◆.
 */
import { Text } from 'ink';
import type { Overview as OverviewData } from '../frame.js';

export type OverviewProps = Readonly<{
  overview: OverviewData;
  width: number;
}>;

export default function Overview({ overview, width }: OverviewProps) {
  const w = Math.max(3, width - 2);
  const n = Math.max(1, overview.length);
  const cell = (pos: number) => Math.min(w - 1, Math.floor((Math.max(0, pos) / n) * w));
  const built = overview.checkpoints.length ? overview.checkpoints[overview.checkpoints.length - 1]! : 0;
  const builtCells = overview.length === 0 ? w : cell(built) + 1;
  const chars: string[] = [];
  for (let i = 0; i < w; i++) chars.push(i < builtCells ? '━' : '─');
  const marks: { at: number; ch: string; color: string }[] = [];
  if (overview.mark !== null) marks.push({ at: cell(overview.mark), ch: 'A', color: 'cyan' });
  if (overview.divergence !== null) marks.push({ at: cell(overview.divergence), ch: '◆', color: 'magenta' });
  marks.push({ at: cell(overview.position), ch: '█', color: 'white' });
  const colors = new Map<number, string>();
  for (const m of marks) {
    chars[m.at] = m.ch;
    colors.set(m.at, m.color);
  }
  // Runs of plain cells, and marked cells in colour.
  const parts: { text: string; color?: string }[] = [];
  for (let i = 0; i < w; i++) {
    const c = colors.get(i);
    const last = parts[parts.length - 1];
    if (!c && last && !last.color) last.text += chars[i];
    else parts.push(c ? { text: chars[i]!, color: c } : { text: chars[i]! });
  }
  return (
    <Text wrap="truncate-end">
      <Text dimColor>├</Text>
      {parts.map((p, i) =>
        p.color ? (
          <Text key={i} color={p.color} bold>
            {p.text}
          </Text>
        ) : (
          <Text key={i} dimColor>
            {p.text}
          </Text>
        ),
      )}
      <Text dimColor>┤</Text>
    </Text>
  );
}
