/**
 * Apply: carries out a finished plan. Steps run as soon as the steps they wait for are done, up
 * to `parallelism` at once. State is written before every provider call that may create
 * something (the intent) and after every completed step, so a crash at any moment leaves
 * nothing state does not know about. A failed deploy unit is rolled back: before its switch,
 * green is destroyed and blue is untouched; after it, the routes go back to blue first.
 */
import { setMaxListeners } from 'node:events';
import type { Config } from '../config/types.js';
import { CONDITION_FAILED, checkRules } from '../evaluate/conditions.js';
import { evaluateExpr } from '../evaluate/evaluate.js';
import { ReadyQueue } from '../graph/dag.js';
import { type Diagnostic, error, hasErrors } from '../diagnostics.js';
import { Sensitive, containsSensitive, containsUnknown, isObject, toJson, type Json, type ObjectValue, type Value } from '../evaluate/value.js';
import { typeJsonOf } from '../evaluate/type-json.js';
import { checkResourceValidations } from '../evaluate/variables.js';
import type { OperationContext, Provider, ResourceType } from '../providers/contract.js';
import { type DataSourceRead, type DeployUnit, type Plan, type ResourceChange, type Step, planMovesState } from '../planner/plan.js';
import { readDataSource } from './data-read.js';
import { dataReadRange } from '../planner/data-sources.js';
import { blockOf } from '../addrs/address.js';
import { NEW_COPY, SERVING, copyColor, describeTarget } from '../planner/colors.js';
import type { TypeInfo } from '../planner/context.js';
import { contradicts } from './contradicts.js';
import { addImportedRecords } from '../state/import.js';
import { carryOutPlannedMoves } from '../state/move.js';
import { drainBlue, drainBound, type DrainingRoute, type RetiringProvision } from './drain.js';
import { findInstance, removeInstance, upsertInstance } from '../state/query.js';
import { keepPriorSecrets, sameStoredValue, splitSensitive, storedForm } from '../state/sensitive.js';
import type { StateDataSource, StateFile, StateInstance, StateOutput } from '../state/types.js';
import { providerBug } from './provider-bug.js';
import { type Scrubber, runScrubber } from './scrubber.js';
import { World } from './world.js';
import { switchedState } from './kept.js';
import { type BakeOutcome, bakeDetails, bakeEnd, bakeFailedSummary, bakeInterruptedWarning, bakeStartLine, keptCopyOf, retireEndedWindows, runBake } from './bake.js';

/** What apply writes state through (the StateStore, or a test double with the same shape). */
export interface StateWriter {
  readonly state: StateFile;
  update(change: (state: StateFile) => StateFile): Promise<readonly Diagnostic[]>;
}

export type ApplyEvent =
  | { readonly type: 'start'; readonly step: Step; readonly rollback: boolean }
  | { readonly type: 'done'; readonly step: Step; readonly elapsedMs: number; readonly rollback: boolean; readonly details?: string }
  | { readonly type: 'failed'; readonly step: Step; readonly elapsedMs: number; readonly diagnostics: readonly Diagnostic[]; readonly rollback: boolean }
  | { readonly type: 'still'; readonly step: Step; readonly elapsedMs: number }
  | { readonly type: 'log'; readonly step: Step; readonly line: string }
  | { readonly type: 'rollback'; readonly unit: string; readonly reason: string }
  | { readonly type: 'interrupt'; readonly hard: boolean }
  /** What a bake is doing (apply/bake.ts): a round passed, it starts; `step`: the bake step it belongs to. */
  | { readonly type: 'bake'; readonly message: string; readonly step?: Step };

export interface ApplyOptions {
  readonly plan: Plan;
  readonly config: Config;
  readonly variables: ReadonlyMap<string, Value>;
  readonly env: NodeJS.ProcessEnv;
  readonly store: StateWriter;
  readonly types: (typeName: string) => TypeInfo;
  /** Loaded provider implementations by provider name. */
  readonly providers: ReadonlyMap<string, Provider>;
  readonly providerConfigs: ReadonlyMap<string, Readonly<Record<string, Json>>>;
  readonly stateDir: string;
  readonly parallelism: number;
  /** Aborted on the first interrupt: no new steps start, in-flight units finish or roll back. */
  readonly stop?: AbortSignal;
  /** Aborted on the second interrupt: providers are asked to give up at once. */
  readonly kill?: AbortSignal;
  readonly onEvent?: (e: ApplyEvent) => void;
  /** How often "Still creating..." is reported (default 10 s). */
  readonly stillIntervalMs?: number;
  /**
   * What every provider line and diagnostic passes through before `onEvent` and the result see
   * it; apply teaches it the secrets it comes to know. Default: one knowing the variables and
   * provider settings (`runScrubber`).
   */
  readonly scrubber?: Scrubber;
  /**
   * How long blue is kept after a unit's switch for the old path to drain before it is
   * destroyed (default: INFRA_DRAIN_TIMEOUT from `env`, else 30 s; see ./drain.ts).
   */
  readonly drainTimeoutMs?: number;
}

export interface ApplyResult {
  readonly ok: boolean;
  readonly diagnostics: readonly Diagnostic[];
  readonly completed: readonly string[];
  readonly failed: readonly string[];
  /** Units rolled back, with the reason. */
  readonly rolledBack: readonly { readonly unit: string; readonly reason: string }[];
  /**
   * Verify steps whose check ran and did not pass (as opposed to a check that could not run: its
   * configuration failed to evaluate, or its provider erred). Absent: none.
   */
  readonly checksFailed?: readonly string[];
  readonly interrupted: boolean;
}

type Status = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

interface UnitProgress {
  /** Route address -> its attributes before the switch, to put back on rollback. */
  readonly switched: Map<string, Readonly<Record<string, Json>>>;
  /** Routes whose switch created them (nothing to switch from): rollback removes them again. */
  readonly createdRoutes: Set<string>;
  started: boolean;
  committed: boolean;
  failed: string | null;
  finished: boolean;
}

/** Carries out `plan`; never throws for provider failures, which become diagnostics. */
export async function apply(options: ApplyOptions): Promise<ApplyResult> {
  const moved = await writePlannedMoves(options);
  if (moved.length) return { ok: false, diagnostics: moved, completed: [], failed: [], rolledBack: [], interrupted: false };
  const result = await new Applier(options).run();
  // keep_blue: kept copies whose window ended during the apply are destroyed by a plan of their own (bake.ts).
  return retireEndedWindows(options, result, (plan, onEvent) => new Applier({ ...options, plan, onEvent: onEvent ?? options.onEvent }).run());
}

