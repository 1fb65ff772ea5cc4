/**
 * Where an upstream file lives and how nginx there is told about it. A `local` load balancer
 * runs a private nginx under its directory (prefix D/nginx/); any other is a Debian host with
 * nginx under the service manager (/etc/nginx/streams/), reached over ssh.
 */
import type { Diagnostic } from '../../diagnostics.js';
import type { OperationContext } from '../contract.js';
import type { HostRef } from '../hostexec.js';
import type { OpenSockets } from './connections.js';
import { LocalNginxSite } from './local.js';
import { RemoteNginxSite } from './remote.js';

/** How an install relates to other files on the same load balancer. */
export interface InstallOptions {
  /** Another upstream file on the same load balancer that this change retires (a renamed upstream). */
  readonly replacing?: string;
}

/** One upstream file on one load balancer. */
export interface NginxSite {
  /** `local_host 127.64.0.4`, for messages. */
  readonly description: string;
  /** The upstream file nginx includes. */
  readonly file: string;
  /**
   * Puts `content` live: checked by `nginx -t` before the live file changes, swapped in
   * atomically, reloaded gracefully and confirmed. The previous file is kept as `<file>.prev`.
   * On any failure the live file is what it was before and the diagnostics say why.
   */
  install(content: string, options: InstallOptions, ctx: OperationContext): Promise<readonly Diagnostic[]>;
  /** Takes the file out (kept as `<file>.prev`) and reloads; a file that is gone is success. */
  remove(ctx: OperationContext): Promise<readonly Diagnostic[]>;
  /**
   * The TCP connections and UDP sessions this load balancer has open to any of `servers` (its
   * nginx's, and anything else on it), from the kernel's socket tables; or why they cannot be read.
   */
  openTo(servers: readonly string[], ctx: OperationContext): Promise<{ readonly open?: OpenSockets; readonly problem?: string }>;
  /** The file as it is now; null when it does not exist. */
  read(ctx: OperationContext): Promise<{ readonly content: string | null; readonly diagnostics: readonly Diagnostic[] }>;
}

/** The site of upstream `name` on load balancer `lb`. */
export function siteFor(lb: HostRef, name: string): NginxSite {
  return lb.connection === 'local' && lb.dir !== undefined ? new LocalNginxSite(lb, lb.dir, name) : new RemoteNginxSite(lb, name);
}

/**
 * True when both hosts are served by one nginx: for local hosts, one directory (its nginx lives
 * there); for remote ones, one address.
 */
export function sameNginx(a: HostRef, b: HostRef): boolean {
  if (a.connection !== b.connection) return false;
  return a.connection === 'local' ? a.dir === b.dir : a.ipv4 === b.ipv4;
}
