/**
 * The pipeline shared by plan, apply, destroy and validate: load the configuration, resolve
 * variables, open the state, load and configure the providers the configuration and state use,
 * refresh, and plan. Each stage returns diagnostics; the first stage with errors ends the
 * command (the CLI prints them and exits 1).
 */
import { dirname, resolve } from 'node:path';
import { statSync } from 'node:fs';
import type { Config, ModuleCallDecl } from '../config/types.js';
import { loadConfig } from '../config/load.js';
import { flattenModules } from '../evaluate/modules.js';
import { readTextFileBounded } from '../config/read-text.js';
import { type Diagnostic, DiagnosticsError, error, hasErrors, didYouMean } from '../diagnostics.js';
import { decodeBody } from '../evaluate/resource.js';
import { resolveVariables } from '../evaluate/variables.js';
import { canonicalJson, containsSensitive, toJson, type Json, type Value } from '../evaluate/value.js';
import { refresh } from '../apply/refresh.js';
import { runScrubber, type Scrubber } from '../apply/scrubber.js';
import { type Plan, type PlanBasis } from '../planner/plan.js';
import { decodePlanFile } from '../planner/planfile.js';
import { plan as computePlan, type DataReadResult, type DataTypeInfo, type TypeInfo } from '../planner/planner.js';
import { ValueScope } from '../planner/scope.js';
import type { OperationContext, PlanRequest, PlanResponse, Provider } from '../providers/contract.js';
import { allDataSourceNames, allTypeNames, loadProvider, providerEntries, providerForDataSource, providerForType } from '../providers/registry.js';
import { readDataSources } from '../apply/data-read.js';
import { parseDuration } from '../duration.js';
import { hashSensitive } from '../state/sensitive.js';
import { StateStore, emptyState } from '../state/store.js';
import { resolveStateSettings, type StateSettings } from '../state/backend-config.js';
import { openStateStore } from '../state/open.js';
import { DEFAULT_STATE_FILE, type StateFile } from '../state/types.js';
import type { Io } from './io.js';
// infra import (dayops): import blocks are read by ID before planning.
import { readImportBlocks } from './import.js';
import type { PlannedImport } from '../planner/moves.js';

/** Options common to commands that read a configuration. */
export interface ConfigOptions {
  readonly chdir?: string;
  readonly var?: readonly string[];
  readonly varFile?: readonly string[];
  /** The command-line order of `--var` and `--var-file` flags (see VariableInput.order). */
  readonly variableOrder?: readonly ('var' | 'varFile')[];
}

export interface StateOptions {
  readonly state?: string;
  readonly lockTimeout?: string;
}

/** Throws the diagnostics to the CLI entry when any is an error; returns the warnings. */
export function check(diags: readonly Diagnostic[], warnings: Diagnostic[]): void {
  if (hasErrors(diags)) throw new DiagnosticsError(diags);
  warnings.push(...diags);
}

/** Loads the configuration; the files read go into `sources` (also when they have syntax errors), for excerpts in diagnostics. */
export function loadConfiguration(opts: ConfigOptions, cwd: string, warnings: Diagnostic[], sources?: Map<string, string>): Config {
  const r = loadConfig(opts.chdir ?? '.', { cwd });
  for (const [f, s] of r.files) sources?.set(f, s);
  check(r.diagnostics, warnings);
  return r.config!;
}

/** Resolves the variables; the variable files read are added to `sources` (for excerpts in diagnostics). */
export function loadVariables(
  config: Config,
  opts: ConfigOptions,
  cwd: string,
  env: NodeJS.ProcessEnv,
  warnings: Diagnostic[],
  sources?: Map<string, string>,
): ReadonlyMap<string, Value> {
  const r = resolveVariables(config, { vars: opts.var ?? [], varFiles: opts.varFile ?? [], ...(opts.variableOrder ? { order: opts.variableOrder } : {}), env, cwd, ...(sources ? { sources } : {}) });
  check(r.diagnostics, warnings);
  return r.value;
}

/** Where the state file is: `--state PATH`, else `infra.state.json` in the configuration directory. */
export function statePath(config: Config | null, opts: StateOptions & ConfigOptions, cwd: string): string {
  if (opts.state) return resolve(cwd, opts.state);
  if (config) return resolve(config.dir, DEFAULT_STATE_FILE);
  const target = resolve(cwd, opts.chdir ?? '.');
  let dir = target;
  try {
    if (!statSync(target).isDirectory()) dir = dirname(target);
  } catch {
    dir = target;
  }
  return resolve(dir, DEFAULT_STATE_FILE);
}

