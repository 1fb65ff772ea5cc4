/**
 * Terraform's `action_reason` for a change: the one table from infra's reason codes (and the
 * shape of the change) to Terraform's words, for the JSON views. For display only, as reasons
 * are: nothing decides on it.
 *
 * | change | infra reason | action_reason |
 * |---|---|---|
 * | replace | `replace-requested` (-replace) | `replace_by_request` |
 * | replace | `replace-triggered-by` (lifecycle replace_triggered_by) | `replace_by_triggers` |
 * | replace | `recorded-status` (an incomplete or tainted object) | `replace_because_tainted` |
 * | replace | `provisioning-changed` (blue-green redeploy) | `replace_by_triggers` |
 * | replace | attributes that force it (`replace_paths`) | `replace_because_cannot_update` |
 * | replace | `in-deploy-unit` (a member of a blue-green deploy) | `replace_by_triggers` |
 * | delete | `not-in-configuration`, block gone | `delete_because_no_resource_config` |
 * | delete | `not-in-configuration`, `count` index out of range | `delete_because_count_index` |
 * | delete | `not-in-configuration`, `for_each` key gone | `delete_because_each_key` |
 * | delete | `not-in-configuration`, repetition changed (count <-> for_each <-> single) | `delete_because_wrong_repetition` |
 *
 * Every other change has none (Terraform leaves the field out), as do the reasons Terraform has
 * no word for (`targeted`, `target-depends-on`, `depends-on-destroyed`, `leftover`).
 */
import type { Plan, ResourceChange } from '../planner/plan.js';
import { hasAction } from '../planner/plan.js';

/** Terraform's action reason values this view uses. */
export type TerraformActionReason =
  | 'replace_by_request'
  | 'replace_because_tainted'
  | 'replace_by_triggers'
  | 'replace_because_cannot_update'
  | 'delete_because_no_resource_config'
  | 'delete_because_count_index'
  | 'delete_because_each_key'
  | 'delete_because_wrong_repetition';

function has(c: ResourceChange, code: ResourceChange['reasons'][number]['code']): boolean {
  return c.reasons.some((r) => r.code === code);
}

/** How the configuration repeats the block `type.name`: absent, single, count or for_each. */
function repetition(plan: Plan, c: ResourceChange): 'absent' | 'single' | 'count' | 'for_each' {
  const address = `${c.type}.${c.name}`;
  if (plan.configuration) {
    const r = plan.configuration.resources.find((x) => x.address === address);
    if (!r) return 'absent';
    return r.count ? 'count' : r.forEach ? 'for_each' : 'single';
  }
  // A plan without the configuration summary: instances of the block that stay tell.
  const kept = plan.changes.find((x) => x.type === c.type && x.name === c.name && x.after !== null);
  if (!kept) return 'absent';
  return kept.index === null ? 'single' : typeof kept.index === 'number' ? 'count' : 'for_each';
}

/** The `action_reason` of `c` in `plan`, or undefined when Terraform would give none. */
export function terraformActionReason(plan: Plan, c: ResourceChange): TerraformActionReason | undefined {
  const replace = c.actions.length === 2;
  if (replace) {
    if (has(c, 'replace-requested')) return 'replace_by_request';
    if (has(c, 'replace-triggered-by')) return 'replace_by_triggers';
    if (has(c, 'recorded-status')) return 'replace_because_tainted';
    if (has(c, 'provisioning-changed')) return 'replace_by_triggers';
    if (c.replacePaths.length > 0) return 'replace_because_cannot_update';
    if (has(c, 'in-deploy-unit')) return 'replace_by_triggers';
    return undefined;
  }
  if (hasAction(c.actions, 'delete') && has(c, 'not-in-configuration')) {
    const rep = repetition(plan, c);
    if (rep === 'absent') return 'delete_because_no_resource_config';
    if (rep === 'count' && typeof c.index === 'number') return 'delete_because_count_index';
    if (rep === 'for_each' && typeof c.index === 'string') return 'delete_because_each_key';
    return 'delete_because_wrong_repetition';
  }
  return undefined;
}
