/**
 * `infra state orphans`: objects this state's providers created that the state does not hold
 * (a crash between the API call and the state write), listed, and deleted or imported on request.
 */
import { dirname } from 'node:path';
import { type Diagnostic, DiagnosticsError, error, hasErrors } from '../diagnostics.js';
import type { Orphan } from '../providers/contract.js';
import { runScrubber } from '../apply/scrubber.js';
import { upsertInstance } from '../state/query.js';
import { type Io, printDiagnostics } from './io.js';
import { type ConfigOptions, type StateOptions, loadConfiguration, loadProviders, loadVariables, openState, operationContext, statePath } from './session.js';

export async function orphansCommand(opts: ConfigOptions & StateOptions & { delete?: boolean; import?: boolean }, io: Io): Promise<number> {
  if (opts.delete && opts.import) throw new DiagnosticsError([error('Use --delete or --import, not both')]);
  const warnings: Diagnostic[] = [];
  const config = loadConfiguration(opts, io.cwd, warnings, io.sources);
  for (const [f, s] of config.files) io.sources.set(f, s);
  const variables = loadVariables(config, opts, io.cwd, io.env, warnings, io.sources);
  const path = statePath(config, opts, io.cwd);
  const store = await openState(path, 'state orphans', opts, !!(opts.delete || opts.import), warnings);
  try {
    if (!store.state.lineage) {
      io.out('The state has never been written: nothing can be an orphan of it.\n');
      return 0;
    }
    const { providers, configs } = await loadProviders(config, store.state, variables, io.env, warnings);
    const scrub = runScrubber(config, variables, providers, configs, io.env);
    const ctx = operationContext(dirname(path), store.state.lineage, configs, (l) => io.err(scrub.text(l) + '\n'), new AbortController().signal, io.env);
    const found: { provider: string; orphan: Orphan }[] = [];
    const diags: Diagnostic[] = [];
    const checked: string[] = [];
    const unchecked: string[] = [];
    for (const [name, p] of providers) {
      if (!p.orphans) {
        unchecked.push(name);
        continue;
      }
      checked.push(name);
      const known = store.state.resources.filter((r) => r.provider === name).map((r) => ({ type: r.type, attributes: r.attributes }));
      const r = await p.orphans.listOrphans(known, ctx(name));
      diags.push(...scrub.diagnostics(r.diagnostics));
      for (const o of r.orphans) found.push({ provider: name, orphan: o });
    }
    printDiagnostics(io, [...warnings, ...diags]);
    if (hasErrors(diags)) return 1;
    if (found.length === 0) {
      io.out(noOrphans(checked, unchecked));
      return 0;
    }
    for (const { orphan } of found) io.out(`${orphan.type} ${orphan.id}: ${scrub.text(orphan.description)}${orphan.address ? ` (made for ${orphan.address}, generation ${orphan.generation})` : ''}\n`);
    if (unchecked.length) io.out(notChecked(unchecked));
    if (opts.delete) {
      for (const { provider, orphan } of found) {
        const r = await providers.get(provider)!.orphans!.deleteOrphan(orphan, ctx(provider));
        printDiagnostics(io, scrub.diagnostics(r.diagnostics));
        if (hasErrors(r.diagnostics)) return 1;
        io.out(`Deleted ${orphan.type} ${orphan.id}.\n`);
      }
    } else if (opts.import) {
      for (const { provider, orphan } of found) {
        if (!orphan.address) {
          io.err(`Cannot import ${orphan.type} ${orphan.id}: its tags do not say which instance it was made for.\n`);
          continue;
        }
        const now = new Date().toISOString();
        const m = /^([^.]+)\.([^[]+)(?:\[(.*)\])?$/.exec(orphan.address);
        const index = m?.[3] === undefined ? null : (JSON.parse(m[3]) as string | number);
        // Imported as a non-live copy: the next plan destroys it unless it is the live one.
        const w = await store.update((s) =>
          upsertInstance(s, {
            address: orphan.address!,
            type: orphan.type,
            name: m?.[2] ?? orphan.address!,
            index,
            provider,
            role: 'instance',
            status: 'tainted',
            generation: orphan.generation ?? 0,
            color: null,
            live: false,
            attributes: orphan.attributes,
            sensitive_attributes: {},
            dependencies: [],
            created_at: now,
            updated_at: now,
          }),
        );
        printDiagnostics(io, w);
        io.out(`Imported ${orphan.type} ${orphan.id} as ${orphan.address} (not live; the next apply destroys it).\n`);
      }
    } else {
      io.out(`\n${found.length} orphan${found.length === 1 ? '' : 's'}. Run with --delete to delete them, or --import to take them into the state.\n`);
    }
    return 0;
  } finally {
    await store.release();
  }
}

/** What "no orphans" means when only some providers (or none) could look. */
function noOrphans(checked: readonly string[], unchecked: readonly string[]): string {
  if (unchecked.length === 0) return 'No orphans: every object the providers made for this state is in the state.\n';
  if (checked.length === 0) {
    const one = unchecked.length === 1;
    return (
      `Nothing was checked: ${one ? 'the provider' : 'the providers'} ${unchecked.join(', ')} cannot list the objects ${one ? 'it' : 'they'} made, ` +
      `so objects ${one ? 'it' : 'they'} made for this state that the state does not hold would not be found.\n`
    );
  }
  const one = checked.length === 1;
  return `No orphans found by ${checked.join(', ')}: every object ${one ? 'it' : 'they'} made for this state is in the state.\n${notChecked(unchecked)}`;
}

/** The providers `state orphans` could not ask, and what that leaves unknown. */
function notChecked(unchecked: readonly string[]): string {
  const one = unchecked.length === 1;
  return `Not checked: ${unchecked.join(', ')} (${one ? 'it cannot' : 'they cannot'} list the objects ${one ? 'it' : 'they'} made, so objects ${one ? 'it' : 'they'} made for this state that the state does not hold would not be found).\n`;
}
