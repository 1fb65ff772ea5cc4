/**
 * Linode's `X-Filter` header for the emulator: a JSON object whose keys are fields (equality, or
 * an operator object such as `{"+gte": 2}`) combined with "and", plus `+and` / `+or` arrays of
 * filters and `+order_by` / `+order`. A list field (tags) equals a value when it contains it.
 * Filtering on a field that is not filterable is an error, as it is on Linode, and so is a list
 * as the value of a field (`{"tags": ["a", "b"]}`): Linode takes one value per condition, and
 * several tags are asked for with `+and` / `+or`.
 */

type Row = Readonly<Record<string, unknown>>;

/** A filter ready to match rows, or why the API would refuse it. */
export type CompiledFilter =
  | {
      readonly ok: true;
      readonly matches: (row: Row) => boolean;
      readonly orderBy: string | null;
      readonly order: 'asc' | 'desc';
    }
  | { readonly ok: false; readonly reason: string };

const COMPARISONS = new Set(['+eq', '+neq', '+gt', '+gte', '+lt', '+lte', '+contains']);

/** Compiles a parsed X-Filter for rows whose filterable fields are `filterable`. */
export function compileFilter(filter: unknown, filterable: ReadonlySet<string>): CompiledFilter {
  let orderBy: string | null = null;
  let order: 'asc' | 'desc' = 'asc';

  const compile = (f: unknown, top: boolean): ((row: Row) => boolean) | string => {
    if (!isObject(f)) return 'Filter must be an object';
    const tests: Array<(row: Row) => boolean> = [];
    for (const [key, value] of Object.entries(f)) {
      if (key === '+order_by' || key === '+order-by') {
        if (!top) return `${key} is only allowed at the top level`;
        if (typeof value !== 'string' || !filterable.has(value)) return `Cannot order by ${String(value)}`;
        orderBy = value;
      } else if (key === '+order') {
        if (value !== 'asc' && value !== 'desc') return '+order must be "asc" or "desc"';
        order = value;
      } else if (key === '+and' || key === '+or') {
        if (!Array.isArray(value) || value.length === 0) return `${key} must be a non-empty list of filters`;
        const parts: Array<(row: Row) => boolean> = [];
        for (const sub of value) {
          const c = compile(sub, false);
          if (typeof c === 'string') return c;
          parts.push(c);
        }
        tests.push(key === '+and' ? (row) => parts.every((p) => p(row)) : (row) => parts.some((p) => p(row)));
      } else if (key.startsWith('+')) {
        return `Unknown filter operator ${key}`;
      } else {
        if (!filterable.has(key)) return `Cannot filter on ${key}`;
        const c = compileCondition(key, value);
        if (typeof c === 'string') return c;
        tests.push(c);
      }
    }
    return (row) => tests.every((t) => t(row));
  };

  const compiled = compile(filter, true);
  if (typeof compiled === 'string') return { ok: false, reason: compiled };
  return { ok: true, matches: compiled, orderBy, order };
}

function compileCondition(field: string, condition: unknown): ((row: Row) => boolean) | string {
  if (Array.isArray(condition)) return `Invalid value for filter on ${field}: expected a single value, not a list`;
  if (!isObject(condition)) return (row) => equals(row[field], condition);
  const tests: Array<(row: Row) => boolean> = [];
  for (const [op, operand] of Object.entries(condition)) {
    if (!COMPARISONS.has(op)) return `Unknown filter operator ${op} on ${field}`;
    tests.push((row) => compare(op, row[field], operand));
  }
  return (row) => tests.every((t) => t(row));
}

function equals(actual: unknown, wanted: unknown): boolean {
  if (Array.isArray(actual)) return actual.some((a) => a === wanted);
  return actual === wanted;
}

function compare(op: string, actual: unknown, operand: unknown): boolean {
  switch (op) {
    case '+eq':
      return equals(actual, operand);
    case '+neq':
      return !equals(actual, operand);
    case '+contains':
      if (typeof operand !== 'string') return false;
      if (Array.isArray(actual)) return actual.some((a) => typeof a === 'string' && a.includes(operand));
      return typeof actual === 'string' && actual.includes(operand);
    default: {
      if (typeof actual !== 'number' || typeof operand !== 'number') return false;
      if (op === '+gt') return actual > operand;
      if (op === '+gte') return actual >= operand;
      if (op === '+lt') return actual < operand;
      return actual <= operand;
    }
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
