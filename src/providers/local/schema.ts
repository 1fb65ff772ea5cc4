/**
 * Schema of the `local` provider's resource types (static and cheap: validate and plan need it
 * without loading the implementation).
 */
import type { AttributeSchema, DataSourceSchema, ResourceTypeSchema } from '../contract.js';

/** `local_host`: a "machine" on this one - its own loopback address and working directory. */
export const localHostSchema: ResourceTypeSchema = {
  description:
    'A machine on this one: a fresh 127.0.0.0/8 address on the loopback interface (needs root) and a working ' +
    'directory beside the state file. Destroying it stops every process that left a pid file in the directory ' +
    'and removes the address and the directory.',
  role: 'instance',
  attributes: {
    ipv4: {
      type: 'string',
      computed: true,
      description: 'The loopback address (127.64.0.0/10) given to this host, unique on the machine.',
    },
    dir: {
      type: 'string',
      computed: true,
      description: 'Absolute path of the host\'s working directory (<state dir>/.infra/hosts/<name>).',
    },
    connection: {
      type: 'string',
      computed: true,
      description: 'How commands reach the host: always "local".',
    },
  },
};

/**
 * `local_service_address`: the local stand-in for a public address that outlives the load
 * balancers behind it (a route: the switch of a load balancer's blue-green deploy moves it).
 */
export const localServiceAddressSchema: ResourceTypeSchema = {
  description:
    'A service address: a fresh 127.0.0.0/8 address on the loopback interface (needs root) that answers what the load ' +
    'balancer `host` answers, through a listener on that host\'s nginx (provisioned with ansible/loadbalancer.yml). ' +
    'The address never changes: when `host` changes (the switch of a blue-green deploy of the load balancer), the new ' +
    'host\'s nginx starts listening on it before the old one stops. Destroying it removes the listener and the address.',
  role: 'route',
  movesAddress: 'address',
  attributes: {
    host: {
      type: 'any',
      required: true,
      description: 'The load balancer the address leads to, a local_host such as local_host.lb["ns1"], provisioned with ansible/loadbalancer.yml.',
    },
    ports: {
      type: { list: 'number' },
      optional: true,
      default: [53],
      description: 'Ports answered on the address, UDP and TCP each; the load balancer must listen on the same ports of its own address.',
    },
    address: {
      type: 'string',
      computed: true,
      description: 'The service address (127.64.0.0/10), unique on the machine and kept for the life of the resource.',
    },
  },
};

/** Resource types of the `local` provider. */
export const localSchemas: Readonly<Record<string, ResourceTypeSchema>> = {
  local_host: localHostSchema,
  local_service_address: localServiceAddressSchema,
};

const computedString = (description: string): AttributeSchema => ({ type: 'string', computed: true, description });

/**
 * `data "local_file"`: a file's contents, as the Terraform `local` provider's data source of the
 * same name reads it (a zone file, an SSH public key), with its checksums.
 */
export const localFileDataSchema: DataSourceSchema = {
  description: 'Reads a file on this machine: its contents (UTF-8 text and base64) and checksums. A change of the file shows in the next plan.',
  attributes: {
    filename: { type: 'string', required: true, description: 'Path of the file; a relative path is relative to the configuration directory.' },
    content: computedString('The file\'s contents as UTF-8 text.'),
    content_base64: computedString('The file\'s contents, base64-encoded (for binary files).'),
    content_md5: computedString('MD5 of the contents, hex.'),
    content_sha1: computedString('SHA-1 of the contents, hex.'),
    content_sha256: computedString('SHA-256 of the contents, hex.'),
    content_base64sha256: computedString('SHA-256 of the contents, base64.'),
    content_sha512: computedString('SHA-512 of the contents, hex.'),
    content_base64sha512: computedString('SHA-512 of the contents, base64.'),
    id: computedString('SHA-1 of the contents, hex (as the local provider sets it).'),
  },
};

/** Every data source type of the local provider. */
export const localDataSchemas: Readonly<Record<string, DataSourceSchema>> = {
  local_file: localFileDataSchema,
};
