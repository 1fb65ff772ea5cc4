/**
 * The difference between two attribute values, as plain data: which attributes, list elements
 * and text lines were added, removed or changed. Renderers (text, Markdown) turn it into lines;
 * they never compare values themselves, so every format shows the same diff.
 */
import { diffArrays, diffLines } from 'diff';
import { Sensitive, Unknown, containsSensitive, isObject, sensitive, type Value } from '../evaluate/value.js';
import { sameStoredValue } from '../state/sensitive.js';
import type { OutputChange } from '../planner/plan.js';
import { formatKey, isMultilineString, splitLines } from './format-value.js';

/** What happened to one value. `same` values are hidden by most renderers. */
export type DiffAction = 'same' | 'create' | 'delete' | 'update';

/** A value shown whole: a scalar, an unknown, a sensitive value, an empty list or object. */
export interface LeafDiff {
  readonly kind: 'leaf';
  readonly action: DiffAction;
  /** Absent when created. */
  readonly before?: Value;
  /** Absent when deleted. */
  readonly after?: Value;
}

/** One attribute (object key) of an object diff. */
export interface EntryDiff {
  readonly key: string;
  /** `tags.env`, `ports[0]`: the path as `replacePaths` names it. */
  readonly path: string;
  readonly diff: ValueDiff;
  /** The planner named this path as forcing the replacement, and it changed. */
  readonly forcesReplacement: boolean;
}

/** An object compared key by key. */
export interface ObjectDiff {
  readonly kind: 'object';
  readonly action: DiffAction;
  /** In key order (sorted), as Terraform shows them. */
  readonly entries: readonly EntryDiff[];
}

/** A list compared element by element (a longest-common-subsequence diff). */
export interface ListDiff {
  readonly kind: 'list';
  readonly action: DiffAction;
  /** Elements in the order they appear: removed ones where they were, added ones where they go. */
  readonly elements: readonly ValueDiff[];
}

/** One line of a multi-line string: added, removed or unchanged. */
export interface TextLine {
  readonly op: '+' | '-' | ' ';
  readonly text: string;
}

/**
 * A multi-line string (zone file, nginx configuration), compared line by line. With
 * `becomesUnknown` the text is replaced by a value known only after apply: `lines` are the old
 * text, unchanged (Terraform shows them whole, then `-> (known after apply)`).
 */
export interface TextDiff {
  readonly kind: 'text';
  readonly action: DiffAction;
  readonly lines: readonly TextLine[];
  readonly becomesUnknown?: true;
}

/** The difference between two values; `action` says what happened to the value as a whole. */
export type ValueDiff = LeafDiff | ObjectDiff | ListDiff | TextDiff;

/**
 * Equal values with equal sensitivity, a secret's stored form equal to the secret it stands for
 * (`sameStoredValue`). Marks are otherwise ignored, but a value that became sensitive is still a
 * change people should see.
 */
export function sameValue(a: Value, b: Value): boolean {
  return sameStoredValue(a, b) && containsSensitive(a) === containsSensitive(b);
}

/** A non-empty plain object or list: shown element by element rather than whole. */
function isStructured(v: Value | undefined): boolean {
  if (v === undefined || v instanceof Sensitive || v instanceof Unknown) return false;
  if (Array.isArray(v)) return v.length > 0;
  return isObject(v) && Object.keys(v).length > 0;
}

function childPath(path: string, key: string): string {
  const part = formatKey(key);
  if (path === '') return part;
  return part.startsWith('"') ? `${path}[${part}]` : `${path}.${part}`;
}

function textDiff(before: string | undefined, after: string | undefined): TextDiff {
  if (before === undefined) return { kind: 'text', action: 'create', lines: splitLines(after ?? '').map((text) => ({ op: '+', text })) };
  if (after === undefined) return { kind: 'text', action: 'delete', lines: splitLines(before).map((text) => ({ op: '-', text })) };
  if (before === after) return { kind: 'text', action: 'same', lines: splitLines(after).map((text) => ({ op: ' ', text })) };
  // Both end in a newline for the comparison, so a missing final newline does not mark the last line changed.
  const withNewline = (s: string) => (s.endsWith('\n') ? s : `${s}\n`);
  const lines: TextLine[] = [];
  for (const part of diffLines(withNewline(before), withNewline(after))) {
    const op = part.added ? '+' : part.removed ? '-' : ' ';
    for (const text of splitLines(part.value)) lines.push({ op, text });
  }
  return { kind: 'text', action: 'update', lines };
}

function objectDiff(
  before: Readonly<Record<string, Value>> | undefined,
  after: Readonly<Record<string, Value>> | undefined,
  path: string,
  replacePaths: ReadonlySet<string>,
): ObjectDiff {
  let keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].sort();
  // A created object's null attributes say nothing (Terraform leaves them out too); in an update
  // a value that becomes null is a change and stays.
  if (!before && after) keys = keys.filter((key) => after[key] !== null);
  const entries = keys.map((key): EntryDiff => {
    const p = childPath(path, key);
    const b = before && Object.prototype.hasOwnProperty.call(before, key) ? before[key] : undefined;
    const a = after && Object.prototype.hasOwnProperty.call(after, key) ? after[key] : undefined;
    const diff = diffValues(b, a, p, replacePaths);
    return { key, path: p, diff, forcesReplacement: diff.action !== 'same' && replacePaths.has(p) };
  });
  const action: DiffAction = !before ? 'create' : !after ? 'delete' : entries.every((e) => e.diff.action === 'same') ? 'same' : 'update';
  return { kind: 'object', action, entries };
}

