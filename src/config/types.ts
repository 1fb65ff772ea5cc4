/**
 * A configuration as decoded from its files: top-level blocks sorted into declarations, with
 * their expressions still unevaluated (the evaluator turns them into values, the graph reads
 * their references). Plain readonly data; every declaration keeps its source range.
 */
import type { SourceRange } from '../diagnostics.js';
import type { Attribute, Body, Expr } from '../parser/ast.js';
import type { Type } from '../evaluate/value.js';
import type { KeepBlue } from './keep-blue.js';

export interface Config {
  /** Absolute configuration directory (`path.root`). */
  readonly dir: string;
  /** File path as used in ranges (relative to the loader's `cwd`) -> source text. */
  readonly files: ReadonlyMap<string, string>;
  /** sha256 (hex) over every file's name relative to `dir` and its contents: detects a changed configuration. */
  readonly hash: string;
  readonly variables: ReadonlyMap<string, VariableDecl>;
  readonly locals: ReadonlyMap<string, LocalDecl>;
  readonly providers: ReadonlyMap<string, ProviderDecl>;
  /** In source order (files sorted by name). */
  readonly resources: readonly ResourceDecl[];
  /**
   * `data "TYPE" "NAME" { ... }` blocks, in source order; absent when there are none. Their
   * `address` is `data.TYPE.NAME` and their `mode` is `data`; their lifecycle is always the
   * empty one (a data source is read, never created).
   */
  readonly dataSources?: readonly ResourceDecl[];
  readonly outputs: ReadonlyMap<string, OutputDecl>;
  /** The `infra { ... }` block, when the configuration has one. */
  readonly settings?: InfraSettings;
  /** `moved` and `removed` blocks, in source order; absent when there are none. */
  readonly moves?: readonly MoveDecl[];
  /** `import` blocks, in source order; absent when there are none. */
  readonly imports?: readonly ImportDecl[];
  /**
   * `module "NAME" { ... }` calls, by name, each with the module's own configuration loaded;
   * absent when there are none. src/evaluate/modules.ts flattens them away: a flattened
   * configuration has none, and `moduleCalls` instead.
   */
  readonly modules?: ReadonlyMap<string, ModuleCallDecl>;
  /**
   * In a flattened configuration: every module call, by its address (`module.dns`,
   * `module.dns["a"].module.inner`), with the instances it has. Module resources are in
   * `resources` and data blocks in `dataSources` with their full addresses, their variables,
   * locals and outputs in `locals`.
   */
  readonly moduleCalls?: ReadonlyMap<string, ModuleCallInstances>;
  /** In a flattened configuration: the module calls as declared (`modules` before flattening), for the plan's configuration summary. */
  readonly moduleTree?: ReadonlyMap<string, ModuleCallDecl>;
}

/** `module "NAME" { source = "./PATH", for_each/count, depends_on, ARG = VALUE ... }`. */
export interface ModuleCallDecl {
  readonly name: string;
  /** As written. */
  readonly source: string;
  /** The module's configuration, loaded from `source` (relative to the calling module's directory). */
  readonly config: Config;
  readonly forEach?: Expr;
  readonly count?: Expr;
  /** Resource or module addresses as written (`local_host.ns`, `module.other`). */
  readonly dependsOn: readonly { readonly address: string; readonly range: SourceRange }[];
  /** The input variables' arguments, by name. */
  readonly args: ReadonlyMap<string, Attribute>;
  readonly range: SourceRange;
  /** The block's first line, where messages about the call point. */
  readonly headerRange: SourceRange;
}

/** The instances of one module call in a flattened configuration. */
export interface ModuleCallInstances {
  readonly mode: 'single' | 'for_each' | 'count';
  /** Instance key (null for a single instance) -> output name -> the local holding the output's value. */
  readonly instances: ReadonlyMap<string | number | null, ReadonlyMap<string, string>>;
  /** Resource and data block addresses inside the call (nested calls included): what `depends_on = [module.X]` waits for. */
  readonly resources: readonly string[];
  /** Set when the call's for_each or count is not known yet (infra validate with placeholder variables): `module.NAME` is unknown. */
  readonly unknown?: boolean;
}

/**
 * `import { to = ADDR, id = "..." }`: the object whose provider ID is `id` is adopted into state
 * at `to` by the next apply (shown in the plan first). `to` is as src/addrs/address.ts formats it.
 */
export interface ImportDecl {
  readonly to: string;
  readonly id: string;
  readonly range: SourceRange;
}

/**
 * `moved { from = A, to = B }` (to is the new address) or `removed { from = A }` (to is null: the
 * state forgets A without destroying it). Addresses are as src/addrs/address.ts formats them.
 */
export interface MoveDecl {
  readonly from: string;
  readonly to: string | null;
  readonly range: SourceRange;
}

/**
 * `infra { backend "TYPE" { ... } encryption { ... } }`: where the state lives and how it is
 * encrypted. Bodies stay unevaluated; src/state/backend-config.ts decodes them.
 */
export interface InfraSettings {
  readonly backend?: { readonly type: string; readonly typeRange: SourceRange; readonly body: Body; readonly range: SourceRange };
  readonly encryption?: { readonly body: Body; readonly range: SourceRange };
  /** The whole infra block. */
  readonly range: SourceRange;
}

/**
 * A `validation`, `precondition` or `postcondition` block: when `condition` is false the check
 * fails with `errorMessage` (a string expression). Both stay unevaluated here.
 */
