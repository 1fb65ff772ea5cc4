/**
 * The plan as one JSON document (`infra plan -json`, `infra show PLANFILE -json`) in Terraform's
 * JSON plan format (format_version 1.2, as `terraform show -json PLANFILE` writes it), so tools
 * and policies written for Terraform's plans read ours unchanged. What only infra has (deploy
 * sequence, colours, deploy units, reasons in words) is in keys beginning `infra_`, which
 * Terraform's tools ignore. The deliberate differences from Terraform are listed once, in
 * `DELIBERATE_DIFFERENCES` below and in docs/plan-format.md; the main one: a sensitive value is
 * never in the document (null, with its path marked true in `*_sensitive`), where Terraform
 * writes it in clear.
 */
import { reasonTexts } from './reasons.js';
import { terraformActionReason } from './plan-json-reasons.js';
import type { Diagnostic } from '../diagnostics.js';
import { Sensitive, Unknown, containsUnknown, isObject, type Json, type Value } from '../evaluate/value.js';
import type { Actions, DataSourceRead, DeployUnit, Drift, KeptCopyDestroyed, OutputChange, Plan, PlanConfiguration, PlanExpression, ResourceChange, Step, StepKind } from '../planner/plan.js';
import { planHasChanges } from '../planner/plan.js';
import type { Role } from '../providers/contract.js';
import { INFRA_VERSION } from '../state/version.js';
import { sameValue } from './attribute-diff.js';
import { moduleOf, splitModule, typeAndName } from '../addrs/address.js';
import { stringifyJson } from '../evaluate/json-text.js';

/** The Terraform JSON plan format version this view follows. */
export const TERRAFORM_PLAN_FORMAT_VERSION = '1.2';

/**
 * Every way this document deliberately differs from what Terraform writes, by JSON path
 * (`[]` an array element, `{}` a value of a map keyed by names). The shape test
 * (test/render/plan-json-terraform.test.ts) allows exactly these; docs/plan-format.md explains them.
 */
export const DELIBERATE_DIFFERENCES: Readonly<Record<string, string>> = {
  terraform_version: 'absent: this is not Terraform; infra_version says which infra made the plan',
  'prior_state.terraform_version': 'absent, as terraform_version',
  relevant_attributes: 'absent: infra does not track which attributes of a resource an expression reads',
  'sensitive values': 'null wherever they would appear (before, after, values, variables.{}.value, outputs), marked true in *_sensitive; Terraform writes them in clear',
  'planned_values.outputs.{}.value': 'absent for a sensitive output (Terraform writes the value)',
  'prior_state.values.outputs.{}.value': 'null for a sensitive output (Terraform writes the value)',
  'configuration.root_module.resources[].expressions.*.constant_value': 'never given: expressions carry only their references (a constant in the configuration may be a secret)',
  'configuration.root_module.variables.{}.default': 'never given, for the same reason',
  'configuration.provider_config.{}.full_name': 'the infra provider name again (there is no registry)',
  'configuration.root_module.*.references': 'reference roots only (var.x, TYPE.NAME, TYPE.NAME[key], each.key), not every attribute path below them',
  provider_name: 'the infra provider name (test, linode, local), not a registry address',
};

/**
 * Where a value has a property: `true` for the whole value, `false` for none of it, or the same
 * shape as the value (object keys holding a mark, arrays one mark per element) when only parts
 * have it. Object marks list only the keys that are not `false`.
 */
export type JsonMarks = boolean | readonly JsonMarks[] | { readonly [key: string]: JsonMarks };

/** A value made safe for JSON output. */
export interface JsonSafeValue {
  /**
   * The value with sensitive parts replaced by null and unknown parts left out (object keys
   * dropped, list elements null), as Terraform leaves unknown values out of `after`.
   * `undefined` when the whole value is unknown.
   */
  readonly value: Json | undefined;
  /** Where it is unknown. Inside a sensitive value only "somewhere" (true) is told. */
  readonly unknown: JsonMarks;
  /** Where it is sensitive. */
  readonly sensitive: JsonMarks;
}

function listMarks(marks: JsonMarks[]): JsonMarks {
  return marks.some((m) => m !== false) ? marks : false;
}

function objectMarks(marks: Record<string, JsonMarks>): JsonMarks {
  const kept = Object.fromEntries(Object.entries(marks).filter(([, m]) => m !== false));
  return Object.keys(kept).length > 0 ? kept : false;
}

