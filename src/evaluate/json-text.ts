/**
 * JSON text that keeps whole numbers exact. `JSON.parse` rounds `9007199254740993` to
 * `...992` and `JSON.stringify` throws on a bigint; these two read such a number as a bigint (see
 * `exactInteger` in value.ts) and write a bigint as its digits, so state files, saved plans and
 * `jsondecode` keep IDs and serials digit for digit.
 */
import { randomBytes } from 'node:crypto';
import { exactInteger } from './value.js';

/**
 * Strings are skipped whole; a number token is a candidate when it has 16 or more digits before
 * any fraction (the look-behind keeps a fraction's or exponent's digits from starting a match).
 */
const LONG_INTEGERS = /"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])-?\d{16,}(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

/** `JSON.parse`, except that a whole number a float cannot hold exactly becomes a bigint. Throws `SyntaxError` as `JSON.parse` does. */
export function parseJson(text: string): unknown {
  if (!/\d{16}/.test(text)) return JSON.parse(text);
  const marker = `\u0000${randomBytes(6).toString('hex')}:`;
  let replaced = false;
  const marked = text.replace(LONG_INTEGERS, (token) => {
    if (token.startsWith('"') || /[.eE]/.test(token)) return token;
    const exact = exactInteger(BigInt(token));
    if (typeof exact !== 'bigint') return token;
    replaced = true;
    return JSON.stringify(marker + token);
  });
  if (!replaced) return JSON.parse(text);
  // Any syntax error is in the original text too: report it from there, with its own positions.
  let parsed: unknown;
  try {
    parsed = JSON.parse(marked, (_key, v: unknown) => (typeof v === 'string' && v.startsWith(marker) ? BigInt(v.slice(marker.length)) : v));
  } catch {
    return JSON.parse(text);
  }
  return parsed;
}

/** `JSON.stringify(value, null, indent)`, writing a bigint as its digits (a JSON number). */
export function stringifyJson(value: unknown, indent?: number): string {
  let found = false;
  const marker = `\u0000${randomBytes(6).toString('hex')}:`;
  const text = JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v !== 'bigint') return v;
      found = true;
      return marker + String(v);
    },
    indent,
  );
  if (!found) return text;
  const quotedMarker = JSON.stringify(marker).slice(1, -1);
  return text.replace(new RegExp(`"${quotedMarker.replace(/\\/g, '\\\\')}(-?\\d+)"`, 'g'), '$1');
}
