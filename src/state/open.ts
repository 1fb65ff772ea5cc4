/**
 * Opening the state a command's settings point at (backend-config.ts): the local file or a pg
 * workspace, encrypted or not, as a `StateStore`. The pg client library is imported here only
 * when the settings name the pg backend, so every other command starts as fast as before.
 */
import { join } from 'node:path';
import type { Diagnostic } from '../diagnostics.js';
import { LocalBackend, type StateBackend } from './backend.js';
import type { StateSettings } from './backend-config.js';
import { StateCipher } from './encryption.js';
import { StateStore, type OpenOptions } from './store.js';
import type { PgBackend } from './pg-backend.js';

/** The emergency file for a workspace's state the pg backend could not take, beside the configuration. */
export function emergencyPathFor(settings: StateSettings): string {
  return join(settings.configDir, `infra.state.${settings.workspace}.emergency.json`);
}

/**
 * Connects to the backend of `settings` without opening a store (workspace commands,
 * force-unlock). The caller closes it. `backend: null` with an error when it cannot be reached.
 */
export async function connectBackend(settings: StateSettings, workspace = settings.workspace): Promise<{ backend: StateBackend | null; diagnostics: readonly Diagnostic[] }> {
  const cipher = new StateCipher(settings.keys);
  const spec = settings.backend;
  if (spec.kind === 'local') return { backend: new LocalBackend(spec.path, cipher), diagnostics: [] };
  const { connectPg } = await import('./pg-backend.js');
  return connectPg({ connStr: spec.connStr, schema: spec.schema, workspace, configDir: settings.configDir }, cipher);
}

/** True when `backend` is the pg backend (with its workspace and lock operations). */
export function isPg(backend: StateBackend): backend is PgBackend {
  return backend.kind === 'pg';
}

/**
 * Opens the state of `settings` as `StateStore.openBackend` does; the pg backend's stores get
 * an emergency file beside the configuration for writes the database did not take.
 */
export async function openStateStore(
  settings: StateSettings,
  options: Omit<OpenOptions, 'cipher' | 'emergencyPath'>,
): Promise<{ store: StateStore | null; diagnostics: readonly Diagnostic[] }> {
  const cipher = new StateCipher(settings.keys);
  const connected = await connectBackend(settings);
  if (!connected.backend) return { store: null, diagnostics: connected.diagnostics };
  const emergency = settings.backend.kind === 'pg' ? { emergencyPath: emergencyPathFor(settings) } : {};
  return StateStore.openBackend(connected.backend, { ...options, cipher, ...emergency });
}
