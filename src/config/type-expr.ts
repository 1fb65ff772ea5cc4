/**
 * Type constraints as written in `variable` blocks: `string`, `number`, `bool`, `any`,
 * `list(T)`, `set(T)`, `map(T)`, `tuple([T, ...])`, `object({ name = T, ... })` whose attributes
 * may be `optional(T)` or `optional(T, DEFAULT)`. They are expressions in the syntax, read here
 * from the AST; only an optional attribute's default is evaluated, as a literal.
 */
import { type Diagnostic, didYouMean, error } from '../diagnostics.js';
import type { Expr } from '../parser/ast.js';
import { ConversionError, convert } from '../evaluate/convert.js';
import { evaluateLiteral } from '../evaluate/evaluate.js';
import type { Type, Value } from '../evaluate/value.js';

const PRIMITIVES = ['string', 'number', 'bool', 'any'] as const;
const CONSTRUCTORS = ['list', 'set', 'map', 'tuple', 'object'] as const;
const EXPECTED = 'A type is one of string, number, bool, any, list(TYPE), set(TYPE), map(TYPE), tuple([TYPE, ...]) or object({ NAME = TYPE, ... }).';
const LITERAL_DEFAULT = "An optional attribute's default must be a literal value: it cannot refer to variables, locals or resources.";

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
        const usage = name === 'object' ? 'object({ NAME = TYPE })' : name === 'tuple' ? 'tuple([string, number])' : `${name}(string)`;
        diags.push(error(`Invalid type "${name}"`, `${name} needs its element type${name === 'object' || name === 'tuple' ? 's' : ''}: ${usage}.`, e.range));
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
        if (inner === null) return null;
        return name === 'list' ? { list: inner } : name === 'set' ? { set: inner } : { map: inner };
      }
      if (name === 'tuple') {
        const arg = e.args[0];
        if (e.args.length !== 1 || e.expandFinal || arg.kind !== 'Tuple') {
          diags.push(error('Invalid type "tuple"', 'tuple() takes one list of element types: tuple([string, number]).', e.range));
          return null;
        }
        const elements: Type[] = [];
        let ok = true;
        for (const item of arg.items) {
          const t = read(item, diags);
          if (t === null) ok = false;
          else elements.push(t);
        }
        return ok ? { tuple: elements } : null;
      }
      if (name === 'optional') {
        diags.push(error('Invalid type specification', 'Keyword "optional" is valid only as a modifier for object type attributes.', e.range));
        return null;
      }
      if (name === 'object') {
        const arg = e.args[0];
        if (e.args.length !== 1 || arg.kind !== 'Object') {
          diags.push(error('Invalid type "object"', 'object() takes one object of attribute types: object({ NAME = TYPE, ... }).', e.range));
          return null;
        }
        const attrs: Record<string, Type> = {};
        const optional: Record<string, { default: Value }> = {};
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
          const v = item.value;
          const modifier = v.kind === 'Call' && v.name === 'optional' ? v : undefined;
          if (modifier && (modifier.args.length === 0 || modifier.args.length > 2 || modifier.expandFinal)) {
            diags.push(
              error(
                'Invalid type specification',
                modifier.args.length === 0 ? 'Optional attribute modifier requires the attribute type as its first argument.' : 'Optional attribute modifier expects at most two arguments: the attribute type, and a default value.',
                modifier.range,
              ),
            );
            ok = false;
            continue;
          }
          const t = read(modifier ? modifier.args[0] : v, diags);
          if (t === null) {
            ok = false;
            continue;
          }
          defineKey(attrs, name, t);
          if (!modifier) continue;
          let fallback: Value = null;
          if (modifier.args.length === 2) {
            const d = modifier.args[1];
            const r = evaluateLiteral(d, LITERAL_DEFAULT);
            for (const x of r.diagnostics) diags.push(x);
            const c = r.diagnostics.length > 0 ? null : convert(r.value, t);
            if (c instanceof ConversionError) {
              diags.push(error('Invalid default value for optional attribute', `This default value is not compatible with the attribute's type constraint: ${c.message}.`, d.range));
            }
            if (r.diagnostics.length > 0 || c instanceof ConversionError) {
              ok = false;
              continue;
            }
            fallback = c;
          }
          defineKey(optional, name, { default: fallback });
        }
        if (!ok) return null;
        return Object.keys(optional).length > 0 ? { object: attrs, optional } : { object: attrs };
      }
      diags.push(error(`Invalid type "${name}(...)"`, didYouMean(name, CONSTRUCTORS) ?? EXPECTED, e.nameRange));
      return null;
    }
    default:
      diags.push(error('Invalid type', EXPECTED, e.range));
      return null;
  }
}

/** Sets an own property, even `__proto__`, without touching the prototype chain. */
function defineKey<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