/**
 * Splits a value into JSON data and marks. Secrets never reach `value`: a sensitive value is
 * null there, whatever it holds.
 */
export function valueToJsonSafe(v: Value): JsonSafeValue {
  // A secret known only after apply is left out as any unknown value is; a known one is null.
  if (v instanceof Sensitive) return { value: v.value instanceof Unknown ? undefined : null, unknown: containsUnknown(v.value), sensitive: true };
  if (v instanceof Unknown) return { value: undefined, unknown: true, sensitive: false };
  if (Array.isArray(v)) {
    const parts = v.map(valueToJsonSafe);
    return { value: parts.map((p) => p.value ?? null), unknown: listMarks(parts.map((p) => p.unknown)), sensitive: listMarks(parts.map((p) => p.sensitive)) };
  }
  if (isObject(v)) {
    const value: Record<string, Json> = {};
    const unknown: Record<string, JsonMarks> = {};
    const sens: Record<string, JsonMarks> = {};
    for (const [k, x] of Object.entries(v)) {
      const p = valueToJsonSafe(x);
      if (p.value !== undefined) value[k] = p.value;
      unknown[k] = p.unknown;
      sens[k] = p.sensitive;
    }
    return { value, unknown: objectMarks(unknown), sensitive: objectMarks(sens) };
  }
  return { value: v as Json, unknown: false, sensitive: false };
}

/** Marks of an attribute map, as an object even when nothing is marked (`{}`). */
function rootMarks(marks: JsonMarks): JsonMarks {
  return marks === false ? {} : marks;
}

interface AttributesJson {
  readonly value: Json;
  readonly unknown: JsonMarks;
  /** `false` for an absent object (null), as Terraform writes it. */
  readonly sensitive: JsonMarks;
}

function attributesToJson(attrs: Readonly<Record<string, Value>> | null): AttributesJson {
  if (attrs === null) return { value: null, unknown: {}, sensitive: false };
  const safe = valueToJsonSafe(attrs);
  return { value: safe.value ?? {}, unknown: rootMarks(safe.unknown), sensitive: rootMarks(safe.sensitive) };
}

/** `change` of a `resource_changes` entry, as Terraform's. */
export interface ChangeJson {
  readonly actions: Actions | readonly ['read'];
  readonly before: Json;
  readonly after: Json;
  readonly after_unknown: JsonMarks;
  readonly before_sensitive: JsonMarks;
  readonly after_sensitive: JsonMarks;
  /** Paths (lists of attribute names) whose change forces the replacement; absent when none. */
  readonly replace_paths?: readonly (readonly string[])[];
  /** The object an `import` block adopts (Terraform's `importing`); absent otherwise. */
  readonly importing?: { readonly id: string };
}

/** One entry of `resource_changes` / `resource_drift` (see docs/plan-format.md). */
export interface ResourceChangeJson {
  readonly address: string;
  /** The module instance holding the resource (`module.ns["a"]`); absent in the root module, as in Terraform. */
  readonly module_address?: string;
  /** Where a `moved` block moved the instance from (Terraform's field); absent when it did not move. */
  readonly previous_address?: string;
  readonly mode: 'managed' | 'data';
  readonly type: string;
  readonly name: string;
  /** Absent for a single instance, as in Terraform. */
  readonly index?: string | number;
  /** A leftover copy of an interrupted apply: its generation (Terraform's deposed object key). */
  readonly deposed?: string;
  readonly provider_name: string;
  readonly change: ChangeJson;
  readonly action_reason?: string;
  readonly infra_role?: Role;
  readonly infra_blue_green?: boolean;
  readonly infra_reasons?: readonly string[];
  readonly infra_prior_generation?: number;
  readonly infra_planned_generation?: number;
  readonly infra_dependencies?: readonly string[];
  /** The deletion of a kept blue copy (keep_blue): which, until when, why now. */
  readonly infra_kept?: Omit<KeptJson, 'address' | 'destroy'>;
}

/**
 * One entry of `infra_kept`: a kept blue copy (keep_blue) in the prior state, whether this plan
 * destroys it and why (`window_ended`, `superseded` by a new deploy of its instance,
 * `not_in_configuration`, `destroy` in a destroy plan), or null when it stays kept.
 */
