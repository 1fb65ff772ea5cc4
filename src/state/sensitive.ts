/**
 * Secrets in state: the one place that says how a secret is stored, read back and compared.
 * Planner, refresh, apply and the renderers all go through these rules, so a secret has the same
 * spelling wherever it is looked at.
 *
 * A secret is never stored, only its hash, `sha256:<hex>` of its canonical JSON:
 * - a schema-sensitive attribute (a machine's `root_pass`) has its hash in the instance's
 *   `sensitive_attributes`, under the attribute's name;
 * - a secret nested in another attribute (that root password inside a provisioner's `host`
 *   object) is written in place as `sensitive:sha256:<hex>` - the *stored form*.
 * Read back from state, both become the same language value: `Sensitive("sensitive:sha256:<hex>")`.
 * That value flows on like any other (a resource taking the whole machine object gets it inside),
 * is stored again as itself, and compares equal to the secret it stands for: a stored form
 * matches any value whose hash it holds.
 */
import { createHash } from 'node:crypto';
import { Sensitive, canonicalJson, containsUnknown, isObject, isUnknown, toJson, type Json, type Value } from '../evaluate/value.js';
import type { StateInstance } from './types.js';

const HASH_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** Prefix of a secret's stored form: `sensitive:` followed by the secret's hash. */
export const STORED_SECRET_PREFIX = 'sensitive:';

/**
 * `sha256:<hex>` of `value`'s canonical JSON (object keys sorted), so equal values hash alike
 * whatever order their keys were built in. This hashes any value, a stored form too; to hash a
 * secret for state use `secretHash`, which knows that a stored form is its own hash.
 */
export function hashSensitive(value: Json): string {
  return `sha256:${createHash('sha256').update(canonicalJson(value)).digest('hex')}`;
}

/**
 * The hash recorded for a secret an imported object has but its provider cannot read back (a
 * Linode root password): no value hashes to it, and the planner takes the configuration's value
 * as what the object has rather than replacing it for a difference nobody can see (docs/state.md).
 */
export const UNREAD_SECRET_HASH = `sha256:${'0'.repeat(64)}`;

/** True when `s` has the form `hashSensitive` produces. */
export function isSensitiveHash(s: string): boolean {
  return HASH_PATTERN.test(s);
}

/** True for a secret's stored form, `sensitive:sha256:<hex>`. */
export function isStoredSecret(v: unknown): v is string {
  return typeof v === 'string' && v.startsWith(STORED_SECRET_PREFIX) && isSensitiveHash(v.slice(STORED_SECRET_PREFIX.length));
}

/**
 * The hash state keeps for the secret `v`. A stored form (a secret read back from state and
 * passed on, whose value infra no longer knows) is its own hash: it is never hashed again.
 */
export function secretHash(v: Json): string {
  return isStoredSecret(v) ? v.slice(STORED_SECRET_PREFIX.length) : hashSensitive(v);
}

/** The stored form of the secret `v`: `sensitive:` + `secretHash(v)`. */
export function storedSecret(v: Json): string {
  return STORED_SECRET_PREFIX + secretHash(v);
}

/**
 * How state stores a value: every known sensitive part replaced by its stored form, so a secret
 * that flowed into another resource's attribute is never written out, yet a change to it is
 * still seen. A sensitive part still unknown (planning) is left as it is.
 */
export function storedForm(v: Value): Value {
  if (v instanceof Sensitive) return containsUnknown(v.value) ? v : storedSecret(toJson(v.value));
  if (Array.isArray(v)) return v.map(storedForm);
  if (isObject(v)) {
    const out: Record<string, Value> = {};
    for (const [k, x] of Object.entries(v)) out[k] = storedForm(x);
    return out;
  }
  return v;
}

/** Marks every stored form inside `v` sensitive again, so renderings never show a hash. */
export function markStoredSecrets(v: Value): Value {
  if (typeof v === 'string') return isStoredSecret(v) ? new Sensitive(v) : v;
  if (Array.isArray(v)) return v.map(markStoredSecrets);
  if (isObject(v)) {
    const out: Record<string, Value> = {};
    for (const [k, x] of Object.entries(v)) out[k] = markStoredSecrets(x);
    return out;
  }
  return v;
}

