/**
 * Resource blocks as instances: which instances a block has (`for_each`, `count`), their
 * addresses, and the evaluation of a body against a provider's schema into attribute values.
 */
import { instanceAddress as formatInstanceAddress, parseAddress as parseTypedAddress } from '../addrs/address.js';
import type { ResourceDecl } from '../config/types.js';
import { type Diagnostic, type Result, type SourceRange, didYouMean, error } from '../diagnostics.js';
import type { Attribute, Block, Body, Expr } from '../parser/ast.js';
import type { AttributeSchema, BlockSchema } from '../providers/contract.js';
import { ConversionError, convert, describeValue, setKey } from './convert.js';
import { type EvalScope, evaluateExpr, evaluateInto } from './evaluate.js';
import { compareStrings } from './functions.js';
import { Sensitive, UNKNOWN, Unknown, containsSensitive, sensitive, type ObjectValue, type Value } from './value.js';

/** Most instances one block may have: beyond this a typo (`count = 1e9`) is more likely than intent. */
export const MAX_INSTANCES = 100_000;

/** One instance of a block: its index in the address, and what `each` / `count.index` are inside it. */
export interface InstanceKey {
  /** `for_each` key, `count` index, or null for a block without either. */
  readonly index: string | number | null;
  readonly each?: { readonly key: Value; readonly value: Value };
  readonly countIndex?: number;
}

/** The scope an instance's body is evaluated in: `scope` with its `each` or `count.index` (the scope itself for a block without either). */
export function instanceScope(scope: EvalScope, key: InstanceKey): EvalScope {
  if (key.each === undefined && key.countIndex === undefined) return scope;
  return { ...scope, each: key.each, countIndex: key.countIndex };
}

/**
 * The instances of `decl`: one per `for_each` key (a map's or object's keys sorted, or the
 * distinct strings of a list, sorted), one per `count` index, or a single one. `{ unknown: true }`
 * when the `for_each` or `count` value is not known yet (the caller decides what that means).
 * On errors the key list is empty.
 */
export function expandInstances(decl: Pick<ResourceDecl, 'forEach' | 'count'>, scope: EvalScope): Result<{ keys: InstanceKey[] } | { unknown: true }> {
  if (decl.forEach !== undefined) return expandForEach(decl.forEach.range, evaluateExpr(decl.forEach, scope));
  if (decl.count !== undefined) return expandCount(decl.count.range, evaluateExpr(decl.count, scope));
  return { value: { keys: [{ index: null }] }, diagnostics: [] };
}

function failed(diagnostics: readonly Diagnostic[], summary?: string, detail?: string, range?: SourceRange): Result<{ keys: InstanceKey[] }> {
  return { value: { keys: [] }, diagnostics: summary === undefined ? diagnostics : [...diagnostics, error(summary, detail, range)] };
}

const SENSITIVE_KEYS =
  'Instance keys appear in addresses and plans, so they cannot come from a sensitive value. Use keys that are not secret (the values of a map may be sensitive).';

function expandForEach(range: SourceRange, r: Result<Value>): Result<{ keys: InstanceKey[] } | { unknown: true }> {
  if (r.diagnostics.length > 0) return failed(r.diagnostics);
  const v = r.value;
  if (v instanceof Sensitive) return failed([], 'Invalid for_each argument: sensitive value', SENSITIVE_KEYS, range);
  if (v instanceof Unknown) return { value: { unknown: true }, diagnostics: [] };
  if (v === null) return failed([], 'Invalid for_each argument: null', 'for_each needs a map, an object or a list of strings.', range);
  if (Array.isArray(v)) {
    const set = new Set<string>();
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (x instanceof Unknown) return { value: { unknown: true }, diagnostics: [] };
      if (x instanceof Sensitive) {
        if (x.value instanceof Unknown) return { value: { unknown: true }, diagnostics: [] };
        return failed([], 'Invalid for_each argument: sensitive value', SENSITIVE_KEYS, range);
      }
      if (typeof x !== 'string') {
        return failed(
          [],
          'Invalid for_each argument',
          `A list given to for_each must hold strings; element ${i} is a ${describeValue(x)}.${typeof x === 'number' ? ' Convert the numbers: [for n in LIST : tostring(n)].' : ''}`,
          range,
        );
      }
      set.add(x);
    }
    if (set.size > MAX_INSTANCES) return failed([], 'Too many instances', `for_each may make at most ${MAX_INSTANCES} instances.`, range);
    const keys = [...set].sort(compareStrings).map((k): InstanceKey => ({ index: k, each: { key: k, value: k } }));
    return { value: { keys }, diagnostics: [] };
  }
  if (typeof v === 'object') {
    const obj = v as ObjectValue;
    const names = Object.keys(obj).sort(compareStrings);
    if (names.length > MAX_INSTANCES) return failed([], 'Too many instances', `for_each may make at most ${MAX_INSTANCES} instances.`, range);
    return { value: { keys: names.map((k): InstanceKey => ({ index: k, each: { key: k, value: obj[k] } })) }, diagnostics: [] };
  }
  return failed([], 'Invalid for_each argument', `for_each needs a map, an object or a list of strings, got ${describeValue(v)}.`, range);
}

