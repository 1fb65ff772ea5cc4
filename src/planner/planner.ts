/**
 * The planner: a pure, synchronous function from (configuration, variables, refreshed state) to
 * a Plan. No I/O beyond what providers' deterministic `plan` hooks and the language's file
 * functions read. All effects live in apply.
 */
import { blockOf, copyKey, instanceAddress as formatInstance, targetMatches, targetSpellings } from '../addrs/address.js';
import type { Config, ResourceDecl } from '../config/types.js';
import { type Diagnostic, error, hasErrors, didYouMean } from '../diagnostics.js';
import { evaluateExpr } from '../evaluate/evaluate.js';
import { decodeBody, expandInstances, instanceAddress, instanceScope } from '../evaluate/resource.js';
import {
  UNKNOWN,
  Sensitive,
  containsSensitive,
  containsUnknown,
  isUnknown,
  sensitive as markSensitive,
  valueEquals,
  type ObjectValue,
  type Value,
} from '../evaluate/value.js';
import { buildBlockGraph } from '../graph/graph.js';
import type { PlanRequest, PlanResponse, ResourceTypeSchema, Role } from '../providers/contract.js';
import { hashSensitive, matchesSecretHash, sameStoredValue, stateValues, storedForm } from '../state/sensitive.js';
import type { StateFile, StateInstance } from '../state/types.js';
import { type Action, type Actions, type DeployUnit, type Drift, type OutputChange, type Plan, type PlanBasis, type Reason, type ResourceChange, type Step, type StepKind, reasonKey } from './plan.js';
import { type BlockValues, type InstanceIndex, ValueScope } from './scope.js';

/** What the planner needs to know about a resource type. */
export interface TypeInfo {
  readonly provider: string;
  readonly schema: ResourceTypeSchema;
  readonly plan?: (req: PlanRequest) => PlanResponse;
}

export interface PlanInput {
  readonly config: Config;
  readonly variables: ReadonlyMap<string, Value>;
  /** Refreshed state (or the recorded state with `--refresh=false`). */
  readonly state: StateFile;
  readonly drift: readonly Drift[];
  readonly types: (typeName: string) => TypeInfo | undefined;
  /** Every known type name, for "did you mean". */
  readonly typeNames: readonly string[];
  readonly mode: 'normal' | 'destroy';
  readonly targets: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly basis: PlanBasis;
}

/** Colour of a blue-green copy: generations alternate blue, green, blue, ... */
export function colorOf(generation: number): 'blue' | 'green' {
  return generation % 2 === 1 ? 'blue' : 'green';
}

type ChangeKind = 'create' | 'update' | 'replace' | 'no-op';

/** One configured instance as evaluated in a pass. */
interface Evaluated {
  readonly decl: ResourceDecl;
  readonly address: string;
  readonly index: InstanceIndex;
  readonly info: TypeInfo;
  readonly after: Record<string, Value>;
  readonly deps: Set<string>;
  readonly prior: StateInstance | undefined;
  readonly kind: ChangeKind;
  readonly replacePaths: string[];
  readonly changedPaths: string[];
  readonly generation: number;
}

interface PassResult {
  readonly instances: Map<string, Evaluated>;
  readonly blocks: Map<string, BlockValues>;
  readonly scope: ValueScope;
}

// How secrets are stored and compared is state's business (state/sensitive.ts); these are
// re-exported for callers that know them from here.
export { storedForm, stateValues };

/** Computes the plan, or diagnostics explaining why there is none. */
export function plan(input: PlanInput): { plan: Plan | null; diagnostics: Diagnostic[] } {
  return new Planner(input).run();
}

class Planner {
  private readonly diagnostics: Diagnostic[] = [];
  private readonly byBlock: Map<string, ResourceDecl>;
  /** Every copy recorded in state, by address. */
  private readonly copies = new Map<string, StateInstance[]>();

  constructor(private readonly input: PlanInput) {
    this.byBlock = new Map(input.config.resources.map((r) => [r.address, r]));
    for (const r of input.state.resources) {
      const list = this.copies.get(r.address);
      if (list) list.push(r);
      else this.copies.set(r.address, [r]);
    }
  }

  /** The live copy at `address`. */
  private liveCopy(address: string): StateInstance | undefined {
    return this.copies.get(address)?.find((r) => r.live);
  }

  /** The next generation at `address`: one more than any recorded. */
  private nextGeneration(address: string): number {
    const gens = (this.copies.get(address) ?? []).map((r) => r.generation);
    return gens.length === 0 ? 1 : Math.max(...gens) + 1;
  }

  run(): { plan: Plan | null; diagnostics: Diagnostic[] } {
    const { config } = this.input;
    const built = buildBlockGraph(config);
    this.diagnostics.push(...built.diagnostics);
    if (!built.graph) return { plan: null, diagnostics: this.diagnostics };
    for (const decl of config.resources) {
      if (!this.input.types(decl.type)) {
        this.diagnostics.push(
          error(`Unknown resource type "${decl.type}"`, didYouMean(decl.type, this.input.typeNames) ?? `Known types: ${this.input.typeNames.join(', ')}`, decl.typeRange),
        );
      }
    }
    if (hasErrors(this.diagnostics)) return { plan: null, diagnostics: this.diagnostics };

    const order = built.graph.order;
    // Pass until the set of blue-green instances to deploy stops growing: forcing a deploy makes
    // the instance's computed attributes unknown, which can change its dependents in turn.
    let forced = new Set<string>();
    let pass = this.evaluatePass(order, forced);
    for (let i = 0; i < 20 && !hasErrors(this.diagnostics); i++) {
      const next = this.unitsNeeded(pass, forced);
      if (next.size === forced.size) break;
      forced = next;
      this.diagnostics.length = 0;
      pass = this.evaluatePass(order, forced);
    }
    if (hasErrors(this.diagnostics)) return { plan: null, diagnostics: this.diagnostics };
    this.checkBlueGreenShape(pass);
    if (hasErrors(this.diagnostics)) return { plan: null, diagnostics: this.diagnostics };
    const result = this.assemble(pass, forced);
    return { plan: hasErrors(this.diagnostics) ? null : result, diagnostics: this.diagnostics };
  }

