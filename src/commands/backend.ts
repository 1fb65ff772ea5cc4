/**
 * Commands about where the state lives: `infra workspace list|new|select|delete`,
 * `infra state pull` / `infra state push FILE`, `infra init --migrate-state` (local file <->
 * configured backend, keeping lineage and serial), and `force-unlock` on a pg backend.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type Diagnostic, DiagnosticsError, error, hasErrors } from '../diagnostics.js';
import { LocalBackend } from '../state/backend.js';
import { DEFAULT_WORKSPACE, LOCAL_WORKSPACES_DIR, checkWorkspaceName, localStatePath, workspaceFile, type StateSettings } from '../state/backend-config.js';
import { decodeState, encodeState } from '../state/codec.js';
import { StateCipher } from '../state/encryption.js';
import { connectBackend, isPg, openStateStore } from '../state/open.js';
import { StateStore } from '../state/store.js';
import type { StateFile } from '../state/types.js';
import { type Io, printDiagnostics } from './io.js';
import { type ConfigOptions, type StateOptions, durationFlag, stateSettings, statePath } from './session.js';

function settingsFor(opts: ConfigOptions & StateOptions, io: Io, warnings: Diagnostic[]): StateSettings {
  return stateSettings(statePath(null, opts, io.cwd), opts, io, null, warnings);
}

function fail(diags: readonly Diagnostic[]): void {
  if (hasErrors(diags)) throw new DiagnosticsError(diags);
}

/** `infra workspace list`: every workspace, the selected one starred. */
export async function workspaceListCommand(opts: ConfigOptions & StateOptions, io: Io): Promise<number> {
  const warnings: Diagnostic[] = [];
  const settings = settingsFor(opts, io, warnings);
  let names: string[];
  if (settings.backend.kind === 'local') {
    names = [DEFAULT_WORKSPACE, ...localWorkspaces(settings.configDir)];
  } else {
    const { backend, diagnostics } = await connectBackend(settings);
    fail(diagnostics);
    try {
      const r = await (backend as import('../state/pg-backend.js').PgBackend).workspaces();
      fail(r.diagnostics);
      names = r.workspaces.map((w) => w.name);
    } finally {
      await backend!.close();
    }
  }
  printDiagnostics(io, warnings);
  for (const name of [...new Set(names)].sort()) io.out(`${name === settings.workspace ? '*' : ' '} ${name}\n`);
  return 0;
}

/** `infra workspace new NAME`: creates an empty workspace and selects it. */
export async function workspaceNewCommand(name: string, opts: ConfigOptions & StateOptions, io: Io): Promise<number> {
  const problem = checkWorkspaceName(name);
  if (problem) throw new DiagnosticsError([error('Invalid workspace name', problem)]);
  const settings = settingsFor(opts, io, []);
  if (settings.backend.kind === 'local') {
    if (name === DEFAULT_WORKSPACE || localWorkspaces(settings.configDir).includes(name)) {
      throw new DiagnosticsError([error(`Workspace "${name}" already exists`, `Select it with: infra workspace select ${name}`)]);
    }
    mkdirSync(dirname(localStatePath(settings.configDir, name)), { recursive: true });
  } else {
    const { backend, diagnostics } = await connectBackend(settings);
    fail(diagnostics);
    try {
      if (isPg(backend!)) fail(await backend.createWorkspace(name));
    } finally {
      await backend!.close();
    }
  }
  select(settings.configDir, name);
  io.out(`Created and selected workspace "${name}". It is empty: nothing is applied in it yet.\n`);
  return 0;
}

/** `infra workspace select NAME`. */
export async function workspaceSelectCommand(name: string, opts: ConfigOptions & StateOptions, io: Io): Promise<number> {
  const settings = settingsFor(opts, io, []);
  if (!(await workspaceExists(settings, name))) {
    throw new DiagnosticsError([error(`Workspace "${name}" does not exist`, `Create it with: infra workspace new ${name}\nList them with: infra workspace list`)]);
  }
  select(settings.configDir, name);
  io.out(`Switched to workspace "${name}".\n`);
  return 0;
}

