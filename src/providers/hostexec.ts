/**
 * Running a command on a host resource, whatever kind of machine it is. A host is the evaluated
 * object of an instance resource (`local_host.ns["ns1"]`, `linode_instance.ns["ns1"]`): a
 * `local_host` runs commands right here; any other host is reached over ssh with the host's own
 * `ssh` settings (user, port, private key file, host-key policy; docs/providers/connection.md),
 * non-interactively. The same settings make Ansible's inventory (ansible/run.ts), so everything
 * that reaches a host reaches it one way.
 *
 * Host keys live in a known-hosts file of the state (`stateKnownHostsFile`), never in the user's
 * ~/.ssh/known_hosts: learned on first contact, forgotten when the instance is deleted or a new
 * one is created on the address (`forgetHostKey`), so a reused address is never "changed".
 *
 * Failures of the command are data (`ok: false` with a one-line `problem`), never exceptions,
 * so callers turn them into diagnostics in their own words.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { constants, statSync } from 'node:fs';
import { access, chmod, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { execa } from 'execa';
import { error, type Diagnostic, type SourceRange } from '../diagnostics.js';
import type { Json } from '../evaluate/value.js';
import { stringifyJson } from '../evaluate/json-text.js';

/** How a host is reached. */
export type HostConnection = 'local' | 'ssh';

/**
 * What ssh does with the host's key: `accept-new` learns the key of a host seen for the first
 * time and refuses a changed one; `strict` accepts only keys already in the known-hosts file;
 * `off` checks nothing and remembers nothing (for throwaway hosts only).
 */
export type HostKeyChecking = 'accept-new' | 'strict' | 'off';
export const HOST_KEY_CHECKING: readonly HostKeyChecking[] = ['accept-new', 'strict', 'off'];

/** How an ssh host is logged into: the host object's `ssh` attribute, defaults applied. */
export interface SshSettings {
  readonly user: string;
  readonly port: number;
  /**
   * Absolute path of the private key (`~/` expanded); null leaves the choice to ssh (its agent
   * and ~/.ssh/id_*). Only the path is ever passed on: the key itself is read by ssh alone.
   */
  readonly privateKeyFile: string | null;
  readonly hostKeyChecking: HostKeyChecking;
  /** A known-hosts file of the user's own; null: the state's (`stateKnownHostsFile`). */
  readonly knownHostsFile: string | null;
}

/** Settings of a host whose object has no `ssh` attribute (or `ssh = null`). */
export const DEFAULT_SSH: SshSettings = { user: 'root', port: 22, privateKeyFile: null, hostKeyChecking: 'accept-new', knownHostsFile: null };

/** What a provider needs to know about a host to run something on it. */
export interface HostRef {
  readonly ipv4: string;
  readonly connection: HostConnection;
  /** The host's working directory; always set for `local` hosts. */
  readonly dir?: string;
  /** How to log in; ssh hosts only, `DEFAULT_SSH` when absent. */
  readonly ssh?: SshSettings;
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
  const ssh = parseSshSettings(obj['ssh']);
  if (typeof ssh === 'string') return ssh;
  return typeof dir === 'string' ? { ipv4, connection, dir, ssh } : { ipv4, connection, ssh };
}

/**
 * Reads a host's `ssh` attribute (`ssh { user, port, private_key_file, host_key_checking,
 * known_hosts_file }` on the instance) into settings, defaults applied, or says what is wrong
 * with it. Paths must be absolute or start with `~/`: a host object travels to resources whose
 * operations know no configuration directory (use "${path.root}/..." for one beside it).
 */
export function parseSshSettings(value: Json | undefined): SshSettings | string {
  if (value === null || value === undefined) return DEFAULT_SSH;
  if (typeof value !== 'object' || Array.isArray(value)) return `the host's "ssh" is ${JSON.stringify(value)}; expected an object (an ssh { ... } block)`;
  const o = value as { readonly [key: string]: Json };
  const user = o['user'] ?? DEFAULT_SSH.user;
  if (typeof user !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(user)) {
    return `ssh.user is ${JSON.stringify(user)}; expected a user name (letters, digits, "_", "-", ".")`;
  }
  const port = o['port'] ?? DEFAULT_SSH.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    return `ssh.port is ${stringifyJson(port)}; expected a TCP port number (1-65535)`;
  }
  const checking = o['host_key_checking'] ?? DEFAULT_SSH.hostKeyChecking;
  if (typeof checking !== 'string' || !(HOST_KEY_CHECKING as readonly string[]).includes(checking)) {
    return `ssh.host_key_checking is ${JSON.stringify(checking)}; expected one of ${HOST_KEY_CHECKING.map((c) => `"${c}"`).join(', ')}`;
  }
  const privateKeyFile = pathSetting(o, 'private_key_file');
  if (typeof privateKeyFile === 'object' && privateKeyFile !== null) return privateKeyFile.problem;
  const knownHostsFile = pathSetting(o, 'known_hosts_file');
  if (typeof knownHostsFile === 'object' && knownHostsFile !== null) return knownHostsFile.problem;
  return { user, port, privateKeyFile, hostKeyChecking: checking as HostKeyChecking, knownHostsFile };
}