export interface KeptJson {
  readonly address: string;
  readonly generation: number;
  /** The blue-green instance whose deploy kept it. */
  readonly unit: string;
  /** The window's end (RFC 3339, UTC). */
  readonly until: string;
  readonly destroy: boolean;
  readonly destroy_reason: 'window_ended' | 'superseded' | 'not_in_configuration' | 'destroy' | null;
}

/** One entry of `infra_deploy_sequence`. */
export interface StepJson {
  readonly id: string;
  readonly kind: StepKind;
  readonly address: string;
  readonly color: 'green' | 'blue' | null;
  readonly unit: string | null;
  readonly after_switch: boolean;
  readonly after: readonly string[];
  readonly switch_from: string | null;
  readonly switch_to: string | null;
  readonly generation: number;
  /** Bake steps only: how long after the unit's switch, how often, and which post-switch checks run. */
  readonly bake?: { readonly duration_ms: number; readonly interval_ms: number; readonly checks: readonly string[] };
}

/** One value of `output_changes`. */
export interface OutputChangeJson {
  readonly actions: Actions;
  readonly before: Json;
  /** Absent when the new value is known only after apply. */
  readonly after?: Json;
  readonly after_unknown: JsonMarks;
  readonly before_sensitive: JsonMarks;
  readonly after_sensitive: JsonMarks;
}

/** One entry of `infra_deploy_units`. */
export interface DeployUnitJson {
  readonly address: string;
  readonly provisions: readonly string[];
  readonly checks: readonly string[];
  readonly routes: readonly string[];
  readonly post_checks: readonly string[];
  readonly prior_generation: number;
  readonly planned_generation: number;
}

/** One entry of `infra_warnings`: Terraform's diagnostic shape. */
export interface DiagnosticJson {
  readonly severity: Diagnostic['severity'];
  readonly summary: string;
  readonly detail: string;
  readonly range?: RangeJson;
}

/** Terraform's source range: 1-based line and column, 0-based byte offset, end exclusive. */
export interface RangeJson {
  readonly filename: string;
  readonly start: { readonly line: number; readonly column: number; readonly byte: number };
  readonly end: { readonly line: number; readonly column: number; readonly byte: number };
}

/** A resource of `planned_values` / `prior_state`. */
export interface ModuleResourceJson {
  readonly address: string;
  readonly mode: 'managed' | 'data';
  readonly type: string;
  readonly name: string;
  readonly index?: string | number;
  readonly provider_name: string;
  readonly schema_version: number;
  readonly values: Json;
  readonly sensitive_values: JsonMarks;
}

/** An output of `planned_values` / `prior_state`. */
export interface ModuleOutputJson {
  readonly sensitive: boolean;
  readonly type?: Json;
  readonly value?: Json;
}

export interface ValuesJson {
  readonly outputs: Readonly<Record<string, ModuleOutputJson>>;
  readonly root_module: ModuleValuesJson;
}

/** A module instance in `planned_values` / `prior_state`: its resources, then its child module instances (absent when none). */
export interface ModuleValuesJson {
  readonly resources: readonly ModuleResourceJson[];
  /** Absent for the root module. */
  readonly address?: string;
  readonly child_modules?: readonly ModuleValuesJson[];
}

/** The JSON plan document. */
export interface PlanJson {
  readonly format_version: typeof TERRAFORM_PLAN_FORMAT_VERSION;
  readonly infra_version: string;
  readonly variables: Readonly<Record<string, { readonly value: Json }>>;
  readonly planned_values: ValuesJson;
  readonly resource_drift?: readonly ResourceChangeJson[];
  readonly resource_changes: readonly ResourceChangeJson[];
  readonly output_changes: Readonly<Record<string, OutputChangeJson>>;
  readonly prior_state: { readonly format_version: '1.0'; readonly values: ValuesJson };
  readonly configuration: Json;
  readonly timestamp?: string;
  readonly applyable: boolean;
  readonly complete: boolean;
  readonly errored: boolean;
  readonly infra_format_version: '2';
  readonly infra_mode: Plan['mode'];
  readonly infra_targets: readonly string[];
  readonly infra_summary: { readonly add: number; readonly change: number; readonly destroy: number; readonly blue_green: number };
  readonly infra_deploy_units: readonly DeployUnitJson[];
  readonly infra_deploy_sequence: readonly StepJson[];
  readonly infra_warnings: readonly DiagnosticJson[];
  /** Present when the prior state holds kept blue copies: each, and whether this plan destroys it. */
  readonly infra_kept?: readonly KeptJson[];
}

