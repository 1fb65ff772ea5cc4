/**
 * One run of `ansible-playbook` against one host: a private temporary directory holds the
 * generated inventory, the variables (mode 0600: they may hold secrets) and the failure-recording
 * callback plugin, and is removed afterwards. Output is streamed line by line to the caller;
 * failed tasks come back as diagnostics naming the task and carrying its message.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { execa } from 'execa';
import { error, type Diagnostic } from '../../diagnostics.js';
import type { Json } from '../../evaluate/value.js';
import { DEFAULT_SSH, prepareSsh, shellQuote, sshOptions, type HostRef } from '../hostexec.js';
import { CALLBACK_NAME, CALLBACK_SOURCE, EVENTS_ENV, type TaskEvent } from './callback.js';
import { stringifyJson } from '../../evaluate/json-text.js';

export interface PlaybookRun {
  /** Absolute path of the playbook. */
  readonly playbookPath: string;
  readonly host: HostRef;
  /** Extra vars (an object). */
  readonly vars: Json;
  /** Receives the output, one line at a time. */
  readonly log: (line: string) => void;
  /** Aborting it stops ansible-playbook and every process of its own (not daemons it started). */
  readonly signal?: AbortSignal;
  /** The program to run; `ansible-playbook` from PATH by default. */
  readonly executable?: string;
  /** The state's known-hosts file (`stateKnownHostsFile(ctx)`); required for ssh hosts. */
  readonly knownHostsFile?: string;
}

/** How the generated inventory reaches an ssh host besides the host's own settings. */
export interface InventoryAccess {
  /** The state's known-hosts file, used unless the host's ssh settings name their own. */
  readonly knownHostsFile?: string;
  /** Socket of ssh's connection sharing for the run (one connection for all its tasks). */
  readonly controlPath?: string;
}

/**
 * Inventory variables of a host (documented in docs/providers/ansible.md): for ssh hosts the
 * user, port, key and the very ssh options hostexec's commands use (`sshOptions`), so a playbook
 * reaches a host exactly as nginx_upstream does.
 */
export function inventoryFor(host: HostRef, access: InventoryAccess = {}): Record<string, Json> {
  if (host.connection === 'local') {
    return {
      ansible_connection: 'local',
      // The Python running ansible-playbook certainly has what modules need.
      ansible_python_interpreter: '{{ ansible_playbook_python }}',
      infra_local: true,
      infra_dir: host.dir ?? '',
      infra_ipv4: host.ipv4,
    };
  }
  const ssh = host.ssh ?? DEFAULT_SSH;
  return {
    ansible_host: host.ipv4,
    ansible_user: ssh.user,
    ansible_port: ssh.port,
    ...(ssh.privateKeyFile !== null ? { ansible_ssh_private_key_file: ssh.privateKeyFile } : {}),
    ansible_ssh_common_args: sshOptions(ssh, access.knownHostsFile).map(shellQuote).join(' '),
    // Ansible's own default args, but with the shared connection's socket in the run's folder
    // (not ~/.ansible/cp, where a master of a host since re-created could be picked up).
    ...(access.controlPath !== undefined
      ? { ansible_ssh_args: `-C -o ControlMaster=auto -o ControlPersist=60s -o ${shellQuote(`ControlPath=${access.controlPath}`)}` }
      : {}),
    // Ansible checks host keys through ssh's options above; its own check would add nothing.
    ansible_host_key_checking: ssh.hostKeyChecking !== 'off',
    infra_local: false,
    infra_ipv4: host.ipv4,
  };
}

/** Lines that say nothing useful here (see the comment at their use). */
const QUIET_LINES = [/^\[WARNING\]: Found variable using reserved name: serial$/];
const LONGEST_LOG_LINE = 400;

