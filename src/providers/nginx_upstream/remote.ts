/**
 * An upstream file on a remote Debian load balancer: /etc/nginx/streams/<name>.conf, nginx under
 * the host's service manager, every step one shell script over ssh (through hostexec, with the
 * host's ssh settings and the state's known-hosts file) so that a broken connection never leaves
 * a half-made change. The new file is swapped in, tested with `nginx -t` and swapped back if
 * rejected; nginx only reads files on reload, so the running configuration never sees a rejected
 * file.
 *
 * The service manager is found on the host, not assumed: systemd when it runs there
 * (`/run/systemd/system` exists: `systemctl`); otherwise nginx itself, through the pid file its
 * configuration names (`nginx -T`; /run/nginx.pid by default) and `nginx -s reload`.
 */
import { error, type Diagnostic } from '../../diagnostics.js';
import type { OperationContext } from '../contract.js';
import { runOnHost, shellQuote, stateKnownHostsFile, writeFileOnHost, type HostRef } from '../hostexec.js';
import type { InstallOptions, NginxSite } from './site.js';
import { serialized } from './serialize.js';
import { countOpenSockets, SOCKET_TABLES_SCRIPT, type OpenSockets } from './connections.js';

const STREAMS_DIR = '/etc/nginx/streams';
/** Exit statuses of the scripts below that mean something particular. */
const NOT_RUNNING = 10;
const REJECTED = 11;
const MISSING = 12;
const NOT_INSTALLED = 13;
const NOT_CONFIRMED = 14;

/**
 * Shell functions `nginx_running` (status 0 when nginx runs; otherwise prints on stderr who said
 * it does not) and `nginx_reload`, for the host's service manager.
 */
export const SERVICE_FUNCTIONS = [
  `command -v nginx >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin"`,
  `command -v nginx >/dev/null 2>&1 || { echo "nginx is not installed (no nginx on PATH or in /usr/sbin)" >&2; exit ${NOT_INSTALLED}; }`,
  // Debian's nginx.service names the same pid file (PIDFile=/run/nginx.pid), so the master is
  // found one way under any service manager.
  `pidfile=$(nginx -T 2>/dev/null | awk '$1 == "pid" { sub(/;.*/, "", $2); print $2; exit }')`,
  `[ -n "$pidfile" ] || pidfile=/run/nginx.pid`,
  `if [ -d /run/systemd/system ]; then`,
  `  nginx_running() { systemctl is-active --quiet nginx || { echo "systemd reports nginx.service $(systemctl is-active nginx 2>/dev/null)" >&2; return 1; }; }`,
  `  nginx_reload() { systemctl reload nginx; }`,
  `else`,
  `  nginx_running() { pid=$(cat "$pidfile" 2>/dev/null) && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || { echo "no systemd on the host (no /run/systemd/system), and nginx's pid file $pidfile names no running process" >&2; return 1; }; }`,
  `  nginx_reload() { nginx -s reload; }`,
  `fi`,
  // nginx answers the reload signal at once and does the work afterwards: a reload is done when
  // a worker the master did not have before appears (procps may be missing: /proc is not).
  `nginx_workers() { master=$(cat "$pidfile" 2>/dev/null) || return 0; awk -v p="$master" '$4 == p { print $1 }' /proc/[0-9]*/stat 2>/dev/null | tr '\\n' ' '; }`,
  `nginx_reload_confirmed() {`,
  `  before=" $(nginx_workers) "`,
  `  nginx_reload || return 1`,
  `  i=0`,
  `  while [ $i -lt 100 ]; do`,
  `    for w in $(nginx_workers); do case "$before" in *" $w "*) ;; *) return 0 ;; esac; done`,
  `    sleep 0.1; i=$((i + 1))`,
  `  done`,
  `  echo "nginx started no new worker within 10 s of the reload; its error log says why" >&2`,
  `  exit ${NOT_CONFIRMED}`,
  `}`,
].join('\n');

/** The script that swaps `file.new` in, tests, and reloads (or swaps back and fails). */
export function installScript(file: string, replacing: string | undefined): string {
  const f = shellQuote(file);
  const old = replacing === undefined ? undefined : shellQuote(replacing);
  return [
    SERVICE_FUNCTIONS,
    `nginx_running || exit ${NOT_RUNNING}`,
    `had=0; if [ -e ${f} ]; then cp -p ${f} ${f}.prev && had=1 || exit 1; fi`,
    `mv -f ${f}.new ${f} || exit 1`,
    ...(old ? [`hadold=0; if [ -e ${old} ]; then mv -f ${old} ${old}.prev && hadold=1; fi`] : []),
    `if ! nginx -t; then`,
    `  if [ $had = 1 ]; then cp -p ${f}.prev ${f}; else rm -f ${f}; fi`,
    ...(old ? [`  if [ $hadold = 1 ]; then mv -f ${old}.prev ${old}; fi`] : []),
    `  exit ${REJECTED}`,
    `fi`,
    `nginx_reload_confirmed`,
  ].join('\n');
}

