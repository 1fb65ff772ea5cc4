/**
 * Apply progress as JSON lines (`infra apply -json`, `infra destroy -json`, `infra rollback -json`), in the shape of
 * Terraform's machine-readable UI (`terraform apply -json`, UI version 1.2): one JSON object a
 * line, each with `@level`, `@message`, `@module`, `@timestamp` and `type`. The same apply events
 * the text renderer (progress.ts) prints, so both views tell the same story. Steps Terraform has
 * no word for (blue-green `verify` and `switch`) have types of their own (`verify_start`,
 * `switch_complete`, ...), which Terraform's tools skip; every hook also carries `infra_step`.
 * Events arrive already scrubbed of secrets (apply's scrubber); nothing here adds a value.
 * docs/plan-format.md lists every message type.
 */
import { displayPath } from './diagnostics.js';
import { rangeToJson, type RangeJson } from './plan-json.js';
import { terraformActionReason } from './plan-json-reasons.js';
import type { ApplyEvent } from '../apply/apply.js';
import type { Diagnostic } from '../diagnostics.js';
import type { Plan, ResourceChange, Step } from '../planner/plan.js';
import { parseAddress, splitModule, typeAndName } from '../addrs/address.js';
import { INFRA_VERSION } from '../state/version.js';
import { stringifyJson } from '../evaluate/json-text.js';

/** Terraform's UI message version this stream follows. */
export const UI_VERSION = '1.2';

/** One line of the stream, before it is written. */
export interface UiMessage {
  readonly '@level': 'info' | 'warn' | 'error';
  readonly '@message': string;
  readonly '@module': 'infra.ui';
  readonly '@timestamp': string;
  readonly type: string;
  readonly [key: string]: unknown;
}

/** Terraform's resource address object of a hook or change. */
export interface UiResource {
  readonly addr: string;
  /** The module instance (`module.ns["a"]`), '' in the root module. */
  readonly module: string;
  /** The address inside that module. */
  readonly resource: string;
  readonly implied_provider: string;
  readonly resource_type: string;
  readonly resource_name: string;
  readonly resource_key: string | number | null;
}

