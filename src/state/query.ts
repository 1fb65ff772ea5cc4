/**
 * Pure helpers over a `StateFile`: finding instances and making changed copies. None of them
 * touches the disk or the clock; `StateStore.update` is how their results are persisted.
 * Lookups rely on `resources` being sorted, as it is when read from disk and as every helper
 * here keeps it; build a state's resources with `sortInstances` if you build them by hand.
 */
import type { StateFile, StateInstance } from './types.js';

/** The order of `StateFile.resources`: by address (code units, not locale), then generation. */
export function compareInstances(a: StateInstance, b: StateInstance): number {
  if (a.address !== b.address) return a.address < b.address ? -1 : 1;
  return a.generation - b.generation;
}

/** A sorted copy of `instances`. */
export function sortInstances(instances: readonly StateInstance[]): StateInstance[] {
  return [...instances].sort(compareInstances);
}

/** Instances with `live` set: the current object of each resource instance, the blue-green copy traffic goes to. */
export function liveInstances(state: StateFile): StateInstance[] {
  return state.resources.filter((r) => r.live);
}

/** Every recorded copy at `address`, oldest generation first; empty when there is none. */
export function instancesAt(state: StateFile, address: string): StateInstance[] {
  const [from, to] = addressRange(state.resources, address);
  return state.resources.slice(from, to);
}

/** The copy at `address` with `generation`, if recorded. */
export function findInstance(state: StateFile, address: string, generation: number): StateInstance | undefined {
  return instancesAt(state, address).find((r) => r.generation === generation);
}

/** `state` with `instance` added, or replacing the record with the same address and generation. */
export function upsertInstance(state: StateFile, instance: StateInstance): StateFile {
  const resources = [...state.resources];
  const at = insertionPoint(resources, instance);
  const existing = resources[at];
  const same = existing !== undefined && compareInstances(existing, instance) === 0;
  resources.splice(at, same ? 1 : 0, instance);
  return { ...state, resources };
}

/** `state` without the record at `address` and `generation`; unchanged when there is none. */
export function removeInstance(state: StateFile, address: string, generation: number): StateFile {
  const resources = state.resources.filter((r) => r.address !== address || r.generation !== generation);
  return resources.length === state.resources.length ? state : { ...state, resources };
}

/**
 * The generation for a new blue-green copy at `address`: one more than any recorded, 1 when none
 * is. A copy that was destroyed and removed no longer reserves its number.
 */
export function nextGeneration(state: StateFile, address: string): number {
  return instancesAt(state, address).reduce((max, r) => Math.max(max, r.generation), 0) + 1;
}

/** First index whose record does not sort before `instance` (binary search; resources are sorted). */
function insertionPoint(resources: readonly StateInstance[], instance: StateInstance): number {
  let lo = 0;
  let hi = resources.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareInstances(resources[mid], instance) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** [start, end) of the records at `address`. */
function addressRange(resources: readonly StateInstance[], address: string): [number, number] {
  const lowerBound = (strict: boolean): number => {
    let lo = 0;
    let hi = resources.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const a = resources[mid].address;
      if (a < address || (strict && a === address)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return [lowerBound(false), lowerBound(true)];
}
