/**
 * The smaller commands: validate, show, state list/show/mv/rm, output, force-unlock, graph.
 */
import { formatUtcClock } from '../duration.js';
import { loadConfig } from '../config/load.js';
import { flattenModules } from '../evaluate/modules.js';
import type { Config } from '../config/types.js';
import { resolveVariables } from '../evaluate/variables.js';
import { UNKNOWN, type Value } from '../evaluate/value.js';
import type { Plan } from '../planner/plan.js';
import { type Diagnostic, DiagnosticsError, didYouMean, error, hasErrors } from '../diagnostics.js';
import { plan as computePlan } from '../planner/planner.js';
import { stateValues } from '../state/sensitive.js';
import { allDataSourceNames, allTypeNames } from '../providers/registry.js';
import { type ResourceGraph, planToDot, planToMermaid, renderSvg, resourceGraphToDot, resourceGraphToMermaid } from '../render/graph.js';
import { forceUnlock } from '../state/lock.js';
import { emptyState } from '../state/store.js';
import { type StateEdit, forgetInstances, moveInstances } from '../state/move.js';
import { type Address, parseAddress } from '../addrs/address.js';
import { compareTerraformOrder } from '../addrs/order.js';
import { checkSettingsNames } from '../state/backend-config.js';
import { renderValue } from '../render/value.js';
import { withSetMarks } from '../evaluate/type-json.js';
import { CONDITION_FAILED } from '../evaluate/conditions.js';
import { type Io, printDiagnostics } from './io.js';
import { planFormat, renderPlan } from './plan.js';
import { type ConfigOptions, type StateOptions, checkProviderBlocks, dataTypeInfo, loadConfiguration, openState, planBasis, readSavedPlan, statePath, typeInfo } from './session.js';
import { stringifyJson } from '../evaluate/json-text.js';

/**
 * The plan of a configuration against an empty state, with variables that have no value yet
 * standing in as unknown: what validate checks and graph draws, touching no provider and no state.
 */
function placeholderPlan(config: Config, opts: ConfigOptions, io: Io): { plan: Plan | null; diagnostics: Diagnostic[]; variables?: ReadonlyMap<string, Value> } {
  const vars = resolveVariables(config, {
    vars: opts.var ?? [],
    varFiles: opts.varFile ?? [],
    ...(opts.variableOrder ? { order: opts.variableOrder } : {}),
    env: io.env,
    cwd: io.cwd,
    sources: io.sources,
    validations: false,
  });
  // Required variables without values are fine here: this checks the configuration, not inputs.
  const diagnostics = vars.diagnostics.filter((d) => !d.summary.startsWith('No value for required variable'));
  if (hasErrors(diagnostics)) return { plan: null, diagnostics };
  const variables = new Map(vars.value);
  for (const name of config.variables.keys()) if (!variables.has(name)) variables.set(name, UNKNOWN);
  const state = emptyState();
  // Placeholder variables may leave a module call's instances unknown: not an error here.
  const flat = flattenModules(config, variables, io.env, { unknownInstances: 'unknown' });
  if (hasErrors(flat.diagnostics)) return { plan: null, diagnostics: [...diagnostics, ...flat.diagnostics] };
  const r = computePlan({
    config: flat.value,
    variables,
    state,
    drift: [],
    types: typeInfo(new Map()),
    typeNames: allTypeNames(),
    dataTypes: dataTypeInfo,
    dataTypeNames: allDataSourceNames(),
    noDataReads: true,
    mode: 'normal',
    targets: [],
    env: io.env,
    basis: planBasis(config, state, new Map()),
  });
  // As terraform validate: a resource's conditions are checked by plan, an output's preconditions here too.
  const skipped: readonly string[] = [CONDITION_FAILED.precondition, CONDITION_FAILED.postcondition];
  return { plan: r.plan, diagnostics: [...diagnostics, ...r.diagnostics.filter((d) => !skipped.includes(d.summary))], variables };
}

