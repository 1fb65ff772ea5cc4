/**
 * The built-in functions. Each declares its parameters (a type each, checked and converted before
 * the implementation runs) so the implementation only sees known, unmarked, well-typed values,
 * unless it is declared `nested` (it copies elements through, so unknown or sensitive elements
 * inside its arguments do not make the whole result unknown or sensitive: `length([unknown])` is
 * known). The evaluator does the marking: any unknown argument makes the result unknown, any
 * sensitive argument makes it sensitive.
 *
 * A failure is returned as a `FunctionError`, never thrown; the evaluator turns it into a
 * diagnostic at the call (or at the offending argument).
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, posix, resolve } from 'node:path';
import { cidrHost, cidrSubnet, cidrSubnets, formatPrefix, parsePrefix, type Prefix } from './cidr.js';
import { formatDate, nowTimestamp, parseTimestamp } from './datetime.js';
import { translateRegex, expandTemplate } from './regex.js';
import { yamlEncode } from './yaml.js';
import { YamlError, yamlDecode } from './yaml-decode.js';
import { BEYOND_RANGE, ConversionError, convert, describeValue, getKey, numberToString, setElements, setKey, unify } from './convert.js';
import { parseJson } from './json-text.js';
import {
  Sensitive,
  UNKNOWN,
  Unknown,
  containsUnknown,
  exactInteger,
  isNumber,
  isObject,
  isSetValue,
  markSet,
  sensitive,
  valueEquals,
  type ListValue,
  type Json,
  type ObjectValue,
  type Value,
} from './value.js';

/** A function's failure: `detail` says why; `arg` (0-based) points the diagnostic at an argument. */
export class FunctionError {
  constructor(
    readonly detail: string,
    readonly arg?: number,
    readonly summary?: string,
  ) {}
}

/** What a parameter accepts; the evaluator converts arguments to it before the call. */
export type ParamType = 'string' | 'number' | 'bool' | 'list' | 'object' | 'any';

export interface Param {
  readonly name: string;
  readonly type: ParamType;
  /** Null is passed through instead of being an error. */
  readonly nullable?: boolean;
  /**
   * A `number` parameter whose implementation takes a bigint (a whole number beyond floats' exact
   * range) as it is; any other number parameter gets it rounded to the nearest float.
   */
  readonly exact?: boolean;
}

/** What a function may use besides its arguments. */
export interface FunctionContext {
  readonly configDir: string;
  readonly env: NodeJS.ProcessEnv;
  /** Parses `source` as a template and evaluates it with `vars` as its only variables. */
  readonly renderTemplate: (source: string, path: string, vars: ObjectValue) => Value | FunctionError;
}

export interface FunctionDef {
  readonly params: readonly Param[];
  /** Trailing optional parameters: `lookup(map, key, default)` has `optional: 1`. */
  readonly optional?: number;
  /** Repeats without limit after `params`. */
  readonly variadic?: Param;
  /** Handles unknown and sensitive elements inside its arguments itself (see the module comment). */
  readonly nested?: boolean;
  /** Reads the world (environment, files, clock, randomness): not allowed where only literals are. */
  readonly impure?: boolean;
  /** The result is not marked sensitive even when the argument is (`nonsensitive`). */
  readonly unmarks?: boolean;
  /** One-line description for docs and `did you mean`. */
  readonly signature: string;
  readonly impl: (args: readonly Value[], ctx: FunctionContext) => Value | FunctionError;
}

/** Largest list `range` may build and widest field `format` may pad: guards against runaway input. */
export const MAX_GENERATED = 100_000;

function str(v: Value): string {
  return v as string;
}
function num(v: Value): number {
  return v as number;
}
function list(v: Value): ListValue {
  return v as ListValue;
}
function obj(v: Value): ObjectValue {
  return v as ObjectValue;
}

function sortedKeys(o: ObjectValue): string[] {
  return Object.keys(o).sort(compareStrings);
}

/** Code-unit order, the same on every machine (no locale). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Converts every element of a list to a string (for join, toset, sort...); undefined element index on failure. */
function stringElements(xs: ListValue, argIndex: number, what: string): string[] | FunctionError {
  const out = new Array<string>(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (x === null) return new FunctionError(`${what}: element ${i} is null.`, argIndex);
    const c = convert(x, 'string');
    if (c instanceof ConversionError) return new FunctionError(`${what}: element ${i}: ${c.message}.`, argIndex);
    out[i] = c as string;
  }
  return out;
}

function readBytes(path: string, ctx: FunctionContext, fn: string): Buffer | FunctionError {
  const full = isAbsolute(path) ? path : resolve(ctx.configDir, path);
  try {
    return readFileSync(full);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (code ?? 'read error');
    return new FunctionError(
      `${fn}() reads paths relative to the configuration directory (path.root).`,
      0,
      `Cannot read file "${path}": ${why}`,
    );
  }
}

function readFile(path: string, ctx: FunctionContext, fn: string): string | FunctionError {
  const bytes = readBytes(path, ctx, fn);
  if (bytes instanceof FunctionError) return bytes;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new FunctionError(`${fn}() reads text files; this file is not valid UTF-8.`, 0, `Cannot read file "${path}": not UTF-8 text`);
  }
}

// ---- format ------------------------------------------------------------------------------

const VERB = /%([-+ 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])?/y;

