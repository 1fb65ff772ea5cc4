/**
 * The plan: plain data computed by the pure planner and carried out by apply. Every rendering
 * (text diff, JSON, Markdown, graphs) is a view of this object.
 */
import type { DecidedModuleInstances } from '../evaluate/modules.js';
import type { Diagnostic } from '../diagnostics.js';
import type { Json, Value } from '../evaluate/value.js';
import { sameStoredValue } from '../state/sensitive.js';
import type { Role } from '../providers/contract.js';
import type { PlannedMove } from '../state/move.js';
import type { PlannedImport } from './moves.js';
import type { InstanceStatus } from '../state/types.js';
import type { KeepBlue } from '../config/keep-blue.js';

/** What happens to one resource instance. */
export type Action = 'no-op' | 'create' | 'update' | 'delete';

/**
 * `['create','delete']` is a replacement that creates first (blue-green, create_before_destroy);
 * `['delete','create']` deletes first.
 */
export type Actions =
  | readonly ['no-op']
  | readonly ['create']
  | readonly ['update']
  | readonly ['delete']
  | readonly ['create', 'delete']
  | readonly ['delete', 'create'];

/** Why an attribute or an instance is part of the plan, for people reading it. */
export interface ResourceChange {
  readonly address: string;
  readonly type: string;
  readonly name: string;
  readonly index: string | number | null;
  readonly provider: string;
  readonly role: Role;
  readonly actions: Actions;
  /** True when this change is carried out as a blue-green deploy unit of its own. */
  readonly blueGreen: boolean;
  /** Prior attributes (refreshed), with `Sensitive` marks; null when created. */
  readonly before: Readonly<Record<string, Value>> | null;
  /** Planned attributes with `Unknown` where known only after apply; null when deleted. */
  readonly after: Readonly<Record<string, Value>> | null;
  /** Attributes whose change forces the replacement. */
  readonly replacePaths: readonly string[];
  /** Why the instance is part of the plan, as codes; render/reasons.ts puts them in words. */
  readonly reasons: readonly Reason[];
  /** Generation of the prior live copy (blue) and of the copy created (green), when blue-green. */
  readonly priorGeneration: number;
  readonly plannedGeneration: number;
  /** Instances it depends on: resources, and the resources behind the data sources it read. */
  readonly dependencies: readonly string[];
  /**
   * Present when it read a data source: what it depends on directly, data sources
   * (`data.TYPE.NAME`) included, for `infra graph`. Display only: apply orders by `dependencies`.
   */
  readonly directDependencies?: readonly string[];
}

/**
 * Why an instance is in the plan or acts as it does. For display only, never for decisions:
 * whatever the planner or apply branches on is a field of the change or the step itself.
 */
export type Reason =
  /** Named by --target. */
  | { readonly code: 'targeted' }
  /** Pulled in because the targeted instance `target` depends on it. */
  | { readonly code: 'target-depends-on'; readonly target: string }
  /** Destroyed with a --target because it depends on `dependency`, which is destroyed. */
  | { readonly code: 'depends-on-destroyed'; readonly dependency: string }
  /** A member (provision, check, route) of the blue-green deploy of `unit`. */
  | { readonly code: 'in-deploy-unit'; readonly unit: string }
  /** The recorded object is not ready (an interrupted create, tainted, ...). */
  | { readonly code: 'recorded-status'; readonly status: InstanceStatus }
  /** A blue-green instance redeployed because these provisions of it changed. */
  | { readonly code: 'provisioning-changed'; readonly provisions: readonly string[] }
  /** Named by -replace: replaced (or redeployed) though its configuration did not change. */
  | { readonly code: 'replace-requested' }
  /** Replaced (or redeployed) because these `replace_triggered_by` entries, as written, changed. */
  | { readonly code: 'replace-triggered-by'; readonly triggers: readonly string[] }
  /** A copy an interrupted apply left behind. */
  | { readonly code: 'leftover'; readonly generation: number; readonly status: InstanceStatus }
  /** In state, no longer in the configuration. */
  | { readonly code: 'not-in-configuration' }
  /** A kept blue copy (keep_blue) whose rollback window ended at `until` (ISO 8601). */
  | { readonly code: 'kept-window-ended'; readonly until: string }
  /** A kept blue copy destroyed before a new deploy of `unit`: one kept copy per instance. */
  | { readonly code: 'kept-superseded'; readonly unit: string; readonly until: string };

/** The reason's code and data as one string: equal reasons, equal keys. */
export function reasonKey(r: Reason): string {
  return JSON.stringify(r);
}

/** A change made outside the tool, found by refresh. */
export interface Drift {
  readonly address: string;
  readonly kind: 'deleted' | 'changed';
  readonly before: Readonly<Record<string, Value>>;
  readonly after: Readonly<Record<string, Value>> | null;
}

/**
 * `bake`: a keep_blue unit's post-switch checks run again every `bake_interval` until `bake`
 * after its switch (apply/bake.ts); the unit's last step, so the next unit waits for it.
 */
