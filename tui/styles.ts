/** Ink text styles for the frame's tone hints. */
import type { Tone } from './frame.js';

export interface ToneStyle {
  readonly color?: string;
  readonly dimColor?: boolean;
  readonly bold?: boolean;
}

export function toneStyle(t: Tone | undefined): ToneStyle {
  switch (t) {
    case 'dim':
      return { dimColor: true };
    case 'good':
      return { color: 'green' };
    case 'bad':
      return { color: 'red' };
    case 'warn':
      return { color: 'yellow' };
    case 'accent':
      return { color: 'cyan' };
    case 'head':
      return { bold: true };
    default:
      return {};
  }
}

/** "▕████░░░░░░▏ 45%": a progress bar; unknown progress shows an empty bar. */
export function progressBar(fraction: number | null, cells = 10): string {
  if (fraction === null) return '▕' + '░'.repeat(cells) + '▏';
  const full = Math.round(Math.max(0, Math.min(1, fraction)) * cells);
  return `▕${'█'.repeat(full)}${'░'.repeat(cells - full)}▏ ${Math.floor(fraction * 100)}%`;
}
