/** Duration strings as configurations write them: `500ms`, `30s`, `1.5s`, `2m`, `1h`. */

import { parseDuration as parse } from '../../duration.js';

/** Milliseconds, or undefined when `text` is not a duration. */
export function parseDuration(text: string): number | undefined {
  return parse(text) ?? undefined;
}

/** `500ms`, `2s`, `1.5s`, `2m`: the shortest exact way to say it, for messages. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  const s = ms / 1000;
  return `${s.toFixed(s < 10 ? 2 : 1).replace(/\.?0+$/, '')}s`;
}