/** printf-like: %s %d %f %q %v %t %x %%, with flags `-+ 0`, width and precision. */
function formatString(fmt: string, args: readonly Value[]): string | FunctionError {
  let out = '';
  let next = 0;
  let i = 0;
  while (i < fmt.length) {
    const pct = fmt.indexOf('%', i);
    if (pct < 0) {
      out += fmt.slice(i);
      break;
    }
    out += fmt.slice(i, pct);
    VERB.lastIndex = pct;
    const m = VERB.exec(fmt)!;
    const [whole, flags, widthText, precText, verb] = m;
    i = pct + whole.length;
    if (verb === undefined) return new FunctionError(`The format string ends in an incomplete verb "${whole}".`, 0);
    if (verb === '%') {
      out += '%';
      continue;
    }
    const width = widthText === undefined ? 0 : Number(widthText);
    const prec = precText === undefined ? undefined : Number(precText);
    if (width > MAX_GENERATED || (prec !== undefined && prec > 100)) return new FunctionError(`The width or precision in "${whole}" is too large.`, 0);
    if (next >= args.length) return new FunctionError(`Not enough arguments for the format string: "${whole}" has no value.`);
    const argIndex = next + 1;
    const v = args[next++];
    let text: string;
    switch (verb) {
      case 's': {
        if (v === null) return new FunctionError(`Argument ${argIndex + 1} for "${whole}" is null.`, argIndex);
        const c = convert(v, 'string');
        if (c instanceof ConversionError) return new FunctionError(`"${whole}" needs a string: ${c.message}.`, argIndex);
        text = c as string;
        if (prec !== undefined) text = [...text].slice(0, prec).join('');
        break;
      }
      case 'q': {
        const c = v === null ? null : convert(v, 'string');
        if (c === null || c instanceof ConversionError) return new FunctionError(`"${whole}" needs a string, got ${describeValue(v)}.`, argIndex);
        text = JSON.stringify(c);
        break;
      }
      case 'd':
      case 'f':
      case 'x':
      case 'X':
      case 'e': {
        const c = v === null ? null : convert(v, 'number');
        if (c === null || c instanceof ConversionError) return new FunctionError(`"${whole}" needs a number, got ${describeValue(v)}.`, argIndex);
        const exact = c as number | bigint;
        if (typeof exact === 'bigint' && (verb === 'd' || verb === 'x' || verb === 'X')) {
          let digits = (exact < 0n ? -exact : exact).toString(verb === 'd' ? 10 : 16);
          if (verb === 'X') digits = digits.toUpperCase();
          const sign = exact < 0n ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
          if (flags.includes('0') && !flags.includes('-') && sign.length + digits.length < width) digits = digits.padStart(width - sign.length, '0');
          text = sign + digits;
          break;
        }
        const n = Number(exact);
        if ((verb === 'd' || verb === 'x' || verb === 'X') && !Number.isInteger(n))
          return new FunctionError(`"${whole}" needs a whole number; use %f for fractions.`, argIndex);
        const abs = Math.abs(n);
        let digits =
          verb === 'd' ? String(abs) : verb === 'f' ? abs.toFixed(prec ?? 6) : verb === 'e' ? abs.toExponential(prec ?? 6).replace(/e([+-])(\d)$/, 'e$10$2') : abs.toString(16);
        if (verb === 'X') digits = digits.toUpperCase();
        const sign = n < 0 || Object.is(n, -0) ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
        if (flags.includes('0') && !flags.includes('-') && sign.length + digits.length < width) digits = digits.padStart(width - sign.length, '0');
        text = sign + digits;
        break;
      }
      case 't': {
        const c = v === null ? null : convert(v, 'bool');
        if (c === null || c instanceof ConversionError) return new FunctionError(`"${whole}" needs a bool, got ${describeValue(v)}.`, argIndex);
        text = c ? 'true' : 'false';
        break;
      }
      case 'v':
        text = typeof v === 'string' ? v : isNumber(v) ? numberToString(v) : jsonEncode(v as Json);
        break;
      default:
        return new FunctionError(`Unsupported verb "%${verb}" in the format string; use %s, %d, %f, %q, %v, %t, %x or %%.`, 0);
    }
    if (text.length < width) text = flags.includes('-') ? text.padEnd(width) : text.padStart(width);
    out += text;
  }
  if (next < args.length) return new FunctionError(`Too many arguments for the format string: it uses ${next}, got ${args.length}.`);
  return out;
}

// ---- JSON --------------------------------------------------------------------------------

const JSON_ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

/**
 * JSON text as Terraform's `jsonencode` writes it: no spaces, object keys sorted, numbers in
 * plain decimal (`numberToString`), and `<`, `>`, `&`, U+2028, U+2029 escaped as `\u003c`... (Go's
 * HTML-safe encoding).
 */
export function jsonEncode(v: Json): string {
  if (v === null) return 'null';
  if (typeof v === 'number' || typeof v === 'bigint') return numberToString(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => JSON_ESCAPES[c]);
  if (Array.isArray(v)) return `[${v.map(jsonEncode).join(',')}]`;
  const o = v as { readonly [k: string]: Json };
  return `{${Object.keys(o)
    .sort(compareStrings)
    .map((k) => `${jsonEncode(k)}:${jsonEncode(o[k])}`)
    .join(',')}}`;
}

/** Deepest value jsondecode builds: deeper input would overflow the stack of later recursive walks. */
export const MAX_JSON_DEPTH = 500;

/** True when parsed JSON holds a number too large for a float (JSON.parse reads `1e400` as Infinity). */
function holdsInfinity(v: unknown): boolean {
  const stack: unknown[] = [v];
  while (stack.length > 0) {
    const x = stack.pop();
    if (typeof x === 'number' && !Number.isFinite(x)) return true;
    if (x !== null && typeof x === 'object') for (const y of Object.values(x)) stack.push(y);
  }
  return false;
}

/** True when parsed JSON nests deeper than `limit` (checked without recursion). */
export function jsonDepthExceeds(v: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[v, 0]];
  while (stack.length > 0) {
    const [x, d] = stack.pop()!;
    if (d > limit) return true;
    if (x !== null && typeof x === 'object') for (const y of Object.values(x)) if (y !== null && typeof y === 'object') stack.push([y, d + 1]);
  }
  return false;
}

// ---- the table ---------------------------------------------------------------------------

const p = (name: string, type: ParamType, nullable = false): Param => ({ name, type, nullable });
/** A number parameter that keeps bigints (see `Param.exact`). */
const exactNumber = (name: string, nullable = false): Param => ({ name, type: 'number', nullable, exact: true });

/** The largest (`sign` 1) or smallest (-1) of numbers of either representation (JS compares a bigint and a float exactly). */
function extremeNumber(xs: readonly Value[], sign: 1 | -1): number | bigint {
  let best = xs[0] as number | bigint;
  for (const x of xs.slice(1) as (number | bigint)[]) if (sign === 1 ? x > best : x < best) best = x;
  return best;
}

function flattenInto(xs: ListValue, out: Value[]): boolean {
  for (const x of xs) {
    if (Array.isArray(x)) {
      if (!flattenInto(x, out)) return false;
    } else if (x instanceof Unknown) return false;
    else out.push(x);
  }
  return true;
}

