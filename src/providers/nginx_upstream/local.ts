/**
 * An upstream file on a `local_host` load balancer: a private nginx with prefix D/nginx/,
 * main config D/nginx/conf/nginx.conf including D/nginx/streams/*.conf, pid file
 * D/nginx/nginx.pid and error log D/nginx/logs/error.log (what ansible/loadbalancer.yml sets up).
 *
 * A change is tested on a copy of the streams directory, so `nginx -t` sees exactly the
 * configuration the reload will load while the live files stay untouched; only a tested file is
 * swapped in. The reload is a SIGHUP to the master, confirmed by new workers appearing (or
 * refused: nginx then logs `[emerg]` and keeps the old workers), after which the old workers
 * are given a few seconds to finish their open connections.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { error, type Diagnostic } from '../../diagnostics.js';
import type { OperationContext } from '../contract.js';
import { runOnHost, writeFileOnHost, type HostRef } from '../hostexec.js';
import { childrenOf, isAlive, processTitle } from './processes.js';
import { countOpenSockets, type OpenSockets } from './connections.js';
import type { InstallOptions, NginxSite } from './site.js';
import { serialized } from './serialize.js';

const NGINX = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
/** How long nginx may take to start the new configuration's workers. */
const RELOAD_TIMEOUT_MS = 10_000;
/**
 * How long a change waits for the old workers to finish what they were serving (open TCP
 * connections to the old servers). Clients that keep their connections open do not leave in
 * this time: after a switch the engine's drain step (route `drained`, docs/engine.md) waits for
 * them, so this only spares a short wait's worth of log lines.
 */
const DRAIN_TIMEOUT_MS = 1_000;
const POLL_MS = 10;
/** A refused reload whose log has been quiet this long is over (bind() retries are 500 ms apart). */
const SETTLE_MS = 700;

type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}

/** An upstream file of a local load balancer's private nginx (see the module comment). */
export class LocalNginxSite implements NginxSite {
  readonly description: string;
  readonly prefix: string;
  readonly confPath: string;
  readonly streamsDir: string;
  readonly pidFile: string;
  readonly errorLog: string;
  readonly file: string;

  constructor(
    private readonly host: HostRef,
    dir: string,
    readonly name: string,
  ) {
    this.description = `local_host ${host.ipv4}`;
    this.prefix = join(dir, 'nginx');
    this.confPath = join(this.prefix, 'conf', 'nginx.conf');
    this.streamsDir = join(this.prefix, 'streams');
    this.pidFile = join(this.prefix, 'nginx.pid');
    this.errorLog = join(this.prefix, 'logs', 'error.log');
    this.file = join(this.streamsDir, `${name}.conf`);
  }

  install(content: string, options: InstallOptions, ctx: OperationContext): Promise<readonly Diagnostic[]> {
    return this.exclusively(`Changing ${this.name} on ${this.description} failed`, async () => {
      const master = await this.master();
      if (!master.ok) return [this.notRunning(master.problem)];
      const replacing = options.replacing !== undefined && options.replacing !== this.file ? options.replacing : undefined;

      const rejected = await this.test(content, replacing, ctx);
      if (rejected) return [rejected];
      ctx.log(`nginx -t on ${this.description}: the new ${basename(this.file)} is valid`);

      const live = await readOrNull(this.file);
      const retired = replacing === undefined ? null : await readOrNull(replacing);
      const swapped = await this.swapIn(content, live, replacing, retired);
      if (swapped) return [swapped];

      const reloaded = await this.reload(master.value, ctx);
      if (!reloaded.ok) {
        const restored = await this.restore(live, replacing, retired);
        const again = restored ?? (await this.reload(master.value, ctx));
        const after =
          typeof again === 'string'
            ? `Restoring the previous configuration failed: ${again}`
            : again.ok
              ? 'The previous configuration was restored and reloaded.'
              : `The previous configuration was restored, but reloading it failed too: ${again.problem}`;
        return [error(`nginx on ${this.description} did not take the new configuration of ${this.name}`, `${reloaded.problem}\n${after}`)];
      }
      await this.drain(reloaded.value, ctx);
      return [];
    });
  }

  remove(ctx: OperationContext): Promise<readonly Diagnostic[]> {
    return this.exclusively(`Removing ${this.name} from ${this.description} failed`, async () => {
      const live = await readOrNull(this.file);
      if (live === null) return [];
      const master = await this.master();
      await rename(this.file, `${this.file}.prev`);
      if (!master.ok) {
        ctx.log(`nginx is not running on ${this.description} (${master.problem}); removed ${this.file} without a reload`);
        return [];
      }
      const reloaded = await this.reload(master.value, ctx);
      if (!reloaded.ok) {
        await rename(`${this.file}.prev`, this.file);
        const again = await this.reload(master.value, ctx);
        return [
          error(
            `nginx on ${this.description} did not reload without ${this.name}`,
            `${reloaded.problem}\nThe file was put back${again.ok ? ' and nginx reloaded with it' : `, but reloading failed again: ${again.problem}`}.`,
          ),
        ];
      }
      await this.drain(reloaded.value, ctx);
      return [];
    });
  }