function expandCount(range: SourceRange, r: Result<Value>): Result<{ keys: InstanceKey[] } | { unknown: true }> {
  if (r.diagnostics.length > 0) return failed(r.diagnostics);
  let v = r.value;
  // The number of instances shows in every plan anyway; a sensitive count is allowed.
  while (v instanceof Sensitive) v = v.value;
  if (v instanceof Unknown) return { value: { unknown: true }, diagnostics: [] };
  if (v === null) return failed([], 'Invalid count argument: null', 'count needs a whole number, 0 or more.', range);
  const n = convert(v, 'number');
  if (typeof n === 'bigint' && n > 0n) return failed([], 'Too many instances', `count may be at most ${MAX_INSTANCES}.`, range);
  if (n instanceof ConversionError || typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    return failed([], 'Invalid count argument', `count needs a whole number, 0 or more, got ${typeof n === 'number' ? 'a negative or fractional number' : describeValue(v)}.`, range);
  }
  if (n > MAX_INSTANCES) return failed([], 'Too many instances', `count may be at most ${MAX_INSTANCES}.`, range);
  const keys = new Array<InstanceKey>(n);
  for (let i = 0; i < n; i++) keys[i] = { index: i, countIndex: i };
  return { value: { keys }, diagnostics: [] };
}

/** `type.name`, `type.name[0]` or `type.name["key"]` (the key JSON-quoted); see addrs/address.ts. */
export function instanceAddress(decl: Pick<ResourceDecl, 'address'>, index: string | number | null): string {
  return formatInstanceAddress(decl.address, index);
}

/** A parsed resource or instance address (`index` absent for a block address). */
export interface ParsedAddress {
  readonly type: string;
  readonly name: string;
  readonly index?: string | number;
}

/** Parses `type.name`, `type.name[0]` or `type.name["k"]`: `Address` from addrs/address.ts in this module's older shape. */
export function parseAddress(text: string): Result<ParsedAddress | null> {
  const r = parseTypedAddress(text);
  if (!r.value) return { value: null, diagnostics: r.diagnostics };
  const { type, name, key } = r.value;
  return { value: key === null ? { type, name } : { type, name, index: key }, diagnostics: r.diagnostics };
}

/** The schema a body is decoded against: a resource type's, a nested block's, or a provider's. */
export interface BodySchema {
  readonly attributes: Readonly<Record<string, AttributeSchema>>;
  readonly blocks?: Readonly<Record<string, BlockSchema>>;
}

/**
 * Evaluates every attribute of `body` and converts it to its schema type. The result has every
 * schema attribute: the configured value, else the schema default, else null - except computed
 * attributes left unset, which are absent (the provider decides them). Nested blocks become a list
 * of objects (`nesting: 'list'`, empty when absent) or one object or null (`'single'`), with
 * their labels as attributes. Sensitive schema attributes are marked sensitive. Unknown names,
 * computed-only attributes set in configuration, missing required ones and wrong types are
 * diagnostics.
 */
export function decodeBody(body: Body, schema: BodySchema, scope: EvalScope): Result<Record<string, Value>> {
  const diags: Diagnostic[] = [];
  const value = decodeInto(body, schema, scope, diags, body.range);
  return { value, diagnostics: diags };
}

/** A schema's attributes and blocks by name, made once per schema (a body is decoded once per instance). */
interface SchemaIndex {
  readonly attributeNames: readonly string[];
  readonly blockNames: readonly string[];
  readonly attributes: ReadonlyMap<string, AttributeSchema>;
  readonly blocks: ReadonlyMap<string, BlockSchema>;
}
const schemaIndexes = new WeakMap<BodySchema, SchemaIndex>();
function indexOf(schema: BodySchema): SchemaIndex {
  let index = schemaIndexes.get(schema);
  if (index === undefined) {
    const attributeNames = Object.keys(schema.attributes);
    const blockNames = Object.keys(schema.blocks ?? {});
    index = {
      attributeNames,
      blockNames,
      attributes: new Map(attributeNames.map((n) => [n, schema.attributes[n]])),
      blocks: new Map(blockNames.map((n) => [n, schema.blocks![n]])),
    };
    schemaIndexes.set(schema, index);
  }
  return index;
}

