/**
 * The rollback window of `lifecycle blue_green { keep_blue = "15m" }` and its bake settings,
 * decoded from the block's options (literal durations, src/duration.ts). The engine gives them
 * meaning: docs/engine.md "Keeping blue".
 */
import { type Diagnostic, error } from '../diagnostics.js';
import { evaluateLiteral } from '../evaluate/evaluate.js';
import type { Expr } from '../parser/ast.js';
import { formatDuration, parseDuration } from '../duration.js';

/** How often the post-switch checks run during the bake unless `bake_interval` says otherwise. */
export const DEFAULT_BAKE_INTERVAL_MS = 30_000;

/** A resource's rollback window, in milliseconds. */
export interface KeepBlue {
  /** `keep_blue`: how long blue is kept (running, provisioned, not routed) after the switch. */
  readonly windowMs: number;
  /** `bake`: how long after the switch the unit's bake step keeps running the post-switch checks (0: no bake step); default the whole window. */
  readonly bakeMs: number;
  /** `bake_interval`: time between two rounds of the post-switch checks; default 30s. */
  readonly bakeIntervalMs: number;
}

const NAMES = ['keep_blue', 'bake', 'bake_interval'] as const;

/**
 * The `KeepBlue` of a blue_green block's options, or undefined when it has no `keep_blue`.
 * Every mistake is a diagnostic at the argument: not a duration, zero, `bake` longer than the
 * window, `bake`/`bake_interval` without `keep_blue`.
 */
export function decodeKeepBlue(options: ReadonlyMap<string, Expr>, diagnostics: Diagnostic[]): KeepBlue | undefined {
  const ms = new Map<string, number>();
  for (const name of NAMES) {
    const expr = options.get(name);
    if (!expr) continue;
    const v = durationOf(name, expr, diagnostics);
    if (v !== null) ms.set(name, v);
  }
  const window = ms.get('keep_blue');
  if (window === undefined) {
    for (const name of ['bake', 'bake_interval'] as const) {
      const expr = options.get(name);
      if (expr && !options.has('keep_blue')) {
        diagnostics.push(error(`${name} needs keep_blue`, `The bake runs while blue is kept. Add keep_blue = "15m" (how long blue is kept after the switch) to this lifecycle blue_green block.`, expr.range));
      }
    }
    return undefined;
  }
  const bake = ms.get('bake') ?? window;
  if (bake > window) {
    diagnostics.push(error('bake is longer than keep_blue', `The bake runs inside the rollback window: bake = "${formatDuration(bake)}" but keep_blue = "${formatDuration(window)}".`, options.get('bake')!.range));
    return undefined;
  }
  return { windowMs: window, bakeMs: bake, bakeIntervalMs: ms.get('bake_interval') ?? DEFAULT_BAKE_INTERVAL_MS };
}

function durationOf(name: string, expr: Expr, diagnostics: Diagnostic[]): number | null {
  const r = evaluateLiteral(expr, 'This setting must be a literal value: it is read before anything is evaluated.');
  diagnostics.push(...r.diagnostics);
  if (r.diagnostics.length) return null;
  const ms = typeof r.value === 'string' ? parseDuration(r.value) : null;
  const zeroAllowed = name === 'bake';
  if (ms === null || (ms === 0 && !zeroAllowed)) {
    diagnostics.push(error(`Invalid ${name}`, `${name} is a duration such as "30s", "15m" or "1h30m"${zeroAllowed ? ' ("0s": no bake)' : ', more than zero'}.`, expr.range));
    return null;
  }
  return ms;
}