/** A duration flag (`30s`, `2m`, `500ms`; a bare number is seconds) in milliseconds; 0 when absent. */
export function durationFlag(text: string | undefined, flag: string): number {
  if (text === undefined) return 0;
  const ms = /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) * 1000 : parseDuration(text);
  if (ms === null) throw new DiagnosticsError([error(`Invalid value for ${flag}: "${text}"`, 'Use a duration such as 30s, 2m or 500ms.')]);
  return ms;
}

/**
 * Opens the state at `path` (the local file `statePath` chose) or, given `where`, the state the
 * configuration's `infra` block, the flags and the environment point at (a pg workspace, an
 * encrypted file: stateSettings). A store opened without the lock is read at once and closed:
 * it holds no connection afterwards.
 */
export async function openState(
  path: string,
  operation: string,
  opts: StateOptions & ConfigOptions,
  lock: boolean,
  warnings: Diagnostic[],
  where?: { readonly io: { readonly cwd: string; readonly env: NodeJS.ProcessEnv }; readonly config?: Config | null },
): Promise<StateStore> {
  const options = { operation, lock, lockTimeoutMs: durationFlag(opts.lockTimeout, '--lock-timeout') };
  const r = where ? await openStateStore(stateSettings(path, opts, where.io, where.config ?? null, warnings), options) : await StateStore.open(path, options);
  check(r.diagnostics, warnings);
  if (!lock) await r.store!.release();
  return r.store!;
}

/**
 * Where the state of this command is: `config`'s `infra` block (read from the configuration
 * directory when the command loaded none), `--state`, the workspace and the environment.
 * `path` is the local file `statePath` chose. Errors end the command.
 */
export function stateSettings(
  path: string,
  opts: StateOptions & ConfigOptions,
  io: { readonly cwd: string; readonly env: NodeJS.ProcessEnv },
  config: Config | null,
  warnings: Diagnostic[],
): StateSettings {
  const dir = dirname(path);
  let cfg = config;
  if (cfg === null) {
    // Commands such as `state list` read no configuration, but its infra block says where the state is.
    const loaded = loadConfig(opts.chdir ?? '.', { cwd: io.cwd });
    cfg = loaded.config;
  }
  const r = resolveStateSettings(cfg, dir, opts, io.cwd, io.env);
  check(r.diagnostics, warnings);
  return r.settings!;
}

/**
 * Type information for the planner from the provider registry plus loaded implementations. Make
 * one per plan: a type's `startPlan` hook lives as long as the function returned.
 */
export function typeInfo(providers: ReadonlyMap<string, Provider>): (t: string) => TypeInfo | undefined {
  const memo = new Map<string, TypeInfo | undefined>();
  return (t) => {
    if (memo.has(t)) return memo.get(t);
    const entry = providerForType(t);
    const impl = entry ? providers.get(entry.name)?.resourceTypes[t] : undefined;
    // A hook for one plan: this function is made once per plan (and for apply, which never plans).
    let planHook: ((req: PlanRequest) => PlanResponse) | undefined;
    const plan = impl?.startPlan ? (req: PlanRequest) => (planHook ??= impl.startPlan!())(req) : impl?.plan?.bind(impl);
    const info = entry ? { provider: entry.name, schema: entry.types[t], ...(plan ? { plan } : {}) } : undefined;
    memo.set(t, info);
    return info;
  };
}

/**
 * Loads the providers that the configuration's resource types and the state's instances need,
 * and evaluates their `provider` blocks (with their own validation, such as a missing token).
 */