  /** A local load balancer is this machine: its socket tables are ours. */
  async openTo(servers: readonly string[]): Promise<{ readonly open?: OpenSockets; readonly problem?: string }> {
    let tables = '';
    for (const t of ['tcp', 'udp', 'tcp6', 'udp6']) tables += `# ${t}\n${await readFile(`/proc/net/${t}`, 'utf8').catch(() => '')}`;
    return { open: countOpenSockets(tables, servers) };
  }

  async read(): Promise<{ readonly content: string | null; readonly diagnostics: readonly Diagnostic[] }> {
    try {
      return { content: await readOrNull(this.file), diagnostics: [] };
    } catch (e) {
      return { content: null, diagnostics: [error(`Cannot read ${this.file}`, (e as Error).message)] };
    }
  }

  /**
   * Runs `task` alone on this nginx; a file-system error (permissions, a full disk) becomes an
   * error diagnostic rather than an exception.
   */
  private exclusively(failed: string, task: () => Promise<readonly Diagnostic[]>): Promise<readonly Diagnostic[]> {
    return serialized(this.prefix, async () => {
      try {
        return await task();
      } catch (e) {
        return [error(failed, (e as Error).message)];
      }
    });
  }

  /** The running master's pid, or why there is none. */
  private async master(): Promise<Outcome<number>> {
    const text = await readOrNull(this.pidFile).catch(() => null);
    if (text === null) return { ok: false, problem: `there is no pid file ${this.pidFile}` };
    const pid = Number(text.trim());
    if (!Number.isInteger(pid) || pid <= 0) return { ok: false, problem: `the pid file ${this.pidFile} holds no pid` };
    if (!isAlive(pid)) return { ok: false, problem: `the pid file ${this.pidFile} names process ${pid}, which is not running` };
    const title = await processTitle(pid);
    if (!title.startsWith('nginx: master')) return { ok: false, problem: `process ${pid} (from ${this.pidFile}) is not an nginx master but "${title}"` };
    return { ok: true, value: pid };
  }

  private notRunning(problem: string): Diagnostic {
    return error(`nginx is not running on ${this.description} - provision it with ansible/loadbalancer.yml first`, `No nginx to configure: ${problem}.`);
  }

