/**
 * A lab host's root file system: a copy-on-write overlay over this machine's `/` whose upper
 * layer is a tmpfs of the host's own, so nothing a host writes reaches this machine and
 * everything it wrote is gone when it powers off.
 *
 * The overlay sees only the root file system itself, never the mounts on top of it (/proc, /sys,
 * /dev and the like are nspawn's). Directories that hold this machine's private or transient
 * data (/root, /home, /tmp, /run, the checkout's top directory, ...) start empty in a host.
 *
 * What a host looks like - a freshly installed Debian with this machine's packages, as a Linode
 * made from an image:
 * - fresh SSH host keys (ECDSA and ED25519), root's `authorized_keys` from the boot options, its
 *   own hostname, /etc/hosts and machine id, and an /etc/resolv.conf without a resolver (hosts
 *   have no route to one);
 * - every unit this machine enabled (named, nginx, postgresql, apt and other timers, getty, ...)
 *   disabled, consoles masked, and only `ssh.service` enabled: services are the playbooks' job
 *   (they enable and start them), and an idle host boots in about a second;
 * - no `/usr/sbin/policy-rc.d` (the host is a real system whose packages may start services);
 * - the apt lists count as just refreshed (`/var/lib/apt/periodic/update-success-stamp`):
 *   the host shares this machine's lists but cannot reach a mirror, so an `apt` task with
 *   `cache_valid_time` finds the installed packages without trying to update.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { attempt, run, sleep } from './commands.js';

/** What to put in a host's root. */
export interface HostRootOptions {
  readonly hostname: string;
  /** Lines for /root/.ssh/authorized_keys. */
  readonly authorizedKeys: readonly string[];
  /** The host's own address (for /etc/hosts). */
  readonly ipv4: string;
}

/** A mounted host root; `root` is the directory to give `systemd-nspawn -D`. */
export interface HostRoot {
  readonly root: string;
  /** The tmpfs holding the overlay's upper and work directories. */
  readonly scratch: string;
}

/** The host key types a host gets. */
const HOST_KEY_TYPES = ['ecdsa', 'ed25519'] as const;

/** Units masked in every host: consoles nobody logs in to. */
const MASKED_UNITS = ['getty.target', 'console-getty.service', 'systemd-timesyncd.service', 'e2scrub_reap.service'];

/** Top-level directories that are never hidden (the system itself). */
const SYSTEM_DIRS = new Set(['bin', 'boot', 'dev', 'etc', 'lib', 'lib32', 'lib64', 'libx32', 'opt', 'proc', 'sbin', 'sys', 'usr', 'var']);

/** Directories a host sees empty: [path, mode]. */
function hiddenDirectories(): [string, number][] {
  const hidden: [string, number][] = [
    ['tmp', 0o1777],
    ['var/tmp', 0o1777],
    ['root', 0o700],
    ['home', 0o755],
    ['run', 0o755],
    ['mnt', 0o755],
    ['media', 0o755],
    ['srv', 0o755],
    ['work', 0o755],
  ];
  // The checkout (and whatever sits beside it) is nobody's business on a host.
  const checkout = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
  const top = checkout.split(sep).filter((p) => p !== '')[0];
  if (top !== undefined && !SYSTEM_DIRS.has(top) && !hidden.some(([p]) => p === top)) hidden.push([top, 0o755]);
  return hidden;
}

/**
 * Mounts a tmpfs at `dir/scratch` and the overlay at `dir/root`, then makes it a fresh host.
 * On failure everything mounted is unmounted again and the error is thrown.
 */