export async function loadProviders(
  config: Config | null,
  state: StateFile,
  variables: ReadonlyMap<string, Value>,
  env: NodeJS.ProcessEnv,
  warnings: Diagnostic[],
): Promise<{ providers: Map<string, Provider>; configs: Map<string, Record<string, Json>> }> {
  const names = new Set<string>();
  for (const r of config?.resources ?? []) {
    const e = providerForType(r.type);
    if (e) names.add(e.name);
  }
  for (const r of config?.dataSources ?? []) {
    const e = providerForDataSource(r.type);
    if (e) names.add(e.name);
  }
  for (const r of state.resources) names.add(r.provider);
  // Resources of module calls not decided yet (their instances wait for the plan) need their providers too.
  for (const type of moduleTreeTypes(config?.moduleTree)) {
    const e = providerForType(type) ?? providerForDataSource(type);
    if (e) names.add(e.name);
  }
  const diags: Diagnostic[] = [];
  const known = new Set(providerEntries().map((e) => e.name));
  if (config) diags.push(...unknownProviders(config));
  check(diags, warnings);
  const providers = new Map<string, Provider>();
  const configs = new Map<string, Record<string, Json>>();
  const scope = config ? new ValueScope({ config, variables, env }, new Map()).scope : null;
  for (const name of [...names].sort()) {
    if (!known.has(name)) {
      diags.push(error(`State refers to provider "${name}", which this version of infra does not have`));
      continue;
    }
    const provider = await loadProvider(name);
    providers.set(name, provider);
    const decl = config?.providers.get(name);
    let values: Record<string, Json> = {};
    if (decl && scope) {
      const r = decodeBody(decl.body, { attributes: provider.configSchema }, scope);
      diags.push(...r.diagnostics);
      if (!hasErrors(r.diagnostics)) values = Object.fromEntries(Object.entries(r.value).map(([k, v]) => [k, toJson(v)]));
    }
    if (!hasErrors(diags)) diags.push(...(provider.validateConfig?.(values, env) ?? []));
    configs.set(name, values);
  }
  check(diags, warnings);
  return { providers, configs };
}

function unknownProviders(config: Config): Diagnostic[] {
  const known = new Set(providerEntries().map((e) => e.name));
  const diags: Diagnostic[] = [];
  for (const [name, decl] of config.providers) {
    if (!known.has(name)) diags.push(error(`Unknown provider "${name}"`, didYouMean(name, known) ?? `Known providers: ${[...known].sort().join(', ')}`, decl.range));
  }
  return diags;
}

/**
 * Checks every `provider` block against its provider's configuration schema (from the registry,
 * loading no provider): unknown providers, unknown arguments (with did-you-mean), wrong types -
 * also for providers no resource uses. What `infra validate` reports; `loadProviders` checks the
 * blocks of the providers it loads the same way.
 */
export function checkProviderBlocks(config: Config, variables: ReadonlyMap<string, Value>, env: NodeJS.ProcessEnv): Diagnostic[] {
  const diags = unknownProviders(config);
  const scope = new ValueScope({ config, variables, env }, new Map()).scope;
  for (const [name, decl] of config.providers) {
    const entry = providerEntries().find((e) => e.name === name);
    if (entry) diags.push(...decodeBody(decl.body, { attributes: entry.configSchema }, scope).diagnostics);
  }
  return diags;
}

export function operationContext(
  stateDir: string,
  lineage: string,
  configs: ReadonlyMap<string, Record<string, Json>>,
  log: (line: string) => void,
  signal: AbortSignal,
  env: NodeJS.ProcessEnv,
): (provider: string) => OperationContext {
  return (provider) => ({ stateDir, lineage, providerConfig: configs.get(provider) ?? {}, log, signal, env });
}

/** The resource and data source types declared anywhere in a module tree. */
function moduleTreeTypes(tree: ReadonlyMap<string, ModuleCallDecl> | undefined): Set<string> {
  const types = new Set<string>();
  for (const call of tree?.values() ?? []) {
    for (const r of [...call.config.resources, ...(call.config.dataSources ?? [])]) types.add(r.type);
    for (const t of moduleTreeTypes(call.config.modules)) types.add(t);
  }
  return types;
}

/** What a plan was computed from, for telling later whether a saved plan went stale. */
export function planBasis(config: Config, state: StateFile, variables: ReadonlyMap<string, Value>): PlanBasis {
  const vars: Record<string, { value?: Json; sha256?: string }> = {};
  for (const [name, v] of variables) {
    const isSensitive = containsSensitive(v) || config.variables.get(name)?.sensitive;
    vars[name] = isSensitive ? { sha256: hashSensitive(toJson(v)) } : { value: toJson(v) };
  }
  return { configHash: config.hash, stateSerial: state.serial, stateLineage: state.lineage || null, variables: vars };
}