/** Makes the lines of one run; `now` is the clock (tests pass a fixed one). */
export class UiStream {
  constructor(
    private readonly plan: Plan | null,
    private readonly cwd: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private msg(type: string, level: UiMessage['@level'], message: string, fields: Record<string, unknown> = {}): UiMessage {
    return { '@level': level, '@message': message, '@module': 'infra.ui', '@timestamp': this.now().toISOString(), type, ...fields };
  }

  private resource(address: string): UiResource {
    const change = this.plan?.changes.find((c) => c.address === address);
    const parsed = parseAddress(address);
    const { type, name } = typeAndName(address);
    const { module, rest } = splitModule(address);
    return {
      addr: address,
      // As Terraform: the module instance, and the address inside it.
      module,
      resource: rest,
      implied_provider: change?.provider ?? type.split('_')[0],
      resource_type: type,
      resource_name: name,
      resource_key: change?.index ?? (parsed.value ? parsed.value.key : null),
    };
  }

  /** `version`: the first line. Terraform's has `terraform`; ours names infra. */
  version(): UiMessage {
    return this.msg('version', 'info', `infra ${INFRA_VERSION}`, { infra: INFRA_VERSION, ui: UI_VERSION });
  }

  /** One `planned_change` for each change that does something. */
  plannedChanges(): UiMessage[] {
    const plan = this.plan;
    if (!plan) return [];
    return plan.changes.filter((c) => c.actions[0] !== 'no-op').map((c) => {
      const action = uiAction(c);
      const reason = uiReason(plan, c);
      const verb = { create: 'create', update: 'update', delete: 'delete', replace: 'replace' }[action];
      return this.msg('planned_change', 'info', `${c.address}: Plan to ${verb}${c.blueGreen ? ' (blue-green deploy)' : ''}`, {
        change: { resource: this.resource(c.address), action, ...(reason ? { reason } : {}), infra_blue_green: c.blueGreen },
      });
    });
  }

  /** `change_summary`: the counts of the plan (`operation` plan) or of what apply did. */
  changeSummary(operation: 'plan' | 'apply' | 'destroy'): UiMessage {
    const s = this.plan?.summary ?? { add: 0, change: 0, destroy: 0, blueGreen: 0 };
    const bg = s.blueGreen > 0 ? `; ${s.blueGreen} blue-green deploy${s.blueGreen === 1 ? '' : 's'}` : '';
    const imports = this.plan?.imports?.length ?? 0;
    const imported = imports > 0 ? (operation === 'plan' ? `${imports} to import, ` : `${imports} imported, `) : '';
    const message =
      operation === 'plan'
        ? `Plan: ${imported}${s.add} to add, ${s.change} to change, ${s.destroy} to destroy.`
        : operation === 'destroy'
          ? `Destroy complete! Resources: ${s.destroy} destroyed.`
          : `Apply complete! Resources: ${imported}${s.add} added, ${s.change} changed, ${s.destroy} destroyed${bg}.`;
    return this.msg('change_summary', 'info', message, {
      changes: { add: s.add, change: s.change, import: this.plan?.imports?.length ?? 0, remove: s.destroy, operation },
      infra_blue_green: s.blueGreen,
    });
  }

  /**
   * `outputs` after apply: values of non-sensitive outputs, only the mark of sensitive ones, and
   * each one's type (Terraform's JSON notation) when the state recorded it, as Terraform's.
   */
  outputs(outputs: Readonly<Record<string, { readonly value: unknown; readonly type?: unknown; readonly sensitive: boolean }>>): UiMessage {
    const entries = Object.entries(outputs);
    return this.msg('outputs', 'info', `Outputs: ${entries.length}`, {
      outputs: Object.fromEntries(
        entries.map(([k, o]) => [k, { sensitive: o.sensitive, ...(o.type !== undefined ? { type: o.type } : {}), ...(o.sensitive ? {} : { value: o.value }) }]),
      ),
    });
  }

  /**
   * `infra rollback -json`: one `infra_planned_rollback` for each instance the plan switches back
   * (Terraform has no action for a switch back; its tools skip the type), naming the kept copy
   * traffic goes back to and the live one it leaves, which is then kept until the same window end.
   */
  plannedRollbacks(): UiMessage[] {
    const plan = this.plan;
    if (!plan) return [];
    return plan.units.map((u) =>
      this.msg('infra_planned_rollback', 'info', `${u.address}: Plan to switch back to generation ${u.plannedGeneration} (kept blue) from generation ${u.priorGeneration}`, {
        rollback: {
          resource: this.resource(u.address),
          to_generation: u.plannedGeneration,
          from_generation: u.priorGeneration,
          kept_until: u.rollback?.keptUntil ?? null,
          switches: plan.steps.filter((s) => s.unit === u.address && s.kind === 'switch').map((s) => ({ route: s.address, from: s.switchFrom ?? null, to: s.switchTo ?? null })),
          checks: plan.steps.filter((s) => s.unit === u.address && s.kind === 'verify').map((s) => s.address),
        },
      }),
    );
  }

  /**
   * `change_summary` of a rollback: `operation` `plan` before it (how many instances switch back),
   * `apply` after it (the copies now live, also in `infra_live`); `infra_operation` is `rollback`.
   */
  rollbackSummary(operation: 'plan' | 'apply'): UiMessage {
    const units = this.plan?.units ?? [];
    const n = units.length;
    const message =
      operation === 'plan'
        ? `Plan: ${n} instance${n === 1 ? '' : 's'} to roll back, 0 to add, 0 to destroy.`
        : `Rollback complete! Live now: ${units.map((u) => `${u.address} generation ${u.plannedGeneration}`).join(', ')}.`;
    return this.msg('change_summary', 'info', message, {
      changes: { add: 0, change: 0, import: 0, remove: 0, operation },
      infra_operation: 'rollback',
      infra_rollback_instances: n,
      ...(operation === 'apply' ? { infra_live: units.map((u) => ({ address: u.address, generation: u.plannedGeneration })) } : {}),
    });
  }

  /** A `diagnostic` line, in Terraform's shape. */
  diagnostic(d: Diagnostic): UiMessage {
    const range: RangeJson | undefined = d.range ? { ...rangeToJson(d.range), filename: displayPath(d.range.file, this.cwd) } : undefined;
    return this.msg('diagnostic', d.severity === 'error' ? 'error' : 'warn', `${d.severity === 'error' ? 'Error' : 'Warning'}: ${d.summary}`, {
      diagnostic: { severity: d.severity, summary: d.summary, detail: d.detail ?? '', ...(range ? { range } : {}) },
    });
  }

  /** The line for one apply event. */
  event(e: ApplyEvent): UiMessage {
    switch (e.type) {
      case 'start':
        return this.msg(`${stepFamily(e.step)}_start`, 'info', `${label(e.step)}: ${e.rollback ? '[rollback] ' : ''}${START[e.step.kind]}`, { hook: this.hook(e.step, e.rollback) });
      case 'done':
        return this.msg(`${stepFamily(e.step)}_complete`, 'info', `${label(e.step)}: ${e.rollback ? '[rollback] ' : ''}${DONE[e.step.kind]} after ${seconds(e.elapsedMs)}s`, {
          hook: { ...this.hook(e.step, e.rollback), elapsed_seconds: seconds(e.elapsedMs), ...(e.details !== undefined ? { infra_details: e.details } : {}) },
        });
      case 'failed':
        return this.msg(`${stepFamily(e.step)}_errored`, 'error', `${label(e.step)}: ${e.rollback ? '[rollback] ' : ''}${FAILED[e.step.kind]} failed after ${seconds(e.elapsedMs)}s`, {
          hook: { ...this.hook(e.step, e.rollback), elapsed_seconds: seconds(e.elapsedMs) },
        });
      case 'still':
        return this.msg(`${stepFamily(e.step)}_progress`, 'info', `${label(e.step)}: Still ${STILL[e.step.kind]}... [${seconds(e.elapsedMs)}s elapsed]`, {
          hook: { ...this.hook(e.step, false), elapsed_seconds: seconds(e.elapsedMs) },
        });
      case 'log':
        // Terraform's type for what a provisioner prints.
        return this.msg('provision_progress', 'info', `${label(e.step)}: ${e.line}`, { hook: { resource: this.resource(e.step.address), provisioner: e.step.kind, output: e.line, infra_step: infraStep(e.step, false) } });
      case 'rollback':
        return this.msg('infra_rollback', 'warn', `Rolling back the deploy of ${e.unit}: ${e.reason}`, { unit: e.unit, reason: e.reason });
      case 'interrupt':
        return this.msg('log', 'warn', e.hard ? 'Interrupted again: state is saved, stopping now.' : 'Interrupt received: no new steps start; in-flight deploys finish or roll back.');
      case 'bake':
        return e.step ? this.msg('infra_bake', 'info', `${label(e.step)}: ${e.message}`, { unit: e.step.unit }) : this.msg('infra_bake', 'info', e.message);
    }
  }

  private hook(step: Step, rollback: boolean): Record<string, unknown> {
    // A switch names the copies traffic leaves and goes to (a kept blue copy on infra rollback).
    const sw = step.kind === 'switch' && step.switchTo !== undefined ? { infra_switch: { from: step.switchFrom ?? null, to: step.switchTo } } : {};
    return { resource: this.resource(step.address), action: step.kind, infra_step: infraStep(step, rollback), ...sw };
  }
}

/** `apply` for the steps Terraform has (create, update, delete); the step's kind otherwise. */
function stepFamily(step: Step): string {
  return step.kind === 'verify' || step.kind === 'switch' || step.kind === 'bake' ? step.kind : 'apply';
}

function infraStep(step: Step, rollback: boolean): Record<string, unknown> {
  return { id: step.id, kind: step.kind, color: step.color, unit: step.unit, generation: step.generation, rollback };
}

const START: Record<Step['kind'], string> = { create: 'Creating...', update: 'Modifying...', delete: 'Destroying...', verify: 'Verifying...', switch: 'Switching...', bake: 'Baking...' };
const DONE: Record<Step['kind'], string> = { create: 'Creation complete', update: 'Modifications complete', delete: 'Destruction complete', verify: 'Verified', switch: 'Switched', bake: 'Baked' };
const FAILED: Record<Step['kind'], string> = { create: 'Creation', update: 'Modifications', delete: 'Destruction', verify: 'Verification', switch: 'Switch', bake: 'Bake' };
const STILL: Record<Step['kind'], string> = { create: 'creating', update: 'modifying', delete: 'destroying', verify: 'verifying', switch: 'switching', bake: 'baking' };

function label(step: Step): string {
  return step.color ? `${step.address} (${step.color})` : step.address;
}

function seconds(ms: number): number {
  return Math.round(ms / 1000);
}

function uiAction(c: ResourceChange): 'create' | 'update' | 'delete' | 'replace' {
  if (c.actions.length === 2) return 'replace';
  return c.actions[0] as 'create' | 'update' | 'delete';
}

/** The UI's words for a reason, as Terraform's `planned_change` writes them. */
function uiReason(plan: Plan, c: ResourceChange): string | undefined {
  const r = terraformActionReason(plan, c);
  switch (r) {
    case 'replace_by_request':
      return 'requested';
    case 'replace_because_tainted':
      return 'tainted';
    case 'replace_by_triggers':
      return 'replace_triggered_by';
    case 'replace_because_cannot_update':
      return 'cannot_update';
    default:
      return r;
  }
}

/** A message as its line of text (no newline). */
export function uiLine(m: UiMessage): string {
  return stringifyJson(m);
}