/** `infra validate`: parse and evaluate with unknown placeholders; no provider, no state. */
export async function validateCommand(opts: ConfigOptions & { json?: boolean }, io: Io): Promise<number> {
  const loaded = loadConfig(opts.chdir ?? '.', { cwd: io.cwd });
  const diags: Diagnostic[] = [...loaded.diagnostics];
  // Also when a file has syntax errors: their excerpts come from these.
  for (const [f, s] of loaded.files) io.sources.set(f, s);
  if (loaded.config) diags.push(...checkSettingsNames(loaded.config.settings));
  if (loaded.config && !hasErrors(diags)) {
    const r = placeholderPlan(loaded.config, opts, io);
    diags.push(...r.diagnostics);
    // Every provider block, also of providers no resource uses (loading none of them).
    if (r.variables) diags.push(...checkProviderBlocks(loaded.config, r.variables, io.env));
  }
  if (opts.json) {
    printDiagnostics(io, diags, true);
    if (diags.length === 0) io.out(JSON.stringify({ valid: true, diagnostics: [] }, null, 2) + '\n');
  } else {
    printDiagnostics(io, diags);
    if (!hasErrors(diags)) io.out('Success! The configuration is valid.\n');
  }
  return hasErrors(diags) ? 1 : 0;
}

/** `infra show [PLANFILE]`: a saved plan, or the state. */
export async function showCommand(planFile: string | undefined, opts: ConfigOptions & StateOptions & { json?: boolean; format?: string }, io: Io): Promise<number> {
  const format = planFormat(opts);
  if (planFile) {
    io.out(renderPlan(readSavedPlan(planFile, io.cwd), format, io, planFile));
    return 0;
  }
  const store = await openState(statePath(null, opts, io.cwd), 'show', opts, false, [], { io });
  const state = store.state;
  if (format === 'json') {
    io.out(
      JSON.stringify(
        {
          format_version: '1',
          serial: state.serial,
          lineage: state.lineage,
          resources: state.resources.map((r) => ({ ...r, sensitive_attributes: Object.keys(r.sensitive_attributes) })),
          outputs: Object.fromEntries(Object.entries(state.outputs).map(([k, o]) => [k, o.sensitive ? { sensitive: true } : o])),
        },
        null,
        2,
      ) + '\n',
    );
    return 0;
  }
  if (state.resources.length === 0) {
    io.out('The state is empty: nothing has been applied.\n');
    return 0;
  }
  for (const r of state.resources) io.out(renderInstance(r) + '\n');
  return 0;
}

function renderInstance(r: import('../state/types.js').StateInstance): string {
  const head = `# ${r.address}${r.color ? ` (${r.color}, generation ${r.generation}${r.live ? ', live' : ''})` : ''}${r.status !== 'ready' ? ` [${r.status}]` : ''}`;
  const lines = [head, `resource "${r.type}" "${r.name}" {`];
  const values = stateValues(r);
  const width = Math.max(0, ...Object.keys(values).map((k) => k.length));
  for (const k of Object.keys(values).sort()) lines.push(`  ${k.padEnd(width)} = ${renderValue(values[k], '  ')}`);
  lines.push('}');
  return lines.join('\n');
}

/** A data source as the last apply read it, as `terraform state show` prints one. */
function renderDataSource(d: import('../state/types.js').StateDataSource): string {
  const lines = [`# ${d.address}`, `data "${d.type}" "${d.name}" {`];
  const width = Math.max(0, ...Object.keys(d.attributes).map((k) => k.length));
  for (const k of Object.keys(d.attributes).sort()) lines.push(`  ${k.padEnd(width)} = ${renderValue(d.attributes[k] as Value, '  ')}`);
  lines.push('}');
  return lines.join('\n');
}

