/**
 * The plan as one JSON document (`infra plan --json`, `infra show --json PLANFILE`), in the
 * shape tools rely on (issue 3; reference in docs/plan-format.md). Field names follow
 * Terraform's JSON plan where the idea is the same. Sensitive values never appear: they are
 * null, with `*_sensitive` marks at their paths. Unknown values are null in `after`, with true
 * at their paths in `after_unknown`.
 */
import { reasonTexts } from './reasons.js';
import type { Diagnostic } from '../diagnostics.js';
import { Sensitive, Unknown, containsUnknown, isObject, type Json, type Value } from '../evaluate/value.js';
import type { Actions, DeployUnit, Drift, OutputChange, Plan, ResourceChange, Step, StepKind } from '../planner/plan.js';
import type { Role } from '../providers/contract.js';
import { sameValue } from './attribute-diff.js';
import { typeAndName } from '../addrs/address.js';

/**
 * Where a value has a property: `true` for the whole value, `false` for none of it, or the same
 * shape as the value (object keys holding a mark, arrays one mark per element) when only parts
 * have it. Object marks list only the keys that are not `false`.
 */
export type JsonMarks = boolean | readonly JsonMarks[] | { readonly [key: string]: JsonMarks };

/** A value made safe for JSON output. */
export interface JsonSafeValue {
  /** The value with unknown and sensitive parts replaced by null. */
  readonly value: Json;
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
  if (v instanceof Sensitive) return { value: null, unknown: containsUnknown(v.value), sensitive: true };
  if (v instanceof Unknown) return { value: null, unknown: true, sensitive: false };
  if (Array.isArray(v)) {
    const parts = v.map(valueToJsonSafe);
    return { value: parts.map((p) => p.value), unknown: listMarks(parts.map((p) => p.unknown)), sensitive: listMarks(parts.map((p) => p.sensitive)) };
  }
  if (isObject(v)) {
    const value: Record<string, Json> = {};
    const unknown: Record<string, JsonMarks> = {};
    const sens: Record<string, JsonMarks> = {};
    for (const [k, x] of Object.entries(v)) {
      const p = valueToJsonSafe(x);
      value[k] = p.value;
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

function attributesToJson(attrs: Readonly<Record<string, Value>> | null): { value: Json; unknown: JsonMarks; sensitive: JsonMarks } {
  if (attrs === null) return { value: null, unknown: {}, sensitive: {} };
  const safe = valueToJsonSafe(attrs);
  return { value: safe.value, unknown: rootMarks(safe.unknown), sensitive: rootMarks(safe.sensitive) };
}

/** One entry of `resource_changes` (see docs/plan-format.md). */
export interface ResourceChangeJson {
  readonly address: string;
  /** Where a `moved` block moved the instance from (Terraform's field); absent when it did not move. */
  readonly previous_address?: string;
  /** The object an `import` block adopts (Terraform's `importing`); absent otherwise. */
  readonly importing?: { readonly id: string };
  readonly type: string;
  readonly name: string;
  readonly index: string | number | null;
  readonly provider: string;
  readonly role: Role;
  readonly actions: Actions;
  readonly blue_green: boolean;
  readonly before: Json;
  readonly after: Json;
  readonly after_unknown: JsonMarks;
  readonly before_sensitive: JsonMarks;
  readonly after_sensitive: JsonMarks;
  readonly replace_paths: readonly string[];
  readonly reasons: readonly string[];
  readonly prior_generation: number;
  readonly planned_generation: number;
  readonly dependencies: readonly string[];
}

/** One entry of `steps`. */
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
}

/** One entry of `resource_drift`. */
export interface DriftJson {
  readonly address: string;
  readonly type: string;
  readonly name: string;
  readonly kind: Drift['kind'];
  readonly actions: Actions;
  readonly before: Json;
  readonly after: Json;
  readonly before_sensitive: JsonMarks;
  readonly after_sensitive: JsonMarks;
}

/** One value of `output_changes`. */
export interface OutputChangeJson {
  readonly actions: Actions;
  readonly sensitive: boolean;
  readonly before: Json;
  readonly after: Json;
  readonly after_unknown: JsonMarks;
  readonly before_sensitive: JsonMarks;
  readonly after_sensitive: JsonMarks;
}

/** One entry of `deploy_units`. */
export interface DeployUnitJson {
  readonly address: string;
  readonly provisions: readonly string[];
  readonly checks: readonly string[];
  readonly routes: readonly string[];
  readonly post_checks: readonly string[];
  readonly prior_generation: number;
  readonly planned_generation: number;
}

/** One entry of `warnings`. */
export interface DiagnosticJson {
  readonly severity: Diagnostic['severity'];
  readonly summary: string;
  readonly detail: string | null;
  readonly range: Diagnostic['range'] | null;
}

/** The JSON plan document, format version 1. */
export interface PlanJson {
  readonly format_version: '1';
  readonly mode: Plan['mode'];
  readonly targets: readonly string[];
  readonly resource_drift: readonly DriftJson[];
  readonly resource_changes: readonly ResourceChangeJson[];
  readonly output_changes: Readonly<Record<string, OutputChangeJson>>;
  readonly deploy_units: readonly DeployUnitJson[];
  readonly steps: readonly StepJson[];
  readonly summary: { readonly add: number; readonly change: number; readonly destroy: number; readonly blue_green: number };
  readonly warnings: readonly DiagnosticJson[];
}

function resourceChangeToJson(c: ResourceChange): ResourceChangeJson {
  const before = attributesToJson(c.before);
  const after = attributesToJson(c.after);
  return {
    address: c.address,
    type: c.type,
    name: c.name,
    index: c.index,
    provider: c.provider,
    role: c.role,
    actions: c.actions,
    blue_green: c.blueGreen,
    before: before.value,
    after: after.value,
    after_unknown: after.unknown,
    before_sensitive: before.sensitive,
    after_sensitive: after.sensitive,
    replace_paths: c.replacePaths,
    reasons: reasonTexts(c.reasons),
    prior_generation: c.priorGeneration,
    planned_generation: c.plannedGeneration,
    dependencies: c.dependencies,
  };
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
  };
}

function driftToJson(d: Drift): DriftJson {
  const before = attributesToJson(d.before);
  const after = attributesToJson(d.after);
  const { type, name } = typeAndName(d.address);
  return {
    address: d.address,
    type,
    name,
    kind: d.kind,
    actions: d.kind === 'deleted' ? ['delete'] : ['update'],
    before: before.value,
    after: after.value,
    before_sensitive: before.sensitive,
    after_sensitive: after.sensitive,
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
  const hide = (v: JsonSafeValue | typeof before): JsonSafeValue => (o.sensitive ? { value: null, unknown: v.unknown === false ? false : true, sensitive: true } : v);
  const b = hide(before);
  const a = hide(after);
  return {
    actions: outputActions(o),
    sensitive: o.sensitive,
    before: b.value,
    after: a.value,
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

/**
 * Terraform's `previous_address` on the entry of an instance a `moved` block moved (its address
 * in the refreshed state), and `importing: { id }` on one an `import` block adopts.
 */
function withPreviousAddress(entry: ResourceChangeJson, plan: Plan): ResourceChangeJson {
  const from = plan.moves?.find((m) => m.to === entry.address)?.from;
  const id = plan.imports?.find((i) => i.address === entry.address)?.id;
  return { ...entry, ...(from === undefined ? {} : { previous_address: from }), ...(id === undefined ? {} : { importing: { id } }) };
}

/** The JSON document of a plan, as data (for callers that embed it). */
export function planToJson(plan: Plan): PlanJson {
  return {
    format_version: plan.formatVersion,
    mode: plan.mode,
    targets: plan.targets,
    resource_drift: plan.drift.map(driftToJson),
    resource_changes: plan.changes.map((c) => withPreviousAddress(resourceChangeToJson(c), plan)),
    output_changes: Object.fromEntries(plan.outputs.map((o) => [o.name, outputToJson(o)])),
    deploy_units: plan.units.map(unitToJson),
    steps: plan.steps.map(stepToJson),
    summary: { add: plan.summary.add, change: plan.summary.change, destroy: plan.summary.destroy, blue_green: plan.summary.blueGreen },
    warnings: plan.warnings.map((d) => ({ severity: d.severity, summary: d.summary, detail: d.detail ?? null, range: d.range ?? null })),
  };
}

/** The JSON document as text: two-space indented, no trailing newline (the caller ends the line). */
export function renderPlanJson(plan: Plan): string {
  return JSON.stringify(planToJson(plan), null, 2);
}
