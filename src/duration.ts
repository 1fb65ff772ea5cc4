/**
 * Durations as configurations and flags write them: a number and a unit, or a Go-style sequence
 * of them as Terraform's `timeouts` take them - `500ms`, `30s`, `1.5s`, `2m`, `1h30m` - and the
 * two ways messages print them.
 */

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds in `text`, or null when it is not a duration. */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  while (at < trimmed.length) {
    part.lastIndex = at;
    const m = part.exec(trimmed);
    if (!m) return null;
    total += Number(m[1]) * UNIT_MS[m[2]];
    at = part.lastIndex;
  }
  return Math.round(total);
}

/** Renders a duration the way it is written, to the second: `400ms`, `12s`, `1m5s`, `10m`, `1h30m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return `${h > 0 ? `${h}h` : ''}${m > 0 ? `${m}m` : ''}${rest > 0 ? `${rest}s` : ''}`;
}

/**
 * A duration in one unit with decimals, for latencies and timeouts in messages: `500ms`, `2s`,
 * `1.5s`, `12.3s`, `2m` (whole minutes only; below 10 s two decimals, above one).
 */
export function formatDurationDecimal(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  const s = ms / 1000;
  return `${s.toFixed(s < 10 ? 2 : 1).replace(/\.?0+$/, '')}s`;
}

/** A moment as a clock time in UTC, the way plans and `state list` print a window's end: `12:34 UTC`, or `12:34:56 UTC` when the seconds matter. */
export function formatUtcClock(iso: string, seconds = false): string {
  const d = new Date(iso);
  const hm = `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  return `${hm}${seconds ? `:${String(d.getUTCSeconds()).padStart(2, '0')}` : ''} UTC`;
}