/** What a command that reads a configuration and its state starts from. */
export interface Session {
  /**
   * Flattened; a module call whose instances depend on resources has none yet (the plan decides
   * them: planner/module-instances.ts, and its PlanRun has the configuration it planned).
   */
  readonly config: Config;
  /** As loaded, before flattening: what the planner flattens. */
  readonly source: Config;
  readonly variables: ReadonlyMap<string, Value>;
  /** The state file's path. */
  readonly path: string;
  /** Open, and locked when asked; the caller releases it. */
  readonly store: StateStore;
}

/**
 * Loads the configuration (its sources go to `io` for printing diagnostics), resolves the
 * variables and opens the state, locked when `lock`. Errors end the command; warnings are added
 * to `warnings`.
 */
export async function loadSession(
  opts: ConfigOptions & StateOptions,
  io: Io,
  operation: string,
  lock: boolean,
  warnings: Diagnostic[],
  /** The variables from elsewhere (a saved plan's); undefined: from the command line and files. */
  variablesFrom?: (config: Config) => Promise<ReadonlyMap<string, Value>> | undefined,
): Promise<Session> {
  const loaded = loadConfiguration(opts, io.cwd, warnings, io.sources);
  const variables = (await variablesFrom?.(loaded)) ?? loadVariables(loaded, opts, io.cwd, io.env, warnings, io.sources);
  // Plan and apply work on one flattened configuration: module resources by their full addresses.
  const flat = flattenModules(loaded, variables, io.env, { unknownInstances: 'unknown' });
  check(flat.diagnostics, warnings);
  const config = flat.value;
  const path = statePath(config, opts, io.cwd);
  const store = await openState(path, operation, opts, lock, warnings, { io, config });
  return { config, source: loaded, variables, path, store };
}

/** A session's providers, loaded and configured, and the scrubber that keeps their secrets out of output. */
export interface SessionProviders {
  readonly providers: Map<string, Provider>;
  readonly configs: Map<string, Record<string, Json>>;
  readonly scrubber: Scrubber;
}

/** `loadProviders` for a session, with its scrubber. */
export async function loadSessionProviders(session: Session, io: Io, warnings: Diagnostic[]): Promise<SessionProviders> {
  const { providers, configs } = await loadProviders(session.config, session.store.state, session.variables, io.env, warnings);
  return { providers, configs, scrubber: runScrubber(session.config, session.variables, providers, configs, io.env) };
}

/** The flags `infra plan`, `infra apply` and `infra destroy` share about what to plan. */
export interface PlanFlags {
  readonly refresh?: boolean;
  readonly target?: readonly string[];
  /** `-replace` addresses (repeatable). */
  readonly replace?: readonly string[];
  /** `-refresh-only`: the plan has the drift and no change. */
  readonly refreshOnly?: boolean;
  readonly destroy?: boolean;
  /** `infra rollback` and `infra bake`: the plan that switches routes back to the kept copies. */
  readonly rollback?: boolean;
  /** `-parallelism=N` (checked before the command runs): refresh reads in flight at once. */
  readonly parallelism?: string;
}

/**
 * The plan the flags ask for: refreshed (unless `--refresh=false`), for `--target`s, a destroy
 * plan with `destroy`. Provider lines go to stderr, scrubbed.
 */
export function planFromFlags(session: Session, loaded: SessionProviders, flags: PlanFlags, io: Io, warnings: Diagnostic[]): Promise<PlanRun> {
  return refreshAndPlan({
    config: session.config,
    source: session.source,
    variables: session.variables,
    store: session.store,
    providers: loaded.providers,
    configs: loaded.configs,
    env: io.env,
    mode: flags.rollback ? 'rollback' : flags.destroy ? 'destroy' : 'normal',
    targets: flags.target ?? [],
    replace: flags.replace ?? [],
    refreshOnly: flags.refreshOnly ?? false,
    refresh: flags.refresh ?? true,
    parallelism: flags.parallelism === undefined ? 10 : Number(flags.parallelism),
    log: (line) => io.err(line + '\n'),
    scrubber: loaded.scrubber,
    warnings,
  });
}

export interface PlanRun {
  readonly plan: Plan;
  readonly refreshed: StateFile;
  /** The flattened configuration the plan was made from (what apply carries it out with). */
  readonly config: Config;
}

/** What the planner knows of data source types: the registry's schemas. */
export function dataTypeInfo(t: string): DataTypeInfo | undefined {
  const entry = providerForDataSource(t);
  return entry ? { provider: entry.name, schema: entry.dataSources![t] } : undefined;
}