function decodeInto(body: Body, schema: BodySchema, scope: EvalScope, diags: Diagnostic[], where: SourceRange): Record<string, Value> {
  const out: Record<string, Value> = {};
  const index = indexOf(schema);
  let blocks: Map<string, Block[]> | undefined;
  for (const item of body.items) {
    if (item.kind === 'Block') {
      // `dynamic "rule" { ... }` stands for rule blocks (unless the schema has a block named dynamic).
      const dynamicType = item.type === 'dynamic' && !index.blocks.has('dynamic') && item.labels.length === 1 ? item.labels[0].value : undefined;
      if (dynamicType !== undefined) {
        if (!index.blocks.has(dynamicType)) {
          diags.push(error(`Unsupported block type "${dynamicType}"`, didYouMean(dynamicType, index.blockNames) ?? blockList(schema), item.labels[0].range));
          continue;
        }
        blocks ??= new Map();
        const list = blocks.get(dynamicType);
        if (list) list.push(item);
        else blocks.set(dynamicType, [item]);
        continue;
      }
      if (item.type === 'dynamic' && !index.blocks.has('dynamic')) {
        diags.push(error('Invalid dynamic block', 'A dynamic block has one label, the type of the blocks it makes: dynamic "BLOCK" { for_each = ..., content { ... } }.', item.labels[1]?.range ?? item.typeRange));
        continue;
      }
      if (!index.blocks.has(item.type)) {
        const isAttr = index.attributes.has(item.type);
        diags.push(
          error(
            isAttr ? `"${item.type}" is an argument, not a block` : `Unsupported block type "${item.type}"`,
            isAttr ? `Write it as: ${item.type} = VALUE` : (didYouMean(item.type, Object.keys(schema.blocks ?? {})) ?? blockList(schema)),
            item.typeRange,
          ),
        );
        continue;
      }
      blocks ??= new Map();
      const list = blocks.get(item.type);
      if (list) list.push(item);
      else blocks.set(item.type, [item]);
      continue;
    }
    const a = index.attributes.get(item.name);
    if (a === undefined) {
      const isBlock = index.blocks.has(item.name);
      diags.push(
        error(
          isBlock ? `"${item.name}" is a block, not an argument` : `Unsupported argument "${item.name}"`,
          isBlock ? `Write it as a block: ${item.name} { ... }` : (didYouMean(item.name, Object.keys(schema.attributes)) ?? argumentList(schema)),
          item.nameRange,
        ),
      );
      continue;
    }
    if (a.computed && !a.optional && !a.required) {
      diags.push(error(`Cannot set "${item.name}"`, `"${item.name}" is computed by the provider; it cannot be set in configuration.`, item.nameRange));
      continue;
    }
    if (Object.hasOwn(out, item.name)) {
      diags.push(error(`Duplicate argument "${item.name}"`, undefined, item.nameRange));
      continue;
    }
    const before = diags.length;
    const v = evaluateInto(item.expr, scope, diags);
    if (diags.length > before) {
      setKey(out, item.name, v);
      continue;
    }
    const c = convert(v, a.type);
    if (c instanceof ConversionError) {
      diags.push(error(`Invalid value for "${item.name}"`, `${capitalize(c.message)}.`, item.expr.range));
      setKey(out, item.name, new Unknown(a.type));
      continue;
    }
    // Providers compute with floats: a whole number they cannot hold exactly would change silently.
    const big = a.type === 'any' ? undefined : firstBigint(c);
    if (big !== undefined) {
      diags.push(
        error(
          `Invalid value for "${item.name}"`,
          `The number ${containsSensitive(c) ? '(sensitive value)' : big} is beyond 9007199254740992 (2^53), the largest whole number a provider argument holds exactly; write it as a string if the argument takes one.`,
          item.expr.range,
        ),
      );
      setKey(out, item.name, new Unknown(a.type));
      continue;
    }
    if (c === null && a.required) {
      diags.push(error(`Missing value for "${item.name}"`, `"${item.name}" is required; it cannot be null.`, item.expr.range));
    }
    setKey(out, item.name, a.sensitive ? sensitive(c) : c);
  }
  for (const name of index.attributeNames) {
    if (Object.hasOwn(out, name)) continue;
    const a = index.attributes.get(name)!;
    if (a.required) {
      diags.push(error(`Missing required argument "${name}"`, a.description ? `"${name}": ${a.description}` : undefined, where));
      continue;
    }
    if (a.computed) continue;
    const d: Value = a.default === undefined ? null : (a.default as Value);
    setKey(out, name, a.sensitive && d !== null ? sensitive(d) : d);
  }
  for (const type of index.blockNames) {
    const bs = index.blocks.get(type)!;
    const found = blocks?.get(type) ?? [];
    const decoded: Value[] = [];
    let unknown = false;
    for (const b of found) {
      if (b.type !== type) {
        const made = expandDynamic(b, type, bs, scope, diags);
        if (made === 'unknown') unknown = true;
        else decoded.push(...made);
        continue;
      }
      const v = decodeBlock(b, bs, scope, diags);
      if (v !== null) decoded.push(v);
    }
    if (bs.nesting === 'single') {
      if (decoded.length > 1 || found.length > 1 && found.every((b) => b.type === type)) {
        const second = found[1] ?? found[0];
        diags.push(error(`Duplicate "${type}" block`, `Only one "${type}" block is allowed here; the first is at ${found[0].range.file}:${found[0].range.start.line}.`, second.typeRange));
      }
      setKey(out, type, unknown ? UNKNOWN : (decoded[0] ?? null));
    } else setKey(out, type, unknown ? UNKNOWN : decoded);
  }
  return out;
}

