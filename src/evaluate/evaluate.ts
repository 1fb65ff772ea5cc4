/**
 * Expression evaluation. One recursive walk over the AST that returns a `Value` and appends
 * diagnostics to a list; a failed sub-expression yields `UNKNOWN`, which silences follow-on errors
 * about the same mistake (Terraform does the same with its dynamic value). No exceptions for
 * control flow, no closures per node.
 *
 * Unknown and Sensitive flow through everything: an operation with an unknown operand is unknown,
 * one with a sensitive operand is sensitive; a list or object holding unknown or sensitive
 * elements stays known and unmarked itself. Messages never print a value that is sensitive.
 */
import { type Diagnostic, type Result, didYouMean, error, nearest } from '../diagnostics.js';
import type { SourceRange } from '../diagnostics.js';
import { splitModule } from '../addrs/address.js';
import type { CallExpr, Expr, TemplateExpr, TemplatePart } from '../parser/ast.js';
import { ConversionError, describeValue, getKey, numberToString, parseNumber, setKey } from './convert.js';
import { FUNCTIONS, FunctionError, checkArgument, compareStrings, type FunctionContext } from './functions.js';
import { REFERENCE_ROOTS } from './references.js';
import { parseTemplateSource } from './template.js';
import {
  Sensitive,
  UNKNOWN,
  Unknown,
  containsSensitive,
  containsUnknown,
  exactInteger,
  isNumber,
  isObject,
  isSetValue,
  toFloat,
  unmarkDeep,
  operatorEquals,
  type ObjectValue,
  type Value,
} from './value.js';

/** Everything an expression may refer to. */
export interface EvalScope {
  /** `path.root`, and the base of relative paths in `file()` and `templatefile()`. */
  readonly configDir: string;
  readonly variables: ReadonlyMap<string, Value>;
  /** A local's value and its diagnostics; undefined when no such local is declared. */
  readonly local: (name: string) => Result<Value> | undefined;
  /** A whole resource: object (single), list (count), object keyed by instance (for_each); undefined = undeclared. */
  readonly resource: (type: string, name: string) => Value | undefined;
  /** Set inside a `for_each` resource instance. */
  readonly each?: { readonly key: Value; readonly value: Value };
  /** Set inside a `count` resource instance. */
  readonly countIndex?: number;
  /** In a resource's `postcondition`: the instance's own values, `self`. */
  readonly self?: Value;
  /**
   * Iterator variables of the `dynamic` blocks around the expression (`rule.key`, `rule.value`),
   * innermost last; each is an object with `key` and `value`.
   */
  readonly iterators?: ReadonlyMap<string, Value>;
  /** For `env()`. */
  readonly env: NodeJS.ProcessEnv;
  /** Declared local names and resource addresses (`type.name`), only for "did you mean" suggestions. */
  readonly names?: { readonly locals: Iterable<string>; readonly resources: Iterable<string> };
}

/** Deepest nesting of expressions (and of locals referring to locals) evaluated before giving up. */
export const MAX_DEPTH = 500;
/** Steps (expression nodes, loop iterations, generated list elements) one top-level evaluation may take: stops runaway input. */
export const MAX_ITERATIONS = 5_000_000;

const UNKNOWN_STRING = new Unknown('string');
const UNKNOWN_NUMBER = new Unknown('number');
const UNKNOWN_BOOL = new Unknown('bool');

/** A for-expression variable (or template variable); frames chain outwards. */
interface Frame {
  readonly name: string;
  readonly value: Value;
  readonly parent: Frame | null;
}

interface Ctx {
  readonly scope: EvalScope;
  diags: Diagnostic[];
  frame: Frame | null;
  /** Inside templatefile(): roots resolve to these only. */
  readonly templateVars: ObjectValue | null;
  /** Why references and impure functions are not allowed here, when they are not. */
  readonly literal: string | null;
  /** > 0 while evaluating speculatively (can, try, branches of an unknown condition). */
  quiet: number;
  fnCtx: FunctionContext | null;
  tooDeep: boolean;
  /** The element the innermost splat's `each` is being evaluated for. */
  splatItem: Value;
}

// Evaluation is synchronous, so nesting depth and the iteration budget are shared by nested
// evaluations (a local evaluated on behalf of a resource) through module state.
let depth = 0;
let budget = MAX_ITERATIONS;
let budgetReported = false;

/**
 * A local's diagnostics are reported by the first expression that refers to it outside a
 * speculative context, and by no later one, so an error in a local used by a hundred resources is
 * printed once.
 */
const reportedLocals = new WeakSet<Result<Value>>();

const EMPTY_SCOPE: EvalScope = {
  configDir: '.',
  variables: new Map(),
  local: () => undefined,
  resource: () => undefined,
  env: {},
};

/** Evaluates `expr` in `scope`. On errors the value is (or contains) `UNKNOWN`; check the diagnostics. */
export function evaluateExpr(expr: Expr, scope: EvalScope): Result<Value> {
  const diags: Diagnostic[] = [];
  const value = evaluateInto(expr, scope, diags);
  return { value, diagnostics: diags };
}

/** `evaluateExpr` appending to the caller's diagnostics list (fewer allocations in bulk work). */
export function evaluateInto(expr: Expr, scope: EvalScope, diags: Diagnostic[]): Value {
  return run(expr, newCtx(scope, diags, null, null));
}

/**
 * Evaluates an expression that must be a literal (variable defaults, `--var` values, lifecycle
 * settings): references and impure functions (`env`, `file`) are errors saying `reason`.
 */
export function evaluateLiteral(expr: Expr, reason = 'Only literal values are allowed here.'): Result<Value> {
  const diags: Diagnostic[] = [];
  const value = run(expr, newCtx(EMPTY_SCOPE, diags, null, reason));
  return { value, diagnostics: diags };
}

