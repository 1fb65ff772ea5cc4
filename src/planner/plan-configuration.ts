/**
 * The configuration summary a plan carries (`Plan.configuration`): which expression refers to
 * what, with no values, so the JSON view can give Terraform's `configuration` block and a saved
 * plan shows the same JSON as the run that made it. Pure: reads the loaded configuration only.
 */
import type { Config } from '../config/types.js';
import { referencesOf, type Reference } from '../evaluate/references.js';
import type { Body, Expr } from '../parser/ast.js';
import type { PlanConfiguration, PlanExpression } from './plan.js';

/** A reference as Terraform's JSON writes it: `var.x`, `local.x`, `each.key`, `TYPE.NAME`. */
function referenceText(r: Reference): string[] {
  if (r.kind !== 'resource') return [`${r.kind}.${r.name}`];
  const base = `${r.type}.${r.name}`;
  if (r.key === undefined) return [base];
  return [`${base}[${typeof r.key === 'number' ? r.key : JSON.stringify(r.key)}]`, base];
}

function expression(expr: Expr): PlanExpression {
  const seen = new Set<string>();
  for (const r of referencesOf(expr)) for (const t of referenceText(r)) seen.add(t);
  return { references: [...seen] };
}

function bodyExpressions(body: Body): PlanConfiguration['resources'][number]['expressions'] {
  const out: Record<string, PlanExpression | Record<string, PlanExpression>[]> = {};
  for (const item of body.items) {
    if (item.kind === 'Attribute') out[item.name] = expression(item.expr);
    else if (item.body !== null) {
      const list = (out[item.type] as Record<string, PlanExpression>[] | undefined) ?? [];
      list.push(bodyExpressions(item.body) as Record<string, PlanExpression>);
      out[item.type] = list;
    }
  }
  return out;
}

/** The summary of `config`, resources in source order (then data blocks), outputs and variables by name. */
export function summarizeConfiguration(config: Config): PlanConfiguration {
  const byName = <T extends { name: string }>(xs: Iterable<T>): T[] => [...xs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const calls = config.modules ?? config.moduleTree;
  return {
    // A flattened configuration holds its modules' resources too; they are under moduleCalls.
    resources: [...config.resources.filter((r) => !r.address.startsWith('module.')), ...(config.dataSources ?? []).filter((r) => !r.address.startsWith('module.'))].map((r) => ({
      ...(r.mode ? { mode: r.mode } : {}),
      address: r.address,
      type: r.type,
      name: r.name,
      expressions: bodyExpressions(r.body),
      ...(r.count ? { count: expression(r.count) } : {}),
      ...(r.forEach ? { forEach: expression(r.forEach) } : {}),
      dependsOn: r.dependsOn.map((d) => d.address),
    })),
    outputs: byName(config.outputs.values()).map((o) => ({
      name: o.name,
      expression: expression(o.expr),
      sensitive: o.sensitive,
      ...(o.description !== undefined ? { description: o.description } : {}),
    })),
    variables: byName(config.variables.values()).map((v) => ({
      name: v.name,
      sensitive: v.sensitive,
      required: v.default === undefined,
      ...(v.description !== undefined ? { description: v.description } : {}),
    })),
    ...(calls && calls.size > 0
      ? {
          moduleCalls: byName(calls.values()).map((m) => ({
            name: m.name,
            source: m.source,
            expressions: Object.fromEntries([...m.args].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, a]) => [k, expression(a.expr)])),
            ...(m.count ? { count: expression(m.count) } : {}),
            ...(m.forEach ? { forEach: expression(m.forEach) } : {}),
            dependsOn: m.dependsOn.map((d) => d.address),
            module: summarizeConfiguration(m.config),
          })),
        }
      : {}),
  };
}
