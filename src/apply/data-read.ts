/**
 * Reading data sources (`data "TYPE" "NAME"`) through the provider contract: before planning,
 * the ones the planner asked for (planner/data-sources.ts), and during apply the ones whose
 * arguments were not known when planning. Reads change nothing; a failed read is an error
 * placed at the data block.
 */
import { canonicalJson, type Json } from '../evaluate/value.js';
import { type Diagnostic, type SourceRange, error } from '../diagnostics.js';
import type { OperationContext, Provider } from '../providers/contract.js';
import type { DataReadNeeded, DataReadResult } from '../planner/data-sources.js';
import type { Scrubber } from './scrubber.js';

/** Reads one data source; `state` is null when the read failed (the diagnostics say why). */
export async function readDataSource(
  want: { readonly address: string; readonly type: string; readonly provider: string; readonly config: Readonly<Record<string, Json>>; readonly range?: SourceRange },
  providers: ReadonlyMap<string, Provider>,
  context: (provider: string) => OperationContext,
  configDir: string,
): Promise<{ state: Readonly<Record<string, Json>> | null; diagnostics: Diagnostic[] }> {
  const impl = providers.get(want.provider)?.dataSources?.[want.type];
  if (!impl) return { state: null, diagnostics: [error(`Provider "${want.provider}" has no data source "${want.type}"`, undefined, want.range)] };
  const res = await impl.read({ address: want.address, config: want.config, configDir }, context(want.provider));
  // A provider's message says what went wrong; where it is in the configuration is ours to add.
  const diagnostics = res.diagnostics.map((d) => (d.range || !want.range ? d : { ...d, range: want.range }));
  if (res.state === null || diagnostics.some((d) => d.severity === 'error')) return { state: null, diagnostics };
  return { state: { ...want.config, ...res.state }, diagnostics };
}

/** Reads the data sources the planner asked for, all at once; the results are keyed by address. */
export async function readDataSources(
  needed: readonly DataReadNeeded[],
  providers: ReadonlyMap<string, Provider>,
  context: (provider: string) => OperationContext,
  configDir: string,
  scrubber?: Scrubber,
): Promise<{ results: Map<string, DataReadResult>; diagnostics: Diagnostic[] }> {
  const results = new Map<string, DataReadResult>();
  const diagnostics: Diagnostic[] = [];
  const done = await Promise.all(needed.map((n) => readDataSource(n, providers, context, configDir)));
  needed.forEach((n, i) => {
    const r = done[i];
    diagnostics.push(...(scrubber ? scrubber.diagnostics(r.diagnostics) : r.diagnostics));
    if (r.state) results.set(n.address, { configKey: canonicalJson(n.config as Json), state: r.state });
  });
  return { results, diagnostics };
}
