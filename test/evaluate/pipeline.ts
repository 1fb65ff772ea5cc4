/**
 * A validate-like pass for tests: load a configuration, resolve its variables, evaluate every
 * local, output and resource instance (against TEST_SCHEMA, with every resource attribute unknown,
 * as `infra validate` sees them) and collect the diagnostics. Used by the golden fixtures and the
 * fuzz test.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import type { Config, ResourceDecl } from '../../src/config/types.js';
import type { Diagnostic } from '../../src/diagnostics.js';
import { evaluateExpr, type EvalScope } from '../../src/evaluate/evaluate.js';
import { createLocals, declaredNames, localDiagnostics } from '../../src/evaluate/locals.js';
import { decodeBody, expandInstances } from '../../src/evaluate/resource.js';
import { UNKNOWN, type Value } from '../../src/evaluate/value.js';
import { resolveVariables } from '../../src/evaluate/variables.js';
import type { BodySchema } from '../../src/evaluate/resource.js';
import { formatDiagnostic } from '../../src/render/diagnostics.js';

/** The schema every resource type has in these tests. */
export const TEST_SCHEMA: BodySchema = {
  attributes: {
    name: { type: 'string', description: 'The name.', required: true },
    port: { type: 'number', description: 'A port.', optional: true, default: 53 },
    enabled: { type: 'bool', description: 'On or off.', optional: true },
    tags: { type: { map: 'string' }, description: 'Tags.', optional: true },
    addresses: { type: { list: 'string' }, description: 'Addresses.', optional: true },
    password: { type: 'string', description: 'A secret.', optional: true, sensitive: true },
    host: { type: 'any', description: 'Anything.', optional: true },
    id: { type: 'string', description: 'Set by the provider.', computed: true },
    ipv4: { type: 'string', description: 'Set by the provider.', computed: true },
  },
  blocks: {
    expect: {
      description: 'An expected answer.',
      labels: ['name', 'type'],
      attributes: { values: { type: { list: 'string' }, description: 'Values.', required: true } },
    },
    settings: {
      description: 'One settings block.',
      nesting: 'single',
      attributes: { level: { type: 'number', description: 'Level.', optional: true } },
    },
  },
};

/** Options a fixture's `vars` file gives: `--var NAME=VALUE`, `--var-file FILE`, `env NAME=VALUE` lines. */
export interface PipelineInput {
  readonly vars: string[];
  readonly varFiles: string[];
  readonly env: Record<string, string>;
}

export function readVarsFile(dir: string): PipelineInput {
  const input: PipelineInput = { vars: [], varFiles: [], env: {} };
  const path = join(dir, 'vars');
  if (!existsSync(path)) return input;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.startsWith('--var ')) input.vars.push(line.slice(6));
    else if (line.startsWith('--var-file ')) input.varFiles.push(line.slice(11));
    else if (line.startsWith('env ')) {
      const eq = line.indexOf('=');
      input.env[line.slice(4, eq)] = line.slice(eq + 1);
    }
  }
  return input;
}

function placeholder(): Value {
  const out: Record<string, Value> = {};
  for (const k of Object.keys(TEST_SCHEMA.attributes)) out[k] = UNKNOWN;
  return out;
}

/** What `TYPE.NAME` evaluates to during validation: the instance shape with every attribute unknown. */
function resourcePlaceholder(decl: ResourceDecl, scope: EvalScope, busy: Set<string>): Value {
  if (!decl.forEach && !decl.count) return placeholder();
  if (busy.has(decl.address)) return UNKNOWN;
  busy.add(decl.address);
  const r = expandInstances(decl, scope);
  busy.delete(decl.address);
  if (r.diagnostics.length > 0 || 'unknown' in r.value) return UNKNOWN;
  if (decl.count) return r.value.keys.map(() => placeholder());
  const out: Record<string, Value> = {};
  for (const k of r.value.keys) out[String(k.index)] = placeholder();
  return out;
}

/** Loads and evaluates everything; returns the config (when it loaded) and all diagnostics in order. */
export function runPipeline(
  dir: string,
  input: PipelineInput = { vars: [], varFiles: [], env: {} },
  cwd = dir,
): { config: Config | null; files: ReadonlyMap<string, string>; diagnostics: Diagnostic[] } {
  const loaded = loadConfig(relative(cwd, dir) || '.', { cwd });
  const diagnostics: Diagnostic[] = [...loaded.diagnostics];
  const config = loaded.config;
  const files = loaded.files;
  if (config === null) return { config, files, diagnostics };
  const vars = resolveVariables(config, { ...input, cwd });
  diagnostics.push(...vars.diagnostics);
  const byAddress = new Map(config.resources.map((r) => [r.address, r]));
  const busy = new Set<string>();
  const base: EvalScope = {
    configDir: config.dir,
    variables: vars.value,
    env: input.env,
    local: () => undefined,
    names: declaredNames(config),
    resource: (type, name) => {
      const decl = byAddress.get(`${type}.${name}`);
      return decl === undefined ? undefined : resourcePlaceholder(decl, scope, busy);
    },
  };
  const locals = createLocals(config, base);
  const scope: EvalScope = { ...base, local: locals };
  diagnostics.push(...localDiagnostics(config, locals));
  for (const decl of config.resources) {
    const expanded = expandInstances(decl, scope);
    diagnostics.push(...expanded.diagnostics);
    if ('unknown' in expanded.value) continue;
    for (const key of expanded.value.keys) {
      const r = decodeBody(decl.body, TEST_SCHEMA, { ...scope, each: key.each, countIndex: key.countIndex });
      diagnostics.push(...r.diagnostics);
    }
  }
  for (const output of config.outputs.values()) diagnostics.push(...evaluateExpr(output.expr, scope).diagnostics);
  return { config, files, diagnostics: unique(diagnostics) };
}

/** The same mistake seen by every instance of a block is reported once. */
function unique(diags: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diags.filter((d) => {
    const key = `${d.summary}\0${d.range?.file}:${d.range?.start.offset}:${d.range?.end.offset}\0${d.detail}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The diagnostics as `infra validate` prints them (no colour, paths relative to `cwd`). */
export function printDiagnostics(diags: readonly Diagnostic[], files: ReadonlyMap<string, string>, cwd: string, extraSources: ReadonlyMap<string, string> = new Map()): string {
  const sources = new Map([...files, ...extraSources]);
  return diags.map((d) => formatDiagnostic(d, { sources, cwd, color: false }) + '\n').join('');
}
