/**
 * An upstream file on a remote Debian load balancer: /etc/nginx/streams/<name>.conf, nginx under
 * the service manager, every step one shell script over ssh (through hostexec) so that a broken
 * connection never leaves a half-made change. The new file is swapped in, tested with
 * `nginx -t` and swapped back if rejected; nginx only reads files on reload, so the running
 * configuration never sees a rejected file.
 */
import { error, type Diagnostic } from '../../diagnostics.js';
import type { OperationContext } from '../contract.js';
import { runOnHost, shellQuote, writeFileOnHost, type HostRef } from '../hostexec.js';
import type { InstallOptions, NginxSite } from './site.js';
import { serialized } from './serialize.js';

const STREAMS_DIR = '/etc/nginx/streams';
/** Exit statuses of the scripts below that mean something particular. */
const NOT_RUNNING = 10;
const REJECTED = 11;
const MISSING = 12;

/** The script that swaps `file.new` in, tests, and reloads (or swaps back and fails). */
export function installScript(file: string, replacing: string | undefined): string {
  const f = shellQuote(file);
  const old = replacing === undefined ? undefined : shellQuote(replacing);
  return [
    `systemctl is-active --quiet nginx || exit ${NOT_RUNNING}`,
    `had=0; if [ -e ${f} ]; then cp -p ${f} ${f}.prev && had=1 || exit 1; fi`,
    `mv -f ${f}.new ${f} || exit 1`,
    ...(old ? [`hadold=0; if [ -e ${old} ]; then mv -f ${old} ${old}.prev && hadold=1; fi`] : []),
    `if ! nginx -t; then`,
    `  if [ $had = 1 ]; then cp -p ${f}.prev ${f}; else rm -f ${f}; fi`,
    ...(old ? [`  if [ $hadold = 1 ]; then mv -f ${old}.prev ${old}; fi`] : []),
    `  exit ${REJECTED}`,
    `fi`,
    `exec systemctl reload nginx`,
  ].join('\n');
}

/** The script that takes the file out (kept as `.prev`) and reloads a running nginx. */
export function removeScript(file: string): string {
  const f = shellQuote(file);
  return [`[ -e ${f} ] || exit 0`, `mv -f ${f} ${f}.prev || exit 1`, `systemctl is-active --quiet nginx || exit 0`, `nginx -t && exec systemctl reload nginx`].join('\n');
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
      const dir = await runOnHost(this.host, ['mkdir', '-p', STREAMS_DIR], { signal: ctx.signal });
      if (!dir.ok) return [error(`Cannot reach the load balancer ${this.description}`, dir.problem)];
      const staged = await writeFileOnHost(this.host, `${this.file}.new`, content, { signal: ctx.signal });
      if (!staged.ok) return [error(`Cannot write the new configuration of ${this.name} on ${this.description}`, staged.problem)];
      const r = await runOnHost(this.host, ['sh', '-c', installScript(this.file, options.replacing)], { signal: ctx.signal, timeoutMs: 60_000 });
      if (r.ok) {
        ctx.log(`reloaded nginx on ${this.description}`);
        return [];
      }
      if (r.exitCode === NOT_RUNNING) {
        return [error(`nginx is not running on ${this.description} - provision it with ansible/loadbalancer.yml first`, 'systemctl reports the nginx service inactive.')];
      }
      if (r.exitCode === REJECTED) {
        return [error(`nginx -t rejected the new configuration of ${this.name} on ${this.description}`, `${r.stderr.trim()}\nThe live configuration is unchanged.`)];
      }
      return [error(`Updating nginx on ${this.description} failed`, r.problem ?? 'unknown failure')];
    });
  }

  remove(ctx: OperationContext): Promise<readonly Diagnostic[]> {
    return serialized(`ssh:${this.host.ipv4}`, async () => {
      const r = await runOnHost(this.host, ['sh', '-c', removeScript(this.file)], { signal: ctx.signal, timeoutMs: 60_000 });
      return r.ok ? [] : [error(`Removing ${this.name} from nginx on ${this.description} failed`, r.problem ?? 'unknown failure')];
    });
  }

  async read(ctx: OperationContext): Promise<{ readonly content: string | null; readonly diagnostics: readonly Diagnostic[] }> {
    const f = shellQuote(this.file);
    const r = await runOnHost(this.host, ['sh', '-c', `[ -e ${f} ] || exit ${MISSING}; cat ${f}`], { signal: ctx.signal, timeoutMs: 30_000 });
    if (r.ok) return { content: r.stdout, diagnostics: [] };
    if (r.exitCode === MISSING) return { content: null, diagnostics: [] };
    return { content: null, diagnostics: [error(`Cannot read ${this.file} on ${this.description}`, r.problem ?? 'unknown failure')] };
  }
}
