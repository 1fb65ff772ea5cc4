/**
 * The data the passes hand on: every configured instance as evaluated (instances.ts), and the
 * dependencies between instances.
 */
import type { ResourceDecl } from '../config/types.js';
import type { Value } from '../evaluate/value.js';
import type { StateInstance } from '../state/types.js';
import type { TypeInfo } from './context.js';
import type { EvaluatedData } from './data-sources.js';
import type { ChangeKind } from './diff.js';
import type { BlockValues, InstanceIndex, ValueScope } from './scope.js';

/** One configured instance as evaluated in a pass. */
export interface Evaluated {
  readonly decl: ResourceDecl;
  readonly address: string;
  readonly index: InstanceIndex;
  readonly info: TypeInfo;
  readonly after: Record<string, Value>;
  readonly deps: Set<string>;
  /**
   * Present when it read a data source: what it depends on directly, data sources included
   * (`deps` holds the resources behind them instead). For the graph only.
   */
  readonly directDeps?: ReadonlySet<string>;
  readonly prior: StateInstance | undefined;
  readonly kind: ChangeKind;
  readonly replacePaths: string[];
  readonly changedPaths: string[];
  readonly generation: number;
  /** The `replace_triggered_by` entries that fired (`test_instance.db.size`), when they made it a replacement. */
  readonly triggeredBy: readonly string[];
}

/** The instances of one pass, by address, with the values the language sees. */
export interface PassResult {
  readonly instances: Map<string, Evaluated>;
  readonly blocks: Map<string, BlockValues>;
  readonly scope: ValueScope;
  /** Data source instances, by address (`data.local_file.key`). */
  readonly data: Map<string, EvaluatedData>;
}

/** Instance address -> every instance address it depends on, directly or not. */
export type TransitiveDeps = ReadonlyMap<string, ReadonlySet<string>>;