export interface ConditionRule {
  readonly condition: Expr;
  readonly errorMessage: Expr;
  /** The block's header (`validation`, `precondition`), where Terraform says the rule is. */
  readonly range: SourceRange;
}

/** `variable "name" { type, default, description, sensitive, nullable, validation { ... } }`. */
export interface VariableDecl {
  readonly name: string;
  /** `any` when the block declares no type. */
  readonly type: Type;
  /** Absent when the variable is required; `default = null` is present (an optional null). */
  readonly default?: Expr;
  readonly description?: string;
  readonly sensitive: boolean;
  /** false for `nullable = false`: a null value takes the default instead, or is an error. Absent: true. */
  readonly nullable?: boolean;
  /** The `validation` blocks, in source order; absent when there are none. */
  readonly validations?: readonly ConditionRule[];
  /** `variable "name"`: the block's first line. */
  readonly headerRange?: SourceRange;
  /** The whole block. */
  readonly range: SourceRange;
}

/** One attribute of a `locals { ... }` block. */
export interface LocalDecl {
  readonly name: string;
  readonly expr: Expr;
  /** The attribute (`name = expr`). */
  readonly range: SourceRange;
  /**
   * Set on the local that holds a module's input variable in a flattened configuration: the
   * value is converted to the variable's type (and marked sensitive) as a root variable's is,
   * and checked by the variable's validation rules (rewritten into the module instance).
   */
  readonly variable?: {
    readonly type: Type;
    readonly sensitive: boolean;
    readonly validations?: readonly ConditionRule[];
    /** `nullable = false`: a null value takes `default` (the variable's own), or is an error. */
    readonly nullable?: boolean;
    readonly default?: Expr;
  };
  /** For a module's output: its `precondition` blocks, rewritten into the module instance. */
  readonly preconditions?: readonly ConditionRule[];
}

/** `provider "name" { ... }`; the body is decoded against the provider's schema later. */
export interface ProviderDecl {
  readonly name: string;
  readonly body: Body;
  readonly range: SourceRange;
}

/** `output "name" { value, sensitive, description, precondition { ... } }`. */
export interface OutputDecl {
  readonly name: string;
  readonly expr: Expr;
  /** `precondition` blocks, checked before the value is recorded; absent when there are none. */
  readonly preconditions?: readonly ConditionRule[];
  readonly sensitive: boolean;
  readonly description?: string;
  readonly range: SourceRange;
}

/** `resource "type" "name" { ... }` with its meta-arguments taken out of the body. */
export interface ResourceDecl {
  /** Present on data sources only (`data "TYPE" "NAME"`): their address starts with `data.`. */
  readonly mode?: 'data';
  readonly type: string;
  readonly name: string;
  /** `type.name` (`data.type.name` for a data source). */
  readonly address: string;
  readonly range: SourceRange;
  readonly typeRange: SourceRange;
  readonly nameRange: SourceRange;
  /** The body WITHOUT meta-arguments (`for_each`, `count`, `depends_on`) and `lifecycle` blocks. */
  readonly body: Body;
  readonly forEach?: Expr;
  readonly count?: Expr;
  /** `type.name` or `type.name["k"]` / `type.name[0]`, as written (canonical quoting). */
  readonly dependsOn: readonly { readonly address: string; readonly range: SourceRange }[];
  readonly lifecycle: Lifecycle;
}

export interface Lifecycle {
  /**
   * Present for `lifecycle blue_green` (with or without a body). `range` is the lifecycle
   * block's; `maxParallel` defaults to 1; `options` holds every other attribute of its body,
   * unevaluated, for the engine to give meaning to.
   */
  readonly blueGreen?: {
    readonly range: SourceRange;
    readonly maxParallel: number;
    readonly options: ReadonlyMap<string, Expr>;
    /** `keep_blue` (with `bake`, `bake_interval`): blue is kept for a rollback window instead of destroyed. */
    readonly keepBlue?: KeepBlue;
  };
  readonly preventDestroy: boolean;
  /** Attribute names (dotted for nested paths: `tags.owner`) whose changes are ignored. */
  readonly ignoreChanges: readonly string[];
  readonly createBeforeDestroy: boolean;
  /** `precondition` blocks: checked before the instance's change, at plan and again at apply. Absent: none. */
  readonly preconditions?: readonly ConditionRule[];
  /** `postcondition` blocks: may read `self`; checked at plan when known, and after the instance is applied. Absent: none. */
  readonly postconditions?: readonly ConditionRule[];
  /** `replace_triggered_by = [...]`: a change of any of these replaces the instance. Absent: none. */
  readonly replaceTriggeredBy?: readonly ReplaceTrigger[];
}

/**
 * One entry of `replace_triggered_by`: a resource (`test_instance.db`), one of its instances
 * (`test_instance.db[count.index]`, `test_instance.db["a"]`) or an attribute of it
 * (`test_instance.db.size`). Without `path` an update or replacement of the instance triggers;
 * with it, a change of that attribute's value.
 */
export interface ReplaceTrigger {
  /** `type.name` of the referenced resource block. */
  readonly block: string;
  /** The instance key, a literal or an expression of `count.index` / `each.key`; absent: every instance of the block. */
  readonly index?: Expr;
  /** Attribute names below the instance; empty for the instance itself. */
  readonly path: readonly string[];
  /** The entry's source range. */
  readonly range: SourceRange;
}
