/**
 * The `ssh { ... }` block of instance resources that are reached over ssh (linode_instance):
 * how every provider that runs something on the host logs in (hostexec, Ansible's inventory).
 * Static and cheap, like every schema; hostexec.ts reads the evaluated block
 * (`parseSshSettings`). Documented in docs/providers/connection.md.
 */
import type { BlockSchema } from './contract.js';

/** `ssh { user, port, private_key_file, host_key_checking, known_hosts_file }`. */
export const sshBlockSchema: BlockSchema = {
  description:
    'How provisioners and routes log into the host over ssh (Ansible and nginx_upstream alike). Changing it changes no machine.',
  nesting: 'single',
  attributes: {
    user: { type: 'string', optional: true, default: 'root', description: 'User to log in as.' },
    port: { type: 'number', optional: true, default: 22, description: 'TCP port of sshd on the host.' },
    private_key_file: {
      type: 'string',
      optional: true,
      description:
        'Path of the private key to log in with: absolute, or starting with "~/" ("${path.root}/..." for one beside the configuration). ' +
        'Must exist and be private (mode 0600) at plan time; only the path is passed on, ssh reads the key. Default: ssh\'s own choice (agent, ~/.ssh/id_*).',
    },
    host_key_checking: {
      type: 'string',
      optional: true,
      default: 'accept-new',
      description:
        '"accept-new" (learn a new host\'s key into the state\'s known-hosts file, refuse a changed one), "strict" (accept only keys already in the known-hosts file) or "off" (check nothing).',
    },
    known_hosts_file: {
      type: 'string',
      optional: true,
      description: "A known-hosts file of your own, instead of the state's (<state dir>/.infra/<lineage>.known_hosts), which infra keeps.",
    },
  },
};