function withIndex(index: string | number | null): { index?: string | number } {
  return index === null ? {} : { index };
}

function resourceChangeToJson(plan: Plan, c: ResourceChange): ResourceChangeJson {
  const before = attributesToJson(c.before);
  const after = attributesToJson(c.after);
  const reason = terraformActionReason(plan, c);
  const leftover = c.reasons.find((r) => r.code === 'leftover');
  const kept = c.actions.length === 1 && c.actions[0] === 'delete' ? plan.keptDestroyed?.find((k) => k.address === c.address && k.generation === c.priorGeneration) : undefined;
  // Terraform's fields for a `moved` block (the address in the refreshed state) and an `import` block.
  const from = plan.moves?.find((m) => m.to === c.address)?.from;
  const importId = plan.imports?.find((i) => i.address === c.address)?.id;
  const module = moduleOf(c.address);
  return {
    address: c.address,
    ...(module === '' ? {} : { module_address: module }),
    ...(from === undefined ? {} : { previous_address: from }),
    mode: 'managed',
    type: c.type,
    name: c.name,
    ...withIndex(c.index),
    // A kept copy is not the current object either: Terraform's deposed key, its generation.
    ...(leftover ? { deposed: String(leftover.generation) } : kept ? { deposed: String(kept.generation) } : {}),
    provider_name: c.provider,
    change: {
      actions: c.actions,
      before: before.value,
      after: after.value,
      after_unknown: after.unknown,
      before_sensitive: before.sensitive,
      after_sensitive: after.sensitive,
      ...(c.replacePaths.length > 0 ? { replace_paths: c.replacePaths.map((p) => p.split('.')) } : {}),
      ...(importId === undefined ? {} : { importing: { id: importId } }),
    },
    ...(reason ? { action_reason: reason } : {}),
    infra_role: c.role,
    infra_blue_green: c.blueGreen,
    infra_reasons: reasonTexts(c.reasons),
    infra_prior_generation: c.priorGeneration,
    infra_planned_generation: c.plannedGeneration,
    infra_dependencies: c.dependencies,
    ...(kept ? { infra_kept: { generation: kept.generation, unit: kept.unit, until: kept.until, destroy_reason: DESTROY_REASON[kept.reason] } } : {}),
  };
}

const DESTROY_REASON: Record<KeptCopyDestroyed['reason'], NonNullable<KeptJson['destroy_reason']>> = {
  'kept-window-ended': 'window_ended',
  'kept-superseded': 'superseded',
  'not-in-configuration': 'not_in_configuration',
  destroy: 'destroy',
};

/** `infra_kept`: the kept copies the plan leaves and those it destroys, by address and generation. */
function keptToJson(plan: Plan): KeptJson[] {
  const all: KeptJson[] = [
    ...(plan.kept ?? []).map((k) => ({ address: k.address, generation: k.generation, unit: k.unit, until: k.until, destroy: false, destroy_reason: null })),
    ...(plan.keptDestroyed ?? []).map((k) => ({ address: k.address, generation: k.generation, unit: k.unit, until: k.until, destroy: true, destroy_reason: DESTROY_REASON[k.reason] })),
  ];
  return all.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.generation - b.generation));
}

function stepToJson(s: Step): StepJson {
  return {
    id: s.id,
    kind: s.kind,
    address: s.address,
    color: s.color,
    unit: s.unit,
    after_switch: s.afterSwitch,
    after: s.after,
    switch_from: s.switchFrom ?? null,
    switch_to: s.switchTo ?? null,
    generation: s.generation,
    ...(s.bake ? { bake: { duration_ms: s.bake.durationMs, interval_ms: s.bake.intervalMs, checks: s.bake.checks } } : {}),
  };
}

/** The provider of each resource type, from the plan's changes. */
function providersByType(plan: Plan): Map<string, string> {
  const m = new Map<string, string>();
  for (const c of [...plan.changes]) m.set(c.type, c.provider);
  for (const d of plan.data ?? []) m.set(d.type, d.provider);
  return m;
}