const DYNAMIC_ARGS = ['for_each', 'iterator', 'labels'];

/**
 * The blocks `dynamic "TYPE" { for_each, iterator, labels, content { ... } }` makes, as Terraform
 * (HCL's dynblock) makes them: one per element of for_each (a list in order, a map or object in
 * key order), its content evaluated with the iterator (`TYPE`, or the `iterator` name) bound to
 * `{ key, value }`. 'unknown' when for_each is known only after apply.
 */
function expandDynamic(d: Block, type: string, bs: BlockSchema, scope: EvalScope, diags: Diagnostic[]): ObjectValue[] | 'unknown' {
  const header: SourceRange = { file: d.typeRange.file, start: d.typeRange.start, end: d.labels[0].range.end };
  const attrs = new Map<string, Attribute>();
  const contents: Block[] = [];
  let bad = false;
  for (const item of d.body?.items ?? []) {
    if (item.kind === 'Block') {
      if (item.type === 'content' && item.labels.length === 0) contents.push(item);
      else {
        diags.push(error(`Unsupported block type "${item.type}"`, 'A dynamic block holds only a content block, besides for_each, iterator and labels.', item.typeRange));
        bad = true;
      }
    } else if (!DYNAMIC_ARGS.includes(item.name)) {
      diags.push(error(`Unsupported argument "${item.name}"`, didYouMean(item.name, DYNAMIC_ARGS) ?? 'A dynamic block takes for_each, iterator and labels, and a content block.', item.nameRange));
      bad = true;
    } else if (attrs.has(item.name)) {
      diags.push(error(`Duplicate argument "${item.name}"`, undefined, item.nameRange));
      bad = true;
    } else attrs.set(item.name, item);
  }
  const forEach = attrs.get('for_each');
  if (!forEach) {
    diags.push(error('Missing required argument', 'The argument "for_each" is required, but no definition was found.', header));
    return [];
  }
  if (contents.length === 0) {
    diags.push(error('Missing dynamic content block', 'A dynamic block must have a nested block of type "content" to describe the body of each generated block.', header));
    return [];
  }
  if (contents.length > 1) {
    diags.push(error('Extraneous dynamic content block', 'Only one nested content block is allowed for each dynamic block.', contents[1].typeRange));
    return [];
  }
  let iterator = type;
  const it = attrs.get('iterator');
  if (it) {
    if (it.expr.kind !== 'Variable') {
      diags.push(error('Invalid dynamic iterator name', 'Dynamic iterator must be a single variable name.', it.expr.range));
      return [];
    }
    iterator = it.expr.name;
  }
  const names = bs.labels ?? [];
  let labelExprs: readonly Expr[] = [];
  const labelsAttr = attrs.get('labels');
  if (labelsAttr) {
    if (labelsAttr.expr.kind !== 'Tuple') {
      diags.push(error('Invalid dynamic block labels', 'labels is a list written out: labels = [NAME.key, "A"].', labelsAttr.expr.range));
      return [];
    }
    labelExprs = labelsAttr.expr.items;
  }
  if (labelExprs.length > names.length) {
    diags.push(error('Extraneous dynamic block label', `Blocks of type "${type}" require ${names.length} label(s).`, labelExprs[names.length].range));
    return [];
  }
  if (labelExprs.length < names.length) {
    diags.push(error('Insufficient dynamic block labels', `Blocks of type "${type}" require ${names.length} label(s).`, labelsAttr?.expr.range ?? header));
    return [];
  }
  if (bad) return [];
  const before = diags.length;
  let collection = evaluateInto(forEach.expr, scope, diags);
  if (diags.length > before) return [];
  while (collection instanceof Sensitive) collection = collection.value;
  if (collection instanceof Unknown) return 'unknown';
  if (collection === null) {
    diags.push(error('Invalid dynamic for_each value', 'Cannot use a null value in for_each.', forEach.expr.range));
    return [];
  }
  if (typeof collection !== 'object') {
    diags.push(error('Invalid dynamic for_each value', `Cannot use a ${describeValue(collection)} value in for_each. An iterable collection is required.`, forEach.expr.range));
    return [];
  }
  const elements: { key: Value; value: Value }[] = Array.isArray(collection)
    ? (collection as readonly Value[]).map((value, i) => ({ key: i, value }))
    : Object.keys(collection).sort(compareStrings).map((k) => ({ key: k, value: (collection as ObjectValue)[k] }));
  const content = contents[0];
  const out: ObjectValue[] = [];
  for (const el of elements) {
    const iterators = new Map(scope.iterators ?? []);
    iterators.set(iterator, { key: el.key, value: el.value });
    const inner: EvalScope = { ...scope, iterators };
    const labels: string[] = [];
    let skip = false;
    for (const le of labelExprs) {
      const mark = diags.length;
      const v = evaluateInto(le, inner, diags);
      if (diags.length > mark) {
        skip = true;
        break;
      }
      if (v instanceof Unknown) {
        skip = true;
        break;
      }
      if (v === null || v instanceof Sensitive || typeof v === 'object') {
        diags.push(error('Invalid dynamic block label', v === null ? 'Cannot use a null value as a dynamic block label.' : v instanceof Sensitive ? 'Cannot use a marked value as a dynamic block label.' : `Cannot use a ${describeValue(v)} value as a dynamic block label.`, le.range));
        skip = true;
        break;
      }
      labels.push(String(v));
    }
    if (skip) continue;
    const body: Body = content.body ?? { kind: 'Body', items: [], range: content.range };
    const value = decodeInto(body, bs, inner, diags, content.typeRange);
    names.forEach((n, i) => setKey(value, n, labels[i]));
    out.push(value);
  }
  return out;
}

