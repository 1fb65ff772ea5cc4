/**
 * Refresh: asks each provider what is true now for every object in state, before planning.
 * Objects deleted outside are dropped from the refreshed state (so the plan creates them again)
 * and changes made outside are taken in; both are reported as drift so a person sees them.
 */
import { type Diagnostic, hasErrors } from '../diagnostics.js';
import { valueEquals, type Json, type Value } from '../evaluate/value.js';
import type { OperationContext, Provider, ReadResponse } from '../providers/contract.js';
import type { Drift } from '../planner/plan.js';
import { redactLike, splitSensitive, stateValues } from '../state/sensitive.js';
import type { StateFile, StateInstance } from '../state/types.js';
import { providerBug } from './provider-bug.js';
import type { Scrubber } from './scrubber.js';

export interface RefreshOptions {
  readonly state: StateFile;
  readonly providers: ReadonlyMap<string, Provider>;
  readonly context: (provider: string) => OperationContext;
  /** Reads in flight at once. */
  readonly parallelism: number;
  /** Scrubs the diagnostics of reads; learns the secrets reads return. */
  readonly scrubber?: Scrubber;
}

export interface RefreshResult {
  readonly state: StateFile;
  readonly drift: readonly Drift[];
  readonly diagnostics: readonly Diagnostic[];
}

/** Reads every instance; leftovers of interrupted runs are kept whatever the read says (deleting them is idempotent). */
export async function refresh(o: RefreshOptions): Promise<RefreshResult> {
  const diagnostics: Diagnostic[] = [];
  const drift: Drift[] = [];
  const next = new Map<StateInstance, StateInstance | null>();
  const queue = [...o.state.resources];
  const worker = async (): Promise<void> => {
    for (let inst = queue.shift(); inst; inst = queue.shift()) {
      const impl = o.providers.get(inst.provider)?.resourceTypes[inst.type];
      if (impl?.resolveIntent && (inst.status === 'creating' || inst.status === 'tainted')) {
        // A create that may have made something state has no id for: find it before planning.
        const res = await impl.resolveIntent({ address: inst.address, generation: inst.generation, prior: inst.attributes }, o.context(inst.provider));
        diagnostics.push(...res.diagnostics);
        if (hasErrors(res.diagnostics) || res.state === inst.attributes) next.set(inst, inst);
        else next.set(inst, res.state === null ? null : { ...inst, attributes: { ...inst.attributes, ...res.state } });
        continue;
      }
      // Kept blue copies (keep_blue) are read too: a rollback must not switch to one that is gone.
      if (!impl || (!inst.live && !inst.kept) || inst.status !== 'ready') {
        next.set(inst, inst);
        continue;
      }
      let res: ReadResponse;
      try {
        res = await impl.read({ address: inst.address, generation: inst.generation, prior: inst.attributes }, o.context(inst.provider));
      } catch (e) {
        res = { state: null, diagnostics: [providerBug(inst.provider, 'reading', inst.address, e, 'Nothing was changed.')] };
      }
      const secret = Object.entries(impl.schema.attributes).filter(([, a]) => a.sensitive).map(([n]) => n);
      for (const name of secret) if (res.state && name in res.state) o.scrubber?.learnSecret(res.state[name]);
      diagnostics.push(...(o.scrubber ? o.scrubber.diagnostics(res.diagnostics) : res.diagnostics));
      if (hasErrors(res.diagnostics)) {
        next.set(inst, inst);
        continue;
      }
      if (res.state === null) {
        drift.push({ address: inst.address, kind: 'deleted', before: stateValues(inst), after: null });
        next.set(inst, null);
        continue;
      }
      // Secrets the provider reports are kept as hashes, as apply keeps them.
      const split = splitSensitive(res.state, secret);
      for (const [k, v] of Object.entries(split.attributes)) if (k in inst.attributes) split.attributes[k] = redactLike(v, inst.attributes[k]);
      const merged: Record<string, Json> = { ...inst.attributes, ...split.attributes };
      const hashes = { ...inst.sensitive_attributes, ...split.sensitive_attributes };
      if (!valueEquals(merged as Value, inst.attributes as Value) || !valueEquals(hashes, inst.sensitive_attributes)) {
        const updated = { ...inst, attributes: merged, sensitive_attributes: hashes };
        drift.push({ address: inst.address, kind: 'changed', before: stateValues(inst), after: stateValues(updated) });
        next.set(inst, updated);
      } else next.set(inst, inst);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.parallelism, queue.length)) }, worker));
  const resources = o.state.resources.map((r) => (next.has(r) ? next.get(r) ?? null : r)).filter((r): r is StateInstance => r !== null);
  return { state: { ...o.state, resources }, drift: drift.sort((a, b) => (a.address < b.address ? -1 : 1)), diagnostics };
}
