/**
 * Runtime values of the language. Plain JSON-like data, plus two wrappers that flow through every
 * operation:
 * - `Unknown`: a value not known until apply (an instance's `ipv4` before it exists). Any
 *   operation with an unknown operand yields unknown; lists and objects may hold unknown
 *   elements and stay known themselves (so `length()` of them is known).
 * - `Sensitive`: a value that must never be printed. Any operation with a sensitive operand
 *   yields a sensitive result; renderings print `(sensitive value)`.
 * A value may be both: `Sensitive(Unknown)`.
 *
 * Numbers are `number` (a 64-bit float), except a whole number that a float cannot hold exactly
 * (`9007199254740993`), which is a `bigint` so that IDs and serials keep every digit
 * (`exactInteger` keeps that rule: a bigint is never a value a float holds).
 */

export type Value = null | string | number | bigint | boolean | ListValue | ObjectValue | Unknown | Sensitive;
export type ListValue = readonly Value[];
export interface ObjectValue {
  readonly [key: string]: Value;
}

/** The language's types, for variables and provider schemas. */
export type Type =
  | 'string'
  | 'number'
  | 'bool'
  | 'any'
  | { readonly list: Type }
  | { readonly set: Type }
  | { readonly map: Type }
  | { readonly tuple: readonly Type[] }
  | ObjectType;

/**
 * `object({ name = string, port = optional(number, 80) })`. `optional` holds the attributes that
 * may be left out, each with its default (null when none was given), already converted to the
 * attribute's type: a missing or null optional attribute takes its default on conversion.
 */
export interface ObjectType {
  readonly object: Readonly<Record<string, Type>>;
  readonly optional?: Readonly<Record<string, { readonly default: Value }>>;
}

// Set values are plain arrays (deduplicated, in the set's canonical order) remembered here, so
// every list operation works on them and only what differs (indexing, messages) asks.
const SETS = new WeakSet<ListValue>();

/** Marks an array as a set value (returns it). */
export function markSet(xs: ListValue): ListValue {
  SETS.add(xs);
  return xs;
}

/** True for a value made as a set (a `set(T)` variable, `toset()`): it cannot be indexed. */
export function isSetValue(v: Value): boolean {
  return Array.isArray(v) && SETS.has(v);
}

export class Unknown {
  /** Use `UNKNOWN` unless a type hint helps a renderer. */
  constructor(readonly type: Type = 'any') {}
}

export const UNKNOWN = new Unknown();

export class Sensitive {
  constructor(readonly value: Value) {}
}

export function isUnknown(v: Value): v is Unknown {
  return v instanceof Unknown;
}

export function isSensitive(v: Value): v is Sensitive {
  return v instanceof Sensitive;
}

export function isList(v: Value): v is ListValue {
  return Array.isArray(v);
}

export function isObject(v: Value): v is ObjectValue {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Unknown) && !(v instanceof Sensitive);
}

/** True for both representations of a number. */
export function isNumber(v: Value): v is number | bigint {
  return typeof v === 'number' || typeof v === 'bigint';
}

/** A whole number in its canonical representation: a float when one holds it exactly, else the bigint. */
export function exactInteger(n: bigint): number | bigint {
  const f = Number(n);
  return Number.isFinite(f) && BigInt(f) === n ? f : n;
}

/** A number as a float (a bigint rounds to the nearest one): for the functions that compute with floats. */
export function toFloat(n: number | bigint): number {
  return typeof n === 'bigint' ? Number(n) : n;
}

/** Marks `v` sensitive (idempotent). */
export function sensitive(v: Value): Value {
  return v instanceof Sensitive ? v : new Sensitive(v);
}

/** Removes a top-level sensitive mark, returning the inner value and whether it was marked. */
export function unmark(v: Value): { value: Value; sensitive: boolean } {
  return v instanceof Sensitive ? { value: v.value, sensitive: true } : { value: v, sensitive: false };
}

