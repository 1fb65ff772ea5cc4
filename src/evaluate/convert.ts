/**
 * Conversions between the language's values and types, Terraform-like: numbers and bools convert
 * to strings, numeric strings to numbers, "true"/"false" to bools; null is a value of every type.
 * Unknown and sensitive values convert through: an unknown stays unknown (typed when the target
 * type says more), a sensitive value converts inside its mark. Messages never show a value, only
 * its type, so nothing sensitive leaks into a diagnostic.
 */
import { Sensitive, Unknown, containsUnknown, exactInteger, isNumber, isSetValue, markSet, type ObjectValue, type Type, type Value, typeName, valueEquals } from './value.js';

/** Why a conversion failed; `message` reads after "Invalid value for X: ". */
export class ConversionError {
  constructor(readonly message: string) {}
}

const NUMBER_SYNTAX = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** How a message says a number is too large for a float (`The number 1e400 ${BEYOND_RANGE}.`). */
export const BEYOND_RANGE = 'is beyond the largest number here (about 1.8e308)';

/** Whether `s` is written as a number but is too large for a float (`1e400`). */
export function beyondRange(s: string): boolean {
  return NUMBER_SYNTAX.test(s) && !Number.isFinite(Number(s));
}

/**
 * Parses the decimal syntax the language accepts in numeric strings; undefined if it is not one.
 * A whole number a float cannot hold exactly (`9007199254740993`, `1234567890123456789e3`) comes
 * back as a bigint, every digit kept.
 */
export function parseNumber(s: string): number | bigint | undefined {
  if (!NUMBER_SYNTAX.test(s)) return undefined;
  const n = Number(s);
  if (!Number.isFinite(n)) return undefined;
  if (Number.isInteger(n) && Math.abs(n) >= 2 ** 53) {
    const whole = wholeDigits(s);
    if (whole !== undefined) return exactInteger(BigInt(whole));
  }
  return n;
}

/** The digits of a decimal that is a whole number (`-12.50e2` -> `-1250`); undefined for a fraction. */
function wholeDigits(s: string): string | undefined {
  const m = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
  if (m === null) return undefined;
  const [, sign, int, frac = '', exp = '0'] = m;
  const e = Number(exp);
  if (e > 400) return undefined;
  let digits = int + frac;
  const point = int.length + e;
  if (point < 0) return undefined;
  if (point >= digits.length) digits += '0'.repeat(point - digits.length);
  else {
    if (/[^0]/.test(digits.slice(point))) return undefined;
    digits = digits.slice(0, point);
  }
  return sign + (digits === '' ? '0' : digits);
}

/**
 * The text of a number in strings, templates and JSON, as Terraform prints it: plain decimal
 * without an exponent (`1e21` is `1000000000000000000000`, `1.5e-7` is `0.00000015`), the shortest
 * digits that read back as the same number, `-0` as `0`.
 */
export function numberToString(n: number | bigint): string {
  if (typeof n === 'bigint') return String(n);
  if (Object.is(n, -0)) return '0';
  const s = String(n);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const negative = s.startsWith('-');
  const mantissa = s.slice(negative ? 1 : 0, e);
  const exponent = Number(s.slice(e + 1));
  const point = mantissa.indexOf('.');
  const digits = mantissa.replace('.', '');
  // Position of the decimal point within `digits` once the exponent is applied.
  const at = (point < 0 ? mantissa.length : point) + exponent;
  const plain = at <= 0 ? `0.${'0'.repeat(-at)}${digits}` : at >= digits.length ? digits + '0'.repeat(at - digits.length) : `${digits.slice(0, at)}.${digits.slice(at)}`;
  return (negative ? '-' : '') + plain;
}

/** `string`, `number`, `bool`, `null`, `list`, `object`, for messages. Looks through marks. */
export function describeValue(v: Value): string {
  if (v instanceof Sensitive) return describeValue(v.value);
  if (v === null) return 'null';
  if (v instanceof Unknown) return 'unknown value';
  if (Array.isArray(v)) return isSetValue(v) ? 'set' : 'list';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
    case 'bigint':
      return 'number';
    case 'boolean':
      return 'bool';
    default:
      return 'object';
  }
}

function article(t: Type): string {
  const name = typeof t === 'string' ? t : 'list' in t ? 'list' : 'set' in t ? 'set' : 'map' in t ? 'map' : 'tuple' in t ? 'tuple' : 'object';
  switch (name) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'bool':
      return 'a bool';
    case 'list':
      return `a list (${typeName(t)})`;
    case 'set':
      return `a set (${typeName(t)})`;
    case 'map':
      return `a map (${typeName(t)})`;
    case 'tuple':
      return `a tuple (${typeName(t)})`;
    default:
      return `an object (${typeName(t)})`;
  }
}

