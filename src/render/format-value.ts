/**
 * Values as people read them in a plan: HCL-like literals, with unknown values shown as
 * `(known after apply)` and sensitive ones as `(sensitive value)` at any depth. Nothing here
 * ever looks inside a `Sensitive`.
 */
import { Sensitive, Unknown, isObject, type Value } from '../evaluate/value.js';

/** What a value known only after apply prints as. */
export const UNKNOWN_TEXT = '(known after apply)';
/** What a sensitive value prints as, wherever it is. */
export const SENSITIVE_TEXT = '(sensitive value)';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** A string literal: JSON escapes, plus HCL's `$${` and `%%{` so it reads back as the same text. */
export function quoteString(s: string): string {
  return JSON.stringify(s).replace(/\$\{/g, '$${').replace(/%\{/g, '%%{');
}

/** An object key as written in HCL: bare when it is an identifier, quoted otherwise. */
export function formatKey(key: string): string {
  return IDENTIFIER.test(key) ? key : quoteString(key);
}

/** One-line rendering of any value, redacting sensitive parts. */
export function formatInline(v: Value): string {
  if (v instanceof Sensitive) return SENSITIVE_TEXT;
  if (v instanceof Unknown) return UNKNOWN_TEXT;
  if (v === null) return 'null';
  if (typeof v === 'string') return quoteString(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.length === 0 ? '[]' : `[${v.map(formatInline).join(', ')}]`;
  if (isObject(v)) {
    const entries = Object.entries(v);
    if (entries.length === 0) return '{}';
    return `{ ${entries.map(([k, x]) => `${formatKey(k)} = ${formatInline(x)}`).join(', ')} }`;
  }
  return String(v);
}

/** True for a plain (not sensitive, known) string of more than one line. */
export function isMultilineString(v: Value | undefined): v is string {
  return typeof v === 'string' && v.includes('\n');
}

/** The lines of a text; a final newline does not make an extra empty line. */
export function splitLines(s: string): string[] {
  const lines = s.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
