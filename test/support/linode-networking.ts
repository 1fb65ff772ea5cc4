/**
 * The Linode emulator's Networking API: the endpoints a service address uses, with the shapes
 * of Linode's OpenAPI spec (`IPAddress` objects, `{errors: [{reason, field?}]}`) and its rules.
 *
 * - `POST /networking/ips` `{type: "ipv4", public: true, linode_id}`: allocates one more public
 *   IPv4 on the Linode and answers its `IPAddress`;
 * - `GET /networking/ips/:address`: the `IPAddress`, 404 when the account has no such address;
 * - `POST /networking/ips/assign` `{region, assignments: [{address, linode_id}]}`: moves each
 *   address to its Linode, all at once, answering `{}`. Refused (400, every problem at once, the
 *   world unchanged) when the region is missing or unknown, an address or Linode is unknown, a
 *   Linode or an address is in another region, an address is assigned twice in one request, or
 *   a Linode involved would be left without a public IPv4 (so moving a Linode's only address
 *   needs a swap, as on Linode);
 * - `DELETE /linode/instances/:id/ips/:address`: releases an address, refused for a Linode's
 *   last public IPv4.
 *
 * With real hosts behind the instances (`NetworkHosts`, the lab), each change is carried out on
 * the hosts before the API answers, so traffic follows the address when the call returns.
 */

/** An emulated instance as the Networking API sees it (the emulator's own record). */
export interface NetworkedInstance {
  readonly id: number;
  readonly region: string;
  /** Its IPv4 addresses, public first; the emulator's record itself, changed in place. */
  readonly ipv4: string[];
  readonly deletingSince: number | null;
}

/** What real hosts do when addresses move (optional parts of the emulator's `HostBackend`). */
export interface NetworkHosts {
  /** Brings `address` up on the host of instance `id`. */
  addIpv4?(id: number, address: string): Promise<void>;
  /** Takes `address` off the host of instance `id`. */
  removeIpv4?(id: number, address: string): Promise<void>;
  /** Moves `address` from one instance's host to another's, so traffic follows it at once. */
  moveIpv4?(address: string, fromId: number, toId: number): Promise<void>;
}

/** What the handlers need from the emulator. */
export interface NetworkingDeps {
  readonly instances: () => Iterable<NetworkedInstance>;
  readonly regions: readonly { readonly id: string }[];
  /** A fresh public address. */
  readonly allocate: () => string;
  readonly hosts?: NetworkHosts;
}

interface ApiError {
  readonly reason: string;
  readonly field?: string;
}

/** An answer: status and JSON body. */
export interface NetworkingAnswer {
  readonly status: number;
  readonly body: unknown;
}

const PRIVATE = /^192\.168\./;

