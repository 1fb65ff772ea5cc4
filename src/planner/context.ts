/**
 * What every planner pass reads and where it reports: the input, the configuration's blocks by
 * address, the copies recorded in state by address, and the diagnostics found so far.
 */
import type { Config, ResourceDecl } from '../config/types.js';
import type { Diagnostic } from '../diagnostics.js';
import type { Value } from '../evaluate/value.js';
import type { PlanRequest, PlanResponse, ResourceTypeSchema } from '../providers/contract.js';
import type { StateFile, StateInstance } from '../state/types.js';
import type { DataReadResult, DataTypeInfo } from './data-sources.js';
import type { PlannedImport } from './moves.js';
import type { Drift, PlanBasis } from './plan.js';

/** What the planner needs to know about a resource type. */
export interface TypeInfo {
  readonly provider: string;
  readonly schema: ResourceTypeSchema;
  readonly plan?: (req: PlanRequest) => PlanResponse;
}

/** Everything a plan is computed from. */
export interface PlanInput {
  readonly config: Config;
  readonly variables: ReadonlyMap<string, Value>;
  /** Refreshed state (or the recorded state with `--refresh=false`). */
  readonly state: StateFile;
  readonly drift: readonly Drift[];
  readonly types: (typeName: string) => TypeInfo | undefined;
  /** Every known type name, for "did you mean". */
  readonly typeNames: readonly string[];
  /** Data source types (`data "TYPE" "NAME"`); absent: none are known. */
  readonly dataTypes?: (typeName: string) => DataTypeInfo | undefined;
  /** Every known data source type name, for "did you mean". */
  readonly dataTypeNames?: readonly string[];
  /**
   * Data sources read before this plan, by instance address (data-sources.ts): the planner uses
   * a read only when it was made with the arguments the configuration now gives.
   */
  readonly dataReads?: ReadonlyMap<string, DataReadResult>;
  /**
   * `validate` and `graph`, which touch no provider: no data source is asked for, each is taken
   * as read during apply (its read attributes unknown).
   */
  readonly noDataReads?: boolean;
  /** `rollback`: the plan of `infra rollback` (planner/rollback.ts). */
  readonly mode: 'normal' | 'destroy' | 'rollback';
  readonly targets: readonly string[];
  /** `-replace` addresses: instances replaced (blue-green: redeployed) though their configuration did not change. */
  readonly replace?: readonly string[];
  /** `-refresh-only`: the plan carries the drift and changes nothing. */
  readonly refreshOnly?: boolean;
  /** Objects `import` blocks adopt, read by ID before planning; the plan diffs against them. */
  readonly imports?: readonly PlannedImport[];
  readonly env: NodeJS.ProcessEnv;
  readonly basis: PlanBasis;
  /**
   * The time the plan is made for (ISO 8601), to tell kept copies whose rollback window ended
   * from those still kept. Absent: no window counts as ended (the planner reads no clock).
   */
  readonly now?: string;
}

/** The planner's shared, read-mostly data; passes add to `diagnostics` only. */
export interface PlanContext {
  readonly input: PlanInput;
  readonly diagnostics: Diagnostic[];
  /** Resource blocks by block address. */
  readonly byBlock: ReadonlyMap<string, ResourceDecl>;
  /** Every copy recorded in state, by instance address. */
  readonly copies: ReadonlyMap<string, readonly StateInstance[]>;
  /** Instance addresses `-replace` resolved to (targets.ts `resolveReplace`). */
  readonly replace: Set<string>;
}

/** The context of a planning run over `input`. */
export function planContext(input: PlanInput): PlanContext {
  const copies = new Map<string, StateInstance[]>();
  for (const r of input.state.resources) {
    const list = copies.get(r.address);
    if (list) list.push(r);
    else copies.set(r.address, [r]);
  }
  return { input, diagnostics: [], byBlock: new Map(input.config.resources.map((r) => [r.address, r])), copies, replace: new Set() };
}

/** The live copy at `address`. */
export function liveCopy(ctx: PlanContext, address: string): StateInstance | undefined {
  return ctx.copies.get(address)?.find((r) => r.live);
}

/** The next generation at `address`: one more than any recorded. */
export function nextGeneration(ctx: PlanContext, address: string): number {
  const gens = (ctx.copies.get(address) ?? []).map((r) => r.generation);
  return gens.length === 0 ? 1 : Math.max(...gens) + 1;
}
