/**
 * Type constraints as written in `variable` blocks: `string`, `number`, `bool`, `any`,
 * `list(T)`, `map(T)`, `object({ name = T, ... })`. They are expressions in the syntax, read here
 * from the AST without evaluating anything.
 */
import { type Diagnostic, didYouMean, error } from '../diagnostics.js';
import type { Expr } from '../parser/ast.js';
import type { Type } from '../evaluate/value.js';

const PRIMITIVES = ['string', 'number', 'bool', 'any'] as const;
const CONSTRUCTORS = ['list', 'map', 'object'] as const;
const EXPECTED = 'A type is one of string, number, bool, any, list(TYPE), map(TYPE) or object({ NAME = TYPE, ... }).';

/** Reads a type constraint; `type` is null (and a diagnostic says why) when it is not one. */
export function typeFromExpr(expr: Expr): { type: Type | null; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const type = read(expr, diagnostics);
  return { type: diagnostics.length > 0 ? null : type, diagnostics };
}

function read(e: Expr, diags: Diagnostic[]): Type | null {
  switch (e.kind) {
    case 'Parens':
      return read(e.expr, diags);
    case 'Variable': {
      const name = e.name;
      if ((PRIMITIVES as readonly string[]).includes(name)) return name as Type;
      if ((CONSTRUCTORS as readonly string[]).includes(name)) {
        diags.push(error(`Invalid type "${name}"`, `${name} needs its element type: ${name === 'object' ? 'object({ NAME = TYPE })' : `${name}(string)`}.`, e.range));
        return null;
      }
      diags.push(error(`Invalid type "${name}"`, didYouMean(name, [...PRIMITIVES, ...CONSTRUCTORS]) ?? EXPECTED, e.range));
      return null;
    }
    case 'Template': {
      const text = e.parts.length === 1 && e.parts[0].kind === 'Text' ? e.parts[0].value : undefined;
      diags.push(error('Invalid type', text !== undefined ? `Types are written without quotes: type = ${text}.` : EXPECTED, e.range));
      return null;
    }
    case 'Call': {
      const name = e.name;
      if (name === 'list' || name === 'map' || name === 'set') {
        if (e.args.length !== 1 || e.expandFinal) {
          diags.push(error(`Invalid type "${name}"`, `${name}(TYPE) takes exactly one element type.`, e.range));
          return null;
        }
        const inner = read(e.args[0], diags);
        if (name === 'set') {
          diags.push(error('Invalid type "set"', 'There is no set type; use list(TYPE) (toset() makes a list of distinct strings).', e.nameRange));
          return null;
        }
        if (inner === null) return null;
        return name === 'list' ? { list: inner } : { map: inner };
      }
      if (name === 'object') {
        const arg = e.args[0];
        if (e.args.length !== 1 || arg.kind !== 'Object') {
          diags.push(error('Invalid type "object"', 'object() takes one object of attribute types: object({ NAME = TYPE, ... }).', e.range));
          return null;
        }
        const attrs: Record<string, Type> = {};
        let ok = true;
        for (const item of arg.items) {
          const key = item.key;
          const name =
            key.kind === 'Template' && key.parts.length === 1 && key.parts[0].kind === 'Text'
              ? key.parts[0].value
              : key.kind === 'Variable'
                ? key.name
                : undefined;
          if (name === undefined) {
            diags.push(error('Invalid object type attribute', 'Attribute names in an object type are plain names.', key.range));
            ok = false;
            continue;
          }
          if (Object.hasOwn(attrs, name)) {
            diags.push(error(`Duplicate attribute "${name}" in object type`, undefined, key.range));
            ok = false;
            continue;
          }
          const t = read(item.value, diags);
          if (t === null) ok = false;
          else Object.defineProperty(attrs, name, { value: t, enumerable: true, writable: true, configurable: true });
        }
        return ok ? { object: attrs } : null;
      }
      diags.push(error(`Invalid type "${name}(...)"`, didYouMean(name, CONSTRUCTORS) ?? EXPECTED, e.nameRange));
      return null;
    }
    default:
      diags.push(error('Invalid type', EXPECTED, e.range));
      return null;
  }
}