function mismatch(t: Type, v: Value): ConversionError {
  return new ConversionError(`${article(t)} is required, got ${describeValue(v)}`);
}

function nested(where: string, e: ConversionError): ConversionError {
  return new ConversionError(`${where}: ${e.message}`);
}

/** Converts `v` to `type`, or says why it cannot. Depth-guarded by the caller's values (values are finite trees). */
export function convert(v: Value, type: Type): Value | ConversionError {
  if (type === 'any' || v === null) return v;
  if (v instanceof Sensitive) {
    const inner = convert(v.value, type);
    return inner instanceof ConversionError ? inner : new Sensitive(inner);
  }
  if (v instanceof Unknown) return v.type === 'any' ? new Unknown(type) : v;
  switch (type) {
    case 'string':
      if (typeof v === 'string') return v;
      if (isNumber(v)) return numberToString(v);
      if (typeof v === 'boolean') return v ? 'true' : 'false';
      return mismatch(type, v);
    case 'number':
      if (isNumber(v)) return v;
      if (typeof v === 'string') {
        const n = parseNumber(v);
        if (n === undefined && beyondRange(v)) return new ConversionError(`the number ${v} ${BEYOND_RANGE}`);
        if (n === undefined) return new ConversionError('a number is required, got a string that is not a number');
        return n;
      }
      return mismatch(type, v);
    case 'bool':
      if (typeof v === 'boolean') return v;
      if (v === 'true') return true;
      if (v === 'false') return false;
      return typeof v === 'string'
        ? new ConversionError('a bool is required, got a string other than "true" or "false"')
        : mismatch(type, v);
  }
  if ('set' in type) {
    if (!Array.isArray(v)) return mismatch(type, v);
    const elements: Value[] = [];
    for (let i = 0; i < v.length; i++) {
      const c = convert(v[i], type.set);
      if (c instanceof ConversionError) return nested(`element ${i}`, c);
      elements.push(c);
    }
    return markSet(setElements(elements));
  }
  if ('tuple' in type) {
    if (!Array.isArray(v)) return mismatch(type, v);
    if (v.length !== type.tuple.length) {
      return new ConversionError(`${article(type)} is required, got ${v.length} element${v.length === 1 ? '' : 's'} instead of ${type.tuple.length}`);
    }
    const out: Value[] = [];
    for (let i = 0; i < v.length; i++) {
      const c = convert(v[i], type.tuple[i]);
      if (c instanceof ConversionError) return nested(`element ${i}`, c);
      out.push(c);
    }
    return out;
  }
  if ('list' in type) {
    if (!Array.isArray(v)) return mismatch(type, v);
    let out: Value[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const c = convert(v[i], type.list);
      if (c instanceof ConversionError) return nested(`element ${i}`, c);
      if (c !== v[i]) {
        out ??= v.slice();
        out[i] = c;
      }
    }
    // A set given where a list is wanted becomes a list: the copy carries no set mark.
    return out ?? (isSetValue(v) ? v.slice() : v);
  }
  if (typeof v !== 'object' || Array.isArray(v)) return mismatch(type, v);
  const obj = v as ObjectValue;
  if ('map' in type) {
    let out: Record<string, Value> | undefined;
    for (const k of Object.keys(obj)) {
      const c = convert(obj[k], type.map);
      if (c instanceof ConversionError) return nested(`element ${JSON.stringify(k)}`, c);
      if (c !== obj[k]) {
        out ??= { ...obj };
        setKey(out, k, c);
      }
    }
    return out ?? obj;
  }
  const out: Record<string, Value> = {};
  const optional = type.optional ?? {};
  for (const k of Object.keys(type.object)) {
    const given = Object.hasOwn(obj, k) ? obj[k] : undefined;
    if (Object.hasOwn(optional, k) && (given === undefined || given === null)) {
      // Defaults were converted to the attribute's type when the type was read.
      setKey(out, k, optional[k].default);
      continue;
    }
    if (given === undefined) return new ConversionError(`attribute ${JSON.stringify(k)} is required`);
    const c = convert(given, type.object[k]);
    if (c instanceof ConversionError) return nested(`attribute ${JSON.stringify(k)}`, c);
    setKey(out, k, c);
  }
  return out;
}

/**
 * A set's elements in Terraform's order: duplicates dropped, strings sorted (by code unit) and
 * numbers by value, anything else in first-seen order. Elements holding unknowns are kept
 * as they are: whether they equal another is not known yet.
 */
