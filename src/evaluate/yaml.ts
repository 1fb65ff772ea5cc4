/**
 * `yamlencode`: YAML 1.2 block style as Terraform prints it (go-cty-yaml): keys sorted, strings
 * and keys double-quoted, a string with a newline as a literal block (`|`, `|-`, `|+`), empty
 * collections as `[]` and `{}`, sequences inside a mapping not indented (checked against
 * `terraform console`). Long strings are not
 * folded (Terraform's emitter folds double-quoted strings past 80 columns; both read back alike).
 */
import { numberToString } from './convert.js';
import type { Json } from './value.js';

/** The YAML document for `value`, ending in a newline. */
export function yamlEncode(value: Json): string {
  const lines: string[] = [];
  emit(value, '', lines, null);
  return lines.join('\n') + '\n';
}

function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0) || c === 0xfeff) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/** Printable text without carriage returns that a literal block can hold as it is. */
function literalOk(s: string): boolean {
  return !/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\ufeff]/.test(s) && !s.startsWith('\n');
}

function scalar(v: Json): string | undefined {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number' || typeof v === 'bigint') return numberToString(v);
  if (typeof v === 'string') return quote(v);
  if (Array.isArray(v) && v.length === 0) return '[]';
  if (!Array.isArray(v) && typeof v === 'object' && Object.keys(v).length === 0) return '{}';
  return undefined;
}

/**
 * Appends `v` at `indent`. `head` is the text the first line starts with (`"key":` or `-`,
 * already indented); null at the top of the document.
 */
function emit(v: Json, indent: string, lines: string[], head: string | null): void {
  if (typeof v === 'string' && v.includes('\n') && literalOk(v)) {
    const body = v.replace(/\n+$/, '');
    const trailing = v.length - body.length;
    // A first line that starts with a space needs the indentation given (`|2-`).
    const indicator = (v.startsWith(' ') ? '|2' : '|') + (trailing === 0 ? '-' : trailing === 1 ? '' : '+');
    lines.push(head === null ? indicator : `${head} ${indicator}`);
    const inner = head === null ? '  ' : indent;
    for (const line of (trailing > 1 ? v.slice(0, -1) : body).split('\n')) lines.push(line === '' ? '' : inner + line);
    return;
  }
  const s = scalar(v);
  if (s !== undefined) {
    lines.push(head === null ? s : `${head} ${s}`);
    return;
  }
  if (Array.isArray(v)) {
    // A sequence starts on its own line under a key; inside another sequence it stays on the dash's line.
    let first = head !== null && head.trimStart().startsWith('-') && !head.trimEnd().endsWith(':') ? head : null;
    if (head !== null && first === null) lines.push(head);
    for (const x of v) {
      const dash = first !== null ? `${first} -` : `${indent}-`;
      first = null;
      emit(x, indent + '  ', lines, dash);
    }
    return;
  }
  const obj = v as { readonly [k: string]: Json };
  const keys = Object.keys(obj).sort();
  let first = head !== null && head.trimStart().startsWith('-') && !head.trimEnd().endsWith(':') ? head : null;
  if (head !== null && first === null) lines.push(head);
  const inner = head === null ? '' : indent;
  for (const k of keys) {
    const keyHead = first !== null ? `${first} ${quote(k)}:` : `${inner}${quote(k)}:`;
    first = null;
    const x = obj[k];
    const childIndent = Array.isArray(x) && x.length > 0 ? inner : inner + '  ';
    emit(x, childIndent, lines, keyHead);
  }
}