/** Evaluates a parsed template with `vars` as its only variables (templatefile). */
export function evaluateTemplate(template: Expr, vars: ObjectValue, scope: EvalScope, diags: Diagnostic[]): Value {
  return run(template, newCtx(scope, diags, vars, null));
}

function newCtx(scope: EvalScope, diags: Diagnostic[], templateVars: ObjectValue | null, literal: string | null): Ctx {
  return { scope, diags, frame: null, templateVars, literal, quiet: 0, fnCtx: null, tooDeep: false, splatItem: null };
}

function run(expr: Expr, c: Ctx): Value {
  if (depth !== 0) return ev(expr, c);
  budget = MAX_ITERATIONS;
  budgetReported = false;
  try {
    return ev(expr, c);
  } finally {
    // Only a bug throws; the next evaluation must still start from the top.
    depth = 0;
  }
}

function fail(c: Ctx, summary: string, detail: string | undefined, range: SourceRange): Value {
  c.diags.push(error(summary, detail, range));
  return UNKNOWN;
}

/**
 * Errors about the configuration itself (a reference to a variable, local or resource never
 * declared; `each`, `count.index` where there is none, an attribute `each`, `count` or `path`
 * does not have, a bare root name), not about a value: can() and try() catch dynamic errors only,
 * so these pass through them, as Terraform documents (and `terraform validate` reports them).
 */
const staticErrors = new WeakSet<Diagnostic>();

function failStatic(c: Ctx, summary: string, detail: string | undefined, range: SourceRange): Value {
  const d = error(summary, detail, range);
  staticErrors.add(d);
  c.diags.push(d);
  return UNKNOWN;
}

function mark(v: Value, s: boolean): Value {
  return s && !(v instanceof Sensitive) ? new Sensitive(v) : v;
}

function ev(e: Expr, c: Ctx): Value {
  // Every node costs one unit of the budget; once it is spent, everything is unknown at once.
  if (--budget < 0) return overBudget(e.range, c);
  if (depth >= MAX_DEPTH) {
    if (!c.tooDeep) {
      c.tooDeep = true;
      c.diags.push(error('Expression nested too deeply', `Expressions (and locals referring to locals) may nest at most ${MAX_DEPTH} levels.`, e.range));
    }
    return UNKNOWN;
  }
  depth++;
  const v = evInner(e, c);
  depth--;
  return v;
}

function evInner(e: Expr, c: Ctx): Value {
  switch (e.kind) {
    case 'Literal':
      return e.value;
    case 'Template':
      return evTemplate(e, c);
    case 'Parens':
      return ev(e.expr, c);
    case 'Variable':
      return evVariable(e.name, e.range, c);
    case 'GetAttr': {
      const o = e.object;
      if (o.kind === 'GetAttr' && o.object.kind === 'Variable' && o.object.name === 'data' && c.templateVars === null && lookupFrame(c.frame, 'data') === undefined) {
        return evDataRef(o.name, e.name, { file: o.range.file, start: o.range.start, end: e.range.end }, c);
      }
      if (o.kind === 'Variable' && c.templateVars === null && lookupFrame(c.frame, o.name) === undefined) {
        return evRootAttr(o.name, e.name, e.range, c);
      }
      return getAttr(ev(o, c), e.name, e.range, c);
    }
    case 'Index':
      return evIndex(ev(e.object, c), ev(e.key, c), e.range, c);
    case 'Splat':
      return evSplat(e.object, e.each, e.range, c);
    case 'SplatItem':
      return c.splatItem;
    case 'Call':
      return evCall(e, c);
    case 'Tuple': {
      const out = new Array<Value>(e.items.length);
      for (let i = 0; i < e.items.length; i++) out[i] = ev(e.items[i], c);
      return out;
    }
    case 'Object':
      return evObject(e, c);
    case 'Unary':
      return evUnary(e.op, ev(e.operand, c), e, c);
    case 'Binary':
      return evBinary(e, c);
    case 'Conditional':
      return evConditional(e, c);
    case 'ForTuple':
    case 'ForObject':
      return evFor(e, c);
  }
}

// ---- references --------------------------------------------------------------------------

function lookupFrame(f: Frame | null, name: string): Value | undefined {
  for (; f !== null; f = f.parent) if (f.name === name) return f.value;
  return undefined;
}

function evVariable(name: string, range: SourceRange, c: Ctx): Value {
  const f = lookupFrame(c.frame, name);
  if (f !== undefined) return f;
  if (c.templateVars !== null) {
    const v = getKey(c.templateVars, name);
    if (v !== undefined) return v;
    const names = Object.keys(c.templateVars);
    const hint = didYouMean(name, names);
    return fail(
      c,
      `Reference to undeclared template variable "${name}"`,
      hint ?? `A template sees only the variables passed to templatefile()${names.length ? `: ${names.sort(compareStrings).join(', ')}` : ' (none were)'}.`,
      range,
    );
  }
  if (c.literal !== null) return fail(c, 'Variables not allowed', c.literal, range);
  if (name === 'self' && c.scope.self !== undefined) return c.scope.self;
  const iterator = c.scope.iterators?.get(name);
  if (iterator !== undefined) return iterator;
  switch (name) {
    case 'var':
      return failStatic(c, 'Invalid reference', '"var" cannot be used alone: write var.NAME.', range);
    case 'local':
      return failStatic(c, 'Invalid reference', '"local" cannot be used alone: write local.NAME.', range);
    case 'each':
      return failStatic(c, 'Invalid reference', '"each" cannot be used alone: write each.key or each.value.', range);
    case 'count':
      return failStatic(c, 'Invalid reference', '"count" cannot be used alone: write count.index.', range);
    case 'path':
      return failStatic(c, 'Invalid reference', '"path" cannot be used alone: write path.root.', range);
    default:
      return failStatic(
        c,
        'Invalid reference',
        `A bare name is not a value: to write a string, quote it ("${name}"); to refer to a resource, write ${name}.NAME.`,
        range,
      );
  }
}

