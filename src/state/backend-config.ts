/**
 * Where a command's state is, decided from the configuration's `infra` block, the flags and the
 * environment: the backend (`local` by default, or `pg`), the workspace, and the encryption
 * keys. The `infra` block's bodies are decoded here against their schemas (unknown arguments
 * with "did you mean", wrong types, missing settings) with only `env()` and literals in scope:
 * the state is found before any variable is resolved.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config, InfraSettings } from '../config/types.js';
import { didYouMean, error, hasErrors, type Diagnostic } from '../diagnostics.js';
import type { EvalScope } from '../evaluate/evaluate.js';
import { decodeBody, type BodySchema } from '../evaluate/resource.js';
import { toJson } from '../evaluate/value.js';
import { STATE_KEY_ENV, STATE_OLD_KEY_ENV, type StateKeys } from './encryption.js';
import { DEFAULT_STATE_FILE } from './types.js';

/** The environment variable the pg backend reads its connection string from, as Terraform's does. */
export const PG_CONN_STR_ENV = 'PG_CONN_STR';
/** Selects the workspace for one command, over the one `infra workspace select` chose. */
export const WORKSPACE_ENV = 'INFRA_WORKSPACE';
/** The workspace every state starts in; it cannot be deleted. */
export const DEFAULT_WORKSPACE = 'default';
/** The pg backend's schema when `schema_name` is not set. */
export const DEFAULT_PG_SCHEMA = 'infra';
/** Where the local backend keeps the states of workspaces other than `default`, in the configuration directory. */
export const LOCAL_WORKSPACES_DIR = 'infra.state.d';

const WORKSPACE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,62}$/;
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const BACKEND_TYPES = ['local', 'pg'];

/** The backends' and encryption's settings, as the `infra` block's bodies are decoded against. */
export const BACKEND_SCHEMAS: Readonly<Record<string, BodySchema>> = {
  local: {
    attributes: {
      path: { type: 'string', description: 'the state file, relative to the configuration directory', optional: true },
    },
  },
  pg: {
    attributes: {
      conn_str: { type: 'string', description: `a PostgreSQL connection string (default: ${PG_CONN_STR_ENV})`, optional: true, sensitive: true },
      schema_name: { type: 'string', description: 'the schema holding the state tables; created when missing', optional: true, default: DEFAULT_PG_SCHEMA },
    },
  },
};

export const ENCRYPTION_SCHEMA: BodySchema = {
  attributes: {
    key: { type: 'string', description: `the key: 64 hex digits, or a passphrase (default: ${STATE_KEY_ENV})`, optional: true, sensitive: true },
    old_key: { type: 'string', description: `the previous key, still accepted for reading while rotating (default: ${STATE_OLD_KEY_ENV})`, optional: true, sensitive: true },
  },
};

/** Where the state is. */
export type BackendSpec =
  | { readonly kind: 'local'; readonly path: string }
  | { readonly kind: 'pg'; readonly connStr: string; readonly schema: string; readonly configDir: string };

/** Everything a command needs to open its state. */
export interface StateSettings {
  readonly backend: BackendSpec;
  readonly workspace: string;
  readonly keys: StateKeys;
  /** The configuration directory (or where it would be): where workspace choice and emergency files go. */
  readonly configDir: string;
}

/** What decides where the state is, besides the configuration. */
export interface StateFlags {
  /** `--state PATH`: a local file, whatever the configuration says. */
  readonly state?: string;
}

/** The file that remembers the workspace `infra workspace select` chose. */
export function workspaceFile(configDir: string): string {
  return join(configDir, '.infra', 'workspace');
}

/** A workspace name's problem, or undefined when it is a valid name. */
export function checkWorkspaceName(name: string): string | undefined {
  if (WORKSPACE_NAME.test(name)) return undefined;
  return `"${name}" is not a valid workspace name: use up to 63 letters, digits, "_" and "-", not starting with "-".`;
}

/** The selected workspace: INFRA_WORKSPACE, else the one `infra workspace select` recorded, else `default`. */
export function selectedWorkspace(configDir: string, env: NodeJS.ProcessEnv): { workspace: string; diagnostics: readonly Diagnostic[] } {
  let name = env[WORKSPACE_ENV];
  let source = WORKSPACE_ENV;
  if (name === undefined || name === '') {
    try {
      name = readFileSync(workspaceFile(configDir), 'utf8').trim();
      source = workspaceFile(configDir);
    } catch {
      name = DEFAULT_WORKSPACE;
    }
  }
  const problem = checkWorkspaceName(name);
  if (problem) return { workspace: DEFAULT_WORKSPACE, diagnostics: [error('Invalid workspace', `${problem} (from ${source})`)] };
  return { workspace: name, diagnostics: [] };
}

/** The local backend's file for `workspace`: the default one, or infra.state.d/NAME/infra.state.json. */
export function localStatePath(configDir: string, workspace: string, file = DEFAULT_STATE_FILE): string {
  return workspace === DEFAULT_WORKSPACE ? resolve(configDir, file) : join(configDir, LOCAL_WORKSPACES_DIR, workspace, DEFAULT_STATE_FILE);
}

/**
 * Checks the names in the `infra` block's bodies (backend type, arguments) without evaluating
 * anything, for `infra validate`, which reads no environment and touches no state.
 */
