import { expect } from 'chai';
import type { Server } from 'node:net';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { stateKnownHostsFile } from '../../../src/providers/hostexec.js';
import type { Json } from '../../../src/evaluate/value.js';
import { Sensitive, UNKNOWN } from '../../../src/evaluate/value.js';
import { addressTags, forgetListings, generationTag, listOrphans, provider, stateTag } from '../../../src/providers/linode/index.js';
import { startLinodeEmulator, type LinodeEmulator } from '../../support/linode-emulator.js';
import { closeServer, fastProviderConfig, freePort, instanceConfig, listen, recordingContext } from '../../support/linode-harness.js';

const LINEAGE = '6f1d2c3b-4a59-4e8f-9b7a-0c1d2e3f4a5b';
const ADDRESS = 'linode_instance.ns["ns1"]';
const instance = provider.resourceTypes.linode_instance;

describe('linode_instance against the emulator', () => {
  let emu: LinodeEmulator;
  let sshPort: number;
  let listeners: Server[];

  beforeEach(async () => {
    emu = await startLinodeEmulator({ provisioningMs: 30, bootingMs: 30, deletingMs: 30 });
    sshPort = await freePort();
    listeners = [];
    // sshd comes up on every new instance's address, unless a test says otherwise.
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

  const createOne = async (overrides: Record<string, Json> = {}, generation = 1, address = ADDRESS) => {
    const { ctx, logs } = context();
    const res = await instance.create({ address, generation, config: instanceConfig(overrides), configDir: '/nonexistent' }, ctx);
    expect(res.diagnostics).to.deep.equal([]);
    expect(res.state).not.to.equal(null);
    return { state: res.state as Record<string, Json>, logs };
  };

  it('creates an instance, waits for running and for SSH, and returns its state', async () => {
    const { state, logs } = await createOne({ tags: ['dns'], authorized_keys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample me@host'] });
    const id = state.id as number;
    const onLinode = emu.instance(id);
    expect(onLinode?.label).to.equal('ns1-g1');
    expect(onLinode?.status).to.equal('running');
    // Linode lists tags sorted.
    expect(onLinode?.tags).to.deep.equal(['dns', 'infra-addr1:linode_instance.ns~5b~22ns1~22~5d', 'infra-gen:1', stateTag(LINEAGE)]);
    expect(state).to.deep.include({
      id,
      label: 'ns1',
      linode_label: 'ns1-g1',
      region: 'us-east',
      type: 'g6-nanode-1',
      image: 'linode/debian12',
      tags: ['dns'],
      authorized_keys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample me@host'],
      private_ip: false,
      ipv4: onLinode?.ipv4[0],
      private_ipv4: null,
      ipv6: onLinode?.ipv6,
      status: 'running',
      connection: 'ssh',
      timeouts: null,
    });
    expect(state.ipv4).to.match(/^127\.80\./);
    // The generated password is what Linode got, and strong.
    expect(state.root_pass).to.be.a('string').with.length(43);
    expect(emu.rootPassOf(id)).to.equal(state.root_pass);
    expect(logs[0]).to.equal('Creating Linode "ns1-g1" (g6-nanode-1 in us-east, linode/debian12)');
    expect(logs).to.include(`Created Linode ${id} "ns1-g1"; waiting for status running`);
    expect(logs.some((l) => /^Still creating\.\.\. Linode \d+ "ns1-g1" status (booting|running) \([\dhms]+ elapsed\)$/.test(l))).to.equal(true);
    expect(logs).to.include(`Waiting for SSH on ${state.ipv4 as string}:${sshPort}...`);
    expect(logs.at(-1)).to.equal(`Linode ${id} "ns1-g1" is ready: SSH answers on ${state.ipv4 as string}:${sshPort}`);
  });

  it('uses LINODE_TOKEN and LINODE_URL when the provider block has neither', async () => {
    const saved = { token: process.env.LINODE_TOKEN, url: process.env.LINODE_URL };
    process.env.LINODE_TOKEN = emu.token;
    process.env.LINODE_URL = emu.url;
    try {
      const config = fastProviderConfig(emu, { ssh_port: sshPort });
      delete config.token;
      delete config.url;
      expect(provider.validateConfig?.(config, process.env)).to.deep.equal([]);
      const { ctx } = recordingContext(config, LINEAGE);
      const res = await instance.create({ address: ADDRESS, generation: 0, config: instanceConfig({ label: 'plain' }), configDir: '.' }, ctx);
      expect(res.diagnostics).to.deep.equal([]);
      expect(res.state?.linode_label).to.equal('plain');
      expect(emu.requests.every((r) => r.auth === 'valid')).to.equal(true);
    } finally {
      for (const [key, value] of [['LINODE_TOKEN', saved.token], ['LINODE_URL', saved.url]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('takes only 192.168.128.0/17 as private: a public 10/8, 172.16/12 or 192.168.0/17 address is ipv4', async () => {
    for (const [addresses, ipv4, privateIpv4] of [
      [['10.20.30.40', '192.168.130.5'], '10.20.30.40', '192.168.130.5'],
      [['172.16.5.6'], '172.16.5.6', null],
      [['192.168.1.9', '192.168.255.1'], '192.168.1.9', '192.168.255.1'],
    ] as const) {
      const seeded = emu.seedInstance({ label: `pub${ipv4.replace(/\./g, '')}`, tags: [stateTag(LINEAGE)], ipv4: addresses });
      forgetListings();
      const res = await instance.read({ address: ADDRESS, generation: 0, prior: { id: seeded.id } }, context().ctx);
      expect(res.state, ipv4).to.deep.include({ ipv4, private_ipv4: privateIpv4 });
    }
  });

  it('gives private_ip instances their private address', async () => {
    const { state } = await createOne({ private_ip: true });
    expect(state.private_ip).to.equal(true);
    expect(state.ipv4).to.match(/^127\.80\./);
    expect(state.private_ipv4).to.match(/^192\.168\./);
  });

  it('refreshes to the same state, with one list request and no GET per instance', async () => {
    const { state } = await createOne();
    emu.clearRequests();
    forgetListings();
    const { ctx } = context();
    const read = await instance.read({ address: ADDRESS, generation: 1, prior: state }, ctx);
    expect(read).to.deep.equal({ state, diagnostics: [] });
    expect(emu.requests.map((r) => [r.method, r.apiPath, r.query, r.filter])).to.deep.equal([
      ['GET', '/linode/instances', { page: '1', page_size: '500' }, { tags: stateTag(LINEAGE) }],
    ]);
  });

  it('reads a whole state with one list request per 500 instances, however the reads arrive', async () => {
    const tags = [stateTag(LINEAGE)];
    const seeded = Array.from({ length: 501 }, (_, n) => emu.seedInstance({ label: `node${n}`, tags }));
    emu.seedInstance({ label: 'someone-else' });
    const prior = (id: number): Record<string, Json> => ({ id, label: 'x', tags: [] });
    const { ctx } = context();

    const together = await Promise.all(seeded.map((s) => instance.read({ address: `a.b[${s.id}]`, generation: 0, prior: prior(s.id) }, ctx)));
    expect(together.every((r) => r.state !== null && r.diagnostics.length === 0)).to.equal(true);
    // One after the other, within refresh_reuse_ms: answered from the same listing.
    for (const s of seeded.slice(0, 20)) {
      const r = await instance.read({ address: `a.b[${s.id}]`, generation: 0, prior: prior(s.id) }, ctx);
      expect(r.state?.linode_label).to.equal(s.label);
    }
    expect(emu.requests.map((r) => `${r.method} ${r.apiPath} page=${r.query.page}`)).to.deep.equal([
      'GET /linode/instances page=1',
      'GET /linode/instances page=2',
    ]);
  });

  it('shares one listing within a refresh pass (one ctx.signal) and lists again for the next pass', async () => {
    const { state } = await createOne();
    emu.clearRequests();
    const pass1 = context();
    const read = (ctx: typeof pass1.ctx) => instance.read({ address: ADDRESS, generation: 1, prior: state }, ctx);
    expect((await read(pass1.ctx)).state).to.deep.equal(state);
    emu.deleteOutside(state.id as number);
    expect((await read(pass1.ctx)).state).to.deep.equal(state);
    expect(emu.requests.length).to.equal(1);
    const pass2 = context();
    expect(await read(pass2.ctx)).to.deep.equal({ state: null, diagnostics: [] });
    expect(emu.requests.map((r) => `${r.method} ${r.apiPath} ${r.status}`)).to.deep.equal([
      'GET /linode/instances 200',
      'GET /linode/instances 200',
      `GET /linode/instances/${state.id as number} 404`,
    ]);
  });

  it('reads null for an instance deleted outside, and takes in label and tag changes made outside', async () => {
    const { state } = await createOne({ tags: ['dns'] });
    const other = await createOne({ label: 'ns2' }, 1, 'linode_instance.ns["ns2"]');
    const id = state.id as number;
    emu.updateOutside(id, { label: 'renamed', tags: ['dns', 'extra', stateTag(LINEAGE), ...addressTags(ADDRESS), generationTag(1)] });
    emu.deleteOutside(other.state.id as number);
    forgetListings();
    const { ctx } = context();
    const changed = await instance.read({ address: ADDRESS, generation: 1, prior: state }, ctx);
    expect(changed.diagnostics).to.deep.equal([]);
    expect(changed.state).to.deep.equal({ ...state, label: 'renamed', linode_label: 'renamed', tags: ['dns', 'extra'] });
    const gone = await instance.read({ address: 'linode_instance.ns["ns2"]', generation: 1, prior: other.state }, ctx);
    expect(gone).to.deep.equal({ state: null, diagnostics: [] });
  });

  it('finds an instance that lost its tags by id, and warns', async () => {
    const { state } = await createOne();
    const id = state.id as number;
    emu.updateOutside(id, { tags: [] });
    forgetListings();
    const { ctx } = context();
    const read = await instance.read({ address: ADDRESS, generation: 1, prior: state }, ctx);
    expect(read.state).to.deep.equal(state);
    expect(read.diagnostics).to.deep.equal([
      {
        severity: 'warning',
        summary: `Linode ${id} "ns1-g1" (${ADDRESS}) is missing the tag "${stateTag(LINEAGE)}"`,
        detail:
          'Refresh found it by id. Without the tag the batched refresh and "infra state orphans" do not see it: add the tag back in Linode, or change the resource\'s tags so the next apply rewrites them.',
      },
    ]);
  });

  it('updates label and tags in place, keeping the tool\'s tags', async () => {
    const { state } = await createOne({ tags: ['dns'] });
    const id = state.id as number;
    emu.clearRequests();
    const { ctx, logs } = context();
    const res = await instance.update(
      { address: ADDRESS, generation: 1, prior: state, config: instanceConfig({ label: 'web', tags: ['dns', 'frontend'], root_pass: null }), configDir: '.' },
      ctx,
    );
    expect(res.diagnostics).to.deep.equal([]);
    expect(res.state).to.deep.equal({ ...state, label: 'web', linode_label: 'web-g1', tags: ['dns', 'frontend'] });
    expect(emu.requests.map((r) => [r.method, r.apiPath, r.body])).to.deep.equal([
      ['PUT', `/linode/instances/${id}`, { label: 'web-g1', tags: ['dns', 'frontend', stateTag(LINEAGE), ...addressTags(ADDRESS), generationTag(1)] }],
    ]);
    expect(emu.instance(id)?.label).to.equal('web-g1');
    expect(logs).to.deep.equal([`Updating Linode ${id} "ns1-g1": label and tags`]);

    emu.clearRequests();
    const timeoutsOnly = await instance.update(
      { address: ADDRESS, generation: 1, prior: res.state, config: instanceConfig({ label: 'web', tags: ['dns', 'frontend'], timeouts: { create: '5m', update: null, delete: null } }), configDir: '.' },
      ctx,
    );
    expect(timeoutsOnly.state).to.deep.equal({ ...res.state, timeouts: { create: '5m', update: null, delete: null } });
    expect(emu.requests).to.deep.equal([]);
  });

  it('replaces blue-green: the new generation lives beside the old one, then the old one is deleted', async () => {
    const blue = await createOne({}, 1);
    const green = await createOne({ image: 'linode/debian11' }, 2);
    const labels = [...emu.instances.values()].map((i) => i.label).sort();
    expect(labels).to.deep.equal(['ns1-g1', 'ns1-g2']);
    expect(green.state.ipv4).not.to.equal(blue.state.ipv4);
    const { ctx } = context();
    const res = await instance.delete({ address: ADDRESS, generation: 1, prior: blue.state }, ctx);
    expect(res.diagnostics).to.deep.equal([]);
    expect([...emu.instances.values()].map((i) => i.label)).to.deep.equal(['ns1-g2']);
  });

  it('deletes and waits until the instance is gone; deleting what is gone succeeds', async () => {
    const { state } = await createOne();
    const id = state.id as number;
    emu.timing.deletingMs = 60_000;
    const { ctx, logs } = context();
    const deleting = instance.delete({ address: ADDRESS, generation: 1, prior: state }, ctx);
    const polled = (): boolean => emu.requests.some((r) => r.method === 'GET' && r.apiPath === `/linode/instances/${id}` && r.status === 200);
    while (!polled()) await new Promise((r) => setTimeout(r, 5));
    // Still listed as deleting: the delete has not returned. Now let Linode finish it.
    emu.timing.deletingMs = 0;
    const res = await deleting;
    expect(res.diagnostics).to.deep.equal([]);
    expect(emu.instance(id)).to.equal(undefined);
    const polls = emu.requests.filter((r) => r.method === 'GET' && r.apiPath === `/linode/instances/${id}`);
    expect(polls.at(-1)?.status).to.equal(404);
    expect(logs).to.deep.equal([`Deleting Linode ${id} "ns1-g1"; waiting until it is gone`, `Linode ${id} "ns1-g1" is gone`]);

    const again = recordingContext(fastProviderConfig(emu), LINEAGE);
    expect(await instance.delete({ address: ADDRESS, generation: 1, prior: state }, again.ctx)).to.deep.equal({ diagnostics: [] });
    expect(again.logs).to.deep.equal([`Linode ${id} "ns1-g1" was already gone`]);
  });

  it('times out waiting for SSH: an error naming the instance, and the instance as partial state', async () => {
    emu.onCreated = null;
    // Running at once, so the whole budget goes to the wait for SSH.
    emu.timing.provisioningMs = 0;
    emu.timing.bootingMs = 0;
    const { ctx } = context();
    const res = await instance.create(
      { address: ADDRESS, generation: 1, config: instanceConfig({ timeouts: { create: '400ms', update: null, delete: null } }), configDir: '.' },
      ctx,
    );
    const id = res.state?.id as number;
    const ip = emu.instance(id)?.ipv4[0];
    expect(res.diagnostics).to.deep.equal([
      {
        severity: 'error',
        summary: `Timed out creating ${ADDRESS}: SSH on ${ip}:${sshPort} of Linode ${id} "ns1-g1" does not accept connections`,
        detail: 'The instance is running but port ' + sshPort + ' did not answer within 400ms (timeouts.create). It is kept in state so that it is deleted or replaced.',
      },
    ]);
    expect(res.state).to.deep.include({ id, linode_label: 'ns1-g1', status: 'running', ipv4: ip });
    expect(emu.instance(id)).not.to.equal(undefined);
  });

  it('times out waiting for status running', async () => {
    emu.timing.provisioningMs = 0;
    emu.timing.bootingMs = 60_000;
    const { ctx, logs } = context();
    const res = await instance.create(
      { address: ADDRESS, generation: 1, config: instanceConfig({ timeouts: { create: '1s', update: null, delete: null } }), configDir: '.' },
      ctx,
    );
    const id = res.state?.id as number;
    expect(res.diagnostics.map((d) => d.summary)).to.deep.equal([`Timed out creating ${ADDRESS}: Linode ${id} "ns1-g1" is still booting`]);
    expect(res.diagnostics[0].detail).to.equal('It did not reach status running within 1s (timeouts.create). It is kept in state so that it is deleted or replaced.');
    expect(res.state).to.deep.include({ id, status: 'booting' });
    expect(logs.some((l) => new RegExp(`^Still creating\\.\\.\\. Linode ${id} "ns1-g1" status booting \\([\\dhms]+ elapsed\\)$`).test(l))).to.equal(true);
  });

  it('stops waiting when interrupted, keeping the instance as partial state', async () => {
    emu.onCreated = null;
    const stop = new AbortController();
    const { ctx } = recordingContext(fastProviderConfig(emu, { ssh_port: sshPort }), LINEAGE, stop.signal);
    emu.onCreated = () => setTimeout(() => stop.abort(), 100);
    const res = await instance.create({ address: ADDRESS, generation: 1, config: instanceConfig(), configDir: '.' }, ctx);
    const id = res.state?.id as number;
    expect(id).to.be.a('number');
    expect(res.diagnostics.map((d) => d.summary)[0]).to.match(/^Interrupted while (creating|waiting for SSH)/);
    expect(res.diagnostics[0].detail).to.equal('It is kept in state so that it is deleted or replaced.');
  });

  it('waits for port 22 by default', async function () {
    let server: Server | undefined;
    try {
      server = await listen('127.80.255.254', 22);
    } catch {
      this.skip(); // not root, or something holds port 22
    } finally {
      if (server) await closeServer(server);
    }
    const ready: Promise<Server>[] = [];
    emu.onCreated = (i) => ready.push(listen(i.ipv4[0], 22));
    const { ctx, logs } = recordingContext(fastProviderConfig(emu), LINEAGE);
    const res = await instance.create({ address: ADDRESS, generation: 1, config: instanceConfig({ timeouts: { create: '5s', update: null, delete: null } }), configDir: '.' }, ctx);
    listeners.push(...(await Promise.all(ready)));
    expect(res.diagnostics).to.deep.equal([]);
    expect(logs).to.include(`Waiting for SSH on ${res.state?.ipv4 as string}:22...`);
  });

  it('lists orphans: instances with the state\'s tag that the state does not hold', async () => {
    const kept = await createOne();
    const ns2 = 'linode_instance.ns["ns2"]';
    const orphan = emu.seedInstance({ label: 'ns2-g1', tags: ['dns', stateTag(LINEAGE), ...addressTags(ns2), generationTag(1)] });
    const untagged = emu.seedInstance({ label: 'mystery', tags: [stateTag(LINEAGE)] });
    emu.seedInstance({ label: 'foreign', tags: [stateTag('another-lineage')] });
    emu.seedInstance({ label: 'leaving', tags: [stateTag(LINEAGE)], status: 'deleting' });
    const { ctx } = context();
    const res = await listOrphans(ctx, [kept.state.id as number]);
    expect(res).to.deep.equal({
      orphans: [
        {
          id: orphan.id,
          label: 'ns2-g1',
          // The user's tags first, then the tool's, each in the order Linode lists them (sorted).
          tags: ['dns', ...addressTags(ns2), generationTag(1), stateTag(LINEAGE)],
          ipv4: orphan.ipv4[0],
          region: 'us-east',
          status: 'running',
          created: orphan.created,
          address: ns2,
          generation: 1,
        },
        {
          id: untagged.id,
          label: 'mystery',
          tags: [stateTag(LINEAGE)],
          ipv4: untagged.ipv4[0],
          region: 'us-east',
          status: 'running',
          created: untagged.created,
          address: null,
          generation: null,
        },
      ],
      diagnostics: [],
    });
  });

  it('offers orphans to import (with their state) and deletes them, through the provider\'s orphans capability', async () => {
    const kept = await createOne();
    const ns2 = 'linode_instance.ns["ns2"]';
    const orphan = emu.seedInstance({ label: 'ns2-g3', tags: ['dns', stateTag(LINEAGE), ...addressTags(ns2), generationTag(3)] });
    const { ctx } = context();
    const finder = provider.orphans;
    if (!finder) throw new Error('the Linode provider has no orphans capability');
    const listed = await finder.listOrphans(
      [
        { type: 'linode_instance', attributes: kept.state },
        { type: 'local_host', attributes: { id: orphan.id } },
      ],
      ctx,
    );
    expect(listed).to.deep.equal({
      orphans: [
        {
          type: 'linode_instance',
          id: String(orphan.id),
          address: ns2,
          generation: 3,
          description: `Linode ${orphan.id} "ns2-g3" in us-east, ${orphan.ipv4[0]}, running, created ${orphan.created}`,
          attributes: {
            id: orphan.id,
            label: 'ns2',
            linode_label: 'ns2-g3',
            region: 'us-east',
            type: 'g6-nanode-1',
            image: 'linode/debian12',
            tags: ['dns'],
            ipv4: orphan.ipv4[0],
            private_ipv4: null,
            ipv6: orphan.ipv6,
            status: 'running',
            connection: 'ssh',
            private_ip: false,
            timeouts: null,
          },
        },
      ],
      diagnostics: [],
    });
    // A key learned for the orphan's address goes with it.
    const knownHosts = stateKnownHostsFile(ctx);
    mkdirSync(dirname(knownHosts), { recursive: true });
    writeFileSync(knownHosts, `${orphan.ipv4[0]} ssh-ed25519 AAAAorphan\n198.51.100.99 ssh-ed25519 AAAAother\n`);
    const deleted = await finder.deleteOrphan(listed.orphans[0], ctx);
    expect(deleted).to.deep.equal({ diagnostics: [] });
    expect(emu.instance(orphan.id)).to.equal(undefined);
    expect(readFileSync(knownHosts, 'utf8')).to.equal('198.51.100.99 ssh-ed25519 AAAAother\n');
    expect(emu.instance(kept.state.id as number)).not.to.equal(undefined);
  });

  it('never lists or deletes an instance without the state\'s tag, even when the API ignores the filter', async () => {
    const kept = await createOne();
    const ns2 = 'linode_instance.ns["ns2"]';
    const orphan = emu.seedInstance({ label: 'ns2-g1', tags: [stateTag(LINEAGE), ...addressTags(ns2), generationTag(1)] });
    const foreign = emu.seedInstance({ label: 'theirs', tags: ['prod', ...addressTags(ns2), generationTag(1)] });
    emu.ignoreFilter = true;
    const finder = provider.orphans!;
    const { ctx } = context();
    const listed = await finder.listOrphans([{ type: 'linode_instance', attributes: kept.state }], ctx);
    expect(listed.orphans.map((o) => o.id)).to.deep.equal([String(orphan.id)]);
    // A listing that named someone else's server (as an API ignoring X-Filter would): refused.
    const forged = { ...listed.orphans[0], id: String(foreign.id), attributes: { ...listed.orphans[0].attributes, id: foreign.id } };
    const refused = await finder.deleteOrphan(forged, ctx);
    expect(refused).to.deep.equal({
      diagnostics: [
        {
          severity: 'error',
          summary: `Not deleting Linode ${foreign.id} "theirs": it does not carry this state's tag "${stateTag(LINEAGE)}"`,
          detail: 'It is not an instance this state made (the listing that named it was wrong, or its tags were changed since). Nothing was deleted.',
        },
      ],
    });
    expect(emu.instance(foreign.id)).not.to.equal(undefined);
    expect(emu.requests.filter((r) => r.method === 'DELETE')).to.deep.equal([]);
  });

  it('plans the label sent to Linode for new instances, and checks the configuration', () => {
    const fresh = instance.plan?.({ address: ADDRESS, generation: 3, config: { ...instanceConfig(), region: UNKNOWN }, prior: null, configDir: '.' });
    expect(fresh).to.deep.equal({ planned: { connection: 'ssh', private_ipv4: null, linode_label: 'ns1-g3' }, diagnostics: [] });
    // The planner passes the next generation for blue-green resources even when nothing changes:
    // an existing instance keeps the label it has.
    const existing = instance.plan?.({ address: ADDRESS, generation: 4, config: { ...instanceConfig(), root_pass: new Sensitive('Gener4tedSecret') }, prior: { label: 'ns1', linode_label: 'ns1-g3' }, configDir: '.' });
    expect(existing).to.deep.equal({ planned: { connection: 'ssh', private_ipv4: null }, diagnostics: [] });

    const bad = instance.plan?.({
      address: ADDRESS,
      generation: 12,
      config: { ...instanceConfig({ label: 'x'.repeat(62), tags: ['infra:mine'] }), timeouts: { create: 'soon', update: null, delete: null } },
      prior: null,
      configDir: '.',
    });
    expect(bad?.diagnostics).to.deep.equal([
      { severity: 'error', summary: `Invalid label "${'x'.repeat(62)}" for ${ADDRESS}`, detail: `As sent to Linode ("${'x'.repeat(62)}-g12") it must be 3-64 characters long (it is 66).` },
      { severity: 'error', summary: `Invalid tag "infra:mine" for ${ADDRESS}`, detail: 'It begins with "infra:" or "infra-", which are reserved for the tool.' },
      { severity: 'error', summary: `Invalid timeouts.create "soon" for ${ADDRESS}`, detail: 'Expected a duration such as "10m", "90s" or "1h30m".' },
    ]);
  });

  it('refuses to create without a lineage or without a token, before calling the API', async () => {
    const noLineage = recordingContext(fastProviderConfig(emu), '');
    const a = await instance.create({ address: ADDRESS, generation: 1, config: instanceConfig(), configDir: '.' }, noLineage.ctx);
    expect(a.state).to.equal(null);
    expect(a.diagnostics.map((d) => d.summary)).to.deep.equal([`Cannot create ${ADDRESS} before the state has a lineage`]);
    const saved = process.env.LINODE_TOKEN;
    delete process.env.LINODE_TOKEN;
    try {
      const config = fastProviderConfig(emu);
      delete config.token;
      const noToken = recordingContext(config, LINEAGE);
      const b = await instance.create({ address: ADDRESS, generation: 1, config: instanceConfig(), configDir: '.' }, noToken.ctx);
      expect(b.diagnostics.map((d) => d.summary)).to.deep.equal(['No Linode API token']);
    } finally {
      if (saved !== undefined) process.env.LINODE_TOKEN = saved;
    }
    expect(emu.requests).to.deep.equal([]);
  });
});