  /** Evaluates every instance in dependency order against the planned values so far. */
  private evaluatePass(order: readonly ResourceDecl[], forced: ReadonlySet<string>): PassResult {
    const { config, variables, env } = this.input;
    const blocks = new Map<string, BlockValues>();
    const scope = new ValueScope({ config, variables, env }, blocks);
    const instances = new Map<string, Evaluated>();
    for (const decl of order) {
      const info = this.input.types(decl.type)!;
      const block: BlockValues = { decl, instances: new Map() };
      const expanded = scope.recording(() => expandInstances(decl, scope.scope));
      this.diagnostics.push(...expanded.result.diagnostics);
      const keys = expanded.result.value;
      if ('unknown' in keys) {
        const range = (decl.forEach ?? decl.count)?.range ?? decl.range;
        this.diagnostics.push(
          error(
            `The ${decl.forEach ? '"for_each"' : '"count"'} value of ${decl.address} depends on values known only after apply`,
            'The set of instances must be known when planning. Use values from variables and locals, or the keys of another resource\'s for_each.',
            range,
          ),
        );
        blocks.set(decl.address, block);
        continue;
      }
      const perKeyDep = this.forEachSource(expanded.reads);
      for (const key of keys.keys) {
        const address = instanceAddress(decl, key.index);
        const instScope = instanceScope(scope.scope, key);
        const body = scope.recording(() => decodeBody(decl.body, info.schema, instScope));
        this.diagnostics.push(...body.result.diagnostics);
        const deps = new Set(body.reads);
        if (perKeyDep && typeof key.index === 'string') {
          const dep = formatInstance(perKeyDep, key.index);
          if (expanded.reads.has(dep)) deps.add(dep);
        } else for (const r of expanded.reads) deps.add(r);
        for (const d of decl.dependsOn) for (const a of this.dependsOnTargets(d.address, blocks)) deps.add(a);
        deps.delete(address);
        const ev = this.change(decl, address, key.index, info, body.result.value, deps, forced.has(address));
        instances.set(address, ev);
        block.instances.set(key.index, ev.after);
      }
      blocks.set(decl.address, block);
    }
    return { instances, blocks, scope };
  }

  /**
   * When a for_each iterated exactly one other resource (`for_each = local_host.ns`), each
   * instance depends only on the instance with its own key, not on all of them.
   */
  private forEachSource(reads: ReadonlySet<string>): string | undefined {
    let block: string | undefined;
    for (const r of reads) {
      const b = blockOf(r);
      if (block !== undefined && block !== b) return undefined;
      block = b;
    }
    return block;
  }

  private dependsOnTargets(address: string, blocks: ReadonlyMap<string, BlockValues>): string[] {
    const blockAddr = blockOf(address);
    const block = blocks.get(blockAddr);
    if (!block) return [];
    if (address !== blockAddr) return [address];
    return [...block.instances.keys()].map((i) => instanceAddress(block.decl, i));
  }

  /** Decides what happens to one instance and what its attributes will be. */
  private change(
    decl: ResourceDecl,
    address: string,
    index: InstanceIndex,
    info: TypeInfo,
    config: Readonly<Record<string, Value>>,
    deps: Set<string>,
    forced: boolean,
  ): Evaluated {
    const schema = info.schema;
    const prior = this.liveCopy(address);
    const priorValues = prior ? stateValues(prior) : undefined;
    const ignore = new Set(decl.lifecycle.ignoreChanges);
    const changed: string[] = [];
    const replacePaths: string[] = [];
    const after: Record<string, Value> = {};
    const keepComputed: string[] = [];

    const compare = (name: string, value: Value, isSensitive: boolean, forces: boolean): void => {
      if (!prior) return;
      let differs: boolean;
      if (isSensitive) differs = !matchesSecretHash(prior.sensitive_attributes[name] ?? hashSensitive(null), value);
      else differs = !sameStoredValue(value, (prior.attributes[name] ?? null) as Value);
      if (!differs) return;
      if (ignore.has(name)) {
        after[name] = priorValues![name] ?? null;
        return;
      }
      changed.push(name);
      if (forces) replacePaths.push(name);
    };

    for (const [name, attr] of Object.entries(schema.attributes)) {
      const settable = attr.required || attr.optional || !attr.computed;
      const value = config[name] ?? null;
      // `root_pass = var.root_pass` with a null default is as good as leaving it out.
      const absent = value === null || (value instanceof Sensitive && value.value === null);
      if (!settable || (absent && attr.computed)) {
        keepComputed.push(name);
        continue;
      }
      after[name] = attr.sensitive ? markSensitive(value) : value;
      compare(name, value, !!attr.sensitive, !!attr.forcesReplacement);
    }
    for (const [name, block] of Object.entries(schema.blocks ?? {})) {
      const value = config[name] ?? (block.nesting === 'single' ? null : []);
      after[name] = value;
      compare(name, value, false, !!block.forcesReplacement);
    }

    const generation = this.plannedGeneration(decl, address, info.schema.role, deps, prior);
    // Where each attribute's value and each block (by type) is written, for providers' diagnostics.
    const ranges = Object.fromEntries(decl.body.items.flatMap((i) => (i.kind === 'Attribute' ? [[i.name, i.expr.range]] : i.kind === 'Block' ? [[i.type, i.range]] : [])));
    const hook = info.plan?.({ address, generation, config: after, prior: prior?.attributes ?? null, configDir: this.input.config.dir, ranges });
    if (hook) {
      this.diagnostics.push(...hook.diagnostics);
      for (const [name, value] of Object.entries(hook.planned)) {
        after[name] = value;
        if (prior && !containsUnknown(value) && !valueEquals(value, (prior.attributes[name] ?? null) as Value) && !ignore.has(name)) {
          changed.push(name);
          if (schema.attributes[name]?.forcesReplacement) replacePaths.push(name);
        }
      }
    }

    let kind: ChangeKind;
    if (!prior) kind = 'create';
    else if (prior.status !== 'ready' || replacePaths.length > 0 || forced) kind = 'replace';
    else if (changed.length > 0) kind = 'update';
    else kind = 'no-op';
    // A check has nothing to replace: re-verifying is its update.
    if (schema.role === 'check' && kind === 'replace') kind = 'update';

    for (const name of keepComputed) {
      if (name in after) continue;
      // A provider that predicts computed attributes (a plan hook) and left this one out cannot
      // tell it yet; otherwise an update keeps what the object has.
      const unknownNow = kind === 'create' || kind === 'replace' || !priorValues || (kind === 'update' && hook !== undefined);
      after[name] = unknownNow ? UNKNOWN : (priorValues[name] ?? null);
      if (schema.attributes[name]?.sensitive && !(after[name] instanceof Sensitive)) after[name] = markSensitive(after[name]);
    }
    return { decl, address, index, info, after, deps, prior, kind, replacePaths, changedPaths: changed, generation };
  }