/**
 * The plan's `moved`/`removed`/`import` blocks, written to the state in one write before any
 * provider step: a crash after it leaves a state whose next plan has nothing left to move or
 * import. Errors only.
 */
async function writePlannedMoves(o: ApplyOptions): Promise<readonly Diagnostic[]> {
  if (!planMovesState(o.plan)) return [];
  const edit = carryOutPlannedMoves(o.store.state, o.plan.moves ?? [], o.plan.forgets ?? []);
  if (!edit.state) return edit.diagnostics.map((d) => ({ ...d, detail: `${d.detail ?? ''}\nThe state changed since the plan was made; plan again.`.trim() }));
  const imported = addImportedRecords(edit.state, (o.plan.imports ?? []).map((i) => i.record));
  if (!imported.state) return imported.diagnostics;
  const moved = imported.state;
  const written = await o.store.update(() => moved);
  return written.filter((d) => d.severity === 'error');
}

class Applier {
  private readonly status = new Map<string, Status>();
  private readonly diagnostics: Diagnostic[] = [];
  private readonly completed: string[] = [];
  private readonly failed: string[] = [];
  private readonly rolledBack: { unit: string; reason: string }[] = [];
  private readonly checksFailed: string[] = [];
  private readonly units = new Map<string, UnitProgress>();
  private readonly world: World;
  private stopping = false;
  /**
   * Steps holding one of the `parallelism` slots. A step gives its slot back as soon as its
   * provider call returns, so recording the result overlaps with the next step's call.
   */
  private readonly holding = new Set<string>();
  private wake: () => void = () => {};
  private slotFreed: Promise<void> = new Promise((r) => (this.wake = r));
  /** The last evaluated configuration of each instance, with its sensitive marks. */
  private readonly evaluated = new Map<string, Readonly<Record<string, Value>>>();
  private readonly killController = new AbortController();
  private readonly scrub: Scrubber;
  /** Which steps may start: every step they wait for is done. */
  private readonly ready: ReadyQueue;
  /** The plan's changes by address, in plan order. */
  private readonly changesAt = new Map<string, ResourceChange[]>();
  /** Each deploy unit's steps, in plan order. */
  private readonly stepsOfUnit = new Map<string, Step[]>();
  /** Each committed unit's drain, started by the first delete of its blue copy. */
  private readonly drains = new Map<string, Promise<readonly Diagnostic[]>>();
  private readonly drainTimeoutMs: number;
  /** Data sources the plan leaves to apply to read, by address, until read. */
  private readonly pendingData = new Map<string, DataSourceRead>();
  /** What each data source is, as read (by the plan or by this apply), for the state. */
  private readonly dataRead = new Map<string, Readonly<Record<string, Json>>>();
  private dataChain: Promise<void> = Promise.resolve();
  /** Step ids by address, to tell when every step of an instance is done. */
  private readonly stepsAt = new Map<string, string[]>();
  /** Bakes that ended other than by passing (failed, or an interrupt), for the apply's closing diagnostics. */
  private readonly bakesEnded: { readonly unit: string; readonly outcome: BakeOutcome; readonly keptUntil: string }[] = [];

  constructor(private readonly o: ApplyOptions) {
    this.scrub = o.scrubber ?? runScrubber(o.config, o.variables, o.providers, o.providerConfigs, o.env);
    this.world = new World(o.config, o.variables, o.env, o.plan, o.store.state);
    const bound = drainBound(o.env);
    this.drainTimeoutMs = o.drainTimeoutMs ?? bound.ms;
    if (o.drainTimeoutMs === undefined) this.diagnostics.push(...bound.diagnostics);
    for (const d of o.plan.data ?? []) {
      if (d.deferred) this.pendingData.set(d.address, d);
      else this.dataRead.set(d.address, toJson(d.values as Value) as Record<string, Json>);
    }
    for (const s of o.plan.steps) {
      this.stepsAt.set(s.address, [...(this.stepsAt.get(s.address) ?? []), s.id]);
      this.status.set(s.id, 'pending');
      if (s.unit === null) continue;
      const list = this.stepsOfUnit.get(s.unit);
      if (list) list.push(s);
      else this.stepsOfUnit.set(s.unit, [s]);
    }
    this.ready = new ReadyQueue(o.plan.steps);
    for (const c of o.plan.changes) {
      const list = this.changesAt.get(c.address);
      if (list) list.push(c);
      else this.changesAt.set(c.address, [c]);
    }
    for (const u of o.plan.units) {
      this.units.set(u.address, { switched: new Map(), createdRoutes: new Set(), started: false, committed: false, failed: null, finished: false });
    }
    // Every provider call listens on this signal; a wide apply has many at once.
    setMaxListeners(0, this.killController.signal);
    o.kill?.addEventListener('abort', () => this.killController.abort(), { once: true });
    o.stop?.addEventListener('abort', () => {
      this.stopping = true;
      this.emit({ type: 'interrupt', hard: false });
    }, { once: true });
  }