/** `data.TYPE.NAME`: the data source block's value (object, list for count, map for for_each). */
function evDataRef(type: string, name: string, range: SourceRange, c: Ctx): Value {
  if (c.literal !== null) return fail(c, 'Variables not allowed', c.literal, range);
  const v = c.scope.resource(`data.${type}`, name);
  if (v !== undefined) return v;
  const address = `data.${type}.${name}`;
  const hint = c.scope.names ? didYouMean(address, c.scope.names.resources) : undefined;
  return failStatic(c, `Reference to undeclared data source "${address}"`, hint ?? `A data source "${type}" "${name}" has not been declared: data "${type}" "${name}" { ... }.`, range);
}

function evRootAttr(root: string, name: string, range: SourceRange, c: Ctx): Value {
  const iterator = c.scope.iterators?.get(root);
  if (iterator !== undefined) return getAttr(iterator, name, range, c);
  if (root === 'data') return fail(c, 'Invalid reference', `"data.${name}" is a data source type: write data.${name}.NAME.`, range);
  if (c.literal !== null) return fail(c, 'Variables not allowed', c.literal, range);
  const scope = c.scope;
  switch (root) {
    case 'var': {
      const v = scope.variables.get(name);
      if (v !== undefined) return v;
      return failStatic(c, `Reference to undeclared variable "${name}"`, didYouMean(name, scope.variables.keys()) ?? 'Declare it with a variable block: variable "' + name + '" { ... }.', range);
    }
    case 'local': {
      const r = scope.local(name);
      if (r === undefined) {
        return failStatic(c, `Reference to undeclared local value "${name}"`, (scope.names && didYouMean(name, scope.names.locals)) ?? `Declare it in a locals block: locals { ${name} = ... }.`, range);
      }
      // Speculative evaluation (can, try) sees a local's errors without using up their report.
      // A local's own static errors are reported at the local (localDiagnostics), not through
      // every can() or try() that reads it: here they are copies, which those catch.
      if (c.quiet === 0) for (const d of reportLocal(r)) c.diags.push(d);
      else for (const d of r.diagnostics) c.diags.push(staticErrors.has(d) ? { ...d } : d);
      return r.value;
    }
    case 'each': {
      if (scope.each === undefined) {
        return failStatic(c, 'Reference to "each" outside for_each', 'each.key and each.value exist only in a resource block that sets for_each.', range);
      }
      if (name === 'key') return scope.each.key;
      if (name === 'value') return scope.each.value;
      return failStatic(c, `Invalid "each" attribute "${name}"`, didYouMean(name, ['key', 'value']) ?? '"each" has only "key" and "value".', range);
    }
    case 'count': {
      if (name !== 'index') return failStatic(c, `Invalid "count" attribute "${name}"`, '"count" has only "index": count.index.', range);
      if (scope.countIndex === undefined) {
        return failStatic(c, 'Reference to "count.index" outside count', 'count.index exists only in a resource block that sets count.', range);
      }
      return scope.countIndex;
    }
    case 'path':
      if (name === 'root' || name === 'module') return scope.configDir;
      return failStatic(c, `Invalid "path" attribute "${name}"`, didYouMean(name, ['root']) ?? '"path" has only "root": path.root.', range);
    default: {
      if (root === 'self' && scope.self !== undefined) return getAttr(scope.self, name, range, c);
      const v = scope.resource(root, name);
      if (v !== undefined) return v;
      if (root === 'module') return failStatic(c, 'Reference to undeclared module', `No module call named "${name}" is declared in the root module.`, range);
      const address = `${root}.${name}`;
      // A module's `data.TYPE.NAME`, rewritten to its instance's address (evaluate/modules.ts).
      const inModule = root.startsWith('module.') ? splitModule(address) : undefined;
      if (inModule?.rest.startsWith('data.')) {
        const [, type, dataName] = inModule.rest.split('.');
        return failStatic(c, `Reference to undeclared data source "${inModule.rest}"`, `A data source "${type}" "${dataName}" has not been declared in ${inModule.module}.`, range);
      }
      let hint = scope.names ? didYouMean(address, scope.names.resources) : undefined;
      if (hint === undefined) {
        const keyword = nearest(root, REFERENCE_ROOTS);
        if (keyword !== undefined) hint = `Did you mean "${keyword}.${name}"?`;
      }
      return failStatic(c, `Reference to undeclared resource "${address}"`, hint, range);
    }
  }
}

// ---- traversal ---------------------------------------------------------------------------

function getAttr(v: Value, name: string, range: SourceRange, c: Ctx): Value {
  let s = false;
  while (v instanceof Sensitive) {
    v = v.value;
    s = true;
  }
  if (v instanceof Unknown) return mark(UNKNOWN, s);
  if (v === null) return fail(c, `Attempt to get attribute "${name}" from a null value`, 'The value is null, so it has no attributes.', range);
  if (Array.isArray(v)) {
    return fail(c, `This list has no attribute "${name}"`, `Index the list first ([0].${name}), or take the attribute of every element with a splat ([*].${name}).`, range);
  }
  if (typeof v !== 'object') return fail(c, `This ${describeValue(v)} has no attribute "${name}"`, undefined, range);
  const got = getKey(v as ObjectValue, name);
  if (got === undefined) return fail(c, `This object has no attribute "${name}"`, didYouMean(name, Object.keys(v)), range);
  return mark(got, s);
}

