/**
 * A private sshd on a loopback address, for tests of everything that runs commands over ssh.
 * It has its own configuration, its own fresh host key (so starting another one on the same
 * address and port is what a re-created instance on a reused address looks like), and accepts
 * exactly one client key (generated, or given). It logs in as root on this machine, so a test
 * that changes system paths gives it a private mount namespace with `binds` (a test folder
 * mounted over /etc/nginx, say): commands run through it see the folder, nothing else does.
 *
 * Needs root and openssh-server (`/usr/sbin/sshd`; scripts/setup.sh installs it). Stopped by
 * its PID, together with the sessions it forked.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SSHD = '/usr/sbin/sshd';

export interface SshdOptions {
  /** Address to listen on (an address on `lo`, see loopback.ts). */
  readonly address: string;
  /** Port; a random one from 20000-29999 when absent. */
  readonly port?: number;
  /** Client key pair to accept (`KEY` and `KEY.pub`); a new one is generated when absent. */
  readonly clientKeyFile?: string;
  /** Folders mounted over system paths for the sessions of this sshd only. */
  readonly binds?: readonly { readonly source: string; readonly target: string }[];
}

export interface Sshd {
  readonly address: string;
  readonly port: number;
  readonly pid: number;
  /** The private key the server accepts (mode 0600); `${clientKeyFile}.pub` is its public half. */
  readonly clientKeyFile: string;
  /** The server's public host key line (`ssh-ed25519 AAAA...`). */
  readonly hostPublicKey: string;
  /** The fixture's own folder (config, keys, log). */
  readonly dir: string;
  /** What sshd logged so far (`-e`: to stderr). */
  log(): string;
  /** Stops sshd and every session it forked; removes its folder (not a given client key). Idempotent. */
  stop(): Promise<void>;
}

/** Starts sshd and resolves once it accepts TCP connections. */
export async function startSshd(opts: SshdOptions): Promise<Sshd> {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: install openssh-server (npm run setup)`);
  const dir = await mkdtemp(join(tmpdir(), 'infra-sshd-'));
  const port = opts.port ?? 20000 + Math.floor(Math.random() * 10000);
  const hostKey = join(dir, 'host_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'infra-test-host', '-f', hostKey]);
  let clientKeyFile = opts.clientKeyFile;
  if (clientKeyFile === undefined) {
    clientKeyFile = join(dir, 'client_ed25519');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'infra-test-client', '-f', clientKeyFile]);
  }
  await writeFile(join(dir, 'authorized_keys'), await readFile(`${clientKeyFile}.pub`, 'utf8'), { mode: 0o600 });
  const config = join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      `Port ${port}`,
      `ListenAddress ${opts.address}`,
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'UsePAM no',
      // The fixture's folder lives in /tmp, which other users may write to.
      'StrictModes no',
      'Subsystem sftp internal-sftp',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  // sshd refuses to start without its privilege separation directory (the package makes it at boot).
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });

  const sshdArgv = [SSHD, '-D', '-e', '-f', config];
  const binds = opts.binds ?? [];
  const child: ChildProcess =
    binds.length === 0
      ? spawn(sshdArgv[0], sshdArgv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] })
      : // unshare execs sh in place and sh execs sshd: the child's PID is sshd's.
        spawn(
          'unshare',
          [
            '--mount',
            '--propagation',
            'private',
            '--',
            'sh',
            '-c',
            `${binds.map((_, i) => `mount --bind "$${2 * i + 1}" "$${2 * i + 2}" || exit 1; `).join('')}exec ${sshdArgv.join(' ')}`,
            'sh',
            ...binds.flatMap((b) => [b.source, b.target]),
          ],
          { stdio: ['ignore', 'ignore', 'pipe'] },
        );
  let log = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => (log += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid;
  if (pid === undefined) throw new Error('sshd did not start');

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // Sessions (and ssh's multiplexing masters on the client side end with them) outlive a
    // stopped listener: end them first, by PID.
    for (const session of await childrenOf(pid)) killQuietly(session, 'SIGTERM');
    killQuietly(pid, 'SIGTERM');
    const timer = setTimeout(() => killQuietly(pid, 'SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 10_000;
  while (!(await accepts(opts.address, port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`sshd on ${opts.address}:${port} did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const hostPublicKey = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(' ').slice(0, 2).join(' ');
  return { address: opts.address, port, pid, clientKeyFile, hostPublicKey, dir, log: () => log, stop };
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** PIDs of the processes whose parent is `ppid`. */
async function childrenOf(ppid: number): Promise<number[]> {
  const out: number[] = [];
  for (const e of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(e)) continue;
    const stat = await readFile(`/proc/${e}/stat`, 'utf8').catch(() => '');
    if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === ppid) out.push(Number(e));
  }
  return out;
}
