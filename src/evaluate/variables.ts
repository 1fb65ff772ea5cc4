/**
 * Input variables: each declared variable's value from its sources, later ones winning, in
 * Terraform's order: default < INFRA_VAR_name < infra.vars < infra.vars.json < *.auto.vars and
 * *.auto.vars.json (by name) < --var and --var-file (in command-line order). The value is
 * converted to the declared type; a sensitive variable's value is marked sensitive. Every
 * message about a value says where it came from, and never shows a sensitive value.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { FileTooLargeError, readTextFileBounded } from '../config/read-text.js';
import type { Config, VariableDecl } from '../config/types.js';
import { type Diagnostic, type Result, type SourceRange, didYouMean, error, warning } from '../diagnostics.js';
import { parseExpression, parseFile } from '../parser/index.js';
import { checkRule, rangeText } from './conditions.js';
import { ConversionError, convert } from './convert.js';
import { type EvalScope, evaluateLiteral } from './evaluate.js';
import { createLocals, declaredNames } from './locals.js';
import { referencesOf } from './references.js';
import { MAX_JSON_DEPTH, jsonDepthExceeds } from './functions.js';
import { UNKNOWN, sensitive, type Value } from './value.js';
import { parseJson } from './json-text.js';

/** Where variable values come from, besides the defaults. */
export interface VariableInput {
  /** `name=value` strings from `--var`, in command-line order. */
  readonly vars: readonly string[];
  /** `--var-file` paths (relative to `cwd`), in order: `.json` files or `name = expr` files. */
  readonly varFiles: readonly string[];
  /**
   * The command-line order of `vars` and `varFiles`, one entry per flag (`['varFile', 'var']`
   * for `--var-file F --var a=1`), so that the later one wins as in Terraform. Absent: every
   * `varFiles` entry first, then every `vars` entry.
   */
  readonly order?: readonly ('var' | 'varFile')[];
  /** The process environment: `INFRA_VAR_name` sets `name`. */
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /**
   * false: declared defaults are not used, so a variable given no value is missing (a saved
   * plan's own values take their place: src/commands/saved-plan-variables.ts).
   */
  readonly defaults?: boolean;
  /** false: do not read `infra.vars` and `*.auto.vars` from the configuration directory. */
  readonly autoVarFiles?: boolean;
  /** Each variable file read is added here (shown path -> text), for excerpts in diagnostics. */
  readonly sources?: Map<string, string>;
  /** false: do not run `validation` rules (`infra validate`, like `terraform validate`, checks the configuration, not its inputs). */
  readonly validations?: boolean;
}

/** Prefix of environment variables that set input variables. */
export const ENV_PREFIX = 'INFRA_VAR_';

/** The variable file read from the configuration directory when it exists (also `.json`). */
export const DEFAULT_VAR_FILE = 'infra.vars';
/** Variable files read from the configuration directory, by name, after `infra.vars`. */
export const AUTO_VAR_FILE_SUFFIXES = ['.auto.vars', '.auto.vars.json'] as const;

/**
 * The variable files of `dir` read without being named, in the order they are read:
 * `infra.vars`, `infra.vars.json`, then every `*.auto.vars` and `*.auto.vars.json` sorted by name.
 */
export function automaticVarFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const isFile = (n: string): boolean => {
    try {
      return statSync(join(dir, n)).isFile();
    } catch {
      return false;
    }
  };
  const defaults = [DEFAULT_VAR_FILE, `${DEFAULT_VAR_FILE}.json`].filter((n) => names.includes(n) && isFile(n));
  const auto = names.filter((n) => AUTO_VAR_FILE_SUFFIXES.some((s) => n.endsWith(s) && n.length > s.length) && isFile(n)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return [...defaults, ...auto].map((n) => join(dir, n));
}

const LITERAL_DEFAULT = "A variable's default must be a literal value: it cannot refer to variables, locals or resources, or read files or the environment.";
const LITERAL_VALUE = 'A variable value must be a literal: it cannot refer to variables, locals or resources, or read files or the environment.';

interface Supplied {
  readonly value: Value;
  /** `--var "serial=abc"`, `vars.infra:3`, `INFRA_VAR_serial`, `the default`. */
  readonly source: string;
  readonly range?: SourceRange;
}