/** `infra workspace delete NAME [--force]`: refuses `default`, the selected one, and (without --force) one holding resources. */
export async function workspaceDeleteCommand(name: string, opts: ConfigOptions & StateOptions & { force?: boolean }, io: Io): Promise<number> {
  const settings = settingsFor(opts, io, []);
  if (name === DEFAULT_WORKSPACE) throw new DiagnosticsError([error('The default workspace cannot be deleted')]);
  if (name === settings.workspace) throw new DiagnosticsError([error(`Workspace "${name}" is selected`, 'Select another one first: infra workspace select default')]);
  if (!(await workspaceExists(settings, name))) throw new DiagnosticsError([error(`Workspace "${name}" does not exist`)]);
  const mayDelete = (state: StateFile | null): readonly Diagnostic[] =>
    state && state.resources.length > 0 && !opts.force
      ? [
          error(
            `Workspace "${name}" is not empty`,
            `Its state holds ${state.resources.length} instance${state.resources.length === 1 ? '' : 's'}: deleting it would forget them while they still exist. ` +
              'Destroy them first (infra workspace select, infra destroy), or pass --force to forget them.',
          ),
        ]
      : [];
  if (settings.backend.kind === 'local') {
    const path = localStatePath(settings.configDir, name);
    const opened = await StateStore.open(path, { operation: 'workspace delete', cipher: new StateCipher(settings.keys) });
    fail(opened.diagnostics);
    try {
      fail(mayDelete(opened.store!.state));
    } finally {
      await opened.store!.release();
    }
    rmSync(dirname(path), { recursive: true, force: true });
  } else {
    const { backend, diagnostics } = await connectBackend(settings);
    fail(diagnostics);
    try {
      if (isPg(backend!)) fail(await backend.deleteWorkspace(name, mayDelete));
    } finally {
      await backend!.close();
    }
  }
  io.out(`Deleted workspace "${name}".\n`);
  return 0;
}

/** `infra state pull`: the current state, decrypted, on stdout. */
export async function statePullCommand(opts: ConfigOptions & StateOptions, io: Io): Promise<number> {
  const settings = settingsFor(opts, io, []);
  const opened = await openStateStore(settings, { operation: 'state pull', lock: false });
  fail(opened.diagnostics);
  await opened.store!.release();
  const state = opened.store!.state;
  if (state.serial === 0 && state.lineage === '') {
    io.err('The state is empty: nothing has been written to it yet.\n');
    return 0;
  }
  io.out(encodeState(state));
  return 0;
}

/**
 * `infra state push FILE [--force]`: makes FILE the current state, under the lock. Refused
 * without --force when FILE is of another lineage or older (lower serial) than what is stored.
 * FILE's serial is kept when it is newer (an emergency file); otherwise the write gets the next
 * serial, so that readers see the state moved on.
 */
export async function statePushCommand(file: string, opts: ConfigOptions & StateOptions & { force?: boolean }, io: Io): Promise<number> {
  const settings = settingsFor(opts, io, []);
  const pushed = readStateArgument(file, io, settings);
  const opened = await openStateStore(settings, { operation: 'state push', lockTimeoutMs: durationFlag(opts.lockTimeout, '--lock-timeout') });
  fail(opened.diagnostics);
  const store = opened.store!;
  try {
    const current = store.state;
    const problems: string[] = [];
    if (current.lineage !== '' && pushed.lineage !== current.lineage) problems.push(`its lineage is ${pushed.lineage}, the stored state's is ${current.lineage}: it is a different state`);
    if (pushed.serial < current.serial) problems.push(`its serial ${pushed.serial} is older than the stored serial ${current.serial}`);
    if (problems.length > 0 && !opts.force) {
      throw new DiagnosticsError([error('Refusing to push the state', `${file}: ${problems.join('; ')}.\nCheck that it is the state you mean; pass --force to overwrite the stored state with it.`)]);
    }
    const serial = pushed.serial > current.serial ? pushed.serial : current.serial + 1;
    fail(await store.replace({ ...pushed, serial }));
    io.out(`Pushed ${file} to ${store.path}: serial ${serial}, lineage ${pushed.lineage}.\n`);
    return 0;
  } finally {
    fail(await store.release());
  }
}

/**
 * `infra init --migrate-state [--to-local] [--force]`: copies the local state file into the
 * configured backend (or, with --to-local, the backend's state into the local file), keeping
 * lineage and serial, under both locks. Refused without --force when the target already holds a
 * different state.
 */
