/**
 * Pass "outputs": each output's value before and after - evaluated against the planned values,
 * or gone in a destroy plan. An output showing a secret must say `sensitive = true`.
 */
import { error } from '../diagnostics.js';
import { CONDITION_FAILED, checkRules } from '../evaluate/conditions.js';
import { evaluateExpr } from '../evaluate/evaluate.js';
import { Sensitive, containsSensitive, sensitive as markSensitive, type Value } from '../evaluate/value.js';
import type { PlanContext } from './context.js';
import type { PassResult } from './pass.js';
import type { OutputChange } from './plan.js';

/** The outputs of a normal plan, by name. */
export function plannedOutputs(ctx: PlanContext, pass: PassResult): OutputChange[] {
  const { config, state } = ctx.input;
  const out: OutputChange[] = [];
  for (const [name, decl] of config.outputs) {
    // A precondition that is not known yet is checked again at apply.
    ctx.diagnostics.push(...checkRules(decl.preconditions, pass.scope.scope, CONDITION_FAILED.output).diagnostics);
    const r = evaluateExpr(decl.expr, pass.scope.scope);
    ctx.diagnostics.push(...r.diagnostics);
    const prior = state.outputs[name];
    const isSensitive = decl.sensitive || containsSensitive(r.value);
    if (!decl.sensitive && containsSensitive(r.value)) {
      ctx.diagnostics.push(
        error(
          `Output "${name}" refers to sensitive values`,
          'Add `sensitive = true` to the output to confirm it may hold a secret; it is then never printed.',
          decl.range,
        ),
      );
    }
    out.push({
      name,
      before: prior === undefined ? undefined : prior.sensitive ? new Sensitive(prior.value as Value) : (prior.value as Value),
      after: isSensitive ? markSensitive(r.value) : r.value,
      sensitive: isSensitive,
    });
  }
  for (const [name, prior] of Object.entries(state.outputs)) {
    if (!config.outputs.has(name)) out.push({ name, before: prior.value as Value, after: null, sensitive: prior.sensitive });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** The outputs of a destroy plan: every recorded one goes. */
export function destroyedOutputs(ctx: PlanContext): OutputChange[] {
  return Object.entries(ctx.input.state.outputs).map(([name, prior]) => ({
    name,
    before: prior.sensitive ? new Sensitive(prior.value as Value) : (prior.value as Value),
    after: null,
    sensitive: prior.sensitive,
  }));
}