function evIndex(ov: Value, kv: Value, range: SourceRange, c: Ctx): Value {
  let s = false;
  let keySensitive = false;
  while (ov instanceof Sensitive) {
    ov = ov.value;
    s = true;
  }
  while (kv instanceof Sensitive) {
    kv = kv.value;
    keySensitive = true;
  }
  if (ov instanceof Unknown || kv instanceof Unknown) return mark(UNKNOWN, s || keySensitive);
  if (ov === null) return fail(c, 'Attempt to index a null value', 'The value is null, so it has no elements.', range);
  if (kv === null) return fail(c, 'Invalid index', 'The index is null.', range);
  if (isSetValue(ov)) {
    return fail(
      c,
      'Invalid index',
      "Elements of a set are identified only by their value and don't have any separate index or key to select with, so it's only possible to perform operations across all elements of the set.",
      range,
    );
  }
  if (Array.isArray(ov)) {
    const n = isNumber(kv) ? kv : typeof kv === 'string' ? parseNumber(kv) : undefined;
    if (n === undefined) return fail(c, 'Invalid index', `A list index must be a number, got ${describeValue(kv)}.`, range);
    if (typeof n === 'bigint' || !Number.isInteger(n) || n < 0 || n >= ov.length) {
      return fail(
        c,
        `Index ${keySensitive ? '(sensitive value)' : numberToString(n)} out of range`,
        ov.length === 0 ? 'The list is empty.' : `The list has ${ov.length} element${ov.length === 1 ? '' : 's'} (indexes 0 to ${ov.length - 1}).`,
        range,
      );
    }
    return mark(ov[n], s || keySensitive);
  }
  if (isObject(ov)) {
    const key = typeof kv === 'string' ? kv : isNumber(kv) ? numberToString(kv) : typeof kv === 'boolean' ? String(kv) : undefined;
    if (key === undefined) return fail(c, 'Invalid index', `An object key must be a string, got ${describeValue(kv)}.`, range);
    const got = getKey(ov, key);
    if (got === undefined) {
      return fail(c, `This object has no key ${keySensitive ? '(sensitive value)' : JSON.stringify(key)}`, keySensitive ? undefined : didYouMean(key, Object.keys(ov)), range);
    }
    return mark(got, s || keySensitive);
  }
  return fail(c, 'Invalid index', `A ${describeValue(ov)} has no elements to index.`, range);
}

function evSplat(objectExpr: Expr, each: Expr, range: SourceRange, c: Ctx): Value {
  let v = ev(objectExpr, c);
  let s = false;
  while (v instanceof Sensitive) {
    v = v.value;
    s = true;
  }
  if (v instanceof Unknown) return mark(UNKNOWN, s);
  // HCL: a splat of null is an empty list; of anything not a list, the list of that one value.
  const items: readonly Value[] = v === null ? [] : Array.isArray(v) ? v : [v];
  if (!spend(items.length, range, c)) return UNKNOWN;
  const outer = c.splatItem;
  const out = new Array<Value>(items.length);
  for (let i = 0; i < items.length; i++) {
    c.splatItem = items[i];
    out[i] = ev(each, c);
  }
  c.splatItem = outer;
  return mark(out, s);
}

function spend(n: number, range: SourceRange, c: Ctx): boolean {
  if (budget - n >= 0) {
    budget -= n;
    return true;
  }
  budget = 0;
  overBudget(range, c);
  return false;
}

function overBudget(range: SourceRange, c: Ctx): Value {
  if (!budgetReported) {
    budgetReported = true;
    c.diags.push(error('Evaluation too expensive', `One evaluation may take at most ${MAX_ITERATIONS} steps (expressions, loop iterations and generated elements).`, range));
  }
  budget = -1;
  return UNKNOWN;
}

// ---- strings and collections -------------------------------------------------------------

function evTemplate(e: TemplateExpr, c: Ctx): Value {
  const parts = e.parts;
  if (parts.length === 0) return '';
  if (parts.length === 1) {
    const only = parts[0];
    if (only.kind === 'Text') return only.value;
    // A template that is just "${x}" yields x itself, whatever its type (as in HCL).
    if (only.kind === 'Interpolation' && e.heredoc === undefined) return ev(only.expr, c);
  }
  const r: Rendering = { out: '', sensitive: false, unknown: false };
  render(parts, r, c);
  return mark(r.unknown ? UNKNOWN_STRING : r.out, r.sensitive);
}

/** A template being rendered: the text so far, and whether a sensitive or unknown value went in. */
interface Rendering {
  out: string;
  sensitive: boolean;
  unknown: boolean;
}

function render(parts: readonly TemplatePart[], r: Rendering, c: Ctx): void {
  for (const part of parts) {
    if (part.kind === 'Text') {
      r.out += part.value;
      continue;
    }
    if (part.kind === 'If') {
      const cond = unwrapSensitive(ev(part.condition, c), r);
      if (cond instanceof Unknown) {
        r.unknown = true;
        continue;
      }
      const b = toBool(cond);
      if (b === undefined) {
        fail(c, 'Invalid template condition', `The condition of %{ if } must be a bool, got ${describeValue(cond)}.`, part.condition.range);
        r.unknown = true;
        continue;
      }
      render(b ? part.then : part.else, r, c);
      continue;
    }
    if (part.kind === 'For') {
      renderFor(part, r, c);
      continue;
    }
    const v = unwrapSensitive(ev(part.expr, c), r);
    if (v instanceof Unknown) r.unknown = true;
    else if (typeof v === 'string') r.out += v;
    else if (isNumber(v)) r.out += numberToString(v);
    else if (typeof v === 'boolean') r.out += v ? 'true' : 'false';
    else if (v === null) {
      fail(c, 'Invalid template interpolation value', 'The value is null; a string template cannot include null.', part.expr.range);
      r.unknown = true;
    } else {
      fail(c, 'Invalid template interpolation value', `A string template cannot include a ${describeValue(v)}; a string is required (jsonencode() or join() can make one).`, part.expr.range);
      r.unknown = true;
    }
  }
}

