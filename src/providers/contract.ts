/**
 * The provider contract. A provider offers resource types; each type declares a schema and a
 * role, and implements typed request/response operations. Operations never throw for an outside
 * failure (API error, process exit, timeout): they return diagnostics. A thrown exception is a
 * bug in the provider.
 *
 * Values crossing this boundary are plain JSON (`Json`): the engine resolves unknowns and strips
 * sensitive marks before calling, and re-applies marks from the schema afterwards.
 */
import type { Diagnostic, SourceRange } from '../diagnostics.js';
import type { Json, Type, Value } from '../evaluate/value.js';

/**
 * What a resource type is for, which gives it its place in a blue-green deploy unit:
 * - `instance`: a machine; replaceable; the thing a blue-green unit replaces;
 * - `provision`: configures an instance (refers to it through an attribute such as `host`);
 * - `check`: verifies something (`verify`); against green before the switch, through the route
 *   after it;
 * - `route`: sends traffic somewhere; updated from blue to green by the switch step.
 * Plain resources that are none of these use `instance` (they are created/updated/deleted).
 */
export type Role = 'instance' | 'provision' | 'check' | 'route';

export interface AttributeSchema {
  readonly type: Type;
  readonly description: string;
  /** Must be set in configuration. */
  readonly required?: boolean;
  /** Set by the provider (may also be settable when `optional` too). */
  readonly computed?: boolean;
  /** May be set in configuration (default when neither required nor computed). */
  readonly optional?: boolean;
  /** A change to this attribute cannot be made in place: the resource is replaced. */
  readonly forcesReplacement?: boolean;
  /** Never printed, never stored in plans; stored in state (state is a secret itself). */
  readonly sensitive?: boolean;
  /** Value used when the configuration leaves an optional attribute out. */
  readonly default?: Json;
  /**
   * Provider settings only: the environment variable the provider reads when the setting is not
   * given (`LINODE_TOKEN`). The engine then knows its value too, e.g. to keep a sensitive one
   * out of everything printed.
   */
  readonly envFallback?: string;
}

/** A nested block type, such as `expect "www.example.test" "A" { values = [...] }`. */
export interface BlockSchema {
  readonly description: string;
  /** Names of the block's labels; the evaluated block object gets them as attributes. */
  readonly labels?: readonly string[];
  readonly attributes: Readonly<Record<string, AttributeSchema>>;
  readonly blocks?: Readonly<Record<string, BlockSchema>>;
  /** `single`: at most one, evaluated to an object (or null); `list` (default): a list of objects. */
  readonly nesting?: 'single' | 'list';
  readonly forcesReplacement?: boolean;
}

export interface ResourceTypeSchema {
  readonly description: string;
  readonly role: Role;
  readonly attributes: Readonly<Record<string, AttributeSchema>>;
  readonly blocks?: Readonly<Record<string, BlockSchema>>;
  /**
   * Routes only: the attribute naming the host the route lives on (`lb` of nginx_upstream), as
   * opposed to what it sends traffic to. When that host is replaced blue-green, the route is
   * part of the green copy's provisioning (created on green before the checks, deleted with
   * blue), not a route the deploy switches (docs/engine.md, "Routes placed on a host"). Found
   * from the resource references written in that attribute.
   */
  readonly placement?: string;
  /**
   * Routes only: the attribute holding the address that the switch moves from blue to green
   * (`address` of local_service_address), so the plan's switch line can name it.
   */
  readonly movesAddress?: string;
}

/** Everything an operation may use besides its request. */
export interface OperationContext {
  /** Directory holding the state file; machine-local working data goes beneath it. */
  readonly stateDir: string;
  /** The state's lineage, unique per state: use it to keep resources of two states apart. */
  readonly lineage: string;
  /** The evaluated `provider "NAME" { ... }` block (with env fallbacks applied by the provider). */
  readonly providerConfig: Readonly<Record<string, Json>>;
  /**
   * Progress output, one line at a time ("Waiting for SSH on 127.0.0.5:22..."). Every line (and
   * every diagnostic an operation returns) passes through the engine's scrubber before it is
   * shown, which replaces each sensitive value of the run: a provider may quote a tool's output
   * verbatim.
   */
  readonly log: (line: string) => void;
  /** Aborted when the user interrupts twice; long waits should stop early and say so. */
  readonly signal: AbortSignal;
  /**
   * The environment of the command (for fallbacks such as LINODE_TOKEN); providers read this,
   * never `process.env`, so a command run in-process with its own environment is obeyed.
   */
  readonly env: NodeJS.ProcessEnv;
}

