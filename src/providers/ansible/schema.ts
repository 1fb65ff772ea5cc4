/**
 * Schema of the `ansible` provider's resource types (static and cheap: validate and plan need it
 * without loading the implementation).
 */
import type { ResourceTypeSchema } from '../contract.js';

/** `ansible_playbook`: runs a playbook against one host. */
export const ansiblePlaybookSchema: ResourceTypeSchema = {
  description:
    'Runs an Ansible playbook against one host (local_host: a local connection; other hosts: ssh with the host\'s ssh settings). ' +
    'Runs again whenever the playbook\'s files or the variables change (see `checksum`).',
  role: 'provision',
  attributes: {
    playbook: {
      type: 'string',
      required: true,
      description: 'Path of the playbook, relative to the configuration directory.',
    },
    host: {
      type: 'any',
      required: true,
      forcesReplacement: true,
      description: 'The host resource to run it against, such as local_host.ns["ns1"].',
    },
    vars: {
      type: { map: 'any' },
      optional: true,
      default: {},
      description: 'Variables for the playbook (passed as extra vars). Names starting with infra_ or ansible_ are reserved.',
    },
    checksum: {
      type: 'string',
      computed: true,
      description:
        'sha256 over the playbook, the Ansible content beside it (roles/, templates/, ... and other playbooks) and the variables.',
    },
  },
};

/** Resource types of the `ansible` provider. */
export const ansibleSchemas: Readonly<Record<string, ResourceTypeSchema>> = {
  ansible_playbook: ansiblePlaybookSchema,
};