  async run(): Promise<ApplyResult> {
    if (hasErrors(this.diagnostics)) {
      return { ok: false, diagnostics: this.scrub.diagnostics(this.diagnostics), completed: [], failed: [], rolledBack: [], interrupted: false };
    }
    const running = new Map<string, Promise<void>>();
    const steps = this.o.plan.steps;
    for (;;) {
      for (const i of this.ready.list()) {
        if (this.holding.size >= Math.max(1, this.o.parallelism)) break;
        const step = steps[i];
        if (this.status.get(step.id) !== 'pending' || !this.mayStart(step)) continue;
        this.ready.take(i);
        this.status.set(step.id, 'running');
        this.holding.add(step.id);
        const p = this.runStep(step).finally(() => {
          this.release(step);
          running.delete(step.id);
        });
        running.set(step.id, p);
      }
      if (running.size === 0) break;
      await Promise.race([...running.values(), this.slotFreed]);
    }
    // Units that started and did not finish are rolled back; a committed one keeps green, and
    // what is left of its blue is deleted by the next apply.
    for (const [address, u] of this.units) {
      if (!u.started || u.finished) continue;
      try {
        await this.rollback(address, u.failed ?? (this.stopping ? 'interrupted' : 'another step failed'));
      } catch (e) {
        this.diagnostics.push(providerBug(this.change(address)?.provider ?? 'unknown', 'rolling back the deploy of', address, e, 'The state holds what was done before it; apply again to finish.'));
      }
    }
    for (const [id, s] of this.status) if (s === 'pending') this.status.set(id, 'skipped');
    if (this.pendingData.size > 0 && this.o.plan.steps.length > 0) await this.readDeferredData(null);
    await this.recordOutputs();
    if (this.o.plan.mode !== 'destroy') {
      // Variable validation rules that read resources were unknown at plan; as Terraform 1.11,
      // they are checked now that the resources are known, and a failed one fails the apply.
      for (const v of checkResourceValidations(this.o.config, this.world.outputScope())) {
        this.diagnostics.push(v.diagnostic);
        if (v.diagnostic.severity === 'error' && !this.failed.includes(`var.${v.variable}`)) this.failed.push(`var.${v.variable}`);
      }
    }
    this.diagnostics.push(...this.bakeSummaries());
    // An interrupt that only ended a bake, with every step done, leaves a finished apply.
    const skipped = [...this.status.values()].some((s) => s === 'skipped');
    const bakeOnly = this.bakesEnded.some((b) => b.outcome.interrupted) && !skipped;
    const interrupted = this.stopping && !this.failed.length && !bakeOnly;
    return {
      ok: this.failed.length === 0 && !interrupted,
      diagnostics: this.scrub.diagnostics(this.diagnostics),
      completed: this.completed,
      failed: this.failed,
      rolledBack: this.rolledBack,
      ...(this.checksFailed.length ? { checksFailed: this.checksFailed } : {}),
      interrupted,
    };
  }

  /**
   * The closing diagnostic of each bake that failed or an interrupt ended, naming the units this
   * apply did not start.
   */
  private bakeSummaries(): Diagnostic[] {
    const notStarted = this.o.plan.units.filter((u) => !this.units.get(u.address)!.started).map((u) => u.address);
    return this.bakesEnded.map(({ unit, outcome, keptUntil }) => {
      const planned = this.o.plan.units.find((u) => u.address === unit)!;
      return outcome.failure ? bakeFailedSummary(planned, outcome.failure, keptUntil, notStarted) : bakeInterruptedWarning([unit], outcome.rounds, keptUntil, notStarted);
    });
  }

  /**
   * A bake step (./bake.ts): the unit's post-switch checks in rounds until the bake's end. A
   * failing round switches the unit back to its kept blue and fails the step; an interrupt ends
   * the bake, the deploy standing.
   */
  private async bake(step: Step): Promise<{ diagnostics: readonly Diagnostic[]; details?: string }> {
    const unit = this.o.plan.units.find((u) => u.address === step.unit)!;
    const kept = keptCopyOf(this.o.store.state, unit);
    if (!kept || !step.bake || !unit.keepBlue) return { diagnostics: [], details: 'nothing kept to bake' };
    const endsAt = bakeEnd(kept, unit.keepBlue.windowMs, step.bake.durationMs);
    const say = (message: string): void => this.emit({ type: 'bake', message, step });
    say(bakeStartLine(step.bake.checks, step.bake.intervalMs, endsAt, kept.kept.until));
    const bg = new Set(this.o.plan.steps.filter((s) => s.blueGreen).map((s) => s.address));
    const outcome = await runBake({
      plan: this.o.plan,
      store: this.o.store,
      unit,
      checks: step.bake.checks,
      intervalMs: step.bake.intervalMs,
      endsAt,
      ...(this.o.stop ? { stop: this.o.stop } : {}),
      say,
      onEvent: (e) => this.emit(e),
      // Rounds and the switch back are applies of their own; this apply reports the interrupt.
      run: (plan, onEvent) => new Applier({ ...this.o, plan, onEvent: (e) => e.type !== 'interrupt' && (onEvent ?? this.o.onEvent)?.(e) }).run(),
      blueGreen: (a) => bg.has(a),
    });
    if (outcome.failure) {
      this.rolledBack.push({ unit: unit.address, reason: outcome.failure.reason });
      this.completed.push(...outcome.failure.completed);
      this.resetWorld(unit);
    }
    if (outcome.failure || outcome.interrupted) this.bakesEnded.push({ unit: unit.address, outcome, keptUntil: kept.kept.until });
    return { diagnostics: outcome.diagnostics, details: bakeDetails(outcome.rounds) };
  }

  /** After a switch back during a bake: the unit's copies and routes as the state has them now. */
  private resetWorld(unit: DeployUnit): void {
    for (const address of [unit.address, ...unit.provisions, ...unit.routes]) {
      const live = this.o.store.state.resources.find((r) => r.address === address && r.live);
      const change = this.change(address);
      if (live && change) this.world.set(address, this.marked(change, live.attributes));
    }
  }

  /** Reports an event, with every provider-made text in it scrubbed of the run's secrets. */
  private emit(e: ApplyEvent): void {
    if (!this.o.onEvent) return;
    const s = this.scrub;
    switch (e.type) {
      case 'log':
        return this.o.onEvent({ ...e, line: s.text(e.line) });
      case 'failed':
        return this.o.onEvent({ ...e, diagnostics: s.diagnostics(e.diagnostics) });
      case 'done':
        return this.o.onEvent(e.details === undefined ? e : { ...e, details: s.text(e.details) });
      case 'rollback':
        return this.o.onEvent({ ...e, reason: s.text(e.reason) });
      default:
        return this.o.onEvent(e);
    }
  }

  private release(step: Step): void {
    if (!this.holding.delete(step.id)) return;
    this.wake();
    this.slotFreed = new Promise((r) => (this.wake = r));
  }

  /** After a failure or an interrupt only the remaining steps of committed units may start. */
  private mayStart(step: Step): boolean {
    if (this.killController.signal.aborted) return false;
    const failedAny = this.failed.length > 0;
    if (!failedAny && !this.stopping) return true;
    if (!step.unit) return false;
    const u = this.units.get(step.unit)!;
    return u.committed && !u.failed;
  }

