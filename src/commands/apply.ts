/**
 * `infra apply [PLANFILE]` and `infra destroy`: plan (or read a saved plan), show it, ask, carry
 * it out with progress, and report what failed and what was rolled back.
 */
import { apply, type ApplyResult } from '../apply/apply.js';
import { parseParallelism } from '../cli-args.js';
import type { Config } from '../config/types.js';
import { type Diagnostic, DiagnosticsError, error } from '../diagnostics.js';
import type { Value } from '../evaluate/value.js';
import { toJson } from '../evaluate/value.js';
import type { Plan } from '../planner/plan.js';
import { planHasChanges } from '../planner/plan.js';
import { hashSensitive } from '../state/sensitive.js';
import type { StateStore } from '../state/store.js';
import { progressPrinter, formatElapsed } from '../render/progress.js';
import { renderPlanText } from '../render/plan-text.js';
import { renderValue } from '../render/value.js';
import { withSetMarks } from '../evaluate/type-json.js';
import { UiStream, uiLine, type UiMessage } from '../render/progress-json.js';
import { type Io, printDiagnostics } from './io.js';
import { savedPlanVariables } from './saved-plan-variables.js';
import { flattenModules } from '../evaluate/modules.js';
import { type ConfigOptions, type PlanFlags, type StateOptions, loadSession, loadSessionProviders, planFromFlags, readSavedPlan, typeInfo } from './session.js';
import { stringifyJson } from '../evaluate/json-text.js';

/** How long a second interrupt waits for providers to give up and apply to record what they have. */
const HARD_STOP_MS = 5000;

/** `destroy` is set by `infra destroy`. */
export interface ApplyCommandOptions extends ConfigOptions, StateOptions, PlanFlags {
  readonly autoApprove?: boolean;
  /** `-json`: progress as JSON lines (render/progress-json.ts) instead of text. */
  readonly json?: boolean;
}

function parallelism(text: string | undefined): number {
  const p = parseParallelism(text);
  if ('diagnostic' in p) throw new DiagnosticsError([p.diagnostic]);
  return p.value;
}

/** A saved plan applies only to the configuration, state and inputs it was made from. */
function checkStale(plan: Plan, config: Config, store: StateStore, variables: ReadonlyMap<string, Value>, file: string): void {
  const why: string[] = [];
  if (plan.basis.configHash !== config.hash) why.push('the configuration files changed');
  const s = store.state;
  if (plan.basis.stateSerial !== s.serial || (plan.basis.stateLineage ?? '') !== (s.lineage ?? '')) {
    why.push(`the state changed (serial ${plan.basis.stateSerial} when planned, ${s.serial} now${plan.basis.stateLineage !== (s.lineage || null) ? '; a different lineage' : ''})`);
  }
  for (const [name, v] of variables) {
    const b = plan.basis.variables[name];
    if (!b) continue;
    const now = toJson(v);
    if (b.sha256 !== undefined ? b.sha256 !== hashSensitive(now) : stringifyJson(b.value) !== stringifyJson(now)) {
      why.push(`variable "${name}" has a different value${b.sha256 ? ' (sensitive values must be supplied again, unchanged)' : ''}`);
    }
  }
  if (why.length) {
    throw new DiagnosticsError([error('Saved plan is stale', `${file} was made when things were different: ${why.join('; ')}.\nPlan again: infra plan --out ${file}`)]);
  }
}

export async function applyCommand(planFile: string | undefined, opts: ApplyCommandOptions, io: Io): Promise<number> {
  if (!opts.json) return applyWith(planFile, opts, io, null);
  // Everything goes out as JSON lines, errors that stop the run before it starts too.
  const first = new UiStream(null, io.cwd);
  io.out(uiLine(first.version()) + '\n');
  try {
    if (!planFile && !opts.autoApprove) {
      throw new DiagnosticsError([error('-json needs -auto-approve or a saved plan', 'With -json there is no one to ask for "yes": add -auto-approve, or apply a plan saved with infra plan -out FILE.')]);
    }
    return await applyWith(planFile, opts, io, (plan) => new UiStream(plan, io.cwd));
  } catch (e) {
    if (!(e instanceof DiagnosticsError)) throw e;
    for (const d of e.diagnostics) io.out(uiLine(first.diagnostic(d)) + '\n');
    return 1;
  }
}

