/**
 * Colours of blue-green copies, as operators read them: blue is the copy serving now, green the
 * new one a deploy creates. A colour names a copy's role, not the copy: after a deploy the green
 * copy serves and is blue from then on. Copies are told apart by their generation (state keeps
 * it); colours are for people.
 */
import type { Value } from '../evaluate/value.js';

/** The colour of a blue-green copy. */
export type CopyColor = 'blue' | 'green';

/** The copy serving now (the live one). */
export const SERVING: CopyColor = 'blue';
/** The new copy a deploy creates and switches traffic to. */
export const NEW_COPY: CopyColor = 'green';

/**
 * The colour of a recorded copy: blue while it serves (is live) or while it is kept for a
 * rollback window (keep_blue), green otherwise; null when not blue-green.
 */
export function recordedColor(copy: { readonly live: boolean; readonly color: CopyColor | null; readonly kept?: unknown }): CopyColor | null {
  return copy.color === null ? null : copy.kept ? SERVING : copyColor(copy.live);
}

/** The colour state records for a blue-green copy: blue while it is live (serves), green otherwise. */
export function copyColor(live: boolean): CopyColor {
  return live ? SERVING : NEW_COPY;
}

/** How a switch step names the copy traffic goes to: its address when known, else its colour. */
export function describeTarget(values: Readonly<Record<string, Value>> | null, color: string): string {
  const ip = values?.ipv4;
  return typeof ip === 'string' ? `${ip} (${color})` : `(${color})`;
}