  private ctx(provider: string, step: Step): OperationContext {
    return {
      stateDir: this.o.stateDir,
      lineage: this.o.store.state.lineage,
      providerConfig: this.o.providerConfigs.get(provider) ?? {},
      log: (line) => this.emit({ type: 'log', step, line }),
      signal: this.killController.signal,
      env: this.o.env,
    };
  }

  /** The change at `address`: the one that creates `generation`, else the one acting on it, else any. */
  private change(address: string, generation?: number): ResourceChange | undefined {
    const at = this.changesAt.get(address) ?? [];
    return (
      at.find((c) => c.after !== null && (generation === undefined || c.plannedGeneration === generation)) ??
      at.find((c) => generation === undefined || c.priorGeneration === generation) ??
      at[0]
    );
  }

  private impl(change: ResourceChange): ResourceType {
    const p = this.o.providers.get(change.provider);
    const t = p?.resourceTypes[change.type];
    if (!t) throw new Error(`provider ${change.provider} does not implement ${change.type}`);
    return t;
  }

  private async runStep(step: Step, rollback = false): Promise<void> {
    const started = Date.now();
    this.emit({ type: 'start', step, rollback });
    const timer = setInterval(() => this.emit({ type: 'still', step, elapsedMs: Date.now() - started }), this.o.stillIntervalMs ?? 10_000);
    if (step.unit) this.units.get(step.unit)!.started = true;
    let result: { diagnostics: readonly Diagnostic[]; details?: string };
    try {
      result = await this.execute(step);
    } catch (e) {
      // A provider bug: report it as a failure of this step instead of crashing the apply,
      // so state is still persisted and units are still rolled back.
      result = { diagnostics: [this.bug(step, e)] };
    } finally {
      clearInterval(timer);
    }
    const elapsedMs = Date.now() - started;
    if (hasErrors(result.diagnostics)) {
      this.status.set(step.id, 'failed');
      this.failed.push(step.id);
      this.diagnostics.push(...result.diagnostics);
      this.emit({ type: 'failed', step, elapsedMs, diagnostics: result.diagnostics, rollback });
      if (step.unit) {
        const u = this.units.get(step.unit)!;
        u.failed ??= `${step.id} failed`;
      }
      return;
    }
    this.diagnostics.push(...result.diagnostics);
    this.status.set(step.id, 'done');
    this.ready.finish(step.id);
    this.completed.push(step.id);
    this.emit({ type: 'done', step, elapsedMs, rollback, details: result.details });
    if (step.unit) this.afterUnitStep(step);
  }

  /** Reads (once, one caller at a time) every deferred data source whose dependencies are done. */
  private readDeferredData(step: Step | null): Promise<void> {
    this.dataChain = this.dataChain.then(() => this.readSettledData(step));
    return this.dataChain;
  }

  private async readSettledData(step: Step | null): Promise<void> {
    const settled = (address: string): boolean => (this.stepsAt.get(address) ?? []).every((id) => this.status.get(id) === 'done');
    for (let progress = true; progress; ) {
      progress = false;
      for (const d of [...this.pendingData.values()]) {
        if (!d.dependencies.every(settled)) continue;
        const impl = this.o.providers.get(d.provider)?.dataSources?.[d.type];
        if (!impl) continue;
        const r = this.world.evaluateData(d.address, impl.schema);
        // Still unknown: it reads another data source not read yet (the next round reads it).
        if (!r.config || hasErrors(r.diagnostics) || containsUnknown(r.config as Value)) continue;
        this.pendingData.delete(d.address);
        progress = true;
        const config = toJson(r.config as Value) as Record<string, Json>;
        // Provider lines of a read go with the step that needed it; after the last step, nowhere.
        const context = step ? this.ctx(d.provider, step) : { ...this.ctx(d.provider, this.o.plan.steps[0]), log: () => {} };
        const decl = this.o.config.dataSources?.find((x) => x.address === blockOf(d.address));
        const read = await readDataSource({ ...d, config, ...(decl ? { range: dataReadRange(decl) } : {}) }, this.o.providers, () => context, this.o.config.dir);
        if (!read.state) {
          this.failed.push(`read ${d.address}`);
          this.diagnostics.push(...read.diagnostics);
          continue;
        }
        this.diagnostics.push(...read.diagnostics);
        this.dataRead.set(d.address, read.state);
        this.world.setData(d.address, read.state as ObjectValue);
      }
    }
  }

  /** The error for an exception thrown while carrying out `step` (a bug, never an outside failure). */
  private bug(step: Step, thrown: unknown): Diagnostic {
    const provider = this.change(step.address)?.provider ?? findInstance(this.o.store.state, step.address, step.generation)?.provider ?? 'unknown';
    return providerBug(provider, VERB[step.kind], step.address, thrown, 'The state holds what was done before it.');
  }

  /** Marks a unit committed once every switch and post-switch check passed; finished at its last step. */
  private afterUnitStep(step: Step): void {
    const u = this.units.get(step.unit!)!;
    const unitSteps = this.stepsOfUnit.get(step.unit!) ?? [];
    const gate = unitSteps.filter((s) => s.kind === 'switch' || (s.kind === 'verify' && s.afterSwitch));
    if (!u.committed && gate.every((s) => this.status.get(s.id) === 'done') && unitSteps.filter((s) => s.kind === 'verify').every((s) => this.status.get(s.id) === 'done')) {
      u.committed = true;
    }
    if (unitSteps.every((s) => this.status.get(s.id) === 'done')) u.finished = true;
  }

  /** Carries out the step's operation; a switch and a check also do what their kind adds to it. */
  private async execute(step: Step): Promise<{ diagnostics: readonly Diagnostic[]; details?: string }> {
    // Data sources read during apply are read as soon as what they depend on is done; a step
    // that uses one depends on those resources too (its dependencies go through data sources).
    if (this.pendingData.size > 0 && step.operation !== 'delete') await this.readDeferredData(step);
    if (step.kind === 'switch') return this.switchRoute(step);
    if (step.kind === 'bake') return this.bake(step);
    switch (step.operation) {
      case 'create':
        // A check's create verifies it; its messages speak of creating it, as for any resource.
        return this.create(step.kind === 'verify' ? { ...step, kind: 'create' } : step);
      case 'update':
        return step.kind === 'verify' ? this.reverify(step) : this.update(step);
      case 'verify':
        return this.verify(step);
      case 'delete': {
        if (!this.deletesCommittedBlue(step)) return this.delete(step);
        const drained = await this.drainBefore(step);
        const res = await this.delete(step);
        return { diagnostics: [...drained, ...res.diagnostics] };
      }
    }
  }

