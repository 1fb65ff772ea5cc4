/**
 * Kept blue copies (`lifecycle blue_green { keep_blue = "15m" }`): which ones a normal plan
 * leaves in place (their rollback window is open) and which it destroys - the window ended, a
 * new deploy of the same instance supersedes it (one kept copy per instance), or the instance
 * left the configuration.
 */
import { copyKey } from '../addrs/address.js';
import type { StateInstance } from '../state/types.js';
import type { PlanContext } from './context.js';
import type { KeptCopy, KeptCopyDestroyed, Reason, ResourceChange } from './plan.js';

/** A copy recorded with a rollback window: not live, ready, marked `kept`. */
export function isKeptCopy(inst: StateInstance): inst is StateInstance & { kept: NonNullable<StateInstance['kept']> } {
  return !inst.live && inst.status === 'ready' && inst.kept !== undefined;
}

/** True when the window of `inst` ended at the plan's time (`PlanInput.now`; none: never). */
export function keptWindowEnded(ctx: PlanContext, until: string): boolean {
  return ctx.input.now !== undefined && Date.parse(until) <= Date.parse(ctx.input.now);
}

/**
 * What a normal plan does with a recorded copy that is not live: `'keep'` it, destroy it for a
 * `Reason`, or undefined when it is no kept copy (a leftover, as before). `deploying` holds the
 * blue-green instances this plan deploys again; `configured` whether an address is configured.
 */
export function keptDisposition(ctx: PlanContext, inst: StateInstance, deploying: ReadonlySet<string>, configured: (address: string) => boolean): 'keep' | Reason | undefined {
  if (!isKeptCopy(inst)) return undefined;
  const { until, unit } = inst.kept;
  if (!configured(unit) || !configured(inst.address)) return { code: 'not-in-configuration' };
  if (keptWindowEnded(ctx, until)) return { code: 'kept-window-ended', until };
  if (deploying.has(unit)) return { code: 'kept-superseded', unit, until };
  return 'keep';
}

/** The kept copies a plan leaves in place, sorted by address and generation. */
export function keptCopies(ctx: PlanContext, deleted: ReadonlySet<string>): KeptCopy[] {
  return ctx.input.state.resources
    .filter((r) => isKeptCopy(r) && !deleted.has(copyKey(r)))
    .map((r) => ({ address: r.address, generation: r.generation, until: r.kept!.until, unit: r.kept!.unit }));
}

/**
 * The kept copies `removed` (the plan's deletions of recorded copies) destroys, and why (`destroy`
 * for every one in a destroy plan); sorted by address and generation.
 */
export function keptCopiesDestroyed(ctx: PlanContext, removed: readonly ResourceChange[], destroying = false): KeptCopyDestroyed[] {
  const out: KeptCopyDestroyed[] = [];
  for (const c of removed) {
    const inst = ctx.input.state.resources.find((r) => r.address === c.address && r.generation === c.priorGeneration);
    if (!inst || !isKeptCopy(inst)) continue;
    if (destroying) {
      out.push({ address: inst.address, generation: inst.generation, until: inst.kept.until, unit: inst.kept.unit, reason: 'destroy' });
      continue;
    }
    const code = c.reasons.find((r) => r.code === 'kept-window-ended' || r.code === 'kept-superseded' || r.code === 'not-in-configuration')?.code;
    if (code !== 'kept-window-ended' && code !== 'kept-superseded' && code !== 'not-in-configuration') continue;
    out.push({ address: inst.address, generation: inst.generation, until: inst.kept.until, unit: inst.kept.unit, reason: code });
  }
  return out.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.generation - b.generation));
}
