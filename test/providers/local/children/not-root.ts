/**
 * Drops root (to nobody) and tries to create and delete a local_host, printing the responses as
 * JSON: what a user without root sees. Run by local_host.test.ts.
 */
import type { OperationContext } from '../../../../src/providers/contract.js';

// Imported while still root: the checkout may sit where nobody cannot read (a clone under
// /root, a mktemp -d). Nothing in the module decides anything at import; the calls below run as
// nobody, like a CLI that never had root.
const { localHost } = await import('../../../../src/providers/local/host.js');
process.setgid?.(65534);
process.setuid?.(65534);
const ctx: OperationContext = {
  stateDir: process.argv[2] ?? '/nonexistent',
  lineage: 'not-root',
  providerConfig: {},
  log: () => undefined,
  signal: new AbortController().signal,
  env: process.env,
};
const created = await localHost.create({ address: 'local_host.x', generation: 0, config: {}, configDir: ctx.stateDir }, ctx);
const deleted = await localHost.delete({ address: 'local_host.x', generation: 0, prior: { ipv4: '127.64.0.1', dir: '/nonexistent/.infra/hosts/x' } }, ctx);
console.log(JSON.stringify({ created, deleted }));