/** Identity of the resource instance an operation is for. */
export interface InstanceIdentity {
  /** `local_host.ns["ns1"]`. */
  readonly address: string;
  /**
   * For blue-green instances, the generation (1, 2, 3, ...) of the copy being created; a new
   * copy always has a new generation, so names derived from it never collide. 0 for others.
   */
  readonly generation: number;
}

export interface ReadRequest extends InstanceIdentity {
  readonly prior: Readonly<Record<string, Json>>;
}
export interface ReadResponse {
  /** Current attributes, or `null` when the object no longer exists (deleted outside). */
  readonly state: Readonly<Record<string, Json>> | null;
  readonly diagnostics: readonly Diagnostic[];
}

export interface PlanRequest extends InstanceIdentity {
  /** Configuration values; may contain `Unknown` where inputs are not known yet. */
  readonly config: Readonly<Record<string, Value>>;
  readonly prior: Readonly<Record<string, Json>> | null;
  /** Directory of the configuration, for attributes that are paths relative to it. */
  readonly configDir: string;
  /**
   * Where each attribute set in the resource block is written (its value's range) and each nested
   * block (by its type, the whole block), so a diagnostic about one points at it. Absent for
   * attributes left to their default.
   */
  readonly ranges?: Readonly<Record<string, SourceRange>>;
}
export interface PlanResponse {
  /**
   * Computed attributes the provider can predict from the configuration alone (a rendered
   * config, a checksum of files); anything not returned stays unknown (or prior, when kept).
   * Must be deterministic: the planner is pure and calls this synchronously.
   */
  readonly planned: Readonly<Record<string, Value>>;
  readonly diagnostics: readonly Diagnostic[];
}

export interface CreateRequest extends InstanceIdentity {
  /** Every configuration value, fully known, defaults applied. */
  readonly config: Readonly<Record<string, Json>>;
  readonly configDir: string;
}
/**
 * `state` is what was created. When creation fails half-way, the provider either cleans up what
 * it made (and returns `state: null`) or returns the partial `state` with an error diagnostic so
 * the engine records it (tainted) and destroys it; it never leaves something unrecorded.
 */
export interface CreateResponse {
  readonly state: Readonly<Record<string, Json>> | null;
  readonly diagnostics: readonly Diagnostic[];
}

export interface UpdateRequest extends InstanceIdentity {
  readonly prior: Readonly<Record<string, Json>>;
  readonly config: Readonly<Record<string, Json>>;
  readonly configDir: string;
}
/** On failure `state` is what is now true (prior when nothing changed). */
export interface UpdateResponse {
  readonly state: Readonly<Record<string, Json>>;
  readonly diagnostics: readonly Diagnostic[];
}

export interface DeleteRequest extends InstanceIdentity {
  readonly prior: Readonly<Record<string, Json>>;
}
/** On failure the engine keeps the instance in state (it still exists). Deleting what is gone is success. */
export interface DeleteResponse {
  readonly diagnostics: readonly Diagnostic[];
}

export interface VerifyRequest extends InstanceIdentity {
  readonly config: Readonly<Record<string, Json>>;
  readonly configDir: string;
}
export interface VerifyResponse {
  readonly passed: boolean;
  /** What was checked and, on failure, what was expected and what came back. */
  readonly details: string;
  readonly diagnostics: readonly Diagnostic[];
}

/** `infra import ADDR ID` / an `import` block: which object to adopt, and as which copy. */
export interface ImportRequest extends InstanceIdentity {
  /** The provider's own ID of the object, as the user wrote it (`"12345"` for a Linode). */
  readonly id: string;
}