/** Refreshes (unless told not to) and plans. */
export async function refreshAndPlan(args: {
  config: Config;
  /** Unflattened: the planner flattens it, deciding the module calls `config` left undecided. */
  source?: Config;
  variables: ReadonlyMap<string, Value>;
  store: { state: StateFile; dir: string };
  providers: ReadonlyMap<string, Provider>;
  configs: ReadonlyMap<string, Record<string, Json>>;
  env: NodeJS.ProcessEnv;
  mode: 'normal' | 'destroy' | 'rollback';
  targets: readonly string[];
  replace?: readonly string[];
  refreshOnly?: boolean;
  refresh: boolean;
  /** Refresh reads in flight at once (default 10). */
  parallelism?: number;
  /** Where provider lines go, once scrubbed by `scrubber`. */
  log: (line: string) => void;
  scrubber: Scrubber;
  warnings: Diagnostic[];
}): Promise<PlanRun> {
  let state = args.store.state;
  let drift: Plan['drift'] = [];
  if (args.refresh && state.resources.length > 0) {
    const log = (line: string): void => args.log(args.scrubber.text(line));
    const r = await refresh({
      state,
      providers: args.providers,
      context: operationContext(args.store.dir, state.lineage, args.configs, log, new AbortController().signal, args.env),
      parallelism: args.parallelism ?? 10,
      scrubber: args.scrubber,
    });
    check(r.diagnostics, args.warnings);
    state = r.state;
    drift = r.drift;
  }
  // import blocks (commands/import.ts): their objects are read by ID now, so the plan diffs against them.
  let imports: PlannedImport[] = [];
  if (args.config.imports?.length && args.mode === 'normal' && !args.refreshOnly) {
    const log = (line: string): void => args.log(args.scrubber.text(line));
    const context = operationContext(args.store.dir, state.lineage, args.configs, log, new AbortController().signal, args.env);
    const read = await readImportBlocks(args.config, state, args.providers, context, args.scrubber);
    check(read.diagnostics, args.warnings);
    imports = read.imports.map((i) => ({ address: i.record.address, id: i.id, record: i.record }));
  }
  // The planner is pure: it says which data sources it needs read, and is asked again with them
  // (each round reads at least one more, so there are at most as many rounds as data sources).
  const dataReads = new Map<string, DataReadResult>();
  const log = (line: string): void => args.log(args.scrubber.text(line));
  const dataContext = operationContext(args.store.dir, state.lineage, args.configs, log, new AbortController().signal, args.env);
  for (;;) {
    const r = planOnce(dataReads);
    if (!r.reads?.length) {
      check(r.diagnostics, args.warnings);
      return { plan: r.plan!, refreshed: state, config: r.config ?? args.config };
    }
    // Each round must read something new, or the planner would ask for the same reads forever.
    if (r.reads.every((n) => dataReads.get(n.address)?.configKey === canonicalJson(n.config as Json))) {
      throw new Error(`the planner asked again for data sources it was given: ${r.reads.map((n) => n.address).join(', ')}`);
    }
    const read = await readDataSources(r.reads, args.providers, dataContext, args.config.dir, args.scrubber);
    check(read.diagnostics, args.warnings);
    for (const [address, result] of read.results) dataReads.set(address, result);
  }

  function planOnce(reads: ReadonlyMap<string, DataReadResult>): ReturnType<typeof computePlan> {
    return computePlan({
    dataReads: reads,
    dataTypes: dataTypeInfo,
    dataTypeNames: allDataSourceNames(),
    imports,
    config: args.source ?? args.config,
    variables: args.variables,
    state,
    drift,
    types: typeInfo(args.providers),
    typeNames: allTypeNames(),
    mode: args.mode,
    targets: args.targets,
    replace: args.replace ?? [],
    refreshOnly: args.refreshOnly ?? false,
    env: args.env,
    basis: planBasis(args.config, args.store.state, args.variables),
    now: new Date().toISOString(),
    });
  }
}

export { emptyState };

/** Reads a plan saved by `infra plan --out`; an unreadable or foreign file ends the command. */
export function readSavedPlan(file: string, cwd: string): Plan {
  let text: string;
  try {
    text = readTextFileBounded(resolve(cwd, file));
  } catch (e) {
    throw new DiagnosticsError([error(`Cannot read the saved plan ${file}`, (e as Error).message)]);
  }
  const d = decodePlanFile(text, file);
  if (!d.plan) throw new DiagnosticsError(d.diagnostics);
  return d.plan;
}
