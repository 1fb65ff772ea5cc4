/**
 * The setup engine tests share: a recording provider registered for each test and a temporary
 * configuration folder, both removed after it, and the CLI run in that folder.
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

/** Registers mocha hooks that give every test of the suite a fresh project with `files`. */
export function useRecordingProject(files: Record<string, string>): RecordingProject {
  let provider: RecordingProvider;
  let unregister: () => void;
  let cfg: { dir: string; cleanup: () => void };
  beforeEach(() => {
    provider = new RecordingProvider();
    unregister = provider.register();
    cfg = tempConfig(files);
  });
  afterEach(() => {
    unregister();
    cfg.cleanup();
  });
  return {
    get provider() {
      return provider;
    },
    get dir() {
      return cfg.dir;
    },
    cli: (...args) => runCli(args, { cwd: cfg.dir }),
    state: () => JSON.parse(readFileSync(join(cfg.dir, 'infra.state.json'), 'utf8')) as StateFile,
  };
}