let runTimestamp: string | undefined;

/** Every built-in function by name. */
export const FUNCTIONS: ReadonlyMap<string, FunctionDef> = new Map<string, FunctionDef>([
  [
    'env',
    {
      signature: 'env(name, default?)',
      params: [p('name', 'string'), p('default', 'string', true)],
      optional: 1,
      impure: true,
      impl: (a, ctx) => {
        const v = ctx.env[str(a[0])];
        if (v !== undefined) return v;
        if (a.length > 1) return a[1];
        return new FunctionError(
          `Set it, or give env() a default: env(${JSON.stringify(a[0])}, "value").`,
          0,
          `Environment variable ${JSON.stringify(a[0])} is not set`,
        );
      },
    },
  ],
  [
    'file',
    {
      signature: 'file(path)',
      params: [p('path', 'string')],
      impure: true,
      impl: (a, ctx) => readFile(str(a[0]), ctx, 'file'),
    },
  ],
  [
    'templatefile',
    {
      signature: 'templatefile(path, vars)',
      params: [p('path', 'string'), p('vars', 'object')],
      impure: true,
      nested: true,
      impl: (a, ctx) => {
        const source = readFile(str(a[0]), ctx, 'templatefile');
        if (source instanceof FunctionError) return source;
        return ctx.renderTemplate(source, str(a[0]), obj(a[1]));
      },
    },
  ],
  ['format', { signature: 'format(spec, values...)', params: [p('spec', 'string')], variadic: p('values', 'any', true), impl: (a) => formatString(str(a[0]), a.slice(1)) }],
  [
    'formatlist',
    {
      signature: 'formatlist(spec, values...)',
      params: [p('spec', 'string')],
      variadic: p('values', 'any', true),
      impl: (a) => {
        let n = -1;
        for (let i = 1; i < a.length; i++) {
          const x = a[i];
          if (!Array.isArray(x)) continue;
          if (n >= 0 && x.length !== n) return new FunctionError(`All list arguments must have the same length; argument ${i + 1} has ${x.length} elements, an earlier one ${n}.`, i);
          n = x.length;
        }
        const rows = n < 0 ? 1 : n;
        const out: Value[] = [];
        for (let r = 0; r < rows; r++) {
          const row = a.slice(1).map((x) => (Array.isArray(x) ? x[r] : x));
          const s = formatString(str(a[0]), row);
          if (s instanceof FunctionError) return s;
          out.push(s);
        }
        return out;
      },
    },
  ],
  [
    'join',
    {
      signature: 'join(separator, list)',
      params: [p('separator', 'string'), p('list', 'list')],
      impl: (a) => {
        const xs = stringElements(list(a[1]), 1, 'join() joins strings');
        return xs instanceof FunctionError ? xs : xs.join(str(a[0]));
      },
    },
  ],
  ['split', { signature: 'split(separator, string)', params: [p('separator', 'string'), p('string', 'string')], impl: (a) => str(a[1]).split(str(a[0])) }],
  [
    'concat',
    {
      signature: 'concat(lists...)',
      params: [],
      variadic: p('lists', 'list'),
      nested: true,
      impl: (a) => ([] as Value[]).concat(...a.map(list)),
    },
  ],
  [
    'merge',
    {
      signature: 'merge(objects...)',
      params: [],
      variadic: p('objects', 'object', true),
      nested: true,
      impl: (a) => {
        const out: Record<string, Value> = {};
        for (const o of a) if (o !== null) for (const k of Object.keys(obj(o))) setKey(out, k, obj(o)[k]);
        return out;
      },
    },
  ],
  [
    'lookup',
    {
      signature: 'lookup(map, key, default?)',
      params: [p('map', 'object'), p('key', 'string'), p('default', 'any', true)],
      optional: 1,
      nested: true,
      impl: (a) => {
        const v = getKey(obj(a[0]), str(a[1]));
        if (v !== undefined) return v;
        if (a.length > 2) return a[2];
        return new FunctionError(`The map has no key ${JSON.stringify(a[1])} and lookup() was given no default.`, 1);
      },
    },
  ],
  [
    'length',
    {
      signature: 'length(list | map | string)',
      params: [p('value', 'any')],
      nested: true,
      impl: (a) => {
        const v = a[0];
        if (typeof v === 'string') return [...v].length;
        if (Array.isArray(v)) return v.length;
        if (isObject(v)) return Object.keys(v).length;
        return new FunctionError(`length() needs a list, map or string, got ${describeValue(v)}.`, 0);
      },
    },
  ],
  ['keys', { signature: 'keys(map)', params: [p('map', 'object')], nested: true, impl: (a) => sortedKeys(obj(a[0])) }],
  [
    'values',
    {
      signature: 'values(map)',
      params: [p('map', 'object')],
      nested: true,
      impl: (a) => sortedKeys(obj(a[0])).map((k) => obj(a[0])[k]),
    },
  ],
  ['tostring', { signature: 'tostring(value)', params: [p('value', 'string', true)], impl: (a) => a[0] }],
  ['tonumber', { signature: 'tonumber(value)', params: [exactNumber('value', true)], impl: (a) => a[0] }],
  ['tobool', { signature: 'tobool(value)', params: [p('value', 'bool', true)], impl: (a) => a[0] }],
  ['lower', { signature: 'lower(string)', params: [p('string', 'string')], impl: (a) => str(a[0]).toLowerCase() }],
  ['upper', { signature: 'upper(string)', params: [p('string', 'string')], impl: (a) => str(a[0]).toUpperCase() }],
  // Go's unicode.IsSpace: JavaScript's trim() differs on U+0085 (a space to Go) and U+FEFF (not one).
  ['trimspace', { signature: 'trimspace(string)', params: [p('string', 'string')], impl: (a) => str(a[0]).replace(/^[\t\n\v\f\r\u0085\p{Z}]+|[\t\n\v\f\r\u0085\p{Z}]+$/gu, '') }],
  ['sha256', { signature: 'sha256(string)', params: [p('string', 'string')], impl: (a) => createHash('sha256').update(str(a[0]), 'utf8').digest('hex') }],
  [
    'toset',
    {
      signature: 'toset(list)',
      params: [p('list', 'list')],
      impl: (a) => {
        const xs = unify(list(a[0]));
        if (xs === undefined) return new FunctionError('Argument 1 (list): cannot convert tuple to set of any single type.', 0);
        return markSet(setElements(xs));
      },
    },
  ],
  ['tolist', { signature: 'tolist(list)', params: [p('list', 'list')], nested: true, impl: (a) => (isSetValue(a[0]) ? (a[0] as readonly Value[]).slice() : (unify(list(a[0])) ?? NO_LIST_TYPE)) }],
  [
    'tomap',
    {
      signature: 'tomap(object)',
      params: [p('object', 'object')],
      nested: true,
      impl: (a) => {
        const keys = Object.keys(obj(a[0]));
        const values = unify(keys.map((k) => obj(a[0])[k]));
        if (values === undefined) return new FunctionError('Argument 1 (object): cannot convert object to map of any single type.', 0);
        const out: Record<string, Value> = {};
        keys.forEach((k, i) => setKey(out, k, values[i]));
        return out;
      },
    },
  ],
  [
    'contains',
    {
      signature: 'contains(list, value)',
      params: [p('list', 'list'), p('value', 'any', true)],
      impl: (a) => list(a[0]).some((x) => valueEquals(x, a[1])),
    },
  ],
  [
    'range',
    {
      signature: 'range(end) | range(start, end, step?)',
      params: [p('start', 'number'), p('end', 'number'), p('step', 'number')],
      optional: 2,
      impl: (a) => {
        const [start, end] = a.length === 1 ? [0, num(a[0])] : [num(a[0]), num(a[1])];
        const step = a.length === 3 ? num(a[2]) : start <= end ? 1 : -1;
        if (step === 0) return new FunctionError('The step must not be zero.', 2);
        if (step < 0 && end > start) return new FunctionError('end must be less than start when step is negative.');
        if (step > 0 && end < start) return new FunctionError('end must be greater than start when step is positive.');
        if ((end - start) / step > MAX_GENERATED) return new FunctionError(`range() would make more than ${MAX_GENERATED} numbers.`);
        const out: number[] = [];
        if (step > 0) for (let x = start; x < end; x += step) out.push(x);
        else for (let x = start; x > end; x += step) out.push(x);
        return out;
      },
    },
  ],
  [
    'replace',
    {
      signature: 'replace(string, search, replacement)',
      params: [p('string', 'string'), p('search', 'string'), p('replacement', 'string')],
      impl: (a) => {
        const s = str(a[1]);
        if (s.length > 1 && s.startsWith('/') && s.endsWith('/')) {
          const t = translateRegex(s.slice(1, -1), true);
          if ('error' in t) return new FunctionError(`Invalid regular expression ${s}: ${t.error}.`, 1);
          const subject = str(a[0]);
          let out = '';
          let last = 0;
          for (const m of goMatches(t.regexp, subject)) {
            out += subject.slice(last, m.index) + expandTemplate(str(a[2]), m);
            last = m.index + m[0].length;
          }
          return out + subject.slice(last);
        }
        // An empty search string matches between every two characters, as Go's strings.Replace.
        if (s === '') return [...str(a[0])].reduce((out, ch) => out + ch + str(a[2]), str(a[2]));
        return str(a[0]).split(s).join(str(a[2]));
      },
    },
  ],
  [
    'jsonencode',
    {
      signature: 'jsonencode(value)',
      params: [p('value', 'any', true)],
      impl: (a) => jsonEncode(a[0] as Json),
    },
  ],
  [
    'jsondecode',
    {
      signature: 'jsondecode(string)',
      params: [p('string', 'string')],
      impl: (a) => {
        let v: unknown;
        try {
          v = parseJson(str(a[0]));
        } catch (e) {
          return new FunctionError(`The string is not valid JSON: ${(e as Error).message}.`, 0);
        }
        if (jsonDepthExceeds(v, MAX_JSON_DEPTH)) return new FunctionError(`The JSON is nested more than ${MAX_JSON_DEPTH} levels deep.`, 0);
        if (holdsInfinity(v)) return new FunctionError(`The JSON holds a number ${BEYOND_RANGE.slice('is '.length)}.`, 0);
        return v as Value;
      },
    },
  ],
  [
    'coalesce',
    {
      signature: 'coalesce(values...)',
      params: [],
      variadic: p('values', 'any', true),
      nested: true,
      impl: (a) => {
        const unified = unify(a);
        if (unified === undefined) return new FunctionError('All arguments must have the same type.');
        for (const x of unified) if (x !== null && x !== '') return x;
        return new FunctionError('Every argument is null or an empty string.');
      },
    },
  ],
  [
    'element',
    {
      signature: 'element(list, index)',
      params: [p('list', 'list'), p('index', 'number')],
      nested: true,
      impl: (a) => {
        const xs = list(a[0]);
        const i = num(a[1]);
        if (!Number.isInteger(i) || i < 0) return new FunctionError('The index must be a whole number, zero or more.', 1);
        if (xs.length === 0) return new FunctionError('Cannot take an element of an empty list.', 0);
        return xs[i % xs.length];
      },
    },
  ],
  [
    'flatten',
    {
      signature: 'flatten(list)',
      params: [p('list', 'list')],
      nested: true,
      impl: (a) => {
        const out: Value[] = [];
        return flattenInto(list(a[0]), out) ? out : UNKNOWN;
      },
    },
  ],
  [
    'distinct',
    {
      signature: 'distinct(list)',
      params: [p('list', 'list')],
      impl: (a) => {
        const xs = unify(list(a[0]));
        if (xs === undefined) return new FunctionError('Argument 1 (list): all list elements must have the same type.', 0);
        const out: Value[] = [];
        for (const x of xs) if (!out.some((y) => valueEquals(x, y))) out.push(x);
        return out;
      },
    },
  ],
  [
    'sort',
    {
      signature: 'sort(list)',
      params: [p('list', 'list')],
      impl: (a) => {
        const xs = stringElements(list(a[0]), 0, 'sort() sorts strings');
        return xs instanceof FunctionError ? xs : xs.sort(compareStrings);
      },
    },
  ],
  [
    'min',
    {
      signature: 'min(numbers...)',
      params: [exactNumber('first')],
      variadic: exactNumber('numbers'),
      impl: (a) => extremeNumber(a, -1),
    },
  ],
  [
    'max',
    {
      signature: 'max(numbers...)',
      params: [exactNumber('first')],
      variadic: exactNumber('numbers'),
      impl: (a) => extremeNumber(a, 1),
    },
  ],
  ['abs', { signature: 'abs(number)', params: [exactNumber('number')], impl: (a) => (typeof a[0] === 'bigint' ? exactInteger(a[0] < 0n ? -a[0] : a[0]) : Math.abs(num(a[0]))) }],
  ['startswith', { signature: 'startswith(string, prefix)', params: [p('string', 'string'), p('prefix', 'string')], impl: (a) => str(a[0]).startsWith(str(a[1])) }],
  ['endswith', { signature: 'endswith(string, suffix)', params: [p('string', 'string'), p('suffix', 'string')], impl: (a) => str(a[0]).endsWith(str(a[1])) }],
  [
    'substr',
    {
      signature: 'substr(string, offset, length)',
      params: [p('string', 'string'), p('offset', 'number'), p('length', 'number')],
      impl: (a) => {
        const chars = [...str(a[0])];
        let offset = num(a[1]);
        const length = num(a[2]);
        if (!Number.isInteger(offset) || !Number.isInteger(length)) return new FunctionError('offset and length must be whole numbers.');
        if (offset < 0) offset = Math.max(0, chars.length + offset);
        if (offset > chars.length) return new FunctionError(`The offset ${offset} is beyond the end of the string (${chars.length} characters).`, 1);
        return chars.slice(offset, length < 0 ? undefined : offset + length).join('');
      },
    },
  ],
  [
    'zipmap',
    {
      signature: 'zipmap(keys, values)',
      params: [p('keys', 'list'), p('values', 'list')],
      nested: true,
      impl: (a) => {
        const ks = list(a[0]);
        const vs = list(a[1]);
        if (ks.length !== vs.length) return new FunctionError(`The lists differ in length: ${ks.length} key${ks.length === 1 ? '' : 's'}, ${vs.length} value${vs.length === 1 ? '' : 's'}.`);
        if (ks.some((k) => k instanceof Unknown || (k instanceof Sensitive && containsUnknown(k)))) return UNKNOWN;
        const names = stringElements(
          ks.map((k) => (k instanceof Sensitive ? k.value : k)),
          0,
          'zipmap() keys are strings',
        );
        if (names instanceof FunctionError) return names;
        const out: Record<string, Value> = {};
        names.forEach((k, i) => setKey(out, k, vs[i]));
        return ks.some((k) => k instanceof Sensitive) ? sensitive(out) : out;
      },
    },
  ],
  ['sensitive', { signature: 'sensitive(value)', params: [p('value', 'any', true)], nested: true, impl: (a) => sensitive(a[0]) }],
  ['nonsensitive', { signature: 'nonsensitive(value)', params: [p('value', 'any', true)], nested: true, unmarks: true, impl: (a) => a[0] }],

  // ---- strings ----
  ['chomp', { signature: 'chomp(string)', params: [p('string', 'string')], impl: (a) => str(a[0]).replace(/(?:\r\n|\n|\r)+$/, '') }],
  [
    'trim',
    {
      signature: 'trim(string, characters)',
      params: [p('string', 'string'), p('characters', 'string')],
      impl: (a) => {
        const set = new Set(str(a[1]));
        const chars = [...str(a[0])];
        let i = 0;
        let j = chars.length;
        while (i < j && set.has(chars[i])) i++;
        while (j > i && set.has(chars[j - 1])) j--;
        return chars.slice(i, j).join('');
      },
    },
  ],
  ['trimprefix', { signature: 'trimprefix(string, prefix)', params: [p('string', 'string'), p('prefix', 'string')], impl: (a) => (str(a[0]).startsWith(str(a[1])) ? str(a[0]).slice(str(a[1]).length) : str(a[0])) }],
  [
    'trimsuffix',
    {
      signature: 'trimsuffix(string, suffix)',
      params: [p('string', 'string'), p('suffix', 'string')],
      impl: (a) => (str(a[1]) !== '' && str(a[0]).endsWith(str(a[1])) ? str(a[0]).slice(0, -str(a[1]).length) : str(a[0])),
    },
  ],
  ['strcontains', { signature: 'strcontains(string, substr)', params: [p('string', 'string'), p('substr', 'string')], impl: (a) => str(a[0]).includes(str(a[1])) }],
  // Go's strings.Title: a word starts after ASCII punctuation or a space (not after "_", a
  // letter, a digit or other non-ASCII characters).
  ['title', { signature: 'title(string)', params: [p('string', 'string')], impl: (a) => str(a[0]).replace(/(?<=^|[\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]|\s)\p{L}/gu, titleCase) }],
  [
    'urlencode',
    {
      signature: 'urlencode(string)',
      params: [p('string', 'string')],
      impl: (a) => {
        let out = '';
        for (const byte of Buffer.from(str(a[0]), 'utf8')) {
          const ch = String.fromCharCode(byte);
          out += /[A-Za-z0-9\-_.~]/.test(ch) ? ch : byte === 0x20 ? '+' : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
        }
        return out;
      },
    },
  ],
  [
    'regex',
    {
      signature: 'regex(pattern, string)',
      params: [p('pattern', 'string'), p('string', 'string')],
      impl: (a) => {
        const t = compileRegex(str(a[0]), false);
        if (t instanceof FunctionError) return t;
        const m = t.regexp.exec(str(a[1]));
        if (m === null) return new FunctionError('The pattern did not match anything in the string.', undefined, 'No match for the regular expression');
        return t.result(m);
      },
    },
  ],
  [
    'regexall',
    {
      signature: 'regexall(pattern, string)',
      params: [p('pattern', 'string'), p('string', 'string')],
      impl: (a) => {
        const t = compileRegex(str(a[0]), true);
        if (t instanceof FunctionError) return t;
        const out: Value[] = [];
        for (const m of goMatches(t.regexp, str(a[1]))) {
          if (out.length >= MAX_GENERATED) return new FunctionError(`regexall() would make more than ${MAX_GENERATED} matches.`);
          out.push(t.result(m));
        }
        return out;
      },
    },
  ],
  [
    'base64encode',
    { signature: 'base64encode(string)', params: [p('string', 'string')], impl: (a) => Buffer.from(str(a[0]), 'utf8').toString('base64') },
  ],
  [
    'base64decode',
    {
      signature: 'base64decode(string)',
      params: [p('string', 'string')],
      impl: (a) => {
        const text = str(a[0]);
        if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) return new FunctionError('The string is not valid base64 (standard alphabet, padded with "=").', 0);
        try {
          return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(text, 'base64'));
        } catch {
          return new FunctionError('The decoded bytes are not valid UTF-8 text.', 0);
        }
      },
    },
  ],
  ['md5', { signature: 'md5(string)', params: [p('string', 'string')], impl: (a) => createHash('md5').update(str(a[0]), 'utf8').digest('hex') }],
  ['sha1', { signature: 'sha1(string)', params: [p('string', 'string')], impl: (a) => createHash('sha1').update(str(a[0]), 'utf8').digest('hex') }],
  ['uuid', { signature: 'uuid()', params: [], impure: true, impl: () => randomUUID() }],
  // One value per run (process): every use in one plan, and every evaluation of it, agrees.
  ['timestamp', { signature: 'timestamp()', params: [], impure: true, impl: () => (runTimestamp ??= nowTimestamp()) }],
  [
    'formatdate',
    {
      signature: 'formatdate(spec, timestamp)',
      params: [p('spec', 'string'), p('timestamp', 'string')],
      impl: (a) => {
        const t = parseTimestamp(str(a[1]));
        if (typeof t === 'string') return new FunctionError(`${t}.`, 1);
        const out = formatDate(str(a[0]), t);
        return typeof out === 'string' ? out : new FunctionError(`Invalid specification: ${out.error}.`, 0);
      },
    },
  ],

  // ---- paths and files ----
  ['basename', { signature: 'basename(path)', params: [p('path', 'string')], impl: (a) => (str(a[0]) === '' ? '.' : /^\/+$/.test(str(a[0])) ? '/' : posix.basename(str(a[0]))) }],
  // Go's filepath.Dir: everything before the last "/", cleaned ("/etc/" is "/etc").
  ['dirname', { signature: 'dirname(path)', params: [p('path', 'string')], impl: (a) => cleanPath(str(a[0]).slice(0, str(a[0]).lastIndexOf('/') + 1)) }],
  [
    'pathexpand',
    {
      signature: 'pathexpand(path)',
      params: [p('path', 'string')],
      impure: true,
      impl: (a, ctx) => {
        const path = str(a[0]);
        if (!path.startsWith('~')) return path;
        if (path.length > 1 && path[1] !== '/') return new FunctionError('Only "~" and "~/..." can be expanded, not another user\'s home directory.', 0);
        const home = ctx.env.HOME ?? homedir();
        return home + path.slice(1);
      },
    },
  ],
  [
    'filebase64',
    {
      signature: 'filebase64(path)',
      params: [p('path', 'string')],
      impure: true,
      impl: (a, ctx) => {
        const b = readBytes(str(a[0]), ctx, 'filebase64');
        return b instanceof FunctionError ? b : b.toString('base64');
      },
    },
  ],
  [
    'filemd5',
    {
      signature: 'filemd5(path)',
      params: [p('path', 'string')],
      impure: true,
      impl: (a, ctx) => {
        const b = readBytes(str(a[0]), ctx, 'filemd5');
        return b instanceof FunctionError ? b : createHash('md5').update(b).digest('hex');
      },
    },
  ],

  // ---- collections ----
  [
    'slice',
    {
      signature: 'slice(list, start, end)',
      params: [p('list', 'list'), p('start', 'number'), p('end', 'number')],
      nested: true,
      impl: (a) => {
        const xs = list(a[0]);
        const start = num(a[1]);
        const end = num(a[2]);
        if (!Number.isInteger(start) || start < 0) return new FunctionError('The start index must be a whole number, zero or more.', 1);
        if (!Number.isInteger(end) || end > xs.length) return new FunctionError(`The end index must be a whole number no greater than the length of the list (${xs.length}).`, 2);
        if (start > end) return new FunctionError('The start index must not be greater than the end index.', 1);
        return xs.slice(start, end);
      },
    },
  ],
  ['compact', { signature: 'compact(list)', params: [p('list', 'list')], nested: true, impl: (a) => compactList(list(a[0])) }],
  [
    'coalescelist',
    {
      signature: 'coalescelist(lists...)',
      params: [],
      variadic: p('lists', 'list', true),
      nested: true,
      impl: (a) => {
        for (const x of a) if (x !== null && list(x).length > 0) return x;
        return new FunctionError('Every argument is null or an empty list.');
      },
    },
  ],
  [
    'one',
    {
      signature: 'one(list)',
      params: [p('list', 'list')],
      nested: true,
      impl: (a) => {
        const xs = list(a[0]);
        if (xs.length > 1) return new FunctionError(`The list must have no more than one element; it has ${xs.length}.`, 0);
        return xs.length === 0 ? null : xs[0];
      },
    },
  ],
  ['reverse', { signature: 'reverse(list)', params: [p('list', 'list')], nested: true, impl: (a) => [...list(a[0])].reverse() }],
  [
    'index',
    {
      signature: 'index(list, value)',
      params: [p('list', 'list'), p('value', 'any', true)],
      impl: (a) => {
        const i = list(a[0]).findIndex((x) => valueEquals(x, a[1]));
        return i >= 0 ? i : new FunctionError('The value is not in the list.', 1, 'Item not found');
      },
    },
  ],
  ['alltrue', { signature: 'alltrue(list)', params: [p('list', 'list')], impl: (a) => boolElements(list(a[0]), 'alltrue', (xs) => xs.every((x) => x)) }],
  ['anytrue', { signature: 'anytrue(list)', params: [p('list', 'list')], impl: (a) => boolElements(list(a[0]), 'anytrue', (xs) => xs.some((x) => x)) }],
  [
    'setunion',
    {
      signature: 'setunion(sets...)',
      params: [p('first', 'list')],
      variadic: p('sets', 'list'),
      impl: (a) => {
        const sets = unifySets(a);
        return sets instanceof FunctionError ? sets : markSet(setElements(sets.flat()));
      },
    },
  ],
  [
    'setintersection',
    {
      signature: 'setintersection(sets...)',
      params: [p('first', 'list')],
      variadic: p('sets', 'list'),
      impl: (a) => {
        const sets = unifySets(a);
        if (sets instanceof FunctionError) return sets;
        return markSet(setElements(sets[0].filter((x) => sets.slice(1).every((s) => s.some((y) => valueEquals(x, y))))));
      },
    },
  ],
  [
    'setsubtract',
    {
      signature: 'setsubtract(a, b)',
      params: [p('a', 'list'), p('b', 'list')],
      impl: (a) => {
        const sets = unifySets(a, ['a', 'b']);
        if (sets instanceof FunctionError) return sets;
        return markSet(setElements(sets[0].filter((x) => !sets[1].some((y) => valueEquals(x, y)))));
      },
    },
  ],
  [
    'setproduct',
    {
      signature: 'setproduct(sets...)',
      params: [],
      variadic: p('sets', 'list'),
      impl: (a) => {
        if (a.length < 2) return new FunctionError('at least two arguments are required.');
        // Each argument is a collection of one element type of its own; the combinations are tuples.
        const factors: Value[][] = [];
        for (let i = 0; i < a.length; i++) {
          const xs = unify(list(a[i]));
          if (xs === undefined) return new FunctionError('Invalid value for "sets" parameter: all elements must be of the same type.', i);
          factors.push(xs);
        }
        let combinations: Value[][] = [[]];
        for (const xs of factors) combinations = combinations.flatMap((prefix) => xs.map((x) => [...prefix, x]));
        // Terraform's result is a set when any argument is one, else a list.
        return a.some(isSetValue) ? markSet(setElements(combinations)) : combinations;
      },
    },
  ],

  // ---- numbers ----
  ['ceil', { signature: 'ceil(number)', params: [exactNumber('number')], impl: (a) => (typeof a[0] === 'bigint' ? a[0] : Math.ceil(num(a[0]))) }],
  ['floor', { signature: 'floor(number)', params: [exactNumber('number')], impl: (a) => (typeof a[0] === 'bigint' ? a[0] : Math.floor(num(a[0]))) }],
  [
    'pow',
    {
      signature: 'pow(base, exponent)',
      params: [p('base', 'number'), p('exponent', 'number')],
      impl: (a) => {
        const r = num(a[0]) ** num(a[1]);
        return Number.isFinite(r) ? r : new FunctionError('The result is not a finite number.');
      },
    },
  ],
  [
    'parseint',
    {
      signature: 'parseint(string, base)',
      params: [p('string', 'string'), p('base', 'number')],
      impl: (a) => parseInteger(str(a[0]), num(a[1])),
    },
  ],

  // ---- IP networks ----
  [
    'cidrhost',
    {
      signature: 'cidrhost(prefix, hostnum)',
      params: [p('prefix', 'string'), exactNumber('hostnum')],
      impl: (a) => {
        const pre = prefixArg(a[0]);
        if (pre instanceof FunctionError) return pre;
        if (typeof a[1] !== 'bigint' && !Number.isInteger(num(a[1]))) return new FunctionError('The host number must be a whole number.', 1);
        const r = cidrHost(pre, BigInt(a[1] as number | bigint));
        return typeof r === 'string' ? r : new FunctionError(`Invalid host number: ${r.error}.`, 1);
      },
    },
  ],
  [
    'cidrsubnet',
    {
      signature: 'cidrsubnet(prefix, newbits, netnum)',
      params: [p('prefix', 'string'), p('newbits', 'number'), exactNumber('netnum')],
      impl: (a) => {
        const pre = prefixArg(a[0]);
        if (pre instanceof FunctionError) return pre;
        if (!Number.isInteger(num(a[1])) || num(a[1]) < 0) return new FunctionError('newbits must be a whole number, zero or more.', 1);
        if (typeof a[2] !== 'bigint' && !Number.isInteger(num(a[2]))) return new FunctionError('netnum must be a whole number.', 2);
        const r = cidrSubnet(pre, num(a[1]), BigInt(a[2] as number | bigint));
        return 'error' in r ? new FunctionError(`${r.error}.`, r.error.startsWith('insufficient') ? 1 : 2) : formatPrefix(r);
      },
    },
  ],
  [
    'cidrsubnets',
    {
      signature: 'cidrsubnets(prefix, newbits...)',
      params: [p('prefix', 'string')],
      variadic: p('newbits', 'number'),
      impl: (a) => {
        const pre = prefixArg(a[0]);
        if (pre instanceof FunctionError) return pre;
        const bits = a.slice(1).map(num);
        const bad = bits.findIndex((b) => !Number.isInteger(b));
        if (bad >= 0) return new FunctionError('newbits must be whole numbers.', bad + 1);
        const r = cidrSubnets(pre, bits);
        return 'error' in r ? new FunctionError(`${r.error}.`, r.index + 1) : r.map(formatPrefix);
      },
    },
  ],

  // ---- encoding ----
  ['yamlencode', { signature: 'yamlencode(value)', params: [p('value', 'any', true)], impl: (a) => yamlEncode(a[0] as Json) }],
  [
    'yamldecode',
    {
      signature: 'yamldecode(src)',
      params: [p('src', 'string')],
      impl: (a) => {
        const v = yamlDecode(str(a[0]));
        return v instanceof YamlError ? new FunctionError(`Argument 1 (src): ${v.message}.`, 0) : v;
      },
    },
  ],
]);