  /**
   * Blue-green copies get a fresh generation; provisions share the generation of the copy they
   * provision, so each copy's provisioning record is kept apart from the other copy's.
   */
  private plannedGeneration(decl: ResourceDecl, address: string, role: Role, deps: ReadonlySet<string>, prior: StateInstance | undefined): number {
    if (decl.lifecycle.blueGreen) {
      return this.nextGeneration(address);
    }
    if (role === 'provision') {
      for (const d of deps) {
        const host = this.byBlock.get(blockOf(d));
        if (host?.lifecycle.blueGreen) {
          return this.nextGeneration(d);
        }
      }
    }
    return prior?.generation ?? 0;
  }

  /** Blue-green instances that need a deploy: changed themselves, or a provision of theirs changed. */
  private unitsNeeded(pass: PassResult, forced: ReadonlySet<string>): Set<string> {
    const out = new Set(forced);
    for (const ev of pass.instances.values()) {
      if (!ev.decl.lifecycle.blueGreen || !ev.prior) continue;
      if (ev.kind === 'update' || ev.kind === 'replace') out.add(ev.address);
    }
    for (const ev of pass.instances.values()) {
      if (ev.info.schema.role !== 'provision' || ev.kind === 'no-op') continue;
      for (const d of ev.deps) {
        const host = pass.instances.get(d);
        if (host?.decl.lifecycle.blueGreen && host.prior) out.add(d);
      }
    }
    return out;
  }

  private transitiveDeps(pass: PassResult): Map<string, Set<string>> {
    const memo = new Map<string, Set<string>>();
    const walk = (addr: string): Set<string> => {
      let s = memo.get(addr);
      if (s) return s;
      s = new Set();
      memo.set(addr, s);
      for (const d of pass.instances.get(addr)?.deps ?? []) {
        s.add(d);
        for (const x of walk(d)) s.add(x);
      }
      return s;
    };
    for (const a of pass.instances.keys()) walk(a);
    return memo;
  }

  /** The members of the deploy unit of blue-green instance `address`. */
  private unitMembers(pass: PassResult, tdeps: ReadonlyMap<string, ReadonlySet<string>>, address: string) {
    const role = (a: string): Role => pass.instances.get(a)!.info.schema.role;
    const all = [...pass.instances.keys()];
    const provisions = all.filter((a) => role(a) === 'provision' && pass.instances.get(a)!.deps.has(address));
    const routes = all.filter((a) => role(a) === 'route' && tdeps.get(a)!.has(address));
    const postChecks = all.filter((a) => role(a) === 'check' && routes.some((t) => tdeps.get(a)!.has(t)));
    const checks = all.filter((a) => role(a) === 'check' && tdeps.get(a)!.has(address) && !postChecks.includes(a));
    return { provisions, checks, routes, postChecks };
  }

  /** A blue-green resource must be verified by a check and reached through a route. */
  private checkBlueGreenShape(pass: PassResult): void {
    if (!this.input.config.resources.some((r) => r.lifecycle.blueGreen)) return;
    const tdeps = this.transitiveDeps(pass);
    const reported = new Set<string>();
    for (const ev of pass.instances.values()) {
      const bg = ev.decl.lifecycle.blueGreen;
      if (!bg || reported.has(ev.decl.address)) continue;
      const m = this.unitMembers(pass, tdeps, ev.address);
      if (m.checks.length === 0) {
        reported.add(ev.decl.address);
        this.diagnostics.push(
          error(
            `Blue-green resource ${ev.address} has no check to verify it`,
            `A blue-green deploy verifies the new copy before traffic is switched to it. Declare a check (such as dns_check) whose configuration refers to ${ev.address}.`,
            bg.range,
          ),
        );
      }
      if (m.routes.length === 0) {
        reported.add(ev.decl.address);
        this.diagnostics.push(
          error(
            `Blue-green resource ${ev.address} has no route pointing at it`,
            `A blue-green deploy switches traffic from the old copy to the new one. Declare a route (such as nginx_upstream) whose configuration refers to ${ev.address}.`,
            bg.range,
          ),
        );
      }
    }
  }