async function applyWith(planFile: string | undefined, opts: ApplyCommandOptions, io: Io, jsonStream: ((plan: Plan) => UiStream) | null): Promise<number> {
  const warnings: Diagnostic[] = [];
  const n = parallelism(opts.parallelism);
  const saved: Plan | null = planFile ? readSavedPlan(planFile, io.cwd) : null;
  const session = await loadSession(opts, io, opts.destroy ? 'destroy' : 'apply', true, warnings, (config) =>
    saved ? savedPlanVariables(config, saved, planFile!, opts, io, warnings) : undefined,
  );
  const { config, variables, store } = session;
  try {
    if (saved) checkStale(saved, config, store, variables, planFile!);
    // Module calls decided from resources' values when planning are flattened as the saved plan decided them.
    const savedConfig = saved && [...(config.moduleCalls?.values() ?? [])].some((c) => c.unknown) ? flattenModules(session.source, variables, io.env, { decided: saved.moduleInstances ?? [] }) : null;
    if (savedConfig) check(savedConfig.diagnostics);
    const loaded = await loadSessionProviders(session, io, warnings);
    const { providers, configs, scrubber } = loaded;
    const planned = saved ? null : await planFromFlags(session, loaded, opts, io, warnings);
    const plan = saved ?? planned!.plan;
    const ui = jsonStream ? jsonStream(plan) : null;
    const emit = (m: UiMessage): void => io.out(uiLine(m) + '\n');
    if (ui) {
      for (const w of warnings) emit(ui.diagnostic(w));
      for (const m of ui.plannedChanges()) emit(m);
      emit(ui.changeSummary('plan'));
    } else {
      printDiagnostics(io, warnings);
      if (!saved) io.out(renderPlanText(plan, { color: io.color }));
    }
    const acceptDrift = !!opts.refreshOnly && !saved && plan.drift.length > 0;
    if (!planHasChanges(plan) && !acceptDrift) return 0;
    if (!saved && !opts.autoApprove) {
      if (!io.ask) {
        throw new DiagnosticsError([
          error('No terminal to ask for approval', `${opts.destroy ? 'infra destroy' : 'infra apply'} asks for "yes" before changing anything. Without a terminal, run it with --auto-approve, or save a plan (infra plan --out FILE) and apply that.`),
        ]);
      }
      const answer = await io.ask(`\nDo you want to perform these actions?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: `);
      if (answer.trim() !== 'yes') {
        io.err(`\n${opts.destroy ? 'Destroy' : 'Apply'} cancelled.\n`);
        return 1;
      }
    }
    if (opts.refreshOnly) {
      // Nothing to carry out: writing the refreshed state is the whole apply.
      check(await store.update(() => planned!.refreshed));
      if (ui) emit(ui.changeSummary('apply'));
      else io.out('\nApply complete! The refreshed state was written; nothing was changed.\n');
      return 0;
    }
    // What refresh found is what apply starts from (objects deleted outside are gone from it);
    // the write also gives a new state the lineage providers use to keep its objects apart.
    if (planned && planned.refreshed !== store.state) check(await store.update(() => planned.refreshed));
    else if (!store.state.lineage) check(await store.update((s) => s));
    if (!ui) io.out('\n');
    const stop = new AbortController();
    const kill = new AbortController();
    const print = progressPrinter({ color: io.color });
    let hardExit: NodeJS.Timeout | undefined;
    const onSigint = (): void => {
      if (!stop.signal.aborted) stop.abort();
      else if (!kill.signal.aborted) {
        kill.abort();
        io.err('Interrupted again: saving state and stopping now.\n');
        // Providers give up at once and return what they already have (a Linode id the API
        // answered with), which apply records; only a provider that does not answer in time is
        // left to the next refresh, which finds the object by its intent.
        hardExit = setTimeout(() => void store.release().finally(() => process.exit(130)), HARD_STOP_MS);
        hardExit.unref();
      }
    };
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigint);
    const started = Date.now();
    let result: ApplyResult;
    try {
      result = await apply({
        plan,
        config: planned?.config ?? savedConfig?.value ?? config,
        variables,
        env: io.env,
        store,
        types: (t) => typeInfo(providers)(t)!,
        providers,
        providerConfigs: configs,
        stateDir: store.dir,
        parallelism: n,
        stop: stop.signal,
        kill: kill.signal,
        scrubber,
        onEvent: (e) => {
          if (ui) return emit(ui.event(e));
          const line = print(e);
          if (line !== undefined) io.out(line + '\n');
        },
      });
    } finally {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
      clearTimeout(hardExit);
    }
    if (ui) {
      for (const d of result.diagnostics) emit(ui.diagnostic(d));
      if (result.ok) {
        emit(ui.changeSummary(opts.destroy ? 'destroy' : 'apply'));
        if (!opts.destroy) emit(ui.outputs(store.state.outputs));
      }
      return result.ok ? 0 : kill.signal.aborted ? 130 : 1;
    }
    io.out('\n');
    printDiagnostics(io, result.diagnostics);
    if (result.rolledBack.length) {
      io.err(`Rolled back: ${result.rolledBack.map((r) => `${r.unit} (${r.reason})`).join('; ')}. Blue kept serving.\n`);
    }
    if (!result.ok) {
      io.err(
        result.interrupted
          ? `Apply interrupted after ${formatElapsed(Date.now() - started)}: ${result.completed.length} steps done; state saved. Run apply again to continue.\n`
          : `Apply failed after ${formatElapsed(Date.now() - started)}: ${result.failed.join(', ')} failed; ${result.completed.length} of ${plan.steps.length} steps done.\n`,
      );
      return kill.signal.aborted ? 130 : 1;
    }
    const s = plan.summary;
    io.out(
      opts.destroy
        ? `Destroy complete! Resources: ${s.destroy} destroyed.\n`
        : `Apply complete! Resources: ${plan.imports?.length ? `${plan.imports.length} imported, ` : ''}${s.add} added, ${s.change} changed, ${s.destroy} destroyed; ${s.blueGreen} blue-green deploy${s.blueGreen === 1 ? '' : 's'}.\n`,
    );
    // By name, as the state file and Terraform's apply list them.
    const outputs = Object.entries(store.state.outputs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (outputs.length && !opts.destroy) {
      io.out('\nOutputs:\n\n');
      // The same rendering as `infra output`, as Terraform's apply lists outputs as `terraform output` does.
      for (const [name, o] of outputs) io.out(`${name} = ${o.sensitive ? '(sensitive value)' : renderValue(withSetMarks(o.value, o.type), '')}\n`);
    }
    return 0;
  } finally {
    // Warnings about the lock, or the emergency file holding what the backend did not take.
    printDiagnostics(io, await store.release());
  }
}

function check(d: readonly Diagnostic[]): void {
  if (d.some((x) => x.severity === 'error')) throw new DiagnosticsError(d);
}