function fail(status: number, errors: readonly ApiError[]): NetworkingAnswer {
  return { status, body: { errors } };
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Linode's `IPAddress` for one IPv4 of an instance. */
export function ipAddressView(i: NetworkedInstance, address: string): Record<string, unknown> {
  const isPrivate = PRIVATE.test(address);
  const prefix = isPrivate ? 17 : 24;
  return {
    address,
    gateway: isPrivate ? null : address.replace(/\.\d+$/, '.1'),
    subnet_mask: isPrivate ? '255.255.128.0' : '255.255.255.0',
    prefix,
    type: 'ipv4',
    public: !isPrivate,
    rdns: isPrivate ? null : `${address.replaceAll('.', '-')}.ip.linodeusercontent.com`,
    linode_id: i.id,
    interface_id: null,
    region: i.region,
    vpc_nat_1_1: null,
  };
}

/**
 * The Networking routes: the answer for a request they own (`/networking/...`, and the IPs of
 * an instance), else null.
 */
export function networkingHandler(deps: NetworkingDeps): (method: string, apiPath: string, body: unknown) => Promise<NetworkingAnswer> | null {
  const live = (): NetworkedInstance[] => [...deps.instances()].filter((i) => i.deletingSince === null);
  const byId = (id: unknown): NetworkedInstance | undefined => live().find((i) => i.id === id);
  const owner = (address: string): NetworkedInstance | undefined => live().find((i) => i.ipv4.includes(address));
  const publicCount = (ips: readonly string[]): number => ips.filter((a) => !PRIVATE.test(a)).length;

  const allocate = async (body: unknown): Promise<NetworkingAnswer> => {
    if (!isObject(body)) return fail(400, [{ reason: 'Request body must be a JSON object' }]);
    const problems: ApiError[] = [];
    if (body.type !== 'ipv4') problems.push({ field: 'type', reason: 'Only IPv4 address may be allocated through this endpoint.' });
    if (typeof body.public !== 'boolean') problems.push({ field: 'public', reason: 'public is required' });
    else if (!body.public) problems.push({ field: 'public', reason: 'This emulator allocates public addresses only' });
    const linode = typeof body.linode_id === 'number' ? byId(body.linode_id) : undefined;
    if (typeof body.linode_id !== 'number') problems.push({ field: 'linode_id', reason: 'linode_id is required' });
    else if (!linode) problems.push({ field: 'linode_id', reason: 'Not found' });
    if (problems.length > 0 || !linode) return fail(400, problems);
    const address = deps.allocate();
    linode.ipv4.splice(publicCount(linode.ipv4), 0, address);
    await deps.hosts?.addIpv4?.(linode.id, address);
    return { status: 200, body: ipAddressView(linode, address) };
  };

  const assign = async (body: unknown): Promise<NetworkingAnswer> => {
    if (!isObject(body)) return fail(400, [{ reason: 'Request body must be a JSON object' }]);
    const problems: ApiError[] = [];
    const region = body.region;
    if (typeof region !== 'string' || region === '') problems.push({ field: 'region', reason: 'region is required' });
    else if (!deps.regions.some((r) => r.id === region)) problems.push({ field: 'region', reason: `Region ${region} does not exist` });
    const list = body.assignments;
    if (!Array.isArray(list) || list.length === 0) problems.push({ field: 'assignments', reason: 'assignments is required' });
    const moves: { address: string; from: NetworkedInstance; to: NetworkedInstance }[] = [];
    const seen = new Set<string>();
    for (const [n, a] of (Array.isArray(list) ? list : []).entries()) {
      const field = `assignments[${n}]`;
      if (!isObject(a) || typeof a.address !== 'string' || typeof a.linode_id !== 'number') {
        problems.push({ field, reason: 'Each assignment needs an address (string) and a linode_id (number)' });
        continue;
      }
      const from = owner(a.address);
      const to = byId(a.linode_id);
      if (!from) problems.push({ field: `${field}.address`, reason: `Address ${a.address} not found` });
      if (!to) problems.push({ field: `${field}.linode_id`, reason: `Linode ${a.linode_id} not found` });
      if (seen.has(a.address)) problems.push({ field: `${field}.address`, reason: `Address ${a.address} is assigned more than once` });
      seen.add(a.address);
      if (typeof region !== 'string') continue;
      if (from && from.region !== region) problems.push({ field: `${field}.address`, reason: `Address ${a.address} is in use in region ${from.region}, not ${region}` });
      if (to && to.region !== region) problems.push({ field: `${field}.linode_id`, reason: `Linode ${to.id} is in region ${to.region}, not ${region}` });
      if (from && to) moves.push({ address: a.address, from, to });
    }
    if (problems.length === 0) {
      // Every Linode involved keeps at least one public IPv4 and at most one private one.
      const after = new Map<number, string[]>();
      const ips = (i: NetworkedInstance): string[] => after.get(i.id) ?? (after.set(i.id, [...i.ipv4]), after.get(i.id)!);
      for (const m of moves) {
        ips(m.from).splice(ips(m.from).indexOf(m.address), 1);
        ips(m.to).push(m.address);
      }
      for (const [id, list] of [...after].sort((x, y) => x[0] - y[0])) {
        if (publicCount(list) === 0) problems.push({ reason: `Linode ${id} must have at least one public IPv4 address after assignment` });
        if (list.length - publicCount(list) > 1) problems.push({ reason: `Linode ${id} may have no more than one private IPv4 address` });
      }
    }
    if (problems.length > 0) return fail(400, problems);
    for (const m of moves) {
      if (m.from === m.to) continue;
      m.from.ipv4.splice(m.from.ipv4.indexOf(m.address), 1);
      const isPrivate = PRIVATE.test(m.address);
      m.to.ipv4.splice(isPrivate ? m.to.ipv4.length : publicCount(m.to.ipv4), 0, m.address);
    }
    for (const m of moves) if (m.from !== m.to) await deps.hosts?.moveIpv4?.(m.address, m.from.id, m.to.id);
    return { status: 200, body: {} };
  };

  const release = async (id: number, address: string): Promise<NetworkingAnswer> => {
    const linode = byId(id);
    if (!linode || !linode.ipv4.includes(address)) return fail(404, [{ reason: 'Not found' }]);
    if (!PRIVATE.test(address) && publicCount(linode.ipv4) === 1) {
      return fail(400, [{ reason: 'You cannot delete the last public IPv4 address of a Linode' }]);
    }
    linode.ipv4.splice(linode.ipv4.indexOf(address), 1);
    await deps.hosts?.removeIpv4?.(linode.id, address);
    return { status: 200, body: {} };
  };

  return (method, apiPath, body) => {
    if (apiPath === '/networking/ips' && method === 'POST') return allocate(body);
    if (apiPath === '/networking/ips/assign' && method === 'POST') return assign(body);
    const one = /^\/networking\/ips\/([^/]+)$/.exec(apiPath);
    if (one && method === 'GET') {
      const address = decodeURIComponent(one[1]);
      const i = owner(address);
      return Promise.resolve(i ? { status: 200, body: ipAddressView(i, address) } : fail(404, [{ reason: 'Not found' }]));
    }
    const mine = /^\/linode\/instances\/(\d+)\/ips\/([^/]+)$/.exec(apiPath);
    if (mine && method === 'DELETE') return release(Number(mine[1]), decodeURIComponent(mine[2]));
    return null;
  };
}