function driftToJson(plan: Plan, d: Drift): ResourceChangeJson {
  const before = attributesToJson(d.before);
  const after = attributesToJson(d.after);
  const { type, name } = typeAndName(d.address);
  const change = plan.changes.find((c) => c.address === d.address);
  return {
    address: d.address,
    mode: 'managed',
    type,
    name,
    ...withIndex(change?.index ?? null),
    provider_name: change?.provider ?? providersByType(plan).get(type) ?? type,
    change: {
      actions: d.kind === 'deleted' ? ['delete'] : ['update'],
      before: before.value,
      after: after.value,
      after_unknown: {},
      before_sensitive: before.sensitive,
      after_sensitive: after.sensitive,
    },
  };
}

function outputActions(o: OutputChange): Actions {
  if (o.before === undefined) return ['create'];
  if (o.after === null && o.before !== null) return ['delete'];
  return sameValue(o.before, o.after) ? ['no-op'] : ['update'];
}

function outputToJson(o: OutputChange): OutputChangeJson {
  const before = o.before === undefined ? { value: null, unknown: false, sensitive: false } : valueToJsonSafe(o.before);
  const after = valueToJsonSafe(o.after);
  // A sensitive output is redacted whole, whatever marks its value carries.
  const hide = (v: JsonSafeValue): JsonSafeValue => (o.sensitive ? { value: v.value === undefined ? undefined : null, unknown: v.unknown === false ? false : true, sensitive: true } : v);
  const b = hide(before);
  const a = hide(after);
  return {
    actions: outputActions(o),
    before: b.value ?? null,
    ...(a.value !== undefined ? { after: a.value } : {}),
    after_unknown: a.unknown,
    before_sensitive: o.before === undefined ? false : b.sensitive,
    after_sensitive: a.sensitive,
  };
}

function unitToJson(u: DeployUnit): DeployUnitJson {
  return {
    address: u.address,
    provisions: u.provisions,
    checks: u.checks,
    routes: u.routes,
    post_checks: u.postChecks,
    prior_generation: u.priorGeneration,
    planned_generation: u.plannedGeneration,
  };
}

/** Terraform's type constraint of a known JSON value (`"string"`, `["list","number"]`, ...). */
export function jsonTypeOf(v: Json): Json {
  if (v === null) return 'dynamic';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number' || typeof v === 'bigint') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return ['tuple', v.map(jsonTypeOf)];
  return ['object', Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonTypeOf(x)]))];
}

function moduleOutput(value: Value | undefined, isSensitive: boolean, nullWhenHidden: boolean): ModuleOutputJson {
  if (value === undefined) return { sensitive: isSensitive };
  const safe = valueToJsonSafe(value);
  if (isSensitive || safe.sensitive !== false) return nullWhenHidden ? { sensitive: true, value: null } : { sensitive: true };
  if (safe.value === undefined || safe.unknown !== false) return { sensitive: false };
  return { sensitive: false, type: jsonTypeOf(safe.value), value: safe.value };
}

function moduleResource(c: ResourceChange, attrs: AttributesJson): ModuleResourceJson {
  return valuesEntry(c, 'managed', attrs);
}

/** A resource or data source in `planned_values` / `prior_state`. */
function valuesEntry(
  r: { readonly address: string; readonly type: string; readonly name: string; readonly index: ResourceChange['index']; readonly provider: string },
  mode: 'managed' | 'data',
  attrs: AttributesJson,
): ModuleResourceJson {
  return {
    address: r.address,
    mode,
    type: r.type,
    name: r.name,
    ...withIndex(r.index),
    provider_name: r.provider,
    schema_version: 0,
    values: attrs.value,
    sensitive_values: attrs.sensitive === false ? {} : attrs.sensitive,
  };
}