export async function mountHostRoot(dir: string, options: HostRootOptions): Promise<HostRoot> {
  const scratch = join(dir, 'scratch');
  const root = join(dir, 'root');
  await mkdir(scratch, { recursive: true });
  await mkdir(root, { recursive: true });
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'mode=0755,size=2g', 'tmpfs', scratch]);
    const upper = join(scratch, 'upper');
    const work = join(scratch, 'work');
    await mkdir(upper);
    await mkdir(work);
    const hidden = hiddenDirectories();
    // A 0:0 character device in the upper layer is an overlay whiteout: the lower directory
    // vanishes, and a directory made over it later is opaque (empty), all without copying.
    for (const [path] of hidden) {
      const parent = join(upper, path, '..');
      await mkdir(parent, { recursive: true });
      await run('mknod', [join(upper, path), 'c', '0', '0']);
    }
    await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=/,upperdir=${upper},workdir=${work}`, root]);
    for (const [path, mode] of hidden) {
      await mkdir(join(root, path));
      await chmod(join(root, path), mode);
    }
    await makeFreshHost(root, options);
  } catch (e) {
    await unmountHostRoot({ root, scratch });
    throw e;
  }
  return { root, scratch };
}

/** Unmounts a host root (overlay, then its tmpfs); idempotent. Lazily when still busy. */
export async function unmountHostRoot(hostRoot: HostRoot): Promise<void> {
  for (const target of [hostRoot.root, hostRoot.scratch]) await unmount(target);
}

/** Unmounts `target` if it is a mount point; retries a busy one, then detaches it lazily. */
export async function unmount(target: string): Promise<void> {
  for (let i = 0; i < 10; i++) {
    if (!(await isMountPoint(target))) return;
    if (await attempt('umount', [target])) return;
    await sleep(100);
  }
  await attempt('umount', ['-l', target]);
}

/** The mount points at or below `dir`, deepest first. */
export async function mountsBelow(dir: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return info
    .split('\n')
    .map((line) => unescapeMountPath(line.split(' ')[4] ?? ''))
    .filter((p) => p === dir || p.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

async function isMountPoint(path: string): Promise<boolean> {
  return (await mountsBelow(path)).includes(path);
}

function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

async function makeFreshHost(root: string, options: HostRootOptions): Promise<void> {
  const etc = join(root, 'etc');

  const sshDir = join(etc, 'ssh');
  for (const name of await readdir(sshDir)) {
    if (name.startsWith('ssh_host_')) await unlink(join(sshDir, name));
  }
  await rm(join(sshDir, 'sshd_not_to_be_run'), { force: true });
  // No RSA key: making one costs about half a second of CPU per host, a lot when a test boots
  // eight on two cores; clients prefer ed25519 anyway.
  await Promise.all(
    HOST_KEY_TYPES.map((type) => run('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', `root@${options.hostname}`, '-f', join(sshDir, `ssh_host_${type}_key`)])),
  );
  await writeFile(join(sshDir, 'sshd_config.d/lab-host-keys.conf'), HOST_KEY_TYPES.map((t) => `HostKey /etc/ssh/ssh_host_${t}_key\n`).join(''));

  await rm(join(root, 'usr/sbin/policy-rc.d'), { force: true });

  const units = join(etc, 'systemd/system');
  for (const entry of await readdir(units)) {
    if (!entry.endsWith('.wants') && !entry.endsWith('.requires')) continue;
    for (const link of await readdir(join(units, entry))) await unlink(join(units, entry, link));
  }
  for (const unit of MASKED_UNITS) {
    await rm(join(units, unit), { force: true });
    await symlink('/dev/null', join(units, unit));
  }
  await mkdir(join(units, 'multi-user.target.wants'), { recursive: true });
  await symlink('/lib/systemd/system/ssh.service', join(units, 'multi-user.target.wants/ssh.service'));

  await writeFile(join(etc, 'hostname'), `${options.hostname}\n`);
  await writeFile(
    join(etc, 'hosts'),
    `127.0.0.1\tlocalhost\n${options.ipv4}\t${options.hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n`,
  );
  await writeFile(join(etc, 'machine-id'), `${randomBytes(16).toString('hex')}\n`);
  await rm(join(etc, 'resolv.conf'), { force: true });
  await writeFile(join(etc, 'resolv.conf'), '# a lab host has no resolver (docs/lab.md)\noptions timeout:1 attempts:1\n');
  await writeFile(join(etc, 'fstab'), '# a lab host: its root is mounted by the lab (docs/lab.md)\n');

  const dotSsh = join(root, 'root/.ssh');
  await mkdir(dotSsh, { mode: 0o700 });
  await writeFile(join(dotSsh, 'authorized_keys'), options.authorizedKeys.map((k) => `${k.trim()}\n`).join(''), { mode: 0o600 });

  const periodic = join(root, 'var/lib/apt/periodic');
  await mkdir(periodic, { recursive: true });
  await writeFile(join(periodic, 'update-success-stamp'), '');
}
