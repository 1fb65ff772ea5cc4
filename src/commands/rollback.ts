/**
 * `infra rollback [--target ADDR]`: switch traffic back to the kept blue copies of keep_blue
 * deploys at once - no create, no provisioning - verified by the post-switch checks. Takes the
 * state lock, shows its plan, asks (unless --auto-approve), and prints progress as apply does.
 */
import { apply } from '../apply/apply.js';
import { type Diagnostic, DiagnosticsError, error } from '../diagnostics.js';
import { formatElapsed, progressPrinter } from '../render/progress.js';
import { renderRollbackText } from '../render/rollback-text.js';
import { type Io, printDiagnostics } from './io.js';
import { type ConfigOptions, type StateOptions, loadSession, loadSessionProviders, refreshAndPlan, typeInfo } from './session.js';

export interface RollbackCommandOptions extends ConfigOptions, StateOptions {
  readonly autoApprove?: boolean;
  readonly target?: string[];
  readonly refresh?: boolean;
}

export async function rollbackCommand(opts: RollbackCommandOptions, io: Io): Promise<number> {
  const warnings: Diagnostic[] = [];
  const session = await loadSession(opts, io, 'rollback', true, warnings);
  const { config, variables, store } = session;
  try {
    const loaded = await loadSessionProviders(session, io, warnings);
    const { plan, refreshed, config: planned } = await refreshAndPlan({
      config,
      source: session.source,
      variables,
      store,
      providers: loaded.providers,
      configs: loaded.configs,
      env: io.env,
      mode: 'rollback',
      targets: opts.target ?? [],
      refresh: opts.refresh ?? true,
      log: (line) => io.err(line + '\n'),
      scrubber: loaded.scrubber,
      warnings,
    });
    printDiagnostics(io, warnings);
    io.out(renderRollbackText(plan, { color: io.color }));
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
    io.out('\n');
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
        const line = print(e);
        if (line !== undefined) io.out(line + '\n');
      },
    }).finally(() => process.off('SIGINT', onSigint));
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