/** `%{ for k, v in coll }...%{ endfor }`: the body once per element (objects in key order). */
function renderFor(part: Extract<TemplatePart, { kind: 'For' }>, r: Rendering, c: Ctx): void {
  const coll = unwrapSensitive(ev(part.collection, c), r);
  if (coll instanceof Unknown) {
    r.unknown = true;
    return;
  }
  const keys = iteration(coll, 'Invalid template for', part.collection.range, c);
  if (keys === undefined || !spend(keys.length, part.range, c)) {
    r.unknown = true;
    return;
  }
  const outer = c.frame;
  try {
    for (let i = 0; i < keys.length; i++) {
      c.frame = loopFrame(part, coll, keys, i, outer);
      const errorsBefore = c.diags.length;
      render(part.body, r, c);
      if (c.diags.length > errorsBefore) break;
    }
  } finally {
    c.frame = outer;
  }
}

/** The value inside any sensitive wrappers; `r` becomes sensitive if there were some. */
function unwrapSensitive(v: Value, r: Rendering): Value {
  while (v instanceof Sensitive) {
    v = v.value;
    r.sensitive = true;
  }
  return v;
}

function objectKey(v: Value): string | undefined {
  if (typeof v === 'string') return v;
  if (isNumber(v)) return numberToString(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return undefined;
}

function evObject(e: Extract<Expr, { kind: 'Object' }>, c: Ctx): Value {
  const out: Record<string, Value> = {};
  let s = false;
  let unknown = false;
  for (const item of e.items) {
    let k = ev(item.key, c);
    const v = ev(item.value, c);
    while (k instanceof Sensitive) {
      k = k.value;
      s = true;
    }
    if (k instanceof Unknown) {
      unknown = true;
      continue;
    }
    const key = objectKey(k);
    if (key === undefined) {
      fail(c, 'Invalid object key', k === null ? 'The key is null.' : `An object key must be a string, got ${describeValue(k)}.`, item.key.range);
      unknown = true;
      continue;
    }
    if (Object.hasOwn(out, key)) {
      fail(c, `Duplicate object key ${s ? '(sensitive value)' : JSON.stringify(key)}`, 'Each key may appear once in an object.', item.key.range);
      continue;
    }
    setKey(out, key, v);
  }
  return mark(unknown ? UNKNOWN : out, s);
}

/**
 * How a `for` walks a collection: a list by index (`keys` are the indices), an object by its
 * keys in order. Anything else is reported (`summary` names the construct): undefined.
 */
function iteration(coll: Value, summary: string, range: SourceRange, c: Ctx): readonly (string | number)[] | undefined {
  if (Array.isArray(coll)) return Array.from(coll, (_, i) => i);
  if (isObject(coll)) return Object.keys(coll).sort(compareStrings);
  fail(c, summary, coll === null ? 'Cannot iterate over a null value.' : `Cannot iterate over a ${describeValue(coll)}; a list or an object is required.`, range);
  return undefined;
}

/** The frame binding a `for`'s names to the element at `keys[i]` of `coll` (see `iteration`). */
function loopFrame(f: { readonly keyVar?: string; readonly valueVar: string }, coll: Value, keys: readonly (string | number)[], i: number, outer: Frame | null): Frame {
  const k = keys[i];
  const valueFrame: Frame = { name: f.valueVar, value: (coll as Record<string | number, Value>)[k], parent: outer };
  return f.keyVar === undefined ? valueFrame : { name: f.keyVar, value: k, parent: valueFrame };
}

function evFor(e: Extract<Expr, { kind: 'ForTuple' | 'ForObject' }>, c: Ctx): Value {
  let coll = ev(e.collection, c);
  let s = false;
  while (coll instanceof Sensitive) {
    coll = coll.value;
    s = true;
  }
  if (coll instanceof Unknown) return mark(UNKNOWN, s);
  const keys = iteration(coll, 'Invalid for expression', e.collection.range, c);
  if (keys === undefined || !spend(keys.length, e.range, c)) return UNKNOWN;
  const outer = c.frame;
  const list: Value[] | null = e.kind === 'ForTuple' ? [] : null;
  const obj: Record<string, Value> | null = e.kind === 'ForObject' ? {} : null;
  const groups: Map<string, Value[]> | null = e.kind === 'ForObject' && e.grouping ? new Map() : null;
  let unknown = false;
  const errorsBefore = c.diags.length;
  for (let i = 0; i < keys.length; i++) {
    c.frame = loopFrame(e, coll, keys, i, outer);
    if (e.condition !== undefined) {
      let cond = ev(e.condition, c);
      while (cond instanceof Sensitive) {
        cond = cond.value;
        s = true;
      }
      if (cond instanceof Unknown) {
        unknown = true;
        continue;
      }
      const b = toBool(cond);
      if (b === undefined) {
        fail(c, 'Invalid for condition', `The condition after "if" must be a bool, got ${describeValue(cond)}.`, e.condition.range);
        unknown = true;
        break;
      }
      if (!b) continue;
    }
    if (list !== null) {
      list.push(ev((e as Extract<Expr, { kind: 'ForTuple' }>).value, c));
      continue;
    }
    const fo = e as Extract<Expr, { kind: 'ForObject' }>;
    let kv = ev(fo.key, c);
    const vv = ev(fo.value, c);
    while (kv instanceof Sensitive) {
      kv = kv.value;
      s = true;
    }
    if (kv instanceof Unknown) {
      unknown = true;
      continue;
    }
    const key = objectKey(kv);
    if (key === undefined) {
      fail(c, 'Invalid object key', kv === null ? 'The key is null.' : `An object key must be a string, got ${describeValue(kv)}.`, fo.key.range);
      unknown = true;
      break;
    }
    if (groups !== null) {
      const g = groups.get(key);
      if (g) g.push(vv);
      else groups.set(key, [vv]);
    } else if (Object.hasOwn(obj!, key)) {
      fail(
        c,
        `Duplicate object key ${s ? '(sensitive value)' : JSON.stringify(key)}`,
        'Two elements produced the same key in this for expression. To collect the values of equal keys into lists, add "..." after the value expression.',
        fo.key.range,
      );
      unknown = true;
      break;
    } else setKey(obj!, key, vv);
    // One failing element usually fails them all: stop after the first to keep the report short.
    if (c.diags.length > errorsBefore) break;
  }
  c.frame = outer;
  if (unknown || c.diags.length > errorsBefore) return mark(UNKNOWN, s);
  if (groups !== null) for (const [k, g] of groups) setKey(obj!, k, g);
  return mark(list ?? obj!, s);
}

// ---- operators ---------------------------------------------------------------------------

function toBool(v: Value): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return undefined;
}

