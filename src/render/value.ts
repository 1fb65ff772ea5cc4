/**
 * One value in the language's own notation, for state and output listings. Sensitive values
 * print as `(sensitive value)`, unknown ones as `(known after apply)`, a set as `toset([...])`
 * (as `terraform output` names one).
 */
import { Sensitive, Unknown, isObject, isSetValue, type Value } from '../evaluate/value.js';

export function renderValue(v: Value, indent: string): string {
  if (v instanceof Sensitive) return '(sensitive value)';
  if (v instanceof Unknown) return '(known after apply)';
  if (v === null) return 'null';
  if (typeof v === 'string') {
    if (v.includes('\n')) {
      const body = v.replace(/\n$/, '').split('\n').map((l) => `${indent}  ${l}`).join('\n');
      return `<<-EOT\n${body}\n${indent}EOT`;
    }
    return JSON.stringify(v);
  }
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) {
    if (isSetValue(v)) return `toset(${renderValue(v.slice(), indent)})`;
    if (v.length === 0) return '[]';
    if (v.every((x) => typeof x !== 'object' || x === null) && v.length <= 4) return `[${v.map((x) => renderValue(x, indent)).join(', ')}]`;
    return `[\n${v.map((x) => `${indent}  ${renderValue(x, indent + '  ')},`).join('\n')}\n${indent}]`;
  }
  if (isObject(v)) {
    const keys = Object.keys(v);
    if (keys.length === 0) return '{}';
    const width = Math.max(...keys.map((k) => k.length));
    return `{\n${keys.map((k) => `${indent}  ${k.padEnd(width)} = ${renderValue(v[k], indent + '  ')}`).join('\n')}\n${indent}}`;
  }
  return String(v);
}