  /** A delete of a committed unit's blue copy (or of its provisioning): blue is drained first. */
  private deletesCommittedBlue(step: Step): boolean {
    if (step.unit === null || step.color !== SERVING) return false;
    const u = this.o.plan.units.find((x) => x.address === step.unit);
    return u !== undefined && step.generation === u.priorGeneration && this.units.get(step.unit)!.committed;
  }

  /**
   * Waits, once per unit, for blue to drain (./drain.ts); the first of its deletes to get here
   * starts it and reports its warnings, the others wait for the same drain.
   */
  private async drainBefore(step: Step): Promise<readonly Diagnostic[]> {
    const unitAddress = step.unit!;
    const running = this.drains.get(unitAddress);
    if (running) {
      await running;
      return [];
    }
    const started = this.drainUnit(unitAddress, step);
    this.drains.set(unitAddress, started);
    return started;
  }

  private drainUnit(unitAddress: string, step: Step): Promise<readonly Diagnostic[]> {
    const u = this.units.get(unitAddress)!;
    const planned = this.o.plan.units.find((x) => x.address === unitAddress)!;
    const routes: DrainingRoute[] = [];
    for (const [address, previous] of u.switched) {
      const current = this.o.store.state.resources.find((r) => r.address === address && r.live);
      const change = this.change(address);
      if (!current || !change) continue;
      routes.push({ address, generation: current.generation, current: current.attributes, previous, impl: this.impl(change), ctx: this.ctx(change.provider, step) });
    }
    const provisions: RetiringProvision[] = [];
    for (const address of planned.provisions) {
      const blue = findInstance(this.o.store.state, address, planned.priorGeneration);
      const impl = blue && this.o.providers.get(blue.provider)?.resourceTypes[blue.type];
      if (!blue || !impl) continue;
      provisions.push({ address, generation: blue.generation, prior: blue.attributes, impl, ctx: this.ctx(blue.provider, step) });
    }
    const stop = AbortSignal.any([this.killController.signal, ...(this.o.stop ? [this.o.stop] : [])]);
    return drainBlue({ unit: unitAddress, provisions, routes, boundMs: this.drainTimeoutMs, configDir: this.o.config.dir, log: (line) => this.emit({ type: 'log', step, line }), signal: stop });
  }

  /** Evaluates the step's configuration now and checks it against what the plan showed. */
  private evaluate(step: Step, change: ResourceChange): { config: Record<string, Json> | null; marked: Record<string, Value> | null; diagnostics: Diagnostic[] } {
    const info = this.o.types(change.type);
    const r = this.world.evaluate(step.address, info);
    if (!r.config || hasErrors(r.diagnostics)) return { config: null, marked: null, diagnostics: r.diagnostics };
    this.evaluated.set(step.address, r.config);
    this.scrub.learn(r.config);
    const diagnostics = [...r.diagnostics];
    // Computed attributes the configuration leaves out keep their planned placeholders.
    const config: Record<string, Json> = {};
    for (const [k, v] of Object.entries(r.config)) {
      if (containsUnknown(v)) {
        diagnostics.push(error(`${step.address}: "${k}" is still unknown when ${step.kind === 'switch' ? 'switching' : step.kind === 'verify' ? 'verifying' : 'creating'} it`, 'A value it depends on was never set by its provider.'));
        continue;
      }
      config[k] = toJson(v);
      const planned = change.after?.[k];
      if (planned !== undefined && step.kind !== 'switch' && !step.unit && contradicts(planned, v)) {
        diagnostics.push(
          error(
            `${step.address}: "${k}" is not what the reviewed plan said`,
            `The plan showed one value and the configuration now gives another, so applying it would not be what was reviewed. Plan again and review the new plan.`,
          ),
        );
      }
    }
    return { config: hasErrors(diagnostics) ? null : config, marked: r.config, diagnostics };
  }

  /**
   * Writes an instance to state. `marked` is the configuration as evaluated, with its sensitive
   * marks: secrets nested in attributes are stored as hashes, never as values.
   */
  private record(
    change: ResourceChange,
    step: Step,
    attributes: Readonly<Record<string, Json>>,
    status: StateInstance['status'],
    live: boolean,
    marked?: Readonly<Record<string, Value>> | null,
  ): Promise<readonly Diagnostic[]> {
    const info = this.o.types(change.type);
    const sensitiveNames = Object.entries(info.schema.attributes)
      .filter(([, a]) => a.sensitive)
      .map(([n]) => n);
    const redacted: Record<string, Json> = { ...attributes };
    for (const [k, v] of Object.entries(marked ?? this.evaluated.get(change.address) ?? {})) {
      if (k in redacted && !sensitiveNames.includes(k) && containsSensitive(v)) redacted[k] = storedForm(v) as Json;
    }
    for (const name of sensitiveNames) if (name in attributes) this.scrub.learnSecret(attributes[name]);
    const split = splitSensitive(redacted, sensitiveNames);
    const now = new Date().toISOString();
    return this.o.store.update((s) => {
      const existing = findInstance(s, change.address, step.generation);
      const inst: StateInstance = {
        address: change.address,
        type: change.type,
        name: change.name,
        index: change.index,
        provider: change.provider,
        role: change.role,
        status,
        generation: step.generation,
        color: step.blueGreen ? copyColor(live) : null,
        live,
        attributes: split.attributes,
        sensitive_attributes: split.sensitive_attributes,
        dependencies: [...change.dependencies],
        created_at: existing?.created_at ?? now,
        updated_at: now,
      };
      return upsertInstance(s, inst);
    });
  }

  /**
   * The values an instance got, as the language sees them: schema-sensitive attributes marked,
   * and every part the provider echoed back from a sensitive part of the configuration (a host's
   * password inside a provisioner's `host`) marked again, so it stays secret downstream.
   */
  private marked(change: ResourceChange, attributes: Readonly<Record<string, Json>>): ObjectValue {
    const info = this.o.types(change.type);
    const evaluated = this.evaluated.get(change.address) ?? {};
    const out: Record<string, Value> = {};
    for (const [k, v] of Object.entries(attributes)) {
      if (info.schema.attributes[k]?.sensitive) out[k] = new Sensitive(v as Value);
      else out[k] = k in evaluated ? remark(evaluated[k], v as Value) : (v as Value);
    }
    this.scrub.learn(out);
    return out;
  }