/** Go's path.Clean: `.` for nothing, no trailing `/` but the root's. */
function cleanPath(p: string): string {
  const n = posix.normalize(p === '' ? '.' : p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

function prefixArg(v: Value): Prefix | FunctionError {
  const r = parsePrefix(str(v));
  return typeof r === 'string' ? new FunctionError(`Invalid CIDR prefix: ${r}.`, 0) : r;
}

/** `compact`: drops null and empty-string elements; unknown elements stay (they may be either). */
function compactList(xs: ListValue): Value[] {
  return xs.filter((x) => x !== null && x !== '' && !(x instanceof Sensitive && (x.value === null || x.value === '')));
}

function boolElements(xs: ListValue, fn: string, f: (bs: boolean[]) => boolean): Value | FunctionError {
  const bs: boolean[] = [];
  for (let i = 0; i < xs.length; i++) {
    // A null element counts as false, as in Terraform.
    const c = xs[i] === null ? false : convert(xs[i], 'bool');
    if (c instanceof ConversionError) return new FunctionError(`${fn}() needs a list of bools: element ${i} ${c.message.startsWith('is') ? c.message : c.message}.`, 0);
    bs.push(c as boolean);
  }
  return f(bs);
}

/**
 * Every match of a global `re` in `s` as Go's FindAll and ReplaceAll see them: successive
 * non-overlapping matches, where an empty match right after the previous match is skipped
 * (JavaScript's matchAll keeps it: `regexall("a|", "aa")` would have a third, empty match).
 */
function goMatches(re: RegExp, s: string): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  let pos = 0;
  let previousEnd = -1;
  while (pos <= s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (m === null) break;
    const end = m.index + m[0].length;
    if (m[0].length === 0) {
      if (m.index !== previousEnd) out.push(m);
      // Step over one character (a whole surrogate pair), as Go steps one rune.
      pos = m.index + (s.codePointAt(m.index) !== undefined && s.codePointAt(m.index)! > 0xffff ? 2 : 1);
    } else {
      out.push(m);
      pos = end;
    }
    previousEnd = end;
  }
  return out;
}

/** Go's unicode.ToTitle for one letter: the title-case form of a digraph (ǆ -> ǅ), a letter whose upper case is several letters unchanged (ß). */
function titleCase(letter: string): string {
  const digraph = TITLE_DIGRAPHS[letter];
  if (digraph !== undefined) return digraph;
  const upper = letter.toUpperCase();
  return [...upper].length === 1 ? upper : letter;
}
const TITLE_DIGRAPHS: Record<string, string> = {
  '\u01c4': '\u01c5', '\u01c5': '\u01c5', '\u01c6': '\u01c5',
  '\u01c7': '\u01c8', '\u01c8': '\u01c8', '\u01c9': '\u01c8',
  '\u01ca': '\u01cb', '\u01cb': '\u01cb', '\u01cc': '\u01cb',
  '\u01f1': '\u01f2', '\u01f2': '\u01f2', '\u01f3': '\u01f2',
};

const NO_LIST_TYPE = new FunctionError('Argument 1 (list): cannot convert tuple to list of any single type.', 0);

/** The sets given to setunion, setintersection or setsubtract, their elements converted to one type (as Terraform's sets of one element type). */
function unifySets(sets: readonly Value[], names: readonly string[] = ['first_set', 'other_sets']): Value[][] | FunctionError {
  // Each argument must be a set of one type first (Terraform's parameter names, the last repeated).
  for (let i = 0; i < sets.length; i++) {
    if (unify(list(sets[i])) === undefined) {
      return new FunctionError(`Invalid value for "${names[Math.min(i, names.length - 1)]}" parameter: all set elements must have the same type.`, i);
    }
  }
  const all = unify(sets.flatMap((s) => list(s)));
  if (all === undefined) return new FunctionError('given sets must all have compatible element types.');
  const out: Value[][] = [];
  let at = 0;
  for (const s of sets) {
    out.push(all.slice(at, at + list(s).length));
    at += list(s).length;
  }
  return out;
}



const DIGITS = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Go's big.Int SetString for bases 2 to 62 (case-insensitive up to 36), as Terraform's parseint. */
function parseInteger(text: string, base: number): Value | FunctionError {
  if (!Number.isInteger(base) || base < 2 || base > 62) return new FunctionError('The base must be a whole number from 2 to 62.', 1);
  const negative = text.startsWith('-');
  const body = negative || text.startsWith('+') ? text.slice(1) : text;
  if (body === '') return new FunctionError(`Cannot parse ${JSON.stringify(text)} as a base ${base} integer.`, 0);
  let n = 0n;
  for (const ch of body) {
    let d = DIGITS.indexOf(base <= 36 ? ch.toLowerCase() : ch);
    if (base <= 36 && d >= 36) d = -1;
    if (d < 0 || d >= base) return new FunctionError(`Cannot parse ${JSON.stringify(text)} as a base ${base} integer.`, 0);
    n = n * BigInt(base) + BigInt(d);
  }
  const r = exactInteger(negative ? -n : n);
  if (typeof r === 'bigint' && !Number.isFinite(Number(r))) return new FunctionError(`${JSON.stringify(text)} is too large a number.`, 0);
  return r;
}

/** A compiled pattern and how a match becomes the function's result (string, list or object). */
function compileRegex(pattern: string, global: boolean): { regexp: RegExp; result: (m: RegExpExecArray) => Value } | FunctionError {
  const t = translateRegex(pattern, global);
  if ('error' in t) return new FunctionError(`${t.error}.`, 0, 'Invalid regular expression');
  const probe = new RegExp(`${t.regexp.source}|`, t.regexp.flags.replace('g', '')).exec('')!;
  const groups = probe.length - 1;
  const named = probe.groups ? Object.keys(probe.groups) : [];
  if (named.length > 0 && named.length < groups) return new FunctionError('The pattern mixes named and unnamed capture groups; use one kind.', 0, 'Invalid regular expression');
  const result = (m: RegExpExecArray): Value => {
    if (named.length > 0) {
      const out: Record<string, Value> = {};
      // A group that took no part in the match is null, as in Terraform.
      for (const k of named) out[k] = m.groups?.[k] ?? null;
      return out;
    }
    return groups === 0 ? m[0] : m.slice(1).map((x) => x ?? null);
  };
  return { regexp: t.regexp, result };
}

/** Converts one argument to its parameter's type, or says why it cannot be. */
export function checkArgument(param: Param, v: Value): Value | ConversionError {
  if (v === null) return param.nullable ? null : new ConversionError('must not be null');
  switch (param.type) {
    case 'any':
      return v;
    case 'list':
      return Array.isArray(v) ? v : new ConversionError(`a list is required, got ${describeValue(v)}`);
    case 'object':
      return isObject(v) ? v : new ConversionError(`a map or object is required, got ${describeValue(v)}`);
    default: {
      const c = convert(v, param.type);
      return typeof c === 'bigint' && !param.exact ? Number(c) : c;
    }
  }
}
