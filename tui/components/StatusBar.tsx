/**
 * The status line: the current event (of the trace's events), what the debugger is doing (with a
 * progress bar and how to cancel while long work runs), the time the last
 * step took, and the last message. A prompt takes the whole line.
 */
import { Text } from 'ink';
import type { JobStatus, PromptState, StatusInfo } from '../frame.js';
import { whereText } from '../format.js';
import { clip } from '../layout.js';
import { progressBar, toneStyle } from '../styles.js';

export type StatusBarProps = Readonly<{
  status: StatusInfo;
  prompt: PromptState | null;
  width: number;
}>;

function jobText(j: JobStatus): string {
  return `${j.label} ${progressBar(j.fraction)} ${j.detail}${j.cancellable ? ' · Esc cancels' : ''}`;
}

export default function StatusBar({ status, prompt, width }: StatusBarProps) {
  if (prompt) {
    return (
      <Text wrap="truncate-end">
        <Text bold color="cyan">{`${prompt.label}: `}</Text>
        <Text>{prompt.text}</Text>
        <Text inverse> </Text>
        <Text dimColor>{'  Enter · Esc'}</Text>
      </Text>
    );
  }
  const pos = whereText(status.position, status.length);
  const mode = status.job ? jobText(status.job) : status.mode;
  const time = status.lastOpMs === null ? '' : ` │ ${status.lastOpMs < 10 ? status.lastOpMs.toFixed(1) : Math.round(status.lastOpMs)} ms`;
  const bg = status.background ? ` │ ${status.background.label}…` : '';
  const left = `${pos} │ ${mode}${time}${bg}`;
  const room = Math.max(0, width - left.length - 3);
  return (
    <Text wrap="truncate-end">
      <Text bold>{pos}</Text>
      <Text>{` │ `}</Text>
      <Text color={status.job ? 'yellow' : 'green'}>{mode}</Text>
      <Text dimColor>{time}</Text>
      <Text dimColor>{bg}</Text>
      {status.message && room > 3 ? <Text {...toneStyle(status.messageTone)}>{` │ ${clip(status.message, room)}`}</Text> : null}
    </Text>
  );
}