  private async create(step: Step): Promise<{ diagnostics: readonly Diagnostic[] }> {
    const change = this.change(step.address, step.generation)!;
    const ev = this.evaluate(step, change);
    if (!ev.config) return ev;
    // In a unit, green stays out of traffic (not live) until the switch.
    const live = step.unit === null;
    const intent = await this.record(change, step, ev.config, 'creating', false);
    if (hasErrors(intent)) return { diagnostics: intent };
    const res = await this.impl(change).create(
      { address: step.address, generation: step.generation, config: ev.config, configDir: this.o.config.dir },
      this.ctx(change.provider, step),
    );
    this.release(step);
    if (hasErrors(res.diagnostics)) {
      // What the provider says exists is kept (tainted) so it is destroyed, never forgotten.
      const w = res.state
        ? await this.record(change, step, res.state, 'tainted', false)
        : await this.o.store.update((s) => removeInstance(s, change.address, step.generation));
      return { diagnostics: [...res.diagnostics, ...w] };
    }
    const attrs = { ...ev.config, ...(res.state ?? {}) };
    const w = await this.recordCreated(change, step, attrs, live);
    this.world.set(step.address, this.marked(change, attrs));
    return { diagnostics: [...res.diagnostics, ...w, ...this.world.postconditions(step.address)] };
  }

  /** Records a created object; outside units the object it replaces stops being live. */
  private async recordCreated(change: ResourceChange, step: Step, attrs: Readonly<Record<string, Json>>, live: boolean): Promise<readonly Diagnostic[]> {
    const w = await this.record(change, step, attrs, 'ready', live);
    if (!live) return w;
    const w2 = await this.o.store.update((s) => {
      let next = s;
      for (const r of s.resources) {
        if (r.address === change.address && r.generation !== step.generation && r.live) next = upsertInstance(next, { ...r, live: false, color: r.color === null ? null : copyColor(false) });
      }
      return next;
    });
    return [...w, ...w2];
  }

  private async update(step: Step): Promise<{ diagnostics: readonly Diagnostic[] }> {
    const change = this.change(step.address)!;
    const ev = this.evaluate(step, change);
    if (!ev.config) return ev;
    const prior = findInstance(this.o.store.state, step.address, step.generation);
    if (!prior) return { diagnostics: [error(`${step.address} is not in the state`, 'It was removed since the plan was made; plan again.')] };
    const res = await this.impl(change).update(
      { address: step.address, generation: step.generation, prior: prior.attributes, config: ev.config, configDir: this.o.config.dir },
      this.ctx(change.provider, step),
    );
    this.release(step);
    const attrs = keepPriorSecrets({ ...ev.config, ...res.state }, prior);
    const w = await this.record(change, step, keepPriorSecrets(hasErrors(res.diagnostics) ? res.state : attrs, prior), prior.status, prior.live);
    if (hasErrors(res.diagnostics)) return { diagnostics: [...res.diagnostics, ...w] };
    this.world.set(step.address, this.marked(change, attrs));
    return { diagnostics: [...res.diagnostics, ...w, ...this.world.postconditions(step.address)] };
  }

  /** A route moved from blue to green; green becomes live the moment traffic reaches it. */
  private async switchRoute(step: Step): Promise<{ diagnostics: readonly Diagnostic[]; details?: string }> {
    const change = this.change(step.address)!;
    const unit = this.units.get(step.unit!)!;
    const ev = this.evaluate(step, change);
    if (!ev.config) return ev;
    if (step.operation === 'create') {
      // The planner found nothing to switch from: creating the route is the switch, and green
      // is live from then on, as after any switch.
      const created = await this.create({ ...step, kind: 'create', unit: null });
      if (findInstance(this.o.store.state, step.address, step.generation)) unit.createdRoutes.add(step.address);
      if (hasErrors(created.diagnostics)) return created;
      const w = await this.setLive(step.unit!, 'green');
      return { diagnostics: [...created.diagnostics, ...w], details: this.trafficTarget(step) };
    }
    const prior = findInstance(this.o.store.state, step.address, 0) ?? this.o.store.state.resources.find((r) => r.address === step.address && r.live);
    if (!prior) return { diagnostics: [error(`${step.address} is not in the state`, 'It was removed since the plan was made; plan again.')] };
    unit.switched.set(step.address, prior.attributes);
    const res = await this.impl(change).update(
      { address: step.address, generation: prior.generation, prior: prior.attributes, config: ev.config, configDir: this.o.config.dir },
      this.ctx(change.provider, step),
    );
    if (hasErrors(res.diagnostics)) {
      // The provider reports what is true now; record it so rollback starts from the truth.
      const w = await this.record(change, { ...step, generation: prior.generation }, keepPriorSecrets(res.state, prior), prior.status, prior.live);
      return { diagnostics: [...res.diagnostics, ...w] };
    }
    const attrs = keepPriorSecrets({ ...ev.config, ...res.state }, prior);
    const w = await this.record(change, { ...step, generation: prior.generation }, attrs, 'ready', true);
    this.world.set(step.address, this.marked(change, attrs));
    const w2 = await this.setLive(step.unit!, 'green');
    return { diagnostics: [...res.diagnostics, ...w, ...w2, ...this.world.postconditions(step.address)], details: this.trafficTarget(step) };
  }

  /** Where a switch sent traffic, for people: the green copy's address as it was created. */
  private trafficTarget(step: Step): string {
    const u = this.o.plan.units.find((x) => x.address === step.unit)!;
    return describeTarget(this.world.current(u.address) ?? null, u.rollback ? `kept blue, generation ${u.plannedGeneration}` : NEW_COPY);
  }

  /** Makes the unit's green (or blue) copies live and the other copies not (kept, with keep_blue: kept.ts). */
  private setLive(unitAddress: string, which: 'green' | 'blue'): Promise<readonly Diagnostic[]> {
    const u = this.o.plan.units.find((x) => x.address === unitAddress)!;
    return this.o.store.update((s) => switchedState(s, u, which, new Date()));
  }

