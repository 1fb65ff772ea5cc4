/**
 * Running a command on a host resource, whatever kind of machine it is. A host is the evaluated
 * object of an instance resource (`local_host.ns["ns1"]`, later `linode_instance.ns["ns1"]`):
 * a `local_host` runs commands right here; any other host is reached as `ssh root@<ipv4>`
 * (non-interactive: keys only, a new host key accepted once, a changed one refused).
 *
 * Failures of the command are data (`ok: false` with a one-line `problem`), never exceptions,
 * so callers turn them into diagnostics in their own words.
 */
import { randomBytes } from 'node:crypto';
import { chmod, rename, unlink, writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import type { Json } from '../evaluate/value.js';

/** How a host is reached. */
export type HostConnection = 'local' | 'ssh';

/** What a provider needs to know about a host to run something on it. */
export interface HostRef {
  readonly ipv4: string;
  readonly connection: HostConnection;
  /** The host's working directory; always set for `local` hosts. */
  readonly dir?: string;
}

/**
 * Reads a host resource object (as it arrives in a provider's `config`) into a `HostRef`, or
 * returns why it cannot be one. A host without `connection` is remote (`ssh`): instance types
 * other than `local_host` need not declare it.
 */
export function parseHost(value: Json | undefined): HostRef | string {
  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) {
    return 'expected a host resource object, such as local_host.ns["ns1"]';
  }
  const obj = value as { readonly [key: string]: Json };
  const ipv4 = obj['ipv4'];
  if (typeof ipv4 !== 'string' || !/^\d{1,3}(\.\d{1,3}){3}$/.test(ipv4)) {
    return `the host has no "ipv4" attribute holding an IPv4 address (attributes: ${Object.keys(obj).sort().join(', ') || 'none'})`;
  }
  const connection = obj['connection'] ?? 'ssh';
  if (connection !== 'local' && connection !== 'ssh') {
    return `the host's "connection" is ${JSON.stringify(connection)}; expected "local" or "ssh"`;
  }
  const dir = obj['dir'];
  if (connection === 'local') {
    if (typeof dir !== 'string' || !dir.startsWith('/')) return 'a local host needs "dir", an absolute path';
    return { ipv4, connection, dir };
  }
  return typeof dir === 'string' ? { ipv4, connection, dir } : { ipv4, connection };
}

export interface RunOnHostOptions {
  /** Written to the command's standard input. */
  readonly input?: string;
  /** Aborting it kills the command (SIGTERM, then SIGKILL after 2 s). */
  readonly signal?: AbortSignal;
  /** Kills the command when it runs longer. */
  readonly timeoutMs?: number;
  /** Working directory; local hosts only (ssh commands start in root's home). */
  readonly cwd?: string;
}

export interface HostCommandResult {
  /** The command ran and exited with status 0. */
  readonly ok: boolean;
  /** Null when it did not exit by itself (could not start, killed, timed out). */
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** When not ok: what went wrong, one line (`exited with status 1: <last line of stderr>`). */
  readonly problem?: string;
}

/** ssh options shared by every remote command: never prompt, never hang on a dead host. */
const SSH_OPTIONS = ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=accept-new', '-o', 'ConnectTimeout=10'];

/** Quotes one word for a POSIX shell (ssh hands the remote shell a single command string). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The argv that runs `argv` on `host`: `argv` itself locally, `ssh ... root@ADDR -- 'quoted'` remotely. */
export function commandFor(host: HostRef, argv: readonly string[]): readonly string[] {
  if (host.connection === 'local') return argv;
  return ['ssh', ...SSH_OPTIONS, `root@${host.ipv4}`, '--', argv.map(shellQuote).join(' ')];
}

/** Runs `argv` (program and arguments, no shell) on `host` and collects its output. */
export async function runOnHost(host: HostRef, argv: readonly string[], opts: RunOnHostOptions = {}): Promise<HostCommandResult> {
  const [program, ...args] = commandFor(host, argv);
  if (program === undefined) throw new Error('runOnHost: empty argv');
  const result = await execa(program, args, {
    reject: false,
    stripFinalNewline: false,
    ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }),
    ...(opts.signal ? { cancelSignal: opts.signal } : {}),
    ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}),
    ...(opts.cwd !== undefined && host.connection === 'local' ? { cwd: opts.cwd } : {}),
    forceKillAfterDelay: 2000,
  });
  const stdout = typeof result.stdout === 'string' ? result.stdout : '';
  const stderr = typeof result.stderr === 'string' ? result.stderr : '';
  if (!result.failed) return { ok: true, exitCode: 0, stdout, stderr };
  const where = host.connection === 'local' ? '' : ` on ${host.ipv4}`;
  let problem: string;
  if (result.isCanceled) problem = `${program}${where} was cancelled`;
  else if (result.timedOut) problem = `${program}${where} timed out after ${opts.timeoutMs} ms`;
  else if (result.exitCode === undefined) problem = `${program} could not run: ${result.originalMessage || result.shortMessage}`;
  else {
    const last = lastLine(stderr) ?? lastLine(stdout);
    // ssh itself exits 255; anything else is the remote command's status.
    const who = host.connection === 'ssh' && result.exitCode === 255 ? `ssh to ${host.ipv4}` : argv[0];
    problem = `${who}${where} exited with status ${result.exitCode}${last ? `: ${last}` : ''}`;
  }
  return { ok: false, exitCode: result.exitCode ?? null, stdout, stderr, problem };
}

export interface WriteFileOptions {
  /** File mode; 0o644 when absent. */
  readonly mode?: number;
  readonly signal?: AbortSignal;
}

/**
 * Replaces the file at `path` on `host` with `content` atomically: it is written beside the
 * target and renamed over it, so a reader (nginx -t, a reload) never sees half a file. The
 * directory must exist.
 */
export async function writeFileOnHost(
  host: HostRef,
  path: string,
  content: string,
  opts: WriteFileOptions = {},
): Promise<HostCommandResult> {
  const mode = opts.mode ?? 0o644;
  const temporary = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  if (host.connection === 'local') {
    try {
      await writeFile(temporary, content, { mode, flag: 'wx' });
      await chmod(temporary, mode);
      await rename(temporary, path);
      return { ok: true, exitCode: 0, stdout: '', stderr: '' };
    } catch (e) {
      await unlink(temporary).catch(() => undefined);
      return { ok: false, exitCode: null, stdout: '', stderr: '', problem: `could not write ${path}: ${(e as Error).message}` };
    }
  }
  const script = `umask 077 && cat > ${shellQuote(temporary)} && chmod ${mode.toString(8)} ${shellQuote(temporary)} && mv -f ${shellQuote(temporary)} ${shellQuote(path)} || { rm -f ${shellQuote(temporary)}; exit 1; }`;
  return runOnHost(host, ['sh', '-c', script], { input: content, ...(opts.signal ? { signal: opts.signal } : {}) });
}

function lastLine(text: string): string | undefined {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines[lines.length - 1];
}
