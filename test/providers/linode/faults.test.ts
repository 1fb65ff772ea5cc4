import { expect } from 'chai';
import type { Server } from 'node:net';
import type { Json } from '../../../src/evaluate/value.js';
import { forgetListings, provider, stateTag } from '../../../src/providers/linode/index.js';
import { startLinodeEmulator, type LinodeEmulator } from '../../support/linode-emulator.js';
import { closeServer, fastProviderConfig, freePort, instanceConfig, listen, recordingContext } from '../../support/linode-harness.js';

const LINEAGE = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const ADDRESS = 'linode_instance.lb';
const instance = provider.resourceTypes.linode_instance;

describe('linode_instance when the API misbehaves', () => {
  let emu: LinodeEmulator;
  let sshPort: number;
  let listeners: Server[];

  beforeEach(async () => {
    emu = await startLinodeEmulator({ provisioningMs: 20, bootingMs: 20, deletingMs: 0 });
    sshPort = await freePort();
    listeners = [];
    emu.onCreated = (i) => {
      void listen(i.ipv4[0], sshPort).then((s) => listeners.push(s));
    };
    forgetListings();
  });
  afterEach(async () => {
    await Promise.all(listeners.map(closeServer));
    await emu.close();
  });

  const context = (extra: Record<string, Json> = {}) => recordingContext(fastProviderConfig(emu, { ssh_port: sshPort, ...extra }), LINEAGE);
  const create = (ctx: ReturnType<typeof context>['ctx'], overrides: Record<string, Json> = {}) =>
    instance.create({ address: ADDRESS, generation: 1, config: instanceConfig({ label: 'lb', ...overrides }), configDir: '.' }, ctx);

  it('honours Retry-After on 429', async () => {
    emu.injectFault({ method: 'POST', path: '/linode/instances', status: 429, retryAfter: 1 });
    const { ctx, logs } = context();
    const res = await create(ctx);
    expect(res.diagnostics).to.deep.equal([]);
    const posts = emu.requests.filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.status)).to.deep.equal([429, 200]);
    // The retry waited at least the second the API asked for (not the 5-40 ms backoff).
    expect(posts[1].at - posts[0].at).to.be.at.least(950);
    expect(logs).to.include('Linode API: HTTP 429 Too Many Requests while trying to create Linode "lb-g1"; retrying in 1.0s (retry 1 of 4)');
    // 429 means "not done": no lookup for a lost create before sending again.
    expect(emu.requests.filter((r) => r.method === 'GET' && r.filter !== null && 'label' in (r.filter as object))).to.deep.equal([]);
  });

  it('stops at once when Retry-After is beyond the retry budget', async () => {
    emu.injectFault({ method: 'GET', path: '/linode/instances', status: 429, retryAfter: 30 });
    const { ctx } = context();
    const res = await instance.read({ address: ADDRESS, generation: 1, prior: { id: 1 } }, ctx);
    expect(res.diagnostics).to.deep.equal([
      {
        severity: 'error',
        summary: `Could not refresh ${ADDRESS} (Linode 1)`,
        detail:
          'The Linode API answered HTTP 429 Too Many Requests:\n  - Too Many Requests\nStopped retrying: the API asked to wait 30s, beyond the time left.',
      },
    ]);
    expect(res.state).to.deep.equal({ id: 1 });
  });

  it('retries 500 and 503 with backoff', async () => {
    const { state } = await (async () => {
      const { ctx } = context();
      const r = await create(ctx);
      return { state: r.state as Record<string, Json> };
    })();
    emu.clearRequests();
    forgetListings();
    emu.injectFault({ method: 'GET', path: '/linode/instances', status: 500 });
    emu.injectFault({ method: 'GET', path: '/linode/instances', status: 503 });
    const { ctx, logs } = context();
    const res = await instance.read({ address: ADDRESS, generation: 1, prior: state }, ctx);
    expect(res).to.deep.equal({ state, diagnostics: [] });
    expect(emu.requests.map((r) => r.status)).to.deep.equal([500, 503, 200]);
    expect(logs.map((l) => l.replace(/retrying in [\d.]+s/, 'retrying in Ns'))).to.deep.equal([
      'Linode API: HTTP 500 Internal Server Error while trying to list the instances of this state; retrying in Ns (retry 1 of 4)',
      'Linode API: HTTP 503 Service Unavailable while trying to list the instances of this state; retrying in Ns (retry 2 of 4)',
    ]);
  });

  it('gives up after max_retries, showing the last answer', async () => {
    emu.injectFault({ method: 'GET', path: '/linode/instances', status: 503, count: Infinity, reason: 'Please try again later' });
    const { ctx } = context();
    const res = await instance.read({ address: ADDRESS, generation: 1, prior: { id: 7 } }, ctx);
    expect(res.diagnostics).to.deep.equal([
      {
        severity: 'error',
        summary: `Could not refresh ${ADDRESS} (Linode 7)`,
        detail: 'The Linode API answered HTTP 503 Service Unavailable:\n  - Please try again later\nStopped retrying: gave up after 5 attempts.',
      },
    ]);
    expect(emu.requests.length).to.equal(5);
  });

  it('retries dropped connections', async () => {
    emu.injectFault({ method: 'GET', drop: 'before', count: 2 });
    const { ctx, logs } = context();
    const res = await create(ctx);
    expect(res.diagnostics).to.deep.equal([]);
    expect(emu.requests.filter((r) => r.status === 'dropped').length).to.equal(2);
    expect(logs.filter((l) => l.includes('connection reset (ECONNRESET)')).length).to.equal(2);
  });

  it('does not create twice when the answer to a create is lost', async () => {
    emu.injectFault({ method: 'POST', drop: 'after' });
    const { ctx, logs } = context();
    const res = await create(ctx);
    expect(res.diagnostics).to.deep.equal([]);
    expect(emu.instances.size).to.equal(1);
    const [only] = emu.instances.values();
    expect(res.state?.id).to.equal(only.id);
    expect(emu.requests.filter((r) => r.method === 'POST').length).to.equal(1);
    expect(logs).to.include(`Linode "lb-g1" was created (id ${only.id}) although its answer was lost; using it`);
  });

  it('finds the created instance once more when retries run out after a lost answer', async () => {
    emu.injectFault({ method: 'POST', drop: 'after' });
    const { ctx } = context({ max_retries: 0 });
    const res = await create(ctx);
    expect(res.diagnostics).to.deep.equal([]);
    expect(res.state?.id).to.equal([...emu.instances.keys()][0]);
  });

  it('says where to look when a create may have happened and cannot be confirmed', async () => {
    emu.injectFault({ method: 'POST', status: 503, count: Infinity });
    const { ctx } = context({ max_retries: 1 });
    const res = await create(ctx);
    expect(res.state).to.equal(null);
    expect(res.diagnostics[0].detail).to.equal(
      'The Linode API answered HTTP 503 Service Unavailable:\n  - Service Unavailable\nStopped retrying: gave up after 2 attempts.\nLinode may have created it without answering, but looking it up found nothing; if it appears later it carries this state\'s tags and "infra state orphans" lists it.',
    );
  });

  it('sends the create again after a 500 that did not create anything', async () => {
    emu.injectFault({ method: 'POST', status: 500 });
    const { ctx } = context();
    const res = await create(ctx);
    expect(res.diagnostics).to.deep.equal([]);
    expect(emu.instances.size).to.equal(1);
    expect(emu.requests.map((r) => `${r.method} ${r.apiPath} ${r.status}`).slice(0, 3)).to.deep.equal([
      'POST /linode/instances 500',
      'GET /linode/instances 200', // the lookup by label
      'POST /linode/instances 200',
    ]);
    expect(emu.requests[1].filter).to.deep.equal({ label: 'lb-g1' });
  });

  it('shows Linode\'s reason and field for a refused create', async () => {
    const { ctx } = context();
    const res = await create(ctx, { region: 'mars-1', root_pass: 'weakweakweak' });
    expect(res).to.deep.equal({
      state: null,
      diagnostics: [
        {
          severity: 'error',
          summary: `Could not create Linode "lb-g1" for ${ADDRESS}`,
          detail:
            'The Linode API answered HTTP 400 Bad Request:\n  - region: Region mars-1 does not exist\n  - root_pass: Password does not meet strength requirement.',
        },
      ],
    });
    expect(emu.instances.size).to.equal(0);
  });

  it('explains a label taken by an instance of another owner', async () => {
    const holder = emu.seedInstance({ label: 'lb-g1', tags: ['theirs'] });
    const { ctx } = context();
    const res = await create(ctx);
    expect(res.diagnostics).to.deep.equal([
      {
        severity: 'error',
        summary: `Could not create Linode "lb-g1" for ${ADDRESS}`,
        detail: `The Linode API answered HTTP 400 Bad Request:\n  - label: Label must be unique among your linodes\nLinode ${holder.id} already has this label and does not belong to this state. Choose another label.`,
      },
    ]);
  });

  it('explains a label taken by a copy an interrupted run left behind', async () => {
    const { ctx: first } = context();
    const left = await create(first);
    const { ctx } = context();
    const res = await create(ctx);
    expect(res.diagnostics[0].detail).to.equal(
      `The Linode API answered HTTP 400 Bad Request:\n  - label: Label must be unique among your linodes\nLinode ${left.state?.id as number} already has this label and this resource's tags: a copy left behind by an interrupted run. "infra state orphans" lists it, to import or delete.`,
    );
    expect(emu.instances.get(left.state?.id as number)?.tags).to.include(stateTag(LINEAGE));
  });

  it('reports a rejected token with a hint, without retrying', async () => {
    const { ctx } = recordingContext(fastProviderConfig(emu, { token: 'not-the-token', ssh_port: sshPort }), LINEAGE);
    const res = await create(ctx);
    expect(res.diagnostics).to.deep.equal([
      {
        severity: 'error',
        summary: `Could not create Linode "lb-g1" for ${ADDRESS}`,
        detail:
          'The Linode API answered HTTP 401 Unauthorized:\n  - Invalid Token\nCheck the token (token in the provider "linode" block, or LINODE_TOKEN).',
      },
    ]);
    expect(emu.requests.length).to.equal(1);
  });

  it('keeps the instance in state when deleting fails', async () => {
    const { ctx: c1 } = context();
    const created = await create(c1);
    emu.injectFault({ method: 'DELETE', status: 500, count: Infinity });
    const { ctx } = context({ max_retries: 1 });
    const res = await instance.delete({ address: ADDRESS, generation: 1, prior: created.state as Record<string, Json> }, ctx);
    expect(res.diagnostics.map((d) => d.summary)).to.deep.equal([`Could not delete Linode ${created.state?.id as number} "lb-g1" (${ADDRESS})`]);
    expect(emu.instance(created.state?.id as number)).not.to.equal(undefined);
  });

  it('retries a request that times out', async () => {
    emu.injectFault({ method: 'GET', latencyMs: 400 });
    const { ctx, logs } = context({ request_timeout_ms: 100 });
    const res = await instance.read({ address: ADDRESS, generation: 1, prior: { id: 3 } }, ctx);
    expect(res.diagnostics.filter((d) => d.severity === 'error')).to.deep.equal([]);
    expect(logs[0]).to.match(/^Linode API: request timed out \(ECONNABORTED\) while trying to list the instances of this state; retrying in [\d.]+s \(retry 1 of 4\)$/);
  });
});

