/**
 * Terraform's JSON notation for a value's type (`"string"`, `["set", "string"]`,
 * `["object", {"a": "number"}]`), as `terraform output -json` and Terraform's state write it,
 * and the way back: set marks put again on JSON data read from the state, so renderings can
 * name a set `toset([...])`.
 */
import { Sensitive, Unknown, isNumber, isObject, isSetValue, markSet, type Json, type Value } from './value.js';

/**
 * The type of `v` in Terraform's JSON notation. Lists and tuples are one kind here, so a list
 * that is not a set is a tuple (what `[...]` is in Terraform), and an object is an object, never
 * a map. Null (and an unknown) is `"dynamic"`; a set's element type is that of its first element
 * not null (the elements were converted to one type when the set was made), `"dynamic"` when empty.
 */
export function typeJsonOf(v: Value): Json {
  if (v instanceof Sensitive) return typeJsonOf(v.value);
  if (v === null || v instanceof Unknown) return 'dynamic';
  if (typeof v === 'string') return 'string';
  if (isNumber(v)) return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) {
    if (isSetValue(v)) {
      const element = v.map(typeJsonOf).find((t) => t !== 'dynamic');
      return ['set', element ?? 'dynamic'];
    }
    return ['tuple', v.map(typeJsonOf)];
  }
  const attrs: Record<string, Json> = {};
  if (isObject(v)) for (const [k, x] of Object.entries(v)) attrs[k] = typeJsonOf(x);
  return ['object', attrs];
}

/**
 * `value` with every array that `type` (Terraform's JSON notation) says is a set marked as a set.
 * A missing or unreadable type leaves the value as it is.
 */
export function withSetMarks(value: Json, type: Json | undefined): Value {
  if (!Array.isArray(type) || type.length !== 2 || typeof type[0] !== 'string') return value as Value;
  const kind: string = type[0];
  const inner: Json = type[1];
  if (Array.isArray(value)) {
    if (kind === 'set') return markSet(value.map((x) => withSetMarks(x, inner)));
    if (kind === 'list') return value.map((x) => withSetMarks(x, inner));
    if (kind === 'tuple' && Array.isArray(inner)) return value.map((x, i) => withSetMarks(x, inner[i]));
    return value as Value;
  }
  if (value !== null && typeof value === 'object') {
    const obj = value as { readonly [key: string]: Json };
    const out: Record<string, Value> = {};
    for (const [k, x] of Object.entries(obj)) {
      const t = kind === 'map' ? inner : kind === 'object' && inner !== null && typeof inner === 'object' && !Array.isArray(inner) ? (inner as { readonly [key: string]: Json })[k] : undefined;
      Object.defineProperty(out, k, { value: withSetMarks(x, t), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value as Value;
}