/**
 * Resolves every declared variable. On errors the map still holds every variable that resolved
 * (the others are absent); check the diagnostics.
 */
export function resolveVariables(config: Config, input: VariableInput): Result<ReadonlyMap<string, Value>> {
  const diags: Diagnostic[] = [];
  const supplied = new Map<string, Supplied>();
  // Variables whose value was given but unusable: already reported, not "missing" too.
  const failed = new Set<string>();
  const decls = config.variables;
  const defaults = new Map<string, Supplied>();

  for (const decl of decls.values()) {
    if (decl.default === undefined || input.defaults === false) continue;
    const r = evaluateLiteral(decl.default, LITERAL_DEFAULT);
    for (const d of r.diagnostics) diags.push(d);
    const range = decl.default.range;
    const checked = r.diagnostics.length > 0 ? null : convert(r.value, decl.type);
    if (checked instanceof ConversionError) diags.push(error(`Invalid default for variable "${decl.name}"`, `${capitalize(checked.message)}.`, range));
    if (r.diagnostics.length > 0 || checked instanceof ConversionError) {
      failed.add(decl.name);
      continue;
    }
    const fromDefault = { value: r.value, source: `the default at ${range.file}:${range.start.line}`, range };
    supplied.set(decl.name, fromDefault);
    defaults.set(decl.name, fromDefault);
  }

  for (const decl of decls.values()) {
    const text = input.env[ENV_PREFIX + decl.name];
    if (text === undefined) continue;
    const v = fromText(decl, text, `${ENV_PREFIX}${decl.name}`, diags);
    if (v !== undefined) supplied.set(decl.name, v);
    else failed.add(decl.name);
  }

  if (input.autoVarFiles !== false) {
    for (const file of automaticVarFiles(config.dir)) readVarFile(file, input, decls, supplied, failed, diags, true);
  }

  const order = input.order ?? [...input.varFiles.map(() => 'varFile' as const), ...input.vars.map(() => 'var' as const)];
  let nextVar = 0;
  let nextFile = 0;
  for (const kind of order) {
    if (kind === 'varFile') {
      const file = input.varFiles[nextFile++];
      if (file !== undefined) readVarFile(file, input, decls, supplied, failed, diags, false);
      continue;
    }
    const arg = input.vars[nextVar++];
    if (arg === undefined) continue;
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    if (eq < 0 || name.trim() === '') {
      diags.push(error(`Invalid --var ${JSON.stringify(arg)}`, 'Write it as --var NAME=VALUE.'));
      continue;
    }
    const decl = decls.get(name.trim());
    if (decl === undefined) {
      diags.push(undeclared(name.trim(), `--var "${name.trim()}=..."`, decls));
      continue;
    }
    const text = arg.slice(eq + 1);
    const source = decl.sensitive ? `--var "${decl.name}=(sensitive value)"` : `--var ${JSON.stringify(arg)}`;
    const v = fromText(decl, text, source, diags);
    if (v !== undefined) supplied.set(decl.name, v);
    else failed.add(decl.name);
  }

  const values = new Map<string, Value>();
  // Where each value was written, for messages about it; undefined for a default or a flag.
  const where = new Map<string, SourceRange | undefined>();
  for (const decl of decls.values()) {
    let s = supplied.get(decl.name);
    if (s !== undefined && s.value === null && decl.nullable === false) {
      const fallback = defaults.get(decl.name);
      // A null default with nullable = false is already a configuration error.
      if (fallback === s) continue;
      if (fallback === undefined || fallback.value === null) {
        const declared = decl.headerRange ?? decl.range;
        diags.push(
          error(
            'Required variable not set',
            `The given value is not suitable for var.${decl.name} defined at ${rangeText(declared)}: required variable may not be set to null.`,
            s.range ?? declared,
          ),
        );
        continue;
      }
      s = fallback;
    }
    if (s === undefined) {
      if (!failed.has(decl.name)) {
        diags.push(
          error(
            `No value for required variable "${decl.name}"`,
            `Set it with --var ${decl.name}=VALUE, in ${DEFAULT_VAR_FILE} or a --var-file, or in the environment variable ${ENV_PREFIX}${decl.name}; or give it a default.`,
            decl.range,
          ),
        );
      }
      continue;
    }
    const v = convert(s.value, decl.type);
    if (v instanceof ConversionError) {
      diags.push(error(`Invalid value for variable "${decl.name}"`, `${s.source}: ${v.message}.`, s.range));
      continue;
    }
    values.set(decl.name, decl.sensitive ? sensitive(v) : v);
    where.set(decl.name, s === defaults.get(decl.name) ? undefined : s.range);
  }
  if (input.validations !== false) for (const d of validate(config, values, where, input.env)) diags.push(d);
  return { value: values, diagnostics: diags };
}

