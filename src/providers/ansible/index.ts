/** The `ansible` provider: provisioning with ansible-playbook. Loaded lazily by the registry. */
import type { Provider } from '../contract.js';
import { ansiblePlaybook } from './playbook.js';

export { playbookChecksum, playbookFiles } from './checksum.js';
export { inventoryFor, runPlaybook, type PlaybookRun } from './run.js';

/** The `ansible` provider. */
export const provider: Provider = {
  name: 'ansible',
  description: 'Provisioning with ansible-playbook',
  configSchema: {},
  resourceTypes: { ansible_playbook: ansiblePlaybook },
};