function decodeBlock(b: Block, bs: BlockSchema, scope: EvalScope, diags: Diagnostic[]): ObjectValue | null {
  const names = bs.labels ?? [];
  if (b.labels.length !== names.length) {
    const usage = `${b.type}${names.map((n) => ` "${n.toUpperCase()}"`).join('')} { ... }`;
    diags.push(
      error(
        `Wrong number of labels on "${b.type}" block`,
        `Each "${b.type}" block has ${names.length === 0 ? 'no labels' : `${names.length} label${names.length === 1 ? '' : 's'} (${names.join(', ')})`}: ${usage}`,
        b.labels[names.length]?.range ?? b.typeRange,
      ),
    );
    return null;
  }
  const body: Body = b.body ?? { kind: 'Body', items: [], range: b.range };
  const out = decodeInto(body, bs, scope, diags, b.typeRange);
  names.forEach((n, i) => setKey(out, n, b.labels[i].value));
  return out;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function argumentList(schema: BodySchema): string {
  const names = Object.keys(schema.attributes).filter((n) => {
    const a = schema.attributes[n];
    return !(a.computed && !a.optional && !a.required);
  });
  return names.length === 0 ? 'This block takes no arguments.' : `Arguments here: ${names.sort(compareStrings).join(', ')}.`;
}

function blockList(schema: BodySchema): string {
  const names = Object.keys(schema.blocks ?? {});
  return names.length === 0 ? 'No blocks are allowed here.' : `Blocks here: ${names.sort(compareStrings).join(', ')}.`;
}

/** The first bigint inside `v` (a whole number beyond floats' exact range), if any. */
function firstBigint(v: Value): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (v instanceof Sensitive) return firstBigint(v.value);
  if (Array.isArray(v)) {
    for (const x of v) {
      const b = firstBigint(x);
      if (b !== undefined) return b;
    }
  } else if (v !== null && typeof v === 'object' && !(v instanceof Unknown)) {
    for (const x of Object.values(v)) {
      const b = firstBigint(x);
      if (b !== undefined) return b;
    }
  }
  return undefined;
}