/**
 * Runs every variable's `validation` rules over the resolved values. As in Terraform 1.11 a rule
 * may also read other variables and locals; resources are not known yet, so a rule that needs
 * them is unknown here and not checked (`checkResourceValidations` checks it at plan and apply). A rule that reads a variable without a value, or a local
 * with an error (reported where the local is used), is skipped.
 */
function validate(config: Config, values: ReadonlyMap<string, Value>, where: ReadonlyMap<string, SourceRange | undefined>, env: NodeJS.ProcessEnv): Diagnostic[] {
  const diags: Diagnostic[] = [];
  const decls = [...config.variables.values()].filter((d) => d.validations && values.has(d.name));
  if (decls.length === 0) return diags;
  const base: EvalScope = {
    configDir: config.dir,
    variables: values,
    env,
    local: () => undefined,
    // Data sources come as type `data.TYPE`; both are read at plan or apply, so unknown here.
    resource: (type, name) => ([...config.resources, ...(config.dataSources ?? [])].some((r) => r.address === `${type}.${name}`) ? UNKNOWN : undefined),
    names: declaredNames(config),
  };
  const scope: EvalScope = { ...base, local: createLocals(config, base) };
  for (const decl of decls) {
    for (const rule of decl.validations!) {
      const refs = referencesOf(rule.condition);
      if (refs.some((r) => r.kind === 'var' && !values.has(r.name))) continue;
      const outcome = checkRule(rule, scope, 'Invalid variable validation result');
      if (outcome.kind === 'invalid') {
        if (!refs.some((r) => r.kind === 'local')) for (const d of outcome.diagnostics) diags.push(d);
        continue;
      }
      if (outcome.kind !== 'failed') continue;
      diags.push(
        error(
          'Invalid value for variable',
          `${outcome.message}\n\nThis was checked by the validation rule at ${rangeText(rule.range)}.`,
          where.get(decl.name) ?? decl.headerRange ?? decl.range,
        ),
      );
    }
  }
  return diags;
}

/**
 * The root variables' `validation` rules that read resources or data sources, which variable
 * resolution leaves unchecked (they are unknown then), checked over `scope`: the planned values
 * at plan (a rule still unknown is left for apply, as Terraform 1.11 does), the applied ones at
 * apply. A failed rule is `Invalid value for variable` at the variable's block, as in Terraform;
 * each diagnostic comes with the name of the variable whose rule made it.
 */