function byAddress<T extends { address: string }>(xs: T[]): T[] {
  return xs.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

function plannedValues(plan: Plan): ValuesJson {
  const live = plan.changes.filter((c) => c.after !== null && !c.reasons.some((r) => r.code === 'leftover'));
  // As Terraform: data sources read during apply are planned values; those read now are prior state.
  const reads = (plan.data ?? []).filter((d) => d.deferred).map((d) => dataResource(d));
  return {
    outputs: Object.fromEntries(plan.outputs.filter((o) => o.after !== null || o.before === undefined).map((o) => [o.name, moduleOutput(o.after, o.sensitive, false)])),
    root_module: moduleTree([...reads, ...live.map((c) => moduleResource(c, attributesToJson(c.after)))]),
  };
}

/**
 * Resources sorted into the module instances holding them, as Terraform nests them: each
 * module instance under its parent's `child_modules`, in address order.
 */
function moduleTree(resources: ModuleResourceJson[]): ModuleValuesJson {
  const byModule = new Map<string, ModuleResourceJson[]>();
  for (const r of resources) {
    const m = moduleOf(r.address);
    let list = byModule.get(m);
    if (!list) byModule.set(m, (list = []));
    list.push(r);
    // Every enclosing module instance is in the tree, also one holding only modules.
    for (let p = parentModule(m); p !== '' && !byModule.has(p); p = parentModule(p)) byModule.set(p, []);
  }
  const build = (address: string): ModuleValuesJson => {
    const children = [...byModule.keys()].filter((m) => m !== '' && parentModule(m) === address).sort();
    return {
      resources: byAddress(byModule.get(address) ?? []),
      ...(address === '' ? {} : { address }),
      ...(children.length > 0 ? { child_modules: children.map(build) } : {}),
    };
  };
  return build('');
}

/** The module instance calling `module` (`module.a` for `module.a.module.b[0]`), '' for a call from the root. */
function parentModule(module: string): string {
  const { module: parent } = splitModule(`${module}.x.y`);
  const at = parent.lastIndexOf('.module.');
  return at < 0 ? '' : parent.slice(0, at);
}

function priorState(plan: Plan): ValuesJson {
  const existing = plan.changes.filter((c) => c.before !== null && !c.reasons.some((r) => r.code === 'leftover'));
  const read = (plan.data ?? []).filter((d) => !d.deferred).map((d) => dataResource(d));
  return {
    outputs: Object.fromEntries(plan.outputs.filter((o) => o.before !== undefined).map((o) => [o.name, moduleOutput(o.before, o.sensitive, true)])),
    root_module: moduleTree([...read, ...existing.map((c) => moduleResource(c, attributesToJson(c.before)))]),
  };
}

/** A data source in `planned_values` / `prior_state` (`mode: "data"`). */
function dataResource(d: DataSourceRead): ModuleResourceJson {
  return valuesEntry(d, 'data', attributesToJson(d.values));
}

/** A data source read during apply, as Terraform lists it in `resource_changes`: action `read`. */
function dataReadChange(d: DataSourceRead): ResourceChangeJson {
  const after = attributesToJson(d.values);
  const module = moduleOf(d.address);
  return {
    address: d.address,
    ...(module === '' ? {} : { module_address: module }),
    mode: 'data',
    type: d.type,
    name: d.name,
    ...withIndex(d.index),
    provider_name: d.provider,
    change: { actions: ['read'], before: null, after: after.value, after_unknown: after.unknown, before_sensitive: false, after_sensitive: after.sensitive },
    action_reason: d.deferred === 'config-unknown' ? 'read_because_config_unknown' : 'read_because_dependency_pending',
    infra_dependencies: d.dependencies,
  };
}

function expressionJson(e: PlanExpression): Json {
  return e.references.length > 0 ? { references: [...e.references] } : {};
}

/** Every resource type of a configuration summary, its module calls' included. */
function summaryTypes(cfg: PlanConfiguration): string[] {
  return [...cfg.resources.map((r) => r.type), ...(cfg.moduleCalls ?? []).flatMap((m) => summaryTypes(m.module))];
}

/** Terraform's `configuration` block, from the summary the plan carries (empty without one). */
function configurationJson(plan: Plan): Json {
  const cfg: PlanConfiguration = plan.configuration ?? { resources: [], outputs: [], variables: [] };
  const providers = providersByType(plan);
  const providerOf = (type: string): string => providers.get(type) ?? type.split('_')[0];
  const providerNames = [...new Set(summaryTypes(cfg).map(providerOf))].sort();
  return {
    provider_config: Object.fromEntries(providerNames.map((p) => [p, { name: p, full_name: p }])),
    root_module: moduleConfigurationJson(cfg, providerOf),
  };
}

/** One module of `configuration`: its outputs, resources, module calls (each with its module) and variables. */
function moduleConfigurationJson(cfg: PlanConfiguration, providerOf: (type: string) => string): Json {
  return {
    outputs: Object.fromEntries(
      cfg.outputs.map((o) => [o.name, { ...(o.sensitive ? { sensitive: true } : {}), ...(o.description !== undefined ? { description: o.description } : {}), expression: expressionJson(o.expression) }]),
    ),
    resources: cfg.resources.map((r) => ({
      address: r.address,
      mode: r.mode ?? 'managed',
      type: r.type,
      name: r.name,
      provider_config_key: providerOf(r.type),
      expressions: Object.fromEntries(
        Object.entries(r.expressions).map(([k, e]) => [k, Array.isArray(e) ? e.map((b) => Object.fromEntries(Object.entries(b).map(([bk, be]) => [bk, expressionJson(be as PlanExpression)]))) : expressionJson(e as PlanExpression)]),
      ),
      schema_version: 0,
      ...(r.count ? { count_expression: expressionJson(r.count) } : {}),
      ...(r.forEach ? { for_each_expression: expressionJson(r.forEach) } : {}),
      ...(r.dependsOn.length > 0 ? { depends_on: [...r.dependsOn] } : {}),
    })),
    ...(cfg.moduleCalls && cfg.moduleCalls.length > 0
      ? {
          module_calls: Object.fromEntries(
            cfg.moduleCalls.map((m) => [
              m.name,
              {
                source: m.source,
                expressions: Object.fromEntries(Object.entries(m.expressions).map(([k, e]) => [k, expressionJson(e)])),
                ...(m.count ? { count_expression: expressionJson(m.count) } : {}),
                ...(m.forEach ? { for_each_expression: expressionJson(m.forEach) } : {}),
                module: moduleConfigurationJson(m.module, providerOf),
                ...(m.dependsOn.length > 0 ? { depends_on: [...m.dependsOn] } : {}),
              },
            ]),
          ),
        }
      : {}),
    variables: Object.fromEntries(
      cfg.variables.map((v) => [v.name, { ...(v.description !== undefined ? { description: v.description } : {}), ...(v.sensitive ? { sensitive: true } : {}) }]),
    ),
  };
}

function diagnosticToJson(d: Diagnostic): DiagnosticJson {
  return { severity: d.severity, summary: d.summary, detail: d.detail ?? '', ...(d.range ? { range: rangeToJson(d.range) } : {}) };
}

/** A diagnostic's range in Terraform's shape. */
export function rangeToJson(r: NonNullable<Diagnostic['range']>): RangeJson {
  return {
    filename: r.file,
    start: { line: r.start.line, column: r.start.column, byte: r.start.offset },
    end: { line: r.end.line, column: r.end.column, byte: r.end.offset },
  };
}

/** The JSON document of a plan, as data (for callers that embed it). */
export function planToJson(plan: Plan): PlanJson {
  return {
    format_version: TERRAFORM_PLAN_FORMAT_VERSION,
    infra_version: INFRA_VERSION,
    // Sensitive variables are never written: only their hash is in the plan.
    variables: Object.fromEntries(Object.entries(plan.basis.variables).map(([k, v]) => [k, { value: v.value ?? null }])),
    planned_values: plannedValues(plan),
    ...(plan.drift.length > 0 ? { resource_drift: plan.drift.map((d) => driftToJson(plan, d)) } : {}),
    resource_changes: (plan.data?.some((d) => d.deferred)
      ? byAddress([...plan.data.filter((d) => d.deferred).map(dataReadChange), ...plan.changes.map((c) => resourceChangeToJson(plan, c))])
      : plan.changes.map((c) => resourceChangeToJson(plan, c))),
    output_changes: Object.fromEntries(plan.outputs.map((o) => [o.name, outputToJson(o)])),
    prior_state: { format_version: '1.0', values: priorState(plan) },
    configuration: configurationJson(plan),
    ...(typeof plan.createdAt === 'string' ? { timestamp: plan.createdAt } : {}),
    applyable: planHasChanges(plan),
    complete: plan.targets.length === 0,
    errored: false,
    infra_format_version: '2',
    infra_mode: plan.mode,
    infra_targets: plan.targets,
    infra_summary: { add: plan.summary.add, change: plan.summary.change, destroy: plan.summary.destroy, blue_green: plan.summary.blueGreen },
    infra_deploy_units: plan.units.map(unitToJson),
    infra_deploy_sequence: plan.steps.map(stepToJson),
    infra_warnings: plan.warnings.map(diagnosticToJson),
    ...(plan.kept?.length || plan.keptDestroyed?.length ? { infra_kept: keptToJson(plan) } : {}),
  };
}

/** The JSON document as text: two-space indented, no trailing newline (the caller ends the line). */
export function renderPlanJson(plan: Plan): string {
  return stringifyJson(planToJson(plan), 2);
}