/** How long ansible-playbook gets to exit after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 5000;

/** Runs the playbook; returns no diagnostics when it succeeded. */
export async function runPlaybook(run: PlaybookRun): Promise<Diagnostic[]> {
  const name = basename(run.playbookPath);
  const executable = run.executable ?? 'ansible-playbook';
  await sweepAbandoned();
  const work = await mkdtemp(join(tmpdir(), WORK_PREFIX));
  await writeFile(join(work, OWNER_FILE), String(process.pid));
  try {
    const inventoryPath = join(work, 'inventory.json');
    const varsPath = join(work, 'vars.json');
    const eventsPath = join(work, 'events.jsonl');
    const pluginDir = join(work, 'callback_plugins');
    await mkdir(pluginDir);
    await writeFile(join(pluginDir, `${CALLBACK_NAME}.py`), CALLBACK_SOURCE, { mode: 0o600 });
    const unusable = await prepareSsh(run.host, run.knownHostsFile);
    if (unusable !== undefined) return [error(`Playbook ${name} cannot reach ${run.host.ipv4}`, `${unusable}.`)];
    const controlPath = join(work, 'cp');
    const inventory = {
      all: { hosts: { [run.host.ipv4]: inventoryFor(run.host, { knownHostsFile: run.knownHostsFile, controlPath }) } },
    };
    await writeFile(inventoryPath, stringifyJson(inventory, 2), { mode: 0o600 });
    await writeFile(varsPath, stringifyJson(run.vars), { mode: 0o600 });

    const env = process.env;
    const joined = (own: string, existing: string | undefined, sep: string): string => (existing ? `${own}${sep}${existing}` : own);
    const lineLogger = function* (chunk: unknown): Generator<unknown, void, void> {
      const line = String(chunk);
      const text = line.replace(/\s*\*{3,}$/, '').trimEnd();
      // ansible warns about any variable named like a play keyword; `serial` (the zone's SOA
      // serial in nameserver.yml) does not touch the play's batch size, so the warning misleads.
      if (text !== '' && !QUIET_LINES.some((re) => re.test(text))) {
        run.log(text.length > LONGEST_LOG_LINE ? `${text.slice(0, LONGEST_LOG_LINE)}...` : text);
      }
      yield line;
    };

    const argv = ['-i', inventoryPath, '-e', `@${varsPath}`, run.playbookPath];
    const path = `${env['PATH'] ?? '/usr/bin:/bin'}:/usr/sbin:/sbin`;
    const resolved = findExecutable(executable, path);
    if (resolved === undefined) return [notInstalled(executable)];
    // If infra itself is killed (kill -9), ansible-playbook must not run on alone: setpriv asks
    // the kernel to send it SIGTERM when its parent dies.
    const [file, args] = existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', 'TERM', '--', resolved, ...argv]] : [resolved, argv];
    const child = execa(file, args, {
      cwd: dirname(run.playbookPath),
      env: {
        // Play tasks put sbin on PATH themselves; lookups run here, on the controller.
        PATH: path,
        ANSIBLE_NOCOLOR: '1',
        ANSIBLE_RETRY_FILES_ENABLED: '0',
        ANSIBLE_PIPELINING: '1',
        ANSIBLE_CALLBACK_PLUGINS: joined(pluginDir, env['ANSIBLE_CALLBACK_PLUGINS'], ':'),
        ANSIBLE_CALLBACKS_ENABLED: joined(CALLBACK_NAME, env['ANSIBLE_CALLBACKS_ENABLED'], ','),
        [EVENTS_ENV]: eventsPath,
        PYTHONUNBUFFERED: '1',
      },
      stdin: 'ignore',
      stdout: lineLogger,
      stderr: lineLogger,
      reject: false,
      // Its own process group, so that a cancel reaches ansible's forked workers too, and a
      // first Ctrl-C at the terminal (which the engine handles gracefully) does not reach it.
      detached: true,
    });

    let cancelled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const killGroup = (sig: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // Already gone.
      }
    };
    const onAbort = (): void => {
      cancelled = true;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
    };
    if (run.signal?.aborted) onAbort();
    else run.signal?.addEventListener('abort', onAbort, { once: true });
    const result = await child;
    run.signal?.removeEventListener('abort', onAbort);
    if (killTimer) clearTimeout(killTimer);
    if (run.host.connection === 'ssh') await stopSharedConnection(controlPath);

    if (result.exitCode === undefined && !cancelled) {
      return [result.code === 'ENOENT' ? notInstalled(executable) : error(`Could not run ${executable}`, result.originalMessage || result.shortMessage)];
    }
    if (cancelled) return [error(`Playbook ${name} was cancelled`, `ansible-playbook was stopped on ${run.host.ipv4} before it finished; the host may be half configured.`)];
    if (result.exitCode === 0) return [];

    const events = await readEvents(eventsPath);
    if (events.length > 0) return events.map((e) => eventDiagnostic(name, e));
    const output = [typeof result.stderr === 'string' ? result.stderr : '', typeof result.stdout === 'string' ? result.stdout : '']
      .join('\n')
      .split('\n')
      .filter((l) => l.trim() !== '');
    const errors = output.filter((l) => /^ERROR!|^\[ERROR\]/.test(l));
    return [
      error(
        `Playbook ${name} failed (ansible-playbook exited with status ${result.exitCode})`,
        (errors.length > 0 ? errors : output.slice(-15)).join('\n'),
      ),
    ];
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function readEvents(path: string): Promise<TaskEvent[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const events: TaskEvent[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      events.push(JSON.parse(line) as TaskEvent);
    } catch {
      // A line cut short by a killed run: the exit status still reports the failure.
    }
  }
  return events;
}

