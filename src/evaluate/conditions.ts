/**
 * Custom conditions: `validation` blocks of variables, `precondition` and `postcondition` blocks
 * of resources and outputs. One rule is a condition that must be true and the message to show
 * when it is not. Evaluation is pure: the caller picks the scope (what `self` and the references
 * see) and turns a failed rule into its own diagnostic; a condition that is not known yet is
 * neither passed nor failed (it is checked later, when its values are known).
 */
import type { ConditionRule } from '../config/types.js';
import { type Diagnostic, type SourceRange, error } from '../diagnostics.js';
import { ConversionError, convert } from './convert.js';
import { type EvalScope, evaluateExpr } from './evaluate.js';
import { Sensitive, Unknown, containsSensitive, containsUnknown, type Value } from './value.js';

/** What checking one rule found. `diagnostics` are errors in the rule itself (not its failure). */
export type RuleOutcome =
  | { readonly kind: 'passed' }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'invalid'; readonly diagnostics: readonly Diagnostic[] };

/** Shown instead of a message that holds a sensitive value, as Terraform does. */
export const SENSITIVE_MESSAGE = 'The error message included a sensitive value, so it will not be displayed.';

/**
 * Checks `rule` in `scope`. `resultSummary` names a non-bool result ("Invalid condition result";
 * Terraform says "Invalid variable validation result" for variables).
 */
export function checkRule(rule: ConditionRule, scope: EvalScope, resultSummary = 'Invalid condition result'): RuleOutcome {
  const c = evaluateExpr(rule.condition, scope);
  if (c.diagnostics.length > 0) return { kind: 'invalid', diagnostics: c.diagnostics };
  let result: Value = c.value;
  if (result instanceof Sensitive) result = result.value;
  if (result instanceof Unknown) return { kind: 'unknown' };
  if (result === null) {
    return { kind: 'invalid', diagnostics: [error(resultSummary, 'Condition expression must return either true or false, not null.', rule.condition.range)] };
  }
  const b = convert(result, 'bool');
  if (b instanceof ConversionError || typeof b !== 'boolean') {
    const why = b instanceof ConversionError ? b.message : 'a bool is required';
    return { kind: 'invalid', diagnostics: [error(resultSummary, `Invalid validation condition result value: ${why}.`, rule.condition.range)] };
  }
  if (b) return { kind: 'passed' };
  const m = evaluateExpr(rule.errorMessage, scope);
  if (m.diagnostics.length > 0) return { kind: 'invalid', diagnostics: m.diagnostics };
  if (containsSensitive(m.value)) return { kind: 'failed', message: SENSITIVE_MESSAGE };
  if (containsUnknown(m.value) || m.value === null) return { kind: 'failed', message: 'The condition failed, but its error message could not be evaluated.' };
  const text = convert(m.value, 'string');
  if (text instanceof ConversionError || typeof text !== 'string') {
    const why = text instanceof ConversionError ? text.message : 'a string is required';
    return { kind: 'invalid', diagnostics: [error('Invalid error message', `Unsuitable value for error message: ${why}.`, rule.errorMessage.range)] };
  }
  return { kind: 'failed', message: text };
}

/** `main.infra:10,3-13` (one line) or `main.infra:10,3-12,4`: a range as Terraform writes it in prose. */
export function rangeText(r: SourceRange): string {
  const end = r.end.line === r.start.line ? `${r.end.column}` : `${r.end.line},${r.end.column}`;
  return `${r.file}:${r.start.line},${r.start.column}-${end}`;
}

/**
 * Checks every rule; a failed one is an error `summary` (`Resource precondition failed`) at its
 * condition, whose detail is the rule's message. `unknown` counts the rules not known yet.
 */
export function checkRules(rules: readonly ConditionRule[] | undefined, scope: EvalScope, summary: string): { diagnostics: Diagnostic[]; unknown: number } {
  const diagnostics: Diagnostic[] = [];
  let unknown = 0;
  for (const rule of rules ?? []) {
    const outcome = checkRule(rule, scope);
    if (outcome.kind === 'invalid') diagnostics.push(...outcome.diagnostics);
    else if (outcome.kind === 'unknown') unknown++;
    else if (outcome.kind === 'failed') diagnostics.push(error(summary, outcome.message, rule.condition.range));
  }
  return { diagnostics, unknown };
}

/** Terraform's summaries of failed conditions, by where the rule is written. */
export const CONDITION_FAILED = {
  precondition: 'Resource precondition failed',
  postcondition: 'Resource postcondition failed',
  output: 'Module output value precondition failed',
} as const;
