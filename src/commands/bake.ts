/**
 * `infra bake [--target ADDR]... [--for DURATION] [-json]`: goes on baking the kept blue copies
 * of keep_blue deploys after an apply with a short bake. For each instance with a kept copy in
 * its window (or those --target names), its post-switch checks run every `bake_interval` until
 * the window ends (or for `--for`, at most the window), with the same rounds and lines as the
 * apply's bake step (apply/bake.ts); a failing round switches that instance back to its kept
 * copy as the apply's bake does (exit 1). Ctrl-C ends it (exit 0, blue stays kept). Takes the
 * state lock; with -json, everything as the JSON lines of `infra apply -json`.
 */
import { blockOf } from '../addrs/address.js';
import { apply, type ApplyEvent } from '../apply/apply.js';
import { type BakeOutcome, bakeDetails, bakeFailedSummary, bakeInterruptedWarning, bakeStartLine, runBake } from '../apply/bake.js';
import { DEFAULT_BAKE_INTERVAL_MS } from '../config/keep-blue.js';
import { type Diagnostic, DiagnosticsError, error, hasErrors } from '../diagnostics.js';
import { formatUtcClock, parseDuration } from '../duration.js';
import type { DeployUnit, Plan, Step } from '../planner/plan.js';
import { progressPrinter } from '../render/progress.js';
import { UiStream, uiLine, type UiMessage } from '../render/progress-json.js';
import { type Io, printDiagnostics } from './io.js';
import { type ConfigOptions, type PlanRun, type StateOptions, loadSession, loadSessionProviders, planFromFlags, typeInfo } from './session.js';

export interface BakeCommandOptions extends ConfigOptions, StateOptions {
  readonly target?: string[];
  /** `--for DURATION`: bake this long at most (never past the window's end). */
  readonly for?: string;
  readonly refresh?: boolean;
  /** `-json`: progress as JSON lines, as `infra apply -json`. */
  readonly json?: boolean;
}

export async function bakeCommand(opts: BakeCommandOptions, io: Io): Promise<number> {
  if (!opts.json) return bakeWith(opts, io, null);
  // As apply -json: everything goes out as JSON lines, errors that stop the run before it starts too.
  const first = new UiStream(null, io.cwd);
  io.out(uiLine(first.version()) + '\n');
  try {
    return await bakeWith(opts, io, (plan) => new UiStream(plan, io.cwd));
  } catch (e) {
    if (!(e instanceof DiagnosticsError)) throw e;
    for (const d of e.diagnostics) io.out(uiLine(first.diagnostic(d)) + '\n');
    return 1;
  }
}

/** The `--for` duration in ms, or undefined without one; a diagnostic for one that is not a duration. */
function forMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === null || ms === 0) throw new DiagnosticsError([error(`Invalid --for: ${JSON.stringify(text)}`, '--for is a duration such as "30s", "15m" or "1h30m", more than zero.')]);
  return ms;
}

