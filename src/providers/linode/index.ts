/**
 * The Linode provider: `linode_instance` and `linode_service_address` over the official client `@linode/api-v4`. Loaded
 * lazily by the registry (the client costs ~170 ms to import); schemas live in ./schema.ts.
 */
import type { OperationContext, Provider, ReadRequest, ReadResponse } from '../contract.js';
import { linodeDataSources } from './data-sources.js';
import { linodeInstance } from './instance.js';
import { linodeOrphans } from './orphans.js';
import { linodeServiceAddressType } from './service-address.js';
import { linodeConfigSchema } from './schema.js';
import { resolveSettings } from './settings.js';

export { listOrphans, type LinodeOrphan, type OrphansResult } from './orphans.js';
export { forgetListings } from './refresh.js';
export { addressTags, decodeTags, generationTag, linodeLabel, stateTag } from './naming.js';

/** The provider object the registry loads. */
export const provider: Provider = {
  name: 'linode',
  description: 'Linode instances through the Linode API v4',
  configSchema: linodeConfigSchema,
  resourceTypes: { linode_instance: linodeInstance, linode_service_address: linodeServiceAddressType },
  dataSources: linodeDataSources,
  validateConfig: (config, env) => resolveSettings(config, env).diagnostics,
  orphans: linodeOrphans,
};

/**
 * Reads many instances at once; answers in the order asked. All of them are found in one
 * listing of the state's instances (one request per 500), as with single reads that run
 * together: this is the explicit form for a caller that has the whole list at hand.
 */
export function readMany(requests: readonly ReadRequest[], ctx: OperationContext): Promise<ReadResponse[]> {
  return Promise.all(requests.map((r) => linodeInstance.read(r, ctx)));
}