export type StepKind = 'create' | 'update' | 'delete' | 'verify' | 'switch' | 'bake';

/**
 * What apply asks the provider to do for a step, decided by the planner so apply never
 * re-decides it: a check outside a deploy unit is created or updated (its create and update
 * verify), a check in a unit verifies, a route with nothing to switch from is created.
 */
export type StepOperation = 'create' | 'update' | 'delete' | 'verify';

/** One unit of work in apply. */
export interface Step {
  /** Stable and readable: `create local_host.ns["ns1"] (green)`. */
  readonly id: string;
  readonly kind: StepKind;
  readonly address: string;
  /**
   * Colour of the blue-green copy the step acts on: blue is the copy serving when the plan was
   * made, green the new one the deploy creates (planner/colors.ts). Null for resources that are
   * not blue-green.
   */
  readonly color: 'green' | 'blue' | null;
  /** Address of the blue-green resource whose deploy unit this step belongs to. */
  readonly unit: string | null;
  /** Verify steps: true for a check through a switched route (after the switch). */
  readonly afterSwitch: boolean;
  /** Every step id this step waits for. */
  readonly after: readonly string[];
  /** For switch steps: what traffic goes to before and after (rendering aid). */
  readonly switchFrom?: string;
  readonly switchTo?: string;
  /** For switch steps of a route that moves an address (a service address): that address. */
  readonly movesAddress?: string;
  /** Generation of the object the step acts on (the green copy for creates in a unit). */
  readonly generation: number;
  /** What the provider is asked to do (a bake: verify, round after round). */
  readonly operation: StepOperation;
  /** For bake steps: how long after the unit's switch, how often, and which checks. */
  readonly bake?: BakeSettings;
  /** The object is a copy of a blue-green resource: state records it with its colour. */
  readonly blueGreen: boolean;
}

/** What a bake step does: the unit's post-switch `checks`, every `intervalMs`, until `durationMs` after its switch. */
export interface BakeSettings {
  readonly durationMs: number;
  readonly intervalMs: number;
  readonly checks: readonly string[];
}

/** The resources a blue-green deploy of one instance touches. */
export interface DeployUnit {
  readonly address: string;
  readonly provisions: readonly string[];
  readonly checks: readonly string[];
  readonly routes: readonly string[];
  readonly postChecks: readonly string[];
  readonly priorGeneration: number;
  readonly plannedGeneration: number;
  /**
   * `keep_blue`: blue is kept for this long after the switch (instead of destroyed) and the
   * post-switch checks bake; absent, blue is destroyed at the end of the unit.
   */
  readonly keepBlue?: KeepBlue;
  /**
   * A rollback (`infra rollback`, or a bake that failed): `plannedGeneration` is the kept copy
   * traffic goes back to and `priorGeneration` the live one it leaves, which becomes the kept
   * copy until `keptUntil`. Nothing is created or destroyed.
   */
  readonly rollback?: {
    readonly keptUntil: string;
    /**
     * The post-switch checks' configuration that last verified the kept copy (its state's
     * `kept.checks`): the rollback verifies it against these, not against what the
     * configuration now asks of the copy it replaced.
     */
    readonly checks?: Readonly<Record<string, Readonly<Record<string, Json>>>>;
  };
}

/** A kept blue copy the plan leaves alone: its window ends at `until` (ISO 8601). */
export interface KeptCopy {
  readonly address: string;
  readonly generation: number;
  readonly until: string;
  /** The blue-green instance whose deploy kept it. */
  readonly unit: string;
}

/**
 * A kept blue copy the plan destroys: its window ended, a new deploy supersedes it, its instance
 * left the configuration, or a destroy plan (`infra destroy`) destroys it.
 */
export interface KeptCopyDestroyed extends KeptCopy {
  readonly reason: 'kept-window-ended' | 'kept-superseded' | 'not-in-configuration' | 'destroy';
}

export interface OutputChange {
  readonly name: string;
  readonly before: Value | undefined;
  readonly after: Value;
  readonly sensitive: boolean;
}

export interface PlanSummary {
  readonly add: number;
  readonly change: number;
  readonly destroy: number;
  readonly blueGreen: number;
}

/** Inputs the plan was computed from, so a saved plan can tell when it has gone stale. */
export interface PlanBasis {
  readonly configHash: string;
  readonly stateSerial: number;
  readonly stateLineage: string | null;
  /** Non-sensitive variable values as JSON; sensitive ones only as `sha256:` hashes. */
  readonly variables: Readonly<Record<string, { readonly value?: Json; readonly sha256?: string }>>;
}

