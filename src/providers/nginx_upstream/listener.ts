/**
 * The nginx side of a service address: a listener on the address that hands everything it
 * receives to the load balancer's own listeners (`proxy_pass` to its own address, same port),
 * so the address answers exactly what the load balancer answers, whatever upstreams it carries.
 * It is its own file in the load balancer's streams directory, written with the same tested,
 * confirmed reload as an upstream (site.ts). Its listens are `reuseport`, so two load balancers'
 * nginx can hold the address at once while it moves (docs/engine.md, "Moving a service address").
 */
import type { Diagnostic } from '../../diagnostics.js';
import type { OperationContext } from '../contract.js';
import type { HostRef } from '../hostexec.js';
import { TCP_PROXY_TIMEOUT, UDP_PROXY_TIMEOUT } from './render.js';
import { siteFor, type NginxSite } from './site.js';

/** What a service listener is made from. */
export interface ServiceListener {
  /** The service address, `127.64.3.9`. */
  readonly address: string;
  /** The load balancer it is on. */
  readonly host: HostRef;
  /** Ports answered, UDP and TCP each. */
  readonly ports: readonly number[];
  /** The resource it belongs to, for the file's header. */
  readonly resource: string;
}

/** `service_127_64_3_9`: the file name (without `.conf`) of the listener of `address`. */
export function listenerName(address: string): string {
  return `service_${address.replace(/[^0-9A-Za-z]+/g, '_')}`;
}

/** The stream config of a service listener: per port, a UDP and a TCP server to the host's own address. */
export function renderServiceListener(l: ServiceListener): string {
  const servers = l.ports.map(
    (port) => `# DNS over UDP and TCP on ${l.address}:${port}, answered by ${l.host.ipv4}:${port}.
server {
    listen ${l.address}:${port} udp reuseport;
    proxy_pass ${l.host.ipv4}:${port};
    proxy_responses 1;
    proxy_timeout ${UDP_PROXY_TIMEOUT};
}

server {
    listen ${l.address}:${port} reuseport;
    proxy_pass ${l.host.ipv4}:${port};
    proxy_timeout ${TCP_PROXY_TIMEOUT};
}
`,
  );
  return `# ${l.resource}: service address ${l.address}, written by infra; a change made here is overwritten on the next apply.\n\n${servers.join('\n')}`;
}

/** The listener's file on its load balancer. */
export function listenerSite(host: HostRef, address: string): NginxSite {
  return siteFor(host, listenerName(address));
}

/** Puts the listener live on its load balancer (tested, reloaded, confirmed). */
export function installListener(l: ServiceListener, ctx: OperationContext): Promise<readonly Diagnostic[]> {
  return listenerSite(l.host, l.address).install(renderServiceListener(l), {}, ctx);
}

/** Takes the listener of `address` off `host`; one that is gone (or whose nginx is gone) is success. */
export function removeListener(host: HostRef, address: string, ctx: OperationContext): Promise<readonly Diagnostic[]> {
  return listenerSite(host, address).remove(ctx);
}
