/**
 * Adopting objects that exist apart from infra: `infra import ADDR ID`, and the reads behind
 * `import { to = ADDR, id = "..." }` blocks (done before planning, as refresh is, so the pure
 * planner diffs the configuration against what the object has).
 *
 * Only types whose provider implements `importById` can be imported (today `linode_instance`);
 * the others are refused by name. The object is only read, never changed: the next plan shows
 * what apply would change to make it match the configuration.
 */
import { type Address, blockOf, formatAddress, parseAddress } from '../addrs/address.js';
import type { Config, ResourceDecl } from '../config/types.js';
import { type Diagnostic, DiagnosticsError, didYouMean, error, hasErrors } from '../diagnostics.js';
import type { OperationContext, Provider, ResourceType } from '../providers/contract.js';
import { importGeneration, importedRecord } from '../state/import.js';
import { upsertInstance } from '../state/query.js';
import type { StateFile, StateInstance } from '../state/types.js';
import type { Scrubber } from '../apply/scrubber.js';
import { type Io, printDiagnostics } from './io.js';
import { type ConfigOptions, type StateOptions, loadSession, loadSessionProviders, operationContext, refreshAndPlan } from './session.js';

/** One object to adopt: where in the configuration, and its provider's ID. */
export interface ImportTarget {
  readonly address: string;
  readonly id: string;
}

/** The resource block `address` names, or an error (with "did you mean") when the configuration has none; keys must fit its for_each/count. */
export function importDecl(config: Config, address: Address): { decl: ResourceDecl | null; diagnostics: Diagnostic[] } {
  const text = formatAddress(address);
  // A flattened configuration names a module's resource blocks by their module instance.
  const block = `${address.module ? `${address.module}.` : ''}${address.type}.${address.name}`;
  const decl = config.resources.find((r) => r.address === block);
  if (!decl) {
    const hint = didYouMean(block, config.resources.map((r) => r.address));
    return {
      decl: null,
      diagnostics: [
        error(
          `Configuration for import target ${text} does not exist`,
          `${hint ? `${hint}\n` : ''}Before importing, write its resource block, for example:\n  resource "${address.type}" "${address.name}" {\n    # (resource arguments)\n  }`,
        ),
      ],
    };
  }
  const keyed = decl.forEach !== undefined || decl.count !== undefined;
  if (keyed && address.key === null) {
    return { decl: null, diagnostics: [error(`${text} has ${decl.forEach ? 'for_each' : 'count'}: import one instance of it`, `Give the key: ${block}${decl.forEach ? '["KEY"]' : '[0]'}.`, decl.range)] };
  }
  if (!keyed && address.key !== null) {
    return { decl: null, diagnostics: [error(`${block} has neither for_each nor count: import it as ${block}`, 'An instance key names one instance of a resource with for_each or count.', decl.range)] };
  }
  return { decl, diagnostics: [] };
}

/** The provider and implementation of `type`, or an error naming the types that can be imported. */
function importer(providers: ReadonlyMap<string, Provider>, type: string): { provider: string; rt: ResourceType } | Diagnostic {
  const importable: string[] = [];
  let found: { provider: string; rt: ResourceType } | null = null;
  for (const [name, p] of providers) {
    for (const [t, rt] of Object.entries(p.resourceTypes)) {
      if (rt.importById) importable.push(t);
      if (t === type) found = { provider: name, rt };
    }
  }
  if (found?.rt.importById) return found;
  return error(
    `Resource type ${type} cannot be imported`,
    `infra creates its objects and cannot read one by an ID. Types that can be imported: ${importable.length ? importable.sort().join(', ') : 'none among the providers this configuration uses'} (docs/cli.md, "infra import").`,
  );
}

/**
 * Reads one object by its ID into a ready, live state record for `decl`'s instance `address`
 * (the blue copy of a blue-green resource). Only reads; errors name the ID.
 */
export async function readImport(
  target: ImportTarget,
  decl: ResourceDecl,
  providers: ReadonlyMap<string, Provider>,
  ctx: (provider: string) => OperationContext,
  scrub: Scrubber,
): Promise<{ record: StateInstance | null; diagnostics: Diagnostic[] }> {
  const found = importer(providers, decl.type);
  if (!('rt' in found)) return { record: null, diagnostics: [found] };
  const blueGreen = decl.lifecycle.blueGreen !== undefined;
  const r = await found.rt.importById!({ address: target.address, generation: importGeneration(blueGreen), id: target.id }, ctx(found.provider));
  const diagnostics = scrub.diagnostics([...r.diagnostics]);
  if (!r.state || hasErrors(diagnostics)) {
    return { record: null, diagnostics: hasErrors(diagnostics) ? diagnostics : [...diagnostics, error(`Cannot import ${target.address} from ID "${target.id}"`, 'The provider returned nothing. Nothing was imported.')] };
  }
  const schema = found.rt.schema;
  const record = importedRecord({
    address: target.address,
    type: decl.type,
    provider: found.provider,
    role: schema.role,
    blueGreen,
    attributes: r.state,
    sensitive: Object.entries(schema.attributes).filter(([, a]) => a.sensitive).map(([n]) => n),
    unreadable: r.unreadable ?? [],
    now: new Date().toISOString(),
  });
  return { record, diagnostics };
}

