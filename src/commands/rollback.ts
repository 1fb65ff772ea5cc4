/**
 * `infra rollback [--target ADDR]`: switch traffic back to the kept blue copies of keep_blue
 * deploys at once - no create, no provisioning - verified by the post-switch checks. Takes the
 * state lock, shows its plan, asks (unless --auto-approve), and prints progress as apply does;
 * with -json, all of it as the JSON lines of `infra apply -json` (render/progress-json.ts).
 */
import { apply } from '../apply/apply.js';
import { type Diagnostic, DiagnosticsError, error } from '../diagnostics.js';
import { formatElapsed, progressPrinter } from '../render/progress.js';
import { renderRollbackText } from '../render/rollback-text.js';
import { UiStream, uiLine, type UiMessage } from '../render/progress-json.js';
import type { Plan } from '../planner/plan.js';
import { type Io, printDiagnostics } from './io.js';
import { type ConfigOptions, type StateOptions, loadSession, loadSessionProviders, planFromFlags, typeInfo } from './session.js';

export interface RollbackCommandOptions extends ConfigOptions, StateOptions {
  readonly autoApprove?: boolean;
  readonly target?: string[];
  readonly refresh?: boolean;
  /** `-json`: the plan and progress as JSON lines, as `infra apply -json` (needs --auto-approve). */
  readonly json?: boolean;
}

export async function rollbackCommand(opts: RollbackCommandOptions, io: Io): Promise<number> {
  if (!opts.json) return rollbackWith(opts, io, null);
  // As apply -json: everything goes out as JSON lines, errors that stop the run before it starts too.
  const first = new UiStream(null, io.cwd);
  io.out(uiLine(first.version()) + '\n');
  try {
    if (!opts.autoApprove) {
      throw new DiagnosticsError([error('-json needs -auto-approve', 'With -json there is no one to ask for "yes": add -auto-approve.')]);
    }
    return await rollbackWith(opts, io, (plan) => new UiStream(plan, io.cwd));
  } catch (e) {
    if (!(e instanceof DiagnosticsError)) throw e;
    for (const d of e.diagnostics) io.out(uiLine(first.diagnostic(d)) + '\n');
    return 1;
  }
}

async function rollbackWith(opts: RollbackCommandOptions, io: Io, jsonStream: ((plan: Plan) => UiStream) | null): Promise<number> {
  const warnings: Diagnostic[] = [];
  const session = await loadSession(opts, io, 'rollback', true, warnings);
  const { variables, store } = session;
  try {
    const loaded = await loadSessionProviders(session, io, warnings);
    const { plan, refreshed, config: planned } = await planFromFlags(session, loaded, { target: opts.target, refresh: opts.refresh, rollback: true }, io, warnings);
    const ui = jsonStream ? jsonStream(plan) : null;
    const emit = (m: UiMessage): void => io.out(uiLine(m) + '\n');
    if (ui) {
      for (const w of warnings) emit(ui.diagnostic(w));
      for (const m of ui.plannedRollbacks()) emit(m);
      emit(ui.rollbackSummary('plan'));
    } else {
      printDiagnostics(io, warnings);
      io.out(renderRollbackText(plan, { color: io.color }));
    }
    if (!opts.autoApprove) {
      if (!io.ask) {
        throw new DiagnosticsError([error('No terminal to ask for approval', 'infra rollback asks for "yes" before switching traffic. Without a terminal, run it with --auto-approve.')]);
      }
      const answer = await io.ask(`\nDo you want to switch traffic back?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: `);
      if (answer.trim() !== 'yes') {
        io.err('\nRollback cancelled.\n');
        return 1;
      }
    }
    if (refreshed !== store.state) {
      const w = await store.update(() => refreshed);
      if (w.some((d) => d.severity === 'error')) throw new DiagnosticsError(w);
    }
    if (!ui) io.out('\n');
    const stop = new AbortController();
    const onSigint = (): void => stop.abort();
    process.on('SIGINT', onSigint);
    const print = progressPrinter({ color: io.color });
    const started = Date.now();
    const result = await apply({
      plan,
      config: planned,
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
      onEvent: (e) => {
        if (ui) return emit(ui.event(e));
        const line = print(e);
        if (line !== undefined) io.out(line + '\n');
      },
    }).finally(() => process.off('SIGINT', onSigint));
    if (ui) {
      for (const d of result.diagnostics) emit(ui.diagnostic(d));
      if (!result.ok) return 1;
      emit(ui.rollbackSummary('apply'));
      emit(ui.outputs(store.state.outputs));
      return 0;
    }
    io.out('\n');
    printDiagnostics(io, result.diagnostics);
    if (!result.ok) {
      io.err(
        `Rollback failed after ${formatElapsed(Date.now() - started)}: ${result.failed.join(', ')} failed. ` +
          `Traffic was put back where it was (${result.rolledBack.map((r) => r.unit).join(', ') || 'nothing had switched'}); the kept copies stay kept. infra state list shows which copy is live.\n`,
      );
      return 1;
    }
    const live = plan.units.map((u) => `${u.address} generation ${u.plannedGeneration}`).join(', ');
    io.out(`Rollback complete after ${formatElapsed(Date.now() - started)}! Live now: ${live}.\n`);
    return 0;
  } finally {
    printDiagnostics(io, await store.release());
  }
}