function pathSetting(o: { readonly [key: string]: Json }, name: string): string | null | { problem: string } {
  const v = o[name] ?? null;
  if (v === null) return null;
  if (typeof v !== 'string' || !(v.startsWith('/') || v.startsWith('~/'))) {
    return { problem: `ssh.${name} is ${JSON.stringify(v)}; expected an absolute path or one starting with "~/" (for a file beside the configuration: "\${path.root}/...")` };
  }
  return v.startsWith('~/') ? join(homedir(), v.slice(2)) : v;
}

/**
 * Plan-time checks of an instance's `ssh` block (`subject`: the instance's address): its values,
 * and that the private key file exists, is a file, and is private (ssh ignores a key that others
 * may read). Only the file's metadata is looked at, never its content.
 */
export function checkSshSettings(value: Json | undefined, subject: string, range?: SourceRange): Diagnostic[] {
  const settings = parseSshSettings(value);
  if (typeof settings === 'string') return [error(`Invalid ssh settings of ${subject}`, `${settings}.`, range)];
  const key = settings.privateKeyFile;
  if (key === null) return [];
  const configured = (value as { readonly [key: string]: Json })['private_key_file'];
  const where = `ssh.private_key_file of ${subject} is ${JSON.stringify(configured)}`;
  const info = statSync(key, { throwIfNoEntry: false });
  if (info === undefined) return [error(`Private key file ${key} does not exist`, `${where}; no file was found at ${key}.`, range)];
  if (!info.isFile()) return [error(`Private key file ${key} is not a file`, `${where}.`, range)];
  if ((info.mode & 0o077) !== 0) {
    return [
      error(
        `Private key file ${key} may be read by others (mode ${(info.mode & 0o777).toString(8).padStart(4, '0')})`,
        `${where}; ssh refuses to use a private key that group or others can read. Make it private: chmod 600 ${key}`,
        range,
      ),
    ];
  }
  return [];
}

/**
 * The state's known-hosts file: `<stateDir>/.infra/<lineage>.known_hosts` (beside the state, one
 * per state, so two states in one folder keep their hosts apart). Every ssh connection of the
 * state's operations learns and checks host keys there; the user's ~/.ssh/known_hosts is never
 * read or written.
 */
export function stateKnownHostsFile(ctx: { readonly stateDir: string; readonly lineage: string }): string {
  return join(resolve(ctx.stateDir), '.infra', `${ctx.lineage === '' ? 'state' : ctx.lineage}.known_hosts`);
}

/**
 * Forgets every key known for `ipv4` (any port) in `knownHostsFile`: an instance on that address
 * was deleted, or a new one was created there, so a key learned before belongs to a machine that
 * is gone. Call it when an instance is deleted and after a create, before first contact. A file
 * that does not exist is nothing to forget. Resolves to a one-line problem when the file could
 * not be rewritten (the next connection may then report a changed host key), else undefined.
 */