function listDiff(before: readonly Value[] | undefined, after: readonly Value[] | undefined, path: string, replacePaths: ReadonlySet<string>): ListDiff {
  if (!before || !after) {
    const elements = (before ?? after ?? []).map((v, i) =>
      before ? diffValues(v, undefined, `${path}[${i}]`, replacePaths) : diffValues(undefined, v, `${path}[${i}]`, replacePaths),
    );
    return { kind: 'list', action: before ? 'delete' : 'create', elements };
  }
  const elements: ValueDiff[] = [];
  let beforeIndex = 0;
  let afterIndex = 0;
  let removed: Value[] = [];
  const flushRemoved = (added: readonly Value[]) => {
    // Removed and added structured values (blocks in a list) are paired in order, so a changed
    // block shows its changed attributes instead of two whole copies.
    const partners = added.flatMap((v, i) => (isStructured(v) ? [i] : []));
    let paired = 0;
    for (const v of removed) {
      if (isStructured(v) && paired < partners.length) {
        elements.push(diffValues(v, added[partners[paired++]], `${path}[${afterIndex}]`, replacePaths));
      } else {
        elements.push(diffValues(v, undefined, `${path}[${beforeIndex}]`, replacePaths));
      }
      beforeIndex++;
    }
    const pairedAdds = new Set(partners.slice(0, paired));
    added.forEach((v, i) => {
      if (!pairedAdds.has(i)) elements.push(diffValues(undefined, v, `${path}[${afterIndex}]`, replacePaths));
      afterIndex++;
    });
    removed = [];
  };
  for (const part of diffArrays([...before], [...after], { comparator: sameValue })) {
    if (part.removed) {
      removed.push(...part.value);
    } else if (part.added) {
      flushRemoved(part.value);
    } else {
      flushRemoved([]);
      for (const v of part.value) {
        elements.push({ kind: 'leaf', action: 'same', before: v, after: v });
        beforeIndex++;
        afterIndex++;
      }
    }
  }
  flushRemoved([]);
  return { kind: 'list', action: elements.every((e) => e.action === 'same') ? 'same' : 'update', elements };
}

/**
 * Compares two values. `undefined` means absent (the attribute or element does not exist on
 * that side); `null` is a value. `replacePaths` holds paths (`image`, `tags.env`) that force
 * replacement, for the `# forces replacement` note.
 */
export function diffValues(before: Value | undefined, after: Value | undefined, path = '', replacePaths: ReadonlySet<string> = new Set()): ValueDiff {
  if (before === undefined && after === undefined) return { kind: 'leaf', action: 'same', before: null, after: null };
  if (isMultilineString(before) && after instanceof Unknown) {
    return { kind: 'text', action: 'update', lines: splitLines(before).map((text) => ({ op: ' ', text })), becomesUnknown: true };
  }
  const multiline = (isMultilineString(before) || before === undefined) && (isMultilineString(after) || after === undefined);
  const mixedText = (isMultilineString(before) && typeof after === 'string') || (isMultilineString(after) && typeof before === 'string');
  if (multiline || mixedText) return textDiff(before as string | undefined, after as string | undefined);

  const structuredBefore = before === undefined || isStructured(before);
  const structuredAfter = after === undefined || isStructured(after);
  if (structuredBefore && structuredAfter) {
    const bothLists = (before === undefined || Array.isArray(before)) && (after === undefined || Array.isArray(after));
    if (bothLists) return listDiff(before as readonly Value[] | undefined, after as readonly Value[] | undefined, path, replacePaths);
    const bothObjects = (before === undefined || isObject(before)) && (after === undefined || isObject(after));
    if (bothObjects) return objectDiff(before as Readonly<Record<string, Value>> | undefined, after as Readonly<Record<string, Value>> | undefined, path, replacePaths);
  }
  if (before === undefined) return { kind: 'leaf', action: 'create', after };
  if (after === undefined) return { kind: 'leaf', action: 'delete', before };
  return { kind: 'leaf', action: sameValue(before, after) ? 'same' : 'update', before, after };
}

/**
 * The attribute diff of a resource (or any attribute map): `null` on one side means the object
 * does not exist there (created or destroyed).
 */
export function diffAttributes(
  before: Readonly<Record<string, Value>> | null,
  after: Readonly<Record<string, Value>> | null,
  replacePaths: readonly string[] = [],
): ObjectDiff {
  return objectDiff(before ?? undefined, after ?? undefined, '', new Set(replacePaths));
}

/**
 * The changed outputs as one attribute-map diff keyed by output name; unchanged outputs are
 * left out. An output whose new value is null is shown as removed. Sensitive outputs are
 * compared, then shown redacted.
 */
export function diffOutputs(outputs: readonly OutputChange[]): ObjectDiff {
  const before: Record<string, Value> = {};
  const after: Record<string, Value> = {};
  for (const o of outputs) {
    const mark = (v: Value) => (o.sensitive ? sensitive(v) : v);
    if (o.before !== undefined && sameValue(o.before, o.after)) continue;
    if (o.before !== undefined) before[o.name] = mark(o.before);
    if (o.before === undefined || o.after !== null) after[o.name] = mark(o.after);
  }
  return objectDiff(before, after, '', new Set());
}
