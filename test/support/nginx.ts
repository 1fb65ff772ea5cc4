/**
 * A private nginx for tests, laid out the way a `local_host` load balancer is provisioned:
 * prefix `D/nginx/`, main config `D/nginx/conf/nginx.conf` loading the stream module and
 * including `D/nginx/streams/*.conf`, pid file `D/nginx/nginx.pid`, logs in `D/nginx/logs/`.
 * nginx daemonizes as it would in production; the test stops it by the pid in the pid file.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { childrenOf } from '../../src/providers/nginx_upstream/processes.js';

const run = promisify(execFile);

export interface NginxOptions {
  /** The host directory D; a temporary one (removed by `stop`) when absent. */
  readonly dir?: string;
  /** Default 2, so a reload has several old workers to hand over from, as in production. */
  readonly workerProcesses?: number;
  /** Extra main-context directives (`worker_shutdown_timeout 5s;`). */
  readonly mainDirectives?: string;
  /** `info` logs every UDP session, including those dropped on shutdown. Default `notice`. */
  readonly errorLogLevel?: string;
}

/** A running private nginx. `stop` is idempotent and waits for master and workers to exit. */
export interface NginxServer {
  readonly dir: string;
  readonly prefix: string;
  readonly confPath: string;
  readonly streamsDir: string;
  readonly pidFile: string;
  readonly errorLog: string;
  /** The `lb` object an `nginx_upstream` takes for this instance. */
  lb(ipv4: string): { ipv4: string; dir: string; connection: 'local' };
  masterPid(): Promise<number>;
  stop(): Promise<void>;
}

/** The main config a provisioned load balancer has (what ansible/loadbalancer.yml renders). */
export function nginxMainConf(dir: string, workerProcesses = 2, mainDirectives = '', errorLogLevel = 'notice'): string {
  const prefix = join(dir, 'nginx');
  return `load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes ${workerProcesses};
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log ${errorLogLevel};
${mainDirectives}
events {
  worker_connections 4096;
}

stream {
  include ${prefix}/streams/*.conf;
}
`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Starts nginx with the load-balancer layout under `dir` and resolves once its pid file is there. */
export async function startNginx(opts: NginxOptions = {}): Promise<NginxServer> {
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'infra-test-lb-')));
  const prefix = join(dir, 'nginx');
  const confPath = join(prefix, 'conf', 'nginx.conf');
  const streamsDir = join(prefix, 'streams');
  const pidFile = join(prefix, 'nginx.pid');
  const errorLog = join(prefix, 'logs', 'error.log');
  for (const d of ['conf', 'streams', 'logs']) await mkdir(join(prefix, d), { recursive: true });
  await writeFile(confPath, nginxMainConf(dir, opts.workerProcesses ?? 2, opts.mainDirectives ?? '', opts.errorLogLevel ?? 'notice'));

  const masterPid = async (): Promise<number> => Number((await readFile(pidFile, 'utf8')).trim());
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    const pid = await masterPid().catch(() => 0);
    if (pid > 0 && alive(pid)) {
      const workers = await childrenOf(pid);
      process.kill(pid, 'SIGTERM');
      await waitFor(() => !alive(pid) && workers.every((w) => !alive(w)), 5000, 'nginx to exit').catch(() => {
        for (const p of [pid, ...workers]) if (alive(p)) process.kill(p, 'SIGKILL');
      });
    }
    if (ownDir) await rm(dir, { recursive: true, force: true });
  };

  try {
    await run('/usr/sbin/nginx', ['-p', `${prefix}/`, '-c', confPath, '-e', errorLog]);
    await waitFor(async () => (await masterPid().catch(() => 0)) > 0, 5000, 'the nginx pid file');
  } catch (err) {
    const log = await readFile(errorLog, 'utf8').catch(() => '');
    await stop();
    throw new Error(`nginx did not start: ${(err as Error).message}\n${log}`);
  }
  return {
    dir,
    prefix,
    confPath,
    streamsDir,
    pidFile,
    errorLog,
    lb: (ipv4: string) => ({ ipv4, dir, connection: 'local' as const }),
    masterPid,
    stop,
  };
}
