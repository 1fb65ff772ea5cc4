/**
 * What apply knows about the world while it runs: the current attribute values of every
 * instance (from state, then from each completed step), and how to evaluate an instance's
 * configuration against them - so a step gets the values its dependencies actually got.
 */
import type { Config, ResourceDecl } from '../config/types.js';
import { type Diagnostic, error } from '../diagnostics.js';
import type { EvalScope } from '../evaluate/evaluate.js';
import { decodeBody, expandInstances, instanceAddress } from '../evaluate/resource.js';
import { UNKNOWN, type ObjectValue, type Value } from '../evaluate/value.js';
import type { Plan } from '../planner/plan.js';
import { type TypeInfo, stateValues } from '../planner/planner.js';
import { type BlockValues, type InstanceIndex, ValueScope } from '../planner/scope.js';
import type { StateFile } from '../state/types.js';

export class World {
  /** Current values by instance address. */
  private readonly values = new Map<string, ObjectValue>();
  private readonly byBlock: Map<string, ResourceDecl>;

  constructor(
    private readonly config: Config,
    private readonly variables: ReadonlyMap<string, Value>,
    private readonly env: NodeJS.ProcessEnv,
    private readonly plan: Plan,
    state: StateFile,
  ) {
    this.byBlock = new Map(config.resources.map((r) => [r.address, r]));
    for (const inst of state.resources) if (inst.live) this.values.set(inst.address, stateValues(inst));
  }

  set(address: string, values: ObjectValue): void {
    this.values.set(address, values);
  }

  get(address: string): ObjectValue | undefined {
    return this.values.get(address);
  }

  /** Block values for a scope: the instances the plan keeps, with current (or planned) values. */
  private blocks(): Map<string, BlockValues> {
    const blocks = new Map<string, BlockValues>();
    for (const c of this.plan.changes) {
      if (c.after === null) continue;
      const blockAddr = `${c.type}.${c.name}`;
      const decl = this.byBlock.get(blockAddr);
      if (!decl) continue;
      let b = blocks.get(blockAddr);
      if (!b) {
        b = { decl, instances: new Map<InstanceIndex, ObjectValue>() };
        blocks.set(blockAddr, b);
      }
      b.instances.set(c.index, this.values.get(c.address) ?? (c.after as ObjectValue));
    }
    return blocks;
  }

  /** A scope over the current values, for outputs. */
  outputScope(): EvalScope {
    return new ValueScope({ config: this.config, variables: this.variables, env: this.env }, this.blocks()).scope;
  }

  /** Evaluates the configuration of the instance at `address` with the current values. */
  evaluate(address: string, info: TypeInfo): { config: Record<string, Value> | null; diagnostics: Diagnostic[] } {
    const change = this.plan.changes.find((c) => c.address === address && c.after !== null);
    if (!change) return { config: null, diagnostics: [error(`${address} is not in the plan`)] };
    const decl = this.byBlock.get(`${change.type}.${change.name}`);
    if (!decl) return { config: null, diagnostics: [error(`${address} is no longer in the configuration`, 'The configuration changed since the plan was made; plan again.')] };
    const scope = new ValueScope({ config: this.config, variables: this.variables, env: this.env }, this.blocks());
    const expanded = expandInstances(decl, scope.scope);
    const diagnostics: Diagnostic[] = [...expanded.diagnostics];
    const keys = expanded.value;
    if ('unknown' in keys) return { config: null, diagnostics: [...diagnostics, error(`The instances of ${decl.address} are not known`)] };
    const key = keys.keys.find((k) => instanceAddress(decl, k.index) === address);
    if (!key) {
      return {
        config: null,
        diagnostics: [...diagnostics, error(`${address} no longer exists in the configuration`, 'The values its for_each or count depend on changed since the plan was made; plan again.')],
      };
    }
    const body = decodeBody(decl.body, info.schema, { ...scope.scope, each: key.each, countIndex: key.countIndex });
    diagnostics.push(...body.diagnostics);
    return { config: body.value, diagnostics };
  }
}

/** Planned values of a change where known; `UNKNOWN` stands in for a missing plan. */
export function plannedAfter(plan: Plan, address: string): Readonly<Record<string, Value>> {
  return plan.changes.find((c) => c.address === address && c.after !== null)?.after ?? { _: UNKNOWN };
}
