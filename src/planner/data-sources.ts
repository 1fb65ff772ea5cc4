/**
 * Pass "data sources" (inside instances.ts's walk): what each `data "TYPE" "NAME"` instance
 * evaluates to. The planner is pure, so it never reads anything itself: a data source whose
 * arguments are all known and whose dependencies have no pending change is taken from
 * `input.dataReads` (what the session read for exactly these arguments), or else asked for
 * (`DataReadNeeded`) - the session reads it and plans again. One that depends on values known
 * only after apply, or on a resource with a pending change, is read during apply instead, as
 * Terraform does (`<= read` in the plan); until then its read attributes are unknown.
 */
import type { ResourceDecl } from '../config/types.js';
import type { SourceRange } from '../diagnostics.js';
import { UNKNOWN, canonicalJson, containsUnknown, toJson, type Json, type Value } from '../evaluate/value.js';
import type { DataSourceSchema } from '../providers/contract.js';
import type { Evaluated } from './pass.js';

/** What the planner needs to know about a data source type. */
export interface DataTypeInfo {
  readonly provider: string;
  readonly schema: DataSourceSchema;
}

/** A data source the session read before planning, for the arguments in `configKey`. */
export interface DataReadResult {
  /** `canonicalJson` of the arguments it was read with. */
  readonly configKey: string;
  readonly state: Readonly<Record<string, Json>>;
}

/** A data source the planner needs read before it can plan (its arguments are all known). */
export interface DataReadNeeded {
  readonly address: string;
  readonly type: string;
  readonly provider: string;
  readonly config: Readonly<Record<string, Json>>;
  /** The data block, where a failed read is reported (its first argument's value when it has one). */
  readonly range: SourceRange;
}

/**
 * Why a data source is read during apply (display only): its arguments hold values known only
 * after apply, or it depends on a resource with a pending change.
 */
export type DeferredReason = 'config-unknown' | 'dependency-pending';

/** One data source instance as this pass evaluated it. */
export interface EvaluatedData {
  readonly decl: ResourceDecl;
  readonly address: string;
  readonly index: string | number | null;
  readonly provider: string;
  /** The arguments as evaluated (unknowns where not known yet). */
  readonly config: Record<string, Value>;
  /** Every attribute: what was read, or the arguments with the read attributes unknown. */
  readonly value: Record<string, Value>;
  /** Read for this plan (`value` holds what was read). */
  readonly read: boolean;
  /** Set when it is read during apply. */
  readonly deferred?: DeferredReason;
  /** Set when its arguments are known but it was not read yet: the session reads it and plans again. */
  readonly needed?: DataReadNeeded;
  /** Resource instances it depends on, directly or through other data sources. */
  readonly deps: ReadonlySet<string>;
  /** Present when it read another data source: what it depends on directly, data sources included. For the graph only. */
  readonly directDeps?: ReadonlySet<string>;
}

/** Where a failed read of `decl` is reported: its first argument's value, else the block. */
export function dataReadRange(decl: ResourceDecl): SourceRange {
  const first = decl.body.items.find((i) => i.kind === 'Attribute');
  return first && first.kind === 'Attribute' ? first.expr.range : decl.range;
}

/** Decides what the data source instance at `address` is in this plan. */
export function evaluateDataInstance(
  s: { decl: ResourceDecl; address: string; index: string | number | null; info: DataTypeInfo; config: Record<string, Value>; deps: ReadonlySet<string>; dataDeps: readonly string[]; range: SourceRange },
  instances: ReadonlyMap<string, Evaluated>,
  data: ReadonlyMap<string, EvaluatedData>,
  reads: ReadonlyMap<string, DataReadResult> | undefined,
  noReads = false,
): EvaluatedData {
  const { decl, address, index, info, config, deps } = s;
  const base = { decl, address, index, provider: info.provider, config, deps };
  const unread = (): Record<string, Value> => {
    const out: Record<string, Value> = { ...config };
    for (const [name, a] of Object.entries(info.schema.attributes)) if (a.computed && (out[name] === undefined || out[name] === null)) out[name] = UNKNOWN;
    return out;
  };
  let pending = false;
  for (const d of deps) {
    const ev = instances.get(d);
    if (ev && ev.kind !== 'no-op') pending = true;
  }
  // A data source read during apply makes the ones that read it wait for apply too.
  for (const d of s.dataDeps) if (data.get(d)?.deferred) pending = true;
  if (containsUnknown(config as Value)) return { ...base, value: unread(), read: false, deferred: 'config-unknown' };
  if (pending) return { ...base, value: unread(), read: false, deferred: 'dependency-pending' };
  if (noReads) return { ...base, value: unread(), read: false, deferred: 'config-unknown' };
  const json = toJson(config as Value) as Record<string, Json>;
  const key = canonicalJson(json);
  const known = reads?.get(address);
  if (known && known.configKey === key) return { ...base, value: { ...known.state } as Record<string, Value>, read: true };
  return { ...base, value: unread(), read: false, needed: { address, type: decl.type, provider: info.provider, config: json, range: s.range } };
}