  /** Resolves --target values to instance addresses. */
  private resolveTargets(candidates: readonly string[]): Set<string> | null {
    const out = new Set<string>();
    let ok = true;
    for (const t of this.input.targets) {
      const matches = candidates.filter((a) => targetMatches(t, a));
      if (matches.length === 0) {
        ok = false;
        const names = new Set(candidates.flatMap(targetSpellings));
        this.diagnostics.push(
          error(`No resource matches --target "${t}"`, didYouMean(t, names) ?? 'A target is an instance address (type.name["key"]), a resource (type.name) or a bare name.'),
        );
      }
      for (const m of matches) out.add(m);
    }
    return ok ? out : null;
  }

  private assemble(pass: PassResult, forced: ReadonlySet<string>): Plan | null {
    return this.input.mode === 'destroy' ? this.assembleDestroy(pass) : this.assembleNormal(pass, forced);
  }

  private assembleNormal(pass: PassResult, forced: ReadonlySet<string>): Plan | null {
    const { state } = this.input;
    const tdeps = lazy(() => this.transitiveDeps(pass));
    const changes = new Map<string, ResourceChange>();
    const steps = new StepList();
    const reasons = new Map<string, Reason[]>();
    const addReason = (a: string, r: Reason): void => {
      const list = reasons.get(a) ?? [];
      if (!list.some((x) => reasonKey(x) === reasonKey(r))) list.push(r);
      reasons.set(a, list);
    };

    // Targets: create/update targets pull in their dependencies (and whole deploy units).
    let included: Set<string> | null = null;
    if (this.input.targets.length > 0) {
      const candidates = [...new Set([...pass.instances.keys(), ...state.resources.map((r) => r.address)])];
      const selected = this.resolveTargets(candidates);
      if (!selected) return null;
      included = new Set(selected);
      for (const s of selected) {
        addReason(s, { code: 'targeted' });
        for (const d of tdeps().get(s) ?? []) {
          if (!included.has(d)) addReason(d, { code: 'target-depends-on', target: s });
          included.add(d);
        }
      }
    }
    const inScope = (a: string): boolean => included === null || included.has(a);

    // Deploy units.
    const units: DeployUnit[] = [];
    const unitOf = new Map<string, string>();
    for (const address of [...forced].sort()) {
      const ev = pass.instances.get(address);
      if (!ev || !inScope(address)) continue;
      const m = this.unitMembers(pass, tdeps(), address);
      const prior = ev.prior!;
      units.push({ address, ...m, priorGeneration: prior.generation, plannedGeneration: ev.generation });
      for (const a of [...m.provisions, ...m.checks, ...m.routes, ...m.postChecks]) {
        if (unitOf.has(a) && unitOf.get(a) !== address) continue;
        unitOf.set(a, address);
        if (included && !included.has(a)) {
          included.add(a);
          addReason(a, { code: 'in-deploy-unit', unit: address });
        }
      }
    }

    // Changes for configured instances.
    for (const ev of pass.instances.values()) {
      const kind = inScope(ev.address) ? ev.kind : 'no-op';
      const unit = forced.has(ev.address) && inScope(ev.address) ? ev.address : unitOf.get(ev.address) ?? null;
      const r = [...(reasons.get(ev.address) ?? [])];
      if (unit && unit !== ev.address) r.push({ code: 'in-deploy-unit', unit });
      if (ev.prior && ev.prior.status !== 'ready') r.push({ code: 'recorded-status', status: ev.prior.status });
      if (unit === ev.address && ev.kind === 'replace' && ev.changedPaths.length === 0 && ev.replacePaths.length === 0) {
        const changedProvisions = units.find((u) => u.address === ev.address)?.provisions.filter((p) => pass.instances.get(p)?.kind !== 'no-op') ?? [];
        if (changedProvisions.length) r.push({ code: 'provisioning-changed', provisions: changedProvisions });
      }
      const isProvisionInUnit = unit !== null && unit !== ev.address && ev.info.schema.role === 'provision';
      let actions: Actions;
      if (isProvisionInUnit) actions = ev.prior ? ['create', 'delete'] : ['create'];
      else if (kind === 'create') actions = ['create'];
      else if (kind === 'update') actions = ['update'];
      else if (kind === 'replace') {
        actions = unit !== null || ev.decl.lifecycle.createBeforeDestroy || ev.decl.lifecycle.blueGreen ? ['create', 'delete'] : ['delete', 'create'];
      } else actions = ['no-op'];
      if (hasAction(actions, 'delete') && ev.decl.lifecycle.preventDestroy && !ev.decl.lifecycle.blueGreen) {
        this.diagnostics.push(
          error(
            `Instance ${ev.address} cannot be destroyed`,
            'It has lifecycle.prevent_destroy set, but the plan would replace it. Remove prevent_destroy, or change the configuration so it is not replaced.',
            ev.decl.range,
          ),
        );
      }
      changes.set(ev.address, {
        address: ev.address,
        type: ev.decl.type,
        name: ev.decl.name,
        index: ev.index,
        provider: ev.info.provider,
        role: ev.info.schema.role,
        actions,
        blueGreen: unit === ev.address,
        before: ev.prior ? stateValues(ev.prior) : null,
        after: ev.after,
        replacePaths: ev.replacePaths,
        reasons: r,
        priorGeneration: ev.prior?.generation ?? 0,
        plannedGeneration: hasAction(actions, 'create') ? ev.generation : ev.prior?.generation ?? ev.generation,
        dependencies: [...ev.deps].sort(),
      });
    }

    // Instances in state that the configuration no longer has, and leftovers of interrupted runs.
    const deletes: { inst: StateInstance; reason: Reason }[] = [];
    for (const inst of state.resources) {
      if (!inst.live) {
        deletes.push({ inst, reason: { code: 'leftover', generation: inst.generation, status: inst.status } });
      } else if (!pass.instances.has(inst.address)) {
        deletes.push({ inst, reason: { code: 'not-in-configuration' } });
      }
    }
    const deleteChanges: ResourceChange[] = [];
    /** Copies that are not live: leftovers of an interrupted apply. */
    const leftovers = new Set<string>();
    for (const { inst, reason } of deletes) {
      if (!inScope(inst.address)) continue;
      const decl = this.byBlock.get(blockOf(inst.address));
      if (inst.live && decl?.lifecycle.preventDestroy) {
        this.diagnostics.push(error(`Instance ${inst.address} cannot be destroyed`, 'It has lifecycle.prevent_destroy set, but it is no longer in the configuration.', decl.range));
      }
      deleteChanges.push(deletion(inst, [reason]));
      if (!inst.live) leftovers.add(copyKey(inst));
    }
    if (hasErrors(this.diagnostics)) return null;

    // Steps.
    const done = new Map<string, string>(); // address -> the step dependents wait for
    const unitFinal = new Map<string, string>();
    const stepColor = (gen: number, bg: boolean): 'blue' | 'green' | null => (bg ? colorOf(gen) : null);
    const isBg = (a: string): boolean => !!pass.instances.get(a)?.decl.lifecycle.blueGreen;
    const ordered = this.topoInstances(pass);

    // Deletes of leftovers and orphans come first where nothing depends on them; dependents'
    // deletes go before their dependencies' deletes.
    const deleteStep = new Map<string, string>();
    const deletesAt = new Map<string, string[]>();
    const leftoverOrOrphan = [...deleteChanges].sort((a, b) => (a.address < b.address ? -1 : 1));
    for (const c of leftoverOrOrphan) {
      const id = steps.add({
        kind: 'delete',
        address: c.address,
        color: stateValuesColor(state, c),
        unit: null,
        afterSwitch: false,
        after: [],
        generation: c.priorGeneration,
        label: leftovers.has(copyKey({ address: c.address, generation: c.priorGeneration })) ? 'leftover' : undefined,
      });
      deleteStep.set(copyKey({ address: c.address, generation: c.priorGeneration }), id);
      deletesAt.set(c.address, [...(deletesAt.get(c.address) ?? []), id]);
    }
    for (const c of leftoverOrOrphan) {
      const id = deleteStep.get(copyKey({ address: c.address, generation: c.priorGeneration }))!;
      // Wait for the deletes of instances that depended on this one.
      for (const other of leftoverOrOrphan) {
        if (other !== c && other.dependencies.some((d) => d === c.address)) steps.addAfter(id, deleteStep.get(copyKey({ address: other.address, generation: other.priorGeneration }))!);
      }
    }

    // Deploy units go one at a time unless max_parallel allows more.
    const unitIds: { address: string; final: string; max: number }[] = [];
    const layoutUnit = (u: DeployUnit): void => {
      const ev = pass.instances.get(u.address)!;
      const green = stepColor(u.plannedGeneration, true);
      const blue = stepColor(u.priorGeneration, true);
      const members = new Set([u.address, ...u.provisions, ...u.checks, ...u.routes, ...u.postChecks]);
      const external = (a: string): string[] =>
        [...(pass.instances.get(a)?.deps ?? [])].filter((d) => !members.has(d)).map((d) => done.get(d)).filter((x): x is string => !!x);
      const gate: string[] = [];
      const max = ev.decl.lifecycle.blueGreen?.maxParallel ?? 1;
      if (unitIds.length >= max) gate.push(unitIds[unitIds.length - max].final);
      // Leftover copies at the same address go first.
      gate.push(...(deletesAt.get(u.address) ?? []));
      const ids: string[] = [];
      const cR = steps.add({ kind: 'create', address: u.address, color: green, unit: u.address, afterSwitch: false, after: [...gate, ...external(u.address)], generation: u.plannedGeneration });
      ids.push(cR);
      const cPs = u.provisions.map((p) =>
        steps.add({ kind: 'create', address: p, color: green, unit: u.address, afterSwitch: false, after: [cR, ...external(p)], generation: u.plannedGeneration }),
      );
      ids.push(...cPs);
      const vCs = u.checks.map((c) =>
        steps.add({ kind: 'verify', address: c, color: green, unit: u.address, afterSwitch: false, after: [cR, ...cPs, ...external(c)], generation: 0 }),
      );
      ids.push(...vCs);
      const sTs = u.routes.map((t) =>
        steps.add({
          kind: 'switch',
          address: t,
          color: green,
          unit: u.address,
          afterSwitch: false,
          after: [cR, ...cPs, ...vCs, ...external(t)],
          generation: 0,
          switchFrom: describeTarget(ev.prior ? stateValues(ev.prior) : null, colorOf(u.priorGeneration)),
          switchTo: describeTarget(ev.after, colorOf(u.plannedGeneration)),
        }),
      );
      ids.push(...sTs);
      const vPs = u.postChecks.map((c) =>
        steps.add({ kind: 'verify', address: c, color: green, unit: u.address, afterSwitch: true, after: [...sTs, ...external(c)], generation: 0 }),
      );
      ids.push(...vPs);
      const dPs = u.provisions
        .filter((p) => this.liveCopy(p) !== undefined)
        .map((p) =>
          steps.add({
            kind: 'delete',
            address: p,
            color: blue,
            unit: u.address,
            afterSwitch: false,
            after: [...sTs, ...vPs],
            generation: this.liveCopy(p)!.generation,
          }),
        );
      ids.push(...dPs);
      const dR = steps.add({ kind: 'delete', address: u.address, color: blue, unit: u.address, afterSwitch: false, after: [...sTs, ...vPs, ...dPs], generation: u.priorGeneration });
      ids.push(dR);
      for (const m of members) done.set(m, dR);
      unitFinal.set(u.address, dR);
      unitIds.push({ address: u.address, final: dR, max });
    };

    // Every other change gets its own steps.
    const deleteFirst: { address: string; del: string }[] = [];
    const createFirst: { address: string; del: string }[] = [];
    const layoutChange = (address: string): void => {
      const c = changes.get(address)!;
      if (c.actions[0] === 'no-op') return;
      const ev = pass.instances.get(address)!;
      const deps = [...ev.deps].map((d) => done.get(d)).filter((x): x is string => !!x);
      // Leftover copies at this address are removed before a new object takes the address.
      deps.push(...(deletesAt.get(address) ?? []));
      const role = ev.info.schema.role;
      const color = stepColor(c.plannedGeneration, isBg(address));
      const oldColor = stepColor(c.priorGeneration, isBg(address));
      if (c.actions[0] === 'delete') {
        const del = steps.add({ kind: 'delete', address, color: oldColor, unit: null, afterSwitch: false, after: [], generation: c.priorGeneration });
        done.set(address, steps.add({ kind: createKind(role, 'create'), address, color, unit: null, afterSwitch: false, after: [del, ...deps], generation: c.plannedGeneration }));
        deleteFirst.push({ address, del });
      } else if (c.actions[0] === 'create') {
        const id = steps.add({ kind: createKind(role, 'create'), address, color, unit: null, afterSwitch: false, after: deps, generation: c.plannedGeneration });
        done.set(address, id);
        if (c.actions.length === 2) {
          createFirst.push({ address, del: steps.add({ kind: 'delete', address, color: oldColor, unit: null, afterSwitch: false, after: [id], generation: c.priorGeneration }) });
        }
      } else {
        done.set(address, steps.add({ kind: createKind(role, 'update'), address, color: null, unit: null, afterSwitch: false, after: deps, generation: c.plannedGeneration }));
      }
    };

    // One pass in dependency order in which a deploy unit is a single node: whatever a unit's
    // members need from outside it is laid out before the unit, whatever needs them after it.
    const unitByAddress = new Map(units.map((u) => [u.address, u]));
    const nodeOf = (a: string): string => unitOf.get(a) ?? a;
    const membersOf = (n: string): string[] => {
      const u = unitByAddress.get(n);
      return u ? [u.address, ...u.provisions, ...u.checks, ...u.routes, ...u.postChecks] : [n];
    };
    const placed = new Set<string>();
    const visiting = new Set<string>();
    const place = (n: string): void => {
      if (placed.has(n) || visiting.has(n)) return;
      visiting.add(n);
      for (const m of membersOf(n)) for (const d of pass.instances.get(m)?.deps ?? []) if (nodeOf(d) !== n) place(nodeOf(d));
      visiting.delete(n);
      placed.add(n);
      const u = unitByAddress.get(n);
      if (u) layoutUnit(u);
      else if (pass.instances.has(n)) layoutChange(n);
    };
    for (const u of units.length ? this.orderUnits(units, tdeps()) : []) place(u.address);
    for (const a of ordered) place(nodeOf(a));
    // A route to a blue-green instance that is being created goes live only after the checks
    // of that instance passed, as in a deploy: the first deploy is verified too.
    for (const [address, c] of changes) {
      if (c.role !== 'route' || unitOf.has(address) || !done.has(address)) continue;
      for (const dep of tdeps().get(address) ?? []) {
        if (!isBg(dep) || unitFinal.has(dep)) continue;
        for (const check of this.unitMembers(pass, tdeps(), dep).checks) {
          const d = done.get(check);
          if (d && !steps.dependsOn(d, done.get(address)!)) steps.addAfter(done.get(address)!, d);
        }
      }
    }
    // The old object of a delete-first replacement goes after the old objects of its dependents
    // that are replaced the same way; the old object of a create-first replacement goes after
    // its dependents have moved to the new object.
    for (const { address, del } of deleteFirst) {
      for (const other of deleteFirst) {
        if (other.address !== address && changes.get(other.address)!.dependencies.includes(address)) steps.addAfter(del, other.del);
      }
    }
    for (const { address, del } of createFirst) {
      for (const other of changes.values()) {
        const d = done.get(other.address);
        if (other.dependencies.includes(address) && d && !steps.dependsOn(d, del)) steps.addAfter(del, d);
      }
    }
    // Orphans and leftovers wait until nothing configured points at them any more.
    for (const c of leftoverOrOrphan) {
      const id = deleteStep.get(copyKey({ address: c.address, generation: c.priorGeneration }))!;
      for (const other of changes.values()) {
        if (other.actions[0] !== 'no-op' && (other.dependencies.includes(c.address) || (other.role === 'route' && c.role === 'instance')) && done.has(other.address)) {
          const d = done.get(other.address)!;
          if (!steps.dependsOn(d, id)) steps.addAfter(id, d);
        }
      }
    }

    const all = [...changes.values(), ...deleteChanges];
    return this.finish(pass, all, units, steps, 'normal');
  }

