/** Small helpers for evaluator tests: parse an expression and evaluate it in a made-up scope. */
import { expect } from 'chai';
import type { Diagnostic, Result } from '../../src/diagnostics.js';
import { evaluateExpr, type EvalScope } from '../../src/evaluate/evaluate.js';
import type { Expr } from '../../src/parser/ast.js';
import { parseExpression } from '../../src/parser/index.js';
import type { Value } from '../../src/evaluate/value.js';

export function expr(source: string): Expr {
  const r = parseExpression(source, 'test.infra');
  expect(r.diagnostics.map((d) => d.summary), `parse ${source}`).to.deep.equal([]);
  return r.expr!;
}

/** A scope with the given variables, locals (as values) and resources. */
export function scope(opts: {
  vars?: Record<string, Value>;
  locals?: Record<string, Value>;
  resources?: Record<string, Value>;
  each?: { key: Value; value: Value };
  countIndex?: number;
  env?: NodeJS.ProcessEnv;
  configDir?: string;
} = {}): EvalScope {
  const locals = opts.locals ?? {};
  const resources = opts.resources ?? {};
  return {
    configDir: opts.configDir ?? '/config',
    variables: new Map(Object.entries(opts.vars ?? {})),
    local: (name) => (Object.hasOwn(locals, name) ? { value: locals[name], diagnostics: [] } : undefined),
    resource: (type, name) => (Object.hasOwn(resources, `${type}.${name}`) ? resources[`${type}.${name}`] : undefined),
    env: opts.env ?? {},
    names: { locals: Object.keys(locals), resources: Object.keys(resources) },
    ...(opts.each ? { each: opts.each } : {}),
    ...(opts.countIndex !== undefined ? { countIndex: opts.countIndex } : {}),
  };
}

export function run(source: string, s: EvalScope = scope()): Result<Value> {
  return evaluateExpr(expr(source), s);
}

/** The value of an expression that must evaluate without diagnostics. */
export function value(source: string, s: EvalScope = scope()): Value {
  const r = run(source, s);
  expect(r.diagnostics.map((d) => `${d.summary}: ${d.detail}`), `evaluate ${source}`).to.deep.equal([]);
  return r.value;
}

/** The first diagnostic of an expression that must fail. */
export function failure(source: string, s: EvalScope = scope()): Diagnostic {
  const r = run(source, s);
  expect(r.diagnostics.length, `expected ${source} to fail`).to.be.greaterThan(0);
  return r.diagnostics[0];
}
