/**
 * Locals: evaluated lazily, on first reference, and memoised, so a local used by every resource
 * is computed once per scope. A local may refer to other locals; a cycle among them is an error
 * naming every local on it.
 */
import type { ConditionRule, Config, LocalDecl } from '../config/types.js';
import { CONDITION_FAILED, checkRule, checkRules, rangeText } from './conditions.js';
import { ConversionError, convert } from './convert.js';
import { type Diagnostic, type Result, error } from '../diagnostics.js';
import { type EvalScope, evaluateExpr, reportLocal } from './evaluate.js';
import { Sensitive, UNKNOWN, containsSensitive, type Value } from './value.js';

/** Declared local names and resource addresses of a configuration, for `EvalScope.names`. */
export function declaredNames(config: Config): { readonly locals: readonly string[]; readonly resources: readonly string[] } {
  let names = namesCache.get(config);
  if (!names) {
    names = { locals: [...config.locals.keys()], resources: [...config.resources, ...(config.dataSources ?? [])].map((r) => r.address) };
    namesCache.set(config, names);
  }
  return names;
}
const namesCache = new WeakMap<Config, { readonly locals: readonly string[]; readonly resources: readonly string[] }>();

/**
 * Returns the locals of `config` evaluated in `scope` (whose own `local`, `each` and `countIndex`
 * are ignored: locals see neither). The same `Result` object is returned for every call with a
 * name; undefined for an undeclared name. A cycle `local.a -> local.b -> local.a` is reported at
 * the first-declared local on it, once, and every local on it evaluates to unknown.
 */
export function createLocals(config: Config, scope: EvalScope): (name: string) => Result<Value> | undefined {
  const memo = new Map<string, Result<Value>>();
  const inProgress: string[] = [];
  const order = new Map<string, number>();
  let i = 0;
  for (const name of config.locals.keys()) order.set(name, i++);

  const local = (name: string): Result<Value> | undefined => {
    const decl = config.locals.get(name);
    if (decl === undefined) return undefined;
    const known = memo.get(name);
    if (known !== undefined) return known;
    const at = inProgress.indexOf(name);
    if (at >= 0) return { value: UNKNOWN, diagnostics: [cycleDiagnostic(inProgress.slice(at))] };
    inProgress.push(name);
    // A module output's preconditions come before its value, as a root output's do.
    const unmet = decl.preconditions ? checkRules(decl.preconditions, localScope, CONDITION_FAILED.output).diagnostics : [];
    if (unmet.length > 0) {
      inProgress.pop();
      const failed = { value: UNKNOWN, diagnostics: unmet };
      memo.set(name, failed);
      return failed;
    }
    let r = evaluateExpr(decl.expr, localScope);
    const variable = decl.variable;
    if (variable?.nullable === false && r.diagnostics.length === 0 && r.value === null) r = notNull(variable, decl, localScope);
    if (decl.variable && r.diagnostics.length === 0) r = asVariable(r.value, decl.variable, decl);
    inProgress.pop();
    memo.set(name, r);
    // A module input's validation rules read the input itself (memoised above) and its module's other values.
    const rules = decl.variable?.validations;
    if (rules && r.diagnostics.length === 0) {
      const failed = validationDiagnostics(rules, decl, localScope);
      if (failed.length > 0) memo.set(name, (r = { value: r.value, diagnostics: failed }));
    }
    return r;
  };

  const cycleDiagnostic = (members: string[]): Diagnostic => {
    // Start at the local declared first, so the message is the same whichever local was reached first.
    let first = 0;
    for (let k = 1; k < members.length; k++) if (order.get(members[k])! < order.get(members[first])!) first = k;
    const cycle = [...members.slice(first), ...members.slice(0, first)];
    const path = [...cycle, cycle[0]].map((n) => `local.${n}`).join(' -> ');
    const detail = cycle
      .map((n) => {
        const r = config.locals.get(n)!.range;
        return `  local.${n} is declared at ${r.file}:${r.start.line}:${r.start.column}`;
      })
      .join('\n');
    return error(`Cycle in locals: ${path}`, `Each local on the cycle needs the next one's value:\n${detail}`, config.locals.get(cycle[0])!.range);
  };

  const localScope: EvalScope = {
    configDir: scope.configDir,
    variables: scope.variables,
    resource: scope.resource,
    env: scope.env,
    names: scope.names ?? declaredNames(config),
    local,
  };
  return local;
}

/** A null given to a module's `nullable = false` variable: its default, or the error Terraform gives. */
function notNull(variable: NonNullable<LocalDecl['variable']>, decl: LocalDecl, scope: EvalScope): Result<Value> {
  if (variable.default) {
    const d = evaluateExpr(variable.default, scope);
    if (d.diagnostics.length > 0 || d.value !== null) return d;
  }
  return { value: UNKNOWN, diagnostics: [error('Invalid value for input variable', `The given value is not suitable for ${decl.name}: required variable may not be set to null.`, decl.range)] };
}

/** What `rules` say of a module input: a failed rule is Terraform's "Invalid value for variable" at the argument; an unknown one is not checked. */
function validationDiagnostics(rules: readonly ConditionRule[], decl: LocalDecl, scope: EvalScope): Diagnostic[] {
  const diags: Diagnostic[] = [];
  for (const rule of rules) {
    const outcome = checkRule(rule, scope, 'Invalid variable validation result');
    if (outcome.kind === 'invalid') diags.push(...outcome.diagnostics);
    else if (outcome.kind === 'failed') {
      diags.push(error('Invalid value for variable', `${outcome.message}\n\nThis was checked by the validation rule at ${rangeText(rule.range)}.`, decl.range));
    }
  }
  return diags;
}

/** A module input's value converted to its variable's type (and marked sensitive), or the error saying why it cannot be. */
function asVariable(value: Value, variable: NonNullable<LocalDecl['variable']>, decl: LocalDecl): Result<Value> {
  const converted = convert(value, variable.type);
  if (converted instanceof ConversionError) {
    const why = containsSensitive(value) || variable.sensitive ? 'its value is sensitive, so the reason is not shown' : converted.message;
    return { value: UNKNOWN, diagnostics: [error('Invalid value for input variable', `The given value is not suitable for ${decl.name}: ${why}.`, decl.range)] };
  }
  return { value: variable.sensitive && !(converted instanceof Sensitive) ? new Sensitive(converted) : converted, diagnostics: [] };
}

/**
 * Evaluates every local of `config` (in declaration order) and returns the diagnostics not yet
 * reported through references to them: `infra validate` reports errors in unused locals too.
 */
export function localDiagnostics(config: Config, locals: (name: string) => Result<Value> | undefined): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const name of config.locals.keys()) {
    const r = locals(name);
    if (r !== undefined) for (const d of reportLocal(r)) out.push(d);
  }
  return out;
}
