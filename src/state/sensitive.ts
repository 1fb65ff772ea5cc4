/**
 * Sensitive attributes are kept out of the state file: only a hash is stored, enough to tell
 * whether a secret changed since it was applied without the state revealing it.
 */
import { createHash } from 'node:crypto';
import type { Json } from '../evaluate/value.js';

const HASH_PATTERN = /^sha256:[0-9a-f]{64}$/;

/**
 * `sha256:<hex>` of `value`'s canonical JSON (object keys sorted), so equal values hash alike
 * whatever order their keys were built in.
 */
export function hashSensitive(value: Json): string {
  return `sha256:${createHash('sha256').update(canonicalJson(value)).digest('hex')}`;
}

/** True when `s` has the form `hashSensitive` produces. */
export function isSensitiveHash(s: string): boolean {
  return HASH_PATTERN.test(s);
}

/**
 * Splits a provider's attributes into what state stores: the attributes named in `sensitiveNames`
 * are replaced by their hashes in `sensitive_attributes`; the rest are kept as they are.
 */
export function splitSensitive(
  attributes: Readonly<Record<string, Json>>,
  sensitiveNames: Iterable<string>,
): { attributes: Record<string, Json>; sensitive_attributes: Record<string, string> } {
  const secret = new Set(sensitiveNames);
  const kept: Record<string, Json> = {};
  const hashed: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (secret.has(name)) hashed[name] = hashSensitive(value);
    else kept[name] = value;
  }
  return { attributes: kept, sensitive_attributes: hashed };
}

/** JSON with object keys sorted at every level. */
export function canonicalJson(value: Json): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as { readonly [key: string]: Json };
  const keys = Object.keys(obj).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}