  /** A check outside a deploy unit is an ordinary resource whose update verifies it again. */
  private async reverify(step: Step): Promise<{ diagnostics: readonly Diagnostic[] }> {
    const change = this.change(step.address)!;
    const ev = this.evaluate(step, change);
    if (!ev.config) return ev;
    const prior = this.o.store.state.resources.find((r) => r.address === step.address && r.live);
    if (!prior) return { diagnostics: [error(`${step.address} is not in the state`, 'It was removed since the plan was made; plan again.')] };
    const res = await this.impl(change).update(
      { address: step.address, generation: prior.generation, prior: prior.attributes, config: ev.config, configDir: this.o.config.dir },
      this.ctx(change.provider, step),
    );
    if (hasErrors(res.diagnostics)) return res;
    const w = await this.record(change, { ...step, generation: prior.generation }, keepPriorSecrets({ ...ev.config, ...res.state }, prior), 'ready', true);
    return { diagnostics: [...res.diagnostics, ...w] };
  }

  /** A check in a deploy unit verifies the green copy (or, after the switch, the route). */
  private async verify(step: Step): Promise<{ diagnostics: readonly Diagnostic[]; details?: string }> {
    const change = this.change(step.address)!;
    const impl = this.impl(change);
    const ev = this.verifyConfig(step, change);
    if (!ev.config) return ev;
    const prior = this.o.store.state.resources.find((r) => r.address === step.address && r.live);
    if (!impl.verify) return { diagnostics: [error(`${change.type} cannot verify`, 'Only resource types with role "check" verify.')] };
    const res = await impl.verify({ address: step.address, generation: 0, config: ev.config, configDir: this.o.config.dir }, this.ctx(change.provider, step));
    if (!res.passed) {
      if (!hasErrors(res.diagnostics)) this.checksFailed.push(step.id);
      return {
        diagnostics: [
          ...res.diagnostics,
          ...(hasErrors(res.diagnostics) ? [] : [error(`Check ${step.address} failed against ${step.afterSwitch ? 'the switched route' : `the ${step.color} copy of ${step.unit}`}`, res.details)]),
        ],
      };
    }
    if (!prior) {
      const w = await this.record(change, { ...step, generation: 0 }, ev.config, 'ready', true);
      return { diagnostics: [...res.diagnostics, ...w], details: res.details };
    }
    const w = await this.record(change, { ...step, generation: prior.generation }, { ...prior.attributes, ...ev.config }, 'ready', true);
    return { diagnostics: [...res.diagnostics, ...w], details: res.details };
  }

  /**
   * The configuration a check verifies with: as evaluated now, except in a rollback, where the
   * kept copy is verified with what last verified it (`DeployUnit.rollback.checks`).
   */
  private verifyConfig(step: Step, change: ResourceChange): { config: Record<string, Json> | null; diagnostics: Diagnostic[] } {
    const stored = this.o.plan.units.find((u) => u.address === step.unit)?.rollback?.checks?.[step.address];
    return stored ? { config: { ...stored }, diagnostics: [] } : this.evaluate(step, change);
  }

  private async delete(step: Step): Promise<{ diagnostics: readonly Diagnostic[] }> {
    const inst = findInstance(this.o.store.state, step.address, step.generation);
    if (!inst) return { diagnostics: [] };
    const impl = this.o.providers.get(inst.provider)?.resourceTypes[inst.type];
    if (!impl) return { diagnostics: [error(`No provider for ${inst.type}`, `State holds ${inst.address}, but no loaded provider implements ${inst.type}.`)] };
    const w1 = await this.o.store.update((s) => upsertInstance(s, { ...inst, status: 'deleting', updated_at: new Date().toISOString() }));
    if (hasErrors(w1)) return { diagnostics: w1 };
    const res = await impl.delete({ address: inst.address, generation: inst.generation, prior: inst.attributes }, this.ctx(inst.provider, step));
    this.release(step);
    if (hasErrors(res.diagnostics)) {
      // It still exists: keep it in state, as it was.
      const w = await this.o.store.update((s) => upsertInstance(s, inst));
      return { diagnostics: [...res.diagnostics, ...w] };
    }
    const w = await this.o.store.update((s) => removeInstance(s, inst.address, inst.generation));
    return { diagnostics: [...res.diagnostics, ...w] };
  }

  /**
   * Undoes a unit: routes already switched go back to blue first (so traffic never points at
   * something about to be destroyed), then green's provisioning and green are destroyed.
   */
  private async rollback(unitAddress: string, reason: string): Promise<void> {
    const u = this.units.get(unitAddress)!;
    const plannedUnit = this.o.plan.units.find((x) => x.address === unitAddress)!;
    if (u.committed) {
      // Traffic is on green and verified: there is nothing to roll back. What is left of blue
      // stays in state as a retired copy, and the next apply destroys it.
      u.finished = true;
      return;
    }
    this.emit({ type: 'rollback', unit: unitAddress, reason });
    this.rolledBack.push({ unit: unitAddress, reason });
    for (const [route, before] of u.switched) {
      const change = this.change(route)!;
      const current = this.o.store.state.resources.find((r) => r.address === route && r.live);
      const planned = this.o.plan.steps.find((s) => s.kind === 'switch' && s.address === route && s.unit === unitAddress);
      const step: Step = {
        id: `restore ${route} (blue) [${unitAddress}]`,
        kind: 'switch',
        operation: 'update',
        blueGreen: planned?.blueGreen ?? false,
        address: route,
        color: SERVING,
        unit: unitAddress,
        afterSwitch: false,
        after: [],
        generation: current?.generation ?? 0,
      };
      const started = Date.now();
      this.emit({ type: 'start', step, rollback: true });
      const res = await this.impl(change).update(
        { address: route, generation: step.generation, prior: current?.attributes ?? before, config: before, configDir: this.o.config.dir },
        this.ctx(change.provider, step),
      );
      const w = await this.record(change, step, hasErrors(res.diagnostics) ? res.state : { ...before, ...res.state }, 'ready', true);
      if (hasErrors(res.diagnostics) || hasErrors(w)) {
        this.diagnostics.push(...res.diagnostics, ...w);
        this.emit({ type: 'failed', step, elapsedMs: Date.now() - started, diagnostics: [...res.diagnostics, ...w], rollback: true });
      } else {
        this.world.set(route, this.marked(change, { ...before, ...res.state }));
        this.emit({ type: 'done', step, elapsedMs: Date.now() - started, rollback: true });
      }
    }
    // A route this deploy created did not exist before it: removing it restores the world as it
    // was, and nothing is left pointing at green once green is destroyed.
    for (const route of u.createdRoutes) {
      const created = findInstance(this.o.store.state, route, this.o.plan.steps.find((s) => s.kind === 'switch' && s.address === route && s.unit === unitAddress)?.generation ?? 0);
      if (!created) continue;
      await this.runRollbackDelete(unitAddress, created.address, created.generation, null, false);
    }
    const w = await this.setLive(unitAddress, 'blue');
    this.diagnostics.push(...w);
    if (plannedUnit.rollback) {
      // A rollback that failed: its "green" is the kept copy, kept again; nothing is destroyed.
      u.finished = true;
      return;
    }
    // Green's provisioning, then green itself.
    const greens = this.o.store.state.resources.filter(
      (r) => r.generation === plannedUnit.plannedGeneration && (plannedUnit.provisions.includes(r.address) || r.address === unitAddress),
    );
    greens.sort((a, b) => (a.address === unitAddress ? 1 : b.address === unitAddress ? -1 : 0));
    for (const g of greens) await this.runRollbackDelete(unitAddress, g.address, g.generation, NEW_COPY, g.color !== null);
    const blue = this.o.store.state.resources.find((r) => r.address === unitAddress && r.live);
    if (blue) this.world.set(unitAddress, this.marked(this.change(unitAddress)!, blue.attributes));
    u.finished = true;
  }

