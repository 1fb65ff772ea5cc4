import { expect } from 'chai';
import { startLinodeEmulator, type LinodeEmulator } from '../../support/linode-emulator.js';

interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

describe('Linode API emulator', () => {
  let emu: LinodeEmulator;

  beforeEach(async () => {
    emu = await startLinodeEmulator({ provisioningMs: 40, bootingMs: 40, deletingMs: 40 });
  });
  afterEach(async () => {
    await emu.close();
  });

  const call = async (
    method: string,
    path: string,
    options: { body?: unknown; filter?: unknown; token?: string | null } = {},
  ): Promise<Reply> => {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    const token = options.token === undefined ? emu.token : options.token;
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    if (options.filter !== undefined) headers['X-Filter'] = JSON.stringify(options.filter);
    const res = await fetch(`${emu.origin}${path}`, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    return { status: res.status, headers: res.headers, body: await res.json() };
  };

  const create = (body: Record<string, unknown>): Promise<Reply> =>
    call('POST', '/v4/linode/instances', {
      body: { region: 'us-east', type: 'g6-nanode-1', image: 'linode/debian12', root_pass: 'Corr3ct-Horse-Battery', ...body },
    });

  it('listens on 127.0.0.1 and answers 401 Invalid Token without or with a wrong token', async () => {
    expect(emu.origin).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const token of [null, 'wrong']) {
      const r = await call('GET', '/v4/linode/instances', { token });
      expect(r.status).to.equal(401);
      expect(r.body).to.deep.equal({ errors: [{ reason: 'Invalid Token' }] });
    }
  });

  it('serves the catalog without a token, under /v4 and /v4beta', async () => {
    const regions = await call('GET', '/v4beta/regions', { token: null });
    expect(regions.status).to.equal(200);
    const page = regions.body as { data: Array<{ id: string }>; page: number; pages: number; results: number };
    expect(page.data.map((r) => r.id)).to.include.members(['us-east', 'eu-central']);
    expect([page.page, page.pages]).to.deep.equal([1, 1]);
    const types = await call('GET', '/v4/linode/types', { filter: { class: 'nanode' } });
    expect((types.body as { data: Array<{ id: string }> }).data.map((t) => t.id)).to.deep.equal(['g6-nanode-1']);
    const images = await call('GET', '/v4/images', { token: null });
    expect((images.body as { results: number }).results).to.be.greaterThan(0);
  });

  it('creates an instance that moves from provisioning through booting to running', async () => {
    // Status follows the timing at the moment of each request, so changing the timing moves it.
    emu.timing.provisioningMs = 60_000;
    const created = await create({ label: 'web1', tags: ['blue'], private_ip: true });
    expect(created.status).to.equal(200);
    const instance = created.body as { id: number; status: string; ipv4: string[]; ipv6: string; tags: string[]; label: string };
    expect(instance.status).to.equal('provisioning');
    expect(instance.label).to.equal('web1');
    expect(instance.tags).to.deep.equal(['blue']);
    expect(instance.ipv4[0]).to.match(/^127\.80\.\d+\.\d+$/);
    expect(instance.ipv4[1]).to.match(/^192\.168\.1(2[89]|[3-9]\d)\.\d+$/);
    expect(instance.ipv6).to.match(/^2001:db8::[0-9a-f]+\/128$/);
    emu.timing.provisioningMs = 0;
    emu.timing.bootingMs = 60_000;
    expect((await call('GET', `/v4beta/linode/instances/${instance.id}`)).body).to.include({ status: 'booting' });
    emu.timing.bootingMs = 0;
    expect((await call('GET', `/v4/linode/instances/${instance.id}`)).body).to.include({ status: 'running' });
  });

  it('reports every validation problem with reason and field', async () => {
    const r = await call('POST', '/v4/linode/instances', {
      body: { label: 'a--b', image: 'linode/debian12', root_pass: 'short', tags: ['x'] },
    });
    expect(r.status).to.equal(400);
    expect(r.body).to.deep.equal({
      errors: [
        { field: 'region', reason: 'Region is required.' },
        { field: 'type', reason: 'Plan is required.' },
        { field: 'label', reason: 'Label cannot have two dashes (--), underscores (__) or periods (..) in a row.' },
        { field: 'root_pass', reason: 'Length must be 7-128 characters.' },
        { field: 'tags[0]', reason: "Tag 'x' must be between 3 and 50 characters" },
      ],
    });
    const weak = await create({ label: 'web1', root_pass: 'alllowercaseletters' });
    expect(weak.body).to.deep.equal({ errors: [{ field: 'root_pass', reason: 'Password does not meet strength requirement.' }] });
  });

  it('keeps labels unique among the account\'s instances', async () => {
    expect((await create({ label: 'web1' })).status).to.equal(200);
    const again = await create({ label: 'web1' });
    expect(again.status).to.equal(400);
    expect(again.body).to.deep.equal({ errors: [{ field: 'label', reason: 'Label must be unique among your linodes' }] });
  });

  it('pages lists and filters them with X-Filter equality, +and and +or', async () => {
    for (let n = 1; n <= 30; n++) emu.seedInstance({ label: `node${n}`, tags: n % 3 === 0 ? ['infra:s1', 'dns'] : ['other'], region: n <= 10 ? 'us-east' : 'eu-central' });
    const first = (await call('GET', '/v4/linode/instances?page=1&page_size=25')).body as { data: unknown[]; pages: number; results: number };
    expect([first.data.length, first.pages, first.results]).to.deep.equal([25, 2, 30]);
    const second = (await call('GET', '/v4/linode/instances?page=2&page_size=25')).body as { data: unknown[] };
    expect(second.data.length).to.equal(5);

    const labels = async (filter: unknown): Promise<string[]> =>
      ((await call('GET', '/v4/linode/instances?page_size=500', { filter })).body as { data: Array<{ label: string }> }).data.map((i) => i.label);
    expect(await labels({ tags: 'infra:s1' })).to.deep.equal(['node3', 'node6', 'node9', 'node12', 'node15', 'node18', 'node21', 'node24', 'node27', 'node30']);
    expect(await labels({ '+and': [{ tags: 'infra:s1' }, { region: 'us-east' }] })).to.deep.equal(['node3', 'node6', 'node9']);
    expect(await labels({ '+or': [{ label: 'node1' }, { label: 'node2' }] })).to.deep.equal(['node1', 'node2']);
    expect(await labels({ tags: 'dns', region: 'us-east', '+order_by': 'label', '+order': 'desc' })).to.deep.equal(['node9', 'node6', 'node3']);

    const bad = await call('GET', '/v4/linode/instances', { filter: { ipv4: '127.0.0.1' } });
    expect(bad.status).to.equal(400);
    expect(bad.body).to.deep.equal({ errors: [{ reason: 'Cannot filter on ipv4' }] });
    const tooBig = await call('GET', '/v4/linode/instances?page_size=501');
    expect(tooBig.body).to.deep.equal({ errors: [{ field: 'page_size', reason: 'Must be an integer between 25 and 500' }] });
  });

  it('updates label and tags with PUT', async () => {
    const { id } = (await create({ label: 'web1' })).body as { id: number };
    const r = await call('PUT', `/v4beta/linode/instances/${id}`, { body: { label: 'web2', tags: ['a-tag'] } });
    expect(r.body).to.include({ label: 'web2' });
    expect(emu.instance(id)?.tags).to.deep.equal(['a-tag']);
  });

  it('deletes: the instance is "deleting" for a while, then 404', async () => {
    const { id } = (await create({ label: 'web1' })).body as { id: number };
    emu.timing.deletingMs = 60_000;
    expect((await call('DELETE', `/v4/linode/instances/${id}`)).body).to.deep.equal({});
    expect((await call('GET', `/v4/linode/instances/${id}`)).body).to.include({ status: 'deleting' });
    emu.timing.deletingMs = 0;
    const gone = await call('GET', `/v4/linode/instances/${id}`);
    expect(gone.status).to.equal(404);
    expect(gone.body).to.deep.equal({ errors: [{ reason: 'Not found' }] });
  });

  it('injects error statuses with Retry-After, per method, path and count', async () => {
    const fault = emu.injectFault({ method: 'GET', path: '/linode/instances', status: 429, retryAfter: 3, count: 2 });
    for (let n = 0; n < 2; n++) {
      const r = await call('GET', '/v4/linode/instances');
      expect(r.status).to.equal(429);
      expect(r.headers.get('retry-after')).to.equal('3');
      expect(r.body).to.deep.equal({ errors: [{ reason: 'Too Many Requests' }] });
    }
    expect((await call('GET', '/v4/linode/instances')).status).to.equal(200);
    expect(fault.hits).to.equal(2);
    emu.injectFault({ path: '/linode/instances/*', status: 503 });
    expect((await call('GET', '/v4/linode/instances')).status).to.equal(200);
    expect((await call('GET', '/v4/linode/instances/1')).status).to.equal(503);
  });

  it('drops connections before or after the request takes effect', async () => {
    emu.injectFault({ method: 'POST', drop: 'before' });
    await expectReset(create({ label: 'web1' }));
    expect(emu.instances.size).to.equal(0);
    emu.injectFault({ method: 'POST', drop: 'after' });
    await expectReset(create({ label: 'web1' }));
    expect([...emu.instances.values()].map((i) => i.label)).to.deep.equal(['web1']);
    expect(emu.requests.map((r) => r.status)).to.deep.equal(['dropped', 'dropped']);
  });

  it('records requests without the token', async () => {
    await call('GET', '/v4beta/linode/instances?page=1&page_size=500', { filter: { tags: 'x-y-z' } });
    const [r] = emu.requests;
    expect(r).to.deep.include({ method: 'GET', path: '/v4beta/linode/instances', apiPath: '/linode/instances', auth: 'valid', status: 200 });
    expect(r.query).to.deep.equal({ page: '1', page_size: '500' });
    expect(r.filter).to.deep.equal({ tags: 'x-y-z' });
    expect(JSON.stringify(emu.requests)).not.to.include(emu.token);
  });

  it('keeps tags as Linode does: lower case, sorted, compared without regard to case', async () => {
    const made = await create({ label: 'tagged', tags: ['Web', 'dns', 'WEB'] });
    expect((made.body as { tags: string[] }).tags).to.deep.equal(['dns', 'web']);
    const found = await call('GET', '/v4/linode/instances', { filter: { tags: 'web' } });
    expect((found.body as { results: number }).results).to.equal(1);
  });

  it('refuses tags from a restricted user with 403', async () => {
    emu.restrictedUser = true;
    const r = await create({ label: 'restricted', tags: ['web'] });
    expect([r.status, r.body]).to.deep.equal([403, { errors: [{ field: 'tags', reason: 'Unauthorized' }] }]);
    expect((await create({ label: 'untagged' })).status).to.equal(200);
  });

  it('refuses a list as the value of a filter, and can ignore X-Filter altogether', async () => {
    await create({ label: 'one', tags: ['a1x'] });
    await create({ label: 'two', tags: ['b2y'] });
    const refused = await call('GET', '/v4/linode/instances', { filter: { tags: ['a1x'] } });
    expect([refused.status, refused.body]).to.deep.equal([400, { errors: [{ reason: 'Invalid value for filter on tags: expected a single value, not a list' }] }]);
    emu.ignoreFilter = true;
    const ignored = await call('GET', '/v4/linode/instances', { filter: { tags: 'a1x' } });
    expect((ignored.body as { results: number }).results).to.equal(2);
  });

  it('rate-limits creates to 20 per 15 s, saying so in Retry-After and X-RateLimit-*', async () => {
    const answers: Reply[] = [];
    for (let n = 0; n < 21; n++) answers.push(await call('POST', '/v4/linode/instances', { body: {} }));
    // Refused creates count too: the limit is on requests.
    expect(answers.slice(0, 20).every((a) => a.status === 400)).to.equal(true);
    expect(answers[0].headers.get('x-ratelimit-limit')).to.equal('20');
    expect(answers[0].headers.get('x-ratelimit-remaining')).to.equal('19');
    expect(answers[20].status).to.equal(429);
    expect(answers[20].headers.get('x-ratelimit-remaining')).to.equal('0');
    expect(Number(answers[20].headers.get('retry-after'))).to.be.within(14, 15);
    expect(Number(answers[20].headers.get('x-ratelimit-reset'))).to.be.within(Date.now() / 1000 + 13, Date.now() / 1000 + 16);
  });

  it('answers with cut-short JSON, text that is not JSON, or nginx\'s HTML page, with extra headers', async () => {
    emu.injectFault({ method: 'GET', path: '/linode/instances', body: 'truncated' });
    emu.injectFault({ method: 'GET', path: '/linode/instances', body: 'invalid' });
    emu.injectFault({ method: 'GET', path: '/linode/instances', status: 400, body: 'html', headers: { 'X-Maintenance-Mode': 'true' } });
    const texts: string[] = [];
    for (let n = 0; n < 3; n++) {
      const res = await fetch(`${emu.origin}/v4/linode/instances`, { headers: { Authorization: `Bearer ${emu.token}` } });
      texts.push(`${res.status} ${res.headers.get('content-type')} ${res.headers.get('x-maintenance-mode')} ${await res.text()}`);
    }
    expect(texts).to.deep.equal([
      '200 application/json null {"data":[],"page":1,"',
      '200 application/json null upstream sent something that is not JSON',
      '400 text/html true <html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n',
    ]);
  });

  it('boots new instances to another status when told (a failed boot ends offline)', async () => {
    emu.bootsTo = 'offline';
    const made = (await create({ label: 'halts' })).body as { id: number };
    await new Promise((r) => setTimeout(r, 120));
    expect(emu.instance(made.id)?.status).to.equal('offline');
  });

  it('wants a letter first in labels, as the OpenAPI pattern does', async () => {
    const r = await create({ label: '1abc' });
    expect([r.status, r.body]).to.deep.equal([400, { errors: [{ field: 'label', reason: 'Label must begin with a letter.' }] }]);
  });
});

async function expectReset(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(TypeError);
    return;
  }
  expect.fail('expected the connection to be dropped');
}
