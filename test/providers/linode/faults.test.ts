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
      'The Linode API answered HTTP 503 Service Unavailable:\n  - Service Unavailable\nStopped retrying: gave up after 2 attempts.\nLinode may have created it without answering; if so it carries this state\'s tags and "infra state orphans" lists it.',
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
