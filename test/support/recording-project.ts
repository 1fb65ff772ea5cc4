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

/** A configuration folder made by `useRecordingProvider().folder`. */
export interface TestFolder {
  readonly dir: string;
  /** Removes it now (it is removed after the test anyway). */
  cleanup(): void;
}

/**
 * Registers mocha hooks that give each test a fresh recording provider, and folders made from
 * files by `folder(files)` during the test, all removed after it: for tests whose
 * configuration changes from test to test (useRecordingProject fixes it per suite).
 */
export function useRecordingProvider(): { readonly provider: RecordingProvider; folder(files: Record<string, string>): TestFolder } {
  let provider: RecordingProvider;
  let unregister: () => void;
  const made: TestFolder[] = [];
  beforeEach(() => {
    provider = new RecordingProvider();
    unregister = provider.register();
  });
  afterEach(() => {
    unregister();
    for (const f of made.splice(0)) f.cleanup();
  });
  return {
    get provider() {
      return provider;
    },
    folder(files) {
      const cfg = tempConfig(files);
      let removed = false;
      const folder: TestFolder = {
        dir: cfg.dir,
        cleanup: () => {
          if (removed) return;
          removed = true;
          cfg.cleanup();
        },
      };
      made.push(folder);
      return folder;
    },
  };
}