export function checkResourceValidations(config: Config, scope: EvalScope): { readonly variable: string; readonly diagnostic: Diagnostic }[] {
  const diags: { variable: string; diagnostic: Diagnostic }[] = [];
  for (const decl of config.variables.values()) {
    for (const rule of decl.validations ?? []) {
      if (!referencesOf(rule.condition).some((r) => r.kind === 'resource')) continue;
      const outcome = checkRule(rule, scope, 'Invalid variable validation result');
      if (outcome.kind === 'invalid') for (const diagnostic of outcome.diagnostics) diags.push({ variable: decl.name, diagnostic });
      if (outcome.kind !== 'failed') continue;
      diags.push({
        variable: decl.name,
        diagnostic: error(
          'Invalid value for variable',
          `${outcome.message}\n\nThis was checked by the validation rule at ${rangeText(rule.range)}.`,
          decl.headerRange ?? decl.range,
        ),
      });
    }
  }
  return diags;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** An error; a warning (`automatic`) for a file read without being named, which may serve other configurations too. */
function undeclared(name: string, source: string, decls: ReadonlyMap<string, VariableDecl>, range?: SourceRange, automatic = false): Diagnostic {
  const why = `${source}: ${didYouMean(name, decls.keys()) ?? `the configuration declares no variable "${name}"; declare it with variable "${name}" { ... }.`}`;
  if (automatic) return warning(`Value for undeclared variable "${name}"`, `${why} Files loaded automatically may set variables this configuration does not use; it is ignored.`, range);
  return error(`Value for undeclared variable "${name}"`, why, range);
}

/**
 * A value written as text (`--var`, environment): taken as is for string (and unconstrained)
 * variables and converted for number and bool; parsed as an expression for collections.
 */
function fromText(decl: VariableDecl, text: string, source: string, diags: Diagnostic[]): Supplied | undefined {
  const t = decl.type;
  if (typeof t === 'string') return { value: text, source };
  const parsed = parseExpression(text, source);
  if (parsed.expr === null || parsed.diagnostics.length > 0) {
    const d = parsed.diagnostics[0];
    const why = d && !decl.sensitive ? `${d.summary}${d.range ? ` (column ${d.range.start.column})` : ''}` : 'not a valid expression';
    diags.push(error(`Invalid value for variable "${decl.name}"`, `${source}: ${why}.`));
    return undefined;
  }
  const r = evaluateLiteral(parsed.expr, LITERAL_VALUE);
  if (r.diagnostics.length > 0) {
    const d = r.diagnostics[0];
    diags.push(error(`Invalid value for variable "${decl.name}"`, `${source}: ${d.summary}. ${d.detail ?? ''}`.trim()));
    return undefined;
  }
  return { value: r.value, source };
}

function readVarFile(
  file: string,
  input: VariableInput,
  decls: ReadonlyMap<string, VariableDecl>,
  supplied: Map<string, Supplied>,
  failed: Set<string>,
  diags: Diagnostic[],
  automatic: boolean,
): void {
  const cwd = input.cwd;
  const abs = resolve(cwd, file);
  const shown = relative(cwd, abs) || file;
  let source: string;
  try {
    source = readTextFileBounded(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = e instanceof FileTooLargeError ? `It is ${e.message}; variable files are read whole.` : code === 'ENOENT' ? 'No such file.' : (code ?? String(e));
    diags.push(error(`Cannot read variable file "${file}"`, why));
    return;
  }
  input.sources?.set(shown, source);
  if (abs.endsWith('.json')) {
    let data: unknown;
    try {
      data = parseJson(source);
    } catch (e) {
      diags.push(error(`Invalid JSON in variable file "${shown}"`, (e as Error).message));
      return;
    }
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      diags.push(error(`Invalid variable file "${shown}"`, 'A JSON variable file holds one object: { "NAME": VALUE, ... }.'));
      return;
    }
    if (jsonDepthExceeds(data, MAX_JSON_DEPTH)) {
      diags.push(error(`Invalid variable file "${shown}"`, `Values may nest at most ${MAX_JSON_DEPTH} levels deep.`));
      return;
    }
    for (const [name, value] of Object.entries(data as Record<string, Value>)) {
      const where = `${shown} (key ${JSON.stringify(name)})`;
      if (!decls.has(name)) {
        diags.push(undeclared(name, where, decls, undefined, automatic));
        continue;
      }
      supplied.set(name, { value, source: where });
    }
    return;
  }
  const parsed = parseFile(shown, source);
  for (const d of parsed.diagnostics) diags.push(d);
  if (parsed.diagnostics.some((d) => d.severity === 'error')) return;
  for (const item of parsed.file.body.items) {
    if (item.kind === 'Block') {
      diags.push(error(`Unexpected block "${item.type}" in variable file`, 'A variable file holds only NAME = VALUE lines.', item.typeRange));
      continue;
    }
    if (!decls.has(item.name)) {
      diags.push(undeclared(item.name, `${shown}:${item.range.start.line}`, decls, item.nameRange, automatic));
      continue;
    }
    const r = evaluateLiteral(item.expr, LITERAL_VALUE);
    for (const d of r.diagnostics) diags.push(d);
    if (r.diagnostics.length > 0) {
      failed.add(item.name);
      continue;
    }
    supplied.set(item.name, { value: r.value, source: `${shown}:${item.range.start.line}`, range: item.expr.range });
  }
}