async function bakeWith(opts: BakeCommandOptions, io: Io, jsonStream: ((plan: Plan) => UiStream) | null): Promise<number> {
  const limit = forMs(opts.for);
  const warnings: Diagnostic[] = [];
  const session = await loadSession(opts, io, 'bake', true, warnings);
  const { config, variables, store } = session;
  const emitLine = (m: UiMessage): void => io.out(uiLine(m) + '\n');
  try {
    const loaded = await loadSessionProviders(session, io, warnings);
    // The plan of a rollback names what is kept and what each kept instance's deploy unit is;
    // nothing of it is carried out but the rounds and, for a failing one, its switch back.
    let planned: PlanRun;
    try {
      planned = await planFromFlags(session, loaded, { target: opts.target, refresh: opts.refresh, rollback: true }, io, warnings);
    } catch (e) {
      if (!(e instanceof DiagnosticsError) || !e.diagnostics.some((d) => d.summary === 'Nothing to roll back')) throw e;
      return nothingToBake(io, jsonStream, warnings, 'No blue-green instance has a kept blue copy: there is nothing to bake. A deploy keeps blue only with lifecycle blue_green { keep_blue = "15m" }.');
    }
    const { plan, refreshed } = planned;
    if (refreshed !== store.state) {
      const w = await store.update(() => refreshed);
      if (w.some((d) => d.severity === 'error')) throw new DiagnosticsError(w);
    }
    const now = Date.now();
    const open = plan.units.filter((u) => Date.parse(u.rollback!.keptUntil) > now);
    if (open.length === 0) {
      const ended = plan.units.map((u) => `${u.address} (window ended ${formatUtcClock(u.rollback!.keptUntil, true)})`).join(', ');
      if (opts.target?.length) throw new DiagnosticsError([error(`No kept blue copy in its window at ${opts.target.join(', ')}`, `The rollback windows are over: ${ended}. The next apply destroys the kept copies.`)]);
      return nothingToBake(io, jsonStream, warnings, `Every rollback window is over: ${ended}. There is nothing to bake; the next apply destroys the kept copies.`);
    }
    const ui = jsonStream ? jsonStream(plan) : null;
    const print = progressPrinter({ color: io.color });
    const onEvent = (e: ApplyEvent): void => {
      if (ui) return emitLine(ui.event(e));
      const line = print(e);
      if (line !== undefined) io.out(line + '\n');
    };
    if (ui) for (const w of warnings) emitLine(ui.diagnostic(w));
    else printDiagnostics(io, warnings);
    const stop = new AbortController();
    const onSigint = (): void => stop.abort();
    process.on('SIGINT', onSigint);
    const blueGreen = (a: string): boolean => !!config.resources.find((r) => r.address === blockOf(a))?.lifecycle.blueGreen;
    const run = (p: Plan, listen?: (e: ApplyEvent) => void): ReturnType<typeof apply> =>
      apply({
        plan: p,
        config: planned.config,
        variables,
        env: io.env,
        store,
        types: (t) => typeInfo(loaded.providers)(t)!,
        providers: loaded.providers,
        providerConfigs: loaded.configs,
        stateDir: store.dir,
        parallelism: 10,
        stop: stop.signal,
        scrubber: loaded.scrubber,
        // The interrupt is this command's to report, once.
        onEvent: (e) => e.type !== 'interrupt' && (listen ?? onEvent)(e),
      });
    const results = await Promise.all(
      open.map(async (rollbackUnit) => {
        const unit = deployUnitOf(rollbackUnit);
        const keptUntil = rollbackUnit.rollback!.keptUntil;
        const endsAt = Math.min(Date.parse(keptUntil), limit === undefined ? Infinity : Date.now() + limit);
        const intervalMs = config.resources.find((r) => r.address === blockOf(unit.address))?.lifecycle.blueGreen?.keepBlue?.bakeIntervalMs ?? DEFAULT_BAKE_INTERVAL_MS;
        const step = bakeStep(unit, intervalMs, endsAt);
        const started = Date.now();
        onEvent({ type: 'start', step, rollback: false });
        const say = (message: string): void => onEvent({ type: 'bake', message, step });
        say(bakeStartLine(unit.postChecks, intervalMs, endsAt, keptUntil));
        const outcome = await runBake({ plan: { ...plan, units: [] }, store, unit, checks: unit.postChecks, intervalMs, endsAt, stop: stop.signal, say, onEvent, run, blueGreen });
        const elapsedMs = Date.now() - started;
        if (hasErrors(outcome.diagnostics)) onEvent({ type: 'failed', step, elapsedMs, diagnostics: outcome.diagnostics, rollback: false });
        else onEvent({ type: 'done', step, elapsedMs, rollback: false, details: bakeDetails(outcome.rounds) });
        return { unit, keptUntil, outcome };
      }),
    ).finally(() => process.off('SIGINT', onSigint));
    const diagnostics: Diagnostic[] = [];
    for (const r of results) {
      diagnostics.push(...r.outcome.diagnostics);
      if (r.outcome.failure) diagnostics.push(bakeFailedSummary(r.unit, r.outcome.failure, r.keptUntil, []));
    }
    const interrupted = results.filter((r) => r.outcome.interrupted);
    if (interrupted.length) {
      const until = interrupted.map((r) => r.keptUntil).sort()[0];
      diagnostics.push(bakeInterruptedWarning(interrupted.map((r) => r.unit.address), Math.min(...interrupted.map((r) => r.outcome.rounds)), until, []));
    }
    const failed = results.some((r) => hasErrors(r.outcome.diagnostics));
    // An interrupt's warning already says until when blue stays kept.
    const message = failed || interrupted.length > 0 ? undefined : closingLine(results);
    if (ui) {
      for (const d of diagnostics) emitLine(ui.diagnostic(d));
      if (message) emitLine(ui.event({ type: 'bake', message }));
    } else {
      io.out('\n');
      printDiagnostics(io, diagnostics);
      if (message) io.out(message + '\n');
    }
    return failed ? 1 : 0;
  } finally {
    const released = await store.release();
    if (jsonStream) for (const d of released) emitLine(new UiStream(null, io.cwd).diagnostic(d));
    else printDiagnostics(io, released);
  }
}

/** The line after a bake that passed: until when each blue stays kept. */
function closingLine(results: readonly { readonly unit: DeployUnit; readonly keptUntil: string; readonly outcome: BakeOutcome }[]): string {
  const now = Date.now();
  const parts = results.map((r) => `${r.unit.address} until ${formatUtcClock(r.keptUntil, true)}`);
  const over = results.filter((r) => Date.parse(r.keptUntil) <= now).map((r) => r.unit.address);
  return over.length
    ? `Bake complete. Rollback window over for ${over.join(', ')}: the next apply destroys the kept blue.${over.length < results.length ? ` Blue kept: ${parts.filter((_, i) => !over.includes(results[i].unit.address)).join(', ')}.` : ''}`
    : `Bake complete. Blue kept: ${parts.join(', ')}; infra rollback switches back to it until then.`;
}

/** Nothing is kept (in its window): the message, exit 0. */
function nothingToBake(io: Io, jsonStream: ((plan: Plan) => UiStream) | null, warnings: readonly Diagnostic[], message: string): number {
  if (jsonStream) {
    const ui = new UiStream(null, io.cwd);
    for (const w of warnings) io.out(uiLine(ui.diagnostic(w)) + '\n');
    io.out(uiLine(ui.event({ type: 'bake', message })) + '\n');
  } else {
    printDiagnostics(io, warnings);
    io.out(message + '\n');
  }
  return 0;
}

/** A rollback plan's unit turned around: the live copy as green, the kept copy as blue, as after a deploy. */
function deployUnitOf(u: DeployUnit): DeployUnit {
  return { address: u.address, provisions: u.provisions, checks: [], routes: u.routes, postChecks: u.postChecks, priorGeneration: u.plannedGeneration, plannedGeneration: u.priorGeneration };
}

/** The bake of `unit` as a step, so its lines read as the apply's bake step's. */
function bakeStep(unit: DeployUnit, intervalMs: number, endsAt: number): Step {
  return {
    id: `bake ${unit.address}`,
    kind: 'bake',
    operation: 'verify',
    address: unit.address,
    color: null,
    unit: unit.address,
    afterSwitch: false,
    after: [],
    generation: 0,
    blueGreen: false,
    bake: { durationMs: Math.max(0, endsAt - Date.now()), intervalMs, checks: unit.postChecks },
  };
}
