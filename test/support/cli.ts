/**
 * Runs the CLI in-process with captured output, and makes temporary configuration folders.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { main } from '../../src/cli.js';
import type { Io } from '../../src/commands/io.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `infra ARGS` in-process from `cwd`; `answer` is typed at a confirmation prompt. */
export async function runCli(args: readonly string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; answer?: string }): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io = (): Io => ({
    cwd: opts.cwd,
    env: { ...process.env, NO_COLOR: '1', ...(opts.env ?? {}) },
    out: (t) => {
      stdout += t;
    },
    err: (t) => {
      stderr += t;
    },
    color: false,
    errColor: false,
    sources: new Map(),
    ...(opts.answer !== undefined ? { ask: async (q: string) => ((stdout += q), opts.answer!) } : {}),
  });
  const code = await main(args, io);
  return { code, stdout, stderr };
}

/** A temporary folder with the given files (path -> content); removed by `cleanup`. */
export function tempConfig(files: Record<string, string>): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'infra-test-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