function toNumber(v: Value): number | bigint | undefined {
  if (isNumber(v)) return v;
  if (typeof v === 'string') return parseNumber(v);
  return undefined;
}

function operandProblem(v: Value, side: 'left' | 'right' | null, wanted: 'number' | 'bool'): string {
  const operand = side === null ? 'The operand' : `The ${side} operand`;
  if (v === null) return `${operand} is null.`;
  if (typeof v === 'string') return `${operand} is a string that is not a ${wanted}.`;
  return `${operand} is a ${describeValue(v)}; a ${wanted} is required.`;
}

function evUnary(op: '!' | '-', v: Value, e: Expr, c: Ctx): Value {
  let s = false;
  while (v instanceof Sensitive) {
    v = v.value;
    s = true;
  }
  if (op === '-') {
    if (v instanceof Unknown) return mark(UNKNOWN_NUMBER, s);
    const n = toNumber(v);
    if (n === undefined) return fail(c, `Invalid operand: cannot negate ${describeValue(v)}`, operandProblem(v, null, 'number'), e.range);
    return mark(typeof n === 'bigint' ? exactInteger(-n) : -n, s);
  }
  if (v instanceof Unknown) return mark(UNKNOWN_BOOL, s);
  const b = toBool(v);
  if (b === undefined) return fail(c, `Invalid operand: cannot apply "!" to ${describeValue(v)}`, 'A bool is required.', e.range);
  return mark(!b, s);
}

const VERBS: Record<string, string> = {
  '+': 'add',
  '-': 'subtract',
  '*': 'multiply',
  '/': 'divide',
  '%': 'take the remainder of',
  '<': 'compare',
  '<=': 'compare',
  '>': 'compare',
  '>=': 'compare',
};

function evBinary(e: Extract<Expr, { kind: 'Binary' }>, c: Ctx): Value {
  const op = e.op;
  if (op === '&&' || op === '||') return evLogical(e, c);
  let l = ev(e.left, c);
  let r = ev(e.right, c);
  if (op === '==' || op === '!=') {
    const s = containsSensitive(l) || containsSensitive(r);
    if (containsUnknown(l) || containsUnknown(r)) return mark(UNKNOWN_BOOL, s);
    const eq = operatorEquals(l, r);
    return mark(op === '==' ? eq : !eq, s);
  }
  let s = false;
  while (l instanceof Sensitive) {
    l = l.value;
    s = true;
  }
  while (r instanceof Sensitive) {
    r = r.value;
    s = true;
  }
  const ln = l instanceof Unknown ? 0 : toNumber(l);
  const rn = r instanceof Unknown ? 0 : toNumber(r);
  if (ln === undefined || rn === undefined) {
    const bad = ln === undefined ? e.left : e.right;
    let detail = operandProblem(ln === undefined ? l : r, ln === undefined ? 'left' : 'right', 'number');
    if (op === '+' && (typeof l === 'string' || typeof r === 'string')) detail += ' To join strings, use a template: "${a}${b}".';
    return fail(c, `Invalid operand: cannot ${VERBS[op]} ${describeValue(l)} and ${describeValue(r)}`, detail, bad.range);
  }
  const isCompare = op === '<' || op === '<=' || op === '>' || op === '>=';
  if (l instanceof Unknown || r instanceof Unknown) return mark(isCompare ? UNKNOWN_BOOL : UNKNOWN_NUMBER, s);
  if (isCompare) return mark(compareNumbers(ln, rn, op), s);
  if ((op === '/' || op === '%') && (rn === 0 || rn === 0n)) return fail(c, 'Division by zero', `The right operand of "${op}" is zero.`, e.right.range);
  const exact = integerArithmetic(ln, rn, op);
  if (exact !== undefined) {
    // The same bound as floats have (about 1.8e308), so a runaway product cannot eat memory.
    if (typeof exact === 'bigint' && !Number.isFinite(Number(exact))) return fail(c, 'Arithmetic overflow', 'The result is too large to represent.', e.range);
    return mark(exact, s);
  }
  if (typeof ln === 'bigint' || typeof rn === 'bigint') return mark(floatArithmetic(toFloat(ln), toFloat(rn), op, e, c), s);
  return mark(floatArithmetic(ln, rn, op, e, c), s);
}

/** `<`, `<=`, `>`, `>=` of two numbers (JavaScript compares a bigint with a float by their exact values). */
function compareNumbers(l: number | bigint, r: number | bigint, op: '<' | '<=' | '>' | '>='): boolean {
  switch (op) {
    case '<':
      return l < r;
    case '<=':
      return l <= r;
    case '>':
      return l > r;
    case '>=':
      return l >= r;
  }
}

/**
 * `+ - * / %` of two whole numbers, exact at any size (as Terraform's arbitrary precision): done
 * in bigint when an operand is a bigint or the float result would pass 2^53; undefined when an
 * operand is not whole, the result is within floats' exact range, or a quotient is not whole.
 */