  private assembleDestroy(pass: PassResult): Plan | null {
    const { state } = this.input;
    let selected: Set<string> | null = null;
    const reasons = new Map<string, Reason[]>();
    if (this.input.targets.length > 0) {
      selected = this.resolveTargets([...new Set(state.resources.map((r) => r.address))]);
      if (!selected) return null;
      for (const s of selected) reasons.set(s, [{ code: 'targeted' }]);
      // Destroy targets pull in their dependents.
      let grew = true;
      while (grew) {
        grew = false;
        for (const inst of state.resources) {
          if (selected.has(inst.address)) continue;
          const dep = inst.dependencies.find((d) => selected!.has(d));
          if (dep) {
            selected.add(inst.address);
            reasons.set(inst.address, [{ code: 'depends-on-destroyed', dependency: dep }]);
            grew = true;
          }
        }
      }
    }
    const doomed = state.resources.filter((r) => selected === null || selected.has(r.address));
    const changes: ResourceChange[] = doomed.map((inst) => deletion(inst, reasons.get(inst.address) ?? []));
    for (const inst of doomed) {
      const decl = this.byBlock.get(blockOf(inst.address));
      if (decl?.lifecycle.preventDestroy) {
        this.diagnostics.push(error(`Instance ${inst.address} cannot be destroyed`, 'It has lifecycle.prevent_destroy set. Remove it from the configuration first.', decl.range));
      }
    }
    if (hasErrors(this.diagnostics)) return null;
    const steps = new StepList();
    const ids = new Map<StateInstance, string>();
    const sorted = [...doomed].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.generation - b.generation));
    for (const inst of sorted) {
      ids.set(
        inst,
        steps.add({
          kind: 'delete',
          address: inst.address,
          color: inst.color,
          unit: null,
          afterSwitch: false,
          after: [],
          generation: inst.generation,
        }),
      );
    }
    // Reverse dependency order: an instance goes after everything that depends on it.
    for (const inst of sorted) {
      for (const other of sorted) {
        if (other !== inst && other.dependencies.includes(inst.address)) steps.addAfter(ids.get(inst)!, ids.get(other)!);
      }
    }
    return this.finish(pass, changes, [], steps, 'destroy');
  }

  /** Instance addresses in dependency order (dependencies first), ties in evaluation order. */
  private topoInstances(pass: PassResult): string[] {
    const out: string[] = [];
    const seen = new Set<string>();
    const visit = (a: string): void => {
      if (seen.has(a)) return;
      seen.add(a);
      for (const d of pass.instances.get(a)?.deps ?? []) visit(d);
      if (pass.instances.has(a)) out.push(a);
    };
    for (const a of pass.instances.keys()) visit(a);
    return out;
  }

  /** Units whose instance depends on another unit's instance go after it; then by address. */
  private orderUnits(units: readonly DeployUnit[], tdeps: ReadonlyMap<string, ReadonlySet<string>>): DeployUnit[] {
    const out: DeployUnit[] = [];
    const seen = new Set<string>();
    const visit = (u: DeployUnit): void => {
      if (seen.has(u.address)) return;
      seen.add(u.address);
      for (const other of units) if (tdeps.get(u.address)?.has(other.address)) visit(other);
      out.push(u);
    };
    for (const u of [...units].sort((a, b) => (a.address < b.address ? -1 : 1))) visit(u);
    return out;
  }

  private finish(pass: PassResult, changes: ResourceChange[], units: DeployUnit[], steps: StepList, mode: 'normal' | 'destroy'): Plan {
    const outputs = mode === 'destroy' ? this.destroyedOutputs() : this.evaluateOutputs(pass);
    let add = 0;
    let change = 0;
    let destroy = 0;
    for (const c of changes) {
      if (hasAction(c.actions, 'create')) add++;
      if (hasAction(c.actions, 'update')) change++;
      if (hasAction(c.actions, 'delete')) destroy++;
    }
    // Checks and routes in a unit that do not change config still run; count only real changes.
    return {
      formatVersion: '1',
      mode,
      targets: [...this.input.targets],
      basis: this.input.basis,
      drift: this.input.drift,
      changes: changes.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.priorGeneration - b.priorGeneration)),
      units,
      steps: steps.ordered(),
      outputs,
      summary: { add, change, destroy, blueGreen: units.length },
      warnings: this.diagnostics.filter((d) => d.severity === 'warning'),
    };
  }

  private evaluateOutputs(pass: PassResult): OutputChange[] {
    const out: OutputChange[] = [];
    for (const [name, decl] of this.input.config.outputs) {
      const r = evaluateExpr(decl.expr, pass.scope.scope);
      this.diagnostics.push(...r.diagnostics);
      const prior = this.input.state.outputs[name];
      const isSensitive = decl.sensitive || containsSensitive(r.value);
      if (!decl.sensitive && containsSensitive(r.value)) {
        this.diagnostics.push(
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
    for (const [name, prior] of Object.entries(this.input.state.outputs)) {
      if (!this.input.config.outputs.has(name)) out.push({ name, before: prior.value as Value, after: null, sensitive: prior.sensitive });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  private destroyedOutputs(): OutputChange[] {
    return Object.entries(this.input.state.outputs).map(([name, prior]) => ({
      name,
      before: prior.sensitive ? new Sensitive(prior.value as Value) : (prior.value as Value),
      after: null,
      sensitive: prior.sensitive,
    }));
  }
}

/** True when `actions` contains `a`. */
export function hasAction(actions: Actions, a: Action): boolean {
  return (actions as readonly Action[]).includes(a);
}

/** The change that destroys a recorded object. */
function deletion(inst: StateInstance, reasons: readonly Reason[]): ResourceChange {
  return {
    address: inst.address,
    type: inst.type,
    name: inst.name,
    index: inst.index,
    provider: inst.provider,
    role: inst.role,
    actions: ['delete'],
    blueGreen: false,
    before: stateValues(inst),
    after: null,
    replacePaths: [],
    reasons,
    priorGeneration: inst.generation,
    plannedGeneration: inst.generation,
    dependencies: [...inst.dependencies],
  };
}

function createKind(role: Role, kind: 'create' | 'update'): StepKind {
  return role === 'check' ? 'verify' : kind;
}

function stateValuesColor(state: StateFile, c: ResourceChange): 'blue' | 'green' | null {
  return state.resources.find((r) => r.address === c.address && r.generation === c.priorGeneration)?.color ?? null;
}

/** How a switch step names the copy traffic goes to: its address when known, else its colour. */
export function describeTarget(values: Readonly<Record<string, Value>> | null, color: string): string {
  const ip = values?.ipv4;
  return typeof ip === 'string' ? `${ip} (${color})` : `(${color})`;
}

interface StepInit extends Omit<Step, 'id'> {
  readonly label?: string;
}

/** Steps under construction: ids made unique and readable, `after` edges added as found. */
class StepList {
  private readonly steps: { id: string; step: StepInit; after: string[] }[] = [];
  private readonly byId = new Map<string, { id: string; step: StepInit; after: string[] }>();

  add(step: StepInit): string {
    const parts = [step.kind, step.address];
    if (step.color) parts.push(`(${step.color})`);
    if (step.label) parts.push(`(${step.label} ${step.generation})`);
    if (step.kind === 'switch' || (step.kind === 'verify' && step.unit)) parts.push(`[${step.unit}]`);
    let id = parts.join(' ');
    for (let n = 2; this.byId.has(id); n++) id = `${parts.join(' ')} #${n}`;
    const entry = { id, step, after: [...new Set(step.after)] };
    this.steps.push(entry);
    this.byId.set(id, entry);
    return id;
  }

  addAfter(id: string, before: string): void {
    const e = this.byId.get(id)!;
    if (!e.after.includes(before) && id !== before) e.after.push(before);
  }

  find(pred: (s: Step) => boolean): Step | undefined {
    return this.ordered().find(pred);
  }

  /** True when `a` (transitively) waits for `b`. */
  dependsOn(a: string, b: string): boolean {
    const seen = new Set<string>();
    const stack = [a];
    while (stack.length) {
      const x = stack.pop()!;
      if (x === b) return true;
      if (seen.has(x)) continue;
      seen.add(x);
      stack.push(...(this.byId.get(x)?.after ?? []));
    }
    return false;
  }

  /** Steps in a valid execution order (Kahn's algorithm, ties in creation order). */
  ordered(): Step[] {
    const position = new Map(this.steps.map((e, i) => [e.id, i]));
    const indeg = new Array<number>(this.steps.length).fill(0);
    const dependents: number[][] = this.steps.map(() => []);
    this.steps.forEach((e, i) => {
      indeg[i] = e.after.length;
      for (const a of e.after) dependents[position.get(a)!].push(i);
    });
    // A binary min-heap of positions: the ready step created first goes first.
    const heap: number[] = [];
    const push = (x: number): void => {
      heap.push(x);
      for (let i = heap.length - 1; i > 0; ) {
        const p = (i - 1) >> 1;
        if (heap[p] <= heap[i]) break;
        [heap[p], heap[i]] = [heap[i], heap[p]];
        i = p;
      }
    };
    const pop = (): number => {
      const top = heap[0];
      const last = heap.pop()!;
      if (heap.length > 0) {
        heap[0] = last;
        for (let i = 0; ; ) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < heap.length && heap[l] < heap[m]) m = l;
          if (r < heap.length && heap[r] < heap[m]) m = r;
          if (m === i) break;
          [heap[m], heap[i]] = [heap[i], heap[m]];
          i = m;
        }
      }
      return top;
    };
    indeg.forEach((d, i) => d === 0 && push(i));
    const out: Step[] = [];
    while (heap.length) {
      const i = pop();
      const e = this.steps[i];
      const { label: _label, ...rest } = e.step;
      void _label;
      out.push({ ...rest, id: e.id, after: [...e.after].sort((x, y) => position.get(x)! - position.get(y)!) });
      for (const d of dependents[i]) if (--indeg[d] === 0) push(d);
    }
    if (out.length !== this.steps.length) throw new Error('planner bug: step graph has a cycle');
    return out;
  }
}

/** True when a planned value contradicts an actual one at known positions (unknowns match anything). */
export function contradicts(planned: Value, actual: Value): boolean {
  if (isUnknown(planned)) return false;
  if (planned instanceof Sensitive || actual instanceof Sensitive) {
    const p = planned instanceof Sensitive ? planned.value : planned;
    const a = actual instanceof Sensitive ? actual.value : actual;
    // A secret the plan knew only by its stored form is what it was when it hashes alike.
    return containsUnknown(p) ? contradicts(p, a) : !sameStoredValue(p, a);
  }
  if (Array.isArray(planned)) {
    if (!Array.isArray(actual) || actual.length !== planned.length) return true;
    return planned.some((p, i) => contradicts(p, actual[i]));
  }
  if (typeof planned === 'object' && planned !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return true;
    const po = planned as ObjectValue;
    const ao = actual as ObjectValue;
    return Object.keys(po).some((k) => contradicts(po[k], ao[k] ?? null));
  }
  return !sameStoredValue(planned, actual);
}

/** A value computed on first use. */
function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  let made = false;
  return () => {
    if (!made) {
      value = make();
      made = true;
    }
    return value as T;
  };
}
