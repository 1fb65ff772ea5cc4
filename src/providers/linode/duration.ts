/** Durations as written in `timeouts` blocks (parsed by src/duration.ts) and shown in progress. */

export { parseDuration } from '../../duration.js';

/** Renders a duration the way it is written: `400ms`, `12s`, `1m5s`, `10m`, `1h30m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return `${h > 0 ? `${h}h` : ''}${m > 0 ? `${m}m` : ''}${rest > 0 ? `${rest}s` : ''}`;
}