  /**
   * Runs `nginx -t` on the configuration the reload would load: the main config pointed at a
   * copy of the streams directory holding the new file. Returns the rejection, if any.
   */
  private async test(content: string, replacing: string | undefined, ctx: OperationContext): Promise<Diagnostic | undefined> {
    const main = await readOrNull(this.confPath).catch(() => null);
    if (main === null) return this.notRunning(`there is no ${this.confPath}`);
    const include = [...main.matchAll(/include\s+(["']?)([^;"'\s]+)\/\*\.conf\1\s*;/g)].find(
      (m) => resolve(dirname(this.confPath), m[2]) === this.streamsDir,
    );
    if (!include) {
      return error(
        `nginx on ${this.description} does not include ${this.streamsDir}/*.conf`,
        `${this.confPath} has no "include ${this.streamsDir}/*.conf;" in its stream block, so an upstream file there would not be loaded. Provision the load balancer with ansible/loadbalancer.yml.`,
      );
    }
    const token = randomBytes(4).toString('hex');
    const scratch = join(this.prefix, `.infra-check-${token}`);
    const scratchConf = join(this.prefix, 'conf', `.infra-check-${token}.conf`);
    try {
      await mkdir(scratch);
      for (const f of await readdir(this.streamsDir).catch(() => [] as string[])) {
        const path = join(this.streamsDir, f);
        if (f.endsWith('.conf') && path !== this.file && path !== replacing) await copyFile(path, join(scratch, f));
      }
      const written = await writeFileOnHost(this.host, join(scratch, basename(this.file)), content);
      if (!written.ok) return error(`Cannot check the new configuration of ${this.name}`, written.problem);
      const at = include.index ?? 0;
      const scratchMain = `${main.slice(0, at)}include ${scratch}/*.conf;${main.slice(at + include[0].length)}`;
      const writtenMain = await writeFileOnHost(this.host, scratchConf, scratchMain);
      if (!writtenMain.ok) return error(`Cannot check the new configuration of ${this.name}`, writtenMain.problem);
      const r = await runOnHost(this.host, [NGINX, '-t', '-p', `${this.prefix}/`, '-c', scratchConf, '-e', this.errorLog], {
        signal: ctx.signal,
        timeoutMs: 30_000,
      });
      if (r.ok) return undefined;
      const said = `${r.stderr}\n${r.stdout}`
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '' && !/test failed$|syntax is ok$/.test(l))
        .map((l) => l.split(scratchConf).join(this.confPath).split(scratch).join(this.streamsDir));
      return error(
        `nginx -t rejected the new configuration of ${this.name} on ${this.description}`,
        `${said.join('\n') || r.problem}\nThe live configuration is unchanged.`,
      );
    } finally {
      await rm(scratch, { recursive: true, force: true });
      await rm(scratchConf, { force: true });
    }
  }

  /** Keeps the live file as `.prev` and puts the new one in its place (each step atomic). */
  private async swapIn(content: string, live: string | null, replacing: string | undefined, retired: string | null): Promise<Diagnostic | undefined> {
    if (live !== null) {
      const kept = await writeFileOnHost(this.host, `${this.file}.prev`, live);
      if (!kept.ok) return error(`Cannot keep the previous configuration of ${this.name}`, kept.problem);
    }
    const written = await writeFileOnHost(this.host, this.file, content);
    if (!written.ok) return error(`Cannot write the new configuration of ${this.name}`, written.problem);
    if (replacing !== undefined && retired !== null) await rename(replacing, `${replacing}.prev`);
    return undefined;
  }

  /** Puts back what `swapIn` replaced; returns what went wrong, if anything. */
  private async restore(live: string | null, replacing: string | undefined, retired: string | null): Promise<string | undefined> {
    try {
      if (live !== null) {
        const r = await writeFileOnHost(this.host, this.file, live);
        if (!r.ok) return r.problem;
      } else {
        await unlink(this.file).catch(() => undefined);
      }
      if (replacing !== undefined && retired !== null) await rename(`${replacing}.prev`, replacing);
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  }

  private async workerPids(master: number): Promise<number[]> {
    return childrenOf(master);
  }

  /** `[emerg]` lines nginx logged after `offset`, without timestamps and pids. */
  private async refusals(offset: number): Promise<string[]> {
    const text = await readFile(this.errorLog).catch(() => Buffer.alloc(0));
    return text
      .subarray(offset)
      .toString('utf8')
      .split('\n')
      .filter((l) => l.includes('[emerg]'))
      .map((l) => l.replace(/^\S+ \S+ (\[emerg\]) \d+#\d+: /, '$1 '));
  }

  /**
   * SIGHUP to the master, then waits for workers of the new configuration. Resolves with the
   * old workers (to drain), or why the reload did not happen.
   */
  private async reload(master: number, ctx: OperationContext): Promise<Outcome<number[]>> {
    const before = await this.workerPids(master);
    const offset = (await stat(this.errorLog).catch(() => null))?.size ?? 0;
    const started = performance.now();
    try {
      process.kill(master, 'SIGHUP');
    } catch (e) {
      return { ok: false, problem: `cannot signal the nginx master ${master}: ${(e as Error).message}` };
    }
    let refused: string[] = [];
    let quietSince = 0;
    while (performance.now() - started < RELOAD_TIMEOUT_MS) {
      if (ctx.signal.aborted) return { ok: false, problem: 'interrupted while waiting for nginx to reload' };
      const now = await this.refusals(offset);
      if (now.length > refused.length) {
        refused = now;
        quietSince = performance.now();
      }
      // A refused reload is only over when the master has given up: it retries a failed bind()
      // five times, 500 ms apart, before "still could not bind()". Signalling it again before
      // then would have the next reload's check read this one's complaints.
      if (refused.length > 0 && (refused.some((l) => l.includes('still could not bind')) || performance.now() - quietSince > SETTLE_MS)) {
        return { ok: false, problem: `nginx refused the reload:\n${[...new Set(refused)].join('\n')}` };
      }
      if (refused.length === 0) {
        const fresh = (await this.workerPids(master)).filter((p) => !before.includes(p));
        const titles = await Promise.all(fresh.map(processTitle));
        if (titles.some((t) => t.includes('worker process') && !t.includes('shutting down'))) {
          ctx.log(`reloaded nginx on ${this.description} in ${seconds(performance.now() - started)} (workers ${before.join(', ') || 'none'} -> ${fresh.join(', ')})`);
          return { ok: true, value: before };
        }
      }
      if (!isAlive(master)) return { ok: false, problem: `the nginx master ${master} exited during the reload` };
      await sleep(POLL_MS);
    }
    return { ok: false, problem: `nginx started no workers with the new configuration within ${RELOAD_TIMEOUT_MS / 1000}s of the reload signal` };
  }

  /** Waits (boundedly) for the old workers to finish their open sessions and exit. */
  private async drain(oldWorkers: readonly number[], ctx: OperationContext): Promise<void> {
    const started = performance.now();
    let left = oldWorkers.filter(isAlive);
    while (left.length > 0 && performance.now() - started < DRAIN_TIMEOUT_MS && !ctx.signal.aborted) {
      await sleep(POLL_MS * 2);
      left = left.filter(isAlive);
    }
    if (oldWorkers.length === 0) return;
    if (left.length === 0) ctx.log(`old nginx workers on ${this.description} finished in ${seconds(performance.now() - started)}`);
    else
      ctx.log(
        `old nginx workers on ${this.description} still serve open connections after ${seconds(performance.now() - started)} ` +
          `(pids ${left.join(', ')}); they exit when their clients go idle`,
      );
  }
}