/** `infra state list`: every instance and data source, in Terraform's order (addrs/order.ts). */
export async function stateListCommand(opts: ConfigOptions & StateOptions, io: Io): Promise<number> {
  const store = await openState(statePath(null, opts, io.cwd), 'state list', opts, false, [], { io });
  const lines: { address: string; line: string }[] = [];
  for (const r of store.state.resources) {
    const kept = r.kept ? `kept, window ${Date.parse(r.kept.until) <= Date.now() ? 'ended' : 'ends'} ${formatUtcClock(r.kept.until, true)}` : null;
    const tags = [r.color ? `${r.kept ? 'blue' : r.color} g${r.generation}` : r.kept ? `g${r.generation}` : null, r.live ? null : kept ?? 'not live', r.status !== 'ready' ? r.status : null].filter(Boolean);
    lines.push({ address: r.address, line: `${r.address}${tags.length ? `  (${tags.join(', ')})` : ''}` });
  }
  for (const d of store.state.data_sources ?? []) lines.push({ address: d.address, line: d.address });
  // A stable sort: the copies of a blue-green instance stay oldest first.
  for (const l of lines.sort((a, b) => compareTerraformOrder(a.address, b.address))) io.out(l.line + '\n');
  return 0;
}

/** `infra state show ADDR`: an instance (every copy) or a data source. */
export async function stateShowCommand(address: string, opts: ConfigOptions & StateOptions, io: Io): Promise<number> {
  const store = await openState(statePath(null, opts, io.cwd), 'state show', opts, false, [], { io });
  const found = store.state.resources.filter((r) => r.address === address);
  const data = (store.state.data_sources ?? []).filter((d) => d.address === address);
  if (found.length === 0 && data.length === 0) {
    const known = [...store.state.resources.map((r) => r.address), ...(store.state.data_sources ?? []).map((d) => d.address)];
    throw new DiagnosticsError([error(`No instance ${address} in the state`, didYouMean(address, known))]);
  }
  io.out([...found.map(renderInstance), ...data.map(renderDataSource)].join('\n\n') + '\n');
  return 0;
}

/** An address argument of a state command, or the command ends with its diagnostic. */
function addressArgument(text: string): Address {
  const r = parseAddress(text);
  if (!r.value) throw new DiagnosticsError(r.diagnostics);
  return r.value;
}

/** Takes the lock, makes `edit` of the state and writes it; the lock is released whatever happens. */
async function editState(operation: string, opts: ConfigOptions & StateOptions, io: Io, edit: (s: import('../state/types.js').StateFile) => StateEdit): Promise<StateEdit> {
  const store = await openState(statePath(null, opts, io.cwd), operation, opts, true, [], { io });
  try {
    const r = edit(store.state);
    if (!r.state) throw new DiagnosticsError([...r.diagnostics]);
    const written = await store.update(() => r.state!);
    if (hasErrors(written)) throw new DiagnosticsError([...written]);
    printDiagnostics(io, written);
    return r;
  } finally {
    printDiagnostics(io, await store.release());
  }
}

const copies = (n: number): string => `${n} ${n === 1 ? 'record' : 'records'}`;

/**
 * `infra state mv FROM TO`: rename instances in the state (every key of a resource, every
 * blue-green copy) without touching the world. Refuses a destination that exists.
 */
export async function stateMvCommand(from: string, to: string, opts: ConfigOptions & StateOptions, io: Io): Promise<number> {
  const src = addressArgument(from);
  const dst = addressArgument(to);
  const r = await editState('state mv', opts, io, (s) => moveInstances(s, src, dst));
  io.out(`Moved ${from} to ${to} (${copies(r.changed.length)}).\n`);
  return 0;
}

/** `infra state rm ADDR`: forget instances (every copy) without destroying them. */
export async function stateRmCommand(address: string, opts: ConfigOptions & StateOptions, io: Io): Promise<number> {
  const src = addressArgument(address);
  const r = await editState('state rm', opts, io, (s) => forgetInstances(s, src));
  io.out(`Removed ${address} from the state (${copies(r.changed.length)}); the objects still exist and are no longer managed.\n`);
  return 0;
}