export function setElements(xs: readonly Value[]): Value[] {
  const out: Value[] = [];
  for (const x of xs) if (containsUnknown(x) || !out.some((y) => valueEquals(x, y))) out.push(x);
  // Terraform orders a set of primitives by value (false before true) with null last; a bigint
  // and a float compare exactly with < and >.
  const known = out.filter((x) => x !== null);
  const nulls = out.length - known.length;
  const ordered = (sorted: Value[]): Value[] => (nulls === 0 ? sorted : [...sorted, ...Array<Value>(nulls).fill(null)]);
  const byValue = (a: Value, b: Value): number => ((a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0);
  if (known.every((x) => typeof x === 'string') || known.every(isNumber) || known.every((x) => typeof x === 'boolean')) return ordered(known.sort(byValue));
  return out;
}

/** Sets an own property, even `__proto__`, without touching the prototype chain. */
export function setKey(obj: Record<string, Value>, key: string, value: Value): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** The value of own property `key`, or undefined (never an inherited `toString` or `constructor`). */
export function getKey(obj: ObjectValue, key: string): Value | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

type Kind = 'string' | 'number' | 'bool' | 'list' | 'object';

function kindOf(v: Value): Kind | undefined {
  while (v instanceof Sensitive) v = v.value;
  if (v === null || v instanceof Unknown) return undefined;
  if (Array.isArray(v)) return 'list';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
    case 'bigint':
      return 'number';
    case 'boolean':
      return 'bool';
    default:
      return 'object';
  }
}

function inner<T>(v: Value, f: (x: Value) => T): T | Value {
  if (v instanceof Sensitive) {
    const r = f(v.value);
    return r instanceof ConversionError ? r : new Sensitive(r as Value);
  }
  return f(v);
}

/**
 * Converts `values` to one type they all convert to, as Terraform unifies the elements of a tuple
 * it turns into a list (`tolist([1, "a"])` is `["1", "a"]`): mixed primitives become strings
 * (a number and a bool alone have no common type), lists unify their elements together, objects
 * with the same attributes unify attribute by attribute and others all their values together (a
 * map). Null and unknown elements fit any type. Undefined when there is no common type.
 */
export function unify(values: readonly Value[]): Value[] | undefined {
  const kinds = new Set<Kind>();
  for (const v of values) {
    const k = kindOf(v);
    if (k !== undefined) kinds.add(k);
  }
  if (kinds.size === 0) return [...values];
  const collections = kinds.has('list') || kinds.has('object');
  if (collections && kinds.size > 1) return undefined;
  if (!collections) {
    if (kinds.size === 1) return [...values];
    if (!kinds.has('string')) return undefined;
    return values.map((v) => (kindOf(v) === undefined || kindOf(v) === 'string' ? v : (convert(v, 'string') as Value)));
  }
  const plain = (v: Value): Value => (v instanceof Sensitive ? plain(v.value) : v);
  if (kinds.has('list')) {
    const all = values.flatMap((v) => (kindOf(v) === 'list' ? (plain(v) as readonly Value[]) : []));
    const unified = unify(all);
    if (unified === undefined) return undefined;
    let at = 0;
    return values.map((v) => {
      if (kindOf(v) !== 'list') return v;
      return inner(v, (x) => (x as readonly Value[]).map(() => unified[at++])) as Value;
    });
  }
  const objects = values.filter((v) => kindOf(v) === 'object').map((v) => plain(v) as ObjectValue);
  const keySets = objects.map((o) => Object.keys(o).sort().join('\u0000'));
  const sameKeys = keySets.every((k) => k === keySets[0]);
  const out = values.map((v) => (kindOf(v) === 'object' ? { ...(plain(v) as ObjectValue) } : v)) as Value[];
  const groups = sameKeys ? Object.keys(objects[0]).map((k) => [k]) : [[...new Set(objects.flatMap((o) => Object.keys(o)))]];
  for (const keys of groups) {
    const cells: { obj: Record<string, Value>; key: string }[] = [];
    for (const o of out) if (kindOf(o) === 'object') for (const k of keys) if (Object.hasOwn(o as ObjectValue, k)) cells.push({ obj: o as Record<string, Value>, key: k });
    const unified = unify(cells.map((c) => c.obj[c.key]));
    if (unified === undefined) return undefined;
    cells.forEach((c, i) => setKey(c.obj, c.key, unified[i]));
  }
  return values.map((v, i) => (v instanceof Sensitive ? new Sensitive(out[i]) : out[i]));
}
