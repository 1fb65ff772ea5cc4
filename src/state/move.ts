/**
 * Moving and forgetting instances in a `StateFile` without touching the world: what `infra state
 * mv` / `infra state rm` and configuration's `moved` / `removed` blocks do. Pure, like query.ts.
 *
 * A source address selects records the way a resource or instance address reads: `type.name`
 * selects every instance of the block (every key, every blue-green copy); `type.name["k"]` or
 * `type.name[0]` selects every copy of that one instance.
 */
import { type Address, blockAddress, blockOf, movesOneInstance, formatAddress, instanceAddress, parseAddress } from '../addrs/address.js';
import { type Diagnostic, didYouMean, error } from '../diagnostics.js';
import { sortInstances } from './query.js';
import type { StateFile, StateInstance } from './types.js';

/** The result of a move or removal: the new state and how many records it changed, or diagnostics. */
export interface StateEdit {
  readonly state: StateFile | null;
  /** Addresses of the records changed (before the move), one per copy, in state order. */
  readonly changed: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
}

/** True when the record at `address` is selected by `from` (see the module comment). */
export function selects(from: Address, address: string): boolean {
  const block = blockAddress(from);
  return from.key === null ? blockOf(address) === block : address === formatAddress(from);
}

/** Every record `from` selects, in state order. */
export function selectedRecords(state: StateFile, from: Address): StateInstance[] {
  return state.resources.filter((r) => selects(from, r.address));
}

/** An error for a source address that selects nothing, with "did you mean" over the state. */
export function nothingAt(state: StateFile, from: Address): Diagnostic {
  const text = formatAddress(from);
  const candidates = new Set(state.resources.flatMap((r) => [r.address, blockOf(r.address)]));
  return error(`No instance ${text} in the state`, didYouMean(text, candidates) ?? 'infra state list shows what the state holds.');
}

/**
 * `state` with every record `from` selects moved to `to`: a block to a block (keys kept), or an
 * instance to an instance. Refused when `to` already holds a record, when `from` selects nothing,
 * or when a block is moved to an instance address (or the other way). Other records'
 * `dependencies` on the old addresses are rewritten, so destroy order stays right.
 */
export function moveInstances(state: StateFile, from: Address, to: Address): StateEdit {
  const fail = (d: Diagnostic): StateEdit => ({ state: null, changed: [], diagnostics: [d] });
  const fromText = formatAddress(from);
  const toText = formatAddress(to);
  const oneInstance = movesOneInstance(from, to);
  if ((from.key === null) !== (to.key === null) && !oneInstance) {
    return fail(error(`Cannot move ${fromText} to ${toText}`, 'Move a whole resource to a resource address (TYPE.NAME), or one instance to an instance address (TYPE.NAME[KEY]).'));
  }
  if (from.type !== to.type) {
    return fail(error(`Cannot move ${fromText} to ${toText}`, `The resource types differ (${from.type}, ${to.type}): infra only renames, it cannot turn one type of object into another.`));
  }
  const moving = selectedRecords(state, from);
  if (moving.length === 0) return fail(nothingAt(state, from));
  const occupied = selectedRecords(state, to).filter((r) => !moving.includes(r));
  if (occupied.length > 0) {
    return fail(error(`Cannot move ${fromText} to ${toText}: the destination exists`, `The state already holds ${occupied[0].address}. Remove it first (infra state rm ${toText}) if it should be forgotten.`));
  }
  const renamed = new Map<string, string>();
  const toBlock = blockAddress(to);
  for (const r of moving) renamed.set(r.address, oneInstance ? toText : instanceAddress(toBlock, r.index));
  renamed.set(blockAddress(from), toBlock);
  const resources = state.resources.map((r): StateInstance => {
    const dependencies = r.dependencies.map((d) => renamed.get(d) ?? d);
    if (!moving.includes(r)) return dependencies.some((d, i) => d !== r.dependencies[i]) ? { ...r, dependencies } : r;
    return { ...r, address: renamed.get(r.address)!, name: to.name, index: oneInstance ? to.key : r.index, dependencies };
  });
  return { state: { ...state, resources: sortInstances(resources) }, changed: moving.map((r) => r.address), diagnostics: [] };
}

/** `state` without any record `from` selects (the objects are forgotten, not destroyed); an error when it selects none. */
export function forgetInstances(state: StateFile, from: Address): StateEdit {
  const removing = selectedRecords(state, from);
  if (removing.length === 0) return { state: null, changed: [], diagnostics: [nothingAt(state, from)] };
  return { state: { ...state, resources: state.resources.filter((r) => !removing.includes(r)) }, changed: removing.map((r) => r.address), diagnostics: [] };
}

/** One instance's move carried by a plan: every copy recorded at `from` is recorded at `to`. */
export interface PlannedMove {
  readonly from: string;
  readonly to: string;
}

/**
 * `state` with a plan's moves and forgets carried out, as apply writes it before any provider
 * step: each `from` instance address (every copy of it) renamed to its `to`, then every record
 * at a `forgets` address dropped. The planner computed the same state in memory from the same
 * records, so a move whose source is gone or whose destination is taken means the state changed
 * since the plan: the diagnostics say so and the state is null.
 */
export function carryOutPlannedMoves(state: StateFile, moves: readonly PlannedMove[], forgets: readonly string[]): StateEdit {
  let current = state;
  const changed: string[] = [];
  for (const m of moves) {
    const from = parseAddressOrNull(m.from);
    const to = parseAddressOrNull(m.to);
    if (!from || !to) return { state: null, changed: [], diagnostics: [error(`Invalid move in the plan: ${m.from} -> ${m.to}`, 'Plan again.')] };
    const r = moveInstances(current, from, to);
    if (!r.state) return r;
    current = r.state;
    changed.push(...r.changed);
  }
  for (const address of forgets) {
    const from = parseAddressOrNull(address);
    if (!from) return { state: null, changed: [], diagnostics: [error(`Invalid address in the plan: ${address}`, 'Plan again.')] };
    const r = forgetInstances(current, from);
    if (!r.state) return r;
    current = r.state;
    changed.push(...r.changed);
  }
  return { state: current, changed, diagnostics: [] };
}

function parseAddressOrNull(text: string): Address | null {
  return parseAddress(text).value;
}