function integerArithmetic(l: number | bigint, r: number | bigint, op: string): number | bigint | undefined {
  if (typeof l === 'number' && !Number.isInteger(l)) return undefined;
  if (typeof r === 'number' && !Number.isInteger(r)) return undefined;
  if (typeof l === 'number' && typeof r === 'number') {
    // Floats are exact here: the result of + - * is within 2^53, or / and % take operands within it.
    if (op === '/' || op === '%') {
      if (Math.abs(l) <= Number.MAX_SAFE_INTEGER && Math.abs(r) <= Number.MAX_SAFE_INTEGER) return undefined;
    } else {
      const f = op === '+' ? l + r : op === '-' ? l - r : l * r;
      if (Math.abs(f) <= Number.MAX_SAFE_INTEGER) return undefined;
    }
  }
  const a = BigInt(l);
  const b = BigInt(r);
  switch (op) {
    case '+':
      return exactInteger(a + b);
    case '-':
      return exactInteger(a - b);
    case '*':
      return exactInteger(a * b);
    case '/':
      return a % b === 0n ? exactInteger(a / b) : undefined;
    case '%':
      return exactInteger(a % b);
  }
  return undefined;
}

function floatArithmetic(ln: number, rn: number, op: string, e: Extract<Expr, { kind: 'Binary' }>, c: Ctx): Value {
  let out: number;
  switch (op) {
    case '+':
      out = ln + rn;
      break;
    case '-':
      out = ln - rn;
      break;
    case '*':
      out = ln * rn;
      break;
    case '/':
      out = ln / rn;
      break;
    default:
      out = ln % rn;
  }
  if (!Number.isFinite(out)) return fail(c, 'Arithmetic overflow', 'The result is too large to represent.', e.range);
  return out;
}

function evLogical(e: Extract<Expr, { kind: 'Binary' }>, c: Ctx): Value {
  const decisive = e.op === '||';
  let l = ev(e.left, c);
  let s = false;
  while (l instanceof Sensitive) {
    l = l.value;
    s = true;
  }
  let lb: boolean | undefined;
  if (!(l instanceof Unknown)) {
    lb = toBool(l);
    if (lb === undefined) return fail(c, `Invalid operand: "${e.op}" needs bools, got ${describeValue(l)}`, operandProblem(l, 'left', 'bool'), e.left.range);
    if (lb === decisive) return mark(decisive, s);
  }
  let r = ev(e.right, c);
  while (r instanceof Sensitive) {
    r = r.value;
    s = true;
  }
  if (r instanceof Unknown) return mark(UNKNOWN_BOOL, s);
  const rb = toBool(r);
  if (rb === undefined) return fail(c, `Invalid operand: "${e.op}" needs bools, got ${describeValue(r)}`, operandProblem(r, 'right', 'bool'), e.right.range);
  if (lb === undefined) return mark(rb === decisive ? decisive : UNKNOWN_BOOL, s);
  return mark(rb, s);
}

function evConditional(e: Extract<Expr, { kind: 'Conditional' }>, c: Ctx): Value {
  let cond = ev(e.condition, c);
  let s = false;
  while (cond instanceof Sensitive) {
    cond = cond.value;
    s = true;
  }
  if (cond instanceof Unknown) {
    // Either branch may be the result: it is sensitive if either could be.
    const a = quietly(e.then, c);
    const b = quietly(e.else, c);
    return mark(UNKNOWN, s || containsSensitive(a) || containsSensitive(b));
  }
  if (cond === null) return fail(c, 'Null condition', 'The condition is null; it must be true or false.', e.condition.range);
  const b = toBool(cond);
  if (b === undefined) return fail(c, 'Invalid condition', `The condition must be a bool, got ${describeValue(cond)}.`, e.condition.range);
  return mark(ev(b ? e.then : e.else, c), s);
}

/** Evaluates without reporting: for can(), try() and the branches of an unknown condition. */
function quietly(e: Expr, c: Ctx): Value {
  const saved = c.diags;
  c.diags = [];
  c.quiet++;
  const v = ev(e, c);
  c.quiet--;
  c.diags = saved;
  return v;
}

// ---- calls -------------------------------------------------------------------------------

function callSignature(name: string): string {
  return FUNCTIONS.get(name)?.signature ?? `${name}()`;
}

