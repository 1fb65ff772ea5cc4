/**
 * The state record of an object adopted by `infra import` or an `import` block. Pure: the
 * provider read the object (`ResourceType.importById`); this only shapes what it returned.
 */
import { parseAddress } from '../addrs/address.js';
import type { Json } from '../evaluate/value.js';
import type { Role } from '../providers/contract.js';
import { UNREAD_SECRET_HASH, splitSensitive } from './sensitive.js';
import { type Diagnostic, error } from '../diagnostics.js';
import { upsertInstance } from './query.js';
import type { StateFile, StateInstance } from './types.js';

/** What is known about the object and the resource it is adopted as. */
export interface ImportedObject {
  readonly address: string;
  readonly type: string;
  readonly provider: string;
  readonly role: Role;
  /** The resource is `lifecycle blue_green`: the object becomes its live (blue) copy. */
  readonly blueGreen: boolean;
  /** Attributes as the provider read them. */
  readonly attributes: Readonly<Record<string, Json>>;
  /** Every sensitive attribute of the type: read ones are kept as hashes, as apply does. */
  readonly sensitive: readonly string[];
  /** Sensitive attributes the provider could not read: recorded as `UNREAD_SECRET_HASH`. */
  readonly unreadable: readonly string[];
  /** ISO 8601. */
  readonly now: string;
}

/** The generation an imported copy is recorded with: 1 (blue, serving) for blue-green resources, else 0. */
export function importGeneration(blueGreen: boolean): number {
  return blueGreen ? 1 : 0;
}

/** The ready, live record of `o`. */
export function importedRecord(o: ImportedObject): StateInstance {
  const a = parseAddress(o.address).value;
  const split = splitSensitive(o.attributes, o.sensitive);
  const sensitive_attributes = { ...split.sensitive_attributes };
  for (const name of o.unreadable) if (!(name in sensitive_attributes)) sensitive_attributes[name] = UNREAD_SECRET_HASH;
  return {
    address: o.address,
    type: o.type,
    name: a?.name ?? o.address,
    index: a?.key ?? null,
    provider: o.provider,
    role: o.role,
    status: 'ready',
    generation: importGeneration(o.blueGreen),
    color: o.blueGreen ? 'blue' : null,
    live: true,
    attributes: split.attributes,
    sensitive_attributes,
    dependencies: [],
    created_at: o.now,
    updated_at: o.now,
  };
}

/**
 * `state` with `records` added, as apply writes a plan's imports; an error (and no state) when
 * the state already holds one of their addresses: it changed since the plan.
 */
export function addImportedRecords(state: StateFile, records: readonly StateInstance[]): { state: StateFile | null; diagnostics: Diagnostic[] } {
  let current = state;
  for (const r of records) {
    if (current.resources.some((x) => x.address === r.address)) {
      return { state: null, diagnostics: [error(`Cannot import ${r.address}: the state already holds it`, 'The state changed since the plan was made; plan again.')] };
    }
    current = upsertInstance(current, r);
  }
  return { state: current, diagnostics: [] };
}
