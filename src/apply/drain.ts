/**
 * Draining blue: what happens between a deploy unit's commit (traffic switched to green and
 * verified) and the destruction of its blue copy. Blue's provisions are retired (the service
 * winds down gracefully and tells clients that keep connections open to leave), then every route
 * the unit switched is asked whether anything still sends traffic down its old path, until none
 * does or the drain bound passes. Blue is destroyed only after that (docs/engine.md, "Draining
 * blue").
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { error, hasErrors, warning, type Diagnostic } from '../diagnostics.js';
import { formatDuration, parseDuration } from '../duration.js';
import type { Json } from '../evaluate/value.js';
import type { OperationContext, ResourceType } from '../providers/contract.js';

/** How long blue is kept for the old path to drain, unless INFRA_DRAIN_TIMEOUT says otherwise. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
/** How often a route is asked whether its old path has drained. */
export const DRAIN_POLL_MS = 100;
/** The environment variable that sets the drain bound (a duration: `10s`, `2m`). */
export const DRAIN_TIMEOUT_ENV = 'INFRA_DRAIN_TIMEOUT';

/** The drain bound from the environment, or why it cannot be used. */
export function drainBound(env: NodeJS.ProcessEnv): { readonly ms: number; readonly diagnostics: readonly Diagnostic[] } {
  const text = env[DRAIN_TIMEOUT_ENV];
  if (text === undefined || text.trim() === '') return { ms: DEFAULT_DRAIN_TIMEOUT_MS, diagnostics: [] };
  const ms = parseDuration(text);
  if (ms === null) {
    return {
      ms: DEFAULT_DRAIN_TIMEOUT_MS,
      diagnostics: [error(`Invalid ${DRAIN_TIMEOUT_ENV}: "${text}"`, 'It is how long blue is kept after a switch for the old path to drain: a duration such as 30s or 2m (0s: do not wait).')],
    };
  }
  return { ms, diagnostics: [] };
}

/** A provision of blue, to be retired. */
export interface RetiringProvision {
  readonly address: string;
  readonly generation: number;
  readonly prior: Readonly<Record<string, Json>>;
  readonly impl: ResourceType;
  readonly ctx: OperationContext;
}

/** A route the unit switched, to be watched until its old path is drained. */
export interface DrainingRoute {
  readonly address: string;
  readonly generation: number;
  readonly current: Readonly<Record<string, Json>>;
  readonly previous: Readonly<Record<string, Json>>;
  readonly impl: ResourceType;
  readonly ctx: OperationContext;
}

export interface DrainOptions {
  /** The unit's address, for messages. */
  readonly unit: string;
  readonly provisions: readonly RetiringProvision[];
  readonly routes: readonly DrainingRoute[];
  readonly boundMs: number;
  readonly configDir: string;
  /** Progress lines, shown with the step that waits (the first delete of blue). */
  readonly log: (line: string) => void;
  /** Ends the wait early (an interrupt): blue is destroyed with what is left. */
  readonly signal: AbortSignal;
  readonly pollMs?: number;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}

/** An error of a provider while draining becomes a warning: the unit is committed whatever happens here. */
function asWarnings(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.map((d) => (d.severity === 'error' ? { ...d, severity: 'warning' as const } : d));
}

/**
 * Retires blue's provisions, then waits (at most `boundMs`) until every route's old path is
 * drained. Never fails: what went wrong, and a route still carrying traffic at the bound, are
 * warnings, and blue is destroyed afterwards either way (the deploy is committed: keeping blue
 * would leave it running with nobody to destroy it but the next apply).
 */
export async function drainBlue(o: DrainOptions): Promise<Diagnostic[]> {
  const diagnostics: Diagnostic[] = [];
  await Promise.all(
    o.provisions.map(async (p) => {
      if (!p.impl.retire) return;
      const at = performance.now();
      const r = await p.impl.retire({ address: p.address, generation: p.generation, prior: p.prior, configDir: o.configDir }, p.ctx);
      if (hasErrors(r.diagnostics)) {
        diagnostics.push(...asWarnings(r.diagnostics));
        o.log(`Retiring ${p.address} (blue) failed; draining without it`);
      } else {
        diagnostics.push(...r.diagnostics);
        o.log(`Retired ${p.address} (blue) in ${seconds(performance.now() - at)}`);
      }
    }),
  );
  const waiting = o.routes.filter((r) => r.impl.drained);
  if (waiting.length === 0) return diagnostics;
  const drainStarted = performance.now();
  const remaining = new Map<string, string>();
  let pending = waiting;
  for (;;) {
    const still: DrainingRoute[] = [];
    for (const r of pending) {
      const res = await r.impl.drained!({ address: r.address, generation: r.generation, current: r.current, previous: r.previous }, r.ctx);
      if (hasErrors(res.diagnostics)) {
        diagnostics.push(...asWarnings(res.diagnostics));
        o.log(`Cannot tell whether ${r.address} has drained; not waiting for it`);
      } else if (res.drained) {
        o.log(`${r.address}: old path drained in ${seconds(performance.now() - drainStarted)} (bound ${formatDuration(o.boundMs)})`);
      } else {
        remaining.set(r.address, res.remaining);
        still.push(r);
      }
    }
    pending = still;
    if (pending.length === 0) break;
    const waited = performance.now() - drainStarted;
    if (waited >= o.boundMs || o.signal.aborted) {
      const why = o.signal.aborted ? `the wait was interrupted after ${seconds(waited)}` : `the drain bound of ${formatDuration(o.boundMs)} passed`;
      for (const r of pending) {
        o.log(`${r.address}: still carries traffic to blue when ${why}: ${remaining.get(r.address)}`);
        diagnostics.push(
          warning(
            `${r.address} still sent traffic to blue of ${o.unit} when ${why}`,
            `${remaining.get(r.address)}. Blue is destroyed now: what those clients have in flight is lost once, and they retry (a client that ignores the server's request to leave never leaves by itself). Set ${DRAIN_TIMEOUT_ENV} for a longer bound.`,
          ),
        );
      }
      break;
    }
    await sleep(o.pollMs ?? DRAIN_POLL_MS, undefined, { signal: o.signal }).catch(() => undefined);
  }
  return diagnostics;
}