export async function initCommand(opts: ConfigOptions & StateOptions & { migrateState?: boolean; toLocal?: boolean; force?: boolean }, io: Io): Promise<number> {
  const warnings: Diagnostic[] = [];
  const settings = settingsFor({ ...opts, state: undefined }, io, warnings);
  printDiagnostics(io, warnings);
  const where = settings.backend.kind === 'pg' ? `the pg backend (schema "${settings.backend.schema}", workspace "${settings.workspace}")` : `the local file ${settings.backend.path}`;
  if (!opts.migrateState) {
    io.out(`The state is in ${where}.\n`);
    if (settings.backend.kind === 'pg') {
      const { backend, diagnostics } = await connectBackend(settings);
      fail(diagnostics);
      await backend!.close();
      io.out('The database is reachable and its tables are ready.\n');
    }
    return 0;
  }
  if (settings.backend.kind !== 'pg') {
    throw new DiagnosticsError([error('No backend to migrate to or from', 'The configuration uses the local backend. Add infra { backend "pg" { ... } } first, then run infra init --migrate-state.')]);
  }
  const localPath = opts.state ? resolve(io.cwd, opts.state) : localStatePath(settings.configDir, settings.workspace);
  const local = await StateStore.openBackend(new LocalBackend(localPath, new StateCipher(settings.keys)), { operation: 'init --migrate-state' });
  fail(local.diagnostics);
  try {
    const remote = await openStateStore(settings, { operation: 'init --migrate-state', lockTimeoutMs: durationFlag(opts.lockTimeout, '--lock-timeout') });
    fail(remote.diagnostics);
    try {
      const [from, to, fromName, toName] = opts.toLocal ? [remote.store!, local.store!, where, localPath] : [local.store!, remote.store!, localPath, where];
      const source = from.state;
      if (source.lineage === '') throw new DiagnosticsError([error('Nothing to migrate', `${fromName} holds no state.`)]);
      const target = to.state;
      const same = target.lineage === source.lineage && target.serial === source.serial;
      if (target.lineage !== '' && !same && !opts.force) {
        throw new DiagnosticsError([
          error(
            'The target already holds a state',
            `${toName} holds serial ${target.serial} of lineage ${target.lineage}; ${fromName} holds serial ${source.serial} of lineage ${source.lineage}.\n` +
              'Pass --force to overwrite it.',
          ),
        ]);
      }
      if (!same) fail(await to.replace(source));
      io.out(`Migrated the state from ${fromName} to ${toName}: serial ${source.serial}, lineage ${source.lineage}.\n`);
      io.out(
        opts.toLocal
          ? 'Remove the backend block from the infra block to use the local file from now on.\n'
          : `From now on the state is read from and written to ${where}; ${localPath} is no longer used.\n`,
      );
      return 0;
    } finally {
      fail(await remote.store!.release());
    }
  } finally {
    await local.store!.release();
  }
}

/** `infra force-unlock ID` on a pg backend; false when the state is local (the caller handles it). */
export async function forceUnlockBackend(id: string, opts: ConfigOptions & StateOptions, io: Io): Promise<boolean> {
  const settings = settingsFor(opts, io, []);
  if (settings.backend.kind !== 'pg') return false;
  const { backend, diagnostics } = await connectBackend(settings);
  fail(diagnostics);
  try {
    const diags = isPg(backend!) ? await backend.forceUnlock(id) : [];
    fail(diags);
    printDiagnostics(io, diags);
    io.out(`Lock ${id} removed. The state is unlocked.\n`);
    return true;
  } finally {
    await backend!.close();
  }
}

function localWorkspaces(configDir: string): string[] {
  try {
    return readdirSync(join(configDir, LOCAL_WORKSPACES_DIR), { withFileTypes: true })
      .filter((e) => e.isDirectory() && checkWorkspaceName(e.name) === undefined)
      .map((e) => e.name);
  } catch {
    return [];
  }
}

async function workspaceExists(settings: StateSettings, name: string): Promise<boolean> {
  if (settings.backend.kind === 'local') return name === DEFAULT_WORKSPACE || localWorkspaces(settings.configDir).includes(name);
  const { backend, diagnostics } = await connectBackend(settings);
  fail(diagnostics);
  try {
    return isPg(backend!) ? await backend.hasWorkspace(name) : false;
  } finally {
    await backend!.close();
  }
}

function select(configDir: string, name: string): void {
  const file = workspaceFile(configDir);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${name}\n`);
}

/** A state file given on the command line (`-` for stdin), decrypted when it is encrypted. */
function readStateArgument(file: string, io: Io, settings: StateSettings): StateFile {
  let stored: string;
  try {
    stored = readFileSync(file === '-' ? 0 : resolve(io.cwd, file), 'utf8');
  } catch (e) {
    throw new DiagnosticsError([error(`Cannot read ${file}`, (e as Error).message)]);
  }
  const opened = new StateCipher(settings.keys).open(stored, file);
  fail(opened.diagnostics);
  const decoded = decodeState(opened.text!, file);
  fail(decoded.diagnostics);
  return decoded.state!;
}
