/**
 * A lab host: a Debian system with systemd as PID 1, booted by `systemd-nspawn` in a network
 * namespace of its own on the lab's bridge, on a root from root-fs.ts. Made by `Lab.boot`.
 *
 * Booting is asynchronous, as on Linode: the host exists (and the emulator says `running`)
 * before its sshd answers; `waitForSsh` waits for the SSH banner. `powerOff` is SIGTERM to
 * nspawn (which makes systemd power the host off), SIGKILL after a bound, then the root is
 * unmounted and the namespace deleted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { removeCgroupTree } from './cgroups.js';
import { sleep } from './commands.js';
import { deleteNetns } from './network.js';
import { processStart } from './registry.js';
import { mountHostRoot, unmountHostRoot, type HostRoot } from './root-fs.js';

/** What `Lab.boot` takes. */
export interface BootOptions {
  /** The host's address; one from the lab's pool when left out (given back at power-off). */
  readonly ipv4?: string;
  /** Public keys allowed to log in as root (`ssh-ed25519 AAAA... comment`). */
  readonly authorizedKeys: readonly string[];
  /** Default: `host-<a>-<b>-<c>-<d>` after the address. */
  readonly hostname?: string;
}

/** `booting`: nspawn runs, sshd may not answer yet; `off`: powered off, nothing left. */
export type HostState = 'booting' | 'ready' | 'off';

/** A booted lab host. */
export interface LabHost {
  /** Its network namespace (`/run/netns/NAME`) and nspawn machine name: `infra-lab-<id>-<n>`. */
  readonly name: string;
  readonly ipv4: string;
  readonly hostname: string;
  /** The root directory, as this machine sees it (read files a host wrote; never write). */
  readonly root: string;
  /** nspawn's output: the host's console (systemd's boot messages). */
  readonly consoleLog: string;
  /** Date.now() when nspawn was started. */
  readonly bootedAt: number;
  /** Milliseconds from boot to the first SSH banner, once `waitForSsh` saw it. */
  readonly sshReadyMs: number | null;
  readonly state: HostState;
  /** The nspawn process id (null once off). */
  readonly pid: number | null;
  /**
   * Resolves once sshd on ipv4:22 sends its banner (the host key is not checked), with the
   * milliseconds since boot. Rejects when the host stops first (with the console's last
   * lines) or after `timeoutMs` (default 60 s).
   */
  waitForSsh(options?: { timeoutMs?: number }): Promise<number>;
  /** The host's public keys as in known_hosts (`ssh-ed25519 AAAA...`), one per key type. */
  hostKeys(): Promise<string[]>;
  /** Powers off (SIGTERM, SIGKILL after `timeoutMs`, default 10 s), unmounts, deletes the namespace; idempotent. */
  powerOff(options?: { timeoutMs?: number }): Promise<void>;
}

/** Where a host keeps its nspawn pid, for the leftovers of a lab whose process died. */
export interface HostMarker {
  readonly name: string;
  readonly pid: number;
  readonly pidStart: string;
}

/** What the lab hands `startHost`: the namespace is made already. */
export interface StartHostOptions {
  readonly name: string;
  readonly dir: string;
  readonly netns: string;
  readonly ipv4: string;
  readonly hostname: string;
  readonly authorizedKeys: readonly string[];
  /** The host's own cgroups (cgroups.ts), made already; nspawn starts in them. */
  readonly cgroups: readonly string[];
  /** Called once the host is off and its resources are gone (the lab frees its address). */
  readonly onOff: () => void;
}

