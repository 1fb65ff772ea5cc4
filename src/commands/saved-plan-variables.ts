/**
 * The variables `infra apply PLANFILE` applies with. A saved plan holds every non-sensitive
 * variable value it was made with, so those need not be given again; a sensitive one is only a
 * hash in the file and must be supplied again (flags, environment, variable files - or typed at
 * the terminal when infra asks for it by name). Values that are supplied are still compared with
 * the plan's by the staleness check, so a different `--var` is never silently ignored.
 */
import type { Config } from '../config/types.js';
import { type Diagnostic, DiagnosticsError, error, hasErrors } from '../diagnostics.js';
import type { Value } from '../evaluate/value.js';
import { ENV_PREFIX, resolveVariables } from '../evaluate/variables.js';
import type { Plan } from '../planner/plan.js';
import type { Io } from './io.js';
import type { ConfigOptions } from './session.js';

const missing = (name: string): string => `No value for required variable "${name}"`;

/**
 * Resolves the variables for applying `plan` (read from `planFile`): what the command line,
 * environment and variable files give, then the plan's own value for every non-sensitive
 * variable they do not give, then the sensitive ones asked for on the terminal. Throws a
 * DiagnosticsError naming each sensitive variable still without a value when there is no
 * terminal to ask on.
 */
export async function savedPlanVariables(
  config: Config,
  plan: Plan,
  planFile: string,
  opts: ConfigOptions,
  io: Io,
  warnings: Diagnostic[],
): Promise<ReadonlyMap<string, Value>> {
  const basis = plan.basis.variables;
  const vars = [...(opts.var ?? [])];
  const order = opts.variableOrder ? [...opts.variableOrder] : undefined;
  const resolve = () =>
    resolveVariables(config, { vars, varFiles: opts.varFile ?? [], ...(order ? { order } : {}), env: io.env, cwd: io.cwd, sources: io.sources });
  let r = resolve();
  const fromPlan = (d: Diagnostic): boolean => Object.keys(basis).some((name) => d.summary === missing(name));
  const unsupplied = (): string[] =>
    Object.keys(basis).filter((name) => basis[name].sha256 !== undefined && !r.value.has(name) && r.diagnostics.some((d) => d.summary === missing(name)));
  const secrets = unsupplied();
  if (secrets.length > 0 && io.ask) {
    for (const name of secrets) {
      const answer = await (io.askSecret ?? io.ask)(`var.${name} (sensitive; the value the plan was made with): `);
      vars.push(`${name}=${answer}`);
      order?.push('var');
    }
    r = resolve();
  }
  const still = unsupplied();
  if (still.length > 0) {
    throw new DiagnosticsError(
      still.map((name) =>
        error(
          `Sensitive variable "${name}" must be supplied again`,
          `${planFile} holds only a hash of it. Give it as when planning: --var ${name}=VALUE, ${ENV_PREFIX}${name}, or a variable file; on a terminal infra asks for it.`,
        ),
      ),
    );
  }
  const diags = r.diagnostics.filter((d) => !fromPlan(d));
  if (hasErrors(diags)) throw new DiagnosticsError(diags);
  warnings.push(...diags);
  const values = new Map(r.value);
  // A default stands in only for what the plan does not hold: planned with `-var version=v2`
  // over a default of v1, the plan's v2 is what applies.
  const given = resolveVariables(config, { vars, varFiles: opts.varFile ?? [], ...(order ? { order } : {}), env: io.env, cwd: io.cwd, defaults: false }).value;
  for (const [name, b] of Object.entries(basis)) {
    if (!given.has(name) && b.value !== undefined && config.variables.has(name)) values.set(name, b.value);
  }
  return values;
}