export interface ImportResponse {
  /**
   * The object's attributes as `create` would have recorded them, or null with an error
   * diagnostic naming the ID when there is no such object (or the ID is not one this type
   * uses). Secrets the API cannot read back are left out and named in `unreadable`.
   */
  readonly state: Readonly<Record<string, Json>> | null;
  /**
   * Sensitive attributes the object has but the provider cannot read (a root password): the
   * engine records them as unread, and the next plans take the configuration's value as what the
   * object has instead of replacing it for a difference nobody can see (docs/state.md).
   */
  readonly unreadable?: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
}

/** A route after its switch: is anything still sending traffic down the path it left? */
export interface DrainedRequest extends InstanceIdentity {
  /** The route's attributes now (traffic to green). */
  readonly current: Readonly<Record<string, Json>>;
  /** Its attributes before the switch (traffic to blue): the old path. */
  readonly previous: Readonly<Record<string, Json>>;
}
/**
 * `drained`: nothing sends traffic down the old path any more (no connection through the route
 * to where `previous` pointed and `current` does not). `remaining` says what still does, in words
 * ("2 TCP connections from nginx on local_host 127.64.0.4 to 127.64.0.5:53"); '' when drained.
 * An error diagnostic means the route could not be looked at; the engine stops asking.
 */
export interface DrainedResponse {
  readonly drained: boolean;
  readonly remaining: string;
  readonly diagnostics: readonly Diagnostic[];
}

/** A provision of a blue copy that no longer gets new traffic (every route switched away). */
export interface RetireRequest extends InstanceIdentity {
  /** The provision's recorded attributes. */
  readonly prior: Readonly<Record<string, Json>>;
  readonly configDir: string;
}
/** Errors are reported as warnings: the deploy is committed, and blue is destroyed after the drain bound anyway. */
export interface RetireResponse {
  readonly diagnostics: readonly Diagnostic[];
}

/** One resource type's implementation. */
export interface ResourceType {
  readonly schema: ResourceTypeSchema;
  plan?(req: PlanRequest): PlanResponse;
  /**
   * Optional: the plan hook for one plan, for types whose hook reads something many instances
   * share (the files of a playbook). The engine calls it at most once per plan, before the first
   * instance of the type is planned, and plans that plan's instances with the hook it returns
   * instead of `plan`; the hook may remember what it read until the plan ends, and the next plan
   * calls `startPlan` again. Its answers must be those `plan` would give.
   */
  startPlan?(): (req: PlanRequest) => PlanResponse;
  read(req: ReadRequest, ctx: OperationContext): Promise<ReadResponse>;
  /**
   * Optional, for types whose objects are known by an id the provider assigns: settles a record
   * that may stand for an object state never learnt the id of - written before `create` was
   * called (status `creating`: the process died during create) or recorded `tainted` after a
   * create whose outcome was unknown. `prior` holds what was recorded (the configuration, or
   * the provider's partial state). Returns the object's state when it exists (found by the names
   * and tags create sends), `null` when the provider is sure nothing was made, or an error (the
   * record stays as it is). A record that already has its id is returned unchanged. Refresh calls
   * this before planning, so a crash during create never leaves an object untracked.
   */
  resolveIntent?(req: ReadRequest, ctx: OperationContext): Promise<ReadResponse>;
  create(req: CreateRequest, ctx: OperationContext): Promise<CreateResponse>;
  update(req: UpdateRequest, ctx: OperationContext): Promise<UpdateResponse>;
  delete(req: DeleteRequest, ctx: OperationContext): Promise<DeleteResponse>;
  /** Only for role `check`. */
  verify?(req: VerifyRequest, ctx: OperationContext): Promise<VerifyResponse>;
  /**
   * Optional, for types whose objects exist apart from infra and are known by an ID
   * (`linode_instance`): reads the object `req.id` so it can be adopted into state (`infra
   * import`, `import` blocks). Never writes anything remote (no tag, no label, no reboot): the
   * object is only read, and the next apply makes it match the configuration. Not found, or an
   * ID of the wrong form: `state` null and an error naming the ID. A type without it refuses to
   * be imported (docs/cli.md lists which types can be).
   */
  importById?(req: ImportRequest, ctx: OperationContext): Promise<ImportResponse>;
  /**
   * Optional, for role `route`: after a deploy unit's switch, the engine asks this (every
   * 100 ms) until the old path is drained or the drain bound passes, and only then destroys blue
   * (docs/engine.md, "Draining blue"). Must be cheap and change nothing.
   */
  drained?(req: DrainedRequest, ctx: OperationContext): Promise<DrainedResponse>;
  /**
   * Optional, for role `provision`: called once for each provision of blue after the switch and
   * the post-switch checks, before the drain wait: the service it set up should wind down
   * gracefully - answer what it has, and tell clients that keep connections open to leave (a
   * DNS server answers with edns-tcp-keepalive TIMEOUT 0) - while it keeps serving until
   * destroyed.
   */
  retire?(req: RetireRequest, ctx: OperationContext): Promise<RetireResponse>;
}