const MAX_OUTPUT_LINES = 20;

function text(v: unknown): string {
  if (v === undefined || v === null) return '';
  return (typeof v === 'string' ? v : stringifyJson(v)).trim();
}

function lastLines(v: unknown): string {
  const lines = text(v).split('\n');
  return (lines.length > MAX_OUTPUT_LINES ? ['...', ...lines.slice(-MAX_OUTPUT_LINES)] : lines).join('\n');
}

/** The message and output of a failed task (or loop item), most telling first. */
function describe(r: Omit<TaskEvent, 'event' | 'host' | 'task'>): string[] {
  const parts: string[] = [];
  const msg = text(r.msg);
  if (msg !== '') parts.push(msg);
  for (const out of [r.stderr, r.stdout, r.module_stderr]) if (text(out) !== '') parts.push(lastLines(out));
  return parts;
}

function eventDiagnostic(playbook: string, e: TaskEvent): Diagnostic {
  if (e.event === 'unreachable') {
    return error(`Playbook ${playbook} could not reach ${e.host} (task "${e.task}")`, describe(e).join('\n'));
  }
  const parts: string[] = [];
  if (e.items && e.items.length > 0) {
    for (const item of e.items) {
      const label = text(item.item_label);
      const lines = describe(item);
      parts.push(label !== '' ? `${label}: ${lines.join('\n')}` : lines.join('\n'));
    }
  } else {
    parts.push(...describe(e));
  }
  return error(`Playbook ${playbook} failed at task "${e.task}" on ${e.host}`, parts.join('\n'));
}

const SETPRIV = '/usr/bin/setpriv';

/**
 * Ends the run's shared ssh connection (ControlPersist would keep it for a minute after the run,
 * holding a session open on the host). Nothing to do when there is none.
 */
async function stopSharedConnection(controlPath: string): Promise<void> {
  if (!existsSync(controlPath)) return;
  await execa('ssh', ['-o', `ControlPath=${controlPath}`, '-O', 'exit', 'shared-connection'], { reject: false, stdin: 'ignore', timeout: 5000 });
}

function notInstalled(executable: string): Diagnostic {
  return error(
    `${executable} is not installed`,
    'The ansible_playbook resource runs ansible-playbook (from ansible-core). Install it with "npm run setup" ' +
      '(scripts/setup.sh; as root), or put ansible-playbook on PATH.',
  );
}

/** The executable's absolute path: itself when it has a slash, else the first match on `path`. */
function findExecutable(executable: string, path: string): string | undefined {
  const candidates = executable.includes('/') ? [executable] : path.split(':').filter(Boolean).map((d) => join(d, executable));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here
    }
  }
  return undefined;
}

const WORK_PREFIX = 'infra-ansible-';
const OWNER_FILE = 'owner.pid';

/**
 * Removes the work folders (inventory, variables) of runs whose infra process died without
 * cleaning up (kill -9): the variables may hold secrets, so they do not stay behind for long.
 */
async function sweepAbandoned(): Promise<void> {
  const names = await readdir(tmpdir()).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(WORK_PREFIX)) continue;
    const dir = join(tmpdir(), name);
    const owner = Number(await readFile(join(dir, OWNER_FILE), 'utf8').catch(() => 'NaN'));
    if (!Number.isInteger(owner) || owner === process.pid) continue;
    let alive = true;
    try {
      process.kill(owner, 0);
    } catch (e) {
      alive = (e as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!alive) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