/** Mounts the root, starts nspawn and returns at once (the host boots on its own). */
export async function startHost(options: StartHostOptions): Promise<LabHost> {
  let hostRoot: HostRoot;
  try {
    hostRoot = await mountHostRoot(options.dir, {
      hostname: options.hostname,
      authorizedKeys: options.authorizedKeys,
      ipv4: options.ipv4,
    });
  } catch (e) {
    await deleteNetns(options.netns);
    for (const cgroup of options.cgroups) await removeCgroupTree(cgroup);
    await rm(options.dir, { recursive: true, force: true });
    throw e;
  }
  const consoleLog = join(options.dir, 'console.log');
  const out = openSync(consoleLog, 'a');
  let child: ChildProcess;
  try {
    // sh moves itself into the host's cgroups, then becomes nspawn (same pid).
    child = spawn(
      'sh',
      [
        '-c',
        'for cgroup in $LAB_CGROUPS; do echo $$ > "$cgroup/cgroup.procs" || exit 125; done; exec "$@"',
        'sh',
        'systemd-nspawn',
        '--boot',
        '--register=no',
        '--keep-unit',
        // A Linode guest configures its own interface (linode_service_address brings an
        // assigned address up at run time), so root on a host may too.
        '--capability=CAP_NET_ADMIN',
        `--network-namespace-path=/run/netns/${options.netns}`,
        '--resolv-conf=off',
        '--timezone=off',
        '--link-journal=no',
        '--console=read-only',
        `--machine=${options.name}`,
        `--hostname=${options.hostname}`,
        '-D',
        hostRoot.root,
      ],
      // Its own process group: a Ctrl-C meant for the test process does not reach the host; the
      // lab powers it off in order.
      { stdio: ['ignore', out, out], detached: true, env: { ...process.env, SYSTEMD_LOG_LEVEL: 'warning', LAB_CGROUPS: options.cgroups.join(' ') } },
    );
  } finally {
    closeSync(out);
  }
  child.unref();
  const bootedAt = Date.now();
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', () => {
      exited = true;
      resolve();
    });
  });
  const pid = child.pid ?? null;
  if (pid !== null) {
    const pidStart = (await processStart(pid)) ?? '';
    const marker: HostMarker = { name: options.name, pid, pidStart };
    await writeFile(join(options.dir, 'host.json'), `${JSON.stringify(marker)}\n`);
  }

  let state: HostState = 'booting';
  let sshReadyMs: number | null = null;
  let poweringOff: Promise<void> | null = null;

  const consoleTail = async (): Promise<string> => {
    const text = await readFile(consoleLog, 'utf8').catch(() => '');
    return text.split('\n').slice(-15).join('\n');
  };

  const host: LabHost = {
    name: options.name,
    ipv4: options.ipv4,
    hostname: options.hostname,
    root: hostRoot.root,
    consoleLog,
    bootedAt,
    get sshReadyMs() {
      return sshReadyMs;
    },
    get state() {
      return state;
    },
    get pid() {
      return state === 'off' ? null : pid;
    },
    async waitForSsh({ timeoutMs = 60_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (state === 'off' || poweringOff !== null) throw new Error(`${options.name} (${options.ipv4}) was powered off before sshd answered`);
        if (exited) {
          throw new Error(`${options.name} (${options.ipv4}) stopped before sshd answered; its console ends:\n${await consoleTail()}`);
        }
        if (await sshBanner(options.ipv4, 1000)) {
          const ms = Date.now() - bootedAt;
          if (sshReadyMs === null) sshReadyMs = ms;
          if (state === 'booting') state = 'ready';
          return ms;
        }
        if (Date.now() > deadline) {
          throw new Error(`${options.name} (${options.ipv4}): sshd did not answer within ${timeoutMs} ms; its console ends:\n${await consoleTail()}`);
        }
        await sleep(100);
      }
    },
    async hostKeys() {
      const dir = join(hostRoot.root, 'etc/ssh');
      const files = (await readdir(dir)).filter((f) => /^ssh_host_.*_key\.pub$/.test(f)).sort();
      const keys = await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')));
      return keys.map((k) => k.trim().split(/\s+/).slice(0, 2).join(' '));
    },
    powerOff({ timeoutMs = 10_000 } = {}) {
      poweringOff ??= (async () => {
        if (pid !== null && !exited) {
          signal(pid, 'SIGTERM');
          if (!(await within(exit, timeoutMs))) {
            signal(pid, 'SIGKILL');
            await within(exit, 5000);
          }
        }
        // nspawn is gone; anything still in the host's cgroups or namespace (a container that
        // outlived a killed nspawn) is SIGKILLed before they go.
        for (const cgroup of options.cgroups) await removeCgroupTree(cgroup);
        await deleteNetns(options.netns);
        await unmountHostRoot(hostRoot);
        await rm(options.dir, { recursive: true, force: true });
        state = 'off';
        options.onOff();
      })();
      return poweringOff;
    },
  };
  return host;
}

/** True when a TCP connection to ip:22 yields an `SSH-` banner within `timeoutMs`. */
export function sshBanner(ipv4: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: ipv4, port: 22 });
    let data = '';
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      data += chunk;
      if (data.includes('\n')) done(data.startsWith('SSH-'));
    });
    socket.on('error', () => done(false));
    socket.on('close', () => done(false));
  });
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

async function within(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const result = await Promise.race([promise.then(() => true), timeout]);
  clearTimeout(timer);
  return result;
}