/**
 * The attribute values of a state instance as language values: nested stored forms marked
 * sensitive, and each of `sensitive_attributes` as `Sensitive` of its stored form.
 */
export function stateValues(inst: StateInstance): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const [k, v] of Object.entries(inst.attributes)) out[k] = markStoredSecrets(v as Value);
  for (const [k, hash] of Object.entries(inst.sensitive_attributes)) out[k] = new Sensitive(STORED_SECRET_PREFIX + hash);
  return out;
}

/**
 * Splits a provider's attributes into what state stores: the attributes named in `sensitiveNames`
 * are replaced by their hashes (`secretHash`) in `sensitive_attributes`; the rest are kept as
 * they are (callers put nested secrets in their stored form first, with `storedForm`).
 */
export function splitSensitive(
  attributes: Readonly<Record<string, Json>>,
  sensitiveNames: Iterable<string>,
): { attributes: Record<string, Json>; sensitive_attributes: Record<string, string> } {
  const secret = new Set(sensitiveNames);
  const kept: Record<string, Json> = {};
  const hashed: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (secret.has(name)) hashed[name] = secretHash(value);
    else kept[name] = value;
  }
  return { attributes: kept, sensitive_attributes: hashed };
}

/**
 * `attributes` a provider reported for an object state already holds, with the secrets it did
 * not report (a password told only by create) put back as their stored forms, so neither the
 * recorded hash nor what refers to the secret is lost by an update.
 */
export function keepPriorSecrets(
  attributes: Readonly<Record<string, Json>>,
  prior: Pick<StateInstance, 'sensitive_attributes'>,
): Record<string, Json> {
  const out: Record<string, Json> = { ...attributes };
  for (const [name, hash] of Object.entries(prior.sensitive_attributes)) if (!(name in out)) out[name] = STORED_SECRET_PREFIX + hash;
  return out;
}

/**
 * Whether the value `v` (marked or not) is the secret whose hash state recorded as `hash`. An
 * unknown value matches nothing: it may turn out to be anything.
 */
export function matchesSecretHash(hash: string, v: Value): boolean {
  const plain = v instanceof Sensitive ? v.value : v;
  if (containsUnknown(plain)) return false;
  return secretHash(toJson(plain)) === hash;
}

/**
 * Equality of two values as state would see them: marks are ignored, a stored form equals any
 * value whose hash it holds (and another stored form of the same hash), and unknowns equal
 * nothing. Use it wherever a value read back from state is compared with one evaluated now.
 */
export function sameStoredValue(a: Value, b: Value): boolean {
  if (a instanceof Sensitive) a = a.value;
  if (b instanceof Sensitive) b = b.value;
  if (isUnknown(a) || isUnknown(b)) return false;
  if (isStoredSecret(a) || isStoredSecret(b)) {
    if (containsUnknown(a) || containsUnknown(b)) return false;
    return secretHash(toJson(a)) === secretHash(toJson(b));
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => sameStoredValue(x, b[i]));
  }
  if (isObject(a) || isObject(b)) {
    if (!isObject(a) || !isObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && sameStoredValue(a[k], b[k]));
  }
  return a === b;
}

/**
 * A value a provider read back, with a stored form wherever state holds one for the same place:
 * a provider that echoes a secret it was given (the password inside `host`) never puts it in
 * state in clear.
 */
export function redactLike(read: Json, stored: Json): Json {
  if (isStoredSecret(stored)) return storedSecret(read);
  if (Array.isArray(stored) && Array.isArray(read)) return read.map((x, i) => (i < stored.length ? redactLike(x, stored[i]) : x));
  if (isJsonObject(stored) && isJsonObject(read)) {
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(read)) out[k] = k in stored ? redactLike(x, stored[k]) : x;
    return out;
  }
  return read;
}

function isJsonObject(v: Json): v is { readonly [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