export async function forgetHostKey(knownHostsFile: string, ipv4: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(knownHostsFile, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return `could not read ${knownHostsFile}: ${(e as Error).message}`;
  }
  const lines = text.split('\n');
  const kept = lines.filter((line) => !namesAddress(line, ipv4));
  if (kept.length === lines.length) return undefined;
  const temporary = `${knownHostsFile}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    await writeFile(temporary, kept.join('\n'), { mode: 0o600 });
    await rename(temporary, knownHostsFile);
    return undefined;
  } catch (e) {
    await unlink(temporary).catch(() => undefined);
    return `could not rewrite ${knownHostsFile}: ${(e as Error).message}`;
  }
}

/** True when a known_hosts line is for `ipv4` (`ADDR`, `[ADDR]:PORT`, or hashed `ADDR`/`[ADDR]:22`). */
function namesAddress(line: string, ipv4: string): boolean {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return false;
  const fields = trimmed.split(/\s+/);
  const hosts = (fields[0]?.startsWith('@') ? fields[1] : fields[0]) ?? '';
  return hosts.split(',').some((h) => {
    const hashed = /^\|1\|([^|]+)\|(.+)$/.exec(h);
    if (hashed) {
      const salt = Buffer.from(hashed[1], 'base64');
      return [ipv4, `[${ipv4}]:22`].some((name) => createHmac('sha1', salt).update(name).digest('base64') === hashed[2]);
    }
    return h === ipv4 || h.startsWith(`[${ipv4}]:`);
  });
}

export interface RunOnHostOptions {
  /** Written to the command's standard input. */
  readonly input?: string;
  /** Aborting it kills the command (SIGTERM, then SIGKILL after 2 s). */
  readonly signal?: AbortSignal;
  /** Kills the command when it runs longer. */
  readonly timeoutMs?: number;
  /** Working directory; local hosts only (ssh commands start in the user's home). */
  readonly cwd?: string;
  /**
   * The state's known-hosts file (`stateKnownHostsFile(ctx)`); required for ssh hosts whose
   * settings name no file of their own.
   */
  readonly knownHostsFile?: string;
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

/**
 * The ssh options (`-o NAME=VALUE` pairs) that make a connection follow `settings`: never prompt,
 * never hang on a dead host, host keys in the known-hosts file the settings choose (else
 * `stateKnownHostsFile`), written unhashed so `forgetHostKey` can find them, and only the
 * configured key offered. Shared by `commandFor` and Ansible's inventory. The user and port are
 * not among them (ssh takes them as `-p` and `USER@`, Ansible as ansible_user/ansible_port).
 */
export function sshOptions(settings: SshSettings, stateKnownHosts: string | undefined): string[] {
  const knownHosts = settings.hostKeyChecking === 'off' ? '/dev/null' : (settings.knownHostsFile ?? stateKnownHosts);
  if (knownHosts === undefined) throw new Error('sshOptions: an ssh host needs the state\'s known-hosts file');
  const strict = { 'accept-new': 'accept-new', strict: 'yes', off: 'no' }[settings.hostKeyChecking];
  const options = [
    'BatchMode=yes',
    'ConnectTimeout=10',
    `StrictHostKeyChecking=${strict}`,
    `UserKnownHostsFile=${knownHosts}`,
    'HashKnownHosts=no',
    // "Permanently added ... to the list of known hosts" on every new host says nothing.
    'LogLevel=ERROR',
  ];
  if (settings.privateKeyFile !== null) options.push(`IdentityFile=${settings.privateKeyFile}`, 'IdentitiesOnly=yes');
  return options.flatMap((o) => ['-o', o]);
}

/** Quotes one word for a POSIX shell (ssh hands the remote shell a single command string). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The argv that runs `argv` on `host`: `argv` itself locally, remotely
 * `ssh -o ... -p PORT USER@ADDR -- 'quoted'` (see `sshOptions`; `stateKnownHosts` is the state's
 * known-hosts file, required unless the host's settings name their own).
 */
export function commandFor(host: HostRef, argv: readonly string[], stateKnownHosts?: string): readonly string[] {
  if (host.connection === 'local') return argv;
  const ssh = host.ssh ?? DEFAULT_SSH;
  return ['ssh', ...sshOptions(ssh, stateKnownHosts), '-p', String(ssh.port), `${ssh.user}@${host.ipv4}`, '--', argv.map(shellQuote).join(' ')];
}

/**
 * Why `host` cannot be reached as configured before anything runs (its private key file is
 * gone), or undefined; makes sure the known-hosts file's folder exists, as ssh does not make it.
 */
export async function prepareSsh(host: HostRef, stateKnownHosts: string | undefined): Promise<string | undefined> {
  if (host.connection === 'local') return undefined;
  const ssh = host.ssh ?? DEFAULT_SSH;
  if (ssh.privateKeyFile !== null) {
    try {
      await access(ssh.privateKeyFile, constants.R_OK);
    } catch {
      return `the private key file ${ssh.privateKeyFile} (ssh.private_key_file of the host) cannot be read`;
    }
  }
  const knownHosts = ssh.hostKeyChecking === 'off' ? undefined : (ssh.knownHostsFile ?? stateKnownHosts);
  if (knownHosts !== undefined) await mkdir(dirname(knownHosts), { recursive: true, mode: 0o700 }).catch(() => undefined);
  return undefined;
}

/** Runs `argv` (program and arguments, no shell) on `host` and collects its output. */
export async function runOnHost(host: HostRef, argv: readonly string[], opts: RunOnHostOptions = {}): Promise<HostCommandResult> {
  const unusable = await prepareSsh(host, opts.knownHostsFile);
  if (unusable !== undefined) return { ok: false, exitCode: null, stdout: '', stderr: '', problem: `cannot ssh to ${host.ipv4}: ${unusable}` };
  const [program, ...args] = commandFor(host, argv, opts.knownHostsFile);
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
  /** See `RunOnHostOptions.knownHostsFile`. */
  readonly knownHostsFile?: string;
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
  return runOnHost(host, ['sh', '-c', script], {
    input: content,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.knownHostsFile !== undefined ? { knownHostsFile: opts.knownHostsFile } : {}),
  });
}

function lastLine(text: string): string | undefined {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines[lines.length - 1];
}