/** `infra output [NAME]`. */
export async function outputCommand(name: string | undefined, opts: ConfigOptions & StateOptions & { json?: boolean; raw?: boolean }, io: Io): Promise<number> {
  const store = await openState(statePath(null, opts, io.cwd), 'output', opts, false, [], { io });
  const outputs = store.state.outputs;
  if (name !== undefined) {
    const o = outputs[name];
    if (!o) {
        throw new DiagnosticsError([error(`No output "${name}"`, didYouMean(name, Object.keys(outputs)) ?? 'Outputs are recorded by apply.')]);
    }
    if (opts.json) io.out(stringifyJson(o.value) + '\n');
    else if (opts.raw && typeof o.value === 'string') io.out(o.value);
    else io.out((o.sensitive ? '(sensitive value)' : renderValue(withSetMarks(o.value, o.type), '')) + '\n');
    return 0;
  }
  if (opts.json) {
    // Terraform's shape and key order: sensitive, type (when the state recorded it), value.
    const listing = Object.entries(outputs).map(([k, o]) => [k, { sensitive: o.sensitive, ...(o.type !== undefined ? { type: o.type } : {}), value: o.sensitive ? null : o.value }]);
    io.out(stringifyJson(Object.fromEntries(listing), 2) + '\n');
    return 0;
  }
  for (const [k, o] of Object.entries(outputs)) io.out(`${k} = ${o.sensitive ? '(sensitive value)' : renderValue(withSetMarks(o.value, o.type), '')}\n`);
  return 0;
}

/** `infra force-unlock ID`. */
export async function forceUnlockCommand(id: string, opts: ConfigOptions & StateOptions, io: Io): Promise<number> {
  if (await (await import('./backend.js')).forceUnlockBackend(id, opts, io)) return 0;
  const diags = await forceUnlock(statePath(null, opts, io.cwd), id);
  if (hasErrors(diags)) throw new DiagnosticsError(diags);
  printDiagnostics(io, diags);
  io.out(`Lock ${id} removed. The state is unlocked.\n`);
  return 0;
}

/** `infra graph`: the resource graph, or a saved plan's step graph. */
export async function graphCommand(opts: ConfigOptions & { format?: string; plan?: string }, io: Io): Promise<number> {
  const format = opts.format ?? 'dot';
  if (!['dot', 'mermaid', 'svg'].includes(format)) throw new DiagnosticsError([error(`Invalid value for --format: "${format}"`, 'Use dot, mermaid or svg.')]);
  let dot: string;
  if (opts.plan) {
    const saved = readSavedPlan(opts.plan, io.cwd);
    if (format === 'mermaid') {
      io.out(planToMermaid(saved) + '\n');
      return 0;
    }
    dot = planToDot(saved);
  } else {
    const warnings: Diagnostic[] = [];
    const config = loadConfiguration(opts, io.cwd, warnings, io.sources);
    for (const [f, s] of config.files) io.sources.set(f, s);
    const r = placeholderPlan(config, opts, io);
    if (!r.plan) throw new DiagnosticsError(r.diagnostics);
    // Data sources are nodes too, as in Terraform's graph: an edge to each from what reads it, and from it to what it reads.
    const data = r.plan.data ?? [];
    const nodes: ResourceGraph['nodes'] = [
      ...r.plan.changes.map((c) => ({ address: c.address, type: c.type, role: c.role })),
      ...data.map((d) => ({ address: d.address, type: d.type, mode: 'data' as const })),
    ];
    const g: ResourceGraph = {
      nodes: data.length ? [...nodes].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0)) : nodes,
      edges: [...r.plan.changes, ...data].flatMap((c) => (c.directDependencies ?? c.dependencies).map((d) => ({ from: c.address, to: d }))),
    };
    if (format === 'mermaid') {
      io.out(resourceGraphToMermaid(g) + '\n');
      return 0;
    }
    dot = resourceGraphToDot(g);
  }
  io.out(format === 'svg' ? await renderSvg(dot) : dot + '\n');
  return 0;
}
