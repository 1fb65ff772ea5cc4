/** The `local` provider: machines on this one (`local_host`). Loaded lazily by the registry. */
import type { Provider } from '../contract.js';
import { localFile } from './file.js';
import { localHost } from './host.js';
import { localServiceAddress } from './service-address.js';

export { cleanupAll, hostDir, hostsRoot } from './host.js';

/** The `local` provider. */
export const provider: Provider = {
  name: 'local',
  description: 'Machines on this one: loopback addresses and working directories',
  configSchema: {},
  resourceTypes: { local_host: localHost, local_service_address: localServiceAddress },
  dataSources: { local_file: localFile },
};