function evCall(e: CallExpr, c: Ctx): Value {
  if (e.name === 'can' || e.name === 'try') return evSpeculative(e, c);
  const fn = FUNCTIONS.get(e.name);
  if (fn === undefined) {
    for (const a of e.args) ev(a, c);
    return fail(c, `Call to unknown function "${e.name}"`, didYouMean(e.name, [...FUNCTIONS.keys(), 'can', 'try']), e.nameRange);
  }
  if (fn.impure && c.literal !== null) return fail(c, `Function "${e.name}" is not allowed here`, c.literal, e.range);

  let args: Value[] = new Array<Value>(e.args.length);
  for (let i = 0; i < e.args.length; i++) args[i] = ev(e.args[i], c);
  let s = false;
  let unknown = false;
  let expanded = false;
  if (e.expandFinal && args.length > 0) {
    let last = args[args.length - 1];
    while (last instanceof Sensitive) {
      last = last.value;
      s = true;
    }
    if (last instanceof Unknown) return mark(UNKNOWN, s);
    if (!Array.isArray(last)) {
      return fail(c, `Invalid expanding argument to "${e.name}"`, `The argument before "..." must be a list, got ${describeValue(last)}.`, e.args[args.length - 1].range);
    }
    args = args.slice(0, -1).concat(last);
    expanded = true;
  }
  const min = fn.params.length - (fn.optional ?? 0);
  const max = fn.variadic ? Infinity : fn.params.length;
  if (args.length < min || args.length > max) {
    const want = fn.variadic ? `at least ${min}` : min === max ? `${min}` : `${min} to ${max}`;
    return fail(
      c,
      `Wrong number of arguments to "${e.name}"`,
      `${callSignature(e.name)} takes ${want} argument${want === '1' || want === 'at least 1' ? '' : 's'}; got ${args.length}.`,
      e.range,
    );
  }
  for (let i = 0; i < args.length; i++) {
    let v = args[i];
    while (v instanceof Sensitive) {
      v = v.value;
      s = true;
    }
    if (v instanceof Unknown) {
      unknown = true;
      continue;
    }
    if (!fn.nested) {
      if (containsUnknown(v)) {
        unknown = true;
        continue;
      }
      if (containsSensitive(v)) {
        s = true;
        v = unmarkDeep(v);
      }
    }
    const param = i < fn.params.length ? fn.params[i] : fn.variadic!;
    const checked = checkArgument(param, v);
    if (checked instanceof ConversionError) {
      const why = s ? 'its value is sensitive, so the reason is not shown' : checked.message;
      return fail(c, `Invalid argument to "${e.name}"`, `Argument ${i + 1} (${param.name}): ${why}.`, argRange(e, expanded, i));
    }
    args[i] = checked;
  }
  if (fn.unmarks) s = false;
  if (unknown) return mark(UNKNOWN, s);
  const result = fn.impl(args, functionContext(c));
  if (Array.isArray(result) && !spend(result.length, e.range, c)) return UNKNOWN;
  if (result instanceof FunctionError) {
    const range = result.arg !== undefined ? argRange(e, expanded, result.arg) : e.range;
    // A message may quote an argument; with a secret among them, it says nothing of the values.
    if (s) return fail(c, `Invalid argument to "${e.name}"`, 'The call failed; its message is withheld because an argument is sensitive.', range);
    return fail(c, result.summary ?? `Invalid argument to "${e.name}"`, result.detail, result.summary && result.arg !== undefined ? e.range : range);
  }
  return mark(result, s);
}

/** Where argument `i` was written; an argument that came from an expanded list points at the call. */
function argRange(e: CallExpr, expanded: boolean, i: number): SourceRange {
  if (expanded && i >= e.args.length - 1) return e.range;
  return e.args[i]?.range ?? e.range;
}

function evSpeculative(e: CallExpr, c: Ctx): Value {
  if (e.name === 'can') {
    if (e.args.length !== 1 || e.expandFinal) {
      return fail(c, 'Wrong number of arguments to "can"', `can(expression) takes 1 argument; got ${e.args.length}.`, e.range);
    }
    const saved = c.diags;
    c.diags = [];
    c.quiet++;
    const v = ev(e.args[0], c);
    c.quiet--;
    const ok = c.diags.length === 0;
    const statics = c.diags.filter((d) => staticErrors.has(d));
    c.diags = saved;
    if (statics.length > 0) {
      c.diags.push(...statics);
      return UNKNOWN_BOOL;
    }
    if (!ok) return false;
    return containsUnknown(v) ? UNKNOWN_BOOL : true;
  }
  if (e.args.length === 0 || e.expandFinal) return fail(c, 'Wrong number of arguments to "try"', 'try(expressions...) takes at least 1 argument.', e.range);
  const failures: string[] = [];
  const statics: Diagnostic[] = [];
  let result: Value | undefined;
  for (const a of e.args) {
    const saved = c.diags;
    c.diags = [];
    c.quiet++;
    const v = ev(a, c);
    c.quiet--;
    const diags = c.diags;
    c.diags = saved;
    for (const d of diags) if (staticErrors.has(d)) statics.push(d);
    if (result !== undefined) continue; // the rest is only looked through for static errors
    if (diags.length === 0) result = containsUnknown(v) ? UNKNOWN : v;
    else failures.push(`- ${diags[0].summary}`);
  }
  if (statics.length > 0) {
    c.diags.push(...statics);
    return UNKNOWN;
  }
  if (result !== undefined) return result;
  return fail(c, 'Every argument of "try" failed', failures.join('\n'), e.range);
}

/** `file:line:col: summary` of a diagnostic inside a template, with the line as in the template file. */
function templateProblem(path: string, d: Diagnostic): string {
  const where = d.range ? `${path}:${d.range.start.line}:${d.range.start.column}: ` : `${path}: `;
  return `${where}${d.summary}${d.detail ? `\n${d.detail}` : ''}`;
}

function functionContext(c: Ctx): FunctionContext {
  if (c.fnCtx !== null) return c.fnCtx;
  const ctx: FunctionContext = {
    configDir: c.scope.configDir,
    env: c.scope.env,
    renderTemplate: (source, path, vars) => {
      const parsed = parseTemplateSource(source, path);
      if (parsed.template === null) {
        const first = parsed.diagnostics[0];
        return new FunctionError(first ? templateProblem(path, first) : `${path}: not a valid template`, 0, `Invalid template "${path}"`);
      }
      const diags: Diagnostic[] = [];
      const v = evaluateTemplate(parsed.template, vars, c.scope, diags);
      if (diags.length > 0) return new FunctionError(templateProblem(path, diags[0]), 0, `Error in template "${path}"`);
      return v;
    },
  };
  c.fnCtx = ctx;
  return ctx;
}

/**
 * A local's diagnostics for whoever reports them first: its own `Result`'s diagnostics the first
 * time (by this or by a reference to the local), nothing after. Use it to report every local
 * once, including the ones nothing refers to.
 */
export function reportLocal(r: Result<Value>): readonly Diagnostic[] {
  if (r.diagnostics.length === 0 || reportedLocals.has(r)) return [];
  reportedLocals.add(r);
  return r.diagnostics;
}