  /** One delete of a rollback (a green copy, or a route the deploy created), with its events. */
  private async runRollbackDelete(unitAddress: string, address: string, generation: number, color: Step['color'], blueGreen: boolean): Promise<void> {
    const step: Step = {
      id: `delete ${address}${color ? ` (${color})` : ''} [rollback ${unitAddress}]`,
      kind: 'delete',
      operation: 'delete',
      blueGreen,
      address,
      color,
      unit: unitAddress,
      afterSwitch: false,
      after: [],
      generation,
    };
    this.status.set(step.id, 'running');
    const started = Date.now();
    this.emit({ type: 'start', step, rollback: true });
    const res = await this.delete(step);
    if (hasErrors(res.diagnostics)) {
      this.diagnostics.push(...res.diagnostics);
      this.emit({ type: 'failed', step, elapsedMs: Date.now() - started, diagnostics: res.diagnostics, rollback: true });
    } else this.emit({ type: 'done', step, elapsedMs: Date.now() - started, rollback: true });
    this.status.delete(step.id);
  }

  /** Outputs are evaluated with the values apply ended with and recorded in state. */
  /** The data sources as read, for the state (a destroy leaves none; secrets are left out). */
  private dataSourceRecords(): StateDataSource[] {
    if (this.o.plan.mode === 'destroy') return [];
    const out: StateDataSource[] = [];
    for (const d of this.o.plan.data ?? []) {
      const attrs = this.dataRead.get(d.address);
      if (!attrs) continue;
      const schema = this.o.providers.get(d.provider)?.dataSources?.[d.type]?.schema;
      const kept: Record<string, Json> = {};
      for (const [k, v] of Object.entries(attrs)) if (!schema?.attributes[k]?.sensitive) kept[k] = v;
      out.push({ mode: 'data', address: d.address, type: d.type, name: d.name, index: d.index, provider: d.provider, attributes: kept });
    }
    return out;
  }

  private async recordOutputs(): Promise<void> {
    const outputs: Record<string, StateOutput> = {};
    const notEvaluated: string[] = [];
    for (const [name, decl] of this.o.config.outputs) {
      if (this.o.plan.mode === 'destroy') break;
      const scope = this.world.outputScope();
      const pre = checkRules(decl.preconditions, scope, CONDITION_FAILED.output);
      if (pre.diagnostics.length > 0) {
        // A failed precondition keeps the output's recorded value, as an output that cannot be evaluated does.
        this.diagnostics.push(...pre.diagnostics);
        notEvaluated.push(name);
        continue;
      }
      const r = evaluateExpr(decl.expr, scope);
      if (hasErrors(r.diagnostics) || containsUnknown(r.value)) {
        notEvaluated.push(name);
        continue;
      }
      outputs[name] = { value: toJson(r.value), type: typeJsonOf(r.value), sensitive: decl.sensitive };
    }
    // An output this apply could not know (a targeted apply leaves what it refers to unapplied)
    // keeps its recorded value rather than vanishing from `infra output`.
    const dataSources = this.dataSourceRecords();
    const w = await this.o.store.update((s) => {
      const kept = { ...outputs };
      for (const name of notEvaluated) if (s.outputs[name]) kept[name] = s.outputs[name];
      const { data_sources: old, ...rest } = s;
      // A targeted plan reads only what its targets need: the others keep what was recorded.
      const read = new Set(dataSources.map((d) => d.address));
      const unread = this.o.plan.targets.length > 0 && this.o.plan.mode !== 'destroy' ? (old ?? []).filter((d) => !read.has(d.address)) : [];
      const all = unread.length ? [...dataSources, ...unread].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0)) : dataSources;
      return { ...rest, outputs: kept, ...(all.length ? { data_sources: all } : {}) };
    });
    this.diagnostics.push(...w);
  }
}

/** What a step was doing, for messages: "while creating test_instance.web". */
const VERB: Readonly<Record<Step['kind'], string>> = {
  create: 'creating',
  update: 'modifying',
  delete: 'destroying',
  verify: 'verifying',
  switch: 'switching',
  bake: 'baking',
};

/** `actual` with the sensitive marks of `evaluated` wherever the two agree. */
function remark(evaluated: Value, actual: Value): Value {
  if (evaluated instanceof Sensitive) return sameStoredValue(evaluated.value, actual) || containsUnknown(evaluated.value) ? new Sensitive(actual) : actual;
  if (Array.isArray(evaluated) && Array.isArray(actual)) return actual.map((x, i) => (i < evaluated.length ? remark(evaluated[i], x) : x));
  if (isObject(evaluated) && isObject(actual)) {
    const out: Record<string, Value> = {};
    for (const [k, x] of Object.entries(actual)) out[k] = k in evaluated ? remark(evaluated[k], x) : x;
    return out;
  }
  return actual;
}