/** The script that takes the file out (kept as `.prev`) and reloads a running nginx. */
export function removeScript(file: string): string {
  const f = shellQuote(file);
  return [`[ -e ${f} ] || exit 0`, `mv -f ${f} ${f}.prev || exit 1`, SERVICE_FUNCTIONS, `nginx_running 2>/dev/null || exit 0`, `nginx -t && nginx_reload_confirmed`].join('\n');
}

/** An upstream file of a remote load balancer's system nginx, changed over ssh. */
export class RemoteNginxSite implements NginxSite {
  readonly description: string;
  readonly file: string;

  constructor(
    private readonly host: HostRef,
    readonly name: string,
  ) {
    this.description = `host ${host.ipv4}`;
    this.file = `${STREAMS_DIR}/${name}.conf`;
  }

  install(content: string, options: InstallOptions, ctx: OperationContext): Promise<readonly Diagnostic[]> {
    return serialized(`ssh:${this.host.ipv4}`, async () => {
      const dir = await runOnHost(this.host, ['mkdir', '-p', STREAMS_DIR], { signal: ctx.signal, knownHostsFile: stateKnownHostsFile(ctx) });
      if (!dir.ok) return [error(`Cannot reach the load balancer ${this.description}`, dir.problem)];
      const staged = await writeFileOnHost(this.host, `${this.file}.new`, content, { signal: ctx.signal, knownHostsFile: stateKnownHostsFile(ctx) });
      if (!staged.ok) return [error(`Cannot write the new configuration of ${this.name} on ${this.description}`, staged.problem)];
      const r = await runOnHost(this.host, ['sh', '-c', installScript(this.file, options.replacing)], { signal: ctx.signal, timeoutMs: 60_000, knownHostsFile: stateKnownHostsFile(ctx) });
      if (r.ok) {
        ctx.log(`reloaded nginx on ${this.description}`);
        return [];
      }
      if (r.exitCode === NOT_RUNNING) {
        return [error(`nginx is not running on ${this.description} - provision it with ansible/loadbalancer.yml first`, `${lastLine(r.stderr)}.`)];
      }
      if (r.exitCode === NOT_CONFIRMED) {
        const detail = `${lastLine(r.stderr)}. The new file is in place and passed nginx -t; nginx may still serve the previous configuration. Apply again once nginx reloads.`;
        return [error(`nginx on ${this.description} did not confirm the reload for ${this.name}`, detail)];
      }
      if (r.exitCode === NOT_INSTALLED) {
        return [error(`nginx is not installed on ${this.description} - provision it with ansible/loadbalancer.yml first`, `${lastLine(r.stderr)}.`)];
      }
      if (r.exitCode === REJECTED) {
        return [error(`nginx -t rejected the new configuration of ${this.name} on ${this.description}`, `${r.stderr.trim()}\nThe live configuration is unchanged.`)];
      }
      return [error(`Updating nginx on ${this.description} failed`, r.problem ?? 'unknown failure')];
    });
  }

  remove(ctx: OperationContext): Promise<readonly Diagnostic[]> {
    return serialized(`ssh:${this.host.ipv4}`, async () => {
      const r = await runOnHost(this.host, ['sh', '-c', removeScript(this.file)], { signal: ctx.signal, timeoutMs: 60_000, knownHostsFile: stateKnownHostsFile(ctx) });
      return r.ok ? [] : [error(`Removing ${this.name} from nginx on ${this.description} failed`, r.problem ?? 'unknown failure')];
    });
  }

  async openTo(servers: readonly string[], ctx: OperationContext): Promise<{ readonly open?: OpenSockets; readonly problem?: string }> {
    const r = await runOnHost(this.host, ['sh', '-c', SOCKET_TABLES_SCRIPT], { signal: ctx.signal, timeoutMs: 30_000, knownHostsFile: stateKnownHostsFile(ctx) });
    if (!r.ok) return { problem: r.problem ?? 'unknown failure' };
    return { open: countOpenSockets(r.stdout, servers) };
  }

  async read(ctx: OperationContext): Promise<{ readonly content: string | null; readonly diagnostics: readonly Diagnostic[] }> {
    const f = shellQuote(this.file);
    const r = await runOnHost(this.host, ['sh', '-c', `[ -e ${f} ] || exit ${MISSING}; cat ${f}`], { signal: ctx.signal, timeoutMs: 30_000, knownHostsFile: stateKnownHostsFile(ctx) });
    if (r.ok) return { content: r.stdout, diagnostics: [] };
    if (r.exitCode === MISSING) return { content: null, diagnostics: [] };
    return { content: null, diagnostics: [error(`Cannot read ${this.file} on ${this.description}`, r.problem ?? 'unknown failure')] };
  }
}

function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines[lines.length - 1] ?? 'no reason given';
}