/** An error when `state` (or `also`) already records the object `record` was read from, at another address: one object, one address. */
function alreadyRecorded(record: StateInstance, state: StateFile, also: readonly StateInstance[] = []): Diagnostic | null {
  const id = record.attributes.id;
  if (id === undefined || id === null) return null;
  const other = [...state.resources, ...also].find((r) => r.type === record.type && r.attributes.id === id && r.address !== record.address);
  if (!other) return null;
  return error(`Cannot import ${record.address}: the object is already managed as ${other.address}`, `The state records ${record.type} ${JSON.stringify(id)} at ${other.address}. To give it a new address, use a moved block or infra state mv, not an import.`);
}

/**
 * The objects the configuration's `import` blocks adopt in this plan, read by ID: one record per
 * block whose `to` the state does not hold yet (a block already carried out is a no-op, so it
 * may stay). Errors (not found, a type that cannot be imported) stop the plan.
 */
export async function readImportBlocks(
  config: Config,
  state: StateFile,
  providers: ReadonlyMap<string, Provider>,
  ctx: (provider: string) => OperationContext,
  scrub: Scrubber,
): Promise<{ imports: { readonly id: string; readonly record: StateInstance }[]; diagnostics: Diagnostic[] }> {
  const imports: { id: string; record: StateInstance }[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const b of config.imports ?? []) {
    if (state.resources.some((r) => r.address === b.to)) continue;
    const address = parseAddress(b.to).value!;
    const located = (ds: readonly Diagnostic[]): Diagnostic[] => ds.map((d) => ({ ...d, range: d.range ?? b.range }));
    const { decl, diagnostics: declDiags } = importDecl(config, address);
    if (!decl) {
      diagnostics.push(...located(declDiags).map((d) => ({ ...d, range: b.range })));
      continue;
    }
    const r = await readImport({ address: b.to, id: b.id }, decl, providers, ctx, scrub);
    diagnostics.push(...located(r.diagnostics).map((d) => (d.severity === 'error' ? { ...d, range: b.range } : d)));
    const twice = r.record ? alreadyRecorded(r.record, state, imports.map((i) => i.record)) : null;
    if (twice) diagnostics.push({ ...twice, range: b.range });
    else if (r.record) imports.push({ id: b.id, record: r.record });
  }
  return { imports, diagnostics };
}

/** `infra import ADDR ID`: reads the object and records it at ADDR; takes the state lock. */
export async function importCommand(addressText: string, id: string, opts: ConfigOptions & StateOptions, io: Io): Promise<number> {
  const parsed = parseAddress(addressText);
  if (!parsed.value) throw new DiagnosticsError(parsed.diagnostics);
  const address = parsed.value;
  const text = formatAddress(address);
  const warnings: Diagnostic[] = [];
  const session = await loadSession(opts, io, 'import', true, warnings);
  const { config, store } = session;
  try {
    const { decl, diagnostics } = importDecl(config, address);
    if (!decl) throw new DiagnosticsError(diagnostics);
    if (store.state.resources.some((r) => r.address === text)) {
      throw new DiagnosticsError([
        error(
          'Resource already managed by infra',
          `infra is already managing an object at ${text} (infra state show '${text}'). To import to this address, first forget the object it holds: infra state rm '${text}'.`,
        ),
      ]);
    }
    const loaded = await loadSessionProviders(session, io, warnings);
    printDiagnostics(io, warnings);
    const scrub = loaded.scrubber;
    const ctx = operationContext(store.dir, store.state.lineage, loaded.configs, (l) => io.err(scrub.text(l) + '\n'), new AbortController().signal, io.env);
    io.out(`${text}: Importing from ID "${id}"...\n`);
    const r = await readImport({ address: text, id }, decl, loaded.providers, ctx, scrub);
    if (!r.record) throw new DiagnosticsError(r.diagnostics);
    printDiagnostics(io, r.diagnostics);
    const record = r.record;
    const twice = alreadyRecorded(record, store.state);
    if (twice) throw new DiagnosticsError([twice]);
    // A key for_each/count does not produce would be adopted only for the next apply to destroy it.
    const planned = await refreshAndPlan({
      config,
      source: session.source,
      variables: session.variables,
      store: { state: upsertInstance(store.state, record), dir: store.dir },
      providers: loaded.providers,
      configs: loaded.configs,
      env: io.env,
      mode: 'normal',
      targets: [],
      refresh: false,
      log: (l) => io.err(scrub.text(l) + '\n'),
      scrubber: scrub,
      warnings: [],
    });
    if (planned.plan.changes.some((c) => c.address === text && c.reasons.some((why) => why.code === 'not-in-configuration'))) {
      const keys = planned.plan.changes.filter((c) => c.address !== text && blockOf(c.address) === blockOf(text) && c.address !== blockOf(c.address)).map((c) => c.address);
      throw new DiagnosticsError([
        error(
          `Configuration for import target ${text} does not exist`,
          `The configuration has no instance ${text}${keys.length ? `; it has ${keys.join(', ')}` : ''}. Importing it would adopt the object only to destroy it.`,
        ),
      ]);
    }
    const written = await store.update((s) => upsertInstance(s, record));
    if (hasErrors(written)) throw new DiagnosticsError([...written]);
    printDiagnostics(io, written);
    const copy = record.color ? ` as its live (${record.color}) copy, generation ${record.generation}` : '';
    io.out(
      `${text}: Import prepared!\n\nImport successful!\n\n` +
        `${text} (${blockOf(text) === text ? '' : 'an instance of '}${decl.type}) is now in the state${copy}. Nothing was changed on it;\n` +
        'run infra plan to see what apply would change to make it match the configuration.\n',
    );
    return 0;
  } finally {
    printDiagnostics(io, await store.release());
  }
}