describe('linode_instance against an API as unkind as the real one', () => {
  let emu: LinodeEmulator;
  let sshPort: number;
  let listeners: Server[];

  beforeEach(async () => {
    emu = await startLinodeEmulator({ provisioningMs: 20, bootingMs: 20, deletingMs: 0 });
    sshPort = await freePort();
    listeners = [];
    emu.onCreated = (i) => {
      void listen(i.ipv4[0], sshPort).then((s) => listeners.push(s));
    };
    forgetListings();
  });
  afterEach(async () => {
    await Promise.all(listeners.map(closeServer));
    await emu.close();
  });

  const context = (extra: Record<string, Json> = {}) => recordingContext(fastProviderConfig(emu, { ssh_port: sshPort, ...extra }), LINEAGE);
  const config = (overrides: Record<string, Json> = {}) => instanceConfig({ label: 'lb', ...overrides });
  const create = (ctx: ReturnType<typeof context>['ctx'], overrides: Record<string, Json> = {}) =>
    instance.create({ address: ADDRESS, generation: 1, config: config(overrides), configDir: '.' }, ctx);

  it('keeps tags as configured when Linode lowercases and sorts them: no diff, no PUT', async () => {
    const { ctx } = context();
    const created = await create(ctx, { tags: ['Web', 'DNS'] });
    expect(created.diagnostics).to.deep.equal([]);
    const id = created.state?.id as number;
    expect(emu.instance(id)?.tags.filter((t) => !t.startsWith('infra'))).to.deep.equal(['dns', 'web']);
    expect(created.state?.tags).to.deep.equal(['Web', 'DNS']);
    forgetListings();
    const read = await instance.read({ address: ADDRESS, generation: 1, prior: created.state as Record<string, Json> }, context().ctx);
    expect(read.state?.tags).to.deep.equal(['Web', 'DNS']);
    emu.clearRequests();
    const updated = await instance.update(
      { address: ADDRESS, generation: 1, prior: read.state as Record<string, Json>, config: config({ tags: ['Web', 'DNS'] }), configDir: '.' },
      context().ctx,
    );
    expect(updated.diagnostics).to.deep.equal([]);
    expect(emu.requests.filter((r) => r.method === 'PUT')).to.deep.equal([]);
  });

  it('says which permission is missing when a restricted user may not set tags, and creates nothing', async () => {
    emu.restrictedUser = true;
    const { ctx } = context();
    const res = await create(ctx);
    expect(res).to.deep.equal({
      state: null,
      diagnostics: [
        {
          severity: 'error',
          summary: `Could not create Linode "lb-g1" for ${ADDRESS}`,
          detail:
            'The Linode API answered HTTP 403 Forbidden:\n  - tags: Unauthorized\n' +
            'The token\'s user may not do this. Every instance gets this tool\'s tags (infra:..., infra-addr1:..., infra-gen:...), ' +
            'and Linode lets only unrestricted users add tags: use a token of an unrestricted user, or have an account administrator ' +
            'make this user unrestricted (a restricted user also needs the "add_linodes" grant, "Can add Linodes to this account"). ' +
            'Nothing was created.',
        },
      ],
    });
    expect(emu.instances.size).to.equal(0);
    expect(emu.requests.filter((r) => r.method === 'POST').length).to.equal(1);
  });

  it('fails fast, naming the status, when a new instance boots to offline', async () => {
    emu.bootsTo = 'offline';
    const { ctx } = context();
    const started = Date.now();
    const res = await create(ctx, { timeouts: { create: '10m', update: null, delete: null } });
    expect(Date.now() - started).to.be.below(2000);
    const [only] = emu.instances.values();
    expect(res.diagnostics).to.deep.equal([
      {
        severity: 'error',
        summary: `Could not create ${ADDRESS}: Linode ${only.id} "lb-g1" is offline instead of running`,
        detail: "Linode created it but it did not boot (see the instance's events in the Cloud Manager). It is kept in state so that it is deleted or replaced.",
      },
    ]);
    expect(res.state?.id).to.equal(only.id);
  });

  it('gives up on an instance stuck in provisioning at timeouts.create, naming the status, and keeps it in state', async () => {
    emu.onCreated = (i) => emu.updateOutside(i.id, { status: 'provisioning' });
    const { ctx } = context();
    const res = await create(ctx, { timeouts: { create: '1s', update: null, delete: null } });
    const [only] = emu.instances.values();
    expect(res.diagnostics.map((d) => d.summary)).to.deep.equal([`Timed out creating ${ADDRESS}: Linode ${only.id} "lb-g1" is still provisioning`]);
    expect(res.diagnostics[0]!.detail).to.match(/1s/);
    expect(res.state?.id).to.equal(only.id);
  });

  it('retries "Linode busy." on delete', async () => {
    const created = await create(context().ctx);
    emu.injectFault({ method: 'DELETE', status: 400, reason: 'Linode busy.', count: 2 });
    const { ctx, logs } = context();
    const res = await instance.delete({ address: ADDRESS, generation: 1, prior: created.state as Record<string, Json> }, ctx);
    expect(res.diagnostics).to.deep.equal([]);
    expect(emu.requests.filter((r) => r.method === 'DELETE').map((r) => r.status)).to.deep.equal([400, 400, 200]);
    expect(logs.filter((l) => l.startsWith('Linode API: HTTP 400 Bad Request while trying to delete Linode')).length).to.equal(2);
  });

  it('waits out the create rate limit that Retry-After and X-RateLimit-* announce', async () => {
    await emu.close();
    emu = await startLinodeEmulator({ provisioningMs: 20, bootingMs: 20, deletingMs: 0, createRateLimit: { limit: 1, windowMs: 1000 } });
    emu.onCreated = (i) => {
      void listen(i.ipv4[0], sshPort).then((s) => listeners.push(s));
    };
    expect((await create(context().ctx)).diagnostics).to.deep.equal([]);
    const { ctx, logs } = context();
    const res = await instance.create({ address: 'linode_instance.lb2', generation: 1, config: config({ label: 'lbb' }), configDir: '.' }, ctx);
    expect(res.diagnostics).to.deep.equal([]);
    const posts = emu.requests.filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.status)).to.deep.equal([200, 429, 200]);
    expect(posts[2].at - posts[0].at).to.be.at.least(950);
    expect(logs.some((l) => /^Linode API: HTTP 429 Too Many Requests while trying to create Linode "lbb-g1"; retrying in 1\.0s \(retry 1 of 4\)$/.test(l))).to.equal(true);
  });

  for (const retryAfter of [0, -5]) {
    it(`still backs off when Retry-After is ${retryAfter}`, async () => {
      emu.injectFault({ method: 'GET', path: '/linode/instances', status: 429, retryAfter, count: 2 });
      const { ctx } = context({ min_retry_delay_ms: 200, max_retry_delay_ms: 400 });
      const res = await instance.read({ address: ADDRESS, generation: 1, prior: { id: 1 } }, ctx);
      expect(res.diagnostics.filter((d) => d.severity === 'error')).to.deep.equal([]);
      const lists = emu.requests.filter((r) => r.method === 'GET' && r.apiPath === '/linode/instances');
      expect(lists.map((r) => r.status)).to.deep.equal([429, 429, 200]);
      // Equal jitter: at least half of the 200 ms and 400 ms backoffs.
      expect(lists[1].at - lists[0].at).to.be.at.least(95);
      expect(lists[2].at - lists[1].at).to.be.at.least(195);
    });
  }

  it('reports a 503 in maintenance mode at once instead of retrying', async () => {
    emu.injectFault({ method: 'POST', status: 503, headers: { 'X-Maintenance-Mode': 'true' }, count: Infinity });
    const { ctx } = context({ max_retries: 8 });
    const res = await create(ctx);
    expect(res.state).to.equal(null);
    expect(res.diagnostics).to.deep.equal([
      {
        severity: 'error',
        summary: `Could not create Linode "lb-g1" for ${ADDRESS}`,
        detail:
          'The Linode API answered HTTP 503 Service Unavailable (the API is down for maintenance):\n  - Service Unavailable\n' +
          "The answer carried X-Maintenance-Mode: Linode's API is down for maintenance. Nothing was retried; apply again once it is over (https://status.linode.com).\n" +
          'Linode may have created it without answering, but looking it up found nothing; if it appears later it carries this state\'s tags and "infra state orphans" lists it.',
      },
    ]);
    expect(emu.requests.filter((r) => r.method === 'POST').length).to.equal(1);
  });

  it("retries nginx's HTML 400 page, as the Terraform provider does", async () => {
    emu.injectFault({ method: 'POST', status: 400, body: 'html' });
    const { ctx, logs } = context();
    const res = await create(ctx);
    expect(res.diagnostics).to.deep.equal([]);
    expect(emu.requests.filter((r) => r.method === 'POST').map((r) => r.status)).to.deep.equal([400, 200]);
    expect(logs[1]).to.match(
      /^Linode API: HTTP 400 Bad Request \(an HTML page from a proxy, not the API's answer\) while trying to create Linode "lb-g1"; retrying in [\d.]+s \(retry 1 of 4\)$/,
    );
  });

  for (const body of ['truncated', 'invalid'] as const) {
    it(`takes a create answered 200 with ${body} JSON as "may have happened": finds the instance and adopts it`, async () => {
      emu.injectFault({ method: 'POST', body });
      const { ctx, logs } = context();
      const res = await create(ctx);
      expect(res.diagnostics).to.deep.equal([]);
      expect(emu.instances.size).to.equal(1);
      const [only] = emu.instances.values();
      expect(res.state?.id).to.equal(only.id);
      expect(emu.requests.filter((r) => r.method === 'POST').length).to.equal(1);
      expect(logs[1]).to.match(/^Linode API: POST \/linode\/instances answered with a body that is not JSON \(or was cut short\) while trying to create Linode "lb-g1"; retrying in/);
      expect(logs).to.include(`Linode "lb-g1" was created (id ${only.id}) although its answer was lost; using it`);
    });
  }

  it('adopts the instance when the create answer never comes (a hang after the server acted)', async () => {
    emu.injectFault({ method: 'POST', hang: true });
    const { ctx } = context({ request_timeout_ms: 300 });
    const res = await create(ctx);
    expect(res.diagnostics).to.deep.equal([]);
    expect(emu.instances.size).to.equal(1);
    expect(res.state?.id).to.equal([...emu.instances.keys()][0]);
  });

  it('keeps an unconfirmed create in state (no id) when neither the answer nor the lookup can be trusted', async () => {
    emu.injectFault({ method: 'POST', body: 'invalid' });
    emu.injectFault({ method: 'GET', path: '/linode/instances', status: 500, count: Infinity });
    const { ctx } = context({ max_retries: 1 });
    const res = await create(ctx);
    expect(res.state).to.deep.equal({ id: null, label: 'lb', linode_label: 'lb-g1', region: 'us-east', type: 'g6-nanode-1', image: 'linode/debian12', tags: [] });
    expect(res.diagnostics[0].detail).to.equal(
      'The Linode API answered HTTP 500 Internal Server Error:\n  - Internal Server Error\nStopped retrying: gave up after 1 attempt.\n' +
        'Linode may have created it without a usable answer, and looking it up failed too. It stays in state as an unfinished create: ' +
        'the next plan or apply looks it up by its label and tags, and "infra state orphans" lists it.',
    );
    // The next refresh settles it: the instance exists, so it is adopted with its id.
    emu.clearFaults();
    const [only] = emu.instances.values();
    const { ctx: next, logs } = context();
    const resolved = await instance.resolveIntent!({ address: ADDRESS, generation: 1, prior: res.state as Record<string, Json> }, next);
    expect(resolved.diagnostics).to.deep.equal([]);
    expect(resolved.state).to.deep.include({ id: only.id, label: 'lb', linode_label: 'lb-g1' });
    expect(logs).to.deep.equal([`Found Linode ${only.id} "lb-g1", made for ${ADDRESS} by a run that stopped before recording it; taking it into state`]);
  });

  it('resolves an intent with no instance behind it to nothing, and never adopts another resource\'s instance', async () => {
    emu.seedInstance({ label: 'lb-g1', tags: [stateTag(LINEAGE)] }); // the label, but not this copy's tags
    const { ctx, logs } = context();
    const res = await instance.resolveIntent!({ address: ADDRESS, generation: 1, prior: config() }, ctx);
    expect(res).to.deep.equal({ state: null, diagnostics: [] });
    expect(logs).to.deep.equal([`No Linode "lb-g1" exists for ${ADDRESS}: the interrupted create made nothing`]);
  });

  it('names the endpoint when a listing is not JSON, instead of crashing', async () => {
    emu.injectFault({ method: 'GET', path: '/linode/instances', body: 'invalid', count: Infinity });
    const { ctx } = context({ max_retries: 1 });
    const res = await instance.read({ address: ADDRESS, generation: 1, prior: { id: 5 } }, ctx);
    expect(res).to.deep.equal({
      state: { id: 5 },
      diagnostics: [
        {
          severity: 'error',
          summary: `Could not refresh ${ADDRESS} (Linode 5)`,
          detail:
            "The Linode API's answer could not be used: GET /linode/instances answered with a body that is not JSON (or was cut short).\nStopped retrying: gave up after 2 attempts.",
        },
      ],
    });
  });

  it('scrubs a root password the API echoes in refresh and delete errors', async () => {
    const created = await create(context().ctx);
    const pass = created.state?.root_pass as string;
    // What the engine hands read and delete: state without the sensitive attribute.
    const { root_pass: _, ...prior } = created.state as Record<string, Json>;
    emu.injectFault({ method: 'GET', status: 500, reason: `upstream echoed root_pass ${pass}`, count: Infinity });
    emu.injectFault({ method: 'DELETE', status: 400, reason: `Invalid request {"root_pass": "${pass}"}` });
    forgetListings();
    const read = await instance.read({ address: ADDRESS, generation: 1, prior }, context({ max_retries: 0 }).ctx);
    const del = await instance.delete({ address: ADDRESS, generation: 1, prior }, context({ max_retries: 0 }).ctx);
    const text = JSON.stringify([read.diagnostics, del.diagnostics]);
    expect(text).not.to.include(pass);
    expect(read.diagnostics[0].detail).to.equal('The Linode API answered HTTP 500 Internal Server Error:\n  - upstream echoed root_pass (redacted)\nStopped retrying: gave up after 1 attempt.');
    expect(del.diagnostics[0].detail).to.equal('The Linode API answered HTTP 400 Bad Request:\n  - Invalid request {"root_pass": (redacted)}');
  });
});