export function checkSettingsNames(settings: InfraSettings | undefined): readonly Diagnostic[] {
  if (!settings) return [];
  const diags: Diagnostic[] = [];
  const names = (body: NonNullable<InfraSettings['encryption']>['body'], schema: BodySchema, where: string): void => {
    const allowed = Object.keys(schema.attributes);
    for (const item of body.items) {
      const name = item.kind === 'Attribute' ? item.name : item.type;
      if (item.kind === 'Attribute' && allowed.includes(name)) continue;
      diags.push(
        error(
          item.kind === 'Attribute' ? `Unsupported argument "${name}" in ${where}` : `Unexpected block "${name}" in ${where}`,
          didYouMean(name, allowed) ?? `${where} accepts ${allowed.join(', ')}.`,
          item.kind === 'Attribute' ? item.nameRange : item.typeRange,
        ),
      );
    }
  };
  const backend = settings.backend;
  if (backend) {
    const schema = BACKEND_SCHEMAS[backend.type];
    if (!schema) diags.push(unknownBackend(backend));
    else names(backend.body, schema, `the ${backend.type} backend`);
  }
  if (settings.encryption) names(settings.encryption.body, ENCRYPTION_SCHEMA, 'the encryption block');
  return diags;
}

/**
 * Decides where the state of `config` is (`config` null: a command that reads no configuration,
 * such as `state list` run where none is; `dir` is then the directory it would be in). Errors
 * are diagnostics with the source range of the setting at fault; `settings` is then null.
 */
export function resolveStateSettings(
  config: Config | null,
  dir: string,
  flags: StateFlags,
  cwd: string,
  env: NodeJS.ProcessEnv,
): { settings: StateSettings | null; diagnostics: readonly Diagnostic[] } {
  const configDir = config?.dir ?? dir;
  const diags: Diagnostic[] = [];
  const block = config?.settings?.backend;
  // Arguments are checked by decodeBody below; only the backend's type needs checking first.
  if (block && !BACKEND_SCHEMAS[block.type] && !flags.state) diags.push(unknownBackend(block));
  const ws = selectedWorkspace(configDir, env);
  diags.push(...ws.diagnostics);
  const scope: EvalScope = { configDir, variables: new Map(), local: () => undefined, resource: () => undefined, env };
  const decode = (body: NonNullable<InfraSettings['encryption']>['body'], schema: BodySchema): Record<string, string | null> => {
    const r = decodeBody(body, schema, scope);
    diags.push(...r.diagnostics);
    if (hasErrors(r.diagnostics)) return {};
    return Object.fromEntries(Object.entries(r.value).map(([k, v]) => [k, toJson(v) as string | null]));
  };

  const encryption = config?.settings?.encryption;
  const enc = encryption ? decode(encryption.body, ENCRYPTION_SCHEMA) : {};
  const key = nonEmpty(enc.key ?? undefined) ?? nonEmpty(env[STATE_KEY_ENV]);
  const oldKey = nonEmpty(enc.old_key ?? undefined) ?? nonEmpty(env[STATE_OLD_KEY_ENV]);
  if (encryption && key === null && !hasErrors(diags)) {
    diags.push(error('The encryption block has no key', `Set key = env("${STATE_KEY_ENV}"), or set ${STATE_KEY_ENV}.`, encryption.range));
  }
  for (const [name, value] of [['key', key], ['old_key', oldKey]] as const) {
    if (value !== null && value.length < 8) {
      diags.push(error(`The state encryption ${name} is too short`, 'Use 64 hex digits (32 random bytes), or a passphrase of at least 8 characters (longer is better).', encryption?.range));
    }
  }
  const keys: StateKeys = { key, oldKey };

  let backend: BackendSpec | null = null;
  if (flags.state) {
    backend = { kind: 'local', path: resolve(cwd, flags.state) };
  } else if (!block || block.type === 'local') {
    const local = block ? decode(block.body, BACKEND_SCHEMAS.local) : {};
    const file = local.path ?? DEFAULT_STATE_FILE;
    backend = { kind: 'local', path: ws.workspace === 'default' ? resolve(configDir, file) : localStatePath(configDir, ws.workspace) };
  } else if (block.type === 'pg') {
    const pg = decode(block.body, BACKEND_SCHEMAS.pg);
    const connStr = pg.conn_str ?? nonEmpty(env[PG_CONN_STR_ENV]);
    const schema = pg.schema_name ?? DEFAULT_PG_SCHEMA;
    if (!hasErrors(diags)) {
      if (connStr === null) {
        diags.push(error('The pg backend has no connection string', `Set conn_str = env("${PG_CONN_STR_ENV}") in the backend block, or set ${PG_CONN_STR_ENV}.`, block.range));
      } else if (!SCHEMA_NAME.test(schema)) {
        diags.push(error('Invalid schema_name', `"${schema}" is not a plain PostgreSQL name: use letters, digits and "_", starting with a letter or "_".`, block.range));
      } else {
        backend = { kind: 'pg', connStr, schema, configDir };
      }
    }
  }
  if (hasErrors(diags) || backend === null) return { settings: null, diagnostics: diags };
  return { settings: { backend, workspace: ws.workspace, keys, configDir }, diagnostics: diags };
}

function unknownBackend(backend: NonNullable<InfraSettings['backend']>): Diagnostic {
  return error(`Unsupported backend type "${backend.type}"`, didYouMean(backend.type, BACKEND_TYPES) ?? `The backends are ${BACKEND_TYPES.map((t) => `"${t}"`).join(' and ')}.`, backend.typeRange);
}

function nonEmpty(v: string | undefined): string | null {
  return v === undefined || v === '' ? null : v;
}
