/**
 * `infra plan`: refresh, plan, render; optionally save the plan for `infra apply FILE`.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Diagnostic, DiagnosticsError, error } from '../diagnostics.js';
import type { Plan } from '../planner/plan.js';
import { planHasChanges } from '../planner/plan.js';
import { encodePlanFile } from '../planner/planfile.js';
import { summarizeConfiguration } from '../planner/plan-configuration.js';
import { renderPlanJson } from '../render/plan-json.js';
import { renderPlanMarkdown } from '../render/plan-markdown.js';
import { renderPlanText } from '../render/plan-text.js';
import type { Io } from './io.js';
import { printDiagnostics } from './io.js';
import { type ConfigOptions, type PlanFlags, type StateOptions, loadSession, loadSessionProviders, planFromFlags } from './session.js';

export type PlanFormat = 'text' | 'json' | 'markdown';

export interface PlanOptions extends ConfigOptions, StateOptions, PlanFlags {
  readonly out?: string;
  readonly detailedExitcode?: boolean;
  readonly format?: string;
  readonly json?: boolean;
  /** false (`-lock=false`): read the state without taking its lock. */
  readonly lock?: boolean;
}

/** `--format`, with `--json` as its short form. */
export function planFormat(opts: { format?: string; json?: boolean }): PlanFormat {
  if (opts.json) return 'json';
  const f = opts.format ?? 'text';
  if (f !== 'text' && f !== 'json' && f !== 'markdown') {
    throw new DiagnosticsError([error(`Invalid value for --format: "${f}"`, 'Use text, json or markdown.')]);
  }
  return f;
}

/** Renders a plan in the chosen format. */
export function renderPlan(plan: Plan, format: PlanFormat, io: Io, planFile?: string): string {
  if (format === 'json') return renderPlanJson(plan) + '\n';
  if (format === 'markdown') return renderPlanMarkdown(plan, planFile ? { showCommand: `infra show ${planFile}` } : {});
  return renderPlanText(plan, { color: io.color });
}

export async function planCommand(opts: PlanOptions, io: Io): Promise<number> {
  const format = planFormat(opts);
  const warnings: Diagnostic[] = [];
  const session = await loadSession(opts, io, 'plan', opts.lock !== false, warnings);
  const { store } = session;
  try {
    const loaded = await loadSessionProviders(session, io, warnings);
    const computed = (await planFromFlags(session, loaded, opts, io, warnings)).plan;
    // Kept in the saved plan, so `infra show PLANFILE -json` prints what this run prints.
    const plan: Plan = { ...computed, createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), configuration: summarizeConfiguration(session.config) };
    printDiagnostics(io, [...warnings, ...plan.warnings.filter((w) => !warnings.includes(w))]);
    io.out(renderPlan(plan, format, io, opts.out));
    if (opts.out) {
      const file = resolve(io.cwd, opts.out);
      try {
        writeFileSync(file, encodePlanFile(plan), { mode: 0o600 });
      } catch (e) {
        throw new DiagnosticsError([error(`Cannot save the plan to ${opts.out}`, (e as Error).message)]);
      }
      if (format === 'text') io.out(`\nSaved the plan to ${opts.out}. To carry out exactly this plan, run:\n  infra apply ${opts.out}\n`);
    }
    if (opts.detailedExitcode) return planHasChanges(plan) ? 2 : 0;
    return 0;
  } finally {
    await store.release();
  }
}
