/**
 * Schema of the `local` provider's resource types (static and cheap: validate and plan need it
 * without loading the implementation).
 */
import type { ResourceTypeSchema } from '../contract.js';

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

/** Resource types of the `local` provider. */
export const localSchemas: Readonly<Record<string, ResourceTypeSchema>> = {
  local_host: localHostSchema,
};
