/**
 * The recording CLI (test/support/cli-child.ts) bundled once per suite, as the CLI itself is, so
 * the many child runs of a crash test start quickly; and what those tests read back from a run's
 * folder (the recording provider's world and calls, the state).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { StateFile } from '../../src/state/types.js';
import type { WorldObject } from './recording-provider.js';

/** A bundled child CLI: `path` is valid between `bundle()` and `remove()` (mocha's before/after). */
export interface BundledChild {
  readonly path: string;
  bundle(): Promise<void>;
  remove(): void;
}

/** A child CLI bundled into a fresh temporary folder named after `prefix`. */
export function bundledChild(prefix: string): BundledChild {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const path = join(dir, 'cli-child.mjs');
  return {
    path,
    async bundle() {
      await build({
        entryPoints: [join(import.meta.dirname, 'cli-child.ts')],
        outfile: path,
        bundle: true,
        format: 'esm',
        platform: 'node',
        target: 'node20',
        logLevel: 'warning',
        banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
      });
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The environment a child run in `dir` needs: no colour, the recording world in the folder. */
export function childEnv(dir: string, env: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, NO_COLOR: '1', INFRA_TEST_WORLD: join(dir, 'world.json'), ...env };
}

/** Runs the child CLI in `dir` to its end. */
export function runChild(child: BundledChild, dir: string, args: readonly string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [child.path, ...args], { cwd: dir, encoding: 'utf8', env: childEnv(dir, env) });
}

/** The recording provider's objects in `dir` (none before the first run). */
export function worldObjects(dir: string): WorldObject[] {
  const p = join(dir, 'world.json');
  return existsSync(p) ? Object.values((JSON.parse(readFileSync(p, 'utf8')) as { objects: Record<string, WorldObject> }).objects) : [];
}

/** Every call the recording provider took in `dir`, in order. */
export function worldCalls(dir: string): { op: string }[] {
  return (JSON.parse(readFileSync(join(dir, 'world.json'), 'utf8')) as { calls: { op: string }[] }).calls;
}

/** The state file in `dir`. */
export function stateIn(dir: string): StateFile {
  return JSON.parse(readFileSync(join(dir, 'infra.state.json'), 'utf8')) as StateFile;
}

/** The ID of the lock file a killed run left in `dir`, for force-unlock. */
export function staleLockId(dir: string): string {
  return (JSON.parse(readFileSync(join(dir, 'infra.state.json.lock'), 'utf8')) as { id: string }).id;
}
