/**
 * Pass "diff": what happens to one configured instance and what its attributes will be - the
 * configured values compared with its live copy (secrets by their stored form, state/sensitive.ts),
 * the provider's plan hook, `ignore_changes`, and which changes force a replacement.
 */
import type { ResourceDecl } from '../config/types.js';
import { UNKNOWN, Sensitive, containsUnknown, sensitive as markSensitive, valueEquals, type Value } from '../evaluate/value.js';
import { UNREAD_SECRET_HASH, hashSensitive, matchesSecretHash, sameStoredValue, stateValues } from '../state/sensitive.js';
import type { StateInstance } from '../state/types.js';
import { type PlanContext, type TypeInfo, liveCopy } from './context.js';

/** What the diff decided for an instance, before targets and deploy units have their say. */
export type ChangeKind = 'create' | 'update' | 'replace' | 'no-op';

/** The instance being diffed. */
export interface DiffSubject {
  readonly decl: ResourceDecl;
  readonly address: string;
  readonly info: TypeInfo;
  /** The configuration as evaluated. */
  readonly config: Readonly<Record<string, Value>>;
  /** A blue-green deploy is forced (a provision of it changed). */
  readonly forced: boolean;
  /** Named by -replace: replaced though its configuration did not change. */
  readonly replaceRequested: boolean;
  /** A `replace_triggered_by` entry fired: replaced when it exists. */
  readonly triggered?: boolean;
  /** The generation the instance's new copy gets. */
  readonly generation: number;
}

/** What `diffInstance` decided: the planned attributes, the live copy, the kind of change and why. */
export interface InstanceDiff {
  readonly after: Record<string, Value>;
  readonly prior: StateInstance | undefined;
  readonly kind: ChangeKind;
  readonly replacePaths: string[];
  readonly changedPaths: string[];
}

/** Attribute comparison against the prior copy, collecting what changed. */
class Comparison {
  readonly changed: string[] = [];
  readonly replacePaths: string[] = [];

  constructor(
    private readonly prior: StateInstance | undefined,
    private readonly priorValues: Readonly<Record<string, Value>> | undefined,
    private readonly ignore: ReadonlySet<string>,
    private readonly after: Record<string, Value>,
  ) {}

  compare(name: string, value: Value, isSensitive: boolean, forces: boolean): void {
    const prior = this.prior;
    if (!prior) return;
    let differs: boolean;
    // A secret an import could not read (UNREAD_SECRET_HASH) is taken to be the configured one.
    if (isSensitive) differs = prior.sensitive_attributes[name] !== UNREAD_SECRET_HASH && !matchesSecretHash(prior.sensitive_attributes[name] ?? hashSensitive(null), value);
    else differs = !sameStoredValue(value, (prior.attributes[name] ?? null) as Value);
    if (!differs) return;
    if (this.ignore.has(name)) {
      this.after[name] = this.priorValues![name] ?? null;
      return;
    }
    this.changed.push(name);
    if (forces) this.replacePaths.push(name);
  }

  /** A value the provider's plan hook predicted, compared as it is (hooks see no secrets). */
  comparePlanned(name: string, value: Value, forces: boolean): void {
    const prior = this.prior;
    if (prior && !containsUnknown(value) && !valueEquals(value, (prior.attributes[name] ?? null) as Value) && !this.ignore.has(name)) {
      this.changed.push(name);
      if (forces) this.replacePaths.push(name);
    }
  }
}

/** Decides what happens to one instance and what its attributes will be. */
export function diffInstance(ctx: PlanContext, s: DiffSubject): InstanceDiff {
  const { decl, address, info, config } = s;
  const schema = info.schema;
  const prior = liveCopy(ctx, address);
  const priorValues = prior ? stateValues(prior) : undefined;
  const after: Record<string, Value> = {};
  const keepComputed: string[] = [];
  const cmp = new Comparison(prior, priorValues, new Set(decl.lifecycle.ignoreChanges), after);

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
    cmp.compare(name, value, !!attr.sensitive, !!attr.forcesReplacement);
  }
  for (const [name, block] of Object.entries(schema.blocks ?? {})) {
    const value = config[name] ?? (block.nesting === 'single' ? null : []);
    after[name] = value;
    cmp.compare(name, value, false, !!block.forcesReplacement);
  }

  // Where each attribute's value and each block (by type) is written, for providers' diagnostics.
  const ranges = Object.fromEntries(decl.body.items.flatMap((i) => (i.kind === 'Attribute' ? [[i.name, i.expr.range]] : i.kind === 'Block' ? [[i.type, i.range]] : [])));
  const hook = info.plan?.({ address, generation: s.generation, config: after, prior: prior?.attributes ?? null, configDir: ctx.input.config.dir, ranges });
  if (hook) {
    ctx.diagnostics.push(...hook.diagnostics);
    for (const [name, value] of Object.entries(hook.planned)) {
      after[name] = value;
      cmp.comparePlanned(name, value, !!schema.attributes[name]?.forcesReplacement);
    }
  }

  let kind: ChangeKind;
  if (!prior) kind = 'create';
  else if (prior.status !== 'ready' || cmp.replacePaths.length > 0 || s.forced || s.replaceRequested || s.triggered) kind = 'replace';
  else if (cmp.changed.length > 0) kind = 'update';
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
  return { after, prior, kind, replacePaths: cmp.replacePaths, changedPaths: cmp.changed };
}
