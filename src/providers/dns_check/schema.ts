/**
 * Schema of the `dns` provider's resource type (static and cheap: validate and plan need it
 * without loading the implementation).
 */
import type { ResourceTypeSchema } from '../contract.js';

/** `dns_check`: a nameserver answers for a zone, authoritatively, with what is expected. */
export const dnsCheckSchema: ResourceTypeSchema = {
  description:
    'Checks that a DNS server answers for a zone authoritatively (AA flag) and with the expected records, over UDP ' +
    'and TCP, retrying with growing pauses until it passes or the timeout is up. Creating or updating it runs the ' +
    'check; a failure says what was expected and what came back.',
  role: 'check',
  attributes: {
    server: {
      type: 'string',
      required: true,
      description: 'The server to ask: "ADDR" or "ADDR:PORT" (port 53 by default).',
    },
    zone: {
      type: 'string',
      required: true,
      description: 'The zone; its SOA record is always asked for, and must come back authoritatively.',
    },
    serial: {
      type: 'number',
      optional: true,
      description: 'The SOA serial the zone must have.',
    },
    protocols: {
      type: { list: 'string' },
      optional: true,
      default: ['udp', 'tcp'],
      description: 'Transports every question is asked over: "udp", "tcp".',
    },
    timeout: {
      type: 'string',
      optional: true,
      default: '30s',
      description: 'How long to keep trying ("500ms", "30s", "2m"). One try waits at most 2s for an answer.',
    },
    max_latency: {
      type: 'string',
      optional: true,
      description: 'A try whose answer takes longer than this ("200ms") fails like a wrong answer.',
    },
  },
  blocks: {
    expect: {
      description: 'A question and the answer it must get: `expect "www.example.test" "A" { values = ["192.0.2.10"] }`.',
      labels: ['name', 'type'],
      attributes: {
        values: {
          type: { list: 'string' },
          optional: true,
          description: 'The records of that type the answer must hold, exactly (order does not matter).',
        },
        rcode: {
          type: 'string',
          optional: true,
          description: 'The response code the answer must have, such as "NXDOMAIN".',
        },
      },
    },
  },
};

/** Resource types of the `dns` provider. */
export const dnsCheckSchemas: Readonly<Record<string, ResourceTypeSchema>> = {
  dns_check: dnsCheckSchema,
};
