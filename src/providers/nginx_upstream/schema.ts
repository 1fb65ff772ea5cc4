/**
 * Schema of the `nginx` provider's resource type (static and cheap: validate and plan need it
 * without loading the implementation).
 */
import type { ResourceTypeSchema } from '../contract.js';

/** `nginx_upstream`: one DNS upstream on a load balancer, over UDP and TCP. */
export const nginxUpstreamSchema: ResourceTypeSchema = {
  description:
    'Traffic from a load balancer to a set of DNS servers: an nginx stream upstream with a UDP and a TCP listener, ' +
    'written as its own file in the load balancer\'s streams directory. Every change is checked with `nginx -t` ' +
    'before it is swapped in, applied with a graceful reload that is confirmed, and the previous file is kept ' +
    '(<file>.conf.prev) to roll back to.',
  role: 'route',
  placement: 'lb',
  attributes: {
    lb: {
      type: 'any',
      required: true,
      description: 'The load-balancer host running nginx, such as local_host.lb["ns1"]: an object with ipv4, connection, (local hosts) dir and (ssh hosts) ssh settings.',
    },
    servers: {
      type: { list: 'string' },
      required: true,
      description: 'Where traffic goes: "ADDR:PORT" of each server.',
    },
    listen: {
      type: 'number',
      optional: true,
      default: 53,
      description: 'Port the load balancer listens on, UDP and TCP, on its ipv4 address.',
    },
    name: {
      type: 'string',
      optional: true,
      description:
        'Name of the upstream and of its file (<name>.conf); letters, digits, "_" and "-". ' +
        'Default: the resource address made safe, e.g. nginx_upstream_dns_ns1 for nginx_upstream.dns["ns1"].',
    },
    switch: {
      type: 'string',
      optional: true,
      default: 'reload',
      description:
        'How a change of servers reaches traffic: "reload" writes the servers into the nginx file and reloads nginx gracefully; ' +
        '"nftables" keeps the nginx file fixed (nginx proxies to the load balancer\'s own steer_port) and replaces one nftables rule ' +
        'that sends that traffic to the servers, so nginx is never reloaded and no UDP query in flight is lost.',
    },
    steer_port: {
      type: 'number',
      optional: true,
      description: 'With switch = "nftables": the port on the load balancer\'s ipv4 that nginx proxies to and nftables steers; default: 20000-29999, derived from the name.',
    },
    steering: {
      type: 'string',
      computed: true,
      description: 'With switch = "nftables": the rendered nftables rules, known at plan time, so a plan shows where the switch sends traffic.',
    },
    config: {
      type: 'string',
      computed: true,
      description: 'The rendered nginx stream configuration, known at plan time, so a plan shows the upstream change line by line.',
    },
  },
};

/** Resource types of the `nginx` provider. */
export const nginxSchemas: Readonly<Record<string, ResourceTypeSchema>> = {
  nginx_upstream: nginxUpstreamSchema,
};
