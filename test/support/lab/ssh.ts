/**
 * SSH to lab hosts with a key and a known-hosts file of the test's own. `ssh` reads `~/.ssh`
 * from the passwd entry (not $HOME), so both are always passed explicitly and this machine's
 * /root/.ssh is never read or written.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './commands.js';

/** A key pair made for one test run. */
export interface SshKey {
  /** For `ssh -i`, Ansible's `--private-key`, a provider's `private_key_file`. */
  readonly privateKeyPath: string;
  /** `ssh-ed25519 AAAA... comment`, for `authorized_keys`. */
  readonly publicKey: string;
}

/** Makes an ed25519 key pair without a passphrase at `dir/id_ed25519` (dir must exist). */
export async function makeSshKey(dir: string, comment = 'infra-lab'): Promise<SshKey> {
  const privateKeyPath = join(dir, 'id_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', privateKeyPath]);
  return { privateKeyPath, publicKey: (await readFile(`${privateKeyPath}.pub`, 'utf8')).trim() };
}

/** How `sshRun` connects. */
export interface SshOptions {
  readonly privateKeyPath: string;
  /** Host keys are learned into it on first use (`StrictHostKeyChecking=accept-new`) and checked after. */
  readonly knownHostsFile: string;
  readonly user?: string;
  readonly timeoutMs?: number;
}

/** What a remote command did. `code` is ssh's exit status (255: ssh itself failed). */
export interface SshResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The `ssh` options `sshRun` uses, for tests that run ssh or Ansible themselves. */
export function sshArgs(options: SshOptions): string[] {
  return [
    '-i',
    options.privateKeyPath,
    '-o',
    `UserKnownHostsFile=${options.knownHostsFile}`,
    '-o',
    'StrictHostKeyChecking=accept-new',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=5',
    '-o',
    'LogLevel=ERROR',
  ];
}

/** Runs `command` (a shell line) on `ipv4` as root (or `user`); never rejects, see `code`. */
export function sshRun(ipv4: string, command: string, options: SshOptions): Promise<SshResult> {
  return new Promise((resolve) => {
    execFile(
      'ssh',
      [...sshArgs(options), `${options.user ?? 'root'}@${ipv4}`, command],
      { timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : 255;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}
