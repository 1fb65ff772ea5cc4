/**
 * Running the system commands the lab is made of (`ip`, `mount`, `ssh-keygen`, ...): each
 * failure is an Error naming the command line and its stderr, never a bare exit code.
 */
import { execFile } from 'node:child_process';

/** What a command printed. */
export interface CommandOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/** A command that failed: `command` is the whole line, `stderr` what it said. */
export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly code: number | string | null,
    readonly stderr: string,
  ) {
    super(`${command} failed (${code ?? 'signal'}): ${stderr.trim() || '(no output)'}`);
    this.name = 'CommandError';
  }
}

const SBIN_PATH = `${process.env.PATH ?? ''}:/usr/local/sbin:/usr/sbin:/sbin`;

/** Runs `file args...` (with /usr/sbin and /sbin on PATH); rejects with a CommandError. */
export function run(
  file: string,
  args: readonly string[],
  options: { timeoutMs?: number; env?: Readonly<Record<string, string>> } = {},
): Promise<CommandOutput> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      { env: { ...process.env, PATH: SBIN_PATH, ...options.env }, timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const code = (error as NodeJS.ErrnoException & { code?: number | string }).code ?? null;
          reject(new CommandError([file, ...args].join(' '), code, String(stderr) || error.message));
        } else {
          resolve({ stdout: String(stdout), stderr: String(stderr) });
        }
      },
    );
  });
}

/** `ip ARGS...` in the root network namespace, or in `netns` (`ip -n NETNS ARGS...`). */
export function ip(args: readonly string[], netns?: string): Promise<CommandOutput> {
  return run('ip', netns === undefined ? args : ['-n', netns, ...args]);
}

/** Runs a command and ignores its failure (for teardown steps whose object may be gone). */
export async function attempt(file: string, args: readonly string[]): Promise<boolean> {
  try {
    await run(file, args);
    return true;
  } catch {
    return false;
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
