/**
 * What apply knows about the world while it runs: the current attribute values of every
 * instance (from state, then from each completed step), and how to evaluate an instance's
 * configuration against them - so a step gets the values its dependencies actually got.
 */
import { blockOf } from '../addrs/address.js';
import type { Config, ResourceDecl } from '../config/types.js';
import { type Diagnostic, error } from '../diagnostics.js';
import { CONDITION_FAILED, checkRules } from '../evaluate/conditions.js';
import type { EvalScope } from '../evaluate/evaluate.js';
import { type BodySchema, decodeBody, expandInstances, instanceAddress, instanceScope } from '../evaluate/resource.js';
import type { ObjectValue, Value } from '../evaluate/value.js';
import type { Plan, ResourceChange } from '../planner/plan.js';
import type { TypeInfo } from '../planner/context.js';
import { stateValues } from '../state/sensitive.js';
import { type BlockValues, type InstanceIndex, ValueScope } from '../planner/scope.js';
import type { StateFile } from '../state/types.js';

export class World {
  /** Current values by instance address. */
  private readonly values = new Map<string, ObjectValue>();
  private readonly byBlock: Map<string, ResourceDecl>;
  /** The instances the plan keeps, by block, holding current (or else planned) values. */
  private readonly blockValues = new Map<string, BlockValues>();
  /** Each kept instance's change. */
  private readonly kept = new Map<string, ResourceChange>();
  /** Each data source instance's index, by address. */
  private readonly dataIndex = new Map<string, InstanceIndex>();

  constructor(
    private readonly config: Config,
    private readonly variables: ReadonlyMap<string, Value>,
    private readonly env: NodeJS.ProcessEnv,
    plan: Plan,
    state: StateFile,
  ) {
    this.byBlock = new Map([...config.resources, ...(config.dataSources ?? [])].map((r) => [r.address, r]));
    // Data sources: what the plan read, or for the ones read during apply, unknown until read.
    for (const d of plan.data ?? []) {
      const b = this.instancesOf(d.address);
      if (!b) continue;
      b.instances.set(d.index, d.values as ObjectValue);
      this.dataIndex.set(d.address, d.index);
    }
    for (const inst of state.resources) if (inst.live) this.values.set(inst.address, stateValues(inst));
    // A rollback evaluates routes and checks with the kept copy in place of the live one.
    for (const u of plan.units) {
      if (!u.rollback) continue;
      for (const inst of state.resources) {
        if (inst.generation === u.plannedGeneration && (inst.address === u.address || u.provisions.includes(inst.address))) this.values.set(inst.address, stateValues(inst));
      }
    }
    for (const c of plan.changes) {
      if (c.after === null || this.kept.has(c.address)) continue;
      this.kept.set(c.address, c);
      const b = this.instancesOf(c.address);
      if (!b) continue;
      b.instances.set(c.index, this.values.get(c.address) ?? (c.after as ObjectValue));
    }
  }

  /** What the instance at `address` is now, as far as this apply knows (undefined: nothing yet). */
  /** The values of the block `address` is an instance of (made on first use); undefined for a block the configuration lacks. */
  private instancesOf(address: string): BlockValues | undefined {
    const blockAddr = blockOf(address);
    const decl = this.byBlock.get(blockAddr);
    if (!decl) return undefined;
    let b = this.blockValues.get(blockAddr);
    if (!b) {
      b = { decl, instances: new Map<InstanceIndex, ObjectValue>() };
      this.blockValues.set(blockAddr, b);
    }
    return b;
  }

  current(address: string): ObjectValue | undefined {
    return this.values.get(address);
  }

  /** Records what an instance is now, for every evaluation after this one. */
  set(address: string, values: ObjectValue): void {
    this.values.set(address, values);
    const c = this.kept.get(address);
    if (c) this.blockValues.get(blockOf(c.address))?.instances.set(c.index, values);
  }

  /** Records what a data source read during apply, for every evaluation after this one. */
  setData(address: string, values: ObjectValue): void {
    if (!this.dataIndex.has(address)) return;
    this.blockValues.get(blockOf(address))?.instances.set(this.dataIndex.get(address)!, values);
  }

  /** Evaluates the arguments of the data source at `address` with the current values. */
  evaluateData(address: string, schema: BodySchema): { config: Record<string, Value> | null; diagnostics: Diagnostic[] } {
    const decl = this.byBlock.get(blockOf(address));
    if (!decl || decl.mode !== 'data') return { config: null, diagnostics: [error(`${address} is no longer in the configuration`, 'The configuration changed since the plan was made; plan again.')] };
    const scope = new ValueScope({ config: this.config, variables: this.variables, env: this.env }, this.blockValues);
    const expanded = expandInstances(decl, scope.scope);
    const keys = expanded.value;
    const key = 'unknown' in keys ? undefined : keys.keys.find((k) => instanceAddress(decl, k.index) === address);
    if (!key) return { config: null, diagnostics: [...expanded.diagnostics, error(`${address} no longer exists in the configuration`, 'Plan again.')] };
    const body = decodeBody(decl.body, schema, instanceScope(scope.scope, key));
    return { config: body.value, diagnostics: [...expanded.diagnostics, ...body.diagnostics] };
  }

  /** A scope over the current values, for outputs. */
  outputScope(): EvalScope {
    return new ValueScope({ config: this.config, variables: this.variables, env: this.env }, this.blockValues).scope;
  }

  /** Evaluates the configuration of the instance at `address` with the current values. */
  evaluate(address: string, info: TypeInfo): { config: Record<string, Value> | null; diagnostics: Diagnostic[] } {
    const change = this.kept.get(address);
    if (!change) return { config: null, diagnostics: [error(`${address} is not in the plan`)] };
    const decl = this.byBlock.get(blockOf(change.address));
    if (!decl) return { config: null, diagnostics: [error(`${address} is no longer in the configuration`, 'The configuration changed since the plan was made; plan again.')] };
    const scope = new ValueScope({ config: this.config, variables: this.variables, env: this.env }, this.blockValues);
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
    const instScope = instanceScope(scope.scope, key);
    // Preconditions the plan could not decide (they read values known only now) decide here.
    const pre = checkRules(decl.lifecycle.preconditions, instScope, CONDITION_FAILED.precondition);
    if (pre.diagnostics.length > 0) return { config: null, diagnostics: [...diagnostics, ...pre.diagnostics] };
    const body = decodeBody(decl.body, info.schema, instScope);
    diagnostics.push(...body.diagnostics);
    return { config: body.value, diagnostics };
  }

  /**
   * The postconditions of the instance at `address`, with `self` its values as applied (set
   * just before): a failed one is an error, and stops what depends on the instance.
   */
  postconditions(address: string): Diagnostic[] {
    const change = this.kept.get(address);
    const decl = change && this.byBlock.get(blockOf(change.address));
    const self = this.values.get(address);
    if (!decl?.lifecycle.postconditions || !self) return [];
    const scope = new ValueScope({ config: this.config, variables: this.variables, env: this.env }, this.blockValues);
    const expanded = expandInstances(decl, scope.scope);
    const key = 'unknown' in expanded.value ? undefined : expanded.value.keys.find((k) => instanceAddress(decl, k.index) === address);
    if (!key) return [];
    return checkRules(decl.lifecycle.postconditions, { ...instanceScope(scope.scope, key), self }, CONDITION_FAILED.postcondition).diagnostics;
  }
}
