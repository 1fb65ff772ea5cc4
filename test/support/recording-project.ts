/**
 * The setup engine and CLI tests share: a recording provider registered for each test (or the
 * suite) and a temporary configuration folder, both removed after it, and the CLI run in that
 * folder.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StateFile } from '../../src/state/types.js';
import { runCli, tempConfig, type CliResult } from './cli.js';
import { RecordingProvider } from './recording-provider.js';

export interface RecordingProject {
  /** This test's provider (a new one for every test). */
  readonly provider: RecordingProvider;
  /** This test's configuration folder. */
  readonly dir: string;
  /** `infra ARGS`, in-process, from the folder. */
  cli(...args: string[]): Promise<CliResult>;
  /** The state file the CLI wrote in the folder. */
  state(): StateFile;
}

/** How a recording project is set up. */
export interface RecordingProjectOptions {
  /** `suite`: one project for the whole suite (before/after); `test` (default): one per test. */
  readonly per?: 'suite' | 'test';
  /** Run `infra apply --auto-approve` once the folder is made (it must succeed). */
  readonly applied?: boolean;
}

/** Registers mocha hooks that give the suite's tests a fresh project with `files`. */
export function useRecordingProject(files: Record<string, string>, options: RecordingProjectOptions = {}): RecordingProject {
  let provider: RecordingProvider;
  let unregister: () => void;
  let cfg: { dir: string; cleanup: () => void };
  const cli = (...args: string[]): Promise<CliResult> => runCli(args, { cwd: cfg.dir });
  const setUp = async (): Promise<void> => {
    provider = new RecordingProvider();
    unregister = provider.register();
    cfg = tempConfig(files);
    if (options.applied) {
      const r = await cli('apply', '--auto-approve');
      if (r.code !== 0) throw new Error(`the project's first apply failed:\n${r.stdout}\n${r.stderr}`);
    }
  };
  const tearDown = (): void => {
    unregister();
    cfg.cleanup();
  };
  if (options.per === 'suite') {
    before(setUp);
    after(tearDown);
  } else {
    beforeEach(setUp);
    afterEach(tearDown);
  }
  return {
    get provider() {
      return provider;
    },
    get dir() {
      return cfg.dir;
    },
    cli,
    state: () => JSON.parse(readFileSync(join(cfg.dir, 'infra.state.json'), 'utf8')) as StateFile,
  };
}