export interface Plan {
  readonly formatVersion: '1';
  /** `rollback`: made by `infra rollback` (planner/rollback.ts), only switches and checks. */
  readonly mode: 'normal' | 'destroy' | 'rollback';
  readonly targets: readonly string[];
  readonly basis: PlanBasis;
  readonly drift: readonly Drift[];
  readonly changes: readonly ResourceChange[];
  readonly units: readonly DeployUnit[];
  /** Kept blue copies this plan leaves in place, their windows still open (absent: none). */
  readonly kept?: readonly KeptCopy[];
  /** Kept blue copies this plan destroys, and why (absent: none). */
  readonly keptDestroyed?: readonly KeptCopyDestroyed[];
  /** In a valid execution order. */
  readonly steps: readonly Step[];
  readonly outputs: readonly OutputChange[];
  readonly summary: PlanSummary;
  /** Warnings found while planning (errors mean there is no plan). */
  readonly warnings: readonly Diagnostic[];
  /**
   * `moved` blocks carried out: each instance address moved, from its address in the refreshed
   * state to the one the rest of the plan uses. Apply writes them (with `forgets`) to the state
   * before any step. Absent when there are none.
   */
  readonly moves?: readonly PlannedMove[];
  /** `removed` blocks carried out: instance addresses the state forgets, objects left alone. Absent when none. */
  readonly forgets?: readonly string[];
  /** `import` blocks carried out: the records apply writes (with the moves) before any step. Absent when none. */
  readonly imports?: readonly PlannedImport[];
  /** When the plan was made (ISO 8601, UTC); set by the command that makes it, kept in saved plans. */
  readonly createdAt?: string;
  /** What the configuration refers to, for the JSON view (planner/plan-configuration.ts). */
  readonly configuration?: PlanConfiguration;
  /** Data source instances (`data "TYPE" "NAME"`), sorted by address; absent when there are none. */
  readonly data?: readonly DataSourceRead[];
  /**
   * The module calls whose instances the plan decided from resources' or data sources' values
   * (planner/module-instances.ts), by call address: apply of a saved plan flattens with them.
   * Absent when there are none.
   */
  readonly moduleInstances?: readonly DecidedModuleInstances[];
}


export type { DecidedModuleInstances };

/**
 * A data source instance in a plan: read while planning (`values` is what was read), or, when
 * `deferred` says why, read during apply (`values` holds its arguments, unknowns where they are
 * not known yet, and its read attributes unknown). The text view shows the deferred ones as
 * `<= read`; apply reads them once the resources in `dependencies` are done.
 */
export interface DataSourceRead {
  /** `data.local_file.key`. */
  readonly address: string;
  readonly type: string;
  readonly name: string;
  readonly index: string | number | null;
  readonly provider: string;
  readonly values: Readonly<Record<string, Value>>;
  /** Present when it is read during apply (display only: apply reads every deferred one). */
  readonly deferred?: 'config-unknown' | 'dependency-pending';
  /** Resource instances it depends on (directly or through other data sources). */
  readonly dependencies: readonly string[];
  /** Present when it read another data source: what it depends on directly, data sources included (display only: `infra graph`). */
  readonly directDependencies?: readonly string[];
}

/**
 * The configuration the plan was made from, as the JSON view needs it: no values, only which
 * attribute refers to what (`var.x`, `TYPE.NAME`, `each.key`), so policies can follow references.
 */
export interface PlanConfiguration {
  readonly resources: readonly {
    /** Present on data blocks (`data "TYPE" "NAME"`). */
    readonly mode?: 'data';
    readonly address: string;
    readonly type: string;
    readonly name: string;
    /** Attribute name -> the references of its expression; nested blocks -> one entry per block. */
    readonly expressions: Readonly<Record<string, PlanExpression | readonly Readonly<Record<string, PlanExpression>>[]>>;
    readonly count?: PlanExpression;
    readonly forEach?: PlanExpression;
    readonly dependsOn: readonly string[];
  }[];
  readonly outputs: readonly { readonly name: string; readonly expression: PlanExpression; readonly sensitive: boolean; readonly description?: string }[];
  readonly variables: readonly { readonly name: string; readonly sensitive: boolean; readonly description?: string; readonly required: boolean }[];
  /** The module calls of this module, by name (absent when there are none); addresses inside `module` are relative to it, as Terraform writes them. */
  readonly moduleCalls?: readonly {
    readonly name: string;
    readonly source: string;
    /** Argument name -> the references of its expression. */
    readonly expressions: Readonly<Record<string, PlanExpression>>;
    readonly count?: PlanExpression;
    readonly forEach?: PlanExpression;
    readonly dependsOn: readonly string[];
    readonly module: PlanConfiguration;
  }[];
}

/** One expression of the configuration: what it refers to, in source order, without repeats. */
export interface PlanExpression {
  readonly references: readonly string[];
}

/** True when the plan moves, forgets or imports anything in the state. */
export function planMovesState(plan: Plan): boolean {
  return (plan.moves?.length ?? 0) > 0 || (plan.forgets?.length ?? 0) > 0 || (plan.imports?.length ?? 0) > 0;
}

/** True when `actions` contains `a`. */
export function hasAction(actions: Actions, a: Action): boolean {
  return (actions as readonly Action[]).includes(a);
}

/** True when applying the plan would change anything. */
export function planHasChanges(plan: Plan): boolean {
  return plan.steps.length > 0 || planMovesState(plan) || plan.outputs.some((o) => o.before === undefined || !sameStoredValue(o.before, o.after));
}