/**
 * A data source type (`data "TYPE" "NAME" { ... }`): something read, never created. Its
 * arguments are the attributes that are not computed; what it reads comes back in the computed
 * ones. Data sources have no role: they are read, not deployed.
 */
export interface DataSourceSchema {
  readonly description: string;
  readonly attributes: Readonly<Record<string, AttributeSchema>>;
  readonly blocks?: Readonly<Record<string, BlockSchema>>;
}

/** A data source instance to read, with every argument known. */
export interface DataReadRequest {
  /** `data.local_file.key`, `data.linode_images.debian[0]`. */
  readonly address: string;
  /** Configuration values, fully known, defaults applied; nested blocks as lists of objects. */
  readonly config: Readonly<Record<string, Json>>;
  /** Directory of the configuration, for arguments that are paths relative to it. */
  readonly configDir: string;
}

/**
 * `state`: every attribute of the data source (the arguments as given, and what was read).
 * A read that fails (no such file, an API error) returns `state: null` and an error diagnostic
 * saying why, in words; the engine places it at the data block. Reading changes nothing anywhere.
 */
export interface DataReadResponse {
  readonly state: Readonly<Record<string, Json>> | null;
  readonly diagnostics: readonly Diagnostic[];
}

/** One data source type's implementation. */
export interface DataSourceType {
  readonly schema: DataSourceSchema;
  /** Reads the data source; called during plan (refresh time) or, when its arguments were not known then, during apply. */
  read(req: DataReadRequest, ctx: OperationContext): Promise<DataReadResponse>;
}

/** A provider: a named set of resource types, plus validation of its own configuration block. */
export interface Provider {
  readonly name: string;
  readonly description: string;
  /** Schema of `provider "NAME" { ... }`. */
  readonly configSchema: Readonly<Record<string, AttributeSchema>>;
  readonly resourceTypes: Readonly<Record<string, ResourceType>>;
  /** Data source types (`data "TYPE" "NAME"`), when the provider has any. */
  readonly dataSources?: Readonly<Record<string, DataSourceType>>;
  /**
   * Checks the provider configuration before anything is called (a missing token is a
   * diagnostic here, not a failed request later). `env` is the process environment.
   */
  validateConfig?(config: Readonly<Record<string, Json>>, env: NodeJS.ProcessEnv): readonly Diagnostic[];
  /** See `OrphanFinder`. */
  readonly orphans?: OrphanFinder;
}

/** An object a provider made for this state that the state does not hold. */
export interface Orphan {
  readonly type: string;
  /** The provider's own ID of the object. */
  readonly id: string;
  /** The instance address and generation it was created for, when its tags say so. */
  readonly address: string | null;
  readonly generation: number | null;
  /** One line for people: label, address, region... */
  readonly description: string;
  readonly attributes: Readonly<Record<string, Json>>;
}

/**
 * Optional provider capability behind `infra state orphans`: finding objects created for this
 * state (by lineage) that the state does not hold, e.g. after a crash between the API call and
 * the state write, and deleting them.
 */
export interface OrphanFinder {
  listOrphans(known: readonly { readonly type: string; readonly attributes: Readonly<Record<string, Json>> }[], ctx: OperationContext): Promise<{ readonly orphans: readonly Orphan[]; readonly diagnostics: readonly Diagnostic[] }>;
  deleteOrphan(orphan: Orphan, ctx: OperationContext): Promise<{ readonly diagnostics: readonly Diagnostic[] }>;
}
