/**
 * The shape of the state file: what infra knows exists in the world, one record per resource
 * instance (per copy, for blue-green resources). The JSON on disk uses exactly these field names;
 * docs/state.md describes each of them for people reading or repairing a state file.
 */
import type { Json } from '../evaluate/value.js';
import type { Role } from '../providers/contract.js';

/** The only `format_version` this build reads and writes. */
export const STATE_FORMAT_VERSION = 1;

/** The state file's name, in the configuration directory, unless `--state PATH` says otherwise. */
export const DEFAULT_STATE_FILE = 'infra.state.json';

/** The whole state file. Plain data: every change makes a new object (see query.ts). */
export interface StateFile {
  readonly format_version: 1;
  /** Incremented on every write; a saved plan records it to detect that the state moved on. */
  readonly serial: number;
  /**
   * Random UUID set when the state is first written and never changed, so two states that happen
   * to share a serial are still told apart. Empty in a state that was never written.
   */
  readonly lineage: string;
  /** Version of infra that wrote the file. */
  readonly infra_version: string;
  /** Sorted by address, then generation. */
  readonly resources: readonly StateInstance[];
  readonly outputs: Readonly<Record<string, StateOutput>>;
  /**
   * What the last apply read of each data source (`data "TYPE" "NAME"`), sorted by address, as
   * Terraform records them (`mode: "data"`). For people and tools reading the state: every plan
   * reads data sources again, so nothing is planned from these. Absent when there are none.
   */
  readonly data_sources?: readonly StateDataSource[];
}

/** One data source instance as the last apply read it. */
export interface StateDataSource {
  readonly mode: 'data';
  /** `data.local_file.key`. */
  readonly address: string;
  readonly type: string;
  readonly name: string;
  readonly index: string | number | null;
  readonly provider: string;
  /** Every attribute: its arguments and what was read (sensitive ones left out, as for resources). */
  readonly attributes: Readonly<Record<string, Json>>;
}

/** A root module output as of the last apply. */
export interface StateOutput {
  readonly value: Json;
  /**
   * The value's type in Terraform's JSON notation (`"string"`, `["set", "string"]`), as
   * Terraform's state records it, so `infra output` can tell a set from a list. Absent in states
   * written before it was recorded.
   */
  readonly type?: Json;
  /** Renderings print `(sensitive value)`; `infra output NAME` prints the value itself. */
  readonly sensitive: boolean;
}

/**
 * Where an instance stands:
 * - `creating`: written *before* the provider's create is called, so a crash mid-call leaves a
 *   record of what may exist; the next plan treats it as tainted;
 * - `ready`: created (or updated) and, for blue-green copies, verified;
 * - `tainted`: created but failed or unverified; it is replaced or destroyed, never kept;
 * - `deleting`: written before the provider's delete is called; removed once the delete succeeds.
 */
export type InstanceStatus = 'creating' | 'ready' | 'tainted' | 'deleting';

/** One resource instance; for blue-green resources, one copy (generation) of it. */
export interface StateInstance {
  /** `local_host.ns["ns1"]`. */
  readonly address: string;
  readonly type: string;
  readonly name: string;
  /** `count` index, `for_each` key, or null for a single instance. */
  readonly index: string | number | null;
  readonly provider: string;
  readonly role: Role;
  readonly status: InstanceStatus;
  /** Blue-green copies: 1, 2, 3... (never reused while a copy holds it); 0 for other resources. */
  readonly generation: number;
  /** Blue-green copies only; null for other resources. */
  readonly color: 'blue' | 'green' | null;
  /**
   * The copy traffic goes to, or simply the current object. False for a green copy not yet
   * switched to, and for a blue copy being retired.
   */
  readonly live: boolean;
  /** Attributes as the provider returned them, without sensitive ones. */
  readonly attributes: Readonly<Record<string, Json>>;
  /** Sensitive attribute name -> `sha256:<hex>` of its value (sensitive.ts); values are never stored. */
  readonly sensitive_attributes: Readonly<Record<string, string>>;
  /** Addresses this instance depended on when it was last written, for destroying in order. */
  readonly dependencies: readonly string[];
  /**
   * A kept copy (`lifecycle blue_green { keep_blue = "15m" }`): not live, still running and
   * provisioned, kept so `infra rollback` can switch traffic back to it until `until` (ISO 8601);
   * `unit` is the address of the blue-green instance whose deploy kept it (the copy's own address
   * for the instance, its host's for a provision). Absent on every other copy. The copy's key is
   * its address and generation, as for every copy.
   */
  readonly kept?: KeptMark;
  /** ISO 8601 timestamps. */
  readonly created_at: string;
  readonly updated_at: string;
}

/** Why a copy that is not live is still in the world: a rollback window (`StateInstance.kept`). */
export interface KeptMark {
  /** When the rollback window ends (ISO 8601); the next plan after it destroys the copy. */
  readonly until: string;
  /** The blue-green instance whose copy this is (itself, or the host of a provision). */
  readonly unit: string;
  /**
   * On the instance's copy: the post-switch checks' recorded attributes when traffic left it -
   * what last verified this copy - so a rollback verifies it against what it serves, not against
   * what the configuration now asks of green. Check address -> attributes.
   */
  readonly checks?: Readonly<Record<string, Readonly<Record<string, Json>>>>;
}