/** True when `v` or anything inside it is unknown. */
export function containsUnknown(v: Value): boolean {
  if (v instanceof Unknown) return true;
  if (v instanceof Sensitive) return containsUnknown(v.value);
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (isObject(v)) return Object.values(v).some(containsUnknown);
  return false;
}

/** True when `v` or anything inside it is sensitive. */
export function containsSensitive(v: Value): boolean {
  if (v instanceof Sensitive) return true;
  if (Array.isArray(v)) return v.some(containsSensitive);
  if (isObject(v)) return Object.values(v).some(containsSensitive);
  return false;
}

/** Strips every sensitive mark (for handing real values to providers). */
export function unmarkDeep(v: Value): Value {
  if (v instanceof Sensitive) return unmarkDeep(v.value);
  if (Array.isArray(v)) {
    const out = v.map(unmarkDeep);
    return isSetValue(v) ? markSet(out) : out;
  }
  if (isObject(v)) {
    const out: Record<string, Value> = {};
    for (const [k, x] of Object.entries(v)) out[k] = unmarkDeep(x);
    return out;
  }
  return v;
}

/** JSON-compatible data: what providers receive and what state stores. No unknowns, no marks. */
export type Json = null | string | number | bigint | boolean | readonly Json[] | { readonly [key: string]: Json };

/** Converts a fully known value to JSON data, stripping marks; throws on unknown (a bug). */
export function toJson(v: Value): Json {
  const plain = unmarkDeep(v);
  if (containsUnknown(plain)) throw new Error('toJson: value contains unknowns');
  return plain as Json;
}

/**
 * JSON text with object keys sorted at every level and no spaces, so equal data always prints,
 * and hashes, alike whatever order its keys were built in.
 */
export function canonicalJson(value: Json): string {
  if (typeof value === 'bigint') return String(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as { readonly [key: string]: Json };
  const keys = Object.keys(obj).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** Deep structural equality of values; unknowns are equal to nothing, marks are ignored. */
export function valueEquals(a: Value, b: Value): boolean {
  if (a instanceof Sensitive) a = a.value;
  if (b instanceof Sensitive) b = b.value;
  if (a instanceof Unknown || b instanceof Unknown) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => valueEquals(x, b[i]));
  }
  if (isObject(a) || isObject(b)) {
    if (!isObject(a) || !isObject(b)) return false;
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && valueEquals(a[k], b[k]));
  }
  return a === b;
}

/**
 * Equality as the `==` operator sees it, which, unlike `valueEquals`, minds the kind of
 * collection as Terraform does: a set equals only a set with the same elements, in any order
 * (`toset(["a"]) == ["a"]` is false). Unknowns are equal to nothing, marks are ignored.
 */
export function operatorEquals(a: Value, b: Value): boolean {
  if (a instanceof Sensitive) a = a.value;
  if (b instanceof Sensitive) b = b.value;
  if (a instanceof Unknown || b instanceof Unknown) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    if (isSetValue(a) !== isSetValue(b)) return false;
    // Set elements are distinct, so same length and each found in the other is equality.
    if (isSetValue(a)) return a.every((x) => b.some((y) => operatorEquals(x, y)));
    return a.every((x, i) => operatorEquals(x, b[i]));
  }
  if (isObject(a) || isObject(b)) {
    if (!isObject(a) || !isObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && operatorEquals(a[k], b[k]));
  }
  return a === b;
}

/** `string`, `list(string)`, `map(number)`, `object({...})`: the type as written in the language. */
export function typeName(t: Type): string {
  if (typeof t === 'string') return t;
  if ('list' in t) return `list(${typeName(t.list)})`;
  if ('set' in t) return `set(${typeName(t.set)})`;
  if ('map' in t) return `map(${typeName(t.map)})`;
  if ('tuple' in t) return `tuple([${t.tuple.map(typeName).join(', ')}])`;
  const optional = t.optional ?? {};
  return `object({${Object.entries(t.object)
    .map(([k, v]) => `${k} = ${Object.hasOwn(optional, k) ? `optional(${typeName(v)})` : typeName(v)}`)
    .join(', ')}})`;
}
